//! OAuth access tokens at the edge: an ES256 JWT from Berth's authorization server opens its own
//! project and no other; expired, foreign-issuer, forged, `alg: none`, HMAC-confused and unknown-key
//! tokens are `invalid_token`; one without the `mcp` scope is 403 `insufficient_scope`; a rotated-out
//! key stops working.

mod common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use berth_core::Access;
use berth_edge::{Edge, EdgeConfig, Route, RouteTable, TokenKeys};
use common::{ACCEPT_BOTH, fixtures};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use serde_json::{Value, json};
use std::sync::Arc;

const PUBLIC_URL: &str = "https://mcp.example.com";

/// A P-256 key: its id, its private key for signing, and its public coordinates.
struct Key {
    kid: String,
    private: EncodingKey,
    x: String,
    y: String,
}

fn key(kid: &str) -> Key {
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let pair =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap();
    let point = pair.public_key().as_ref();
    Key {
        kid: kid.into(),
        private: EncodingKey::from_ec_der(pkcs8.as_ref()),
        x: URL_SAFE_NO_PAD.encode(&point[1..33]),
        y: URL_SAFE_NO_PAD.encode(&point[33..]),
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn claims(project: &str) -> Value {
    json!({
        "iss": PUBLIC_URL, "sub": "u-1", "aud": format!("{PUBLIC_URL}/{project}/mcp"),
        "client_id": "c-1", "scope": "mcp", "iat": now(), "exp": now() + 600, "jti": "j-1",
    })
}

fn sign(key: &Key, claims: &Value) -> String {
    let header = Header {
        kid: Some(key.kid.clone()),
        typ: Some("at+jwt".into()),
        ..Header::new(Algorithm::ES256)
    };
    jsonwebtoken::encode(&header, claims, &key.private).unwrap()
}

struct Private {
    base: String,
    keys: TokenKeys,
    http: reqwest::Client,
}

fn private_route(slug: &str) -> Route {
    Route {
        access: Arc::new(Access::new(true, [])),
        ..fixtures::route(slug)
    }
}

async fn spawn(signer: &Key) -> Private {
    let routes = RouteTable::new();
    routes.set(private_route("demo"));
    routes.set(private_route("other"));
    routes.set(fixtures::route("open"));
    let keys = TokenKeys::new();
    keys.set_es256([(signer.kid.as_str(), signer.x.as_str(), signer.y.as_str())])
        .unwrap();
    let config = EdgeConfig {
        public_url: Some(PUBLIC_URL.into()),
        ..EdgeConfig::default()
    };
    let router = Edge::builder(routes, Arc::new(fixtures::Fixtures))
        .config(config)
        .token_keys(keys.clone())
        .into_router();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    Private {
        base,
        keys,
        http: reqwest::Client::new(),
    }
}

fn initialize() -> Value {
    json!({ "jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {},
        "clientInfo": { "name": "test", "version": "1" } } })
}

impl Private {
    /// The status and `WWW-Authenticate` of an `initialize` with this token.
    async fn call(&self, project: &str, token: &str) -> (u16, String) {
        let res = self
            .http
            .post(format!("{}/{project}/mcp", self.base))
            .header("accept", ACCEPT_BOTH)
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {token}"))
            .body(initialize().to_string())
            .send()
            .await
            .unwrap();
        let challenge = res
            .headers()
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        (res.status().as_u16(), challenge)
    }
}

fn invalid_token(answer: &(u16, String), what: &str) {
    assert_eq!(answer.0, 401, "{what}");
    assert!(
        answer.1.starts_with("Bearer error=\"invalid_token\""),
        "{what}: {}",
        answer.1
    );
}

#[tokio::test]
async fn a_token_opens_its_own_project_only() {
    let signer = key("k-1");
    let edge = spawn(&signer).await;
    let token = sign(&signer, &claims("demo"));
    assert_eq!(edge.call("demo", &token).await.0, 200);
    // A token for demo at other: another audience.
    let at_other = edge.call("other", &token).await;
    invalid_token(&at_other, "another project");
    assert!(at_other.1.contains("another resource"), "{}", at_other.1);
    // A public project needs nothing and minds no token.
    assert_eq!(edge.call("open", &token).await.0, 200);
}

#[tokio::test]
async fn bad_tokens_are_invalid_tokens() {
    let signer = key("k-1");
    let edge = spawn(&signer).await;
    let mut expired = claims("demo");
    expired["exp"] = json!(now() - 3600);
    expired["iat"] = json!(now() - 7200);
    invalid_token(
        &edge.call("demo", &sign(&signer, &expired)).await,
        "expired",
    );

    let mut foreign = claims("demo");
    foreign["iss"] = json!("https://other-berth.example");
    invalid_token(&edge.call("demo", &sign(&signer, &foreign)).await, "issuer");

    let mut no_audience = claims("demo");
    no_audience.as_object_mut().unwrap().remove("aud");
    invalid_token(
        &edge.call("demo", &sign(&signer, &no_audience)).await,
        "no aud",
    );

    // Signed by another key under the same key id: a forged signature.
    let forger = key("k-1");
    invalid_token(
        &edge.call("demo", &sign(&forger, &claims("demo"))).await,
        "forged",
    );
    // A key the edge does not know.
    let stranger = key("k-unknown");
    invalid_token(
        &edge.call("demo", &sign(&stranger, &claims("demo"))).await,
        "unknown kid",
    );

    // `alg: none`, with and without a signature.
    let body = URL_SAFE_NO_PAD.encode(claims("demo").to_string());
    for header in [
        json!({"alg": "none", "kid": "k-1"}),
        json!({"alg": "None", "kid": "k-1", "typ": "JWT"}),
    ] {
        let head = URL_SAFE_NO_PAD.encode(header.to_string());
        for token in [format!("{head}.{body}."), format!("{head}.{body}.AAAA")] {
            invalid_token(&edge.call("demo", &token).await, "alg none");
        }
    }
    // HS256 keyed with the public key's coordinates (algorithm confusion).
    let hmac = EncodingKey::from_secret(signer.x.as_bytes());
    let header = Header {
        kid: Some("k-1".into()),
        ..Header::new(Algorithm::HS256)
    };
    let confused = jsonwebtoken::encode(&header, &claims("demo"), &hmac).unwrap();
    invalid_token(&edge.call("demo", &confused).await, "HS256");
    // The payload changed after signing.
    let token = sign(&signer, &claims("demo"));
    let parts: Vec<&str> = token.split('.').collect();
    let other_body = URL_SAFE_NO_PAD.encode(claims("other").to_string());
    let tampered = format!("{}.{other_body}.{}", parts[0], parts[2]);
    invalid_token(&edge.call("other", &tampered).await, "tampered");
    invalid_token(&edge.call("demo", "a.b.c").await, "garbage");
}

#[tokio::test]
async fn a_token_without_the_mcp_scope_is_forbidden() {
    let signer = key("k-1");
    let edge = spawn(&signer).await;
    let mut narrow = claims("demo");
    narrow["scope"] = json!("profile");
    let (status, challenge) = edge.call("demo", &sign(&signer, &narrow)).await;
    assert_eq!(status, 403);
    assert!(
        challenge.starts_with("Bearer error=\"insufficient_scope\", scope=\"mcp\", resource_metadata=\"https://mcp.example.com/.well-known/oauth-protected-resource/demo/mcp\""),
        "{challenge}"
    );
}

#[tokio::test]
async fn rotated_out_keys_stop_working() {
    let old = key("k-old");
    let edge = spawn(&old).await;
    let token = sign(&old, &claims("demo"));
    assert_eq!(edge.call("demo", &token).await.0, 200);
    let new = key("k-new");
    edge.keys
        .set_es256([
            (old.kid.as_str(), old.x.as_str(), old.y.as_str()),
            (new.kid.as_str(), new.x.as_str(), new.y.as_str()),
        ])
        .unwrap();
    assert_eq!(edge.call("demo", &token).await.0, 200, "still listed");
    assert_eq!(edge.call("demo", &sign(&new, &claims("demo"))).await.0, 200);
    edge.keys
        .set_es256([(new.kid.as_str(), new.x.as_str(), new.y.as_str())])
        .unwrap();
    invalid_token(&edge.call("demo", &token).await, "retired key");
    assert!(edge.keys.set_es256([("bad", "not-base64!", "x")]).is_err());
}
