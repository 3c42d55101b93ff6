//! Berth's edge: MCP over Streamable HTTP at `/<project>/mcp`, for both protocol eras on one URL.
//!
//! The 2025 era (2025-03-26, 2025-06-18, 2025-11-25) opens a session with `initialize` and carries
//! `Mcp-Session-Id`; calls are answered as JSON or, when they log, report progress or ask the client for
//! input, as a resumable SSE stream whose events are logged in the [`SessionStore`] for `Last-Event-ID`.
//! 2026-07-28 is stateless: `server/discover`, `_meta` and headers checked on every request, and
//! elicitation, sampling and roots as input-required round trips whose request state is HMAC-sealed,
//! `Mcp-Param-*` headers checked against the arguments they mirror, and the tasks extension (calls run in
//! the background, their state in a [`TaskStore`]). A 2025 client may cancel a running call
//! (`notifications/cancelled`), which stops its guest. Listing
//! answers from the route's stored description; calls go to an [`Upstream`] that runs the guest and calls
//! back through [`berth_core::CallHooks`]. A malformed request never reaches a guest.
//!
//! A private project's endpoint answers only requests with one of its API keys or an OAuth access token
//! (an ES256 JWT from Berth's authorization server, bound to this project) as `Authorization: Bearer`,
//! and refuses others with 401 and a challenge pointing at its OAuth protected resource
//! metadata (RFC 9728), served under `/.well-known/oauth-protected-resource`. Browser clients get CORS.

mod access;
mod busy;
mod call;
mod cancel;
mod config;
mod cors;
mod edge;
mod error;
mod hooks;
mod input;
mod kv;
mod metrics;
mod param_headers;
mod protocol;
mod rate;
mod request_log;
mod resource_metadata;
mod routes;
mod session_http;
mod sse;
mod start;
mod store;
mod subscriptions;
mod task_store;
mod tasks;
mod token;
mod wire;

pub use access::KeyUseReporter;
pub use config::EdgeConfig;
pub use edge::{Edge, EdgeBuilder};
pub use error::RpcError;
pub use hooks::ClientCaps;
pub use kv::{KvError, KvLimits};
pub use metrics::EgressObserver;
pub use protocol::Era;
pub use resource_metadata::WELL_KNOWN;
pub use routes::{Route, RouteTable, Upstream};
pub use store::{
    CreateError, EventBatch, MemorySessions, MemoryState, SessionInfo, SessionLimits, SessionStore,
    StateStore, StoreError,
};
pub use task_store::{MemoryTasks, TaskRecord, TaskStatus, TaskStore};
pub use token::{TokenClaims, TokenKeys, verify as verify_access_token};
pub use wire::{LEGACY_VERSIONS, MODERN_VERSION};
