//! A small, fast MCP Streamable HTTP client (2025 era, one session) over hyper 1 with one
//! pooled keep-alive connection: the load generator of the benchmark and the redeploy test.
//! It is deliberately minimal; the real clients (Python, the Inspector) prove compatibility.

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{ACCEPT, CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

/// The protocol version this client asks for in `initialize`.
pub const PROTOCOL_VERSION: &str = "2025-11-25";

/// One initialized MCP session.
pub struct Session {
    client: Client<HttpConnector, Full<Bytes>>,
    uri: Uri,
    session_id: Option<HeaderValue>,
    protocol_version: HeaderValue,
    /// `Authorization` sent with every request (a private project's API key).
    authorization: Option<HeaderValue>,
    next_id: u64,
}

impl Session {
    /// Connects to an MCP endpoint, sends `initialize` and `notifications/initialized`.
    pub async fn connect(url: &str) -> Result<Session> {
        Session::open(url, None).await
    }

    /// [`Session::connect`], sending `Authorization: Bearer <token>` with every request.
    pub async fn connect_with_bearer(url: &str, token: &str) -> Result<Session> {
        let value = HeaderValue::from_str(&format!("Bearer {token}"))
            .context("a bearer token that is not a header value")?;
        Session::open(url, Some(value)).await
    }

    async fn open(url: &str, authorization: Option<HeaderValue>) -> Result<Session> {
        let uri: Uri = url.parse().with_context(|| format!("bad MCP URL {url}"))?;
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(1)
            .build_http();
        let mut session = Session {
            client,
            uri,
            session_id: None,
            protocol_version: HeaderValue::from_static(PROTOCOL_VERSION),
            authorization,
            next_id: 0,
        };
        let init = json!({
            "protocolVersion": PROTOCOL_VERSION,
            "capabilities": {},
            "clientInfo": {"name": "berth-e2e", "version": env!("CARGO_PKG_VERSION")},
        });
        let (result, session_id) = session.request_with_headers("initialize", init).await?;
        session.session_id = session_id;
        if let Some(version) = result.get("protocolVersion").and_then(Value::as_str) {
            session.protocol_version = HeaderValue::from_str(version)
                .context("server sent a protocolVersion that is not a header value")?;
        }
        session.notify("notifications/initialized").await?;
        Ok(session)
    }

    /// Calls a tool; returns the `result` object (which may have `isError: true`).
    pub async fn call_tool(&mut self, name: &str, arguments: Value) -> Result<Value> {
        self.request("tools/call", json!({"name": name, "arguments": arguments}))
            .await
    }

    /// Calls a tool and returns the text of its first content block, failing on `isError`.
    pub async fn call_tool_text(&mut self, name: &str, arguments: Value) -> Result<String> {
        let result = self.call_tool(name, arguments).await?;
        if result.get("isError").and_then(Value::as_bool) == Some(true) {
            bail!("tool {name} returned an error: {result}");
        }
        result["content"][0]["text"]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("tool {name} returned no text content: {result}"))
    }

    /// Sends a JSON-RPC request and returns its `result`.
    pub async fn request(&mut self, method: &str, params: Value) -> Result<Value> {
        Ok(self.request_with_headers(method, params).await?.0)
    }

    async fn request_with_headers(
        &mut self,
        method: &str,
        params: Value,
    ) -> Result<(Value, Option<HeaderValue>)> {
        self.next_id += 1;
        let id = self.next_id;
        let body = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        let response = self
            .client
            .request(self.post(&body)?)
            .await
            .with_context(|| format!("{method}: no HTTP response"))?;
        let status = response.status();
        let session_id = response.headers().get("mcp-session-id").cloned();
        let is_sse = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        let bytes = response.into_body().collect().await?.to_bytes();
        let text = String::from_utf8_lossy(&bytes);
        if !status.is_success() {
            bail!("{method}: HTTP {status}: {text}");
        }
        let message = if is_sse {
            sse_messages(&text)
                .find(|m| m.get("id").and_then(Value::as_u64) == Some(id))
                .with_context(|| {
                    format!("{method}: no response with id {id} in the stream: {text}")
                })?
        } else {
            serde_json::from_str(&text).with_context(|| format!("{method}: not JSON: {text}"))?
        };
        if let Some(error) = message.get("error") {
            bail!("{method}: JSON-RPC error {error}");
        }
        let result = message
            .get("result")
            .cloned()
            .with_context(|| format!("{method}: response has no result: {message}"))?;
        Ok((result, session_id))
    }

    async fn notify(&mut self, method: &str) -> Result<()> {
        let body = json!({"jsonrpc": "2.0", "method": method});
        let response = self.client.request(self.post(&body)?).await?;
        let status = response.status();
        response.into_body().collect().await?;
        if !status.is_success() {
            bail!("{method}: HTTP {status}");
        }
        Ok(())
    }

    fn post(&self, body: &Value) -> Result<Request<Full<Bytes>>> {
        let mut builder = Request::builder()
            .method(Method::POST)
            .uri(self.uri.clone())
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, "application/json, text/event-stream")
            .header("mcp-protocol-version", self.protocol_version.clone());
        if let Some(id) = &self.session_id {
            builder = builder.header("mcp-session-id", id.clone());
        }
        if let Some(auth) = &self.authorization {
            builder = builder.header(hyper::header::AUTHORIZATION, auth.clone());
        }
        Ok(builder.body(Full::new(Bytes::from(serde_json::to_vec(body)?)))?)
    }
}

/// The JSON messages in the `data:` fields of a server-sent event stream.
fn sse_messages(stream: &str) -> impl Iterator<Item = Value> {
    let stream = stream.replace("\r\n", "\n");
    let messages: Vec<Value> = stream
        .split("\n\n")
        .filter_map(|event| {
            let data: Vec<&str> = event
                .lines()
                .filter_map(|line| line.strip_prefix("data:"))
                .map(|d| d.strip_prefix(' ').unwrap_or(d))
                .collect();
            serde_json::from_str(&data.join("\n")).ok()
        })
        .collect();
    messages.into_iter()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_messages_in_an_event_stream() {
        let stream = "event: message\r\nid: 1\r\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"x\"}\r\n\r\n\
                      data: {\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{}}\n\n";
        let ids: Vec<Option<u64>> = sse_messages(stream)
            .map(|m| m.get("id").and_then(Value::as_u64))
            .collect();
        assert_eq!(ids, vec![None, Some(7)]);
    }
}
