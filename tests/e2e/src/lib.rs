//! End-to-end test support for Berth: starts the real `berth up` binary as a child process on a
//! free loopback port with its own data dir, deploys projects through the real `berth deploy`
//! CLI, and drives the result with outside tools (the official conformance suite, the Python and
//! Node MCP clients) and with a small hyper-based MCP client used for load. The tests live in
//! `tests/`, the benchmark in `src/bin/bench.rs`; `tests/README.md` says what each one proves.

pub mod browser;
mod cmd;
pub mod compat;
pub mod conformance;
pub mod load;
pub mod mcp;
pub mod server;
pub mod tools;

pub use cmd::{run_json, run_ok};
pub use server::{Berth, Deploy, Profile, berth_bin, repo_root};
pub use tools::{Conformance, Tools};
