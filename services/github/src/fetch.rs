//! Fetching exactly one commit of a repository with git2 and checking its files out into a folder.
//!
//! Over HTTP(S) the fetch is shallow (depth 1) and asks for the commit by id, as GitHub allows; if the
//! server refuses that, the branch (or pull-request ref) is fetched instead and must contain the commit.
//! The pack is cut off past [`FetchLimits::max_bytes`] and [`FetchLimits::timeout`], the checkout past
//! [`FetchLimits::max_checkout_bytes`]. The time limit holds when the remote stalls too: over HTTP(S)
//! the fetch goes through a watchdog that cuts its connections at the deadline. Symbolic links are
//! checked out as plain files holding the link text, so a repository cannot point the build at files
//! outside its folder. Only URLs on the configured git host are fetched; local paths only where the
//! operator allowed them.

use git2::build::CheckoutBuilder;
use git2::{FetchOptions, RemoteCallbacks, Repository};
use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

mod watchdog;

/// Limits on one fetch, each with the reason for its default.
#[derive(Clone, Debug)]
pub struct FetchLimits {
    /// Bytes of pack data received at most: an MCP server's source is small; 100 MiB leaves room for
    /// vendored packages and assets while stopping a repository of datasets.
    pub max_bytes: usize,
    /// Wall-clock time for the fetch: a builder slot should not wait on a slow git host for long.
    pub timeout: Duration,
    /// Bytes of files in the commit's tree at most (packs compress; this bounds the disk used).
    pub max_checkout_bytes: u64,
    /// Files in the commit's tree at most.
    pub max_files: usize,
}

impl Default for FetchLimits {
    fn default() -> Self {
        FetchLimits {
            max_bytes: 100 * 1024 * 1024,
            timeout: Duration::from_secs(120),
            max_checkout_bytes: 256 * 1024 * 1024,
            max_files: 20_000,
        }
    }
}

/// Where the repository is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GitSource {
    /// An `http(s)://` URL on the configured git host.
    Url(String),
    /// A repository folder on this machine (only where the operator allowed local paths).
    Local(PathBuf),
}

impl GitSource {
    /// Checks where a clone may come from: a URL under `git_host` (e.g. `https://github.com`), or, when
    /// `allow_local`, an absolute path to a folder.
    pub fn check(spec: &str, git_host: &str, allow_local: bool) -> Result<GitSource, String> {
        let host = git_host.trim_end_matches('/');
        if let Some(rest) = spec
            .strip_prefix(host)
            .filter(|r| !host.is_empty() && r.starts_with('/'))
        {
            if rest.contains("..") || rest.contains('@') || rest.contains('?') {
                return Err(format!("`{spec}` is not a plain repository URL"));
            }
            return Ok(GitSource::Url(spec.to_string()));
        }
        let path = Path::new(spec);
        if path.is_absolute() && !spec.contains("://") {
            if !allow_local {
                return Err("deploying from local git paths is turned off on this Berth (the operator can allow it)".into());
            }
            if !path.is_dir() {
                return Err(format!("{spec} is not a folder on the Berth host"));
            }
            return Ok(GitSource::Local(path.to_path_buf()));
        }
        Err(format!(
            "repositories can only be fetched from {host}; `{spec}` is elsewhere"
        ))
    }

    fn location(&self) -> Result<&str, String> {
        match self {
            GitSource::Url(u) => Ok(u),
            GitSource::Local(p) => p
                .to_str()
                .ok_or_else(|| format!("{} is not a UTF-8 path", p.display())),
        }
    }
}

/// What to fetch. Its `Debug` hides the token.
#[derive(Clone)]
pub struct FetchRequest {
    pub source: GitSource,
    /// The full commit id to check out; `None` takes the tip of `git_ref`.
    pub commit: Option<String>,
    /// The ref holding the commit, e.g. `refs/heads/main` or `refs/pull/7/head`.
    pub git_ref: String,
    /// A token for HTTPS (sent as the password of `x-access-token`, as GitHub expects).
    pub token: Option<String>,
    pub limits: FetchLimits,
}

impl std::fmt::Debug for FetchRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FetchRequest")
            .field("source", &self.source)
            .field("commit", &self.commit)
            .field("git_ref", &self.git_ref)
            .field("token", &self.token.as_ref().map(|_| crate::Redacted))
            .field("limits", &self.limits)
            .finish()
    }
}

/// The commit that was checked out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fetched {
    pub commit: String,
    pub author: String,
    pub message: String,
    /// Pack bytes received.
    pub received_bytes: usize,
}

/// Why the transfer was cut off by a callback (libgit2 only says "cancelled").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cut {
    None,
    Size,
    Time,
}

/// Fetches one commit into a scratch repository at `scratch` and checks its files out into `dest`
/// (created, must not hold other files). Blocking: call from a blocking thread. Log lines go to `log`.
pub fn fetch_commit(
    req: &FetchRequest,
    scratch: &Path,
    dest: &Path,
    log: &dyn Fn(&str),
) -> Result<Fetched, String> {
    let location = req.source.location()?;
    if let Some(c) = &req.commit
        && (c.len() != 40 || !c.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err(format!("`{c}` is not a full commit id"));
    }
    if !req.git_ref.starts_with("refs/") || req.git_ref.contains("..") || req.git_ref.contains(':')
    {
        return Err(format!("`{}` is not a git ref", req.git_ref));
    }
    let started = Instant::now();
    // libgit2 calls back only while data arrives; the watchdog also cuts a remote that says nothing.
    let watchdog = match &req.source {
        GitSource::Url(url) => Some(watchdog::Watchdog::start(
            url,
            started + req.limits.timeout,
        )?),
        GitSource::Local(_) => None,
    };
    let proxy = watchdog.as_ref().and_then(|w| w.proxy_url());
    let location = watchdog.as_ref().map_or(location, |w| w.location());
    let repo = Repository::init_bare(scratch)
        .map_err(|e| format!("cannot make a scratch repository: {e}"))?;
    let local = matches!(req.source, GitSource::Local(_));
    let received = Cell::new(0usize);
    let tracking = "refs/berth/fetched";
    let mut attempts: Vec<(String, i32)> = Vec::new();
    if let Some(c) = &req.commit {
        attempts.push((c.clone(), if local { 0 } else { 1 }));
    }
    attempts.push((
        format!("+{}:{tracking}", req.git_ref),
        if local { 0 } else { 1 },
    ));
    if req.commit.is_some() && !local {
        // The commit may sit below the ref's tip (pushed over since): look a little further back.
        attempts.push((format!("+{}:{tracking}", req.git_ref), 50));
    }
    let mut last_error = String::new();
    let mut found = None;
    for (refspec, depth) in &attempts {
        let cut = Cell::new(Cut::None);
        let result = fetch_once(
            &repo,
            location,
            proxy.as_deref(),
            refspec,
            *depth,
            req,
            started,
            &received,
            &cut,
        );
        if watchdog.as_ref().is_some_and(|w| w.fired()) {
            cut.set(Cut::Time);
        }
        match (result, cut.get()) {
            (_, Cut::Size) => {
                return Err(format!(
                    "the repository is larger than the {} MiB a fetch may bring in",
                    req.limits.max_bytes / (1024 * 1024)
                ));
            }
            (_, Cut::Time) => {
                return Err(format!(
                    "fetching took longer than {} s; try again later",
                    req.limits.timeout.as_secs()
                ));
            }
            (Err(e), Cut::None) => last_error = e.message().to_string(),
            (Ok(()), Cut::None) => {
                let wanted = match &req.commit {
                    Some(c) => git2::Oid::from_str(c).ok(),
                    None => repo.refname_to_id(tracking).ok(),
                };
                if let Some(commit) = wanted.and_then(|oid| repo.find_commit(oid).ok()) {
                    found = Some(commit.id());
                    break;
                }
                last_error = format!("{} does not contain the commit", req.git_ref);
            }
        }
    }
    let Some(oid) = found else {
        let what = req.commit.as_deref().unwrap_or(&req.git_ref);
        return Err(format!(
            "cannot fetch {what} from the repository: {last_error}"
        ));
    };
    let commit = repo.find_commit(oid).map_err(|e| e.message().to_string())?;
    check_tree_size(
        &repo,
        &commit.tree().map_err(|e| e.message().to_string())?,
        &req.limits,
    )?;
    let mut config = repo.config().map_err(|e| e.message().to_string())?;
    config
        .set_bool("core.symlinks", false)
        .map_err(|e| e.message().to_string())?;
    std::fs::create_dir_all(dest).map_err(|e| format!("cannot create {}: {e}", dest.display()))?;
    let mut checkout = CheckoutBuilder::new();
    checkout.force().target_dir(dest);
    repo.checkout_tree(commit.as_object(), Some(&mut checkout))
        .map_err(|e| format!("cannot check out {oid}: {}", e.message()))?;
    let fetched = Fetched {
        commit: oid.to_string(),
        author: commit.author().name().unwrap_or("unknown").to_string(),
        message: commit.message().unwrap_or("").trim().to_string(),
        received_bytes: received.get(),
    };
    log(&format!(
        "fetched {} ({} KiB in {} ms): {}",
        &fetched.commit[..12],
        fetched.received_bytes / 1024,
        started.elapsed().as_millis(),
        fetched.message.lines().next().unwrap_or("")
    ));
    Ok(fetched)
}

#[allow(clippy::too_many_arguments)]
fn fetch_once(
    repo: &Repository,
    location: &str,
    proxy: Option<&str>,
    refspec: &str,
    depth: i32,
    req: &FetchRequest,
    started: Instant,
    received: &Cell<usize>,
    cut: &Cell<Cut>,
) -> Result<(), git2::Error> {
    let mut callbacks = RemoteCallbacks::new();
    let token = req.token.clone();
    let mut asked = false;
    callbacks.credentials(move |_url, _user, _allowed| match (&token, asked) {
        (Some(t), false) => {
            asked = true;
            git2::Cred::userpass_plaintext("x-access-token", t)
        }
        _ => Err(git2::Error::from_str(
            "the repository needs credentials Berth does not have (or they were refused)",
        )),
    });
    let limits = req.limits.clone();
    callbacks.transfer_progress(|p| {
        received.set(p.received_bytes());
        if p.received_bytes() > limits.max_bytes {
            cut.set(Cut::Size);
            return false;
        }
        if started.elapsed() > limits.timeout {
            cut.set(Cut::Time);
            return false;
        }
        true
    });
    let timeout = req.limits.timeout;
    callbacks.sideband_progress(move |_| started.elapsed() <= timeout);
    let mut options = FetchOptions::new();
    options
        .remote_callbacks(callbacks)
        .download_tags(git2::AutotagOption::None);
    if depth > 0 {
        options.depth(depth);
    }
    if let Some(url) = proxy {
        let mut through = git2::ProxyOptions::new();
        through.url(url);
        options.proxy_options(through);
    }
    let mut remote = repo.remote_anonymous(location)?;
    let result = remote.fetch(&[refspec], Some(&mut options), None);
    if result.is_err() && started.elapsed() > timeout && cut.get() == Cut::None {
        cut.set(Cut::Time);
    }
    result
}

fn check_tree_size(
    repo: &Repository,
    tree: &git2::Tree<'_>,
    limits: &FetchLimits,
) -> Result<(), String> {
    let odb = repo.odb().map_err(|e| e.message().to_string())?;
    let (mut bytes, mut files) = (0u64, 0usize);
    let mut over = None;
    tree.walk(git2::TreeWalkMode::PreOrder, |_, entry| {
        if entry.kind() == Some(git2::ObjectType::Blob) {
            files += 1;
            bytes += odb
                .read_header(entry.id())
                .map(|(size, _)| size as u64)
                .unwrap_or(0);
            if files > limits.max_files {
                over = Some(format!(
                    "the commit has more than {} files",
                    limits.max_files
                ));
                return git2::TreeWalkResult::Abort;
            }
            if bytes > limits.max_checkout_bytes {
                over = Some(format!(
                    "the commit's files add up to more than {} MiB",
                    limits.max_checkout_bytes >> 20
                ));
                return git2::TreeWalkResult::Abort;
            }
        }
        git2::TreeWalkResult::Ok
    })
    .or_else(|e| {
        if over.is_some() {
            Ok(())
        } else {
            Err(e.message().to_string())
        }
    })?;
    over.map_or(Ok(()), Err)
}

#[cfg(test)]
mod tests;
