//! Runs a build tool as a child process with a time limit, streaming its output to the build log.

use crate::{BuildError, LogFn};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Runs `cmd`, sends each line of its output through `filter` to `log`, and returns all output lines.
/// Fails with a platform error if the tool cannot start, and kills it after `timeout`.
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
    let (tx, rx) = mpsc::channel::<String>();
    let readers: Vec<_> = [
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
    ]
    .into_iter()
    .flatten()
    .map(|stream| {
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        })
    })
    .collect();
    drop(tx);
    let deadline = Instant::now() + timeout;
    let mut lines = Vec::new();
    loop {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(line) => {
                if let Some(shown) = filter(&line) {
                    log(&shown);
                }
                lines.push(line);
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(BuildError::Project(format!(
                "{program} ran longer than {} s and was stopped",
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
    Ok((status.success(), lines))
}
