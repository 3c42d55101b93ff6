//! `berth bench-sandbox`: builds a project and measures the sandbox alone, printing one JSON object:
//! a call on a warm instance (p50 and mean), a fresh instance, and a cold start (map the artifact,
//! instantiate, first call), all in microseconds or milliseconds as named.

use berth_builder::Builder;
use berth_core::{CallContext, GuestCall, Limits, NoHooks};
use berth_sandbox_host::{ArtifactDir, DeploymentPool, Runtime};
use std::sync::Arc;
use std::time::Instant;

use crate::args::BenchArgs;
use crate::toolchain;

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    tokio::task::spawn_blocking(move || measure(args)).await?
}

fn measure(args: BenchArgs) -> anyhow::Result<()> {
    let scratch = std::env::temp_dir().join(format!("berth-bench-{}", std::process::id()));
    let config = toolchain::builder_config(&args.tools, scratch.join("work"))?;
    let runtime = Runtime::new()?;
    let artifacts = ArtifactDir::new(scratch.join("artifacts"))?;
    let builder = Builder::new(config, runtime.clone(), artifacts.clone());
    let log = |line: &str| eprintln!("  {line}");
    let out = builder.build(&args.dir, args.entry.as_deref(), &log)?;
    let tool = out
        .description
        .tools
        .first()
        .and_then(|t| t["name"].as_str())
        .unwrap_or("add")
        .to_string();
    let mut arguments = serde_json::Map::new();
    arguments.insert("a".into(), 1.into());
    arguments.insert("b".into(), 2.into());
    let call = GuestCall::Tool {
        name: tool,
        arguments,
    };
    let ctx = CallContext {
        request_id: "bench".into(),
        session_id: None,
    };
    let hooks = Arc::new(NoHooks::default());
    let env = Arc::new(Vec::new());

    // Cold start: a worker that has never seen the deployment maps the artifact, instantiates, calls.
    let started = Instant::now();
    let cwasm = artifacts.compiled(&runtime, &out.artifact)?;
    let pool = DeploymentPool::from_artifact(&runtime, &cwasm, Limits::default(), env.clone())?;
    pool.call(&call, &ctx, hooks.clone())?;
    let cold_ms = started.elapsed().as_secs_f64() * 1e3;

    // Warm calls on one instance, awaited one after another as the worker awaits them: the bare
    // guest call (argument encoding, the wasm call, result decoding), with no HTTP and no edge.
    let warm = berth_sandbox_host::block_on(async {
        let mut times = Vec::with_capacity(args.calls);
        for i in 0..100 + args.calls {
            let started = Instant::now();
            pool.call_async(&call, &ctx, hooks.clone()).await?;
            if i >= 100 {
                times.push(started.elapsed());
            }
        }
        anyhow::Ok(times)
    })?;
    let warm_us = percentile_us(warm.clone(), 0.5);
    let warm_mean_us =
        warm.iter().map(|d| d.as_secs_f64()).sum::<f64>() * 1e6 / warm.len().max(1) as f64;

    // A fresh instance for every call (strict isolation).
    let strict = DeploymentPool::from_artifact(
        &runtime,
        &cwasm,
        Limits {
            fresh_instance_per_call: true,
            ..Limits::default()
        },
        env,
    )?;
    let n = 50;
    let started = Instant::now();
    for _ in 0..n {
        strict.call(&call, &ctx, hooks.clone())?;
    }
    let fresh_us = started.elapsed().as_secs_f64() * 1e6 / n as f64 - warm_mean_us;
    let _ = std::fs::remove_dir_all(&scratch);
    println!(
        "{}",
        serde_json::json!({
            "warm_call_us": round(warm_us),
            "warm_call_mean_us": round(warm_mean_us),
            "fresh_instance_us": round(fresh_us),
            "cold_start_ms": round(cold_ms),
            "component_bytes": out.component_bytes,
        })
    );
    Ok(())
}

/// The `p` quantile of the durations, in microseconds.
fn percentile_us(mut times: Vec<std::time::Duration>, p: f64) -> f64 {
    times.sort_unstable();
    let i = ((times.len() as f64 * p).ceil() as usize).saturating_sub(1);
    times.get(i).map_or(0.0, |d| d.as_secs_f64() * 1e6)
}

fn round(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}
