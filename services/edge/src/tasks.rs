//! The tasks extension (`io.modelcontextprotocol/tasks`, SEP-2663) at 2026-07-28: a `tools/call` of a
//! tool that supports tasks, from a client that opted in, answers with a `CreateTaskResult` and runs the
//! guest in the background; `tasks/get`, `tasks/update` and `tasks/cancel` read and steer the task, which
//! lives in the [`TaskStore`](crate::TaskStore).
//!
//! A tool declares its support in its description, `_meta["dev.berth/taskSupport"]`: `"optional"` (a
//! task when the client opted in, else a plain call) or `"required"` (only as a task). Input a task's
//! guest asks for (elicitation, sampling, roots) parks the task in `input_required` with its requests;
//! `tasks/update` answers them and, once none is pending, the guest runs again with every answer (the
//! same replay as input-required rounds, see [`crate::input`]). A `"required"` tool first gathers input
//! the request way (MRTR before the task): a run that stops for input within
//! [`REQUIRED_INPUT_WINDOW`] answers with an `InputRequiredResult` and creates no task.

use crate::call::{self, HookSetup, Prepared};
use crate::edge::Shared;
use crate::error::RpcError;
use crate::hooks::Input;
use crate::input::{self, Asked, Round};
use crate::protocol::{EXTENSION_TASKS, Era, RequestMeta};
use crate::routes::Route;
use crate::task_store::{TaskRecord, TaskStatus, iso8601};
use crate::wire;
use axum::http::StatusCode;
use berth_core::{GuestCall, GuestOutput, InvokeError, ServerDescription};
use rmcp::model::ErrorCode;
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::sync::{mpsc, oneshot};

/// The `_meta` key of a tool that supports tasks: `"optional"` or `"required"`.
pub const META_TASK_SUPPORT: &str = "dev.berth/taskSupport";

/// How often a client should poll `tasks/get`. Guests answer in milliseconds to seconds; half a second
/// keeps a waiting client responsive without flooding the edge.
pub const POLL_INTERVAL_MS: u64 = 500;

/// How long a `"required"` tool's first run may take to stop for input and still answer with an
/// input-required result instead of a task. Asking is the first thing such tools do, and a warm guest
/// reaches its first ask in milliseconds; a run still going after this is treated as the task's work.
pub const REQUIRED_INPUT_WINDOW: Duration = Duration::from_secs(1);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Support {
    Optional,
    Required,
}

/// Whether some tool of the deployment supports tasks (so the tasks extension is worth advertising).
pub fn any_support(desc: &ServerDescription) -> bool {
    desc.tools.iter().any(|tool| {
        tool.get("_meta")
            .and_then(|m| m.get(META_TASK_SUPPORT))
            .and_then(Value::as_str)
            .is_some_and(|s| s == "optional" || s == "required")
    })
}

/// A tool's task support, from its description.
pub fn support(desc: &ServerDescription, params: &Map<String, Value>) -> Option<Support> {
    let name = params.get("name").and_then(Value::as_str)?;
    let tool = desc.tool(name)?;
    match tool
        .get("_meta")
        .and_then(|m| m.get(META_TASK_SUPPORT))
        .and_then(Value::as_str)
    {
        Some("optional") => Some(Support::Optional),
        Some("required") => Some(Support::Required),
        _ => None,
    }
}

/// The error for a client that did not opt into the tasks extension where it is needed.
pub fn extension_required(what: &str) -> RpcError {
    RpcError::new(
        StatusCode::BAD_REQUEST,
        ErrorCode::MISSING_REQUIRED_CLIENT_CAPABILITY,
        format!(
            "{what} needs the `{EXTENSION_TASKS}` extension; declare it in _meta's clientCapabilities.extensions"
        ),
    )
    .with_data(json!({ "requiredCapabilities": { "extensions": { EXTENSION_TASKS: {} } } }))
}

fn store_error(e: impl std::fmt::Display) -> RpcError {
    RpcError::internal(e.to_string()).with_status(StatusCode::SERVICE_UNAVAILABLE)
}

fn now() -> String {
    iso8601(SystemTime::now())
}

/// How one run of a task's guest ended.
#[derive(Debug)]
enum RunEnd {
    Completed(Value),
    Failed(Value),
    InputRequired {
        requests: Map<String, Value>,
        used: Map<String, Value>,
    },
}

/// `tools/call` of a task-supporting tool from a client that opted in: creates the task and starts it.
pub async fn call_tool(
    shared: &Arc<Shared>,
    route: Arc<Route>,
    prep: Prepared,
    support: Support,
    meta: &RequestMeta,
    params: &Map<String, Value>,
) -> Result<Value, RpcError> {
    let GuestCall::Tool { name, arguments } = &prep.call else {
        return Err(RpcError::internal("only tool calls become tasks"));
    };
    let bound = input::binding(&route, prep.method, &prep.target, &prep.call);
    let answers = input::answers(shared, params, &bound)?;
    let created = now();
    let task = TaskRecord {
        id: uuid::Uuid::new_v4().to_string(),
        project_id: route.project_id.clone(),
        tool: name.clone(),
        arguments: arguments.clone(),
        status: TaskStatus::Working,
        created_at: created.clone(),
        last_updated_at: created,
        ttl_ms: u64::try_from(shared.config.task_ttl.as_millis()).unwrap_or(u64::MAX),
        answers,
        input_requests: Map::new(),
        result: None,
        error: None,
        caps: meta.caps,
    };
    // Stored before it is answered: a tasks/get right after this reply must find it.
    let ttl = shared.config.task_ttl;
    shared.tasks.create(&task, ttl).await?;
    let (settled_tx, settled) = oneshot::channel();
    tokio::spawn(run(
        shared.clone(),
        route.clone(),
        task.clone(),
        Some(settled_tx),
    ));
    if support == Support::Required
        && let Ok(Ok(RunEnd::InputRequired { requests, used })) =
            tokio::time::timeout(REQUIRED_INPUT_WINDOW, settled).await
    {
        shared
            .tasks
            .delete(&task.project_id, &task.id)
            .await
            .map_err(store_error)?;
        return input::input_required(shared, &bound, requests, used);
    }
    let current = shared
        .tasks
        .get(&task.project_id, &task.id)
        .await
        .map_err(store_error)?
        .unwrap_or(task);
    Ok(create_result(&current))
}

/// Runs a task's guest once with the answers recorded so far, then records how it ended (unless the
/// task was cancelled meanwhile).
async fn run(
    shared: Arc<Shared>,
    route: Arc<Route>,
    task: TaskRecord,
    settled: Option<oneshot::Sender<RunEnd>>,
) {
    let call = GuestCall::Tool {
        name: task.tool.clone(),
        arguments: task.arguments.clone(),
    };
    let keys = input::keys_for(&route.description, &call);
    // A task has no stream: its notifications go nowhere, and it asks for input through its status.
    let (outbound, _) = mpsc::unbounded_channel();
    let setup = HookSetup {
        outbound,
        log_level: None,
        progress_token: None,
        caps: task.caps,
        input: Input::Round(Round::new(keys, task.answers.clone())),
    };
    let (outcome, hooks) = call::invoke(&shared, &route, call, task.id.clone(), None, setup).await;
    let asked = match &hooks.input {
        Input::Round(round) => round.take(),
        Input::Live { .. } => Asked::default(),
    };
    let end = settle(outcome, asked, &task.tool);
    match shared.tasks.get(&task.project_id, &task.id).await {
        Ok(Some(mut current)) if current.status != TaskStatus::Cancelled => {
            match &end {
                RunEnd::Completed(result) => {
                    current.status = TaskStatus::Completed;
                    current.result = Some(result.clone());
                }
                RunEnd::Failed(error) => {
                    current.status = TaskStatus::Failed;
                    current.error = Some(error.clone());
                }
                RunEnd::InputRequired { requests, .. } => {
                    current.status = TaskStatus::InputRequired;
                    current.input_requests = requests.clone();
                }
            }
            current.last_updated_at = now();
            if let Err(e) = shared.tasks.put(&current, shared.config.task_ttl).await {
                tracing::warn!(task = %task.id, "recording the task's end failed: {e}");
            }
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(task = %task.id, "reading the task failed: {e}"),
    }
    if let Some(settled) = settled {
        let _ = settled.send(end);
    }
}

/// A tool error is a completed task with `isError`; a run that produced no result failed.
fn settle(outcome: Result<GuestOutput, InvokeError>, asked: Asked, tool: &str) -> RunEnd {
    let error = |code: ErrorCode, message: String| {
        RunEnd::Failed(json!({ "code": code.0, "message": message }))
    };
    if let Some(why) = asked.invalid {
        return error(ErrorCode::INVALID_PARAMS, why);
    }
    if !asked.requests.is_empty() {
        return RunEnd::InputRequired {
            requests: asked.requests,
            used: asked.used,
        };
    }
    match outcome {
        Ok(GuestOutput::Tool(r)) => RunEnd::Completed(wire::finish(
            Era::Modern,
            "tools/call",
            wire::tool_result(&r),
            None,
        )),
        Ok(_) => error(
            ErrorCode::INTERNAL_ERROR,
            format!("`{tool}` did not return a tool result"),
        ),
        Err(InvokeError::NotFound(m) | InvokeError::InvalidParams(m)) => {
            error(ErrorCode::INVALID_PARAMS, m)
        }
        Err(e) => error(ErrorCode::INTERNAL_ERROR, e.to_string()),
    }
}

/// The task's fields every task answer carries.
fn envelope(task: &TaskRecord) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("taskId".into(), json!(task.id));
    m.insert("status".into(), json!(task.status));
    m.insert("createdAt".into(), json!(task.created_at));
    m.insert("lastUpdatedAt".into(), json!(task.last_updated_at));
    m.insert("ttlMs".into(), json!(task.ttl_ms));
    m.insert("pollIntervalMs".into(), json!(POLL_INTERVAL_MS));
    m
}

/// `CreateTaskResult`: the task, flat, and nothing of its outcome.
fn create_result(task: &TaskRecord) -> Value {
    let mut m = envelope(task);
    m.insert("resultType".into(), json!("task"));
    Value::Object(m)
}

/// `tasks/get`'s `DetailedTask`: the task with its result, error or pending input requests inlined.
fn detailed(task: &TaskRecord) -> Value {
    let mut m = envelope(task);
    m.insert("resultType".into(), json!("complete"));
    match task.status {
        TaskStatus::Completed => {
            m.insert("result".into(), task.result.clone().unwrap_or(Value::Null));
        }
        TaskStatus::Failed => {
            m.insert("error".into(), task.error.clone().unwrap_or(Value::Null));
        }
        TaskStatus::InputRequired => {
            m.insert(
                "inputRequests".into(),
                Value::Object(task.input_requests.clone()),
            );
        }
        TaskStatus::Working | TaskStatus::Cancelled => {}
    }
    Value::Object(m)
}

/// `tasks/get`, `tasks/update` and `tasks/cancel`.
pub async fn handle(
    shared: &Arc<Shared>,
    route: Arc<Route>,
    method: &str,
    params: &Map<String, Value>,
    meta: &RequestMeta,
) -> Result<Value, RpcError> {
    if !meta.tasks {
        return Err(extension_required(&format!("`{method}`")));
    }
    let Some(id) = params.get("taskId").and_then(Value::as_str) else {
        return Err(RpcError::invalid_params(format!(
            "Invalid params: {method} needs a string `taskId`"
        )));
    };
    let Some(mut task) = shared
        .tasks
        .get(&route.project_id, id)
        .await
        .map_err(store_error)?
    else {
        return Err(RpcError::invalid_params(format!(
            "Invalid params: no task `{id}` here; it finished more than its ttlMs ago or never existed"
        ))
        .with_data(json!({ "taskId": id })));
    };
    let ack = json!({ "resultType": "complete" });
    match method {
        "tasks/get" => Ok(detailed(&task)),
        "tasks/cancel" => {
            if !task.status.is_terminal() {
                task.status = TaskStatus::Cancelled;
                task.input_requests.clear();
                task.last_updated_at = now();
                shared
                    .tasks
                    .put(&task, shared.config.task_ttl)
                    .await
                    .map_err(store_error)?;
            }
            Ok(ack)
        }
        _ => {
            let responses = input::responses(params)?;
            if task.status != TaskStatus::InputRequired {
                return Ok(ack);
            }
            // Answers to keys the task did not ask for are ignored.
            for (key, answer) in responses {
                if task.input_requests.remove(&key).is_some() {
                    task.answers.insert(key, answer);
                }
            }
            let resume = task.input_requests.is_empty();
            if resume {
                task.status = TaskStatus::Working;
            }
            task.last_updated_at = now();
            shared
                .tasks
                .put(&task, shared.config.task_ttl)
                .await
                .map_err(store_error)?;
            if resume {
                tokio::spawn(run(shared.clone(), route, task, None));
            }
            Ok(ack)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use berth_core::ToolResult;

    #[test]
    fn runs_settle_by_what_they_produced() {
        let ok = Ok(GuestOutput::Tool(ToolResult {
            content: vec![],
            structured: None,
            is_error: true,
            meta: None,
        }));
        assert!(
            matches!(settle(ok, Asked::default(), "t"), RunEnd::Completed(r) if r["isError"] == true)
        );
        let trap = Err(InvokeError::Trap("boom".into()));
        assert!(
            matches!(settle(trap, Asked::default(), "t"), RunEnd::Failed(e) if e["code"] == -32603)
        );
        let mut asked = Asked::default();
        asked
            .requests
            .insert("k".into(), json!({"method": "roots/list"}));
        assert!(matches!(
            settle(Err(InvokeError::Guest("x".into())), asked, "t"),
            RunEnd::InputRequired { .. }
        ));
    }

    #[test]
    fn task_answers_are_flat() {
        let mut task = TaskRecord {
            id: "t1".into(),
            project_id: "p".into(),
            tool: "slow".into(),
            arguments: Map::new(),
            status: TaskStatus::InputRequired,
            created_at: "2026-07-28T00:00:00.000Z".into(),
            last_updated_at: "2026-07-28T00:00:00.000Z".into(),
            ttl_ms: 1000,
            answers: Map::new(),
            input_requests: Map::new(),
            result: None,
            error: None,
            caps: Default::default(),
        };
        task.input_requests
            .insert("k".into(), json!({"method": "roots/list", "params": {}}));
        let created = create_result(&task);
        assert_eq!(created["resultType"], "task");
        assert!(created.get("inputRequests").is_none());
        let got = detailed(&task);
        assert_eq!(
            (
                got["status"].clone(),
                got["inputRequests"]["k"]["method"].clone()
            ),
            (json!("input_required"), json!("roots/list"))
        );
    }
}
