//! HTTP-level protection and errors: hosts and origins, sizes, envelopes, unknown projects, state, metrics.

mod common;

use berth_edge::EdgeConfig;
use common::{ACCEPT_BOTH, spawn};
use serde_json::{Value, json};

#[tokio::test]
async fn unknown_project_is_a_404_naming_it() {
    let edge = spawn(EdgeConfig::default()).await;
    let res = edge
        .post(
            "nowhere",
            &[("accept", ACCEPT_BOTH)],
            &json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}),
        )
        .await;
    assert_eq!(res.status(), 404);
    let body: Value = res.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("`nowhere`"),
        "{body}"
    );
}

#[tokio::test]
async fn dns_rebinding_is_refused() {
    let edge = spawn(EdgeConfig::default()).await;
    let ping = json!({"jsonrpc": "2.0", "id": 1, "method": "ping"});
    let res = edge
        .post("demo", &[("host", "evil.example.com")], &ping)
        .await;
    assert_eq!(res.status(), 403);
    let res = edge
        .post("demo", &[("origin", "http://evil.example.com")], &ping)
        .await;
    assert_eq!(res.status(), 403);
    let res = edge
        .post(
            "demo",
            &[("origin", "http://localhost:5173")],
            &json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        )
        .await;
    assert_eq!(res.status(), 202);
}

#[tokio::test]
async fn bodies_and_envelopes() {
    let edge = spawn(EdgeConfig {
        max_body_bytes: 1024,
        ..Default::default()
    })
    .await;
    let big =
        json!({"jsonrpc": "2.0", "id": 1, "method": "ping", "params": {"pad": "x".repeat(2000)}});
    let res = edge.post("demo", &[], &big).await;
    assert_eq!(res.status(), 413);
    let body: Value = res.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("1024"));

    let res = edge
        .http
        .post(edge.url("demo"))
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<Value>().await.unwrap()["error"]["code"], -32700);

    let res = edge
        .http
        .post(edge.url("demo"))
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 415);

    let res = edge
        .post(
            "demo",
            &[],
            &json!([{"jsonrpc": "2.0", "id": 1, "method": "ping"}]),
        )
        .await;
    assert_eq!(res.json::<Value>().await.unwrap()["error"]["code"], -32600);
}

#[tokio::test]
async fn state_and_environment_are_per_project() {
    let edge = spawn(EdgeConfig::default()).await;
    let call = |project: &'static str, name: &'static str| {
        edge.modern(
            project,
            "tools/call",
            json!({"name": name, "arguments": {"name": "GREETING"}}),
            json!({}),
        )
    };
    let text = |v: Value| {
        v["result"]["content"][0]["text"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(
        text(call("demo", "counter").await.json().await.unwrap()),
        "1"
    );
    assert_eq!(
        text(call("demo", "counter").await.json().await.unwrap()),
        "2"
    );
    assert_eq!(
        text(call("other", "counter").await.json().await.unwrap()),
        "1"
    );
    assert_eq!(
        text(call("demo", "env").await.json().await.unwrap()),
        "hello"
    );
}

#[tokio::test]
async fn key_value_state_stays_within_the_quota() {
    let edge = spawn(EdgeConfig {
        kv: berth_edge::KvLimits {
            max_key_bytes: 16,
            max_value_bytes: 64,
            max_total_bytes: 256,
            max_keys: 8,
        },
        ..Default::default()
    })
    .await;
    let remember = |project: &'static str, key: String, value: String| {
        let edge = &edge;
        async move {
            let body: Value = edge
                .modern(
                    project,
                    "tools/call",
                    json!({"name": "remember", "arguments": {"key": key, "value": value}}),
                    json!({}),
                )
                .await
                .json()
                .await
                .unwrap();
            let result = &body["result"];
            let text = result["content"][0]["text"]
                .as_str()
                .unwrap_or("")
                .to_string();
            (result["isError"] == true, text)
        }
    };
    let (refused, m) = remember("demo", "k".repeat(17), "v".into()).await;
    assert!(refused && m.contains("keys may be at most 16 bytes"), "{m}");
    let (refused, m) = remember("demo", "k".into(), "v".repeat(65)).await;
    assert!(
        refused && m.contains("values may be at most 64 bytes"),
        "{m}"
    );
    // A flood of writes: every one the quota allows is stored, the rest are refused with the reason.
    let mut stored = 0;
    let mut last = String::new();
    for i in 0..100 {
        let (refused, m) = remember("demo", format!("k{i}"), "v".repeat(60)).await;
        if refused {
            last = m;
        } else {
            stored += 1;
        }
    }
    assert_eq!(stored, 4, "4 entries of 62 bytes fit in 256 bytes");
    assert!(last.contains("over its quota of 256 bytes"), "{last}");
    for i in 0..8 {
        let (refused, m) = remember("other", format!("n{i}"), "v".into()).await;
        assert!(!refused, "another project has its own quota: {m}");
    }
    let (refused, m) = remember("other", "n8".into(), "v".into()).await;
    assert!(refused && m.contains("limit of 8"), "{m}");
}

#[tokio::test]
async fn routes_change_live_and_metrics_count() {
    let edge = spawn(EdgeConfig::default()).await;
    edge.routes.remove("other");
    let res = edge
        .modern("other", "server/discover", json!({}), json!({}))
        .await;
    assert_eq!(res.status(), 404);
    edge.modern(
        "demo",
        "tools/call",
        json!({"name": "test_simple_text", "arguments": {}}),
        json!({}),
    )
    .await;
    let families = edge.registry.gather();
    let names: Vec<&str> = families.iter().map(|f| f.name()).collect();
    for want in [
        "berth_edge_requests_total",
        "berth_edge_request_duration_seconds",
        "berth_edge_tool_calls_total",
    ] {
        assert!(names.contains(&want), "{want} in {names:?}");
    }
}

#[tokio::test]
async fn unlisted_tools_reach_the_guest_and_count_under_one_label() {
    let edge = spawn(EdgeConfig::default()).await;
    for i in 0..50 {
        let name = format!("made-up-{i}");
        let body: Value = edge
            .modern(
                "demo",
                "tools/call",
                json!({"name": name, "arguments": {}}),
                json!({}),
            )
            .await
            .json()
            .await
            .unwrap();
        // The guest says it has no such tool: a protocol error naming it.
        assert_eq!(body["error"]["code"], -32602, "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap_or("")
                .contains(&name),
            "{body}"
        );
    }
    let calls = edge
        .registry
        .gather()
        .into_iter()
        .find(|f| f.name() == "berth_edge_tool_calls_total")
        .expect("tool calls counted");
    let tools: std::collections::BTreeSet<String> = calls
        .get_metric()
        .iter()
        .flat_map(|m| m.get_label())
        .filter(|l| l.name() == "tool")
        .map(|l| l.value().to_string())
        .collect();
    assert_eq!(tools, ["(unlisted)".to_string()].into());
}

#[tokio::test]
async fn unknown_projects_do_not_grow_the_metric_series() {
    let edge = spawn(EdgeConfig::default()).await;
    let ping = json!({"jsonrpc": "2.0", "id": 1, "method": "ping"});
    for i in 0..1000 {
        let name = format!("nope-{i}-{}", uuid::Uuid::new_v4().simple());
        let res = edge.post(&name, &[("accept", ACCEPT_BOTH)], &ping).await;
        assert_eq!(res.status(), 404);
    }
    let res = edge
        .http
        .get(edge.url("nope-get"))
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let requests = edge
        .registry
        .gather()
        .into_iter()
        .find(|f| f.name() == "berth_edge_requests_total")
        .expect("requests counted");
    let projects: std::collections::BTreeSet<String> = requests
        .get_metric()
        .iter()
        .flat_map(|m| m.get_label())
        .filter(|l| l.name() == "project")
        .map(|l| l.value().to_string())
        .collect();
    assert_eq!(
        projects.into_iter().collect::<Vec<_>>(),
        ["(unknown)"],
        "requests for projects that do not exist share one series"
    );
    let total: f64 = requests
        .get_metric()
        .iter()
        .map(|m| m.get_counter().get_value())
        .sum();
    assert_eq!(total, 1001.0);
}

#[tokio::test]
async fn an_initialize_flood_is_bounded_and_then_refused_with_retry_after() {
    let edge = spawn(EdgeConfig {
        sessions: berth_edge::SessionLimits {
            per_project: 5,
            total: 8,
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    let first = edge.initialize("demo").await;
    for _ in 0..50 {
        edge.initialize("demo").await;
    }
    let ping = json!({"jsonrpc": "2.0", "id": 1, "method": "ping"});
    let res = edge
        .post(
            "demo",
            &[("accept", ACCEPT_BOTH), ("mcp-session-id", &first)],
            &ping,
        )
        .await;
    assert_eq!(
        res.status(),
        404,
        "the flood closed the project's oldest idle session"
    );
    for _ in 0..3 {
        edge.initialize("other").await;
    }
    let res = edge
        .post(
            "other",
            &[("accept", ACCEPT_BOTH)],
            &json!({ "jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
                "protocolVersion": "2025-11-25", "capabilities": {},
                "clientInfo": { "name": "test", "version": "1" } } }),
        )
        .await;
    assert_eq!(res.status(), 503);
    assert_eq!(res.headers()["retry-after"], "10");
    let body: Value = res.json().await.unwrap();
    let message = body["error"]["message"].as_str().unwrap_or("");
    assert!(message.contains("holds 8 sessions, its limit"), "{message}");
}

#[tokio::test]
async fn a_session_holds_a_bounded_list_of_subscriptions() {
    let edge = spawn(EdgeConfig::default()).await;
    let session = edge.initialize("demo").await;
    let subscribe = |n: u64, uri: String| {
        let (edge, session) = (&edge, &session);
        async move {
            let body: Value = edge
                .legacy(
                    "demo",
                    session,
                    n,
                    "resources/subscribe",
                    json!({ "uri": uri }),
                )
                .await
                .json()
                .await
                .unwrap();
            body["error"]["message"].as_str().map(str::to_string)
        }
    };
    for i in 0..256 {
        assert_eq!(subscribe(i, format!("fixture://r/{i}")).await, None);
    }
    let refused = subscribe(256, "fixture://r/one-more".into()).await.unwrap();
    assert!(
        refused.contains("256 subscriptions, its limit"),
        "{refused}"
    );
    // Subscribing again to one it has is no growth, and unsubscribing makes room.
    assert_eq!(subscribe(257, "fixture://r/0".into()).await, None);
    let body: Value = edge
        .legacy(
            "demo",
            &session,
            258,
            "resources/unsubscribe",
            json!({ "uri": "fixture://r/0" }),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["result"], json!({}));
    let long = format!("fixture://{}", "x".repeat(4096));
    let refused = subscribe(259, long).await.unwrap();
    assert!(refused.contains("at most 2048 bytes"), "{refused}");
    assert_eq!(subscribe(260, "fixture://r/again".into()).await, None);
}
