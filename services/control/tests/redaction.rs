//! No secret value reaches a `Debug` print (and so no log line or panic message): the encryption keys,
//! the GitHub client and webhook secrets, sign-in state, and a project's environment.

use berth_control::{Authorization, GitOptions, Keyring, LiveRoute};
use berth_core::{Limits, ProjectSlug, ServerDescription};
use std::sync::Arc;

/// `{:?}` and `{:#?}` of `value` hold none of `secrets`.
fn assert_hidden(value: &impl std::fmt::Debug, secrets: &[&str]) -> String {
    let shown = format!("{value:?} {value:#?}");
    for secret in secrets {
        assert!(!shown.contains(secret), "{secret} shows in {shown}");
    }
    shown
}

#[test]
fn a_live_route_shows_its_environment_names_only() {
    let route = LiveRoute {
        slug: ProjectSlug::parse("weather").unwrap(),
        project_id: "p-1".into(),
        deployment_id: "d-1".into(),
        artifact: "sha256-x".into(),
        description: Arc::new(ServerDescription::default()),
        limits: Limits::default(),
        env: Arc::new(vec![
            ("API_KEY".into(), "sk-live-secret-value".into()),
            ("REGION".into(), "eu-west-plain-value".into()),
        ]),
        network_allow: Default::default(),
        secrets: Default::default(),
        access: Arc::new(berth_core::Access::new(
            true,
            [("k-1".to_string(), [0xab; 32])],
        )),
    };
    let shown = assert_hidden(
        &route,
        &["sk-live-secret-value", "eu-west-plain-value", "abab", "171"],
    );
    assert!(
        shown.contains("API_KEY") && shown.contains("weather"),
        "{shown}"
    );
}

#[test]
fn keys_and_github_secrets_never_show() {
    let key = "ab".repeat(32);
    let keyring = Keyring::from_hex(&key).unwrap();
    assert_hidden(&keyring, &[&key, &key[..16]]);

    let options = GitOptions {
        github: Some(berth_github::GitHubConfig {
            api_base: "https://api.github.com".into(),
            web_base: "https://github.com".into(),
            client_id: "Iv1.client-id".into(),
            client_secret: "gh-client-secret-value".into(),
            webhook_secret: "gh-webhook-secret-value".into(),
        }),
        ..Default::default()
    };
    let shown = assert_hidden(
        &options,
        &["gh-client-secret-value", "gh-webhook-secret-value"],
    );
    assert!(shown.contains("Iv1.client-id"), "{shown}");

    let sign_in = Authorization {
        url: "https://github.com/login/oauth/authorize".into(),
        state: "oauth-state-value".into(),
        pkce_verifier: "pkce-verifier-value".into(),
    };
    assert_hidden(&sign_in, &["oauth-state-value", "pkce-verifier-value"]);
}
