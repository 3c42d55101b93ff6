//! The JSON-RPC envelope and the protocol era of a request, with the 2026-07-28 header and `_meta` rules.
//! Everything here runs before a request can reach a guest: a malformed request stops here.

use crate::error::RpcError;
use crate::hooks::ClientCaps;
use crate::wire::{LEGACY_VERSIONS, MODERN_VERSION};
use axum::http::{HeaderMap, StatusCode};
use berth_core::LogLevel;
use rmcp::model::ErrorCode;
use serde_json::{Map, Value, json};

pub const HEADER_PROTOCOL_VERSION: &str = "mcp-protocol-version";
pub const HEADER_SESSION_ID: &str = "mcp-session-id";
pub const HEADER_METHOD: &str = "mcp-method";
pub const HEADER_NAME: &str = "mcp-name";
pub const HEADER_LAST_EVENT_ID: &str = "last-event-id";

pub const META_PROTOCOL_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
pub const META_CLIENT_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
pub const META_LOG_LEVEL: &str = "io.modelcontextprotocol/logLevel";

/// The tasks extension (SEP-2663), as named in capabilities.
pub const EXTENSION_TASKS: &str = "io.modelcontextprotocol/tasks";

/// Which generation of the protocol a request speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Era {
    /// 2025-03-26 .. 2025-11-25: `initialize`, sessions, server-to-client requests on SSE.
    Legacy,
    /// 2026-07-28: stateless, `_meta` on every request, input-required round trips.
    Modern,
}

/// One JSON-RPC message from the client.
#[derive(Debug)]
pub enum Message {
    Request {
        id: Value,
        method: String,
        params: Map<String, Value>,
    },
    Notification {
        method: String,
        params: Map<String, Value>,
    },
    /// The client's answer to a server-to-client request (elicitation, sampling).
    Response { id: Value, body: Value },
}

/// Parses and checks the JSON-RPC envelope. Errors carry the request id when it could be read.
pub fn parse_message(body: &[u8]) -> Result<Message, (Value, RpcError)> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| (Value::Null, RpcError::parse(e)))?;
    let Value::Object(mut obj) = value else {
        let msg = if value.is_array() {
            "Invalid Request: JSON-RPC batches are not supported; send one message per request"
        } else {
            "Invalid Request: the body must be a JSON-RPC message object"
        };
        return Err((Value::Null, RpcError::invalid_request(msg)));
    };
    let id = obj.remove("id");
    let id_ok = matches!(&id, Some(Value::String(_)))
        || id.as_ref().is_some_and(|v| v.is_i64() || v.is_u64());
    let reply_id = if id_ok {
        id.clone().unwrap_or(Value::Null)
    } else {
        Value::Null
    };
    let invalid = |msg: &str| {
        Err((
            reply_id.clone(),
            RpcError::invalid_request(format!("Invalid Request: {msg}")),
        ))
    };
    if obj.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return invalid("`jsonrpc` must be \"2.0\"");
    }
    if id.is_some() && !id_ok {
        return invalid("`id` must be a string or an integer");
    }
    match obj.remove("method") {
        Some(Value::String(method)) => {
            let params = match obj.remove("params") {
                None | Some(Value::Null) => Map::new(),
                Some(Value::Object(p)) => p,
                Some(_) => return invalid("`params` must be an object"),
            };
            match id {
                Some(id) => Ok(Message::Request { id, method, params }),
                None => Ok(Message::Notification { method, params }),
            }
        }
        Some(_) => invalid("`method` must be a string"),
        None => match id {
            Some(id) if obj.contains_key("result") || obj.contains_key("error") => {
                Ok(Message::Response {
                    id,
                    body: Value::Object(obj),
                })
            }
            _ => invalid(
                "a message needs a `method` (request or notification) or a `result`/`error` with an `id`",
            ),
        },
    }
}

/// A header's value with surrounding spaces and tabs removed (RFC 9110 §5.5).
fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim_matches([' ', '\t']))
}

fn meta(params: &Map<String, Value>) -> Option<&Map<String, Value>> {
    params.get("_meta").and_then(Value::as_object)
}

/// Decides the era: 2026-07-28 when the client says so in the header or `_meta`, or probes
/// `server/discover`; otherwise the 2025 era.
pub fn era_of(
    headers: &HeaderMap,
    method: Option<&str>,
    params: Option<&Map<String, Value>>,
) -> Era {
    let modern_header =
        header(headers, HEADER_PROTOCOL_VERSION).is_some_and(|v| !LEGACY_VERSIONS.contains(&v));
    let modern_meta = params
        .and_then(meta)
        .is_some_and(|m| m.contains_key(META_PROTOCOL_VERSION));
    if modern_header || modern_meta || method == Some("server/discover") {
        Era::Modern
    } else {
        Era::Legacy
    }
}

/// What a 2026-07-28 request says about its client in `_meta`.
#[derive(Clone, Debug, Default)]
pub struct RequestMeta {
    pub caps: ClientCaps,
    /// The client opted into the tasks extension for this request.
    pub tasks: bool,
    pub log_level: Option<LogLevel>,
    pub progress_token: Option<Value>,
}

/// Checks a 2026-07-28 request: the protocol version in header and `_meta`, the required `_meta` keys,
/// and the `Mcp-Method` / `Mcp-Name` headers against the body.
pub fn check_modern(
    headers: &HeaderMap,
    method: &str,
    params: &Map<String, Value>,
) -> Result<RequestMeta, RpcError> {
    let Some(version) = header(headers, HEADER_PROTOCOL_VERSION) else {
        return Err(RpcError::header_mismatch(
            "Missing MCP-Protocol-Version header: 2026-07-28 requests must send it, equal to _meta's protocolVersion",
        ));
    };
    let meta = meta(params);
    let missing: Vec<&str> = [META_PROTOCOL_VERSION, META_CLIENT_CAPABILITIES]
        .into_iter()
        .filter(|k| meta.is_none_or(|m| !m.contains_key(*k)))
        .collect();
    if !missing.is_empty() {
        return Err(RpcError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::INVALID_PARAMS,
            format!("Invalid params: missing _meta keys: {}", missing.join(", ")),
        ));
    }
    let meta = meta.cloned().unwrap_or_default();
    if meta.get(META_PROTOCOL_VERSION).and_then(Value::as_str) != Some(version) {
        return Err(RpcError::header_mismatch(format!(
            "MCP-Protocol-Version header `{version}` does not match _meta's {META_PROTOCOL_VERSION}"
        )));
    }
    if version != MODERN_VERSION {
        return Err(RpcError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::UNSUPPORTED_PROTOCOL_VERSION,
            format!("Unsupported protocol version `{version}`; this server speaks {MODERN_VERSION} (and the 2025 versions through initialize)"),
        )
        .with_data(json!({ "supported": [MODERN_VERSION], "requested": version })));
    }
    match header(headers, HEADER_METHOD) {
        Some(m) if m == method => {}
        Some(m) => {
            return Err(RpcError::header_mismatch(format!(
                "Mcp-Method header `{m}` does not match the body's method `{method}`"
            )));
        }
        None => {
            return Err(RpcError::header_mismatch(format!(
                "Missing Mcp-Method header: send `Mcp-Method: {method}`"
            )));
        }
    }
    let name_key = match method {
        "tools/call" | "prompts/get" => Some("name"),
        "resources/read" => Some("uri"),
        "tasks/get" | "tasks/update" | "tasks/cancel" => Some("taskId"),
        _ => None,
    };
    if let Some(key) = name_key {
        let body_name = params.get(key).and_then(Value::as_str);
        match (header(headers, HEADER_NAME), body_name) {
            (Some(h), Some(b)) if h == b => {}
            (Some(h), _) => {
                return Err(RpcError::header_mismatch(format!(
                    "Mcp-Name header `{h}` does not match the body's {key}"
                )));
            }
            (None, Some(b)) => {
                return Err(RpcError::header_mismatch(format!(
                    "Missing Mcp-Name header: send `Mcp-Name: {b}`"
                )));
            }
            (None, None) => {}
        }
    }
    let caps = meta
        .get(META_CLIENT_CAPABILITIES)
        .and_then(Value::as_object);
    Ok(RequestMeta {
        caps: ClientCaps::from_declared(caps),
        tasks: caps
            .and_then(|c| c.get("extensions"))
            .and_then(|e| e.get(EXTENSION_TASKS))
            .is_some(),
        log_level: meta
            .get(META_LOG_LEVEL)
            .and_then(Value::as_str)
            .and_then(LogLevel::parse),
        progress_token: meta.get("progressToken").cloned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn envelopes() {
        let cases: &[(&str, Option<i32>)] = &[
            (r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#, None),
            (
                r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
                None,
            ),
            (r#"{"jsonrpc":"2.0","id":"a","result":{}}"#, None),
            (r#"{"jsonrpc":"2.0","id":1,"method":"ping""#, Some(-32700)),
            (
                r#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#,
                Some(-32600),
            ),
            (r#"{"jsonrpc":"1.0","id":1,"method":"ping"}"#, Some(-32600)),
            (
                r#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#,
                Some(-32600),
            ),
            (r#"{"jsonrpc":"2.0","id":1,"method":7}"#, Some(-32600)),
            (
                r#"{"jsonrpc":"2.0","id":1,"method":"x","params":[1]}"#,
                Some(-32600),
            ),
            (r#"{"jsonrpc":"2.0","id":1}"#, Some(-32600)),
        ];
        for (body, want) in cases {
            let got = parse_message(body.as_bytes()).err().map(|(_, e)| e.code);
            assert_eq!(got, *want, "{body}");
        }
    }

    #[test]
    fn eras() {
        let none = HeaderMap::new();
        assert_eq!(era_of(&none, Some("initialize"), None), Era::Legacy);
        assert_eq!(era_of(&none, Some("server/discover"), None), Era::Modern);
        let h = headers(&[(HEADER_PROTOCOL_VERSION, "2025-06-18")]);
        assert_eq!(era_of(&h, Some("tools/list"), None), Era::Legacy);
        let h = headers(&[(HEADER_PROTOCOL_VERSION, "2026-07-28")]);
        assert_eq!(era_of(&h, Some("initialize"), None), Era::Modern);
    }

    #[test]
    fn modern_checks() {
        let meta = json!({"_meta": {META_PROTOCOL_VERSION: "2026-07-28", META_CLIENT_CAPABILITIES: {"sampling": {}}}, "name": "t"});
        let params = meta.as_object().unwrap();
        let ok = headers(&[
            (HEADER_PROTOCOL_VERSION, "2026-07-28"),
            (HEADER_METHOD, "tools/call"),
            (HEADER_NAME, "t"),
        ]);
        let m = check_modern(&ok, "tools/call", params).unwrap();
        assert!(m.caps.sampling && !m.caps.elicitation && !m.tasks);
        let cases: &[(&[(&'static str, &str)], i32)] = &[
            (&[(HEADER_METHOD, "tools/call"), (HEADER_NAME, "t")], -32020),
            (
                &[
                    (HEADER_PROTOCOL_VERSION, "2026-07-28"),
                    (HEADER_METHOD, "tools/list"),
                    (HEADER_NAME, "t"),
                ],
                -32020,
            ),
            (
                &[
                    (HEADER_PROTOCOL_VERSION, "2026-07-28"),
                    (HEADER_METHOD, "tools/call"),
                    (HEADER_NAME, "u"),
                ],
                -32020,
            ),
            (
                &[
                    (HEADER_PROTOCOL_VERSION, "2026-07-28"),
                    (HEADER_METHOD, "tools/call"),
                ],
                -32020,
            ),
            (
                &[
                    (HEADER_PROTOCOL_VERSION, "2025-06-18"),
                    (HEADER_METHOD, "tools/call"),
                    (HEADER_NAME, "t"),
                ],
                -32020,
            ),
        ];
        for (h, code) in cases {
            assert_eq!(
                check_modern(&headers(h), "tools/call", params)
                    .unwrap_err()
                    .code,
                *code,
                "{h:?}"
            );
        }
        let empty = Map::new();
        assert_eq!(
            check_modern(&ok, "tools/call", &empty).unwrap_err().code,
            -32602
        );
        let odd = json!({"_meta": {META_PROTOCOL_VERSION: "v9", META_CLIENT_CAPABILITIES: {}}});
        let h = headers(&[
            (HEADER_PROTOCOL_VERSION, "v9"),
            (HEADER_METHOD, "server/discover"),
        ]);
        let err = check_modern(&h, "server/discover", odd.as_object().unwrap()).unwrap_err();
        assert_eq!(
            (err.code, err.data.unwrap()["requested"].clone()),
            (-32022, json!("v9"))
        );
    }
}
