//! Runtime log events: written in batches, read back with the log's filters, kept across a reopen,
//! pruned past retention, and gone with their project.

use super::*;
use crate::support::TestDb;
use berth_core::LogLevel;
use berth_core::runlog::{EventKind, LogFilter, Outcome, RuntimeEvent};

fn event(
    seq: i64,
    project: &Project,
    at_ms: i64,
    level: LogLevel,
    tool: Option<&str>,
    kind: EventKind,
) -> RuntimeEvent {
    RuntimeEvent {
        seq,
        at_ms,
        project_id: project.id.clone(),
        deployment_id: format!("d-{}", seq % 2),
        level,
        tool: tool.map(str::to_string),
        kind,
    }
}

fn request(outcome: Outcome) -> EventKind {
    EventKind::Request {
        method: "tools/call".into(),
        duration_us: 1234,
        outcome,
        error_code: (outcome == Outcome::ProtocolError).then_some(-32602),
        error: None,
        client: Some("claude-code".into()),
        session: Some("s1".into()),
    }
}

fn log(message: &str) -> EventKind {
    EventKind::Log {
        logger: Some("app".into()),
        message: message.into(),
    }
}

/// Ten events of one project: requests (one a tool error, one a protocol error), log messages at
/// three levels, output lines; seq 1..=10 at times 1000..=10000.
fn sample(p: &Project) -> Vec<RuntimeEvent> {
    vec![
        event(
            1,
            p,
            1000,
            LogLevel::Info,
            Some("add"),
            request(Outcome::Ok),
        ),
        event(2, p, 2000, LogLevel::Debug, Some("add"), log("debugging")),
        event(
            3,
            p,
            3000,
            LogLevel::Warning,
            Some("add"),
            request(Outcome::ToolError),
        ),
        event(4, p, 4000, LogLevel::Error, Some("mul"), log("it broke")),
        event(
            5,
            p,
            5000,
            LogLevel::Info,
            Some("mul"),
            EventKind::Output {
                line: "printed".into(),
            },
        ),
        event(
            6,
            p,
            6000,
            LogLevel::Error,
            Some("mul"),
            request(Outcome::ProtocolError),
        ),
        event(7, p, 7000, LogLevel::Info, None, log("hello")),
        event(
            8,
            p,
            8000,
            LogLevel::Info,
            Some("add"),
            request(Outcome::Ok),
        ),
        event(
            9,
            p,
            9000,
            LogLevel::Info,
            Some("add"),
            EventKind::Output {
                line: "é ünïcode".into(),
            },
        ),
        event(
            10,
            p,
            10000,
            LogLevel::Info,
            Some("add"),
            request(Outcome::Ok),
        ),
    ]
}

fn seqs(events: &[RuntimeEvent]) -> Vec<i64> {
    events.iter().map(|e| e.seq).collect()
}

pub async fn runtime_events_round_trip_with_filters(db: &TestDb) {
    let p = project(&db.store, "logs").await;
    let other = project(&db.store, "other-logs").await;
    let events = sample(&p);
    db.store.append_runtime_events(&events).await.unwrap();
    // A batch written twice (a retry) keeps each event once.
    db.store.append_runtime_events(&events[..3]).await.unwrap();
    let theirs = event(
        11,
        &other,
        11000,
        LogLevel::Error,
        Some("add"),
        log("not yours"),
    );
    db.store.append_runtime_events(&[theirs]).await.unwrap();

    let read = |f: LogFilter| {
        let store = db.store.clone();
        let id = p.id.clone();
        async move { store.runtime_events(&id, &f).await.unwrap() }
    };
    let all = read(LogFilter::default()).await;
    assert_eq!(all, events, "every field comes back as written");
    let cases: Vec<(LogFilter, Vec<i64>)> = vec![
        (
            LogFilter {
                min_level: Some(LogLevel::Warning),
                ..Default::default()
            },
            vec![3, 4, 6],
        ),
        (
            LogFilter {
                tool: Some("mul".into()),
                ..Default::default()
            },
            vec![4, 5, 6],
        ),
        (
            LogFilter {
                errors_only: true,
                ..Default::default()
            },
            vec![3, 4, 6],
        ),
        (
            LogFilter {
                deployment_id: Some("d-1".into()),
                ..Default::default()
            },
            vec![1, 3, 5, 7, 9],
        ),
        (
            LogFilter {
                since_ms: Some(8000),
                ..Default::default()
            },
            vec![8, 9, 10],
        ),
        (
            LogFilter {
                limit: 3,
                ..Default::default()
            },
            vec![8, 9, 10],
        ),
        (
            LogFilter {
                after_seq: Some(2),
                limit: 3,
                ..Default::default()
            },
            vec![3, 4, 5],
        ),
        (
            LogFilter {
                after_seq: Some(10),
                ..Default::default()
            },
            vec![],
        ),
        (
            LogFilter {
                tool: Some("add".into()),
                errors_only: true,
                min_level: Some(LogLevel::Info),
                ..Default::default()
            },
            vec![3],
        ),
        (
            LogFilter {
                tool: Some("'; DROP TABLE runtime_events; --".into()),
                ..Default::default()
            },
            vec![],
        ),
    ];
    for (filter, expected) in cases {
        assert_eq!(seqs(&read(filter.clone()).await), expected, "{filter:?}");
    }
    let theirs = db
        .store
        .runtime_events(&other.id, &LogFilter::default())
        .await
        .unwrap();
    assert_eq!(seqs(&theirs), [11], "each project reads only its own");
}

pub async fn runtime_events_survive_reopening_and_are_pruned(db: &TestDb) {
    let p = project(&db.store, "kept").await;
    db.store.append_runtime_events(&sample(&p)).await.unwrap();
    let reopened = db.reopen().await;
    assert_eq!(
        reopened
            .runtime_events(&p.id, &LogFilter::default())
            .await
            .unwrap()
            .len(),
        10
    );
    assert_eq!(reopened.prune_runtime_events(5000).await.unwrap(), 4);
    assert_eq!(
        seqs(
            &reopened
                .runtime_events(&p.id, &LogFilter::default())
                .await
                .unwrap()
        ),
        [5, 6, 7, 8, 9, 10]
    );
    assert_eq!(reopened.prune_runtime_events(5000).await.unwrap(), 0);
    reopened.close().await;
}

pub async fn runtime_events_go_with_their_project(db: &TestDb) {
    let p = project(&db.store, "gone").await;
    db.store.append_runtime_events(&sample(&p)).await.unwrap();
    db.store.delete_project(&p.id).await.unwrap();
    assert!(
        db.store
            .runtime_events(&p.id, &LogFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
    // Events that were waiting to be written when the project went are dropped, not an error.
    db.store.append_runtime_events(&sample(&p)).await.unwrap();
    assert!(
        db.store
            .runtime_events(&p.id, &LogFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
}
