//! Runs the official MCP conformance suite against a URL and summarises its `checks.json` files.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::{Context, Result};
use serde_json::Value;

use crate::server::repo_root;
use crate::tools::{Conformance, Tools};

/// The outcome of one scenario, counted from its `checks.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    /// Scenario name, e.g. `tools-call-simple-text`.
    pub name: String,
    /// Checks with status `SUCCESS`.
    pub passed: usize,
    /// Checks with status `FAILURE`.
    pub failed: usize,
    /// Checks with status `WARNING` (the suite's exit code counts these as failures too).
    pub warnings: usize,
    /// `id: message` of every failed or warning check.
    pub problems: Vec<String>,
}

/// One run of the suite.
#[derive(Debug)]
pub struct Report {
    /// The suite exited 0.
    pub success: bool,
    /// Everything it printed.
    pub output: String,
    /// Per-scenario results, sorted by name.
    pub scenarios: Vec<Scenario>,
    /// The scenarios (or `scenario:check`) the suite named as failing and not in the baseline:
    /// the ones that fail the run (a requirements run does not score every scenario it runs).
    pub unexpected: Vec<String>,
}

impl Report {
    /// `N scenarios: P checks passed, F failed, W warnings`, then one line per scenario that
    /// did not pass cleanly, with its problems.
    pub fn summary(&self) -> String {
        let sum = |f: fn(&Scenario) -> usize| self.scenarios.iter().map(f).sum::<usize>();
        let mut out = format!(
            "{} scenarios: {} checks passed, {} failed, {} warnings\n",
            self.scenarios.len(),
            sum(|s| s.passed),
            sum(|s| s.failed),
            sum(|s| s.warnings),
        );
        if !self.unexpected.is_empty() {
            let _ = writeln!(out, "failing the run: {}", self.unexpected.join(", "));
        }
        for s in self.scenarios.iter().filter(|s| !s.problems.is_empty()) {
            let scored = self.unexpected.iter().any(|u| {
                u == &s.name
                    || u.strip_prefix(s.name.as_str())
                        .is_some_and(|r| r.starts_with(':'))
            });
            let _ = writeln!(
                out,
                "  {}: {} passed, {} failed, {} warnings{}",
                s.name,
                s.passed,
                s.failed,
                s.warnings,
                if scored { "" } else { " (not failing the run)" }
            );
            for problem in &s.problems {
                let _ = writeln!(out, "    - {problem}");
            }
        }
        out
    }
}

/// The expected-failures file for a suite version (`tests/e2e/conformance/baseline-*.yml`).
pub fn baseline(version: Conformance) -> PathBuf {
    let name = match version {
        Conformance::V0_1 => "baseline-0.1.yml",
        Conformance::V0_2 => "baseline-0.2.yml",
    };
    repo_root().join("tests/e2e/conformance").join(name)
}

/// Runs `conformance server --url URL -o <tmp> --expected-failures <baseline> <args>`.
pub fn run(tools: &Tools, version: Conformance, url: &str, args: &[&str]) -> Result<Report> {
    let out_dir = tempfile::Builder::new()
        .prefix("berth-conformance-")
        .tempdir()?;
    let output = tools
        .conformance(version)?
        .args(["server", "--url", url, "-o"])
        .arg(out_dir.path())
        .arg("--expected-failures")
        .arg(baseline(version))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .context("running the conformance suite")?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(Report {
        success: output.status.success(),
        unexpected: unexpected_failures(&text),
        output: text,
        scenarios: read_checks(out_dir.path())?,
    })
}

/// The entries under the suite's "Unexpected failures (not in baseline):" heading.
fn unexpected_failures(output: &str) -> Vec<String> {
    output
        .lines()
        .skip_while(|line| !line.contains("Unexpected failures (not in baseline)"))
        .skip(1)
        .map_while(|line| line.trim().strip_prefix('\u{2717}'))
        .map(|name| name.trim().to_owned())
        .collect()
}

/// Reads every `<dir>/server-<scenario>-<timestamp>/checks.json`.
pub fn read_checks(dir: &Path) -> Result<Vec<Scenario>> {
    let mut scenarios = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let checks_file = path.join("checks.json");
        if !checks_file.is_file() {
            continue;
        }
        let dir_name = path.file_name().unwrap_or_default().to_string_lossy();
        let text = std::fs::read_to_string(&checks_file)?;
        let checks: Vec<Value> = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a JSON array", checks_file.display()))?;
        scenarios.push(count(scenario_name(&dir_name), &checks));
    }
    scenarios.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(scenarios)
}

fn count(name: String, checks: &[Value]) -> Scenario {
    let mut scenario = Scenario {
        name,
        passed: 0,
        failed: 0,
        warnings: 0,
        problems: Vec::new(),
    };
    for check in checks {
        let status = check["status"].as_str().unwrap_or_default();
        match status {
            "SUCCESS" => scenario.passed += 1,
            "FAILURE" => scenario.failed += 1,
            "WARNING" => scenario.warnings += 1,
            _ => continue,
        }
        if status != "SUCCESS" {
            let id = check["id"].as_str().unwrap_or("?");
            let message = ["errorMessage", "description", "name"]
                .iter()
                .find_map(|key| check[key].as_str())
                .unwrap_or_default();
            scenario.problems.push(format!("{status} {id}: {message}"));
        }
    }
    scenario
}

/// `server-tools-call-2026-11-21T19-46-37-123Z` -> `tools-call`.
fn scenario_name(dir_name: &str) -> String {
    let name = dir_name.strip_prefix("server-").unwrap_or(dir_name);
    let is_stamp = |rest: &[u8]| {
        rest.len() > 12
            && rest[..11].iter().zip(b"-0000-00-00").all(|(c, p)| {
                if *p == b'0' {
                    c.is_ascii_digit()
                } else {
                    c == p
                }
            })
            && rest[11] == b'T'
    };
    let cut = (0..name.len())
        .find(|&i| is_stamp(&name.as_bytes()[i..]))
        .unwrap_or(name.len());
    name[..cut].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenario_names_lose_prefix_and_timestamp() {
        assert_eq!(
            scenario_name("server-tools-call-2026-11-21T19-46-37-123Z"),
            "tools-call"
        );
        assert_eq!(scenario_name("ping"), "ping");
    }

    #[test]
    fn finds_the_unexpected_failures_the_suite_names() {
        let output = "Total: 3 passed, 2 failed\n\n\u{1b}[31mUnexpected failures (not in baseline):\
                      \u{1b}[0m\n  \u{2717} tools-list\n  \u{2717} ping:ping-shape\n\n\
                      \u{1b}[31mUnexpected failures detected\u{1b}[0m\n";
        assert_eq!(
            unexpected_failures(output),
            vec!["tools-list".to_owned(), "ping:ping-shape".to_owned()]
        );
        assert!(unexpected_failures("Total: 3 passed, 0 failed\n").is_empty());
    }

    #[test]
    fn counts_checks_and_lists_problems() {
        let dir = tempfile::tempdir().unwrap();
        let scenario = dir.path().join("server-ping-2026-01-02T03-04-05-678Z");
        std::fs::create_dir(&scenario).unwrap();
        let checks = r#"[
            {"id": "ping-ok", "status": "SUCCESS"},
            {"id": "ping-shape", "status": "FAILURE", "errorMessage": "result is not {}"},
            {"id": "ping-note", "status": "INFO"},
            {"id": "ping-slow", "status": "WARNING", "description": "took long"}
        ]"#;
        std::fs::write(scenario.join("checks.json"), checks).unwrap();
        let got = read_checks(dir.path()).unwrap();
        assert_eq!(
            got,
            vec![Scenario {
                name: "ping".into(),
                passed: 1,
                failed: 1,
                warnings: 1,
                problems: vec![
                    "FAILURE ping-shape: result is not {}".into(),
                    "WARNING ping-slow: took long".into()
                ],
            }]
        );
    }
}
