//! 2026-07-28 beyond single questions: several input requests in one round with named keys, roots in
//! both eras, `Mcp-Param-*` headers, and the tasks extension (create, poll, answer, cancel, gates).

mod common;

use berth_edge::EdgeConfig;
use common::{ACCEPT_BOTH, TestEdge, spawn};
use serde_json::{Value, json};
use std::time::Duration;

const TASKS: &str = "io.modelcontextprotocol/tasks";

fn caps(tasks: bool) -> Value {
    let mut c = json!({"elicitation": {}, "sampling": {}, "roots": {}});
    if tasks {
        c["extensions"] = json!({ TASKS: {} });
    }
    c
}

async fn call(edge: &TestEdge, method: &str, params: Value, caps: Value) -> Value {
    edge.modern("demo", method, params, caps)
        .await
        .json()
        .await
        .unwrap()
}

/// Polls `tasks/get` until the task reaches `status` (or a terminal one).
async fn wait_for(edge: &TestEdge, id: &str, status: &str) -> Value {
    for _ in 0..100 {
        let got = call(edge, "tasks/get", json!({ "taskId": id }), caps(true)).await;
        let s = got["result"]["status"].as_str().unwrap_or("").to_string();
        if s == status || ["completed", "failed", "cancelled"].contains(&s.as_str()) {
            return got["result"].clone();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("task {id} never reached {status}");
}

#[tokio::test]
async fn one_round_asks_everything_under_named_keys() {
    let edge = spawn(EdgeConfig::default()).await;
    let r = call(
        &edge,
        "tools/call",
        json!({"name": "gather", "arguments": {}}),
        caps(false),
    )
    .await;
    let r = &r["result"];
    assert_eq!(r["resultType"], "input_required");
    let methods: Vec<_> = ["who", "words", "where"]
        .iter()
        .map(|k| r["inputRequests"][k]["method"].clone())
        .collect();
    assert_eq!(
        methods,
        [
            json!("elicitation/create"),
            json!("sampling/createMessage"),
            json!("roots/list")
        ]
    );
    assert_eq!(r["inputRequests"]["who"]["params"]["mode"], "form");
    let answers = json!({
        "who": {"action": "accept", "content": {"name": "Ada"}},
        "words": {"role": "assistant", "content": {"type": "text", "text": "Hi"}, "model": "m"},
        "where": {"roots": [{"uri": "file:///src"}]},
    });
    let done = call(
        &edge,
        "tools/call",
        json!({"name": "gather", "arguments": {}, "requestState": r["requestState"], "inputResponses": answers}),
        caps(false),
    )
    .await;
    assert_eq!(
        done["result"]["content"][0]["text"],
        "Hi Ada at file:///src"
    );

    // An answer of the wrong shape for its request is refused.
    let bad = json!({"where": {"roots": "nope"}, "who": answers["who"], "words": answers["words"]});
    let refused = call(
        &edge,
        "tools/call",
        json!({"name": "gather", "arguments": {}, "inputResponses": bad}),
        caps(false),
    )
    .await;
    assert_eq!(refused["error"]["code"], -32602);
}

#[tokio::test]
async fn roots_go_to_a_2025_client_on_the_call_stream() {
    let edge = spawn(EdgeConfig::default()).await;
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "clientInfo": {"name": "t", "version": "1"},
        "capabilities": {"roots": {}, "elicitation": {}, "sampling": {}}}});
    let res = edge.post("demo", &[("accept", ACCEPT_BOTH)], &init).await;
    let session = res.headers()["mcp-session-id"]
        .to_str()
        .unwrap()
        .to_string();
    let headers = [
        ("accept", ACCEPT_BOTH),
        ("mcp-session-id", session.as_str()),
        ("mcp-protocol-version", "2025-11-25"),
    ];
    let body = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "gather", "arguments": {}}});
    let mut stream = common::SseReader::new(edge.post("demo", &headers, &body).await);
    let answers = [
        json!({"action": "accept", "content": {"name": "Ada"}}),
        json!({"role": "assistant", "content": {"type": "text", "text": "Hi"}, "model": "m"}),
        json!({"roots": [{"uri": "file:///src"}]}),
    ];
    let mut methods = Vec::new();
    for answer in answers {
        let request = loop {
            let e = stream.next().await.expect("the stream ended early");
            if e.data.get("method").is_some() && e.data.get("id").is_some() {
                break e.data;
            }
        };
        methods.push(request["method"].as_str().unwrap().to_string());
        let reply = json!({"jsonrpc": "2.0", "id": request["id"], "result": answer});
        assert_eq!(edge.post("demo", &headers, &reply).await.status(), 202);
    }
    assert_eq!(
        methods,
        ["elicitation/create", "sampling/createMessage", "roots/list"]
    );
    let last = stream.all().await.pop().unwrap();
    assert_eq!(
        last.data["result"]["content"][0]["text"],
        "Hi Ada at file:///src"
    );
}

#[tokio::test]
async fn param_headers_must_mirror_their_arguments() {
    let edge = spawn(EdgeConfig::default()).await;
    let send = |header: Option<&'static str>| {
        let edge = &edge;
        async move {
            let body = json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {
                "name": "region", "arguments": {"region": "Hello"},
                "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                          "io.modelcontextprotocol/clientCapabilities": {}}}});
            let mut h = vec![
                ("accept", ACCEPT_BOTH),
                ("mcp-protocol-version", "2026-07-28"),
                ("mcp-method", "tools/call"),
                ("mcp-name", "region"),
            ];
            if let Some(v) = header {
                h.push(("mcp-param-region", v));
            }
            let res = edge.post("demo", &h, &body).await;
            let status = res.status().as_u16();
            let body: Value = res.json().await.unwrap();
            (status, body["error"]["code"].as_i64())
        }
    };
    assert_eq!(send(Some("Hello")).await, (200, None));
    assert_eq!(send(Some("=?base64?SGVsbG8=?=")).await, (200, None));
    assert_eq!(send(Some("=?base64?SGVsbG8?=")).await, (400, Some(-32020)));
    assert_eq!(send(Some("Bye")).await, (400, Some(-32020)));
    assert_eq!(send(None).await, (400, Some(-32020)));
}

#[tokio::test]
async fn tasks_run_in_the_background_and_are_steered() {
    let edge = spawn(EdgeConfig::default()).await;
    let discover = call(&edge, "server/discover", json!({}), json!({})).await;
    assert_eq!(
        discover["result"]["capabilities"]["extensions"][TASKS],
        json!({})
    );

    // Without the extension: optional tools run as plain calls; required tools and tasks/* are refused.
    let plain = call(
        &edge,
        "tools/call",
        json!({"name": "job", "arguments": {"ms": 1}}),
        caps(false),
    )
    .await;
    assert_eq!(plain["result"]["resultType"], "complete");
    let refused = call(
        &edge,
        "tools/call",
        json!({"name": "must_task", "arguments": {}}),
        caps(false),
    )
    .await;
    assert_eq!(refused["error"]["code"], -32021);
    assert_eq!(
        refused["error"]["data"]["requiredCapabilities"]["extensions"][TASKS],
        json!({})
    );
    let refused = call(&edge, "tasks/get", json!({"taskId": "x"}), caps(false)).await;
    assert_eq!(refused["error"]["code"], -32021);
    let unknown = call(&edge, "tasks/get", json!({"taskId": "x"}), caps(true)).await;
    assert_eq!(unknown["error"]["code"], -32602);

    // A task is readable at once, then completes with its result inlined.
    let created = call(
        &edge,
        "tools/call",
        json!({"name": "job", "arguments": {"ms": 200}}),
        caps(true),
    )
    .await;
    let c = &created["result"];
    assert_eq!(
        (c["resultType"].clone(), c["status"].clone()),
        (json!("task"), json!("working"))
    );
    assert!(c["createdAt"].as_str().unwrap().ends_with('Z') && c["ttlMs"].as_u64().unwrap() > 0);
    assert!(c.get("result").is_none() && c.get("requestState").is_none());
    let id = c["taskId"].as_str().unwrap().to_string();
    let now = call(&edge, "tasks/get", json!({"taskId": id}), caps(true)).await;
    assert_eq!(now["result"]["taskId"], id.as_str());
    let done = wait_for(&edge, &id, "completed").await;
    assert_eq!(done["result"]["content"][0]["text"], "done");

    // Input inside a task: both asks are pending; answering one leaves the other; the second resumes.
    let created = call(
        &edge,
        "tools/call",
        json!({"name": "ask_job", "arguments": {}}),
        caps(true),
    )
    .await;
    let id = created["result"]["taskId"].as_str().unwrap().to_string();
    let parked = wait_for(&edge, &id, "input_required").await;
    assert_eq!(
        parked["inputRequests"]["first"]["method"],
        "elicitation/create"
    );
    assert!(parked["inputRequests"]["second"].is_object());
    let answer = |name: &str| json!({"action": "accept", "content": {"name": name}});
    let ack = call(
        &edge,
        "tasks/update",
        json!({"taskId": id, "inputResponses": {"first": answer("A"), "stray": {}}}),
        caps(true),
    )
    .await;
    // An empty acknowledgement, with the server named in its `_meta` as every 2026-era result is.
    let mut ack = ack["result"].clone();
    assert!(ack["_meta"]["io.modelcontextprotocol/serverInfo"].is_object());
    ack.as_object_mut().unwrap().remove("_meta");
    assert_eq!(ack, json!({"resultType": "complete"}));
    let still = call(&edge, "tasks/get", json!({"taskId": id}), caps(true)).await;
    let pending: Vec<_> = still["result"]["inputRequests"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(pending, ["second"]);
    call(
        &edge,
        "tasks/update",
        json!({"taskId": id, "inputResponses": {"second": answer("B")}}),
        caps(true),
    )
    .await;
    let done = wait_for(&edge, &id, "completed").await;
    assert_eq!(done["result"]["content"][0]["text"], "A and B");

    // Cancelling settles a running task as cancelled, and is acknowledged again once terminal.
    let created = call(
        &edge,
        "tools/call",
        json!({"name": "job", "arguments": {"ms": 400}}),
        caps(true),
    )
    .await;
    let id = created["result"]["taskId"].as_str().unwrap().to_string();
    for _ in 0..2 {
        let ack = call(&edge, "tasks/cancel", json!({"taskId": id}), caps(true)).await;
        // An empty acknowledgement, with the server named in its `_meta` as every 2026-era result is.
        let mut ack = ack["result"].clone();
        assert!(ack["_meta"]["io.modelcontextprotocol/serverInfo"].is_object());
        ack.as_object_mut().unwrap().remove("_meta");
        assert_eq!(ack, json!({"resultType": "complete"}));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = call(&edge, "tasks/get", json!({"taskId": id}), caps(true)).await;
    assert_eq!(got["result"]["status"], "cancelled");
}

#[tokio::test]
async fn a_required_task_asks_for_input_before_it_is_created() {
    let edge = spawn(EdgeConfig::default()).await;
    let first = call(
        &edge,
        "tools/call",
        json!({"name": "must_task", "arguments": {}}),
        caps(true),
    )
    .await;
    let r = &first["result"];
    assert_eq!(r["resultType"], "input_required");
    assert!(r.get("taskId").is_none());
    let second = call(
        &edge,
        "tools/call",
        json!({"name": "must_task", "arguments": {}, "requestState": r["requestState"],
               "inputResponses": {"name": {"action": "accept", "content": {"name": "Alice"}}}}),
        caps(true),
    )
    .await;
    let c = &second["result"];
    assert_eq!(c["resultType"], "task");
    assert!(c.get("requestState").is_none());
    let done = wait_for(&edge, c["taskId"].as_str().unwrap(), "completed").await;
    assert_eq!(
        done["result"]["content"][0]["text"],
        "Hello from the task, Alice!"
    );
}
