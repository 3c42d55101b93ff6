//! Who may call a project's MCP endpoint: anyone (a public project), or only holders of one of its live
//! API keys (a private project). The control plane fills it from the store; the edge checks requests
//! against it. Keys are known here only by the SHA-256 of the token, never by the token itself.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};

/// How often, at most, the use of one key is reported (for its `last used` time): once a minute keeps
/// the time useful to a person while a busy client causes one database write a minute, not one a call.
pub const KEY_USE_REPORT_INTERVAL_MS: i64 = 60_000;

/// A project's access rule, as the edge serves it. Its `Debug` shows how many keys, never their hashes.
#[derive(Default)]
pub struct Access {
    /// Whether requests need `Authorization: Bearer <key>`. A public project ignores the keys.
    pub private: bool,
    /// SHA-256 of each live key's token -> the key.
    keys: HashMap<[u8; 32], AccessKey>,
}

/// One live API key of a project.
pub struct AccessKey {
    /// The key's id in the store (`k-...`), for reporting its use.
    pub id: String,
    /// Unix ms when its use was last reported from this copy of the rule (0: never).
    last_reported: AtomicI64,
}

impl Access {
    /// A public project: every request is served, keys or not.
    pub fn public() -> Self {
        Self::default()
    }

    /// The rule for a project with these live keys: `(key id, SHA-256 of its token)`.
    pub fn new(private: bool, keys: impl IntoIterator<Item = (String, [u8; 32])>) -> Self {
        let keys = keys
            .into_iter()
            .map(|(id, hash)| {
                let key = AccessKey {
                    id,
                    last_reported: AtomicI64::new(0),
                };
                (hash, key)
            })
            .collect();
        Self { private, keys }
    }

    /// The live key whose token hashes to `hash`. A hash-map lookup: what its timing could tell an
    /// attacker is about the SHA-256 of a token they chose, which says nothing about the keys.
    pub fn key(&self, hash: &[u8; 32]) -> Option<&AccessKey> {
        self.keys.get(hash)
    }

    /// How many live keys the project has.
    pub fn key_count(&self) -> usize {
        self.keys.len()
    }
}

impl AccessKey {
    /// Whether this use, at `now_ms`, should be reported: the first use, then at most once per
    /// [`KEY_USE_REPORT_INTERVAL_MS`] (one caller wins when several race).
    pub fn should_report(&self, now_ms: i64) -> bool {
        let last = self.last_reported.load(Ordering::Relaxed);
        now_ms - last >= KEY_USE_REPORT_INTERVAL_MS
            && self
                .last_reported
                .compare_exchange(last, now_ms, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }
}

impl std::fmt::Debug for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Access")
            .field("private", &self.private)
            .field("keys", &self.keys.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_found_by_hash_and_uses_reported_once_a_minute() {
        let access = Access::new(true, [("k-1".to_string(), [7; 32])]);
        assert!(access.private);
        assert!(access.key(&[8; 32]).is_none());
        let key = access.key(&[7; 32]).expect("the key");
        assert_eq!(key.id, "k-1");
        let t = 1_000_000;
        assert!(key.should_report(t));
        assert!(!key.should_report(t + 1));
        assert!(!key.should_report(t + KEY_USE_REPORT_INTERVAL_MS - 1));
        assert!(key.should_report(t + KEY_USE_REPORT_INTERVAL_MS));
        let shown = format!("{access:?}");
        assert_eq!(shown, "Access { private: true, keys: 1 }");
        assert!(!Access::public().private);
    }
}
