//! The guest contract's values as plain Rust, mirroring `sandbox/wit/berth.wit`.
//!
//! These are what flows between the edge and a worker: what a deployment offers ([`ServerDescription`]),
//! one call ([`GuestCall`]) and its output ([`GuestOutput`]), and the callbacks a guest makes while it runs
//! ([`CallHooks`]). They are deliberately not MCP's wire types; the edge translates.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What a deployment offers, asked once at build time and stored with the deployment.
/// Items keep MCP's field names (`inputSchema`, `uriTemplate`, ...), as the guest described them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerDescription {
    pub name: String,
    #[serde(default)]
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    /// The server's display name, description, website and icons (MCP `serverInfo`), when it set them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icons: Option<Vec<Value>>,
    #[serde(default)]
    pub tools: Vec<Map<String, Value>>,
    #[serde(default)]
    pub resources: Vec<Map<String, Value>>,
    #[serde(default)]
    pub resource_templates: Vec<Map<String, Value>>,
    #[serde(default)]
    pub prompts: Vec<Map<String, Value>>,
    /// Lines for the build log: what the SDK accepted but ignores (a transport setting, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<String>,
    /// The hosts the deployment may reach over HTTP, as its repository's `berth.toml` (`[network]
    /// allow`) declared them. Filled by the builder, never by the guest: [`Self::from_guest_json`]
    /// drops whatever a guest puts here.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub network_allow: Vec<String>,
    /// The capabilities the server's own library advertises, per protocol era, when the guest names
    /// them; the edge advertises them within what it serves. Without them it advertises all it serves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<EraCapabilities>,
}

/// MCP `ServerCapabilities` objects for the 2025 era (`initialize`) and for 2026-07-28
/// (`server/discover`), as a server's library words them (`{"tools": {"listChanged": true}, ...}`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EraCapabilities {
    #[serde(default)]
    pub legacy: Map<String, Value>,
    #[serde(default)]
    pub modern: Map<String, Value>,
}

impl ServerDescription {
    /// Parses and checks a guest's `describe` output: every item has its key field, and names are unique.
    pub fn from_guest_json(json: &str) -> Result<Self, String> {
        let mut d: ServerDescription = serde_json::from_str(json)
            .map_err(|e| format!("the server's self-description is not valid: {e}"))?;
        d.network_allow.clear();
        check_unique(&d.tools, "name", "tool")?;
        check_unique(&d.resources, "uri", "resource")?;
        check_unique(&d.resource_templates, "uriTemplate", "resource template")?;
        check_unique(&d.prompts, "name", "prompt")?;
        Ok(d)
    }

    pub fn tool(&self, name: &str) -> Option<&Map<String, Value>> {
        self.tools
            .iter()
            .find(|t| t.get("name").and_then(Value::as_str) == Some(name))
    }

    pub fn prompt(&self, name: &str) -> Option<&Map<String, Value>> {
        self.prompts
            .iter()
            .find(|t| t.get("name").and_then(Value::as_str) == Some(name))
    }
}

fn check_unique(items: &[Map<String, Value>], key: &str, what: &str) -> Result<(), String> {
    let mut seen = std::collections::HashSet::new();
    for item in items {
        let Some(v) = item.get(key).and_then(Value::as_str) else {
            return Err(format!("a {what} has no `{key}`"));
        };
        if !seen.insert(v) {
            return Err(format!(
                "two {what}s share the {key} `{v}`; each must be unique"
            ));
        }
    }
    Ok(())
}

#[derive(Clone, Debug, PartialEq)]
pub enum ResourceBody {
    Text(String),
    Blob(Vec<u8>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct ResourceContents {
    pub uri: String,
    pub mime_type: Option<String>,
    pub body: ResourceBody,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Media {
    pub data: Vec<u8>,
    pub mime_type: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ResourceLink {
    pub uri: String,
    pub name: String,
    pub description: Option<String>,
    pub mime_type: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ContentBlock {
    Text(String),
    Image(Media),
    Audio(Media),
    ResourceLink(ResourceLink),
    Resource(ResourceContents),
}

#[derive(Clone, Debug, PartialEq)]
pub struct ToolResult {
    pub content: Vec<ContentBlock>,
    pub structured: Option<Value>,
    pub is_error: bool,
    /// The result's own `_meta`, when the guest set one (a library's markers, the tool's own).
    pub meta: Option<Map<String, Value>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    User,
    Assistant,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PromptMessage {
    pub role: Role,
    pub content: ContentBlock,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PromptResult {
    pub description: Option<String>,
    pub messages: Vec<PromptMessage>,
    /// The result's own `_meta`, when the guest set one.
    pub meta: Option<Map<String, Value>>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum CompletionRef {
    Prompt(String),
    ResourceTemplate(String),
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Completion {
    pub values: Vec<String>,
    pub total: Option<u32>,
    pub has_more: bool,
}

/// One call into a guest.
#[derive(Clone, Debug, PartialEq)]
pub enum GuestCall {
    Tool {
        name: String,
        arguments: Map<String, Value>,
    },
    ReadResource {
        uri: String,
    },
    GetPrompt {
        name: String,
        arguments: Vec<(String, String)>,
    },
    Complete {
        target: CompletionRef,
        argument: String,
        value: String,
        context: Vec<(String, String)>,
    },
}

impl GuestCall {
    /// A short label for logs and metrics: `tools/call:name`, `resources/read`, ...
    pub fn label(&self) -> String {
        match self {
            GuestCall::Tool { name, .. } => format!("tools/call:{name}"),
            GuestCall::ReadResource { .. } => "resources/read".into(),
            GuestCall::GetPrompt { name, .. } => format!("prompts/get:{name}"),
            GuestCall::Complete { .. } => "completion/complete".into(),
        }
    }
}

/// What a call returned.
#[derive(Clone, Debug, PartialEq)]
pub enum GuestOutput {
    Tool(ToolResult),
    Resource(Vec<ResourceContents>),
    Prompt(PromptResult),
    Completion(Completion),
}

/// Ids the guest sees for the call.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct CallContext {
    pub request_id: String,
    pub session_id: Option<String>,
}

/// Why a call produced no output.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum InvokeError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    InvalidParams(String),
    #[error("the server failed: {0}")]
    Guest(String),
    #[error("the call ran past its {0} ms time limit and was stopped")]
    Timeout(u64),
    #[error("the server ran out of memory (limit {0} MiB) and was stopped")]
    OutOfMemory(u64),
    #[error("the server crashed: {0}")]
    Trap(String),
    #[error("the result is {0} bytes, over the {1} byte limit")]
    ResponseTooLarge(usize, u64),
    /// The call needs input from the client (elicitation or sampling) that this request cannot wait for;
    /// the hooks recorded what it asked. Only in stateless (2026-07-28) requests.
    #[error("the call needs input from the client")]
    InputRequired,
    #[error("the deployment is not available: {0}")]
    Unavailable(String),
    /// The deployment already runs as many calls as it may and its queue is full: retry shortly.
    #[error(
        "the server is busy: {running} calls are running and {queued} waiting, its limit; retry shortly, or raise the project's concurrency limit"
    )]
    Busy { running: usize, queued: usize },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Debug,
    Info,
    Notice,
    Warning,
    Error,
    Critical,
    Alert,
    Emergency,
}

impl LogLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Notice => "notice",
            LogLevel::Warning => "warning",
            LogLevel::Error => "error",
            LogLevel::Critical => "critical",
            LogLevel::Alert => "alert",
            LogLevel::Emergency => "emergency",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "debug" => LogLevel::Debug,
            "info" => LogLevel::Info,
            "notice" => LogLevel::Notice,
            "warning" => LogLevel::Warning,
            "error" => LogLevel::Error,
            "critical" => LogLevel::Critical,
            "alert" => LogLevel::Alert,
            "emergency" => LogLevel::Emergency,
            _ => return None,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElicitAction {
    Accept,
    Decline,
    Cancel,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ElicitResponse {
    pub action: ElicitAction,
    pub content: Option<Value>,
}

/// Why a blocking callback could not be answered.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum HookError {
    /// The guest gets this message as an error it can handle.
    #[error("{0}")]
    Failed(String),
    /// Stop the call now: the answer must come in a later request (2026-07-28 input-required round trip).
    #[error("input required")]
    Suspend,
}

/// Callbacks a guest makes while a call runs. `log`, `progress`, `environment` and `output` are called
/// on the task that runs the guest, which may be an async runtime's worker: they must return at once.
/// The others may block (the state store, the client's answer); the sandbox calls them on a blocking
/// thread, where implementations may wait on the async side.
pub trait CallHooks: Send + Sync {
    fn log(&self, level: LogLevel, logger: Option<&str>, data: Value);
    fn progress(&self, progress: f64, total: Option<f64>, message: Option<&str>);
    fn kv_get(&self, key: &str) -> Option<String>;
    /// Stores a value in the project's key-value state; an error (over the quota, store unavailable) is
    /// a message the guest gets as an error it can handle.
    fn kv_set(&self, key: &str, value: &str) -> Result<(), String>;
    fn kv_delete(&self, key: &str);
    /// State of one MCP session (fastmcp's `ctx.set_state`), kept apart from the project's own keys.
    fn session_get(&self, _session: &str, _key: &str) -> Option<String> {
        None
    }
    /// Stores a value in a session's state; an error is a message the guest gets.
    fn session_set(&self, _session: &str, _key: &str, _value: &str) -> Result<(), String> {
        Err("session state is not available here".into())
    }
    fn session_delete(&self, _session: &str, _key: &str) {}
    fn elicit(&self, message: &str, requested_schema: Value) -> Result<ElicitResponse, HookError>;
    fn sample(&self, params: Value) -> Result<Value, HookError>;
    fn environment(&self) -> Vec<(String, String)>;
    /// Asks the client for its roots (`roots/list`); returns its result.
    fn list_roots(&self) -> Result<Value, HookError> {
        Err(HookError::Failed(
            "the client does not support roots".into(),
        ))
    }
    /// Reads one of the server's own resources. The sandbox answers this itself where it can.
    fn read_resource(&self, uri: &str) -> Result<Vec<ResourceContents>, String> {
        Err(format!("resource `{uri}` cannot be read from here"))
    }
    /// What the guest printed to stdout or stderr during the call.
    fn output(&self, _text: &str) {}
    /// One outbound HTTP request of the call, once it is over (answered, refused or failed): for
    /// metrics and the runtime log. Called on whatever task carried the request: it must return at once.
    fn egress(&self, _event: &crate::EgressEvent) {}
}

/// Hooks that answer nothing: for build-time self-description and benchmarks.
#[derive(Default)]
pub struct NoHooks {
    pub env: Vec<(String, String)>,
}

impl CallHooks for NoHooks {
    fn log(&self, _: LogLevel, _: Option<&str>, _: Value) {}
    fn progress(&self, _: f64, _: Option<f64>, _: Option<&str>) {}
    fn kv_get(&self, _: &str) -> Option<String> {
        None
    }
    fn kv_set(&self, _: &str, _: &str) -> Result<(), String> {
        Ok(())
    }
    fn kv_delete(&self, _: &str) {}
    fn elicit(&self, _: &str, _: Value) -> Result<ElicitResponse, HookError> {
        Err(HookError::Failed(
            "this client cannot answer elicitation requests".into(),
        ))
    }
    fn sample(&self, _: Value) -> Result<Value, HookError> {
        Err(HookError::Failed(
            "this client cannot answer sampling requests".into(),
        ))
    }
    fn environment(&self) -> Vec<(String, String)> {
        self.env.clone()
    }
}
