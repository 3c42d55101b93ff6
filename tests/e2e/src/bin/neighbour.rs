//! The hostile-neighbour benchmark: one Berth (release `berth up` on a free loopback port) hosts two
//! projects. `good` (`sandbox/examples/bench`) serves ordinary `tools/call add` traffic; `neighbour`
//! (`sandbox/examples/hostile`) runs, all at once, tools that loop forever, allocate until they run
//! out of memory and flood the project's state, while its clients also open sessions as fast as they
//! can. It measures the good project alone, then with the neighbour, and prints both next to the
//! target: p99 within 2x, and no good request failed.
//!
//! The neighbour's clients run in a child process of this program at the lowest priority (nice 19),
//! standing in for clients on other machines: the figures are Berth's, not this load generator's.
//!
//! Run: `cargo run --release -p berth-e2e --bin neighbour`. `BERTH_NEIGHBOUR_SECS` sets the measured
//! seconds of each phase (default 5); `BERTH_NEIGHBOUR_MIX` runs only some of the neighbour's clients
//! (comma-separated, of `spin,bomb,flood,sessions`), to see what each costs.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use berth_e2e::load::{Call, Figures, load, us};
use berth_e2e::mcp::Session;
use berth_e2e::{Berth, Profile, repo_root};
use serde_json::{Value, json};
use tokio::sync::oneshot;

/// Clients of the good project, each with its own session and connection.
const GOOD_CLIENTS: usize = 4;
/// The neighbour's clients calling `spin` (a loop stopped only by its deadline), each again at once.
const SPINNERS: usize = 4;
/// The neighbour's clients calling `bomb` (allocates until `MemoryError`).
const BOMBERS: usize = 2;
/// The neighbour's clients calling `flood` (64 KiB state values, a hundred per call).
const FLOODERS: usize = 2;
/// The neighbour's clients opening sessions (`initialize`, `notifications/initialized`) in a loop.
const SESSION_FLOODERS: usize = 2;
/// Set (to the neighbour's MCP URL) when this program runs as the neighbour's clients.
const HOSTILE: &str = "BERTH_NEIGHBOUR_HOSTILE";
/// The neighbour's kinds of clients.
const MIX: [&str; 4] = ["spin", "bomb", "flood", "sessions"];
/// How long the neighbour's process may take to stop once told to.
const STOP_WAIT: Duration = Duration::from_secs(10);

fn main() -> Result<()> {
    if let Ok(url) = std::env::var(HOSTILE) {
        return hostile(&url);
    }
    let secs = match std::env::var("BERTH_NEIGHBOUR_SECS") {
        Ok(s) => s
            .parse()
            .context("BERTH_NEIGHBOUR_SECS must be a number of seconds")?,
        Err(_) => 5,
    };
    let measure = Duration::from_secs(secs);
    let mix = mix()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;

    eprintln!("neighbour: berth up (release build) and two projects ...");
    let berth = Berth::start_with(Profile::Release)?;
    let examples = repo_root().join("sandbox/examples");
    let good = berth.deploy_ok(&examples.join("bench"), "good")?;
    let bad = berth.deploy_ok(&examples.join("hostile"), "neighbour")?;
    // The good project may send as fast as the benchmark's clients can (the load measured is Berth's,
    // not its rate limit); the neighbour keeps the default `requestsPerSecond`.
    let unlimited = json!({"limits": {"requestsPerSecond": 100_000}});
    berth.api("PATCH", "/api/v1/projects/good", Some(&unlimited))?;

    eprintln!("neighbour: the good project alone ...");
    let alone = runtime.block_on(load(&good, GOOD_CLIENTS, measure, Call::Add))?;
    line("alone", &alone);

    eprintln!("neighbour: the good project next to the hostile one ...");
    let mut hostile = Hostile::start(&bad)?;
    let with = runtime.block_on(load(&good, GOOD_CLIENTS, measure, Call::Add));
    let counts = hostile.stop();
    let with = with?;
    line("with neighbour", &with);

    report(&alone, &with, &counts?, measure, &mix);
    drop(berth);
    Ok(())
}

fn line(label: &str, f: &Figures) {
    eprintln!(
        "  {label}: {:.0} req/s, p50 {:.0} us, p99 {:.0} us, {} failed",
        f.rps,
        us(f.p50),
        us(f.p99),
        f.errors
    );
}

/// The kinds of the neighbour's clients to run: `BERTH_NEIGHBOUR_MIX`, else all.
fn mix() -> Result<Vec<String>> {
    let Ok(list) = std::env::var("BERTH_NEIGHBOUR_MIX") else {
        return Ok(MIX.iter().map(|k| k.to_string()).collect());
    };
    let kinds: Vec<String> = list.split(',').map(|k| k.trim().to_string()).collect();
    if let Some(bad) = kinds.iter().find(|k| !MIX.contains(&k.as_str())) {
        bail!(
            "BERTH_NEIGHBOUR_MIX: `{bad}` is not one of {}",
            MIX.join(",")
        );
    }
    Ok(kinds)
}

fn report(alone: &Figures, with: &Figures, counts: &Value, measure: Duration, mix: &[String]) {
    let ratio = with.p99.as_secs_f64() / alone.p99.as_secs_f64().max(1e-9);
    println!();
    println!(
        "Hostile neighbour: `tools/call add` on the good project, {GOOD_CLIENTS} clients, {}s each",
        measure.as_secs()
    );
    println!(
        "{:<16} {:>9} {:>10} {:>10} {:>7}",
        "", "req/s", "p50 (us)", "p99 (us)", "failed"
    );
    for (label, f) in [("alone", alone), ("with neighbour", with)] {
        println!(
            "{label:<16} {:>9.0} {:>10.0} {:>10.0} {:>7}",
            f.rps,
            us(f.p50),
            us(f.p99),
            f.errors
        );
    }
    let p99_ok = ratio <= 2.0;
    let failed_ok = with.errors == 0;
    println!(
        "p99 with / alone: {ratio:.2}x (target <= 2x: {}); failed good requests: {} (target 0: {})",
        if p99_ok { "met" } else { "NOT met" },
        with.errors,
        if failed_ok { "met" } else { "NOT met" }
    );
    println!(
        "The neighbour meanwhile (of {}, these ran: {}): {counts}",
        kinds(),
        mix.join(", ")
    );
}

/// The neighbour's clients: this program again, at nice 19, told the neighbour's URL.
struct Hostile {
    child: Child,
    stdin: Option<ChildStdin>,
}

impl Hostile {
    /// Starts the clients and waits until they are all under way (each has its session).
    fn start(url: &str) -> Result<Hostile> {
        let exe = std::env::current_exe()?;
        let mut child = Command::new("nice")
            .args(["-n", "19"])
            .arg(exe)
            .env(HOSTILE, url)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting the neighbour's clients")?;
        let stdin = child.stdin.take();
        let mut hostile = Hostile { child, stdin };
        let mut ready = String::new();
        let stdout = hostile.child.stdout.as_mut().context("no stdout")?;
        BufReader::new(stdout).read_line(&mut ready)?;
        if ready.trim() != "started" {
            bail!("the neighbour's clients did not start: {ready:?}");
        }
        Ok(hostile)
    }

    /// Stops the clients (closing their stdin) and returns what they counted.
    fn stop(&mut self) -> Result<Value> {
        self.stdin.take();
        let mut out = String::new();
        if let Some(stdout) = self.child.stdout.as_mut() {
            stdout.read_to_string(&mut out)?;
        }
        self.wait();
        serde_json::from_str(out.trim()).with_context(|| format!("neighbour counts: {out:?}"))
    }

    fn wait(&mut self) {
        let deadline = Instant::now() + STOP_WAIT;
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

impl Drop for Hostile {
    fn drop(&mut self) {
        self.stdin.take();
        if let Ok(None) = self.child.try_wait() {
            self.wait();
        }
    }
}

/// Outcomes the neighbour's clients count.
#[derive(Default)]
struct Counts {
    ok: AtomicUsize,
    refused: AtomicUsize,
    sessions: AtomicUsize,
}

/// Runs the neighbour's clients until stdin closes, then prints their counts as one JSON line.
fn hostile(url: &str) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let counts = Arc::new(Counts::default());
    let mix = mix()?;
    let wanted = |kind: &str| mix.iter().any(|k| k == kind);
    runtime.block_on(async {
        let calls = [
            ("spin", json!({}), SPINNERS),
            ("bomb", json!({}), BOMBERS),
            ("flood", json!({"keys": 100}), FLOODERS),
        ];
        // Every client has its session before any calls: then all start at once.
        let mut clients = Vec::new();
        for (tool, args, n) in calls {
            for i in 0..if wanted(tool) { n } else { 0 } {
                clients.push((Session::connect(url).await?, tool, args.clone(), i));
            }
        }
        for (session, tool, args, i) in clients {
            tokio::spawn(call_forever(session, tool, args, i, counts.clone()));
        }
        let mut opened = Vec::new();
        for _ in 0..if wanted("sessions") {
            SESSION_FLOODERS
        } else {
            0
        } {
            let (tx, rx) = oneshot::channel();
            opened.push(rx);
            tokio::spawn(open_sessions(url.to_string(), counts.clone(), tx));
        }
        for rx in opened {
            let _ = rx.await;
        }
        anyhow::Ok(())
    })?;
    println!("started");
    // Until the benchmark closes our stdin (or dies).
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    println!(
        "{}",
        json!({
            "callsAnswered": counts.ok.load(Ordering::Relaxed),
            "callsRefusedOrFailed": counts.refused.load(Ordering::Relaxed),
            "sessionsOpened": counts.sessions.load(Ordering::Relaxed),
        })
    );
    runtime.shutdown_background();
    Ok(())
}

/// Clients of each kind, for the report.
fn kinds() -> String {
    format!(
        "{SPINNERS} spin, {BOMBERS} bomb, {FLOODERS} flood and {SESSION_FLOODERS} session-flood clients"
    )
}

/// Calls `tool` again as soon as each call ends, whatever the answer.
async fn call_forever(
    mut session: Session,
    tool: &'static str,
    mut args: Value,
    client: usize,
    counts: Arc<Counts>,
) {
    for n in 0u64.. {
        if tool == "flood" {
            args["prefix"] = json!(format!("c{client}-{n}"));
        }
        match session.call_tool(tool, args.clone()).await {
            Ok(_) => counts.ok.fetch_add(1, Ordering::Relaxed),
            Err(_) => counts.refused.fetch_add(1, Ordering::Relaxed),
        };
    }
}

/// Opens sessions one after another and never closes them; says when the first one is open.
async fn open_sessions(url: String, counts: Arc<Counts>, opened: oneshot::Sender<()>) {
    let mut opened = Some(opened);
    loop {
        if Session::connect(&url).await.is_ok() {
            counts.sessions.fetch_add(1, Ordering::Relaxed);
        } else {
            counts.refused.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(tx) = opened.take() {
            let _ = tx.send(());
        }
    }
}
