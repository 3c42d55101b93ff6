//! Private projects and their API keys.

use super::*;
use crate::support::TestDb;
use berth_store::NewApiKey;

fn new_key(project: &Project, name: &str, key: &str) -> NewApiKey {
    NewApiKey {
        project_id: project.id.clone(),
        name: name.into(),
        scopes: vec!["mcp".into()],
        key_hash: hash_token(key),
    }
}

pub async fn projects_are_public_until_made_private(db: &TestDb) {
    let store = &db.store;
    let p = project(store, "hidden").await;
    assert!(!p.private, "a new project is public");
    let private = ProjectUpdate {
        private: Some(true),
        ..Default::default()
    };
    let updated = store.update_project(&p.id, private).await.unwrap();
    assert_eq!(
        updated,
        Project {
            private: true,
            ..p.clone()
        }
    );
    // Another change leaves the flag as it is; the flag is read back on every path.
    let branch = ProjectUpdate {
        branch: Some("release".into()),
        ..Default::default()
    };
    assert!(store.update_project(&p.id, branch).await.unwrap().private);
    assert!(store.project("hidden").await.unwrap().unwrap().private);
    let d = ready(store, &p, Target::Production).await;
    store.promote(&d.id).await.unwrap();
    let live = store.live_deployments().await.unwrap();
    assert!(live[0].0.private, "the live deployments' projects carry it");
    let reopened = db.reopen().await;
    assert!(reopened.project("hidden").await.unwrap().unwrap().private);
    reopened.close().await;
    let public = ProjectUpdate {
        private: Some(false),
        ..Default::default()
    };
    assert!(!store.update_project(&p.id, public).await.unwrap().private);
}

pub async fn api_keys_are_kept_by_hash_and_revocable(db: &TestDb) {
    let store = &db.store;
    let a = project(store, "alpha").await;
    let b = project(store, "beta").await;
    let plaintext = "berth_pk_secret_value";
    let key = store
        .create_api_key(new_key(&a, "ci", plaintext))
        .await
        .unwrap();
    assert!(key.id.starts_with("k-") && key.id.len() == 18, "{}", key.id);
    assert_eq!(
        (key.name.as_str(), key.scopes.as_slice()),
        ("ci", &["mcp".to_string()][..])
    );
    assert_eq!(key.last_used_at, None);
    // Never in plain text; a name, scopes and a project are needed.
    let mut plain = new_key(&a, "oops", plaintext);
    plain.key_hash = plaintext.into();
    let err = store.create_api_key(plain).await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    let err = store
        .create_api_key(new_key(&a, " ", "other"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    for scopes in [vec![], vec!["two words".to_string()]] {
        let k = NewApiKey {
            scopes,
            ..new_key(&a, "bad", "other")
        };
        let err = store.create_api_key(k).await.unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    }
    let mut orphan = new_key(&a, "orphan", "orphan");
    orphan.project_id = "p-nobody".into();
    let err = store.create_api_key(orphan).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    let err = store
        .create_api_key(new_key(&b, "same", plaintext))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");

    let second = store
        .create_api_key(new_key(&a, "laptop", "berth_pk_second"))
        .await
        .unwrap();
    assert_eq!(
        store.api_keys(&a.id).await.unwrap(),
        vec![key.clone(), second.clone()]
    );
    assert!(store.api_keys(&b.id).await.unwrap().is_empty());
    let hashes = store.api_key_hashes(&a.id).await.unwrap();
    assert_eq!(
        hashes,
        vec![
            (key.clone(), hash_token(plaintext)),
            (second.clone(), hash_token("berth_pk_second"))
        ]
    );

    // Uses are noted; the time never goes back.
    let at = key.created_at + 5_000;
    store.note_api_key_used(&key.id, at).await.unwrap();
    store.note_api_key_used(&key.id, at - 1_000).await.unwrap();
    let listed = store.api_keys(&a.id).await.unwrap();
    assert_eq!(listed[0].last_used_at, Some(at));
    assert_eq!(listed[1].last_used_at, None);

    // Keys survive a restart.
    let reopened = db.reopen().await;
    assert_eq!(reopened.api_keys(&a.id).await.unwrap(), listed);
    reopened.close().await;

    // Only through its own project can a key be revoked.
    let err = store.revoke_api_key(&b.id, &key.id).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    store.revoke_api_key(&a.id, &key.id).await.unwrap();
    let err = store.revoke_api_key(&a.id, &key.id).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    assert_eq!(store.api_keys(&a.id).await.unwrap(), vec![second.clone()]);
    // A revoked key's late use changes nothing.
    store.note_api_key_used(&key.id, at + 1).await.unwrap();

    // Deleting the project deletes its keys.
    store.delete_project(&a.id).await.unwrap();
    assert!(store.api_key_hashes(&a.id).await.unwrap().is_empty());
    let again = store
        .create_api_key(new_key(&b, "reused", "berth_pk_second"))
        .await
        .unwrap();
    assert_eq!(again.project_id, b.id);
}
