//! The callbacks a running guest makes, as the edge answers them: log and progress become notifications
//! on the call's stream, key-value calls go to the [`StateStore`], and elicitation, sampling and roots
//! become either a server-to-client request on the call's SSE stream (2025 era, [`Input::Live`]) or an
//! input request of a 2026-07-28 round ([`Input::Round`], see [`crate::input`]).

use crate::input::{Ask, Round};
use crate::routes::Route;
use crate::store::{KvError, StateStore};
use berth_core::runlog::EventKind;
use berth_core::{CallHooks, ElicitAction, ElicitResponse, HookError, LogLevel};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Largest log event a guest may send (its `data` as JSON). A log line is for reading; past this it is
/// cut, with a note saying so, so a guest logging in a loop cannot make the edge buffer megabytes per
/// event for a slow client or a session's replay log.
pub const DEFAULT_MAX_LOG_EVENT_BYTES: usize = 16 * 1024;

/// Bytes of log and progress notifications one call may send. Past it the call's further notifications
/// are dropped, after one saying so: they queue in the edge's memory until the client reads them, and a
/// guest logging in a loop until its deadline must not fill it.
pub const DEFAULT_MAX_LOG_BYTES_PER_CALL: usize = 1024 * 1024;

/// What a call's log and progress notifications may take, and what they took so far.
pub struct LogBudget {
    event: usize,
    call: usize,
    used: AtomicUsize,
}

/// Whether a notification fits the call's budget.
#[derive(Debug, PartialEq, Eq)]
enum Charge {
    Fits,
    /// The first that does not: send a note instead.
    Spent,
    /// Spent before: send nothing.
    Dropped,
}

impl LogBudget {
    pub fn new(config: &crate::config::EdgeConfig) -> Self {
        Self::with_limits(config.max_log_event_bytes, config.max_log_bytes_per_call)
    }

    pub fn with_limits(event: usize, call: usize) -> Self {
        Self {
            event,
            call,
            used: AtomicUsize::new(0),
        }
    }

    fn charge(&self, bytes: usize) -> Charge {
        let before = self.used.fetch_add(bytes, Ordering::Relaxed);
        if before.saturating_add(bytes) <= self.call {
            Charge::Fits
        } else if before <= self.call {
            self.used.store(usize::MAX / 2, Ordering::Relaxed);
            Charge::Spent
        } else {
            Charge::Dropped
        }
    }

    fn spent_note(&self) -> Value {
        json!(format!(
            "[further log and progress messages of this call are dropped: it sent over {} bytes of them]",
            self.call
        ))
    }
}

/// Server-to-client requests (elicitation, sampling, roots) one session may have waiting for the
/// client's answer. A guest asks one thing at a time, so this is the number of a session's calls that
/// may wait at once; each holds a running guest, so more would be a flood, not a conversation.
pub const DEFAULT_MAX_PENDING_PER_SESSION: usize = 16;

/// Server-to-client requests waiting on the whole edge.
pub const DEFAULT_MAX_PENDING: usize = 10_000;

/// Server-to-client requests waiting for the client's answer, by JSON-RPC id. Ids are unique per edge.
pub struct PendingReplies {
    next: AtomicU64,
    waiting: Mutex<Waiting>,
    per_session: usize,
    total: usize,
}

#[derive(Default)]
struct Waiting {
    by_id: HashMap<String, (String, oneshot::Sender<Value>)>,
    per_session: HashMap<String, usize>,
}

impl Default for PendingReplies {
    fn default() -> Self {
        Self::with_limits(DEFAULT_MAX_PENDING_PER_SESSION, DEFAULT_MAX_PENDING)
    }
}

impl PendingReplies {
    /// At most `per_session` requests waiting per session and `total` on the edge.
    pub fn with_limits(per_session: usize, total: usize) -> Self {
        Self {
            next: AtomicU64::new(0),
            waiting: Mutex::default(),
            per_session,
            total,
        }
    }

    fn register(&self, session: &str) -> Result<(String, oneshot::Receiver<Value>), HookError> {
        let mut w = self.lock();
        let mine = w.per_session.get(session).copied().unwrap_or(0);
        if mine >= self.per_session {
            return Err(HookError::Failed(format!(
                "this session already has {mine} requests waiting for the client's answer, its limit; answer those first"
            )));
        }
        if w.by_id.len() >= self.total {
            return Err(HookError::Failed(
                "the server has too many requests waiting for clients' answers; try again shortly"
                    .into(),
            ));
        }
        let id = format!("berth-{}", self.next.fetch_add(1, Ordering::Relaxed));
        let (tx, rx) = oneshot::channel();
        w.by_id.insert(id.clone(), (session.to_string(), tx));
        *w.per_session.entry(session.to_string()).or_default() += 1;
        Ok((id, rx))
    }

    fn forget(&self, id: &str) {
        self.lock().remove(id);
    }

    /// Hands a client's response to the waiting guest. `false` if nothing in this session waits for it.
    pub fn answer(&self, session: &str, id: &Value, body: Value) -> bool {
        let Some(id) = id.as_str() else { return false };
        let mut w = self.lock();
        if w.by_id.get(id).is_none_or(|(s, _)| s != session) {
            return false;
        }
        w.remove(id).is_some_and(|tx| tx.send(body).is_ok())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Waiting> {
        self.waiting.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Waiting {
    fn remove(&mut self, id: &str) -> Option<oneshot::Sender<Value>> {
        let (session, tx) = self.by_id.remove(id)?;
        if let Some(n) = self.per_session.get_mut(&session) {
            *n -= 1;
            if *n == 0 {
                self.per_session.remove(&session);
            }
        }
        Some(tx)
    }
}

/// What a progress notification costs besides its message, for the call's budget.
const PROGRESS_BYTES: usize = 128;

/// A log event's data, cut to `max` bytes of JSON with a note when it is larger.
pub fn bounded_log_data(data: Value, max: usize) -> Value {
    let text = match &data {
        Value::String(s) if s.len() <= max => return data,
        Value::String(s) => s.clone(),
        other => {
            let text = other.to_string();
            if text.len() <= max {
                return data;
            }
            text
        }
    };
    let mut cut = max;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    Value::String(format!(
        "{} [log event truncated: {} bytes, over the {max} byte limit]",
        &text[..cut],
        text.len()
    ))
}

/// What a call sends its client: messages while it runs, then its reply.
#[derive(Debug)]
pub enum Outbound {
    /// A notification or server-to-client request.
    Message(Value),
    /// The JSON-RPC response to the call, and the HTTP status to send it with as a plain JSON reply.
    Final(axum::http::StatusCode, Value),
}

/// How client input (elicitation, sampling, roots) is answered for one call.
pub enum Input {
    /// Ask the client now, on the call's stream, and wait (2025 era).
    Live {
        pending: Arc<PendingReplies>,
        session: String,
        timeout: Duration,
    },
    /// Answer from the round's recorded answers; record what is missing (2026-07-28).
    Round(Round),
}

/// The client capabilities a call may use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ClientCaps {
    pub elicitation: bool,
    pub sampling: bool,
    pub roots: bool,
}

impl ClientCaps {
    /// Reads the capabilities declared in a `capabilities` object (`initialize` or `_meta`).
    pub fn from_declared(caps: Option<&Map<String, Value>>) -> Self {
        let has = |k: &str| caps.is_some_and(|c| c.contains_key(k));
        Self {
            elicitation: has("elicitation"),
            sampling: has("sampling"),
            roots: has("roots"),
        }
    }

    fn allows(self, ask: Ask) -> bool {
        match ask {
            Ask::Elicit => self.elicitation,
            Ask::Sample => self.sampling,
            Ask::ListRoots => self.roots,
        }
    }
}

pub struct EdgeHooks {
    pub route: Arc<Route>,
    pub state: Arc<dyn StateStore>,
    pub runtime: tokio::runtime::Handle,
    /// Notifications and requests for the client, in order, on the call's stream.
    pub outbound: mpsc::UnboundedSender<Outbound>,
    /// Log notifications at or above this level are sent; `None` sends none.
    pub log_level: Option<LogLevel>,
    pub progress_token: Option<Value>,
    pub caps: ClientCaps,
    pub input: Input,
    /// Log events larger than this (as JSON) are cut, and the call's notifications are bounded.
    pub log_budget: LogBudget,
    /// The call's share of the deployment's runtime log: what it logs, prints and fetches.
    pub runlog: berth_runlog::CallLog,
    /// Where its outbound HTTP is counted, under the route's project.
    pub metrics: Arc<crate::metrics::Metrics>,
}

/// The runtime log of one call: its deployment, the values to hide, and the tool (prompt, resource)
/// its events belong to.
pub fn call_log(
    shared: &crate::edge::Shared,
    route: &Route,
    call: &berth_core::GuestCall,
) -> berth_runlog::CallLog {
    let tool = match call {
        berth_core::GuestCall::Tool { name, .. }
        | berth_core::GuestCall::GetPrompt { name, .. } => Some(name.clone()),
        berth_core::GuestCall::ReadResource { uri } => Some(uri.clone()),
        berth_core::GuestCall::Complete { .. } => None,
    };
    let origin = berth_runlog::Origin {
        project_id: route.project_id.clone(),
        deployment_id: route.deployment.0.clone(),
        secrets: route.secrets.clone(),
    };
    berth_runlog::CallLog::new(shared.runlog.clone(), Arc::new(origin), tool)
}

impl EdgeHooks {
    fn ask(&self, ask: Ask, params: Value) -> Result<Value, HookError> {
        let allowed = self.caps.allows(ask);
        let (method, capability) = (ask.method(), ask.capability());
        match &self.input {
            Input::Live {
                pending,
                session,
                timeout,
            } => {
                if !allowed {
                    return Err(HookError::Failed(format!(
                        "the client did not declare the `{capability}` capability"
                    )));
                }
                let (id, rx) = pending.register(session)?;
                let request =
                    json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params });
                if self.outbound.send(Outbound::Message(request)).is_err() {
                    pending.forget(&id);
                    return Err(HookError::Failed(
                        "the client's stream closed before it could answer".into(),
                    ));
                }
                let answer = self.runtime.block_on(tokio::time::timeout(*timeout, rx));
                pending.forget(&id);
                match answer {
                    Ok(Ok(body)) => match (body.get("result"), body.get("error")) {
                        (Some(result), _) => Ok(result.clone()),
                        (None, Some(err)) => Err(HookError::Failed(format!(
                            "the client refused the {method} request: {}",
                            err.get("message")
                                .and_then(Value::as_str)
                                .unwrap_or("no reason given")
                        ))),
                        _ => Err(HookError::Failed(
                            "the client's answer had no result".into(),
                        )),
                    },
                    Ok(Err(_)) => Err(HookError::Failed(
                        "the client went away before answering".into(),
                    )),
                    Err(_) => Err(HookError::Failed(format!(
                        "the client did not answer {method} in time"
                    ))),
                }
            }
            Input::Round(round) => round.ask(ask, allowed, params),
        }
    }

    fn block<T>(
        &self,
        what: &str,
        fut: impl std::future::Future<Output = Result<T, crate::store::StoreError>>,
    ) -> Option<T> {
        match self.runtime.block_on(fut) {
            Ok(v) => Some(v),
            Err(e) => {
                tracing::warn!(project = %self.route.project_id, "{what}: {e}");
                None
            }
        }
    }
}

impl CallHooks for EdgeHooks {
    fn log(&self, level: LogLevel, logger: Option<&str>, data: Value) {
        // The runtime log keeps every level; the client gets what it asked for.
        self.runlog.log(level, logger, &data);
        if self.log_level.is_none_or(|min| level < min) {
            return;
        }
        let mut params = Map::new();
        params.insert("level".into(), json!(level.as_str()));
        if let Some(l) = logger {
            params.insert("logger".into(), json!(l));
        }
        let data = bounded_log_data(data, self.log_budget.event);
        let size = match &data {
            Value::String(s) => s.len(),
            other => other.to_string().len(),
        };
        let data = match self.log_budget.charge(size) {
            Charge::Fits => data,
            Charge::Spent => self.log_budget.spent_note(),
            Charge::Dropped => return,
        };
        params.insert("data".into(), data);
        let _ = self.outbound.send(Outbound::Message(
            json!({ "jsonrpc": "2.0", "method": "notifications/message", "params": params }),
        ));
    }

    fn progress(&self, progress: f64, total: Option<f64>, message: Option<&str>) {
        let Some(token) = &self.progress_token else {
            return;
        };
        let message = message.map(|m| &m[..m.floor_char_boundary(self.log_budget.event)]);
        let size = PROGRESS_BYTES + message.map_or(0, str::len);
        if self.log_budget.charge(size) != Charge::Fits {
            return;
        }
        let mut params = Map::new();
        params.insert("progressToken".into(), token.clone());
        params.insert("progress".into(), json!(progress));
        if let Some(t) = total {
            params.insert("total".into(), json!(t));
        }
        if let Some(m) = message {
            params.insert("message".into(), json!(m));
        }
        let _ = self.outbound.send(Outbound::Message(
            json!({ "jsonrpc": "2.0", "method": "notifications/progress", "params": params }),
        ));
    }

    fn kv_get(&self, key: &str) -> Option<String> {
        self.block("kv-get", self.state.get(&self.route.project_id, key))
            .flatten()
    }

    fn kv_set(&self, key: &str, value: &str) -> Result<(), String> {
        let set = self.state.set(&self.route.project_id, key, value);
        match self.runtime.block_on(set) {
            Ok(()) => Ok(()),
            Err(KvError::Quota(m)) => Err(m),
            Err(KvError::Store(e)) => {
                tracing::warn!(project = %self.route.project_id, "kv-set: {e}");
                Err("the key-value store is unavailable; the value was not stored".into())
            }
        }
    }

    fn kv_delete(&self, key: &str) {
        self.block("kv-delete", self.state.delete(&self.route.project_id, key));
    }

    fn session_get(&self, session: &str, key: &str) -> Option<String> {
        let get = self.state.session_get(&self.route.project_id, session, key);
        self.block("session-get", get).flatten()
    }

    fn session_set(&self, session: &str, key: &str, value: &str) -> Result<(), String> {
        let set = self
            .state
            .session_set(&self.route.project_id, session, key, value);
        match self.runtime.block_on(set) {
            Ok(()) => Ok(()),
            Err(KvError::Quota(m)) => Err(m),
            Err(KvError::Store(e)) => {
                tracing::warn!(project = %self.route.project_id, "session-set: {e}");
                Err("the session state store is unavailable; the value was not stored".into())
            }
        }
    }

    fn session_delete(&self, session: &str, key: &str) {
        let delete = self
            .state
            .session_delete(&self.route.project_id, session, key);
        self.block("session-delete", delete);
    }

    fn elicit(&self, message: &str, requested_schema: Value) -> Result<ElicitResponse, HookError> {
        let mut params = json!({ "message": message, "requestedSchema": requested_schema });
        if matches!(self.input, Input::Round(_)) {
            // 2026-07-28 names the elicitation mode; 2025 clients know only the form.
            params["mode"] = json!("form");
        }
        let result = self.ask(Ask::Elicit, params)?;
        let action = match result.get("action").and_then(Value::as_str) {
            Some("accept") => ElicitAction::Accept,
            Some("decline") => ElicitAction::Decline,
            Some("cancel") => ElicitAction::Cancel,
            other => {
                return Err(HookError::Failed(format!(
                    "the client answered elicitation with an unknown action {other:?}"
                )));
            }
        };
        let content = result.get("content").filter(|c| c.is_object()).cloned();
        Ok(ElicitResponse { action, content })
    }

    fn sample(&self, params: Value) -> Result<Value, HookError> {
        self.ask(Ask::Sample, params)
    }

    fn list_roots(&self) -> Result<Value, HookError> {
        self.ask(Ask::ListRoots, json!({}))
    }

    fn environment(&self) -> Vec<(String, String)> {
        self.route.env.as_ref().clone()
    }

    fn output(&self, text: &str) {
        self.runlog.output(text);
    }

    fn egress(&self, event: &berth_core::EgressEvent) {
        self.metrics
            .egress(self.route.slug.as_str(), &self.route.project_id, event);
        self.runlog.egress(EventKind::egress(event));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_log_events_are_cut_with_a_note() {
        assert_eq!(bounded_log_data(json!("short"), 16), json!("short"));
        assert_eq!(bounded_log_data(json!({"a": 1}), 16), json!({"a": 1}));
        let cut = bounded_log_data(json!("é".repeat(1000)), 101);
        let text = cut.as_str().unwrap();
        assert!(text.starts_with(&"é".repeat(50)), "{text}");
        assert!(
            text.ends_with("[log event truncated: 2000 bytes, over the 101 byte limit]"),
            "{text}"
        );
        let cut = bounded_log_data(json!({"rows": vec![1; 10_000]}), 64);
        assert!(cut.as_str().unwrap().len() < 64 + 80, "{cut}");
    }

    #[test]
    fn waiting_requests_are_bounded_per_session_and_in_all() {
        let p = PendingReplies::with_limits(2, 3);
        let (a1, _r1) = p.register("a").unwrap();
        let (_a2, _r2) = p.register("a").unwrap();
        let err = p.register("a").unwrap_err();
        assert!(err.to_string().contains("2 requests waiting"), "{err}");
        let (_b1, _r3) = p.register("b").unwrap();
        let err = p.register("c").unwrap_err();
        assert!(err.to_string().contains("too many requests"), "{err}");
        p.forget(&a1);
        p.register("c").unwrap();
        assert_eq!(p.lock().by_id.len(), 3);
    }

    #[test]
    fn a_call_sends_a_bounded_amount_of_log_and_progress() {
        let budget = LogBudget::with_limits(16, 100);
        let charges: Vec<Charge> = (0..5).map(|_| budget.charge(30)).collect();
        assert_eq!(
            charges,
            [
                Charge::Fits,
                Charge::Fits,
                Charge::Fits,
                Charge::Spent,
                Charge::Dropped
            ]
        );
        assert!((0..1_000_000).all(|_| budget.charge(1) == Charge::Dropped));
        assert!(
            budget
                .spent_note()
                .as_str()
                .unwrap()
                .contains("over 100 bytes")
        );
    }
}
