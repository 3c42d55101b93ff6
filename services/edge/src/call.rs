//! Calls that reach a guest (`tools/call`, `resources/read`, `prompts/get`, `completion/complete`): their
//! parameters checked against the stored description, the run through the [`Upstream`](crate::Upstream),
//! and the reply in the request's era, including 2026-07-28 input-required round trips whose request
//! state is sealed with an HMAC and bound to the project and the call.

use crate::edge::Shared;
use crate::error::RpcError;
use crate::hooks::{EdgeHooks, Input, Outbound, Replay};
use crate::protocol::Era;
use crate::routes::Route;
use crate::wire;
use axum::http::StatusCode;
use berth_core::{CallContext, CompletionRef, GuestCall, GuestOutput, LogLevel, ServerDescription};
use rmcp::model::{ErrorCode, SealOptions};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use tokio::sync::mpsc;

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

/// Checks a call's parameters; unknown tools and prompts are refused here without waking the guest.
pub fn prepare(
    method: &str,
    params: &Map<String, Value>,
    desc: &ServerDescription,
) -> Result<Prepared, RpcError> {
    match method {
        "tools/call" => {
            let name = str_param(params, "name", method)?;
            if desc.tool(name).is_none() {
                return Err(RpcError::invalid_params(format!(
                    "Unknown tool: `{name}` is not a tool of this server"
                )));
            }
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
            if desc.prompt(name).is_none() {
                return Err(RpcError::invalid_params(format!(
                    "Unknown prompt: `{name}` is not a prompt of this server"
                )));
            }
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
    pub can_elicit: bool,
    pub can_sample: bool,
    /// The request's params, for `inputResponses` and `requestState` (2026-07-28).
    pub params: Map<String, Value>,
}

/// What a sealed request state carries: the answers so far and the key of the input asked last.
#[derive(Serialize, Deserialize)]
struct SealedState {
    answers: Vec<Value>,
    pending: Option<String>,
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

/// Binds request state to the project and to this exact call, so it cannot be replayed elsewhere.
fn binding(route: &Route, prep: &Prepared) -> Vec<u8> {
    let mut h = Sha256::new();
    for part in [
        route.project_id.as_bytes(),
        prep.method.as_bytes(),
        prep.target.as_bytes(),
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    if let GuestCall::Tool { arguments, .. } = &prep.call {
        h.update(serde_json::to_vec(arguments).unwrap_or_default());
    }
    h.finalize().to_vec()
}

/// Recovers the answers a retried 2026-07-28 call carries.
fn answers(shared: &Shared, env: &CallEnv, bound: &[u8]) -> Result<Vec<Value>, RpcError> {
    let Some(state) = env.params.get("requestState") else {
        return Ok(Vec::new());
    };
    let refused = |why: String| {
        RpcError::invalid_params(format!(
            "Invalid params: requestState {why}; call again without requestState to start over"
        ))
    };
    let state = state
        .as_str()
        .ok_or_else(|| refused("must be the string this server returned".into()))?;
    let sealed: SealedState = shared
        .codec
        .open_json_with(state, bound)
        .map_err(|e| refused(format!("was refused ({e})")))?;
    let mut answers = sealed.answers;
    let responses = env.params.get("inputResponses").and_then(Value::as_object);
    if let Some(answer) = sealed
        .pending
        .and_then(|key| responses.and_then(|r| r.get(&key)).cloned())
    {
        answers.push(answer);
    }
    Ok(answers)
}

/// Runs one guest call and sends its messages and reply on `tx`.
pub async fn drive(
    shared: Arc<Shared>,
    route: Arc<Route>,
    prep: Prepared,
    env: CallEnv,
    tx: mpsc::UnboundedSender<Outbound>,
) {
    let bound = binding(&route, &prep);
    let input = match env.era {
        Era::Legacy => Input::Live {
            pending: shared.pending.clone(),
            session: env.session.clone().unwrap_or_default(),
            timeout: route.limits.timeout(),
        },
        Era::Modern => match answers(&shared, &env, &bound) {
            Ok(a) => Input::Replay(Replay::new(a)),
            Err(e) => {
                let _ = tx.send(reply(&env.id, Err(e)));
                return;
            }
        },
    };
    let hooks = Arc::new(EdgeHooks {
        route: route.clone(),
        state: shared.state.clone(),
        runtime: tokio::runtime::Handle::current(),
        outbound: tx.clone(),
        log_level: env.log_level,
        progress_token: env.progress_token.clone(),
        can_elicit: env.can_elicit,
        can_sample: env.can_sample,
        input,
    });
    if prep.method == "tools/call" {
        shared.metrics.tool_call(&route.project_id, &prep.target);
    }
    let ctx = CallContext {
        request_id: request_id_string(&env.id),
        session_id: env.session.clone(),
    };
    let outcome = shared
        .upstream
        .invoke(route.clone(), prep.call, ctx, hooks.clone())
        .await;
    let result = match &hooks.input {
        Input::Replay(replay) => {
            finish_replay(&shared, replay, &bound, outcome, prep.method, &prep.target)
        }
        Input::Live { .. } => output(outcome, prep.method, &prep.target),
    };
    let _ = tx.send(reply(
        &env.id,
        result.map(|v| wire::finish(env.era, prep.method, v)),
    ));
}

fn request_id_string(id: &Value) -> String {
    match id {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn output(
    outcome: Result<GuestOutput, berth_core::InvokeError>,
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
        Err(berth_core::InvokeError::InputRequired) => Err(RpcError::internal(
            "the server asked for client input, which this request cannot carry; use a session-capable client",
        )),
        Err(e) => wire::invoke_error(method, target, e),
    }
}

/// The reply to a 2026-07-28 call: its result, an input-required result with sealed state, or a
/// missing-capability error when the call failed for want of a capability the client did not declare.
fn finish_replay(
    shared: &Shared,
    replay: &Replay,
    bound: &[u8],
    outcome: Result<GuestOutput, berth_core::InvokeError>,
    method: &str,
    target: &str,
) -> Result<Value, RpcError> {
    if let Some((key, request)) = replay
        .asked
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take()
    {
        let state = SealedState {
            answers: replay.answers.clone(),
            pending: Some(key.clone()),
        };
        let options = SealOptions::new()
            .associated_data(bound)
            .ttl(shared.config.request_state_ttl);
        let sealed = shared
            .codec
            .seal_json_with(&state, &options)
            .map_err(|e| RpcError::internal(e.to_string()))?;
        let mut requests = Map::new();
        requests.insert(key, request);
        return Ok(
            json!({ "resultType": "input_required", "inputRequests": requests, "requestState": sealed }),
        );
    }
    let failed = match &outcome {
        Ok(GuestOutput::Tool(r)) => r.is_error,
        Ok(_) => false,
        Err(_) => true,
    };
    if let (true, Some(cap)) = (
        failed,
        *replay
            .missing_capability
            .lock()
            .unwrap_or_else(|p| p.into_inner()),
    ) {
        let mut required = Map::new();
        required.insert(cap.into(), json!({}));
        return Err(RpcError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::MISSING_REQUIRED_CLIENT_CAPABILITY,
            format!("`{target}` needs the `{cap}` client capability; declare it in _meta's clientCapabilities"),
        )
        .with_data(json!({ "requiredCapabilities": required })));
    }
    output(outcome, method, target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepare_checks_params_against_the_description() {
        let desc: ServerDescription = serde_json::from_value(
            json!({"name": "s", "tools": [{"name": "echo"}], "prompts": [{"name": "p"}]}),
        )
        .unwrap();
        let p = |v: Value| v.as_object().cloned().unwrap_or_default();
        let ok = prepare(
            "tools/call",
            &p(json!({"name": "echo", "arguments": {"x": 1}})),
            &desc,
        )
        .unwrap();
        assert_eq!(ok.call.label(), "tools/call:echo");
        let cases = [
            ("tools/call", json!({"name": "nope"})),
            ("tools/call", json!({"name": "echo", "arguments": [1]})),
            ("tools/call", json!({})),
            ("prompts/get", json!({"name": "p", "arguments": {"a": 1}})),
            ("prompts/get", json!({"name": "q"})),
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
