//! Runs a build tool as a child process with a time limit, streaming its output to the build log.

use crate::confine::Step;
use crate::{BuildError, LogFn};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::Stdio;
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

/// How often a running step's folder is measured against its disk limit.
const DISK_CHECK_EVERY: Duration = Duration::from_millis(500);

/// Bytes under `dir` as the disk limit counts them: every file and folder (symlinks not followed) at
/// its allocated size, and at least 4 KiB. An explicit stack, not recursion: a build may nest folders
/// deeper than a thread's stack.
pub fn folder_bytes(dir: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let mut total = 0u64;
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&next) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else {
                continue;
            };
            total = total.saturating_add((meta.blocks() * 512).max(4096));
            if meta.is_dir() {
                pending.push(entry.path());
            }
        }
    }
    total
}

/// Runs `step` (a [`crate::confine::Jail`] command: a session and process group of its own), sends
/// each line of its output through `filter` to `log`, and returns the last `MAX_KEPT_LINES` output
/// lines. Fails with a platform error if the tool cannot start, and kills its whole process group
/// after `timeout` or once the build's folder holds more than its disk limit.
pub fn run(
    step: Step,
    timeout: Duration,
    log: LogFn<'_>,
    filter: &dyn Fn(&str) -> Option<String>,
) -> Result<(bool, Vec<String>), BuildError> {
    let Step {
        mut cmd,
        cgroup,
        folder,
        limits,
    } = step;
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
    let mut disk_checked = Instant::now();
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
        // Why the step must stop now, if it must: past its deadline, or its build's folder too large.
        let over = if Instant::now() > deadline {
            Some(format!(
                "a build step ran longer than {} s and was stopped",
                timeout.as_secs()
            ))
        } else if disk_checked.elapsed() >= DISK_CHECK_EVERY {
            disk_checked = Instant::now();
            (folder_bytes(&folder) > limits.disk_bytes).then(|| {
                format!(
                    "the build wrote more than {} MB and was stopped (the build's disk limit)",
                    limits.disk_bytes >> 20
                )
            })
        } else {
            None
        };
        if let Some(message) = over {
            kill_group();
            let _ = child.kill();
            let _ = child.wait();
            return Err(BuildError::Project(message));
        }
    }
    for r in readers {
        let _ = r.join();
    }
    let status = child
        .wait()
        .map_err(|e| BuildError::Platform(format!("{program}: {e}")))?;
    // Anything the step left running in its group goes with it (and its cgroup, when dropped).
    kill_group();
    if let Some(refused) = cgroup
        .as_ref()
        .map(|c| c.refused_forks())
        .filter(|n| *n > 0)
    {
        log(&format!(
            "the build step reached its limit of {} processes: {refused} fork(s) refused",
            limits.processes
        ));
    }
    drop(cgroup);
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

    use crate::confine::{BuildLimits, Confinement, Jail, Mount};
    use crate::pids::{self, ProcessCap};

    /// What [`run`] returns.
    type Outcome = Result<(bool, Vec<String>), BuildError>;

    /// Runs `script` with `sh` in an unconfined step (the limits do not depend on namespaces) whose
    /// folder is a fresh temporary one; the result and the build log.
    fn run_script(limits: BuildLimits, script: &str) -> (Outcome, Vec<String>) {
        let dir = tempfile::tempdir().unwrap();
        let confinement = Confinement::unconfined().unwrap();
        let jail = Jail {
            confinement: &confinement,
            limits: &limits,
            mounts: vec![Mount::rw(dir.path(), "/build")],
            tool_roots: Vec::new(),
        };
        let step = jail
            .command(std::path::Path::new("/bin/sh"), ["-c", script], &[], false)
            .unwrap();
        let log = std::sync::Mutex::new(Vec::new());
        let result = run(
            step,
            Duration::from_secs(120),
            &|l| log.lock().unwrap().push(l.to_string()),
            &|l| Some(l.to_string()),
        );
        (result, log.into_inner().unwrap())
    }

    /// Processes of this machine whose command line contains `needle`.
    fn running(needle: &str) -> usize {
        std::fs::read_dir("/proc")
            .unwrap()
            .filter_map(Result::ok)
            .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
            .filter(|c| {
                String::from_utf8_lossy(c)
                    .replace('\0', " ")
                    .contains(needle)
            })
            .count()
    }

    #[test]
    fn a_fork_bomb_in_a_step_stops_at_its_process_limit() {
        assert!(
            !matches!(pids::cap(), ProcessCap::Unavailable(_)),
            "this machine must cap build processes: {:?}",
            pids::cap()
        );
        let limits = BuildLimits {
            processes: 24,
            ..BuildLimits::default()
        };
        // 200 sleepers, each a process; only the cap can stop the loop early.
        let (result, log) = run_script(
            limits,
            "i=0; while [ $i -lt 200 ]; do sleep 6061 >/dev/null 2>&1 & i=$((i+1)); done; echo all-started",
        );
        let (ok, lines) = result.unwrap();
        assert!(!ok, "the loop must fail at the cap: {lines:?}");
        assert!(!lines.iter().any(|l| l == "all-started"), "{lines:?}");
        if matches!(pids::cap(), ProcessCap::Cgroup(_)) {
            assert!(
                log.iter()
                    .any(|l| l.contains("reached its limit of 24 processes")),
                "{log:?}"
            );
        }
        assert_eq!(running("sleep 6061"), 0, "the step's processes outlive it");
    }

    #[test]
    fn a_step_that_fills_its_folder_is_stopped_at_the_disk_limit() {
        let limits = BuildLimits {
            disk_bytes: 8 << 20,
            ..BuildLimits::default()
        };
        // Writes 1 MiB files without end: only the disk limit (or the 120 s deadline) stops it.
        let (result, _) = run_script(
            limits,
            "i=0; while :; do head -c 1048576 /dev/zero > f$i; i=$((i+1)); done",
        );
        let err = result.unwrap_err().to_string();
        assert!(err.contains("wrote more than 8 MB"), "{err}");
    }

    #[test]
    fn folder_bytes_counts_nested_files_and_empty_ones() {
        let dir = tempfile::tempdir().unwrap();
        let deep = dir.path().join("a/b/c");
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::write(deep.join("data"), vec![1u8; 100_000]).unwrap();
        for i in 0..10 {
            std::fs::write(dir.path().join(format!("empty{i}")), b"").unwrap();
        }
        let bytes = folder_bytes(dir.path());
        // 100 kB of data, three folders and ten empty files at 4 KiB each at least.
        assert!(bytes >= 100_000 + 13 * 4096, "{bytes}");
        assert!(bytes < 1 << 20, "{bytes}");
    }
}
