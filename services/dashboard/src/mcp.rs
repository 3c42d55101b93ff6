//! A small MCP client for the inspector: Streamable HTTP at protocol 2025-06-18 — `initialize`,
//! `notifications/initialized`, `logging/setLevel`, then `tools/call` with a progress token — collecting
//! the log and progress notifications the server sends on the call's SSE stream.

use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderValue};
use serde_json::{Map, Value, json};
use std::time::Duration;

/// The protocol version the inspector speaks.
const PROTOCOL_VERSION: &str = "2025-06-18";
/// How long a call may take before the inspector gives up (a project's own limit is 30 s by default).
const CALL_TIMEOUT: Duration = Duration::from_secs(60);
/// The progress token the inspector's calls carry.
const PROGRESS_TOKEN: &str = "berth-inspector";

/// What a call produced: the result (or why there is none), and what the server sent meanwhile.
#[derive(Debug)]
pub struct Outcome {
    pub result: Result<Value, String>,
    /// (level, message) of each `notifications/message`.
    pub logs: Vec<(String, String)>,
    /// Each `notifications/progress`, as "3/10 message".
    pub progress: Vec<String>,
}

/// The JSON-RPC messages of an answer: one JSON body, or the `data` of each SSE event.
fn messages(content_type: &str, body: &str) -> Vec<Value> {
    if !content_type.starts_with("text/event-stream") {
        return serde_json::from_str(body).into_iter().collect();
    }
    let mut out = Vec::new();
    for event in body.replace("\r\n", "\n").split("\n\n") {
        let data: Vec<&str> = event
            .lines()
            .filter_map(|l| l.strip_prefix("data:"))
            .map(|d| d.strip_prefix(' ').unwrap_or(d))
            .collect();
        if let Ok(v) = serde_json::from_str(&data.join("\n")) {
            out.push(v);
        }
    }
    out
}

struct Client {
    http: reqwest::Client,
    url: String,
    session: Option<String>,
}

impl Client {
    /// Posts one JSON-RPC message and returns the messages of the answer.
    async fn post(&mut self, message: Value) -> Result<Vec<Value>, String> {
        let mut headers = HeaderMap::new();
        headers.insert(
            ACCEPT,
            HeaderValue::from_static("application/json, text/event-stream"),
        );
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(
            "mcp-protocol-version",
            HeaderValue::from_static(PROTOCOL_VERSION),
        );
        if let Some(id) = self.session.as_deref().and_then(|s| s.parse().ok()) {
            headers.insert("mcp-session-id", id);
        }
        let response = self
            .http
            .post(&self.url)
            .headers(headers)
            .body(message.to_string())
            .send()
            .await
            .map_err(|e| format!("cannot reach the server: {e}"))?;
        if let Some(id) = response.headers().get("mcp-session-id") {
            self.session = id.to_str().ok().map(str::to_string);
        }
        let status = response.status();
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let body = response
            .text()
            .await
            .map_err(|e| format!("the answer broke off: {e}"))?;
        if !status.is_success() {
            let detail = messages("application/json", &body)
                .first()
                .and_then(|m| m["error"]["message"].as_str().map(str::to_string))
                .unwrap_or(body);
            return Err(format!("the server answered {status}: {detail}"));
        }
        Ok(messages(&content_type, &body))
    }

    async fn close(&self) {
        if let Some(id) = &self.session {
            let _ = self
                .http
                .delete(&self.url)
                .header("mcp-session-id", id)
                .header("mcp-protocol-version", PROTOCOL_VERSION)
                .send()
                .await;
        }
    }
}

/// A JSON number as people write it: `2`, not `2.0`.
fn number(v: &Value) -> String {
    match v.as_f64() {
        Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
        Some(f) => format!("{f}"),
        None => v.to_string(),
    }
}

/// The response to request `id` among `messages`: its result, or its error's message.
fn response(messages: &[Value], id: i64) -> Option<Result<Value, String>> {
    let m = messages.iter().find(|m| m["id"] == json!(id))?;
    Some(match m.get("error") {
        Some(e) => Err(e["message"].as_str().unwrap_or("error").to_string()),
        None => Ok(m["result"].clone()),
    })
}

/// Calls `tool` with `arguments` at the MCP endpoint `url`.
pub async fn call_tool(url: &str, tool: &str, arguments: Map<String, Value>) -> Outcome {
    let http = match reqwest::Client::builder().timeout(CALL_TIMEOUT).build() {
        Ok(c) => c,
        Err(e) => {
            return Outcome {
                result: Err(e.to_string()),
                logs: Vec::new(),
                progress: Vec::new(),
            };
        }
    };
    let mut client = Client {
        http,
        url: url.to_string(),
        session: None,
    };
    let (mut logs, mut progress) = (Vec::new(), Vec::new());
    let result = run(&mut client, tool, arguments, &mut logs, &mut progress).await;
    client.close().await;
    Outcome {
        result,
        logs,
        progress,
    }
}

async fn run(
    client: &mut Client,
    tool: &str,
    arguments: Map<String, Value>,
    logs: &mut Vec<(String, String)>,
    progress: &mut Vec<String>,
) -> Result<Value, String> {
    let init = client
        .post(json!({
            "jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {
                "protocolVersion": PROTOCOL_VERSION,
                "capabilities": {},
                "clientInfo": {"name": "berth-dashboard-inspector", "version": env!("CARGO_PKG_VERSION")},
            },
        }))
        .await?;
    response(&init, 1).ok_or("the server did not answer initialize")??;
    client
        .post(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        .await?;
    // Ask for every log message; a server without logging simply refuses, which changes nothing.
    let _ = client
        .post(json!({"jsonrpc": "2.0", "id": 2, "method": "logging/setLevel", "params": {"level": "debug"}}))
        .await;
    let answer = client
        .post(json!({
            "jsonrpc": "2.0", "id": 3, "method": "tools/call",
            "params": {"name": tool, "arguments": arguments, "_meta": {"progressToken": PROGRESS_TOKEN}},
        }))
        .await?;
    for m in &answer {
        let params = &m["params"];
        match m["method"].as_str() {
            Some("notifications/message") => {
                let data = &params["data"];
                let text = data
                    .as_str()
                    .map_or_else(|| data.to_string(), str::to_string);
                let level = params["level"].as_str().unwrap_or("info").to_string();
                logs.push((level, text));
            }
            Some("notifications/progress") => {
                let mut line = number(&params["progress"]);
                if let Some(total) = params.get("total").filter(|t| !t.is_null()) {
                    line = format!("{line}/{}", number(total));
                }
                if let Some(message) = params["message"].as_str() {
                    line = format!("{line} {message}");
                }
                progress.push(line);
            }
            _ => {}
        }
    }
    response(&answer, 3).ok_or_else(|| "the server sent no result for the call".to_string())?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_sse_and_json_answers() {
        let sse = "event: message\nid: 1\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{\"level\":\"info\",\"data\":\"hi\"}}\n\nevent: message\r\ndata: {\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{\"content\":[]}}\r\n\r\n";
        let m = messages("text/event-stream", sse);
        assert_eq!(m.len(), 2);
        assert_eq!(response(&m, 3), Some(Ok(json!({"content": []}))));
        let j = messages(
            "application/json",
            r#"{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"bad"}}"#,
        );
        assert_eq!(response(&j, 1), Some(Err("bad".into())));
        assert_eq!(response(&j, 2), None);
        assert_eq!(number(&json!(2.0)), "2");
        assert_eq!(number(&json!(0.5)), "0.5");
    }
}
