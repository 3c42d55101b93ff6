//! Webhook deliveries as GitHub sends them, and the payloads of `push` and `pull_request` events.

use anyhow::{Context, Result};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

/// One delivery: headers and body, ready to send (and to send again, for replay tests).
#[derive(Clone, Debug)]
pub struct Delivery {
    pub event: String,
    pub id: String,
    pub signature: String,
    pub body: Vec<u8>,
}

impl Delivery {
    /// Signs `payload` with `secret`, under a fresh delivery id (a GUID, as GitHub's are).
    pub fn new(secret: &str, event: &str, payload: &Value) -> Delivery {
        let body = serde_json::to_vec(payload).unwrap_or_default();
        let r: [u8; 16] = rand::random();
        let h = hex::encode(r);
        let id = format!(
            "{}-{}-{}-{}-{}",
            &h[..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..]
        );
        Delivery {
            event: event.into(),
            id,
            signature: sign(secret.as_bytes(), &body),
            body,
        }
    }

    /// The same delivery with its body replaced and its signature left as it was (a forgery).
    pub fn tampered(&self, body: Vec<u8>) -> Delivery {
        Delivery {
            body,
            ..self.clone()
        }
    }

    pub(crate) async fn send(&self, http: &reqwest::Client, url: &str) -> Result<(u16, String)> {
        let response = http
            .post(url)
            .header("content-type", "application/json")
            .header("user-agent", "GitHub-Hookshot/berth-standin")
            .header("x-github-event", &self.event)
            .header("x-github-delivery", &self.id)
            .header("x-github-hook-id", "4242")
            .header("x-hub-signature-256", &self.signature)
            .body(self.body.clone())
            .send()
            .await
            .with_context(|| format!("delivering a webhook to {url}"))?;
        let status = response.status().as_u16();
        Ok((status, response.text().await.unwrap_or_default()))
    }
}

fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("any key length"));
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// A `push` payload: `branch` moved from `before` to `after`, whose commit has `message`.
pub fn push_payload(
    repository: &Value,
    branch: &str,
    before: &str,
    after: &str,
    message: &str,
) -> Value {
    let html = repository["html_url"].as_str().unwrap_or_default();
    let commit = json!({
        "id": after, "tree_id": "0000000000000000000000000000000000000000", "distinct": true,
        "message": message, "timestamp": "2026-01-01T00:00:00Z", "url": format!("{html}/commit/{after}"),
        "author": {"name": "Octo Cat", "email": "octo@example.com", "username": "octo"},
        "committer": {"name": "Octo Cat", "email": "octo@example.com", "username": "octo"},
        "added": [], "removed": [], "modified": ["server.py"],
    });
    json!({
        "ref": format!("refs/heads/{branch}"), "before": before, "after": after,
        "created": before.chars().all(|c| c == '0'), "deleted": false, "forced": false, "base_ref": null,
        "compare": format!("{html}/compare/{}...{}", &before[..before.len().min(12)], &after[..after.len().min(12)]),
        "commits": [commit.clone()], "head_commit": commit,
        "repository": repository, "pusher": {"name": "octo", "email": "octo@example.com"},
        "sender": {"login": "octo", "id": 1001, "type": "User"},
    })
}

/// A `pull_request` payload for `action` (opened, synchronize, reopened, closed) on PR `number`.
pub fn pull_request_payload(
    repository: &Value,
    action: &str,
    number: u64,
    head_ref: &str,
    head_sha: &str,
) -> Value {
    let html = repository["html_url"].as_str().unwrap_or_default();
    json!({
        "action": action, "number": number,
        "pull_request": {
            "url": format!("{html}/pulls/{number}"), "id": 90000 + number, "number": number,
            "state": if action == "closed" { "closed" } else { "open" }, "title": format!("Change #{number}"),
            "user": {"login": "octo", "id": 1001}, "body": null, "merged": false,
            "head": {"label": format!("octo:{head_ref}"), "ref": head_ref, "sha": head_sha, "repo": repository},
            "base": {"label": "octo:main", "ref": "main", "sha": "0000000000000000000000000000000000000000", "repo": repository},
        },
        "repository": repository, "sender": {"login": "octo", "id": 1001, "type": "User"},
    })
}
