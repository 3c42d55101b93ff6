//! Private projects: every MCP request (POST, GET and DELETE on `/{project}/mcp`) must carry
//! `Authorization: Bearer <token>` with one of the project's live API keys, or an access token from
//! Berth's OAuth authorization server for this project ([`crate::token`]; one without the `mcp` scope
//! gets 403 `insufficient_scope`). Without either the answer is 401
//! with a JSON-RPC error and a `WWW-Authenticate` challenge that points at the project's protected
//! resource metadata (RFC 9728, [`crate::resource_metadata`]), as MCP's authorization spec asks.
//!
//! A public project costs one branch: nothing is read, hashed or allocated for it.

use crate::edge::Shared;
use crate::error::RpcError;
use crate::routes::Route;
use axum::http::{HeaderMap, StatusCode, header};
use rmcp::model::ErrorCode;
use sha2::{Digest, Sha256};

/// The scope a key needs to call a project's MCP endpoint.
pub const MCP_SCOPE: &str = "mcp";

/// Where the edge reports that an API key was used, for the key's "last used" time. Called at most once
/// a minute per key (and edge process), from the request's task.
pub trait KeyUseReporter: Send + Sync + 'static {
    /// Notes the use of key `key_id` of project `project_id` at `at_ms` (unix ms). Must not block or
    /// wait: the request that used the key is waiting for it to return.
    fn used(&self, project_id: &str, key_id: &str, at_ms: i64);
}

/// Lets the request through when the project is public or the request carries one of its live keys.
pub(crate) fn check(shared: &Shared, route: &Route, headers: &HeaderMap) -> Result<(), RpcError> {
    if !route.access.private {
        return Ok(());
    }
    check_key(shared, route, headers)
}

#[cold]
fn check_key(shared: &Shared, route: &Route, headers: &HeaderMap) -> Result<(), RpcError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(refused(shared, route, headers, None));
    };
    let Some(token) = bearer(value.as_bytes()) else {
        let why = "the Authorization header is not `Bearer <token>`";
        return Err(refused(shared, route, headers, Some(why)));
    };
    if crate::token::looks_like_jwt(token) {
        return check_access_token(shared, route, headers, token);
    }
    let hash: [u8; 32] = Sha256::digest(token).into();
    let Some(key) = route.access.key(&hash) else {
        let why = "the API key is not one of this project's (revoked, or another project's)";
        return Err(refused(shared, route, headers, Some(why)));
    };
    if let Some(reporter) = &shared.key_uses {
        let now = berth_runlog::now_ms();
        if key.should_report(now) {
            reporter.used(&route.project_id, &key.id, now);
        }
    }
    Ok(())
}

/// An OAuth access token: valid for this project's canonical URL, with the `mcp` scope.
fn check_access_token(
    shared: &Shared,
    route: &Route,
    headers: &HeaderMap,
    token: &[u8],
) -> Result<(), RpcError> {
    let base = crate::resource_metadata::base_url(&shared.config, headers);
    let audience = format!("{base}/{}/mcp", route.slug);
    let token = std::str::from_utf8(token).unwrap_or_default();
    let claims = crate::token::verify(&shared.token_keys, token, &base, &audience)
        .map_err(|why| refused(shared, route, headers, Some(why)))?;
    if !claims.has_scope(MCP_SCOPE) {
        return Err(insufficient_scope(shared, route, headers));
    }
    Ok(())
}

/// A 403 for a valid token without the scope this endpoint needs (RFC 6750 section 3.1).
fn insufficient_scope(shared: &Shared, route: &Route, headers: &HeaderMap) -> RpcError {
    let base = crate::resource_metadata::base_url(&shared.config, headers);
    let metadata = crate::resource_metadata::metadata_url(&base, route.slug.as_str());
    let challenge = format!(
        "Bearer error=\"insufficient_scope\", scope=\"{MCP_SCOPE}\", resource_metadata=\"{metadata}\", error_description=\"the token lacks the {MCP_SCOPE} scope\""
    );
    RpcError::new(
        StatusCode::FORBIDDEN,
        ErrorCode::INVALID_REQUEST,
        format!("Forbidden: the access token lacks the `{MCP_SCOPE}` scope this endpoint needs"),
    )
    .with_www_authenticate(challenge)
}

/// The token of an `Authorization: Bearer <token>` value (the scheme in any case; the token as RFC 6750
/// spells it: token68 characters), or `None` for anything else.
fn bearer(value: &[u8]) -> Option<&[u8]> {
    let (scheme, rest) = value.split_at_checked(7)?;
    if !scheme.eq_ignore_ascii_case(b"bearer ") {
        return None;
    }
    let token = rest.trim_ascii();
    let token68 = |b: &u8| b.is_ascii_alphanumeric() || b"-._~+/=".contains(b);
    (!token.is_empty() && token.iter().all(token68)).then_some(token)
}

/// A 401 with the challenge that tells the client where to learn how to get a key. `why`, for a
/// request that carried something, makes it an `invalid_token` error (RFC 6750 section 3.1); a request
/// with no credentials gets no error code.
fn refused(shared: &Shared, route: &Route, headers: &HeaderMap, why: Option<&str>) -> RpcError {
    let base = crate::resource_metadata::base_url(&shared.config, headers);
    let metadata = crate::resource_metadata::metadata_url(&base, route.slug.as_str());
    let challenge = match why {
        Some(why) => format!(
            "Bearer error=\"invalid_token\", error_description=\"{why}\", resource_metadata=\"{metadata}\", scope=\"{MCP_SCOPE}\""
        ),
        None => format!("Bearer resource_metadata=\"{metadata}\", scope=\"{MCP_SCOPE}\""),
    };
    let slug = &route.slug;
    let message = match why {
        Some(why) => format!("Unauthorized: {why}"),
        None => format!(
            "Unauthorized: project `{slug}` is private; sign in through OAuth (see the WWW-Authenticate header), or send `Authorization: Bearer <API key>` (its owner makes one with `berth keys create --project {slug}`)"
        ),
    };
    RpcError::new(
        StatusCode::UNAUTHORIZED,
        ErrorCode::INVALID_REQUEST,
        message,
    )
    .with_www_authenticate(challenge)
}

#[cfg(test)]
mod tests {
    use super::bearer;

    #[test]
    fn bearer_tokens_are_parsed_strictly() {
        let ok: &[u8] = b"berth_pk_abc-DEF_123";
        assert_eq!(bearer(b"Bearer berth_pk_abc-DEF_123"), Some(ok));
        assert_eq!(bearer(b"bearer  berth_pk_abc-DEF_123 "), Some(ok));
        assert_eq!(bearer(b"BEARER a=="), Some(&b"a=="[..]));
        for bad in [
            &b"Basic dXNlcjpwYXNz"[..],
            b"Bearer",
            b"Bearer ",
            b"Bearer a b",
            b"Bearer \"quoted\"",
            b"Bearerx token",
            b"Bearer t\xc3\xa9",
        ] {
            assert_eq!(bearer(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }
}
