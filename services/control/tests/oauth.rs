//! Berth's OAuth authorization server through its real router on a real SQLite file: metadata, the
//! whole flow with sign-in and consent, the code exchange with PKCE, refresh token rotation,
//! revocation, what must be refused, and a restart between consent and exchange.

mod oauth_support;
mod support;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use berth_control::{ApiState, BuildQueue, Keyring};
use jsonwebtoken::Algorithm;
use oauth_support::*;
use serde_json::json;
use std::sync::Arc;
use support::user;
use support::{Harness, ReadingBuilds, Recorded};

#[tokio::test]
async fn metadata_names_the_issuer_exactly_and_browsers_may_read_it() {
    let h = Harness::new().await;
    for path in [
        "/.well-known/oauth-authorization-server",
        "/.well-known/openid-configuration",
    ] {
        let doc = get(&h.app, path, None).await;
        assert_eq!(doc.status, StatusCode::OK, "{path}");
        let doc = doc.json();
        assert_eq!(doc["issuer"], ISSUER);
        assert_eq!(
            doc["authorization_endpoint"],
            format!("{ISSUER}/oauth/authorize")
        );
        assert_eq!(doc["token_endpoint"], format!("{ISSUER}/oauth/token"));
        assert_eq!(
            doc["registration_endpoint"],
            format!("{ISSUER}/oauth/register")
        );
        assert_eq!(doc["jwks_uri"], format!("{ISSUER}/oauth/jwks"));
        assert_eq!(doc["code_challenge_methods_supported"], json!(["S256"]));
        assert_eq!(doc["client_id_metadata_document_supported"], true);
        assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
        assert_eq!(doc["scopes_supported"], json!(["mcp"]));
    }
    let preflight = Request::builder()
        .method(Method::OPTIONS)
        .uri("/oauth/token")
        .header("origin", "https://app.example")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type, authorization",
        )
        .body(Body::empty())
        .unwrap();
    let answer = call(&h.app, preflight).await;
    assert!(answer.status.is_success(), "{}", answer.status);
    assert_eq!(answer.headers["access-control-allow-origin"], "*");
    let jwks = get(&h.app, "/oauth/jwks", None).await.json();
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(
        (
            keys[0]["kty"].as_str(),
            keys[0]["crv"].as_str(),
            keys[0]["alg"].as_str()
        ),
        (Some("EC"), Some("P-256"), Some("ES256"))
    );
    assert!(keys[0].get("d").is_none(), "never the private key");
    // The private half is kept sealed.
    let stored = h.store.signing_keys().await.unwrap();
    assert!(stored[0].private_sealed.starts_with("berth-secret:v1:"));
}

#[tokio::test]
async fn a_client_registers_signs_in_consents_and_gets_tokens_bound_to_the_project() {
    let h = private_tools().await;
    let client_id = public_client(&h.app).await;
    let resource = format!("{ISSUER}/tools/mcp");
    let pkce = challenge(VERIFIER);
    // Loopback redirect URIs match on any port.
    let redirect = "http://127.0.0.1:53682/callback";
    let params = authorize_params(&client_id, redirect, &resource, &pkce);

    // Not signed in: off to sign in, and back here after.
    let anonymous = get(&h.app, &format!("/oauth/authorize?{}", form(&params)), None).await;
    assert_eq!(anonymous.status, StatusCode::FOUND);
    let next = anonymous.param("next").unwrap();
    assert!(next.starts_with("/oauth/authorize?"), "{next}");
    assert_eq!(anonymous.location().path(), "/login");

    let alice = browser(&h.state, &h.app, &h.alice.id);
    let page = alice.authorize(&params).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(
        page.text.contains("Test Client") && page.text.contains("tools"),
        "{}",
        page.text
    );
    assert!(page.text.contains(&alice.csrf));
    assert_eq!(page.headers["x-frame-options"], "DENY");
    assert!(
        page.headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );

    // A forged form (no CSRF token) is refused without sending anything to the client.
    let mut forged = params.clone();
    forged.push(("decision", "allow"));
    let refused = post_form(&h.app, "/oauth/authorize", &forged, Some(&alice.cookie)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.headers.get("location").is_none());

    // Deny: the client hears access_denied.
    let denied = alice.consent(&params, "deny").await;
    assert_eq!(denied.param("error").as_deref(), Some("access_denied"));
    assert_eq!(denied.param("state").as_deref(), Some("st-123"));

    let code = alice.code(&params).await;
    let tokens = exchange(&h.app, &client_id, &code, redirect, VERIFIER).await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.text);
    assert_eq!(tokens.headers["cache-control"], "no-store");
    let body = tokens.json();
    assert_eq!(
        (body["token_type"].as_str(), body["scope"].as_str()),
        (Some("Bearer"), Some("mcp"))
    );
    assert_eq!(body["expires_in"], 3600);
    let access = body["access_token"].as_str().unwrap();
    let claims = verified(&h.app, access, &resource).await.unwrap();
    assert_eq!(claims["sub"], h.alice.id.as_str());
    assert_eq!(claims["client_id"], client_id.as_str());
    assert_eq!(claims["scope"], "mcp");
    assert!(claims["jti"].is_string() && claims["iat"].is_i64());
    // Bound to this project: another project's URL is not its audience.
    let other = verified(&h.app, access, &format!("{ISSUER}/other/mcp")).await;
    assert!(
        other.unwrap_err().contains("Audience"),
        "wrong audience refused"
    );
    let header = jsonwebtoken::decode_header(access).unwrap();
    assert_eq!(
        (header.alg, header.typ.as_deref()),
        (Algorithm::ES256, Some("at+jwt"))
    );

    // The code again: refused, and the refresh token it gave is revoked with it.
    let replay = exchange(&h.app, &client_id, &code, redirect, VERIFIER).await;
    assert_eq!(
        (replay.status, replay.json()["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    let refresh_token = body["refresh_token"].as_str().unwrap();
    let after = refresh(&h.app, &client_id, refresh_token).await;
    assert_eq!(after.json()["error"], "invalid_grant", "{}", after.text);

    // Consent is remembered: the next authorization asks nothing.
    let again = alice.authorize(&params).await;
    assert_eq!(again.status, StatusCode::FOUND, "{}", again.text);
    assert!(again.param("code").is_some());

    // The user's connected clients, and revoking one.
    let grants = h
        .api(Method::GET, "/api/v1/oauth/grants", &h.alice_token, None)
        .await;
    let list = grants.json["grants"].as_array().unwrap().clone();
    assert_eq!(list.len(), 1);
    assert_eq!(
        (list[0]["clientName"].as_str(), list[0]["project"].as_str()),
        (Some("Test Client"), Some("tools"))
    );
    let code = alice.code(&params).await;
    let fresh = exchange(&h.app, &client_id, &code, redirect, VERIFIER)
        .await
        .json();
    let id = list[0]["id"].as_str().unwrap();
    let revoked = h
        .api(
            Method::DELETE,
            &format!("/api/v1/oauth/grants/{id}"),
            &h.alice_token,
            None,
        )
        .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    let after = refresh(&h.app, &client_id, fresh["refresh_token"].as_str().unwrap()).await;
    assert_eq!(after.json()["error"], "invalid_grant");
    let page = alice.authorize(&params).await;
    assert_eq!(page.status, StatusCode::OK, "consent is asked again");
}

#[tokio::test]
async fn refresh_tokens_rotate_and_a_reused_one_ends_its_line() {
    let h = private_tools().await;
    let client_id = public_client(&h.app).await;
    let resource = format!("{ISSUER}/tools/mcp");
    let pkce = challenge(VERIFIER);
    let params = authorize_params(&client_id, CALLBACK, &resource, &pkce);
    let alice = browser(&h.state, &h.app, &h.alice.id);
    let code = alice.code(&params).await;
    let first = exchange(&h.app, &client_id, &code, CALLBACK, VERIFIER)
        .await
        .json();
    let r1 = first["refresh_token"].as_str().unwrap().to_string();
    let second = refresh(&h.app, &client_id, &r1).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.text);
    let r2 = second.json()["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(r1, r2, "rotated");
    assert!(
        verified(
            &h.app,
            second.json()["access_token"].as_str().unwrap(),
            &resource
        )
        .await
        .is_ok()
    );
    // Another client cannot use it.
    let other = public_client(&h.app).await;
    assert_eq!(
        refresh(&h.app, &other, &r2).await.json()["error"],
        "invalid_grant"
    );
    // r1 again (a stolen copy): refused, and r2 is revoked with it.
    assert_eq!(
        refresh(&h.app, &client_id, &r1).await.json()["error"],
        "invalid_grant"
    );
    assert_eq!(
        refresh(&h.app, &client_id, &r2).await.json()["error"],
        "invalid_grant"
    );

    // Revocation (RFC 7009) ends a line; unknown tokens are answered 200 too.
    let code = alice.code(&params).await;
    let r3 = exchange(&h.app, &client_id, &code, CALLBACK, VERIFIER)
        .await
        .json()["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    for token in [r3.as_str(), "never-issued"] {
        let answer = post_form(
            &h.app,
            "/oauth/revoke",
            &[("token", token), ("client_id", client_id.as_str())],
            None,
        )
        .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    }
    assert_eq!(
        refresh(&h.app, &client_id, &r3).await.json()["error"],
        "invalid_grant"
    );
}

#[tokio::test]
async fn what_must_be_refused_is_refused() {
    let h = private_tools().await;
    let (bob, bob_token) = user(&h.store, "bob").await;
    h.deploy("bobs", &bob_token, "v1").await;
    let client_id = public_client(&h.app).await;
    let resource = format!("{ISSUER}/tools/mcp");
    let pkce = challenge(VERIFIER);
    let alice = browser(&h.state, &h.app, &h.alice.id);
    let base = authorize_params(&client_id, CALLBACK, &resource, &pkce);
    let with = |key: &str, value: &'static str| -> Vec<(String, String)> {
        base.iter()
            .map(|(k, v)| {
                (
                    k.to_string(),
                    if *k == key {
                        value.to_string()
                    } else {
                        v.to_string()
                    },
                )
            })
            .filter(|(_, v)| !v.is_empty())
            .collect()
    };
    let ask = |pairs: Vec<(String, String)>| {
        let alice = &alice;
        async move {
            let pairs: Vec<(&str, &str)> = pairs
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            alice.authorize(&pairs).await
        }
    };

    // Errors about the client or its redirect URI are shown, never sent anywhere.
    for (key, value) in [
        ("redirect_uri", "https://evil.example/callback"),
        ("redirect_uri", "http://127.0.0.1/other"),
        ("client_id", "berth-client-unknown"),
        ("client_id", ""),
    ] {
        let answer = ask(with(key, value)).await;
        assert!(
            answer.status.is_client_error(),
            "{key}={value}: {}",
            answer.status
        );
        assert!(answer.headers.get("location").is_none(), "{key}={value}");
    }
    // The rest go back to the client with an error.
    for (key, value, error) in [
        ("code_challenge_method", "plain", "invalid_request"),
        ("code_challenge", "", "invalid_request"),
        ("response_type", "token", "unsupported_response_type"),
        ("resource", "", "invalid_target"),
        (
            "resource",
            "http://127.0.0.1:8080/nothing/mcp",
            "invalid_target",
        ),
        (
            "resource",
            "https://elsewhere.example/tools/mcp",
            "invalid_target",
        ),
        (
            "resource",
            "http://127.0.0.1:8080/bobs/mcp",
            "access_denied",
        ),
    ] {
        let answer = ask(with(key, value)).await;
        assert_eq!(
            answer.status,
            StatusCode::FOUND,
            "{key}={value}: {}",
            answer.text
        );
        assert_eq!(
            answer.param("error").as_deref(),
            Some(error),
            "{key}={value}"
        );
        assert_eq!(answer.param("state").as_deref(), Some("st-123"));
        assert!(answer.param("code").is_none());
    }
    let _ = bob;

    // At the token endpoint: a wrong verifier, another redirect URI, another client, a made-up code.
    let code = alice.code(&base).await;
    let wrong = exchange(
        &h.app,
        &client_id,
        &code,
        CALLBACK,
        "another-verifier-of-at-least-43-characters-xyz",
    )
    .await;
    assert_eq!(
        wrong.json()["error"],
        "invalid_grant",
        "PKCE mismatch: {}",
        wrong.text
    );
    let spent = exchange(&h.app, &client_id, &code, CALLBACK, VERIFIER).await;
    assert_eq!(
        spent.json()["error"],
        "invalid_grant",
        "a code is single use even after a failed try"
    );
    let code = alice.code(&base).await;
    let moved = exchange(
        &h.app,
        &client_id,
        &code,
        "http://127.0.0.1:1/callback",
        VERIFIER,
    )
    .await;
    assert_eq!(moved.json()["error"], "invalid_grant");
    let code = alice.code(&base).await;
    let other = public_client(&h.app).await;
    assert_eq!(
        exchange(&h.app, &other, &code, CALLBACK, VERIFIER)
            .await
            .json()["error"],
        "invalid_grant"
    );
    let made_up = exchange(&h.app, &client_id, "made-up", CALLBACK, VERIFIER).await;
    assert_eq!(made_up.json()["error"], "invalid_grant");
    let nobody = exchange(&h.app, "berth-client-nobody", "x", CALLBACK, VERIFIER).await;
    assert_eq!(
        (nobody.status, nobody.json()["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );
    let grant = post_form(
        &h.app,
        "/oauth/token",
        &[
            ("grant_type", "password"),
            ("client_id", client_id.as_str()),
        ],
        None,
    )
    .await;
    assert_eq!(grant.json()["error"], "unsupported_grant_type");
    let twice = post_form(
        &h.app,
        "/oauth/token",
        &[
            ("grant_type", "refresh_token"),
            ("grant_type", "refresh_token"),
        ],
        None,
    )
    .await;
    assert_eq!(twice.json()["error"], "invalid_request");

    // Registration refuses what it cannot honour.
    for bad in [
        json!({"client_name": "x", "redirect_uris": ["http://evil.example/cb"]}),
        json!({"client_name": "x", "redirect_uris": ["javascript:alert(1)"]}),
        json!({"client_name": "x", "redirect_uris": []}),
        json!({"client_name": "x", "application_type": "web", "redirect_uris": ["cursor://cb"]}),
    ] {
        let answer = register(&h.app, bad.clone()).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(
            answer.json()["error"]
                .as_str()
                .unwrap()
                .starts_with("invalid_"),
            "{}",
            answer.text
        );
    }
    let huge = register(
        &h.app,
        json!({"client_name": "x".repeat(20_000), "redirect_uris": [CALLBACK]}),
    )
    .await;
    assert_eq!(huge.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_restart_between_consent_and_exchange_and_between_refreshes_loses_nothing() {
    let h = private_tools().await;
    let client_id = public_client(&h.app).await;
    let resource = format!("{ISSUER}/tools/mcp");
    let pkce = challenge(VERIFIER);
    let params = authorize_params(&client_id, CALLBACK, &resource, &pkce);
    let alice = browser(&h.state, &h.app, &h.alice.id);
    let code = alice.code(&params).await;
    let first_key = get(&h.app, "/oauth/jwks", None).await.json();

    // A second process on the same database (a restart, or another replica).
    let restarted = || async {
        let store = berth_store::Store::connect(&h.db_url()).await.unwrap();
        let queue = BuildQueue::start_with_secrets(
            store,
            Arc::new(ReadingBuilds),
            Arc::new(Recorded::default()),
            h.sources_dir(),
            1,
            Keyring::new([[42; 32]]),
        );
        berth_control::router(ApiState::new(queue, ISSUER))
    };
    let second = restarted().await;
    let tokens = exchange(&second, &client_id, &code, CALLBACK, VERIFIER).await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.text);
    assert_eq!(
        get(&second, "/oauth/jwks", None).await.json(),
        first_key,
        "the same signing key"
    );
    let access = tokens.json()["access_token"].as_str().unwrap().to_string();
    assert!(
        verified(&h.app, &access, &resource).await.is_ok(),
        "the first process verifies it"
    );
    let third = restarted().await;
    let refreshed = refresh(
        &third,
        &client_id,
        tokens.json()["refresh_token"].as_str().unwrap(),
    )
    .await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.text);
    let fourth = restarted().await;
    let again = refresh(
        &fourth,
        &client_id,
        refreshed.json()["refresh_token"].as_str().unwrap(),
    )
    .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
}
