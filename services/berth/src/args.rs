//! Command-line arguments. Doc comments become `--help`.

use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

pub use crate::cli_args::*;

/// Berth: host MCP servers. Build a FastMCP-style Python server (or a WebAssembly component) and serve
/// it sandboxed at `/<project>/mcp`.
#[derive(Parser, Debug)]
#[command(name = "berth", version)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Start the whole platform in one process (SQLite, in-memory state, local artifacts) and deploy the
    /// example project.
    Up(UpArgs),
    /// Deploy a local directory to a running Berth; streams the build log and prints the URL.
    Deploy(DeployArgs),
    /// Sign the CLI in to a Berth and save the server and an API token.
    Login(LoginArgs),
    /// List your projects.
    Projects(Remote),
    /// Print a deployment's build log.
    Logs(LogsArgs),
    /// A project's environment variables and secrets.
    Env(EnvArgs),
    /// Serve an earlier deployment of a project again.
    Rollback(RollbackArgs),
    /// Build a project and measure the sandbox alone: warm call, fresh instance, cold start (JSON).
    #[command(hide = true)]
    BenchSandbox(BenchArgs),
}

#[derive(clap::Args, Debug)]
pub struct UpArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", env = "BERTH_LISTEN")]
    pub listen: SocketAddr,
    /// Where the database, artifacts and keys live.
    #[arg(long, default_value = "./.berth", env = "BERTH_DATA_DIR")]
    pub data_dir: PathBuf,
    /// The URL users reach this Berth at (default: http://<listen>).
    #[arg(long, env = "BERTH_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Database URL (default: SQLite in the data dir). `postgres://...` for PostgreSQL.
    #[arg(long, env = "BERTH_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Do not deploy the example project.
    #[arg(long)]
    pub no_example: bool,
    /// Builds that may run at once.
    #[arg(long, default_value_t = 2)]
    pub build_concurrency: usize,
    /// Keys that encrypt secrets, as 64 hex digits each, comma-separated; the first encrypts, all
    /// decrypt (rotation). Default: <data-dir>/secret.key, generated on first start.
    #[arg(long, env = "BERTH_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,
    #[command(flatten)]
    pub tools: ToolArgs,
}

#[derive(clap::Args, Debug, Clone)]
pub struct ToolArgs {
    /// Where Berth installs its build tools (componentize-py).
    #[arg(long, env = "BERTH_TOOLS")]
    pub tools_dir: Option<PathBuf>,
    /// Berth's source tree (the Python SDK and the guest contract are read from here).
    #[arg(long, env = "BERTH_HOME")]
    pub berth_home: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
pub struct DeployArgs {
    /// The project directory (holding server.py, or berth.wasm).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Project name; the server is served at /<project>/mcp (default: the directory's name).
    #[arg(long, short)]
    pub project: Option<String>,
    /// Entry point, `path/file.py:object`.
    #[arg(long)]
    pub entry: Option<String>,
    #[command(flatten)]
    pub remote: Remote,
    /// A message recorded with the deployment.
    #[arg(long, short)]
    pub message: Option<String>,
}

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// The project directory.
    pub dir: PathBuf,
    #[arg(long)]
    pub entry: Option<String>,
    /// Calls measured on a warm instance.
    #[arg(long, default_value_t = 2000)]
    pub calls: usize,
    #[command(flatten)]
    pub tools: ToolArgs,
}
