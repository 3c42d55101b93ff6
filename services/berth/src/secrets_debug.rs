//! `Debug` for the binary's arguments and saved configuration that hold secrets (the encryption key,
//! the GitHub client and webhook secrets, API tokens, a database URL's password, the values of
//! `berth env set`): they show which are set, never their values.

use berth_core::redact::{Redacted, redacted};
use std::fmt;

use crate::args::{EnvCommand, GitArgs, Remote, UpArgs};
use crate::client::Config;

impl fmt::Debug for UpArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpArgs")
            .field("listen", &self.listen)
            .field("admin_listen", &self.admin_listen)
            .field("data_dir", &self.data_dir)
            .field("public_url", &self.public_url)
            .field("database_url", &redacted(&self.database_url))
            .field("no_example", &self.no_example)
            .field("secret_key", &redacted(&self.secret_key))
            .field("git", &self.git)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for GitArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GitArgs")
            .field("github_client_id", &self.github_client_id)
            .field(
                "github_client_secret",
                &redacted(&self.github_client_secret),
            )
            .field(
                "github_webhook_secret",
                &redacted(&self.github_webhook_secret),
            )
            .field("github_api_url", &self.github_api_url)
            .field("github_url", &self.github_url)
            .field("allow_local_git", &self.allow_local_git)
            .finish()
    }
}

impl fmt::Debug for Remote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Remote")
            .field("server", &self.server)
            .field("token", &redacted(&self.token))
            .field("data_dir", &self.data_dir)
            .finish()
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("server", &self.server)
            .field("token", &Redacted)
            .finish()
    }
}

impl fmt::Debug for EnvCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EnvCommand::Set {
                pairs,
                secret,
                scope,
                project,
                remote,
            } => {
                let names: Vec<&str> = pairs
                    .iter()
                    .map(|p| p.split_once('=').map_or(p.as_str(), |(k, _)| k))
                    .collect();
                f.debug_struct("Set")
                    .field("names", &names)
                    .field("secret", secret)
                    .field("scope", scope)
                    .field("project", project)
                    .field("remote", remote)
                    .finish_non_exhaustive()
            }
            EnvCommand::List { project, remote } => f
                .debug_struct("List")
                .field("project", project)
                .field("remote", remote)
                .finish(),
            EnvCommand::Unset {
                keys,
                scope,
                project,
                remote,
            } => f
                .debug_struct("Unset")
                .field("keys", keys)
                .field("scope", scope)
                .field("project", project)
                .field("remote", remote)
                .finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::args::{Args, Command};
    use clap::Parser;

    /// Every secret a command line can carry, none of which may show in `{:?}`.
    const SECRETS: [&str; 6] = [
        "aa11bb22cc33dd44ee55ff66aa11bb22cc33dd44ee55ff66aa11bb22cc33dd44",
        "gh-client-secret-value",
        "gh-webhook-secret-value",
        "db-password-value",
        "berth_api-token-value",
        "sk-live-env-value",
    ];

    fn assert_hidden(args: &[&str]) {
        let parsed = Args::try_parse_from(args).unwrap();
        let shown = format!("{parsed:?} {parsed:#?}");
        for secret in SECRETS {
            assert!(!shown.contains(secret), "{secret} shows in {shown}");
        }
    }

    #[test]
    fn arguments_never_show_secrets() {
        assert_hidden(&[
            "berth",
            "up",
            "--secret-key",
            SECRETS[0],
            "--github-client-id",
            "id",
            "--github-client-secret",
            SECRETS[1],
            "--github-webhook-secret",
            SECRETS[2],
            "--database-url",
            "postgres://berth:db-password-value@db/berth",
        ]);
        assert_hidden(&["berth", "projects", "--token", SECRETS[4]]);
        assert_hidden(&[
            "berth",
            "env",
            "set",
            "API_KEY=sk-live-env-value",
            "--secret",
            "--token",
            SECRETS[4],
        ]);
        let parsed = Args::try_parse_from(["berth", "env", "set", "API_KEY=sk-live-env-value"]);
        let Command::Env(env) = parsed.unwrap().command else {
            panic!("an env command");
        };
        assert!(format!("{env:?}").contains("API_KEY"));
    }

    #[test]
    fn the_saved_config_never_shows_its_token() {
        let config = crate::client::Config {
            server: "http://127.0.0.1:8080".into(),
            token: SECRETS[4].into(),
        };
        assert!(!format!("{config:?}").contains(SECRETS[4]));
    }
}
