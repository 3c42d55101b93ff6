//! How clients become known to Berth's authorization server, and who may connect them: real clients'
//! redirect URIs (Claude's https callback, Cursor's custom scheme), confidential clients, the
//! operator's pre-registered clients, Client ID Metadata Documents, and the project's access list.

mod oauth_support;
mod support;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use base64::Engine;
use berth_control::oauth::{DocumentFetcher, Fetched};
use oauth_support::*;
use serde_json::{Value, json};
use std::sync::Arc;
use support::user;

#[tokio::test]
async fn real_clients_redirect_uris_and_confidential_clients_work() {
    let h = private_tools().await;
    let resource = format!("{ISSUER}/tools/mcp");
    let pkce = challenge(VERIFIER);
    let alice = browser(&h.state, &h.app, &h.alice.id);
    for (name, uri, auth) in [
        (
            "Claude",
            "https://claude.ai/api/mcp/auth_callback",
            "client_secret_post",
        ),
        (
            "Cursor",
            "cursor://anysphere.cursor-retrieval/oauth/user-tools/callback",
            "none",
        ),
    ] {
        let made = register(&h.app, json!({"client_name": name, "redirect_uris": [uri], "token_endpoint_auth_method": auth})).await;
        assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
        let made = made.json();
        let client_id = made["client_id"].as_str().unwrap();
        let params = authorize_params(client_id, uri, &resource, &pkce);
        let code = alice.code(&params).await;
        let pairs = vec![
            ("grant_type", "authorization_code"),
            ("client_id", client_id),
            ("code", code.as_str()),
            ("redirect_uri", uri),
            ("code_verifier", VERIFIER),
            ("resource", resource.as_str()),
        ];
        if let Some(secret) = made["client_secret"].as_str() {
            // A confidential client without its secret is refused.
            let refused = post_form(&h.app, "/oauth/token", &pairs, None).await;
            assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.text);
            let code = alice.code(&params).await;
            let mut with_secret = pairs.clone();
            with_secret[2] = ("code", code.as_str());
            with_secret.push(("client_secret", secret));
            let answer = post_form(&h.app, "/oauth/token", &with_secret, None).await;
            assert_eq!(answer.status, StatusCode::OK, "{name}: {}", answer.text);
            continue;
        }
        let answer = post_form(&h.app, "/oauth/token", &pairs, None).await;
        assert_eq!(answer.status, StatusCode::OK, "{name}: {}", answer.text);
    }
}

#[tokio::test]
async fn the_operator_pre_registers_clients_with_fixed_ids() {
    let h = private_tools().await;
    let state = h.state.clone().with_operator(h.alice.id.clone());
    let app = berth_control::router(state.clone());
    let (_, bob_token) = user(&h.store, "bob").await;
    let body = json!({"client_id": "vscode-fixed", "client_name": "VS Code", "redirect_uris": ["http://127.0.0.1/cb"], "confidential": true});
    let call_api = |token: &str, method: Method, path: &str, body: Option<Value>| {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", format!("Bearer {token}"));
        if body.is_some() {
            req = req.header("content-type", "application/json");
        }
        let req = req
            .body(Body::from(body.map(|b| b.to_string()).unwrap_or_default()))
            .unwrap();
        call(&app, req)
    };
    let refused = call_api(
        &bob_token,
        Method::POST,
        "/api/v1/oauth/clients",
        Some(body.clone()),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let made = call_api(
        &h.alice_token,
        Method::POST,
        "/api/v1/oauth/clients",
        Some(body.clone()),
    )
    .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    let secret = made.json()["client_secret"].as_str().unwrap().to_string();
    let listed = call_api(&h.alice_token, Method::GET, "/api/v1/oauth/clients", None)
        .await
        .json();
    assert_eq!(listed["clients"][0]["client_id"], "vscode-fixed");
    assert!(!listed.to_string().contains(&secret));
    let again = call_api(
        &h.alice_token,
        Method::POST,
        "/api/v1/oauth/clients",
        Some(body),
    )
    .await;
    assert_eq!(again.status, StatusCode::CONFLICT);

    // It signs in with HTTP Basic.
    let resource = format!("{ISSUER}/tools/mcp");
    let pkce = challenge(VERIFIER);
    let alice = browser(&state, &app, &h.alice.id);
    let params = authorize_params("vscode-fixed", "http://127.0.0.1:4321/cb", &resource, &pkce);
    let page = alice.authorize(&params).await;
    assert!(
        page.text.contains("registered by this Berth"),
        "{}",
        page.text
    );
    let code = alice.code(&params).await;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("vscode-fixed:{secret}"));
    let req = Request::post("/oauth/token")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("authorization", format!("Basic {basic}"))
        .body(Body::from(form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", "http://127.0.0.1:4321/cb"),
            ("code_verifier", VERIFIER),
        ])))
        .unwrap();
    let answer = call(&app, req).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let removed = call_api(
        &h.alice_token,
        Method::DELETE,
        "/api/v1/oauth/clients/vscode-fixed",
        None,
    )
    .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    let gone = alice.authorize(&params).await;
    assert_eq!(gone.status, StatusCode::BAD_REQUEST);
}

/// Serves client metadata documents from memory.
struct Documents(Vec<(String, Value)>);

#[async_trait::async_trait]
impl DocumentFetcher for Documents {
    async fn fetch(&self, url: &url::Url) -> Result<Fetched, String> {
        let doc = self
            .0
            .iter()
            .find(|(u, _)| u == url.as_str())
            .ok_or("404")?;
        Ok(Fetched {
            body: doc.1.to_string().into_bytes(),
            max_age: None,
        })
    }
}

#[tokio::test]
async fn clients_known_by_their_metadata_document_sign_in() {
    let h = private_tools().await;
    let good = "https://app.example/oauth/client.json";
    let liar = "https://app.example/oauth/liar.json";
    let state = h.state.clone().with_client_documents(Arc::new(Documents(vec![
        (good.into(), json!({"client_id": good, "client_name": "Example App", "redirect_uris": ["https://app.example/cb"],
            "logo_uri": "https://app.example/logo.png", "token_endpoint_auth_method": "none"})),
        (liar.into(), json!({"client_id": good, "client_name": "Liar", "redirect_uris": ["https://evil.example/cb"]})),
    ])));
    let app = berth_control::router(state.clone());
    let resource = format!("{ISSUER}/tools/mcp");
    let pkce = challenge(VERIFIER);
    let alice = browser(&state, &app, &h.alice.id);
    let params = authorize_params(good, "https://app.example/cb", &resource, &pkce);
    let page = alice.authorize(&params).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(
        page.text.contains("Example App") && page.text.contains("https://app.example/logo.png")
    );
    let code = alice.code(&params).await;
    let answer = exchange(&app, good, &code, "https://app.example/cb", VERIFIER).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);

    let lie = alice
        .authorize(&authorize_params(
            liar,
            "https://evil.example/cb",
            &resource,
            &pkce,
        ))
        .await;
    assert_eq!(
        lie.status,
        StatusCode::BAD_REQUEST,
        "a document must name its own URL"
    );
    assert!(lie.headers.get("location").is_none());
    let missing = alice
        .authorize(&authorize_params(
            "https://app.example/oauth/none.json",
            "https://app.example/cb",
            &resource,
            &pkce,
        ))
        .await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_access_list_decides_who_besides_the_owner_may_connect_clients() {
    let h = private_tools().await;
    let github_user = |login: &'static str, id: i64| {
        let store = h.store.clone();
        async move {
            let new = berth_store::NewUser {
                github_id: Some(id),
                login: login.into(),
                ..Default::default()
            };
            store.upsert_user(new).await.unwrap()
        }
    };
    let bob = github_user("bob", 7).await;
    // Carol has no GitHub account here: a login alone proves nothing.
    let (carol, _) = user(&h.store, "carol").await;
    let client_id = public_client(&h.app).await;
    let resource = format!("{ISSUER}/tools/mcp");
    let pkce = challenge(VERIFIER);
    let params = authorize_params(&client_id, CALLBACK, &resource, &pkce);
    let as_bob = browser(&h.state, &h.app, &bob.id);
    let as_carol = browser(&h.state, &h.app, &carol.id);
    let denied = |answer: Answer| {
        assert_eq!(answer.status, StatusCode::FOUND, "{}", answer.text);
        assert_eq!(answer.param("error").as_deref(), Some("access_denied"));
    };
    denied(as_bob.authorize(&params).await);

    let set = |rule: Value| {
        h.api(
            Method::PUT,
            "/api/v1/projects/tools/oauth-access",
            &h.alice_token,
            Some(rule),
        )
    };
    let saved = set(json!({"users": ["BOB", "carol", "bob"]})).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.json);
    assert_eq!(
        saved.json,
        json!({"anyoneSignedIn": false, "users": ["BOB", "carol"]})
    );
    let shown = h
        .api(
            Method::GET,
            "/api/v1/projects/tools/oauth-access",
            &h.alice_token,
            None,
        )
        .await;
    assert_eq!(shown.json, saved.json);
    let code = as_bob.code(&params).await;
    let tokens = exchange(&h.app, &client_id, &code, CALLBACK, VERIFIER)
        .await
        .json();
    let claims = verified(&h.app, tokens["access_token"].as_str().unwrap(), &resource)
        .await
        .unwrap();
    assert_eq!(claims["sub"], bob.id.as_str());
    denied(as_carol.authorize(&params).await);

    // Taken off the list: no new token.
    set(json!({"users": []})).await;
    let after = refresh(
        &h.app,
        &client_id,
        tokens["refresh_token"].as_str().unwrap(),
    )
    .await;
    assert_eq!(after.json()["error"], "invalid_grant", "{}", after.text);
    denied(as_bob.authorize(&params).await);

    // Anyone signed in.
    set(json!({"anyoneSignedIn": true})).await;
    assert_eq!(as_carol.authorize(&params).await.status, StatusCode::OK);

    for bad in [
        json!({"users": ["not a login!"]}),
        json!({"orgs": ["acme"]}),
        json!({"users": "bob"}),
    ] {
        let answer = set(bad.clone()).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{bad}");
    }
    let (_, bob_token) = user(&h.store, "bob2").await;
    let foreign = h
        .api(
            Method::PUT,
            "/api/v1/projects/tools/oauth-access",
            &bob_token,
            Some(json!({"anyoneSignedIn": false})),
        )
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
}
