//! Vendoring a Python project's third-party packages, as pure-Python wheels only. pip downloads wheels
//! and Python's `zipfile` unpacks them; no package code runs on the host, and a package that only ships
//! compiled wheels fails the build by name.
//!
//! Packages the platform provides (the SDK's stand-ins for fastmcp and mcp, the guest site's pydantic)
//! are never installed. pip must still resolve them when the project's packages depend on them (a
//! package built on pydantic or on mcp), so it is offered a placeholder wheel of each, at the version
//! the server really runs with: the resolution holds for the real thing, and the placeholders are left
//! out when the wheels are unpacked.

use crate::confine::Jail;
use crate::requirements::{Requirement, read};
use crate::{BuildError, BuilderConfig, LogFn, process};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// Packages Berth's SDK stands in for (it implements their API in pure Python), or that only serve a
/// native server process (uvicorn: Berth serves the server), with the version pip resolves them at.
/// fastmcp's is the SDK's `fastmcp.__version__`; mcp's the official SDK release whose API the SDK
/// follows; uvicorn's its release of the same time.
pub const SDK_PACKAGES: &[(&str, &str)] = &[
    ("fastmcp", "4.1.2"),
    ("mcp", "2.3.0"),
    ("uvicorn", "0.54.0"),
];

/// The packages of the guest site (`sandbox/python-runtime/build.sh`), bundled into every Python build
/// ahead of the project's own packages, and their versions. A requirement on one of them is skipped; one
/// that excludes the bundled version fails the build, since the project would run against another.
pub const PLATFORM_PACKAGES: &[(&str, &str)] = &[
    ("pydantic", "2.14.4"),
    ("pydantic-core", "2.50.5"),
    ("annotated-types", "0.8.0"),
    ("typing-extensions", "4.16.0"),
    ("typing-inspection", "0.4.5"),
];

/// The version the platform provides of package `name` (normalized), if it provides it.
pub fn provided(name: &str) -> Option<&'static str> {
    SDK_PACKAGES
        .iter()
        .chain(PLATFORM_PACKAGES)
        .find(|(n, _)| *n == name)
        .map(|(_, v)| *v)
}

/// Where systems keep their CA bundle (Debian/Ubuntu, then Fedora/RHEL); the jail shows `/etc/ssl` and
/// `/etc/pki` read-only.
const SYSTEM_CA_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
];

/// The file that marks the folder of vendored packages for the SDK (`berth_sdk/import_env.py`).
const VENDORED_MARKER: &str = "berth-vendored.txt";

/// The Python version of the interpreter inside the component (componentize-py 0.25 bundles 3.14).
const GUEST_PYTHON: &str = "3.14";

/// The build's own Python helper (run by the build's Python, confined like every step; it reads
/// nothing of the project's but wheel files pip saved):
/// - `placeholders DIR NAME==VERSION...` writes a placeholder wheel of each package into `DIR` and
///   prints `NAME==VERSION SHA256` for each. The wheels carry build tag 1, so pip prefers them to an
///   index's wheel of the same version.
/// - `unpack SITE WHEEL...` unpacks the wheels into `SITE` (`extractall` keeps every path inside it).
const HELPER: &str = r#"
import base64, hashlib, sys, zipfile
def b64(data):
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
if sys.argv[1] == "placeholders":
    out = sys.argv[2]
    for spec in sys.argv[3:]:
        name, version = spec.split("==")
        dist = name.replace("-", "_")
        info = f"{dist}-{version}.dist-info"
        files = {
            f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: provided by Berth\n",
            f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: berth\nRoot-Is-Purelib: true\nTag: py3-none-any\nBuild: 1\n",
        }
        record = "".join(f"{p},sha256={b64(d.encode())},{len(d.encode())}\n" for p, d in files.items())
        files[f"{info}/RECORD"] = record + f"{info}/RECORD,,\n"
        path = f"{out}/{dist}-{version}-1-py3-none-any.whl"
        with zipfile.ZipFile(path, "w") as z:
            for p, d in files.items():
                z.writestr(zipfile.ZipInfo(p, (1980, 1, 1, 0, 0, 0)), d)
        with open(path, "rb") as f:
            print(spec, hashlib.sha256(f.read()).hexdigest())
else:
    for wheel in sys.argv[3:]:
        with zipfile.ZipFile(wheel) as z:
            z.extractall(sys.argv[2])
"#;

/// Downloads and unpacks the project's third-party packages into `/build/site-packages` of the jail;
/// returns that folder's host path.
pub fn vendor(
    config: &BuilderConfig,
    jail: &Jail<'_>,
    source: &Path,
    work: &Path,
    log: LogFn<'_>,
) -> Result<Option<PathBuf>, BuildError> {
    let Some((from, reqs, notices)) = read(source)? else {
        log("no requirements.txt or pyproject.toml: no third-party packages");
        return Ok(None);
    };
    for n in notices {
        log(&n);
    }
    let (skipped, wanted): (Vec<_>, Vec<_>) = reqs
        .into_iter()
        .partition(|r| provided(&r.name()).is_some());
    for r in &skipped {
        check_platform_version(r, &from)?;
    }
    log_provided(&skipped, log);
    if wanted.is_empty() {
        log(&format!("{from}: no other packages to install"));
        return Ok(None);
    }
    let names: Vec<String> = wanted.iter().map(|r| r.spec.to_string()).collect();
    log(&format!(
        "installing from {from} (pure-Python wheels only): {}",
        names.join(", ")
    ));
    let platform = |e: std::io::Error| BuildError::Platform(e.to_string());
    let wheels = work.join("wheels");
    let site = work.join("site-packages");
    let stand_ins = work.join("provided");
    for dir in [&wheels, &site, &stand_ins] {
        std::fs::create_dir_all(dir).map_err(platform)?;
    }
    // With a hash on any line pip checks every package's hash: the placeholders' too.
    let hashed = wanted.iter().any(|r| !r.hashes.is_empty());
    let mut lines: Vec<String> = wanted.iter().map(Requirement::to_pip_line).collect();
    lines.extend(placeholders(config, jail, &stand_ins, hashed, log)?);
    let list = work.join("requirements.txt");
    std::fs::write(&list, lines.join("\n") + "\n").map_err(platform)?;
    let mut args: Vec<OsString> = [
        "-I",
        "-m",
        "pip",
        "download",
        "--isolated",
        "--no-input",
        "--no-cache-dir",
        "--disable-pip-version-check",
        "--progress-bar",
        "off",
        "--only-binary=:all:",
        "--platform",
        "any",
        "--implementation",
        "py",
        "--abi",
        "none",
        "--python-version",
        GUEST_PYTHON,
    ]
    .map(Into::into)
    .into();
    // The system's trust roots, not the ones pip bundles: an operator's index or TLS proxy is trusted
    // the way the rest of the machine trusts it.
    if let Some(bundle) = SYSTEM_CA_BUNDLES
        .iter()
        .map(Path::new)
        .find(|p| p.is_file())
    {
        args.push("--cert".into());
        args.push(bundle.into());
    }
    if let Some(index) = &config.package_index {
        args.push("--index-url".into());
        args.push(index.into());
    }
    args.push("--find-links".into());
    args.push(jail.path(&stand_ins).into());
    args.push("-d".into());
    args.push(jail.path(&wheels).into());
    args.push("-r".into());
    args.push(jail.path(&list).into());
    let pip = jail.command(&config.python, args, &[], true)?;
    let (ok, lines) = process::run(pip, config.step_timeout, log, &|l| {
        let placeholder = l
            .strip_prefix("Collecting ")
            .or_else(|| l.strip_prefix("Saved "))
            .is_some_and(|rest| provided_wheel(rest.rsplit('/').next().unwrap_or(rest)).is_some());
        ((l.starts_with("Collecting") || l.starts_with("ERROR") || l.starts_with("Saved"))
            && !placeholder)
            .then(|| format!("  {l}"))
    })?;
    if !ok {
        return Err(BuildError::Project(explain_pip_failure(&lines)));
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir(&wheels)
        .map_err(platform)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "whl"))
        .filter(|p| {
            let file = p.file_name().unwrap_or_default().to_string_lossy();
            provided_wheel(&file).is_none()
        })
        .collect();
    found.sort();
    let mut args: Vec<OsString> = vec![
        "-I".into(),
        "-c".into(),
        HELPER.into(),
        "unpack".into(),
        jail.path(&site).into(),
    ];
    args.extend(found.iter().map(|w| jail.path(w).into_os_string()));
    let unpack = jail.command(&config.python, args, &[], false)?;
    let (ok, lines) = process::run(unpack, config.step_timeout, log, &|_| None)?;
    if !ok {
        return Err(BuildError::Project(format!(
            "cannot unpack the downloaded wheels: {}",
            lines.join(" ")
        )));
    }
    // Tells the SDK which folder of the search path holds vendored packages (it imports the rest of
    // those a server uses ahead, at build time: the component holds only what was imported then).
    std::fs::write(
        site.join(VENDORED_MARKER),
        "Packages vendored from the project's requirements by Berth's builder.\n",
    )
    .map_err(platform)?;
    log(&format!("vendored {} packages", found.len()));
    Ok(Some(site))
}

/// Says in the build log which of the project's requirements the platform provides.
fn log_provided(skipped: &[Requirement], log: LogFn<'_>) {
    let (bundled, sdk): (Vec<_>, Vec<_>) = skipped.iter().partition(|r| {
        PLATFORM_PACKAGES
            .iter()
            .any(|(n, _)| *n == r.name().as_str())
    });
    if !sdk.is_empty() {
        let names: Vec<_> = sdk.iter().map(|r| r.name()).collect();
        log(&format!(
            "provided by Berth's SDK, not installed: {}",
            names.join(", ")
        ));
    }
    if !bundled.is_empty() {
        let names: Vec<_> = bundled
            .iter()
            .map(|r| {
                let name = r.name();
                format!("{name} {}", provided(&name).unwrap_or(""))
            })
            .collect();
        log(&format!(
            "provided by the platform, not installed: {}",
            names.join(", ")
        ));
    }
}

/// Writes the placeholder wheels into `dir`; returns their requirement lines for pip (pinned, and
/// with their hashes when pip checks hashes).
fn placeholders(
    config: &BuilderConfig,
    jail: &Jail<'_>,
    dir: &Path,
    hashed: bool,
    log: LogFn<'_>,
) -> Result<Vec<String>, BuildError> {
    let specs: Vec<String> = SDK_PACKAGES
        .iter()
        .chain(PLATFORM_PACKAGES)
        .map(|(n, v)| format!("{n}=={v}"))
        .collect();
    let mut args: Vec<OsString> = vec![
        "-I".into(),
        "-c".into(),
        HELPER.into(),
        "placeholders".into(),
        jail.path(dir).into(),
    ];
    args.extend(specs.iter().map(OsString::from));
    let step = jail.command(&config.python, args, &[], false)?;
    let (ok, out) = process::run(step, config.step_timeout, log, &|_| None)?;
    let lines: Vec<String> = out
        .iter()
        .filter_map(|l| l.split_once(' '))
        .filter(|(spec, _)| specs.contains(&spec.to_string()))
        .map(|(spec, hash)| match hashed {
            true => format!("{spec} --hash=sha256:{hash}"),
            false => spec.to_string(),
        })
        .collect();
    if !ok || lines.len() != specs.len() {
        return Err(BuildError::Platform(format!(
            "cannot write the provided packages' placeholder wheels: {}",
            out.join(" ")
        )));
    }
    Ok(lines)
}

/// The normalized name of the provided package a wheel file (`mcp-2.3.0-1-py3-none-any.whl`) is of;
/// `None` for the wheel of any other package.
fn provided_wheel(file: &str) -> Option<String> {
    let stem = file.strip_suffix(".whl")?;
    let dist = stem.split('-').next()?;
    let name = normalize(dist);
    provided(&name).map(|_| name)
}

/// PEP 503 normalization: lower case, runs of `-`, `_` and `.` become one `-`.
fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// An error when `req` names a package of the guest site with a version range that excludes the bundled
/// one (markers are not evaluated: a requirement with a marker is taken as harmless).
fn check_platform_version(req: &Requirement, from: &str) -> Result<(), BuildError> {
    let name = req.name();
    let Some((_, bundled)) = PLATFORM_PACKAGES.iter().find(|(n, _)| *n == name) else {
        return Ok(());
    };
    let Some(pep508_rs::VersionOrUrl::VersionSpecifier(specs)) = &req.spec.version_or_url else {
        return Ok(());
    };
    if !req.spec.marker.is_true() {
        return Ok(());
    }
    let version: pep508_rs::pep440_rs::Version = bundled
        .parse()
        .map_err(|e| BuildError::Platform(format!("bad bundled version {bundled}: {e}")))?;
    if specs.contains(&version) {
        return Ok(());
    }
    Err(BuildError::Project(format!(
        "{from} asks for `{}`, but Berth bundles {name} {bundled} into every Python server and cannot install another; allow {name} {bundled} (for pydantic, code written for pydantic 2) and deploy again",
        req.spec
    )))
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
    // The resolver's account of a conflict: "    foo 1.0 depends on mcp<2".
    for l in lines {
        let Some((who, wants)) = l.trim().split_once(" depends on ") else {
            continue;
        };
        let name = normalize(
            wants
                .split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
                .next()
                .unwrap_or(wants),
        );
        if let Some(version) = provided(&name) {
            return format!(
                "`{who}` needs `{wants}`, but Berth provides {name} {version} itself and cannot install another: choose a version of {} that works with {name} {version}",
                who.split_whitespace().next().unwrap_or(who)
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
    use crate::requirements::parse_spec;

    #[test]
    fn a_pin_excluding_the_bundled_pydantic_is_an_error() {
        let check = |line: &str| {
            let spec = parse_spec(line).unwrap();
            check_platform_version(
                &Requirement {
                    spec,
                    hashes: vec![],
                },
                "requirements.txt",
            )
        };
        for ok in [
            "pydantic",
            "pydantic>=2",
            "pydantic==2.14.4",
            "pydantic<2; python_version < '3'",
            "typing-extensions>=4.6",
            "httpx<0.1",
        ] {
            assert!(check(ok).is_ok(), "{ok}");
        }
        for bad in [
            "pydantic<2",
            "pydantic==2.9.2",
            "pydantic-core>=3",
            "typing_extensions<4",
        ] {
            let Err(BuildError::Project(message)) = check(bad) else {
                panic!("{bad} was accepted");
            };
            assert!(message.contains("Berth bundles"), "{message}");
        }
    }

    #[test]
    fn explains_native_only_packages() {
        let msg = explain_pip_failure(&["ERROR: Could not find a version that satisfies the requirement numpy (from versions: none)".into()]);
        assert!(msg.starts_with("`numpy` has no pure-Python wheel"), "{msg}");
    }

    #[test]
    fn a_conflict_with_a_provided_package_says_which_and_what_to_do() {
        let lines: Vec<String> = [
            "ERROR: Cannot install -r requirements.txt (line 1) and mcp==2.3.0 because these package versions have conflicting dependencies.",
            "The conflict is caused by:",
            "    The user requested mcp==2.3.0",
            "    old-mcp-helper 0.1.0 depends on mcp<2",
        ]
        .map(String::from)
        .into();
        let msg = explain_pip_failure(&lines);
        assert_eq!(
            msg,
            "`old-mcp-helper 0.1.0` needs `mcp<2`, but Berth provides mcp 2.3.0 itself and cannot install another: choose a version of old-mcp-helper that works with mcp 2.3.0"
        );
        let other =
            explain_pip_failure(&["    a 1.0 depends on b<2".into(), "ERROR: conflict".into()]);
        assert_eq!(other, "installing requirements failed: ERROR: conflict");
    }

    #[test]
    fn only_the_provided_packages_wheels_are_left_out() {
        for (file, name) in [
            ("mcp-2.3.0-1-py3-none-any.whl", Some("mcp")),
            (
                "pydantic_core-2.50.5-1-py3-none-any.whl",
                Some("pydantic-core"),
            ),
            (
                "Typing.Extensions-4.16.0-py3-none-any.whl",
                Some("typing-extensions"),
            ),
            ("mcp_extra-1.0-py3-none-any.whl", None),
            ("httpx-0.28.1-py3-none-any.whl", None),
            ("mcp-2.3.0.tar.gz", None),
        ] {
            assert_eq!(provided_wheel(file).as_deref(), name, "{file}");
        }
    }

    #[test]
    fn the_fastmcp_placeholder_is_the_sdks_version() {
        let init = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../sandbox/sdk/python/fastmcp/__init__.py");
        let text = std::fs::read_to_string(&init).unwrap();
        let line = text
            .lines()
            .find(|l| l.starts_with("__version__"))
            .expect("fastmcp's __version__");
        let sdk = line.split('"').nth(1).unwrap();
        let sdk = sdk.split('+').next().unwrap();
        assert_eq!(Some(sdk), provided("fastmcp"), "{line}");
    }
}
