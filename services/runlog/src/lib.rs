//! Berth's runtime logs: what each deployment did, for its author to read back. The edge records each
//! MCP request, what the guest logged (`ctx.info` and friends) and printed, and its outbound HTTP
//! requests; this crate keeps them bounded, redacted and readable.
//!
//! The request path only hands a [`Pending`] record to a [`Recorder`]: a `try_send` on a bounded
//! channel, no lock held across an await, no formatting. When the channel (or the bytes waiting in it)
//! is full the record is dropped and counted, never waited for. One collector task then makes events of
//! them ([`shape`]: secrets' values replaced, output split into lines, texts cut, control characters
//! escaped), numbers them, keeps the newest of each deployment in a ring ([`ring`]), tells live readers,
//! and hands them in batches to a [`LogStore`] (the database), which keeps them for the operator's
//! retention period. Reads ([`RuntimeLogs::read`]) merge the rings with the store; every read is
//! scoped to one project by the caller, who checked the reader may see it.

pub mod ring;
pub mod shape;

use berth_core::LogLevel;
use berth_core::redact::SecretValues;
use berth_core::runlog::{EventKind, LogFilter, RuntimeEvent};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::{broadcast, mpsc};

pub use ring::RingLimits;

/// Records waiting for the collector. A burst of calls on every tenant fits; past it records are
/// dropped (and counted) rather than making a request wait.
pub const CHANNEL_CAPACITY: usize = 8192;

/// Bytes of text waiting for the collector, all records together: one call's output may be 64 KiB, so
/// the channel's length alone does not bound its memory.
pub const MAX_QUEUED_BYTES: usize = 32 * 1024 * 1024;

/// Events one deployment's ring keeps in memory: a screenful of scrollback many times over, and what
/// the Logs page and `--follow` show at once; older events are read from the database.
pub const RING_EVENTS: usize = 2000;

/// Bytes one deployment's ring keeps (estimated): 2000 events of half a KiB; a ring of long lines
/// keeps fewer events.
pub const RING_BYTES: usize = 1024 * 1024;

/// Bytes all rings keep together. With one ring per deployment that took traffic since the start,
/// this bounds the total whatever the number of tenants; the least recently written ring goes first.
pub const RING_TOTAL_BYTES: usize = 128 * 1024 * 1024;

/// Events one call may add besides its request (log messages and output lines): a guest logging in a
/// loop until its deadline must not push every other tenant's events out of the channel. Past it, one
/// note says the call's further events were dropped.
pub const MAX_EVENTS_PER_CALL: usize = 1000;

/// Bytes of log and output text one call may add (the same reason).
pub const MAX_BYTES_PER_CALL: usize = 1024 * 1024;

/// Events written to the database in one batch; a batch is written sooner when the interval passes.
pub const FLUSH_EVENTS: usize = 500;

/// How long an event waits at most before it is written to the database.
pub const FLUSH_INTERVAL: Duration = Duration::from_secs(1);

/// Batches waiting for the database. A database slower than the events for this long loses the
/// newest batches (they stay in the rings) rather than holding memory without bound.
pub const FLUSH_QUEUE: usize = 64;

/// Events a live reader may fall behind by before it is told it missed some.
pub const LIVE_CAPACITY: usize = 1024;

/// How often events older than the retention period are deleted.
pub const PRUNE_INTERVAL: Duration = Duration::from_secs(600);

/// How long events are kept by default: a week covers "what happened since Friday".
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);

/// Where events are kept beyond the process (the database): a trait of this crate, implemented over
/// `berth-store` by the binary.
#[async_trait::async_trait]
pub trait LogStore: Send + Sync + 'static {
    /// Writes a batch (events already redacted and bounded); an event already stored is skipped.
    async fn append(&self, events: &[Arc<RuntimeEvent>]) -> Result<(), String>;
    /// The project's events that pass `filter`, in `seq` order: after its cursor the oldest `limit`,
    /// else the newest `limit`.
    async fn query(
        &self,
        project_id: &str,
        filter: &LogFilter,
    ) -> Result<Vec<RuntimeEvent>, String>;
    /// Deletes events older than `before_ms` (unix ms); returns how many.
    async fn prune(&self, before_ms: i64) -> Result<u64, String>;
}

/// How the runtime log is kept.
#[derive(Clone, Debug)]
pub struct RuntimeLogConfig {
    pub rings: RingLimits,
    /// Events older than this are deleted from the database.
    pub retention: Duration,
}

impl Default for RuntimeLogConfig {
    fn default() -> Self {
        Self {
            rings: RingLimits {
                events: RING_EVENTS,
                bytes: RING_BYTES,
                total_bytes: RING_TOTAL_BYTES,
            },
            retention: DEFAULT_RETENTION,
        }
    }
}

/// Whose event it is, and which values to hide in it. Made once per request or call and shared by its
/// events.
pub struct Origin {
    pub project_id: String,
    pub deployment_id: String,
    pub secrets: Arc<SecretValues>,
}

/// What the request path hands over: raw, to be bounded and redacted by the collector.
pub struct Pending {
    pub origin: Arc<Origin>,
    pub at_ms: i64,
    pub level: LogLevel,
    pub tool: Option<String>,
    pub body: Body,
}

pub enum Body {
    /// An event as it is (a request, an egress request, a note); its texts are cleaned still.
    Event(EventKind),
    /// A guest's log message, its data already as text.
    Log {
        logger: Option<String>,
        message: String,
    },
    /// What a call printed, to be split into lines.
    Printed(String),
}

impl Body {
    fn bytes(&self) -> usize {
        match self {
            Body::Event(_) => 256,
            Body::Log { logger, message } => logger.as_ref().map_or(0, String::len) + message.len(),
            Body::Printed(text) => text.len(),
        }
    }
}

/// The current time in unix milliseconds.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Counts of what was lost, for metrics.
#[derive(Default)]
struct Counters {
    /// Records dropped because the channel or its bytes were full.
    dropped: AtomicU64,
    /// Events not written to the database (its queue full, or it failed).
    unpersisted: AtomicU64,
    /// Bytes of text waiting in the channel.
    queued_bytes: AtomicUsize,
}

/// The request path's handle: cheap to clone; a disabled one records nothing.
#[derive(Clone)]
pub struct Recorder {
    tx: Option<mpsc::Sender<(Pending, usize)>>,
    counters: Arc<Counters>,
}

impl Recorder {
    /// A recorder that records nothing (an edge without runtime logs, in tests).
    pub fn disabled() -> Self {
        Self {
            tx: None,
            counters: Arc::default(),
        }
    }

    pub fn is_enabled(&self) -> bool {
        self.tx.is_some()
    }

    /// Hands a record to the collector without waiting; `false` when it was dropped (counted).
    pub fn record(&self, p: Pending) -> bool {
        let Some(tx) = &self.tx else { return false };
        let bytes = p.body.bytes();
        let queued = self
            .counters
            .queued_bytes
            .fetch_add(bytes, Ordering::Relaxed);
        if queued.saturating_add(bytes) > MAX_QUEUED_BYTES || tx.try_send((p, bytes)).is_err() {
            self.counters
                .queued_bytes
                .fetch_sub(bytes, Ordering::Relaxed);
            self.counters.dropped.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        true
    }

    /// Records dropped so far because the collector was behind.
    pub fn dropped(&self) -> u64 {
        self.counters.dropped.load(Ordering::Relaxed)
    }
}

/// One call's share of the log: its origin and tool, and what it may still add (see
/// [`MAX_EVENTS_PER_CALL`]). The edge's call hooks hold one.
pub struct CallLog {
    recorder: Recorder,
    origin: Arc<Origin>,
    tool: Option<String>,
    events: AtomicUsize,
    bytes: AtomicUsize,
}

impl CallLog {
    pub fn new(recorder: Recorder, origin: Arc<Origin>, tool: Option<String>) -> Self {
        Self {
            recorder,
            origin,
            tool,
            events: AtomicUsize::new(0),
            bytes: AtomicUsize::new(0),
        }
    }

    /// Whether `bytes` more fit this call's share; the first record that does not sends one note.
    fn charge(&self, bytes: usize) -> bool {
        if !self.recorder.is_enabled() {
            return false;
        }
        let n = self.events.fetch_add(1, Ordering::Relaxed);
        let b = self.bytes.fetch_add(bytes, Ordering::Relaxed);
        if n < MAX_EVENTS_PER_CALL && b.saturating_add(bytes) <= MAX_BYTES_PER_CALL {
            return true;
        }
        // Exactly one record crosses a bound first: it sends the note.
        if self.events.swap(usize::MAX / 2, Ordering::Relaxed) < usize::MAX / 2 {
            let message = format!(
                "this call's further log messages and output were dropped: a call keeps {MAX_EVENTS_PER_CALL} of them and {MAX_BYTES_PER_CALL} bytes"
            );
            self.send(LogLevel::Warning, Body::Event(EventKind::Note { message }));
        }
        false
    }

    fn send(&self, level: LogLevel, body: Body) {
        self.recorder.record(Pending {
            origin: self.origin.clone(),
            at_ms: now_ms(),
            level,
            tool: self.tool.clone(),
            body,
        });
    }

    /// A message the guest logged. Non-text data (a dict) is shown as JSON.
    pub fn log(&self, level: LogLevel, logger: Option<&str>, data: &serde_json::Value) {
        if !self.recorder.is_enabled() {
            return;
        }
        // Cut here already (with room for a secret across the cut), so a huge message costs the
        // request path one bounded copy, and the channel bounded memory.
        let room = (shape::MAX_TEXT_BYTES + self.origin.secrets.longest()) * 2;
        let message = match data {
            serde_json::Value::String(s) => s[..s.floor_char_boundary(room)].to_string(),
            other => {
                let mut s = other.to_string();
                s.truncate(s.floor_char_boundary(room));
                s
            }
        };
        if !self.charge(message.len()) {
            return;
        }
        let logger =
            logger.map(|l| l[..l.floor_char_boundary(shape::MAX_LABEL_BYTES * 2)].to_string());
        self.send(level, Body::Log { logger, message });
    }

    /// What the guest printed during the call (stdout and stderr together).
    pub fn output(&self, text: &str) {
        if text.is_empty() || !self.charge(text.len()) {
            return;
        }
        self.send(LogLevel::Info, Body::Printed(text.to_string()));
    }

    /// One outbound HTTP request of the call (see [`EventKind::Egress`]): what the sandbox's egress
    /// reports through `CallHooks::egress`. Counts against the call's share like a log message.
    pub fn egress(&self, kind: EventKind) {
        let failed = match &kind {
            EventKind::Egress { status, error, .. } => {
                error.is_some() || status.is_none_or(|s| s >= 400)
            }
            _ => false,
        };
        if !self.charge(256) {
            return;
        }
        let level = if failed {
            LogLevel::Warning
        } else {
            LogLevel::Info
        };
        self.send(level, Body::Event(kind));
    }
}

struct Shared {
    rings: Mutex<ring::Rings>,
    live: broadcast::Sender<Arc<RuntimeEvent>>,
    store: Option<Arc<dyn LogStore>>,
    counters: Arc<Counters>,
}

/// The runtime log of every deployment in this process: hand [`RuntimeLogs::recorder`] to the edge,
/// and read through [`RuntimeLogs::read`] and [`RuntimeLogs::subscribe`]. Cheap to clone.
#[derive(Clone)]
pub struct RuntimeLogs {
    shared: Arc<Shared>,
    recorder: Recorder,
}

impl RuntimeLogs {
    /// Starts the collector (and, with a store, the writer and the pruner) on the current runtime.
    pub fn start(config: RuntimeLogConfig, store: Option<Arc<dyn LogStore>>) -> Self {
        let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
        let counters = Arc::new(Counters::default());
        let shared = Arc::new(Shared {
            rings: Mutex::new(ring::Rings::new(config.rings)),
            live: broadcast::channel(LIVE_CAPACITY).0,
            store,
            counters: counters.clone(),
        });
        let batches = shared.store.as_ref().map(|store| {
            let (btx, brx) = mpsc::channel(FLUSH_QUEUE);
            tokio::spawn(write(store.clone(), brx, counters.clone()));
            tokio::spawn(prune(store.clone(), config.retention));
            btx
        });
        tokio::spawn(collect(shared.clone(), rx, batches));
        Self {
            shared,
            recorder: Recorder {
                tx: Some(tx),
                counters,
            },
        }
    }

    pub fn recorder(&self) -> Recorder {
        self.recorder.clone()
    }

    /// The project's events that pass `filter`, in `seq` order: the rings' and the store's together.
    pub async fn read(
        &self,
        project_id: &str,
        filter: &LogFilter,
    ) -> Result<Vec<Arc<RuntimeEvent>>, String> {
        let mut found = self.ring_read(project_id, filter);
        if let Some(store) = &self.shared.store {
            let stored = store.query(project_id, filter).await?;
            found.extend(stored.into_iter().map(Arc::new));
            found.sort_by_key(|e| e.seq);
            found.dedup_by_key(|e| e.seq);
        }
        Ok(ring::window(found, filter))
    }

    fn ring_read(&self, project_id: &str, filter: &LogFilter) -> Vec<Arc<RuntimeEvent>> {
        let rings = self.shared.rings.lock().unwrap_or_else(|p| p.into_inner());
        rings.query(project_id, filter)
    }

    /// Every new event, as it is recorded (filter by project before showing any).
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<RuntimeEvent>> {
        self.shared.live.subscribe()
    }

    /// Records dropped because the collector was behind, and events the database did not get.
    pub fn lost(&self) -> (u64, u64) {
        let c = &self.shared.counters;
        (
            c.dropped.load(Ordering::Relaxed),
            c.unpersisted.load(Ordering::Relaxed),
        )
    }
}

/// Numbers increase across restarts without asking the database: the time in microseconds, or one
/// more than the last number when events come faster.
struct Sequence(i64);

impl Sequence {
    fn next(&mut self) -> i64 {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX));
        self.0 = now.max(self.0.saturating_add(1));
        self.0
    }
}

async fn collect(
    shared: Arc<Shared>,
    mut rx: mpsc::Receiver<(Pending, usize)>,
    batches: Option<mpsc::Sender<Vec<Arc<RuntimeEvent>>>>,
) {
    let mut seq = Sequence(0);
    let mut batch: Vec<Arc<RuntimeEvent>> = Vec::new();
    let mut tick = tokio::time::interval(FLUSH_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let flush = tokio::select! {
            got = rx.recv() => match got {
                Some((pending, bytes)) => {
                    shared.counters.queued_bytes.fetch_sub(bytes, Ordering::Relaxed);
                    let events: Vec<Arc<RuntimeEvent>> =
                        shape::events(pending, || seq.next()).into_iter().map(Arc::new).collect();
                    {
                        let mut rings = shared.rings.lock().unwrap_or_else(|p| p.into_inner());
                        for e in &events {
                            rings.push(e.clone());
                        }
                    }
                    for e in &events {
                        let _ = shared.live.send(e.clone());
                    }
                    if batches.is_some() {
                        batch.extend(events);
                    }
                    batch.len() >= FLUSH_EVENTS
                }
                None => true,
            },
            _ = tick.tick() => true,
        };
        if flush && !batch.is_empty() {
            let full = std::mem::take(&mut batch);
            if let Some(b) = &batches {
                let n = full.len() as u64;
                if b.try_send(full).is_err() {
                    shared.counters.unpersisted.fetch_add(n, Ordering::Relaxed);
                    tracing::warn!(
                        events = n,
                        "the database is behind the runtime log; these events stay in memory only"
                    );
                }
            }
        }
        if rx.is_closed() && rx.is_empty() {
            break;
        }
    }
}

async fn write(
    store: Arc<dyn LogStore>,
    mut rx: mpsc::Receiver<Vec<Arc<RuntimeEvent>>>,
    counters: Arc<Counters>,
) {
    while let Some(batch) = rx.recv().await {
        if let Err(e) = store.append(&batch).await {
            counters
                .unpersisted
                .fetch_add(batch.len() as u64, Ordering::Relaxed);
            tracing::warn!(error = %e, events = batch.len(), "cannot store runtime log events");
        }
    }
}

async fn prune(store: Arc<dyn LogStore>, retention: Duration) {
    let mut tick = tokio::time::interval(PRUNE_INTERVAL);
    loop {
        tick.tick().await;
        let before =
            now_ms().saturating_sub(i64::try_from(retention.as_millis()).unwrap_or(i64::MAX));
        match store.prune(before).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(events = n, "pruned runtime log events past their retention"),
            Err(e) => tracing::warn!(error = %e, "cannot prune the runtime log"),
        }
    }
}

#[cfg(test)]
mod tests;
