//! The stand-in's HTTP surface: OAuth pages, the REST endpoints, and git (the fallback route).

use axum::body::Bytes;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;

use crate::{RecordedComment, RecordedStatus, RepoInfo, Shared};

type S = State<Arc<Shared>>;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/login/oauth/authorize", get(authorize))
        .route("/login/oauth/access_token", post(access_token))
        .route("/api/v3/user", get(user))
        .route("/api/v3/user/repos", get(user_repos))
        .route("/api/v3/repos/{owner}/{repo}", get(repository))
        .route(
            "/api/v3/repos/{owner}/{repo}/statuses/{sha}",
            post(create_status),
        )
        .route(
            "/api/v3/repos/{owner}/{repo}/issues/{number}/comments",
            get(list_comments).post(create_comment),
        )
        .route(
            "/api/v3/repos/{owner}/{repo}/issues/comments/{id}",
            patch(edit_comment),
        )
        .fallback(git)
        .with_state(shared)
}

fn message(status: StatusCode, text: &str) -> Response {
    (
        status,
        Json(json!({"message": text, "documentation_url": "https://docs.github.com/rest"})),
    )
        .into_response()
}

pub(crate) fn repo_json(web: &str, r: &RepoInfo) -> Value {
    let full = format!("{}/{}", r.owner, r.name);
    json!({
        "id": r.id, "node_id": format!("R_{}", r.id), "name": r.name, "full_name": full, "private": r.private,
        "owner": {"login": r.owner, "id": r.id + 1, "type": "User"},
        "html_url": format!("{web}/{full}"), "clone_url": format!("{web}/{full}.git"),
        "default_branch": r.default_branch, "visibility": if r.private { "private" } else { "public" },
        "permissions": {"admin": r.push, "maintain": r.push, "push": r.push, "triage": r.push, "pull": true},
    })
}

/// The test user, if the request carries their token (`Bearer` or `token`).
fn authed(shared: &Shared, headers: &HeaderMap) -> bool {
    let value = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("token "))
        .unwrap_or("");
    !token.is_empty() && token == shared.user.token
}

#[derive(Deserialize)]
struct AuthorizeQuery {
    client_id: String,
    redirect_uri: String,
    state: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
}

/// Approves the test user at once and sends the browser back with a code and the state.
async fn authorize(State(shared): S, Query(q): Query<AuthorizeQuery>) -> Response {
    if q.client_id != shared.client_id {
        return (StatusCode::NOT_FOUND, "unknown OAuth application").into_response();
    }
    if q.code_challenge.is_some() && q.code_challenge_method.as_deref() != Some("S256") {
        return (
            StatusCode::BAD_REQUEST,
            "code_challenge_method must be S256",
        )
            .into_response();
    }
    let code = hex::encode(rand::random::<[u8; 10]>());
    shared
        .lock()
        .codes
        .insert(code.clone(), (q.code_challenge, q.redirect_uri.clone()));
    let sep = if q.redirect_uri.contains('?') {
        '&'
    } else {
        '?'
    };
    let mut target = format!("{}{sep}code={code}", q.redirect_uri);
    if let Some(state) = q.state {
        target.push_str(&format!("&state={}", urlencode(&state)));
    }
    Redirect::to(&target).into_response()
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// GitHub answers token errors with 200 and an `error` field.
async fn access_token(State(shared): S, Form(form): Form<HashMap<String, String>>) -> Response {
    let error = |code: &str, description: &str| {
        Json(json!({"error": code, "error_description": description, "error_uri": "https://docs.github.com"}))
            .into_response()
    };
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    if field("client_id") != shared.client_id || field("client_secret") != shared.client_secret {
        return error(
            "incorrect_client_credentials",
            "The client_id and/or client_secret passed are incorrect.",
        );
    }
    let Some((challenge, redirect_uri)) = shared.lock().codes.remove(field("code")) else {
        return error(
            "bad_verification_code",
            "The code passed is incorrect or expired.",
        );
    };
    if !field("redirect_uri").is_empty() && field("redirect_uri") != redirect_uri {
        return error(
            "redirect_uri_mismatch",
            "The redirect_uri MUST match the registered callback URL.",
        );
    }
    if let Some(challenge) = challenge {
        let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(field("code_verifier").as_bytes()));
        if computed != challenge {
            return error(
                "invalid_grant",
                "The code_verifier does not match the code_challenge.",
            );
        }
    }
    Json(json!({"access_token": shared.user.token, "token_type": "bearer", "scope": "read:user,repo"})).into_response()
}

async fn user(State(shared): S, headers: HeaderMap) -> Response {
    if !authed(&shared, &headers) {
        return message(StatusCode::UNAUTHORIZED, "Bad credentials");
    }
    let u = &shared.user;
    Json(
        json!({"login": u.login, "id": u.id, "name": u.name, "type": "User",
        "avatar_url": format!("https://avatars.example/u/{}", u.id)}),
    )
    .into_response()
}

async fn user_repos(State(shared): S, headers: HeaderMap, uri: Uri) -> Response {
    if !authed(&shared, &headers) {
        return message(StatusCode::UNAUTHORIZED, "Bad credentials");
    }
    let page = uri
        .query()
        .unwrap_or("")
        .split('&')
        .find_map(|kv| kv.strip_prefix("page="))
        .unwrap_or("1");
    if page != "1" {
        return Json(json!([])).into_response();
    }
    let web = web_base(&headers);
    let state = shared.lock();
    let mut repos: Vec<&RepoInfo> = state.repos.values().filter(|r| r.push).collect();
    repos.sort_by_key(|r| r.id);
    Json(
        repos
            .into_iter()
            .map(|r| repo_json(&web, r))
            .collect::<Vec<_>>(),
    )
    .into_response()
}

fn web_base(headers: &HeaderMap) -> String {
    format!(
        "http://{}",
        headers
            .get("host")
            .and_then(|h| h.to_str().ok())
            .unwrap_or("127.0.0.1")
    )
}

/// The repository if the token may see it (private ones only with the user's token).
fn visible(shared: &Shared, headers: &HeaderMap, owner: &str, repo: &str) -> Option<RepoInfo> {
    let r = shared
        .lock()
        .repos
        .get(&format!("{owner}/{repo}").to_lowercase())
        .cloned()?;
    (!r.private || authed(shared, headers)).then_some(r)
}

async fn repository(
    State(shared): S,
    headers: HeaderMap,
    Path((owner, repo)): Path<(String, String)>,
) -> Response {
    match visible(&shared, &headers, &owner, &repo) {
        Some(r) => Json(repo_json(&web_base(&headers), &r)).into_response(),
        None => message(StatusCode::NOT_FOUND, "Not Found"),
    }
}

/// Writes need the user's token and push access; GitHub hides what one may not write as 404.
fn writable(
    shared: &Shared,
    headers: &HeaderMap,
    owner: &str,
    repo: &str,
) -> Result<RepoInfo, (StatusCode, &'static str)> {
    if !authed(shared, headers) {
        return Err((StatusCode::UNAUTHORIZED, "Bad credentials"));
    }
    visible(shared, headers, owner, repo)
        .filter(|r| r.push)
        .ok_or((StatusCode::NOT_FOUND, "Not Found"))
}

async fn create_status(
    State(shared): S,
    headers: HeaderMap,
    Path((owner, repo, sha)): Path<(String, String, String)>,
    Json(body): Json<Value>,
) -> Response {
    let r = match writable(&shared, &headers, &owner, &repo) {
        Ok(r) => r,
        Err((code, text)) => return message(code, text),
    };
    let state = body.get("state").and_then(Value::as_str).unwrap_or("");
    if !["error", "failure", "pending", "success"].contains(&state) {
        return message(StatusCode::UNPROCESSABLE_ENTITY, "Validation Failed: state");
    }
    let text = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_string);
    let status = RecordedStatus {
        repo: format!("{}/{}", r.owner, r.name),
        sha,
        state: state.to_string(),
        target_url: text("target_url"),
        description: text("description"),
        context: text("context").unwrap_or_else(|| "default".into()),
    };
    let mut s = shared.lock();
    s.next_id += 1;
    let id = s.next_id;
    s.statuses.push(status.clone());
    (
        StatusCode::CREATED,
        Json(
            json!({"id": id, "state": status.state, "context": status.context,
        "target_url": status.target_url, "description": status.description}),
        ),
    )
        .into_response()
}

fn comment_json(c: &RecordedComment) -> Value {
    json!({"id": c.id, "body": c.body, "user": {"login": "octo"}})
}

async fn list_comments(
    State(shared): S,
    headers: HeaderMap,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    uri: Uri,
) -> Response {
    let r = match visible(&shared, &headers, &owner, &repo) {
        Some(r) => r,
        None => return message(StatusCode::NOT_FOUND, "Not Found"),
    };
    let page = uri
        .query()
        .unwrap_or("")
        .split('&')
        .find_map(|kv| kv.strip_prefix("page="))
        .unwrap_or("1");
    if page != "1" {
        return Json(json!([])).into_response();
    }
    let full = format!("{}/{}", r.owner, r.name);
    let s = shared.lock();
    let list: Vec<Value> = s
        .comments
        .iter()
        .filter(|c| c.repo == full && c.issue == number)
        .map(comment_json)
        .collect();
    Json(list).into_response()
}

async fn create_comment(
    State(shared): S,
    headers: HeaderMap,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Json(body): Json<Value>,
) -> Response {
    let r = match writable(&shared, &headers, &owner, &repo) {
        Ok(r) => r,
        Err((code, text)) => return message(code, text),
    };
    let Some(text) = body.get("body").and_then(Value::as_str) else {
        return message(StatusCode::UNPROCESSABLE_ENTITY, "Validation Failed: body");
    };
    let mut s = shared.lock();
    s.next_id += 1;
    let c = RecordedComment {
        id: s.next_id,
        repo: format!("{}/{}", r.owner, r.name),
        issue: number,
        body: text.to_string(),
        edits: 0,
    };
    s.comments.push(c.clone());
    (StatusCode::CREATED, Json(comment_json(&c))).into_response()
}

async fn edit_comment(
    State(shared): S,
    headers: HeaderMap,
    Path((owner, repo, id)): Path<(String, String, i64)>,
    Json(body): Json<Value>,
) -> Response {
    let r = match writable(&shared, &headers, &owner, &repo) {
        Ok(r) => r,
        Err((code, text)) => return message(code, text),
    };
    let Some(text) = body.get("body").and_then(Value::as_str) else {
        return message(StatusCode::UNPROCESSABLE_ENTITY, "Validation Failed: body");
    };
    let full = format!("{}/{}", r.owner, r.name);
    let mut s = shared.lock();
    match s.comments.iter_mut().find(|c| c.id == id && c.repo == full) {
        Some(c) => {
            c.body = text.to_string();
            c.edits += 1;
            Json(comment_json(c)).into_response()
        }
        None => message(StatusCode::NOT_FOUND, "Not Found"),
    }
}

/// git over smart HTTP: `/{owner}/{repo}.git/...`. Private repositories need the user's token as the
/// Basic-auth password (any user name, as GitHub accepts `x-access-token`).
async fn git(
    State(shared): S,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path();
    let mut parts = path.trim_start_matches('/').splitn(3, '/');
    let (Some(owner), Some(repo_git), Some(_)) = (parts.next(), parts.next(), parts.next()) else {
        return (StatusCode::NOT_FOUND, "Not Found").into_response();
    };
    let Some(repo) = repo_git.strip_suffix(".git") else {
        return (StatusCode::NOT_FOUND, "Not Found").into_response();
    };
    let Some(info) = shared
        .lock()
        .repos
        .get(&format!("{owner}/{repo}").to_lowercase())
        .cloned()
    else {
        return (StatusCode::NOT_FOUND, "Repository not found.").into_response();
    };
    if info.private && !basic_auth_ok(&shared, &headers) {
        return Response::builder()
            .status(StatusCode::UNAUTHORIZED)
            .header("www-authenticate", "Basic realm=\"GitHub\"")
            .body(axum::body::Body::from("authentication required"))
            .unwrap_or_default();
    }
    crate::git::http_backend(
        &shared.repos_root,
        path,
        &method,
        uri.query().unwrap_or(""),
        &headers,
        body,
    )
    .await
}

fn basic_auth_ok(shared: &Shared, headers: &HeaderMap) -> bool {
    let Some(encoded) = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
    else {
        return false;
    };
    let Ok(decoded) = STANDARD.decode(encoded.trim()) else {
        return false;
    };
    let text = String::from_utf8_lossy(&decoded);
    text.split_once(':')
        .is_some_and(|(_, password)| password == shared.user.token)
}
