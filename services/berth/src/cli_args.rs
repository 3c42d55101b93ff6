//! Arguments of the CLI commands that talk to a running Berth. Doc comments become `--help`.

use clap::Subcommand;
use std::path::PathBuf;

/// Which Berth to talk to, and as whom. Its `Debug` (in `secrets_debug.rs`) hides the token.
#[derive(clap::Args, Clone)]
pub struct Remote {
    /// The Berth to talk to (default: the one `berth login` saved, else http://127.0.0.1:8080).
    #[arg(long, env = "BERTH_SERVER")]
    pub server: Option<String>,
    /// API token (default: the one `berth login` saved, else a local `berth up`'s operator token).
    #[arg(long, env = "BERTH_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Data dir of a local `berth up`, whose operator token is used when nothing else is configured.
    #[arg(long, default_value = "./.berth", env = "BERTH_DATA_DIR")]
    pub data_dir: PathBuf,
}

#[derive(clap::Args, Debug)]
pub struct LoginArgs {
    #[command(flatten)]
    pub remote: Remote,
    /// Name of the API token made for this machine (when signing in with a local operator token).
    #[arg(long)]
    pub name: Option<String>,
}

#[derive(clap::Args, Debug)]
pub struct LogsArgs {
    /// A project (its newest deployment) or a deployment id (`d-...`).
    pub target: String,
    /// Keep printing lines until the build ends (with --runtime: new events until interrupted).
    #[arg(long, short)]
    pub follow: bool,
    /// The project's runtime log (requests, what its server logged and printed, egress) instead of a
    /// build log.
    #[arg(long, short)]
    pub runtime: bool,
    /// With --runtime: only events at this level or above (debug, info, notice, warning, error, ...).
    #[arg(long, requires = "runtime")]
    pub level: Option<String>,
    /// With --runtime: only this tool's (prompt's, resource's) events.
    #[arg(long, requires = "runtime")]
    pub tool: Option<String>,
    /// With --runtime: only failed requests, errors logged and failed egress.
    #[arg(long, requires = "runtime")]
    pub errors: bool,
    /// With --runtime: only events since this long ago (`30s`, `10m`, `2h`, `7d`) or unix ms.
    #[arg(long, requires = "runtime")]
    pub since: Option<String>,
    /// With --runtime: at most this many events (the newest; 1 to 1000).
    #[arg(long, short = 'n', requires = "runtime")]
    pub limit: Option<usize>,
    #[command(flatten)]
    pub remote: Remote,
}

#[derive(clap::Args, Debug)]
pub struct EnvArgs {
    #[command(subcommand)]
    pub command: EnvCommand,
}

/// Its `Debug` (in `secrets_debug.rs`) shows the names of the variables set, not their values.
#[derive(Subcommand)]
pub enum EnvCommand {
    /// Set variables (KEY=VALUE ...); live deployments see them on their next request.
    Set {
        /// KEY=VALUE pairs.
        #[arg(required = true)]
        pairs: Vec<String>,
        /// Encrypt the values at rest and never show them again.
        #[arg(long)]
        secret: bool,
        /// Which deployments see them: all, production or preview.
        #[arg(long, default_value = "all")]
        scope: String,
        /// The project (default: the current directory's name).
        #[arg(long, short)]
        project: Option<String>,
        #[command(flatten)]
        remote: Remote,
    },
    /// List variables (secrets without their values).
    List {
        #[arg(long, short)]
        project: Option<String>,
        #[command(flatten)]
        remote: Remote,
    },
    /// Remove variables.
    Unset {
        #[arg(required = true)]
        keys: Vec<String>,
        /// Only from this scope (default: every scope).
        #[arg(long)]
        scope: Option<String>,
        #[arg(long, short)]
        project: Option<String>,
        #[command(flatten)]
        remote: Remote,
    },
}

#[derive(clap::Args, Debug)]
pub struct RollbackArgs {
    /// The project to roll back.
    pub project: String,
    /// The deployment to go back to (default: the one before the live one).
    #[arg(long)]
    pub to: Option<String>,
    #[command(flatten)]
    pub remote: Remote,
}

#[derive(clap::Args, Debug)]
pub struct ProjectsArgs {
    #[command(subcommand)]
    pub command: Option<ProjectsCommand>,
    #[command(flatten)]
    pub remote: Remote,
}

#[derive(Subcommand, Debug)]
pub enum ProjectsCommand {
    /// Change a project's settings; live deployments (previews too) follow at once.
    #[command(group(
        clap::ArgGroup::new("setting")
            .required(true)
            .multiple(true)
            .args(["private", "network_allow"])
    ))]
    Set {
        /// `--private` (or `--private true`): only requests with one of the project's API keys
        /// (`berth keys create`) are served. `--private false`: anyone may call it.
        #[arg(long, num_args = 0..=1, default_missing_value = "true")]
        private: Option<bool>,
        /// Hosts its deployments may reach over HTTP besides those their berth.toml allows,
        /// comma-separated, as berth.toml spells them (`api.example.com,*.example.org,10.0.0.5:8443`).
        /// Replaces the list set before; `--network-allow ""` clears it. No rebuild is needed.
        #[arg(long, value_delimiter = ',', value_name = "HOSTS")]
        network_allow: Option<Vec<String>>,
        /// The project (default: the current directory's name).
        #[arg(long, short)]
        project: Option<String>,
        #[command(flatten)]
        remote: Remote,
    },
    /// Who besides its owner may connect OAuth clients (Claude, Cursor, ...) to a private project;
    /// without options, shows the list.
    Access {
        /// Anyone signed in to this Berth (`--anyone-signed-in false` to stop).
        #[arg(long, num_args = 0..=1, default_missing_value = "true")]
        anyone_signed_in: Option<bool>,
        /// A GitHub login (repeatable); the list given replaces the list there was.
        #[arg(long = "user")]
        users: Vec<String>,
        /// Name no users (clears the list).
        #[arg(long, conflicts_with = "users")]
        no_users: bool,
        #[arg(long, short)]
        project: Option<String>,
        #[command(flatten)]
        remote: Remote,
    },
}

#[derive(clap::Args, Debug)]
pub struct KeysArgs {
    #[command(subcommand)]
    pub command: KeysCommand,
}

/// API keys for a project's headless MCP clients (`Authorization: Bearer <key>`).
#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Make a key; its token is printed once, on stdout, and never shown again.
    Create {
        /// What uses it (a machine, a CI job).
        #[arg(long, default_value = "berth CLI")]
        name: String,
        /// What it may do (repeatable; default `mcp`: call the project's MCP endpoint).
        #[arg(long = "scope")]
        scopes: Vec<String>,
        /// The project (default: the current directory's name).
        #[arg(long, short)]
        project: Option<String>,
        #[command(flatten)]
        remote: Remote,
    },
    /// List the project's keys (never their tokens).
    List {
        #[arg(long, short)]
        project: Option<String>,
        #[command(flatten)]
        remote: Remote,
    },
    /// Revoke a key: requests with it are refused from then on.
    Revoke {
        /// The key's id (`k-...`, from `berth keys list`).
        id: String,
        #[arg(long, short)]
        project: Option<String>,
        #[command(flatten)]
        remote: Remote,
    },
}

#[derive(clap::Args, Debug)]
pub struct OauthClientsArgs {
    #[command(subcommand)]
    pub command: OauthClientsCommand,
}

/// Pre-registered OAuth clients (the operator's): for MCP clients configured with a fixed client id.
/// Other clients register themselves, or are known by their client ID metadata document.
#[derive(Subcommand, Debug)]
pub enum OauthClientsCommand {
    /// Register a client; prints its client id (and, for a confidential one, its secret, once).
    Add {
        /// The name users see on the consent page.
        #[arg(long)]
        name: String,
        /// Where it may send users back (repeatable; loopback http URIs match any port).
        #[arg(long = "redirect-uri", required = true)]
        redirect_uris: Vec<String>,
        /// The client id it is configured with (default: a random one).
        #[arg(long)]
        client_id: Option<String>,
        /// It authenticates with a secret (a server-side client); default: a public client.
        #[arg(long)]
        confidential: bool,
        /// A native application (custom-scheme redirect URIs such as `cursor://...`).
        #[arg(long)]
        native: bool,
        #[command(flatten)]
        remote: Remote,
    },
    /// List the pre-registered clients.
    List {
        #[command(flatten)]
        remote: Remote,
    },
    /// Remove a client; every consent given to it goes too.
    Remove {
        client_id: String,
        #[command(flatten)]
        remote: Remote,
    },
}
