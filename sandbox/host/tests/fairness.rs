//! How guests share the machine: a guest that computes leaves the caller's thread after a slice or
//! two, and a deployment runs at most its limit of calls at once, queues a few more and refuses the
//! rest.

mod support;

use berth_core::util::poll_once;
use berth_core::{
    CallContext, CallHooks, ElicitAction, ElicitResponse, GuestCall, GuestOutput, HookError,
    InvokeError, Limits, LogLevel,
};
use berth_sandbox_host::{DeploymentPool, Runtime};
use std::sync::{Arc, Condvar, Mutex};

fn pool(limits: Limits) -> Arc<DeploymentPool> {
    let runtime = Runtime::new().unwrap();
    let cwasm = support::fixture_cwasm(&runtime);
    DeploymentPool::from_artifact(&runtime, &cwasm, limits, Arc::new(Vec::new())).unwrap()
}

fn tool(name: &str) -> GuestCall {
    GuestCall::Tool {
        name: name.into(),
        arguments: Default::default(),
    }
}

fn ctx() -> CallContext {
    CallContext {
        request_id: "1".into(),
        session_id: None,
    }
}

/// CPU time this thread has used, in clock ticks (from `/proc/thread-self/stat`: user + system).
fn thread_cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
    // The fields after the command name (which is in parentheses and may hold spaces).
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name and state.
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

#[test]
fn a_computing_guest_leaves_the_callers_thread_after_one_slice() {
    let pool = pool(Limits {
        timeout_ms: 1_000,
        ..Limits::default()
    });
    pool.prewarm(1).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let before = thread_cpu_ticks();
    let outcome = runtime.block_on(pool.call_async(&tool("spin"), &ctx(), Arc::new(Gate::open())));
    let used = thread_cpu_ticks() - before;
    assert!(
        matches!(outcome, Err(InvokeError::Timeout(1_000))),
        "{outcome:?}"
    );
    // The guest spun for a second; the caller's thread ran it for two 2 ms slices at most (clock ticks
    // are usually 10 ms). Before, it ran the whole second here.
    assert!(
        used < 25,
        "the caller's thread spent {used} ticks running the guest"
    );
    assert_eq!(pool.stats().moved_to_guest_threads, 1);
    // A quick call ends where it started.
    let quick = runtime.block_on(pool.call_async(&tool("count"), &ctx(), Arc::new(Gate::open())));
    assert!(matches!(quick, Ok(GuestOutput::Tool(_))), "{quick:?}");
    assert_eq!(pool.stats().moved_to_guest_threads, 1);
}

#[test]
fn calls_past_the_running_and_queued_bounds_are_refused() {
    let pool = pool(Limits {
        max_concurrent_calls: 1,
        max_queued_calls: 1,
        ..Limits::default()
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let gate = Arc::new(Gate::closed());
    let asked = gate.asked.clone();
    runtime.block_on(async {
        let first = {
            let (pool, gate) = (pool.clone(), gate.clone());
            tokio::spawn(async move { pool.call_async(&tool("ask"), &ctx(), gate).await })
        };
        // The first call runs and waits on the client (the closed gate).
        asked.notified().await;
        let call = tool("ask");
        let context = ctx();
        let mut second = std::pin::pin!(pool.call_async(&call, &context, gate.clone()));
        assert!(
            poll_once(second.as_mut()).await.is_none(),
            "the second call waits its turn"
        );
        assert_eq!(pool.stats().queued, 1);
        let third = pool.call_async(&tool("ask"), &ctx(), gate.clone()).await;
        assert!(
            matches!(
                third,
                Err(InvokeError::Busy {
                    running: 1,
                    queued: 1
                })
            ),
            "{third:?}"
        );
        assert!(
            third.unwrap_err().to_string().contains("retry"),
            "the refusal says what to do"
        );
        gate.open_now();
        assert!(first.await.unwrap().is_ok());
        assert!(
            second.await.is_ok(),
            "the queued call ran once the first ended"
        );
    });
    let stats = pool.stats();
    assert_eq!((stats.refused_busy, stats.queued), (1, 0), "{stats:?}");
}

/// Hooks whose elicitation waits until the test opens the gate (and says when it starts waiting).
struct Gate {
    open: Mutex<bool>,
    opened: Condvar,
    asked: Arc<tokio::sync::Notify>,
}

impl Gate {
    fn closed() -> Self {
        Self {
            open: Mutex::new(false),
            opened: Condvar::new(),
            asked: Arc::default(),
        }
    }

    fn open() -> Self {
        let gate = Self::closed();
        gate.open_now();
        gate
    }

    fn open_now(&self) {
        *self.open.lock().unwrap() = true;
        self.opened.notify_all();
    }
}

impl CallHooks for Gate {
    fn log(&self, _: LogLevel, _: Option<&str>, _: serde_json::Value) {}
    fn progress(&self, _: f64, _: Option<f64>, _: Option<&str>) {}
    fn kv_get(&self, _: &str) -> Option<String> {
        None
    }
    fn kv_set(&self, _: &str, _: &str) -> Result<(), String> {
        Ok(())
    }
    fn kv_delete(&self, _: &str) {}
    fn elicit(&self, _: &str, _: serde_json::Value) -> Result<ElicitResponse, HookError> {
        // Called on a blocking thread: waiting here is what a slow client costs.
        self.asked.notify_one();
        let mut open = self.open.lock().unwrap();
        while !*open {
            open = self.opened.wait(open).unwrap();
        }
        Ok(ElicitResponse {
            action: ElicitAction::Accept,
            content: Some(serde_json::json!({"name": "x"})),
        })
    }
    fn sample(&self, _: serde_json::Value) -> Result<serde_json::Value, HookError> {
        Err(HookError::Failed("no sampling".into()))
    }
    fn environment(&self) -> Vec<(String, String)> {
        vec![]
    }
}
