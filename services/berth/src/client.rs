//! The CLI's side of the REST API: where the server and token come from (flags, environment, the
//! config `berth login` saves, a local `berth up`'s operator token), requests whose errors say what to
//! do, and following a build log over SSE.

use anyhow::{Context, bail};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

use crate::args::Remote;

/// The server used when nothing says otherwise: a local `berth up`.
pub const DEFAULT_SERVER: &str = "http://127.0.0.1:8080";

/// What `berth login` saves.
/// Its `Debug` (in `secrets_debug.rs`) hides the token.
#[derive(Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Config {
    pub server: String,
    pub token: String,
}

/// `$BERTH_CONFIG`, else `$XDG_CONFIG_HOME/berth/config.toml`, else `~/.config/berth/config.toml`.
pub fn config_path() -> anyhow::Result<PathBuf> {
    let var = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(path) = var("BERTH_CONFIG") {
        return Ok(path);
    }
    let base = match var("XDG_CONFIG_HOME") {
        Some(dir) => dir,
        None => var("HOME")
            .context("cannot find your config folder: set HOME or BERTH_CONFIG")?
            .join(".config"),
    };
    Ok(base.join("berth").join("config.toml"))
}

pub fn load_config() -> anyhow::Result<Option<Config>> {
    let path = config_path()?;
    match std::fs::read_to_string(&path) {
        Ok(text) => toml::from_str(&text)
            .map(Some)
            .with_context(|| format!("{} is damaged; run `berth login` again", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Writes the config readable by its owner only; returns where.
pub fn save_config(config: &Config) -> anyhow::Result<PathBuf> {
    let path = config_path()?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    crate::up::write_private(&path, &toml::to_string(config)?)?;
    #[cfg(unix)]
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    Ok(path)
}

/// A local `berth up`'s operator token, if its data dir is there.
pub fn operator_token(data_dir: &Path) -> Option<String> {
    let token = std::fs::read_to_string(data_dir.join("operator-token")).ok()?;
    Some(token.trim().to_string()).filter(|t| !t.is_empty())
}

/// A signed-in connection to a Berth.
pub struct Client {
    pub server: String,
    token: String,
    http: reqwest::Client,
}

impl Client {
    pub fn new(server: &str, token: &str) -> Client {
        Client {
            server: server.trim_end_matches('/').to_string(),
            token: token.to_string(),
            http: reqwest::Client::new(),
        }
    }

    /// The server and token: `--token`/`BERTH_TOKEN`, else the saved login (when it is for this
    /// server), else the operator token of a local `berth up` in `--data-dir`.
    pub fn from_remote(remote: &Remote) -> anyhow::Result<Client> {
        let config = load_config()?;
        let server = remote
            .server
            .clone()
            .or_else(|| config.as_ref().map(|c| c.server.clone()))
            .unwrap_or_else(|| DEFAULT_SERVER.to_string());
        let server = server.trim_end_matches('/').to_string();
        let saved = config
            .filter(|c| c.server.trim_end_matches('/') == server)
            .map(|c| c.token);
        let token = remote.token.clone().or(saved).or_else(|| operator_token(&remote.data_dir)).with_context(|| {
            format!(
                "not signed in to {server}: run `berth login --server {server}` (or pass --token, or --data-dir of a \
                 local `berth up`)"
            )
        })?;
        Ok(Client::new(&server, &token))
    }

    pub fn token(&self) -> &str {
        &self.token
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server)
    }

    /// Sends a request and returns its JSON body (`Null` for 204), or an error carrying the server's
    /// message and what to do about it.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> anyhow::Result<serde_json::Value> {
        let mut req = self
            .http
            .request(method, self.url(path))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req
            .send()
            .await
            .with_context(|| format!("cannot reach Berth at {}; is it running?", self.server))?;
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        let json: serde_json::Value =
            serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
        if status.is_success() {
            return Ok(json);
        }
        let message = json["error"]["message"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| text.trim().to_string());
        let hint = match status.as_u16() {
            401 => format!("\nsign in again: berth login --server {}", self.server),
            _ => String::new(),
        };
        bail!("{message} ({status}){hint}")
    }

    pub async fn get(&self, path: &str) -> anyhow::Result<serde_json::Value> {
        self.send(reqwest::Method::GET, path, None).await
    }

    /// Prints a deployment's build log (`follow`: until the build ends) and returns its final status
    /// and error.
    pub async fn print_log(
        &self,
        deployment: &str,
        follow: bool,
    ) -> anyhow::Result<(String, Option<String>)> {
        let path = format!(
            "/api/v1/deployments/{deployment}/logs{}",
            if follow { "" } else { "?follow=false" }
        );
        let done = self
            .open_events(&path, "cannot read the build log")
            .await?
            .read(|event, data| {
                if event == "done" {
                    let done: serde_json::Value = serde_json::from_str(data).unwrap_or_default();
                    let status = done["status"].as_str().unwrap_or("unknown").to_string();
                    return Some((status, done["error"].as_str().map(str::to_string)));
                }
                println!("  {data}");
                None
            })
            .await?;
        done.ok_or_else(|| {
            anyhow::anyhow!("the log stream ended early; see `berth logs {deployment}`")
        })
    }

    /// Opens the server-sent events at `path`. A refusal is an error with the server's message, else
    /// `refused`.
    pub async fn open_events(&self, path: &str, refused: &str) -> anyhow::Result<EventStream> {
        let resp = self
            .http
            .get(self.url(path))
            .bearer_auth(&self.token)
            .header("accept", "text/event-stream")
            .send()
            .await
            .with_context(|| format!("cannot reach Berth at {}", self.server))?;
        if !resp.status().is_success() {
            let status = resp.status();
            let body: serde_json::Value = resp.json().await.unwrap_or_default();
            bail!(
                "{} ({status})",
                body["error"]["message"].as_str().unwrap_or(refused)
            );
        }
        Ok(EventStream(resp))
    }
}

/// An open stream of server-sent events.
pub struct EventStream(reqwest::Response);

impl EventStream {
    /// Hands each event's name (empty when it has none) and data to `on_event` until it returns a value
    /// (returned as `Some`) or the stream ends (`None`).
    pub async fn read<T>(
        self,
        mut on_event: impl FnMut(&str, &str) -> Option<T>,
    ) -> anyhow::Result<Option<T>> {
        let mut stream = self.0.bytes_stream();
        let (mut buf, mut event) = (Vec::<u8>::new(), String::new());
        while let Some(chunk) = stream.next().await {
            buf.extend_from_slice(&chunk?);
            while let Some(nl) = buf.iter().position(|b| *b == b'\n') {
                let raw: Vec<u8> = buf.drain(..=nl).collect();
                let line = String::from_utf8_lossy(&raw);
                let line = line.trim_end_matches(['\n', '\r']);
                if line.is_empty() {
                    event.clear();
                } else if let Some(e) = line.strip_prefix("event:") {
                    event = e.trim().to_string();
                } else if let Some(data) = line.strip_prefix("data:") {
                    let data = data.strip_prefix(' ').unwrap_or(data);
                    if let Some(done) = on_event(&event, data) {
                        return Ok(Some(done));
                    }
                }
            }
        }
        Ok(None)
    }
}

/// The project a command is about: `--project`, else the current directory's name.
pub fn project_or_cwd(project: Option<String>) -> anyhow::Result<String> {
    if let Some(p) = project {
        return Ok(p);
    }
    let cwd = std::env::current_dir()?;
    project_from_dir(&cwd)
}

/// A project name from a directory's name (lowercased, other characters as dashes).
pub fn project_from_dir(dir: &Path) -> anyhow::Result<String> {
    let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let slug: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect::<String>()
        .trim_matches('-')
        .to_string();
    if slug.is_empty() {
        bail!(
            "cannot name a project after {}: pass --project <name>",
            dir.display()
        );
    }
    Ok(slug)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_names_from_directories() {
        assert_eq!(
            project_from_dir(Path::new("/home/me/My_Tools")).unwrap(),
            "my-tools"
        );
        assert!(project_from_dir(Path::new("/")).is_err());
    }

    #[test]
    fn config_round_trips_as_toml() {
        let c = Config {
            server: "http://x".into(),
            token: "berth_1".into(),
        };
        assert_eq!(
            toml::from_str::<Config>(&toml::to_string(&c).unwrap()).unwrap(),
            c
        );
    }
}
