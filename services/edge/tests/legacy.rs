//! The 2025 era end to end: sessions, JSON and SSE replies, notifications, elicitation and sampling on
//! the call's stream, and resumption with `Last-Event-ID`.

mod common;

use berth_edge::EdgeConfig;
use common::{ACCEPT_BOTH, SseReader, spawn};
use serde_json::{Value, json};
use std::time::Duration;

#[tokio::test]
async fn session_lifecycle() {
    let edge = spawn(EdgeConfig::default()).await;
    let session = edge.initialize("demo").await;

    let res = edge
        .legacy("demo", &session, 1, "tools/list", json!({}))
        .await;
    let body: Value = res.json().await.unwrap();
    let tools = body["result"]["tools"].as_array().unwrap();
    assert!(tools.iter().any(|t| t["name"] == "test_simple_text"));
    assert!(
        body["result"].get("resultType").is_none(),
        "2025-era results carry no resultType"
    );

    let res = edge
        .legacy(
            "demo",
            &session,
            2,
            "tools/call",
            json!({"name": "test_simple_text", "arguments": {}}),
        )
        .await;
    assert_eq!(res.headers()["content-type"], "application/json");
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["result"]["content"][0]["text"],
        "This is a simple text response for testing."
    );

    for (method, params) in [
        ("ping", json!({})),
        ("logging/setLevel", json!({"level": "info"})),
        (
            "resources/subscribe",
            json!({"uri": "test://watched-resource"}),
        ),
    ] {
        let body: Value = edge
            .legacy("demo", &session, 3, method, params)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(body["result"], json!({}), "{method}");
    }

    // A session belongs to its project.
    let res = edge.legacy("other", &session, 4, "ping", json!({})).await;
    assert_eq!(res.status(), 404);

    let res = edge
        .http
        .delete(edge.url("demo"))
        .header("mcp-session-id", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = edge.legacy("demo", &session, 5, "ping", json!({})).await;
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn requests_without_a_session_are_refused() {
    let edge = spawn(EdgeConfig::default()).await;
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"});
    let res = edge.post("demo", &[("accept", ACCEPT_BOTH)], &body).await;
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Mcp-Session-Id")
    );
}

#[tokio::test]
async fn guest_errors_and_params() {
    let edge = spawn(EdgeConfig::default()).await;
    let s = edge.initialize("demo").await;
    let call = |id: u64, params: Value| edge.legacy("demo", &s, id, "tools/call", params);

    let body: Value = call(1, json!({"name": "test_error_handling"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["result"]["isError"], true);
    let body: Value = call(2, json!({"name": "no_such_tool"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["error"]["code"], -32602);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no_such_tool")
    );
    let body: Value = call(3, json!({"name": "test_simple_text", "arguments": "x"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["error"]["code"], -32602);

    let body: Value = edge
        .legacy(
            "demo",
            &s,
            4,
            "resources/read",
            json!({"uri": "test://nope"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            body["error"]["code"].clone(),
            body["error"]["data"]["uri"].clone()
        ),
        (json!(-32602), json!("test://nope"))
    );
    let body: Value = edge
        .legacy(
            "demo",
            &s,
            5,
            "resources/read",
            json!({"uri": "test://static-binary"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(body["result"]["contents"][0]["blob"].is_string());
    let body: Value = edge
        .legacy("demo", &s, 6, "nope/nope", json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["error"]["code"], -32601);
    let body: Value = edge
        .legacy("demo", &s, 7, "completion/complete", json!({"ref": {"type": "ref/prompt", "name": "test_prompt_with_arguments"}, "argument": {"name": "arg1", "value": "par"}}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        body["result"]["completion"]["values"],
        json!(["paris", "park", "party"])
    );
    let body: Value = edge
        .legacy(
            "demo",
            &s,
            8,
            "prompts/get",
            json!({"name": "test_prompt_with_arguments", "arguments": {"arg1": "a", "arg2": "b"}}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        body["result"]["messages"][0]["content"]["text"],
        "Prompt with arguments: arg1='a', arg2='b'"
    );
}

#[tokio::test]
async fn logging_and_progress_stream_as_sse() {
    let edge = spawn(EdgeConfig::default()).await;
    let s = edge.initialize("demo").await;
    let res = edge
        .legacy(
            "demo",
            &s,
            1,
            "tools/call",
            json!({"name": "test_tool_with_logging"}),
        )
        .await;
    let events = SseReader::new(res).all().await;
    assert_eq!(events[0].data, Value::Null, "a priming event comes first");
    let logs = events
        .iter()
        .filter(|e| e.data["method"] == "notifications/message")
        .count();
    assert_eq!(logs, 3);
    let last = events.last().unwrap();
    assert_eq!(last.data["id"], 1);
    assert!(
        events.iter().all(|e| e.id.is_some()),
        "every event is resumable"
    );

    let res = edge
        .legacy(
            "demo",
            &s,
            2,
            "tools/call",
            json!({"name": "test_tool_with_progress", "_meta": {"progressToken": "tok"}}),
        )
        .await;
    let events = SseReader::new(res).all().await;
    let progress: Vec<f64> = events
        .iter()
        .filter(|e| e.data["method"] == "notifications/progress")
        .map(|e| {
            assert_eq!(e.data["params"]["progressToken"], "tok");
            e.data["params"]["progress"].as_f64().unwrap()
        })
        .collect();
    assert_eq!(progress, vec![0.0, 50.0, 100.0]);

    // Below the session's level, logs are dropped.
    edge.legacy("demo", &s, 3, "logging/setLevel", json!({"level": "error"}))
        .await;
    let res = edge
        .legacy(
            "demo",
            &s,
            4,
            "tools/call",
            json!({"name": "test_tool_with_logging"}),
        )
        .await;
    let ct = res.headers()["content-type"].to_str().unwrap().to_string();
    let text = res.text().await.unwrap();
    assert!(!text.contains("notifications/message"), "{ct}: {text}");
}

#[tokio::test]
async fn elicitation_and_sampling_round_trip_on_the_call_stream() {
    let edge = spawn(EdgeConfig::default()).await;
    let s = edge.initialize("demo").await;
    let res = edge
        .legacy(
            "demo",
            &s,
            1,
            "tools/call",
            json!({"name": "test_elicitation", "arguments": {"message": "Who?"}}),
        )
        .await;
    let mut sse = SseReader::new(res);
    let request = loop {
        let e = sse.next().await.expect("elicitation request");
        if e.data["method"] == "elicitation/create" {
            break e.data;
        }
    };
    assert_eq!(request["params"]["message"], "Who?");
    let answer = json!({"jsonrpc": "2.0", "id": request["id"], "result": {"action": "accept", "content": {"username": "ann", "email": "a@b"}}});
    let res = edge.post("demo", &[("mcp-session-id", &s)], &answer).await;
    assert_eq!(res.status(), 202);
    let last = sse.all().await.pop().unwrap();
    assert!(
        last.data["result"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("\"username\":\"ann\"")
    );

    // An answer from another session does not reach the guest.
    let res = edge
        .legacy(
            "demo",
            &s,
            2,
            "tools/call",
            json!({"name": "test_sampling", "arguments": {"prompt": "hi"}}),
        )
        .await;
    let mut sse = SseReader::new(res);
    let request = loop {
        let e = sse.next().await.expect("sampling request");
        if e.data["method"] == "sampling/createMessage" {
            break e.data;
        }
    };
    let reply = json!({"jsonrpc": "2.0", "id": request["id"], "result": {"role": "assistant", "content": {"type": "text", "text": "Paris"}, "model": "m"}});
    let intruder = edge.initialize("demo").await;
    assert_eq!(
        edge.post("demo", &[("mcp-session-id", &intruder)], &reply)
            .await
            .status(),
        400
    );
    assert_eq!(
        edge.post("demo", &[("mcp-session-id", &s)], &reply)
            .await
            .status(),
        202
    );
    let last = sse.all().await.pop().unwrap();
    assert_eq!(
        last.data["result"]["content"][0]["text"],
        "LLM response: Paris"
    );
}

#[tokio::test]
async fn a_closed_stream_resumes_with_last_event_id() {
    let edge = spawn(EdgeConfig {
        sse_close_after: Some(Duration::from_millis(300)),
        ..Default::default()
    })
    .await;
    let s = edge.initialize("demo").await;
    let res = edge
        .legacy(
            "demo",
            &s,
            1,
            "tools/call",
            json!({"name": "test_reconnection"}),
        )
        .await;
    let events = SseReader::new(res).all().await;
    assert!(
        events.iter().all(|e| e.data.get("result").is_none()),
        "the stream closes before the result"
    );
    let last_id = events
        .last()
        .and_then(|e| e.id.clone())
        .expect("an event id to resume from");
    let res = edge
        .http
        .get(edge.url("demo"))
        .header("accept", "text/event-stream")
        .header("mcp-session-id", &s)
        .header("last-event-id", &last_id)
        .send()
        .await
        .unwrap();
    let events = SseReader::new(res).all().await;
    let result = events
        .iter()
        .find(|e| e.data["id"] == 1)
        .expect("the result after resuming");
    assert_eq!(
        result.data["result"]["content"][0]["text"],
        "Reconnection test completed"
    );
}

#[tokio::test]
async fn concurrent_calls_in_one_session() {
    let edge = spawn(EdgeConfig::default()).await;
    let s = edge.initialize("demo").await;
    let calls = (0..3).map(|i| {
        edge.legacy(
            "demo",
            &s,
            100 + i,
            "tools/call",
            json!({"name": "slow", "arguments": {"ms": 50}}),
        )
    });
    for res in futures::future::join_all(calls).await {
        assert_eq!(res.status(), 200);
        let text = res.text().await.unwrap();
        assert!(text.contains("done"), "{text}");
    }
}

#[tokio::test]
async fn a_cancelled_call_ends_without_a_response() {
    let edge = spawn(EdgeConfig::default()).await;
    let s = edge.initialize("demo").await;
    let other = edge.initialize("demo").await;
    // Were it not cancelled, the call would answer "done" on its stream after 3 s.
    let res = edge
        .legacy(
            "demo",
            &s,
            7,
            "tools/call",
            json!({"name": "slow", "arguments": {"ms": 3_000}}),
        )
        .await;
    let cancel = |session: &str| {
        let body = json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
            "params": {"requestId": 7, "reason": "the user gave up"}});
        let session = session.to_string();
        let edge = &edge;
        async move {
            edge.post(
                "demo",
                &[
                    ("mcp-session-id", session.as_str()),
                    ("mcp-protocol-version", "2025-11-25"),
                ],
                &body,
            )
            .await
            .status()
        }
    };
    // Another session's cancellation of the same request id touches nothing.
    assert_eq!(cancel(&other).await, 202);
    let mut reader = SseReader::new(res);
    let priming = reader.next().await.expect("a priming event");
    assert_eq!(priming.data, Value::Null);
    assert_eq!(cancel(&s).await, 202);
    let rest = tokio::time::timeout(Duration::from_secs(20), reader.all())
        .await
        .expect("the cancelled call's stream ended");
    assert!(
        rest.iter()
            .all(|e| e.data.get("result").is_none() && e.data.get("error").is_none()),
        "a cancelled request gets no response: {rest:?}"
    );
    // The session goes on.
    let res = edge
        .legacy(
            "demo",
            &s,
            8,
            "tools/call",
            json!({"name": "test_simple_text"}),
        )
        .await;
    let body = res.text().await.unwrap();
    assert!(body.contains("simple text response"), "{body}");
}
