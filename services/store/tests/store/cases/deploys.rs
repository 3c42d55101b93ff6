//! Deployments: lifecycle, promotion, previews, build logs.

use super::*;
use crate::support::TestDb;

pub async fn deployment_lifecycle_and_unfinished(db: &TestDb) {
    let store = &db.store;
    let p = project(store, "life").await;
    let first = deployment(store, &p, Target::Production).await;
    let second = deployment(store, &p, Target::Preview { pr: 3 }).await;
    let third = deployment(store, &p, Target::Production).await;
    assert!(
        first.id.starts_with("d-") && first.id.len() == 18,
        "{}",
        first.id
    );
    assert_eq!(
        (first.status, first.live, first.started_at),
        (DeploymentStatus::Queued, false, None)
    );
    assert_eq!(first.source, git("abc123"));
    assert_eq!(second.target, Target::Preview { pr: 3 });

    store.mark_building(&second.id).await.unwrap();
    store
        .mark_failed(&third.id, "componentize-py: no module named server")
        .await
        .unwrap();
    let ids = |ds: Vec<Deployment>| ds.into_iter().map(|d| d.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.unfinished_deployments().await.unwrap()),
        [first.id.clone(), second.id.clone()]
    );

    let failed = store.deployment(&third.id).await.unwrap().unwrap();
    assert_eq!(failed.status, DeploymentStatus::Failed);
    assert_eq!(
        failed.error.as_deref(),
        Some("componentize-py: no module named server")
    );
    assert!(failed.finished_at.is_some());
    // Finished builds do not change again.
    let err = store.mark_building(&third.id).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::Invalid(m) if m.contains("failed")),
        "{err:?}"
    );
    assert!(matches!(
        store.mark_ready(&third.id, "a", "{}").await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store.mark_building("d-missing").await,
        Err(StoreError::NotFound(_))
    ));

    store
        .mark_ready(&second.id, "artifact-2", r#"{"name":"s"}"#)
        .await
        .unwrap();
    let built = store.deployment(&second.id).await.unwrap().unwrap();
    assert_eq!(built.status, DeploymentStatus::Ready);
    assert!(!built.live, "ready is not live until promoted");
    assert_eq!(built.artifact.as_deref(), Some("artifact-2"));
    assert_eq!(built.description_json.as_deref(), Some(r#"{"name":"s"}"#));
    assert!(built.started_at.is_some() && built.finished_at >= built.started_at);
    assert_eq!(
        ids(store.unfinished_deployments().await.unwrap()),
        [first.id.as_str()]
    );

    // Newest first, limited.
    assert_eq!(
        ids(store.deployments(&p.id, 10).await.unwrap()),
        [third.id.clone(), second.id, first.id]
    );
    assert_eq!(ids(store.deployments(&p.id, 1).await.unwrap()), [third.id]);

    let bad = NewDeployment {
        project_id: p.id.clone(),
        target: Target::Production,
        source: Source::default(),
    };
    assert!(matches!(
        store.create_deployment(bad).await,
        Err(StoreError::Invalid(_))
    ));
    let orphan = NewDeployment {
        project_id: "p-missing".into(),
        target: Target::Production,
        source: git("a"),
    };
    assert!(matches!(
        store.create_deployment(orphan).await,
        Err(StoreError::NotFound(_))
    ));
}

pub async fn promote_supersedes_and_rolls_back(db: &TestDb) {
    let store = &db.store;
    let p = project(store, "roll").await;
    let v1 = ready(store, &p, Target::Production).await;
    let promoted = store.promote(&v1.id).await.unwrap();
    assert_eq!(
        (promoted.status, promoted.live),
        (DeploymentStatus::Ready, true)
    );

    let v2 = ready(store, &p, Target::Production).await;
    store.promote(&v2.id).await.unwrap();
    assert_eq!(
        status_of(store, &v2.id).await,
        (DeploymentStatus::Ready, true)
    );
    let old = store.deployment(&v1.id).await.unwrap().unwrap();
    assert_eq!(
        (old.status, old.live),
        (DeploymentStatus::Superseded, false)
    );
    assert_eq!(
        old.artifact, v1.artifact,
        "a superseded deployment keeps its artifact for rollback"
    );
    assert_eq!(
        live_ids(&store.live_deployments().await.unwrap()),
        [v2.id.as_str()]
    );

    // Rollback: the older deployment goes live again, the newer is superseded.
    let back = store.promote(&v1.id).await.unwrap();
    assert_eq!((back.status, back.live), (DeploymentStatus::Ready, true));
    assert_eq!(
        status_of(store, &v2.id).await,
        (DeploymentStatus::Superseded, false)
    );
    assert_eq!(
        live_ids(&store.live_deployments().await.unwrap()),
        [v1.id.as_str()]
    );
    // Promoting the live deployment again changes nothing.
    assert_eq!(store.promote(&v1.id).await.unwrap(), back);

    // Only a built deployment can go live, and a refused promotion leaves everything as it was.
    let queued = deployment(store, &p, Target::Production).await;
    let err = store.promote(&queued.id).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::Invalid(m) if m.contains("queued")),
        "{err:?}"
    );
    let failed = deployment(store, &p, Target::Production).await;
    store.mark_failed(&failed.id, "boom").await.unwrap();
    assert!(matches!(
        store.promote(&failed.id).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store.promote("d-missing").await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(
        live_ids(&store.live_deployments().await.unwrap()),
        [v1.id.as_str()]
    );
    assert_eq!(
        status_of(store, &v2.id).await,
        (DeploymentStatus::Superseded, false)
    );
}

pub async fn concurrent_promotions_leave_one_live(db: &TestDb) {
    let store = &db.store;
    let p = project(store, "race").await;
    let mut candidates = Vec::new();
    for _ in 0..8 {
        candidates.push(ready(store, &p, Target::Production).await);
    }
    let tasks: Vec<_> = candidates
        .iter()
        .map(|d| {
            let (store, id) = (store.clone(), d.id.clone());
            tokio::spawn(async move { store.promote(&id).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let live = store.live_deployments().await.unwrap();
    assert_eq!(live.len(), 1, "exactly one live production deployment");
    let mut superseded = 0;
    for d in &candidates {
        let (status, is_live) = status_of(store, &d.id).await;
        match status {
            DeploymentStatus::Superseded => superseded += 1,
            DeploymentStatus::Ready => {
                assert!(is_live, "{} ready but not live after it was promoted", d.id)
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(superseded, candidates.len() - 1);
}

pub async fn previews_are_separate_from_production(db: &TestDb) {
    let store = &db.store;
    let p = project(store, "pre").await;
    let other = project(store, "other").await;
    let prod = ready(store, &p, Target::Production).await;
    let pr7 = ready(store, &p, Target::Preview { pr: 7 }).await;
    let pr8 = ready(store, &p, Target::Preview { pr: 8 }).await;
    let other_prod = ready(store, &other, Target::Production).await;
    for d in [&prod, &pr7, &pr8, &other_prod] {
        store.promote(&d.id).await.unwrap();
    }
    let live = store.live_deployments().await.unwrap();
    assert_eq!(
        live_ids(&live),
        [
            other_prod.id.as_str(),
            prod.id.as_str(),
            pr7.id.as_str(),
            pr8.id.as_str()
        ]
    );
    assert!(live.iter().all(|(project, d)| project.id == d.project_id));
    assert_eq!(live[2].1.target, Target::Preview { pr: 7 });

    // A new build of PR 7 replaces only PR 7's preview.
    let pr7b = ready(store, &p, Target::Preview { pr: 7 }).await;
    store.promote(&pr7b.id).await.unwrap();
    assert_eq!(
        status_of(store, &pr7.id).await,
        (DeploymentStatus::Superseded, false)
    );
    for d in [&prod, &pr8, &pr7b, &other_prod] {
        assert_eq!(
            status_of(store, &d.id).await,
            (DeploymentStatus::Ready, true),
            "{}",
            d.id
        );
    }
    // Closing PR 7 takes its preview offline, and nothing else.
    assert!(store.retire_preview(&p.id, 7).await.unwrap());
    assert!(!store.retire_preview(&p.id, 7).await.unwrap());
    let live = store.live_deployments().await.unwrap();
    assert_eq!(
        live_ids(&live),
        [other_prod.id.as_str(), prod.id.as_str(), pr8.id.as_str()]
    );
    let new = NewDeployment {
        project_id: p.id.clone(),
        target: Target::Preview { pr: 0 },
        source: git("a"),
    };
    assert!(matches!(
        store.create_deployment(new).await,
        Err(StoreError::Invalid(_))
    ));
}

pub async fn logs_keep_their_order(db: &TestDb) {
    let store = &db.store;
    let p = project(store, "logs").await;
    let d = deployment(store, &p, Target::Production).await;
    let other = deployment(store, &p, Target::Production).await;
    store
        .append_log(&d.id, &["one".into(), "two".into(), "three".into()])
        .await
        .unwrap();
    store
        .append_log(&other.id, &["elsewhere".into()])
        .await
        .unwrap();
    store.append_log(&d.id, &[]).await.unwrap();
    store
        .append_log(&d.id, &["four".into(), "five".into()])
        .await
        .unwrap();
    let all = store.logs(&d.id, 0).await.unwrap();
    let expected: Vec<(i64, String)> = ["one", "two", "three", "four", "five"]
        .iter()
        .zip(1..)
        .map(|(l, seq)| (seq, l.to_string()))
        .collect();
    assert_eq!(all, expected);
    assert_eq!(store.logs(&d.id, 3).await.unwrap(), expected[3..]);
    assert_eq!(store.logs(&d.id, 5).await.unwrap(), vec![]);
    assert_eq!(
        store.logs(&other.id, 0).await.unwrap(),
        vec![(1, "elsewhere".to_string())]
    );

    // A large batch is stored whole and in order; an overlong line is cut.
    let batch: Vec<String> = (0..750).map(|i| format!("line {i}")).collect();
    store.append_log(&d.id, &batch).await.unwrap();
    store
        .append_log(&d.id, &["x".repeat(100_000)])
        .await
        .unwrap();
    let all = store.logs(&d.id, 5).await.unwrap();
    assert_eq!(all.len(), 751);
    assert!(all.iter().zip(6..).all(|((seq, _), want)| *seq == want));
    assert_eq!(all[0].1, "line 0");
    assert_eq!(all[749].1, "line 749");
    assert!(all[750].1.len() <= berth_store::MAX_LOG_LINE_BYTES && all[750].1.ends_with("..."));
    let err = store
        .append_log("d-missing", &["x".into()])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
}

pub async fn concurrent_log_appends_never_share_a_number(db: &TestDb) {
    let store = &db.store;
    let p = project(store, "busy").await;
    let d = deployment(store, &p, Target::Production).await;
    let tasks: Vec<_> = (0..6)
        .map(|writer| {
            let (store, id) = (store.clone(), d.id.clone());
            tokio::spawn(async move {
                for batch in 0..5 {
                    let lines = vec![
                        format!("w{writer} b{batch} a"),
                        format!("w{writer} b{batch} b"),
                    ];
                    store.append_log(&id, &lines).await.unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let all = store.logs(&d.id, 0).await.unwrap();
    assert_eq!(
        all.iter().map(|(seq, _)| *seq).collect::<Vec<_>>(),
        (1..=60).collect::<Vec<_>>()
    );
    // Each batch's lines stay together.
    for pair in all.chunks(2) {
        assert_eq!(
            pair[0].1.trim_end_matches(" a"),
            pair[1].1.trim_end_matches(" b"),
            "{pair:?}"
        );
    }
}

pub async fn fetched_commits_fill_in_what_was_unknown(db: &TestDb) {
    let store = &db.store;
    let p = project(store, "first").await;
    // A new project's first build: its commit is known only once fetched.
    let first = store
        .create_deployment(NewDeployment {
            project_id: p.id.clone(),
            target: Target::Production,
            source: Source {
                kind: "github".into(),
                branch: Some("main".into()),
                ..Source::default()
            },
        })
        .await
        .unwrap();
    assert_eq!(first.source.commit, None);
    let long = "x".repeat(5000);
    store
        .record_fetched(&first.id, "def456", "Octo Cat", &long)
        .await
        .unwrap();
    let got = store.deployment(&first.id).await.unwrap().unwrap();
    assert_eq!(got.source.commit.as_deref(), Some("def456"));
    assert_eq!(got.source.author.as_deref(), Some("Octo Cat"));
    assert!(got.source.message.is_some_and(|m| m.len() <= 1024));
    // A push's deployment keeps what its webhook said.
    let pushed = deployment(store, &p, Target::Production).await;
    store
        .record_fetched(&pushed.id, "other", "someone", "another message")
        .await
        .unwrap();
    let kept = store.deployment(&pushed.id).await.unwrap().unwrap();
    assert_eq!(kept.source.commit.as_deref(), Some("abc123"));
}

/// A preview exists first: a project named like it is refused, so the preview keeps its URL.
pub async fn no_project_takes_a_preview_url(db: &TestDb) {
    let store = &db.store;
    let base = project(store, "foo").await;
    let preview = ready(store, &base, Target::Preview { pr: 1 }).await;
    store.promote(&preview.id).await.unwrap();
    let owner = user(store, "mallory").await;
    for slug in ["foo-pr-1", "foo-pr-2", "bar-pr-10"] {
        let err = store
            .create_project(new_project(slug, &owner))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::Invalid(m) if m.contains("pull-request previews")),
            "{slug}: {err:?}"
        );
        assert!(store.project(slug).await.unwrap().is_none());
    }
    let live = store.live_deployments().await.unwrap();
    assert_eq!(live_ids(&live), [preview.id.as_str()]);
}

/// A project named in the preview form exists first (made before such names were kept for previews):
/// it keeps its URL, and the preview that would take it is refused, at creation and at promotion.
pub async fn no_preview_takes_a_project_url(db: &TestDb) {
    let store = &db.store;
    let base = project(store, "foo").await;
    // A preview recorded before the rule, waiting to go live.
    let early = ready(store, &base, Target::Preview { pr: 1 }).await;
    let legacy = project(store, "legacy").await;
    db.execute(&format!(
        "UPDATE projects SET slug = 'foo-pr-1' WHERE id = '{}'",
        legacy.id
    ))
    .await;
    let legacy_prod = ready(store, &legacy, Target::Production).await;
    store.promote(&legacy_prod.id).await.unwrap();

    let err = store
        .create_deployment(NewDeployment {
            project_id: base.id.clone(),
            target: Target::Preview { pr: 1 },
            source: git("abc123"),
        })
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Conflict(m) if m.contains("the project `foo-pr-1` owns")),
        "{err:?}"
    );
    let err = store.promote(&early.id).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    // The legacy project's own pull requests get no preview either.
    let err = store
        .create_deployment(NewDeployment {
            project_id: legacy.id.clone(),
            target: Target::Preview { pr: 2 },
            source: git("abc123"),
        })
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Invalid(m) if m.contains("its pull requests get no preview")),
        "{err:?}"
    );
    // Other pull requests of `foo` still get previews.
    let pr2 = ready(store, &base, Target::Preview { pr: 2 }).await;
    store.promote(&pr2.id).await.unwrap();

    // A preview that went live at the project's URL before the rule is not served after a restart.
    db.execute(&format!(
        "UPDATE deployments SET live = TRUE WHERE id = '{}'",
        early.id
    ))
    .await;
    let live = store.live_deployments().await.unwrap();
    assert_eq!(live_ids(&live), [pr2.id.as_str(), legacy_prod.id.as_str()]);
}
