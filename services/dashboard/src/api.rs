//! The dashboard speaks to the control plane's own HTTP API, in process: the browser's cookie (and, for
//! changes, its CSRF token) go along, so every page sees exactly what the API lets that user see and
//! change, through one code path for sign-in, permissions, secrets and validation.

use axum::Router;
use axum::body::Body;
use axum::http::header::{CONTENT_TYPE, COOKIE};
use axum::http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

/// Largest API answer the dashboard reads.
const MAX_ANSWER_BYTES: usize = 4 * 1024 * 1024;

/// What the API said when it refused.
#[derive(Clone, Debug, PartialEq)]
pub struct Refusal {
    pub status: StatusCode,
    /// The error code from `{"error": {"code", "message"}}`, when the API sent one.
    pub code: Option<String>,
    pub message: String,
}

impl Refusal {
    /// Whether the API has no such route or method (an endpoint this build of the control plane lacks).
    pub fn missing_endpoint(&self) -> bool {
        self.code.is_none()
            && matches!(
                self.status,
                StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED
            )
    }
}

/// The control plane's API router, called in process.
#[derive(Clone)]
pub struct Api {
    router: Router,
}

impl Api {
    pub fn new(router: Router) -> Self {
        Self { router }
    }

    /// Calls `method path` as the browser behind `headers` (its cookies), with `csrf` in the
    /// `X-CSRF-Token` header and `body` as JSON when given. Returns the JSON answer (`null` when empty).
    pub async fn call(
        &self,
        headers: &HeaderMap,
        method: Method,
        path: &str,
        csrf: Option<&str>,
        body: Option<Value>,
    ) -> Result<Value, Refusal> {
        let mut req = Request::builder().method(method).uri(path);
        for cookie in headers.get_all(COOKIE) {
            req = req.header(COOKIE, cookie);
        }
        if let Some(token) = csrf {
            req = req.header("x-csrf-token", token);
        }
        let req = match body {
            Some(json) => req
                .header(CONTENT_TYPE, "application/json")
                .body(Body::from(json.to_string())),
            None => req.body(Body::empty()),
        }
        .map_err(|e| internal(e.to_string()))?;
        let response = self
            .router
            .clone()
            .oneshot(req)
            .await
            .map_err(|e| internal(e.to_string()))?;
        let status = response.status();
        let bytes = http_body_util::Limited::new(response.into_body(), MAX_ANSWER_BYTES)
            .collect()
            .await
            .map_err(|e| internal(e.to_string()))?
            .to_bytes();
        let json: Value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::Null)
        };
        if status.is_success() {
            return Ok(json);
        }
        let error = json.get("error");
        let text = || String::from_utf8_lossy(&bytes).trim().to_string();
        Err(Refusal {
            status,
            code: error
                .and_then(|e| e.get("code"))
                .and_then(Value::as_str)
                .map(str::to_string),
            message: error
                .and_then(|e| e.get("message"))
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(text),
        })
    }
}

fn internal(message: String) -> Refusal {
    Refusal {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        code: None,
        message,
    }
}
