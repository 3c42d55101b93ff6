//! Outbound HTTP from a Python server, end to end: `berth up --allow-private-egress` (the API the test
//! starts listens on loopback) hosts a FastMCP server whose tools call a small JSON API through httpx's
//! async client (a module-level shared client, made with the key when the module is imported), httpx's
//! sync client, `urllib.request` and `requests`,
//! as pure-Python packages from the project's `requirements.txt`, with an API key from a Berth secret.
//! Their results equal the same server run natively, and so do those of a server that
//! `FastMCP.from_openapi` makes from the API's OpenAPI document in the repository. A host that `berth.toml` does not allow, and a
//! redirect to one, are refused with an error that names the host and says how to allow it; the
//! runtime log shows each request (never its headers), and `/metrics` counts them.

use std::net::SocketAddr;
use std::process::Command;

use anyhow::{Context, Result};
use axum::Json;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use berth_e2e::mcp::Session;
use berth_e2e::server::http_get_text;
use berth_e2e::tools::Tools;
use berth_e2e::{Berth, Profile};
use serde_json::{Value, json};

const PROJECT: &str = "egress";

/// The API's key, kept as a Berth secret: the API answers 401 without it.
const API_KEY: &str = "sk-egress-51f0c2d8a7";

/// The server; `{API}` becomes the API's base URL and `{OTHER}` the same API at an address only the project's settings allow.
const SERVER: &str = r#"import json
import os
import urllib.request

import httpx
import requests
from fastmcp import FastMCP

API = "{API}"
mcp = FastMCP("egress")

# The FastMCP guides' pattern: one client for the module, made when the module is imported, with a
# bearer token from the environment.
client = httpx.AsyncClient(
    base_url=API, timeout=10, headers={"Authorization": f"Bearer {os.environ.get('API_KEY', '')}"}
)


def auth():
    return {"Authorization": f"Bearer {os.environ.get('API_KEY', '')}"}


@mcp.tool
async def item_async(item: int) -> dict:
    """An item, through the module's shared httpx.AsyncClient and the key it was made with."""
    r = await client.get(f"/items/{item}")
    r.raise_for_status()
    return r.json()


@mcp.tool
def item_sync(item: int) -> dict:
    """An item, through a fresh httpx.Client."""
    with httpx.Client(base_url=API) as c:
        r = c.get(f"/items/{item}", headers=auth())
        r.raise_for_status()
        return r.json()


@mcp.tool
def item_urllib(item: int) -> dict:
    """An item, through urllib.request."""
    req = urllib.request.Request(f"{API}/items/{item}", headers=auth())
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)


@mcp.tool
def item_requests(item: int) -> dict:
    """An item, through requests."""
    r = requests.get(f"{API}/items/{item}", headers=auth(), timeout=10)
    r.raise_for_status()
    return r.json()


@mcp.tool
async def echo(payload: dict) -> dict:
    """Posts JSON and returns what the API saw."""
    r = await client.post("/echo", json=payload, headers=auth())
    r.raise_for_status()
    return r.json()


@mcp.tool
async def bounce() -> str:
    """Follows the API's redirect to a host no one allowed."""
    r = await client.get("/bounce", follow_redirects=True)
    return r.text


@mcp.tool
def elsewhere() -> str:
    """Calls an address berth.toml does not allow (the project's settings may)."""
    return httpx.get("{OTHER}/").text
"#;

/// A server made from the API's OpenAPI document in the repository, as the FastMCP guides show.
const OPENAPI_SERVER: &str = r#"import json
import os
import pathlib

import httpx
from fastmcp import FastMCP

spec = json.loads((pathlib.Path(__file__).parent / "openapi.json").read_text())
client = httpx.AsyncClient(
    base_url="{API}", headers={"Authorization": f"Bearer {os.environ.get('API_KEY', '')}"}
)
mcp = FastMCP.from_openapi(openapi_spec=spec, client=client, name="items-api")
"#;

/// The API's OpenAPI document.
const OPENAPI_SPEC: &str = r#"{
  "openapi": "3.1.0",
  "info": {"title": "Items", "version": "1.0"},
  "paths": {
    "/items/{id}": {
      "get": {
        "operationId": "get_item",
        "summary": "One item by its id",
        "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
        "responses": {"200": {"description": "The item", "content": {"application/json": {"schema": {
          "type": "object",
          "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
          "required": ["id", "name"]
        }}}}}
      }
    },
    "/echo": {
      "post": {
        "operationId": "echo",
        "summary": "Returns the body it was sent",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {
          "type": "object",
          "properties": {"city": {"type": "string"}, "n": {"type": "array", "items": {"type": "integer"}}},
          "required": ["city"]
        }}}},
        "responses": {"200": {"description": "What the API saw"}}
      }
    }
  }
}"#;

/// The calls of the OpenAPI server compared with native.
fn openapi_calls() -> Vec<(&'static str, Value)> {
    vec![
        ("get_item", json!({"id": 7})),
        ("echo", json!({"city": "Oslo", "n": [1, 2]})),
        ("get_item", json!({})),
    ]
}

/// The calls compared with the native server: `(tool, arguments)`.
fn calls() -> Vec<(&'static str, Value)> {
    vec![
        ("item_async", json!({"item": 1})),
        ("item_sync", json!({"item": 2})),
        ("item_urllib", json!({"item": 3})),
        ("item_requests", json!({"item": 4})),
        ("echo", json!({"payload": {"city": "Oslo", "n": [1, 2]}})),
    ]
}

/// Runs `server.py` natively (fastmcp's in-memory client) and prints its tools and each call's text
/// and error flag.
const NATIVE: &str = r#"
import asyncio, json, sys
sys.path.insert(0, sys.argv[1])
import server
from fastmcp import Client

async def main():
    out = []
    async with Client(server.mcp) as c:
        tools = [t.model_dump(by_alias=True, exclude_none=True, mode="json") for t in await c.list_tools()]
        for name, args in json.loads(sys.argv[2]):
            r = await c.call_tool(name, args, raise_on_error=False)
            out.append([r.content[0].text if r.content else "", r.is_error])
    print(json.dumps({"tools": tools, "calls": out}))

asyncio.run(main())
"#;

fn authorized(headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .is_some_and(|v| v.as_bytes() == format!("Bearer {API_KEY}").as_bytes())
}

/// The API: `GET /items/{id}` and `POST /echo` (both need the key), and `GET /bounce`, a redirect
/// to a host that no project allows.
async fn start_api() -> Result<SocketAddr> {
    let app = axum::Router::new()
        .route(
            "/items/{id}",
            get(|Path(id): Path<u64>, headers: HeaderMap| async move {
                if !authorized(&headers) {
                    return StatusCode::UNAUTHORIZED.into_response();
                }
                Json(json!({"id": id, "name": format!("item-{id}")})).into_response()
            }),
        )
        .route(
            "/echo",
            post(|headers: HeaderMap, Json(body): Json<Value>| async move {
                if !authorized(&headers) {
                    return StatusCode::UNAUTHORIZED.into_response();
                }
                let kind = headers
                    .get(header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                Json(json!({"got": body, "contentType": kind})).into_response()
            }),
        )
        .route("/", get(|| async { "hello from the API" }))
        .route(
            "/bounce",
            get(|| async {
                Response::builder()
                    .status(StatusCode::FOUND)
                    .header(header::LOCATION, "http://not-allowed.example/landing")
                    .body(axum::body::Body::empty())
                    .expect("a redirect")
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(addr)
}

/// Writes a project: `server.py`, its requirements, and a `berth.toml` allowing the API alone.
fn write_project(dir: &std::path::Path, api: SocketAddr, server: &str, reqs: &str) -> Result<()> {
    std::fs::write(dir.join("server.py"), server)?;
    std::fs::write(dir.join("requirements.txt"), reqs)?;
    std::fs::write(
        dir.join("berth.toml"),
        format!("[network]\nallow = [\"{api}\"]\n"),
    )?;
    Ok(())
}

fn openapi_files(dir: &std::path::Path, api: SocketAddr) -> Result<()> {
    std::fs::write(dir.join("openapi.json"), OPENAPI_SPEC)?;
    let server = OPENAPI_SERVER.replace("{API}", &format!("http://{api}"));
    write_project(dir, api, &server, "httpx\n")
}

fn project_files(dir: &std::path::Path, api: SocketAddr, other: SocketAddr) -> Result<()> {
    let server = SERVER
        .replace("{API}", &format!("http://{api}"))
        .replace("{OTHER}", &format!("http://{other}"));
    write_project(dir, api, &server, "httpx\nrequests\n")
}

/// What the native server answers: its tools, and `[text, isError]` for each call.
struct Native {
    tools: Value,
    calls: Vec<(String, bool)>,
}

/// Runs the server in `dir` natively, with the API key in its environment.
fn native(dir: &std::path::Path, calls: &[(&str, Value)]) -> Result<Native> {
    let python = Tools::from_env()?.compat_python(false)?;
    let calls: Vec<Value> = calls.iter().map(|(t, a)| json!([t, a])).collect();
    let out = berth_e2e::run_json(
        Command::new(python)
            .args(["-c", NATIVE])
            .arg(dir)
            .arg(serde_json::to_string(&calls)?)
            .env("API_KEY", API_KEY),
    )?;
    let calls = out["calls"]
        .as_array()
        .context("the native run's results")?
        .iter()
        .map(|r| {
            Ok((
                r[0].as_str().context("text")?.to_string(),
                r[1].as_bool().context("isError")?,
            ))
        })
        .collect::<Result<_>>()?;
    Ok(Native {
        tools: out["tools"].clone(),
        calls,
    })
}

/// What a client sees of each tool: name, description, and input and output schemas.
fn tool_shapes(tools: &Value) -> Vec<Value> {
    tools
        .as_array()
        .map(|all| {
            all.iter()
                .map(|t| {
                    json!([
                        t["name"],
                        t["description"],
                        t["inputSchema"],
                        t["outputSchema"]
                    ])
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Keeps the API's key as a secret of `project`.
fn set_api_key(berth: &Berth, project: &str) -> Result<()> {
    let pair = format!("API_KEY={API_KEY}");
    berth.cli_ok(&["env", "set", &pair, "--secret", "--project", project])?;
    Ok(())
}

fn text_of(result: &Value) -> (String, bool) {
    let text = result["content"][0]["text"]
        .as_str()
        .unwrap_or("")
        .to_string();
    (text, result["isError"] == true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_servers_reach_allowed_apis_and_nothing_else() -> Result<()> {
    let api = start_api().await?;
    // The same API at another address, which berth.toml does not allow.
    let other = start_api().await?;
    let dir = tempfile::Builder::new()
        .prefix("berth-e2e-egress-")
        .tempdir()?;
    project_files(dir.path(), api, other)?;

    let berth = tokio::task::spawn_blocking(|| {
        Berth::start_with_args(Profile::Debug, &["--allow-private-egress".to_string()])
    })
    .await??;
    let url = berth.deploy_ok(dir.path(), PROJECT)?;
    set_api_key(&berth, PROJECT)?;

    let path = dir.path().to_path_buf();
    let expected = tokio::task::spawn_blocking(move || native(&path, &calls())).await??;
    let mut mcp = Session::connect(&url).await?;
    for ((tool, args), want) in calls().into_iter().zip(&expected.calls) {
        assert!(!want.1, "natively, {tool} failed: {}", want.0);
        let got = text_of(&mcp.call_tool(tool, args).await?);
        assert_eq!(&got, want, "{tool}: Berth, then native");
    }

    // FastMCP.from_openapi over the API's document in the repository: the same tools and answers.
    let spec_dir = tempfile::Builder::new()
        .prefix("berth-e2e-openapi-")
        .tempdir()?;
    openapi_files(spec_dir.path(), api)?;
    let openapi_url = berth.deploy_ok(spec_dir.path(), "egress-openapi")?;
    set_api_key(&berth, "egress-openapi")?;
    let path = spec_dir.path().to_path_buf();
    let want = tokio::task::spawn_blocking(move || native(&path, &openapi_calls())).await??;
    let mut openapi = Session::connect(&openapi_url).await?;
    let listed = openapi.request("tools/list", json!({})).await?;
    assert_eq!(
        tool_shapes(&listed["tools"]),
        tool_shapes(&want.tools),
        "tools/list: Berth, then native"
    );
    for ((tool, args), want) in openapi_calls().into_iter().zip(&want.calls) {
        let got = text_of(&openapi.call_tool(tool, args.clone()).await?);
        assert_eq!(&got, want, "{tool} {args}: Berth, then native");
    }

    // A redirect to a host the project did not allow is refused at that hop.
    let (text, is_error) = text_of(&mcp.call_tool("bounce", json!({})).await?);
    assert!(is_error, "{text}");
    assert!(
        text.contains("not-allowed.example") && text.contains("berth.toml"),
        "the refusal names the host and how to allow it: {text}"
    );
    // So is an address berth.toml does not name, even with private egress allowed.
    let (text, is_error) = text_of(&mcp.call_tool("elsewhere", json!({})).await?);
    assert!(is_error, "{text}");
    assert!(text.contains(&other.to_string()), "{text}");
    // Until the project's settings allow it: from the next call on, without a rebuild.
    let allow = other.to_string();
    berth.cli_ok(&[
        "projects",
        "set",
        "--network-allow",
        &allow,
        "--project",
        PROJECT,
    ])?;
    let (text, is_error) = text_of(&mcp.call_tool("elsewhere", json!({})).await?);
    assert_eq!((text.as_str(), is_error), ("hello from the API", false));
    berth.cli_ok(&[
        "projects",
        "set",
        "--network-allow",
        "",
        "--project",
        PROJECT,
    ])?;
    let (text, is_error) = text_of(&mcp.call_tool("elsewhere", json!({})).await?);
    assert!(is_error, "cleared again: {text}");

    // The runtime log shows each request by method, host and status, never its headers.
    let events = berth.api_get(&format!("/api/v1/projects/{PROJECT}/logs?limit=500"))?;
    let events = events["events"].as_array().cloned().unwrap_or_default();
    let egress: Vec<&Value> = events.iter().filter(|e| e["kind"] == "egress").collect();
    let api_host = api.to_string();
    assert!(
        egress.iter().any(|e| e["method"] == "POST"
            && e["status"] == 200
            && e.to_string().contains(&api_host)),
        "{egress:#?}"
    );
    assert!(
        egress
            .iter()
            .any(|e| e.to_string().contains("not-allowed.example") && e["status"].is_null()),
        "{egress:#?}"
    );
    let all = serde_json::to_string(&events)?;
    assert!(
        !all.contains(API_KEY),
        "the key never reaches the log: {all}"
    );

    let metrics = http_get_text(berth.admin_port(), "/metrics")?;
    let line = metrics
        .lines()
        .find(|l| l.starts_with("berth_egress_requests_total") && l.contains(PROJECT))
        .with_context(|| format!("no egress counter for {PROJECT}:\n{metrics}"))?;
    let counted: f64 = line.rsplit(' ').next().unwrap_or("0").parse()?;
    assert!(counted >= 5.0, "{line}");
    Ok(())
}
