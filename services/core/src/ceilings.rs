//! The operator's bounds on the limits a project sets for itself. A project may change its own limits
//! (through the REST API or the dashboard) only within these: at least the floor below which nothing
//! useful runs, at most the operator's ceiling, so that no tenant can take more of a machine than the
//! operator allows. Floors are fixed; ceilings and the limits new projects start with are the
//! operator's, with the defaults here.

use crate::Limits;

/// Shortest time limit: a Python guest needs a few milliseconds to answer at all, and a deadline
/// below a few epoch ticks (5 ms each) would fail calls at random.
pub const MIN_TIMEOUT_MS: u64 = 100;
/// Longest time limit by default: MCP clients give up long before ten minutes, and a call holds an
/// instance (and its memory) for as long as it runs.
pub const CEILING_TIMEOUT_MS: u64 = 600_000;

/// Least memory: the Python interpreter alone needs about 16 MiB to start.
pub const MIN_MEMORY_MIB: u64 = 16;
/// Most memory one instance may grow to by default: 4 GiB is the most a 32-bit wasm memory can address.
pub const CEILING_MEMORY_MIB: u64 = 4096;

/// Smallest response cap: an MCP result's envelope with a short error message.
pub const MIN_RESPONSE_BYTES: u64 = 1024;
/// Largest response cap by default: the edge holds a whole response in memory, and no model's context
/// takes more than this.
pub const CEILING_RESPONSE_BYTES: u64 = 64 * 1024 * 1024;

/// An instance serves at least one call.
pub const MIN_REQUESTS_PER_INSTANCE: u64 = 1;
/// Most calls per instance by default: recycling at least this often bounds a slow leak in user code.
pub const CEILING_REQUESTS_PER_INSTANCE: u64 = 1_000_000;

/// Most warm instances per deployment by default: each may hold up to its memory limit while idle.
pub const CEILING_WARM_INSTANCES: u64 = 64;

/// At least one call runs at a time, or none ever would.
pub const MIN_CONCURRENT_CALLS: u64 = 1;
/// Most calls of one deployment running at once by default: each may grow an instance to the memory
/// limit, so this times the memory ceiling bounds what one project takes of a worker.
pub const CEILING_CONCURRENT_CALLS: u64 = 64;

/// Most calls of one deployment waiting by default: waiting calls hold their requests' memory, and a
/// longer queue only delays the answer to retry later.
pub const CEILING_QUEUED_CALLS: u64 = 1024;

/// Most outbound requests per call by default: a call that needs more is crawling, not wrapping an API.
pub const CEILING_EGRESS_REQUESTS_PER_CALL: u64 = 10_000;
/// Most response bytes per call by default: the guest holds what it reads in its memory (4 GiB at most).
pub const CEILING_EGRESS_BYTES_IN_PER_CALL: u64 = 1024 * 1024 * 1024;
/// Most request bytes per call by default.
pub const CEILING_EGRESS_BYTES_OUT_PER_CALL: u64 = 256 * 1024 * 1024;
/// Shortest time limit of an outbound request: a TLS handshake across a continent takes a few hundred
/// milliseconds.
pub const MIN_EGRESS_TIMEOUT_MS: u64 = 100;

/// A project sends at least one request a second, or its clients could not even connect.
pub const MIN_REQUESTS_PER_SECOND: u64 = 1;
/// Most requests per second by default: about what one edge on a small machine serves in all, so a
/// project raised this far can still not take more than the whole edge.
pub const CEILING_REQUESTS_PER_SECOND: u64 = 100_000;

/// One numeric limit a project sets: its name in the API (`limits.<name>`), what it is, and its floor.
#[derive(Clone, Copy, Debug)]
pub struct LimitField {
    /// The field's name in `limits` (camelCase, as the API and `berth up --limit-*` spell it).
    pub name: &'static str,
    /// What it bounds, for messages and forms.
    pub what: &'static str,
    /// The unit its value is in.
    pub unit: &'static str,
    /// The least value accepted.
    pub min: u64,
    get: fn(&Limits) -> u64,
    set: fn(&mut Limits, u64),
}

impl LimitField {
    pub fn get(&self, limits: &Limits) -> u64 {
        (self.get)(limits)
    }

    pub fn set(&self, limits: &mut Limits, value: u64) {
        (self.set)(limits, value)
    }

    /// The field named `name` in the API.
    pub fn named(name: &str) -> Option<&'static LimitField> {
        LIMIT_FIELDS.iter().find(|f| f.name == name)
    }
}

fn usize_of(v: u64) -> usize {
    usize::try_from(v).unwrap_or(usize::MAX)
}

/// Every numeric limit a project may set.
pub static LIMIT_FIELDS: &[LimitField] = &[
    LimitField {
        name: "timeoutMs",
        what: "time limit per call",
        unit: "ms",
        min: MIN_TIMEOUT_MS,
        get: |l| l.timeout_ms,
        set: |l, v| l.timeout_ms = v,
    },
    LimitField {
        name: "memoryMib",
        what: "memory per instance",
        unit: "MiB",
        min: MIN_MEMORY_MIB,
        get: |l| l.memory_mib,
        set: |l, v| l.memory_mib = v,
    },
    LimitField {
        name: "maxResponseBytes",
        what: "response size",
        unit: "bytes",
        min: MIN_RESPONSE_BYTES,
        get: |l| l.max_response_bytes,
        set: |l, v| l.max_response_bytes = v,
    },
    LimitField {
        name: "maxRequestsPerInstance",
        what: "calls per instance before it is recycled",
        unit: "calls",
        min: MIN_REQUESTS_PER_INSTANCE,
        get: |l| l.max_requests_per_instance,
        set: |l, v| l.max_requests_per_instance = v,
    },
    LimitField {
        name: "maxWarmInstances",
        what: "warm instances kept",
        unit: "instances",
        min: 0,
        get: |l| l.max_warm_instances as u64,
        set: |l, v| l.max_warm_instances = usize_of(v),
    },
    LimitField {
        name: "maxConcurrentCalls",
        what: "calls running at once",
        unit: "calls",
        min: MIN_CONCURRENT_CALLS,
        get: |l| l.max_concurrent_calls as u64,
        set: |l, v| l.max_concurrent_calls = usize_of(v),
    },
    LimitField {
        name: "maxQueuedCalls",
        what: "calls waiting to run",
        unit: "calls",
        min: 0,
        get: |l| l.max_queued_calls as u64,
        set: |l, v| l.max_queued_calls = usize_of(v),
    },
    LimitField {
        name: "egressRequestsPerCall",
        what: "outbound HTTP requests per call",
        unit: "requests",
        min: 0,
        get: |l| l.egress_requests_per_call,
        set: |l, v| l.egress_requests_per_call = v,
    },
    LimitField {
        name: "egressBytesInPerCall",
        what: "outbound response bytes per call",
        unit: "bytes",
        min: 0,
        get: |l| l.egress_bytes_in_per_call,
        set: |l, v| l.egress_bytes_in_per_call = v,
    },
    LimitField {
        name: "egressBytesOutPerCall",
        what: "outbound request bytes per call",
        unit: "bytes",
        min: 0,
        get: |l| l.egress_bytes_out_per_call,
        set: |l, v| l.egress_bytes_out_per_call = v,
    },
    LimitField {
        name: "egressTimeoutMs",
        what: "time limit per outbound request",
        unit: "ms",
        min: MIN_EGRESS_TIMEOUT_MS,
        get: |l| l.egress_timeout_ms,
        set: |l, v| l.egress_timeout_ms = v,
    },
    LimitField {
        name: "requestsPerSecond",
        what: "MCP requests per second",
        unit: "requests",
        min: MIN_REQUESTS_PER_SECOND,
        get: |l| l.requests_per_second,
        set: |l, v| l.requests_per_second = v,
    },
];

/// What projects may ask for on this Berth: the limits new projects start with, and the most each
/// may be raised to. `fresh_instance_per_call` in `ceilings` means nothing (a project may always ask
/// for stricter isolation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LimitPolicy {
    defaults: Limits,
    ceilings: Limits,
}

impl Default for LimitPolicy {
    fn default() -> Self {
        Self {
            defaults: Limits::default(),
            ceilings: Limits {
                timeout_ms: CEILING_TIMEOUT_MS,
                memory_mib: CEILING_MEMORY_MIB,
                max_response_bytes: CEILING_RESPONSE_BYTES,
                max_requests_per_instance: CEILING_REQUESTS_PER_INSTANCE,
                max_warm_instances: usize_of(CEILING_WARM_INSTANCES),
                fresh_instance_per_call: false,
                max_concurrent_calls: usize_of(CEILING_CONCURRENT_CALLS),
                max_queued_calls: usize_of(CEILING_QUEUED_CALLS),
                egress_requests_per_call: CEILING_EGRESS_REQUESTS_PER_CALL,
                egress_bytes_in_per_call: CEILING_EGRESS_BYTES_IN_PER_CALL,
                egress_bytes_out_per_call: CEILING_EGRESS_BYTES_OUT_PER_CALL,
                egress_timeout_ms: CEILING_TIMEOUT_MS,
                requests_per_second: CEILING_REQUESTS_PER_SECOND,
            },
        }
    }
}

impl LimitPolicy {
    /// The operator's policy: `defaults` for new projects, `ceilings` for the most any project may set.
    /// Refused, saying which, when a ceiling is under its floor or a default outside its bounds.
    pub fn new(defaults: Limits, ceilings: Limits) -> Result<Self, String> {
        for f in LIMIT_FIELDS {
            let (ceiling, default) = (f.get(&ceilings), f.get(&defaults));
            if ceiling < f.min {
                return Err(format!(
                    "the ceiling of `{}` ({}) is {ceiling} {}, below the least that works, {}",
                    f.name, f.what, f.unit, f.min
                ));
            }
            if !(f.min..=ceiling).contains(&default) {
                return Err(format!(
                    "the default of `{}` ({}) is {default} {}; it must be from {} to the ceiling, {ceiling}",
                    f.name, f.what, f.unit, f.min
                ));
            }
        }
        Ok(Self { defaults, ceilings })
    }

    /// The limits a new project starts with.
    pub fn defaults(&self) -> &Limits {
        &self.defaults
    }

    /// The most each limit may be set to.
    pub fn ceilings(&self) -> &Limits {
        &self.ceilings
    }

    /// The bounds of one field: its floor and the operator's ceiling.
    pub fn bounds(&self, field: &LimitField) -> (u64, u64) {
        (field.min, field.get(&self.ceilings))
    }

    /// Whether a project may set these limits; if not, a message naming the first field out of bounds,
    /// its bounds and the operator's ceiling.
    pub fn check(&self, limits: &Limits) -> Result<(), String> {
        for f in LIMIT_FIELDS {
            let (value, (min, max)) = (f.get(limits), self.bounds(f));
            if value > max {
                return Err(format!(
                    "`limits.{}` ({}) is {value} {}, above this Berth's ceiling of {max} (set by its operator); use {min} to {max}",
                    f.name, f.what, f.unit
                ));
            }
            if value < min {
                return Err(format!(
                    "`limits.{}` ({}) is {value} {}, below the least that works, {min}; use {min} to {max}",
                    f.name, f.what, f.unit
                ));
            }
        }
        Ok(())
    }

    /// The limits brought within the ceilings (for a project whose limits were set under higher
    /// ceilings than the operator's current ones).
    pub fn clamp(&self, limits: &Limits) -> Limits {
        let mut out = limits.clone();
        for f in LIMIT_FIELDS {
            let (min, max) = self.bounds(f);
            f.set(&mut out, f.get(limits).clamp(min, max));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_within_the_default_ceilings() {
        let policy = LimitPolicy::default();
        assert_eq!(
            LimitPolicy::new(policy.defaults().clone(), policy.ceilings().clone()),
            Ok(policy.clone())
        );
        assert_eq!(policy.check(policy.defaults()), Ok(()));
        assert_eq!(policy.check(policy.ceilings()), Ok(()));
        assert_eq!(LIMIT_FIELDS.len(), 12);
    }

    /// A limit added to [`Limits`] without bounds here would let a tenant set it to anything.
    #[test]
    fn every_numeric_limit_has_bounds() {
        let json = serde_json::to_value(Limits::default()).unwrap();
        let numeric: Vec<&str> = json
            .as_object()
            .unwrap()
            .iter()
            .filter(|(_, v)| v.is_number())
            .map(|(k, _)| k.as_str())
            .collect();
        for name in &numeric {
            assert!(
                LimitField::named(name).is_some(),
                "`{name}` has no floor and ceiling in LIMIT_FIELDS"
            );
        }
        assert_eq!(numeric.len(), LIMIT_FIELDS.len());
    }

    #[test]
    fn every_field_is_bounded_above_and_below() {
        let policy = LimitPolicy::default();
        for f in LIMIT_FIELDS {
            let (min, max) = policy.bounds(f);
            let mut over = policy.defaults().clone();
            f.set(&mut over, max + 1);
            let err = policy.check(&over).unwrap_err();
            assert!(
                err.contains(f.name) && err.contains(&format!("ceiling of {max}")),
                "{err}"
            );
            assert_eq!(f.get(&policy.clamp(&over)), max);
            if min > 0 {
                let mut under = policy.defaults().clone();
                f.set(&mut under, min - 1);
                let err = policy.check(&under).unwrap_err();
                assert!(err.contains(f.name) && err.contains("below"), "{err}");
            }
        }
    }

    #[test]
    fn an_operator_policy_is_checked() {
        let mut ceilings = LimitPolicy::default().ceilings().clone();
        ceilings.memory_mib = 128;
        let err = LimitPolicy::new(Limits::default(), ceilings.clone()).unwrap_err();
        assert!(err.contains("memoryMib") && err.contains("256"), "{err}");
        let defaults = Limits {
            memory_mib: 64,
            ..Limits::default()
        };
        let policy = LimitPolicy::new(defaults, ceilings.clone()).unwrap();
        assert!(policy.check(&Limits::default()).is_err());
        ceilings.max_concurrent_calls = 0;
        assert!(LimitPolicy::new(Limits::default(), ceilings).is_err());
    }
}
