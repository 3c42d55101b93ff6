//! The dashboard in a real browser: headless Chromium (Debian's `chromium`) driven by playwright-core
//! runs `tests/e2e/browser/dashboard.mjs` against a real `berth up`: sign in with the one-time link,
//! create a project, watch the first build's log stream to "live", copy the URL, call a tool from the
//! inspector, add a secret, roll back, read the metrics, sign out. Screenshots of every page go to
//! `$BERTH_SCREENSHOTS` (default `<target dir>/dashboard-screenshots`); the test prints the folder.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use berth_e2e::{Berth, Profile, Tools, berth_bin, repo_root};

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

#[test]
fn dashboard_in_a_real_browser() -> Result<()> {
    let tools = Tools::from_env()?;
    let playwright = tools.root().join("playwright/node_modules/playwright-core");
    require(&playwright, "playwright-core")?;
    require(Path::new(CHROMIUM), "Chromium")?;
    let node = tools.node_bin_dir()?.join("node");

    let berth = Berth::start()?;
    let link = sign_in_link(&berth)?;
    let (v1, v2) = (project("v1")?, project("v2")?);
    let shots = screenshots_dir();
    let _ = std::fs::remove_dir_all(&shots);
    println!("dashboard screenshots: {}", shots.display());

    let output = Command::new(node)
        .arg(repo_root().join("tests/e2e/browser/dashboard.mjs"))
        .env("BERTH_URL", berth.base_url())
        .env("BERTH_SIGN_IN", &link)
        .env("BERTH_BIN", berth_bin(Profile::Debug)?)
        .env("BERTH_DATA_DIR", berth.data_path())
        .env("BERTH_TOOLS", tools.root())
        .env("BERTH_HOME", repo_root())
        .env("PROJECT_V1", v1.path())
        .env("PROJECT_V2", v2.path())
        .env("SHOTS", &shots)
        .env("PLAYWRIGHT_DIR", tools.root().join("playwright"))
        .env("CHROMIUM", CHROMIUM)
        .env("PATH", tools.path_with_node()?)
        .output()
        .context("running the browser script with Node")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    if !output.status.success() {
        let log = berth.log();
        let tail: Vec<&str> = log.lines().rev().take(60).collect();
        bail!(
            "the browser script failed:\n{stdout}\n{stderr}\n--- berth up log (last lines) ---\n{}",
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    }
    assert!(stdout.contains("dashboard: all steps passed"), "{stdout}");
    Ok(())
}
