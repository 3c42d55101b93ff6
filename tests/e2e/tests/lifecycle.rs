//! Deploy lifecycle through the real CLI: a build that fails says where (file and line) and never
//! goes live; a redeploy switches a live project over to the new code while clients hammer it,
//! with zero failed requests; a failed redeploy leaves the previous version serving; a build that was
//! running when Berth was killed finishes and goes live after a restart. The worker's counters reach
//! `/metrics`.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use berth_e2e::mcp::Session;
use berth_e2e::server::http_get_text;
use berth_e2e::{Berth, repo_root};
use serde_json::json;

/// Hammering clients: half keep one session, half open a new session for every call.
const CLIENTS: usize = 4;

/// How long the clients keep going after the redeploy, at most, to see the new version.
const SETTLE: Duration = Duration::from_secs(10);

const BROKEN: &str = r#"from fastmcp import FastMCP

mcp = FastMCP("broken")

@mcp.tool
def add(a: int, b: int -> int:
    """Adds two integers."""
    return a + b
"#;

/// A project whose `version` tool answers `version`; `v2` also has a tool `added_in_v2`.
fn versioned(version: &str) -> String {
    let extra = if version == "v2" {
        "\n@mcp.tool\ndef added_in_v2() -> str:\n    \"\"\"Only in the second version.\"\"\"\n    return \"new\"\n"
    } else {
        ""
    };
    format!(
        r#"from fastmcp import FastMCP

mcp = FastMCP("lifecycle")

@mcp.tool
def version() -> str:
    """Which deployment answered."""
    return "{version}"
{extra}"#
    )
}

fn project(server_py: &str) -> Result<tempfile::TempDir> {
    let dir = tempfile::Builder::new()
        .prefix("berth-e2e-project-")
        .tempdir()?;
    std::fs::write(dir.path().join("server.py"), server_py)?;
    Ok(dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_build_names_file_and_line_and_never_goes_live() -> Result<()> {
    let berth = Berth::shared();
    let dir = project(BROKEN)?;
    let deploy = berth.deploy(dir.path(), "broken")?;
    assert!(
        !deploy.success,
        "a syntax error must fail the deploy:\n{}",
        deploy.log
    );
    assert!(
        deploy.log.contains("server.py") && deploy.log.contains("line 6"),
        "the build log should point at server.py, line 6:\n{}",
        deploy.log
    );
    let served = Session::connect(&berth.mcp_url("broken")).await;
    assert!(
        served.is_err(),
        "a project whose only build failed must not be served"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redeploy_switches_over_with_zero_failed_requests() -> Result<()> {
    let berth = Berth::shared();
    let url = berth.mcp_url("lifecycle");
    let v1 = project(&versioned("v1"))?;
    berth.deploy_ok(v1.path(), "lifecycle")?;
    // The clients send as fast as they can; what is measured is the switch, not the request rate.
    let unlimited = json!({"limits": {"requestsPerSecond": 100_000}});
    berth.api("PATCH", "/api/v1/projects/lifecycle", Some(&unlimited))?;
    assert_eq!(
        Session::connect(&url)
            .await?
            .call_tool_text("version", json!({}))
            .await?,
        "v1"
    );

    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| tokio::spawn(hammer(url.clone(), i % 2 == 0, stop.clone())))
        .collect();
    let v2 = project(&versioned("v2"))?;
    deploy_blocking(v2.path()).await?;

    // The route has moved by the time deploy returns: a new client sees v2 at once.
    let mut fresh = Session::connect(&url).await?;
    assert_eq!(fresh.call_tool_text("version", json!({})).await?, "v2");
    let tools = fresh.request("tools/list", json!({})).await?;
    assert!(
        tools.to_string().contains("added_in_v2"),
        "tools/list after the switch: {tools}"
    );

    let deadline = Instant::now() + SETTLE;
    while Instant::now() < deadline && !clients.iter().all(|c| c.is_finished()) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.store(true, Ordering::Relaxed);
    let mut total = 0;
    for (i, client) in clients.into_iter().enumerate() {
        let tally = client.await.context("a hammering client panicked")?;
        assert!(
            tally.errors.is_empty(),
            "client {i}: {} of {} requests failed during the redeploy, first: {:?}",
            tally.errors.len(),
            tally.calls,
            &tally.errors[..tally.errors.len().min(3)]
        );
        assert!(tally.saw_v1, "client {i} never saw v1: it started too late");
        assert!(
            tally.saw_v2,
            "client {i} never saw v2 within {SETTLE:?} of the deploy"
        );
        total += tally.calls;
    }
    eprintln!("redeploy: {total} calls by {CLIENTS} clients, none failed");

    // A failed redeploy leaves the live version alone.
    let broken = project(BROKEN)?;
    let deploy = berth.deploy(broken.path(), "lifecycle")?;
    assert!(
        !deploy.success,
        "a syntax error must fail the redeploy:\n{}",
        deploy.log
    );
    assert_eq!(fresh.call_tool_text("version", json!({})).await?, "v2");
    Ok(())
}

/// How long a build may take here before the test gives up on it (a Python build takes seconds).
const BUILD_TIMEOUT: Duration = Duration::from_secs(300);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_build_running_when_berth_is_killed_finishes_after_a_restart() -> Result<()> {
    let v1 = project(&versioned("v1"))?;
    let berth = tokio::task::spawn_blocking(move || -> Result<Berth> {
        let mut berth = Berth::start()?;
        let mut deploy = berth.deploy_in_background(v1.path(), "crashed")?;
        let building = wait_for(&berth, "crashed", |d| d["status"] == "building")?;
        berth.crash_and_restart()?;
        let _ = deploy.kill();
        let _ = deploy.wait();
        let id = building["id"]
            .as_str()
            .context("a deployment id")?
            .to_string();
        let done = wait_for(&berth, "crashed", |d| {
            d["id"] == id.as_str() && (d["status"] == "failed" || d["live"] == true)
        })?;
        if done["status"] != "ready" {
            bail!("the resumed build ended {done}:\n{}", berth.log());
        }
        Ok(berth)
    })
    .await??;
    // The restarted Berth built it and serves it.
    let answer = Session::connect(&berth.mcp_url("crashed"))
        .await?
        .call_tool_text("version", json!({}))
        .await?;
    assert_eq!(answer, "v1");
    assert!(
        berth
            .log()
            .contains("resuming a build interrupted by a restart"),
        "{}",
        berth.log()
    );
    Ok(())
}

/// Polls the project's deployments until one satisfies `done`; that deployment.
fn wait_for(
    berth: &Berth,
    project: &str,
    done: impl Fn(&serde_json::Value) -> bool,
) -> Result<serde_json::Value> {
    let deadline = Instant::now() + BUILD_TIMEOUT;
    loop {
        let path = format!("/api/v1/projects/{project}/deployments");
        // Before the upload lands the project does not exist yet (404): keep asking.
        if let Ok(list) = berth.api_get(&path)
            && let Some(d) = list["deployments"]
                .as_array()
                .and_then(|l| l.iter().find(|d| done(d)))
        {
            return Ok(d.clone());
        }
        if Instant::now() > deadline {
            bail!(
                "no deployment of {project} got there in {BUILD_TIMEOUT:?}:\n{}",
                berth.log()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

async fn deploy_blocking(dir: &Path) -> Result<()> {
    let dir = dir.to_owned();
    tokio::task::spawn_blocking(move || Berth::shared().deploy_ok(&dir, "lifecycle"))
        .await?
        .map(drop)
}

#[derive(Debug, Default)]
struct Tally {
    calls: usize,
    errors: Vec<String>,
    saw_v1: bool,
    saw_v2: bool,
}

/// Calls `version` until stopped, or until it has seen v2 a few times; never expects v1 after
/// v2 (the switch is atomic for each client).
async fn hammer(url: String, keep_session: bool, stop: Arc<AtomicBool>) -> Tally {
    let mut tally = Tally::default();
    let mut session = None;
    let mut v2_seen = 0;
    while !stop.load(Ordering::Relaxed) && v2_seen < 20 {
        tally.calls += 1;
        match call_version(&url, &mut session).await {
            Ok(answer) if answer == "v1" && !tally.saw_v2 => tally.saw_v1 = true,
            Ok(answer) if answer == "v2" => {
                tally.saw_v2 = true;
                v2_seen += 1;
            }
            Ok(answer) => tally.errors.push(format!("unexpected answer {answer:?}")),
            Err(err) => tally.errors.push(format!("{err:#}")),
        }
        if !keep_session {
            session = None;
        }
    }
    tally
}

async fn call_version(url: &str, session: &mut Option<Session>) -> Result<String> {
    if session.is_none() {
        *session = Some(Session::connect(url).await?);
    }
    match session.as_mut() {
        Some(s) => s.call_tool_text("version", json!({})).await,
        None => bail!("no session"),
    }
}

/// The sum of every series of `name` in a Prometheus text exposition.
fn metric_sum(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|l| l.split(['{', ' ']).next() == Some(name))
        .filter_map(|l| l.rsplit_once(' ')?.1.parse::<f64>().ok())
        .sum()
}

#[tokio::test]
async fn worker_counters_reach_metrics() -> Result<()> {
    let berth = Berth::shared();
    let dir = repo_root().join("sandbox/examples/bench");
    let url = tokio::task::spawn_blocking(move || Berth::shared().ensure_deployed(&dir, "metered"))
        .await??;
    let mut session = Session::connect(&url).await?;
    session
        .call_tool_text("add", json!({"a": 1, "b": 1}))
        .await?;
    // `/metrics` names every tenant's projects: the public listener keeps it from anyone without the
    // operator's token; the admin listener serves it.
    let public = berth.port();
    let anonymous = tokio::task::spawn_blocking(move || http_get_text(public, "/metrics")).await?;
    let refused = anonymous.expect_err("an anonymous /metrics on the public listener is refused");
    assert!(refused.to_string().contains("401"), "{refused:#}");
    let port = berth.admin_port();
    let before = tokio::task::spawn_blocking(move || http_get_text(port, "/metrics")).await??;
    for n in 0..5 {
        assert_eq!(
            session
                .call_tool_text("add", json!({"a": n, "b": 1}))
                .await?,
            (n + 1).to_string()
        );
    }
    let after = tokio::task::spawn_blocking(move || http_get_text(port, "/metrics")).await??;
    for name in [
        "berth_worker_calls_total",
        "berth_worker_guest_seconds_total",
        "berth_worker_instances_created_total",
    ] {
        assert!(
            metric_sum(&before, name) > 0.0,
            "{name} missing before the calls:\n{before}"
        );
    }
    let calls = metric_sum(&after, "berth_worker_calls_total")
        - metric_sum(&before, "berth_worker_calls_total");
    assert!(calls >= 5.0, "5 calls, the worker counted {calls}");
    assert!(
        metric_sum(&after, "berth_worker_guest_seconds_total")
            > metric_sum(&before, "berth_worker_guest_seconds_total"),
        "time inside guests did not grow"
    );
    assert!(after.contains("berth_worker_idle_instances{deployment="));
    Ok(())
}
