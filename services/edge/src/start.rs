//! Running a guest call once its request is checked: answered as plain JSON when it finishes quickly and
//! quietly, else switched to an SSE stream (a 2025 session's resumable one, or a direct one).

use crate::call::{self, CallEnv};
use crate::edge::{Reply, Shared, accepts, json_response};
use crate::error::RpcError;
use crate::hooks::Outbound;
use crate::protocol::Era;
use crate::routes::Route;
use crate::sse;
use axum::http::{HeaderMap, StatusCode};
use berth_core::util::poll_once;
use serde_json::{Map, Value};
use std::sync::Arc;
use tokio::sync::mpsc;
use tracing::Instrument;

pub(crate) async fn run_legacy_call(
    shared: &Arc<Shared>,
    route: Arc<Route>,
    headers: &HeaderMap,
    method: &str,
    env: CallEnv,
    params: Map<String, Value>,
) -> Reply {
    let prep =
        call::prepare(method, &params, &route.description).map_err(|e| (env.id.clone(), e))?;
    start_call(shared, route, headers, prep, env).await
}

pub(crate) async fn run_call(
    shared: &Arc<Shared>,
    route: Arc<Route>,
    headers: &HeaderMap,
    method: &str,
    env: CallEnv,
) -> Reply {
    let prep =
        call::prepare(method, &env.params, &route.description).map_err(|e| (env.id.clone(), e))?;
    start_call(shared, route, headers, prep, env).await
}

/// Starts the call and answers with plain JSON when it finishes quickly and quietly; otherwise switches
/// to an SSE stream that carries its notifications, requests and reply.
async fn start_call(
    shared: &Arc<Shared>,
    route: Arc<Route>,
    headers: &HeaderMap,
    prep: call::Prepared,
    env: CallEnv,
) -> Reply {
    let streamable = accepts(headers, "text/event-stream");
    let era = env.era;
    let session = env.session.clone();
    let (tx, mut rx) = mpsc::unbounded_channel();
    // The call is driven on this task until it answers or must stream: a quick call then costs no
    // hand-off to another task and back. Whatever is left of it is spawned before this returns.
    // A call of a 2025 session can be cancelled by its client.
    let (project, id) = (route.project_id.clone(), env.id.clone());
    let drive =
        crate::request_log::carry(shared, call::drive(shared.clone(), route, prep, env, tx));
    let (running, cancellable) = (shared.running.clone(), session.clone());
    let mut driver = Box::pin(
        async move {
            match (era, cancellable) {
                (Era::Legacy, Some(session)) => running.run(&project, &session, &id, drive).await,
                _ => drive.await,
            }
        }
        .instrument(tracing::Span::current()),
    );
    // A warm call usually ends within its first poll (the guest runs right here); only a call that
    // has to wait needs the timer that decides when to switch to a stream.
    let mut finished = poll_once(driver.as_mut()).await.is_some();
    let first = if streamable && finished {
        rx.recv().await
    } else if streamable {
        let timer = tokio::time::sleep(shared.config.sse_after);
        tokio::pin!(timer);
        tokio::select! {
            biased;
            first = rx.recv() => first,
            _ = &mut driver => {
                finished = true;
                rx.recv().await
            }
            _ = &mut timer => None,
        }
    } else {
        loop {
            let next = tokio::select! {
                biased;
                next = rx.recv() => next,
                _ = &mut driver, if !finished => {
                    finished = true;
                    continue;
                }
            };
            match next {
                Some(Outbound::Message(_)) => continue,
                other => break other,
            }
        }
    };
    if !finished {
        tokio::spawn(driver);
    }
    if let Some(Outbound::Final(status, body)) = &first {
        let mut response = json_response(*status, body, None);
        crate::busy::retry_after(&mut response);
        return Ok(response);
    }
    if first.is_none() && !streamable {
        return Err((
            Value::Null,
            RpcError::internal("the call ended without a reply (it was cancelled)"),
        ));
    }
    match (era, session) {
        (Era::Legacy, Some(session)) => {
            let stream = uuid::Uuid::new_v4().simple().to_string();
            if let Err(e) = shared.sessions.open_stream(&session, &stream).await {
                return Err((
                    Value::Null,
                    RpcError::internal(e.to_string()).with_status(StatusCode::SERVICE_UNAVAILABLE),
                ));
            }
            tokio::spawn(sse::pump(
                shared.sessions.clone(),
                session.clone(),
                stream.clone(),
                first,
                rx,
            ));
            let body = sse::from_log(
                shared.sessions.clone(),
                session.clone(),
                stream,
                0,
                Some(shared.config.sse_retry_ms),
                shared.config.sse_close_after,
            );
            Ok(sse::response(body, Some(&session)))
        }
        _ => {
            let body = match first {
                Some(first) => sse::direct(first, rx),
                None => match rx.recv().await {
                    Some(first) => sse::direct(first, rx),
                    None => {
                        return Err((
                            Value::Null,
                            RpcError::internal("the call ended without a reply (it was cancelled)"),
                        ));
                    }
                },
            };
            Ok(sse::response(body, None))
        }
    }
}
