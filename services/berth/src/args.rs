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
    Up(Box<UpArgs>),
    /// Deploy a local directory to a running Berth; streams the build log and prints the URL.
    Deploy(DeployArgs),
    /// Sign the CLI in to a Berth and save the server and an API token.
    Login(LoginArgs),
    /// List your projects (`projects set`: change a project's settings).
    Projects(ProjectsArgs),
    /// Print a fresh one-time link that signs a browser in to the dashboard as you (against a local
    /// `berth up`'s data directory: as its operator), for when the link `berth up` printed was used or
    /// expired.
    SignIn(Remote),
    /// Print a deployment's build log.
    Logs(LogsArgs),
    /// A project's environment variables and secrets.
    Env(EnvArgs),
    /// A project's API keys, for MCP clients of a private project.
    Keys(KeysArgs),
    /// OAuth clients the operator pre-registers, for MCP clients that need a fixed client id.
    OauthClients(OauthClientsArgs),
    /// Serve an earlier deployment of a project again.
    Rollback(RollbackArgs),
    /// Build a project and measure the sandbox alone: warm call, fresh instance, cold start (JSON).
    #[command(hide = true)]
    BenchSandbox(BenchArgs),
}

/// Its `Debug` (in `secrets_debug.rs`) hides the secret key and the database URL.
#[derive(clap::Args)]
pub struct UpArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", env = "BERTH_LISTEN")]
    pub listen: SocketAddr,
    /// Where the admin listener serves `/metrics` (every project's series) without a token, for a
    /// Prometheus scraper; `off` for none. On --listen, `/metrics` needs the operator's token.
    #[arg(long, default_value = crate::admin::DEFAULT_ADMIN_LISTEN, env = "BERTH_ADMIN_LISTEN")]
    pub admin_listen: crate::admin::AdminListen,
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
    /// Threads that run guests once they compute past their first epoch slice (2 ms), so that
    /// requests never wait behind guest compute (default: one per core).
    #[arg(long, env = "BERTH_GUEST_THREADS")]
    pub guest_threads: Option<usize>,
    /// How those threads are scheduled: `idle` (Linux SCHED_IDLE: computing guests get only the CPU
    /// that requests leave) or a nice value from 0 to 19 (0: guests compete with requests as equals).
    #[arg(long, alias = "guest-nice", env = "BERTH_GUEST_PRIORITY", default_value_t = berth_sandbox_host::DEFAULT_GUEST_PRIORITY)]
    pub guest_priority: berth_sandbox_host::GuestPriority,
    /// Let guests' outbound HTTP reach loopback, private, link-local and metadata addresses when a
    /// project allows a host that resolves to one. Off, those are refused whatever a project allows:
    /// turn it on only for development and tests on one machine.
    #[arg(long, env = "BERTH_ALLOW_PRIVATE_EGRESS")]
    pub allow_private_egress: bool,
    /// Folder of the per-function compilation cache: functions compiled for one deploy (CPython's, in
    /// every Python server) are not compiled again for the next. Several Berth processes may share one.
    /// `off` compiles everything every time. Default: <data-dir>/compile-cache.
    #[arg(long, env = "BERTH_COMPILE_CACHE")]
    pub compile_cache: Option<String>,
    /// Most megabytes the compilation cache keeps (the oldest entries go first).
    #[arg(long, env = "BERTH_COMPILE_CACHE_MB", default_value_t = berth_sandbox_host::DEFAULT_COMPILE_CACHE_BYTES / (1024 * 1024))]
    pub compile_cache_mb: u64,
    #[command(flatten)]
    pub tools: ToolArgs,
    #[command(flatten)]
    pub git: GitArgs,
    #[command(flatten)]
    pub limits: crate::limit_args::LimitArgs,
    #[command(flatten)]
    pub memory: crate::memory_args::MemoryArgs,
    #[command(flatten)]
    pub runtime_log: crate::runtime_logs::RuntimeLogArgs,
}

/// GitHub (sign-in, repository projects, push-to-deploy, pull-request previews) and local git.
/// GitHub is on when its client id, client secret and webhook secret are all set.
/// Its `Debug` (in `secrets_debug.rs`) hides the client and webhook secrets.
#[derive(clap::Args, Clone)]
pub struct GitArgs {
    /// The GitHub OAuth app's client id.
    #[arg(long, env = "BERTH_GITHUB_CLIENT_ID")]
    pub github_client_id: Option<String>,
    /// The GitHub OAuth app's client secret.
    #[arg(long, env = "BERTH_GITHUB_CLIENT_SECRET", hide_env_values = true)]
    pub github_client_secret: Option<String>,
    /// The secret GitHub signs webhook deliveries with (point the webhook at <public-url>/webhooks/github).
    #[arg(long, env = "BERTH_GITHUB_WEBHOOK_SECRET", hide_env_values = true)]
    pub github_webhook_secret: Option<String>,
    /// GitHub's REST API (GitHub Enterprise: https://<host>/api/v3).
    #[arg(long, env = "BERTH_GITHUB_API_URL", default_value = berth_github::GITHUB_API)]
    pub github_api_url: String,
    /// GitHub's web address: OAuth pages and the only host repositories are cloned from.
    #[arg(long, env = "BERTH_GITHUB_URL", default_value = berth_github::GITHUB_WEB)]
    pub github_url: String,
    /// Let the operator's account deploy from git repositories on this machine (`"path"` in
    /// POST /api/v1/projects); other users are refused.
    #[arg(long, env = "BERTH_ALLOW_LOCAL_GIT")]
    pub allow_local_git: bool,
}

impl GitArgs {
    /// What the control plane needs; an error if GitHub is configured only in part.
    pub fn options(&self) -> anyhow::Result<berth_control::GitOptions> {
        let parts = [
            &self.github_client_id,
            &self.github_client_secret,
            &self.github_webhook_secret,
        ];
        let github = match parts.map(|p| p.as_deref().filter(|v| !v.is_empty())) {
            [Some(id), Some(secret), Some(hook)] => Some(berth_github::GitHubConfig {
                api_base: self.github_api_url.clone(),
                web_base: self.github_url.clone(),
                client_id: id.into(),
                client_secret: secret.into(),
                webhook_secret: hook.into(),
            }),
            [None, None, None] => None,
            _ => anyhow::bail!(
                "GitHub needs all three of --github-client-id, --github-client-secret and --github-webhook-secret"
            ),
        };
        Ok(berth_control::GitOptions {
            github,
            allow_local_paths: self.allow_local_git,
            ..Default::default()
        })
    }
}

#[derive(clap::Args, Debug, Clone)]
pub struct ToolArgs {
    /// Where Berth installs its build tools (componentize-py).
    #[arg(long, env = "BERTH_TOOLS")]
    pub tools_dir: Option<PathBuf>,
    /// Berth's source tree (the Python SDK and the guest contract are read from here).
    #[arg(long, env = "BERTH_HOME")]
    pub berth_home: Option<PathBuf>,
    /// Build without namespaces when bubblewrap cannot run here (a container without user namespaces).
    /// Build tools then still get a cleared environment, a scratch home and resource limits, but can
    /// read whatever Berth's own user can read: run Berth as a user that can read nothing else.
    #[arg(long, env = "BERTH_ALLOW_UNCONFINED_BUILDS")]
    pub allow_unconfined_builds: bool,
    /// The Python package index builds download wheels from (pip's `--index-url`; pip's default if unset).
    #[arg(long, env = "BERTH_PACKAGE_INDEX")]
    pub package_index: Option<String>,
    /// Memory of one build step, in MiB.
    #[arg(long, env = "BERTH_BUILD_MEMORY_MB", default_value_t = berth_builder::DEFAULT_BUILD_MEMORY_BYTES >> 20)]
    pub build_memory_mb: u64,
    /// CPU seconds of one build step.
    #[arg(long, env = "BERTH_BUILD_CPU_SECONDS", default_value_t = berth_builder::DEFAULT_BUILD_CPU_SECONDS)]
    pub build_cpu_seconds: u64,
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
