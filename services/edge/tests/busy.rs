//! Refusals for load: a call its deployment refuses because it already runs and queues as many as its
//! limits allow (HTTP 503), and requests past the project's request rate (HTTP 429). Either way the
//! client gets `Retry-After` and a JSON-RPC error saying why, in both protocol eras.

mod common;

use berth_edge::EdgeConfig;
use common::spawn;
use serde_json::{Value, json};

fn check_refusal(res: &reqwest::Response) {
    assert_eq!(res.status(), 503);
    assert_eq!(
        res.headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("1")
    );
}

fn check_body(body: &Value, id: u64) {
    assert_eq!(body["id"], id, "{body}");
    assert_eq!(body["error"]["code"], -32005, "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("busy") && message.contains("retry"),
        "the refusal says what happened and what to do: {body}"
    );
    assert_eq!(body["error"]["data"]["running"], 1, "{body}");
    assert_eq!(body["error"]["data"]["queued"], 1, "{body}");
    assert!(body.get("result").is_none(), "not a tool result: {body}");
}

#[tokio::test]
async fn a_busy_deployment_answers_503_with_retry_after() {
    let edge = spawn(EdgeConfig::default()).await;
    let session = edge.initialize("demo").await;
    let res = edge
        .legacy(
            "demo",
            &session,
            7,
            "tools/call",
            json!({"name": "busy", "arguments": {}}),
        )
        .await;
    check_refusal(&res);
    check_body(&res.json().await.unwrap(), 7);

    let res = edge
        .modern(
            "demo",
            "tools/call",
            json!({"name": "busy", "arguments": {}}),
            json!({}),
        )
        .await;
    check_refusal(&res);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], -32005, "{body}");
}

/// The project `slow` limited to `rate` requests per second, beside the fixtures' `demo`.
fn limited(edge: &common::TestEdge, rate: u64) {
    let mut route = common::fixtures::route("slow");
    route.limits.requests_per_second = rate;
    edge.routes.set(route);
}

#[tokio::test]
async fn requests_past_a_projects_rate_get_429_and_other_projects_are_untouched() {
    let edge = spawn(EdgeConfig::default()).await;
    limited(&edge, 5);
    let discover = || edge.modern("slow", "server/discover", json!({}), json!({}));
    let mut answered = 0;
    let mut refused = None;
    // The burst is one second's worth (5); the test sends 20 at once, far faster than 5 a second.
    for id in 0..20 {
        let res = discover().await;
        match res.status().as_u16() {
            200 => answered += 1,
            429 => {
                refused.get_or_insert(res);
            }
            other => panic!("request {id}: status {other}"),
        }
    }
    assert!(
        (5..=6).contains(&answered),
        "the burst is five requests (a sixth if a fifth of a second passed): {answered}"
    );
    let res = refused.expect("requests past the rate are refused");
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(retry, 1, "a request frees up within a second");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], -32029, "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("`slow`")
            && message.contains("5 requests per second")
            && message.contains("requestsPerSecond"),
        "the refusal names the project and the limit: {body}"
    );
    assert_eq!(body["error"]["data"]["requestsPerSecond"], 5, "{body}");

    // Another project on the same edge still gets every request.
    for id in 0..50 {
        let res = edge
            .modern("demo", "server/discover", json!({}), json!({}))
            .await;
        assert_eq!(res.status(), 200, "demo request {id}");
    }
    // The 2025 era's requests draw on the same bucket (it is the project's, not the era's).
    let res = edge
        .post(
            "slow",
            &[("accept", common::ACCEPT_BOTH)],
            &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}}),
        )
        .await;
    assert_eq!(res.status(), 429);
    let text = prometheus::TextEncoder::new()
        .encode_to_string(&edge.registry.gather())
        .unwrap();
    assert!(
        text.lines()
            .any(|l| l.starts_with("berth_edge_requests_total")
                && l.contains("project=\"slow\"")
                && l.contains("outcome=\"limited\"")),
        "{text}"
    );
}
