//! Third-party requirements: read from `requirements.txt` or `pyproject.toml`, vendored as pure-Python
//! wheels only. pip downloads wheels and Python's `zipfile` unpacks them; no package code runs on the
//! host, and a package that only ships compiled wheels fails the build by name.

use crate::{BuildError, BuilderConfig, LogFn, process};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Packages the platform provides itself (Berth's SDK implements their API in pure Python), or that only
/// serve a native server process. Listing them in requirements is normal and harmless: they are skipped.
pub const PROVIDED: &[&str] = &[
    "fastmcp",
    "mcp",
    "pydantic",
    "pydantic-core",
    "pydantic-settings",
    "uvicorn",
    "starlette",
    "sse-starlette",
    "anyio",
    "typing-extensions",
];

/// The Python version of the interpreter inside the component (componentize-py 0.25 bundles 3.14).
const GUEST_PYTHON: &str = "3.14";

/// Normalized project name of a requirement line (`Foo_Bar[x]>=1; marker` is `foo-bar`).
pub fn requirement_name(line: &str) -> String {
    let end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'))
        .unwrap_or(line.len());
    line[..end].to_ascii_lowercase().replace(['_', '.'], "-")
}

/// The requirement lines of a project, with where they came from.
pub fn read(source: &Path) -> Result<Option<(String, Vec<String>)>, BuildError> {
    let req = source.join("requirements.txt");
    if req.is_file() {
        let text = std::fs::read_to_string(&req)
            .map_err(|e| BuildError::Project(format!("cannot read requirements.txt: {e}")))?;
        let mut out = Vec::new();
        for (n, raw) in text.lines().enumerate() {
            let line = raw.split(" #").next().unwrap_or("").trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if line.starts_with('-')
                || line.contains("://")
                || line.starts_with('.')
                || line.starts_with('/')
            {
                return Err(BuildError::Project(format!(
                    "requirements.txt line {}: `{line}` is not supported; list packages by name and version (e.g. `httpx>=0.27`)",
                    n + 1
                )));
            }
            out.push(line.to_string());
        }
        return Ok(Some(("requirements.txt".into(), out)));
    }
    let py = source.join("pyproject.toml");
    if py.is_file() {
        let text = std::fs::read_to_string(&py)
            .map_err(|e| BuildError::Project(format!("cannot read pyproject.toml: {e}")))?;
        let doc: toml::Table = text
            .parse()
            .map_err(|e| BuildError::Project(format!("pyproject.toml is not valid TOML: {e}")))?;
        let deps = doc
            .get("project")
            .and_then(|p| p.get("dependencies"))
            .and_then(|d| d.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        return Ok(Some(("pyproject.toml".into(), deps)));
    }
    Ok(None)
}

/// Downloads and unpacks the project's third-party packages; returns the folder to put on the path.
pub fn vendor(
    config: &BuilderConfig,
    source: &Path,
    work: &Path,
    log: LogFn<'_>,
) -> Result<Option<PathBuf>, BuildError> {
    let Some((from, lines)) = read(source)? else {
        log("no requirements.txt or pyproject.toml: no third-party packages");
        return Ok(None);
    };
    let (provided, wanted): (Vec<_>, Vec<_>) = lines
        .into_iter()
        .partition(|l| PROVIDED.contains(&requirement_name(l).as_str()));
    if !provided.is_empty() {
        let names: Vec<_> = provided.iter().map(|l| requirement_name(l)).collect();
        log(&format!(
            "provided by Berth's SDK, not installed: {}",
            names.join(", ")
        ));
    }
    if wanted.is_empty() {
        log(&format!("{from}: no other packages to install"));
        return Ok(None);
    }
    log(&format!(
        "installing from {from} (pure-Python wheels only): {}",
        wanted.join(", ")
    ));
    let platform = |e: std::io::Error| BuildError::Platform(e.to_string());
    let wheels = work.join("wheels");
    let site = work.join("site-packages");
    std::fs::create_dir_all(&wheels).map_err(platform)?;
    std::fs::create_dir_all(&site).map_err(platform)?;
    let list = work.join("requirements.txt");
    std::fs::write(&list, wanted.join("\n")).map_err(platform)?;
    let mut pip = Command::new(&config.python);
    pip.args([
        "-m",
        "pip",
        "download",
        "--disable-pip-version-check",
        "--no-input",
        "--progress-bar",
        "off",
    ])
    .args([
        "--only-binary=:all:",
        "--platform",
        "any",
        "--implementation",
        "py",
        "--abi",
        "none",
    ])
    .args(["--python-version", GUEST_PYTHON, "-d"])
    .arg(&wheels)
    .arg("-r")
    .arg(&list);
    let (ok, lines) = process::run(pip, config.step_timeout, log, &|l| {
        (l.starts_with("Collecting") || l.starts_with("ERROR") || l.starts_with("Saved"))
            .then(|| format!("  {l}"))
    })?;
    if !ok {
        return Err(BuildError::Project(explain_pip_failure(&lines)));
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir(&wheels)
        .map_err(platform)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "whl"))
        .collect();
    found.sort();
    for wheel in &found {
        let mut unzip = Command::new(&config.python);
        unzip.args(["-m", "zipfile", "-e"]).arg(wheel).arg(&site);
        let (ok, lines) = process::run(unzip, config.step_timeout, log, &|_| None)?;
        if !ok {
            return Err(BuildError::Project(format!(
                "cannot unpack {}: {}",
                wheel.file_name().unwrap_or_default().to_string_lossy(),
                lines.join(" ")
            )));
        }
    }
    log(&format!("vendored {} packages", found.len()));
    Ok(Some(site))
}

fn explain_pip_failure(lines: &[String]) -> String {
    for l in lines {
        if let Some(rest) = l.split("satisfies the requirement ").nth(1) {
            let name = rest.split_whitespace().next().unwrap_or(rest);
            return format!(
                "`{name}` has no pure-Python wheel (py3-none-any) for Python {GUEST_PYTHON}. Berth runs Python inside WebAssembly, where packages with compiled extensions cannot load: remove it from your requirements or use a pure-Python alternative"
            );
        }
    }
    let last = lines
        .iter()
        .rev()
        .find(|l| l.starts_with("ERROR"))
        .cloned()
        .unwrap_or_else(|| "pip failed".into());
    format!("installing requirements failed: {last}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for (line, name) in [
            ("fastmcp>=2", "fastmcp"),
            ("Pydantic_Core==2.1", "pydantic-core"),
            ("httpx[http2] ; python_version>'3'", "httpx"),
            ("zope.interface", "zope-interface"),
        ] {
            assert_eq!(requirement_name(line), name);
        }
    }

    #[test]
    fn reads_requirements_and_refuses_what_it_cannot_vendor() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("requirements.txt"),
            "# tools\nfastmcp>=2.0\n\nhttpx # client\n",
        )
        .unwrap();
        let (from, lines) = read(dir.path()).unwrap().unwrap();
        assert_eq!(
            (from.as_str(), lines),
            (
                "requirements.txt",
                vec!["fastmcp>=2.0".to_string(), "httpx".to_string()]
            )
        );
        std::fs::write(dir.path().join("requirements.txt"), "-e ./lib\n").unwrap();
        let err = read(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("line 1") && err.contains("not supported"),
            "{err}"
        );
        std::fs::remove_file(dir.path().join("requirements.txt")).unwrap();
        std::fs::write(
            dir.path().join("pyproject.toml"),
            "[project]\nname='x'\ndependencies=['mcp>=1', 'attrs']\n",
        )
        .unwrap();
        assert_eq!(read(dir.path()).unwrap().unwrap().1, ["mcp>=1", "attrs"]);
    }

    #[test]
    fn explains_native_only_packages() {
        let msg = explain_pip_failure(&["ERROR: Could not find a version that satisfies the requirement numpy (from versions: none)".into()]);
        assert!(msg.starts_with("`numpy` has no pure-Python wheel"), "{msg}");
    }
}
