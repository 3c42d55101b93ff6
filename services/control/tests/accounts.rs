//! Accounts through the real router: the one-time local sign-in link starts a cookie session, cookie
//! sessions need their CSRF token to change anything, signing out ends them, the OAuth flow checks its
//! state, API tokens are shown once and revocable, and another user's project does not exist for you.

mod support;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use berth_control::{Authorization, IdentityProvider, Keyring};
use berth_store::NewUser;
use serde_json::json;
use std::sync::Arc;
use support::{Harness, set_cookie, user};

fn get_with_cookie(path: &str, cookie: &str) -> Request<Body> {
    Request::get(path)
        .header("cookie", cookie)
        .body(Body::empty())
        .unwrap()
}

/// Signs alice in through a fresh local link; returns her cookie (`name=value`).
async fn sign_in(h: &Harness) -> String {
    let token = h.state.auth.sessions.local_link(&h.alice.id);
    let reply = h
        .send(
            Request::get(format!("/auth/local?token={token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    let cookie = set_cookie(&reply.headers, "berth_session").expect("a session cookie");
    cookie.split(';').next().unwrap().to_string()
}

async fn csrf(h: &Harness, cookie: &str) -> String {
    let reply = h.send(get_with_cookie("/auth/session", cookie)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    reply.json["csrfToken"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn local_link_signs_in_once_with_a_secure_cookie() {
    let h = Harness::new().await;
    let token = h.state.auth.sessions.local_link(&h.alice.id);
    let reply = h
        .send(
            Request::get(format!("/auth/local?token={token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    let set = set_cookie(&reply.headers, "berth_session").unwrap();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set.contains(attribute), "{set}");
    }
    assert!(
        !set.contains("Secure"),
        "plain http: no Secure flag ({set})"
    );
    let cookie = set.split(';').next().unwrap();
    let me = h.send(get_with_cookie("/api/v1/me", cookie)).await;
    assert_eq!(
        (me.status, me.json["login"].as_str()),
        (StatusCode::OK, Some("alice"))
    );

    let again = h
        .send(
            Request::get(format!("/auth/local?token={token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(again.status, StatusCode::FORBIDDEN, "a link works once");
    assert!(
        again.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("already used")
    );
    let forged = h
        .send(get_with_cookie(
            "/api/v1/me",
            "berth_session=eyJ1IjoidS0xIn0.AAAA",
        ))
        .await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
    assert_eq!(forged.json["error"]["code"], "unauthorized");

    let https = Harness::with_keys(Keyring::new([[1; 32]]), "https://berth.example").await;
    let token = https.state.auth.sessions.local_link(&https.alice.id);
    let reply = https
        .send(
            Request::get(format!("/auth/local?token={token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert!(
        set_cookie(&reply.headers, "berth_session")
            .unwrap()
            .contains("; Secure")
    );
}

#[tokio::test]
async fn cookie_sessions_need_their_csrf_token_and_end_at_logout() {
    let h = Harness::new().await;
    let cookie = sign_in(&h).await;
    let post = |csrf: Option<&str>| {
        let mut req = Request::post("/api/v1/tokens")
            .header("cookie", &cookie)
            .header("content-type", "application/json");
        if let Some(t) = csrf {
            req = req.header("x-csrf-token", t);
        }
        req.body(Body::from(json!({"name": "laptop"}).to_string()))
            .unwrap()
    };
    let refused = h.send(post(None)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.json["error"]["code"], "forbidden");
    assert_eq!(
        h.send(post(Some("bm9wZQ"))).await.status,
        StatusCode::FORBIDDEN
    );
    let other = sign_in(&h).await;
    let other_csrf = csrf(&h, &other).await;
    assert_eq!(
        h.send(post(Some(&other_csrf))).await.status,
        StatusCode::FORBIDDEN,
        "another session's token"
    );
    let token = csrf(&h, &cookie).await;
    assert_eq!(h.send(post(Some(&token))).await.status, StatusCode::CREATED);
    assert!(
        h.store
            .tokens(&h.alice.id)
            .await
            .unwrap()
            .iter()
            .any(|t| t.name == "laptop")
    );

    let logout = |field: &str| {
        Request::post("/auth/logout")
            .header("cookie", &cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(format!("csrf={}", urlencode(field))))
            .unwrap()
    };
    assert_eq!(h.send(logout("wrong")).await.status, StatusCode::FORBIDDEN);
    let out = h.send(logout(&token)).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(
        set_cookie(&out.headers, "berth_session")
            .unwrap()
            .contains("Max-Age=0")
    );
    assert_eq!(
        h.send(get_with_cookie("/api/v1/me", &cookie)).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        h.send(get_with_cookie("/api/v1/me", &other)).await.status,
        StatusCode::OK,
        "other sessions live on"
    );
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn api_tokens_are_shown_once_listed_and_revocable() {
    let h = Harness::new().await;
    let made = h
        .api(
            Method::POST,
            "/api/v1/tokens",
            &h.alice_token,
            Some(json!({"name": "ci"})),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.json);
    let token = made.json["token"].as_str().unwrap().to_string();
    let id = made.json["id"].as_str().unwrap().to_string();
    assert!(token.starts_with("berth_"));
    assert_eq!(
        h.api(Method::GET, "/api/v1/me", &token, None).await.json["login"],
        "alice"
    );

    let list = h
        .api(Method::GET, "/api/v1/tokens", &token, None)
        .await
        .json;
    let names: Vec<_> = list["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["test", "ci"]);
    assert!(
        !list.to_string().contains(&token),
        "a token is never shown again"
    );

    let bad = h
        .api(
            Method::POST,
            "/api/v1/tokens",
            &token,
            Some(json!({"name": ""})),
        )
        .await;
    assert_eq!(
        (bad.status, bad.json["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_request"))
    );
    let garbage = h
        .api(
            Method::POST,
            "/api/v1/tokens",
            &token,
            Some(json!({"nom": "x"})),
        )
        .await;
    assert_eq!(garbage.status, StatusCode::BAD_REQUEST);

    let (_, bob_token) = user(&h.store, "bob").await;
    let path = format!("/api/v1/tokens/{id}");
    assert_eq!(
        h.api(Method::DELETE, &path, &bob_token, None).await.status,
        StatusCode::NOT_FOUND,
        "not bob's"
    );
    assert_eq!(
        h.api(Method::DELETE, &path, &h.alice_token, None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        h.api(Method::GET, "/api/v1/me", &token, None).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        h.api(Method::DELETE, &path, &h.alice_token, None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn another_users_project_is_not_found() {
    let h = Harness::new().await;
    let d = h.deploy("alices-tools", &h.alice_token, "v1").await;
    let (_, bob) = user(&h.store, "bob").await;
    let id = d["id"].as_str().unwrap();
    let paths = [
        (
            Method::GET,
            "/api/v1/projects/alices-tools".to_string(),
            None,
        ),
        (
            Method::GET,
            "/api/v1/projects/alices-tools/deployments".to_string(),
            None,
        ),
        (
            Method::GET,
            "/api/v1/projects/alices-tools/env".to_string(),
            None,
        ),
        (
            Method::PUT,
            "/api/v1/projects/alices-tools/env/KEY".to_string(),
            Some(json!({"value": "x"})),
        ),
        (
            Method::DELETE,
            "/api/v1/projects/alices-tools/env/KEY".to_string(),
            None,
        ),
        (
            Method::POST,
            "/api/v1/projects/alices-tools/rollback".to_string(),
            None,
        ),
        (Method::GET, format!("/api/v1/deployments/{id}"), None),
        (Method::GET, format!("/api/v1/deployments/{id}/logs"), None),
        (
            Method::POST,
            format!("/api/v1/deployments/{id}/promote"),
            None,
        ),
    ];
    for (method, path, body) in paths {
        let reply = h.api(method.clone(), &path, &bob, body).await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "{method} {path}: {}",
            reply.json
        );
        assert_eq!(reply.json["error"]["code"], "not_found");
    }
    let list = h
        .api(Method::GET, "/api/v1/projects", &bob, None)
        .await
        .json;
    assert_eq!(list["projects"], json!([]));
    assert!(
        h.store
            .env(&h.store.project("alices-tools").await.unwrap().unwrap().id)
            .await
            .unwrap()
            .is_empty()
    );
}

/// GitHub as the flow sees it: a fixed authorize URL, and a code that is accepted only with the
/// verifier the sign-in started with.
struct FakeGitHub;

#[async_trait::async_trait]
impl IdentityProvider for FakeGitHub {
    fn authorize(&self) -> Result<Authorization, String> {
        Ok(Authorization {
            url: "https://github.example/login/oauth/authorize?state=st-1".into(),
            state: "st-1".into(),
            pkce_verifier: "verifier-1".into(),
        })
    }
    async fn sign_in(&self, code: &str, verifier: &str) -> Result<NewUser, String> {
        if code != "good-code" || verifier != "verifier-1" {
            return Err("bad_verification_code".into());
        }
        Ok(NewUser {
            github_id: Some(77),
            login: "octocat".into(),
            name: Some("The Octocat".into()),
            avatar_url: None,
        })
    }
}

#[tokio::test]
async fn github_sign_in_checks_state_and_creates_the_user() {
    let mut h = Harness::new().await;
    let off = h
        .send(
            Request::get("/auth/github/login")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(off.status, StatusCode::NOT_FOUND, "no GitHub configured");
    h.state = h.state.clone().with_identity(Arc::new(FakeGitHub));
    h.app = berth_control::router(h.state.clone());

    let start = h
        .send(
            Request::get("/auth/github/login?next=/projects")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(start.status, StatusCode::SEE_OTHER);
    assert_eq!(
        start.headers["location"],
        "https://github.example/login/oauth/authorize?state=st-1"
    );
    let oauth = set_cookie(&start.headers, "berth_oauth").unwrap();
    assert!(oauth.contains("HttpOnly") && oauth.contains("Path=/auth/github"));
    let oauth = oauth.split(';').next().unwrap().to_string();

    let callback = |query: &str, cookie: Option<&str>| {
        let mut req = Request::get(format!("/auth/github/callback?{query}"));
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        req.body(Body::empty()).unwrap()
    };
    assert_eq!(
        h.send(callback("code=good-code&state=st-1", None))
            .await
            .status,
        StatusCode::BAD_REQUEST,
        "no cookie"
    );
    assert_eq!(
        h.send(callback("code=good-code&state=forged", Some(&oauth)))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    let denied = h
        .send(callback(
            "error=access_denied&error_description=denied",
            Some(&oauth),
        ))
        .await;
    assert_eq!(denied.status, StatusCode::BAD_REQUEST);
    let refused = h.send(callback("code=bad&state=st-1", Some(&oauth))).await;
    assert_eq!(
        (refused.status, refused.json["error"]["code"].as_str()),
        (StatusCode::BAD_GATEWAY, Some("upstream"))
    );
    assert!(h.store.tokens(&h.alice.id).await.is_ok());

    let done = h
        .send(callback("code=good-code&state=st-1", Some(&oauth)))
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(done.headers["location"], "/projects");
    let session = set_cookie(&done.headers, "berth_session").unwrap();
    let me = h
        .send(get_with_cookie(
            "/api/v1/me",
            session.split(';').next().unwrap(),
        ))
        .await;
    assert_eq!(me.json["login"], "octocat");
    assert!(
        set_cookie(&done.headers, "berth_oauth")
            .unwrap()
            .contains("Max-Age=0")
    );
}
