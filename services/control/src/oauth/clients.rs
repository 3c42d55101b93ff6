//! Who a `client_id` is: an operator's pre-registered client or a dynamically registered one (both in
//! the store), or, for an https URL, the client its metadata document describes. And which redirect URIs
//! a client may use: exactly the registered ones, except that a loopback one (`http://127.0.0.1`,
//! `http://[::1]`, `http://localhost`) matches on any port (RFC 8252 section 7.3).

use berth_store::{ClientKind, OauthClient};
use url::Url;

use super::documents::check_client_id_url;
use super::{Oauth, OauthError};

/// Redirect URIs one client may register.
pub const MAX_REDIRECT_URIS: usize = 20;
/// Longest redirect URI.
pub const MAX_REDIRECT_URI_BYTES: usize = 2000;
/// Longest client name shown.
pub const MAX_CLIENT_NAME_CHARS: usize = 100;

/// Where a client's registration comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// Added by the operator.
    Registered,
    /// Registered itself (RFC 7591): its name is its own claim.
    Dynamic,
    /// Described by the metadata document at its `client_id` URL.
    Document,
}

/// A client, as the authorization and token endpoints need it.
#[derive(Clone, Debug)]
pub struct Client {
    pub id: String,
    pub name: String,
    pub redirect_uris: Vec<String>,
    /// SHA-256 (hex) of its secret, for a confidential client.
    pub secret_hash: Option<String>,
    /// An https logo, where showing it is safe: the operator's clients, and documents' logos on the
    /// document's own host. A dynamic client's logo is never shown.
    pub logo_uri: Option<String>,
    pub source: Source,
}

impl Client {
    fn from_stored(c: OauthClient) -> Client {
        let meta: serde_json::Value = serde_json::from_str(&c.metadata_json).unwrap_or_default();
        let logo_uri = match c.kind {
            ClientKind::Registered => meta["logo_uri"]
                .as_str()
                .filter(|u| u.starts_with("https://"))
                .map(str::to_string),
            ClientKind::Dynamic => None,
        };
        Client {
            id: c.id,
            name: c.name,
            redirect_uris: c.redirect_uris,
            secret_hash: c.secret_hash,
            logo_uri,
            source: match c.kind {
                ClientKind::Registered => Source::Registered,
                ClientKind::Dynamic => Source::Dynamic,
            },
        }
    }

    /// Whether `uri` is one of this client's redirect URIs.
    pub fn allows_redirect(&self, uri: &str) -> bool {
        self.redirect_uris.iter().any(|r| redirect_matches(r, uri))
    }
}

/// Whether a redirect URI asked for matches a registered one: equal, or both loopback http URIs that
/// differ only in the port.
pub fn redirect_matches(registered: &str, asked: &str) -> bool {
    if registered == asked {
        return true;
    }
    let (Ok(r), Ok(a)) = (Url::parse(registered), Url::parse(asked)) else {
        return false;
    };
    is_loopback_http(&r)
        && is_loopback_http(&a)
        && r.host() == a.host()
        && r.path() == a.path()
        && r.query() == a.query()
        && r.username() == a.username()
        && a.username().is_empty()
        && a.password().is_none()
        && a.fragment().is_none()
}

/// `http://127.0.0.1`, `http://[::1]` or `http://localhost`, any port.
pub fn is_loopback_http(url: &Url) -> bool {
    url.scheme() == "http"
        && match url.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            None => false,
        }
}

/// Schemes never accepted as a redirect: they run code or read files in the browser.
const FORBIDDEN_SCHEMES: [&str; 6] = ["javascript", "data", "file", "vbscript", "about", "blob"];

/// Checks one redirect URI a client registers; `native` allows custom schemes (`cursor://...`).
/// Errors say what to change.
pub fn check_redirect_uri(uri: &str, native: bool) -> Result<(), String> {
    if uri.len() > MAX_REDIRECT_URI_BYTES {
        return Err(format!(
            "a redirect URI is at most {MAX_REDIRECT_URI_BYTES} bytes"
        ));
    }
    let url =
        Url::parse(uri).map_err(|e| format!("`{}` is not an absolute URI: {e}", shown(uri)))?;
    if url.fragment().is_some() {
        return Err(format!(
            "`{}` has a fragment, which a redirect URI may not have",
            shown(uri)
        ));
    }
    let scheme = url.scheme();
    if FORBIDDEN_SCHEMES.contains(&scheme) {
        return Err(format!("`{scheme}:` is not a redirect URI scheme"));
    }
    match scheme {
        "https" if url.host_str().is_some() => Ok(()),
        "https" => Err(format!("`{}` has no host", shown(uri))),
        "http" if is_loopback_http(&url) => Ok(()),
        "http" => Err(format!(
            "`{}` is plain http to another host than this machine; use https, or a loopback address (127.0.0.1, [::1], localhost)",
            shown(uri)
        )),
        _ if native => Ok(()),
        _ => Err(format!(
            "`{}` has a custom scheme, which only a native application may use: register with \"application_type\": \"native\"",
            shown(uri)
        )),
    }
}

/// A caller's text as it may be shown in a message: cut short, control characters escaped.
pub(crate) fn shown(s: &str) -> String {
    let cut: String = s.chars().take(100).collect();
    let mut out = cut.escape_debug().to_string();
    if s.chars().count() > 100 {
        out.push_str("...");
    }
    out
}

/// A name to show: control characters dropped, cut to [`MAX_CLIENT_NAME_CHARS`].
pub(crate) fn display_name(name: &str) -> String {
    let clean: String = name
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_CLIENT_NAME_CHARS)
        .collect();
    clean.trim().to_string()
}

/// The client `client_id` names. `invalid_client` (to be shown to the user, never redirected) when it
/// is unknown or its metadata document cannot be used.
pub async fn resolve(
    oauth: &Oauth,
    store: &berth_store::Store,
    client_id: &str,
) -> Result<Client, OauthError> {
    if client_id.is_empty() {
        return Err(OauthError::bad("invalid_request", "client_id is missing"));
    }
    if client_id.starts_with("https://") {
        return from_document(oauth, client_id).await;
    }
    if client_id.len() > berth_store::MAX_CLIENT_ID_BYTES {
        return Err(unknown(client_id));
    }
    match store.oauth_client(client_id).await? {
        Some(c) => Ok(Client::from_stored(c)),
        None => Err(unknown(client_id)),
    }
}

fn unknown(client_id: &str) -> OauthError {
    OauthError::new(
        axum::http::StatusCode::UNAUTHORIZED,
        "invalid_client",
        format!(
            "no client `{}` is registered here; register it (dynamic client registration at /oauth/register), or use a client ID metadata document URL",
            shown(client_id)
        ),
    )
}

async fn from_document(oauth: &Oauth, client_id: &str) -> Result<Client, OauthError> {
    let refuse = |why: String| {
        OauthError::new(
            axum::http::StatusCode::UNAUTHORIZED,
            "invalid_client",
            format!(
                "the client metadata document at {} cannot be used: {why}",
                shown(client_id)
            ),
        )
    };
    let url = check_client_id_url(client_id).map_err(&refuse)?;
    let doc = oauth.documents.get(&url).await.map_err(&refuse)?;
    if doc["client_id"].as_str() != Some(client_id) {
        return Err(refuse("its client_id is not its own URL".into()));
    }
    if doc.get("client_secret").is_some() || doc.get("client_secret_expires_at").is_some() {
        return Err(refuse(
            "a metadata document may not carry a client secret".into(),
        ));
    }
    match doc["token_endpoint_auth_method"].as_str() {
        None | Some("none") => {}
        Some(other) => {
            return Err(refuse(format!(
                "token_endpoint_auth_method `{}` is not supported here (only `none`)",
                shown(other)
            )));
        }
    }
    let native = doc["application_type"].as_str() == Some("native");
    let uris: Vec<String> = match doc["redirect_uris"].as_array() {
        Some(list) if !list.is_empty() && list.len() <= MAX_REDIRECT_URIS => list
            .iter()
            .map(|u| u.as_str().map(str::to_string))
            .collect::<Option<_>>()
            .ok_or_else(|| refuse("redirect_uris holds something that is not a string".into()))?,
        _ => {
            return Err(refuse(format!(
                "it needs redirect_uris: 1 to {MAX_REDIRECT_URIS} URIs"
            )));
        }
    };
    for uri in &uris {
        check_redirect_uri(uri, native || !uri.starts_with("https://")).map_err(&refuse)?;
    }
    let host = url.host_str().unwrap_or_default().to_string();
    let name = doc["client_name"]
        .as_str()
        .map(display_name)
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| host.clone());
    let logo_uri = doc["logo_uri"]
        .as_str()
        .and_then(|u| Url::parse(u).ok())
        .filter(|u| u.scheme() == "https" && u.host_str() == Some(host.as_str()))
        .map(|u| u.to_string());
    Ok(Client {
        id: client_id.to_string(),
        name,
        redirect_uris: uris,
        secret_hash: None,
        logo_uri,
        source: Source::Document,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_match_exactly_or_on_loopback_with_any_port() {
        let cases = [
            (
                "https://claude.ai/api/mcp/auth_callback",
                "https://claude.ai/api/mcp/auth_callback",
                true,
            ),
            (
                "https://claude.ai/api/mcp/auth_callback",
                "https://claude.ai/api/mcp/auth_callback/",
                false,
            ),
            (
                "https://claude.ai/api/mcp/auth_callback",
                "https://claude.ai/api/mcp/auth_callback?x=1",
                false,
            ),
            (
                "https://app.example/cb",
                "https://app.example:444/cb",
                false,
            ),
            (
                "cursor://anysphere.cursor-retrieval/oauth/callback",
                "cursor://anysphere.cursor-retrieval/oauth/callback",
                true,
            ),
            (
                "http://127.0.0.1/callback",
                "http://127.0.0.1:53682/callback",
                true,
            ),
            (
                "http://127.0.0.1:3000/callback",
                "http://127.0.0.1:4000/callback",
                true,
            ),
            (
                "http://localhost:3000/callback",
                "http://localhost:33418/callback",
                true,
            ),
            ("http://[::1]/cb", "http://[::1]:9999/cb", true),
            (
                "http://127.0.0.1/callback",
                "http://127.0.0.1:5/other",
                false,
            ),
            (
                "http://127.0.0.1/callback",
                "http://localhost:5/callback",
                false,
            ),
            (
                "http://127.0.0.1/callback",
                "https://127.0.0.1:5/callback",
                false,
            ),
            (
                "http://127.0.0.1/callback",
                "http://127.0.0.1.evil.example:5/callback",
                false,
            ),
            (
                "http://127.0.0.1/callback",
                "http://user@127.0.0.1:5/callback",
                false,
            ),
        ];
        for (registered, asked, ok) in cases {
            assert_eq!(
                redirect_matches(registered, asked),
                ok,
                "{registered} vs {asked}"
            );
        }
    }

    #[test]
    fn redirect_uris_are_checked_by_application_type() {
        for ok in [
            "https://claude.ai/api/mcp/auth_callback",
            "http://127.0.0.1:33418/callback",
            "http://localhost/cb",
        ] {
            assert_eq!(check_redirect_uri(ok, false), Ok(()), "{ok}");
        }
        for native_only in [
            "cursor://anysphere.cursor-retrieval/oauth/callback",
            "com.example.app:/cb",
            "claude://callback",
        ] {
            assert_eq!(
                check_redirect_uri(native_only, true),
                Ok(()),
                "{native_only}"
            );
            let err = check_redirect_uri(native_only, false).unwrap_err();
            assert!(err.contains("native"), "{err}");
        }
        for bad in [
            "http://app.example/cb",
            "javascript:alert(1)",
            "data:text/html,hi",
            "file:///etc/passwd",
            "https://app.example/cb#x",
            "/relative",
        ] {
            assert!(check_redirect_uri(bad, true).is_err(), "{bad}");
        }
    }
}
