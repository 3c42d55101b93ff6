//! Artifacts on disk, by content hash: `<root>/<sha256>/component.wasm` and one ahead-of-time compiled
//! `<artifact key>.cwasm` beside it per engine that has loaded it. Files are written to a temporary name
//! and renamed into place, so a crash never leaves a half-written artifact, and a file that is mapped is
//! never rewritten.

use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::engine::{Runtime, RuntimeError};

#[derive(Clone, Debug)]
pub struct ArtifactDir {
    root: PathBuf,
}

impl ArtifactDir {
    pub fn new(root: impl Into<PathBuf>) -> std::io::Result<Self> {
        let root = root.into();
        std::fs::create_dir_all(&root)?;
        Ok(Self { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The content hash artifacts are named by.
    pub fn hash(wasm: &[u8]) -> String {
        hex::encode(Sha256::digest(wasm))
    }

    fn dir(&self, hash: &str) -> Result<PathBuf, RuntimeError> {
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(RuntimeError::Load(
                hash.into(),
                "not an artifact hash".into(),
            ));
        }
        Ok(self.root.join(hash))
    }

    /// Stores a component and its compiled form for `runtime`; returns the content hash.
    pub fn put(
        &self,
        runtime: &Runtime,
        wasm: &[u8],
        cwasm: &[u8],
    ) -> Result<String, RuntimeError> {
        let hash = Self::hash(wasm);
        let dir = self.dir(&hash)?;
        let io = |e: std::io::Error| RuntimeError::Load(dir.display().to_string(), e.to_string());
        std::fs::create_dir_all(&dir).map_err(io)?;
        write_atomic(&dir.join("component.wasm"), wasm).map_err(io)?;
        write_atomic(
            &dir.join(format!("{}.cwasm", runtime.artifact_key().0)),
            cwasm,
        )
        .map_err(io)?;
        Ok(hash)
    }

    /// The compiled artifact for `runtime`, compiling it from the stored component when this engine has
    /// not seen it (a new wasmtime version or different engine settings).
    pub fn compiled(&self, runtime: &Runtime, hash: &str) -> Result<PathBuf, RuntimeError> {
        let dir = self.dir(hash)?;
        let path = dir.join(format!("{}.cwasm", runtime.artifact_key().0));
        if path.exists() {
            return Ok(path);
        }
        let io = |e: std::io::Error| RuntimeError::Load(dir.display().to_string(), e.to_string());
        let wasm = std::fs::read(dir.join("component.wasm")).map_err(io)?;
        let cwasm = runtime.precompile(&wasm)?;
        write_atomic(&path, &cwasm).map_err(io)?;
        Ok(path)
    }

    /// Removes an artifact; a worker that has it mapped keeps its mapping until it lets go.
    pub fn remove(&self, hash: &str) -> Result<(), RuntimeError> {
        let dir = self.dir(hash)?;
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(RuntimeError::Load(dir.display().to_string(), e.to_string())),
        }
    }
}

fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if path.exists() {
        return Ok(()); // content-addressed: same name, same bytes
    }
    let tmp = path.with_extension(format!(
        "tmp-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}
