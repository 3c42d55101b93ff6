//! Berth's domain core: the names and rules every other crate shares.
//!
//! Project slugs, deployment ids, sandbox limits, and the value types of the guest contract
//! (`sandbox/wit/berth.wit`) as plain Rust: what a server offers, what a call asks and what it returns,
//! and the callbacks a guest may make while it runs. Nothing here knows about databases, HTTP or wasm;
//! the edge translates these types to MCP's wire format, the sandbox host to and from WIT.

pub mod access;
pub mod ceilings;
pub mod egress;
pub mod guest;
pub mod ids;
pub mod limits;
pub mod redact;
pub mod runlog;
pub mod util;

pub use access::{Access, AccessKey};
pub use ceilings::{LIMIT_FIELDS, LimitField, LimitPolicy};
pub use egress::{AllowList, EgressEvent, EgressOutcome, HostPattern};
pub use guest::*;
pub use ids::{DeploymentId, ProjectSlug, SlugError};
pub use limits::Limits;
