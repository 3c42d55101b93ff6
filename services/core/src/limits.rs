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
