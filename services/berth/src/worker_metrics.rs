//! The worker's pool counters on `/metrics`, read from the worker at scrape time: calls, time inside
//! guests, instances made and thrown away, idle warm instances, calls moved to the guest threads,
//! calls refused as busy and calls waiting, per loaded deployment.

use berth_worker::Worker;
use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{CounterVec, IntCounterVec, IntGaugeVec, Opts};
use std::sync::Mutex;

pub struct WorkerMetrics {
    worker: Worker,
    calls: IntCounterVec,
    guest_seconds: CounterVec,
    created: IntCounterVec,
    discarded: IntCounterVec,
    idle: IntGaugeVec,
    moved: IntCounterVec,
    refused: IntCounterVec,
    queued: IntGaugeVec,
    /// One scrape at a time refills the series.
    scrape: Mutex<()>,
}

impl WorkerMetrics {
    pub fn new(worker: Worker) -> prometheus::Result<Self> {
        let opts = |name: &str, help: &str| Opts::new(name, help);
        let labels = &["deployment"];
        Ok(Self {
            worker,
            calls: IntCounterVec::new(opts("berth_worker_calls_total", "Guest calls run"), labels)?,
            guest_seconds: CounterVec::new(
                opts(
                    "berth_worker_guest_seconds_total",
                    "Time spent inside guests, from entering a call to its return",
                ),
                labels,
            )?,
            created: IntCounterVec::new(
                opts("berth_worker_instances_created_total", "Instances made"),
                labels,
            )?,
            discarded: IntCounterVec::new(
                opts(
                    "berth_worker_instances_discarded_total",
                    "Instances thrown away (trap, timeout, out of memory, recycling)",
                ),
                labels,
            )?,
            idle: IntGaugeVec::new(
                opts(
                    "berth_worker_idle_instances",
                    "Warm instances waiting for a call",
                ),
                labels,
            )?,
            moved: IntCounterVec::new(
                opts(
                    "berth_worker_calls_moved_total",
                    "Calls that computed through a whole slice and went on on the guest threads",
                ),
                labels,
            )?,
            refused: IntCounterVec::new(
                opts(
                    "berth_worker_calls_refused_busy_total",
                    "Calls refused because the deployment ran and queued all its limits allow",
                ),
                labels,
            )?,
            queued: IntGaugeVec::new(
                opts(
                    "berth_worker_queued_calls",
                    "Calls waiting for a running call of their deployment to end",
                ),
                labels,
            )?,
            scrape: Mutex::new(()),
        })
    }
}

impl Collector for WorkerMetrics {
    fn desc(&self) -> Vec<&Desc> {
        [
            self.calls.desc(),
            self.guest_seconds.desc(),
            self.created.desc(),
            self.discarded.desc(),
            self.idle.desc(),
            self.moved.desc(),
            self.refused.desc(),
            self.queued.desc(),
        ]
        .concat()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let _one = self.scrape.lock().unwrap_or_else(|p| p.into_inner());
        self.calls.reset();
        self.guest_seconds.reset();
        self.created.reset();
        self.discarded.reset();
        self.idle.reset();
        self.moved.reset();
        self.refused.reset();
        self.queued.reset();
        for (id, _, stats) in self.worker.stats() {
            let label = [id.0.as_str()];
            self.calls.with_label_values(&label).inc_by(stats.calls);
            self.guest_seconds
                .with_label_values(&label)
                .inc_by(stats.guest_time.as_secs_f64());
            self.created
                .with_label_values(&label)
                .inc_by(stats.instances_created);
            self.discarded
                .with_label_values(&label)
                .inc_by(stats.instances_discarded);
            self.idle.with_label_values(&label).set(stats.idle as i64);
            self.moved
                .with_label_values(&label)
                .inc_by(stats.moved_to_guest_threads);
            self.refused
                .with_label_values(&label)
                .inc_by(stats.refused_busy);
            self.queued
                .with_label_values(&label)
                .set(stats.queued as i64);
        }
        [
            self.calls.collect(),
            self.guest_seconds.collect(),
            self.created.collect(),
            self.discarded.collect(),
            self.idle.collect(),
            self.moved.collect(),
            self.refused.collect(),
            self.queued.collect(),
        ]
        .concat()
    }
}
