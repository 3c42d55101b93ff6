//! Per-project time series of calls, kept in memory: a ring of per-minute buckets per project (a day's
//! worth), each with a call count, an error count, a latency histogram, counts per tool and the guests'
//! outbound HTTP. The binary feeds it from the edge's upstream and its egress observer; the metrics
//! page reads windows of it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Minutes kept per project: one day, the longest window the metrics page shows.
pub const MINUTES_KEPT: usize = 24 * 60;

/// Upper bounds (in milliseconds) of the latency histogram's buckets; a last, open bucket catches the
/// rest. The spread follows the edge's Prometheus histogram: warm calls take well under a millisecond,
/// cold Python starts tens of milliseconds, stuck calls end at the timeout (30 s by default).
pub const LATENCY_BOUNDS_MS: [f64; 15] = [
    0.5, 1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0, 10000.0,
    30000.0,
];

/// Distinct tool names counted per minute; more than this are counted as `(other)`, so a client cannot
/// grow the map without bound by calling made-up tools.
const MAX_TOOLS_PER_MINUTE: usize = 64;

/// Receives one finished call. Implemented by [`Recorder`]; the binary calls it around every invocation.
pub trait CallRecorder: Send + Sync + 'static {
    /// `project_id` is the project's id, `tool` the tool's name for tool calls (`None` for resource
    /// reads, prompts and completions), `ok` false when the call failed or returned `isError`.
    fn record(&self, project_id: &str, tool: Option<&str>, ok: bool, elapsed: Duration);
}

/// Guests' outbound HTTP requests: how many, how many the policy refused or failed, and body bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EgressCounts {
    pub requests: u64,
    pub refused: u64,
    pub failed: u64,
    pub bytes_out: u64,
    pub bytes_in: u64,
}

impl EgressCounts {
    fn add(&mut self, other: &EgressCounts) {
        self.requests += other.requests;
        self.refused += other.refused;
        self.failed += other.failed;
        self.bytes_out += other.bytes_out;
        self.bytes_in += other.bytes_in;
    }
}

#[derive(Clone, Debug, Default)]
struct Minute {
    /// Minutes since the unix epoch this bucket holds; buckets of older minutes are stale.
    minute: u64,
    calls: u64,
    errors: u64,
    latency: [u64; LATENCY_BOUNDS_MS.len() + 1],
    tools: HashMap<String, u64>,
    egress: EgressCounts,
}

#[derive(Default)]
struct Series {
    ring: Vec<Minute>,
}

impl Series {
    fn slot(&mut self, minute: u64) -> &mut Minute {
        if self.ring.is_empty() {
            self.ring = vec![Minute::default(); MINUTES_KEPT];
        }
        let slot = &mut self.ring[(minute % MINUTES_KEPT as u64) as usize];
        if slot.minute != minute {
            *slot = Minute {
                minute,
                ..Minute::default()
            };
        }
        slot
    }
}

/// The in-memory recorder. Cheap to clone; clones share the data.
#[derive(Clone, Default)]
pub struct Recorder {
    projects: Arc<Mutex<HashMap<String, Series>>>,
}

/// A window of calls, in equal steps, oldest first.
#[derive(Clone, Debug, PartialEq)]
pub struct Window {
    /// Start of each step, unix minutes.
    pub starts: Vec<u64>,
    pub calls: Vec<u64>,
    pub errors: Vec<u64>,
    /// Median and 95th percentile latency per step, in milliseconds (`None` for a step without calls).
    pub p50: Vec<Option<f64>>,
    pub p95: Vec<Option<f64>>,
    /// Calls per tool over the whole window, most called first.
    pub tools: Vec<(String, u64)>,
    pub total_calls: u64,
    pub total_errors: u64,
    pub total_p50: Option<f64>,
    pub total_p95: Option<f64>,
    /// The guests' outbound HTTP over the whole window.
    pub egress: EgressCounts,
}

impl Recorder {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Series>> {
        self.projects.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records a call that ended at unix minute `minute` (for tests; [`CallRecorder::record`] uses now).
    pub fn record_at(
        &self,
        minute: u64,
        project_id: &str,
        tool: Option<&str>,
        ok: bool,
        elapsed: Duration,
    ) {
        let mut projects = self.lock();
        let slot = projects
            .entry(project_id.to_string())
            .or_default()
            .slot(minute);
        slot.calls += 1;
        if !ok {
            slot.errors += 1;
        }
        let ms = elapsed.as_secs_f64() * 1000.0;
        let bucket = LATENCY_BOUNDS_MS
            .iter()
            .position(|b| ms <= *b)
            .unwrap_or(LATENCY_BOUNDS_MS.len());
        slot.latency[bucket] += 1;
        if let Some(tool) = tool {
            let name = if slot.tools.len() < MAX_TOOLS_PER_MINUTE || slot.tools.contains_key(tool) {
                tool
            } else {
                "(other)"
            };
            *slot.tools.entry(name.to_string()).or_default() += 1;
        }
    }

    /// Records one outbound HTTP request of a guest of `project_id` at unix minute `minute`.
    pub fn egress_at(&self, minute: u64, project_id: &str, event: &berth_core::EgressEvent) {
        use berth_core::EgressOutcome;
        let mut projects = self.lock();
        let slot = &mut projects
            .entry(project_id.to_string())
            .or_default()
            .slot(minute)
            .egress;
        slot.requests += 1;
        match event.outcome {
            EgressOutcome::Answered(_) => {}
            EgressOutcome::Refused(_) => slot.refused += 1,
            EgressOutcome::Failed(_) => slot.failed += 1,
        }
        slot.bytes_out += event.bytes_out;
        slot.bytes_in += event.bytes_in;
    }

    /// Records one outbound HTTP request of a guest of `project_id`, now.
    pub fn egress(&self, project_id: &str, event: &berth_core::EgressEvent) {
        self.egress_at(now_minute(), project_id, event);
    }

    /// Forgets a project's series (when the project is deleted).
    pub fn forget(&self, project_id: &str) {
        self.lock().remove(project_id);
    }

    /// The `minutes` up to and including unix minute `now`, in steps of `step` minutes.
    pub fn window(&self, project_id: &str, now: u64, minutes: u64, step: u64) -> Window {
        let step = step.max(1);
        let minutes = minutes.clamp(step, MINUTES_KEPT as u64);
        let steps = minutes.div_ceil(step);
        let first = now + 1 - steps * step;
        let mut w = Window {
            starts: (0..steps).map(|i| first + i * step).collect(),
            calls: vec![0; steps as usize],
            errors: vec![0; steps as usize],
            p50: Vec::new(),
            p95: Vec::new(),
            tools: Vec::new(),
            total_calls: 0,
            total_errors: 0,
            total_p50: None,
            total_p95: None,
            egress: EgressCounts::default(),
        };
        let mut histograms = vec![[0u64; LATENCY_BOUNDS_MS.len() + 1]; steps as usize];
        let mut total = [0u64; LATENCY_BOUNDS_MS.len() + 1];
        let mut tools: HashMap<String, u64> = HashMap::new();
        if let Some(series) = self.lock().get(project_id) {
            for m in series
                .ring
                .iter()
                .filter(|m| m.minute >= first && m.minute <= now)
            {
                let i = ((m.minute - first) / step) as usize;
                w.calls[i] += m.calls;
                w.errors[i] += m.errors;
                for (b, n) in m.latency.iter().enumerate() {
                    histograms[i][b] += n;
                    total[b] += n;
                }
                for (tool, n) in &m.tools {
                    *tools.entry(tool.clone()).or_default() += n;
                }
                w.egress.add(&m.egress);
            }
        }
        w.p50 = histograms.iter().map(|h| quantile(h, 0.5)).collect();
        w.p95 = histograms.iter().map(|h| quantile(h, 0.95)).collect();
        w.total_calls = w.calls.iter().sum();
        w.total_errors = w.errors.iter().sum();
        w.total_p50 = quantile(&total, 0.5);
        w.total_p95 = quantile(&total, 0.95);
        w.tools = tools.into_iter().collect();
        w.tools
            .sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        w
    }
}

impl CallRecorder for Recorder {
    fn record(&self, project_id: &str, tool: Option<&str>, ok: bool, elapsed: Duration) {
        self.record_at(now_minute(), project_id, tool, ok, elapsed);
    }
}

/// The current unix minute.
pub fn now_minute() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 60)
}

/// The `q` quantile of a histogram, as the upper bound of the bucket it falls in (the open last bucket
/// reports the largest bound). `None` when the histogram is empty.
fn quantile(histogram: &[u64], q: f64) -> Option<f64> {
    let total: u64 = histogram.iter().sum();
    if total == 0 {
        return None;
    }
    let rank = ((total as f64) * q).ceil().max(1.0) as u64;
    let mut seen = 0;
    for (i, n) in histogram.iter().enumerate() {
        seen += n;
        if seen >= rank {
            return Some(LATENCY_BOUNDS_MS[i.min(LATENCY_BOUNDS_MS.len() - 1)]);
        }
    }
    LATENCY_BOUNDS_MS.last().copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn windows_sum_calls_errors_and_tools_per_step() {
        let r = Recorder::new();
        let now = 1_000_000;
        for _ in 0..3 {
            r.record_at(now, "p1", Some("add"), true, MS(2));
        }
        r.record_at(now - 1, "p1", Some("echo"), false, MS(40));
        r.record_at(now - 61, "p1", Some("add"), true, MS(1)); // outside the hour
        r.record_at(now, "p2", Some("add"), true, MS(1)); // another project
        let w = r.window("p1", now, 60, 1);
        assert_eq!(w.calls.len(), 60);
        assert_eq!(w.starts[59], now);
        assert_eq!(w.calls[59], 3);
        assert_eq!((w.calls[58], w.errors[58]), (1, 1));
        assert_eq!((w.total_calls, w.total_errors), (4, 1));
        assert_eq!(
            w.tools,
            vec![("add".to_string(), 3), ("echo".to_string(), 1)]
        );
        assert_eq!(w.p50[59], Some(2.5));
        assert_eq!(w.p95[58], Some(50.0));
        assert_eq!(w.p50[0], None);
        let day = r.window("p1", now, 24 * 60, 60);
        assert_eq!(day.calls.len(), 24);
        assert_eq!(day.total_calls, 5);
    }

    #[test]
    fn outbound_requests_are_counted_per_window() {
        use berth_core::{EgressEvent, EgressOutcome};
        let event = |outcome, bytes_in| EgressEvent {
            method: "GET".into(),
            host: "api.example.com".into(),
            port: 443,
            outcome,
            bytes_out: 10,
            bytes_in,
            duration: MS(3),
        };
        let r = Recorder::new();
        let now = 1_000_000;
        r.egress_at(now, "p", &event(EgressOutcome::Answered(200), 500));
        r.egress_at(
            now,
            "p",
            &event(EgressOutcome::Refused("not allowed".into()), 0),
        );
        r.egress_at(
            now - 1,
            "p",
            &event(EgressOutcome::Failed("timed out".into()), 0),
        );
        r.egress_at(now - 60, "p", &event(EgressOutcome::Answered(200), 7)); // outside the hour
        r.egress_at(now, "q", &event(EgressOutcome::Answered(200), 9)); // another project
        let w = r.window("p", now, 60, 1);
        assert_eq!(
            w.egress,
            EgressCounts {
                requests: 3,
                refused: 1,
                failed: 1,
                bytes_out: 30,
                bytes_in: 500,
            }
        );
        assert_eq!(w.total_calls, 0, "outbound requests are not calls");
        assert_eq!(r.window("p", now, 24 * 60, 30).egress.requests, 4);
    }

    #[test]
    fn quantiles_come_from_the_histogram() {
        let r = Recorder::new();
        for i in 0..100 {
            r.record_at(10, "p", None, true, MS(if i < 90 { 1 } else { 400 }));
        }
        let w = r.window("p", 10, 1, 1);
        assert_eq!(w.total_p50, Some(1.0));
        assert_eq!(w.total_p95, Some(500.0));
        assert!(w.tools.is_empty());
    }

    #[test]
    fn old_minutes_are_overwritten_and_tool_names_capped() {
        let r = Recorder::new();
        r.record_at(5, "p", Some("a"), true, MS(1));
        r.record_at(5 + MINUTES_KEPT as u64, "p", Some("b"), true, MS(1));
        let w = r.window("p", 5 + MINUTES_KEPT as u64, 60, 1);
        assert_eq!(w.tools, vec![("b".to_string(), 1)]);
        for i in 0..(MAX_TOOLS_PER_MINUTE + 10) {
            r.record_at(7, "q", Some(&format!("t{i}")), true, MS(1));
        }
        let w = r.window("q", 7, 1, 1);
        assert_eq!(w.tools.len(), MAX_TOOLS_PER_MINUTE + 1);
        assert_eq!(w.tools[0], ("(other)".to_string(), 10));
        r.forget("q");
        assert_eq!(r.window("q", 7, 1, 1).total_calls, 0);
    }
}
