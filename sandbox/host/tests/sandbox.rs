//! The sandbox host against a real guest component (the Rust fixture in `sandbox/fixtures/rust-guest`):
//! ordinary calls, host callbacks, and abuse that must cost only the abusive call.

use berth_core::{
    CallContext, CallHooks, ElicitAction, ElicitResponse, GuestCall, GuestOutput, HookError,
    InvokeError, Limits, LogLevel,
};
use berth_sandbox_host::{DeploymentPool, GuestPriority, GuestThreadOptions, Runtime};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

mod support;
use support::fixture_cwasm;

#[derive(Default)]
struct Recorder {
    logs: Mutex<Vec<String>>,
    progress: Mutex<Vec<f64>>,
    kv: Mutex<HashMap<String, String>>,
    answer: Option<ElicitResponse>,
    /// Values longer than this are refused, as a quota would.
    max_value: Option<usize>,
}

impl CallHooks for Recorder {
    fn log(&self, level: LogLevel, _: Option<&str>, data: serde_json::Value) {
        self.logs
            .lock()
            .unwrap()
            .push(format!("{}:{data}", level.as_str()));
    }
    fn progress(&self, p: f64, _: Option<f64>, _: Option<&str>) {
        self.progress.lock().unwrap().push(p);
    }
    fn kv_get(&self, key: &str) -> Option<String> {
        self.kv.lock().unwrap().get(key).cloned()
    }
    fn kv_set(&self, key: &str, value: &str) -> Result<(), String> {
        if let Some(max) = self.max_value.filter(|m| value.len() > *m) {
            return Err(format!("values may be at most {max} bytes"));
        }
        self.kv.lock().unwrap().insert(key.into(), value.into());
        Ok(())
    }
    fn kv_delete(&self, key: &str) {
        self.kv.lock().unwrap().remove(key);
    }
    fn elicit(&self, _: &str, _: serde_json::Value) -> Result<ElicitResponse, HookError> {
        self.answer.clone().ok_or(HookError::Suspend)
    }
    fn sample(&self, _: serde_json::Value) -> Result<serde_json::Value, HookError> {
        Err(HookError::Failed("no sampling".into()))
    }
    fn environment(&self) -> Vec<(String, String)> {
        vec![]
    }
}

struct Fixture {
    pool: Arc<DeploymentPool>,
}

impl Fixture {
    fn new(limits: Limits) -> Self {
        // Guest threads at the default priority: these tests check what abuse costs, under deadlines
        // of a few hundred ms, while other tests compete for the CPU (tests/fairness.rs runs the default).
        let runtime = Runtime::with_options(&GuestThreadOptions {
            priority: GuestPriority::Nice(0),
            ..GuestThreadOptions::default()
        })
        .unwrap();
        let cwasm = fixture_cwasm(&runtime);
        let env = Arc::new(vec![("GREETING".to_string(), "hi from env".to_string())]);
        Self {
            pool: DeploymentPool::from_artifact(&runtime, &cwasm, limits, env).unwrap(),
        }
    }

    fn tool(&self, name: &str, args: serde_json::Value) -> Result<String, InvokeError> {
        self.tool_with(name, args, Arc::new(Recorder::default()))
    }

    fn tool_with(
        &self,
        name: &str,
        args: serde_json::Value,
        hooks: Arc<dyn CallHooks>,
    ) -> Result<String, InvokeError> {
        let call = GuestCall::Tool {
            name: name.into(),
            arguments: args.as_object().cloned().unwrap_or_default(),
        };
        match self.pool.call(
            &call,
            &CallContext {
                request_id: "1".into(),
                session_id: None,
            },
            hooks,
        )? {
            GuestOutput::Tool(r) => match &r.content[0] {
                berth_core::ContentBlock::Text(t) => Ok(t.clone()),
                other => panic!("unexpected content {other:?}"),
            },
            other => panic!("unexpected output {other:?}"),
        }
    }
}

fn small_limits() -> Limits {
    Limits {
        timeout_ms: 300,
        memory_mib: 32,
        ..Limits::default()
    }
}

#[test]
fn describes_itself_and_answers_calls() {
    let f = Fixture::new(Limits::default());
    let d = berth_core::ServerDescription::from_guest_json(&f.pool.describe().unwrap()).unwrap();
    assert_eq!(d.name, "rust-fixture");
    assert!(d.tool("echo").is_some());
    assert_eq!(
        f.tool("echo", serde_json::json!({"text": "hello"}))
            .unwrap(),
        "hello"
    );
    assert_eq!(f.tool("env", serde_json::json!({})).unwrap(), "hi from env");
    assert!(
        matches!(f.tool("nope", serde_json::json!({})), Err(InvokeError::NotFound(m)) if m.contains("nope"))
    );
}

#[test]
fn warm_instances_keep_module_state_and_fresh_ones_do_not() {
    let f = Fixture::new(Limits::default());
    let counts: Vec<String> = (0..3)
        .map(|_| f.tool("count", serde_json::json!({})).unwrap())
        .collect();
    assert_eq!(counts, ["1", "2", "3"], "one warm instance is reused");
    let strict = Fixture::new(Limits {
        fresh_instance_per_call: true,
        ..Limits::default()
    });
    let counts: Vec<String> = (0..3)
        .map(|_| strict.tool("count", serde_json::json!({})).unwrap())
        .collect();
    assert_eq!(
        counts,
        ["1", "1", "1"],
        "strict isolation starts every call afresh"
    );
}

#[test]
fn host_callbacks_reach_the_hooks() {
    let f = Fixture::new(Limits::default());
    let rec = Arc::new(Recorder::default());
    assert_eq!(
        f.tool_with("kv", serde_json::json!({"value": "42"}), rec.clone())
            .unwrap(),
        "42"
    );
    assert_eq!(rec.logs.lock().unwrap().as_slice(), ["info:\"stored\""]);
    assert_eq!(rec.progress.lock().unwrap().as_slice(), [1.0]);
    assert_eq!(
        f.tool("peek", serde_json::json!({})).unwrap(),
        "hello there",
        "read_resource goes through a second instance"
    );
}

#[test]
fn a_refused_kv_write_is_an_error_the_guest_sees() {
    let f = Fixture::new(Limits::default());
    let rec = Arc::new(Recorder {
        max_value: Some(4),
        ..Recorder::default()
    });
    let err = f
        .tool_with("kv", serde_json::json!({"value": "too long"}), rec.clone())
        .unwrap();
    assert_eq!(err, "not stored: values may be at most 4 bytes");
    assert!(rec.kv.lock().unwrap().is_empty(), "nothing was stored");
    assert_eq!(
        f.tool_with("kv", serde_json::json!({"value": "ok"}), rec.clone())
            .unwrap(),
        "ok",
        "the instance goes on after a refused write"
    );
}

#[test]
fn elicitation_answers_or_suspends() {
    let f = Fixture::new(Limits::default());
    let answered = Arc::new(Recorder {
        answer: Some(ElicitResponse {
            action: ElicitAction::Accept,
            content: Some(serde_json::json!({"name": "Ada"})),
        }),
        ..Recorder::default()
    });
    assert_eq!(
        f.tool_with("ask", serde_json::json!({}), answered).unwrap(),
        r#"{"name":"Ada"}"#
    );
    assert_eq!(
        f.tool("ask", serde_json::json!({})),
        Err(InvokeError::InputRequired)
    );
    assert_eq!(
        f.tool("echo", serde_json::json!({"text": "still fine"}))
            .unwrap(),
        "still fine"
    );
}

/// Whether an error is the one a case expects.
type Expect = fn(&InvokeError) -> bool;

#[test]
fn abuse_costs_only_the_abusive_call() {
    let f = Fixture::new(small_limits());
    let cases: [(&str, Expect); 4] = [
        ("spin", |e| matches!(e, InvokeError::Timeout(300))),
        ("grow", |e| {
            matches!(e, InvokeError::OutOfMemory(32) | InvokeError::Trap(_))
        }),
        // The fixture's stack lives in its linear memory: overflowing it is an out-of-bounds access.
        (
            "recurse",
            |e| matches!(e, InvokeError::Trap(m) if m.contains("stack overflow") || m.contains("out of bounds")),
        ),
        (
            "crash",
            |e| matches!(e, InvokeError::Trap(m) if m.contains("about to crash")),
        ),
    ];
    for (tool, expected) in cases {
        let err = f.tool(tool, serde_json::json!({})).unwrap_err();
        assert!(expected(&err), "{tool}: unexpected error {err:?}");
        assert_eq!(
            f.tool("echo", serde_json::json!({"text": "ok"})).unwrap(),
            "ok",
            "after {tool}"
        );
    }
    let stats = f.pool.stats();
    assert_eq!(
        stats.instances_discarded, 4,
        "each abusive instance was thrown away: {stats:?}"
    );
}

#[test]
fn responses_over_the_cap_are_refused() {
    let f = Fixture::new(Limits {
        max_response_bytes: 1000,
        ..Limits::default()
    });
    assert_eq!(
        f.tool("big", serde_json::json!({"n": 999})).unwrap().len(),
        999
    );
    assert!(matches!(
        f.tool("big", serde_json::json!({"n": 5000})),
        Err(InvokeError::ResponseTooLarge(5000, 1000))
    ));
}

#[test]
fn other_deployments_never_notice() {
    let a = Fixture::new(small_limits());
    let b = Fixture::new(small_limits());
    std::thread::scope(|s| {
        s.spawn(|| {
            for _ in 0..3 {
                let _ = a.tool("spin", serde_json::json!({}));
            }
        });
        for i in 0..50 {
            assert_eq!(
                b.tool("echo", serde_json::json!({"text": i.to_string()}))
                    .unwrap(),
                i.to_string()
            );
        }
    });
    assert_eq!(b.pool.stats().instances_discarded, 0);
}

#[test]
fn rejects_what_is_not_a_berth_component() {
    let runtime = Runtime::new().unwrap();
    let err = runtime.precompile(b"\0asm\x01\0\0\0").unwrap_err();
    assert!(
        err.to_string().contains("not a WebAssembly component"),
        "{err}"
    );
    assert!(runtime.precompile(b"hello").is_err());
}

/// Hooks whose state store hangs far past any deadline.
struct Hanging;

impl CallHooks for Hanging {
    fn log(&self, _: LogLevel, _: Option<&str>, _: serde_json::Value) {}
    fn progress(&self, _: f64, _: Option<f64>, _: Option<&str>) {}
    fn kv_get(&self, _: &str) -> Option<String> {
        None
    }
    fn kv_set(&self, _: &str, _: &str) -> Result<(), String> {
        std::thread::sleep(std::time::Duration::from_secs(3));
        Ok(())
    }
    fn kv_delete(&self, _: &str) {}
    fn elicit(&self, _: &str, _: serde_json::Value) -> Result<ElicitResponse, HookError> {
        Err(HookError::Failed("no".into()))
    }
    fn sample(&self, _: serde_json::Value) -> Result<serde_json::Value, HookError> {
        Err(HookError::Failed("no".into()))
    }
    fn environment(&self) -> Vec<(String, String)> {
        vec![]
    }
}

#[test]
fn a_call_waiting_on_the_host_is_stopped_at_its_deadline() {
    let f = Fixture::new(small_limits());
    // Without the deadline on host waits, `kv` would return normally once the store answered.
    let err = f
        .tool_with("kv", serde_json::json!({}), Arc::new(Hanging))
        .unwrap_err();
    assert!(matches!(err, InvokeError::Timeout(300)), "{err:?}");
    assert_eq!(
        f.tool("echo", serde_json::json!({"text": "next"})).unwrap(),
        "next"
    );
    assert_eq!(f.pool.stats().instances_discarded, 1);
}

/// A one-thread runtime, the fixture's `spin` call and its context, with a warm instance ready: for
/// how a running guest shares its thread and what dropping its call does.
fn one_thread_spin(f: &Fixture) -> (tokio::runtime::Runtime, GuestCall, CallContext) {
    f.pool.prewarm(1).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let call = GuestCall::Tool {
        name: "spin".into(),
        arguments: Default::default(),
    };
    let ctx = CallContext {
        request_id: "spin".into(),
        session_id: None,
    };
    (runtime, call, ctx)
}

#[test]
fn a_spinning_guest_yields_to_other_tasks_on_its_thread() {
    let f = Fixture::new(small_limits());
    let (runtime, call, ctx) = one_thread_spin(&f);
    let ticks = std::sync::atomic::AtomicUsize::new(0);
    let outcome = runtime.block_on(async {
        let ticker = async {
            loop {
                tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                ticks.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        };
        tokio::select! {
            outcome = f.pool.call_async(&call, &ctx, Arc::new(Recorder::default())) => outcome,
            _ = ticker => unreachable!("the ticker never ends"),
        }
    });
    assert!(
        matches!(outcome, Err(InvokeError::Timeout(300))),
        "{outcome:?}"
    );
    // One thread: the ticker ran only because the guest yielded at epoch ticks while it spun.
    let ticks = ticks.load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        ticks >= 10,
        "the other task ran {ticks} times during the spin"
    );
}

#[test]
fn dropping_a_running_call_stops_its_guest() {
    let f = Fixture::new(Limits {
        timeout_ms: 10_000,
        ..Limits::default()
    });
    let (runtime, call, ctx) = one_thread_spin(&f);
    // What the edge does when a client cancels: the call's future is dropped mid-flight.
    let abandoned = runtime.block_on(async {
        tokio::time::timeout(
            std::time::Duration::from_millis(50),
            f.pool
                .call_async(&call, &ctx, Arc::new(Recorder::default())),
        )
        .await
    });
    assert!(
        abandoned.is_err(),
        "the spin ended by itself: {abandoned:?}"
    );
    let stats = f.pool.stats();
    assert_eq!(stats.instances_discarded, 1, "{stats:?}");
    assert_eq!(stats.idle, 0, "the spinning instance came back: {stats:?}");
    assert_eq!(
        f.tool("echo", serde_json::json!({"text": "after"}))
            .unwrap(),
        "after"
    );
}

/// Files under `dir`, at any depth.
fn files_under(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| if p.is_dir() { files_under(&p) } else { 1 })
        .sum()
}

#[test]
fn a_component_compiled_before_comes_from_the_compile_cache_and_runs() {
    let cache = tempfile::tempdir().unwrap();
    let wasm = std::fs::read(support::fixture_wasm()).unwrap();
    let runtime = || {
        Runtime::with_compile_cache(
            &GuestThreadOptions::default(),
            Some((
                cache.path(),
                berth_sandbox_host::DEFAULT_COMPILE_CACHE_BYTES,
            )),
        )
        .unwrap()
    };
    let first = runtime().precompile(&wasm).unwrap();
    let entries = files_under(cache.path());
    assert!(
        entries > 10,
        "each compiled function is an entry: {entries}"
    );
    // A new runtime (a restarted Berth) on the same folder takes the functions from the cache.
    // A few trampolines get keys of their own at each compile (their code is the same); everything
    // else comes from the cache.
    let again = runtime();
    let second = again.precompile(&wasm).unwrap();
    let added = files_under(cache.path()) - entries;
    assert!(
        added * 5 < entries,
        "the second compile cached {added} new functions of {entries}"
    );
    assert_eq!(first, second, "the same machine code, from the cache");
    let path = cache.path().join("fixture.cwasm");
    std::fs::write(&path, &second).unwrap();
    let pool =
        DeploymentPool::from_artifact(&again, &path, Limits::default(), Arc::new(vec![])).unwrap();
    let out = pool
        .call(
            &GuestCall::Tool {
                name: "echo".into(),
                arguments: serde_json::json!({"text": "cached"})
                    .as_object()
                    .cloned()
                    .unwrap(),
            },
            &CallContext::default(),
            Arc::new(Recorder::default()),
        )
        .unwrap();
    let GuestOutput::Tool(r) = out else {
        panic!("not a tool result: {out:?}")
    };
    assert_eq!(
        r.content,
        vec![berth_core::ContentBlock::Text("cached".into())]
    );
}
