//! The edge's Prometheus metrics, registered on the registry the binary hands in.

use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry};
use std::time::Duration;

/// Methods counted by name; anything else is counted as `other`, so clients cannot grow the label set.
const KNOWN_METHODS: [&str; 17] = [
    "initialize",
    "server/discover",
    "ping",
    "tools/list",
    "tools/call",
    "resources/list",
    "resources/templates/list",
    "resources/read",
    "resources/subscribe",
    "resources/unsubscribe",
    "prompts/list",
    "prompts/get",
    "completion/complete",
    "logging/setLevel",
    "notification",
    "response",
    "stream",
];

/// The `project` label of requests for a project that is not deployed here. Counting them under the name
/// in the URL would let anyone create a new series (and grow `/metrics` without end) with one request.
pub const UNKNOWN_PROJECT: &str = "(unknown)";

/// The `project` label for a request to `/<project>/mcp`: the slug when it is deployed here, else
/// [`UNKNOWN_PROJECT`].
pub fn project_label<'a>(routes: &crate::routes::RouteTable, project: &'a str) -> &'a str {
    if routes.contains(project) {
        project
    } else {
        UNKNOWN_PROJECT
    }
}

/// Told of every outbound HTTP request of a guest, with the project's id (the dashboard's figures).
pub type EgressObserver = std::sync::Arc<dyn Fn(&str, &berth_core::EgressEvent) + Send + Sync>;

pub struct Metrics {
    requests: IntCounterVec,
    latency: HistogramVec,
    tool_calls: IntCounterVec,
    egress_requests: IntCounterVec,
    egress_bytes: IntCounterVec,
    egress_observer: Option<EgressObserver>,
}

/// How a request ended, for the `outcome` label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// A JSON-RPC error or a tool result with `isError`.
    Error,
    /// Refused before dispatch: bad host, size, envelope, headers, unknown project or session.
    Rejected,
    /// Refused for the project's request rate (429).
    Limited,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Error => "error",
            Outcome::Rejected => "rejected",
            Outcome::Limited => "limited",
        }
    }
}

impl Metrics {
    /// Registers the edge's metrics. Registering twice on one registry fails, so each edge gets its own
    /// (or a fresh registry); a failure leaves the metrics unregistered rather than stopping the edge.
    pub fn new(registry: Option<&Registry>, egress_observer: Option<EgressObserver>) -> Self {
        let requests = IntCounterVec::new(
            Opts::new(
                "berth_edge_requests_total",
                "MCP requests by project, method and outcome",
            ),
            &["project", "method", "outcome"],
        )
        .expect("static metric definition");
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "berth_edge_request_duration_seconds",
                "Time to answer an MCP request (to the first byte of a stream)",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                10.0, 30.0,
            ]),
            &["method"],
        )
        .expect("static metric definition");
        let tool_calls = IntCounterVec::new(
            Opts::new(
                "berth_edge_tool_calls_total",
                "Tool calls by project and tool",
            ),
            &["project", "tool"],
        )
        .expect("static metric definition");
        let egress_requests = IntCounterVec::new(
            Opts::new(
                "berth_egress_requests_total",
                "Guests' outbound HTTP requests by project and outcome (answered, refused, failed)",
            ),
            &["project", "outcome"],
        )
        .expect("static metric definition");
        let egress_bytes = IntCounterVec::new(
            Opts::new(
                "berth_egress_bytes_total",
                "Body bytes of guests' outbound HTTP by project and direction (out, in)",
            ),
            &["project", "direction"],
        )
        .expect("static metric definition");
        if let Some(r) = registry {
            for m in [
                Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
                Box::new(latency.clone()),
                Box::new(tool_calls.clone()),
                Box::new(egress_requests.clone()),
                Box::new(egress_bytes.clone()),
            ] {
                if let Err(e) = r.register(m) {
                    tracing::warn!("edge metrics not registered: {e}");
                }
            }
        }
        Self {
            requests,
            latency,
            tool_calls,
            egress_requests,
            egress_bytes,
            egress_observer,
        }
    }

    pub fn request(&self, project: &str, method: &str, outcome: Outcome, elapsed: Duration) {
        let method = label(method);
        self.requests
            .with_label_values(&[project, method, outcome.as_str()])
            .inc();
        self.latency
            .with_label_values(&[method])
            .observe(elapsed.as_secs_f64());
    }

    pub fn tool_call(&self, project: &str, tool: &str) {
        self.tool_calls.with_label_values(&[project, tool]).inc();
    }

    /// One outbound HTTP request of a guest of `project` (a deployed project: only routes call guests;
    /// `project_id` is its id, for the observer).
    pub fn egress(&self, project: &str, project_id: &str, event: &berth_core::EgressEvent) {
        if let Some(observe) = &self.egress_observer {
            observe(project_id, event);
        }
        use berth_core::EgressOutcome;
        let outcome = match event.outcome {
            EgressOutcome::Answered(_) => "answered",
            EgressOutcome::Refused(_) => "refused",
            EgressOutcome::Failed(_) => "failed",
        };
        self.egress_requests
            .with_label_values(&[project, outcome])
            .inc();
        for (direction, bytes) in [("out", event.bytes_out), ("in", event.bytes_in)] {
            self.egress_bytes
                .with_label_values(&[project, direction])
                .inc_by(bytes);
        }
    }
}

fn label(method: &str) -> &'static str {
    KNOWN_METHODS
        .iter()
        .find(|m| **m == method)
        .copied()
        .unwrap_or("other")
}
