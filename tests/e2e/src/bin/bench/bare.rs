//! The floor under any MCP server on this machine: a minimal Rust responder (axum, serde_json, no
//! sandbox, no session store, no checks) answering the benchmark client's `initialize` and `add`
//! calls. It runs as its own process, as Berth does (a server in the client's own process answers
//! several times faster, thread wake-ups being cheaper there), so its latency is what the client,
//! the kernel's loopback and HTTP cost by themselves; Berth's latency minus this floor minus the
//! guest's own time is what the edge and the worker add.

use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;

use anyhow::{Context, Result};
use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use tokio::sync::oneshot;

/// Set in the child's environment: serve, print the URL, and stop when standard input closes.
pub const SERVE: &str = "BERTH_BENCH_SERVE_BARE";

/// The responder in a child process of this program.
pub struct BareProcess {
    pub url: String,
    child: Child,
}

impl BareProcess {
    pub fn start() -> Result<BareProcess> {
        let mut child = Command::new(std::env::current_exe()?)
            .env(SERVE, "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting the bare responder")?;
        let mut line = String::new();
        if let Some(out) = child.stdout.take() {
            BufReader::new(out).read_line(&mut line)?;
        }
        let url = line.trim().to_string();
        if !url.starts_with("http://") {
            let _ = child.kill();
            let _ = child.wait();
            anyhow::bail!("the bare responder did not start");
        }
        Ok(BareProcess { url, child })
    }
}

impl Drop for BareProcess {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

/// The child's side: serves until its parent closes standard input (or dies).
pub fn serve_until_stdin_closes() -> Result<()> {
    let bare = Bare::start()?;
    println!("{}", bare.url);
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    drop(bare);
    Ok(())
}

pub struct Bare {
    pub url: String,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Bare {
    /// Serves on a free loopback port from a thread with its own multi-threaded runtime (as a server
    /// process would have), with TCP_NODELAY as `berth up` sets it.
    pub fn start() -> Result<Bare> {
        let listener = TcpListener::bind("127.0.0.1:0").context("binding the bare responder")?;
        listener.set_nonblocking(true)?;
        let port = listener.local_addr()?.port();
        let (stop, stopped) = oneshot::channel::<()>();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        let thread = std::thread::Builder::new()
            .name("bare-responder".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
                        let _ = tcp.set_nodelay(true);
                    });
                    let app = Router::new().route("/mcp", post(answer));
                    let _ = axum::serve(listener, app)
                        .with_graceful_shutdown(async {
                            let _ = stopped.await;
                        })
                        .await;
                });
            })?;
        Ok(Bare {
            url: format!("http://127.0.0.1:{port}/mcp"),
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Bare {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn answer(body: Bytes) -> Response {
    let Ok(message) = serde_json::from_slice::<Value>(&body) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let Some(id) = message.get("id") else {
        return StatusCode::ACCEPTED.into_response();
    };
    let result = match message["method"].as_str() {
        Some("initialize") => json!({
            "protocolVersion": message["params"]["protocolVersion"],
            "capabilities": {"tools": {}},
            "serverInfo": {"name": "bare", "version": "0"},
        }),
        Some("tools/call") => {
            let args = &message["params"]["arguments"];
            let sum = args["a"].as_i64().unwrap_or(0) + args["b"].as_i64().unwrap_or(0);
            json!({
                "content": [{"type": "text", "text": sum.to_string()}],
                "structuredContent": {"result": sum},
                "isError": false,
            })
        }
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    let body = json!({"jsonrpc": "2.0", "id": id, "result": result});
    let mut response = (
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response();
    response
        .headers_mut()
        .insert("mcp-session-id", HeaderValue::from_static("bare"));
    response.into_response()
}
