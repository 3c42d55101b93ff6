//! CORS for browser-based MCP clients, on `/{project}/mcp` and the protected resource metadata.
//!
//! Preflight `OPTIONS` requests are answered here, for any origin: they carry no credentials and
//! reveal nothing. The requests that follow still pass the edge's Host and Origin checks (DNS-rebinding
//! protection), which CORS does not replace. No cookies are involved (credentials are bearer tokens in
//! `Authorization`), so responses allow any origin without `Access-Control-Allow-Credentials`.

use crate::protocol::{
    HEADER_LAST_EVENT_ID, HEADER_METHOD, HEADER_NAME, HEADER_PROTOCOL_VERSION, HEADER_SESSION_ID,
};
use axum::http::{HeaderName, Method, header};
use std::time::Duration;
use tower_http::cors::{AllowOrigin, CorsLayer};

/// How long a browser may reuse a preflight's answer: a day, so a browser client does not preflight
/// every call (browsers cap it lower anyway: Chromium at two hours).
const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(24 * 60 * 60);

/// The headers MCP's Streamable HTTP transport sends beyond the CORS-safelisted ones.
const ALLOWED_HEADERS: [&str; 7] = [
    "authorization",
    "content-type",
    HEADER_PROTOCOL_VERSION,
    HEADER_SESSION_ID,
    HEADER_METHOD,
    HEADER_NAME,
    HEADER_LAST_EVENT_ID,
];

pub(crate) fn layer() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::any())
        .allow_methods([Method::GET, Method::POST, Method::DELETE])
        .allow_headers(ALLOWED_HEADERS.map(HeaderName::from_static))
        .expose_headers([
            header::WWW_AUTHENTICATE,
            HeaderName::from_static(HEADER_SESSION_ID),
        ])
        .max_age(PREFLIGHT_MAX_AGE)
}
