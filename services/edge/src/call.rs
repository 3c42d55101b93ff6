//! Calls that reach a guest (`tools/call`, `resources/read`, `prompts/get`, `completion/complete`): their
//! parameters checked against the stored description, the run through the [`Upstream`](crate::Upstream),
//! and the reply in the request's era, including 2026-07-28 input-required round trips (see
//! [`crate::input`]).

use crate::edge::Shared;
use crate::error::RpcError;
use crate::hooks::{ClientCaps, EdgeHooks, Input, Outbound};
use crate::input::{self, Asked, Round};
use crate::protocol::Era;
use crate::routes::Route;
use crate::wire;
use axum::http::StatusCode;
use berth_core::{
    CallContext, CompletionRef, GuestCall, GuestOutput, InvokeError, LogLevel, ServerDescription,
};
use serde_json::{Map, Value, json};
use std::sync::Arc;
use tokio::sync::mpsc;

/// The `tool` label of calls to a tool the description does not list.
pub const UNLISTED_TOOL: &str = "(unlisted)";

/// A guest call, checked and ready to run.
pub struct Prepared {
    pub call: GuestCall,
    pub method: &'static str,
    /// The tool or prompt name, or the resource URI: for errors, metrics and request-state binding.
    pub target: String,
}

fn str_param<'a>(
    params: &'a Map<String, Value>,
    key: &str,
    method: &str,
) -> Result<&'a str, RpcError> {
    params.get(key).and_then(Value::as_str).ok_or_else(|| {
        RpcError::invalid_params(format!("Invalid params: {method} needs a string `{key}`"))
    })
}

fn string_pairs(v: Option<&Value>, what: &str) -> Result<Vec<(String, String)>, RpcError> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                _ => Err(RpcError::invalid_params(format!(
                    "Invalid params: {what} `{k}` must be a string"
                ))),
            })
            .collect(),
        Some(_) => Err(RpcError::invalid_params(format!(
            "Invalid params: {what}s must be an object of strings"
        ))),
    }
}

/// Checks a call's parameters. A tool or prompt the description does not list still goes to the guest,
/// which answers as its server does: a tool can be callable without being listed (hidden by a listing
/// hook), and each SDK words the refusal of an unknown one its own way (the native Python libraries
/// answer an unknown tool with an `isError` result). A guest that reports it not found gets a JSON-RPC
/// error ([`wire::not_found`]). The description is not consulted.
pub fn prepare(
    method: &str,
    params: &Map<String, Value>,
    _desc: &ServerDescription,
) -> Result<Prepared, RpcError> {
    match method {
        "tools/call" => {
            let name = str_param(params, "name", method)?;
            let arguments = match params.get("arguments") {
                None | Some(Value::Null) => Map::new(),
                Some(Value::Object(a)) => a.clone(),
                Some(_) => {
                    return Err(RpcError::invalid_params(
                        "Invalid params: tool `arguments` must be a JSON object",
                    ));
                }
            };
            Ok(Prepared {
                call: GuestCall::Tool {
                    name: name.into(),
                    arguments,
                },
                method: "tools/call",
                target: name.into(),
            })
        }
        "resources/read" => {
            let uri = str_param(params, "uri", method)?;
            Ok(Prepared {
                call: GuestCall::ReadResource { uri: uri.into() },
                method: "resources/read",
                target: uri.into(),
            })
        }
        "prompts/get" => {
            let name = str_param(params, "name", method)?;
            let arguments = string_pairs(params.get("arguments"), "prompt argument")?;
            Ok(Prepared {
                call: GuestCall::GetPrompt {
                    name: name.into(),
                    arguments,
                },
                method: "prompts/get",
                target: name.into(),
            })
        }
        _ => {
            let reference = params.get("ref").and_then(Value::as_object);
            let target = match reference.and_then(|r| r.get("type")).and_then(Value::as_str) {
                Some("ref/prompt") => reference.and_then(|r| r.get("name")).and_then(Value::as_str).map(|n| CompletionRef::Prompt(n.into())),
                Some("ref/resource") => {
                    reference.and_then(|r| r.get("uri")).and_then(Value::as_str).map(|u| CompletionRef::ResourceTemplate(u.into()))
                }
                _ => None,
            }
            .ok_or_else(|| {
                RpcError::invalid_params(
                    "Invalid params: `ref` must be {\"type\":\"ref/prompt\",\"name\"} or {\"type\":\"ref/resource\",\"uri\"}",
                )
            })?;
            let argument = params.get("argument").and_then(Value::as_object);
            let (Some(arg_name), Some(value)) = (
                argument.and_then(|a| a.get("name")).and_then(Value::as_str),
                argument
                    .and_then(|a| a.get("value"))
                    .and_then(Value::as_str),
            ) else {
                return Err(RpcError::invalid_params(
                    "Invalid params: `argument` must be {\"name\", \"value\"} strings",
                ));
            };
            let context = string_pairs(
                params.get("context").and_then(|c| c.get("arguments")),
                "context argument",
            )?;
            let label = match &target {
                CompletionRef::Prompt(n) | CompletionRef::ResourceTemplate(n) => n.clone(),
            };
            Ok(Prepared {
                call: GuestCall::Complete {
                    target,
                    argument: arg_name.into(),
                    value: value.into(),
                    context,
                },
                method: "completion/complete",
                target: label,
            })
        }
    }
}

/// What a call may send its client, per the request's era, session and `Accept`.
pub struct CallEnv {
    pub era: Era,
    pub id: Value,
    pub session: Option<String>,
    pub log_level: Option<LogLevel>,
    pub progress_token: Option<Value>,
    pub caps: ClientCaps,
    /// The request's params, for `inputResponses` and `requestState` (2026-07-28).
    pub params: Map<String, Value>,
}

fn reply(id: &Value, result: Result<Value, RpcError>) -> Outbound {
    match result {
        Ok(result) => Outbound::Final(
            StatusCode::OK,
            json!({ "jsonrpc": "2.0", "id": id, "result": result }),
        ),
        Err(e) => Outbound::Final(e.status, e.to_json(id)),
    }
}

/// Hooks for one run of a guest call.
pub struct HookSetup {
    pub outbound: mpsc::UnboundedSender<Outbound>,
    pub log_level: Option<LogLevel>,
    pub progress_token: Option<Value>,
    pub caps: ClientCaps,
    pub input: Input,
}

/// Runs one guest call through the upstream with the given hooks; returns its outcome and the hooks.
pub async fn invoke(
    shared: &Shared,
    route: &Arc<Route>,
    call: GuestCall,
    request_id: String,
    session: Option<String>,
    setup: HookSetup,
) -> (Result<GuestOutput, InvokeError>, Arc<EdgeHooks>) {
    let hooks = Arc::new(EdgeHooks {
        route: route.clone(),
        state: shared.state.clone(),
        runtime: tokio::runtime::Handle::current(),
        outbound: setup.outbound,
        log_level: setup.log_level,
        progress_token: setup.progress_token,
        caps: setup.caps,
        input: setup.input,
        log_budget: crate::hooks::LogBudget::new(&shared.config),
        runlog: crate::hooks::call_log(shared, route, &call),
        metrics: shared.metrics.clone(),
    });
    if let GuestCall::Tool { name, .. } = &call {
        // Names a client makes up are counted under one label: metrics series stay bounded.
        let label = match route.description.tool(name) {
            Some(_) => name.as_str(),
            None => UNLISTED_TOOL,
        };
        shared.metrics.tool_call(&route.project_id, label);
    }
    let ctx = CallContext {
        request_id,
        session_id: session,
    };
    let outcome = shared
        .upstream
        .invoke(route.clone(), call, ctx, hooks.clone())
        .await;
    (outcome, hooks)
}

/// Runs one guest call and sends its messages and reply on `tx`.
pub async fn drive(
    shared: Arc<Shared>,
    route: Arc<Route>,
    prep: Prepared,
    env: CallEnv,
    tx: mpsc::UnboundedSender<Outbound>,
) {
    // Request state binds a 2026-07-28 round to its call; a 2025 call answers input live and needs none.
    let bound = match env.era {
        Era::Modern => input::binding(&route, prep.method, &prep.target, &prep.call),
        Era::Legacy => Vec::new(),
    };
    let input = match env.era {
        Era::Legacy => Input::Live {
            pending: shared.pending.clone(),
            session: env.session.clone().unwrap_or_default(),
            timeout: route.limits.timeout(),
        },
        Era::Modern => match input::answers(&shared, &env.params, &bound) {
            Ok(answers) => Input::Round(Round::new(
                input::keys_for(&route.description, &prep.call),
                answers,
            )),
            Err(e) => {
                let result = Err(e);
                crate::request_log::call_finished(&result);
                let _ = tx.send(reply(&env.id, result));
                return;
            }
        },
    };
    let setup = HookSetup {
        outbound: tx.clone(),
        log_level: env.log_level,
        progress_token: env.progress_token.clone(),
        caps: env.caps,
        input,
    };
    let (outcome, hooks) = invoke(
        &shared,
        &route,
        prep.call,
        request_id_string(&env.id),
        env.session.clone(),
        setup,
    )
    .await;
    let result = match &hooks.input {
        Input::Round(round) => finish_round(
            &shared,
            round.take(),
            &bound,
            outcome,
            prep.method,
            &prep.target,
        ),
        Input::Live { .. } => output(outcome, prep.method, &prep.target),
    };
    crate::request_log::call_finished(&result);
    let _ = tx.send(reply(
        &env.id,
        result.map(|v| wire::finish(env.era, prep.method, v, Some(&route.description))),
    ));
}

pub fn request_id_string(id: &Value) -> String {
    match id {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub fn output(
    outcome: Result<GuestOutput, InvokeError>,
    method: &str,
    target: &str,
) -> Result<Value, RpcError> {
    match outcome {
        Ok(GuestOutput::Tool(r)) => Ok(wire::tool_result(&r)),
        Ok(GuestOutput::Resource(c)) if c.is_empty() => Err(wire::not_found(
            method,
            target,
            format!("`{target}` returned no contents"),
        )),
        Ok(GuestOutput::Resource(c)) => Ok(wire::read_result(&c)),
        Ok(GuestOutput::Prompt(p)) => Ok(wire::prompt_result(&p)),
        Ok(GuestOutput::Completion(c)) => Ok(wire::completion_result(&c)),
        Err(InvokeError::InputRequired) => Err(RpcError::internal(
            "the server asked for client input, which this request cannot carry; use a session-capable client",
        )),
        Err(e) => wire::invoke_error(method, target, e),
    }
}

/// Whether a run failed (a tool error result or no output at all).
pub fn failed(outcome: &Result<GuestOutput, InvokeError>) -> bool {
    match outcome {
        Ok(GuestOutput::Tool(r)) => r.is_error,
        Ok(_) => false,
        Err(_) => true,
    }
}

/// The reply to a 2026-07-28 call: an input-required result with sealed state when the run asked for
/// input, a missing-capability error when it failed for want of a capability the client did not
/// declare, or its result.
pub fn finish_round(
    shared: &Shared,
    asked: Asked,
    bound: &[u8],
    outcome: Result<GuestOutput, InvokeError>,
    method: &str,
    target: &str,
) -> Result<Value, RpcError> {
    if let Some(why) = asked.invalid {
        return Err(RpcError::invalid_params(why));
    }
    if !asked.requests.is_empty() {
        return input::input_required(shared, bound, asked.requests, asked.used);
    }
    if let (true, Some(cap)) = (failed(&outcome), asked.refused) {
        return Err(input::missing_capability(target, cap));
    }
    output(outcome, method, target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepare_checks_params() {
        let desc: ServerDescription =
            serde_json::from_value(json!({"name": "s", "tools": [{"name": "echo"}]})).unwrap();
        let p = |v: Value| v.as_object().cloned().unwrap_or_default();
        let ok = prepare(
            "tools/call",
            &p(json!({"name": "echo", "arguments": {"x": 1}})),
            &desc,
        )
        .unwrap();
        assert_eq!(ok.call.label(), "tools/call:echo");
        // A name the description does not list is the guest's to answer.
        let unlisted = prepare("tools/call", &p(json!({"name": "nope"})), &desc).unwrap();
        assert_eq!(unlisted.target, "nope");
        let cases = [
            ("tools/call", json!({"name": "echo", "arguments": [1]})),
            ("tools/call", json!({})),
            ("prompts/get", json!({"name": "p", "arguments": {"a": 1}})),
            ("resources/read", json!({"uri": 3})),
            (
                "completion/complete",
                json!({"ref": {"type": "ref/prompt"}, "argument": {"name": "a", "value": ""}}),
            ),
        ];
        for (method, params) in cases {
            let err = prepare(method, &p(params.clone()), &desc).err();
            assert_eq!(err.map(|e| e.code), Some(-32602), "{method} {params}");
        }
        let c = prepare(
            "completion/complete",
            &p(json!({"ref": {"type": "ref/prompt", "name": "p"}, "argument": {"name": "a", "value": "x"}, "context": {"arguments": {"b": "y"}}})),
            &desc,
        )
        .unwrap();
        assert!(
            matches!(c.call, GuestCall::Complete { ref context, .. } if context == &vec![("b".to_string(), "y".to_string())])
        );
    }
}
