//! Real MCP clients, written by others, list and call tools of a project served by Berth:
//! the official Python `mcp` 2.x client in each connect mode, `fastmcp.Client`, and the MCP
//! Inspector CLI in both protocol eras. The project is `sandbox/examples/bench` (tools
//! `add(a, b)`, `echo(text)` and `visits()`), deployed once per run through `berth deploy`.

use std::process::Command;

use anyhow::Result;
use berth_e2e::{Berth, Tools, repo_root, run_json};
use serde_json::{Value, json};

const PROJECT: &str = "clients";

fn project_url() -> Result<String> {
    Berth::shared().ensure_deployed(&repo_root().join("sandbox/examples/bench"), PROJECT)
}

/// Runs `clients/python_clients.py CLIENT URL add {"a": 2, "b": 40}` and checks what it saw.
fn python_client(client: &str) -> Result<Value> {
    let tools = Tools::from_env()?;
    let script = repo_root().join("tests/e2e/clients/python_clients.py");
    let out = run_json(Command::new(tools.python()?).arg(script).args([
        client,
        &project_url()?,
        "add",
        r#"{"a": 2, "b": 40}"#,
    ]))?;
    let names = out["tools"].as_array().cloned().unwrap_or_default();
    assert!(
        names.contains(&json!("add")) && names.contains(&json!("echo")),
        "{client}: tools/list should name add and echo: {out}"
    );
    assert_eq!(out["is_error"], json!(false), "{client}: {out}");
    assert_eq!(out["text"], json!("42"), "{client}: add(2, 40): {out}");
    Ok(out)
}

#[test]
fn python_mcp_client_auto_mode_uses_the_2026_era() -> Result<()> {
    let out = python_client("mcp-auto")?;
    assert_eq!(out["protocol_version"], json!("2026-07-28"), "{out}");
    Ok(())
}

#[test]
fn python_mcp_client_legacy_mode_uses_a_2025_session() -> Result<()> {
    let out = python_client("mcp-legacy")?;
    let version = out["protocol_version"].as_str().unwrap_or_default();
    assert!(
        version.starts_with("2025-"),
        "legacy mode negotiated {version}: {out}"
    );
    Ok(())
}

#[test]
fn fastmcp_client_lists_and_calls() -> Result<()> {
    python_client("fastmcp")?;
    Ok(())
}

/// Runs the Inspector CLI with its own HOME; returns the JSON it printed.
fn inspector(era: &str, args: &[&str]) -> Result<Value> {
    let tools = Tools::from_env()?;
    let home = tempfile::tempdir()?;
    run_json(
        tools
            .inspector()?
            .args(["--cli", &project_url()?, "--format", "json", "-q"])
            .args(["--protocol-era", era])
            .args(args)
            .env("HOME", home.path()),
    )
}

#[test]
fn inspector_cli_lists_tools_in_both_eras() -> Result<()> {
    for era in ["legacy", "auto"] {
        let out = inspector(era, &["--method", "tools/list"])?;
        let names: Vec<&str> = out["result"]["tools"]
            .as_array()
            .map(|tools| tools.iter().filter_map(|t| t["name"].as_str()).collect())
            .unwrap_or_default();
        assert!(
            names.contains(&"add") && names.contains(&"echo"),
            "{era}: {out}"
        );
        let add = &out["result"]["tools"][names.iter().position(|n| *n == "add").unwrap_or(0)];
        assert_eq!(
            add["inputSchema"]["properties"]["a"]["type"],
            json!("integer"),
            "{add}"
        );
    }
    Ok(())
}

#[test]
fn inspector_cli_calls_a_tool_in_both_eras() -> Result<()> {
    for era in ["legacy", "auto"] {
        let out = inspector(
            era,
            &[
                "--method",
                "tools/call",
                "--tool-name",
                "echo",
                "--tool-args-json",
                r#"{"text": "hello from the inspector"}"#,
            ],
        )?;
        assert_eq!(out["result"]["isError"], json!(false), "{era}: {out}");
        assert_eq!(
            out["result"]["content"][0]["text"],
            json!("hello from the inspector"),
            "{era}: {out}"
        );
    }
    Ok(())
}

/// `ctx.set_state` kept by the host per MCP session: each session counts its own visits, through
/// the guest's `session-*` imports, the edge and its state store.
#[test]
fn session_state_belongs_to_its_session() -> Result<()> {
    let url = project_url()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let mut a = berth_e2e::mcp::Session::connect(&url).await?;
        let mut b = berth_e2e::mcp::Session::connect(&url).await?;
        assert_eq!(a.call_tool_text("visits", json!({})).await?, "1");
        assert_eq!(a.call_tool_text("visits", json!({})).await?, "2");
        assert_eq!(
            b.call_tool_text("visits", json!({})).await?,
            "1",
            "another session"
        );
        assert_eq!(a.call_tool_text("visits", json!({})).await?, "3");
        Ok(())
    })
}
