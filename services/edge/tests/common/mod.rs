//! Helpers for driving a real edge on a loopback listener.
#![allow(dead_code)] // each test binary uses a different part of these helpers

pub mod fixtures;

use berth_edge::{Edge, EdgeConfig, RouteTable};
use futures::StreamExt;
use serde_json::{Value, json};
use std::sync::Arc;

pub struct TestEdge {
    pub base: String,
    pub routes: RouteTable,
    pub registry: prometheus::Registry,
    pub http: reqwest::Client,
}

pub async fn spawn(config: EdgeConfig) -> TestEdge {
    let routes = RouteTable::new();
    routes.set(fixtures::route("demo"));
    routes.set(fixtures::route("other"));
    let registry = prometheus::Registry::new();
    let router = Edge::builder(routes.clone(), Arc::new(fixtures::Fixtures))
        .config(config)
        .metrics(&registry)
        .into_router();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move { axum::serve(listener, router).await });
    TestEdge {
        base: format!("http://{addr}"),
        routes,
        registry,
        http: reqwest::Client::new(),
    }
}

pub const ACCEPT_BOTH: &str = "application/json, text/event-stream";

impl TestEdge {
    pub fn url(&self, project: &str) -> String {
        format!("{}/{project}/mcp", self.base)
    }

    pub async fn post(
        &self,
        project: &str,
        headers: &[(&str, &str)],
        body: &Value,
    ) -> reqwest::Response {
        let mut req = self
            .http
            .post(self.url(project))
            .header("content-type", "application/json")
            .body(body.to_string());
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send().await.expect("request")
    }

    /// Opens a 2025-11-25 session with elicitation and sampling declared.
    pub async fn initialize(&self, project: &str) -> String {
        let body = json!({ "jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": { "elicitation": {}, "sampling": {} },
            "clientInfo": { "name": "test", "version": "1" } } });
        let res = self.post(project, &[("accept", ACCEPT_BOTH)], &body).await;
        assert_eq!(res.status(), 200);
        let session = res
            .headers()
            .get("mcp-session-id")
            .expect("session header")
            .to_str()
            .unwrap_or("")
            .to_string();
        let body: Value = res.json().await.expect("json");
        assert_eq!(body["result"]["protocolVersion"], "2025-11-25");
        session
    }

    pub async fn legacy(
        &self,
        project: &str,
        session: &str,
        id: u64,
        method: &str,
        params: Value,
    ) -> reqwest::Response {
        let body = json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params });
        self.post(
            project,
            &[
                ("accept", ACCEPT_BOTH),
                ("mcp-session-id", session),
                ("mcp-protocol-version", "2025-11-25"),
            ],
            &body,
        )
        .await
    }

    /// A 2026-07-28 request with the required headers and `_meta`.
    pub async fn modern(
        &self,
        project: &str,
        method: &str,
        mut params: Value,
        caps: Value,
    ) -> reqwest::Response {
        params["_meta"] = json!({
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": caps,
            "io.modelcontextprotocol/clientInfo": { "name": "test", "version": "1" },
        });
        let name = params
            .get("name")
            .or(params.get("uri"))
            .or(params.get("taskId"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let mut headers = vec![
            ("accept", ACCEPT_BOTH),
            ("mcp-protocol-version", "2026-07-28"),
            ("mcp-method", method),
        ];
        if let Some(n) = name.as_deref() {
            headers.push(("mcp-name", n));
        }
        let body = json!({ "jsonrpc": "2.0", "id": 7, "method": method, "params": params });
        self.post(project, &headers, &body).await
    }
}

/// One SSE event: its id and parsed data (`Value::Null` for an empty priming event).
#[derive(Debug)]
pub struct Event {
    pub id: Option<String>,
    pub data: Value,
}

/// Reads SSE events off a response as they arrive.
pub struct SseReader {
    stream: futures::stream::BoxStream<'static, reqwest::Result<bytes::Bytes>>,
    buf: String,
}

impl SseReader {
    pub fn new(res: reqwest::Response) -> Self {
        assert!(
            res.headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("text/event-stream")),
            "expected an SSE response, got {:?}",
            res.headers().get("content-type")
        );
        Self {
            stream: res.bytes_stream().boxed(),
            buf: String::new(),
        }
    }

    /// The next event, or `None` when the stream ends.
    pub async fn next(&mut self) -> Option<Event> {
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let raw: String = self.buf.drain(..end + 2).collect();
                let mut id = None;
                let mut data = String::new();
                let mut any = false;
                for line in raw.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        id = Some(v.trim().to_string());
                        any = true;
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim());
                        any = true;
                    }
                }
                if !any {
                    continue; // comments and retry-only blocks
                }
                let data = if data.is_empty() {
                    Value::Null
                } else {
                    serde_json::from_str(&data).expect("event data is JSON")
                };
                return Some(Event { id, data });
            }
            let chunk =
                tokio::time::timeout(std::time::Duration::from_secs(10), self.stream.next())
                    .await
                    .expect("SSE stalled")?;
            self.buf
                .push_str(&String::from_utf8_lossy(&chunk.expect("SSE chunk")));
        }
    }

    pub async fn all(mut self) -> Vec<Event> {
        let mut out = Vec::new();
        while let Some(e) = self.next().await {
            out.push(e);
        }
        out
    }
}
