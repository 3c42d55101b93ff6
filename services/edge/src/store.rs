//! Where the edge keeps what outlives one request: 2025-era sessions with their SSE event logs (for
//! `Last-Event-ID` resumption), and (in [`crate::kv`]) per-project key-value state. Both are traits so a
//! shared backend (Redis) can replace the in-memory implementations here; every key is scoped by project.

use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

pub use crate::kv::{KvError, MemoryState, StateStore};

#[derive(Debug, Clone, thiserror::Error)]
#[error("the session store failed: {0}")]
pub struct StoreError(pub String);

/// Why a session was not created.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CreateError {
    /// There is no room for another session now; the client may try again later. The message says why.
    #[error("{0}")]
    Full(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// 2025-era sessions one project may hold. A session costs a few hundred bytes plus its event logs;
/// a thousand covers many clients of one server at once. Past it, the project's least recently used
/// idle session is closed for the new one (its client re-initializes, as the protocol expects when a
/// session is gone), so an `initialize` flood costs only the flooded project's own sessions.
pub const DEFAULT_MAX_SESSIONS_PER_PROJECT: usize = 1_000;

/// 2025-era sessions of all projects together. Past it, `initialize` is refused with 503 and
/// `Retry-After` rather than closing another project's sessions: one tenant's traffic never ends
/// another's sessions.
pub const DEFAULT_MAX_SESSIONS: usize = 20_000;

/// Bytes of SSE events one session keeps for `Last-Event-ID` replay. Past it the oldest events go
/// (those of finished streams first; the event just logged always stays), so a session's memory is
/// bounded by this plus one response.
pub const DEFAULT_MAX_SESSION_EVENT_BYTES: usize = 1024 * 1024;

/// The `Retry-After` (seconds) of an `initialize` refused because the edge holds its maximum of
/// sessions: idle sessions expire or are closed continually, so a short wait usually finds room.
pub const SESSIONS_FULL_RETRY_AFTER_SECS: u64 = 10;

/// How many 2025-era sessions the in-memory store holds, and their replay buffers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionLimits {
    pub per_project: usize,
    pub total: usize,
    pub event_bytes: usize,
    /// Resources one session may subscribe to, and the longest URI it may subscribe with.
    pub subscriptions: usize,
    pub subscription_uri_bytes: usize,
}

impl Default for SessionLimits {
    fn default() -> Self {
        Self {
            per_project: DEFAULT_MAX_SESSIONS_PER_PROJECT,
            total: DEFAULT_MAX_SESSIONS,
            event_bytes: DEFAULT_MAX_SESSION_EVENT_BYTES,
            subscriptions: crate::subscriptions::DEFAULT_MAX_SUBSCRIPTIONS_PER_SESSION,
            subscription_uri_bytes: crate::subscriptions::DEFAULT_MAX_SUBSCRIPTION_URI_BYTES,
        }
    }
}

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
    /// The client's name from `initialize` (`clientInfo.name`), for the runtime log.
    pub client_name: Option<String>,
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
    /// Stores a new session, or refuses with [`CreateError::Full`] when there is no room for it.
    async fn create(&self, session: SessionInfo, ttl: Duration) -> Result<(), CreateError>;
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
    events: VecDeque<(u64, String)>,
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
    /// Bytes of the events in `streams`.
    event_bytes: usize,
}

impl SessionEntry {
    /// Idle: no call of the session is streaming.
    fn idle(&self) -> bool {
        self.streams.values().all(|l| l.closed)
    }

    /// Drops the oldest events until the session's logs fit in `budget`, keeping the newest event of
    /// `current`: first the events of finished streams, then the oldest of running ones.
    fn trim(&mut self, budget: usize, current: &str) {
        while self.event_bytes > budget {
            let victim = self
                .stream_order
                .iter()
                .filter(|s| self.streams.get(*s).is_some_and(|l| l.closed))
                .chain(self.stream_order.iter())
                .find(|s| {
                    self.streams
                        .get(*s)
                        .is_some_and(|l| l.events.len() > usize::from(s.as_str() == current))
                })
                .cloned();
            let Some(victim) = victim else { return };
            if let Some((_, data)) = self
                .streams
                .get_mut(&victim)
                .and_then(|l| l.events.pop_front())
            {
                self.event_bytes -= data.len();
            }
        }
    }
}

/// The sessions each project holds (their ids, so a full project's idle session is found without
/// looking at every session of the edge), and how many all together.
#[derive(Default)]
struct Counts {
    total: usize,
    by_project: HashMap<String, ProjectSessions>,
}

/// The ids of one project's sessions: added and removed in O(1), sampled at random.
#[derive(Default)]
struct ProjectSessions {
    ids: Vec<String>,
    at: HashMap<String, usize>,
}

impl ProjectSessions {
    fn len(&self) -> usize {
        self.ids.len()
    }

    fn add(&mut self, id: &str) {
        if !self.at.contains_key(id) {
            self.at.insert(id.to_string(), self.ids.len());
            self.ids.push(id.to_string());
        }
    }

    fn remove(&mut self, id: &str) {
        if let Some(i) = self.at.remove(id) {
            self.ids.swap_remove(i);
            if let Some(moved) = self.ids.get(i) {
                self.at.insert(moved.clone(), i);
            }
        }
    }

    /// Up to `n` of the ids, at random (all of them when there are no more than `n`).
    fn sample(&self, n: usize) -> Vec<String> {
        if self.ids.len() <= n {
            return self.ids.clone();
        }
        rand::seq::index::sample(&mut rand::rng(), self.ids.len(), n)
            .into_iter()
            .map(|i| self.ids[i].clone())
            .collect()
    }
}

enum Admit {
    Yes,
    ProjectFull,
    Full,
}

/// Sessions in this process's memory: for one edge (the embedded default and tests).
pub struct MemorySessions {
    shards: Sharded<HashMap<String, SessionEntry>>,
    creates: AtomicU64,
    limits: SessionLimits,
    counts: Mutex<Counts>,
}

/// How many times an `initialize` at a full project looks for an idle session to close when racing
/// ones keep taking the one it found.
const MAKE_ROOM_TRIES: usize = 8;

/// Sessions created between sweeps of expired ones (expired sessions are also dropped when looked up).
const SWEEP_EVERY: u64 = 64;

/// Sessions of a full project looked at to find the least recently used idle one (as Redis samples
/// keys for its LRU eviction): an `initialize` costs the same however many sessions the edge holds,
/// and the one closed is among the least recently used few.
const LRU_SAMPLE: usize = 16;

impl Default for MemorySessions {
    fn default() -> Self {
        Self::with_limits(SessionLimits::default())
    }
}

impl MemorySessions {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_limits(limits: SessionLimits) -> Self {
        Self {
            shards: Sharded::new(),
            creates: AtomicU64::new(0),
            limits,
            counts: Mutex::default(),
        }
    }

    fn counts(&self) -> MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts a new session of `project` in, if there is room. Lock order: a shard, then the counts.
    fn admit(&self, project: &str, id: &str) -> Admit {
        let mut c = self.counts();
        let mine = c.by_project.get(project).map_or(0, ProjectSessions::len);
        if mine >= self.limits.per_project {
            return Admit::ProjectFull;
        }
        if c.total >= self.limits.total {
            return Admit::Full;
        }
        c.total += 1;
        c.by_project.entry(project.to_string()).or_default().add(id);
        Admit::Yes
    }

    /// Counts a removed session out.
    fn forget(&self, removed: &SessionEntry) {
        for log in removed.streams.values() {
            log.notify.notify_waiters();
        }
        let project = &removed.info.project_id;
        let mut c = self.counts();
        c.total = c.total.saturating_sub(1);
        if let Some(sessions) = c.by_project.get_mut(project) {
            sessions.remove(&removed.info.id);
            if sessions.len() == 0 {
                c.by_project.remove(project);
            }
        }
    }

    /// Removes expired sessions from one shard.
    fn sweep_shard(&self, shard: &mut HashMap<String, SessionEntry>, now: Instant) {
        let expired: Vec<String> = shard
            .iter()
            .filter(|(_, e)| e.expires <= now)
            .map(|(id, _)| id.clone())
            .collect();
        for id in expired {
            if let Some(e) = shard.remove(&id) {
                self.forget(&e);
            }
        }
    }

    /// Removes every expired session of the edge (when it is full: rare, and it refuses after).
    fn sweep_all(&self, now: Instant) -> bool {
        for m in &self.shards.0 {
            let mut shard = m.lock().unwrap_or_else(|p| p.into_inner());
            self.sweep_shard(&mut shard, now);
        }
        true
    }

    /// Closes the least recently used idle (or expired) session of `project` among a sample of its
    /// sessions and hands its place to the new session `id` (the counts are left as they are, so no
    /// other `initialize` can take the place in between). When the sample holds no idle session, all
    /// of the project's sessions are looked at (never the other projects'). `false` when the project
    /// has no idle session.
    fn make_room(&self, project: &str, id: &str, now: Instant) -> bool {
        // Racing initializes may pick the same session and one of them gets it: the others look
        // again (each miss means another initialize made progress).
        for attempt in 0..MAKE_ROOM_TRIES {
            let candidates = {
                let c = self.counts();
                let Some(sessions) = c.by_project.get(project) else {
                    return false;
                };
                match attempt {
                    0 => sessions.sample(LRU_SAMPLE),
                    _ => sessions.ids.clone(),
                }
            };
            let mut oldest: Option<(Instant, String)> = None;
            for candidate in candidates {
                let shard = self.shards.shard(&candidate);
                if let Some(e) = shard.get(&candidate)
                    && e.info.project_id == project
                    && (e.idle() || e.expires <= now)
                    && oldest.as_ref().is_none_or(|(at, _)| e.expires < *at)
                {
                    oldest = Some((e.expires, candidate));
                }
            }
            let Some((_, victim)) = oldest else {
                if attempt == 0 {
                    continue;
                }
                return false;
            };
            let mut shard = self.shards.shard(&victim);
            if let Some(e) = shard.remove(&victim) {
                {
                    let mut c = self.counts();
                    let sessions = c.by_project.entry(project.to_string()).or_default();
                    sessions.remove(&victim);
                    sessions.add(id);
                }
                drop(shard);
                tracing::debug!(
                    project = e.info.project_id,
                    "closed the least recently used session for a new one"
                );
                for log in e.streams.values() {
                    log.notify.notify_waiters();
                }
                return true;
            }
        }
        false
    }

    fn with_stream<T>(
        &self,
        session: &str,
        stream: &str,
        f: impl FnOnce(&mut SessionEntry) -> T,
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
                if let Some(log) = entry.streams.remove(&victim) {
                    entry.event_bytes -= log.events.iter().map(|(_, d)| d.len()).sum::<usize>();
                    log.notify.notify_waiters();
                }
            }
            entry.stream_order.push(stream.to_string());
            entry
                .streams
                .insert(stream.to_string(), StreamLog::default());
        }
        Ok(f(entry))
    }
}

#[async_trait::async_trait]
impl SessionStore for MemorySessions {
    async fn create(&self, info: SessionInfo, ttl: Duration) -> Result<(), CreateError> {
        let now = Instant::now();
        let project = info.project_id.clone();
        // A full project hands the place of its least recently used idle session to this one; a full
        // edge first drops expired sessions, once.
        let (mut admitted, mut swept) = (false, false);
        for _ in 0..3 {
            match self.admit(&project, &info.id) {
                Admit::Yes => {
                    admitted = true;
                    break;
                }
                // The closed session's place, still counted, is this one's.
                Admit::ProjectFull if self.make_room(&project, &info.id, now) => {
                    admitted = true;
                    break;
                }
                // Expired sessions are dropped once; a full edge then refuses at once.
                Admit::Full if !swept => swept = self.sweep_all(now),
                Admit::ProjectFull => {
                    return Err(CreateError::Full(format!(
                        "this project has {} sessions, its limit, and every one is in a call; retry when one ends",
                        self.limits.per_project
                    )));
                }
                Admit::Full => break,
            }
        }
        if !admitted {
            return Err(CreateError::Full(format!(
                "this server holds {} sessions, its limit; retry in a few seconds",
                self.limits.total
            )));
        }
        let mut shard = self.shards.shard(&info.id);
        // Sweep expired sessions now and then, not on every create.
        if self
            .creates
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(SWEEP_EVERY)
        {
            self.sweep_shard(&mut shard, now);
        }
        let entry = SessionEntry {
            ttl,
            expires: now + ttl,
            streams: HashMap::new(),
            stream_order: Vec::new(),
            event_bytes: 0,
            info,
        };
        if let Some(old) = shard.insert(entry.info.id.clone(), entry) {
            // The same id again (ids are random, so only a client replaying one): one session, one place.
            let mut c = self.counts();
            c.total = c.total.saturating_sub(1);
            drop(c);
            for log in old.streams.values() {
                log.notify.notify_waiters();
            }
        }
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
                if let Some(e) = shard.remove(id) {
                    self.forget(&e);
                }
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
                self.forget(&e);
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
        let budget = self.limits.event_bytes;
        self.with_stream(session, stream, |entry| {
            let Some(log) = entry.streams.get_mut(stream) else {
                return 0;
            };
            log.next += 1;
            let seq = log.next;
            let mut bytes = data.len() as isize;
            log.events.push_back((seq, data));
            if log.events.len() > MAX_EVENTS_PER_STREAM
                && let Some((_, old)) = log.events.pop_front()
            {
                bytes -= old.len() as isize;
            }
            log.closed |= last;
            log.notify.notify_waiters();
            entry.event_bytes = entry.event_bytes.saturating_add_signed(bytes);
            entry.trim(budget, stream);
            seq
        })
    }

    async fn close_stream(&self, session: &str, stream: &str) -> Result<(), StoreError> {
        self.with_stream(session, stream, |entry| {
            if let Some(log) = entry.streams.get_mut(stream) {
                log.closed = true;
                log.notify.notify_waiters();
            }
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
mod tests;
