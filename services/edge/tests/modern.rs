//! The 2026-07-28 era end to end: discovery, header and `_meta` checks, and input-required round trips.

mod common;

use berth_edge::EdgeConfig;
use common::{ACCEPT_BOTH, spawn};
use serde_json::{Value, json};

fn all_caps() -> Value {
    json!({"elicitation": {}, "sampling": {}})
}

#[tokio::test]
async fn discover_answers_the_probe() {
    let edge = spawn(EdgeConfig::default()).await;
    let res = edge
        .modern("demo", "server/discover", json!({}), json!({}))
        .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    let r = &body["result"];
    assert_eq!(r["supportedVersions"], json!(["2026-07-28"]));
    assert_eq!(
        r["_meta"]["io.modelcontextprotocol/serverInfo"]["name"],
        "fixtures"
    );
    assert_eq!(
        (
            r["resultType"].clone(),
            r["ttlMs"].clone(),
            r["cacheScope"].clone()
        ),
        (json!("complete"), json!(0), json!("private"))
    );
    assert!(r["capabilities"]["tools"].is_object());

    let body: Value = edge
        .modern("demo", "tools/list", json!({}), json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["result"]["resultType"], "complete");
    assert!(body["result"]["tools"].as_array().unwrap().len() > 10);
}

#[tokio::test]
async fn headers_must_match_the_body() {
    let edge = spawn(EdgeConfig::default()).await;
    let meta = json!({"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}});
    let body = |method: &str, params: Value| json!({"jsonrpc": "2.0", "id": 9, "method": method, "params": params});
    // (headers, body, HTTP status, JSON-RPC code)
    type Case<'a> = (Vec<(&'a str, &'a str)>, Value, u16, i64);
    let cases: Vec<Case> = vec![
        // no protocol header
        (
            vec![("mcp-method", "tools/list")],
            body("tools/list", json!({"_meta": meta})),
            400,
            -32020,
        ),
        // no _meta
        (
            vec![
                ("mcp-protocol-version", "2026-07-28"),
                ("mcp-method", "server/discover"),
            ],
            body("server/discover", json!({})),
            400,
            -32602,
        ),
        // Mcp-Method disagrees
        (
            vec![
                ("mcp-protocol-version", "2026-07-28"),
                ("mcp-method", "tools/list"),
            ],
            body("prompts/list", json!({"_meta": meta})),
            400,
            -32020,
        ),
        // Mcp-Name disagrees
        (
            vec![
                ("mcp-protocol-version", "2026-07-28"),
                ("mcp-method", "tools/call"),
                ("mcp-name", "test_error_handling"),
            ],
            body(
                "tools/call",
                json!({"_meta": meta, "name": "test_simple_text"}),
            ),
            400,
            -32020,
        ),
        // removed methods
        (
            vec![
                ("mcp-protocol-version", "2026-07-28"),
                ("mcp-method", "initialize"),
            ],
            body("initialize", json!({"_meta": meta})),
            404,
            -32601,
        ),
        (
            vec![
                ("mcp-protocol-version", "2026-07-28"),
                ("mcp-method", "ping"),
            ],
            body("ping", json!({"_meta": meta})),
            404,
            -32601,
        ),
    ];
    for (headers, req, status, code) in cases {
        let mut h = headers.clone();
        h.push(("accept", ACCEPT_BOTH));
        let res = edge.post("demo", &h, &req).await;
        assert_eq!(res.status(), status, "{req}");
        let got: Value = res.json().await.unwrap();
        assert_eq!(
            (got["error"]["code"].as_i64(), got["id"].clone()),
            (Some(code), json!(9)),
            "{req}"
        );
    }
    let v9 = json!({"io.modelcontextprotocol/protocolVersion": "v9", "io.modelcontextprotocol/clientCapabilities": {}});
    let res = edge
        .post(
            "demo",
            &[
                ("mcp-protocol-version", "v9"),
                ("mcp-method", "server/discover"),
            ],
            &body("server/discover", json!({"_meta": v9})),
        )
        .await;
    assert_eq!(res.status(), 400);
    let got: Value = res.json().await.unwrap();
    assert_eq!(
        got["error"]["data"],
        json!({"supported": ["2026-07-28"], "requested": "v9"})
    );
}

#[tokio::test]
async fn input_required_round_trip() {
    let edge = spawn(EdgeConfig::default()).await;
    let tool = "test_input_required_result_elicitation";
    let body: Value = edge
        .modern(
            "demo",
            "tools/call",
            json!({"name": tool, "arguments": {}}),
            all_caps(),
        )
        .await
        .json()
        .await
        .unwrap();
    let r = &body["result"];
    assert_eq!(r["resultType"], "input_required");
    let (key, request) = r["inputRequests"]
        .as_object()
        .unwrap()
        .iter()
        .next()
        .unwrap();
    assert_eq!(request["method"], "elicitation/create");
    assert_eq!(request["params"]["message"], "What is your name?");
    let state = r["requestState"].as_str().unwrap().to_string();

    let retry = json!({"name": tool, "arguments": {}, "requestState": state,
        "inputResponses": {key.as_str(): {"action": "accept", "content": {"name": "Alice"}}}});
    let body: Value = edge
        .modern("demo", "tools/call", retry.clone(), all_caps())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["result"]["resultType"], "complete");
    assert_eq!(body["result"]["content"][0]["text"], "Hello, Alice!");

    // Tampered state is refused.
    let mut tampered = retry.clone();
    tampered["requestState"] = json!(format!("{state}-TAMPERED"));
    let body: Value = edge
        .modern("demo", "tools/call", tampered, all_caps())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["error"]["code"], -32602);

    // State is bound to the call: it does not resume another tool, nor another project.
    let mut other = retry.clone();
    other["name"] = json!("test_input_required_result_request_state");
    let body: Value = edge
        .modern("demo", "tools/call", other, all_caps())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["error"]["code"], -32602);
    let body: Value = edge
        .modern("other", "tools/call", retry, all_caps())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["error"]["code"], -32602);
}

#[tokio::test]
async fn multi_round_input_replays_answers_in_order() {
    let edge = spawn(EdgeConfig::default()).await;
    let tool = "test_input_required_result_multi_round";
    let mut params = json!({"name": tool, "arguments": {}});
    for round in 0..2 {
        let body: Value = edge
            .modern("demo", "tools/call", params.clone(), all_caps())
            .await
            .json()
            .await
            .unwrap();
        let r = &body["result"];
        assert_eq!(r["resultType"], "input_required", "round {round}");
        let key = r["inputRequests"]
            .as_object()
            .unwrap()
            .keys()
            .next()
            .unwrap()
            .clone();
        params["requestState"] = r["requestState"].clone();
        params["inputResponses"] = json!({key: {"action": "accept", "content": {}}});
    }
    let body: Value = edge
        .modern("demo", "tools/call", params, all_caps())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["result"]["content"][0]["text"], "both rounds done");
}

#[tokio::test]
async fn undeclared_capabilities() {
    let edge = spawn(EdgeConfig::default()).await;
    let res = edge
        .modern(
            "demo",
            "tools/call",
            json!({"name": "test_missing_capability", "arguments": {}}),
            json!({}),
        )
        .await;
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], -32021);
    assert_eq!(
        body["error"]["data"]["requiredCapabilities"],
        json!({"sampling": {}})
    );

    // A guest that copes without elicitation asks only for what the client can answer.
    let body: Value = edge
        .modern(
            "demo",
            "tools/call",
            json!({"name": "test_input_required_result_capabilities", "arguments": {}}),
            json!({"sampling": {}}),
        )
        .await
        .json()
        .await
        .unwrap();
    let requests = body["result"]["inputRequests"].as_object().unwrap();
    assert!(
        requests
            .values()
            .all(|r| r["method"] == "sampling/createMessage"),
        "{body}"
    );
}

#[tokio::test]
async fn logs_only_when_asked_for() {
    let edge = spawn(EdgeConfig::default()).await;
    let res = edge
        .modern(
            "demo",
            "tools/call",
            json!({"name": "test_tool_with_logging", "arguments": {}}),
            json!({}),
        )
        .await;
    let text = res.text().await.unwrap();
    assert!(!text.contains("notifications/message"), "{text}");
    assert!(text.contains("Tool with logging executed successfully"));
}

#[tokio::test]
async fn prompts_can_ask_for_input_too() {
    let edge = spawn(EdgeConfig::default()).await;
    let name = "test_input_required_result_prompt";
    let body: Value = edge
        .modern("demo", "prompts/get", json!({"name": name}), all_caps())
        .await
        .json()
        .await
        .unwrap();
    let r = &body["result"];
    assert_eq!(r["resultType"], "input_required", "{body}");
    let key = r["inputRequests"]
        .as_object()
        .unwrap()
        .keys()
        .next()
        .unwrap()
        .clone();
    let retry = json!({"name": name, "requestState": r["requestState"], "inputResponses": {key: {"action": "accept", "content": {"topic": "tides"}}}});
    let body: Value = edge
        .modern("demo", "prompts/get", retry, all_caps())
        .await
        .json()
        .await
        .unwrap();
    assert!(
        body["result"]["messages"][0]["content"]["text"]
            .as_str()
            .unwrap()
            .contains("tides"),
        "{body}"
    );
}

#[tokio::test]
async fn listen_is_acknowledged_first() {
    let edge = spawn(EdgeConfig::default()).await;
    let res = edge
        .modern(
            "demo",
            "subscriptions/listen",
            json!({"notifications": {"toolsListChanged": true}}),
            json!({}),
        )
        .await;
    let mut sse = common::SseReader::new(res);
    let ack = sse.next().await.expect("an acknowledgement");
    assert_eq!(
        ack.data["method"],
        "notifications/subscriptions/acknowledged"
    );
    assert_eq!(
        ack.data["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        7
    );
}
