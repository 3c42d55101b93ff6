//! Repositories the test builds (with the `git` command), and git over smart HTTP for them: each
//! request runs `git http-backend` as a CGI program, as a real git host's front end would.

use anyhow::{Context, Result, bail};
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use tokio::io::AsyncWriteExt;

/// A repository on the stand-in: a bare repository it serves, and a work tree the test commits in.
#[derive(Clone, Debug)]
pub struct Repo {
    pub full_name: String,
    work: PathBuf,
}

impl Repo {
    pub(crate) fn create(repos_root: &Path, full_name: &str) -> Result<Repo> {
        let bare = repos_root.join(format!("{full_name}.git"));
        let work = repos_root.join("../work").join(full_name);
        std::fs::create_dir_all(&bare)?;
        std::fs::create_dir_all(&work)?;
        git(&bare, &["init", "-q", "--bare", "-b", "main"])?;
        git(&work, &["init", "-q", "-b", "main"])?;
        git(
            &work,
            &[
                "remote",
                "add",
                "origin",
                bare.to_str().context("UTF-8 path")?,
            ],
        )?;
        Ok(Repo {
            full_name: full_name.to_string(),
            work,
        })
    }

    /// Writes `files` (path, content) over the work tree of `branch` (made from the current branch if
    /// new), commits them with `message`, pushes the branch, and returns the commit id.
    pub fn commit(&self, branch: &str, files: &[(&str, &str)], message: &str) -> Result<String> {
        let exists = git(
            &self.work,
            &[
                "rev-parse",
                "--verify",
                "-q",
                &format!("refs/heads/{branch}"),
            ],
        )
        .is_ok();
        let has_commits = git(&self.work, &["rev-parse", "--verify", "-q", "HEAD"]).is_ok();
        if exists {
            git(&self.work, &["checkout", "-q", branch])?;
        } else if has_commits {
            git(&self.work, &["checkout", "-q", "-b", branch])?;
        } else {
            git(&self.work, &["checkout", "-q", "--orphan", branch])?;
        }
        for (path, content) in files {
            let file = self.work.join(path);
            if let Some(dir) = file.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(file, content)?;
        }
        git(&self.work, &["add", "-A"])?;
        git(
            &self.work,
            &["commit", "-q", "--allow-empty", "-m", message],
        )?;
        git(
            &self.work,
            &[
                "push",
                "-q",
                "-f",
                "origin",
                &format!("HEAD:refs/heads/{branch}"),
            ],
        )?;
        git(&self.work, &["rev-parse", "HEAD"])
    }

    /// Points `refs/pull/<number>/head` at `sha`, as GitHub does for a pull request's head.
    pub fn set_pull_ref(&self, number: u64, sha: &str) -> Result<()> {
        git(
            &self.work,
            &[
                "push",
                "-q",
                "-f",
                "origin",
                &format!("{sha}:refs/pull/{number}/head"),
            ],
        )
        .map(drop)
    }
}

fn git(dir: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=Octo Cat",
            "-c",
            "user.email=octo@example.com",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running git {args:?}"))?;
    if !out.status.success() {
        bail!(
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Runs `git http-backend` for one request under `repos_root` and turns its CGI answer into a response.
pub(crate) async fn http_backend(
    repos_root: &Path,
    path_info: &str,
    method: &Method,
    query: &str,
    headers: &HeaderMap,
    body: Bytes,
) -> Response {
    match run_cgi(repos_root, path_info, method, query, headers, body).await {
        Ok(r) => r,
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("git http-backend failed: {e:#}"),
        )
            .into_response(),
    }
}

async fn run_cgi(
    repos_root: &Path,
    path_info: &str,
    method: &Method,
    query: &str,
    headers: &HeaderMap,
    body: Bytes,
) -> Result<Response> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let mut child = tokio::process::Command::new("git")
        .arg("http-backend")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("GIT_PROJECT_ROOT", repos_root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        // GitHub lets clients ask for any commit by id (a shallow fetch of exactly one commit).
        .env("GIT_CONFIG_COUNT", "2")
        .env("GIT_CONFIG_KEY_0", "uploadpack.allowAnySHA1InWant")
        .env("GIT_CONFIG_VALUE_0", "true")
        .env("GIT_CONFIG_KEY_1", "safe.directory")
        .env("GIT_CONFIG_VALUE_1", "*")
        .env("PATH_INFO", path_info)
        .env("REQUEST_METHOD", method.as_str())
        .env("QUERY_STRING", query)
        .env("CONTENT_TYPE", header("content-type"))
        .env("CONTENT_LENGTH", body.len().to_string())
        .env("HTTP_CONTENT_ENCODING", header("content-encoding"))
        .env("GIT_PROTOCOL", header("git-protocol"))
        .env("REMOTE_ADDR", "127.0.0.1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("spawning git http-backend")?;
    let mut stdin = child.stdin.take().context("stdin")?;
    let writer = tokio::spawn(async move {
        let _ = stdin.write_all(&body).await;
    });
    let out = child.wait_with_output().await?;
    let _ = writer.await;
    if !out.status.success() && out.stdout.is_empty() {
        bail!("{}", String::from_utf8_lossy(&out.stderr));
    }
    let split = out
        .stdout
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, 4));
    let split = split.or_else(|| {
        out.stdout
            .windows(2)
            .position(|w| w == b"\n\n")
            .map(|i| (i, 2))
    });
    let (end, gap) = split.context("no CGI header block")?;
    let head = String::from_utf8_lossy(&out.stdout[..end]).into_owned();
    let mut response = Response::builder().status(StatusCode::OK);
    for line in head.lines() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("status") {
            let code = value
                .split_whitespace()
                .next()
                .and_then(|c| c.parse().ok())
                .unwrap_or(500);
            response = response.status(code);
        } else {
            response = response.header(name.trim(), value);
        }
    }
    Ok(response.body(Body::from(out.stdout[end + gap..].to_vec()))?)
}
