//! `berth deploy`: packs a local directory, uploads it, streams the build log, prints the URL.

use anyhow::{Context, bail};
use futures::StreamExt;
use std::path::Path;

use crate::args::DeployArgs;

/// Folders never uploaded: version control, virtualenvs, caches, Berth's own data.
const SKIP: &[&str] = &[
    ".git",
    ".hg",
    ".venv",
    "venv",
    "__pycache__",
    "node_modules",
    ".berth",
    ".mypy_cache",
    ".pytest_cache",
    "target",
];

pub async fn run(args: DeployArgs) -> anyhow::Result<()> {
    let dir = args
        .dir
        .canonicalize()
        .with_context(|| format!("no directory {}", args.dir.display()))?;
    let token = match &args.token {
        Some(t) => t.clone(),
        None => std::fs::read_to_string(args.data_dir.join("operator-token"))
            .map(|t| t.trim().to_string())
            .with_context(|| {
                format!(
                    "no API token: pass --token or BERTH_TOKEN, or --data-dir of a local `berth up` (looked in {})",
                    args.data_dir.display()
                )
            })?,
    };
    let archive = tokio::task::spawn_blocking(move || pack(&dir)).await??;
    let server = args.server.trim_end_matches('/');
    let client = reqwest::Client::new();
    let mut url = reqwest::Url::parse(&format!(
        "{server}/api/v1/projects/{}/deployments",
        args.project
    ))
    .context("--server must be a URL like http://127.0.0.1:8080")?;
    {
        let mut q = url.query_pairs_mut();
        if let Some(e) = &args.entry {
            q.append_pair("entry", e);
        }
        if let Some(m) = &args.message {
            q.append_pair("message", m);
        }
    }
    eprintln!(
        "uploading {} KB to {server} as project `{}`",
        archive.len() / 1024,
        args.project
    );
    let resp = client
        .post(url)
        .bearer_auth(&token)
        .header("content-type", "application/gzip")
        .body(archive)
        .send()
        .await
        .with_context(|| format!("cannot reach Berth at {server}; is it running?"))?;
    let status = resp.status();
    let body: serde_json::Value = resp.json().await.unwrap_or_default();
    if !status.is_success() {
        let msg = body["error"]["message"]
            .as_str()
            .unwrap_or("unexpected answer");
        bail!("deploy refused ({status}): {msg}");
    }
    let id = body["id"]
        .as_str()
        .context("the server did not return a deployment id")?
        .to_string();
    let mcp_url = body["url"].as_str().unwrap_or_default().to_string();
    eprintln!("deployment {id} queued; build log:");
    let logs = client
        .get(format!("{server}/api/v1/deployments/{id}/logs"))
        .bearer_auth(&token)
        .send()
        .await?
        .error_for_status()?;
    let mut stream = logs.bytes_stream();
    let mut buf = String::new();
    let mut event = String::new();
    while let Some(chunk) = stream.next().await {
        buf.push_str(&String::from_utf8_lossy(&chunk?));
        while let Some(nl) = buf.find('\n') {
            let line = buf[..nl].trim_end_matches('\r').to_string();
            buf.drain(..=nl);
            if let Some(e) = line.strip_prefix("event:") {
                event = e.trim().to_string();
            } else if let Some(data) = line.strip_prefix("data:") {
                let data = data.strip_prefix(' ').unwrap_or(data);
                if event == "done" {
                    let done: serde_json::Value = serde_json::from_str(data).unwrap_or_default();
                    if done["status"] == "ready" {
                        println!("{mcp_url}");
                        eprintln!("live: {mcp_url}");
                        return Ok(());
                    }
                    bail!(
                        "build failed: {}",
                        done["error"].as_str().unwrap_or("see the log above")
                    );
                }
                println!("  {data}");
            }
        }
    }
    bail!(
        "the log stream ended before the build finished; check `GET {server}/api/v1/deployments/{id}`"
    )
}

/// A gzip-compressed tar of the directory, without the folders in [`SKIP`] and without links.
fn pack(dir: &Path) -> anyhow::Result<Vec<u8>> {
    let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::default(),
    ));
    add_dir(&mut tar, dir, Path::new(""))?;
    Ok(tar.into_inner()?.finish()?)
}

fn add_dir<W: std::io::Write>(
    tar: &mut tar::Builder<W>,
    root: &Path,
    rel: &Path,
) -> anyhow::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(root.join(rel))?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name();
        let path = rel.join(&name);
        let ty = entry.file_type()?;
        if ty.is_dir() {
            if !SKIP.iter().any(|s| name == *s) {
                add_dir(tar, root, &path)?;
            }
        } else if ty.is_file() {
            tar.append_path_with_name(root.join(&path), &path)?;
        }
    }
    Ok(())
}
