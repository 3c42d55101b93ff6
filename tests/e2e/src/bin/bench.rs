//! Berth's benchmark: serves `sandbox/examples/bench/server.py` natively with fastmcp 4.1.2
//! (uvicorn, Streamable HTTP), then through Berth (release `berth up` + `berth deploy`), and
//! measures `tools/call add` at 1 and 16 concurrent clients, each with its own session and one
//! keep-alive connection. Then it runs `berth bench-sandbox` for the sandbox's own figures and
//! prints everything next to the targets.
//!
//! Run: `cargo run --release -p berth-e2e --bin bench`.
//! `BERTH_BENCH_SECS` sets the measured seconds per level (default 5); `BERTH_BENCH_PROJECT`
//! another project folder whose `server.py` has the same `add` tool.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use berth_e2e::mcp::Session;
use berth_e2e::server::free_port;
use berth_e2e::{Berth, Profile, Tools, berth_bin, repo_root, run_json};
use serde_json::{Value, json};

/// Concurrency levels measured, in clients.
const LEVELS: [usize; 2] = [1, 16];
/// Unmeasured calls per client before measuring (sessions, connection, instance pools warm up).
const WARMUP: Duration = Duration::from_secs(1);
/// How long a native server may take to start answering.
const NATIVE_STARTUP: Duration = Duration::from_secs(30);

/// Figures for one server at one concurrency level.
#[derive(Debug, Clone, Copy)]
struct Figures {
    clients: usize,
    rps: f64,
    p50: Duration,
    p99: Duration,
    errors: usize,
}

fn main() -> Result<()> {
    let secs = match std::env::var("BERTH_BENCH_SECS") {
        Ok(s) => s
            .parse()
            .context("BERTH_BENCH_SECS must be a number of seconds")?,
        Err(_) => 5,
    };
    let measure = Duration::from_secs(secs);
    let project = std::env::var_os("BERTH_BENCH_PROJECT")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("sandbox/examples/bench"));
    if !project.join("server.py").is_file() {
        bail!("{} is missing", project.join("server.py").display());
    }
    let tools = Tools::from_env()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;

    eprintln!("bench: fastmcp 4.1.2 (native, uvicorn) ...");
    let native = {
        let mut server = NativeServer::start(&tools, &project)?;
        let url = server.url.clone();
        runtime.block_on(server.wait_ready())?;
        let figures = runtime.block_on(load_levels(&url, measure));
        server.stop();
        figures?
    };

    eprintln!("bench: Berth (release build) ...");
    let bin = berth_bin(Profile::Release)?;
    let berth_figures = {
        let berth = Berth::start_with(Profile::Release)?;
        let url = berth.deploy_ok(&project, "bench")?;
        runtime.block_on(load_levels(&url, measure))?
    };

    eprintln!("bench: berth bench-sandbox ...");
    let sandbox = run_json(
        Command::new(&bin)
            .arg("bench-sandbox")
            .arg(&project)
            .env("BERTH_TOOLS", tools.root())
            .env("BERTH_HOME", repo_root()),
    )?;

    print_report(&native, &berth_figures, &sandbox, measure);
    Ok(())
}

/// `server.py` under real fastmcp, on a free port.
struct NativeServer {
    child: Child,
    url: String,
}

impl NativeServer {
    fn start(tools: &Tools, project: &Path) -> Result<NativeServer> {
        let port = free_port()?;
        let script = format!(
            "from server import mcp\n\
             mcp.run(transport='http', host='127.0.0.1', port={port}, show_banner=False, \
             log_level='warning')"
        );
        let child = Command::new(tools.python()?)
            .args(["-c", &script])
            .current_dir(project)
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting the native fastmcp server")?;
        Ok(NativeServer {
            child,
            url: format!("http://127.0.0.1:{port}/mcp"),
        })
    }

    async fn wait_ready(&mut self) -> Result<()> {
        let deadline = Instant::now() + NATIVE_STARTUP;
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("the native fastmcp server exited early ({status})");
            }
            match Session::connect(&self.url).await {
                Ok(_) => return Ok(()),
                Err(err) if Instant::now() > deadline => {
                    bail!(
                        "the native fastmcp server did not answer at {}: {err:#}",
                        self.url
                    )
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
    }

    fn stop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for NativeServer {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.stop();
        }
    }
}

async fn load_levels(url: &str, measure: Duration) -> Result<Vec<Figures>> {
    let mut out = Vec::new();
    for clients in LEVELS {
        let f = load(url, clients, measure).await?;
        eprintln!(
            "  {clients:>2} clients: {:.0} req/s, p50 {:.0} us, p99 {:.0} us, {} errors",
            f.rps,
            us(f.p50),
            us(f.p99),
            f.errors
        );
        out.push(f);
    }
    Ok(out)
}

/// `clients` concurrent sessions calling `add` for `measure`, after a warm-up.
async fn load(url: &str, clients: usize, measure: Duration) -> Result<Figures> {
    let mut sessions = Vec::with_capacity(clients);
    for _ in 0..clients {
        sessions.push(Session::connect(url).await?);
    }
    let start = Instant::now() + WARMUP;
    let end = start + measure;
    let tasks: Vec<_> = sessions
        .into_iter()
        .enumerate()
        .map(|(i, session)| tokio::spawn(client_loop(session, i as i64, start, end)))
        .collect();
    let mut latencies = Vec::new();
    let mut errors = 0;
    for task in tasks {
        let (mut l, e) = task.await?;
        latencies.append(&mut l);
        errors += e;
    }
    latencies.sort_unstable();
    let pct = |p: f64| {
        let i = ((latencies.len() as f64 * p).ceil() as usize).saturating_sub(1);
        latencies.get(i).copied().unwrap_or_default()
    };
    Ok(Figures {
        clients,
        rps: latencies.len() as f64 / measure.as_secs_f64(),
        p50: pct(0.50),
        p99: pct(0.99),
        errors,
    })
}

/// Calls `add(i, n)` until `end`; returns the latencies measured after `start`, and the errors.
async fn client_loop(
    mut session: Session,
    i: i64,
    start: Instant,
    end: Instant,
) -> (Vec<Duration>, usize) {
    let mut latencies = Vec::new();
    let mut errors = 0;
    let mut n: i64 = 0;
    loop {
        let sent = Instant::now();
        if sent >= end {
            break;
        }
        n += 1;
        let ok = match session.call_tool_text("add", json!({"a": i, "b": n})).await {
            Ok(text) => text == (i + n).to_string(),
            Err(_) => false,
        };
        if sent >= start {
            if ok {
                latencies.push(sent.elapsed());
            } else {
                errors += 1;
            }
        }
    }
    (latencies, errors)
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "MISSED" }
}

fn print_report(native: &[Figures], berth: &[Figures], sandbox: &Value, measure: Duration) {
    println!();
    println!(
        "tools/call add, {}s per level, each client its own session",
        measure.as_secs()
    );
    println!(
        "{:<24} {:>7} {:>10} {:>10} {:>10} {:>7}",
        "server", "clients", "req/s", "p50 us", "p99 us", "errors"
    );
    for (name, rows) in [("fastmcp 4.1.2 (native)", native), ("berth", berth)] {
        for f in rows {
            println!(
                "{:<24} {:>7} {:>10.0} {:>10.0} {:>10.0} {:>7}",
                name,
                f.clients,
                f.rps,
                us(f.p50),
                us(f.p99),
                f.errors
            );
        }
    }
    let field = |key: &str| sandbox.get(key).and_then(Value::as_f64);
    println!();
    println!("sandbox (berth bench-sandbox): {sandbox}");
    println!();
    println!("targets:");
    for (n, b) in native.iter().zip(berth) {
        let ratio = b.rps / n.rps.max(f64::MIN_POSITIVE);
        println!(
            "  throughput >= 20x fastmcp at {:>2} clients: {ratio:.1}x  {}",
            n.clients,
            verdict(ratio >= 20.0)
        );
        println!(
            "  berth p99 < fastmcp p50 at {:>2} clients:   {:.0} us vs {:.0} us  {}",
            n.clients,
            us(b.p99),
            us(n.p50),
            verdict(b.p99 < n.p50)
        );
    }
    match (berth.first(), field("guest_only_call_us")) {
        (Some(b), Some(guest)) => {
            let overhead = us(b.p50) - guest;
            println!(
                "  overhead < 50 us: berth p50 at 1 client {:.0} us - guest-only call {guest:.0} us \
                 = {overhead:.0} us  {}",
                us(b.p50),
                verdict(overhead < 50.0)
            );
        }
        _ => println!("  overhead < 50 us: bench-sandbox gave no guest_only_call_us  MISSED"),
    }
    match field("cold_start_ms") {
        Some(cold) => println!(
            "  cold start < 10 ms: {cold:.2} ms  {}",
            verdict(cold < 10.0)
        ),
        None => println!("  cold start < 10 ms: bench-sandbox gave no cold_start_ms  MISSED"),
    }
    let errors: usize = native.iter().chain(berth).map(|f| f.errors).sum();
    if errors > 0 {
        println!("  note: {errors} calls failed; their latencies are not counted");
    }
}
