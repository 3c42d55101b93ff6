//! The dashboard in a real browser: headless Chromium (Debian's `chromium`) driven by playwright-core
//! runs `tests/e2e/browser/dashboard.mjs` against a real `berth up`: sign in with the one-time link,
//! create a project, watch the first build's log stream to "live", copy the URL, call a tool from the
//! inspector, add a secret, roll back, read the metrics, sign out; and, against the GitHub stand-in,
//! sign in with GitHub, create a project from a repository and see a pull request's preview.
//! Screenshots of every page go to
//! `$BERTH_SCREENSHOTS` (default `<target dir>/dashboard-screenshots`); the test prints the folder.

use std::ffi::OsStr;
use std::path::PathBuf;

use anyhow::{Context, Result};
use berth_e2e::{Berth, Profile, Tools, berth_bin, browser, repo_root};
use berth_github_standin::{StandIn, pull_request_payload};

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

/// Runs a browser script with Node 22 and playwright-core; fails with its output and Berth's log.
fn run_script(berth: &Berth, script: &str, env: &[(&str, &OsStr)]) -> Result<()> {
    let shots = screenshots_dir();
    std::fs::create_dir_all(&shots)?;
    println!("dashboard screenshots: {}", shots.display());
    let mut env = env.to_vec();
    let base = berth.base_url();
    env.push(("BERTH_URL", OsStr::new(&base)));
    browser::run_script(script, &shots, &env)
        .map(drop)
        .map_err(|e| {
            let log = berth.log();
            let tail: Vec<&str> = log.lines().rev().take(60).collect();
            anyhow::anyhow!(
                "{e}\n--- berth up log (last lines) ---\n{}",
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            )
        })
}

#[test]
fn dashboard_in_a_real_browser() -> Result<()> {
    let tools = Tools::from_env()?;
    let berth = Berth::start()?;
    let link = browser::sign_in_link(&berth)?;
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
