//! The runtime log in `berth up`: how long the database keeps it (`--log-retention`), the store the
//! runtime log writes to (the database, through `berth-store`), and what it lost, on `/metrics`.

use berth_core::runlog::{LogFilter, RuntimeEvent};
use berth_runlog::{LogStore, RuntimeLogConfig, RuntimeLogs};
use berth_store::Store;
use prometheus::IntCounter;
use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use std::sync::Arc;
use std::time::Duration;

#[derive(clap::Args, Clone, Debug)]
pub struct RuntimeLogArgs {
    /// How long deployments' runtime logs (requests, what guests logged and printed, egress) are kept
    /// in the database, e.g. `7d`, `12h`, `30m`; older events are deleted.
    #[arg(long, env = "BERTH_LOG_RETENTION", default_value = "7d", value_parser = parse_retention)]
    pub log_retention: Duration,
}

/// A duration as `<n>s`, `<n>m`, `<n>h` or `<n>d`, at least a minute.
pub fn parse_retention(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("`{s}` needs a unit: s, m, h or d (e.g. 7d)"))?;
    let (n, unit) = s.split_at(split);
    let n: u64 = n
        .parse()
        .map_err(|_| format!("`{s}` is not a number followed by s, m, h or d"))?;
    let secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("`{unit}` is not a unit: use s, m, h or d")),
    };
    let d = Duration::from_secs(
        n.checked_mul(secs)
            .ok_or_else(|| format!("`{s}` is too long"))?,
    );
    if d < Duration::from_secs(60) {
        return Err("keep runtime logs at least a minute (`1m`)".into());
    }
    Ok(d)
}

/// The database behind the runtime log.
pub struct StoredLogs(pub Store);

#[async_trait::async_trait]
impl LogStore for StoredLogs {
    async fn append(&self, events: &[Arc<RuntimeEvent>]) -> Result<(), String> {
        self.0
            .append_runtime_events(events)
            .await
            .map_err(|e| e.to_string())
    }

    async fn query(
        &self,
        project_id: &str,
        filter: &LogFilter,
    ) -> Result<Vec<RuntimeEvent>, String> {
        self.0
            .runtime_events(project_id, filter)
            .await
            .map_err(|e| e.to_string())
    }

    async fn prune(&self, before_ms: i64) -> Result<u64, String> {
        self.0
            .prune_runtime_events(before_ms)
            .await
            .map_err(|e| e.to_string())
    }
}

/// What the runtime log lost, on `/metrics`, read from it at scrape time: records dropped because the
/// collector was behind (the request path never waits for it), and events the database did not get.
pub struct RuntimeLogMetrics {
    logs: RuntimeLogs,
    dropped: IntCounter,
    unpersisted: IntCounter,
}

impl RuntimeLogMetrics {
    pub fn new(logs: RuntimeLogs) -> prometheus::Result<Self> {
        Ok(Self {
            logs,
            dropped: IntCounter::new(
                "berth_runtime_log_dropped_total",
                "Runtime log records dropped because the log's channel was full",
            )?,
            unpersisted: IntCounter::new(
                "berth_runtime_log_unpersisted_total",
                "Runtime log events kept in memory only (the database was behind or failed)",
            )?,
        })
    }
}

impl Collector for RuntimeLogMetrics {
    fn desc(&self) -> Vec<&Desc> {
        [self.dropped.desc(), self.unpersisted.desc()].concat()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let (dropped, unpersisted) = self.logs.lost();
        // Counters only go up: add what was lost since the last scrape.
        for (counter, now) in [(&self.dropped, dropped), (&self.unpersisted, unpersisted)] {
            counter.inc_by(now.saturating_sub(counter.get()));
        }
        [self.dropped.collect(), self.unpersisted.collect()].concat()
    }
}

/// Starts the runtime log over the database.
pub fn start(args: &RuntimeLogArgs, store: &Store) -> RuntimeLogs {
    let config = RuntimeLogConfig {
        retention: args.log_retention,
        ..RuntimeLogConfig::default()
    };
    RuntimeLogs::start(config, Some(Arc::new(StoredLogs(store.clone()))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_parses_with_a_unit() {
        assert_eq!(parse_retention("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse_retention("90m"), Ok(Duration::from_secs(5400)));
        for bad in ["7", "d", "7w", "30s", "-1d", "99999999999999999999d"] {
            assert!(parse_retention(bad).is_err(), "{bad}");
        }
    }
}
