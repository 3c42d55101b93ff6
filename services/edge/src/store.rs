//! Where the edge keeps what outlives one request: 2025-era sessions with their SSE event logs (for
//! `Last-Event-ID` resumption), and (in [`crate::kv`]) per-project key-value state. Both are traits so a
//! shared backend (Redis) can replace the in-memory implementations here; every key is scoped by project.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

pub use crate::kv::{KvError, MemoryState, StateStore};

#[derive(Debug, Clone, thiserror::Error)]
#[error("the session store failed: {0}")]
pub struct StoreError(pub String);

/// A 2025-era session, created by `initialize`.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionInfo {
    pub id: String,
    pub project_id: String,
    pub protocol_version: String,
    /// What the client declared in `initialize` (elicitation, sampling, roots).
    pub client_caps: crate::hooks::ClientCaps,
    /// Lowest level of log notifications the client wants (`logging/setLevel`); `None` sends all.
    pub log_level: Option<berth_core::LogLevel>,
    /// Resource URIs the client subscribed to.
    pub subscriptions: Vec<String>,
}

/// Events of one SSE stream after a given sequence number.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EventBatch {
    /// `(sequence, JSON-RPC message)`, in order.
    pub events: Vec<(u64, String)>,
    /// No more events will come: the call's response is among those already logged.
    pub closed: bool,
}

#[async_trait::async_trait]
pub trait SessionStore: Send + Sync + 'static {
    async fn create(&self, session: SessionInfo, ttl: Duration) -> Result<(), StoreError>;
    /// The session, if it exists, belongs to `project_id` and has not expired; refreshes its expiry.
    async fn get(&self, project_id: &str, id: &str) -> Result<Option<SessionInfo>, StoreError>;
    async fn update(&self, session: &SessionInfo) -> Result<(), StoreError>;
    /// Ends a session and drops its event logs. `false` when there was no such session.
    async fn delete(&self, project_id: &str, id: &str) -> Result<bool, StoreError>;
    /// Starts an empty, open event log for a call's stream, before anything is appended or read.
    async fn open_stream(&self, session: &str, stream: &str) -> Result<(), StoreError>;
    /// Appends one message to a stream's log and returns its sequence number (from 1). `last` marks the
    /// stream complete.
    async fn append_event(
        &self,
        session: &str,
        stream: &str,
        data: String,
        last: bool,
    ) -> Result<u64, StoreError>;
    /// Marks a stream complete without a message (its call was cancelled): readers stop after what
    /// was appended.
    async fn close_stream(&self, session: &str, stream: &str) -> Result<(), StoreError>;
    /// Events of `stream` after sequence `after`. When there are none yet and the stream is open, waits up
    /// to `wait` for some.
    async fn read_events(
        &self,
        session: &str,
        stream: &str,
        after: u64,
        wait: Duration,
    ) -> Result<EventBatch, StoreError>;
}

/// Shards keep concurrent requests of different sessions off each other's lock.
const SHARDS: usize = 16;

/// Events kept per stream; a stream that logs more drops its oldest (they can no longer be replayed).
const MAX_EVENTS_PER_STREAM: usize = 1024;

/// Streams kept per session; the oldest finished ones go first.
const MAX_STREAMS_PER_SESSION: usize = 64;

pub(crate) struct Sharded<T>(Vec<Mutex<T>>);

impl<T: Default> Sharded<T> {
    pub(crate) fn new() -> Self {
        Self((0..SHARDS).map(|_| Mutex::default()).collect())
    }

    pub(crate) fn shard(&self, key: &str) -> MutexGuard<'_, T> {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        key.hash(&mut h);
        let m = &self.0[(h.finish() as usize) % SHARDS];
        m.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[derive(Default)]
struct StreamLog {
    events: Vec<(u64, String)>,
    next: u64,
    closed: bool,
    notify: Arc<Notify>,
}

struct SessionEntry {
    info: SessionInfo,
    ttl: Duration,
    expires: Instant,
    streams: HashMap<String, StreamLog>,
    stream_order: Vec<String>,
}

/// Sessions in this process's memory: for one edge (the embedded default and tests).
pub struct MemorySessions {
    shards: Sharded<HashMap<String, SessionEntry>>,
    creates: AtomicU64,
}

/// Sessions created between sweeps of expired ones (expired sessions are also dropped when looked up).
const SWEEP_EVERY: u64 = 64;

impl Default for MemorySessions {
    fn default() -> Self {
        Self {
            shards: Sharded::new(),
            creates: AtomicU64::new(0),
        }
    }
}

impl MemorySessions {
    pub fn new() -> Self {
        Self::default()
    }

    fn with_stream<T>(
        &self,
        session: &str,
        stream: &str,
        f: impl FnOnce(&mut StreamLog) -> T,
    ) -> Result<T, StoreError> {
        let mut shard = self.shards.shard(session);
        let Some(entry) = shard.get_mut(session) else {
            return Err(StoreError(format!("session {session} is gone")));
        };
        if !entry.streams.contains_key(stream) {
            if entry.stream_order.len() >= MAX_STREAMS_PER_SESSION {
                let oldest_closed = entry
                    .stream_order
                    .iter()
                    .position(|s| entry.streams.get(s).is_none_or(|l| l.closed));
                let victim = entry.stream_order.remove(oldest_closed.unwrap_or(0));
                entry.streams.remove(&victim);
            }
            entry.stream_order.push(stream.to_string());
        }
        Ok(f(entry.streams.entry(stream.to_string()).or_default()))
    }
}

#[async_trait::async_trait]
impl SessionStore for MemorySessions {
    async fn create(&self, info: SessionInfo, ttl: Duration) -> Result<(), StoreError> {
        let now = Instant::now();
        let mut shard = self.shards.shard(&info.id);
        // Sweep expired sessions now and then, not on every create.
        if self
            .creates
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(SWEEP_EVERY)
        {
            shard.retain(|_, e| e.expires > now);
        }
        let entry = SessionEntry {
            ttl,
            expires: now + ttl,
            streams: HashMap::new(),
            stream_order: Vec::new(),
            info,
        };
        shard.insert(entry.info.id.clone(), entry);
        Ok(())
    }

    async fn get(&self, project_id: &str, id: &str) -> Result<Option<SessionInfo>, StoreError> {
        let now = Instant::now();
        let mut shard = self.shards.shard(id);
        match shard.get_mut(id) {
            Some(e) if e.expires > now && e.info.project_id == project_id => {
                e.expires = now + e.ttl;
                Ok(Some(e.info.clone()))
            }
            Some(e) if e.expires <= now => {
                shard.remove(id);
                Ok(None)
            }
            _ => Ok(None),
        }
    }

    async fn update(&self, info: &SessionInfo) -> Result<(), StoreError> {
        if let Some(e) = self.shards.shard(&info.id).get_mut(&info.id) {
            e.info = info.clone();
        }
        Ok(())
    }

    async fn delete(&self, project_id: &str, id: &str) -> Result<bool, StoreError> {
        let mut shard = self.shards.shard(id);
        if shard
            .get(id)
            .is_some_and(|e| e.info.project_id == project_id)
        {
            if let Some(e) = shard.remove(id) {
                for log in e.streams.values() {
                    log.notify.notify_waiters();
                }
            }
            return Ok(true);
        }
        Ok(false)
    }

    async fn open_stream(&self, session: &str, stream: &str) -> Result<(), StoreError> {
        self.with_stream(session, stream, |_| ())
    }

    async fn append_event(
        &self,
        session: &str,
        stream: &str,
        data: String,
        last: bool,
    ) -> Result<u64, StoreError> {
        self.with_stream(session, stream, |log| {
            log.next += 1;
            let seq = log.next;
            log.events.push((seq, data));
            if log.events.len() > MAX_EVENTS_PER_STREAM {
                log.events.remove(0);
            }
            log.closed |= last;
            log.notify.notify_waiters();
            seq
        })
    }

    async fn close_stream(&self, session: &str, stream: &str) -> Result<(), StoreError> {
        self.with_stream(session, stream, |log| {
            log.closed = true;
            log.notify.notify_waiters();
        })
    }

    async fn read_events(
        &self,
        session: &str,
        stream: &str,
        after: u64,
        wait: Duration,
    ) -> Result<EventBatch, StoreError> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let notify = {
                let shard = self.shards.shard(session);
                let Some(entry) = shard.get(session) else {
                    return Ok(EventBatch {
                        events: Vec::new(),
                        closed: true,
                    });
                };
                let Some(log) = entry.streams.get(stream) else {
                    return Ok(EventBatch {
                        events: Vec::new(),
                        closed: true,
                    });
                };
                let events: Vec<_> = log
                    .events
                    .iter()
                    .filter(|(s, _)| *s > after)
                    .cloned()
                    .collect();
                if !events.is_empty() || log.closed {
                    return Ok(EventBatch {
                        events,
                        closed: log.closed,
                    });
                }
                log.notify.clone()
            };
            let notified = notify.notified();
            // Re-check after registering, so an append between the check and the wait is not missed.
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let shard = self.shards.shard(session);
                let fresh = shard
                    .get(session)
                    .and_then(|e| e.streams.get(stream))
                    .is_none_or(|log| log.closed || log.next > after);
                if fresh {
                    continue;
                }
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return Ok(EventBatch::default());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(id: &str) -> SessionInfo {
        SessionInfo {
            id: id.into(),
            project_id: "p1".into(),
            protocol_version: "2025-11-25".into(),
            client_caps: crate::hooks::ClientCaps {
                elicitation: true,
                ..Default::default()
            },
            log_level: None,
            subscriptions: vec![],
        }
    }

    #[tokio::test]
    async fn sessions_are_scoped_and_expire() {
        let s = MemorySessions::new();
        s.create(session("a"), Duration::from_secs(60))
            .await
            .unwrap();
        assert!(s.get("p1", "a").await.unwrap().is_some());
        assert!(
            s.get("p2", "a").await.unwrap().is_none(),
            "another project must not see the session"
        );
        assert!(!s.delete("p2", "a").await.unwrap());
        s.create(session("b"), Duration::from_millis(1))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert!(s.get("p1", "b").await.unwrap().is_none());
        assert!(s.delete("p1", "a").await.unwrap());
        assert!(s.get("p1", "a").await.unwrap().is_none());
    }

    #[tokio::test]
    async fn event_log_replays_and_wakes_readers() {
        let s = Arc::new(MemorySessions::new());
        s.create(session("a"), Duration::from_secs(60))
            .await
            .unwrap();
        assert_eq!(
            s.append_event("a", "s1", "one".into(), false)
                .await
                .unwrap(),
            1
        );
        let batch = s.read_events("a", "s1", 0, Duration::ZERO).await.unwrap();
        assert_eq!(
            batch,
            EventBatch {
                events: vec![(1, "one".into())],
                closed: false
            }
        );
        let reader = {
            let s = s.clone();
            tokio::spawn(async move {
                s.read_events("a", "s1", 1, Duration::from_secs(5))
                    .await
                    .unwrap()
            })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        s.append_event("a", "s1", "two".into(), true).await.unwrap();
        assert_eq!(
            reader.await.unwrap(),
            EventBatch {
                events: vec![(2, "two".into())],
                closed: true
            }
        );
    }
}
