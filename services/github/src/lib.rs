//! GitHub, as Berth speaks to it: the OAuth web flow for signing in ([`oauth`]), the REST API for
//! users, repositories, commit statuses and pull-request comments ([`GitHub`]), webhook signatures and
//! payloads ([`webhook`]), and fetching exactly one commit of a repository with git2 ([`fetch`]).
//!
//! Everything goes to the base URLs in [`GitHubConfig`]: `https://api.github.com` and
//! `https://github.com` for the real service, a stand-in's loopback address in tests. Nothing here reads
//! the environment or a database; the caller hands in configuration and tokens.

pub mod fetch;
pub mod oauth;
mod rest;
pub mod webhook;

pub use fetch::{FetchLimits, FetchRequest, Fetched, GitSource, fetch_commit};
pub use oauth::{Authorization, SignIn};
pub use rest::{CommitState, GitHub, GitHubUser, Repository, RepositoryPermissions, Status};

/// The real GitHub's API.
pub const GITHUB_API: &str = "https://api.github.com";
/// The real GitHub's web host (OAuth pages, git over HTTPS).
pub const GITHUB_WEB: &str = "https://github.com";

/// Where GitHub is and what Berth is called there.
#[derive(Clone)]
pub struct GitHubConfig {
    /// The REST API's base URL, e.g. `https://api.github.com` (no trailing slash needed).
    pub api_base: String,
    /// The web base URL, e.g. `https://github.com`: OAuth pages and clone URLs.
    pub web_base: String,
    /// The OAuth app's client id.
    pub client_id: String,
    /// The OAuth app's client secret.
    pub client_secret: String,
    /// The secret webhooks are signed with.
    pub webhook_secret: String,
}

/// Stands for a secret in `Debug` output.
pub(crate) struct Redacted;

impl std::fmt::Debug for Redacted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// The client id and the addresses, never the client or webhook secret.
impl std::fmt::Debug for GitHubConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitHubConfig")
            .field("api_base", &self.api_base)
            .field("web_base", &self.web_base)
            .field("client_id", &self.client_id)
            .field("client_secret", &Redacted)
            .field("webhook_secret", &Redacted)
            .finish()
    }
}

impl GitHubConfig {
    /// The API base without a trailing slash.
    pub fn api(&self) -> &str {
        self.api_base.trim_end_matches('/')
    }

    /// The web base without a trailing slash.
    pub fn web(&self) -> &str {
        self.web_base.trim_end_matches('/')
    }

    /// The HTTPS clone URL of `owner/name` on the configured git host.
    pub fn clone_url(&self, repo: &RepoName) -> String {
        format!("{}/{}/{}.git", self.web(), repo.owner, repo.name)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// GitHub could not be reached, or answered with something that is not what its API documents.
    #[error("cannot talk to GitHub: {0}")]
    Transport(String),
    /// GitHub refused: the status and GitHub's message.
    #[error("GitHub answered {status}: {message}")]
    Refused { status: u16, message: String },
    /// The OAuth flow failed (a bad or expired code, a wrong client secret).
    #[error("GitHub sign-in failed: {0}")]
    OAuth(String),
    #[error("{0}")]
    Invalid(String),
}

impl Error {
    /// The HTTP status GitHub answered with, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Refused { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// A repository's full name, `owner/name`, checked to be a name GitHub could give.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RepoName {
    pub owner: String,
    pub name: String,
}

/// Longest owner (GitHub's limit is 39) or repository name (100) accepted.
const MAX_REPO_PART: usize = 100;

impl RepoName {
    /// Parses `owner/name`: letters, digits, `-`, `_` and `.`, not `.` or `..`.
    pub fn parse(full: &str) -> Result<RepoName, Error> {
        let bad = || {
            Error::Invalid(format!(
                "`{full}` is not a repository name; write it as `owner/name`, e.g. `octocat/weather-tools`"
            ))
        };
        let (owner, name) = full.trim().split_once('/').ok_or_else(bad)?;
        let name = name.strip_suffix(".git").unwrap_or(name);
        let ok = |part: &str| {
            !part.is_empty()
                && part.len() <= MAX_REPO_PART
                && part != "."
                && part != ".."
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        };
        if !ok(owner) || !ok(name) {
            return Err(bad());
        }
        Ok(RepoName {
            owner: owner.to_string(),
            name: name.to_string(),
        })
    }
}

impl std::fmt::Display for RepoName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_names() {
        let r = RepoName::parse("octo-cat/weather.tools.git").unwrap();
        assert_eq!(
            (r.owner.as_str(), r.name.as_str()),
            ("octo-cat", "weather.tools")
        );
        assert_eq!(r.to_string(), "octo-cat/weather.tools");
        for bad in [
            "", "octocat", "/x", "x/", "a/b/c", "a/..", "a b/c", "a/b?c", "../x",
        ] {
            assert!(RepoName::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn clone_urls_use_the_configured_host() {
        let config = GitHubConfig {
            api_base: "http://127.0.0.1:9/api/".into(),
            web_base: "http://127.0.0.1:9/".into(),
            client_id: "id".into(),
            client_secret: "secret".into(),
            webhook_secret: "hook".into(),
        };
        let repo = RepoName::parse("o/r").unwrap();
        assert_eq!(config.clone_url(&repo), "http://127.0.0.1:9/o/r.git");
        assert_eq!(config.api(), "http://127.0.0.1:9/api");
    }

    #[test]
    fn debug_shows_no_secret() {
        let config = GitHubConfig {
            api_base: "https://api.github.com".into(),
            web_base: "https://github.com".into(),
            client_id: "Iv1.client-id".into(),
            client_secret: "gh-client-secret-value".into(),
            webhook_secret: "gh-webhook-secret-value".into(),
        };
        let request = fetch::FetchRequest {
            source: fetch::GitSource::Url("https://github.com/o/r.git".into()),
            commit: None,
            git_ref: "refs/heads/main".into(),
            token: Some("gho_token-value".into()),
            limits: fetch::FetchLimits::default(),
        };
        let sign_in = oauth::Authorization {
            url: "https://github.com/login/oauth/authorize".into(),
            state: "oauth-state-value".into(),
            pkce_verifier: "pkce-verifier-value".into(),
        };
        let shown = format!("{config:?} {config:#?} {request:?} {sign_in:?}");
        assert!(shown.contains("Iv1.client-id"), "{shown}");
        for secret in [
            "gh-client-secret-value",
            "gh-webhook-secret-value",
            "gho_token-value",
            "oauth-state-value",
            "pkce-verifier-value",
        ] {
            assert!(!shown.contains(secret), "{secret} shows in {shown}");
        }
    }
}
