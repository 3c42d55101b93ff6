//! Finding Berth's own files (the Python SDK, the guest contract) and installing the build tools on
//! first use.

use anyhow::{Context, bail};
use berth_builder::{BuildLimits, BuilderConfig, Confinement};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::args::ToolArgs;

/// The componentize-py release Berth's guest contract and SDK are tested with.
pub const COMPONENTIZE_PY: &str = "componentize-py==0.25.1";

/// Berth's source tree: `--berth-home`, or the tree this binary was built from.
pub fn berth_home(tools: &ToolArgs) -> anyhow::Result<PathBuf> {
    let home = match &tools.berth_home {
        Some(h) => h.clone(),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."),
    };
    let home = home.canonicalize().unwrap_or(home);
    if !home.join("sandbox/wit/berth.wit").is_file() {
        bail!(
            "cannot find Berth's files (sandbox/wit, sandbox/sdk) under {}; set BERTH_HOME to the Berth source tree",
            home.display()
        );
    }
    Ok(home)
}

pub fn tools_dir(tools: &ToolArgs) -> PathBuf {
    tools.tools_dir.clone().unwrap_or_else(|| {
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."));
        home.join(".cache/berth-tools")
    })
}

/// The builder's configuration, installing componentize-py and the guest site (pydantic for
/// WebAssembly) into the tools folder if they are missing.
pub fn builder_config(tools: &ToolArgs, work_dir: PathBuf) -> anyhow::Result<BuilderConfig> {
    let home = berth_home(tools)?;
    let dir = tools_dir(tools);
    let venv = dir.join("venv");
    let componentize = venv.join("bin/componentize-py");
    if !componentize.is_file() {
        install(&venv)?;
    }
    let guest_site = build_guest_site(&home, &dir)?;
    std::fs::create_dir_all(&work_dir)
        .with_context(|| format!("cannot create {}", work_dir.display()))?;
    let confinement = match Confinement::bubblewrap(&work_dir) {
        Ok(c) => c,
        Err(why) if tools.allow_unconfined_builds => {
            eprintln!("berth: WARNING: builds run WITHOUT namespaces: {why}");
            eprintln!(
                "berth: WARNING: pip and componentize-py can read whatever this user can read; run Berth as a user that owns nothing else"
            );
            Confinement::unconfined().map_err(anyhow::Error::msg)?
        }
        Err(why) => bail!(
            "builds cannot be confined on this machine: {why}. Install bubblewrap, or start Berth with --allow-unconfined-builds (BERTH_ALLOW_UNCONFINED_BUILDS=1) to build with resource limits and a cleared environment only"
        ),
    };
    if let berth_builder::ProcessCap::Unavailable(why) = berth_builder::process_cap() {
        eprintln!("berth: WARNING: build steps have no process limit: {why}");
        eprintln!(
            "berth: WARNING: a project's build could fill the process table; run Berth as an ordinary user, or as root where it may make pids cgroups"
        );
    }
    if let Some(index) = &tools.package_index
        && !(index.starts_with("https://") || index.starts_with("http://"))
    {
        bail!("--package-index must be an http(s) URL, got `{index}`");
    }
    Ok(BuilderConfig {
        componentize_py: componentize,
        python: venv.join("bin/python"),
        package_index: tools.package_index.clone(),
        confinement,
        limits: BuildLimits {
            cpu_seconds: tools.build_cpu_seconds,
            memory_bytes: tools.build_memory_mb << 20,
            ..BuildLimits::default()
        },
        sdk_dir: home.join("sandbox/sdk/python"),
        guest_site,
        wit_dir: home.join("sandbox/wit"),
        work_dir,
        step_timeout: berth_builder::DEFAULT_STEP_TIMEOUT,
    })
}

/// Runs `sandbox/python-runtime/build.sh`, which returns at once when the guest site of the pinned
/// versions is already there; the first time it compiles pydantic-core for WebAssembly (a few minutes).
fn build_guest_site(home: &Path, tools_dir: &Path) -> anyhow::Result<PathBuf> {
    let site = tools_dir.join("guest-site");
    let script = home.join("sandbox/python-runtime/build.sh");
    let status = Command::new("bash")
        .arg(&script)
        .env("BERTH_TOOLS", tools_dir)
        .status()
        .with_context(|| format!("cannot run {}", script.display()))?;
    if !status.success() {
        bail!(
            "building pydantic for the Python guests failed (see the output of {} above); it needs rustup (https://rustup.rs) and network access to the package index and crates.io",
            script.display()
        );
    }
    Ok(site)
}

fn install(venv: &Path) -> anyhow::Result<()> {
    eprintln!(
        "berth: first run: installing the Python build toolchain ({COMPONENTIZE_PY}) into {}",
        venv.display()
    );
    eprintln!("berth: this downloads about 20 MB once; later starts skip it");
    let python = ["python3", "python"]
        .into_iter()
        .find(|p| Command::new(p).arg("--version").output().is_ok_and(|o| o.status.success()))
        .context("Python 3 is needed to install componentize-py; install python3 (3.10 or newer) and try again")?;
    let status = Command::new(python)
        .args(["-m", "venv"])
        .arg(venv)
        .status()?;
    if !status.success() {
        bail!(
            "`{python} -m venv {}` failed; on Debian/Ubuntu install python3-venv",
            venv.display()
        );
    }
    let status = Command::new(venv.join("bin/pip"))
        .args([
            "install",
            "--disable-pip-version-check",
            "--progress-bar",
            "on",
            COMPONENTIZE_PY,
        ])
        .status()?;
    if !status.success() {
        bail!("installing {COMPONENTIZE_PY} failed (see pip's output above)");
    }
    eprintln!("berth: build toolchain ready");
    Ok(())
}
