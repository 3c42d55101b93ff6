//! A load generator over [`Session`]: clients with a session each call a tool in a loop, and the
//! figures they saw (requests per second, latency percentiles, failures). The benchmarks use it.

use std::time::{Duration, Instant};

use anyhow::Result;
use serde_json::json;

use crate::mcp::Session;

/// Unmeasured calls per client before measuring (sessions, connection, instance pools warm up).
pub const WARMUP: Duration = Duration::from_secs(1);

/// Figures for one server at one concurrency level.
#[derive(Debug, Clone, Copy)]
pub struct Figures {
    pub clients: usize,
    pub rps: f64,
    pub p50: Duration,
    pub p99: Duration,
    pub errors: usize,
}

/// What each client calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    /// `tools/call add`, checking the sum.
    Add,
    /// `ping`: the edge alone, no guest.
    Ping,
    /// `tools/call fetch`: one outbound HTTP request per call, checking the item it returns.
    Fetch,
}

/// `clients` concurrent sessions calling `add` for `measure`, after a warm-up.
pub async fn load(url: &str, clients: usize, measure: Duration, call: Call) -> Result<Figures> {
    let mut sessions = Vec::with_capacity(clients);
    for _ in 0..clients {
        sessions.push(Session::connect(url).await?);
    }
    let start = Instant::now() + WARMUP;
    let end = start + measure;
    let tasks: Vec<_> = sessions
        .into_iter()
        .enumerate()
        .map(|(i, session)| tokio::spawn(client_loop(session, call, i as i64, start, end)))
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
    call: Call,
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
        let ok = match call {
            Call::Ping => session.request("ping", json!({})).await.is_ok(),
            Call::Add => match session.call_tool_text("add", json!({"a": i, "b": n})).await {
                Ok(text) => text == (i + n).to_string(),
                Err(_) => false,
            },
            Call::Fetch => match session.call_tool_text("fetch", json!({"n": n})).await {
                Ok(text) => text == format!("item {n}"),
                Err(_) => false,
            },
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

pub fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}
