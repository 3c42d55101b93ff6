//! The compatibility corpus (`tests/compat`): its servers, their native twins, and the expected
//! differences file (`tests/compat/expected-differences.yml`) that the comparison is held to.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::server::{free_port, repo_root, tail};
use crate::tools::Tools;

/// How long a native server may take to listen (importing fastmcp is slow on a busy machine).
const NATIVE_STARTUP: Duration = Duration::from_secs(90);

/// The calls `compare.py` makes on every server before those of its `calls.json`.
const IMPLICIT_CALLS: usize = 6;

/// The connect modes of the Python client that `compare.py` runs.
pub const MODES: [&str; 2] = ["legacy", "auto"];

/// One corpus server: `tests/compat/servers/<name>/` with `server.py` and `calls.json`.
#[derive(Debug, Clone)]
pub struct CorpusServer {
    /// The folder's name (also the Berth project's name, with `_` as `-`).
    pub name: String,
    /// The folder.
    pub dir: PathBuf,
    /// `from mcp.server.fastmcp import FastMCP` (the official SDK before 2.0), served natively with `mcp<2`.
    pub old_sdk: bool,
    /// How many calls `calls.json` lists.
    pub calls: usize,
}

impl CorpusServer {
    /// The Berth project to deploy it as (project names take no `_`).
    pub fn project(&self) -> String {
        format!("compat-{}", self.name.replace('_', "-"))
    }

    /// `calls.json`.
    pub fn calls_file(&self) -> PathBuf {
        self.dir.join("calls.json")
    }

    /// Every compared call, over both modes.
    pub fn compared_calls(&self) -> usize {
        (IMPLICIT_CALLS + self.calls) * MODES.len()
    }
}

/// `tests/compat`.
pub fn compat_dir() -> PathBuf {
    repo_root().join("tests/compat")
}

/// Every server of the corpus, by name.
pub fn corpus() -> Result<Vec<CorpusServer>> {
    let root = compat_dir().join("servers");
    let mut servers = Vec::new();
    for entry in std::fs::read_dir(&root).with_context(|| format!("reading {}", root.display()))? {
        let dir = entry?.path();
        if !dir.is_dir() {
            continue;
        }
        let name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .context("a corpus folder's name is not UTF-8")?
            .to_owned();
        let source = std::fs::read_to_string(dir.join("server.py"))
            .with_context(|| format!("{}/server.py", dir.display()))?;
        let calls: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("calls.json"))?)
            .with_context(|| format!("{}/calls.json is not JSON", dir.display()))?;
        let calls = calls["calls"]
            .as_array()
            .with_context(|| format!("{}/calls.json has no \"calls\" array", dir.display()))?
            .len();
        servers.push(CorpusServer {
            name,
            old_sdk: source.contains("from mcp.server.fastmcp ")
                || source.contains("import mcp.server.fastmcp"),
            dir,
            calls,
        });
    }
    servers.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(servers)
}

/// A corpus server served natively by its own library (`tests/compat/serve_native.py`); stopped
/// (by pid) on drop.
pub struct Native {
    child: Child,
    port: u16,
    log: tempfile::NamedTempFile,
}

impl Native {
    /// Starts it with the venv of its spelling and waits until it listens. A server that exits
    /// instead is not an error here: the comparison then records what the client saw.
    pub fn start(tools: &Tools, server: &CorpusServer) -> Result<Native> {
        let python = tools.compat_python(server.old_sdk)?;
        let port = free_port()?;
        let log = tempfile::Builder::new()
            .prefix("berth-compat-native-")
            .tempfile()?;
        let child = Command::new(python)
            .arg(compat_dir().join("serve_native.py"))
            .arg(&server.dir)
            .arg(port.to_string())
            .env("FASTMCP_LOG_LEVEL", "WARNING")
            .stdin(Stdio::null())
            .stdout(log.reopen()?)
            .stderr(log.reopen()?)
            .spawn()
            .with_context(|| format!("starting {} natively", server.name))?;
        let mut native = Native { child, port, log };
        let deadline = Instant::now() + NATIVE_STARTUP;
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if native.child.try_wait()?.is_some() || Instant::now() > deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(native)
    }

    /// `http://127.0.0.1:PORT/mcp`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/mcp", self.port)
    }

    /// The last lines the native server printed.
    pub fn log_tail(&self) -> String {
        tail(
            &std::fs::read_to_string(self.log.path()).unwrap_or_default(),
            20,
        )
    }
}

impl Drop for Native {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One entry of `expected-differences.yml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    /// The corpus server.
    pub server: String,
    /// The call's id (as `compare.py` names it), or `build` for a server that does not build.
    pub call: String,
    /// `legacy` or `auto`; `None` for both.
    pub mode: Option<String>,
    /// Why it differs, in one line.
    pub reason: String,
}

impl Expected {
    fn covers(&self, outcome: &Outcome) -> bool {
        self.server == outcome.server
            && self.call == outcome.call
            && (self.mode.is_none() || self.mode == outcome.mode)
    }
}

/// Parses `expected-differences.yml`: a `differences:` list of flat maps with the keys `server`,
/// `call`, `mode` (optional) and `reason`; values plain or in double quotes (JSON escapes).
pub fn parse_expected(text: &str) -> Result<Vec<Expected>> {
    let mut entries: Vec<BTreeMap<String, String>> = Vec::new();
    let mut seen_header = false;
    for (index, raw) in text.lines().enumerate() {
        let line_no = index + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if !seen_header {
            match line {
                "differences:" | "differences: []" => seen_header = true,
                _ => bail!("line {line_no}: expected `differences:`, found {line:?}"),
            }
            continue;
        }
        let (starts_entry, pair) = match line.strip_prefix("- ") {
            Some(rest) => (true, rest.trim()),
            None => (false, line),
        };
        let (key, value) = pair
            .split_once(':')
            .with_context(|| format!("line {line_no}: expected `key: value`, found {line:?}"))?;
        let value = value.trim();
        let value = if value.starts_with('"') {
            serde_json::from_str::<String>(value)
                .with_context(|| format!("line {line_no}: bad quoted string {value}"))?
        } else {
            value.to_owned()
        };
        if starts_entry {
            entries.push(BTreeMap::new());
        }
        let entry = entries
            .last_mut()
            .with_context(|| format!("line {line_no}: a key outside a `- ` entry"))?;
        if entry.insert(key.trim().to_owned(), value).is_some() {
            bail!("line {line_no}: `{}` given twice in one entry", key.trim());
        }
    }
    entries
        .into_iter()
        .map(|mut e| {
            let mut take = |k: &str| {
                e.remove(k)
                    .filter(|v| !v.is_empty())
                    .with_context(|| format!("an entry without `{k}`"))
            };
            let expected = Expected {
                server: take("server")?,
                call: take("call")?,
                reason: take("reason")?,
                mode: e.remove("mode"),
            };
            if let Some(key) = e.keys().next() {
                bail!("unknown key `{key}` in the entry for {}", expected.server);
            }
            if let Some(mode) = &expected.mode
                && !MODES.contains(&mode.as_str())
            {
                bail!(
                    "mode {mode:?} in the entry for {}: use legacy or auto",
                    expected.server
                );
            }
            Ok(expected)
        })
        .collect()
}

/// One compared call (or a server's build).
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The corpus server.
    pub server: String,
    /// The call's id, or `build`.
    pub call: String,
    /// The client's connect mode (`None` for a build).
    pub mode: Option<String>,
    /// How many compared calls this outcome stands for (a failed build stands for all of them).
    pub weight: usize,
    /// Native and Berth gave the same answer.
    pub equal: bool,
    /// For a difference: what differs, in one line.
    pub detail: String,
}

/// How a run measures up to the expected differences.
#[derive(Debug, Default)]
pub struct Verdict {
    /// Compared calls that were equal.
    pub equal: usize,
    /// Compared calls in all.
    pub total: usize,
    /// Differences no entry names.
    pub unexpected: Vec<Outcome>,
    /// Entries whose call is now equal (or whose server now builds).
    pub stale: Vec<Expected>,
    /// Entries that name no call of this run.
    pub unknown: Vec<Expected>,
}

impl Verdict {
    /// Nothing unexpected, stale or unknown.
    pub fn passed(&self) -> bool {
        self.unexpected.is_empty() && self.stale.is_empty() && self.unknown.is_empty()
    }

    /// What failed the run, one line each.
    pub fn problems(&self) -> String {
        let mut out = String::new();
        for o in &self.unexpected {
            let mode = o.mode.as_deref().unwrap_or("-");
            let _ = writeln!(
                out,
                "  unexpected difference: {} [{mode}] {}: {}",
                o.server, o.call, o.detail
            );
        }
        for e in &self.stale {
            let _ = writeln!(
                out,
                "  stale entry (now equal): {} {:?} [{:?}]",
                e.server, e.call, e.mode
            );
        }
        for e in &self.unknown {
            let _ = writeln!(
                out,
                "  entry naming no compared call: {} {:?} [{:?}]",
                e.server, e.call, e.mode
            );
        }
        out
    }
}

/// Holds the outcomes to the expected differences.
pub fn judge(outcomes: &[Outcome], expected: &[Expected]) -> Verdict {
    let mut verdict = Verdict::default();
    for o in outcomes {
        verdict.total += o.weight;
        if o.equal {
            verdict.equal += o.weight;
        } else if !expected.iter().any(|e| e.covers(o)) {
            verdict.unexpected.push(o.clone());
        }
    }
    for e in expected {
        let covered: Vec<&Outcome> = outcomes.iter().filter(|o| e.covers(o)).collect();
        let unbuilt = outcomes
            .iter()
            .any(|o| o.server == e.server && o.call == "build" && !o.equal);
        if covered.is_empty() && unbuilt && e.call != "build" {
            // A server that does not build has no calls to hold its other entries to.
            continue;
        }
        if covered.is_empty() {
            verdict.unknown.push(e.clone());
        } else if covered.iter().any(|o| o.equal) {
            verdict.stale.push(e.clone());
        }
    }
    verdict
}

/// The outcomes in a `compare.py` report.
pub fn outcomes_of(server: &str, report: &Value) -> Result<Vec<Outcome>> {
    let calls = report["calls"]
        .as_array()
        .with_context(|| format!("{server}: compare.py printed no calls: {report}"))?;
    calls
        .iter()
        .map(|c| {
            let call = c["id"].as_str().context("a call without id")?.to_owned();
            let equal = c["equal"].as_bool().context("a call without equal")?;
            Ok(Outcome {
                server: server.to_owned(),
                mode: c["mode"].as_str().map(str::to_owned),
                weight: 1,
                equal,
                detail: if equal {
                    String::new()
                } else {
                    summarize_diff(&c["diff"])
                },
                call,
            })
        })
        .collect()
}

/// The first differences of a call, shortened to one line.
fn summarize_diff(diff: &Value) -> String {
    let mut parts = Vec::new();
    for d in diff.as_array().into_iter().flatten().take(3) {
        parts.push(format!(
            "{} native={} berth={}",
            d["path"].as_str().unwrap_or("?"),
            shorten(&d["native"].to_string(), 90),
            shorten(&d["berth"].to_string(), 90),
        ));
    }
    parts.join("; ")
}

/// `text` cut to `max` characters, with an ellipsis when cut.
pub fn shorten(text: &str, max: usize) -> String {
    let text = text.replace('\n', "\\n");
    if text.chars().count() <= max {
        return text;
    }
    let cut: String = text.chars().take(max).collect();
    format!("{cut}…")
}

/// What a failed deploy's log says went wrong: its last `build failed: ...` line, else its last line.
pub fn build_error_line(log: &str) -> String {
    let lines: Vec<&str> = log
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let failed = lines
        .iter()
        .rev()
        .find_map(|l| l.split_once("build failed:").map(|(_, why)| why.trim()));
    failed
        .or(lines.last().copied())
        .map(|l| shorten(l, 200))
        .unwrap_or_else(|| "the deploy failed and printed nothing".to_owned())
}

/// Where the full JSON report of a run goes: `<target dir>/compat-report.json`.
pub fn report_path() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"))
        .join("compat-report.json")
}

/// `tests/compat/expected-differences.yml`.
pub fn expected_file() -> PathBuf {
    compat_dir().join("expected-differences.yml")
}

/// Reads and parses the expected differences.
pub fn read_expected(path: &Path) -> Result<Vec<Expected>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    parse_expected(&text).with_context(|| format!("{}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(call: &str, mode: &str, equal: bool) -> Outcome {
        Outcome {
            server: "s".into(),
            call: call.into(),
            mode: Some(mode.into()),
            weight: 1,
            equal,
            detail: String::new(),
        }
    }

    #[test]
    fn parses_plain_and_quoted_values() {
        let text = "# comment\ndifferences:\n  - server: s\n    call: \"add: wrong type\"\n    mode: auto\n    reason: \"error \\\"text\\\" differs\"\n  - server: t\n    call: build\n    reason: fails\n";
        let entries = parse_expected(text).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].call, "add: wrong type");
        assert_eq!(entries[0].mode.as_deref(), Some("auto"));
        assert_eq!(entries[0].reason, "error \"text\" differs");
        assert_eq!(entries[1].mode, None);
        assert!(parse_expected("differences: []\n").unwrap().is_empty());
        assert!(parse_expected("differences:\n  - server: s\n    call: c\n").is_err());
        assert!(
            parse_expected(
                "differences:\n  - server: s\n    call: c\n    reason: r\n    mode: x\n"
            )
            .is_err()
        );
    }

    #[test]
    fn unlisted_differences_stale_and_unknown_entries_fail() {
        let outcomes = vec![
            outcome("a", "legacy", false),
            outcome("a", "auto", true),
            outcome("b", "auto", false),
        ];
        let entry = |call: &str, mode: Option<&str>| Expected {
            server: "s".into(),
            call: call.into(),
            mode: mode.map(str::to_owned),
            reason: "r".into(),
        };
        let v = judge(&outcomes, &[entry("a", Some("legacy")), entry("b", None)]);
        assert!(v.passed(), "{}", v.problems());
        assert_eq!((v.equal, v.total), (1, 3));
        let v = judge(&outcomes, &[entry("a", None), entry("b", None)]);
        assert_eq!(v.stale.len(), 1, "a is equal in auto mode");
        let v = judge(&outcomes, &[entry("b", None), entry("c", None)]);
        assert_eq!(v.unexpected.len(), 1);
        assert_eq!(v.unknown.len(), 1);
        let unbuilt = Outcome {
            call: "build".into(),
            mode: None,
            weight: 10,
            ..outcome("build", "legacy", false)
        };
        let v = judge(std::slice::from_ref(&unbuilt), &[entry("b", None)]);
        assert_eq!(v.unexpected.len(), 1, "a build failure needs its own entry");
        assert!(
            v.unknown.is_empty(),
            "entries of calls wait while the server does not build"
        );
        let v = judge(&[unbuilt], &[entry("build", None), entry("b", None)]);
        assert!(v.passed(), "{}", v.problems());
        assert_eq!((v.equal, v.total), (0, 10));
    }
}
