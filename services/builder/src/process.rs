//! Runs a build tool as a child process with a time limit, streaming its output to the build log.

use crate::{BuildError, LogFn};
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Longest output line kept; the rest of a longer line is dropped (a tool printing megabytes without a
/// newline must not grow the builder's memory).
pub const MAX_LINE_BYTES: usize = 4096;

/// Output lines kept for the failure summary (the last ones win); all lines still stream to the log.
pub const MAX_KEPT_LINES: usize = 2000;

/// Reads `stream` line by line, cutting lines at `MAX_LINE_BYTES`.
fn read_lines(stream: impl Read, tx: mpsc::Sender<String>) {
    let mut reader = BufReader::new(stream);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let mut cut = false;
        loop {
            let chunk = match reader.fill_buf() {
                Ok(c) => c,
                Err(_) => return,
            };
            if chunk.is_empty() {
                if buf.is_empty() && !cut {
                    return;
                }
                break;
            }
            let (take, done) = match chunk.iter().position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (chunk.len(), false),
            };
            let room = MAX_LINE_BYTES.saturating_sub(buf.len());
            let content = &chunk[..take];
            if content.len() > room {
                buf.extend_from_slice(&content[..room]);
                cut = true;
            } else {
                buf.extend_from_slice(content);
            }
            reader.consume(take);
            if done {
                break;
            }
        }
        while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            buf.pop();
        }
        let mut line = String::from_utf8_lossy(&buf).into_owned();
        if cut {
            line.push_str(" [line cut]");
        }
        if tx.send(line).is_err() {
            return;
        }
    }
}

/// Runs `cmd` (a [`crate::confine::Jail`] command: a session and process group of its own), sends
/// each line of its output through `filter` to `log`, and returns the last `MAX_KEPT_LINES` output
/// lines. Fails with a platform error if the tool cannot start, and kills its whole process group
/// after `timeout`.
pub fn run(
    mut cmd: Command,
    timeout: Duration,
    log: LogFn<'_>,
    filter: &dyn Fn(&str) -> Option<String>,
) -> Result<(bool, Vec<String>), BuildError> {
    let program = cmd.get_program().to_string_lossy().into_owned();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| BuildError::Platform(format!("cannot run {program}: {e}")))?;
    let group = rustix::process::Pid::from_child(&child);
    let kill_group = || {
        let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
    };
    let (tx, rx) = mpsc::channel::<String>();
    let readers: Vec<_> = [
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    ]
    .into_iter()
    .flatten()
    .map(|stream| {
        let tx = tx.clone();
        std::thread::spawn(move || read_lines(stream, tx))
    })
    .collect();
    drop(tx);
    let deadline = Instant::now() + timeout;
    let mut lines = std::collections::VecDeque::new();
    loop {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(line) => {
                if let Some(shown) = filter(&line) {
                    log(&shown);
                }
                if lines.len() == MAX_KEPT_LINES {
                    lines.pop_front();
                }
                lines.push_back(line);
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        if Instant::now() > deadline {
            kill_group();
            let _ = child.kill();
            let _ = child.wait();
            return Err(BuildError::Project(format!(
                "a build step ran longer than {} s and was stopped",
                timeout.as_secs()
            )));
        }
    }
    for r in readers {
        let _ = r.join();
    }
    let status = child
        .wait()
        .map_err(|e| BuildError::Platform(format!("{program}: {e}")))?;
    // Anything the step left running in its group goes with it.
    kill_group();
    Ok((status.success(), lines.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_cut_and_short_ones_kept() {
        let mut text = vec![b'x'; MAX_LINE_BYTES * 3];
        text.extend_from_slice(b"\nshort\r\nlast");
        let (tx, rx) = mpsc::channel();
        read_lines(&text[..], tx);
        let got: Vec<String> = rx.into_iter().collect();
        assert_eq!(
            got.len(),
            3,
            "{:?}",
            got.iter().map(|l| l.len()).collect::<Vec<_>>()
        );
        assert_eq!(got[0].len(), MAX_LINE_BYTES + " [line cut]".len());
        assert_eq!(got[1..], ["short".to_string(), "last".to_string()]);
    }
}
