//! `berth`: the platform and its command-line client.

mod admin;
mod args;
mod bench;
mod cli;
mod cli_access;
mod cli_args;
mod cli_runtime_logs;
mod client;
mod deploy;
mod glue;
mod http_trace;
mod keys;
mod limit_args;
mod memory_args;
mod runtime_logs;
mod secrets_debug;
mod toolchain;
mod up;
mod worker_metrics;

use clap::Parser;

fn main() -> anyhow::Result<()> {
    let args = args::Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("BERTH_LOG")
                .unwrap_or_else(|_| "info,wasmtime=warn,cranelift=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(256)
        .build()?;
    rt.block_on(async move {
        match args.command {
            args::Command::Up(a) => up::run(*a).await,
            args::Command::Deploy(a) => deploy::run(a).await,
            args::Command::Login(a) => cli::login(a).await,
            args::Command::Projects(a) => cli::projects(a).await,
            args::Command::SignIn(a) => cli::sign_in(a).await,
            args::Command::Logs(a) => cli::logs(a).await,
            args::Command::Env(a) => cli::env(a).await,
            args::Command::Keys(a) => cli_access::keys(a).await,
            args::Command::OauthClients(a) => cli_access::oauth_clients(a).await,
            args::Command::Rollback(a) => cli::rollback(a).await,
            args::Command::BenchSandbox(a) => bench::run(a).await,
        }
    })
}
