//! JSON-RPC errors with the HTTP status each is sent with.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rmcp::model::ErrorCode;
use serde_json::{Value, json};

/// A JSON-RPC error for one request. The message says what the client should fix.
#[derive(Clone, Debug, PartialEq)]
pub struct RpcError {
    pub status: StatusCode,
    pub code: i32,
    pub message: String,
    pub data: Option<Value>,
    /// Seconds after which the client may try again, sent as `Retry-After` (a 429 or 503 refusal of
    /// work the edge has no room for now). 32 bits, like the boxed challenge below, keep the error
    /// (and every `Result` that carries one) small.
    pub retry_after: Option<u32>,
    /// Sent as `WWW-Authenticate` (a 401 refusal: how to authenticate). Boxed: errors travel in
    /// `Result`s on every request's path, and only a refusal of a private project's request has one.
    pub www_authenticate: Option<Box<str>>,
}

impl RpcError {
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.0,
            message: message.into(),
            data: None,
            retry_after: None,
            www_authenticate: None,
        }
    }

    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }

    /// Sends `Retry-After: <seconds>` with the error.
    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(u32::try_from(seconds).unwrap_or(u32::MAX));
        self
    }

    /// Sends `WWW-Authenticate: <challenge>` with the error.
    pub fn with_www_authenticate(mut self, challenge: String) -> Self {
        self.www_authenticate = Some(challenge.into_boxed_str());
        self
    }

    pub fn parse(detail: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::PARSE_ERROR,
            format!("Parse error: the body is not valid JSON ({detail})"),
        )
    }

    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ErrorCode::INVALID_REQUEST, message)
    }

    /// Invalid params found while handling a well-formed request: a JSON-RPC error on an HTTP 200.
    pub fn invalid_params(message: impl Into<String>) -> Self {
        Self::new(StatusCode::OK, ErrorCode::INVALID_PARAMS, message)
    }

    pub fn method_not_found(method: &str, status: StatusCode) -> Self {
        Self::new(
            status,
            ErrorCode::METHOD_NOT_FOUND,
            format!("Method not found: `{method}` is not a method this server offers"),
        )
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::OK, ErrorCode::INTERNAL_ERROR, message)
    }

    pub fn header_mismatch(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ErrorCode::HEADER_MISMATCH, message)
    }

    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// The JSON-RPC error response object for request `id` (`null` when unknown).
    pub fn to_json(&self, id: &Value) -> Value {
        let mut error = json!({ "code": self.code, "message": self.message });
        if let Some(data) = &self.data {
            error["data"] = data.clone();
        }
        json!({ "jsonrpc": "2.0", "id": id, "error": error })
    }

    pub fn into_response_for(self, id: &Value) -> Response {
        let body = self.to_json(id);
        let mut res = (
            self.status,
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response();
        if let Some(seconds) = self.retry_after {
            res.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        if let Some(challenge) = self
            .www_authenticate
            .as_deref()
            .and_then(|c| axum::http::HeaderValue::from_str(c).ok())
        {
            res.headers_mut()
                .insert(axum::http::header::WWW_AUTHENTICATE, challenge);
        }
        res
    }
}

impl std::fmt::Display for RpcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

impl From<crate::store::CreateError> for RpcError {
    /// A session that could not be made: 503, with `Retry-After` when there was no room for it.
    fn from(e: crate::store::CreateError) -> Self {
        let unavailable = |m: String| {
            Self::internal(format!("Service Unavailable: {m}"))
                .with_status(StatusCode::SERVICE_UNAVAILABLE)
        };
        match e {
            crate::store::CreateError::Full(m) => {
                unavailable(m).with_retry_after(crate::store::SESSIONS_FULL_RETRY_AFTER_SECS)
            }
            crate::store::CreateError::Store(e) => unavailable(e.to_string()),
        }
    }
}
