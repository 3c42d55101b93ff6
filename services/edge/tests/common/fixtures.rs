//! A fake upstream that implements the MCP conformance suites' fixture server in Rust, calling the hooks
//! from a blocking thread as a real worker does. Shared by the integration tests.

use berth_core::{
    CallContext, CallHooks, Completion, ContentBlock, ElicitAction, GuestCall, GuestOutput,
    HookError, InvokeError, Limits, LogLevel, Media, ProjectSlug, PromptMessage, PromptResult,
    ResourceBody, ResourceContents, Role, ServerDescription, ToolResult,
};
use berth_edge::{Route, Upstream};
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::time::Duration;

/// A 1x1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0, 0, 0,
    1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89, 0, 0, 0, 0x0a, 0x49, 0x44, 0x41, 0x54,
    0x78, 0x9c, 0x63, 0, 1, 0, 0, 5, 0, 1, 0x0d, 0x0a, 0x2d, 0xb4, 0, 0, 0, 0, 0x49, 0x45, 0x4e,
    0x44, 0xae, 0x42, 0x60, 0x82,
];

/// A tiny WAV header with no samples.
const WAV: &[u8] =
    b"RIFF$\0\0\0WAVEfmt \x10\0\0\0\x01\0\x01\0\x40\x1f\0\0\x80\x3e\0\0\x02\0\x10\0data\0\0\0\0";

fn tool(name: &str, description: &str, schema: Value) -> Map<String, Value> {
    let v = json!({ "name": name, "description": description, "inputSchema": schema });
    v.as_object().cloned().unwrap_or_default()
}

fn with_meta(mut tool: Map<String, Value>, meta: Value) -> Map<String, Value> {
    tool.insert("_meta".into(), meta);
    tool
}

fn empty() -> Value {
    json!({ "type": "object", "properties": {} })
}

fn string_arg(name: &str) -> Value {
    json!({ "type": "object", "properties": { name: { "type": "string" } }, "required": [name] })
}

pub fn description() -> ServerDescription {
    let tools = vec![
        tool("test_simple_text", "Returns simple text", empty()),
        tool("test_image_content", "Returns an image", empty()),
        tool("test_audio_content", "Returns audio", empty()),
        tool(
            "test_embedded_resource",
            "Returns an embedded resource",
            empty(),
        ),
        tool(
            "test_multiple_content_types",
            "Returns mixed content",
            empty(),
        ),
        tool("test_tool_with_logging", "Logs during the call", empty()),
        tool("test_tool_with_progress", "Reports progress", empty()),
        tool("test_error_handling", "Always fails", empty()),
        tool(
            "test_sampling",
            "Asks the client's model",
            string_arg("prompt"),
        ),
        tool("test_elicitation", "Asks the user", string_arg("message")),
        tool(
            "test_elicitation_sep1034_defaults",
            "Elicits with defaults",
            empty(),
        ),
        tool(
            "test_elicitation_sep1330_enums",
            "Elicits with enums",
            empty(),
        ),
        tool(
            "json_schema_2020_12_tool",
            "Keeps JSON Schema 2020-12 keywords",
            json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
                "$defs": { "address": { "type": "object", "properties": { "street": { "type": "string" }, "city": { "type": "string" } } } },
                "properties": { "name": { "type": "string" }, "address": { "$ref": "#/$defs/address" } },
                "additionalProperties": false
            }),
        ),
        tool(
            "test_reconnection",
            "Runs long enough for the stream to be closed and resumed",
            empty(),
        ),
        tool(
            "test_input_required_result_elicitation",
            "Input-required elicitation",
            empty(),
        ),
        tool(
            "test_input_required_result_sampling",
            "Input-required sampling",
            empty(),
        ),
        tool(
            "test_input_required_result_request_state",
            "Input-required with state",
            empty(),
        ),
        tool(
            "test_input_required_result_tampered_state",
            "Input-required, tamper check",
            empty(),
        ),
        tool(
            "test_input_required_result_multi_round",
            "Two rounds of input",
            empty(),
        ),
        tool(
            "test_input_required_result_capabilities",
            "Asks only what the client can answer",
            empty(),
        ),
        tool("test_missing_capability", "Needs sampling", empty()),
        tool("test_logging_tool", "Logs three messages", empty()),
        tool("test_streaming_elicitation", "Elicits mid-call", empty()),
        tool("counter", "Counts calls in project state", empty()),
        tool(
            "remember",
            "Stores a value in project state",
            json!({ "type": "object", "properties": {
                "key": { "type": "string" }, "value": { "type": "string" } } }),
        ),
        tool("env", "Returns an environment variable", string_arg("name")),
        tool(
            "slow",
            "Sleeps",
            json!({ "type": "object", "properties": { "ms": { "type": "integer" } } }),
        ),
        with_meta(
            tool(
                "gather",
                "Asks a name, a model and the roots at once",
                empty(),
            ),
            json!({ "dev.berth/inputKeys": ["who", "words", "where"] }),
        ),
        tool(
            "busy",
            "Refused: its deployment runs and queues all it may",
            empty(),
        ),
        tool(
            "region",
            "Echoes a header-mirrored argument",
            json!({ "type": "object", "properties": { "region": { "type": "string", "x-mcp-header": "Region" } } }),
        ),
        with_meta(
            tool(
                "job",
                "Sleeps, as a task when asked",
                json!({ "type": "object", "properties": { "ms": { "type": "integer" } } }),
            ),
            json!({ "dev.berth/taskSupport": "optional" }),
        ),
        with_meta(
            tool("ask_job", "Asks two names at once", empty()),
            json!({ "dev.berth/taskSupport": "optional", "dev.berth/inputKeys": ["first", "second"] }),
        ),
        with_meta(
            tool("must_task", "Asks a name, then works as a task", empty()),
            json!({ "dev.berth/taskSupport": "required", "dev.berth/inputKeys": ["name"] }),
        ),
    ];
    let d = json!({
        "name": "fixtures",
        "version": "1.0.0",
        "tools": tools,
        "resources": [
            { "uri": "test://static-text", "name": "static-text", "description": "Static text", "mimeType": "text/plain" },
            { "uri": "test://static-binary", "name": "static-binary", "description": "Static binary", "mimeType": "image/png" },
            { "uri": "test://watched-resource", "name": "watched-resource", "description": "Watched", "mimeType": "text/plain" }
        ],
        "resourceTemplates": [
            { "uriTemplate": "test://template/{id}/data", "name": "template", "description": "Template", "mimeType": "application/json" }
        ],
        "prompts": [
            { "name": "test_simple_prompt", "description": "Simple prompt" },
            { "name": "test_prompt_with_arguments", "description": "With arguments",
              "arguments": [{ "name": "arg1", "description": "First", "required": true }, { "name": "arg2", "description": "Second", "required": true }] },
            { "name": "test_prompt_with_embedded_resource", "description": "With a resource",
              "arguments": [{ "name": "resourceUri", "description": "URI", "required": true }] },
            { "name": "test_prompt_with_image", "description": "With an image" },
            { "name": "test_input_required_result_prompt", "description": "Asks before rendering" }
        ]
    });
    serde_json::from_value(d).unwrap_or_default()
}

pub fn route(slug: &str) -> Route {
    Route {
        slug: ProjectSlug::parse(slug).unwrap_or_else(|e| panic!("{e}")),
        project_id: format!("proj-{slug}"),
        deployment: berth_core::DeploymentId("d-1".into()),
        artifact: "fixtures".into(),
        description: Arc::new(description()),
        limits: Limits {
            timeout_ms: 5_000,
            ..Limits::default()
        },
        env: Arc::new(vec![("GREETING".into(), "hello".into())]),
        network_allow: Default::default(),
        secrets: Default::default(),
        access: Default::default(),
    }
}

pub struct Fixtures;

#[async_trait::async_trait]
impl Upstream for Fixtures {
    async fn invoke(
        &self,
        _route: Arc<Route>,
        call: GuestCall,
        _ctx: CallContext,
        hooks: Arc<dyn CallHooks>,
    ) -> Result<GuestOutput, InvokeError> {
        tokio::task::spawn_blocking(move || run(call, hooks.as_ref()))
            .await
            .map_err(|e| InvokeError::Trap(e.to_string()))?
    }
}

fn text(t: impl Into<String>) -> Result<GuestOutput, InvokeError> {
    Ok(GuestOutput::Tool(ToolResult {
        content: vec![ContentBlock::Text(t.into())],
        structured: None,
        is_error: false,
        meta: None,
    }))
}

fn failed(t: impl Into<String>) -> Result<GuestOutput, InvokeError> {
    Ok(GuestOutput::Tool(ToolResult {
        content: vec![ContentBlock::Text(t.into())],
        structured: None,
        is_error: true,
        meta: None,
    }))
}

/// Turns a hook failure into what a guest would do: suspend propagates, anything else is a tool error.
fn hook<T>(r: Result<T, HookError>) -> Result<Result<T, String>, InvokeError> {
    match r {
        Ok(v) => Ok(Ok(v)),
        Err(HookError::Suspend) => Err(InvokeError::InputRequired),
        Err(HookError::Failed(m)) => Ok(Err(m)),
    }
}

fn name_schema() -> Value {
    json!({ "type": "object", "properties": { "name": { "type": "string" } }, "required": ["name"] })
}

fn sample_params(prompt: &str, max: u32) -> Value {
    json!({ "messages": [{ "role": "user", "content": { "type": "text", "text": prompt } }], "maxTokens": max })
}

fn elicit_text(
    h: &dyn CallHooks,
    message: &str,
    schema: Value,
) -> Result<Result<String, String>, InvokeError> {
    Ok(hook(h.elicit(message, schema))?.map(|r| {
        let action = match r.action {
            ElicitAction::Accept => "accept",
            ElicitAction::Decline => "decline",
            ElicitAction::Cancel => "cancel",
        };
        format!(
            "action={action}, content={}",
            r.content.unwrap_or(Value::Null)
        )
    }))
}

fn arg<'a>(args: &'a Map<String, Value>, name: &str) -> &'a str {
    args.get(name).and_then(Value::as_str).unwrap_or("")
}

fn run_tool(
    name: &str,
    args: &Map<String, Value>,
    h: &dyn CallHooks,
) -> Result<GuestOutput, InvokeError> {
    let block = |c: ContentBlock| {
        Ok(GuestOutput::Tool(ToolResult {
            content: vec![c],
            structured: None,
            is_error: false,
            meta: None,
        }))
    };
    match name {
        "test_simple_text" => text("This is a simple text response for testing."),
        "test_image_content" => block(ContentBlock::Image(Media {
            data: PNG.to_vec(),
            mime_type: "image/png".into(),
        })),
        "test_audio_content" => block(ContentBlock::Audio(Media {
            data: WAV.to_vec(),
            mime_type: "audio/wav".into(),
        })),
        "test_embedded_resource" => block(ContentBlock::Resource(ResourceContents {
            uri: "test://embedded-resource".into(),
            mime_type: Some("text/plain".into()),
            body: ResourceBody::Text("This is an embedded resource content.".into()),
        })),
        "test_multiple_content_types" => Ok(GuestOutput::Tool(ToolResult {
            content: vec![
                ContentBlock::Text("Multiple content types test:".into()),
                ContentBlock::Image(Media {
                    data: PNG.to_vec(),
                    mime_type: "image/png".into(),
                }),
                ContentBlock::Resource(ResourceContents {
                    uri: "test://mixed-content-resource".into(),
                    mime_type: Some("application/json".into()),
                    body: ResourceBody::Text(r#"{"test":"data","value":123}"#.into()),
                }),
            ],
            structured: None,
            is_error: false,
            meta: None,
        })),
        "test_tool_with_logging" | "test_logging_tool" => {
            for (i, msg) in [
                "Tool execution started",
                "Tool processing data",
                "Tool execution completed",
            ]
            .iter()
            .enumerate()
            {
                h.log(LogLevel::Info, Some("fixtures"), json!(msg));
                if i < 2 {
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
            text("Tool with logging executed successfully")
        }
        "test_tool_with_progress" => {
            for p in [0.0, 50.0, 100.0] {
                h.progress(p, Some(100.0), Some(&format!("Completed step {p}")));
                std::thread::sleep(Duration::from_millis(50));
            }
            text("Tool with progress executed successfully")
        }
        "test_error_handling" => failed("This tool intentionally returns an error for testing"),
        "test_sampling" => match hook(h.sample(sample_params(arg(args, "prompt"), 100)))? {
            Ok(r) => text(format!(
                "LLM response: {}",
                r["content"]["text"].as_str().unwrap_or("")
            )),
            Err(m) => failed(m),
        },
        "test_elicitation" => {
            let schema = json!({ "type": "object", "properties": {
                "username": { "type": "string", "description": "User's response" },
                "email": { "type": "string", "description": "User's email address" } }, "required": ["username", "email"] });
            match elicit_text(h, arg(args, "message"), schema)? {
                Ok(t) => text(format!("User response: {t}")),
                Err(m) => failed(m),
            }
        }
        "test_elicitation_sep1034_defaults" => {
            let schema = json!({ "type": "object", "properties": {
                "name": { "type": "string", "default": "John Doe" },
                "age": { "type": "integer", "default": 30 },
                "score": { "type": "number", "default": 95.5 },
                "status": { "type": "string", "enum": ["active", "inactive", "pending"], "default": "active" },
                "verified": { "type": "boolean", "default": true } } });
            match elicit_text(
                h,
                "Please review and update the form fields with defaults",
                schema,
            )? {
                Ok(t) => text(format!("Elicitation completed: {t}")),
                Err(m) => failed(m),
            }
        }
        "test_elicitation_sep1330_enums" => {
            let schema = json!({ "type": "object", "properties": {
                "untitledSingle": { "type": "string", "enum": ["option1", "option2", "option3"] },
                "titledSingle": { "type": "string", "oneOf": [{ "const": "value1", "title": "First Option" }, { "const": "value2", "title": "Second Option" }, { "const": "value3", "title": "Third Option" }] },
                "legacyEnum": { "type": "string", "enum": ["opt1", "opt2", "opt3"], "enumNames": ["Option One", "Option Two", "Option Three"] },
                "untitledMulti": { "type": "array", "items": { "type": "string", "enum": ["option1", "option2", "option3"] } },
                "titledMulti": { "type": "array", "items": { "anyOf": [{ "const": "value1", "title": "First Choice" }, { "const": "value2", "title": "Second Choice" }, { "const": "value3", "title": "Third Choice" }] } } } });
            match elicit_text(h, "Please select options", schema)? {
                Ok(t) => text(format!("Elicitation completed: {t}")),
                Err(m) => failed(m),
            }
        }
        "json_schema_2020_12_tool" => text(format!("received {}", Value::Object(args.clone()))),
        "test_reconnection" => {
            std::thread::sleep(Duration::from_millis(600));
            text("Reconnection test completed")
        }
        "test_input_required_result_elicitation" | "test_streaming_elicitation" => {
            let schema = json!({ "type": "object", "properties": { "name": { "type": "string" } }, "required": ["name"] });
            match hook(h.elicit("What is your name?", schema))? {
                Ok(r) => text(format!(
                    "Hello, {}!",
                    r.content
                        .as_ref()
                        .and_then(|c| c["name"].as_str())
                        .unwrap_or("stranger")
                )),
                Err(m) => failed(m),
            }
        }
        "test_input_required_result_sampling" | "test_missing_capability" => {
            match hook(h.sample(sample_params("What is the capital of France?", 100)))? {
                Ok(r) => text(format!(
                    "Model said: {}",
                    r["content"]["text"].as_str().unwrap_or("")
                )),
                Err(m) => failed(m),
            }
        }
        "test_input_required_result_request_state"
        | "test_input_required_result_tampered_state" => {
            let schema = json!({ "type": "object", "properties": { "ok": { "type": "boolean" } }, "required": ["ok"] });
            match hook(h.elicit("Please confirm", schema))? {
                Ok(_) => text("state-ok: confirmed"),
                Err(m) => failed(m),
            }
        }
        "test_input_required_result_multi_round" => {
            let first = hook(h.elicit(
                "Step 1",
                json!({ "type": "object", "properties": { "a": { "type": "string" } } }),
            ))?;
            let second = hook(h.elicit(
                "Step 2",
                json!({ "type": "object", "properties": { "b": { "type": "string" } } }),
            ))?;
            match (first, second) {
                (Ok(_), Ok(_)) => text("both rounds done"),
                (Err(m), _) | (_, Err(m)) => failed(m),
            }
        }
        "test_input_required_result_capabilities" => {
            let _ = hook(h.elicit(
                "Optional question",
                json!({ "type": "object", "properties": {} }),
            ))?;
            match hook(h.sample(sample_params("Say hi", 10)))? {
                Ok(_) => text("sampled"),
                Err(m) => failed(m),
            }
        }
        "counter" => {
            let n = h
                .kv_get("count")
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
                + 1;
            match h.kv_set("count", &n.to_string()) {
                Ok(()) => text(n.to_string()),
                Err(m) => failed(m),
            }
        }
        "remember" => match h.kv_set(arg(args, "key"), arg(args, "value")) {
            Ok(()) => text("stored"),
            Err(m) => failed(m),
        },
        "env" => {
            let want = arg(args, "name");
            text(
                h.environment()
                    .into_iter()
                    .find(|(k, _)| k == want)
                    .map(|(_, v)| v)
                    .unwrap_or_default(),
            )
        }
        "gather" => {
            // Every ask is made before any answer is used, as `asyncio.gather` does.
            let who = hook(h.elicit("Who?", name_schema()))?;
            let words = hook(h.sample(sample_params("Greet", 20)))?;
            let roots = hook(h.list_roots())?;
            match (who, words, roots) {
                (Ok(who), Ok(words), Ok(roots)) => text(format!(
                    "{} {} at {}",
                    words["content"]["text"].as_str().unwrap_or(""),
                    who.content.unwrap_or_default()["name"]
                        .as_str()
                        .unwrap_or(""),
                    roots["roots"][0]["uri"].as_str().unwrap_or("")
                )),
                (Err(m), _, _) | (_, Err(m), _) | (_, _, Err(m)) => failed(m),
            }
        }
        "busy" => Err(InvokeError::Busy {
            running: 1,
            queued: 1,
        }),
        "region" => text(format!("region={}", arg(args, "region"))),
        "job" | "slow" => {
            std::thread::sleep(Duration::from_millis(
                args.get("ms").and_then(Value::as_u64).unwrap_or(100),
            ));
            text("done")
        }
        "ask_job" => {
            let first = hook(h.elicit("First?", name_schema()))?;
            let second = hook(h.elicit("Second?", name_schema()))?;
            match (first, second) {
                (Ok(a), Ok(b)) => text(format!(
                    "{} and {}",
                    a.content.unwrap_or_default()["name"].as_str().unwrap_or(""),
                    b.content.unwrap_or_default()["name"].as_str().unwrap_or("")
                )),
                (Err(m), _) | (_, Err(m)) => failed(m),
            }
        }
        "must_task" => match hook(h.elicit("Name?", name_schema()))? {
            Ok(r) => text(format!(
                "Hello from the task, {}!",
                r.content.unwrap_or_default()["name"].as_str().unwrap_or("")
            )),
            Err(m) => failed(m),
        },
        other => Err(InvokeError::NotFound(format!("no tool named {other}"))),
    }
}

fn run(call: GuestCall, h: &dyn CallHooks) -> Result<GuestOutput, InvokeError> {
    match call {
        GuestCall::Tool { name, arguments } => run_tool(&name, &arguments, h),
        GuestCall::ReadResource { uri } => {
            let body = match uri.as_str() {
                "test://static-text" => ResourceBody::Text("This is the content of the static text resource.".into()),
                "test://static-binary" => ResourceBody::Blob(PNG.to_vec()),
                "test://watched-resource" => ResourceBody::Text("Watched resource content".into()),
                u => match u.strip_prefix("test://template/").and_then(|r| r.strip_suffix("/data")) {
                    Some(id) => ResourceBody::Text(json!({ "id": id, "templateTest": true, "data": format!("Data for ID: {id}") }).to_string()),
                    None => return Err(InvokeError::NotFound(format!("no resource at {u}"))),
                },
            };
            let mime = if matches!(body, ResourceBody::Blob(_)) {
                "image/png"
            } else {
                "text/plain"
            };
            Ok(GuestOutput::Resource(vec![ResourceContents {
                uri,
                mime_type: Some(mime.into()),
                body,
            }]))
        }
        GuestCall::GetPrompt { name, arguments } => {
            let get = |k: &str| {
                arguments
                    .iter()
                    .find(|(n, _)| n == k)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default()
            };
            let content = match name.as_str() {
                "test_simple_prompt" => {
                    ContentBlock::Text("This is a simple prompt for testing.".into())
                }
                "test_prompt_with_arguments" => ContentBlock::Text(format!(
                    "Prompt with arguments: arg1='{}', arg2='{}'",
                    get("arg1"),
                    get("arg2")
                )),
                "test_prompt_with_embedded_resource" => ContentBlock::Resource(ResourceContents {
                    uri: get("resourceUri"),
                    mime_type: Some("text/plain".into()),
                    body: ResourceBody::Text("Embedded resource content for testing.".into()),
                }),
                "test_prompt_with_image" => ContentBlock::Image(Media {
                    data: PNG.to_vec(),
                    mime_type: "image/png".into(),
                }),
                "test_input_required_result_prompt" => {
                    let schema = json!({ "type": "object", "properties": { "topic": { "type": "string" } } });
                    match hook(h.elicit("Which topic?", schema))? {
                        Ok(r) => ContentBlock::Text(format!(
                            "Write about {}",
                            r.content.unwrap_or(Value::Null)
                        )),
                        Err(m) => ContentBlock::Text(format!("No topic: {m}")),
                    }
                }
                other => return Err(InvokeError::NotFound(format!("no prompt named {other}"))),
            };
            Ok(GuestOutput::Prompt(PromptResult {
                description: None,
                messages: vec![PromptMessage {
                    role: Role::User,
                    content,
                }],
                meta: None,
            }))
        }
        GuestCall::Complete { value, .. } => Ok(GuestOutput::Completion(Completion {
            values: ["paris", "park", "party"]
                .iter()
                .filter(|v| v.starts_with(&value))
                .map(|v| v.to_string())
                .collect(),
            total: None,
            has_more: false,
        })),
    }
}
