//! What a guest or a client sent, made into events a person may read safely: secrets' values replaced,
//! printed text split into lines, every text cut to its bound, control characters (a terminal's escape
//! sequences among them) shown as `\u{..}` escapes. Runs on the collector task, never on a request.

use crate::{Body, Pending};
use berth_core::LogLevel;
use berth_core::redact::SecretValues;
use berth_core::runlog::{EventKind, RuntimeEvent};

/// Longest log message or printed line kept; a longer one is cut with a note. A line is for a person
/// to read (a traceback line or a JSON record fits), and this bounds each event's memory and row.
pub const MAX_TEXT_BYTES: usize = 4 * 1024;

/// Longest short field kept (a method, client name, host, logger or tool name): these come from
/// clients and guests too, and are labels, not texts.
pub const MAX_LABEL_BYTES: usize = 256;

/// Lines one call's output becomes at most (its output is at most the sandbox's 64 KiB buffer, which
/// could be that many empty lines); past it one note says how many more there were.
pub const MAX_LINES_PER_OUTPUT: usize = 500;

/// `text` at most `max` bytes (on a character boundary), with a note when it was longer.
pub fn cut(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let end = text.floor_char_boundary(max);
    format!("{} [cut: {} bytes]", &text[..end], text.len())
}

/// Control characters shown as escapes (tabs kept), so a line cannot move a terminal's cursor or
/// recolour what follows.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(|c| c.is_control() && c != '\t') {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() && c != '\t' {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Redacted, printable, cut: every text an event keeps goes through this.
pub fn clean(text: &str, secrets: &SecretValues, max: usize) -> String {
    // Cut before redacting too (bounding the work), but long enough that a secret straddling the
    // final cut is replaced whole rather than left with its head showing.
    let first = text.floor_char_boundary(max.saturating_add(secrets.longest()).saturating_mul(2));
    let redacted = secrets.redact(&text[..first]);
    let shown = printable(&redacted);
    let mut out = cut(&shown, max);
    if first < text.len() && out.len() == shown.len() {
        out.push_str(&format!(" [cut: {} bytes]", text.len()));
    }
    out
}

fn label(text: &str, secrets: &SecretValues) -> String {
    clean(text, secrets, MAX_LABEL_BYTES)
}

/// The events one pending record makes (one, or a line each for printed output).
pub fn events(p: Pending, mut next_seq: impl FnMut() -> i64) -> Vec<RuntimeEvent> {
    let secrets = &p.origin.secrets;
    let event = |seq, level, kind| RuntimeEvent {
        seq,
        at_ms: p.at_ms,
        project_id: p.origin.project_id.clone(),
        deployment_id: p.origin.deployment_id.clone(),
        level,
        tool: p.tool.as_deref().map(|t| label(t, secrets)),
        kind,
    };
    match p.body {
        Body::Event(kind) => {
            let kind = clean_kind(kind, secrets);
            vec![event(next_seq(), p.level, kind)]
        }
        Body::Log { logger, message } => {
            let kind = EventKind::Log {
                logger: logger.map(|l| label(&l, secrets)),
                message: clean(&message, secrets, MAX_TEXT_BYTES),
            };
            vec![event(next_seq(), p.level, kind)]
        }
        Body::Printed(text) => {
            // Redacted whole first: a secret printed across a line break is hidden too.
            let text = secrets.redact(&text);
            let mut lines: Vec<&str> = text.split('\n').collect();
            if lines.last().is_some_and(|l| l.is_empty()) {
                lines.pop();
            }
            let more = lines.len().saturating_sub(MAX_LINES_PER_OUTPUT);
            let mut out: Vec<RuntimeEvent> = lines
                .into_iter()
                .take(MAX_LINES_PER_OUTPUT)
                .map(|line| {
                    let line = line.strip_suffix('\r').unwrap_or(line);
                    let line = cut(&printable(line), MAX_TEXT_BYTES);
                    event(next_seq(), LogLevel::Info, EventKind::Output { line })
                })
                .collect();
            if more > 0 {
                let message = format!(
                    "{more} more lines of this call's output were dropped: a call's output keeps {MAX_LINES_PER_OUTPUT} lines"
                );
                out.push(event(
                    next_seq(),
                    LogLevel::Warning,
                    EventKind::Note { message },
                ));
            }
            out
        }
    }
}

fn clean_kind(kind: EventKind, secrets: &SecretValues) -> EventKind {
    let opt_label = |s: Option<String>| s.map(|s| label(&s, secrets));
    let opt_text = |s: Option<String>| s.map(|s| clean(&s, secrets, MAX_TEXT_BYTES));
    match kind {
        EventKind::Request {
            method,
            duration_us,
            outcome,
            error_code,
            error,
            client,
            session,
        } => EventKind::Request {
            method: label(&method, secrets),
            duration_us,
            outcome,
            error_code,
            error: opt_text(error),
            client: opt_label(client),
            session: opt_label(session),
        },
        EventKind::Log { logger, message } => EventKind::Log {
            logger: opt_label(logger),
            message: clean(&message, secrets, MAX_TEXT_BYTES),
        },
        EventKind::Output { line } => EventKind::Output {
            line: clean(&line, secrets, MAX_TEXT_BYTES),
        },
        EventKind::Egress {
            method,
            host,
            status,
            bytes_out,
            bytes_in,
            duration_us,
            error,
        } => EventKind::Egress {
            method: label(&method, secrets),
            host: label(&host, secrets),
            status,
            bytes_out,
            bytes_in,
            duration_us,
            error: opt_text(error),
        },
        EventKind::Note { message } => EventKind::Note {
            message: clean(&message, secrets, MAX_TEXT_BYTES),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Origin;
    use std::sync::Arc;

    fn origin() -> Arc<Origin> {
        Arc::new(Origin {
            project_id: "p-1".into(),
            deployment_id: "d-1".into(),
            secrets: Arc::new(SecretValues::new([("API_KEY", "sk-live-0123456789")])),
        })
    }

    fn shaped(body: Body) -> Vec<RuntimeEvent> {
        let mut seq = 0;
        events(
            Pending {
                origin: origin(),
                at_ms: 5,
                level: LogLevel::Info,
                tool: Some("add".into()),
                body,
            },
            || {
                seq += 1;
                seq
            },
        )
    }

    fn texts(events: &[RuntimeEvent]) -> Vec<String> {
        events.iter().map(RuntimeEvent::text).collect()
    }

    #[test]
    fn output_becomes_one_event_per_line_without_secrets() {
        let out = shaped(Body::Printed(
            "first\r\nkey sk-live-0123456789\nsplit sk-live-01\n\x1b[31mred\n\n".into(),
        ));
        assert_eq!(
            texts(&out),
            [
                "output: first",
                "output: key [secret API_KEY]",
                "output: split sk-live-01",
                "output: \\u{1b}[31mred",
                "output: ",
            ]
        );
        assert_eq!(
            out.iter().map(|e| e.seq).collect::<Vec<_>>(),
            [1, 2, 3, 4, 5]
        );
        assert!(out.iter().all(|e| e.tool.as_deref() == Some("add")));
    }

    #[test]
    fn floods_and_long_texts_are_bounded() {
        let out = shaped(Body::Printed("\n".repeat(10_000)));
        assert_eq!(out.len(), MAX_LINES_PER_OUTPUT + 1);
        assert!(out.last().unwrap().text().contains("9500 more lines"));
        let long = format!("{}sk-live-0123456789", "é".repeat(MAX_TEXT_BYTES));
        let out = shaped(Body::Log {
            logger: Some("x".repeat(10_000)),
            message: long.clone(),
        });
        let EventKind::Log { logger, message } = &out[0].kind else {
            panic!("{out:?}")
        };
        assert!(logger.as_ref().unwrap().len() < MAX_LABEL_BYTES + 40);
        assert!(message.len() < MAX_TEXT_BYTES + 40, "{}", message.len());
        assert!(
            message.ends_with(" bytes]") && message.contains(" [cut: "),
            "{message}"
        );
        assert!(!message.contains("sk-live"));
        // A secret that straddles the cut is not left half shown.
        let straddle = format!("{}sk-live-0123456789", "a".repeat(MAX_TEXT_BYTES - 4));
        let out = shaped(Body::Log {
            logger: None,
            message: straddle,
        });
        assert!(!out[0].text().contains("sk-l"), "{}", out[0].text());
    }

    #[test]
    fn request_errors_and_egress_are_redacted() {
        let out = shaped(Body::Event(EventKind::Request {
            method: "tools/call".into(),
            duration_us: 1,
            outcome: berth_core::runlog::Outcome::ProtocolError,
            error_code: Some(-32602),
            error: Some("bad key sk-live-0123456789".into()),
            client: Some("cli\u{7}ent".into()),
            session: None,
        }));
        let text = out[0].text();
        assert!(text.contains("bad key [secret API_KEY]"), "{text}");
        assert!(text.contains("cli\\u{7}ent"), "{text}");
    }
}
