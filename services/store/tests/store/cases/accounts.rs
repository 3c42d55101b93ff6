//! Users, tokens, projects, environment variables, webhook deliveries.

use super::*;
use crate::support::TestDb;

pub async fn users_upsert_by_github_id_or_login(db: &TestDb) {
    let store = &db.store;
    let new = NewUser {
        github_id: Some(42),
        login: "octo".into(),
        name: Some("Octo Cat".into()),
        avatar_url: None,
    };
    let first = store.upsert_user(new.clone()).await.unwrap();
    assert!(
        first.id.starts_with("u-") && first.id.len() == 18,
        "{}",
        first.id
    );
    assert_eq!((first.github_id, first.login.as_str()), (Some(42), "octo"));
    // The same GitHub account after a rename: same user, new login.
    let renamed = store
        .upsert_user(NewUser {
            login: "octo-2".into(),
            ..new.clone()
        })
        .await
        .unwrap();
    assert_eq!(renamed.id, first.id);
    assert_eq!(renamed.login, "octo-2");
    assert_eq!(renamed.created_at, first.created_at);
    assert_eq!(store.user(&first.id).await.unwrap(), Some(renamed.clone()));
    // A different GitHub account may not take a login another account holds.
    let thief = NewUser {
        github_id: Some(7),
        login: "octo-2".into(),
        ..NewUser::default()
    };
    let err = store.upsert_user(thief).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::Conflict(m) if m.contains("octo-2")),
        "{err:?}"
    );
    // A local user is upserted by login.
    let local = user(store, "admin").await;
    let again = store
        .upsert_user(NewUser {
            login: "admin".into(),
            name: Some("Admin".into()),
            ..NewUser::default()
        })
        .await;
    assert_eq!(again.unwrap().id, local.id);
    assert_eq!(store.user("u-missing").await.unwrap(), None);
    let err = store
        .upsert_user(NewUser {
            login: " ".into(),
            ..NewUser::default()
        })
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
}

pub async fn tokens_are_found_by_hash_only(db: &TestDb) {
    let store = &db.store;
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let plaintext = "berth_secret_token_value";
    let token = store
        .create_token(&alice.id, "laptop", &hash_token(plaintext))
        .await
        .unwrap();
    assert!(token.id.starts_with("t-"));
    assert_eq!(token.last_used_at, None);
    // The plaintext is refused as a hash, and finds nothing as one.
    let err = store
        .create_token(&alice.id, "oops", plaintext)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    assert_eq!(store.user_by_token_hash(plaintext).await.unwrap(), None);
    // The hash finds its owner, and the use is noted.
    assert_eq!(
        store
            .user_by_token_hash(&hash_token(plaintext))
            .await
            .unwrap(),
        Some(alice.clone())
    );
    let listed = store.tokens(&alice.id).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(
        listed[0]
            .last_used_at
            .is_some_and(|t| t >= token.created_at)
    );
    assert!(store.tokens(&bob.id).await.unwrap().is_empty());
    // Only its owner can revoke a token.
    let err = store.revoke_token(&bob.id, &token.id).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    store.revoke_token(&alice.id, &token.id).await.unwrap();
    assert_eq!(
        store
            .user_by_token_hash(&hash_token(plaintext))
            .await
            .unwrap(),
        None
    );
    assert!(store.tokens(&alice.id).await.unwrap().is_empty());
    let err = store.revoke_token(&alice.id, &token.id).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
}

pub async fn project_slugs_are_unique(db: &TestDb) {
    let store = &db.store;
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let created = store
        .create_project(new_project("weather", &alice))
        .await
        .unwrap();
    assert!(created.id.starts_with("p-"));
    let err = store
        .create_project(new_project("weather", &bob))
        .await
        .unwrap_err();
    match err {
        StoreError::Conflict(message) => {
            assert!(message.contains("`weather` is taken"), "{message}")
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(store.projects_of(&bob.id).await.unwrap(), vec![]);
    let mut orphan = new_project("orphan", &alice);
    orphan.owner_id = "u-nobody".into();
    assert!(matches!(
        store.create_project(orphan).await,
        Err(StoreError::NotFound(_))
    ));
    let mut bad_repo = new_project("bad-repo", &alice);
    bad_repo.repo = Some("not a repo".into());
    assert!(matches!(
        store.create_project(bad_repo).await,
        Err(StoreError::Invalid(_))
    ));
}

pub async fn projects_are_listed_and_updated(db: &TestDb) {
    let store = &db.store;
    let alice = user(store, "alice").await;
    let zeta = store
        .create_project(new_project("zeta", &alice))
        .await
        .unwrap();
    let alpha = store
        .create_project(new_project("alpha", &alice))
        .await
        .unwrap();
    assert_eq!(store.project("zeta").await.unwrap(), Some(zeta.clone()));
    assert_eq!(
        store.project_by_id(&alpha.id).await.unwrap(),
        Some(alpha.clone())
    );
    assert_eq!(store.project("nope").await.unwrap(), None);
    assert_eq!(
        store.projects_of(&alice.id).await.unwrap(),
        vec![alpha.clone(), zeta.clone()]
    );
    // Repositories compare without case, as on GitHub.
    assert_eq!(
        store.project_by_repo("ALICE/Zeta").await.unwrap(),
        vec![zeta.clone()]
    );
    assert_eq!(store.project_by_repo("alice/other").await.unwrap(), vec![]);

    let limits = Limits {
        timeout_ms: 5_000,
        fresh_instance_per_call: true,
        ..Limits::default()
    };
    let update = ProjectUpdate {
        branch: Some("release".into()),
        limits: Some(limits.clone()),
        ..Default::default()
    };
    let updated = store.update_project(&zeta.id, update).await.unwrap();
    assert_eq!(
        updated,
        Project {
            branch: "release".into(),
            limits,
            ..zeta.clone()
        }
    );
    assert_eq!(
        store.project_by_id(&zeta.id).await.unwrap(),
        Some(updated.clone())
    );
    let unchanged = store
        .update_project(&zeta.id, ProjectUpdate::default())
        .await
        .unwrap();
    assert_eq!(unchanged, updated);
    assert!(
        updated.network_allow.is_empty(),
        "new projects allow no extra hosts"
    );
    let allow = vec![
        "api.example.com".to_string(),
        "*.example.org:8443".to_string(),
    ];
    let with_hosts = ProjectUpdate {
        network_allow: Some(allow.clone()),
        ..Default::default()
    };
    let updated = store.update_project(&zeta.id, with_hosts).await.unwrap();
    assert_eq!(updated.network_allow, allow);
    let listed = store.project_by_id(&zeta.id).await.unwrap().unwrap();
    assert_eq!(listed.network_allow, allow, "read back from the database");
    let cleared = ProjectUpdate {
        network_allow: Some(Vec::new()),
        ..Default::default()
    };
    let updated = store.update_project(&zeta.id, cleared).await.unwrap();
    assert!(updated.network_allow.is_empty());
    let err = store
        .update_project("p-missing", ProjectUpdate::default())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
}

pub async fn delete_project_cascades(db: &TestDb) {
    let store = &db.store;
    let doomed = project(store, "doomed").await;
    let kept = project(store, "kept").await;
    let mut doomed_deployments = Vec::new();
    for p in [&doomed, &kept] {
        let d = ready(store, p, Target::Production).await;
        store.promote(&d.id).await.unwrap();
        store
            .append_log(&d.id, &["building".into(), "done".into()])
            .await
            .unwrap();
        let var = EnvVar {
            key: "API_KEY".into(),
            value: "v".into(),
            secret: true,
            scope: EnvScope::All,
            updated_at: 0,
        };
        store.set_env(&p.id, var).await.unwrap();
        if p.id == doomed.id {
            doomed_deployments.push(d);
            doomed_deployments.push(deployment(store, p, Target::Preview { pr: 1 }).await);
        }
    }
    store.delete_project(&doomed.id).await.unwrap();
    assert_eq!(store.project("doomed").await.unwrap(), None);
    for d in &doomed_deployments {
        assert_eq!(store.deployment(&d.id).await.unwrap(), None);
        assert!(store.logs(&d.id, 0).await.unwrap().is_empty());
    }
    assert!(store.env(&doomed.id).await.unwrap().is_empty());
    assert!(store.unfinished_deployments().await.unwrap().is_empty());
    // The other project is untouched.
    let live = store.live_deployments().await.unwrap();
    assert_eq!(live.len(), 1);
    assert_eq!(live[0].0, kept);
    assert_eq!(store.logs(&live[0].1.id, 0).await.unwrap().len(), 2);
    assert_eq!(store.env(&kept.id).await.unwrap().len(), 1);
    // The slug is free again; deleting twice says so.
    assert!(matches!(
        store.delete_project(&doomed.id).await,
        Err(StoreError::NotFound(_))
    ));
    let owner = user(store, "doomed-owner").await;
    store
        .create_project(new_project("doomed", &owner))
        .await
        .unwrap();
}

pub async fn env_vars_upsert_by_key_and_scope(db: &TestDb) {
    let store = &db.store;
    let p = project(store, "envy").await;
    let var = |key: &str, value: &str, scope| EnvVar {
        key: key.into(),
        value: value.into(),
        secret: false,
        scope,
        updated_at: 0,
    };
    store
        .set_env(&p.id, var("MODE", "prod", EnvScope::Production))
        .await
        .unwrap();
    store
        .set_env(&p.id, var("MODE", "preview", EnvScope::Preview))
        .await
        .unwrap();
    store
        .set_env(&p.id, var("API_KEY", "old", EnvScope::All))
        .await
        .unwrap();
    store
        .set_env(
            &p.id,
            EnvVar {
                secret: true,
                ..var("API_KEY", "sealed:new", EnvScope::All)
            },
        )
        .await
        .unwrap();
    let env = store.env(&p.id).await.unwrap();
    let summary: Vec<_> = env
        .iter()
        .map(|v| (v.key.as_str(), v.scope, v.value.as_str(), v.secret))
        .collect();
    assert_eq!(
        summary,
        [
            ("API_KEY", EnvScope::All, "sealed:new", true),
            ("MODE", EnvScope::Preview, "preview", false),
            ("MODE", EnvScope::Production, "prod", false),
        ]
    );
    assert!(
        env.iter().all(|v| v.updated_at > 0),
        "the store stamps updated_at"
    );
    assert!(
        store
            .unset_env(&p.id, "MODE", EnvScope::Preview)
            .await
            .unwrap()
    );
    assert!(
        !store
            .unset_env(&p.id, "MODE", EnvScope::Preview)
            .await
            .unwrap()
    );
    assert_eq!(store.env(&p.id).await.unwrap().len(), 2);
    for bad in ["", "1ABC", "A-B", "A B"] {
        let err = store
            .set_env(&p.id, var(bad, "v", EnvScope::All))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{bad:?}: {err:?}");
    }
    let err = store
        .set_env("p-missing", var("A", "v", EnvScope::All))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
}

pub async fn webhook_deliveries_are_deduplicated(db: &TestDb) {
    let store = &db.store;
    assert!(
        store
            .record_delivery("72d3162e-cc78-11e3-81ab-4c9367dc0958")
            .await
            .unwrap()
    );
    assert!(
        !store
            .record_delivery("72d3162e-cc78-11e3-81ab-4c9367dc0958")
            .await
            .unwrap()
    );
    assert!(store.record_delivery("another-delivery").await.unwrap());
    // Concurrent redeliveries: exactly one is new.
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.record_delivery("raced").await.unwrap() })
        })
        .collect();
    let mut fresh = 0;
    for task in tasks {
        fresh += usize::from(task.await.unwrap());
    }
    assert_eq!(fresh, 1);
    assert!(matches!(
        store.record_delivery("").await,
        Err(StoreError::Invalid(_))
    ));
}

pub async fn data_survives_reopening(db: &TestDb) {
    let p = project(&db.store, "durable").await;
    let d = ready(&db.store, &p, Target::Production).await;
    db.store.promote(&d.id).await.unwrap();
    // A second process (or a restart) runs the migrations again and sees the same data.
    let reopened = db.reopen().await;
    assert_eq!(reopened.backend(), db.store.backend());
    assert_eq!(reopened.project("durable").await.unwrap(), Some(p));
    assert_eq!(
        live_ids(&reopened.live_deployments().await.unwrap()),
        [d.id.as_str()]
    );
    reopened.close().await;
}
