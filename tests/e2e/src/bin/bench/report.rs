//! What Berth's own `/metrics` says about a load, and the printed report with the targets.

use anyhow::{Context, Result};
use berth_e2e::server::http_get_text;
use serde_json::Value;
use std::time::Duration;

use crate::{Figures, us};

/// Berth's counters for `tools/call`: the edge's time answering them (handler entry to response,
/// guest included) and the worker's time inside guests.
#[derive(Debug, Clone, Copy, Default)]
pub struct Inside {
    pub edge_seconds: f64,
    pub edge_calls: f64,
    pub guest_seconds: f64,
    pub guest_calls: f64,
}

impl Inside {
    pub fn scrape(port: u16) -> Result<Inside> {
        let text = http_get_text(port, "/metrics")?;
        let mut inside = Inside::default();
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let Some((series, value)) = line.rsplit_once(' ') else {
                continue;
            };
            let value: f64 = value
                .parse()
                .with_context(|| format!("/metrics: bad sample {line}"))?;
            let name = series.split('{').next().unwrap_or(series);
            let tools_call = series.contains("method=\"tools/call\"");
            match name {
                "berth_edge_request_duration_seconds_sum" if tools_call => {
                    inside.edge_seconds += value
                }
                "berth_edge_request_duration_seconds_count" if tools_call => {
                    inside.edge_calls += value
                }
                "berth_worker_guest_seconds_total" => inside.guest_seconds += value,
                "berth_worker_calls_total" => inside.guest_calls += value,
                _ => {}
            }
        }
        Ok(inside)
    }

    /// What happened between `before` and this reading.
    pub fn since(&self, before: &Inside) -> Inside {
        Inside {
            edge_seconds: self.edge_seconds - before.edge_seconds,
            edge_calls: self.edge_calls - before.edge_calls,
            guest_seconds: self.guest_seconds - before.guest_seconds,
            guest_calls: self.guest_calls - before.guest_calls,
        }
    }

    /// Mean microseconds per call at the edge and inside the guest.
    fn means_us(&self) -> Option<(f64, f64)> {
        (self.edge_calls > 0.0 && self.guest_calls > 0.0).then(|| {
            (
                self.edge_seconds / self.edge_calls * 1e6,
                self.guest_seconds / self.guest_calls * 1e6,
            )
        })
    }
}

/// Berth's figures: `ping` at 1 client, `tools/call` at each level, and its metrics at 1 client.
pub struct BerthRun {
    pub ping: Figures,
    pub levels: Vec<Figures>,
    pub inside: Inside,
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "MISSED" }
}

pub fn print(
    native: &[Figures],
    floor: &Figures,
    berth: &BerthRun,
    sandbox: &Value,
    measure: Duration,
) {
    println!();
    println!(
        "{}s per level, each client its own session and keep-alive connection",
        measure.as_secs()
    );
    println!(
        "{:<34} {:>7} {:>10} {:>10} {:>10} {:>7}",
        "server", "clients", "req/s", "p50 us", "p99 us", "errors"
    );
    let rows = native
        .iter()
        .map(|f| ("fastmcp 4.1.2 native, tools/call", f))
        .chain([("bare Rust responder (floor)", floor)])
        .chain([("berth, ping (no guest)", &berth.ping)])
        .chain(berth.levels.iter().map(|f| ("berth, tools/call", f)));
    for (name, f) in rows {
        println!(
            "{:<34} {:>7} {:>10.0} {:>10.0} {:>10.0} {:>7}",
            name,
            f.clients,
            f.rps,
            us(f.p50),
            us(f.p99),
            f.errors
        );
    }
    let field = |key: &str| sandbox.get(key).and_then(Value::as_f64);
    println!();
    println!("sandbox (berth bench-sandbox): {sandbox}");
    let means = berth.inside.means_us();
    if let Some((edge, guest)) = means {
        println!(
            "inside berth at 1 client (its /metrics): the edge answers tools/call in {edge:.1} us on \
             average, {guest:.1} us of it inside the guest"
        );
    }
    println!();
    println!("targets:");
    for (n, b) in native.iter().zip(&berth.levels) {
        let ratio = b.rps / n.rps.max(f64::MIN_POSITIVE);
        if n.clients > 1 {
            println!(
                "  throughput >= 20x fastmcp at {:>2} clients: {ratio:.1}x  {}",
                n.clients,
                verdict(ratio >= 20.0)
            );
        } else {
            // One client waits for each answer: its rate is its latency, not a server's capacity.
            println!("  (throughput at  1 client: {ratio:.1}x fastmcp; latency-bound)");
        }
        println!(
            "  berth p99 < fastmcp p50 at {:>2} clients:   {:.0} us vs {:.0} us  {}",
            n.clients,
            us(b.p99),
            us(n.p50),
            verdict(b.p99 < n.p50)
        );
    }
    match means {
        Some((edge, guest)) => {
            let overhead = edge - guest;
            println!(
                "  edge + worker overhead < 50 us per call (inside berth, 1 client): {edge:.1} - \
                 {guest:.1} us in the guest = {overhead:.1} us  {}",
                verdict(overhead < 50.0)
            );
            if let Some(b) = berth.levels.first() {
                let seen = us(b.p50) - us(floor.p50) - guest;
                println!(
                    "    as the client sees it: berth p50 {:.0} us - floor p50 {:.0} us - guest \
                     {guest:.0} us = {seen:.0} us",
                    us(b.p50),
                    us(floor.p50)
                );
            }
            if let Some(tight) = field("warm_call_us") {
                println!(
                    "    (the same guest call in a tight loop takes {tight:.0} us: hot caches, one \
                     thread)"
                );
            }
        }
        None => {
            println!("  edge + worker overhead < 50 us: berth's /metrics had no tools/call  MISSED")
        }
    }
    match field("cold_start_ms") {
        Some(cold) => println!(
            "  cold start < 10 ms: {cold:.2} ms  {}",
            verdict(cold < 10.0)
        ),
        None => println!("  cold start < 10 ms: bench-sandbox gave no cold_start_ms  MISSED"),
    }
    let errors: usize = native
        .iter()
        .chain(&berth.levels)
        .chain([floor, &berth.ping])
        .map(|f| f.errors)
        .sum();
    if errors > 0 {
        println!("  note: {errors} calls failed; their latencies are not counted");
    }
}
