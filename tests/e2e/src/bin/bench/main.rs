//! Berth's benchmark: serves `sandbox/examples/bench/server.py` natively with fastmcp 4.1.2
//! (uvicorn, Streamable HTTP), then through Berth (release `berth up` + `berth deploy`), and
//! measures `tools/call add` at 1 and 16 concurrent clients, each with its own session and one
//! keep-alive connection. A minimal Rust responder in its own process (see [`bare`]) gives the
//! floor that the client, loopback TCP and HTTP cost by themselves, and Berth's `ping` the edge
//! without a guest. Around Berth's 1-client level it reads Berth's own `/metrics`: the edge's time
//! per `tools/call` and the time spent inside the guest, whose difference is the edge and worker
//! overhead. Then it runs `berth bench-sandbox` for the sandbox's own figures and prints everything
//! next to the targets (see [`report`]).
//!
//! Run: `cargo run --release -p berth-e2e --bin bench`.
//! `BERTH_BENCH_SECS` sets the measured seconds per level (default 5); `BERTH_BENCH_PROJECT`
//! another project folder whose `server.py` has the same `add` tool. `BERTH_BENCH_URL` only loads
//! that running MCP endpoint (an `add` tool) with `BERTH_BENCH_CLIENTS` clients (default 1) and
//! prints its figures: for profiling.

mod bare;
mod egress;
mod report;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use berth_e2e::load::{Call, load};
pub use berth_e2e::load::{Figures, us};
use berth_e2e::mcp::Session;
use berth_e2e::server::free_port;
use berth_e2e::{Berth, Profile, Tools, berth_bin, repo_root, run_json};

/// Concurrency levels measured, in clients.
pub(crate) const LEVELS: [usize; 2] = [1, 16];
/// How long a native server may take to start answering.
const NATIVE_STARTUP: Duration = Duration::from_secs(30);

fn main() -> Result<()> {
    if std::env::var_os(bare::SERVE).is_some() {
        return bare::serve_until_stdin_closes();
    }
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
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    if let Ok(url) = std::env::var("BERTH_BENCH_URL") {
        let clients = match std::env::var("BERTH_BENCH_CLIENTS") {
            Ok(n) => n.parse().context("BERTH_BENCH_CLIENTS must be a number")?,
            Err(_) => 1,
        };
        let f = runtime.block_on(load(&url, clients, measure, Call::Add))?;
        println!(
            "{clients} clients: {:.0} req/s, p50 {:.0} us, p99 {:.0} us, {} errors",
            f.rps,
            us(f.p50),
            us(f.p99),
            f.errors
        );
        return Ok(());
    }
    let tools = Tools::from_env()?;

    eprintln!("bench: fastmcp 4.1.2 (native, uvicorn) ...");
    let native = {
        let mut server = NativeServer::start(&tools, &project, &[])?;
        let url = server.url.clone();
        runtime.block_on(server.wait_ready())?;
        let figures = runtime.block_on(load_levels(&url, measure));
        server.stop();
        figures?
    };

    eprintln!("bench: bare Rust responder (the floor, its own process) ...");
    let floor = {
        let bare = bare::BareProcess::start()?;
        runtime.block_on(load(&bare.url, 1, measure, Call::Add))?
    };
    eprintln!(
        "   1 client: {:.0} req/s, p50 {:.0} us, p99 {:.0} us",
        floor.rps,
        us(floor.p50),
        us(floor.p99)
    );

    eprintln!("bench: Berth (release build) ...");
    let bin = berth_bin(Profile::Release)?;
    let (berth, egress) = {
        // Private egress: the egress benchmark's upstream is on loopback.
        let flags = ["--allow-private-egress".to_string()];
        let berth = Berth::start_with_args(Profile::Release, &flags)?;
        let url = berth.deploy_ok(&project, "bench")?;
        // The benchmark measures what Berth serves, not the default per-project request rate.
        let unlimited = serde_json::json!({"limits": {"requestsPerSecond": 100_000}});
        berth.api("PATCH", "/api/v1/projects/bench", Some(&unlimited))?;
        let ping = runtime.block_on(load(&url, 1, measure, Call::Ping))?;
        eprintln!("   ping, 1 client: p50 {:.0} us", us(ping.p50));
        let before = report::Inside::scrape(berth.admin_port())?;
        let one = runtime.block_on(load(&url, 1, measure, Call::Add))?;
        let inside = report::Inside::scrape(berth.admin_port())?.since(&before);
        let sixteen = runtime.block_on(load(&url, 16, measure, Call::Add))?;
        for f in [&one, &sixteen] {
            print_level(f);
        }
        let run = report::BerthRun {
            ping,
            levels: vec![one, sixteen],
            inside,
        };
        (run, egress::run(&runtime, &tools, &berth, measure)?)
    };

    eprintln!("bench: berth bench-sandbox ...");
    let sandbox = run_json(
        Command::new(&bin)
            .arg("bench-sandbox")
            .arg(&project)
            .env("BERTH_TOOLS", tools.root())
            .env("BERTH_HOME", repo_root()),
    )?;

    report::print(&native, &floor, &berth, &sandbox, measure);
    egress::print(&egress);
    Ok(())
}

/// `server.py` under real fastmcp, on a free port.
pub(crate) struct NativeServer {
    child: Child,
    pub(crate) url: String,
}

impl NativeServer {
    /// Starts the project's server with `env` added to this program's environment.
    pub(crate) fn start(
        tools: &Tools,
        project: &Path,
        env: &[(&str, &str)],
    ) -> Result<NativeServer> {
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
            .envs(env.iter().copied())
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

    pub(crate) async fn wait_ready(&mut self) -> Result<()> {
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

    pub(crate) fn stop(&mut self) {
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
        let f = load(url, clients, measure, Call::Add).await?;
        print_level(&f);
        out.push(f);
    }
    Ok(out)
}

/// One level's figures, as they are measured.
pub(crate) fn print_level(f: &Figures) {
    eprintln!(
        "  {:>2} clients: {:.0} req/s, p50 {:.0} us, p99 {:.0} us, {} errors",
        f.clients,
        f.rps,
        us(f.p50),
        us(f.p99),
        f.errors
    );
    if let Some(first) = &f.first_error {
        eprintln!("     the first error: {first}");
    }
}
