//! 2026-07-28 input rounds (SEP-2322): how a guest's `elicit`, `sample` and `list-roots` calls are
//! answered without a server-to-client request.
//!
//! Each such call during one run takes the next index n and a key: the tool's or prompt's
//! `_meta["dev.berth/inputKeys"][n]` when its description names one, else `input-<n+1>`. A call whose key
//! has an answer gets it; a call without one is recorded as an input request and fails at once in the
//! guest (it is never blocked), so a guest that asks several things concurrently asks them all in one
//! run. After the run, recorded requests become an `InputRequiredResult` (or a task's `input_required`
//! status); the guest's own result is then ignored.

use crate::edge::Shared;
use crate::error::RpcError;
use crate::routes::Route;
use axum::http::StatusCode;
use berth_core::{GuestCall, HookError, ServerDescription};
use rmcp::model::{ErrorCode, SealOptions};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The `_meta` key of a tool or prompt that names its inputs, in the order the guest asks for them.
pub const META_INPUT_KEYS: &str = "dev.berth/inputKeys";

/// The prefix of the error text a guest gets for an input that is not answered yet.
pub const PENDING_PREFIX: &str = "input-required: ";

/// A kind of client input, as the guest asks for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ask {
    Elicit,
    Sample,
    ListRoots,
}

impl Ask {
    pub fn method(self) -> &'static str {
        match self {
            Ask::Elicit => "elicitation/create",
            Ask::Sample => "sampling/createMessage",
            Ask::ListRoots => "roots/list",
        }
    }

    /// The client capability the request needs.
    pub fn capability(self) -> &'static str {
        match self {
            Ask::Elicit => "elicitation",
            Ask::Sample => "sampling",
            Ask::ListRoots => "roots",
        }
    }

    /// Checks that a client's answer has the shape of this method's result.
    fn check_answer(self, key: &str, answer: &Value) -> Result<(), String> {
        let ok = match self {
            Ask::Elicit => answer
                .get("action")
                .and_then(Value::as_str)
                .is_some_and(|a| matches!(a, "accept" | "decline" | "cancel")),
            Ask::Sample => answer.get("role").is_some() && answer.get("content").is_some(),
            Ask::ListRoots => answer.get("roots").is_some_and(Value::is_array),
        };
        if ok {
            return Ok(());
        }
        let want = match self {
            Ask::Elicit => "an elicitation result {action: accept|decline|cancel, content?}",
            Ask::Sample => "a sampling result {role, content, model?}",
            Ask::ListRoots => "a roots result {roots: [...]}",
        };
        Err(format!(
            "Invalid params: inputResponses[\"{key}\"] must be {want}"
        ))
    }
}

/// What one run of the guest asked for, and what it was given.
#[derive(Default)]
pub struct Asked {
    /// `key -> {"method", "params"}` of every input the run asked for and had no answer to, in order.
    pub requests: Map<String, Value>,
    /// Answers the run consumed, by key: what the next round must carry.
    pub used: Map<String, Value>,
    /// A capability the run needed that the client did not declare.
    pub refused: Option<&'static str>,
    /// An answer of the wrong shape for its request.
    pub invalid: Option<String>,
}

/// The input state of one run: the answers it may use and what it asks.
pub struct Round {
    keys: Vec<String>,
    answers: Map<String, Value>,
    next: AtomicUsize,
    asked: Mutex<Asked>,
}

impl Round {
    pub fn new(keys: Vec<String>, answers: Map<String, Value>) -> Self {
        Self {
            keys,
            answers,
            next: AtomicUsize::new(0),
            asked: Mutex::new(Asked::default()),
        }
    }

    /// Answers one guest call from the recorded answers, or records it as a request.
    pub fn ask(&self, ask: Ask, allowed: bool, params: Value) -> Result<Value, HookError> {
        let n = self.next.fetch_add(1, Ordering::SeqCst);
        let key = self
            .keys
            .get(n)
            .cloned()
            .unwrap_or_else(|| format!("input-{}", n + 1));
        let mut asked = self.asked.lock().unwrap_or_else(|p| p.into_inner());
        if !allowed {
            asked.refused = Some(ask.capability());
            return Err(HookError::Failed(format!(
                "the client did not declare the `{}` capability",
                ask.capability()
            )));
        }
        if let Some(answer) = self.answers.get(&key) {
            if let Err(why) = ask.check_answer(&key, answer) {
                asked.invalid.get_or_insert(why.clone());
                return Err(HookError::Failed(why));
            }
            asked.used.insert(key, answer.clone());
            return Ok(answer.clone());
        }
        asked.requests.insert(
            key.clone(),
            json!({ "method": ask.method(), "params": params }),
        );
        Err(HookError::Failed(format!("{PENDING_PREFIX}{key}")))
    }

    /// What the run asked, once it is over.
    pub fn take(&self) -> Asked {
        std::mem::take(&mut *self.asked.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// The input keys a tool or prompt names in its description's `_meta`.
pub fn keys_for(desc: &ServerDescription, call: &GuestCall) -> Vec<String> {
    let item = match call {
        GuestCall::Tool { name, .. } => desc.tool(name),
        GuestCall::GetPrompt { name, .. } => desc.prompt(name),
        _ => None,
    };
    item.and_then(|i| i.get("_meta"))
        .and_then(|m| m.get(META_INPUT_KEYS))
        .and_then(Value::as_array)
        .map(|keys| {
            keys.iter()
                .filter_map(|k| k.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// What a sealed request state carries: the answers given in earlier rounds.
#[derive(Serialize, Deserialize)]
struct SealedState {
    answers: Map<String, Value>,
}

/// Binds request state to the project and to this exact call, so it cannot be replayed elsewhere.
pub fn binding(route: &Route, method: &str, target: &str, call: &GuestCall) -> Vec<u8> {
    let mut h = Sha256::new();
    for part in [
        route.project_id.as_bytes(),
        method.as_bytes(),
        target.as_bytes(),
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    if let GuestCall::Tool { arguments, .. } = call {
        h.update(serde_json::to_vec(arguments).unwrap_or_default());
    }
    h.finalize().to_vec()
}

/// Checks a request's `inputResponses`: absent, or an object whose every value is an object.
pub fn responses(params: &Map<String, Value>) -> Result<Map<String, Value>, RpcError> {
    match params.get("inputResponses") {
        None => Ok(Map::new()),
        Some(Value::Object(r)) => {
            if let Some((key, _)) = r.iter().find(|(_, v)| !v.is_object()) {
                return Err(RpcError::invalid_params(format!(
                    "Invalid params: inputResponses[\"{key}\"] must be an object (the result of the request it answers)"
                )));
            }
            Ok(r.clone())
        }
        Some(_) => Err(RpcError::invalid_params(
            "Invalid params: inputResponses must be an object keyed by the inputRequests keys",
        )),
    }
}

/// The answers a 2026-07-28 call carries: those sealed in its `requestState` (checked against `bound`)
/// with the request's `inputResponses` on top.
pub fn answers(
    shared: &Shared,
    params: &Map<String, Value>,
    bound: &[u8],
) -> Result<Map<String, Value>, RpcError> {
    let responses = responses(params)?;
    let mut answers = match params.get("requestState") {
        None | Some(Value::Null) => Map::new(),
        Some(state) => {
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
            sealed.answers
        }
    };
    answers.extend(responses);
    Ok(answers)
}

/// The `InputRequiredResult` for a run that asked for input: its requests and sealed state.
pub fn input_required(
    shared: &Shared,
    bound: &[u8],
    requests: Map<String, Value>,
    used: Map<String, Value>,
) -> Result<Value, RpcError> {
    let options = SealOptions::new()
        .associated_data(bound)
        .ttl(shared.config.request_state_ttl);
    let sealed = shared
        .codec
        .seal_json_with(&SealedState { answers: used }, &options)
        .map_err(|e| RpcError::internal(e.to_string()))?;
    Ok(json!({ "resultType": "input_required", "inputRequests": requests, "requestState": sealed }))
}

/// The error for a call that failed because the client lacks a capability.
pub fn missing_capability(target: &str, capability: &str) -> RpcError {
    let mut required = Map::new();
    required.insert(capability.into(), json!({}));
    RpcError::new(
        StatusCode::BAD_REQUEST,
        ErrorCode::MISSING_REQUIRED_CLIENT_CAPABILITY,
        format!(
            "`{target}` needs the `{capability}` client capability; declare it in _meta's clientCapabilities"
        ),
    )
    .with_data(json!({ "requiredCapabilities": required }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_name_answer_and_record_inputs() {
        let mut answers = Map::new();
        answers.insert(
            "name".into(),
            json!({"action": "accept", "content": {"n": 1}}),
        );
        answers.insert("bad".into(), json!({"action": "maybe"}));
        let r = Round::new(vec!["name".into(), "roots".into()], answers.clone());
        assert_eq!(
            r.ask(Ask::Elicit, true, json!({})).unwrap()["content"]["n"],
            1
        );
        assert_eq!(
            r.ask(Ask::ListRoots, true, json!({})),
            Err(HookError::Failed("input-required: roots".into()))
        );
        assert!(r.ask(Ask::Sample, false, json!({})).is_err());
        assert!(r.ask(Ask::Sample, true, json!({"m": 1})).is_err());
        let asked = r.take();
        let mut keys: Vec<_> = asked.requests.keys().collect();
        keys.sort();
        assert_eq!(keys, vec!["input-4", "roots"]);
        assert_eq!(
            asked.requests["input-4"]["method"],
            "sampling/createMessage"
        );
        assert_eq!(asked.used.keys().collect::<Vec<_>>(), vec!["name"]);
        assert_eq!(asked.refused, Some("sampling"));

        let r = Round::new(vec!["bad".into()], answers);
        assert!(r.ask(Ask::Elicit, true, json!({})).is_err());
        assert!(r.take().invalid.is_some());
    }

    #[test]
    fn responses_must_be_objects_of_objects() {
        let p = |v: Value| v.as_object().cloned().unwrap_or_default();
        assert!(responses(&p(json!({}))).unwrap().is_empty());
        assert!(responses(&p(json!({"inputResponses": {"k": {}}}))).is_ok());
        for bad in [json!(null), json!([1]), json!({"k": 12345})] {
            let err = responses(&p(json!({ "inputResponses": bad }))).unwrap_err();
            assert_eq!(err.code, -32602, "{bad}");
        }
    }
}
