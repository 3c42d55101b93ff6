//! A call its deployment refuses because it already runs and queues as many as its limits allow: the
//! client gets HTTP 503, `Retry-After`, and a JSON-RPC error saying why, in both protocol eras.

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
