//! `berth up --memory-limit`: the bounds on what tenants' traffic may make Berth keep in memory
//! (key-value state, sessions and their replay buffers, tasks, log messages, build logs). Each has a
//! default with its reason next to its constant; this flag overrides them.

use anyhow::Context;
use berth_control::BuildLogLimits;
use berth_edge::EdgeConfig;

#[derive(clap::Args, Debug, Clone, Default)]
pub struct MemoryArgs {
    /// Overrides a memory bound, as `<bound>=<value>`, repeated or comma-separated, e.g.
    /// `kvMaxTotalBytes=52428800,sessionsPerProject=200`. Bounds: kvMaxKeyBytes, kvMaxValueBytes,
    /// kvMaxTotalBytes, kvMaxKeys (per project), sessionsPerProject, sessions, sessionEventBytes,
    /// sessionSubscriptions, subscriptionUriBytes, tasksPerProject, logEventBytes, logBytesPerCall, pendingPerSession, pending, buildLogLines,
    /// buildLogBytes, buildLogLineBytes. Those not named keep their defaults (README, "Limits").
    #[arg(
        long = "memory-limit",
        env = "BERTH_MEMORY_LIMITS",
        value_delimiter = ','
    )]
    pub bounds: Vec<String>,
}

/// Where each bound lives.
enum Slot {
    Edge(fn(&mut EdgeConfig) -> &mut usize),
    BuildLog(fn(&mut BuildLogLimits) -> &mut usize),
}

const BOUNDS: &[(&str, Slot)] = &[
    ("kvMaxKeyBytes", Slot::Edge(|c| &mut c.kv.max_key_bytes)),
    ("kvMaxValueBytes", Slot::Edge(|c| &mut c.kv.max_value_bytes)),
    ("kvMaxTotalBytes", Slot::Edge(|c| &mut c.kv.max_total_bytes)),
    ("kvMaxKeys", Slot::Edge(|c| &mut c.kv.max_keys)),
    (
        "sessionsPerProject",
        Slot::Edge(|c| &mut c.sessions.per_project),
    ),
    ("sessions", Slot::Edge(|c| &mut c.sessions.total)),
    (
        "sessionEventBytes",
        Slot::Edge(|c| &mut c.sessions.event_bytes),
    ),
    (
        "sessionSubscriptions",
        Slot::Edge(|c| &mut c.sessions.subscriptions),
    ),
    (
        "subscriptionUriBytes",
        Slot::Edge(|c| &mut c.sessions.subscription_uri_bytes),
    ),
    (
        "tasksPerProject",
        Slot::Edge(|c| &mut c.max_tasks_per_project),
    ),
    ("logEventBytes", Slot::Edge(|c| &mut c.max_log_event_bytes)),
    (
        "logBytesPerCall",
        Slot::Edge(|c| &mut c.max_log_bytes_per_call),
    ),
    (
        "pendingPerSession",
        Slot::Edge(|c| &mut c.max_pending_per_session),
    ),
    ("pending", Slot::Edge(|c| &mut c.max_pending)),
    ("buildLogLines", Slot::BuildLog(|l| &mut l.lines)),
    ("buildLogBytes", Slot::BuildLog(|l| &mut l.bytes)),
    ("buildLogLineBytes", Slot::BuildLog(|l| &mut l.line_bytes)),
];

impl MemoryArgs {
    /// Applies the flags to the edge's settings and the build log's bounds; an error names the part of
    /// the flag that is wrong.
    pub fn apply(
        &self,
        edge: &mut EdgeConfig,
        build_log: &mut BuildLogLimits,
    ) -> anyhow::Result<()> {
        let flag = "--memory-limit";
        for (setting, name, value) in crate::limit_args::named_settings(
            &self.bounds,
            flag,
            "<bound>=<value>, e.g. kvMaxKeys=20000",
        )? {
            let (_, slot) = BOUNDS.iter().find(|(n, _)| *n == name).with_context(|| {
                let names: Vec<&str> = BOUNDS.iter().map(|(n, _)| *n).collect();
                format!(
                    "{flag} {setting}: `{name}` is not a memory bound; the bounds are {}",
                    names.join(", ")
                )
            })?;
            let value: usize = value.parse().ok().filter(|v| *v > 0).with_context(|| {
                format!("{flag} {setting}: the value is a whole number above 0")
            })?;
            match slot {
                Slot::Edge(field) => *field(edge) = value,
                Slot::BuildLog(field) => *field(build_log) = value,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(bounds: &[&str]) -> anyhow::Result<(EdgeConfig, BuildLogLimits)> {
        let args = MemoryArgs {
            bounds: bounds.iter().map(|s| s.to_string()).collect(),
        };
        let (mut edge, mut log) = (EdgeConfig::default(), BuildLogLimits::default());
        args.apply(&mut edge, &mut log)?;
        Ok((edge, log))
    }

    #[test]
    fn bounds_are_set_by_name_and_mistakes_are_named() {
        let (edge, log) = apply(&["kvMaxKeys=7", " sessions = 9", "buildLogLines=5"]).unwrap();
        assert_eq!(edge.kv.max_keys, 7);
        assert_eq!(edge.sessions.total, 9);
        assert_eq!(log.lines, 5);
        assert_eq!(
            edge.sessions.per_project,
            EdgeConfig::default().sessions.per_project
        );
        let err = apply(&["kvMaxKeyz=1"]).unwrap_err().to_string();
        assert!(err.contains("`kvMaxKeyz` is not a memory bound"), "{err}");
        let err = apply(&["kvMaxKeys=0"]).unwrap_err().to_string();
        assert!(err.contains("above 0"), "{err}");
        let err = apply(&["kvMaxKeys"]).unwrap_err().to_string();
        assert!(err.contains("<bound>=<value>"), "{err}");
    }
}
