//! Translation between Berth's guest values (`berth_core`) and MCP's wire format, using `rmcp`'s model
//! types. Nothing else in the edge builds MCP result shapes.

use crate::error::RpcError;
use crate::protocol::Era;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use berth_core::{
    Completion, ContentBlock as Block, InvokeError, PromptResult, ResourceBody,
    ResourceContents as Contents, Role as GuestRole, ServerDescription, ToolResult,
};
use rmcp::model::{
    CallToolResult, CompleteResult, CompletionInfo, ContentBlock, DiscoverResult, GetPromptResult,
    Implementation, InitializeResult, PromptMessage, ProtocolVersion, ReadResourceResult, Resource,
    ResourceContents, Role, ServerCapabilities,
};
use serde_json::{Map, Value, json};

/// Protocol versions of the 2025 era, newest first.
pub const LEGACY_VERSIONS: [&str; 4] = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"];

/// The stateless protocol version.
pub const MODERN_VERSION: &str = "2026-07-28";

/// What the edge serves for every deployment. Resource subscriptions exist only in the 2025 era, where
/// a session can carry them; a stateless deployment has no updates to push.
pub fn capabilities(era: Era) -> ServerCapabilities {
    let caps = json!({
        "logging": {},
        "completions": {},
        "prompts": {},
        "resources": { "subscribe": era == Era::Legacy },
        "tools": {},
    });
    serde_json::from_value(caps).unwrap_or_default()
}

/// Capabilities a guest may advertise: each names methods the edge serves for every deployment, or
/// (`experimental`) nothing it must serve.
const GUEST_CAPABILITIES: [&str; 6] = [
    "logging",
    "completions",
    "prompts",
    "resources",
    "tools",
    "experimental",
];

/// Extensions a guest may advertise because they ask nothing of the edge: MCP Apps (`ui`) is tools'
/// and resources' `_meta` and `ui://` resources, which pass through as they are.
const PASSIVE_EXTENSIONS: [&str; 1] = ["io.modelcontextprotocol/ui"];

/// The `capabilities` a deployment advertises in `era`: as its server's library words them when the
/// guest named them (within [`GUEST_CAPABILITIES`] and [`PASSIVE_EXTENSIONS`]), else all the edge
/// serves; at 2026-07-28 also the tasks extension when a tool supports tasks (or the guest named none).
fn advertised(desc: &ServerDescription, era: Era) -> Value {
    let Some(named) = &desc.capabilities else {
        let mut caps = to_value(&capabilities(era));
        if era == Era::Modern {
            caps["extensions"] = json!({ crate::protocol::EXTENSION_TASKS: {} });
        }
        return caps;
    };
    let named = match era {
        Era::Legacy => &named.legacy,
        Era::Modern => &named.modern,
    };
    let mut caps: Map<String, Value> = named
        .iter()
        .filter(|(k, v)| GUEST_CAPABILITIES.contains(&k.as_str()) && v.is_object())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut extensions: Map<String, Value> = named
        .get("extensions")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(id, _)| PASSIVE_EXTENSIONS.contains(&id.as_str()))
        .map(|(id, v)| (id.clone(), v.clone()))
        .collect();
    if era == Era::Modern && crate::tasks::any_support(desc) {
        extensions.insert(crate::protocol::EXTENSION_TASKS.into(), json!({}));
    }
    if !extensions.is_empty() {
        caps.insert("extensions".into(), Value::Object(extensions));
    }
    Value::Object(caps)
}

fn implementation(desc: &ServerDescription) -> Implementation {
    let version = if desc.version.is_empty() {
        "0.0.0"
    } else {
        desc.version.as_str()
    };
    let mut info = Implementation::new(desc.name.clone(), version);
    info.title = desc.title.clone();
    info.description = desc.description.clone();
    info.website_url = desc.website_url.clone();
    // Icons the guest described but MCP's shape rejects are left out rather than failing every initialize.
    info.icons = desc
        .icons
        .as_ref()
        .and_then(|icons| serde_json::from_value(Value::Array(icons.clone())).ok());
    info
}

/// The `initialize` result, answering with the client's version when we speak it.
pub fn initialize_result(desc: &ServerDescription, requested: Option<&str>) -> Value {
    let version = requested
        .filter(|v| LEGACY_VERSIONS.contains(v))
        .unwrap_or(LEGACY_VERSIONS[0]);
    let mut result = InitializeResult::new(capabilities(Era::Legacy))
        .with_server_info(implementation(desc))
        .with_protocol_version(legacy_version(version));
    if let Some(instructions) = &desc.instructions {
        result = result.with_instructions(instructions.clone());
    }
    let mut value = to_value(&result);
    value["capabilities"] = advertised(desc, Era::Legacy);
    value
}

fn legacy_version(v: &str) -> ProtocolVersion {
    match v {
        "2025-06-18" => ProtocolVersion::V_2025_06_18,
        "2025-03-26" => ProtocolVersion::V_2025_03_26,
        "2024-11-05" => ProtocolVersion::V_2024_11_05,
        _ => ProtocolVersion::V_2025_11_25,
    }
}

/// The `server/discover` result.
pub fn discover_result(desc: &ServerDescription) -> Value {
    let mut result = DiscoverResult::new(
        vec![ProtocolVersion::V_2026_07_28],
        capabilities(Era::Modern),
    );
    result.set_server_info(implementation(desc));
    result.instructions = desc.instructions.clone();
    let mut value = to_value(&result);
    value["capabilities"] = advertised(desc, Era::Modern);
    value
}

/// One page of a list from the stored description. The cursor is the index of the page's first item.
pub fn list_page(
    desc: &ServerDescription,
    method: &str,
    cursor: Option<&str>,
    page: usize,
) -> Result<Value, RpcError> {
    let (key, items) = match method {
        "tools/list" => ("tools", &desc.tools),
        "resources/list" => ("resources", &desc.resources),
        "resources/templates/list" => ("resourceTemplates", &desc.resource_templates),
        _ => ("prompts", &desc.prompts),
    };
    let start = match cursor {
        None => 0,
        Some(c) => c
            .parse::<usize>()
            .ok()
            .filter(|i| *i <= items.len())
            .ok_or_else(|| {
                RpcError::invalid_params(format!(
                    "invalid cursor `{c}`: pass a nextCursor from an earlier page"
                ))
            })?,
    };
    let end = (start + page.max(1)).min(items.len());
    let mut result = Map::new();
    result.insert(
        key.into(),
        Value::Array(
            items[start..end]
                .iter()
                .cloned()
                .map(Value::Object)
                .collect(),
        ),
    );
    if end < items.len() {
        result.insert("nextCursor".into(), Value::String(end.to_string()));
    }
    Ok(Value::Object(result))
}

pub fn content_block(block: &Block) -> ContentBlock {
    match block {
        Block::Text(t) => ContentBlock::text(t.clone()),
        Block::Image(m) => ContentBlock::image(B64.encode(&m.data), m.mime_type.clone()),
        Block::Audio(m) => ContentBlock::audio(B64.encode(&m.data), m.mime_type.clone()),
        Block::ResourceLink(l) => {
            let mut r = Resource::new(l.uri.clone(), l.name.clone());
            if let Some(d) = &l.description {
                r = r.with_description(d.clone());
            }
            if let Some(m) = &l.mime_type {
                r = r.with_mime_type(m.clone());
            }
            ContentBlock::resource_link(r)
        }
        Block::Resource(c) => ContentBlock::resource(resource_contents(c)),
    }
}

pub fn resource_contents(c: &Contents) -> ResourceContents {
    let rc = match &c.body {
        ResourceBody::Text(t) => ResourceContents::text(t.clone(), c.uri.clone()),
        ResourceBody::Blob(b) => ResourceContents::blob(B64.encode(b), c.uri.clone()),
    };
    match (&c.mime_type, &c.body) {
        (Some(m), _) => rc.with_mime_type(m.clone()),
        // `text()` assumes text/plain; keep that, but do not invent a type for blobs.
        (None, _) => rc,
    }
}

pub fn tool_result(r: &ToolResult) -> Value {
    let mut result = CallToolResult::success(r.content.iter().map(content_block).collect());
    result.structured_content = r.structured.clone();
    result.is_error = Some(r.is_error);
    with_meta(to_value(&result), &r.meta)
}

/// `value` (a result object) with the entries of the guest's own `_meta` added.
fn with_meta(mut value: Value, meta: &Option<Map<String, Value>>) -> Value {
    if let (Some(meta), Some(obj)) = (meta, value.as_object_mut()) {
        let slot = obj
            .entry("_meta")
            .or_insert_with(|| Value::Object(Default::default()));
        if let Some(slot) = slot.as_object_mut() {
            for (k, v) in meta {
                slot.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
    }
    value
}

/// A tool call that failed in the sandbox (timeout, crash, ...): a tool result with `isError`, so the
/// model sees what happened.
pub fn tool_failure(message: String) -> Value {
    let mut result = CallToolResult::success(vec![ContentBlock::text(message)]);
    result.is_error = Some(true);
    to_value(&result)
}

pub fn read_result(contents: &[Contents]) -> Value {
    to_value(&ReadResourceResult::new(
        contents.iter().map(resource_contents).collect(),
    ))
}

pub fn prompt_result(p: &PromptResult) -> Value {
    let messages = p
        .messages
        .iter()
        .map(|m| {
            let role = match m.role {
                GuestRole::User => Role::User,
                GuestRole::Assistant => Role::Assistant,
            };
            PromptMessage::new(role, content_block(&m.content))
        })
        .collect();
    let mut result = GetPromptResult::new(messages);
    if let Some(d) = &p.description {
        result = result.with_description(d.clone());
    }
    with_meta(to_value(&result), &p.meta)
}

pub fn completion_result(c: &Completion) -> Value {
    let mut values = c.values.clone();
    values.truncate(CompletionInfo::MAX_VALUES);
    let mut info = CompletionInfo::new(values).unwrap_or_default();
    info.total = c.total;
    // `hasMore` is optional: said only when there is more, as the native libraries do (the contract's
    // `has-more` cannot tell an explicit false from none).
    info.has_more = (c.has_more || c.values.len() > CompletionInfo::MAX_VALUES).then_some(true);
    to_value(&CompleteResult::new(info))
}

/// The reserved result `_meta` key that names the server (2026-07-28: servers SHOULD stamp every result).
pub const SERVER_INFO_META: &str = "io.modelcontextprotocol/serverInfo";

/// Stamps the era's result fields: 2026-07-28 results carry `resultType`, cacheable ones `ttlMs` and
/// `cacheScope`, and a response's result (`server`: whose) names its server under [`SERVER_INFO_META`]
/// unless the result's own `_meta` already does; 2025-era results carry none of these. A result inside
/// another (a task's) passes no `server`.
pub fn finish(
    era: Era,
    method: &str,
    mut result: Value,
    server: Option<&ServerDescription>,
) -> Value {
    let Some(obj) = result.as_object_mut() else {
        return result;
    };
    if era == Era::Modern
        && let Some(desc) = server
    {
        let meta = obj.entry("_meta").or_insert_with(|| json!({}));
        if let Some(meta) = meta.as_object_mut()
            && meta.get(SERVER_INFO_META).is_none_or(Value::is_null)
        {
            meta.insert(SERVER_INFO_META.into(), to_value(&implementation(desc)));
        }
    }
    match era {
        Era::Legacy => {
            obj.remove("resultType");
        }
        Era::Modern => {
            obj.entry("resultType").or_insert_with(|| json!("complete"));
            if matches!(
                method,
                "server/discover"
                    | "tools/list"
                    | "prompts/list"
                    | "resources/list"
                    | "resources/templates/list"
                    | "resources/read"
            ) {
                obj.entry("ttlMs").or_insert_with(|| json!(0));
                obj.entry("cacheScope").or_insert_with(|| json!("private"));
            }
        }
    }
    result
}

/// How an invoke error is reported: tools get an `isError` result; other calls a JSON-RPC error.
pub fn invoke_error(method: &str, target: &str, err: InvokeError) -> Result<Value, RpcError> {
    match err {
        InvokeError::NotFound(msg) => Err(not_found(method, target, msg)),
        InvokeError::InvalidParams(msg) => Err(RpcError::invalid_params(msg)),
        // Refused before it ran: no tool result, the client retries the request.
        e @ InvokeError::Busy { running, queued } => {
            Err(crate::busy::refused(running, queued, e.to_string()))
        }
        other if method == "tools/call" => Ok(tool_failure(other.to_string())),
        // The guest's own words (its SDK words them as its server's library does).
        InvokeError::Guest(msg) => Err(RpcError::internal(msg)),
        other => Err(RpcError::internal(other.to_string())),
    }
}

pub fn not_found(method: &str, target: &str, msg: String) -> RpcError {
    let msg = if msg.is_empty() {
        format!("`{target}` was not found")
    } else {
        msg
    };
    match method {
        "resources/read" => RpcError::invalid_params(format!("Resource not found: {msg}"))
            .with_data(json!({ "uri": target })),
        _ => RpcError::invalid_params(msg),
    }
}

fn to_value<T: serde::Serialize>(v: &T) -> Value {
    // rmcp's model types always serialize (plain data, string keys).
    serde_json::to_value(v).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use berth_core::Media;

    #[test]
    fn server_info_carries_title_website_and_icons() {
        let desc: ServerDescription = serde_json::from_value(json!({
            "name": "s", "version": "2", "title": "S", "description": "Does s",
            "websiteUrl": "https://s.example",
            "icons": [{"src": "https://s.example/i.png", "mimeType": "image/png", "sizes": ["48x48"]}]
        }))
        .unwrap();
        let info = initialize_result(&desc, None)["serverInfo"].clone();
        assert_eq!(
            info,
            json!({"name": "s", "title": "S", "version": "2", "description": "Does s",
                   "icons": [{"src": "https://s.example/i.png", "mimeType": "image/png", "sizes": ["48x48"]}],
                   "websiteUrl": "https://s.example"})
        );
        assert_eq!(
            discover_result(&desc)["_meta"]["io.modelcontextprotocol/serverInfo"],
            info
        );
        let plain = initialize_result(&ServerDescription::default(), None)["serverInfo"].clone();
        assert_eq!(plain, json!({"name": "", "version": "0.0.0"}));
    }

    #[test]
    fn capabilities_are_the_guests_within_what_the_edge_serves() {
        let plain = ServerDescription::default();
        assert_eq!(
            initialize_result(&plain, None)["capabilities"]["resources"]["subscribe"],
            true
        );
        assert_eq!(
            discover_result(&plain)["capabilities"]["extensions"],
            json!({ crate::protocol::EXTENSION_TASKS: {} })
        );
        let named = json!({
            "tools": {"listChanged": true}, "logging": {},
            "sampling": {}, "completions": "yes",
            "extensions": {"io.modelcontextprotocol/ui": {}, "example.com/unserved": {}}
        });
        let mut desc: ServerDescription = serde_json::from_value(json!({
            "name": "s",
            "capabilities": {"legacy": named, "modern": named},
            "tools": [{"name": "t"}]
        }))
        .unwrap();
        let ui = json!({"io.modelcontextprotocol/ui": {}});
        assert_eq!(
            initialize_result(&desc, None)["capabilities"],
            json!({"tools": {"listChanged": true}, "logging": {}, "extensions": ui})
        );
        assert_eq!(
            discover_result(&desc)["capabilities"],
            json!({"tools": {"listChanged": true}, "logging": {}, "extensions": ui})
        );
        // A tool that supports tasks brings the tasks extension, at 2026-07-28 only.
        desc.tools[0].insert(
            "_meta".into(),
            json!({ crate::tasks::META_TASK_SUPPORT: "optional" }),
        );
        assert_eq!(
            discover_result(&desc)["capabilities"]["extensions"],
            json!({"io.modelcontextprotocol/ui": {}, crate::protocol::EXTENSION_TASKS: {}})
        );
        assert_eq!(
            initialize_result(&desc, None)["capabilities"]["extensions"],
            ui
        );
    }

    #[test]
    fn completions_say_has_more_only_when_there_is_more() {
        let some = |has_more, n: usize| {
            completion_result(&Completion {
                values: (0..n).map(|i| i.to_string()).collect(),
                total: None,
                has_more,
            })["completion"]
                .clone()
        };
        assert_eq!(some(false, 2), json!({"values": ["0", "1"]}));
        assert_eq!(some(true, 1), json!({"values": ["0"], "hasMore": true}));
        assert_eq!(some(false, 101)["hasMore"], true);
    }

    #[test]
    fn modern_results_name_their_server() {
        let desc = ServerDescription {
            name: "s".into(),
            version: "2".into(),
            ..ServerDescription::default()
        };
        let stamped = finish(Era::Modern, "tools/list", json!({"tools": []}), Some(&desc));
        assert_eq!(
            stamped["_meta"][SERVER_INFO_META],
            json!({"name": "s", "version": "2"})
        );
        // A result's own `_meta` is kept, and so is a server name it already carries.
        let own = json!({"_meta": {"k": 1, SERVER_INFO_META: {"name": "mine", "version": "1"}}});
        let kept = finish(Era::Modern, "tools/call", own, Some(&desc));
        assert_eq!(kept["_meta"]["k"], 1);
        assert_eq!(kept["_meta"][SERVER_INFO_META]["name"], "mine");
        // Neither 2025-era results nor results inside a task's are stamped.
        let legacy = finish(Era::Legacy, "tools/list", json!({"tools": []}), Some(&desc));
        assert!(legacy.get("_meta").is_none());
        let nested = finish(Era::Modern, "tools/call", json!({"content": []}), None);
        assert!(nested.get("_meta").is_none());
    }

    #[test]
    fn tool_results_translate() {
        let r = ToolResult {
            content: vec![
                Block::Text("hi".into()),
                Block::Image(Media {
                    data: vec![1, 2, 3],
                    mime_type: "image/png".into(),
                }),
                Block::Resource(Contents {
                    uri: "test://x".into(),
                    mime_type: None,
                    body: ResourceBody::Blob(vec![0]),
                }),
            ],
            structured: Some(json!({"a": 1})),
            is_error: false,
            meta: None,
        };
        let v = finish(Era::Legacy, "tools/call", tool_result(&r), None);
        assert_eq!(
            v,
            json!({
                "content": [
                    {"type": "text", "text": "hi"},
                    {"type": "image", "data": "AQID", "mimeType": "image/png"},
                    {"type": "resource", "resource": {"uri": "test://x", "blob": "AA=="}}
                ],
                "structuredContent": {"a": 1},
                "isError": false
            })
        );
        let v = finish(Era::Modern, "tools/call", tool_result(&r), None);
        assert_eq!(v["resultType"], "complete");
        assert!(v.get("ttlMs").is_none());
    }

    #[test]
    fn a_results_own_meta_reaches_the_client_beside_the_servers_stamp() {
        let own = json!({"fastmcp": {"wrap_result": true}});
        let r = ToolResult {
            content: vec![],
            structured: Some(json!({"result": 3})),
            is_error: false,
            meta: own.as_object().cloned(),
        };
        let legacy = finish(Era::Legacy, "tools/call", tool_result(&r), None);
        assert_eq!(legacy["_meta"], own);
        let desc = ServerDescription {
            name: "s".into(),
            ..Default::default()
        };
        let modern = finish(Era::Modern, "tools/call", tool_result(&r), Some(&desc));
        assert_eq!(modern["_meta"]["fastmcp"], own["fastmcp"]);
        assert_eq!(modern["_meta"][SERVER_INFO_META]["name"], "s");
        let p = PromptResult {
            description: None,
            messages: vec![],
            meta: json!({"k": [1]}).as_object().cloned(),
        };
        assert_eq!(prompt_result(&p)["_meta"], json!({"k": [1]}));
        let bare = PromptResult { meta: None, ..p };
        assert!(prompt_result(&bare).get("_meta").is_none());
    }

    #[test]
    fn lists_paginate() {
        let mut d = ServerDescription::default();
        for i in 0..5 {
            d.tools.push(
                json!({"name": format!("t{i}")})
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
            );
        }
        let p1 = list_page(&d, "tools/list", None, 2).unwrap();
        assert_eq!(p1["tools"].as_array().map(Vec::len), Some(2));
        assert_eq!(p1["nextCursor"], "2");
        let p3 = list_page(&d, "tools/list", Some("4"), 2).unwrap();
        assert_eq!(p3["tools"][0]["name"], "t4");
        assert!(p3.get("nextCursor").is_none());
        assert_eq!(
            list_page(&d, "tools/list", Some("x"), 2).unwrap_err().code,
            -32602
        );
        let v = finish(Era::Modern, "tools/list", p3, None);
        assert_eq!(
            (v["ttlMs"].clone(), v["cacheScope"].clone()),
            (json!(0), json!("private"))
        );
    }
}
