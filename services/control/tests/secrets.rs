//! Environment variables and secrets through the real router: a secret is sealed in the database and
//! never shown again, reaches the live deployment at once (no rebuild), and a tampered or moved
//! ciphertext is refused; names, scopes and sizes are checked; rollback puts the previous deployment
//! back.

mod support;

use axum::http::{Method, StatusCode};
use berth_control::{Keyring, environment_for};
use berth_store::{EnvScope, EnvVar};
use serde_json::json;
use support::Harness;

fn env_of(route: &berth_control::LiveRoute, key: &str) -> Option<String> {
    route
        .env
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
}

#[tokio::test]
async fn secrets_are_sealed_never_shown_and_reach_live_deployments() {
    let h = Harness::new().await;
    let d = h.deploy("greeter", &h.alice_token, "v1").await;
    assert_eq!(d["live"], true, "{d}");
    let builds = h.routes.0.lock().unwrap().len();

    let h = &h;
    let put = |key: &str, body: serde_json::Value| {
        let path = format!("/api/v1/projects/greeter/env/{key}");
        async move { h.api(Method::PUT, &path, &h.alice_token, Some(body)).await }
    };
    let plain = put("MODE", json!({"value": "fast"})).await;
    assert_eq!(plain.status, StatusCode::OK, "{}", plain.json);
    assert_eq!(plain.json["value"], "fast");
    let secret = put("GREETING", json!({"value": "hello, world", "secret": true})).await;
    assert_eq!(secret.status, StatusCode::OK, "{}", secret.json);
    assert_eq!(secret.json["secret"], true);
    assert!(
        secret.json.get("value").is_none(),
        "a secret is never returned: {}",
        secret.json
    );
    assert_eq!(secret.json["liveDeploymentsUpdated"], 1);

    let listed = h
        .api(
            Method::GET,
            "/api/v1/projects/greeter/env",
            &h.alice_token,
            None,
        )
        .await
        .json;
    assert!(!listed.to_string().contains("hello, world"), "{listed}");
    assert_eq!(listed["env"].as_array().unwrap().len(), 2);

    let project = h.store.project("greeter").await.unwrap().unwrap();
    let stored = h.store.env(&project.id).await.unwrap();
    let sealed = stored.iter().find(|v| v.key == "GREETING").unwrap();
    assert!(
        sealed.secret && sealed.value.starts_with("berth-secret:v1:"),
        "{sealed:?}"
    );
    assert!(
        !sealed.value.contains("hello"),
        "ciphertext, not plaintext, in the database"
    );

    // The live deployment got the new environment without a new build.
    let route = h.last_route("greeter");
    assert_eq!(route.deployment_id, d["id"].as_str().unwrap());
    assert_eq!(env_of(&route, "GREETING").as_deref(), Some("hello, world"));
    assert_eq!(env_of(&route, "MODE").as_deref(), Some("fast"));
    assert_eq!(
        h.routes.0.lock().unwrap().len(),
        builds + 2,
        "one publish per change"
    );

    // A production-scoped value wins over an unscoped one for production, not for previews.
    put("MODE", json!({"value": "careful", "scope": "production"})).await;
    let prod = environment_for(&h.store, h.state.queue.secrets(), &project.id, false)
        .await
        .unwrap();
    let preview = environment_for(&h.store, h.state.queue.secrets(), &project.id, true)
        .await
        .unwrap();
    assert!(
        prod.contains(&("MODE".into(), "careful".into()))
            && !prod.contains(&("MODE".into(), "fast".into()))
    );
    assert!(preview.contains(&("MODE".into(), "fast".into())));

    let unset = h
        .api(
            Method::DELETE,
            "/api/v1/projects/greeter/env/GREETING",
            &h.alice_token,
            None,
        )
        .await;
    assert_eq!(unset.status, StatusCode::NO_CONTENT);
    assert_eq!(
        env_of(&h.last_route("greeter"), "GREETING"),
        None,
        "unset reaches the live deployment"
    );
    let again = h
        .api(
            Method::DELETE,
            "/api/v1/projects/greeter/env/GREETING",
            &h.alice_token,
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn names_scopes_and_sizes_are_checked() {
    let h = Harness::new().await;
    h.deploy("checked", &h.alice_token, "v1").await;
    let cases = [
        (
            "1ABC",
            json!({"value": "x"}),
            StatusCode::BAD_REQUEST,
            "not a valid variable name",
        ),
        (
            "A-B",
            json!({"value": "x"}),
            StatusCode::BAD_REQUEST,
            "not a valid variable name",
        ),
        (
            "OK",
            json!({"value": "x", "scope": "staging"}),
            StatusCode::BAD_REQUEST,
            "not one of all",
        ),
        (
            "OK",
            json!({"value": "a\u{0}b"}),
            StatusCode::BAD_REQUEST,
            "NUL",
        ),
        (
            "OK",
            json!({"value": "x".repeat(40_000)}),
            StatusCode::PAYLOAD_TOO_LARGE,
            "larger than",
        ),
        (
            "OK",
            json!({"valeur": "x"}),
            StatusCode::BAD_REQUEST,
            "not the JSON expected",
        ),
    ];
    for (key, body, status, message) in cases {
        let reply = h
            .api(
                Method::PUT,
                &format!("/api/v1/projects/checked/env/{key}"),
                &h.alice_token,
                Some(body),
            )
            .await;
        assert_eq!(reply.status, status, "{key}: {}", reply.json);
        let text = reply.json["error"]["message"].as_str().unwrap();
        assert!(text.contains(message), "{key}: {text}");
    }
    let missing = h
        .api(
            Method::GET,
            "/api/v1/projects/nope/env",
            &h.alice_token,
            None,
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn tampered_or_moved_ciphertext_is_refused() {
    let h = Harness::new().await;
    h.deploy("vault", &h.alice_token, "v1").await;
    h.deploy("other", &h.alice_token, "v1").await;
    let body = json!({"value": "s3cret", "secret": true});
    let reply = h
        .api(
            Method::PUT,
            "/api/v1/projects/vault/env/TOKEN",
            &h.alice_token,
            Some(body),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let vault = h.store.project("vault").await.unwrap().unwrap();
    let other = h.store.project("other").await.unwrap().unwrap();
    let sealed = h.store.env(&vault.id).await.unwrap().remove(0);

    // Moved to another project: the ciphertext is bound to its project, name and scope.
    h.store.set_env(&other.id, sealed.clone()).await.unwrap();
    let moved = environment_for(&h.store, h.state.queue.secrets(), &other.id, false).await;
    assert!(moved.unwrap_err().to_string().contains("cannot be used"));

    // Flipped bits.
    let mut bytes = sealed.value.clone().into_bytes();
    let i = bytes.len() - 5;
    bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
    let tampered = EnvVar {
        value: String::from_utf8(bytes).unwrap(),
        ..sealed.clone()
    };
    h.store.set_env(&vault.id, tampered).await.unwrap();
    let err = environment_for(&h.store, h.state.queue.secrets(), &vault.id, false)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("TOKEN") && err.to_string().contains("altered"),
        "{err}"
    );
    // A change that has to republish says which secret is broken and what to do.
    let next = h
        .api(
            Method::PUT,
            "/api/v1/projects/vault/env/PLAIN",
            &h.alice_token,
            Some(json!({"value": "1"})),
        )
        .await;
    assert_eq!(next.status, StatusCode::CONFLICT);
    assert!(
        next.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("set it again")
    );

    // Another key cannot open it either.
    h.store
        .set_env(
            &vault.id,
            EnvVar {
                scope: EnvScope::All,
                ..sealed
            },
        )
        .await
        .unwrap();
    let foreign = Keyring::new([[9; 32]]);
    assert!(
        environment_for(&h.store, &foreign, &vault.id, false)
            .await
            .is_err()
    );
    assert!(
        environment_for(&h.store, h.state.queue.secrets(), &vault.id, false)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn without_a_key_secrets_are_refused_but_plain_variables_work() {
    let h = Harness::with_keys(Keyring::empty(), "http://127.0.0.1:8080").await;
    h.deploy("keyless", &h.alice_token, "v1").await;
    let secret = json!({"value": "x", "secret": true});
    let reply = h
        .api(
            Method::PUT,
            "/api/v1/projects/keyless/env/S",
            &h.alice_token,
            Some(secret),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    assert!(
        reply.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no secret key configured")
    );
    let plain = h
        .api(
            Method::PUT,
            "/api/v1/projects/keyless/env/P",
            &h.alice_token,
            Some(json!({"value": "x"})),
        )
        .await;
    assert_eq!(plain.status, StatusCode::OK);
}

#[tokio::test]
async fn rollback_serves_the_previous_deployment_again() {
    let h = Harness::new().await;
    let nothing = h
        .api(
            Method::POST,
            "/api/v1/projects/app/rollback",
            &h.alice_token,
            None,
        )
        .await;
    assert_eq!(nothing.status, StatusCode::NOT_FOUND);
    let v1 = h.deploy("app", &h.alice_token, "v1").await;
    let alone = h
        .api(
            Method::POST,
            "/api/v1/projects/app/rollback",
            &h.alice_token,
            None,
        )
        .await;
    assert_eq!(
        alone.status,
        StatusCode::CONFLICT,
        "nothing earlier: {}",
        alone.json
    );
    let v2 = h.deploy("app", &h.alice_token, "v2").await;
    let broken = h.deploy("app", &h.alice_token, "FAIL").await;
    assert_eq!(broken["status"], "failed");
    assert_eq!(
        h.last_route("app").artifact,
        "artifact:v2",
        "a failed build never goes live"
    );

    let back = h
        .api(
            Method::POST,
            "/api/v1/projects/app/rollback",
            &h.alice_token,
            None,
        )
        .await;
    assert_eq!(back.status, StatusCode::OK, "{}", back.json);
    assert_eq!(back.json["id"], v1["id"]);
    assert_eq!(back.json["live"], true);
    assert_eq!(h.last_route("app").artifact, "artifact:v1");
    let v2_now = h
        .api(
            Method::GET,
            &format!("/api/v1/deployments/{}", v2["id"].as_str().unwrap()),
            &h.alice_token,
            None,
        )
        .await;
    assert_eq!(
        (
            v2_now.json["status"].as_str(),
            v2_now.json["live"].as_bool()
        ),
        (Some("superseded"), Some(false))
    );

    let to = |id: &serde_json::Value| Some(json!({"to": id}));
    let forward = h
        .api(
            Method::POST,
            "/api/v1/projects/app/rollback",
            &h.alice_token,
            to(&v2["id"]),
        )
        .await;
    assert_eq!(forward.json["id"], v2["id"]);
    assert_eq!(h.last_route("app").artifact, "artifact:v2");
    let failed = h
        .api(
            Method::POST,
            "/api/v1/projects/app/rollback",
            &h.alice_token,
            to(&broken["id"]),
        )
        .await;
    assert_eq!(failed.status, StatusCode::CONFLICT);
    let unknown = h
        .api(
            Method::POST,
            "/api/v1/projects/app/rollback",
            &h.alice_token,
            to(&json!("d-0")),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}
