//! Where tasks of the tasks extension (`io.modelcontextprotocol/tasks`, SEP-2663) live between requests.
//! A task is one serializable record, scoped by project, so a shared backend (Redis) can hold it as one
//! value with an expiry; the in-memory implementation here serves one edge.

use crate::hooks::ClientCaps;
use crate::store::StoreError;
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

#[async_trait::async_trait]
pub trait TaskStore: Send + Sync + 'static {
    /// Stores a task (new or updated); it expires `ttl` after this write.
    async fn put(&self, task: &TaskRecord, ttl: Duration) -> Result<(), StoreError>;
    /// The task, if it exists, belongs to `project_id` and has not expired.
    async fn get(&self, project_id: &str, id: &str) -> Result<Option<TaskRecord>, StoreError>;
    async fn delete(&self, project_id: &str, id: &str) -> Result<(), StoreError>;
}

const SHARDS: usize = 16;

/// Writes between sweeps of expired tasks (expired tasks are also dropped when looked up).
const SWEEP_EVERY: u64 = 64;

/// Tasks in this process's memory.
pub struct MemoryTasks {
    shards: Vec<Mutex<HashMap<String, (TaskRecord, Instant)>>>,
    writes: AtomicU64,
}

impl Default for MemoryTasks {
    fn default() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            writes: AtomicU64::new(0),
        }
    }
}

impl MemoryTasks {
    pub fn new() -> Self {
        Self::default()
    }

    fn shard(&self, id: &str) -> std::sync::MutexGuard<'_, HashMap<String, (TaskRecord, Instant)>> {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        id.hash(&mut h);
        self.shards[(h.finish() as usize) % SHARDS]
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait::async_trait]
impl TaskStore for MemoryTasks {
    async fn put(&self, task: &TaskRecord, ttl: Duration) -> Result<(), StoreError> {
        let now = Instant::now();
        let mut shard = self.shard(&task.id);
        if self
            .writes
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(SWEEP_EVERY)
        {
            shard.retain(|_, (_, expires)| *expires > now);
        }
        shard.insert(task.id.clone(), (task.clone(), now + ttl));
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
                shard.remove(id);
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
            shard.remove(id);
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
}
