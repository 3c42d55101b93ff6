//! Per-project key-value state, for the guest's `kv-*` host calls, and the quota that bounds it: a key's
//! size, a value's size, the bytes a project holds in all and its number of keys. A write past the quota
//! is refused with a message the guest sees (its SDK raises it as an exception it can catch); the store
//! never holds more than the quota. A shared backend (Redis) implements the same trait and the same checks.

use crate::store::StoreError;
use std::collections::HashMap;

/// Largest key, in bytes. Keys name things (`user:42:prefs`); a few hundred bytes is plenty, and the same
/// bound as common hosted key-value stores keeps a guest's data portable.
pub const DEFAULT_KV_MAX_KEY_BYTES: usize = 512;

/// Largest value, in bytes: as large as a request body may be, so anything a tool receives it can store,
/// while one write cannot take a large share of a project's quota.
pub const DEFAULT_KV_MAX_VALUE_BYTES: usize = 1024 * 1024;

/// Bytes (keys plus values) one project may hold. The embedded store keeps every project's state in the
/// edge's memory: 10 MiB per project lets a thousand projects fit in a modest machine.
pub const DEFAULT_KV_MAX_TOTAL_BYTES: usize = 10 * 1024 * 1024;

/// Keys one project may hold; bounds the per-key overhead that the byte count does not see.
pub const DEFAULT_KV_MAX_KEYS: usize = 10_000;

/// The key-value quota of one project.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KvLimits {
    pub max_key_bytes: usize,
    pub max_value_bytes: usize,
    pub max_total_bytes: usize,
    pub max_keys: usize,
}

impl Default for KvLimits {
    fn default() -> Self {
        Self {
            max_key_bytes: DEFAULT_KV_MAX_KEY_BYTES,
            max_value_bytes: DEFAULT_KV_MAX_VALUE_BYTES,
            max_total_bytes: DEFAULT_KV_MAX_TOTAL_BYTES,
            max_keys: DEFAULT_KV_MAX_KEYS,
        }
    }
}

/// Why a write was not made.
#[derive(Debug, Clone, thiserror::Error)]
pub enum KvError {
    /// The write is over the project's quota; the message says which limit and what to do.
    #[error("{0}")]
    Quota(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The start of a key, for messages: keys may be long, and a message need not repeat all of one.
fn shown(key: &str) -> String {
    const SHOWN: usize = 64;
    match key.char_indices().nth(SHOWN) {
        Some((at, _)) => format!("{}...", &key[..at]),
        None => key.to_string(),
    }
}

impl KvLimits {
    /// Checks a key and a value on their own (before the store is asked).
    pub fn check_entry(&self, key: &str, value: &str) -> Result<(), KvError> {
        if key.len() > self.max_key_bytes {
            return Err(KvError::Quota(format!(
                "key-value key `{}` is {} bytes; keys may be at most {} bytes: use a shorter key",
                shown(key),
                key.len(),
                self.max_key_bytes
            )));
        }
        if value.len() > self.max_value_bytes {
            return Err(KvError::Quota(format!(
                "the value for key-value key `{}` is {} bytes; values may be at most {} bytes: store less, or split it over several keys",
                shown(key),
                value.len(),
                self.max_value_bytes
            )));
        }
        Ok(())
    }

    /// Checks that a project holding `keys` keys and `total` bytes may replace `old` (the size of the
    /// key's entry now, if it exists) with an entry of `new` bytes.
    pub fn check_room(
        &self,
        keys: usize,
        total: usize,
        old: Option<usize>,
        new: usize,
    ) -> Result<(), KvError> {
        if old.is_none() && keys >= self.max_keys {
            return Err(KvError::Quota(format!(
                "the project's key-value state already holds {keys} keys, its limit of {}: delete keys it no longer needs",
                self.max_keys
            )));
        }
        let after = total - old.unwrap_or(0) + new;
        if after > self.max_total_bytes {
            return Err(KvError::Quota(format!(
                "this write would bring the project's key-value state to {after} bytes, over its quota of {} bytes: delete keys it no longer needs",
                self.max_total_bytes
            )));
        }
        Ok(())
    }
}

/// Per-project key-value state, for the guest's `kv-*` host calls. Implementations enforce the
/// [`KvLimits`] they were made with on every `set`.
#[async_trait::async_trait]
pub trait StateStore: Send + Sync + 'static {
    async fn get(&self, project_id: &str, key: &str) -> Result<Option<String>, StoreError>;
    /// Stores `value` under `key`, or refuses with [`KvError::Quota`] when that would go over the quota.
    async fn set(&self, project_id: &str, key: &str, value: &str) -> Result<(), KvError>;
    async fn delete(&self, project_id: &str, key: &str) -> Result<(), StoreError>;
}

/// One project's entries and what they weigh.
#[derive(Default)]
struct Project {
    entries: HashMap<String, String>,
    /// Sum of the lengths of keys and values in `entries`.
    bytes: usize,
}

/// Key-value state in this process's memory.
pub struct MemoryState {
    shards: crate::store::Sharded<HashMap<String, Project>>,
    limits: KvLimits,
}

impl Default for MemoryState {
    fn default() -> Self {
        Self::with_limits(KvLimits::default())
    }
}

impl MemoryState {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_limits(limits: KvLimits) -> Self {
        Self {
            shards: crate::store::Sharded::new(),
            limits,
        }
    }
}

#[async_trait::async_trait]
impl StateStore for MemoryState {
    async fn get(&self, project_id: &str, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .shards
            .shard(project_id)
            .get(project_id)
            .and_then(|p| p.entries.get(key))
            .cloned())
    }

    async fn set(&self, project_id: &str, key: &str, value: &str) -> Result<(), KvError> {
        self.limits.check_entry(key, value)?;
        let mut shard = self.shards.shard(project_id);
        let project = shard.entry(project_id.to_string()).or_default();
        let old = project.entries.get(key).map(|v| key.len() + v.len());
        let new = key.len() + value.len();
        self.limits
            .check_room(project.entries.len(), project.bytes, old, new)?;
        project.entries.insert(key.to_string(), value.to_string());
        project.bytes = project.bytes - old.unwrap_or(0) + new;
        Ok(())
    }

    async fn delete(&self, project_id: &str, key: &str) -> Result<(), StoreError> {
        let mut shard = self.shards.shard(project_id);
        if let Some(p) = shard.get_mut(project_id)
            && let Some(v) = p.entries.remove(key)
        {
            p.bytes -= key.len() + v.len();
            if p.entries.is_empty() {
                shard.remove(project_id);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn state_is_scoped_by_project() {
        let s = MemoryState::new();
        s.set("p1", "k", "v").await.unwrap();
        assert_eq!(s.get("p1", "k").await.unwrap().as_deref(), Some("v"));
        assert_eq!(s.get("p2", "k").await.unwrap(), None);
        s.delete("p1", "k").await.unwrap();
        assert_eq!(s.get("p1", "k").await.unwrap(), None);
    }

    fn quota(err: KvError) -> String {
        match err {
            KvError::Quota(m) => m,
            other => panic!("expected a quota error, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn the_quota_holds_for_keys_values_bytes_and_count() {
        let s = MemoryState::with_limits(KvLimits {
            max_key_bytes: 8,
            max_value_bytes: 16,
            max_total_bytes: 40,
            max_keys: 3,
        });
        let m = quota(s.set("p", "a-very-long-key", "v").await.unwrap_err());
        assert!(m.contains("at most 8 bytes"), "{m}");
        let m = quota(s.set("p", "k", &"x".repeat(17)).await.unwrap_err());
        assert!(m.contains("at most 16 bytes"), "{m}");
        // 3 keys of 1 + 10 bytes = 33 bytes.
        for k in ["a", "b", "c"] {
            s.set("p", k, &"x".repeat(10)).await.unwrap();
        }
        let m = quota(s.set("p", "d", "x").await.unwrap_err());
        assert!(m.contains("limit of 3"), "{m}");
        // Replacing an entry counts its new size only: 33 - 11 + 17 = 39 fits, 40 + 1 does not.
        s.set("p", "a", &"y".repeat(16)).await.unwrap();
        let m = quota(s.set("p", "b", &"y".repeat(12)).await.unwrap_err());
        assert!(m.contains("quota of 40 bytes"), "{m}");
        assert_eq!(
            s.get("p", "b").await.unwrap().as_deref(),
            Some("xxxxxxxxxx"),
            "a refused write leaves the old value"
        );
        // Deleting frees room, and another project has its own quota.
        s.delete("p", "c").await.unwrap();
        s.set("p", "d", "x").await.unwrap();
        for k in ["a", "b", "c"] {
            s.set("q", k, &"x".repeat(10)).await.unwrap();
        }
    }
}
