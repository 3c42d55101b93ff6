//! Private projects at the edge: 401 with the RFC 9728 challenge without a key, a malformed or unknown
//! key refused as `invalid_token`, a live key let in (its use reported once a minute), a revoked key or
//! another project's key refused; the protected resource metadata; CORS for browser clients.

mod common;

use berth_core::Access;
use berth_edge::{Edge, EdgeConfig, KeyUseReporter, Route, RouteTable};
use common::{ACCEPT_BOTH, fixtures};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::sync::{Arc, Mutex};

const PUBLIC_URL: &str = "https://mcp.example.com";
const KEY_A: &str = "berth_pk_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const KEY_B: &str = "berth_pk_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

/// Every reported key use: (project id, key id).
#[derive(Default)]
struct Uses(Mutex<Vec<(String, String)>>);

impl KeyUseReporter for Uses {
    fn used(&self, project_id: &str, key_id: &str, _at_ms: i64) {
        let mut uses = self.0.lock().unwrap();
        uses.push((project_id.to_string(), key_id.to_string()));
    }
}

struct Private {
    base: String,
    routes: RouteTable,
    uses: Arc<Uses>,
    http: reqwest::Client,
}

fn sha256(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// `slug`'s fixture route with this access rule.
fn route(slug: &str, private: bool, keys: &[(&str, &str)]) -> Route {
    let keys = keys.iter().map(|(id, key)| (id.to_string(), sha256(key)));
    Route {
        access: Arc::new(Access::new(private, keys)),
        ..fixtures::route(slug)
    }
}

/// An edge where `demo` is private with key A, `other` private with key B, `open` public.
async fn spawn() -> Private {
    let routes = RouteTable::new();
    routes.set(route("demo", true, &[("k-a", KEY_A)]));
    routes.set(route("other", true, &[("k-b", KEY_B)]));
    routes.set(route("open", false, &[]));
    let uses = Arc::new(Uses::default());
    let config = EdgeConfig {
        public_url: Some(PUBLIC_URL.into()),
        ..EdgeConfig::default()
    };
    let router = Edge::builder(routes.clone(), Arc::new(fixtures::Fixtures))
        .config(config)
        .key_uses(uses.clone())
        .into_router();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    Private {
        base,
        routes,
        uses,
        http: reqwest::Client::new(),
    }
}

fn initialize() -> Value {
    json!({ "jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {},
        "clientInfo": { "name": "test", "version": "1" } } })
}

impl Private {
    async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> reqwest::Response {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("accept", ACCEPT_BOTH);
        if let Some(body) = body {
            req = req
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send().await.unwrap()
    }

    async fn post(&self, project: &str, auth: Option<&str>, body: &Value) -> reqwest::Response {
        let bearer = auth.map(|a| format!("Bearer {a}"));
        let headers: Vec<(&str, &str)> = bearer
            .iter()
            .map(|b| ("authorization", b.as_str()))
            .collect();
        self.send(
            Method::POST,
            &format!("/{project}/mcp"),
            &headers,
            Some(body),
        )
        .await
    }
}

fn challenge(res: &reqwest::Response) -> String {
    res.headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

/// A 401 with a JSON-RPC error body; returns its challenge.
async fn refused(res: reqwest::Response) -> String {
    assert_eq!(res.status(), 401);
    let challenge = challenge(&res);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["jsonrpc"], "2.0", "{body}");
    assert_eq!(body["id"], Value::Null, "{body}");
    assert_eq!(body["error"]["code"], -32600, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Unauthorized"),
        "{body}"
    );
    challenge
}

const DEMO_METADATA: &str = "https://mcp.example.com/.well-known/oauth-protected-resource/demo/mcp";

#[tokio::test]
async fn a_private_project_answers_401_with_the_metadata_challenge() {
    let edge = spawn().await;
    let expected = format!("Bearer resource_metadata=\"{DEMO_METADATA}\", scope=\"mcp\"");
    let res = edge.post("demo", None, &initialize()).await;
    assert_eq!(refused(res).await, expected);
    // GET (the session stream) and DELETE (closing a session) as much as POST.
    let session = [("mcp-session-id", "any")];
    for method in [Method::GET, Method::DELETE] {
        let res = edge.send(method.clone(), "/demo/mcp", &session, None).await;
        assert_eq!(refused(res).await, expected, "{method}");
    }
    // A public project is as it was.
    let res = edge.post("open", None, &initialize()).await;
    assert_eq!(res.status(), 200);
    assert!(res.headers().get("www-authenticate").is_none());
    assert!(res.headers().get("mcp-session-id").is_some());
}

#[tokio::test]
async fn malformed_unknown_revoked_and_foreign_keys_are_invalid_tokens() {
    let edge = spawn().await;
    let invalid = |challenge: &str| {
        challenge.starts_with("Bearer error=\"invalid_token\", error_description=\"")
            && challenge.ends_with(&format!(
                ", resource_metadata=\"{DEMO_METADATA}\", scope=\"mcp\""
            ))
    };
    for header in [
        "Basic dXNlcjpwYXNz",
        "Bearer",
        "Bearer ",
        "Bearer a b",
        "Token x",
    ] {
        let res = edge
            .send(
                Method::POST,
                "/demo/mcp",
                &[("authorization", header)],
                Some(&initialize()),
            )
            .await;
        let challenge = refused(res).await;
        assert!(invalid(&challenge), "{header}: {challenge}");
    }
    // Another project's key, and a key no project has.
    for key in [KEY_B, "berth_pk_unknown"] {
        let challenge = refused(edge.post("demo", Some(key), &initialize()).await).await;
        assert!(invalid(&challenge), "{challenge}");
    }
    // Revoked: the route is published again without it.
    assert_eq!(
        edge.post("demo", Some(KEY_A), &initialize()).await.status(),
        200
    );
    edge.routes.set(route("demo", true, &[]));
    let challenge = refused(edge.post("demo", Some(KEY_A), &initialize()).await).await;
    assert!(invalid(&challenge), "{challenge}");
    // Made public again: no key needed.
    edge.routes.set(route("demo", false, &[]));
    assert_eq!(edge.post("demo", None, &initialize()).await.status(), 200);
    assert!(edge.uses.0.lock().unwrap().iter().all(|(_, k)| k == "k-a"));
}

#[tokio::test]
async fn a_live_key_opens_every_request_and_its_use_is_reported_once() {
    let edge = spawn().await;
    let res = edge.post("demo", Some(KEY_A), &initialize()).await;
    assert_eq!(res.status(), 200);
    let session = res.headers()["mcp-session-id"]
        .to_str()
        .unwrap()
        .to_string();
    let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "test_simple_text", "arguments": {}}});
    let auth = format!("Bearer {KEY_A}");
    let headers = [
        ("authorization", auth.as_str()),
        ("mcp-session-id", session.as_str()),
        ("mcp-protocol-version", "2025-11-25"),
    ];
    let res = edge
        .send(Method::POST, "/demo/mcp", &headers, Some(&call))
        .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["result"]["content"][0]["text"],
        "This is a simple text response for testing."
    );
    // Every request is checked, not only the session's first.
    let res = edge
        .send(Method::POST, "/demo/mcp", &headers[1..], Some(&call))
        .await;
    refused(res).await;
    // The 2026-07-28 era too.
    let discover = json!({"jsonrpc": "2.0", "id": 2, "method": "server/discover", "params": {
    "_meta": {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": { "name": "test", "version": "1" },
    }}});
    let modern = [
        ("authorization", auth.as_str()),
        ("mcp-protocol-version", "2026-07-28"),
        ("mcp-method", "server/discover"),
    ];
    let res = edge
        .send(Method::POST, "/demo/mcp", &modern, Some(&discover))
        .await;
    assert_eq!(res.status(), 200);
    let res = edge
        .send(Method::POST, "/demo/mcp", &modern[1..], Some(&discover))
        .await;
    refused(res).await;
    // Closing the session with the key works.
    let res = edge
        .send(Method::DELETE, "/demo/mcp", &headers[..2], None)
        .await;
    assert_eq!(res.status(), 200);
    // Three uses within a minute: reported once, with the key and its project.
    let uses = edge.uses.0.lock().unwrap().clone();
    assert_eq!(uses, [("proj-demo".to_string(), "k-a".to_string())]);
}

#[tokio::test]
async fn protected_resource_metadata_names_the_resource_and_berth() {
    let edge = spawn().await;
    let get = |path: &'static str| edge.send(Method::GET, path, &[], None);
    let res = get("/.well-known/oauth-protected-resource/demo/mcp").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/json");
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body,
        json!({
            "resource": "https://mcp.example.com/demo/mcp",
            "authorization_servers": ["https://mcp.example.com"],
            "scopes_supported": ["mcp"],
            "bearer_methods_supported": ["header"],
            "resource_name": "fixtures",
        })
    );
    // Public projects have one too: it says the same.
    let res = get("/.well-known/oauth-protected-resource/open/mcp").await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["resource"], "https://mcp.example.com/open/mcp");
    let res = get("/.well-known/oauth-protected-resource/nowhere/mcp").await;
    assert_eq!(res.status(), 404);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "not_found");
    // The server-wide form.
    let body: Value = get("/.well-known/oauth-protected-resource")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["resource"], PUBLIC_URL);
    assert_eq!(body["authorization_servers"], json!([PUBLIC_URL]));
    assert_eq!(body["scopes_supported"], json!(["mcp"]));
    assert!(body.get("authorization_endpoint").is_none());
}

#[tokio::test]
async fn without_a_public_url_the_challenge_names_the_requested_host() {
    let routes = RouteTable::new();
    routes.set(route("demo", true, &[("k-a", KEY_A)]));
    let router = Edge::builder(routes, Arc::new(fixtures::Fixtures)).into_router();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let res = reqwest::Client::new()
        .post(format!("http://{addr}/demo/mcp"))
        .header("content-type", "application/json")
        .body(initialize().to_string())
        .send()
        .await
        .unwrap();
    let expected = format!(
        "Bearer resource_metadata=\"http://{addr}/.well-known/oauth-protected-resource/demo/mcp\", scope=\"mcp\""
    );
    assert_eq!(refused(res).await, expected);
}

#[tokio::test]
async fn browsers_get_cors_and_the_origin_check_still_holds() {
    let edge = spawn().await;
    let asked = "authorization, content-type, mcp-protocol-version, mcp-session-id, mcp-method, mcp-name, last-event-id";
    for path in [
        "/demo/mcp",
        "/.well-known/oauth-protected-resource/demo/mcp",
        "/.well-known/oauth-protected-resource",
    ] {
        let res = edge
            .send(
                Method::OPTIONS,
                path,
                &[
                    ("origin", "https://client.example.org"),
                    ("access-control-request-method", "POST"),
                    ("access-control-request-headers", asked),
                ],
                None,
            )
            .await;
        assert!(res.status().is_success(), "{path}: {}", res.status());
        let header = |name: &str| {
            res.headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_ascii_lowercase())
                .unwrap_or_default()
        };
        assert_eq!(header("access-control-allow-origin"), "*", "{path}");
        let allowed = header("access-control-allow-headers");
        for name in asked.split(", ") {
            assert!(allowed.contains(name), "{path}: {name} not in {allowed}");
        }
        let methods = header("access-control-allow-methods");
        for method in ["get", "post", "delete"] {
            assert!(methods.contains(method), "{path}: {methods}");
        }
    }
    // A refusal lets a browser read the challenge and the session header.
    let res = edge
        .send(
            Method::POST,
            "/demo/mcp",
            &[("origin", "http://localhost:6274")],
            Some(&initialize()),
        )
        .await;
    assert_eq!(res.status(), 401);
    let exposed = res.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(
        exposed.contains("www-authenticate") && exposed.contains("mcp-session-id"),
        "{exposed}"
    );
    // A request (not a preflight) from a foreign origin is still refused, key or not.
    let auth = format!("Bearer {KEY_A}");
    let res = edge
        .send(
            Method::POST,
            "/demo/mcp",
            &[
                ("origin", "https://client.example.org"),
                ("authorization", &auth),
            ],
            Some(&initialize()),
        )
        .await;
    assert_eq!(res.status(), 403);
}
