//! Secrets and rollback through `berth up` and the real CLI: `berth login` saves a token, `berth deploy`
//! uses it, `berth env set --secret` reaches a live tool (read through `os.environ`) without a rebuild,
//! `berth env list` never shows the value, and `berth rollback` puts the previous code back.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};
use berth_e2e::mcp::Session;
use berth_e2e::{Berth, Profile, Tools, berth_bin, repo_root};
use serde_json::json;

const PROJECT: &str = "secrets-e2e";

fn server(version: &str) -> String {
    format!(
        r#"import os
from fastmcp import FastMCP

mcp = FastMCP("secrets")

@mcp.tool
def greet() -> str:
    """The greeting from the project's environment, and which code answered."""
    return os.environ.get("GREETING", "unset") + " from {version}"
"#
    )
}

/// Runs the CLI with its own config file and no ambient server, token or data dir.
struct Cli {
    config: tempfile::TempDir,
    cwd: tempfile::TempDir,
}

impl Cli {
    fn run(&self, args: &[&str]) -> Result<(bool, String)> {
        let out = Command::new(berth_bin(Profile::Debug)?)
            .args(args)
            .current_dir(self.cwd.path())
            .env("BERTH_CONFIG", self.config.path().join("config.toml"))
            .env("BERTH_TOOLS", Tools::from_env()?.root())
            .env("BERTH_HOME", repo_root())
            .env_remove("BERTH_TOKEN")
            .env_remove("BERTH_SERVER")
            .env_remove("BERTH_DATA_DIR")
            .output()
            .with_context(|| format!("running berth {args:?}"))?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        Ok((out.status.success(), text))
    }

    fn ok(&self, args: &[&str]) -> Result<String> {
        let (ok, text) = self.run(args)?;
        if !ok {
            bail!("berth {args:?} failed:\n{text}");
        }
        Ok(text)
    }
}

fn write_project(dir: &Path, version: &str) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("server.py"), server(version))?;
    Ok(())
}

async fn greet(url: &str) -> Result<String> {
    Session::connect(url)
        .await?
        .call_tool_text("greet", json!({}))
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secret_reaches_live_tool_without_rebuild_and_rollback_restores_code() -> Result<()> {
    let berth = Berth::shared();
    let cli = Cli {
        config: tempfile::tempdir()?,
        cwd: tempfile::tempdir()?,
    };
    let url = berth.mcp_url(PROJECT);

    let (ok, text) = cli.run(&["projects"])?;
    assert!(
        !ok && text.contains("berth login"),
        "without a login the CLI says what to do:\n{text}"
    );
    let data_dir = berth.data_path();
    let login = cli.ok(&[
        "login",
        "--server",
        &berth.base_url(),
        "--data-dir",
        data_dir.to_str().unwrap(),
    ])?;
    assert!(
        login.contains("signed in to") && login.contains("as operator"),
        "{login}"
    );
    let config = std::fs::read_to_string(cli.config.path().join("config.toml"))?;
    assert!(
        config.contains(&berth.base_url()) && config.contains("berth_"),
        "{config}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(cli.config.path().join("config.toml"))?
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the config holds a token: owner only");
    }

    // Deploy from a directory named after the project, with no --project and no --server.
    let dir = cli.cwd.path().join(PROJECT);
    write_project(&dir, "v1")?;
    let deploy = cli.ok(&["deploy", dir.to_str().unwrap()])?;
    assert!(deploy.contains(&url), "{deploy}");
    assert_eq!(greet(&url).await?, "unset from v1");

    let set = cli.ok(&[
        "env",
        "set",
        "GREETING=hello from the vault",
        "--secret",
        "--project",
        PROJECT,
    ])?;
    assert!(
        set.contains("set secret GREETING") && set.contains("live deployments updated: 1"),
        "{set}"
    );
    assert_eq!(
        greet(&url).await?,
        "hello from the vault from v1",
        "no rebuild needed"
    );
    let list = cli.ok(&["env", "list", "--project", PROJECT])?;
    assert!(
        list.contains("GREETING=(secret)") && !list.contains("vault"),
        "{list}"
    );
    let (ok, bad) = cli.run(&["env", "set", "2BAD=x", "--project", PROJECT])?;
    assert!(!ok && bad.contains("not a valid variable name"), "{bad}");

    write_project(&dir, "v2")?;
    cli.ok(&["deploy", dir.to_str().unwrap()])?;
    assert_eq!(greet(&url).await?, "hello from the vault from v2");

    let rollback = cli.ok(&["rollback", PROJECT])?;
    assert!(rollback.contains("live:"), "{rollback}");
    assert_eq!(
        greet(&url).await?,
        "hello from the vault from v1",
        "rollback serves the previous code"
    );

    let projects = cli.ok(&["projects"])?;
    assert!(
        projects.contains(PROJECT) && projects.contains(&url),
        "{projects}"
    );
    let logs = cli.ok(&["logs", PROJECT])?;
    assert!(logs.contains("live: /secrets-e2e/mcp"), "{logs}");
    cli.ok(&["env", "unset", "GREETING", "--project", PROJECT])?;
    assert_eq!(greet(&url).await?, "unset from v1");
    Ok(())
}

/// The local operator is never locked out: `berth sign-in` against the data directory prints a fresh
/// one-time link (the one `berth up` printed may be used or expired), which signs in once.
#[test]
fn sign_in_prints_a_fresh_one_time_link() -> Result<()> {
    let berth = Berth::shared();
    let cli = Cli {
        config: tempfile::tempdir()?,
        cwd: tempfile::tempdir()?,
    };
    let data_dir = berth.data_path();
    let args = [
        "sign-in",
        "--server",
        &berth.base_url(),
        "--data-dir",
        data_dir.to_str().unwrap(),
    ];
    let out = cli.ok(&args)?;
    let link = out
        .split_whitespace()
        .find(|w| w.starts_with(&berth.base_url()) && w.contains("/auth/local?token="))
        .with_context(|| format!("no link in:\n{out}"))?;
    let path = &link[berth.base_url().len()..];
    assert_eq!(
        berth_e2e::server::http_status(berth.port(), path)?,
        303,
        "the link signs in (and redirects to the dashboard)"
    );
    let again = berth_e2e::server::http_status(berth.port(), path)?;
    assert!(
        (400..500).contains(&again),
        "a used link is refused: {again}"
    );
    let other = cli.ok(&args)?;
    assert_ne!(other, out, "each call makes a new link");
    let (ok, text) = cli.run(&["sign-in", "--server", &berth.base_url()])?;
    assert!(
        !ok && text.contains("berth login"),
        "without a token:\n{text}"
    );
    Ok(())
}
