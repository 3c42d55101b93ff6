//! The router: `/{project}/mcp` over Streamable HTTP, both protocol eras on one URL.

use crate::call::{self, CallEnv};
use crate::config::EdgeConfig;
use crate::error::RpcError;
use crate::hooks::{ClientCaps, PendingReplies};
use crate::metrics::{Metrics, Outcome};
use crate::protocol::{self, Era, HEADER_SESSION_ID, Message};
use crate::routes::{Route, RouteTable, Upstream};
use crate::sse;
use crate::store::{MemorySessions, MemoryState, SessionInfo, SessionStore, StateStore};
use crate::task_store::{MemoryTasks, TaskStore};
use crate::wire::{self, LEGACY_VERSIONS};
use crate::{param_headers, subscriptions, tasks};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use berth_core::LogLevel;
use rmcp::model::{ErrorCode, RequestStateCodec};
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::time::Instant;
use tracing::Instrument;

/// Everything a request handler needs, shared by all requests.
pub struct Shared {
    pub routes: RouteTable,
    pub upstream: Arc<dyn Upstream>,
    pub sessions: Arc<dyn SessionStore>,
    pub state: Arc<dyn StateStore>,
    pub tasks: Arc<dyn TaskStore>,
    pub config: EdgeConfig,
    pub codec: RequestStateCodec,
    pub pending: Arc<PendingReplies>,
    pub running: Arc<crate::cancel::Running>,
    pub metrics: Arc<Metrics>,
    /// Where requests, guest logs and output go for the runtime log (disabled by default).
    pub runlog: berth_runlog::Recorder,
    /// Where uses of private projects' API keys are reported (nowhere by default).
    pub key_uses: Option<Arc<dyn crate::KeyUseReporter>>,
    /// The keys that verify OAuth access tokens (none by default: only API keys open private projects).
    pub token_keys: crate::TokenKeys,
    /// Each project's request rate (its `requestsPerSecond` limit).
    pub rates: crate::rate::RateLimiter,
}

/// Builds the edge's router: `Edge::builder(routes, upstream).config(..).into_router()`.
pub struct Edge;

impl Edge {
    pub fn builder(routes: RouteTable, upstream: Arc<dyn Upstream>) -> EdgeBuilder {
        EdgeBuilder {
            routes,
            upstream,
            config: EdgeConfig::default(),
            sessions: None,
            state: None,
            tasks: None,
            registry: None,
            runlog: None,
            egress_observer: None,
            key_uses: None,
            token_keys: None,
        }
    }
}

pub struct EdgeBuilder {
    routes: RouteTable,
    upstream: Arc<dyn Upstream>,
    config: EdgeConfig,
    sessions: Option<Arc<dyn SessionStore>>,
    state: Option<Arc<dyn StateStore>>,
    tasks: Option<Arc<dyn TaskStore>>,
    registry: Option<prometheus::Registry>,
    runlog: Option<berth_runlog::Recorder>,
    egress_observer: Option<crate::metrics::EgressObserver>,
    key_uses: Option<Arc<dyn crate::KeyUseReporter>>,
    token_keys: Option<crate::TokenKeys>,
}

impl EdgeBuilder {
    pub fn config(mut self, config: EdgeConfig) -> Self {
        self.config = config;
        self
    }

    /// Where 2025-era sessions and their event logs live (default: this process's memory).
    pub fn sessions(mut self, sessions: Arc<dyn SessionStore>) -> Self {
        self.sessions = Some(sessions);
        self
    }

    /// Where the projects' key-value state lives (default: this process's memory).
    pub fn state(mut self, state: Arc<dyn StateStore>) -> Self {
        self.state = Some(state);
        self
    }

    /// Where tasks of the tasks extension live (default: this process's memory).
    pub fn tasks(mut self, tasks: Arc<dyn TaskStore>) -> Self {
        self.tasks = Some(tasks);
        self
    }

    /// Records every request, and what guests log and print, in the runtime log.
    pub fn runtime_log(mut self, recorder: berth_runlog::Recorder) -> Self {
        self.runlog = Some(recorder);
        self
    }

    /// Reports uses of API keys (at most once a minute per key), for their "last used" time.
    pub fn key_uses(mut self, reporter: Arc<dyn crate::KeyUseReporter>) -> Self {
        self.key_uses = Some(reporter);
        self
    }

    /// Accepts OAuth access tokens signed by these keys (the binary keeps them up to date).
    pub fn token_keys(mut self, keys: crate::TokenKeys) -> Self {
        self.token_keys = Some(keys);
        self
    }

    pub fn metrics(mut self, registry: &prometheus::Registry) -> Self {
        self.registry = Some(registry.clone());
        self
    }

    /// Tells `observer` of every guest's outbound HTTP request (project id, the request).
    pub fn egress_observer(mut self, observer: crate::metrics::EgressObserver) -> Self {
        self.egress_observer = Some(observer);
        self
    }

    pub fn into_router(self) -> Router {
        let key = match &self.config.request_state_key {
            Some(k) => k.clone(),
            None => {
                let mut k = vec![0u8; 32];
                rand::Rng::fill(&mut rand::rng(), &mut k[..]);
                k
            }
        };
        // A short configured key is stretched to the codec's minimum length rather than refused.
        let codec = RequestStateCodec::try_new(key.clone())
            .or_else(|_| {
                RequestStateCodec::try_new(<sha2::Sha256 as sha2::Digest>::digest(&key).to_vec())
            })
            .expect("a SHA-256 digest is a long enough key");
        let shared = Arc::new(Shared {
            routes: self.routes,
            upstream: self.upstream,
            sessions: self
                .sessions
                .unwrap_or_else(|| Arc::new(MemorySessions::with_limits(self.config.sessions))),
            state: self
                .state
                .unwrap_or_else(|| Arc::new(MemoryState::with_limits(self.config.kv))),
            tasks: self.tasks.unwrap_or_else(|| {
                Arc::new(MemoryTasks::with_limit(self.config.max_tasks_per_project))
            }),
            codec,
            pending: Arc::new(PendingReplies::with_limits(
                self.config.max_pending_per_session,
                self.config.max_pending,
            )),
            running: Default::default(),
            metrics: Arc::new(Metrics::new(self.registry.as_ref(), self.egress_observer)),
            runlog: self.runlog.unwrap_or_else(berth_runlog::Recorder::disabled),
            key_uses: self.key_uses,
            token_keys: self.token_keys.unwrap_or_default(),
            rates: Default::default(),
            config: self.config,
        });
        Router::new()
            .route(
                "/{project}/mcp",
                post(handle_post)
                    .get(crate::session_http::handle_get)
                    .delete(crate::session_http::handle_delete),
            )
            .merge(crate::resource_metadata::routes())
            .layer(crate::cors::layer())
            .with_state(shared)
    }
}

pub(crate) type Reply = Result<Response, (Value, RpcError)>;

pub(crate) fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// DNS-rebinding protection: the request must name this edge in `Host` and, from a browser, `Origin`.
pub(crate) fn check_origin(cfg: &EdgeConfig, headers: &HeaderMap) -> Result<(), RpcError> {
    let forbidden = |what: &str, v: &str| {
        RpcError::invalid_request(format!(
            "Forbidden: {what} `{v}` is not a host this server answers for"
        ))
        .with_status(StatusCode::FORBIDDEN)
    };
    if let Some(host) = header_str(headers, header::HOST.as_str())
        && !cfg.host_allowed(host)
    {
        return Err(forbidden("Host", host));
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("");
        if !cfg.origin_allowed(origin) {
            return Err(forbidden("Origin", origin));
        }
    }
    Ok(())
}

pub(crate) fn find_route(shared: &Shared, project: &str) -> Result<Arc<Route>, RpcError> {
    shared.routes.get(project).ok_or_else(|| {
        RpcError::invalid_request(format!(
            "No project named `{project}` is deployed here; check the URL (https://<host>/<project>/mcp)"
        ))
        .with_status(StatusCode::NOT_FOUND)
    })
}

pub(crate) fn accepts(headers: &HeaderMap, media: &str) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            v.split(',')
                .any(|m| m.trim().starts_with(media) || m.trim().starts_with("*/*"))
        })
}

pub(crate) fn json_response(status: StatusCode, body: &Value, session: Option<&str>) -> Response {
    let mut res = (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response();
    if let Some(s) = session.and_then(|s| HeaderValue::from_str(s).ok()) {
        res.headers_mut().insert(HEADER_SESSION_ID, s);
    }
    res
}

fn result(id: &Value, result: Value) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "result": result })
}

pub(crate) fn session_error(status: StatusCode, message: &str) -> RpcError {
    RpcError::new(status, ErrorCode(-32001), message)
}

async fn handle_post(
    State(shared): State<Arc<Shared>>,
    Path(project): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let started = Instant::now();
    let mut method_label = "other".to_string();
    let inner = post_inner(&shared, &project, &headers, body, &mut method_label);
    let (reply, note) = crate::request_log::scope(started, inner).await;
    crate::request_log::finish(&shared, &note, reply.as_ref().err().map(|(_, e)| e));
    let (response, outcome) = match reply {
        Ok(r) => {
            let outcome = if r.status().is_success() {
                Outcome::Ok
            } else {
                Outcome::Error
            };
            (r, outcome)
        }
        Err((id, e)) => {
            let outcome = if e.status == StatusCode::OK {
                Outcome::Error
            } else if e.status == StatusCode::TOO_MANY_REQUESTS {
                Outcome::Limited
            } else {
                Outcome::Rejected
            };
            (e.into_response_for(&id), outcome)
        }
    };
    let label = crate::metrics::project_label(&shared.routes, &project);
    shared
        .metrics
        .request(label, &method_label, outcome, started.elapsed());
    response
}

async fn post_inner(
    shared: &Arc<Shared>,
    project: &str,
    headers: &HeaderMap,
    body: Body,
    method_label: &mut String,
) -> Reply {
    let null = || Value::Null;
    check_origin(&shared.config, headers).map_err(|e| (null(), e))?;
    let route = find_route(shared, project).map_err(|e| (null(), e))?;
    crate::access::check(shared, &route, headers).map_err(|e| (null(), e))?;
    shared.rates.admit(&route).map_err(|e| (null(), e))?;
    crate::request_log::set_route(shared, &route);
    let content_type = header_str(headers, header::CONTENT_TYPE.as_str()).unwrap_or("");
    if !content_type.starts_with("application/json") {
        let e = RpcError::invalid_request(format!(
            "Unsupported Media Type: POST a JSON-RPC message as application/json, not `{content_type}`"
        ));
        return Err((null(), e.with_status(StatusCode::UNSUPPORTED_MEDIA_TYPE)));
    }
    let bytes = read_body(body, shared.config.max_body_bytes)
        .await
        .map_err(|e| (null(), e))?;
    let message = protocol::parse_message(&bytes)?;
    match message {
        Message::Request { id, method, params } => {
            *method_label = method.clone();
            crate::request_log::set_request(&method, &params);
            let span = tracing::debug_span!("mcp", project = %route.slug, deployment = %route.deployment, request_id = %id, method = %method);
            request(shared, route, headers, id, method, params)
                .instrument(span)
                .await
        }
        Message::Notification { method, params } => {
            *method_label = "notification".into();
            tracing::debug!(project = %route.slug, method, "notification");
            if method == "notifications/cancelled"
                && let (Some(session), Some(id)) = (
                    header_str(headers, HEADER_SESSION_ID),
                    params.get("requestId"),
                )
            {
                shared.running.cancel(&route.project_id, session, id);
            }
            Ok(StatusCode::ACCEPTED.into_response())
        }
        Message::Response { id, body } => {
            *method_label = "response".into();
            let session = header_str(headers, HEADER_SESSION_ID).unwrap_or("");
            if shared.pending.answer(session, &id, body) {
                Ok(StatusCode::ACCEPTED.into_response())
            } else {
                Err((
                    id,
                    RpcError::invalid_request(
                        "Invalid Request: no request of this session is waiting for that response id",
                    ),
                ))
            }
        }
    }
}

async fn read_body(body: Body, limit: usize) -> Result<Bytes, RpcError> {
    axum::body::to_bytes(body, limit).await.map_err(|_| {
        RpcError::invalid_request(format!(
            "Payload Too Large: the request body is over the {limit} byte limit"
        ))
        .with_status(StatusCode::PAYLOAD_TOO_LARGE)
    })
}

async fn request(
    shared: &Arc<Shared>,
    route: Arc<Route>,
    headers: &HeaderMap,
    id: Value,
    method: String,
    params: Map<String, Value>,
) -> Reply {
    match protocol::era_of(headers, Some(&method), Some(&params)) {
        Era::Modern => modern(shared, route, headers, id, method, params).await,
        Era::Legacy => legacy(shared, route, headers, id, method, params).await,
    }
}

async fn modern(
    shared: &Arc<Shared>,
    route: Arc<Route>,
    headers: &HeaderMap,
    id: Value,
    method: String,
    params: Map<String, Value>,
) -> Reply {
    let meta = protocol::check_modern(headers, &method, &params).map_err(|e| (id.clone(), e))?;
    let desc = &route.description;
    let value = match method.as_str() {
        "server/discover" => wire::discover_result(desc),
        "tools/list" | "resources/list" | "resources/templates/list" | "prompts/list" => {
            let cursor = params.get("cursor").and_then(Value::as_str);
            wire::list_page(desc, &method, cursor, shared.config.page_size)
                .map_err(|e| (id.clone(), e))?
        }
        "tools/call" | "resources/read" | "prompts/get" | "completion/complete" => {
            if method == "tools/call" {
                param_headers::check(headers, desc, &params).map_err(|e| (id.clone(), e))?;
                match (tasks::support(desc, &params), meta.tasks) {
                    (Some(support), true) => {
                        let prep =
                            call::prepare(&method, &params, desc).map_err(|e| (id.clone(), e))?;
                        let value =
                            tasks::call_tool(shared, route.clone(), prep, support, &meta, &params)
                                .await
                                .map_err(|e| (id.clone(), e))?;
                        let body =
                            result(&id, wire::finish(Era::Modern, &method, value, Some(desc)));
                        return Ok(json_response(StatusCode::OK, &body, None));
                    }
                    (Some(tasks::Support::Required), false) => {
                        let name = params.get("name").and_then(Value::as_str).unwrap_or("");
                        return Err((id, tasks::extension_required(&format!("Tool `{name}`"))));
                    }
                    _ => {}
                }
            }
            let env = CallEnv {
                era: Era::Modern,
                id: id.clone(),
                session: None,
                log_level: meta.log_level,
                progress_token: meta.progress_token,
                caps: meta.caps,
                params,
            };
            return crate::start::run_call(shared, route, headers, &method, env).await;
        }
        "tasks/get" | "tasks/update" | "tasks/cancel" => {
            tasks::handle(shared, route.clone(), &method, &params, &meta)
                .await
                .map_err(|e| (id.clone(), e))?
        }
        "subscriptions/listen" => return Ok(sse::response(sse::listen(id), None)),
        _ => {
            return Err((
                id,
                RpcError::method_not_found(&method, StatusCode::NOT_FOUND),
            ));
        }
    };
    Ok(json_response(
        StatusCode::OK,
        &result(&id, wire::finish(Era::Modern, &method, value, Some(desc))),
        None,
    ))
}

async fn legacy(
    shared: &Arc<Shared>,
    route: Arc<Route>,
    headers: &HeaderMap,
    id: Value,
    method: String,
    params: Map<String, Value>,
) -> Reply {
    if method == "initialize" {
        return initialize(shared, &route, id, &params).await;
    }
    let Some(session_id) = header_str(headers, HEADER_SESSION_ID) else {
        let e = RpcError::invalid_request(
            "Bad Request: Mcp-Session-Id header is required; send initialize first to open a session",
        );
        return Err((id, e));
    };
    let mut session = match shared.sessions.get(&route.project_id, session_id).await {
        Ok(Some(s)) => s,
        Ok(None) => {
            return Err((
                id,
                session_error(
                    StatusCode::NOT_FOUND,
                    "Session not found: it expired or was closed; initialize a new one",
                ),
            ));
        }
        Err(e) => {
            return Err((
                id,
                RpcError::internal(e.to_string()).with_status(StatusCode::SERVICE_UNAVAILABLE),
            ));
        }
    };
    crate::request_log::set_session(&session.id, session.client_name.as_deref());
    let desc = &route.description;
    let value = match method.as_str() {
        "ping" => json!({}),
        "logging/setLevel" => {
            let level = params.get("level").and_then(Value::as_str);
            let Some(level) = level.and_then(LogLevel::parse) else {
                let e = RpcError::invalid_params(
                    "Invalid params: `level` must be one of debug, info, notice, warning, error, critical, alert, emergency",
                );
                return Err((id, e));
            };
            session.log_level = Some(level);
            update(shared, &session)
                .await
                .map_err(|e| (id.clone(), e))?;
            json!({})
        }
        "resources/subscribe" | "resources/unsubscribe" => {
            let Some(uri) = params.get("uri").and_then(Value::as_str) else {
                return Err((
                    id,
                    RpcError::invalid_params(format!(
                        "Invalid params: {method} needs a string `uri`"
                    )),
                ));
            };
            let (subscribe, limits) = (method == "resources/subscribe", &shared.config.sessions);
            subscriptions::apply(&mut session, uri, subscribe, limits)
                .map_err(|e| (id.clone(), e))?;
            update(shared, &session)
                .await
                .map_err(|e| (id.clone(), e))?;
            json!({})
        }
        "tools/list" | "resources/list" | "resources/templates/list" | "prompts/list" => {
            let cursor = params.get("cursor").and_then(Value::as_str);
            wire::list_page(desc, &method, cursor, shared.config.page_size)
                .map_err(|e| (id.clone(), e))?
        }
        "tools/call" | "resources/read" | "prompts/get" | "completion/complete" => {
            let streamable = accepts(headers, "text/event-stream");
            let env = CallEnv {
                era: Era::Legacy,
                id: id.clone(),
                session: Some(session.id.clone()),
                log_level: if streamable {
                    Some(session.log_level.unwrap_or(LogLevel::Debug))
                } else {
                    None
                },
                progress_token: params
                    .get("_meta")
                    .and_then(|m| m.get("progressToken"))
                    .cloned()
                    .filter(|_| streamable),
                caps: if streamable {
                    session.client_caps
                } else {
                    ClientCaps::default()
                },
                params: Map::new(),
            };
            let call_params = params;
            return crate::start::run_legacy_call(
                shared,
                route,
                headers,
                &method,
                env,
                call_params,
            )
            .await;
        }
        _ => return Err((id, RpcError::method_not_found(&method, StatusCode::OK))),
    };
    Ok(json_response(
        StatusCode::OK,
        &result(&id, wire::finish(Era::Legacy, &method, value, None)),
        None,
    ))
}

async fn update(shared: &Shared, session: &SessionInfo) -> Result<(), RpcError> {
    shared
        .sessions
        .update(session)
        .await
        .map_err(|e| RpcError::internal(e.to_string()))
}

async fn initialize(
    shared: &Arc<Shared>,
    route: &Route,
    id: Value,
    params: &Map<String, Value>,
) -> Reply {
    let requested = params.get("protocolVersion").and_then(Value::as_str);
    let caps = params.get("capabilities").and_then(Value::as_object);
    let session = SessionInfo {
        id: uuid::Uuid::new_v4().simple().to_string(),
        project_id: route.project_id.clone(),
        protocol_version: requested
            .filter(|v| LEGACY_VERSIONS.contains(v))
            .unwrap_or(LEGACY_VERSIONS[0])
            .to_string(),
        client_caps: ClientCaps::from_declared(caps),
        log_level: None,
        subscriptions: Vec::new(),
        client_name: crate::request_log::client_name(params),
    };
    crate::request_log::set_session(&session.id, None);
    if let Err(e) = shared
        .sessions
        .create(session.clone(), shared.config.session_ttl)
        .await
    {
        return Err((id, e.into()));
    }
    let body = result(&id, wire::initialize_result(&route.description, requested));
    Ok(json_response(StatusCode::OK, &body, Some(&session.id)))
}
