//! Sandbox limits per project. Every number has a default with the reason for it, and each can be
//! overridden per project.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Wall-clock time a single call may run. MCP clients commonly time out at 60 s; a tool call that takes
/// longer is almost always stuck, and holding an instance that long starves the project's pool.
pub const DEFAULT_TIMEOUT_MS: u64 = 30_000;

/// Linear memory one instance may grow to. A Python guest starts near 20 MiB (interpreter + heap);
/// 256 MiB leaves room for real work while 100 busy instances still fit in a small machine's memory.
pub const DEFAULT_MEMORY_MIB: u64 = 256;

/// Largest serialized result accepted from a guest. MCP clients hold results in memory and hand them to
/// a model whose context is far smaller than this.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 4 * 1024 * 1024;

/// Calls one instance serves before it is recycled, bounding slow leaks in user code.
pub const DEFAULT_MAX_REQUESTS_PER_INSTANCE: u64 = 10_000;

/// Warm instances kept per deployment on one worker. More than the cores of a small worker buys nothing,
/// since an instance serves one call at a time.
pub const DEFAULT_MAX_WARM_INSTANCES: usize = 8;

/// Calls of one deployment running at once on a worker. Each may grow an instance to the memory limit,
/// so this bounds a deployment's memory (8 x 256 MiB) as much as its share of the CPU; it matches the
/// warm instances kept, since instances made beyond those are thrown away after their call.
pub const DEFAULT_MAX_CONCURRENT_CALLS: usize = 8;

/// Calls of one deployment that may wait for a running one to finish. A short queue absorbs bursts;
/// past it a caller is told at once to retry (HTTP 503 with `Retry-After`) rather than left waiting
/// behind calls that may each run to their deadline.
pub const DEFAULT_MAX_QUEUED_CALLS: usize = 32;

/// Outbound HTTP requests one call may make. A tool that wraps an API makes a few (or pages through a
/// few dozen); past this, a loop is hammering someone else's server on a tenant's behalf.
pub const DEFAULT_EGRESS_REQUESTS_PER_CALL: u64 = 50;

/// Response body bytes one call may read from outbound requests. Four times the response cap: room to
/// fetch, filter and page, while a call that streams a huge download is stopped.
pub const DEFAULT_EGRESS_BYTES_IN_PER_CALL: u64 = 16 * 1024 * 1024;

/// Request body bytes one call may send. API calls send JSON documents; uploads of more are rare and
/// cost the operator's bandwidth.
pub const DEFAULT_EGRESS_BYTES_OUT_PER_CALL: u64 = 4 * 1024 * 1024;

/// Time one outbound request may take, from connecting to the last byte of its response (and never
/// past the call's own deadline). A third of the call's default time limit: a stalled API fails the
/// request while the tool still has time to report it.
pub const DEFAULT_EGRESS_TIMEOUT_MS: u64 = 10_000;

/// MCP requests a project may send through one edge per second, in bursts of up to one second's worth.
/// Far above what a person's or an agent's clients send (a busy agent makes a few calls a second), and
/// far below what an edge serves (tens of thousands), so one tenant's flood leaves the edge to the
/// others.
pub const DEFAULT_REQUESTS_PER_SECOND: u64 = 1_000;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Limits {
    pub timeout_ms: u64,
    pub memory_mib: u64,
    pub max_response_bytes: u64,
    pub max_requests_per_instance: u64,
    pub max_warm_instances: usize,
    /// A fresh instance for every call (strict isolation: no module state survives a call), at about
    /// 1-2 ms per call for a Python guest.
    pub fresh_instance_per_call: bool,
    /// Calls running at once per worker; at least 1.
    pub max_concurrent_calls: usize,
    /// Calls waiting for one of those to end; past it, calls are refused with
    /// [`InvokeError::Busy`](crate::InvokeError::Busy).
    pub max_queued_calls: usize,
    /// Outbound HTTP requests per call (0: none).
    pub egress_requests_per_call: u64,
    /// Response body bytes per call, over all its outbound requests.
    pub egress_bytes_in_per_call: u64,
    /// Request body bytes per call, over all its outbound requests.
    pub egress_bytes_out_per_call: u64,
    /// Time limit of one outbound request; a request also ends at the call's deadline.
    pub egress_timeout_ms: u64,
    /// MCP requests per second through one edge (bursts up to one second's worth); past it, 429.
    pub requests_per_second: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            timeout_ms: DEFAULT_TIMEOUT_MS,
            memory_mib: DEFAULT_MEMORY_MIB,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            max_requests_per_instance: DEFAULT_MAX_REQUESTS_PER_INSTANCE,
            max_warm_instances: DEFAULT_MAX_WARM_INSTANCES,
            fresh_instance_per_call: false,
            max_concurrent_calls: DEFAULT_MAX_CONCURRENT_CALLS,
            max_queued_calls: DEFAULT_MAX_QUEUED_CALLS,
            egress_requests_per_call: DEFAULT_EGRESS_REQUESTS_PER_CALL,
            egress_bytes_in_per_call: DEFAULT_EGRESS_BYTES_IN_PER_CALL,
            egress_bytes_out_per_call: DEFAULT_EGRESS_BYTES_OUT_PER_CALL,
            egress_timeout_ms: DEFAULT_EGRESS_TIMEOUT_MS,
            requests_per_second: DEFAULT_REQUESTS_PER_SECOND,
        }
    }
}

impl Limits {
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }

    pub fn memory_bytes(&self) -> usize {
        (self.memory_mib as usize).saturating_mul(1024 * 1024)
    }
}
