//! Runtime logs end to end, through a real `berth up`: a deployed Python server whose tools print and
//! log is called over MCP, and what it did comes back through the REST API (with its filters), through
//! `berth logs --runtime`, through `berth logs --runtime --follow` (an event that happens after it
//! started), and on the dashboard's Logs page in headless Chromium, which tails calls made while it is
//! open (`tests/e2e/browser/logs.mjs`). A secret's value the server prints never comes back.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use berth_e2e::Berth;
use berth_e2e::mcp::Session;
use serde_json::{Value, json};

const PROJECT: &str = "runlog";

/// The value of the project's secret: printed by a tool, never to be seen again.
const SECRET: &str = "sk-runlog-7f3a9c2e5b";

/// How long an event may take to be readable (it is in memory at once; this is for a busy machine).
const DEADLINE: Duration = Duration::from_secs(30);

const SERVER: &str = r#"import os
import sys

from fastmcp import Context, FastMCP

mcp = FastMCP("runlog")


@mcp.tool
async def shout(word: str, ctx: Context) -> str:
    """Prints and logs a word, then returns it louder."""
    print(f"printing {word}")
    print(f"to stderr {word}", file=sys.stderr)
    await ctx.info(f"logged {word}")
    await ctx.debug(f"debugging {word}")
    return word.upper()


@mcp.tool
def leak() -> str:
    """Prints the API key (the log must not show it)."""
    print("the key is " + os.environ.get("API_KEY", "unset"))
    return "printed"


@mcp.tool
def fail() -> str:
    """Always fails."""
    raise ValueError("this tool always fails")
"#;

/// The project's events (texts) that pass `query`, once `ready` holds of them (or the deadline).
fn events_until(
    berth: &Berth,
    query: &str,
    ready: impl Fn(&[Value]) -> bool,
) -> Result<Vec<Value>> {
    let start = Instant::now();
    loop {
        let page = berth.api_get(&format!("/api/v1/projects/{PROJECT}/logs{query}"))?;
        let events = page["events"].as_array().cloned().unwrap_or_default();
        if ready(&events) {
            return Ok(events);
        }
        if start.elapsed() > DEADLINE {
            bail!("the runtime log never showed what was expected for `{query}`: {events:#?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn has(events: &[Value], text: &str) -> bool {
    events
        .iter()
        .any(|e| e["text"].as_str().is_some_and(|t| t.contains(text)))
}

/// Stops a child we started, by its pid.
struct Stop(Child);

impl Drop for Stop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runtime_logs_through_the_api_the_cli_and_the_dashboard() -> Result<()> {
    let berth = tokio::task::spawn_blocking(Berth::start).await??;
    let dir = tempfile::Builder::new()
        .prefix("berth-e2e-runlog-")
        .tempdir()?;
    std::fs::write(dir.path().join("server.py"), SERVER)?;
    let url = berth.deploy_ok(dir.path(), PROJECT)?;
    berth.cli_ok(&[
        "env",
        "set",
        &format!("API_KEY={SECRET}"),
        "--secret",
        "--project",
        PROJECT,
    ])?;

    let mut mcp = Session::connect(&url).await?;
    assert_eq!(
        mcp.call_tool_text("shout", json!({"word": "alpha"}))
            .await?,
        "ALPHA"
    );
    assert_eq!(mcp.call_tool_text("leak", json!({})).await?, "printed");
    let failed = mcp.call_tool("fail", json!({})).await?;
    assert_eq!(failed["isError"], true, "{failed}");

    // Through the API: requests with their client and outcome, log messages, output lines.
    let events = events_until(&berth, "", |e| {
        has(e, "logged alpha") && has(e, "the key is") && has(e, "tools/call fail")
    })?;
    let all_text = serde_json::to_string(&events)?;
    assert!(
        !all_text.contains(SECRET),
        "a secret's value is never shown: {all_text}"
    );
    assert!(
        has(&events, "output: the key is [secret API_KEY]"),
        "{events:#?}"
    );
    assert!(has(&events, "output: printing alpha"), "{events:#?}");
    assert!(has(&events, "output: to stderr alpha"), "{events:#?}");
    assert!(
        has(&events, "debugging alpha"),
        "every level is kept: {events:#?}"
    );
    let shout = events
        .iter()
        .find(|e| e["kind"] == "request" && e["tool"] == "shout")
        .context("the shout request")?;
    assert_eq!(shout["method"], "tools/call");
    assert_eq!(shout["outcome"], "ok");
    assert_eq!(
        shout["client"], "berth-e2e",
        "the client's name from initialize"
    );
    assert!(shout["session"].is_string(), "{shout}");
    assert!(
        shout["durationUs"].as_u64().is_some_and(|d| d > 0),
        "{shout}"
    );
    let init = events.iter().find(|e| e["method"] == "initialize");
    assert!(init.is_some(), "initialize is a request too: {events:#?}");

    let errors = events_until(&berth, "?errors=true", |e| !e.is_empty())?;
    assert!(
        errors.iter().all(|e| e["isError"] == true),
        "errors only: {errors:#?}"
    );
    let fail = errors
        .iter()
        .find(|e| e["tool"] == "fail")
        .context("the failed call among the errors")?;
    assert_eq!(fail["outcome"], "tool_error");
    let shouts = events_until(&berth, "?tool=shout&level=info", |e| has(e, "logged alpha"))?;
    assert!(shouts.iter().all(|e| e["tool"] == "shout"), "{shouts:#?}");
    assert!(!has(&shouts, "debugging alpha"), "below info: {shouts:#?}");
    let err = berth
        .api_get(&format!("/api/v1/projects/{PROJECT}/logs?level=loud"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("400") && err.contains("level"), "{err}");
    let err = berth
        .api_get("/api/v1/projects/nobody-here/logs")
        .unwrap_err()
        .to_string();
    assert!(err.contains("404"), "{err}");

    // Through the CLI.
    let printed = berth.cli_ok(&["logs", PROJECT, "--runtime"])?;
    for text in ["output: printing alpha", "logged alpha", "tools/call shout"] {
        assert!(printed.contains(text), "`{text}` in:\n{printed}");
    }
    assert!(!printed.contains(SECRET), "{printed}");
    let errors_only = berth.cli_ok(&["logs", PROJECT, "--runtime", "--errors"])?;
    assert!(
        errors_only.contains("tools/call fail") && !errors_only.contains("printing alpha"),
        "{errors_only}"
    );

    // `--follow` prints what happens after it started.
    let mut follow = Stop(
        berth
            .cli(&["logs", PROJECT, "--runtime", "--follow"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("starting berth logs --follow")?,
    );
    let lines = lines_of(&mut follow.0)?;
    wait_for_line(&lines, "logged alpha", "the backlog")?;
    assert_eq!(
        mcp.call_tool_text("shout", json!({"word": "omega"}))
            .await?,
        "OMEGA"
    );
    wait_for_line(&lines, "logged omega", "an event after --follow started")?;
    wait_for_line(&lines, "tools/call shout", "its request")?;
    drop(follow);

    // The dashboard's Logs page tails calls made while it is open.
    let link = berth_e2e::browser::sign_in_link(&berth)?;
    let berth_url = berth.base_url();
    tokio::task::spawn_blocking(move || browser(&berth_url, &link, &url)).await??;
    let after = events_until(&berth, "", |e| has(e, "logged from-the-browser-test-2"))?;
    assert!(has(&after, "logged from-the-browser-test-1"), "{after:#?}");
    Ok(())
}

/// The child's stdout lines, as they come.
fn lines_of(child: &mut Child) -> Result<mpsc::Receiver<String>> {
    let out = child.stdout.take().context("the child's stdout")?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    Ok(rx)
}

fn wait_for_line(lines: &mpsc::Receiver<String>, text: &str, what: &str) -> Result<()> {
    let deadline = Instant::now() + DEADLINE;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) if line.contains(text) => return Ok(()),
            Ok(line) => seen.push(line),
            Err(_) => bail!(
                "--follow never printed {what} (`{text}`); it printed:\n{}",
                seen.join("\n")
            ),
        }
    }
}

/// Runs `tests/e2e/browser/logs.mjs` in headless Chromium against the Logs page.
fn browser(base: &str, link: &str, mcp_url: &str) -> Result<()> {
    let shots = tempfile::Builder::new()
        .prefix("berth-e2e-logs-shots-")
        .tempdir()?;
    let env: [(&str, &OsStr); 4] = [
        ("BERTH_URL", base.as_ref()),
        ("BERTH_SIGN_IN", link.as_ref()),
        ("MCP_URL", mcp_url.as_ref()),
        ("PROJECT", PROJECT.as_ref()),
    ];
    berth_e2e::browser::run_script("logs.mjs", shots.path(), &env).map(drop)
}
