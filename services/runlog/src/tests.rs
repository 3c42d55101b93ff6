use super::*;
use berth_core::runlog::Outcome;
use serde_json::json;
use tokio::sync::Notify;

/// A store in memory that says when it was written to.
#[derive(Default)]
struct MemoryStore {
    events: Mutex<Vec<RuntimeEvent>>,
    pruned_before: Mutex<Vec<i64>>,
    changed: Notify,
}

#[async_trait::async_trait]
impl LogStore for MemoryStore {
    async fn append(&self, events: &[Arc<RuntimeEvent>]) -> Result<(), String> {
        let mut all = self.events.lock().unwrap();
        all.extend(events.iter().map(|e| (**e).clone()));
        self.changed.notify_waiters();
        Ok(())
    }
    async fn query(&self, project: &str, f: &LogFilter) -> Result<Vec<RuntimeEvent>, String> {
        let all = self.events.lock().unwrap();
        let found: Vec<RuntimeEvent> = all
            .iter()
            .filter(|e| {
                e.project_id == project && f.after_seq.is_none_or(|a| e.seq > a) && f.matches(e)
            })
            .cloned()
            .collect();
        Ok(ring::window(found, f))
    }
    async fn prune(&self, before_ms: i64) -> Result<u64, String> {
        self.pruned_before.lock().unwrap().push(before_ms);
        self.changed.notify_waiters();
        Ok(0)
    }
}

fn origin(project: &str, deployment: &str) -> Arc<Origin> {
    Arc::new(Origin {
        project_id: project.into(),
        deployment_id: deployment.into(),
        secrets: Arc::new(SecretValues::new([("TOKEN", "tok-secret-42")])),
    })
}

const DEADLINE: Duration = Duration::from_secs(10);

/// Waits until `n` events arrived on the live stream.
async fn next_events(
    live: &mut broadcast::Receiver<Arc<RuntimeEvent>>,
    n: usize,
) -> Vec<Arc<RuntimeEvent>> {
    let mut got = Vec::new();
    while got.len() < n {
        let e = tokio::time::timeout(DEADLINE, live.recv())
            .await
            .expect("events arrive in time")
            .expect("the live stream stays open");
        got.push(e);
    }
    got
}

fn request(tool: &str, outcome: Outcome) -> Pending {
    Pending {
        origin: origin("p-1", "d-1"),
        at_ms: now_ms(),
        level: if outcome == Outcome::Ok {
            LogLevel::Info
        } else {
            LogLevel::Warning
        },
        tool: Some(tool.into()),
        body: Body::Event(EventKind::Request {
            method: "tools/call".into(),
            duration_us: 10,
            outcome,
            error_code: None,
            error: None,
            client: Some("test".into()),
            session: None,
        }),
    }
}

#[tokio::test]
async fn calls_are_recorded_redacted_and_read_back_with_filters() {
    let logs = RuntimeLogs::start(RuntimeLogConfig::default(), None);
    let mut live = logs.subscribe();
    let call = CallLog::new(logs.recorder(), origin("p-1", "d-1"), Some("add".into()));
    call.log(
        LogLevel::Info,
        Some("app"),
        &json!("adding with tok-secret-42"),
    );
    call.log(LogLevel::Debug, None, &json!({"a": 1}));
    call.output("line one\nline two\n");
    assert!(logs.recorder().record(request("add", Outcome::ToolError)));
    let got = next_events(&mut live, 5).await;
    let texts: Vec<String> = got.iter().map(|e| e.text()).collect();
    assert_eq!(
        texts,
        [
            "[app] adding with [secret TOKEN]",
            r#"{"a":1}"#,
            "output: line one",
            "output: line two",
            "tools/call add 0.0ms tool error (client test)",
        ]
    );
    assert!(
        got.windows(2).all(|w| w[0].seq < w[1].seq),
        "numbered in order"
    );

    let read = |f: LogFilter| {
        let logs = logs.clone();
        async move {
            logs.read("p-1", &f)
                .await
                .unwrap()
                .iter()
                .map(|e| e.text())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(read(LogFilter::default()).await, texts);
    let errors = read(LogFilter {
        errors_only: true,
        ..Default::default()
    })
    .await;
    assert_eq!(errors, ["tools/call add 0.0ms tool error (client test)"]);
    let info_up = read(LogFilter {
        min_level: Some(LogLevel::Info),
        ..Default::default()
    })
    .await;
    assert_eq!(
        info_up.len(),
        4,
        "the debug message is left out: {info_up:?}"
    );
    let after = read(LogFilter {
        after_seq: Some(got[2].seq),
        ..Default::default()
    })
    .await;
    assert_eq!(after, texts[3..]);
    assert!(
        logs.read("p-2", &LogFilter::default())
            .await
            .unwrap()
            .is_empty(),
        "another project sees none of it"
    );
}

#[tokio::test]
async fn one_call_adds_a_bounded_number_of_events() {
    let logs = RuntimeLogs::start(RuntimeLogConfig::default(), None);
    let mut live = logs.subscribe();
    let call = CallLog::new(logs.recorder(), origin("p-1", "d-1"), None);
    for i in 0..MAX_EVENTS_PER_CALL + 500 {
        call.log(LogLevel::Info, None, &json!(format!("message {i}")));
        if i % 1000 == 0 {
            tokio::task::yield_now().await;
        }
    }
    let got = next_events(&mut live, MAX_EVENTS_PER_CALL + 1).await;
    let last = got.last().unwrap();
    assert!(
        matches!(&last.kind, EventKind::Note { message } if message.contains("further log messages")),
        "{last:?}"
    );
    // Nothing more comes from that call.
    call.output("late\n");
    assert!(logs.recorder().record(request("after", Outcome::Ok)));
    let next = next_events(&mut live, 1).await;
    assert_eq!(next[0].tool.as_deref(), Some("after"));
}

#[tokio::test(flavor = "current_thread")]
async fn a_full_channel_drops_and_counts_instead_of_waiting() {
    let logs = RuntimeLogs::start(RuntimeLogConfig::default(), None);
    let recorder = logs.recorder();
    // The collector cannot run until this task yields: the channel fills.
    let accepted = (0..CHANNEL_CAPACITY + 10)
        .filter(|_| recorder.record(request("add", Outcome::Ok)))
        .count();
    assert_eq!(accepted, CHANNEL_CAPACITY);
    assert_eq!(recorder.dropped(), 10);
    assert_eq!(logs.lost().0, 10);
    // Bytes waiting count too: a few huge outputs fill them long before the channel's length.
    let logs = RuntimeLogs::start(RuntimeLogConfig::default(), None);
    let big = "x".repeat(1024 * 1024);
    let accepted = (0..64)
        .filter(|_| {
            logs.recorder().record(Pending {
                body: Body::Printed(big.clone()),
                ..request("add", Outcome::Ok)
            })
        })
        .count();
    assert_eq!(accepted, MAX_QUEUED_BYTES / big.len());
}

#[tokio::test]
async fn events_reach_the_store_in_batches_and_reads_merge_both() {
    let store = Arc::new(MemoryStore::default());
    // An event from before a restart: only in the store.
    store.events.lock().unwrap().push(RuntimeEvent {
        seq: 1,
        at_ms: 1,
        project_id: "p-1".into(),
        deployment_id: "d-0".into(),
        level: LogLevel::Info,
        tool: None,
        kind: EventKind::Note {
            message: "from before".into(),
        },
    });
    let config = RuntimeLogConfig {
        retention: Duration::from_secs(3600),
        ..Default::default()
    };
    let logs = RuntimeLogs::start(config, Some(store.clone()));
    for _ in 0..3 {
        logs.recorder().record(request("add", Outcome::Ok));
    }
    tokio::time::timeout(DEADLINE, async {
        loop {
            let changed = store.changed.notified();
            if store.events.lock().unwrap().len() == 4
                && !store.pruned_before.lock().unwrap().is_empty()
            {
                break;
            }
            changed.await;
        }
    })
    .await
    .expect("the batch is written and the store pruned");
    let before = store.pruned_before.lock().unwrap()[0];
    let expected = now_ms() - 3_600_000;
    assert!(
        (expected - 60_000..=expected).contains(&before),
        "{before} vs {expected}"
    );
    let all = logs.read("p-1", &LogFilter::default()).await.unwrap();
    assert_eq!(all.len(), 4, "ring and store together, each event once");
    assert_eq!(all[0].text(), "from before");
    let newest = logs
        .read(
            "p-1",
            &LogFilter {
                limit: 1,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(newest[0].seq, all[3].seq);
}
