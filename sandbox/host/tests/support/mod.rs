//! The Rust fixture guest (`sandbox/fixtures/rust-guest`), built once per test binary and compiled
//! ahead of time for a runtime.

use berth_sandbox_host::Runtime;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

/// Builds the fixture guest once and compiles it for `runtime`, into a file of its own (a mapped
/// artifact must never be rewritten in place).
pub fn fixture_cwasm(runtime: &Runtime) -> PathBuf {
    let cwasm = runtime
        .precompile(&std::fs::read(fixture_wasm()).unwrap())
        .unwrap();
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("berth-fixture-{}-{n}.cwasm", std::process::id()));
    std::fs::write(&path, cwasm).unwrap();
    path
}

/// The fixture guest's component, built once per test binary.
pub fn fixture_wasm() -> &'static PathBuf {
    static WASM: OnceLock<PathBuf> = OnceLock::new();
    WASM.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/rust-guest");
        let target = std::env::var("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|_| dir.join("target"))
            .join("fixtures");
        let status = Command::new(env!("CARGO"))
            .args(["build", "--release", "--quiet", "--target", "wasm32-wasip2"])
            .env("CARGO_TARGET_DIR", &target)
            .current_dir(&dir)
            .status()
            .expect("cargo runs");
        assert!(
            status.success(),
            "building the fixture guest failed (is the wasm32-wasip2 target installed?)"
        );
        target.join("wasm32-wasip2/release/berth_fixture_rust_guest.wasm")
    })
}
