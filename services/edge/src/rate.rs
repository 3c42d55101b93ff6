//! Per-project request rates: each project may send its MCP endpoint at most its `requestsPerSecond`
//! limit of requests per second through one edge, with bursts of up to one second's worth. Past that a
//! request is answered at once with 429 and `Retry-After`, before its body is read, so one tenant's
//! flood costs the edge little and leaves its time to the others.
//!
//! The bucket is a generic cell rate algorithm (GCRA): one atomic "theoretical arrival time" per
//! project, advanced by one interval per admitted request. Admitting a request is a map lookup under a
//! shared lock and one compare-and-swap; nothing is allocated except for a project's first request.
//!
//! The limit is per edge process: with several edges behind a load balancer, a project gets its limit
//! at each (as Envoy's local rate limit does). The requests that reach a private project are counted
//! only once their key has been checked, so nobody without a key can spend its owner's budget.

use crate::error::RpcError;
use crate::routes::Route;
use axum::http::StatusCode;
use rmcp::model::ErrorCode;
use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The JSON-RPC error code of a request refused for its project's rate (in the range JSON-RPC leaves to
/// implementations; the HTTP status, 429, says the same to clients that read only that).
pub const RATE_LIMITED: ErrorCode = ErrorCode(-32029);

/// Projects tracked before idle ones are dropped: a project whose bucket has refilled carries no
/// information, so its entry may go; this bounds the map by the projects active in the last second.
const PRUNE_AT: usize = 1024;

/// The buckets of every project that sent requests through this edge.
pub struct RateLimiter {
    started: Instant,
    buckets: RwLock<Buckets>,
}

struct Buckets {
    map: HashMap<String, AtomicU64>,
    /// Prune again when the map reaches this size.
    prune_at: usize,
}

impl Default for RateLimiter {
    fn default() -> Self {
        Self {
            started: Instant::now(),
            buckets: RwLock::new(Buckets {
                map: HashMap::new(),
                prune_at: PRUNE_AT,
            }),
        }
    }
}

impl RateLimiter {
    /// Admits one request of `route`'s project, or refuses it with 429 and how long to wait.
    pub(crate) fn admit(&self, route: &Route) -> Result<(), RpcError> {
        let rate = route.limits.requests_per_second;
        let now = self.now_ns();
        match self.take(&route.project_id, rate, now) {
            Ok(()) => Ok(()),
            Err(wait) => Err(refused(route, rate, wait)),
        }
    }

    /// Takes one request from `project`'s bucket at `now_ns`: `Err(wait)` when it is empty.
    fn take(&self, project: &str, rate: u64, now_ns: u64) -> Result<(), Duration> {
        let interval = 1_000_000_000 / rate.max(1);
        // One second's worth of requests may come at once: the bucket holds `rate` of them.
        let tolerance = interval.saturating_mul(rate.max(1).saturating_sub(1));
        // The project's cell is used under the shared lock: no reference count is touched per request.
        if let Some(cell) = self.read().map.get(project) {
            return admit(cell, now_ns, interval, tolerance);
        }
        self.insert_and_admit(project, now_ns, interval, tolerance)
    }

    /// Adds `project`'s cell (or finds the one another request just added) and admits from it.
    #[cold]
    fn insert_and_admit(
        &self,
        project: &str,
        now_ns: u64,
        interval: u64,
        tolerance: u64,
    ) -> Result<(), Duration> {
        let mut buckets = self
            .buckets
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if buckets.map.len() >= buckets.prune_at {
            // A bucket whose arrival time has passed is full again: forgetting it changes nothing.
            buckets
                .map
                .retain(|_, cell| cell.load(Ordering::Relaxed) > now_ns);
            buckets.prune_at = (buckets.map.len() * 2).max(PRUNE_AT);
        }
        let cell = buckets
            .map
            .entry(project.to_string())
            .or_insert_with(|| AtomicU64::new(0));
        admit(cell, now_ns, interval, tolerance)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Buckets> {
        self.buckets
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn now_ns(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }
}

/// Takes one request from the cell (its theoretical arrival time) at `now_ns`: `Err(wait)` when the
/// bucket is empty.
fn admit(cell: &AtomicU64, now_ns: u64, interval: u64, tolerance: u64) -> Result<(), Duration> {
    let mut tat = cell.load(Ordering::Relaxed);
    loop {
        let start = tat.max(now_ns);
        if start - now_ns > tolerance {
            return Err(Duration::from_nanos(start - now_ns - tolerance));
        }
        match cell.compare_exchange_weak(
            tat,
            start + interval,
            Ordering::Relaxed,
            Ordering::Relaxed,
        ) {
            Ok(_) => return Ok(()),
            Err(now_tat) => tat = now_tat,
        }
    }
}

#[cold]
fn refused(route: &Route, rate: u64, wait: Duration) -> RpcError {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    RpcError::new(
        StatusCode::TOO_MANY_REQUESTS,
        RATE_LIMITED,
        format!(
            "Too many requests: project `{}` is limited to {rate} requests per second (its \
             `requestsPerSecond` limit); retry after {seconds} s",
            route.slug
        ),
    )
    .with_data(
        serde_json::json!({ "requestsPerSecond": rate, "retryAfterSeconds": seconds.max(1) }),
    )
    .with_retry_after(seconds.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: u64 = 1_000_000_000;

    #[test]
    fn a_project_gets_its_rate_with_a_burst_of_one_second_and_then_waits() {
        let limiter = RateLimiter::default();
        for i in 0..10 {
            assert!(limiter.take("p", 10, 0).is_ok(), "request {i} of the burst");
        }
        let wait = limiter.take("p", 10, 0).unwrap_err();
        assert_eq!(wait, Duration::from_millis(100));
        // A tenth of a second later one more request fits, and only one.
        assert!(limiter.take("p", 10, SECOND / 10).is_ok());
        assert!(limiter.take("p", 10, SECOND / 10).is_err());
        // After a quiet second the whole burst is back.
        let later = 2 * SECOND;
        for _ in 0..10 {
            assert!(limiter.take("p", 10, later).is_ok());
        }
        assert!(limiter.take("p", 10, later).is_err());
    }

    #[test]
    fn one_projects_flood_leaves_the_others_their_whole_rate() {
        let limiter = RateLimiter::default();
        let refused = (0..10_000)
            .filter(|_| limiter.take("flood", 100, 0).is_err())
            .count();
        assert_eq!(refused, 10_000 - 100);
        for _ in 0..100 {
            assert!(limiter.take("quiet", 100, 0).is_ok());
        }
    }

    #[test]
    fn idle_projects_are_forgotten_and_busy_ones_kept() {
        let limiter = RateLimiter::default();
        limiter.take("busy", 1, SECOND).unwrap();
        // With "busy", the map reaches the size at which the next new project prunes it.
        for i in 0..PRUNE_AT - 1 {
            limiter.take(&format!("p{i}"), 1000, 0).unwrap();
        }
        // At 1.5 s "busy" still waits (its next request may come at 2 s), the others have refilled:
        // the next new project prunes them.
        limiter.take("new", 1000, SECOND + SECOND / 2).unwrap();
        let buckets = limiter.read();
        assert!(buckets.map.contains_key("busy"));
        assert!(buckets.map.contains_key("new"));
        assert_eq!(buckets.map.len(), 2);
    }

    #[test]
    fn racing_requests_never_get_more_than_the_burst() {
        let limiter = std::sync::Arc::new(RateLimiter::default());
        let admitted: usize = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|_| {
                    let limiter = limiter.clone();
                    s.spawn(move || {
                        (0..1000)
                            .filter(|_| limiter.take("p", 500, 0).is_ok())
                            .count()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).sum()
        });
        assert_eq!(admitted, 500);
    }
}
