//! The egress benchmark: `sandbox/examples/bench-egress`, whose one tool makes one outbound HTTP request
//! (a module-level `httpx.AsyncClient`, as the FastMCP guides write API wrappers) to an upstream API this
//! program serves on loopback. `tools/call fetch` at 1 and 16 clients natively (fastmcp, whose client
//! keeps its connections alive) and through Berth (the host makes each request, checked against the
//! project's allow list, here set in its settings). Target: Berth's p99 below native's p50.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, Result};
use axum::extract::Path;
use axum::routing::get;
use berth_e2e::load::{Call, Figures, load, us};
use berth_e2e::{Berth, Tools, repo_root};

use crate::{LEVELS, NativeServer};

/// The project's folder.
pub const PROJECT: &str = "sandbox/examples/bench-egress";

/// Native and Berth figures at each of [`LEVELS`].
pub struct EgressRun {
    pub native: Vec<Figures>,
    pub berth: Vec<Figures>,
}

/// The upstream API: `GET /items/{n}` answers `item {n}`.
async fn start_upstream() -> Result<SocketAddr> {
    let app = axum::Router::new().route(
        "/items/{n}",
        get(|Path(n): Path<u64>| async move { format!("item {n}") }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(addr)
}

async fn levels(url: &str, measure: Duration) -> Result<Vec<Figures>> {
    let mut out = Vec::new();
    for clients in LEVELS {
        let f = load(url, clients, measure, Call::Fetch).await?;
        crate::print_level(&f);
        out.push(f);
    }
    Ok(out)
}

/// Measures the project natively, then on `berth` (started with `--allow-private-egress`).
pub fn run(
    runtime: &tokio::runtime::Runtime,
    tools: &Tools,
    berth: &Berth,
    measure: Duration,
) -> Result<EgressRun> {
    let project = repo_root().join(PROJECT);
    let upstream = runtime.block_on(start_upstream())?;
    let base = format!("http://{upstream}");

    eprintln!("bench: egress, fastmcp 4.1.2 (native) ...");
    let native = {
        let env = [("BENCH_UPSTREAM", base.as_str())];
        let mut server = NativeServer::start(tools, &project, &env)?;
        let url = server.url.clone();
        runtime.block_on(server.wait_ready())?;
        let figures = runtime.block_on(levels(&url, measure));
        server.stop();
        figures?
    };

    eprintln!("bench: egress, Berth ...");
    let url = berth.deploy_ok(&project, "bench-egress")?;
    let pair = format!("BENCH_UPSTREAM={base}");
    berth.cli_ok(&["env", "set", &pair, "--project", "bench-egress"])?;
    let settings = serde_json::json!({
        "networkAllow": [upstream.to_string()],
        "limits": {"requestsPerSecond": 100_000},
    });
    berth
        .api("PATCH", "/api/v1/projects/bench-egress", Some(&settings))
        .context("allowing the upstream in the project's settings")?;
    let berth = runtime.block_on(levels(&url, measure))?;
    Ok(EgressRun { native, berth })
}

/// The figures next to the target.
pub fn print(run: &EgressRun) {
    println!();
    println!("tools/call with one outbound HTTP request (`fetch`, loopback upstream):");
    println!("  clients  native p50 / p99 (us)    Berth p50 / p99 (us)    Berth req/s vs native");
    for (n, b) in run.native.iter().zip(&run.berth) {
        println!(
            "  {:>7}  {:>9.0} / {:<9.0}       {:>9.0} / {:<9.0}      {:.0} vs {:.0}",
            n.clients,
            us(n.p50),
            us(n.p99),
            us(b.p50),
            us(b.p99),
            b.rps,
            n.rps
        );
    }
    for (n, b) in run.native.iter().zip(&run.berth) {
        let met = b.p99 < n.p50;
        println!(
            "  target at {} clients: Berth p99 {:.0} us below native p50 {:.0} us: {}",
            n.clients,
            us(b.p99),
            us(n.p50),
            if met { "met" } else { "NOT met" }
        );
        if b.errors > 0 || n.errors > 0 {
            println!(
                "  errors at {} clients: native {}, Berth {}",
                n.clients, n.errors, b.errors
            );
        }
    }
}
