//! The builder: turns a source directory into a deployable artifact.
//!
//! A directory holding `berth.wasm` deploys that component as it is. Otherwise it is a FastMCP-style
//! Python project: its requirements are vendored as pure-Python wheels only (nothing from a package runs
//! on the host), componentize-py bundles them with the user's code and Berth's Python SDK into a
//! component (running the module's top level inside wasm, at build time), the component is instantiated
//! once in the sandbox and must describe itself, and is compiled ahead of time and stored by content hash.
//! Every step writes to the build log; every failure says what to fix.

mod berth_toml;
mod confine;
mod entry;
mod pids;
mod process;
mod python;
mod requirements;
mod vendor;

use berth_core::ServerDescription;
use berth_sandbox_host::{ArtifactDir, DeploymentPool, Runtime};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use berth_toml::{BERTH_TOML, MAX_BERTH_TOML_BYTES, ProjectFile};
pub use confine::{
    BuildLimits, Confinement, DEFAULT_BUILD_CPU_SECONDS, DEFAULT_BUILD_DISK_BYTES,
    DEFAULT_BUILD_FILE_BYTES, DEFAULT_BUILD_MEMORY_BYTES, DEFAULT_BUILD_OPEN_FILES,
};
pub use entry::EntryPoint;
pub use pids::{DEFAULT_BUILD_PROCESSES, ProcessCap, cap as process_cap};
pub use requirements::{Requirement, parse_pyproject, parse_requirements_txt};

/// File name of a prebuilt component at the root of a repository.
pub const PREBUILT_COMPONENT: &str = "berth.wasm";

/// Longest a single build step (pip, componentize-py) may take. A small project builds in well under a
/// minute; ten is generous for a large dependency set on a slow machine, and bounds a stuck build.
pub const DEFAULT_STEP_TIMEOUT: Duration = Duration::from_secs(600);

/// Largest prebuilt component accepted. A Python component is ~20 MB; anything much larger is a mistake.
pub const MAX_COMPONENT_BYTES: u64 = 100 * 1024 * 1024;

#[derive(Clone, Debug)]
pub struct BuilderConfig {
    /// `componentize-py` executable.
    pub componentize_py: PathBuf,
    /// Python interpreter used to run pip (downloads and unpacks wheels; runs no package code).
    pub python: PathBuf,
    /// The package index pip downloads from (`--index-url`); pip's default when None.
    pub package_index: Option<String>,
    /// How pip and componentize-py are confined.
    pub confinement: Confinement,
    /// Resource limits of each build step.
    pub limits: BuildLimits,
    /// Berth's Python SDK (`sandbox/sdk/python`).
    pub sdk_dir: PathBuf,
    /// The guest site: real pydantic with a pydantic-core built for WebAssembly and their pure-Python
    /// dependencies (`sandbox/python-runtime/build.sh` makes it), bundled into every Python build.
    pub guest_site: PathBuf,
    /// The guest contract (`sandbox/wit`).
    pub wit_dir: PathBuf,
    /// Scratch space for builds.
    pub work_dir: PathBuf,
    pub step_timeout: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The user's project is wrong; the message says what to fix.
    #[error("{0}")]
    Project(String),
    /// The platform failed (disk, tools); the operator must act.
    #[error("the build system failed: {0}")]
    Platform(String),
}

/// What a successful build produced.
#[derive(Clone, Debug)]
pub struct BuildOutput {
    /// Content hash of the component, the artifact's name in the artifact store.
    pub artifact: String,
    pub description: ServerDescription,
    pub kind: &'static str,
    pub component_bytes: u64,
    pub duration: Duration,
}

pub struct Builder {
    config: BuilderConfig,
    runtime: Runtime,
    artifacts: ArtifactDir,
}

/// Where build log lines go.
pub type LogFn<'a> = &'a (dyn Fn(&str) + Sync);

impl Builder {
    pub fn new(config: BuilderConfig, runtime: Runtime, artifacts: ArtifactDir) -> Self {
        Self {
            config,
            runtime,
            artifacts,
        }
    }

    pub fn config(&self) -> &BuilderConfig {
        &self.config
    }

    /// Builds `source` (a checked-out project) into a stored artifact. Blocks; run it off async threads.
    pub fn build(
        &self,
        source: &Path,
        entry: Option<&str>,
        log: LogFn<'_>,
    ) -> Result<BuildOutput, BuildError> {
        let started = Instant::now();
        let prebuilt = source.join(PREBUILT_COMPONENT);
        let project_file = berth_toml::read(source)?;
        if !project_file.network_allow.is_empty() {
            log(&format!(
                "berth.toml: the server may reach {}",
                project_file.network_allow.entries().join(", ")
            ));
        }
        let prebuilt_meta = std::fs::symlink_metadata(&prebuilt).ok();
        let (wasm, kind) = if prebuilt_meta.is_some() {
            log(&format!(
                "found {PREBUILT_COMPONENT}: deploying the prebuilt component as it is"
            ));
            (read_component(&prebuilt)?, "component")
        } else {
            let entry = EntryPoint::parse(entry.unwrap_or(entry::DEFAULT_ENTRY))?;
            entry.check_exists(source)?;
            (python::build(&self.config, source, &entry, log)?, "python")
        };
        log(&format!(
            "component: {:.1} MB; compiling ahead of time",
            wasm.len() as f64 / 1e6
        ));
        let t = Instant::now();
        let cwasm = self
            .runtime
            .precompile(&wasm)
            .map_err(|e| BuildError::Project(e.to_string()))?;
        log(&format!("compiled in {:.1} s", t.elapsed().as_secs_f64()));
        let artifact = self
            .artifacts
            .put(&self.runtime, &wasm, &cwasm)
            .map_err(|e| BuildError::Platform(e.to_string()))?;
        let mut description = self.describe(&artifact, log).inspect_err(|_| {
            let _ = self.artifacts.remove(&artifact);
        })?;
        description.network_allow = project_file.network_allow.entries();
        for notice in description.notices.iter().take(MAX_NOTICES) {
            log(&format!("notice: {notice}"));
        }
        log(&format!(
            "server `{}` offers {} tools, {} resources, {} resource templates, {} prompts",
            description.name,
            description.tools.len(),
            description.resources.len(),
            description.resource_templates.len(),
            description.prompts.len()
        ));
        log(&format!("artifact {} stored", &artifact[..12]));
        Ok(BuildOutput {
            artifact,
            description,
            kind,
            component_bytes: wasm.len() as u64,
            duration: started.elapsed(),
        })
    }

    /// Instantiates the component once, in the sandbox, and asks what it offers.
    fn describe(&self, artifact: &str, log: LogFn<'_>) -> Result<ServerDescription, BuildError> {
        log("starting the server once in the sandbox to list its tools, resources and prompts");
        let cwasm = self
            .artifacts
            .compiled(&self.runtime, artifact)
            .map_err(|e| BuildError::Platform(e.to_string()))?;
        let pool = DeploymentPool::from_artifact(
            &self.runtime,
            &cwasm,
            Default::default(),
            Arc::new(Vec::new()),
        )
        .map_err(|e| BuildError::Project(e.to_string()))?;
        let json = pool.describe().map_err(|e| {
            for line in e.lines() {
                log(line);
            }
            BuildError::Project(format!(
                "the server could not describe itself: {}",
                e.lines().last().unwrap_or("")
            ))
        })?;
        ServerDescription::from_guest_json(&json).map_err(BuildError::Project)
    }
}

/// Notices from the guest's self-description shown in the build log, at most.
const MAX_NOTICES: usize = 100;

fn read_component(path: &Path) -> Result<Vec<u8>, BuildError> {
    let meta = std::fs::symlink_metadata(path)
        .map_err(|e| BuildError::Project(format!("cannot read {PREBUILT_COMPONENT}: {e}")))?;
    if !meta.is_file() {
        // A symlink could name any file of the host (and the wasm parser's error would echo its bytes).
        return Err(BuildError::Project(format!(
            "{PREBUILT_COMPONENT} must be a regular file in the repository, not a link or a folder"
        )));
    }
    if meta.len() > MAX_COMPONENT_BYTES {
        return Err(BuildError::Project(format!(
            "{PREBUILT_COMPONENT} is {} MB, over the {} MB limit",
            meta.len() / 1_000_000,
            MAX_COMPONENT_BYTES / 1_000_000
        )));
    }
    std::fs::read(path)
        .map_err(|e| BuildError::Project(format!("cannot read {PREBUILT_COMPONENT}: {e}")))
}
