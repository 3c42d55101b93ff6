//! `GET /oauth/authorize` and the consent form's `POST /oauth/authorize`.
//!
//! A request is checked in the order that keeps users safe: first the client and its redirect URI (a
//! failure there is shown to the user, never sent to a URI that is not the client's), then the rest
//! (each failure sent back to the client's redirect URI with `error`, `state` and `iss`). A user who is
//! not signed in is sent to sign in and back. A user the project's access list does not name is
//! refused (`access_denied`). A user who consented to this client for this project before gets a code
//! at once; otherwise the consent page asks, with the session's CSRF token in its form.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use berth_core::ProjectSlug;
use berth_store::{NewOauthCode, Project, User};
use sha2::{Digest, Sha256};
use url::Url;

use super::clients::{Client, Source, resolve, shown};
use super::{CODE_TTL, MAX_OAUTH_BODY_BYTES, MCP_SCOPE, Oauth};
use crate::api::ApiState;
use crate::session::Session;

/// Longest query or form the authorization endpoint reads.
const MAX_PARAMS_BYTES: usize = 8 * 1024;
/// Longest `state` passed back: clients use a few dozen characters.
const MAX_STATE_BYTES: usize = 1024;

pub(crate) fn routes() -> Router<ApiState> {
    Router::new().route("/oauth/authorize", get(start).post(decide))
}

/// The request's parameters. Each may appear once.
#[derive(Default, Debug, Clone)]
pub(crate) struct Params {
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    state: Option<String>,
    scope: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    resource: Option<String>,
    /// The consent form's answer and CSRF token (POST only).
    decision: Option<String>,
    csrf: Option<String>,
}

fn parse(raw: &[u8]) -> Result<Params, String> {
    if raw.len() > MAX_PARAMS_BYTES {
        return Err(format!(
            "the request's parameters are longer than {MAX_PARAMS_BYTES} bytes"
        ));
    }
    let mut p = Params::default();
    for (key, value) in url::form_urlencoded::parse(raw) {
        let slot = match key.as_ref() {
            "response_type" => &mut p.response_type,
            "client_id" => &mut p.client_id,
            "redirect_uri" => &mut p.redirect_uri,
            "state" => &mut p.state,
            "scope" => &mut p.scope,
            "code_challenge" => &mut p.code_challenge,
            "code_challenge_method" => &mut p.code_challenge_method,
            "resource" => &mut p.resource,
            "decision" => &mut p.decision,
            "csrf" => &mut p.csrf,
            _ => continue,
        };
        if slot.is_some() {
            return Err(format!(
                "the parameter `{}` appears more than once",
                shown(&key)
            ));
        }
        *slot = Some(value.into_owned());
    }
    Ok(p)
}

/// A request whose client and redirect URI are known good.
struct Checked {
    client: Client,
    redirect_uri: String,
    state: Option<String>,
}

/// A request that passed every check.
struct Valid {
    checked: Checked,
    project: Project,
    resource: String,
    challenge: String,
    scopes: Vec<String>,
}

/// Why a request stops.
enum Stop {
    /// Shown to the user: the client or its redirect URI is not to be trusted.
    Page(StatusCode, &'static str, String),
    /// Sent back to the client's redirect URI.
    Redirect(Response),
}

impl IntoResponse for Stop {
    fn into_response(self) -> Response {
        match self {
            Stop::Page(status, heading, message) => error_page(status, heading, &message),
            Stop::Redirect(r) => r,
        }
    }
}

#[derive(Template)]
#[template(path = "oauth_error.html")]
struct ErrorPage<'a> {
    status: u16,
    heading: &'a str,
    message: &'a str,
}

#[derive(Template)]
#[template(path = "oauth_consent.html")]
struct ConsentPage<'a> {
    client_name: &'a str,
    client_id: &'a str,
    source: &'a str,
    logo_uri: Option<&'a str>,
    redirect_to: String,
    project: &'a str,
    login: &'a str,
    scopes: Vec<(&'a str, &'a str)>,
    csrf: String,
    hidden: Vec<(&'static str, String)>,
}

/// Headers every page of the flow carries: never framed (clickjacking the Allow button), no scripts,
/// no referrer leaking the request's parameters, never cached.
fn page(status: StatusCode, html: String) -> Response {
    let mut response = (status, Html(html)).into_response();
    let h = response.headers_mut();
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self' https:; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn error_page(status: StatusCode, heading: &str, message: &str) -> Response {
    let html = ErrorPage {
        status: status.as_u16(),
        heading,
        message,
    }
    .render()
    .unwrap_or_else(|_| message.to_string());
    page(status, html)
}

/// `uri` with `pairs` added to its query.
fn with_query(uri: &str, pairs: &[(&str, &str)]) -> Response {
    let mut url = match Url::parse(uri) {
        Ok(url) => url,
        Err(_) => {
            return error_page(
                StatusCode::BAD_REQUEST,
                "Bad redirect",
                "the redirect URI is not a URI",
            );
        }
    };
    {
        let mut query = url.query_pairs_mut();
        for (k, v) in pairs {
            query.append_pair(k, v);
        }
    }
    let mut response = StatusCode::FOUND.into_response();
    if let Ok(location) = HeaderValue::from_str(url.as_str()) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    super::no_store(&mut response);
    response
}

impl Checked {
    /// Sends an error back to the client (RFC 6749 section 4.1.2.1, with `iss` per RFC 9207).
    fn fail(&self, oauth: &Oauth, error: &str, description: &str) -> Stop {
        let mut pairs = vec![("error", error), ("error_description", description)];
        if let Some(state) = &self.state {
            pairs.push(("state", state.as_str()));
        }
        pairs.push(("iss", &*oauth.issuer));
        Stop::Redirect(with_query(&self.redirect_uri, &pairs))
    }
}

/// Checks the client and its redirect URI.
async fn check_client(state: &ApiState, p: &Params) -> Result<Checked, Stop> {
    let client_id = p.client_id.as_deref().unwrap_or("");
    let client = resolve(&state.oauth, state.queue.store(), client_id)
        .await
        // 400, not the token endpoint's 401: clients probe this answer to learn their registration is
        // gone (fastmcp registers again on a 400).
        .map_err(|e| {
            let status = match e.status {
                StatusCode::UNAUTHORIZED => StatusCode::BAD_REQUEST,
                other => other,
            };
            Stop::Page(status, "Unknown application", e.description)
        })?;
    let redirect_uri = match p.redirect_uri.as_deref() {
        Some(uri) if client.allows_redirect(uri) => uri.to_string(),
        Some(uri) => {
            return Err(Stop::Page(
                StatusCode::BAD_REQUEST,
                "Redirect URI not registered",
                format!(
                    "{} asked to send you back to `{}`, which is not one of its registered redirect URIs; nothing was sent there",
                    client.name,
                    shown(uri)
                ),
            ));
        }
        None => {
            return Err(Stop::Page(
                StatusCode::BAD_REQUEST,
                "Missing redirect URI",
                "the application did not say where to send you back (redirect_uri)".into(),
            ));
        }
    };
    let state_param = p.state.clone();
    if state_param
        .as_ref()
        .is_some_and(|s| s.len() > MAX_STATE_BYTES)
    {
        return Err(Stop::Page(
            StatusCode::BAD_REQUEST,
            "Bad request",
            format!("the state parameter is longer than {MAX_STATE_BYTES} bytes"),
        ));
    }
    Ok(Checked {
        client,
        redirect_uri,
        state: state_param,
    })
}

/// The project a `resource` names: `<issuer>/<slug>/mcp`, a project's or a preview's.
pub(crate) async fn project_of_resource(
    oauth: &Oauth,
    store: &berth_store::Store,
    resource: &str,
) -> Result<Option<Project>, berth_store::StoreError> {
    let Some(slug) = resource
        .strip_prefix(&*oauth.issuer)
        .and_then(|rest| rest.strip_prefix('/'))
        .and_then(|rest| rest.strip_suffix("/mcp"))
    else {
        return Ok(None);
    };
    let Ok(slug) = ProjectSlug::parse(slug) else {
        return Ok(None);
    };
    if let Some(project) = store.project(slug.as_str()).await? {
        return Ok(Some(project));
    }
    match slug.preview_of() {
        Some((base, _)) => store.project(base).await,
        None => Ok(None),
    }
}

/// Checks everything after the client: response type, PKCE, resource, scope.
async fn check_rest(state: &ApiState, p: &Params, checked: Checked) -> Result<Valid, Stop> {
    let oauth = &state.oauth;
    if p.response_type.as_deref() != Some("code") {
        return Err(checked.fail(
            oauth,
            "unsupported_response_type",
            "only response_type=code is supported",
        ));
    }
    let challenge = match (
        p.code_challenge.as_deref(),
        p.code_challenge_method.as_deref(),
    ) {
        (None, _) => {
            return Err(checked.fail(
                oauth,
                "invalid_request",
                "PKCE is required: send code_challenge with code_challenge_method=S256",
            ));
        }
        (Some(_), Some("S256")) => p.code_challenge.clone().unwrap_or_default(),
        (Some(_), _) => {
            return Err(checked.fail(
                oauth,
                "invalid_request",
                "only code_challenge_method=S256 is supported (plain is refused)",
            ));
        }
    };
    let well_formed = challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !well_formed {
        return Err(checked.fail(
            oauth,
            "invalid_request",
            "code_challenge must be the base64url SHA-256 of the verifier (43 characters)",
        ));
    }
    let Some(resource) = p.resource.clone() else {
        return Err(checked.fail(
            oauth,
            "invalid_target",
            "resource is required: the MCP server's URL, <this server>/<project>/mcp (RFC 8707)",
        ));
    };
    let project = project_of_resource(oauth, state.queue.store(), &resource)
        .await
        .map_err(|e| Stop::Page(StatusCode::INTERNAL_SERVER_ERROR, "Error", format!("{e}")))?;
    let Some(project) = project else {
        let why = format!(
            "`{}` is not the URL of a project here; resources are {}/<project>/mcp",
            shown(&resource),
            oauth.issuer
        );
        return Err(checked.fail(oauth, "invalid_target", &why));
    };
    Ok(Valid {
        checked,
        project,
        resource,
        challenge,
        scopes: vec![MCP_SCOPE.to_string()],
    })
}

/// Whether the project's access list lets `user` in.
async fn allowed(state: &ApiState, user: &User, project: &Project) -> Result<bool, Stop> {
    super::access::may_use(state.queue.store(), user, project)
        .await
        .map_err(|e| Stop::Page(StatusCode::INTERNAL_SERVER_ERROR, "Error", format!("{e}")))
}

async fn validate(state: &ApiState, p: &Params) -> Result<Valid, Stop> {
    let checked = check_client(state, p).await?;
    check_rest(state, p, checked).await
}

async fn signed_in(state: &ApiState, headers: &HeaderMap) -> Result<Option<(Session, User)>, Stop> {
    let internal = |e: berth_store::StoreError| {
        Stop::Page(StatusCode::INTERNAL_SERVER_ERROR, "Error", format!("{e}"))
    };
    let Some(session) = state
        .auth
        .sessions
        .from_headers(headers)
        .await
        .map_err(internal)?
    else {
        return Ok(None);
    };
    let user = state
        .queue
        .store()
        .user(&session.user_id)
        .await
        .map_err(internal)?;
    Ok(user.map(|u| (session, u)))
}

/// Records the consent (or its use) and sends the client its code.
async fn grant_code(state: &ApiState, v: &Valid, user: &User) -> Result<Response, Stop> {
    let internal = |e: berth_store::StoreError| {
        Stop::Page(StatusCode::INTERNAL_SERVER_ERROR, "Error", format!("{e}"))
    };
    let store = state.queue.store();
    let client = &v.checked.client;
    let grant = store
        .upsert_oauth_grant(&user.id, &client.id, &client.name, &v.project.id, &v.scopes)
        .await
        .map_err(internal)?;
    let code = super::random_token();
    store
        .create_oauth_code(NewOauthCode {
            code_hash: berth_store::hash_token(&code),
            grant_id: grant.id,
            client_id: client.id.clone(),
            redirect_uri: v.checked.redirect_uri.clone(),
            code_challenge: v.challenge.clone(),
            resource: v.resource.clone(),
            scopes: v.scopes.clone(),
            expires_at: super::now_ms() + CODE_TTL.as_millis() as i64,
        })
        .await
        .map_err(internal)?;
    tracing::info!(user = %user.id, client = %client.id, project = %v.project.slug, "OAuth authorization code issued");
    let mut pairs = vec![("code", code.as_str())];
    if let Some(s) = &v.checked.state {
        pairs.push(("state", s.as_str()));
    }
    pairs.push(("iss", &*state.oauth.issuer));
    Ok(with_query(&v.checked.redirect_uri, &pairs))
}

async fn start(
    State(state): State<ApiState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let raw = query.unwrap_or_default();
    match run_start(&state, &headers, &raw).await {
        Ok(r) => r,
        Err(stop) => stop.into_response(),
    }
}

async fn run_start(state: &ApiState, headers: &HeaderMap, raw: &str) -> Result<Response, Stop> {
    let p =
        parse(raw.as_bytes()).map_err(|e| Stop::Page(StatusCode::BAD_REQUEST, "Bad request", e))?;
    let v = validate(state, &p).await?;
    let Some((session, user)) = signed_in(state, headers).await? else {
        let next = format!("/oauth/authorize?{raw}");
        let to = if state.auth.identity.is_some() {
            "/auth/github/login"
        } else {
            "/login"
        };
        let location = format!(
            "{to}?next={}",
            url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
        );
        let mut response = StatusCode::FOUND.into_response();
        if let Ok(value) = HeaderValue::from_str(&location) {
            response.headers_mut().insert(header::LOCATION, value);
        }
        return Ok(response);
    };
    if !allowed(state, &user, &v.project).await? {
        let why = format!("{} may not use project `{}`", user.login, v.project.slug);
        return Err(v.checked.fail(&state.oauth, "access_denied", &why));
    }
    let remembered = state
        .queue
        .store()
        .oauth_grant(&user.id, &v.checked.client.id, &v.project.id)
        .await
        .map_err(|e| Stop::Page(StatusCode::INTERNAL_SERVER_ERROR, "Error", format!("{e}")))?;
    if remembered.is_some_and(|g| v.scopes.iter().all(|s| g.scopes.contains(s))) {
        return grant_code(state, &v, &user).await;
    }
    Ok(consent(state, &p, &v, &session, &user))
}

fn consent(state: &ApiState, p: &Params, v: &Valid, session: &Session, user: &User) -> Response {
    let client = &v.checked.client;
    let source = match client.source {
        Source::Registered => "registered by this Berth's operator",
        Source::Dynamic => "registered itself; its name is its own claim",
        Source::Document => "described by the metadata document at its URL",
    };
    let redirect_to = Url::parse(&v.checked.redirect_uri)
        .ok()
        .map(|u| match u.host_str() {
            Some(host) => format!("{}://{host}", u.scheme()),
            None => format!("{}:", u.scheme()),
        })
        .unwrap_or_default();
    let mut hidden: Vec<(&'static str, String)> = vec![
        ("response_type", "code".into()),
        ("client_id", client.id.clone()),
        ("redirect_uri", v.checked.redirect_uri.clone()),
        ("code_challenge", v.challenge.clone()),
        ("code_challenge_method", "S256".into()),
        ("resource", v.resource.clone()),
    ];
    if let Some(s) = &p.state {
        hidden.push(("state", s.clone()));
    }
    if let Some(s) = &p.scope {
        hidden.push(("scope", s.clone()));
    }
    let html = ConsentPage {
        client_name: &client.name,
        client_id: &client.id,
        source,
        logo_uri: client.logo_uri.as_deref(),
        redirect_to,
        project: v.project.slug.as_str(),
        login: &user.login,
        scopes: vec![(
            MCP_SCOPE,
            "use this project's MCP server (its tools, resources and prompts) as you",
        )],
        csrf: state.auth.sessions.csrf_token(session),
        hidden,
    }
    .render();
    match html {
        Ok(html) => page(StatusCode::OK, html),
        Err(e) => error_page(StatusCode::INTERNAL_SERVER_ERROR, "Error", &e.to_string()),
    }
}

async fn decide(State(state): State<ApiState>, headers: HeaderMap, body: Bytes) -> Response {
    match run_decide(&state, &headers, &body).await {
        Ok(r) => r,
        Err(stop) => stop.into_response(),
    }
}

async fn run_decide(state: &ApiState, headers: &HeaderMap, body: &[u8]) -> Result<Response, Stop> {
    if body.len() > MAX_OAUTH_BODY_BYTES {
        return Err(Stop::Page(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Bad request",
            "the form is too large".into(),
        ));
    }
    let p = parse(body).map_err(|e| Stop::Page(StatusCode::BAD_REQUEST, "Bad request", e))?;
    let Some((session, user)) = signed_in(state, headers).await? else {
        return Err(Stop::Page(
            StatusCode::UNAUTHORIZED,
            "Signed out",
            "you are no longer signed in; start again from the application".into(),
        ));
    };
    if !state
        .auth
        .sessions
        .check_csrf(&session, p.csrf.as_deref().unwrap_or(""))
    {
        return Err(Stop::Page(
            StatusCode::FORBIDDEN,
            "Form expired",
            "this consent form was not served to this session; start again from the application"
                .into(),
        ));
    }
    let v = validate(state, &p).await?;
    if !allowed(state, &user, &v.project).await? {
        let why = format!("{} may not use project `{}`", user.login, v.project.slug);
        return Err(v.checked.fail(&state.oauth, "access_denied", &why));
    }
    if p.decision.as_deref() != Some("allow") {
        return Err(v
            .checked
            .fail(&state.oauth, "access_denied", "the user denied the request"));
    }
    let mut response = grant_code(state, &v, &user).await?;
    // After a form's POST, a 303 makes the browser GET the redirect URI.
    *response.status_mut() = StatusCode::SEE_OTHER;
    Ok(response)
}

/// The S256 challenge of a PKCE verifier (RFC 7636 section 4.2).
pub(crate) fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_appear_once() {
        let p = parse(b"client_id=a&state=x%20y&unknown=1").unwrap();
        assert_eq!(
            (p.client_id.as_deref(), p.state.as_deref()),
            (Some("a"), Some("x y"))
        );
        assert!(
            parse(b"client_id=a&client_id=b")
                .unwrap_err()
                .contains("client_id")
        );
        assert!(parse(&vec![b'a'; MAX_PARAMS_BYTES + 1]).is_err());
    }

    #[test]
    fn s256_is_base64url_sha256_without_padding() {
        // Computed apart, with Python's hashlib and base64.
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU2p1r_wW1gFWFOEjXk"),
            "q4kBDKNrgzS8bDCkGXg71yviKVsRgSVuTTyTHQPhLYM"
        );
    }
}
