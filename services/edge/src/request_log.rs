//! Each MCP request as a runtime log event (see `berth-runlog`): method, target, duration, outcome, the
//! client's name and the session.
//!
//! What a request is about is learnt at several depths of the handler (the route, the parsed message,
//! the session), so a [`Note`] rides along in a task-local while the POST is handled, and those depths
//! fill it in with one call each. A request answered on the spot is recorded when the handler returns;
//! a guest call may outlive its handler (it streams, or is spawned), so [`carry`] hands its note to the
//! call's own future, which records it when the call has its reply ([`call_finished`]), or as cancelled
//! if it is dropped first. Recording is a `try_send` (see [`berth_runlog::Recorder`]).

use crate::edge::Shared;
use crate::error::RpcError;
use crate::routes::Route;
use berth_core::LogLevel;
use berth_core::runlog::{EventKind, Outcome};
use berth_runlog::{Body, Origin, Pending, Recorder};
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The JSON-RPC code a call cancelled by its client is recorded with (the LSP's `RequestCancelled`,
/// which MCP has no code of its own for).
const CANCELLED_CODE: i64 = -32800;

/// What is known of the request being handled.
#[derive(Clone)]
pub struct Note {
    started: Instant,
    origin: Option<Arc<Origin>>,
    method: Option<String>,
    target: Option<String>,
    session: Option<String>,
    client: Option<String>,
    /// A guest call took the note over: it records the request when it ends.
    handed_over: bool,
}

tokio::task_local! {
    static NOTE: RefCell<Note>;
}

fn with(f: impl FnOnce(&mut Note)) {
    let _ = NOTE.try_with(|n| f(&mut n.borrow_mut()));
}

/// Runs a POST's handling with a note; returns what it returned and the note.
pub async fn scope<T>(started: Instant, fut: impl Future<Output = T>) -> (T, Note) {
    let note = Note {
        started,
        origin: None,
        method: None,
        target: None,
        session: None,
        client: None,
        handed_over: false,
    };
    NOTE.scope(RefCell::new(note), async {
        let out = fut.await;
        (out, NOTE.with(|n| n.borrow().clone()))
    })
    .await
}

/// The request is for this route's project.
pub fn set_route(shared: &Shared, route: &Route) {
    if !shared.runlog.is_enabled() {
        return;
    }
    with(|n| {
        n.origin = Some(Arc::new(Origin {
            project_id: route.project_id.clone(),
            deployment_id: route.deployment.0.clone(),
            secrets: route.secrets.clone(),
        }))
    });
}

/// The request's method and target; for 2026-07-28, the client's name from `_meta` when it sent one.
pub fn set_request(method: &str, params: &Map<String, Value>) {
    with(|n| {
        if n.origin.is_none() {
            return;
        }
        n.method = Some(method.to_string());
        n.target = match method {
            "tools/call" | "prompts/get" => params.get("name"),
            "resources/read" | "resources/subscribe" | "resources/unsubscribe" => params.get("uri"),
            _ => None,
        }
        .and_then(Value::as_str)
        .map(str::to_string);
        let meta = params.get("_meta").and_then(Value::as_object);
        if let Some(name) = meta.and_then(client_name_in_meta) {
            n.client = Some(name);
        }
        if method == "initialize" {
            n.client = client_name(params);
        }
    });
}

fn client_name_in_meta(meta: &Map<String, Value>) -> Option<String> {
    ["io.modelcontextprotocol/clientInfo", "clientInfo"]
        .iter()
        .find_map(|k| meta.get(*k))
        .and_then(|c| c.get("name"))
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// The client's name from `initialize`'s `clientInfo`, bounded (it is kept with the session).
pub fn client_name(params: &Map<String, Value>) -> Option<String> {
    let name = params.get("clientInfo")?.get("name")?.as_str()?;
    Some(name[..name.floor_char_boundary(berth_runlog::shape::MAX_LABEL_BYTES)].to_string())
}

/// The request belongs to this 2025-era session (and its client).
pub fn set_session(session: &str, client: Option<&str>) {
    with(|n| {
        n.session = Some(session.to_string());
        if let Some(c) = client {
            n.client = Some(c.to_string());
        }
    });
}

fn pending(
    recorder: &Recorder,
    note: &Note,
    outcome: Outcome,
    code: Option<i64>,
    error: Option<String>,
) {
    let Some(origin) = note.origin.clone() else {
        return;
    };
    let level = match outcome {
        Outcome::Ok => LogLevel::Info,
        Outcome::ToolError => LogLevel::Warning,
        Outcome::ProtocolError => LogLevel::Error,
    };
    let duration_us = u64::try_from(note.started.elapsed().as_micros()).unwrap_or(u64::MAX);
    recorder.record(Pending {
        origin,
        at_ms: berth_runlog::now_ms(),
        level,
        tool: note.target.clone(),
        body: Body::Event(EventKind::Request {
            method: note
                .method
                .clone()
                .unwrap_or_else(|| "(invalid request)".into()),
            duration_us,
            outcome,
            error_code: code,
            error,
            client: note.client.clone(),
            session: note.session.clone(),
        }),
    });
}

/// Records a request answered by its handler (unless a guest call took it over, or it was no request).
pub fn finish(shared: &Shared, note: &Note, error: Option<&RpcError>) {
    if note.handed_over || (note.method.is_none() && error.is_none()) {
        return;
    }
    match error {
        None => pending(&shared.runlog, note, Outcome::Ok, None, None),
        Some(e) => pending(
            &shared.runlog,
            note,
            Outcome::ProtocolError,
            Some(i64::from(e.code)),
            Some(e.message.clone()),
        ),
    }
}

/// The note of a call whose future carries it.
struct Carried {
    recorder: Recorder,
    note: Mutex<Option<Note>>,
}

impl Drop for Carried {
    fn drop(&mut self) {
        let note = self.note.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(note) = note {
            let why = "the call was cancelled before it answered".to_string();
            pending(
                &self.recorder,
                &note,
                Outcome::ProtocolError,
                Some(CANCELLED_CODE),
                Some(why),
            );
        }
    }
}

tokio::task_local! {
    static CARRIED: Arc<Carried>;
}

/// Hands the current request's note to a guest call's future: the call records the request when it
/// has its reply (or, dropped first, as cancelled).
pub fn carry<F: Future<Output = ()>>(shared: &Shared, fut: F) -> impl Future<Output = ()> + use<F> {
    let mut taken = None;
    with(|n| {
        if n.origin.is_some() {
            n.handed_over = true;
            taken = Some(n.clone());
        }
    });
    let carried = Arc::new(Carried {
        recorder: shared.runlog.clone(),
        note: Mutex::new(taken),
    });
    CARRIED.scope(carried, fut)
}

/// Records the carried request with the call's reply.
pub fn call_finished(result: &Result<Value, RpcError>) {
    let _ = CARRIED.try_with(|c| {
        let note = c.note.lock().unwrap_or_else(|p| p.into_inner()).take();
        let Some(note) = note else { return };
        match result {
            Ok(v) if v.get("isError").and_then(Value::as_bool) == Some(true) => {
                let first = v
                    .get("content")
                    .and_then(|c| c.get(0))
                    .and_then(|c| c.get("text"))
                    .and_then(Value::as_str)
                    .map(|t| {
                        t[..t.floor_char_boundary(berth_runlog::shape::MAX_TEXT_BYTES)].to_string()
                    });
                pending(&c.recorder, &note, Outcome::ToolError, None, first);
            }
            Ok(_) => pending(&c.recorder, &note, Outcome::Ok, None, None),
            Err(e) => pending(
                &c.recorder,
                &note,
                Outcome::ProtocolError,
                Some(i64::from(e.code)),
                Some(e.message.clone()),
            ),
        }
    });
}
