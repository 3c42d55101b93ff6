//! Running outside programs and reading what they print.

use std::process::Command;

use anyhow::{Context, Result, bail};

/// Runs a command with no stdin and returns its stdout, failing with its stderr unless it
/// exits 0.
pub fn run_ok(cmd: &mut Command) -> Result<String> {
    let output = cmd
        .stdin(std::process::Stdio::null())
        .output()
        .with_context(|| format!("running {cmd:?}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        bail!(
            "{cmd:?} failed ({}):\n{stdout}{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(stdout)
}

/// Like [`run_ok`], and parses the last non-empty line of stdout as JSON.
pub fn run_json(cmd: &mut Command) -> Result<serde_json::Value> {
    let stdout = run_ok(cmd)?;
    let line = stdout
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .with_context(|| format!("{cmd:?} printed nothing"))?;
    serde_json::from_str(line).with_context(|| format!("{cmd:?} printed no JSON:\n{stdout}"))
}
