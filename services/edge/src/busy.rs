//! The refusal a client gets when a deployment already runs as many calls as it may and as many wait:
//! HTTP 503 with `Retry-After` and a JSON-RPC error saying so (the worker decides, by the project's
//! `maxConcurrentCalls` and `maxQueuedCalls` limits).

use crate::error::RpcError;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use rmcp::model::ErrorCode;
use serde_json::json;

/// Seconds a refused client is told to wait. Calls of a busy deployment end or are refused within
/// moments (queued calls run as running ones end); a second spreads retries without idling the client.
pub const BUSY_RETRY_AFTER_SECS: u64 = 1;

/// The JSON-RPC error code of the refusal (in the range JSON-RPC leaves to servers).
pub const BUSY: ErrorCode = ErrorCode(-32005);

/// The error for a call refused because the deployment is busy.
pub fn refused(running: usize, queued: usize, message: String) -> RpcError {
    RpcError::new(StatusCode::SERVICE_UNAVAILABLE, BUSY, message).with_data(json!({
        "running": running,
        "queued": queued,
        "retryAfterSeconds": BUSY_RETRY_AFTER_SECS,
    }))
}

/// Tells the client when to try again on a refusal (503 or 429) that does not say so yet.
pub fn retry_after(response: &mut Response) {
    let status = response.status();
    if status == StatusCode::SERVICE_UNAVAILABLE || status == StatusCode::TOO_MANY_REQUESTS {
        response
            .headers_mut()
            .entry(header::RETRY_AFTER)
            .or_insert(HeaderValue::from(BUSY_RETRY_AFTER_SECS));
    }
}
