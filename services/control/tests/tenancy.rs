//! No tenant takes another's URL or more than the operator allows: through the real router.

mod support;

use axum::http::{Method, StatusCode};
use berth_core::{LimitPolicy, Limits};
use serde_json::json;
use support::Harness;

#[tokio::test]
async fn a_new_project_cannot_take_a_preview_url() {
    let h = Harness::new().await;
    // Uploading creates the project on first deploy: refused for a name of the preview form.
    let req = axum::http::Request::post("/api/v1/projects/foo-pr-1/deployments")
        .header("authorization", format!("Bearer {}", h.alice_token))
        .body(axum::body::Body::from(support::tarball("x")))
        .unwrap();
    let reply = h.send(req).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.json);
    let message = reply.json["error"]["message"].as_str().unwrap();
    assert!(message.contains("pull-request previews"), "{message}");
    assert!(h.store.project("foo-pr-1").await.unwrap().is_none());
    // Creating it from a repository is refused before anything else is looked at.
    let body = json!({"slug": "foo-pr-1", "repo": "alice/foo"});
    let reply = h
        .api(Method::POST, "/api/v1/projects", &h.alice_token, Some(body))
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.json);
    assert!(
        reply.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("-pr-<digits>")
    );
}

/// The harness's API with the operator's `policy`.
fn with_policy(mut h: Harness, policy: LimitPolicy) -> Harness {
    h.state = h.state.clone().with_limits(policy);
    h.app = berth_control::router(h.state.clone());
    h
}

async fn patch_limits(h: &Harness, limits: serde_json::Value) -> support::Reply {
    h.api(
        Method::PATCH,
        "/api/v1/projects/weather",
        &h.alice_token,
        Some(json!({ "limits": limits })),
    )
    .await
}

#[tokio::test]
async fn limits_stay_within_the_operators_ceilings() {
    let h = Harness::new().await;
    h.deploy("weather", &h.alice_token, "v1").await;
    // The default ceilings: each limit a tenant sets is bounded.
    for (field, value, ceiling) in [
        ("memoryMib", 1 << 20, "4096"),
        ("timeoutMs", 86_400_000, "600000"),
        ("maxResponseBytes", 1 << 40, "67108864"),
        ("maxWarmInstances", 100_000, "64"),
        ("maxConcurrentCalls", 100_000, "64"),
        ("maxQueuedCalls", 1_000_000, "1024"),
        ("maxRequestsPerInstance", u64::MAX, "1000000"),
    ] {
        let reply = patch_limits(&h, json!({ field: value })).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{field}: {}",
            reply.json
        );
        let message = reply.json["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(field) && message.contains(&format!("ceiling of {ceiling}")),
            "{message}"
        );
    }
    let reply = patch_limits(&h, json!({"maxConcurrentCalls": 0})).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let reply = patch_limits(&h, json!({"cpuShare": 5})).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(
        reply.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("`limits.cpuShare` is not a limit")
    );
    let stored = h.store.project("weather").await.unwrap().unwrap();
    assert_eq!(
        stored.limits,
        Limits::default(),
        "nothing refused was stored"
    );

    // An operator's lower ceilings and defaults: new projects start with the defaults, and a change
    // names the operator's ceiling.
    let mut ceilings = LimitPolicy::default().ceilings().clone();
    ceilings.memory_mib = 512;
    let defaults = Limits {
        memory_mib: 128,
        ..Limits::default()
    };
    let h = with_policy(h, LimitPolicy::new(defaults, ceilings).unwrap());
    h.deploy("second", &h.alice_token, "v1").await;
    let second = h.store.project("second").await.unwrap().unwrap();
    assert_eq!(second.limits.memory_mib, 128);
    let reply = patch_limits(&h, json!({"memoryMib": 1024})).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.json);
    assert!(
        reply.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("ceiling of 512")
    );
    // Within bounds it is saved, and the limits not named keep their value.
    let reply = patch_limits(&h, json!({"memoryMib": 512, "timeoutMs": 5000})).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    let reply = patch_limits(&h, json!({"maxWarmInstances": 2})).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    assert_eq!(reply.json["limits"]["memoryMib"], 512);
    assert_eq!(reply.json["limits"]["timeoutMs"], 5000);
    assert_eq!(reply.json["limits"]["maxWarmInstances"], 2);
    // The live deployment serves under the new limits at once: its route was published again.
    assert_eq!(reply.json["liveDeploymentsUpdated"], 1, "{}", reply.json);
    let live = h.last_route("weather");
    assert_eq!(
        (
            live.limits.memory_mib,
            live.limits.timeout_ms,
            live.limits.max_warm_instances
        ),
        (512, 5000, 2)
    );
    // Saving the same limits again publishes nothing.
    let reply = patch_limits(&h, json!({"maxWarmInstances": 2})).await;
    assert_eq!(reply.json["liveDeploymentsUpdated"], 0, "{}", reply.json);
}
