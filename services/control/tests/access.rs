//! Private projects and their API keys through the REST API: the setting, keys made, listed and
//! revoked by the owner only, and what the edges are told (the route's access rule).

mod support;

use axum::http::{Method, StatusCode};
use berth_control::{BuildQueue, KeyUses, LiveRoute, access_for};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use support::{Harness, Recorded, user};

fn sha256(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Whether the route lets `token` in.
fn admits(route: &LiveRoute, token: &str) -> bool {
    !route.access.private || route.access.key(&sha256(token)).is_some()
}

async fn patch(h: &Harness, slug: &str, token: &str, body: serde_json::Value) -> support::Reply {
    let path = format!("/api/v1/projects/{slug}");
    h.api(Method::PATCH, &path, token, Some(body)).await
}

async fn create_key(
    h: &Harness,
    slug: &str,
    token: &str,
    body: serde_json::Value,
) -> support::Reply {
    let path = format!("/api/v1/projects/{slug}/api-keys");
    h.api(Method::POST, &path, token, Some(body)).await
}

#[tokio::test]
async fn a_project_is_made_private_and_its_live_routes_follow() {
    let h = Harness::new().await;
    let alice = h.alice_token.clone();
    h.deploy("tools", &alice, "v1").await;
    let shown = h
        .api(Method::GET, "/api/v1/projects/tools", &alice, None)
        .await;
    assert_eq!(shown.json["private"], false, "{}", shown.json);
    assert!(!h.last_route("tools").access.private);

    let reply = patch(&h, "tools", &alice, json!({"private": true})).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    assert_eq!(reply.json["private"], true);
    assert_eq!(reply.json["liveDeploymentsUpdated"], 1);
    let route = h.last_route("tools");
    assert!(route.access.private && route.access.key_count() == 0);
    let listed = h.api(Method::GET, "/api/v1/projects", &alice, None).await;
    assert_eq!(listed.json["projects"][0]["private"], true);
    // The other settings stay as they were.
    assert_eq!(reply.json["branch"], "main");

    // Only a boolean, with a message saying so.
    for bad in [json!("yes"), json!(1), json!({"on": true})] {
        let reply = patch(&h, "tools", &alice, json!({"private": bad})).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.json);
        let message = reply.json["error"]["message"].as_str().unwrap();
        assert!(message.contains("`private` is true"), "{message}");
    }
    // Someone else cannot change it (nor learn the project exists).
    let (_, bob) = user(&h.store, "bob").await;
    let reply = patch(&h, "tools", &bob, json!({"private": false})).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert!(h.last_route("tools").access.private);

    let reply = patch(&h, "tools", &alice, json!({"private": false})).await;
    assert_eq!(reply.json["private"], false);
    assert!(!h.last_route("tools").access.private);
}

#[tokio::test]
async fn keys_are_shown_once_listed_without_secrets_and_revoked_at_once() {
    let h = Harness::new().await;
    let alice = h.alice_token.clone();
    h.deploy("tools", &alice, "v1").await;
    patch(&h, "tools", &alice, json!({"private": true})).await;

    let made = create_key(&h, "tools", &alice, json!({"name": "ci"})).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.json);
    let token = made.json["token"].as_str().unwrap().to_string();
    let body = token.strip_prefix("berth_pk_").expect("prefixed");
    assert_eq!(body.len(), 43);
    assert!(
        body.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    assert_eq!(made.json["scopes"], json!(["mcp"]));
    assert_eq!(made.json["name"], "ci");
    assert_eq!(made.json["liveDeploymentsUpdated"], 1);
    let id = made.json["id"].as_str().unwrap().to_string();
    assert!(admits(&h.last_route("tools"), &token));
    assert!(!admits(&h.last_route("tools"), "berth_pk_guess"));

    // Listed without the token or its hash.
    let listed = h
        .api(Method::GET, "/api/v1/projects/tools/api-keys", &alice, None)
        .await;
    assert_eq!(listed.status, StatusCode::OK);
    let keys = listed.json["apiKeys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["id"], id.as_str());
    assert_eq!(keys[0]["lastUsedAt"], serde_json::Value::Null);
    assert!(keys[0]["createdAt"].is_i64());
    let text = listed.json.to_string();
    let hash = berth_store::hash_token(&token);
    assert!(!text.contains(body) && !text.contains(&hash), "{text}");
    let stored = h
        .store
        .api_key_hashes(&h.last_route("tools").project_id)
        .await;
    assert_eq!(stored.unwrap()[0].1, hash, "only the SHA-256 is stored");

    // Scopes: the one there is, explicitly; an unknown one names the allowed ones.
    let explicit = create_key(&h, "tools", &alice, json!({"name": "b", "scopes": ["mcp"]})).await;
    assert_eq!(explicit.status, StatusCode::CREATED);
    let unknown = create_key(
        &h,
        "tools",
        &alice,
        json!({"name": "c", "scopes": ["admin"]}),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    let message = unknown.json["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("`admin`") && message.contains("mcp"),
        "{message}"
    );
    for bad in [
        json!({"name": ""}),
        json!({"name": "x".repeat(101)}),
        json!({}),
    ] {
        let reply = create_key(&h, "tools", &alice, bad).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.json);
    }

    // Revoked: gone from the list and from the live route.
    let path = format!("/api/v1/projects/tools/api-keys/{id}");
    let revoked = h.api(Method::DELETE, &path, &alice, None).await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    assert!(!admits(&h.last_route("tools"), &token));
    let again = h.api(Method::DELETE, &path, &alice, None).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    let listed = h
        .api(Method::GET, "/api/v1/projects/tools/api-keys", &alice, None)
        .await;
    assert_eq!(listed.json["apiKeys"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn only_the_owner_manages_keys_and_a_key_opens_only_its_project() {
    let h = Harness::new().await;
    let alice = h.alice_token.clone();
    let (_, bob) = user(&h.store, "bob").await;
    h.deploy("alices", &alice, "a").await;
    h.deploy("bobs", &bob, "b").await;
    for (slug, token) in [("alices", &alice), ("bobs", &bob)] {
        patch(&h, slug, token, json!({"private": true})).await;
    }
    let made = create_key(&h, "alices", &alice, json!({"name": "ci"})).await;
    let token = made.json["token"].as_str().unwrap().to_string();
    let id = made.json["id"].as_str().unwrap().to_string();

    // Bob can neither make, list nor revoke Alice's keys: her project is "not found" to him.
    let reply = create_key(&h, "alices", &bob, json!({"name": "mine"})).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let reply = h
        .api(Method::GET, "/api/v1/projects/alices/api-keys", &bob, None)
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let path = format!("/api/v1/projects/alices/api-keys/{id}");
    let reply = h.api(Method::DELETE, &path, &bob, None).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    // Nor revoke it through his own project.
    let path = format!("/api/v1/projects/bobs/api-keys/{id}");
    let reply = h.api(Method::DELETE, &path, &bob, None).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert!(admits(&h.last_route("alices"), &token));
    // Alice's key does not open Bob's project.
    assert!(!admits(&h.last_route("bobs"), &token));
    // Without a sign-in, nothing.
    let reply = h
        .api(
            Method::GET,
            "/api/v1/projects/alices/api-keys",
            "nobody",
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn keys_survive_a_restart_and_their_use_is_noted() {
    let h = Harness::new().await;
    let alice = h.alice_token.clone();
    h.deploy("tools", &alice, "v1").await;
    patch(&h, "tools", &alice, json!({"private": true})).await;
    let made = create_key(&h, "tools", &alice, json!({"name": "ci"})).await;
    let token = made.json["token"].as_str().unwrap().to_string();
    let id = made.json["id"].as_str().unwrap().to_string();

    // A restarted control plane publishes the route with the key from the database.
    let store = berth_store::Store::connect(&h.db_url()).await.unwrap();
    let routes = Arc::new(Recorded::default());
    let queue = BuildQueue::start(
        store.clone(),
        Arc::new(support::ReadingBuilds),
        routes.clone(),
        h.sources_dir(),
        1,
    );
    queue.recover().await.unwrap();
    let route = routes.0.lock().unwrap().last().cloned().expect("a route");
    assert_eq!(route.slug.as_str(), "tools");
    assert!(admits(&route, &token) && !admits(&route, "berth_pk_guess"));

    // Uses are written by a task, never waited for by the request.
    let project = store.project("tools").await.unwrap().unwrap();
    let access = access_for(&store, &project).await.unwrap();
    assert_eq!(access.key(&sha256(&token)).unwrap().id, id);
    let uses = KeyUses::start(store.clone());
    let at = made.json["createdAt"].as_i64().unwrap() + 1_000;
    uses.note(&id, at);
    uses.flush().await;
    let listed = h
        .api(Method::GET, "/api/v1/projects/tools/api-keys", &alice, None)
        .await;
    assert_eq!(listed.json["apiKeys"][0]["lastUsedAt"], at);
}
