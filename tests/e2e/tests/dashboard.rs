//! The dashboard in a real browser: headless Chromium (Debian's `chromium`) driven by playwright-core
//! runs `tests/e2e/browser/dashboard.mjs` against a real `berth up`: sign in with the one-time link,
//! create a project, watch the first build's log stream to "live", copy the URL, call a tool from the
//! inspector, add a secret, roll back, read the metrics, sign out; and, against the GitHub stand-in,
//! sign in with GitHub, create a project from a repository and see a pull request's preview.
//! Screenshots of every page go to
//! `$BERTH_SCREENSHOTS` (default `<target dir>/dashboard-screenshots`); the test prints the folder.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use berth_e2e::{Berth, Profile, Tools, berth_bin, repo_root};
use berth_github_standin::{StandIn, pull_request_payload};

/// The browser the test drives.
const CHROMIUM: &str = "/usr/bin/chromium";

/// How long `berth up` may take to print its sign-in link.
const SIGN_IN_TIMEOUT: Duration = Duration::from_secs(30);

fn server(version: &str) -> String {
    format!(
        r#"import os

from fastmcp import Context, FastMCP

mcp = FastMCP("demo", instructions="A demo for the dashboard test ({version}).")


@mcp.tool
async def greet(name: str, ctx: Context, times: int = 1) -> str:
    """Greets someone, reporting progress."""
    await ctx.info(f"greeting {{name}}")
    await ctx.report_progress(1, 2)
    await ctx.report_progress(2, 2)
    return "{version}: " + ", ".join([f"hello {{name}}"] * times)


@mcp.tool
def secret_length() -> int:
    """How long the API_KEY secret is (never its value)."""
    return len(os.environ.get("API_KEY", ""))


@mcp.resource("demo://about")
def about() -> str:
    """What this server is."""
    return "a demo"


@mcp.prompt
def welcome(name: str) -> str:
    """A welcome message."""
    return f"Welcome, {{name}}"
"#
    )
}

fn project(version: &str) -> Result<tempfile::TempDir> {
    let dir = tempfile::Builder::new()
        .prefix("berth-e2e-dashboard-")
        .tempdir()?;
    std::fs::write(dir.path().join("server.py"), server(version))?;
    Ok(dir)
}

/// The one-time sign-in link `berth up` printed.
fn sign_in_link(berth: &Berth) -> Result<String> {
    let started = Instant::now();
    loop {
        let log = berth.log();
        if let Some(link) = log
            .split_whitespace()
            .find(|w| w.starts_with("http") && w.contains("/auth/local?token="))
        {
            return Ok(link.to_string());
        }
        if started.elapsed() > SIGN_IN_TIMEOUT {
            bail!("`berth up` printed no sign-in link:\n{log}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn screenshots_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("BERTH_SCREENSHOTS").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"));
    target.join("dashboard-screenshots")
}

fn require(path: &Path, what: &str) -> Result<()> {
    if !path.exists() {
        bail!(
            "{what} is missing ({}); run tests/tools/setup.sh",
            path.display()
        );
    }
    Ok(())
}

/// Runs a browser script with Node 22 and playwright-core; fails with its output and Berth's log.
fn run_script(berth: &Berth, script: &str, env: &[(&str, &OsStr)]) -> Result<()> {
    let tools = Tools::from_env()?;
    let playwright = tools.root().join("playwright");
    require(
        &playwright.join("node_modules/playwright-core"),
        "playwright-core",
    )?;
    require(Path::new(CHROMIUM), "Chromium")?;
    let shots = screenshots_dir();
    std::fs::create_dir_all(&shots)?;
    println!("dashboard screenshots: {}", shots.display());
    let mut cmd = Command::new(tools.node_bin_dir()?.join("node"));
    cmd.arg(repo_root().join("tests/e2e/browser").join(script))
        .env("BERTH_URL", berth.base_url())
        .env("SHOTS", &shots)
        .env("PLAYWRIGHT_DIR", &playwright)
        .env("CHROMIUM", CHROMIUM)
        .env("PATH", tools.path_with_node()?);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let output = cmd
        .output()
        .context("running the browser script with Node")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    if !output.status.success() || !stdout.contains("all steps passed") {
        let log = berth.log();
        let tail: Vec<&str> = log.lines().rev().take(60).collect();
        bail!(
            "{script} failed:\n{stdout}\n{stderr}\n--- berth up log (last lines) ---\n{}",
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    }
    Ok(())
}

#[test]
fn dashboard_in_a_real_browser() -> Result<()> {
    let tools = Tools::from_env()?;
    let berth = Berth::start()?;
    let link = sign_in_link(&berth)?;
    let (v1, v2) = (project("v1")?, project("v2")?);
    let bin = berth_bin(Profile::Debug)?;
    let data = berth.data_path();
    run_script(
        &berth,
        "dashboard.mjs",
        &[
            ("BERTH_SIGN_IN", OsStr::new(&link)),
            ("BERTH_BIN", bin.as_os_str()),
            ("BERTH_DATA_DIR", data.as_os_str()),
            ("BERTH_TOOLS", tools.root().as_os_str()),
            ("BERTH_HOME", repo_root().as_os_str()),
            ("PROJECT_V1", v1.path().as_os_str()),
            ("PROJECT_V2", v2.path().as_os_str()),
        ],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_with_github_sign_in_and_previews() -> Result<()> {
    let gh = StandIn::start().await?;
    let repo = gh.create_repo("octo/demo", true)?;
    let main_sha = repo.commit("main", &[("server.py", &server("gh-v1"))], "v1 of the demo")?;
    let pr_sha = repo.commit(
        "feature",
        &[("server.py", &server("gh-pr"))],
        "a change to preview",
    )?;
    repo.set_pull_ref(1, &pr_sha)?;
    let repository = gh.repository_json("octo/demo").context("the repository")?;
    let payload = pull_request_payload(&repository, "opened", 1, "feature", &pr_sha);
    let delivery = gh.delivery("pull_request", &payload);
    let body = tempfile::NamedTempFile::new()?;
    std::fs::write(body.path(), &delivery.body)?;
    let args: Vec<String> = [
        ("--github-client-id", gh.client_id()),
        ("--github-client-secret", gh.client_secret()),
        ("--github-webhook-secret", gh.webhook_secret()),
        ("--github-api-url", &gh.api_url()),
        ("--github-url", &gh.web_url()),
    ]
    .iter()
    .flat_map(|(k, v)| [k.to_string(), v.to_string()])
    .collect();
    tokio::task::spawn_blocking(move || {
        let berth = Berth::start_with_args(Profile::Debug, &args)?;
        run_script(
            &berth,
            "dashboard-github.mjs",
            &[
                ("MAIN_SHA", OsStr::new(&main_sha)),
                ("PR_EVENT", OsStr::new(&delivery.event)),
                ("PR_ID", OsStr::new(&delivery.id)),
                ("PR_SIGNATURE", OsStr::new(&delivery.signature)),
                ("PR_BODY_FILE", body.path().as_os_str()),
            ],
        )
    })
    .await?
}
