//! Bindings generated from `sandbox/wit/berth.wit`, and conversions between them and the core's types.

use berth_core as core;

// Guests run as fibers on the caller's task (`call_async`), so exports are async. Imports that may
// wait (state, client input, nested reads) are async too and hand their work to a blocking thread;
// the rest answer inline.
wasmtime::component::bindgen!({
    path: "../wit",
    world: "berth:mcp/server",
    imports: {
        "berth:mcp/host.kv-get": async | trappable,
        "berth:mcp/host.kv-set": async | trappable,
        "berth:mcp/host.kv-delete": async | trappable,
        "berth:mcp/host.session-get": async | trappable,
        "berth:mcp/host.session-set": async | trappable,
        "berth:mcp/host.session-delete": async | trappable,
        "berth:mcp/host.elicit": async | trappable,
        "berth:mcp/host.sample": async | trappable,
        "berth:mcp/host.list-roots": async | trappable,
        "berth:mcp/host.read-resource": async | trappable,
        default: trappable,
    },
    exports: { default: async },
});

pub use berth::mcp::types as wit;
pub use exports::berth::mcp::guest as g;

pub fn call_context(ctx: &core::CallContext) -> wit::CallContext {
    wit::CallContext {
        request_id: ctx.request_id.clone(),
        session_id: ctx.session_id.clone(),
    }
}

pub fn guest_error(e: wit::GuestError) -> core::InvokeError {
    match e {
        wit::GuestError::NotFound(m) => core::InvokeError::NotFound(m),
        wit::GuestError::InvalidParams(m) => core::InvokeError::InvalidParams(m),
        wit::GuestError::Internal(m) => core::InvokeError::Guest(m),
    }
}

pub fn resource(r: wit::ResourceContents) -> core::ResourceContents {
    core::ResourceContents {
        uri: r.uri,
        mime_type: r.mime_type,
        body: match r.body {
            wit::ResourceBody::Text(t) => core::ResourceBody::Text(t),
            wit::ResourceBody::Blob(b) => core::ResourceBody::Blob(b),
        },
    }
}

pub fn resource_to_wit(r: core::ResourceContents) -> wit::ResourceContents {
    wit::ResourceContents {
        uri: r.uri,
        mime_type: r.mime_type,
        body: match r.body {
            core::ResourceBody::Text(t) => wit::ResourceBody::Text(t),
            core::ResourceBody::Blob(b) => wit::ResourceBody::Blob(b),
        },
    }
}

fn media(m: wit::Media) -> core::Media {
    core::Media {
        data: m.data,
        mime_type: m.mime_type,
    }
}

pub fn content(c: wit::ContentBlock) -> core::ContentBlock {
    match c {
        wit::ContentBlock::Text(t) => core::ContentBlock::Text(t),
        wit::ContentBlock::Image(m) => core::ContentBlock::Image(media(m)),
        wit::ContentBlock::Audio(m) => core::ContentBlock::Audio(media(m)),
        wit::ContentBlock::ResourceLink(l) => {
            core::ContentBlock::ResourceLink(core::ResourceLink {
                uri: l.uri,
                name: l.name,
                description: l.description,
                mime_type: l.mime_type,
            })
        }
        wit::ContentBlock::Resource(r) => core::ContentBlock::Resource(resource(r)),
    }
}

pub fn tool_result(r: g::ToolResult) -> Result<core::ToolResult, core::InvokeError> {
    let structured = match r.structured_json {
        None => None,
        Some(s) => Some(serde_json::from_str(&s).map_err(|e| {
            core::InvokeError::Guest(format!(
                "the tool's structured result is not valid JSON: {e}"
            ))
        })?),
    };
    Ok(core::ToolResult {
        content: r.content.into_iter().map(content).collect(),
        structured,
        is_error: r.is_error,
        meta: None,
    })
}

pub fn prompt_result(r: g::PromptResult) -> core::PromptResult {
    core::PromptResult {
        description: r.description,
        messages: r
            .messages
            .into_iter()
            .map(|m| core::PromptMessage {
                role: match m.role {
                    g::Role::User => core::Role::User,
                    g::Role::Assistant => core::Role::Assistant,
                },
                content: content(m.content),
            })
            .collect(),
        meta: None,
    }
}

pub fn completion_ref(r: &core::CompletionRef) -> g::CompletionRef {
    match r {
        core::CompletionRef::Prompt(n) => g::CompletionRef::Prompt(n.clone()),
        core::CompletionRef::ResourceTemplate(u) => g::CompletionRef::ResourceTemplate(u.clone()),
    }
}

pub fn completion(c: g::Completion) -> core::Completion {
    core::Completion {
        values: c.values,
        total: c.total,
        has_more: c.has_more,
    }
}

/// Rough size of an output in bytes, for the response size cap.
pub fn output_size(o: &core::GuestOutput) -> usize {
    fn block(c: &core::ContentBlock) -> usize {
        match c {
            core::ContentBlock::Text(t) => t.len(),
            core::ContentBlock::Image(m) | core::ContentBlock::Audio(m) => {
                m.data.len() * 4 / 3 + 64
            }
            core::ContentBlock::ResourceLink(l) => l.uri.len() + l.name.len() + 64,
            core::ContentBlock::Resource(r) => res(r),
        }
    }
    fn meta(m: &Option<serde_json::Map<String, serde_json::Value>>) -> usize {
        m.as_ref()
            .and_then(|m| serde_json::to_string(m).ok())
            .map_or(0, |s| s.len())
    }
    fn res(r: &core::ResourceContents) -> usize {
        r.uri.len()
            + match &r.body {
                core::ResourceBody::Text(t) => t.len(),
                core::ResourceBody::Blob(b) => b.len() * 4 / 3,
            }
    }
    match o {
        core::GuestOutput::Tool(t) => {
            t.content.iter().map(block).sum::<usize>()
                + t.structured
                    .as_ref()
                    .map(|s| s.to_string().len())
                    .unwrap_or(0)
                + meta(&t.meta)
        }
        core::GuestOutput::Resource(rs) => rs.iter().map(res).sum(),
        core::GuestOutput::Prompt(p) => {
            p.messages.iter().map(|m| block(&m.content)).sum::<usize>() + meta(&p.meta)
        }
        core::GuestOutput::Completion(c) => c.values.iter().map(String::len).sum(),
    }
}
