//! A private project through `berth up` and the real CLI: `berth projects set --private` makes a real
//! MCP request answer 401 with the RFC 9728 challenge, `berth keys create` prints a key that a client
//! sends as a bearer token to call a tool, and `berth keys revoke` shuts it out again.

use std::process::Command;

use anyhow::{Context, Result, bail};
use berth_e2e::mcp::Session;
use berth_e2e::{Berth, Profile, Tools, berth_bin, repo_root};
use serde_json::{Value, json};

const PROJECT: &str = "private-e2e";

const SERVER: &str = r#"from fastmcp import FastMCP

mcp = FastMCP("private")

@mcp.tool
def secret_word() -> str:
    """A word only key holders hear."""
    return "swordfish"
"#;

/// Runs the CLI with its own config file and no ambient server, token or data dir.
struct Cli {
    config: tempfile::TempDir,
    cwd: tempfile::TempDir,
}

impl Cli {
    /// stdout and stderr apart.
    fn run(&self, args: &[&str]) -> Result<(bool, String, String)> {
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
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        Ok((out.status.success(), stdout, stderr))
    }

    fn ok(&self, args: &[&str]) -> Result<String> {
        let (ok, stdout, stderr) = self.run(args)?;
        if !ok {
            bail!("berth {args:?} failed:\n{stdout}{stderr}");
        }
        Ok(stdout)
    }
}

async fn secret_word(url: &str, key: &str) -> Result<String> {
    Session::connect_with_bearer(url, key)
        .await?
        .call_tool_text("secret_word", json!({}))
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_project_answers_only_its_keys() -> Result<()> {
    let berth = Berth::shared();
    let cli = Cli {
        config: tempfile::tempdir()?,
        cwd: tempfile::tempdir()?,
    };
    let url = berth.mcp_url(PROJECT);
    let data_dir = berth.data_path();
    cli.ok(&[
        "login",
        "--server",
        &berth.base_url(),
        "--data-dir",
        data_dir.to_str().unwrap(),
    ])?;
    let dir = cli.cwd.path().join(PROJECT);
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("server.py"), SERVER)?;
    cli.ok(&["deploy", dir.to_str().unwrap()])?;
    let mut public = Session::connect(&url).await?;
    assert_eq!(
        public.call_tool_text("secret_word", json!({})).await?,
        "swordfish"
    );

    let set = cli.ok(&["projects", "set", "--private", "--project", PROJECT])?;
    assert!(
        set.contains("is private") && set.contains("live deployments updated: 1"),
        "{set}"
    );
    let listed = cli.ok(&["projects"])?;
    assert!(listed.contains("[private]"), "{listed}");

    // A real MCP request without a key: 401, the challenge, a JSON-RPC error.
    let http = reqwest::Client::new();
    let res = http
        .post(&url)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(
            json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "protocolVersion": "2025-11-25", "capabilities": {},
                "clientInfo": {"name": "e2e", "version": "1"}}})
            .to_string(),
        )
        .send()
        .await?;
    assert_eq!(res.status(), 401);
    let metadata_url = format!(
        "{}/.well-known/oauth-protected-resource/{PROJECT}/mcp",
        berth.base_url()
    );
    assert_eq!(
        res.headers()["www-authenticate"].to_str()?,
        format!("Bearer resource_metadata=\"{metadata_url}\", scope=\"mcp\"")
    );
    let body: Value = res.json().await?;
    assert_eq!(body["error"]["code"], -32600, "{body}");
    // The session opened before is refused too: every request is checked.
    let refused = public.call_tool_text("secret_word", json!({})).await;
    assert!(
        refused
            .as_ref()
            .is_err_and(|e| e.to_string().contains("401")),
        "{refused:?}"
    );
    let metadata: Value = http.get(&metadata_url).send().await?.json().await?;
    assert_eq!(metadata["resource"], url.as_str());
    assert_eq!(metadata["scopes_supported"], json!(["mcp"]));

    // A key from the CLI, printed alone on stdout, opens it.
    let made = cli.ok(&["keys", "create", "--name", "e2e", "--project", PROJECT])?;
    let key = made.trim();
    assert!(
        key.starts_with("berth_pk_") && key.len() == "berth_pk_".len() + 43,
        "{made}"
    );
    assert_eq!(secret_word(&url, key).await?, "swordfish");
    let list = cli.ok(&["keys", "list", "--project", PROJECT])?;
    assert!(list.contains("e2e") && !list.contains(key), "{list}");
    let id = list
        .split_whitespace()
        .find(|w| w.starts_with("k-"))
        .with_context(|| format!("no key id in:\n{list}"))?;

    // Revoked: refused from the next request on.
    cli.ok(&["keys", "revoke", id, "--project", PROJECT])?;
    let after = secret_word(&url, key).await;
    assert!(
        after.as_ref().is_err_and(|e| e.to_string().contains("401")),
        "{after:?}"
    );
    let (ok, _, stderr) = cli.run(&["keys", "create", "--scope", "admin", "--project", PROJECT])?;
    assert!(!ok && stderr.contains("mcp"), "{stderr}");

    cli.ok(&[
        "projects",
        "set",
        "--private",
        "false",
        "--project",
        PROJECT,
    ])?;
    let mut open = Session::connect(&url).await?;
    assert_eq!(
        open.call_tool_text("secret_word", json!({})).await?,
        "swordfish"
    );
    Ok(())
}
