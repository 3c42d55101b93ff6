//! Helpers for the OAuth tests: a signed-in browser (session cookie and CSRF token) driving the real
//! router, clients registered, codes exchanged, tokens refreshed and checked against the JWKS.

#![allow(dead_code)] // each test binary uses a different part of these helpers

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use berth_control::ApiState;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tower::ServiceExt;

use crate::support::Harness;

pub const ISSUER: &str = "http://127.0.0.1:8080";
pub const VERIFIER: &str = "a-verifier-of-at-least-43-characters-0123456789";
pub const CALLBACK: &str = "http://127.0.0.1/callback";

pub fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }

    pub fn location(&self) -> url::Url {
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

    pub fn param(&self, name: &str) -> Option<String> {
        self.location()
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }
}

/// A browser of a signed-in user, and the app it talks to.
pub struct Browser {
    pub app: axum::Router,
    pub cookie: String,
    pub csrf: String,
}

pub async fn call(app: &axum::Router, req: Request<Body>) -> Answer {
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

pub fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

pub async fn post_form(
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

pub async fn get(app: &axum::Router, path: &str, cookie: Option<&str>) -> Answer {
    let mut req = Request::get(path);
    if let Some(cookie) = cookie {
        req = req.header("cookie", cookie);
    }
    call(app, req.body(Body::empty()).unwrap()).await
}

pub fn browser(state: &ApiState, app: &axum::Router, user_id: &str) -> Browser {
    let (session, set_cookie) = state.auth.sessions.start(user_id);
    Browser {
        app: app.clone(),
        cookie: set_cookie.split(';').next().unwrap().to_string(),
        csrf: state.auth.sessions.csrf_token(&session),
    }
}

/// The authorization request's parameters.
pub fn authorize_params<'a>(
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
    pub async fn authorize(&self, params: &[(&str, &str)]) -> Answer {
        get(
            &self.app,
            &format!("/oauth/authorize?{}", form(params)),
            Some(&self.cookie),
        )
        .await
    }

    /// Answers the consent page.
    pub async fn consent(&self, params: &[(&str, &str)], decision: &str) -> Answer {
        let mut pairs = params.to_vec();
        pairs.push(("csrf", self.csrf.as_str()));
        pairs.push(("decision", decision));
        post_form(&self.app, "/oauth/authorize", &pairs, Some(&self.cookie)).await
    }

    /// Authorizes (consenting when asked) and returns the code.
    pub async fn code(&self, params: &[(&str, &str)]) -> String {
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

pub async fn register(app: &axum::Router, body: Value) -> Answer {
    let req = Request::post("/oauth/register")
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    call(app, req).await
}

pub async fn public_client(app: &axum::Router) -> String {
    let made = register(
        app,
        json!({"client_name": "Test Client", "redirect_uris": [CALLBACK], "token_endpoint_auth_method": "none"}),
    )
    .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    assert!(made.json().get("client_secret").is_none());
    made.json()["client_id"].as_str().unwrap().to_string()
}

pub async fn exchange(
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

pub async fn refresh(app: &axum::Router, client_id: &str, token: &str) -> Answer {
    let pairs = [
        ("grant_type", "refresh_token"),
        ("client_id", client_id),
        ("refresh_token", token),
    ];
    post_form(app, "/oauth/token", &pairs, None).await
}

/// The claims of an access token, checked against the JWKS as an edge would.
pub async fn verified(app: &axum::Router, token: &str, audience: &str) -> Result<Value, String> {
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
pub async fn private_tools() -> Harness {
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
