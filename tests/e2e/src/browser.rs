//! Browser tests' support: headless Chromium (Debian's `chromium`) driven by playwright-core under
//! Node 22 (both installed by `tests/tools/setup.sh`), and the one-time sign-in link of a `berth up`.

use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::{Berth, Tools, repo_root};

/// The browser the tests drive.
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// How long `berth up` may take to print its sign-in link.
const SIGN_IN_TIMEOUT: Duration = Duration::from_secs(30);

/// The one-time sign-in link `berth up` printed.
pub fn sign_in_link(berth: &Berth) -> Result<String> {
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

fn require(path: &Path, what: &str) -> Result<()> {
    if !path.exists() {
        bail!(
            "{what} is missing ({}); run tests/tools/setup.sh",
            path.display()
        );
    }
    Ok(())
}

/// Runs `tests/e2e/browser/<script>` with `env`, screenshots going to `shots`; returns what it
/// printed once it printed "all steps passed", else fails with its output.
pub fn run_script(script: &str, shots: &Path, env: &[(&str, &OsStr)]) -> Result<String> {
    let tools = Tools::from_env()?;
    let playwright = tools.root().join("playwright");
    require(
        &playwright.join("node_modules/playwright-core"),
        "playwright-core",
    )?;
    require(Path::new(CHROMIUM), "Chromium")?;
    let mut cmd = Command::new(tools.node_bin_dir()?.join("node"));
    cmd.arg(repo_root().join("tests/e2e/browser").join(script))
        .env("SHOTS", shots)
        .env("PLAYWRIGHT_DIR", &playwright)
        .env("CHROMIUM", CHROMIUM)
        .env("PATH", tools.path_with_node()?);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let output = cmd
        .output()
        .context("running the browser script with Node")?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    println!("{stdout}");
    if !output.status.success() || !stdout.contains("all steps passed") {
        bail!(
            "{script} failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(stdout)
}
