//! Custom request headers (SEP-2243): a tool's input property annotated `"x-mcp-header": "Name"` is
//! mirrored by the client into an `Mcp-Param-Name` header, so intermediaries can route on it. The edge
//! checks that the header is there and equals the body's value before the call reaches a guest. A value
//! wrapped as `=?base64?...?=` is strict standard Base64 (padding required) of the UTF-8 value; any other
//! value is literal.

use crate::error::RpcError;
use axum::http::HeaderMap;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use berth_core::ServerDescription;
use serde_json::{Map, Value};

/// The annotation on an input property that names its header.
pub const X_MCP_HEADER: &str = "x-mcp-header";

/// Checks every `Mcp-Param-*` header a `tools/call` must carry against its arguments.
pub fn check(
    headers: &HeaderMap,
    desc: &ServerDescription,
    params: &Map<String, Value>,
) -> Result<(), RpcError> {
    let Some(tool) = params
        .get("name")
        .and_then(Value::as_str)
        .and_then(|n| desc.tool(n))
    else {
        return Ok(());
    };
    let Some(properties) = tool
        .get("inputSchema")
        .and_then(|s| s.get("properties"))
        .and_then(Value::as_object)
    else {
        return Ok(());
    };
    let arguments = params.get("arguments").and_then(Value::as_object);
    for (property, schema) in properties {
        let Some(suffix) = schema.get(X_MCP_HEADER).and_then(Value::as_str) else {
            continue;
        };
        let expected = match arguments.and_then(|a| a.get(property)) {
            Some(Value::String(s)) => s.clone(),
            Some(v @ (Value::Number(_) | Value::Bool(_))) => v.to_string(),
            _ => continue,
        };
        let name = format!("Mcp-Param-{suffix}");
        let Some(raw) = headers.get(name.as_str()) else {
            return Err(RpcError::header_mismatch(format!(
                "Missing {name} header: argument `{property}` must be mirrored in it"
            )));
        };
        let raw = raw
            .to_str()
            .map_err(|_| {
                RpcError::header_mismatch(format!(
                    "{name} must be visible ASCII; wrap other values as =?base64?...?="
                ))
            })?
            .trim_matches([' ', '\t']);
        let value = decode(raw).ok_or_else(|| {
            RpcError::header_mismatch(format!(
                "{name} is not valid =?base64?...?= (standard alphabet, padding required, UTF-8)"
            ))
        })?;
        if value != expected {
            return Err(RpcError::header_mismatch(format!(
                "{name} header does not match argument `{property}`"
            )));
        }
    }
    Ok(())
}

/// The value a header carries: Base64-decoded when wrapped as `=?base64?...?=`, else literal.
fn decode(raw: &str) -> Option<String> {
    match raw
        .strip_prefix("=?base64?")
        .and_then(|r| r.strip_suffix("?="))
    {
        Some(encoded) => String::from_utf8(B64.decode(encoded).ok()?).ok(),
        None => Some(raw.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use serde_json::json;

    #[test]
    fn headers_mirror_annotated_arguments() {
        let desc: ServerDescription = serde_json::from_value(json!({"name": "s", "tools": [{
            "name": "t",
            "inputSchema": {"type": "object", "properties": {
                "region": {"type": "string", "x-mcp-header": "Region"},
                "other": {"type": "string"}
            }}
        }]}))
        .unwrap();
        let params = |region: &str| {
            json!({"name": "t", "arguments": {"region": region, "other": "x"}})
                .as_object()
                .cloned()
                .unwrap()
        };
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert("mcp-param-region", HeaderValue::from_str(v).unwrap());
            h
        };
        // (header, body value, accepted)
        let cases = [
            ("=?base64?SGVsbG8=?=", "Hello", true),
            ("=?base64?SGVsbG8?=", "Hello", false),
            ("=?base64?SGVs!!!bG8=?=", "Hello", false),
            ("SGVsbG8=", "SGVsbG8=", true),
            ("=?base64?SGVsbG8=", "=?base64?SGVsbG8=", true),
            (" eu-west ", "eu-west", true),
            ("us", "eu", false),
        ];
        for (header, body, ok) in cases {
            let got = check(&with(header), &desc, &params(body));
            assert_eq!(got.is_ok(), ok, "{header} / {body}");
            if let Err(e) = got {
                assert_eq!((e.code, e.status.as_u16()), (-32020, 400));
            }
        }
        assert!(check(&HeaderMap::new(), &desc, &params("eu")).is_err());
        let no_region = json!({"name": "t", "arguments": {}});
        assert!(check(&HeaderMap::new(), &desc, no_region.as_object().unwrap()).is_ok());
    }
}
