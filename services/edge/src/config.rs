//! The edge's settings. Every number has a default with the reason for it; the binary overrides them.

use std::time::Duration;

/// Largest request body accepted. MCP requests are small JSON documents; a megabyte leaves room for large
/// tool arguments while bounding what one request can make the edge buffer.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// How long an idle 2025-era session lives. Clients keep one session for a conversation; an hour covers a
/// long pause without keeping abandoned sessions forever.
pub const DEFAULT_SESSION_TTL: Duration = Duration::from_secs(60 * 60);

/// How long an input-required request state stays valid: a user answering an elicitation form may take a
/// while, but a stale answer should not resume a call days later.
pub const DEFAULT_REQUEST_STATE_TTL: Duration = Duration::from_secs(15 * 60);

/// A call that runs longer than this is answered on an SSE stream (when the client accepts one), so the
/// client gets a resumable stream with event ids instead of a silent connection.
pub const DEFAULT_SSE_AFTER: Duration = Duration::from_millis(250);

/// How long a task of the tasks extension stays readable after its last change: long enough for a
/// client to come back for a slow job's result, short enough that finished tasks do not pile up.
pub const DEFAULT_TASK_TTL: Duration = Duration::from_secs(60 * 60);

/// Items per page of `tools/list` and friends. Large enough that typical servers fit in one page.
pub const DEFAULT_PAGE_SIZE: usize = 500;

/// The `retry` hint (ms) sent on SSE streams: how long a client waits before resuming a closed stream.
pub const DEFAULT_SSE_RETRY_MS: u64 = 500;

/// Hosts always accepted in `Host` and `Origin`, in addition to [`EdgeConfig::public_hosts`].
pub const LOOPBACK_HOSTS: [&str; 3] = ["localhost", "127.0.0.1", "[::1]"];

/// The edge's settings. Its `Debug` hides the request-state key.
#[derive(Clone)]
pub struct EdgeConfig {
    /// Host names (without port) the edge is reached at, besides loopback: e.g. `mcp.example.com`.
    /// `*` accepts any host (only behind a proxy that checks it).
    pub public_hosts: Vec<String>,
    /// The base URL clients reach the edge at (`https://mcp.example.com`, no trailing `/`): a project's
    /// MCP URL is `<public_url>/<project>/mcp`, and it names the resources and the authorization server
    /// in OAuth protected resource metadata. When absent, `http://` and the request's (checked) `Host`.
    pub public_url: Option<String>,
    pub max_body_bytes: usize,
    /// Key for the HMAC that protects 2026-07-28 request state. At least 32 bytes; every edge of a
    /// deployment must share it. When absent a random per-process key is used.
    pub request_state_key: Option<Vec<u8>>,
    pub request_state_ttl: Duration,
    pub task_ttl: Duration,
    pub session_ttl: Duration,
    pub sse_after: Duration,
    /// Close a call's SSE stream after this long, even if the call is still running; the client resumes it
    /// with `GET` and `Last-Event-ID` (SSE polling, SEP-1699). `None` keeps streams open until the result.
    pub sse_close_after: Option<Duration>,
    pub sse_retry_ms: u64,
    pub page_size: usize,
    /// Each project's key-value quota, for the default in-memory state store.
    pub kv: crate::kv::KvLimits,
    /// Sessions per project and in all, and their replay buffers, for the default in-memory store.
    pub sessions: crate::store::SessionLimits,
    /// Log events a guest sends larger than this (as JSON) are cut, with a note.
    pub max_log_event_bytes: usize,
    /// Bytes of log and progress notifications one call may send; later ones are dropped, with a note.
    pub max_log_bytes_per_call: usize,
    /// Server-to-client requests waiting for an answer, per session and in all.
    pub max_pending_per_session: usize,
    pub max_pending: usize,
    /// Tasks (of the tasks extension) one project may hold, for the default in-memory task store.
    pub max_tasks_per_project: usize,
}

impl std::fmt::Debug for EdgeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EdgeConfig")
            .field("public_hosts", &self.public_hosts)
            .field("public_url", &self.public_url)
            .field("max_body_bytes", &self.max_body_bytes)
            .field(
                "request_state_key",
                &berth_core::redact::redacted(&self.request_state_key),
            )
            .field("request_state_ttl", &self.request_state_ttl)
            .field("task_ttl", &self.task_ttl)
            .field("session_ttl", &self.session_ttl)
            .field("sse_after", &self.sse_after)
            .field("sse_close_after", &self.sse_close_after)
            .field("sse_retry_ms", &self.sse_retry_ms)
            .field("page_size", &self.page_size)
            .field("kv", &self.kv)
            .field("sessions", &self.sessions)
            .finish()
    }
}

impl Default for EdgeConfig {
    fn default() -> Self {
        Self {
            public_hosts: Vec::new(),
            public_url: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            request_state_key: None,
            request_state_ttl: DEFAULT_REQUEST_STATE_TTL,
            task_ttl: DEFAULT_TASK_TTL,
            session_ttl: DEFAULT_SESSION_TTL,
            sse_after: DEFAULT_SSE_AFTER,
            sse_close_after: None,
            sse_retry_ms: DEFAULT_SSE_RETRY_MS,
            page_size: DEFAULT_PAGE_SIZE,
            kv: crate::kv::KvLimits::default(),
            sessions: crate::store::SessionLimits::default(),
            max_log_event_bytes: crate::hooks::DEFAULT_MAX_LOG_EVENT_BYTES,
            max_log_bytes_per_call: crate::hooks::DEFAULT_MAX_LOG_BYTES_PER_CALL,
            max_pending_per_session: crate::hooks::DEFAULT_MAX_PENDING_PER_SESSION,
            max_pending: crate::hooks::DEFAULT_MAX_PENDING,
            max_tasks_per_project: crate::task_store::DEFAULT_MAX_TASKS_PER_PROJECT,
        }
    }
}

impl EdgeConfig {
    /// Whether a `Host` header value (or an origin's host part) names this edge.
    pub(crate) fn host_allowed(&self, host_port: &str) -> bool {
        let host = strip_port(host_port);
        LOOPBACK_HOSTS.iter().any(|h| h.eq_ignore_ascii_case(host))
            || self
                .public_hosts
                .iter()
                .any(|h| h == "*" || h.eq_ignore_ascii_case(host))
    }

    /// Whether an `Origin` header value (`scheme://host[:port]`) names this edge.
    pub(crate) fn origin_allowed(&self, origin: &str) -> bool {
        if origin == "null" {
            return false;
        }
        let Some((_, rest)) = origin.split_once("://") else {
            return false;
        };
        self.host_allowed(rest.split('/').next().unwrap_or(rest))
    }
}

fn strip_port(host_port: &str) -> &str {
    if host_port.starts_with('[') {
        // `[::1]:8080` -> `[::1]`
        return match host_port.find(']') {
            Some(end) => &host_port[..=end],
            None => host_port,
        };
    }
    host_port.split(':').next().unwrap_or(host_port)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_origins() {
        let cfg = EdgeConfig {
            public_hosts: vec!["mcp.example.com".into()],
            ..Default::default()
        };
        for ok in [
            "localhost",
            "localhost:8080",
            "127.0.0.1:1",
            "[::1]:9",
            "MCP.example.com:443",
        ] {
            assert!(cfg.host_allowed(ok), "{ok}");
        }
        for bad in ["evil.example.com", "localhost.evil.com", "127.0.0.2"] {
            assert!(!cfg.host_allowed(bad), "{bad}");
        }
        assert!(cfg.origin_allowed("http://localhost:3000"));
        assert!(cfg.origin_allowed("https://mcp.example.com"));
        assert!(!cfg.origin_allowed("http://evil.example.com"));
        assert!(!cfg.origin_allowed("null"));
        assert!(!cfg.origin_allowed("garbage"));
    }
}
