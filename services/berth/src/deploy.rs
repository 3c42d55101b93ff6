//! `berth deploy`: packs a local directory, uploads it, streams the build log, prints the URL.

use anyhow::{Context, bail};
use std::path::Path;

use crate::args::DeployArgs;
use crate::client::Client;

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
    let project = match &args.project {
        Some(p) => p.clone(),
        None => crate::client::project_from_dir(&dir)?,
    };
    let client = Client::from_remote(&args.remote)?;
    let archive = tokio::task::spawn_blocking(move || pack(&dir)).await??;
    let server = client.server.clone();
    let mut url =
        reqwest::Url::parse(&client.url(&format!("/api/v1/projects/{project}/deployments")))
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
        "uploading {} KB to {server} as project `{project}`",
        archive.len() / 1024
    );
    let resp = reqwest::Client::new()
        .post(url)
        .bearer_auth(client.token())
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
    match client.print_log(&id, true).await? {
        (status, _) if status == "ready" => {
            println!("{mcp_url}");
            eprintln!("live: {mcp_url}");
            Ok(())
        }
        (_, error) => bail!(
            "build failed: {}",
            error.as_deref().unwrap_or("see the log above")
        ),
    }
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
