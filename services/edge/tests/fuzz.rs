//! Property tests of everything the edge reads from a client before a guest runs: the JSON-RPC body
//! (random bytes, JSON of the wrong shape, deep nesting, huge numbers, long strings, batches) and the
//! MCP headers (session id, protocol version, method and name, `Mcp-Param-*`, Origin, Host,
//! Last-Event-ID), driven through the real router with `oneshot`. Whatever arrives, the edge does not
//! panic, answers no 5xx but a documented 503, and every JSON answer is well-formed JSON-RPC.

mod common;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, Method, Request, StatusCode};
use berth_edge::{Edge, RouteTable};
use common::fixtures;
use proptest::prelude::*;
use serde_json::{Value, json};
use std::sync::Arc;
use tower::ServiceExt;

/// Cases per property: each is one request through the router, a fraction of a millisecond in a debug
/// build, so a property stays well under a second or two.
const CASES: u32 = 256;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: CASES,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// The real router over the conformance fixtures, and a live 2025 session id on it.
struct Harness {
    rt: tokio::runtime::Runtime,
    router: Router,
    session: String,
}

impl Harness {
    fn new() -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let routes = RouteTable::new();
        routes.set(fixtures::route("demo"));
        let router = Edge::builder(routes, Arc::new(fixtures::Fixtures)).into_router();
        let init = json!({ "jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": { "name": "fuzz", "version": "1" } } });
        let req = Request::post("/demo/mcp")
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(Body::from(init.to_string()))
            .expect("request");
        let res = rt
            .block_on(router.clone().oneshot(req))
            .expect("infallible");
        assert_eq!(res.status(), StatusCode::OK);
        let session = res.headers()["mcp-session-id"]
            .to_str()
            .expect("ascii")
            .to_string();
        Self {
            rt,
            router,
            session,
        }
    }

    /// Sends one request and checks the answer; returns its status.
    fn check(
        &self,
        method: Method,
        project: &str,
        headers: &[(String, Vec<u8>)],
        body: Vec<u8>,
    ) -> StatusCode {
        let mut req = Request::builder()
            .method(method)
            .uri(format!("/{project}/mcp"));
        for (name, value) in headers {
            if let (Ok(n), Ok(v)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_bytes(value),
            ) {
                req = req.header(n, v);
            }
        }
        let req = req.body(Body::from(body)).expect("request");
        let res = self
            .rt
            .block_on(self.router.clone().oneshot(req))
            .expect("infallible");
        let status = res.status();
        assert!(
            !status.is_server_error() || status == StatusCode::SERVICE_UNAVAILABLE,
            "a {status} answer"
        );
        let content_type = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        if content_type.starts_with("text/event-stream") {
            // A stream (a call's, or a session's standalone one) may stay open; its status is enough.
            assert_eq!(status, StatusCode::OK);
            return status;
        }
        let bytes = self
            .rt
            .block_on(axum::body::to_bytes(res.into_body(), usize::MAX))
            .expect("body");
        if content_type.starts_with("application/json") {
            let body: Value = serde_json::from_slice(&bytes).expect("a JSON answer is JSON");
            assert_json_rpc(&body, status);
        } else {
            assert!(
                status.is_success(),
                "a {status} answer that is not JSON-RPC: {content_type:?} {:?}",
                String::from_utf8_lossy(&bytes)
            );
        }
        status
    }
}

/// A JSON-RPC 2.0 response: `jsonrpc`, an `id` that is a string, an integer or null, and exactly one of
/// `result` or an `error` with an integer code and a message. Every error status carries an error.
fn assert_json_rpc(body: &Value, status: StatusCode) {
    assert_eq!(body["jsonrpc"], "2.0", "{body}");
    let id = &body["id"];
    assert!(
        id.is_null() || id.is_string() || id.is_i64() || id.is_u64(),
        "{body}"
    );
    match (body.get("result"), body.get("error")) {
        (Some(_), None) => assert!(status.is_success(), "{status} {body}"),
        (None, Some(e)) => {
            assert!(e["code"].is_i64(), "{body}");
            assert!(
                e["message"].as_str().is_some_and(|m| !m.is_empty()),
                "{body}"
            );
        }
        _ => panic!("neither a result nor an error: {body}"),
    }
}

/// Any JSON value, nested a few levels: the wrong type anywhere.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
        (1usize..70_000).prop_map(|n| Value::from("x".repeat(n))),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::btree_map(key(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "name",
            "arguments",
            "uri",
            "cursor",
            "taskId",
            "level",
            "protocolVersion",
            "capabilities",
            "_meta",
            "requestId",
            "progressToken",
            "region",
            "io.modelcontextprotocol/protocolVersion",
            "io.modelcontextprotocol/clientCapabilities",
            "io.modelcontextprotocol/logLevel",
        ])
        .prop_map(str::to_string),
        ".{0,8}",
    ]
}

/// Methods the edge knows, in both eras, and some it does not. Tools the fixtures run quickly only:
/// a test does not wait on a call that asks the client for input on a stream.
fn method() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "initialize", "ping", "server/discover", "tools/list", "tools/call", "resources/list",
            "resources/read", "resources/templates/list", "prompts/list", "prompts/get",
            "completion/complete", "logging/setLevel", "resources/subscribe", "resources/unsubscribe",
            "tasks/get", "tasks/update", "tasks/cancel", "notifications/cancelled",
            "notifications/initialized",
        ]).prop_map(str::to_string),
        1 => ".{0,16}",
    ]
}

fn tool_name() -> impl Strategy<Value = Value> {
    prop_oneof![
        prop::sample::select(vec![
            "test_simple_text",
            "test_image_content",
            "test_error_handling",
            "region",
            "counter",
            "remember",
            "env",
            "json_schema_2020_12_tool",
            "nope",
        ])
        .prop_map(Value::from),
        any_json(),
    ]
}

/// An id as clients send it, and as they should not: integers, strings, huge and fractional numbers,
/// null, structures. Some as raw JSON text serde cannot hold as a number.
fn id_text() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        Just("18446744073709551616".to_string()),
        Just("-9223372036854775809".to_string()),
        Just("1e400".to_string()),
        Just("1.5".to_string()),
        "[0-9]{20,400}",
        any_json().prop_map(|v| v.to_string()),
    ])
}

/// A JSON-RPC envelope with each field right, wrong or missing.
fn envelope() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::option::of(prop_oneof![
            3 => Just(json!("2.0")),
            1 => any_json(),
        ]),
        id_text(),
        prop::option::of(prop_oneof![4 => method().prop_map(Value::from), 1 => any_json()]),
        prop::option::of(prop_oneof![
            3 => (tool_name(), any_json(), prop::collection::btree_map(key(), any_json(), 0..4))
                .prop_map(|(name, args, rest)| {
                    let mut p: serde_json::Map<String, Value> = rest.into_iter().collect();
                    p.insert("name".into(), name);
                    p.insert("arguments".into(), args);
                    Value::Object(p)
                }),
            1 => any_json(),
        ]),
        prop::option::of(any_json()),
    )
        .prop_map(|(jsonrpc, id, method, params, result)| {
            let mut fields = Vec::new();
            if let Some(v) = jsonrpc {
                fields.push(format!("\"jsonrpc\":{v}"));
            }
            if let Some(id) = id {
                fields.push(format!("\"id\":{id}"));
            }
            if let Some(m) = method {
                fields.push(format!("\"method\":{m}"));
            }
            if let Some(p) = params {
                fields.push(format!("\"params\":{p}"));
            }
            if let Some(r) = result {
                fields.push(format!("\"result\":{r}"));
            }
            format!("{{{}}}", fields.join(",")).into_bytes()
        })
}

/// A body: an envelope, a batch of them, any JSON, or any bytes.
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        6 => envelope(),
        1 => prop::collection::vec(envelope(), 0..4).prop_map(|items| {
            let items: Vec<String> = items.into_iter().map(|b| String::from_utf8_lossy(&b).into_owned()).collect();
            format!("[{}]", items.join(",")).into_bytes()
        }),
        1 => any_json().prop_map(|v| v.to_string().into_bytes()),
        1 => any::<Vec<u8>>(),
    ]
}

/// A header value: a right one, a wrong one, or any bytes a header may carry.
fn header_value(session: &str) -> impl Strategy<Value = Vec<u8>> {
    let session = session.to_string();
    prop_oneof![
        prop::sample::select(vec![
            "2025-11-25",
            "2025-06-18",
            "2025-03-26",
            "2026-07-28",
            "v9",
            "",
            " ",
            "application/json",
            "text/event-stream",
            "application/json, text/event-stream",
            "*/*",
            "tools/call",
            "test_simple_text",
            "region",
            "http://localhost:3000",
            "http://evil.example",
            "null",
            "localhost",
            "127.0.0.1:8080",
            "[::1",
            "[::1]:x",
            "evil.example",
            "=?base64?ZXU=?=",
            "=?base64?!!?=",
            "=?base64?",
            "abc_7",
            "_",
            "_18446744073709551616",
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
        Just(session.into_bytes()),
        prop::collection::vec(any::<u8>(), 0..40),
        (1usize..9000).prop_map(|n| vec![b'a'; n]),
    ]
}

fn headers(session: &str) -> impl Strategy<Value = Vec<(String, Vec<u8>)>> {
    let name = prop_oneof![
        8 => prop::sample::select(vec![
            "content-type", "accept", "mcp-session-id", "mcp-protocol-version", "mcp-method",
            "mcp-name", "mcp-param-region", "origin", "host", "last-event-id",
        ]).prop_map(str::to_string),
        1 => "[a-z-]{1,12}",
    ];
    let mut always = vec![("content-type".to_string(), b"application/json".to_vec())];
    always.push((
        "accept".to_string(),
        b"application/json, text/event-stream".to_vec(),
    ));
    prop::collection::vec((name, header_value(session)), 0..8).prop_map(move |mut h| {
        // Usually the right content type and Accept, so that bodies get past them; the random ones
        // come after and replace them.
        let mut all = always.clone();
        all.append(&mut h);
        all
    })
}

/// The headers a 2026-07-28 request needs for `method`, so that random bodies reach the later checks.
fn modern_headers(method: &str) -> Vec<(String, Vec<u8>)> {
    vec![
        ("content-type".into(), b"application/json".to_vec()),
        (
            "accept".into(),
            b"application/json, text/event-stream".to_vec(),
        ),
        ("mcp-protocol-version".into(), b"2026-07-28".to_vec()),
        ("mcp-method".into(), method.as_bytes().to_vec()),
    ]
}

fn run(
    harness: &Harness,
    method: Method,
    project: &str,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
) {
    // A header that appears twice is appended: keep the last one only, as a client would send it.
    let mut last: Vec<(String, Vec<u8>)> = Vec::new();
    for (k, v) in headers {
        last.retain(|(k2, _)| *k2 != k);
        last.push((k, v));
    }
    harness.check(method, project, &last, body);
}

#[test]
fn any_body_with_any_headers() {
    let harness = Harness::new();
    let session = harness.session.clone();
    proptest!(config(), |(body in body(), headers in headers(&session), project in prop::sample::select(vec!["demo", "nowhere"]))| {
        run(&harness, Method::POST, project, headers, body);
    });
}

#[test]
fn any_body_of_a_2025_session() {
    let harness = Harness::new();
    let session = harness.session.clone();
    proptest!(config(), |(body in envelope())| {
        let headers = vec![
            ("content-type".to_string(), b"application/json".to_vec()),
            ("accept".to_string(), b"application/json, text/event-stream".to_vec()),
            ("mcp-session-id".to_string(), session.as_bytes().to_vec()),
            ("mcp-protocol-version".to_string(), b"2025-11-25".to_vec()),
        ];
        run(&harness, Method::POST, "demo", headers, body);
    });
}

#[test]
fn any_2026_request() {
    let harness = Harness::new();
    let session = harness.session.clone();
    proptest!(config(), |(
        m in method(),
        id in prop_oneof![any::<i64>().prop_map(Value::from), ".{0,8}".prop_map(Value::from)],
        params in prop::collection::btree_map(key(), any_json(), 0..5),
        name in tool_name(),
        caps in any_json(),
        extra in headers(&session),
    )| {
        let mut params: serde_json::Map<String, Value> = params.into_iter().collect();
        params.insert("name".into(), name.clone());
        params.insert("_meta".into(), json!({
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": caps,
        }));
        let mut h = modern_headers(&m);
        if let Some(n) = name.as_str() {
            h.push(("mcp-name".into(), n.as_bytes().to_vec()));
        }
        // Random headers only sometimes: half the cases keep the request well-formed to the end.
        if extra.len() % 2 == 0 {
            h.extend(extra.into_iter().skip(2));
        }
        let body = json!({ "jsonrpc": "2.0", "id": id, "method": m, "params": params });
        run(&harness, Method::POST, "demo", h, body.to_string().into_bytes());
    });
}

#[test]
fn get_and_delete_with_any_headers() {
    let harness = Harness::new();
    let session = harness.session.clone();
    proptest!(config(), |(headers in headers(&session), get in any::<bool>())| {
        let method = if get { Method::GET } else { Method::DELETE };
        run(&harness, method, "demo", headers, Vec::new());
    });
}

/// Ten thousand nested arrays or objects, as the whole body, as params, as the id or inside
/// arguments: refused as a parse error, never a stack overflow.
#[test]
fn deep_nesting_is_a_parse_error() {
    let harness = Harness::new();
    let depth = 10_000;
    let arrays = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let objects = format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
    for nested in [&arrays, &objects] {
        for body in [
            nested.clone(),
            format!(
                r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"test_simple_text","arguments":{{"x":{nested}}}}}}}"#
            ),
            format!(r#"{{"jsonrpc":"2.0","id":{nested},"method":"ping"}}"#),
            format!(r#"{{"jsonrpc":"2.0","id":1,"method":"ping","params":{nested}}}"#),
        ] {
            let headers = vec![
                ("content-type".to_string(), b"application/json".to_vec()),
                (
                    "mcp-session-id".to_string(),
                    harness.session.as_bytes().to_vec(),
                ),
            ];
            let status = harness.check(Method::POST, "demo", &headers, body.into_bytes());
            assert_eq!(status, StatusCode::BAD_REQUEST);
        }
    }
}
