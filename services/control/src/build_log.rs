//! The bound on one build's log: a build runs the user's requirements and code (pip, componentize-py, the
//! self-description), which may print without end. Each line is cut to a maximum length, and once the log
//! reaches its maximum of lines or bytes it ends with one "log truncated" line; later lines are dropped.

use crate::LogSink;
use std::sync::{Arc, Mutex};

/// Lines one build log keeps. A real build prints a few hundred (pip, componentize-py, the steps);
/// ten thousand leaves room for a verbose one while bounding what the store and followers receive.
pub const DEFAULT_MAX_BUILD_LOG_LINES: usize = 10_000;

/// Bytes one build log keeps, all lines together: a megabyte is far more than a person reads, and
/// bounds what one build adds to the database.
pub const DEFAULT_MAX_BUILD_LOG_BYTES: usize = 1024 * 1024;

/// Bytes one line keeps; a longer line is cut with a note (a traceback line or a pip message fits).
pub const DEFAULT_MAX_BUILD_LOG_LINE_BYTES: usize = 4 * 1024;

/// How much one build may log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BuildLogLimits {
    pub lines: usize,
    pub bytes: usize,
    pub line_bytes: usize,
}

impl Default for BuildLogLimits {
    fn default() -> Self {
        Self {
            lines: DEFAULT_MAX_BUILD_LOG_LINES,
            bytes: DEFAULT_MAX_BUILD_LOG_BYTES,
            line_bytes: DEFAULT_MAX_BUILD_LOG_LINE_BYTES,
        }
    }
}

#[derive(Default)]
struct Written {
    lines: usize,
    bytes: usize,
    truncated: bool,
}

/// `sink` within `limits`: lines cut to `line_bytes`, and past `lines` lines or `bytes` bytes one final
/// line saying the log was truncated, then nothing.
pub fn capped(sink: LogSink, limits: BuildLogLimits) -> LogSink {
    let written = Arc::new(Mutex::new(Written::default()));
    Arc::new(move |line: &str| {
        let mut w = written.lock().unwrap_or_else(|p| p.into_inner());
        if w.truncated {
            return;
        }
        let line = cut(line, limits.line_bytes);
        if w.lines + 1 >= limits.lines || w.bytes + line.len() > limits.bytes {
            w.truncated = true;
            sink(&format!(
                "log truncated: a build log keeps at most {} lines and {} bytes; later lines are dropped",
                limits.lines, limits.bytes
            ));
            return;
        }
        w.lines += 1;
        w.bytes += line.len();
        sink(&line);
    })
}

fn cut(line: &str, max: usize) -> std::borrow::Cow<'_, str> {
    if line.len() <= max {
        return line.into();
    }
    let mut at = max;
    while !line.is_char_boundary(at) {
        at -= 1;
    }
    format!("{} [line cut: {} bytes]", &line[..at], line.len()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recorder() -> (LogSink, Arc<Mutex<Vec<String>>>) {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink: LogSink = {
            let lines = lines.clone();
            Arc::new(move |l: &str| lines.lock().unwrap().push(l.to_string()))
        };
        (sink, lines)
    }

    #[test]
    fn a_flood_of_lines_ends_with_one_truncation_line() {
        let (sink, lines) = recorder();
        let log = capped(
            sink,
            BuildLogLimits {
                lines: 100,
                bytes: 1 << 20,
                line_bytes: 64,
            },
        );
        for i in 0..100_000 {
            log(&format!("line {i}"));
        }
        let lines = lines.lock().unwrap();
        assert_eq!(lines.len(), 100);
        assert_eq!(lines[98], "line 98");
        assert!(lines[99].starts_with("log truncated"), "{}", lines[99]);
    }

    #[test]
    fn long_lines_are_cut_and_bytes_are_bounded() {
        let (sink, lines) = recorder();
        let log = capped(
            sink,
            BuildLogLimits {
                lines: 1_000,
                bytes: 1_000,
                line_bytes: 100,
            },
        );
        for _ in 0..1_000 {
            log(&"é".repeat(10_000));
        }
        let lines = lines.lock().unwrap();
        let (last, kept) = lines.split_last().unwrap();
        assert!(last.starts_with("log truncated"), "{last}");
        assert!(kept.iter().map(String::len).sum::<usize>() <= 1_000);
        assert!(kept[0].ends_with("[line cut: 20000 bytes]"), "{}", kept[0]);
        assert!(kept[0].len() < 100 + 30);
    }
}
