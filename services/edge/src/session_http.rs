//! GET and DELETE on `/{project}/mcp`: a 2025 session's standalone SSE stream (or the resumption of a
//! call's stream with `Last-Event-ID`), and closing a session.

use crate::edge::{Shared, accepts, check_origin, find_route, header_str, session_error};
use crate::error::RpcError;
use crate::metrics::Outcome;
use crate::protocol::{HEADER_LAST_EVENT_ID, HEADER_PROTOCOL_VERSION, HEADER_SESSION_ID};
use crate::routes::Route;
use crate::sse;
use crate::wire::LEGACY_VERSIONS;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use std::sync::Arc;
use std::time::Instant;

pub(crate) async fn handle_get(
    State(shared): State<Arc<Shared>>,
    Path(project): Path<String>,
    headers: HeaderMap,
) -> Response {
    let started = Instant::now();
    let (response, outcome) = match get_inner(&shared, &project, &headers).await {
        Ok(r) => (r, Outcome::Ok),
        Err(e) => (e.into_response_for(&Value::Null), Outcome::Rejected),
    };
    let label = crate::metrics::project_label(&shared.routes, &project);
    shared
        .metrics
        .request(label, "stream", outcome, started.elapsed());
    response
}

async fn existing_session(
    shared: &Shared,
    route: &Route,
    headers: &HeaderMap,
) -> Result<String, RpcError> {
    if header_str(headers, HEADER_PROTOCOL_VERSION).is_some_and(|v| !LEGACY_VERSIONS.contains(&v)) {
        return Err(RpcError::invalid_request("Method Not Allowed: 2026-07-28 is stateless; there is no session stream to open or close")
            .with_status(StatusCode::METHOD_NOT_ALLOWED));
    }
    let Some(session) = header_str(headers, HEADER_SESSION_ID) else {
        return Err(RpcError::invalid_request(
            "Bad Request: Mcp-Session-Id header is required",
        ));
    };
    match shared.sessions.get(&route.project_id, session).await {
        Ok(Some(s)) => Ok(s.id),
        Ok(None) => Err(session_error(
            StatusCode::NOT_FOUND,
            "Session not found: it expired or was closed; initialize a new one",
        )),
        Err(e) => {
            Err(RpcError::internal(e.to_string()).with_status(StatusCode::SERVICE_UNAVAILABLE))
        }
    }
}

async fn get_inner(
    shared: &Arc<Shared>,
    project: &str,
    headers: &HeaderMap,
) -> Result<Response, RpcError> {
    check_origin(&shared.config, headers)?;
    let route = find_route(shared, project)?;
    crate::access::check(shared, &route, headers)?;
    shared.rates.admit(&route)?;
    if !accepts(headers, "text/event-stream") {
        return Err(RpcError::invalid_request(
            "Not Acceptable: a GET stream needs `Accept: text/event-stream`",
        )
        .with_status(StatusCode::NOT_ACCEPTABLE));
    }
    let session = existing_session(shared, &route, headers).await?;
    let body = match header_str(headers, HEADER_LAST_EVENT_ID).and_then(sse::parse_event_id) {
        Some((stream, after)) => sse::from_log(
            shared.sessions.clone(),
            session.clone(),
            stream.to_string(),
            after,
            None,
            shared.config.sse_close_after,
        ),
        None => sse::standalone(
            shared.sessions.clone(),
            route.project_id.clone(),
            session.clone(),
            shared.config.sse_retry_ms,
        ),
    };
    Ok(sse::response(body, Some(&session)))
}

pub(crate) async fn handle_delete(
    State(shared): State<Arc<Shared>>,
    Path(project): Path<String>,
    headers: HeaderMap,
) -> Response {
    let reply = async {
        check_origin(&shared.config, &headers)?;
        let route = find_route(&shared, &project)?;
        crate::access::check(&shared, &route, &headers)?;
        shared.rates.admit(&route)?;
        let session = existing_session(&shared, &route, &headers).await?;
        shared
            .sessions
            .delete(&route.project_id, &session)
            .await
            .map_err(|e| RpcError::internal(e.to_string()))?;
        // The session's state goes with it (what ctx.set_state kept).
        if let Err(e) = shared.state.end_session(&route.project_id, &session).await {
            tracing::warn!(project = %route.project_id, "dropping a deleted session's state: {e}");
        }
        Ok::<_, RpcError>(StatusCode::OK.into_response())
    }
    .await;
    reply.unwrap_or_else(|e| e.into_response_for(&Value::Null))
}
