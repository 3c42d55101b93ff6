//! OAuth 2.0 Protected Resource Metadata (RFC 9728): how an MCP client learns, from a 401's
//! `WWW-Authenticate` challenge or by asking, which authorization server protects a project and which
//! scopes and token forms it takes.
//!
//! `GET /.well-known/oauth-protected-resource/<project>/mcp` describes one project's MCP endpoint
//! (`<public URL>/<project>/mcp`); the path-less `/.well-known/oauth-protected-resource` describes the
//! server as a whole. Both name Berth itself (its public URL) as the authorization server. Public data,
//! readable from any origin (see [`crate::cors`]).

use crate::access::MCP_SCOPE;
use crate::config::EdgeConfig;
use crate::edge::{Shared, header_str};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use std::borrow::Cow;
use std::sync::Arc;

/// Where RFC 9728 puts the metadata: this, then the resource's path.
pub const WELL_KNOWN: &str = "/.well-known/oauth-protected-resource";

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route(WELL_KNOWN, get(server_wide))
        .route(&format!("{WELL_KNOWN}/{{project}}/mcp"), get(project))
}

/// The base URL clients reach the edge at: the configured public URL, else `http://` and the request's
/// `Host` (when it names this edge; `localhost` otherwise).
pub(crate) fn base_url<'a>(config: &'a EdgeConfig, headers: &HeaderMap) -> Cow<'a, str> {
    match &config.public_url {
        Some(url) => Cow::Borrowed(url.trim_end_matches('/')),
        None => {
            let host = header_str(headers, header::HOST.as_str())
                .filter(|h| config.host_allowed(h))
                .unwrap_or("localhost");
            Cow::Owned(format!("http://{host}"))
        }
    }
}

/// The URL of a project's metadata document.
pub(crate) fn metadata_url(base: &str, slug: &str) -> String {
    format!("{base}{WELL_KNOWN}/{slug}/mcp")
}

fn document(base: &str, resource: &str, name: &str) -> Response {
    let body = json!({
        "resource": resource,
        "authorization_servers": [base],
        "scopes_supported": [MCP_SCOPE],
        "bearer_methods_supported": ["header"],
        "resource_name": name,
    });
    json_response(StatusCode::OK, &body)
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    let headers = [(header::CONTENT_TYPE, "application/json")];
    (status, headers, body.to_string()).into_response()
}

async fn server_wide(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let base = base_url(&shared.config, &headers);
    document(&base, &base, "Berth")
}

async fn project(
    State(shared): State<Arc<Shared>>,
    Path(project): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(route) = shared.routes.get(&project) else {
        let body = json!({
            "error": "not_found",
            "error_description": format!("No project named `{project}` is deployed here"),
        });
        return json_response(StatusCode::NOT_FOUND, &body);
    };
    let base = base_url(&shared.config, &headers);
    let slug = route.slug.as_str();
    let name = match route.description.name.trim() {
        "" => slug,
        name => name,
    };
    document(&base, &format!("{base}/{slug}/mcp"), name)
}
