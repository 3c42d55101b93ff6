//! The hosts a project's deployments may reach, extended in its settings: checked when set, merged
//! with what the deployment's berth.toml allows, and handed to the live routes without a rebuild.

mod support;

use axum::http::{Method, StatusCode};
use serde_json::json;
use support::{Harness, user};

#[tokio::test]
async fn allowed_hosts_set_in_settings_join_berth_toml_s_on_the_live_route() {
    let h = Harness::new().await;
    let alice = h.alice_token.clone();
    h.deploy("tools", &alice, "v1 allow:api.built.example")
        .await;
    let route = h.last_route("tools");
    assert!(route.network_allow.allows("api.built.example", 443));
    assert!(!route.network_allow.allows("api.set.example", 443));

    let path = "/api/v1/projects/tools";
    let body =
        json!({"networkAllow": ["api.set.example", " *.more.example:8443 ", "api.set.example"]});
    let reply = h.api(Method::PATCH, path, &alice, Some(body)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    assert_eq!(
        reply.json["networkAllow"],
        json!(["api.set.example", "*.more.example:8443"]),
        "trimmed, repeats dropped"
    );
    assert_eq!(reply.json["liveDeploymentsUpdated"], 1);
    let route = h.last_route("tools");
    assert!(
        route.network_allow.allows("api.built.example", 443),
        "berth.toml's stay"
    );
    assert!(route.network_allow.allows("api.set.example", 443));
    assert!(route.network_allow.allows("x.more.example", 8443));
    assert!(!route.network_allow.allows("x.more.example", 443));
    let shown = h.api(Method::GET, path, &alice, None).await;
    assert_eq!(shown.json["networkAllow"][0], "api.set.example");

    // A bad entry is refused naming it, and nothing changes.
    for (bad, says) in [
        (json!(["https://api.example.com/v1"]), "is a URL"),
        (json!("api.example.com"), "a list of hosts"),
        (json!([42]), "each host is a string"),
        (json!(["api.example.com:99999"]), "port"),
    ] {
        let reply = h
            .api(
                Method::PATCH,
                path,
                &alice,
                Some(json!({"networkAllow": bad})),
            )
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.json);
        let message = reply.json["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("`networkAllow`") && message.contains(says),
            "{message}"
        );
    }
    assert!(
        h.last_route("tools")
            .network_allow
            .allows("api.set.example", 443)
    );

    // Someone else cannot change it.
    let (_, bob) = user(&h.store, "bob").await;
    let reply = h
        .api(
            Method::PATCH,
            path,
            &bob,
            Some(json!({"networkAllow": ["evil.example"]})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);

    // Clearing leaves berth.toml's list.
    let reply = h
        .api(
            Method::PATCH,
            path,
            &alice,
            Some(json!({"networkAllow": []})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    let route = h.last_route("tools");
    assert!(route.network_allow.allows("api.built.example", 443));
    assert!(!route.network_allow.allows("api.set.example", 443));
}
