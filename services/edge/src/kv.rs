//! Per-project key-value state, for the guest's `kv-*` host calls, and the quota that bounds it: a key's
//! size, a value's size, the bytes a project holds in all and its number of keys. A write past the quota
//! is refused with a message the guest sees (its SDK raises it as an exception it can catch); the store
//! never holds more than the quota. A shared backend (Redis) implements the same trait and the same checks.

use crate::store::StoreError;
use std::collections::HashMap;
use std::time::{Duration, Instant};

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

/// How long a session's state lives after its last write: fastmcp's own lifetime for `ctx.set_state`
/// values (a day). It also goes when the session is deleted.
pub const SESSION_STATE_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// How often a project's expired session state is looked for, at most (on its writes).
const SESSION_SWEEP_EVERY: Duration = Duration::from_secs(60);

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
    /// A value of one MCP session's state (none once the session ended or its state expired).
    async fn session_get(
        &self,
        project_id: &str,
        session: &str,
        key: &str,
    ) -> Result<Option<String>, StoreError>;
    /// Stores a value in a session's state. Session state shares the project's quota; when it has no
    /// room, the state of the project's other sessions goes (written longest ago first) before a write
    /// is refused, never the project's own keys.
    async fn session_set(
        &self,
        project_id: &str,
        session: &str,
        key: &str,
        value: &str,
    ) -> Result<(), KvError>;
    async fn session_delete(
        &self,
        project_id: &str,
        session: &str,
        key: &str,
    ) -> Result<(), StoreError>;
    /// Drops a session's state (the session was deleted).
    async fn end_session(&self, project_id: &str, session: &str) -> Result<(), StoreError>;
}

/// One project's entries and what they weigh.
#[derive(Default)]
struct Project {
    entries: HashMap<String, String>,
    /// Sum of the lengths of keys and values in `entries`.
    bytes: usize,
    /// Its sessions' state, by session id.
    sessions: HashMap<String, SessionState>,
    /// Keys and bytes in `sessions`, for the quota the project's own keys share.
    session_keys: usize,
    session_bytes: usize,
    /// When expired session state was last looked for.
    swept: Option<Instant>,
}

/// One session's state.
struct SessionState {
    entries: HashMap<String, String>,
    bytes: usize,
    written: Instant,
}

impl SessionState {
    /// Not written for `ttl`.
    fn expired(&self, now: Instant, ttl: Duration) -> bool {
        now.duration_since(self.written) >= ttl
    }
}

impl Project {
    fn keys(&self) -> usize {
        self.entries.len() + self.session_keys
    }

    fn total(&self) -> usize {
        self.bytes + self.session_bytes
    }

    fn is_empty(&self) -> bool {
        self.entries.is_empty() && self.sessions.is_empty()
    }

    fn drop_session(&mut self, session: &str) {
        if let Some(s) = self.sessions.remove(session) {
            self.session_keys -= s.entries.len();
            self.session_bytes -= s.bytes;
        }
    }

    /// Drops the state of sessions not written for [`SESSION_STATE_TTL`] (at most once a minute).
    fn sweep(&mut self, now: Instant, ttl: Duration) {
        if self
            .swept
            .is_some_and(|at| now.duration_since(at) < SESSION_SWEEP_EVERY)
        {
            return;
        }
        self.swept = Some(now);
        let expired: Vec<String> = self
            .sessions
            .iter()
            .filter(|(_, s)| s.expired(now, ttl))
            .map(|(id, _)| id.clone())
            .collect();
        for id in expired {
            self.drop_session(&id);
        }
    }

    /// The session's state, unless it expired (then it is dropped).
    fn live_session(
        &mut self,
        session: &str,
        now: Instant,
        ttl: Duration,
    ) -> Option<&mut SessionState> {
        let expired = self
            .sessions
            .get(session)
            .is_some_and(|s| s.expired(now, ttl));
        if expired {
            self.drop_session(session);
        }
        self.sessions.get_mut(session)
    }

    /// Drops the state of the session written longest ago other than `keep`; `false` if there is none.
    fn evict_session(&mut self, keep: &str) -> bool {
        let oldest = self
            .sessions
            .iter()
            .filter(|(id, _)| id.as_str() != keep)
            .min_by_key(|(_, s)| s.written)
            .map(|(id, _)| id.clone());
        match oldest {
            Some(id) => {
                self.drop_session(&id);
                true
            }
            None => false,
        }
    }
}

/// Key-value state in this process's memory.
pub struct MemoryState {
    shards: crate::store::Sharded<HashMap<String, Project>>,
    limits: KvLimits,
    session_ttl: Duration,
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
            session_ttl: SESSION_STATE_TTL,
        }
    }

    /// This store with session state living `ttl` after its last write.
    pub fn with_session_ttl(mut self, ttl: Duration) -> Self {
        self.session_ttl = ttl;
        self
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
            .check_room(project.keys(), project.total(), old, new)?;
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
            if p.is_empty() {
                shard.remove(project_id);
            }
        }
        Ok(())
    }

    async fn session_get(
        &self,
        project_id: &str,
        session: &str,
        key: &str,
    ) -> Result<Option<String>, StoreError> {
        let mut shard = self.shards.shard(project_id);
        Ok(shard
            .get_mut(project_id)
            .and_then(|p| p.live_session(session, Instant::now(), self.session_ttl))
            .and_then(|s| s.entries.get(key).cloned()))
    }

    async fn session_set(
        &self,
        project_id: &str,
        session: &str,
        key: &str,
        value: &str,
    ) -> Result<(), KvError> {
        self.limits.check_entry(key, value)?;
        let now = Instant::now();
        let mut shard = self.shards.shard(project_id);
        let project = shard.entry(project_id.to_string()).or_default();
        project.sweep(now, self.session_ttl);
        let old = project
            .live_session(session, now, self.session_ttl)
            .and_then(|s| s.entries.get(key))
            .map(|v| key.len() + v.len());
        let new = key.len() + value.len();
        while let Err(e) = self
            .limits
            .check_room(project.keys(), project.total(), old, new)
        {
            if !project.evict_session(session) {
                if project.is_empty() {
                    shard.remove(project_id);
                }
                return Err(e);
            }
        }
        let state = project
            .sessions
            .entry(session.to_string())
            .or_insert_with(|| SessionState {
                entries: HashMap::new(),
                bytes: 0,
                written: now,
            });
        state.written = now;
        if state
            .entries
            .insert(key.to_string(), value.to_string())
            .is_none()
        {
            project.session_keys += 1;
        }
        state.bytes = state.bytes - old.unwrap_or(0) + new;
        project.session_bytes = project.session_bytes - old.unwrap_or(0) + new;
        Ok(())
    }

    async fn session_delete(
        &self,
        project_id: &str,
        session: &str,
        key: &str,
    ) -> Result<(), StoreError> {
        let mut shard = self.shards.shard(project_id);
        let Some(p) = shard.get_mut(project_id) else {
            return Ok(());
        };
        if let Some(s) = p.sessions.get_mut(session)
            && let Some(v) = s.entries.remove(key)
        {
            s.bytes -= key.len() + v.len();
            p.session_keys -= 1;
            p.session_bytes -= key.len() + v.len();
            if s.entries.is_empty() {
                p.sessions.remove(session);
            }
        }
        if p.is_empty() {
            shard.remove(project_id);
        }
        Ok(())
    }

    async fn end_session(&self, project_id: &str, session: &str) -> Result<(), StoreError> {
        let mut shard = self.shards.shard(project_id);
        if let Some(p) = shard.get_mut(project_id) {
            p.drop_session(session);
            if p.is_empty() {
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

    #[tokio::test]
    async fn session_state_is_per_session_apart_from_the_projects_keys_and_ends_with_it() {
        let s = MemoryState::new();
        s.set("p", "k", "project").await.unwrap();
        s.session_set("p", "a", "k", "of a").await.unwrap();
        s.session_set("p", "b", "k", "of b").await.unwrap();
        assert_eq!(s.get("p", "k").await.unwrap().as_deref(), Some("project"));
        assert_eq!(
            s.session_get("p", "a", "k").await.unwrap().as_deref(),
            Some("of a")
        );
        assert_eq!(
            s.session_get("p", "b", "k").await.unwrap().as_deref(),
            Some("of b")
        );
        assert_eq!(
            s.session_get("q", "a", "k").await.unwrap(),
            None,
            "another project"
        );
        s.session_delete("p", "b", "k").await.unwrap();
        assert_eq!(s.session_get("p", "b", "k").await.unwrap(), None);
        s.end_session("p", "a").await.unwrap();
        assert_eq!(s.session_get("p", "a", "k").await.unwrap(), None);
        assert_eq!(s.get("p", "k").await.unwrap().as_deref(), Some("project"));
        s.delete("p", "k").await.unwrap();
        assert!(
            s.shards.shard("p").get("p").is_none(),
            "nothing left behind"
        );
    }

    #[tokio::test]
    async fn sessions_share_the_quota_and_give_way_oldest_first_never_the_projects_keys() {
        let s = MemoryState::with_limits(KvLimits {
            max_key_bytes: 8,
            max_value_bytes: 16,
            max_total_bytes: 40,
            max_keys: 3,
        });
        s.set("p", "own", &"x".repeat(7)).await.unwrap(); // 10 bytes, 1 key
        s.session_set("p", "old", "k", &"o".repeat(9))
            .await
            .unwrap(); // 10
        s.session_set("p", "new", "k", &"n".repeat(9))
            .await
            .unwrap(); // 10
        // A third key: the session written longest ago gives way.
        s.session_set("p", "third", "k", &"t".repeat(9))
            .await
            .unwrap();
        assert_eq!(s.session_get("p", "old", "k").await.unwrap(), None);
        assert!(s.session_get("p", "new", "k").await.unwrap().is_some());
        assert_eq!(s.get("p", "own").await.unwrap().as_deref(), Some("xxxxxxx"));
        // The project's own keys are refused rather than evict anything.
        let m = quota(s.set("p", "own2", "x").await.unwrap_err());
        assert!(m.contains("limit of 3"), "{m}");
        // One session cannot hold more than the quota leaves it, even alone.
        for k in ["a", "b"] {
            s.session_set("p", "big", k, &"b".repeat(12)).await.unwrap();
        }
        let m = quota(s.session_set("p", "big", "c", "b").await.unwrap_err());
        assert!(m.contains("limit of 3"), "{m}");
        assert_eq!(
            s.session_get("p", "new", "k").await.unwrap(),
            None,
            "gave way"
        );
        assert_eq!(s.get("p", "own").await.unwrap().as_deref(), Some("xxxxxxx"));
    }

    #[tokio::test]
    async fn session_state_expires_after_its_lifetime() {
        let s = MemoryState::new().with_session_ttl(Duration::ZERO);
        s.session_set("p", "a", "k", "v").await.unwrap();
        s.session_set("p", "b", "k", "vw").await.unwrap();
        assert_eq!(s.session_get("p", "a", "k").await.unwrap(), None);
        {
            let project = s.shards.shard("p");
            let p = project.get("p").unwrap();
            assert_eq!(
                p.sessions.len(),
                1,
                "the expired session was dropped when read"
            );
            assert_eq!(
                (p.session_keys, p.session_bytes),
                (1, 3),
                "and no longer counts"
            );
        }
        let kept = MemoryState::new();
        kept.session_set("p", "a", "k", "v").await.unwrap();
        assert_eq!(
            kept.session_get("p", "a", "k").await.unwrap().as_deref(),
            Some("v")
        );
    }
}
