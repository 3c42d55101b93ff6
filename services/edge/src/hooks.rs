//! The callbacks a running guest makes, as the edge answers them: log and progress become notifications
//! on the call's stream, key-value calls go to the [`StateStore`], and elicitation/sampling become either a
//! server-to-client request on the call's SSE stream (2025 era, [`Input::Live`]) or an input-required
//! round trip (2026-07-28, [`Input::Replay`]: the call is re-run with the answers recorded so far).

use crate::routes::Route;
use crate::store::StateStore;
use berth_core::{CallHooks, ElicitAction, ElicitResponse, HookError, LogLevel};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Server-to-client requests waiting for the client's answer, by JSON-RPC id. Ids are unique per edge.
#[derive(Default)]
pub struct PendingReplies {
    next: AtomicU64,
    waiting: Mutex<HashMap<String, (String, oneshot::Sender<Value>)>>,
}

impl PendingReplies {
    fn register(&self, session: &str) -> (String, oneshot::Receiver<Value>) {
        let id = format!("berth-{}", self.next.fetch_add(1, Ordering::Relaxed));
        let (tx, rx) = oneshot::channel();
        self.lock().insert(id.clone(), (session.to_string(), tx));
        (id, rx)
    }

    fn forget(&self, id: &str) {
        self.lock().remove(id);
    }

    /// Hands a client's response to the waiting guest. `false` if nothing in this session waits for it.
    pub fn answer(&self, session: &str, id: &Value, body: Value) -> bool {
        let Some(id) = id.as_str() else { return false };
        let mut map = self.lock();
        if map.get(id).is_none_or(|(s, _)| s != session) {
            return false;
        }
        map.remove(id).is_some_and(|(_, tx)| tx.send(body).is_ok())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (String, oneshot::Sender<Value>)>> {
        self.waiting.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// What a call sends its client: messages while it runs, then its reply.
#[derive(Debug)]
pub enum Outbound {
    /// A notification or server-to-client request.
    Message(Value),
    /// The JSON-RPC response to the call, and the HTTP status to send it with as a plain JSON reply.
    Final(axum::http::StatusCode, Value),
}

/// How elicitation and sampling are answered for one call.
pub enum Input {
    /// Ask the client now, on the call's stream, and wait (2025 era).
    Live {
        pending: Arc<PendingReplies>,
        session: String,
        timeout: Duration,
    },
    /// Replay recorded answers in order; suspend the call at the first one not recorded (2026-07-28).
    Replay(Replay),
}

/// The state of one input-required round: the answers so far, and what the call asked next.
#[derive(Default)]
pub struct Replay {
    pub answers: Vec<Value>,
    next: AtomicUsize,
    /// `(key, {"method", "params"})` of the input the call stopped at.
    pub asked: Mutex<Option<(String, Value)>>,
    /// A capability the guest needed that the client did not declare.
    pub missing_capability: Mutex<Option<&'static str>>,
}

impl Replay {
    pub fn new(answers: Vec<Value>) -> Self {
        Self {
            answers,
            ..Default::default()
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
    pub can_elicit: bool,
    pub can_sample: bool,
    pub input: Input,
}

impl EdgeHooks {
    fn ask(
        &self,
        method: &'static str,
        capability: &'static str,
        params: Value,
    ) -> Result<Value, HookError> {
        let allowed = if capability == "elicitation" {
            self.can_elicit
        } else {
            self.can_sample
        };
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
                let (id, rx) = pending.register(session);
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
            Input::Replay(replay) => {
                let n = replay.next.fetch_add(1, Ordering::SeqCst);
                if let Some(answer) = replay.answers.get(n) {
                    return Ok(answer.clone());
                }
                if !allowed {
                    *replay
                        .missing_capability
                        .lock()
                        .unwrap_or_else(|p| p.into_inner()) = Some(capability);
                    return Err(HookError::Failed(format!(
                        "the client did not declare the `{capability}` capability"
                    )));
                }
                let key = format!("{capability}-{n}");
                let request = json!({ "method": method, "params": params });
                *replay.asked.lock().unwrap_or_else(|p| p.into_inner()) = Some((key, request));
                Err(HookError::Suspend)
            }
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
        if self.log_level.is_none_or(|min| level < min) {
            return;
        }
        let mut params = Map::new();
        params.insert("level".into(), json!(level.as_str()));
        if let Some(l) = logger {
            params.insert("logger".into(), json!(l));
        }
        params.insert("data".into(), data);
        let _ = self.outbound.send(Outbound::Message(
            json!({ "jsonrpc": "2.0", "method": "notifications/message", "params": params }),
        ));
    }

    fn progress(&self, progress: f64, total: Option<f64>, message: Option<&str>) {
        let Some(token) = &self.progress_token else {
            return;
        };
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

    fn kv_set(&self, key: &str, value: &str) {
        self.block("kv-set", self.state.set(&self.route.project_id, key, value));
    }

    fn kv_delete(&self, key: &str) {
        self.block("kv-delete", self.state.delete(&self.route.project_id, key));
    }

    fn elicit(&self, message: &str, requested_schema: Value) -> Result<ElicitResponse, HookError> {
        let params = json!({ "message": message, "requestedSchema": requested_schema });
        let result = self.ask("elicitation/create", "elicitation", params)?;
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
        self.ask("sampling/createMessage", "sampling", params)
    }

    fn environment(&self) -> Vec<(String, String)> {
        self.route.env.as_ref().clone()
    }
}
