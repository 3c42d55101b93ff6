//! GitHub webhooks: the `X-Hub-Signature-256` check (HMAC SHA-256 of the raw body with the webhook
//! secret, compared in constant time), and the payloads Berth acts on (`push`, `pull_request`, `ping`).
//!
//! Verify first, parse after: nothing of a delivery is read before its signature holds.

use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

/// Why a delivery's signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the delivery has no X-Hub-Signature-256 header; set a secret on the webhook")]
    Missing,
    #[error("the X-Hub-Signature-256 header is not `sha256=<64 hex digits>`")]
    Malformed,
    #[error(
        "the X-Hub-Signature-256 signature does not match this body and the configured webhook secret"
    )]
    Mismatch,
}

/// Checks `X-Hub-Signature-256: sha256=<hex>` against the HMAC SHA-256 of `body` under `secret`.
pub fn verify(secret: &[u8], body: &[u8], header: Option<&str>) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let hex_sig = header
        .trim()
        .strip_prefix("sha256=")
        .ok_or(SignatureError::Malformed)?;
    let expected = hex::decode(hex_sig).map_err(|_| SignatureError::Malformed)?;
    if expected.len() != 32 {
        return Err(SignatureError::Malformed);
    }
    let mut mac = mac(secret);
    mac.update(body);
    mac.verify_slice(&expected)
        .map_err(|_| SignatureError::Mismatch)
}

/// The `X-Hub-Signature-256` value GitHub would send for `body` (for tests and stand-ins).
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = mac(secret);
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn mac(secret: &[u8]) -> Hmac<Sha256> {
    // HMAC takes keys of any length; this cannot fail.
    <Hmac<Sha256> as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"))
}

/// A repository as webhook payloads name it.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct PayloadRepository {
    pub id: i64,
    pub full_name: String,
    #[serde(default)]
    pub private: bool,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Account {
    pub login: String,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct CommitAuthor {
    pub name: String,
    #[serde(default)]
    pub username: Option<String>,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct HeadCommit {
    pub id: String,
    pub message: String,
    pub author: CommitAuthor,
}

/// A `push` event: `ref` moved to `after`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Push {
    #[serde(rename = "ref")]
    pub git_ref: String,
    pub after: String,
    #[serde(default)]
    pub deleted: bool,
    pub repository: PayloadRepository,
    #[serde(default)]
    pub head_commit: Option<HeadCommit>,
    #[serde(default)]
    pub sender: Option<Account>,
}

impl Push {
    /// The branch pushed to, if a branch was (not a tag).
    pub fn branch(&self) -> Option<&str> {
        self.git_ref.strip_prefix("refs/heads/")
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct PullRequestHead {
    pub sha: String,
    #[serde(rename = "ref")]
    pub git_ref: String,
    /// The repository the head branch lives in (a fork's, or `None` if the fork was deleted).
    #[serde(default)]
    pub repo: Option<PayloadRepository>,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct PullRequestDetails {
    pub number: u64,
    pub title: String,
    pub head: PullRequestHead,
    pub user: Account,
}

/// A `pull_request` event.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct PullRequest {
    pub action: String,
    pub number: u64,
    pub pull_request: PullRequestDetails,
    pub repository: PayloadRepository,
}

/// A `ping` event, sent when a webhook is created.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Ping {
    #[serde(default)]
    pub zen: Option<String>,
    #[serde(default)]
    pub hook_id: Option<i64>,
}

/// A verified delivery's event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    Push(Push),
    PullRequest(PullRequest),
    Ping(Ping),
    /// An event Berth does not act on (its `X-GitHub-Event` name).
    Other(String),
}

impl Event {
    /// Parses a delivery's body by its `X-GitHub-Event` name. Call only after [`verify`].
    pub fn parse(event: &str, body: &[u8]) -> Result<Event, serde_json::Error> {
        Ok(match event {
            "push" => Event::Push(serde_json::from_slice(body)?),
            "pull_request" => Event::PullRequest(serde_json::from_slice(body)?),
            "ping" => Event::Ping(serde_json::from_slice(body)?),
            other => Event::Other(other.to_string()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example from GitHub's "Validating webhook deliveries" guide.
    #[test]
    fn githubs_documented_example_verifies() {
        let header = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        assert_eq!(
            sign(b"It's a Secret to Everybody", b"Hello, World!"),
            header
        );
        assert_eq!(
            verify(
                b"It's a Secret to Everybody",
                b"Hello, World!",
                Some(header)
            ),
            Ok(())
        );
    }

    #[test]
    fn refuses_missing_malformed_and_forged_signatures() {
        let body = br#"{"zen":"hi"}"#;
        let good = sign(b"secret", body);
        assert_eq!(verify(b"secret", body, None), Err(SignatureError::Missing));
        assert_eq!(
            verify(b"secret", body, Some("sha1=abc")),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify(b"secret", body, Some("sha256=zz")),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify(b"secret", body, Some("sha256=abcd")),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify(b"other", body, Some(&good)),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(b"secret", br#"{"zen":"ho"}"#, Some(&good)),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn parses_push_and_pull_request_payloads() {
        let push = br#"{"ref":"refs/heads/main","before":"0","after":"abc123","deleted":false,
            "repository":{"id":1,"full_name":"octo/tools","private":true,"owner":{"login":"octo"}},
            "head_commit":{"id":"abc123","message":"Add a tool","author":{"name":"Octo Cat","username":"octo"}},
            "sender":{"login":"octo"},"commits":[]}"#;
        let Event::Push(p) = Event::parse("push", push).unwrap() else {
            panic!("not a push")
        };
        assert_eq!(p.branch(), Some("main"));
        assert_eq!(
            p.head_commit.unwrap().author.username.as_deref(),
            Some("octo")
        );
        let pr = br#"{"action":"synchronize","number":7,"repository":{"id":1,"full_name":"octo/tools"},
            "pull_request":{"number":7,"title":"T","user":{"login":"octo"},
            "head":{"sha":"def","ref":"feature","repo":{"id":1,"full_name":"octo/tools"}},"base":{"ref":"main"}}}"#;
        let Event::PullRequest(p) = Event::parse("pull_request", pr).unwrap() else {
            panic!("not a PR")
        };
        assert_eq!(
            (
                p.action.as_str(),
                p.number,
                p.pull_request.head.sha.as_str()
            ),
            ("synchronize", 7, "def")
        );
        assert_eq!(
            Event::parse("issues", b"{}").unwrap(),
            Event::Other("issues".into())
        );
        assert!(Event::parse("push", b"{}").is_err());
    }
}
