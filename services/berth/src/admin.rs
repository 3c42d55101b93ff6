//! `/metrics`, the operator's alone: its series name every tenant's projects and tools. On the public
//! listener it answers only the operator's API token (`Authorization: Bearer <operator-token>`); the
//! admin listener (`--admin-listen`, loopback by default) serves it to whoever can reach that address,
//! for a Prometheus scraper. The dashboard reads its charts in process, not from here.

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use berth_store::Store;
use std::net::SocketAddr;
use std::str::FromStr;

/// Where the admin listener binds unless told otherwise: loopback only (reachable from this machine,
/// not the internet), on the port Prometheus exporters conventionally use.
pub const DEFAULT_ADMIN_LISTEN: &str = "127.0.0.1:9464";

/// `--admin-listen`: an address, or `off`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AdminListen(pub Option<SocketAddr>);

impl FromStr for AdminListen {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "off" => Ok(AdminListen(None)),
            addr => addr
                .parse()
                .map(|a| AdminListen(Some(a)))
                .map_err(|_| format!("`{addr}` is not an address like 127.0.0.1:9464, nor `off`")),
        }
    }
}

/// Who may read `/metrics` on the public listener: the holder of an API token of the operator's
/// account.
#[derive(Clone)]
pub struct OperatorOnly {
    pub store: Store,
    pub operator_id: String,
}

impl OperatorOnly {
    async fn allows(&self, headers: &HeaderMap) -> bool {
        let Some(token) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
        else {
            return false;
        };
        let hash = berth_control::token_hash(token.trim());
        matches!(
            self.store.user_by_token_hash(&hash).await,
            Ok(Some(user)) if user.id == self.operator_id
        )
    }
}

/// `/metrics` on the public listener: the operator's token, or 401.
pub fn public_metrics(registry: prometheus::Registry, access: OperatorOnly) -> Router {
    Router::new().route(
        "/metrics",
        get(move |headers: HeaderMap| {
            let (registry, access) = (registry.clone(), access.clone());
            async move {
                if access.allows(&headers).await {
                    metrics(&registry).into_response()
                } else {
                    refused()
                }
            }
        }),
    )
}

/// The admin listener's routes: `/metrics` and `/healthz`, open.
pub fn admin_router(registry: prometheus::Registry) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(move || async move { metrics(&registry) }))
}

fn refused() -> Response {
    let message = format!(
        "/metrics is the operator's: send `Authorization: Bearer <operator token>` (in <data-dir>/operator-token), \
         or scrape the admin listener (--admin-listen, default {DEFAULT_ADMIN_LISTEN})"
    );
    let body = serde_json::json!({"error": {"code": "unauthorized", "message": message}});
    (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response()
}

fn metrics(registry: &prometheus::Registry) -> String {
    use prometheus::Encoder;
    let mut buf = Vec::new();
    let _ = prometheus::TextEncoder::new().encode(&registry.gather(), &mut buf);
    String::from_utf8(buf).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use berth_store::NewUser;

    /// A registry with one series naming a tenant's project, as the edge's are.
    fn registry() -> prometheus::Registry {
        let registry = prometheus::Registry::new();
        let calls = prometheus::IntCounterVec::new(
            prometheus::Opts::new("berth_edge_tool_calls_total", "tool calls"),
            &["project", "tool"],
        )
        .unwrap();
        calls
            .with_label_values(&["tenant-secret-project", "tenant_secret_tool"])
            .inc();
        registry.register(Box::new(calls)).unwrap();
        registry
    }

    async fn serve(app: Router) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}/metrics")
    }

    async fn get(url: &str, token: Option<&str>) -> (u16, String) {
        let mut req = reqwest::Client::new().get(url);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        let resp = req.send().await.unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    }

    async fn user_with_token(store: &Store, login: &str) -> (String, String) {
        let user = store
            .upsert_user(NewUser {
                login: login.into(),
                ..Default::default()
            })
            .await
            .unwrap();
        let token = berth_control::new_api_token();
        store
            .create_token(&user.id, "test", &berth_control::token_hash(&token))
            .await
            .unwrap();
        (user.id, token)
    }

    #[tokio::test]
    async fn public_metrics_name_no_project_but_to_the_operator() {
        let store = Store::connect("sqlite::memory:").await.unwrap();
        let (operator_id, operator) = user_with_token(&store, "operator").await;
        let (_, tenant) = user_with_token(&store, "mallory").await;
        let access = OperatorOnly { store, operator_id };
        let url = serve(public_metrics(registry(), access)).await;
        for token in [None, Some(tenant.as_str()), Some("berth_not-a-token")] {
            let (status, body) = get(&url, token).await;
            assert_eq!(status, 401, "{body}");
            assert!(!body.contains("tenant-secret-project"), "{body}");
            assert!(!body.contains("tenant_secret_tool"), "{body}");
            assert!(body.contains("operator token"), "{body}");
        }
        let (status, body) = get(&url, Some(&operator)).await;
        assert_eq!(status, 200);
        assert!(body.contains("tenant-secret-project"), "{body}");
    }

    #[tokio::test]
    async fn the_admin_listener_serves_metrics() {
        let url = serve(admin_router(registry())).await;
        let (status, body) = get(&url, None).await;
        assert_eq!(status, 200);
        assert!(body.contains("berth_edge_tool_calls_total"), "{body}");
    }

    #[test]
    fn admin_listen_is_an_address_or_off() {
        assert_eq!("off".parse(), Ok(AdminListen(None)));
        assert_eq!(
            DEFAULT_ADMIN_LISTEN.parse::<AdminListen>().unwrap().0,
            Some("127.0.0.1:9464".parse().unwrap())
        );
        assert!(
            "localhost"
                .parse::<AdminListen>()
                .unwrap_err()
                .contains("nor `off`")
        );
    }
}
