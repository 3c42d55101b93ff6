//! The state each guest instance's store carries: its WASI context, its memory limiter, and the hooks of
//! the call in progress, through which the guest's host imports reach the platform.

use berth_core::{CallHooks, ElicitAction, HookError, LogLevel, NoHooks};
use std::sync::Arc;
use std::time::Instant;
use wasmtime::component::ResourceTable;
use wasmtime::{ResourceLimiter, Result};
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::bindings::berth::mcp::{host, types};
use crate::bindings::{resource_to_wit, wit};
use crate::blocking::offload;
use crate::egress::{Egress, EgressHooks};
use crate::output::CapturedOutput;

/// Table elements an instance may grow to. CPython's function table is a few thousand entries; this is
/// generous while still bounding host memory.
const MAX_TABLE_ELEMENTS: usize = 1_000_000;

/// Why the last call stopped early, set by host functions and the limiter and read by the pool.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Stop {
    #[default]
    None,
    /// A hook asked to suspend the call (input required from the client).
    Suspended,
}

pub struct Limiter {
    pub memory_bytes: usize,
    pub refused: bool,
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> Result<bool> {
        let ok = desired <= self.memory_bytes;
        if !ok {
            self.refused = true;
        }
        Ok(ok)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }
}

pub struct GuestState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub limiter: Limiter,
    pub hooks: Arc<dyn CallHooks>,
    pub stop: Stop,
    pub output: CapturedOutput,
    /// When the call in progress must end; checked at every epoch tick.
    pub deadline: Instant,
    http: WasiHttpCtx,
    /// Outbound HTTP: the worker's egress machinery and the policy of the call in progress.
    pub(crate) egress: EgressHooks,
    /// The `_meta` the guest set for the result of the call in progress (`result-meta`).
    pub result_meta: Option<serde_json::Map<String, serde_json::Value>>,
    /// The MCP session of the call in progress, whose state `session-*` reach.
    pub session: Option<String>,
}

impl GuestState {
    /// A deny-all WASI context: no preopened directories, no sockets, no inherited environment; the given
    /// variables as the environment, real clocks and randomness, output captured.
    /// Outbound HTTP goes only through `wasi:http`, under `egress` and the policy of each call.
    pub(crate) fn new(env: &[(String, String)], memory_bytes: usize, egress: Arc<Egress>) -> Self {
        let output = CapturedOutput::default();
        let wasi = WasiCtxBuilder::new()
            .envs(env)
            .stdout(output.clone())
            .stderr(output.clone())
            .allow_blocking_current_thread(true)
            .build();
        Self {
            wasi,
            table: ResourceTable::new(),
            limiter: Limiter {
                memory_bytes,
                refused: false,
            },
            hooks: Arc::new(NoHooks::default()),
            stop: Stop::None,
            output,
            deadline: Instant::now(),
            http: WasiHttpCtx::new(),
            egress: EgressHooks { egress, call: None },
            result_meta: None,
            session: None,
        }
    }

    fn hook_result<T>(
        &mut self,
        r: std::result::Result<T, HookError>,
    ) -> Result<std::result::Result<T, String>> {
        match r {
            Ok(v) => Ok(Ok(v)),
            Err(HookError::Failed(m)) => Ok(Err(m)),
            Err(HookError::Suspend) => {
                self.stop = Stop::Suspended;
                Err(wasmtime::format_err!(
                    "call suspended: input required from the client"
                ))
            }
        }
    }
}

impl WasiView for GuestState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for GuestState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            hooks: &mut self.egress,
            table: &mut self.table,
            ctx: &mut self.http,
        }
    }
}

impl types::Host for GuestState {}

fn level(l: host::LogLevel) -> LogLevel {
    match l {
        host::LogLevel::Debug => LogLevel::Debug,
        host::LogLevel::Info => LogLevel::Info,
        host::LogLevel::Notice => LogLevel::Notice,
        host::LogLevel::Warning => LogLevel::Warning,
        host::LogLevel::Error => LogLevel::Error,
        host::LogLevel::Critical => LogLevel::Critical,
        host::LogLevel::Alert => LogLevel::Alert,
        host::LogLevel::Emergency => LogLevel::Emergency,
    }
}

/// Parses JSON from the guest; a guest that sends malformed JSON gets its text back as a string value.
fn json_or_string(s: String) -> serde_json::Value {
    serde_json::from_str(&s).unwrap_or(serde_json::Value::String(s))
}

impl host::Host for GuestState {
    fn log(&mut self, l: host::LogLevel, logger: Option<String>, data_json: String) -> Result<()> {
        self.hooks
            .log(level(l), logger.as_deref(), json_or_string(data_json));
        Ok(())
    }

    fn progress(
        &mut self,
        progress: f64,
        total: Option<f64>,
        message: Option<String>,
    ) -> Result<()> {
        self.hooks.progress(progress, total, message.as_deref());
        Ok(())
    }

    // The imports below may wait (on the state store, on the client), so they run on a blocking
    // thread while the guest's fiber is parked.

    async fn kv_get(&mut self, key: String) -> Result<Option<String>> {
        let hooks = self.hooks.clone();
        offload(move || hooks.kv_get(&key)).await
    }

    async fn kv_set(
        &mut self,
        key: String,
        value: String,
    ) -> Result<std::result::Result<(), String>> {
        let hooks = self.hooks.clone();
        offload(move || hooks.kv_set(&key, &value)).await
    }

    async fn kv_delete(&mut self, key: String) -> Result<()> {
        let hooks = self.hooks.clone();
        offload(move || hooks.kv_delete(&key)).await
    }

    async fn session_get(&mut self, key: String) -> Result<Option<String>> {
        let (hooks, Some(session)) = (self.hooks.clone(), self.session.clone()) else {
            return Ok(None);
        };
        offload(move || hooks.session_get(&session, &key)).await
    }

    async fn session_set(
        &mut self,
        key: String,
        value: String,
    ) -> Result<std::result::Result<(), String>> {
        let (hooks, Some(session)) = (self.hooks.clone(), self.session.clone()) else {
            return Ok(Err(
                "this request is not part of an MCP session, so there is no session state to keep it in".into(),
            ));
        };
        offload(move || hooks.session_set(&session, &key, &value)).await
    }

    async fn session_delete(&mut self, key: String) -> Result<()> {
        let (hooks, Some(session)) = (self.hooks.clone(), self.session.clone()) else {
            return Ok(());
        };
        offload(move || hooks.session_delete(&session, &key)).await
    }

    async fn elicit(
        &mut self,
        message: String,
        requested_schema_json: String,
    ) -> Result<std::result::Result<host::ElicitResponse, String>> {
        let schema = match serde_json::from_str(&requested_schema_json) {
            Ok(s) => s,
            Err(e) => return Ok(Err(format!("the requested schema is not valid JSON: {e}"))),
        };
        let hooks = self.hooks.clone();
        let r = offload(move || hooks.elicit(&message, schema)).await?;
        Ok(self.hook_result(r)?.map(|r| host::ElicitResponse {
            action: match r.action {
                ElicitAction::Accept => host::ElicitAction::Accept,
                ElicitAction::Decline => host::ElicitAction::Decline,
                ElicitAction::Cancel => host::ElicitAction::Cancel,
            },
            content_json: r.content.map(|c| c.to_string()),
        }))
    }

    async fn sample(&mut self, params_json: String) -> Result<std::result::Result<String, String>> {
        let params = match serde_json::from_str(&params_json) {
            Ok(p) => p,
            Err(e) => {
                return Ok(Err(format!(
                    "the sampling parameters are not valid JSON: {e}"
                )));
            }
        };
        let hooks = self.hooks.clone();
        let r = offload(move || hooks.sample(params)).await?;
        Ok(self.hook_result(r)?.map(|v| v.to_string()))
    }

    async fn list_roots(&mut self) -> Result<std::result::Result<String, String>> {
        let hooks = self.hooks.clone();
        let r = offload(move || hooks.list_roots()).await?;
        Ok(self.hook_result(r)?.map(|v| v.to_string()))
    }

    async fn read_resource(
        &mut self,
        uri: String,
    ) -> Result<std::result::Result<Vec<wit::ResourceContents>, wit::GuestError>> {
        let hooks = self.hooks.clone();
        Ok(match offload(move || hooks.read_resource(&uri)).await? {
            Ok(contents) => Ok(contents.into_iter().map(resource_to_wit).collect()),
            Err(m) => Err(wit::GuestError::NotFound(m)),
        })
    }

    fn environment(&mut self) -> Result<Vec<(String, String)>> {
        Ok(self.hooks.environment())
    }

    fn result_meta(&mut self, meta_json: String) -> Result<std::result::Result<(), String>> {
        Ok(parse_result_meta(&meta_json).map(|meta| self.result_meta = Some(meta)))
    }
}

/// Largest `_meta` a guest may set on a result: markers and small annotations fit many times over, and a
/// result's bulk belongs in its content (which the response size limit bounds, this included).
pub const MAX_RESULT_META_BYTES: usize = 64 * 1024;

/// A result's `_meta` from the guest: a JSON object of at most [`MAX_RESULT_META_BYTES`].
fn parse_result_meta(
    json: &str,
) -> std::result::Result<serde_json::Map<String, serde_json::Value>, String> {
    if json.len() > MAX_RESULT_META_BYTES {
        return Err(format!(
            "the result's _meta is {} bytes; it may be at most {MAX_RESULT_META_BYTES} bytes: put bulky data in the result's content",
            json.len()
        ));
    }
    match serde_json::from_str(json) {
        Ok(serde_json::Value::Object(meta)) => Ok(meta),
        Ok(_) => Err("the result's _meta must be a JSON object".into()),
        Err(e) => Err(format!("the result's _meta is not valid JSON: {e}")),
    }
}
