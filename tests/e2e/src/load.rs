//! A load generator over [`Session`]: clients with a session each call a tool in a loop, and the
//! figures they saw (requests per second, latency percentiles, failures). The benchmarks use it.

use std::time::{Duration, Instant};

use anyhow::Result;
use serde_json::json;

use crate::mcp::Session;

/// Unmeasured calls per client before measuring (sessions, connection, instance pools warm up).
pub const WARMUP: Duration = Duration::from_secs(1);

/// Figures for one server at one concurrency level.
#[derive(Debug, Clone)]
pub struct Figures {
    pub clients: usize,
    pub rps: f64,
    pub p50: Duration,
    pub p99: Duration,
    pub errors: usize,
    /// What the first failed call answered (or why it failed), to say what the errors are.
    pub first_error: Option<String>,
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
    let mut first_error = None;
    for task in tasks {
        let (mut l, e, first) = task.await?;
        latencies.append(&mut l);
        errors += e;
        first_error = first_error.or(first);
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
        first_error,
    })
}

/// Calls `add(i, n)` until `end`; returns the latencies measured after `start`, and the errors.
async fn client_loop(
    mut session: Session,
    call: Call,
    i: i64,
    start: Instant,
    end: Instant,
) -> (Vec<Duration>, usize, Option<String>) {
    let mut latencies = Vec::new();
    let mut errors = 0;
    let mut first_error = None;
    let mut n: i64 = 0;
    loop {
        let sent = Instant::now();
        if sent >= end {
            break;
        }
        n += 1;
        // `Err(what)` for a failed call: its error, or the answer that was not the expected one.
        let outcome: Result<(), String> = match call {
            Call::Ping => session
                .request("ping", json!({}))
                .await
                .map(drop)
                .map_err(|e| format!("{e:#}")),
            Call::Add => expect(
                session.call_tool_text("add", json!({"a": i, "b": n})).await,
                &(i + n).to_string(),
            ),
            Call::Fetch => expect(
                session.call_tool_text("fetch", json!({"n": n})).await,
                &format!("item {n}"),
            ),
        };
        if sent >= start {
            match outcome {
                Ok(()) => latencies.push(sent.elapsed()),
                Err(what) => {
                    errors += 1;
                    first_error.get_or_insert(what);
                }
            }
        }
    }
    (latencies, errors, first_error)
}

fn expect(answer: Result<String>, want: &str) -> Result<(), String> {
    match answer {
        Ok(text) if text == want => Ok(()),
        Ok(text) => Err(format!("answered {text:?}, not {want:?}")),
        Err(e) => Err(format!("{e:#}")),
    }
}

pub fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}
