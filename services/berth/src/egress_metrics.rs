//! Guests' outbound HTTP on `/metrics`, per project: requests by outcome (`answered`, `refused`,
//! `failed`) and body bytes by direction. An upstream wraps each call's hooks so that the sandbox's
//! egress reports ([`CallHooks::egress`]) are counted under the route's project; only projects that
//! are deployed ever get a series. The same reports are where a runtime log would record egress.

use berth_core::{
    CallContext, CallHooks, EgressEvent, EgressOutcome, ElicitResponse, GuestCall, GuestOutput,
    HookError, InvokeError, LogLevel, ResourceContents,
};
use berth_edge::{Route, Upstream};
use prometheus::{IntCounterVec, Opts, Registry};
use serde_json::Value;
use std::sync::Arc;

#[derive(Clone)]
pub struct EgressMetrics {
    requests: IntCounterVec,
    bytes: IntCounterVec,
}

impl EgressMetrics {
    pub fn new(registry: &Registry) -> prometheus::Result<Self> {
        let requests = IntCounterVec::new(
            Opts::new(
                "berth_egress_requests_total",
                "Guests' outbound HTTP requests by project and outcome (answered, refused, failed)",
            ),
            &["project", "outcome"],
        )?;
        let bytes = IntCounterVec::new(
            Opts::new(
                "berth_egress_bytes_total",
                "Body bytes of guests' outbound HTTP by project and direction (out, in)",
            ),
            &["project", "direction"],
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(bytes.clone()))?;
        Ok(Self { requests, bytes })
    }

    fn count(&self, project: &str, event: &EgressEvent) {
        let outcome = match event.outcome {
            EgressOutcome::Answered(_) => "answered",
            EgressOutcome::Refused(_) => "refused",
            EgressOutcome::Failed(_) => "failed",
        };
        self.requests.with_label_values(&[project, outcome]).inc();
        self.bytes
            .with_label_values(&[project, "out"])
            .inc_by(event.bytes_out);
        self.bytes
            .with_label_values(&[project, "in"])
            .inc_by(event.bytes_in);
    }
}

/// An upstream whose calls' egress is counted under their route's project.
pub struct EgressCounted {
    pub inner: Arc<dyn Upstream>,
    pub metrics: EgressMetrics,
}

#[async_trait::async_trait]
impl Upstream for EgressCounted {
    async fn invoke(
        &self,
        route: Arc<Route>,
        call: GuestCall,
        ctx: CallContext,
        hooks: Arc<dyn CallHooks>,
    ) -> Result<GuestOutput, InvokeError> {
        let counted = Arc::new(Counted {
            inner: hooks,
            project: route.slug.as_str().to_string(),
            metrics: self.metrics.clone(),
        });
        self.inner.invoke(route, call, ctx, counted).await
    }
}

/// The call's hooks, with its egress reports counted.
struct Counted {
    inner: Arc<dyn CallHooks>,
    project: String,
    metrics: EgressMetrics,
}

impl CallHooks for Counted {
    fn log(&self, level: LogLevel, logger: Option<&str>, data: Value) {
        self.inner.log(level, logger, data)
    }
    fn progress(&self, progress: f64, total: Option<f64>, message: Option<&str>) {
        self.inner.progress(progress, total, message)
    }
    fn kv_get(&self, key: &str) -> Option<String> {
        self.inner.kv_get(key)
    }
    fn kv_set(&self, key: &str, value: &str) -> Result<(), String> {
        self.inner.kv_set(key, value)
    }
    fn kv_delete(&self, key: &str) {
        self.inner.kv_delete(key)
    }
    fn elicit(&self, message: &str, schema: Value) -> Result<ElicitResponse, HookError> {
        self.inner.elicit(message, schema)
    }
    fn sample(&self, params: Value) -> Result<Value, HookError> {
        self.inner.sample(params)
    }
    fn environment(&self) -> Vec<(String, String)> {
        self.inner.environment()
    }
    fn list_roots(&self) -> Result<Value, HookError> {
        self.inner.list_roots()
    }
    fn read_resource(&self, uri: &str) -> Result<Vec<ResourceContents>, String> {
        self.inner.read_resource(uri)
    }
    fn output(&self, text: &str) {
        self.inner.output(text)
    }
    fn egress(&self, event: &EgressEvent) {
        self.metrics.count(&self.project, event);
        self.inner.egress(event)
    }
}
