//! Runtime logs' values: what a deployment did, as events a project's author reads back (the REST API,
//! `berth logs --runtime`, the dashboard's Logs page), and the filter those readers apply.
//!
//! An event is one MCP request the edge answered, one message the guest logged (`ctx.info` and friends),
//! one line it printed to stdout or stderr, one outbound HTTP request it made (egress), or Berth's own
//! note about the log (events dropped). Events are made by the edge and the sandbox's callbacks, bounded
//! and redacted by `berth-runlog`, and stored by `berth-store`; nothing here does I/O.

use crate::LogLevel;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// One thing a deployment did.
#[derive(Clone, Debug, PartialEq)]
pub struct RuntimeEvent {
    /// Increases with every event a Berth records: the cursor readers page and follow by.
    pub seq: i64,
    /// When it happened, unix milliseconds.
    pub at_ms: i64,
    pub project_id: String,
    pub deployment_id: String,
    /// A request's is `info` when it succeeded, `warning` for a tool's error result and `error` for a
    /// protocol error; a guest's log message keeps its own; printed lines are `info`.
    pub level: LogLevel,
    /// The tool, prompt or resource the event belongs to (a request's target, or the call that logged
    /// or printed it), when there is one.
    pub tool: Option<String>,
    pub kind: EventKind,
}

/// How a request ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Ok,
    /// The tool ran and returned an error result (`isError: true`).
    ToolError,
    /// The request was answered with a JSON-RPC error.
    ProtocolError,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::ToolError => "tool error",
            Outcome::ProtocolError => "protocol error",
        }
    }
}

/// What an event says, by kind. Serialized (tagged by `kind`) as the stored detail and the API's fields.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventKind {
    /// One MCP request to the project's URL.
    #[serde(rename_all = "camelCase")]
    Request {
        method: String,
        /// From the request's arrival to its reply (for a streamed call, to the call's end).
        duration_us: u64,
        outcome: Outcome,
        /// The JSON-RPC error code of a protocol error.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error_code: Option<i64>,
        /// The error's message (a protocol error's, or a tool error result's first text).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
        /// The client's name from `initialize` (`clientInfo.name`), when it gave one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client: Option<String>,
        /// The 2025-era session (`Mcp-Session-Id`), when there is one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        session: Option<String>,
    },
    /// A message the guest logged through the host's `log` import (`ctx.info`, `ctx.debug`, ...).
    Log {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        logger: Option<String>,
        message: String,
    },
    /// One line the guest printed. The sandbox captures stdout and stderr as one stream, interleaved as
    /// a terminal shows them (Python's `logging` writes to stderr, `print` to stdout).
    Output { line: String },
    /// One outbound HTTP request the guest made: never its headers or bodies.
    #[serde(rename_all = "camelCase")]
    Egress {
        method: String,
        host: String,
        /// The response's status; `None` when there was no response (refused, failed, timed out).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<u16>,
        bytes_out: u64,
        bytes_in: u64,
        duration_us: u64,
        /// Why it failed or was refused, when it did.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// Berth's own note about the log: events dropped, a line cut.
    Note { message: String },
}

impl EventKind {
    /// An egress request as the sandbox reported it ([`crate::CallHooks::egress`]).
    pub fn egress(e: &crate::EgressEvent) -> EventKind {
        let host = match e.port {
            80 | 443 => e.host.clone(),
            port => format!("{}:{port}", e.host),
        };
        let (status, error) = match &e.outcome {
            crate::EgressOutcome::Answered(s) => (Some(*s), None),
            crate::EgressOutcome::Refused(why) => (None, Some(format!("refused: {why}"))),
            crate::EgressOutcome::Failed(why) => (None, Some(format!("failed: {why}"))),
        };
        EventKind::Egress {
            method: e.method.clone(),
            host,
            status,
            bytes_out: e.bytes_out,
            bytes_in: e.bytes_in,
            duration_us: u64::try_from(e.duration.as_micros()).unwrap_or(u64::MAX),
            error,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            EventKind::Request { .. } => "request",
            EventKind::Log { .. } => "log",
            EventKind::Output { .. } => "output",
            EventKind::Egress { .. } => "egress",
            EventKind::Note { .. } => "note",
        }
    }
}

impl RuntimeEvent {
    /// Whether "errors only" shows it: a request that did not succeed, a log message at `error` or
    /// above, an egress request that failed or got a 4xx/5xx.
    pub fn is_error(&self) -> bool {
        match &self.kind {
            EventKind::Request { outcome, .. } => *outcome != Outcome::Ok,
            EventKind::Log { .. } => self.level >= LogLevel::Error,
            EventKind::Egress { status, error, .. } => {
                error.is_some() || status.is_none_or(|s| s >= 400)
            }
            EventKind::Output { .. } | EventKind::Note { .. } => false,
        }
    }

    /// One line for a person: what the CLI prints after the time and level.
    pub fn text(&self) -> String {
        match &self.kind {
            EventKind::Request {
                method,
                duration_us,
                outcome,
                error_code,
                error,
                client,
                ..
            } => {
                let mut s = method.clone();
                if let Some(t) = &self.tool {
                    s.push(' ');
                    s.push_str(t);
                }
                s.push_str(&format!(" {} {}", duration(*duration_us), outcome.as_str()));
                if let Some(c) = error_code {
                    s.push_str(&format!(" {c}"));
                }
                if let Some(e) = error {
                    s.push_str(&format!(": {e}"));
                }
                if let Some(c) = client {
                    s.push_str(&format!(" (client {c})"));
                }
                s
            }
            EventKind::Log { logger, message } => match logger {
                Some(l) => format!("[{l}] {message}"),
                None => message.clone(),
            },
            EventKind::Output { line } => format!("output: {line}"),
            EventKind::Egress {
                method,
                host,
                status,
                bytes_out,
                bytes_in,
                duration_us,
                error,
            } => {
                let status = status.map_or("-".to_string(), |s| s.to_string());
                let mut s = format!(
                    "egress {method} {host} {status} {bytes_out}B out {bytes_in}B in {}",
                    duration(*duration_us)
                );
                if let Some(e) = error {
                    s.push_str(&format!(": {e}"));
                }
                s
            }
            EventKind::Note { message } => message.clone(),
        }
    }

    /// The event as the REST API and the live stream show it.
    pub fn to_json(&self) -> Value {
        let mut v = serde_json::to_value(&self.kind).unwrap_or_else(|_| json!({}));
        if let Value::Object(m) = &mut v {
            m.insert("seq".into(), json!(self.seq));
            m.insert("time".into(), json!(self.at_ms));
            m.insert("deployment".into(), json!(self.deployment_id));
            m.insert("level".into(), json!(self.level.as_str()));
            m.insert("tool".into(), json!(self.tool));
            m.insert("isError".into(), json!(self.is_error()));
            m.insert("text".into(), json!(self.text()));
        }
        v
    }

    /// The event's kind-specific fields as stored (the `detail` column).
    pub fn detail_json(&self) -> String {
        serde_json::to_string(&self.kind).unwrap_or_else(|_| "{}".into())
    }
}

fn duration(us: u64) -> String {
    if us < 10_000 {
        format!("{:.1}ms", us as f64 / 1000.0)
    } else if us < 10_000_000 {
        format!("{}ms", us / 1000)
    } else {
        format!("{:.1}s", us as f64 / 1_000_000.0)
    }
}

/// Most events one read returns; ask again after the last `seq` for more.
pub const MAX_EVENTS_PER_READ: usize = 1000;

/// Events one read returns when it does not say.
pub const DEFAULT_EVENTS_PER_READ: usize = 200;

/// What a reader asks for, within one project (the caller scopes reads to a project it may see).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogFilter {
    /// Only this deployment's events.
    pub deployment_id: Option<String>,
    /// Only events at this level or above.
    pub min_level: Option<LogLevel>,
    /// Only events of this tool (prompt, resource).
    pub tool: Option<String>,
    pub errors_only: bool,
    /// Only events at or after this time (unix ms).
    pub since_ms: Option<i64>,
    /// Only events after this cursor (a `seq`), oldest first; without it, the newest `limit` events.
    pub after_seq: Option<i64>,
    /// At most this many (capped at [`MAX_EVENTS_PER_READ`]).
    pub limit: usize,
}

impl Default for LogFilter {
    fn default() -> Self {
        Self {
            deployment_id: None,
            min_level: None,
            tool: None,
            errors_only: false,
            since_ms: None,
            after_seq: None,
            limit: DEFAULT_EVENTS_PER_READ,
        }
    }
}

impl LogFilter {
    /// Whether the event passes every condition but the cursor and the limit.
    pub fn matches(&self, e: &RuntimeEvent) -> bool {
        self.deployment_id
            .as_ref()
            .is_none_or(|d| *d == e.deployment_id)
            && self.min_level.is_none_or(|l| e.level >= l)
            && self
                .tool
                .as_ref()
                .is_none_or(|t| e.tool.as_deref() == Some(t.as_str()))
            && (!self.errors_only || e.is_error())
            && self.since_ms.is_none_or(|s| e.at_ms >= s)
    }

    /// The limit, between 1 and [`MAX_EVENTS_PER_READ`].
    pub fn capped_limit(&self) -> usize {
        self.limit.clamp(1, MAX_EVENTS_PER_READ)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(level: LogLevel, tool: Option<&str>, kind: EventKind) -> RuntimeEvent {
        RuntimeEvent {
            seq: 7,
            at_ms: 1_000,
            project_id: "p-1".into(),
            deployment_id: "d-1".into(),
            level,
            tool: tool.map(str::to_string),
            kind,
        }
    }

    fn request(outcome: Outcome) -> EventKind {
        EventKind::Request {
            method: "tools/call".into(),
            duration_us: 1500,
            outcome,
            error_code: (outcome == Outcome::ProtocolError).then_some(-32602),
            error: None,
            client: Some("claude".into()),
            session: None,
        }
    }

    #[test]
    fn filters_by_level_tool_errors_deployment_and_time() {
        let ok = event(LogLevel::Info, Some("add"), request(Outcome::Ok));
        let failed = event(LogLevel::Warning, Some("add"), request(Outcome::ToolError));
        let debug = event(
            LogLevel::Debug,
            Some("mul"),
            EventKind::Log {
                logger: None,
                message: "x".into(),
            },
        );
        let error_log = event(
            LogLevel::Error,
            None,
            EventKind::Log {
                logger: None,
                message: "boom".into(),
            },
        );
        let all = [&ok, &failed, &debug, &error_log];
        let pass = |f: &LogFilter| -> Vec<usize> {
            all.iter()
                .enumerate()
                .filter(|(_, e)| f.matches(e))
                .map(|(i, _)| i)
                .collect()
        };
        let cases: [(LogFilter, Vec<usize>); 7] = [
            (LogFilter::default(), vec![0, 1, 2, 3]),
            (
                LogFilter {
                    min_level: Some(LogLevel::Warning),
                    ..Default::default()
                },
                vec![1, 3],
            ),
            (
                LogFilter {
                    tool: Some("add".into()),
                    ..Default::default()
                },
                vec![0, 1],
            ),
            (
                LogFilter {
                    errors_only: true,
                    ..Default::default()
                },
                vec![1, 3],
            ),
            (
                LogFilter {
                    deployment_id: Some("d-2".into()),
                    ..Default::default()
                },
                vec![],
            ),
            (
                LogFilter {
                    since_ms: Some(1_001),
                    ..Default::default()
                },
                vec![],
            ),
            (
                LogFilter {
                    tool: Some("mul".into()),
                    min_level: Some(LogLevel::Info),
                    ..Default::default()
                },
                vec![],
            ),
        ];
        for (filter, expected) in cases {
            assert_eq!(pass(&filter), expected, "{filter:?}");
        }
        let limit = |n| LogFilter {
            limit: n,
            ..Default::default()
        };
        assert_eq!(limit(0).capped_limit(), 1);
        assert_eq!(limit(usize::MAX).capped_limit(), MAX_EVENTS_PER_READ);
    }

    #[test]
    fn egress_errors_and_json_shape() {
        let egress = |status, error: Option<&str>| {
            event(
                LogLevel::Info,
                None,
                EventKind::Egress {
                    method: "GET".into(),
                    host: "api.example.com".into(),
                    status,
                    bytes_out: 0,
                    bytes_in: 10,
                    duration_us: 3000,
                    error: error.map(str::to_string),
                },
            )
        };
        assert!(!egress(Some(200), None).is_error());
        assert!(egress(Some(503), None).is_error());
        assert!(egress(None, Some("not allowed")).is_error());
        let v = egress(Some(200), None).to_json();
        assert_eq!(v["kind"], "egress");
        assert_eq!(v["durationUs"], 3000);
        assert_eq!(v["status"], 200);
        let r = event(
            LogLevel::Error,
            Some("add"),
            request(Outcome::ProtocolError),
        )
        .to_json();
        assert_eq!(r["outcome"], "protocol_error");
        assert_eq!(r["errorCode"], -32602);
        assert_eq!(r["isError"], true);
        assert_eq!(
            r["text"],
            "tools/call add 1.5ms protocol error -32602 (client claude)"
        );
        let kind: EventKind =
            serde_json::from_str(&event(LogLevel::Info, None, request(Outcome::Ok)).detail_json())
                .unwrap();
        assert_eq!(kind, request(Outcome::Ok));
    }
}
