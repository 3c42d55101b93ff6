//! A 2025-era session's resource subscriptions (`resources/subscribe`), within the session's bounds: a
//! session is kept for an hour and read on every request, so the list it carries must stay small.

use crate::error::RpcError;
use crate::store::{SessionInfo, SessionLimits};

/// Resources one session may subscribe to. A client subscribes to the resources it shows; a few hundred
/// is more than any screen holds.
pub const DEFAULT_MAX_SUBSCRIPTIONS_PER_SESSION: usize = 256;

/// Longest resource URI a session may subscribe to; URIs name resources, they do not carry them.
pub const DEFAULT_MAX_SUBSCRIPTION_URI_BYTES: usize = 2048;

/// Subscribes `session` to `uri` (or, when `subscribe` is false, unsubscribes it).
pub fn apply(
    session: &mut SessionInfo,
    uri: &str,
    subscribe: bool,
    limits: &SessionLimits,
) -> Result<(), RpcError> {
    session.subscriptions.retain(|u| u != uri);
    if !subscribe {
        return Ok(());
    }
    if uri.len() > limits.subscription_uri_bytes {
        return Err(RpcError::invalid_params(format!(
            "Invalid params: the `uri` is {} bytes; a subscription's URI may be at most {} bytes",
            uri.len(),
            limits.subscription_uri_bytes
        )));
    }
    if session.subscriptions.len() >= limits.subscriptions {
        return Err(RpcError::invalid_params(format!(
            "Invalid params: this session already has {} subscriptions, its limit; unsubscribe from resources it no longer shows",
            session.subscriptions.len()
        )));
    }
    session.subscriptions.push(uri.to_string());
    Ok(())
}
