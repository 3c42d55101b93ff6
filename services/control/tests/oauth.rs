//! Berth's OAuth authorization server through its real router on a real SQLite file: metadata, client
//! registration (dynamic, pre-registered, metadata documents), authorization with sign-in and consent,
//! the code exchange with PKCE, refresh token rotation, revocation, and what must be refused.

mod support;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use berth_control::oauth::{DocumentFetcher, Fetched};
use berth_control::{ApiState, BuildQueue, Keyring};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use support::{Harness, ReadingBuilds, Recorded, user};
use tower::ServiceExt;

const ISSUER: &str = "http://127.0.0.1:8080";
const VERIFIER: &str = "a-verifier-of-at-least-43-characters-0123456789";
const CALLBACK: &str = "http://127.0.0.1/callback";

fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }

    fn location(&self) -> url::Url {
        let at = self
            .headers
            .get("location")
            .expect("a Location")
            .to_str()
            .unwrap();
        url::Url::parse(at)
            .or_else(|_| url::Url::parse(&format!("{ISSUER}{at}")))
            .unwrap()
    }

    fn param(&self, name: &str) -> Option<String> {
        self.location()
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }
}

/// A browser of a signed-in user, and the app it talks to.
struct Browser {
    app: axum::Router,
    cookie: String,
    csrf: String,
}

async fn call(app: &axum::Router, req: Request<Body>) -> Answer {
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    Answer {
        status,
        headers,
        text: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

async fn post_form(
    app: &axum::Router,
    path: &str,
    pairs: &[(&str, &str)],
    cookie: Option<&str>,
) -> Answer {
    let mut req = Request::post(path).header("content-type", "application/x-www-form-urlencoded");
    if let Some(cookie) = cookie {
        req = req.header("cookie", cookie);
    }
    call(app, req.body(Body::from(form(pairs))).unwrap()).await
}

async fn get(app: &axum::Router, path: &str, cookie: Option<&str>) -> Answer {
    let mut req = Request::get(path);
    if let Some(cookie) = cookie {
        req = req.header("cookie", cookie);
    }
    call(app, req.body(Body::empty()).unwrap()).await
}

fn browser(state: &ApiState, app: &axum::Router, user_id: &str) -> Browser {
    let (session, set_cookie) = state.auth.sessions.start(user_id);
    Browser {
        app: app.clone(),
        cookie: set_cookie.split(';').next().unwrap().to_string(),
        csrf: state.auth.sessions.csrf_token(&session),
    }
}

/// The authorization request's parameters.
fn authorize_params<'a>(
    client_id: &'a str,
    redirect_uri: &'a str,
    resource: &'a str,
    challenge: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", redirect_uri),
        ("state", "st-123"),
        ("scope", "mcp"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
        ("resource", resource),
    ]
}

impl Browser {
    async fn authorize(&self, params: &[(&str, &str)]) -> Answer {
        get(
            &self.app,
            &format!("/oauth/authorize?{}", form(params)),
            Some(&self.cookie),
        )
        .await
    }

    /// Answers the consent page.
    async fn consent(&self, params: &[(&str, &str)], decision: &str) -> Answer {
        let mut pairs = params.to_vec();
        pairs.push(("csrf", self.csrf.as_str()));
        pairs.push(("decision", decision));
        post_form(&self.app, "/oauth/authorize", &pairs, Some(&self.cookie)).await
    }

    /// Authorizes (consenting when asked) and returns the code.
    async fn code(&self, params: &[(&str, &str)]) -> String {
        let first = self.authorize(params).await;
        let answer = if first.status == StatusCode::OK {
            assert!(first.text.contains("Allow"), "{}", first.text);
            self.consent(params, "allow").await
        } else {
            first
        };
        assert!(
            answer.status.is_redirection(),
            "{} {}",
            answer.status,
            answer.text
        );
        assert_eq!(answer.param("state").as_deref(), Some("st-123"));
        assert_eq!(answer.param("iss").as_deref(), Some(ISSUER));
        answer.param("code").expect("a code")
    }
}

async fn register(app: &axum::Router, body: Value) -> Answer {
    let req = Request::post("/oauth/register")
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    call(app, req).await
}

async fn public_client(app: &axum::Router) -> String {
    let made = register(
        app,
        json!({"client_name": "Test Client", "redirect_uris": [CALLBACK], "token_endpoint_auth_method": "none"}),
    )
    .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    assert!(made.json().get("client_secret").is_none());
    made.json()["client_id"].as_str().unwrap().to_string()
}

async fn exchange(
    app: &axum::Router,
    client_id: &str,
    code: &str,
    redirect_uri: &str,
    verifier: &str,
) -> Answer {
    let pairs = [
        ("grant_type", "authorization_code"),
        ("client_id", client_id),
        ("code", code),
        ("redirect_uri", redirect_uri),
        ("code_verifier", verifier),
    ];
    post_form(app, "/oauth/token", &pairs, None).await
}

async fn refresh(app: &axum::Router, client_id: &str, token: &str) -> Answer {
    let pairs = [
        ("grant_type", "refresh_token"),
        ("client_id", client_id),
        ("refresh_token", token),
    ];
    post_form(app, "/oauth/token", &pairs, None).await
}

/// The claims of an access token, checked against the JWKS as an edge would.
async fn verified(app: &axum::Router, token: &str, audience: &str) -> Result<Value, String> {
    let jwks = get(app, "/oauth/jwks", None).await.json();
    let header = jsonwebtoken::decode_header(token).map_err(|e| e.to_string())?;
    let kid = header.kid.ok_or("no kid")?;
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .ok_or("kid not in the JWKS")?;
    let key =
        DecodingKey::from_ec_components(jwk["x"].as_str().unwrap(), jwk["y"].as_str().unwrap())
            .map_err(|e| e.to_string())?;
    let mut validation = Validation::new(Algorithm::ES256);
    validation.set_audience(&[audience]);
    validation.set_issuer(&[ISSUER]);
    jsonwebtoken::decode::<Value>(token, &key, &validation)
        .map(|d| d.claims)
        .map_err(|e| e.to_string())
}

/// A harness with `tools` (alice's, private) deployed.
async fn private_tools() -> Harness {
    let h = Harness::new().await;
    h.deploy("tools", &h.alice_token, "v1").await;
    let reply = h
        .api(
            Method::PATCH,
            "/api/v1/projects/tools",
            &h.alice_token,
            Some(json!({"private": true})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    h
}

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
