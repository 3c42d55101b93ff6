//! What the OAuth authorization server remembers: clients, consents, single-use codes, rotated
//! refresh tokens and signing keys, across a reopening.

use super::*;
use crate::support::TestDb;
use berth_store::{
    ClientKind, CodeRedemption, NewOauthClient, NewOauthCode, NewRefreshToken, Rotation, SigningKey,
};

fn client(id: &str, kind: ClientKind) -> NewOauthClient {
    NewOauthClient {
        id: id.into(),
        kind,
        name: format!("{id} app"),
        redirect_uris: vec!["https://app.example/callback".into()],
        application_type: "web".into(),
        secret_hash: None,
        metadata_json: "{}".into(),
    }
}

fn code(hash: &str, grant_id: &str, expires_at: i64) -> NewOauthCode {
    NewOauthCode {
        code_hash: hash.into(),
        grant_id: grant_id.into(),
        client_id: "c-1".into(),
        redirect_uri: "https://app.example/callback".into(),
        code_challenge: "challenge".into(),
        resource: "https://berth.example/alpha/mcp".into(),
        scopes: vec!["mcp".into()],
        expires_at,
    }
}

fn refresh(hash: &str, grant_id: &str, family: &str, expires_at: i64) -> NewRefreshToken {
    NewRefreshToken {
        token_hash: hash.into(),
        grant_id: grant_id.into(),
        family: family.into(),
        client_id: "c-1".into(),
        resource: "https://berth.example/alpha/mcp".into(),
        scopes: vec!["mcp".into()],
        expires_at,
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

pub async fn oauth_clients_register_and_go_with_their_consents(db: &TestDb) {
    let store = &db.store;
    let p = project(store, "alpha").await;
    let owner = store.user(&p.owner_id).await.unwrap().unwrap();
    let made = store
        .create_oauth_client(client("c-1", ClientKind::Dynamic))
        .await
        .unwrap();
    assert_eq!(made.redirect_uris, ["https://app.example/callback"]);
    assert_eq!(store.oauth_client("c-1").await.unwrap(), Some(made.clone()));
    assert_eq!(store.oauth_client("c-2").await.unwrap(), None);
    let err = store
        .create_oauth_client(client("c-1", ClientKind::Registered))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    let mut plain = client("c-3", ClientKind::Registered);
    plain.secret_hash = Some("hunter2".into());
    let err = store.create_oauth_client(plain).await.unwrap_err();
    assert!(
        matches!(err, StoreError::Invalid(_)),
        "a secret is kept hashed: {err:?}"
    );
    store
        .create_oauth_client(client("fixed-id", ClientKind::Registered))
        .await
        .unwrap();
    let registered = store.oauth_clients(ClientKind::Registered).await.unwrap();
    assert_eq!(registered.len(), 1);
    assert_eq!(registered[0].id, "fixed-id");

    let scopes = vec!["mcp".to_string()];
    let grant = store
        .upsert_oauth_grant(&owner.id, "c-1", "c-1 app", &p.id, &scopes)
        .await
        .unwrap();
    let again = store
        .upsert_oauth_grant(&owner.id, "c-1", "c-1 app", &p.id, &scopes)
        .await
        .unwrap();
    assert_eq!(
        grant.id, again.id,
        "one consent per user, client and project"
    );
    assert_eq!(
        store.oauth_grants_of_user(&owner.id).await.unwrap(),
        vec![grant.clone()]
    );

    // A client nobody consented to is forgotten after a while; one with a consent stays.
    store
        .create_oauth_client(client("c-unused", ClientKind::Dynamic))
        .await
        .unwrap();
    assert_eq!(store.prune_dynamic_clients(now() + 1000).await.unwrap(), 1);
    assert!(store.oauth_client("c-unused").await.unwrap().is_none());
    assert!(store.oauth_client("c-1").await.unwrap().is_some());

    // A project's access rule: none until set, replaced when set again, gone with the project.
    assert_eq!(store.project_oauth_access(&p.id).await.unwrap(), None);
    store
        .set_project_oauth_access(&p.id, r#"{"users":["bob"]}"#)
        .await
        .unwrap();
    store
        .set_project_oauth_access(&p.id, r#"{"anyoneSignedIn":true}"#)
        .await
        .unwrap();
    assert_eq!(
        store.project_oauth_access(&p.id).await.unwrap().as_deref(),
        Some(r#"{"anyoneSignedIn":true}"#)
    );
    let err = store
        .set_project_oauth_access("p-nobody", "{}")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");

    // Deleting a client takes its consents with it.
    store.delete_oauth_client("c-1").await.unwrap();
    assert!(
        store
            .oauth_grants_of_user(&owner.id)
            .await
            .unwrap()
            .is_empty()
    );
    let err = store.delete_oauth_client("c-1").await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
}

pub async fn oauth_codes_are_single_use_and_a_replay_revokes_their_tokens(db: &TestDb) {
    let store = &db.store;
    let p = project(store, "alpha").await;
    let scopes = vec!["mcp".to_string()];
    let grant = store
        .upsert_oauth_grant(&p.owner_id, "c-1", "App", &p.id, &scopes)
        .await
        .unwrap();
    let t = now();
    let code_hash = hash_token("code-1");
    let err = store
        .create_oauth_code(code("code-in-clear", &grant.id, t + 60_000))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    store
        .create_oauth_code(code(&code_hash, &grant.id, t + 60_000))
        .await
        .unwrap();

    // A restarted process redeems what the first one recorded.
    let reopened = db.reopen().await;
    let CodeRedemption::Redeemed(redeemed) =
        reopened.redeem_oauth_code(&code_hash, t).await.unwrap()
    else {
        panic!("the first use redeems the code");
    };
    reopened.close().await;
    assert_eq!(redeemed.user_id, p.owner_id);
    assert_eq!(redeemed.project_id, p.id);
    assert_eq!(redeemed.code_challenge, "challenge");
    assert_eq!(redeemed.scopes, scopes);

    let first = hash_token("refresh-1");
    store
        .create_refresh_token(refresh(&first, &grant.id, &code_hash, t + 3_600_000))
        .await
        .unwrap();
    assert!(store.refresh_token(&first, t).await.unwrap().is_some());
    // The code again: refused, and the tokens it led to are revoked.
    assert_eq!(
        store.redeem_oauth_code(&code_hash, t + 1).await.unwrap(),
        CodeRedemption::Replayed(1)
    );
    assert!(store.refresh_token(&first, t).await.unwrap().is_none());
    assert_eq!(
        store
            .redeem_oauth_code(&hash_token("never"), t)
            .await
            .unwrap(),
        CodeRedemption::Unknown
    );

    // An expired code redeems nothing.
    let old = hash_token("code-old");
    store
        .create_oauth_code(code(&old, &grant.id, t - 1))
        .await
        .unwrap();
    assert_eq!(
        store.redeem_oauth_code(&old, t).await.unwrap(),
        CodeRedemption::Unknown
    );
    assert!(store.prune_oauth(t).await.unwrap() >= 1);
}

pub async fn refresh_tokens_rotate_and_a_reuse_revokes_the_family(db: &TestDb) {
    let store = &db.store;
    let p = project(store, "alpha").await;
    let scopes = vec!["mcp".to_string()];
    let grant = store
        .upsert_oauth_grant(&p.owner_id, "c-1", "App", &p.id, &scopes)
        .await
        .unwrap();
    let t = now();
    let family = hash_token("the code");
    let (r1, r2, r3) = (hash_token("r1"), hash_token("r2"), hash_token("r3"));
    let later = t + 3_600_000;
    store
        .create_refresh_token(refresh(&r1, &grant.id, &family, later))
        .await
        .unwrap();
    let found = store.refresh_token(&r1, t).await.unwrap().unwrap();
    assert_eq!(
        (found.used_at, found.project_id.as_str()),
        (None, p.id.as_str())
    );

    // Across a reopening, as two refreshes with a restart between them would be.
    let reopened = db.reopen().await;
    let rotated = reopened
        .rotate_refresh_token(&r1, refresh(&r2, &grant.id, &family, later), t)
        .await
        .unwrap();
    reopened.close().await;
    assert_eq!(rotated, Rotation::Rotated);
    assert!(
        store
            .refresh_token(&r1, t)
            .await
            .unwrap()
            .unwrap()
            .used_at
            .is_some()
    );
    assert!(store.refresh_token(&r2, t).await.unwrap().is_some());

    // The spent one again: the whole family goes, nothing new is recorded.
    let reused = store
        .rotate_refresh_token(&r1, refresh(&r3, &grant.id, &family, later), t)
        .await
        .unwrap();
    assert_eq!(reused, Rotation::Reused(2));
    for gone in [&r1, &r2, &r3] {
        assert!(store.refresh_token(gone, t).await.unwrap().is_none());
    }
    assert_eq!(
        store
            .rotate_refresh_token(
                &hash_token("nope"),
                refresh(&r3, &grant.id, &family, later),
                t
            )
            .await
            .unwrap(),
        Rotation::Unknown
    );

    // Revocation (RFC 7009) takes the family, and only for the client it was issued to.
    let fam2 = hash_token("code 2");
    let r4 = hash_token("r4");
    store
        .create_refresh_token(refresh(&r4, &grant.id, &fam2, later))
        .await
        .unwrap();
    assert!(
        !store
            .revoke_refresh_token(&r4, "another-client")
            .await
            .unwrap()
    );
    assert!(store.revoke_refresh_token(&r4, "c-1").await.unwrap());
    assert!(store.refresh_token(&r4, t).await.unwrap().is_none());

    // Revoking the consent ends every token of it.
    let r5 = hash_token("r5");
    store
        .create_refresh_token(refresh(&r5, &grant.id, &fam2, later))
        .await
        .unwrap();
    store
        .revoke_oauth_grant(&p.owner_id, &grant.id)
        .await
        .unwrap();
    assert!(store.refresh_token(&r5, t).await.unwrap().is_none());
    let err = store
        .create_refresh_token(refresh(&hash_token("r6"), &grant.id, &fam2, later))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
}

pub async fn signing_keys_are_kept_and_retired(db: &TestDb) {
    let store = &db.store;
    let key = |kid: &str, at: i64| SigningKey {
        kid: kid.into(),
        alg: "ES256".into(),
        private_sealed: "berth-secret:v1:...".into(),
        public_jwk: format!(r#"{{"kid":"{kid}"}}"#),
        created_at: at,
    };
    store.add_signing_key(&key("k1", 1000)).await.unwrap();
    store.add_signing_key(&key("k2", 2000)).await.unwrap();
    let err = store.add_signing_key(&key("k2", 3000)).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    let reopened = db.reopen().await;
    let kids: Vec<String> = reopened
        .signing_keys()
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.kid)
        .collect();
    reopened.close().await;
    assert_eq!(kids, ["k1", "k2"]);
    assert_eq!(store.delete_signing_keys_before(1500).await.unwrap(), 1);
    assert_eq!(store.signing_keys().await.unwrap(), vec![key("k2", 2000)]);
    assert!(!format!("{:?}", key("k3", 1)).contains("berth-secret"));
}
