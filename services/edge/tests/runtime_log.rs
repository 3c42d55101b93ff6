//! The edge's runtime log: every request is recorded with its method, target, outcome, client and
//! session, and what a guest logs during a call with the call's tool; each project reads only its own.

mod common;

use berth_core::runlog::{EventKind, LogFilter, Outcome, RuntimeEvent};
use berth_edge::{Edge, EdgeConfig, RouteTable};
use berth_runlog::{RuntimeLogConfig, RuntimeLogs};
use common::{ACCEPT_BOTH, TestEdge, fixtures};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

async fn spawn_logged() -> (TestEdge, RuntimeLogs) {
    let logs = RuntimeLogs::start(RuntimeLogConfig::default(), None);
    let routes = RouteTable::new();
    routes.set(fixtures::route("demo"));
    routes.set(fixtures::route("other"));
    let registry = prometheus::Registry::new();
    let router = Edge::builder(routes.clone(), Arc::new(fixtures::Fixtures))
        .config(EdgeConfig::default())
        .runtime_log(logs.recorder())
        .into_router();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let edge = TestEdge {
        base: format!("http://{addr}"),
        routes,
        registry,
        http: reqwest::Client::new(),
    };
    (edge, logs)
}

/// The project's events once `done` holds of them, within a deadline.
async fn events_until(
    logs: &RuntimeLogs,
    project: &str,
    done: impl Fn(&[Arc<RuntimeEvent>]) -> bool,
) -> Vec<Arc<RuntimeEvent>> {
    let mut live = logs.subscribe();
    let read = || async { logs.read(project, &LogFilter::default()).await.unwrap() };
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let events = read().await;
            if done(&events) {
                return events;
            }
            let _ = live.recv().await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the runtime log never had what was expected"))
}

fn request<'a>(
    events: &'a [Arc<RuntimeEvent>],
    method: &str,
    tool: Option<&str>,
) -> &'a RuntimeEvent {
    events
        .iter()
        .find(|e| {
            matches!(&e.kind, EventKind::Request { method: m, .. } if m == method)
                && e.tool.as_deref() == tool
        })
        .unwrap_or_else(|| panic!("no {method} {tool:?} request in {events:#?}"))
}

#[tokio::test]
async fn requests_and_guest_logs_are_recorded_per_project() {
    let (edge, logs) = spawn_logged().await;
    let session = edge.initialize("demo").await;
    let call = |id: u64, name: &str| {
        edge.legacy(
            "demo",
            &session,
            id,
            "tools/call",
            json!({"name": name, "arguments": {}}),
        )
    };
    assert_eq!(call(1, "test_tool_with_logging").await.status(), 200);
    assert_eq!(call(2, "test_error_handling").await.status(), 200);
    let res = edge
        .legacy("demo", &session, 3, "no/such/method", json!({}))
        .await;
    let _ = res.text().await;
    let modern = edge
        .modern(
            "demo",
            "tools/call",
            json!({"name": "test_simple_text", "arguments": {}}),
            json!({}),
        )
        .await;
    assert_eq!(modern.status(), 200);
    // A notification is no request; a request for no project has no log to go to.
    let note = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    edge.post(
        "demo",
        &[("accept", ACCEPT_BOTH), ("mcp-session-id", &session)],
        &note,
    )
    .await;
    edge.post("nowhere", &[("accept", ACCEPT_BOTH)], &note)
        .await;

    let events = events_until(&logs, "proj-demo", |e| {
        e.iter().filter(|e| e.kind.name() == "request").count() >= 5
            && e.iter()
                .any(|e| e.text().contains("Tool execution completed"))
    })
    .await;

    let init = request(&events, "initialize", None);
    let EventKind::Request {
        outcome,
        client,
        session: s,
        ..
    } = &init.kind
    else {
        unreachable!()
    };
    assert_eq!((*outcome, client.as_deref()), (Outcome::Ok, Some("test")));
    assert_eq!(s.as_deref(), Some(session.as_str()));

    let logged = request(&events, "tools/call", Some("test_tool_with_logging"));
    let EventKind::Request {
        outcome,
        client,
        session: s,
        duration_us,
        ..
    } = &logged.kind
    else {
        unreachable!()
    };
    assert_eq!(*outcome, Outcome::Ok);
    assert_eq!(
        client.as_deref(),
        Some("test"),
        "the session's client, from initialize"
    );
    assert_eq!(s.as_deref(), Some(session.as_str()));
    assert!(
        *duration_us >= 100_000,
        "the call logs for 100 ms: {duration_us} us"
    );

    let messages: Vec<&Arc<RuntimeEvent>> =
        events.iter().filter(|e| e.kind.name() == "log").collect();
    assert_eq!(messages.len(), 3, "{messages:#?}");
    assert!(
        messages
            .iter()
            .all(|m| m.tool.as_deref() == Some("test_tool_with_logging"))
    );
    assert!(
        messages[0]
            .text()
            .contains("[fixtures] Tool execution started")
    );
    assert!(
        messages[2].seq < logged.seq,
        "a call's messages come before its request's end"
    );

    let failed = request(&events, "tools/call", Some("test_error_handling"));
    assert!(failed.is_error());
    let EventKind::Request { outcome, error, .. } = &failed.kind else {
        unreachable!()
    };
    assert_eq!(*outcome, Outcome::ToolError);
    assert!(
        error
            .as_deref()
            .is_some_and(|e| e.contains("intentionally")),
        "{error:?}"
    );

    let unknown = request(&events, "no/such/method", None);
    let EventKind::Request {
        outcome,
        error_code,
        ..
    } = &unknown.kind
    else {
        unreachable!()
    };
    assert_eq!(
        (*outcome, *error_code),
        (Outcome::ProtocolError, Some(-32601))
    );

    let stateless = request(&events, "tools/call", Some("test_simple_text"));
    let EventKind::Request {
        client, session: s, ..
    } = &stateless.kind
    else {
        unreachable!()
    };
    assert_eq!(
        client.as_deref(),
        Some("test"),
        "2026-07-28 names its client in _meta"
    );
    assert_eq!(*s, None);

    assert_eq!(
        events.iter().filter(|e| e.kind.name() == "request").count(),
        5,
        "one event per request, none for notifications: {events:#?}"
    );
    assert!(
        logs.read("proj-other", &LogFilter::default())
            .await
            .unwrap()
            .is_empty(),
        "another project's log holds none of it"
    );
}
