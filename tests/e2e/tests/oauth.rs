//! Real MCP clients through Berth's OAuth authorization server: against a real `berth up` with GitHub
//! sign-in (the stand-in), headless Chromium runs `tests/e2e/browser/oauth.mjs`: the GitHub user makes
//! a private project from a repository, then the official Python `mcp` client and `fastmcp.Client` each
//! register, send the browser to sign in (GitHub, and back) and consent, and list and call tools with
//! the token they got. Screenshots go to `$BERTH_SCREENSHOTS` (default
//! `<target dir>/dashboard-screenshots`). And the official conformance suite (0.2.0-alpha.12)
//! `authorization` command against Berth's authorization server, its code grant allowed in the browser.

use std::ffi::OsStr;
use std::path::PathBuf;

use anyhow::Result;
use berth_e2e::server::free_port;
use berth_e2e::{Berth, Profile, Tools, browser, repo_root};
use berth_github_standin::StandIn;

const PROJECT: &str = "oauth-e2e";

const SERVER: &str = r#"from fastmcp import FastMCP

mcp = FastMCP("private")


@mcp.tool
def secret_word() -> str:
    """A word only signed-in users hear."""
    return "swordfish"
"#;

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_clients_sign_in_through_the_browser_and_call_a_private_project() -> Result<()> {
    let tools = Tools::from_env()?;
    let gh = StandIn::start().await?;
    let repo = gh.create_repo("octo/demo", true)?;
    repo.commit("main", &[("server.py", SERVER)], "a private server")?;
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
    let python = tools.python()?;
    let client = repo_root().join("tests/e2e/clients/oauth_client.py");
    tokio::task::spawn_blocking(move || {
        let berth = Berth::start_with_args(Profile::Debug, &args)?;
        let shots = screenshots_dir();
        std::fs::create_dir_all(&shots)?;
        let base = berth.base_url();
        let env = [
            ("BERTH_URL", OsStr::new(&base)),
            ("PYTHON", python.as_os_str()),
            ("OAUTH_CLIENT", client.as_os_str()),
            ("PROJECT", OsStr::new(PROJECT)),
        ];
        browser::run_script("oauth.mjs", &shots, &env)
            .map(drop)
            .map_err(|e| {
                let log = berth.log();
                let tail: Vec<&str> = log.lines().rev().take(80).collect();
                anyhow::anyhow!(
                    "{e}\n--- berth up log (last lines) ---\n{}",
                    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                )
            })
    })
    .await?
}

#[test]
fn the_conformance_suite_passes_the_authorization_server() -> Result<()> {
    let tools = Tools::from_env()?;
    let berth = Berth::start()?;
    let link = browser::sign_in_link(&berth)?;
    let port = free_port()?.to_string();
    let callback = format!("http://127.0.0.1:{port}/callback");
    berth.cli_ok(&[
        "oauth-clients",
        "add",
        "--name",
        "MCP conformance",
        "--client-id",
        "conformance",
        "--redirect-uri",
        &callback,
    ])?;
    let project = tempfile::Builder::new()
        .prefix("berth-e2e-oauth-")
        .tempdir()?;
    std::fs::write(project.path().join("server.py"), SERVER)?;
    berth.deploy_ok(project.path(), "conformance-auth")?;
    let suite = tools
        .root()
        .join("conformance-0.2/node_modules/.bin/conformance");
    let resource = berth.mcp_url("conformance-auth");
    let base = berth.base_url();
    let env = [
        ("BERTH_URL", OsStr::new(&base)),
        ("BERTH_SIGN_IN", OsStr::new(&link)),
        ("CONFORMANCE", suite.as_os_str()),
        ("CLIENT_ID", OsStr::new("conformance")),
        ("CALLBACK_PORT", OsStr::new(&port)),
        ("RESOURCE", OsStr::new(&resource)),
    ];
    browser::run_script("conformance-authorization.mjs", &screenshots_dir(), &env)
        .map(drop)
        .map_err(|e| {
            anyhow::anyhow!(
                "{e}\n--- berth up log ---\n{}",
                berth_e2e::server::tail(&berth.log(), 60)
            )
        })
}
