//! Python projects: stage the entry module, vendor requirements, run componentize-py.

use crate::confine::{self, Jail, Mount};
use crate::entry::EntryPoint;
use crate::{BuildError, BuilderConfig, LogFn, process, vendor};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Builds the project at `source` into a component; returns its bytes.
pub fn build(
    config: &BuilderConfig,
    source: &Path,
    entry: &EntryPoint,
    log: LogFn<'_>,
) -> Result<Vec<u8>, BuildError> {
    let platform = |e: std::io::Error| BuildError::Platform(format!("build scratch space: {e}"));
    std::fs::create_dir_all(&config.work_dir).map_err(platform)?;
    let work = tempfile_dir(&config.work_dir).map_err(platform)?;
    let result = build_in(config, source, entry, &work, log);
    let _ = std::fs::remove_dir_all(&work);
    result
}

fn tempfile_dir(parent: &Path) -> std::io::Result<PathBuf> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let dir = parent.join(format!(
        "build-{}-{nanos}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn build_in(
    config: &BuilderConfig,
    source: &Path,
    entry: &EntryPoint,
    work: &Path,
    log: LogFn<'_>,
) -> Result<Vec<u8>, BuildError> {
    let platform = |e: std::io::Error| BuildError::Platform(e.to_string());
    if !config.guest_site.join("pydantic_core").is_dir() {
        return Err(BuildError::Platform(format!(
            "the guest site (pydantic for WebAssembly) is missing from {}; run sandbox/python-runtime/build.sh",
            config.guest_site.display()
        )));
    }
    // Without namespaces the SDK and the guest site cannot be mounted read-only: each build gets a fresh
    // copy instead, so code that runs at build time cannot change what another tenant's build bundles.
    let (sdk, guest_site) = if config.confinement.is_confined() {
        (config.sdk_dir.clone(), config.guest_site.clone())
    } else {
        let sdk = work.join("berth-sdk");
        copy_tree(&config.sdk_dir, &sdk).map_err(platform)?;
        let site = work.join("berth-site");
        copy_tree(&config.guest_site, &site).map_err(platform)?;
        (sdk, site)
    };
    let tool_roots = confine::tool_roots(
        &[&config.python, &config.componentize_py],
        &[&config.work_dir, source],
    )
    .map_err(BuildError::Platform)?;
    let jail = Jail {
        confinement: &config.confinement,
        limits: &config.limits,
        mounts: vec![
            Mount::rw(work, "/build"),
            Mount::ro(source, "/src"),
            Mount::ro(&sdk, "/berth/sdk"),
            Mount::ro(&guest_site, "/berth/site"),
            Mount::ro(&config.wit_dir, "/berth/wit"),
        ],
        tool_roots,
    };
    if !config.confinement.is_confined() {
        log(
            "warning: this Berth builds without namespaces (the operator allowed unconfined builds)",
        );
    }
    let site = vendor::vendor(config, &jail, source, work, log)?;
    let stage = work.join("stage");
    std::fs::create_dir_all(&stage).map_err(platform)?;
    std::fs::write(
        stage.join("berth_app.py"),
        format!(
            "from berth_sdk.guest import load_entry\nGuest = load_entry({:?}, {:?})\n",
            entry.module, entry.object
        ),
    )
    .map_err(platform)?;
    // The order of the search path: the generated entry, the SDK, the guest site (the platform's pydantic
    // and typing-extensions win over copies a project vendors), the entry's folder and the project root
    // (so the user's modules import each other as they do locally), then vendored packages.
    let mut paths: Vec<(PathBuf, String)> = vec![
        (stage, "<berth>/".into()),
        (sdk.clone(), "<berth-sdk>/".into()),
        (guest_site.clone(), "<berth-site>/".into()),
    ];
    if !entry.folder.as_os_str().is_empty() {
        paths.push((
            source.join(&entry.folder),
            format!("{}/", entry.folder.display()),
        ));
    }
    paths.push((source.to_path_buf(), String::new()));
    if let Some(site) = site {
        paths.push((site, "<site-packages>/".into()));
    }
    let out = work.join("component.wasm");
    let mut args: Vec<OsString> = vec![
        "-d".into(),
        jail.path(&config.wit_dir).into(),
        "-w".into(),
        // The server world plus wasi:http: the guest's only way out, served under the project's policy.
        "networked-server".into(),
        "componentize".into(),
        "berth_app".into(),
    ];
    for (p, _) in &paths {
        args.push("-p".into());
        args.push(jail.path(p).into());
    }
    args.push("-o".into());
    args.push(jail.path(&out).into());
    let cmd = jail.command(
        &config.componentize_py,
        args,
        &[("RUST_BACKTRACE", "0"), ("RUST_LIB_BACKTRACE", "0")],
        false,
    )?;
    log(&format!(
        "building a WebAssembly component from {} (componentize-py runs the module's top level in the sandbox)",
        entry.file().display()
    ));
    let started = Instant::now();
    let prefixes: Vec<String> = paths.iter().map(|(_, shown)| shown.clone()).collect();
    let (ok, lines) = process::run(cmd, config.step_timeout, log, &|l| {
        Some(rewrite_paths(l, &prefixes))
    })?;
    if !ok {
        let shown: Vec<String> = lines.iter().map(|l| rewrite_paths(l, &prefixes)).collect();
        return Err(BuildError::Project(summarize_failure(&shown, entry)));
    }
    log(&format!(
        "component built in {:.1} s",
        started.elapsed().as_secs_f64()
    ));
    let size = std::fs::symlink_metadata(&out).map_err(platform)?;
    if !size.is_file() || size.len() > crate::MAX_COMPONENT_BYTES {
        return Err(BuildError::Project(format!(
            "the built component is over the {} MB limit",
            crate::MAX_COMPONENT_BYTES / 1_000_000
        )));
    }
    std::fs::read(&out).map_err(platform)
}

/// Copies a folder of regular files (symlinks and special files are skipped; Berth's SDK and the guest
/// site have none).
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            if entry.file_name() != "__pycache__" && entry.file_name() != "tests" {
                copy_tree(&entry.path(), &target)?;
            }
        } else if kind.is_file() {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// componentize-py shows the i-th search path as `/i/`; show the project's files by their path in the
/// repository, Berth's own as `<berth-sdk>/...`.
fn rewrite_paths(line: &str, prefixes: &[String]) -> String {
    let mut out = line.to_string();
    for (i, shown) in prefixes.iter().enumerate() {
        out = out.replace(&format!("\"/{i}/"), &format!("\"{shown}"));
        out = out.replace(&format!("(/{i}/"), &format!("({shown}"));
    }
    out
}

/// One sentence for a failed componentize-py run: where in the user's code, what, and what to do.
pub fn summarize_failure(lines: &[String], entry: &EntryPoint) -> String {
    let trace_start = lines
        .iter()
        .position(|l| l.contains("AssertionError: Traceback"))
        .unwrap_or(0);
    let trace: Vec<&String> = lines[trace_start..]
        .iter()
        .take_while(|l| !l.starts_with("Caused by:"))
        .collect();
    let mut location = None;
    for l in &trace {
        let t = l.trim_start();
        let Some((file, tail)) = t
            .strip_prefix("File \"")
            .and_then(|rest| rest.split_once('"'))
        else {
            continue;
        };
        if !file.starts_with('<') && !file.starts_with("/python") {
            let line_no = tail
                .split("line ")
                .nth(1)
                .map(|s| s.split(',').next().unwrap_or(s).trim().to_string());
            location = Some((file.to_string(), line_no));
        }
    }
    let error = trace
        .iter()
        .rev()
        .map(|l| l.trim())
        .find(|l| {
            !l.is_empty()
                && !l.starts_with('^')
                && !l.starts_with('~')
                && (l.contains("Error") || l.contains("Exception"))
        })
        .map(|l| l.trim_start_matches("AssertionError: ").to_string());
    match (location, error) {
        (Some((file, line)), Some(error)) => format!(
            "{file}{}: {error}. Fix it and deploy again",
            line.map(|n| format!(" line {n}")).unwrap_or_default()
        ),
        (None, Some(error)) => format!("building {} failed: {error}", entry.file().display()),
        _ => format!(
            "componentize-py failed to build {}; see the build log above",
            entry.file().display()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summarizes_a_syntax_error() {
        let raw = [
            "Traceback (most recent call last):",
            "  File \"/usr/bin/componentize-py\", line 8, in <module>",
            "AssertionError: Traceback (most recent call last):",
            "  File \"/0/berth_app.py\", line 2, in <module>",
            "  File \"/1/berth_sdk/guest.py\", line 230, in load_entry",
            "  File \"/python/importlib/__init__.py\", line 88, in import_module",
            "  File \"/2/server.py\", line 5",
            "    def f(a: int) -> int",
            "                        ^",
            "SyntaxError: expected ':'",
            "",
            "Caused by:",
            "    SyntaxError: expected ':' (server.py, line 5)",
        ];
        let prefixes = ["<berth>/".to_string(), "<berth-sdk>/".into(), String::new()];
        let lines: Vec<String> = raw.iter().map(|l| rewrite_paths(l, &prefixes)).collect();
        assert!(lines[6].contains("\"server.py\""), "{}", lines[6]);
        let entry = EntryPoint::parse("server.py:mcp").unwrap();
        assert_eq!(
            summarize_failure(&lines, &entry),
            "server.py line 5: SyntaxError: expected ':'. Fix it and deploy again"
        );
    }
}
