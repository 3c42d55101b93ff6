//! Where tasks of the tasks extension (`io.modelcontextprotocol/tasks`, SEP-2663) live between requests.
//! A task is one serializable record, scoped by project, so a shared backend (Redis) can hold it as one
//! value with an expiry; the in-memory implementation here serves one edge.

use crate::hooks::ClientCaps;
use crate::store::{CreateError, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    Working,
    InputRequired,
    Completed,
    Failed,
    Cancelled,
}

impl TaskStatus {
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Completed | Self::Failed | Self::Cancelled)
    }
}

/// One task: the tool call it runs, where it stands, and what it produced or waits for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskRecord {
    pub id: String,
    pub project_id: String,
    pub tool: String,
    pub arguments: Map<String, Value>,
    pub status: TaskStatus,
    /// ISO-8601 UTC timestamps.
    pub created_at: String,
    pub last_updated_at: String,
    pub ttl_ms: u64,
    /// Answers to the tool's input requests so far, by key.
    pub answers: Map<String, Value>,
    /// Input requests still waiting for an answer (`input_required`), by key.
    pub input_requests: Map<String, Value>,
    /// The tool result (`completed`).
    pub result: Option<Value>,
    /// The JSON-RPC error (`failed`).
    pub error: Option<Value>,
    /// What the creating request's client declared, for later runs.
    pub caps: ClientCaps,
}

/// Tasks one project may hold (working, waiting for input, or finished and kept for their TTL). Each holds
/// its arguments and, once done, its result (up to the response cap); a few hundred leave room for many
/// clients' background jobs while bounding what one project keeps in the edge's memory. Past it the
/// project's least recently updated finished task makes room; when none has finished, a new task is
/// refused (503 with `Retry-After`).
pub const DEFAULT_MAX_TASKS_PER_PROJECT: usize = 256;

#[async_trait::async_trait]
pub trait TaskStore: Send + Sync + 'static {
    /// Stores a new task, within its project's quota; it expires `ttl` after this write.
    async fn create(&self, task: &TaskRecord, ttl: Duration) -> Result<(), CreateError>;
    /// Stores a task's new state; it expires `ttl` after this write.
    async fn put(&self, task: &TaskRecord, ttl: Duration) -> Result<(), StoreError>;
    /// The task, if it exists, belongs to `project_id` and has not expired.
    async fn get(&self, project_id: &str, id: &str) -> Result<Option<TaskRecord>, StoreError>;
    async fn delete(&self, project_id: &str, id: &str) -> Result<(), StoreError>;
}

const SHARDS: usize = 16;

/// Writes between sweeps of expired tasks (expired tasks are also dropped when looked up).
const SWEEP_EVERY: u64 = 64;

type Shard = HashMap<String, (TaskRecord, Instant)>;

/// Tasks in this process's memory.
pub struct MemoryTasks {
    shards: Vec<Mutex<Shard>>,
    writes: AtomicU64,
    per_project: usize,
    /// Tasks held per project. Lock order: a shard, then this.
    counts: Mutex<HashMap<String, usize>>,
}

impl Default for MemoryTasks {
    fn default() -> Self {
        Self::with_limit(DEFAULT_MAX_TASKS_PER_PROJECT)
    }
}

impl MemoryTasks {
    pub fn new() -> Self {
        Self::default()
    }

    /// At most `per_project` tasks per project.
    pub fn with_limit(per_project: usize) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            writes: AtomicU64::new(0),
            per_project,
            counts: Mutex::default(),
        }
    }

    fn counts(&self) -> std::sync::MutexGuard<'_, HashMap<String, usize>> {
        self.counts.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn counted(&self, project: &str, delta: isize) {
        let mut c = self.counts();
        let n = c.entry(project.to_string()).or_default();
        *n = n.saturating_add_signed(delta);
        if *n == 0 {
            c.remove(project);
        }
    }

    /// Removes `id` from its shard, keeping the count.
    fn remove_from(&self, shard: &mut Shard, id: &str) {
        if let Some((t, _)) = shard.remove(id) {
            self.counted(&t.project_id, -1);
        }
    }

    fn sweep(&self, shard: &mut Shard, now: Instant) {
        let expired: Vec<String> = shard
            .iter()
            .filter(|(_, (_, expires))| *expires <= now)
            .map(|(id, _)| id.clone())
            .collect();
        for id in expired {
            self.remove_from(shard, &id);
        }
    }

    /// Drops expired tasks, then the project's least recently updated finished one. `false` when the
    /// project has no finished task to drop.
    fn make_room(&self, project: &str, now: Instant) -> bool {
        let mut oldest: Option<(Instant, String)> = None;
        for m in &self.shards {
            let mut shard = m.lock().unwrap_or_else(|p| p.into_inner());
            self.sweep(&mut shard, now);
            for (id, (t, expires)) in shard.iter() {
                if t.project_id == project
                    && t.status.is_terminal()
                    && oldest.as_ref().is_none_or(|(at, _)| expires < at)
                {
                    oldest = Some((*expires, id.clone()));
                }
            }
        }
        let Some((_, id)) = oldest else { return false };
        let mut shard = self.shard(&id);
        self.remove_from(&mut shard, &id);
        true
    }

    fn shard(&self, id: &str) -> std::sync::MutexGuard<'_, Shard> {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        id.hash(&mut h);
        self.shards[(h.finish() as usize) % SHARDS]
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait::async_trait]
impl TaskStore for MemoryTasks {
    async fn create(&self, task: &TaskRecord, ttl: Duration) -> Result<(), CreateError> {
        let project = &task.project_id;
        for _ in 0..3 {
            {
                let mut c = self.counts();
                let n = c.entry(project.clone()).or_default();
                if *n < self.per_project {
                    // Counted now, so that concurrent creates cannot pass the limit together.
                    *n += 1;
                    drop(c);
                    let mut shard = self.shard(&task.id);
                    if let Some((old, _)) =
                        shard.insert(task.id.clone(), (task.clone(), Instant::now() + ttl))
                    {
                        self.counted(&old.project_id, -1);
                    }
                    return Ok(());
                }
            }
            if !self.make_room(project, Instant::now()) {
                break;
            }
        }
        Err(CreateError::Full(format!(
            "this project has {} tasks, its limit, and none has finished; retry when one ends or cancel one",
            self.per_project
        )))
    }

    async fn put(&self, task: &TaskRecord, ttl: Duration) -> Result<(), StoreError> {
        let now = Instant::now();
        let mut shard = self.shard(&task.id);
        if self
            .writes
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(SWEEP_EVERY)
        {
            self.sweep(&mut shard, now);
        }
        match shard.insert(task.id.clone(), (task.clone(), now + ttl)) {
            Some((old, _)) if old.project_id != task.project_id => {
                self.counted(&old.project_id, -1);
                self.counted(&task.project_id, 1);
            }
            Some(_) => {}
            None => self.counted(&task.project_id, 1),
        }
        Ok(())
    }

    async fn get(&self, project_id: &str, id: &str) -> Result<Option<TaskRecord>, StoreError> {
        let now = Instant::now();
        let mut shard = self.shard(id);
        match shard.get(id) {
            Some((t, expires)) if *expires > now && t.project_id == project_id => {
                Ok(Some(t.clone()))
            }
            Some((_, expires)) if *expires <= now => {
                self.remove_from(&mut shard, id);
                Ok(None)
            }
            _ => Ok(None),
        }
    }

    async fn delete(&self, project_id: &str, id: &str) -> Result<(), StoreError> {
        let mut shard = self.shard(id);
        if shard
            .get(id)
            .is_some_and(|(t, _)| t.project_id == project_id)
        {
            self.remove_from(&mut shard, id);
        }
        Ok(())
    }
}

/// `time` as an ISO-8601 UTC timestamp with milliseconds (`2026-07-28T12:00:00.000Z`).
pub fn iso8601(time: std::time::SystemTime) -> String {
    let since = time
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = since.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (year, month, day) = berth_core::util::civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        since.subsec_millis()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(id: &str) -> TaskRecord {
        TaskRecord {
            id: id.into(),
            project_id: "p1".into(),
            tool: "t".into(),
            arguments: Map::new(),
            status: TaskStatus::Working,
            created_at: String::new(),
            last_updated_at: String::new(),
            ttl_ms: 1,
            answers: Map::new(),
            input_requests: Map::new(),
            result: None,
            error: None,
            caps: ClientCaps::default(),
        }
    }

    #[tokio::test]
    async fn tasks_are_scoped_and_expire() {
        let s = MemoryTasks::new();
        s.put(&task("a"), Duration::from_secs(60)).await.unwrap();
        assert!(s.get("p1", "a").await.unwrap().is_some());
        assert!(s.get("p2", "a").await.unwrap().is_none());
        s.delete("p2", "a").await.unwrap();
        assert!(s.get("p1", "a").await.unwrap().is_some());
        s.put(&task("b"), Duration::from_millis(1)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert!(s.get("p1", "b").await.unwrap().is_none());
        s.delete("p1", "a").await.unwrap();
        assert!(s.get("p1", "a").await.unwrap().is_none());
    }

    #[test]
    fn timestamps_are_iso8601() {
        let t = std::time::UNIX_EPOCH + Duration::from_millis(1_785_240_000_123);
        assert_eq!(iso8601(t), "2026-07-28T12:00:00.123Z");
        assert_eq!(iso8601(std::time::UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
    }

    #[tokio::test]
    async fn a_project_holds_at_most_its_tasks() {
        let s = MemoryTasks::with_limit(3);
        let hour = Duration::from_secs(3600);
        for id in ["a", "b", "c"] {
            s.create(&task(id), hour).await.unwrap();
        }
        let err = s.create(&task("d"), hour).await.unwrap_err();
        assert!(
            matches!(&err, CreateError::Full(m) if m.contains("3 tasks, its limit")),
            "{err}"
        );
        s.create(
            &TaskRecord {
                project_id: "p2".into(),
                ..task("x")
            },
            hour,
        )
        .await
        .unwrap();
        // A finished task makes room for a new one; the working ones stay.
        let done = TaskRecord {
            status: TaskStatus::Completed,
            ..task("b")
        };
        s.put(&done, hour).await.unwrap();
        s.create(&task("d"), hour).await.unwrap();
        assert!(s.get("p1", "b").await.unwrap().is_none());
        for id in ["a", "c", "d"] {
            assert!(s.get("p1", id).await.unwrap().is_some(), "{id}");
        }
        for _ in 0..100 {
            assert!(
                s.create(&task(&uuid::Uuid::new_v4().to_string()), hour)
                    .await
                    .is_err()
            );
        }
        let held: usize = s.shards.iter().map(|m| m.lock().unwrap().len()).sum();
        assert_eq!(held, 4, "three in p1, one in p2");
    }
}
