//! Runs Berth guest components in wasmtime: one engine, ahead-of-time compiled artifacts loaded by mmap,
//! copy-on-write memory images, and per-deployment pools of warm instances with a wall-clock deadline
//! (epoch interruption), a memory cap (a resource limiter that refuses growth, so Python raises
//! `MemoryError` instead of dying), a deny-all WASI context (no files, no sockets), and outbound HTTP only
//! through `wasi:http`, to the hosts a call's allowlist names and the operator's address policy permits.
//!
//! This crate knows guests and calls, nothing of tenants, databases or HTTP: callers hand it an artifact,
//! limits and the environment to expose, and get back [`berth_core::GuestOutput`]s.

mod admission;
mod artifacts;
mod bindings;
mod blocking;
mod compile_cache;
mod egress;
mod engine;
mod guests;
mod output;
mod pool;
mod state;

pub use artifacts::ArtifactDir;
pub use blocking::block_on;
pub use compile_cache::{CompileCache, DEFAULT_COMPILE_CACHE_BYTES};
pub use egress::{EgressOptions, REFUSED as EGRESS_REFUSED};
pub use engine::{ArtifactKey, Runtime, RuntimeError};
pub use guests::{DEFAULT_GUEST_PRIORITY, GuestPriority, GuestThreadOptions};
pub use pool::{DeploymentPool, PoolStats};
