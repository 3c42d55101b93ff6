//! The newest events of each deployment, in memory: what readers see at once (before and besides the
//! database), bounded per deployment and in all.

use berth_core::runlog::{EventKind, LogFilter, RuntimeEvent};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

/// Bounds on what the rings hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RingLimits {
    /// Events one deployment's ring keeps.
    pub events: usize,
    /// Bytes (estimated) one deployment's ring keeps.
    pub bytes: usize,
    /// Bytes all rings keep together; past it the ring written to least recently goes.
    pub total_bytes: usize,
}

/// What one event costs a ring besides its texts: the struct, its `Arc`, the deque's slot.
const EVENT_OVERHEAD_BYTES: usize = 160;

/// An estimate of the memory one event holds.
pub fn event_bytes(e: &RuntimeEvent) -> usize {
    let opt = |s: &Option<String>| s.as_ref().map_or(0, String::len);
    let kind = match &e.kind {
        EventKind::Request {
            method,
            error,
            client,
            session,
            ..
        } => method.len() + opt(error) + opt(client) + opt(session),
        EventKind::Log { logger, message } => opt(logger) + message.len(),
        EventKind::Output { line } => line.len(),
        EventKind::Egress {
            method,
            host,
            error,
            ..
        } => method.len() + host.len() + opt(error),
        EventKind::Note { message } => message.len(),
    };
    EVENT_OVERHEAD_BYTES + e.project_id.len() + e.deployment_id.len() + opt(&e.tool) + kind
}

struct Ring {
    project_id: String,
    events: VecDeque<Arc<RuntimeEvent>>,
    bytes: usize,
    /// When it was last written to, in pushes: the least recent goes first when all are too big.
    touched: u64,
}

/// Every deployment's ring.
pub struct Rings {
    limits: RingLimits,
    by_deployment: HashMap<String, Ring>,
    total_bytes: usize,
    pushes: u64,
}

impl Rings {
    pub fn new(limits: RingLimits) -> Self {
        Self {
            limits,
            by_deployment: HashMap::new(),
            total_bytes: 0,
            pushes: 0,
        }
    }

    pub fn push(&mut self, event: Arc<RuntimeEvent>) {
        let size = event_bytes(&event);
        if size > self.limits.bytes || size > self.limits.total_bytes {
            return;
        }
        self.pushes += 1;
        let ring = self
            .by_deployment
            .entry(event.deployment_id.clone())
            .or_insert_with(|| Ring {
                project_id: event.project_id.clone(),
                events: VecDeque::new(),
                bytes: 0,
                touched: 0,
            });
        ring.touched = self.pushes;
        while !ring.events.is_empty()
            && (ring.events.len() >= self.limits.events || ring.bytes + size > self.limits.bytes)
        {
            if let Some(old) = ring.events.pop_front() {
                let freed = event_bytes(&old);
                ring.bytes -= freed;
                self.total_bytes -= freed;
            }
        }
        ring.bytes += size;
        self.total_bytes += size;
        ring.events.push_back(event);
        while self.total_bytes > self.limits.total_bytes {
            // The ring written to least recently: its events are in the database too.
            let Some(victim) = self
                .by_deployment
                .iter()
                .min_by_key(|(_, r)| r.touched)
                .map(|(d, _)| d.clone())
            else {
                break;
            };
            if let Some(r) = self.by_deployment.remove(&victim) {
                self.total_bytes -= r.bytes;
            }
        }
    }

    /// The project's events that pass `filter`: after its cursor, the oldest `limit`; without, the
    /// newest `limit`. In `seq` order.
    pub fn query(&self, project_id: &str, filter: &LogFilter) -> Vec<Arc<RuntimeEvent>> {
        let mut found: Vec<Arc<RuntimeEvent>> = self
            .by_deployment
            .iter()
            .filter(|(d, r)| {
                r.project_id == project_id && filter.deployment_id.as_ref().is_none_or(|f| f == *d)
            })
            .flat_map(|(_, r)| r.events.iter())
            .filter(|e| filter.after_seq.is_none_or(|a| e.seq > a) && filter.matches(e))
            .cloned()
            .collect();
        found.sort_by_key(|e| e.seq);
        window(found, filter)
    }

    /// Bytes all rings hold (estimated).
    pub fn total_bytes(&self) -> usize {
        self.total_bytes
    }

    /// Events a deployment's ring holds.
    pub fn len_of(&self, deployment_id: &str) -> usize {
        self.by_deployment
            .get(deployment_id)
            .map_or(0, |r| r.events.len())
    }
}

/// Of events in `seq` order: after a cursor the first `limit`, else the last `limit`.
pub fn window<T>(mut events: Vec<T>, filter: &LogFilter) -> Vec<T> {
    let limit = filter.capped_limit();
    if events.len() > limit {
        if filter.after_seq.is_some() {
            events.truncate(limit);
        } else {
            events.drain(..events.len() - limit);
        }
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;
    use berth_core::LogLevel;

    fn event(seq: i64, deployment: &str, project: &str, text: &str) -> Arc<RuntimeEvent> {
        Arc::new(RuntimeEvent {
            seq,
            at_ms: seq,
            project_id: project.into(),
            deployment_id: deployment.into(),
            level: if seq % 2 == 0 {
                LogLevel::Info
            } else {
                LogLevel::Error
            },
            tool: Some(if seq % 3 == 0 { "add" } else { "mul" }.into()),
            kind: EventKind::Log {
                logger: None,
                message: text.into(),
            },
        })
    }

    fn seqs(events: &[Arc<RuntimeEvent>]) -> Vec<i64> {
        events.iter().map(|e| e.seq).collect()
    }

    const ROOMY: RingLimits = RingLimits {
        events: 5,
        bytes: 1 << 20,
        total_bytes: 1 << 20,
    };

    #[test]
    fn a_ring_keeps_its_newest_events_and_pages_by_cursor() {
        let mut rings = Rings::new(ROOMY);
        for seq in 1..=8 {
            rings.push(event(seq, "d-1", "p-1", "x"));
        }
        assert_eq!(rings.len_of("d-1"), 5, "the oldest went");
        let all = LogFilter::default();
        assert_eq!(seqs(&rings.query("p-1", &all)), [4, 5, 6, 7, 8]);
        let tail = LogFilter {
            limit: 2,
            ..Default::default()
        };
        assert_eq!(
            seqs(&rings.query("p-1", &tail)),
            [7, 8],
            "newest without a cursor"
        );
        let page = LogFilter {
            limit: 2,
            after_seq: Some(4),
            ..Default::default()
        };
        assert_eq!(
            seqs(&rings.query("p-1", &page)),
            [5, 6],
            "oldest after a cursor"
        );
        let errors = LogFilter {
            errors_only: true,
            ..Default::default()
        };
        assert_eq!(seqs(&rings.query("p-1", &errors)), [5, 7]);
        let tool = LogFilter {
            tool: Some("add".into()),
            ..Default::default()
        };
        assert_eq!(seqs(&rings.query("p-1", &tool)), [6]);
    }

    #[test]
    fn projects_never_see_each_others_events() {
        let mut rings = Rings::new(ROOMY);
        rings.push(event(1, "d-1", "p-1", "mine"));
        rings.push(event(2, "d-2", "p-2", "theirs"));
        rings.push(event(3, "d-3", "p-1", "mine too"));
        assert_eq!(seqs(&rings.query("p-1", &LogFilter::default())), [1, 3]);
        assert_eq!(seqs(&rings.query("p-2", &LogFilter::default())), [2]);
        assert!(rings.query("p-3", &LogFilter::default()).is_empty());
        let d3 = LogFilter {
            deployment_id: Some("d-3".into()),
            ..Default::default()
        };
        assert_eq!(seqs(&rings.query("p-1", &d3)), [3]);
        // Another project's deployment id names nothing of this one.
        let d2 = LogFilter {
            deployment_id: Some("d-2".into()),
            ..Default::default()
        };
        assert!(rings.query("p-1", &d2).is_empty());
    }

    #[test]
    fn memory_is_bounded_per_ring_and_in_all() {
        let one = event_bytes(&event(1, "d-0", "p-1", &"x".repeat(1000)));
        let limits = RingLimits {
            events: 1000,
            bytes: one * 3,
            total_bytes: one * 7,
        };
        let mut rings = Rings::new(limits);
        for seq in 0..100 {
            let d = format!("d-{}", seq % 4);
            rings.push(event(seq, &d, "p-1", &"x".repeat(1000)));
            assert!(rings.total_bytes() <= limits.total_bytes);
            assert!(rings.len_of(&d) <= 3);
        }
        // The ring written to most recently survives.
        assert!(rings.len_of("d-3") > 0);
        // An event larger than a ring is not kept at all.
        rings.push(event(1000, "d-9", "p-1", &"x".repeat(one * 4)));
        assert_eq!(rings.len_of("d-9"), 0);
    }
}
