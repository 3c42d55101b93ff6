//! The wasmtime engine shared by every deployment on a worker, its epoch ticker, and artifact handling.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine, OptLevel};

use crate::bindings::Server;
use crate::compile_cache::CompileCache;
use crate::egress::{Egress, EgressOptions};
use crate::guests::{GuestThreadOptions, GuestThreads};
use crate::state::GuestState;

/// How often the epoch advances. A guest yields to its executor at every tick, so this is the longest a
/// guest holds a thread at a stretch, and deadlines are checked at ticks, so a call may overrun its limit
/// by at most one. 2 ms keeps a computing guest's hold on a request thread short (see
/// [`crate::guests`]); the ticker thread's 500 wake-ups a second cost well under 0.1% of a core.
pub const EPOCH_TICK: Duration = Duration::from_millis(2);

/// Deepest wasm stack a guest may use before it traps. CPython's own recursion limit normally fires
/// first and raises `RecursionError`; this catches deep recursion in native code.
const MAX_WASM_STACK: usize = 2 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("not a valid WebAssembly component: {0}")]
    InvalidComponent(String),
    #[error(
        "the component does not fit the Berth guest contract (berth:mcp/server@0.1.0): {0}. Build it against sandbox/wit/berth.wit"
    )]
    WrongWorld(String),
    #[error("could not load artifact {0}: {1}")]
    Load(String, String),
    #[error("could not compile the component: {0}")]
    Compile(String),
    #[error("cannot start the guest threads: {0}")]
    Threads(String),
}

/// What a compiled artifact is valid for: the wasmtime version and engine settings that made it.
/// Stored artifacts are keyed by this, and recompiled from the `.wasm` when it changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArtifactKey(pub String);

/// One engine per process, with the linker every guest is instantiated through.
#[derive(Clone)]
pub struct Runtime {
    pub(crate) engine: Engine,
    pub(crate) linker: Arc<Linker<GuestState>>,
    pub(crate) guests: Arc<GuestThreads>,
    /// Outbound HTTP for guests (`wasi:http`): the operator's policy, resolver and TLS roots.
    pub(crate) egress: Arc<Egress>,
    stop: Arc<AtomicBool>,
}

impl Runtime {
    /// A runtime with the default guest threads (one per core, at a lower priority).
    pub fn new() -> Result<Self, RuntimeError> {
        Self::with_options(&GuestThreadOptions::default())
    }

    /// A runtime whose guests, once they compute past their first slice, run on the given threads.
    pub fn with_options(guests: &GuestThreadOptions) -> Result<Self, RuntimeError> {
        Self::with_compile_cache(guests, None)
    }

    /// [`Runtime::with_options`], compiling through a per-function cache (see [`CompileCache`]): a
    /// component whose functions were compiled before (CPython's, in every Python deploy) compiles in a
    /// fraction of the time. The cache lives in a subfolder of `cache` per wasmtime version.
    pub fn with_compile_cache(
        guests: &GuestThreadOptions,
        cache: Option<(&Path, u64)>,
    ) -> Result<Self, RuntimeError> {
        let guests = Arc::new(
            GuestThreads::start(guests).map_err(|e| RuntimeError::Threads(e.to_string()))?,
        );
        let mut config = Config::new();
        config
            .wasm_component_model(true)
            .epoch_interruption(true)
            .memory_init_cow(true)
            .cranelift_opt_level(OptLevel::Speed)
            .max_wasm_stack(MAX_WASM_STACK)
            .parallel_compilation(true);
        if let Some((dir, budget)) = cache {
            let dir = dir.join(format!("wasmtime-{}", wasmtime_version()));
            let store = CompileCache::open(&dir, budget).map_err(|e| {
                RuntimeError::Compile(format!(
                    "cannot open the compilation cache in {}: {e}",
                    dir.display()
                ))
            })?;
            config
                .enable_incremental_compilation(Arc::new(store))
                .map_err(|e| RuntimeError::Compile(e.to_string()))?;
        }
        let engine = Engine::new(&config).map_err(|e| RuntimeError::Compile(e.to_string()))?;
        let mut linker = Linker::<GuestState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)
            .map_err(|e| RuntimeError::Compile(e.to_string()))?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)
            .map_err(|e| RuntimeError::Compile(e.to_string()))?;
        Server::add_to_linker::<GuestState, wasmtime::component::HasSelf<GuestState>>(
            &mut linker,
            |s| s,
        )
        .map_err(|e| RuntimeError::Compile(e.to_string()))?;
        let stop = Arc::new(AtomicBool::new(false));
        let ticker_engine = engine.weak();
        let ticker_stop = stop.clone();
        thread::Builder::new()
            .name("berth-epoch".into())
            .spawn(move || {
                while !ticker_stop.load(Ordering::Relaxed) {
                    thread::sleep(EPOCH_TICK);
                    match ticker_engine.upgrade() {
                        Some(engine) => engine.increment_epoch(),
                        None => return,
                    }
                }
            })
            .map_err(|e| RuntimeError::Compile(format!("cannot start the epoch ticker: {e}")))?;
        Ok(Self {
            engine,
            linker: Arc::new(linker),
            guests,
            egress: Arc::new(Egress::new(EgressOptions::default())),
            stop,
        })
    }

    /// This runtime with the operator's egress settings (`--allow-private-egress`).
    pub fn with_egress(mut self, options: EgressOptions) -> Self {
        self.egress = Arc::new(Egress::new(options));
        self
    }

    /// The key compiled artifacts must match to be loaded by this runtime.
    pub fn artifact_key(&self) -> ArtifactKey {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.engine.precompile_compatibility_hash().hash(&mut h);
        ArtifactKey(format!(
            "wasmtime-{}-{:016x}",
            wasmtime_version(),
            h.finish()
        ))
    }

    /// Compiles a component ahead of time. Checks that it is a component of the Berth world first.
    pub fn precompile(&self, wasm: &[u8]) -> Result<Vec<u8>, RuntimeError> {
        if !wasmparser_is_component(wasm) {
            return Err(RuntimeError::InvalidComponent(
                "the file is not a WebAssembly component (a core module or something else); build a component for the berth:mcp/server world".into(),
            ));
        }
        // One compilation (the costly part of a deploy): the compiled form is loaded back to check its
        // imports against the guest contract.
        let cwasm = self
            .engine
            .precompile_component(wasm)
            .map_err(|e| RuntimeError::InvalidComponent(format!("{e:#}")))?;
        // SAFETY: `deserialize` trusts its bytes to be a compiled component of a compatible engine: these
        // were made just now by this engine, from memory no one else writes.
        #[allow(unsafe_code)]
        let component = unsafe { Component::deserialize(&self.engine, &cwasm) }
            .map_err(|e| RuntimeError::Compile(format!("{e:#}")))?;
        self.linker
            .instantiate_pre(&component)
            .map_err(|e| RuntimeError::WrongWorld(format!("{e:#}")))?;
        Ok(cwasm)
    }

    /// Loads an ahead-of-time compiled artifact by mapping the file into memory.
    pub fn load(&self, cwasm: &Path) -> Result<Component, RuntimeError> {
        // SAFETY: `deserialize_file` trusts the file to be a `.cwasm` made by a compatible engine. Only the
        // builder writes artifacts, into a directory users cannot write, named by content hash and by the
        // artifact key of the engine that made them; wasmtime also checks the header and version.
        #[allow(unsafe_code)]
        let component = unsafe { Component::deserialize_file(&self.engine, cwasm) };
        component.map_err(|e| RuntimeError::Load(cwasm.display().to_string(), format!("{e:#}")))
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if Arc::strong_count(&self.stop) == 1 {
            self.stop.store(true, Ordering::Relaxed);
        }
    }
}

fn wasmtime_version() -> &'static str {
    "48.0.8"
}

/// A component starts with the magic bytes and a version/layer word whose layer is 1.
fn wasmparser_is_component(bytes: &[u8]) -> bool {
    bytes.len() >= 8 && &bytes[0..4] == b"\0asm" && bytes[6..8] == [1, 0]
}
