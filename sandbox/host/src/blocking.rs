//! Where work runs. A guest runs as a fiber on the task that called it; anything that may block (a
//! host call waiting on state or on the client, making an instance) is handed to a blocking thread so
//! an async worker thread never stalls. Threads that may block drive async work with [`block_on`].

use std::future::Future;
use std::sync::OnceLock;
use tokio::runtime::{Handle, Runtime};

/// Runs `f` on a blocking thread of the current runtime, or right here when no runtime is at hand.
/// A panic in `f` becomes an error (the guest's call traps) rather than taking the process down.
pub(crate) async fn offload<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> wasmtime::Result<T> {
    match Handle::try_current() {
        Ok(handle) => offload_to(&handle, f).await,
        Err(_) => Ok(f()),
    }
}

/// Runs `f` on a blocking thread of `handle`'s runtime (a panic in `f` becomes an error).
pub(crate) async fn offload_to<T: Send + 'static>(
    handle: &Handle,
    f: impl FnOnce() -> T + Send + 'static,
) -> wasmtime::Result<T> {
    handle
        .spawn_blocking(f)
        .await
        .map_err(|e| wasmtime::format_err!("host work failed: {e}"))
}

/// Drives a future to completion on a thread that may block: on the current runtime's handle (from a
/// blocking thread), else on a small runtime of the sandbox's own, so guests' clocks and sleeps work
/// the same in tests and tools as in a server. Never call it on an async worker thread.
pub fn block_on<F: Future>(f: F) -> F::Output {
    match Handle::try_current() {
        Ok(handle) => handle.block_on(f),
        Err(_) => fallback().block_on(f),
    }
}

fn fallback() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("berth-sandbox")
            .enable_all()
            .build()
            .expect("the sandbox's fallback runtime starts")
    })
}
