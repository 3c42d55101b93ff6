//! The real router against a real (in-memory SQLite) store, with a stand-in for the control plane's
//! API that speaks its wire format for the calls these tests make (`/auth/session`).

use super::*;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use berth_control::{BuildRunner, LiveRoute, LogSink, RoutePublisher};
use berth_core::{ProjectSlug, ServerDescription};
use berth_store::{NewProject, NewUser};
use http_body_util::BodyExt;
use std::path::PathBuf;
use std::sync::Arc;
use tower::ServiceExt;

struct NoBuilds;

#[async_trait::async_trait]
impl BuildRunner for NoBuilds {
    async fn build(
        &self,
        _: PathBuf,
        _: String,
        _: LogSink,
    ) -> Result<(String, ServerDescription), String> {
        Err("no builds in these tests".into())
    }
}

struct NoRoutes;

#[async_trait::async_trait]
impl RoutePublisher for NoRoutes {
    async fn publish(&self, _: LiveRoute) {}
    async fn withdraw(&self, _: &str) {}
}

/// `/auth/github/login` (GitHub configured) and `/auth/session` as the control plane answers them: the cookie `session=<user id>` signs that user in,
/// with CSRF token `csrf-<user id>`.
fn fake_api() -> Router {
    Router::new()
        .route(
            "/auth/github/login",
            get(|| async { axum::response::Redirect::to("https://github.example/login/oauth") }),
        )
        .route(
        "/auth/session",
        get(|headers: HeaderMap| async move {
            let user = crate::tests::cookie(&headers);
            match user {
                Some(id) => axum::Json(serde_json::json!({
                    "user": {"id": id, "login": id}, "csrfToken": format!("csrf-{id}"),
                }))
                .into_response(),
                None => (
                    StatusCode::UNAUTHORIZED,
                    axum::Json(serde_json::json!({"error": {"code": "unauthorized", "message": "sign in"}})),
                )
                    .into_response(),
            }
        }),
    )
}

fn cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::COOKIE)?
        .to_str()
        .ok()?
        .split(';')
        .find_map(|kv| kv.trim().strip_prefix("session="))
        .map(str::to_string)
}

struct Fixture {
    app: Router,
    alice: String,
    bob: String,
    recorder: crate::Recorder,
    weather_id: String,
    store: Store,
}

async fn fixture() -> Fixture {
    fixture_with(berth_core::LimitPolicy::default()).await
}

async fn fixture_with(limits: berth_core::LimitPolicy) -> Fixture {
    let store = Store::connect("sqlite::memory:").await.unwrap();
    let user = |login: &str| NewUser {
        login: login.into(),
        ..NewUser::default()
    };
    let alice = store.upsert_user(user("alice")).await.unwrap().id;
    let bob = store.upsert_user(user("bob")).await.unwrap().id;
    let weather = store
        .create_project(NewProject {
            slug: ProjectSlug::parse("weather").unwrap(),
            owner_id: alice.clone(),
            repo: Some("alice/weather".into()),
            branch: "main".into(),
            entry: "server.py:mcp".into(),
            limits: Default::default(),
        })
        .await
        .unwrap();
    let dir = std::env::temp_dir().join(format!("berth-dashboard-{}", rand::random::<u32>()));
    let queue = BuildQueue::start(
        store.clone(),
        Arc::new(NoBuilds),
        Arc::new(NoRoutes),
        dir,
        1,
    );
    let recorder = crate::Recorder::new();
    let app = Dashboard::new(queue, fake_api(), "https://mcp.example.com/")
        .limit_policy(limits)
        .recorder(recorder.clone())
        .into_router();
    Fixture {
        app,
        alice,
        bob,
        recorder,
        weather_id: weather.id,
        store,
    }
}

async fn send(app: &Router, req: Request<Body>) -> (StatusCode, HeaderMap, String) {
    let res = app.clone().oneshot(req).await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

fn get_as(user: &str, path: &str) -> Request<Body> {
    Request::get(path)
        .header(header::COOKIE, format!("session={user}"))
        .body(Body::empty())
        .unwrap()
}

fn post_as(user: &str, path: &str, form: &str) -> Request<Body> {
    Request::post(path)
        .header(header::COOKIE, format!("session={user}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form.to_string()))
        .unwrap()
}

#[tokio::test]
async fn signed_out_browsers_go_to_sign_in_and_come_back() {
    let f = fixture().await;
    let req = Request::get("/projects/weather")
        .body(Body::empty())
        .unwrap();
    let (status, headers, _) = send(&f.app, req).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/login?next=/projects/weather");
    let req = Request::get("/login?next=/projects/weather")
        .body(Body::empty())
        .unwrap();
    let (status, _, body) = send(&f.app, req).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("/auth/github/login?next=/projects/weather"),
        "{body}"
    );
}

#[tokio::test]
async fn projects_list_and_overview_show_the_url_and_client_configs() {
    let f = fixture().await;
    let (status, _, body) = send(&f.app, get_as(&f.alice, "/projects")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("https://mcp.example.com/weather/mcp"));
    assert!(body.contains("not deployed"));
    let (status, _, body) = send(&f.app, get_as(&f.alice, "/projects/weather")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains(
            "claude mcp add --transport http weather https://mcp.example.com/weather/mcp"
        )
    );
    assert!(
        body.contains("servers") && body.contains("mcp-remote"),
        "VS Code and Claude Desktop configs"
    );
    assert!(body.contains("Nothing is live yet"));
    assert!(body.contains("This project is public"), "{body}");
    // A private project's overview says what a client will do.
    let private = berth_store::ProjectUpdate {
        private: Some(true),
        ..Default::default()
    };
    f.store
        .update_project(&f.weather_id, private)
        .await
        .unwrap();
    let (_, _, body) = send(&f.app, get_as(&f.alice, "/projects/weather")).await;
    assert!(body.contains("This project is private") && body.contains("opens your browser"));
    assert!(body.contains("berth keys create --project weather"));
}

#[tokio::test]
async fn someone_elses_project_is_a_readable_404() {
    let f = fixture().await;
    for path in [
        "/projects/weather",
        "/projects/weather/settings",
        "/projects/weather/deployments/d-1",
    ] {
        let (status, _, body) = send(&f.app, get_as(&f.bob, path)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            body.contains("There is no project named “weather” among yours."),
            "{body}"
        );
        assert!(!body.contains("panicked"));
    }
    let (status, _, body) = send(&f.app, get_as(&f.bob, "/no/such/page/here")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("There is no page at this address."));
}

#[tokio::test]
async fn create_project_puts_messages_next_to_the_wrong_fields() {
    let f = fixture().await;
    let csrf = format!("csrf-{}", f.alice);
    let form = format!("csrf={csrf}&slug=Bad_Name&repo=nope&branch=main&entry=server");
    let (status, _, body) = send(&f.app, post_as(&f.alice, "/projects", &form)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains(r#"id="slug-error""#) && body.contains(r#"id="repo-error""#));
    assert!(body.contains("Write the entry point as file.py:object"));
    assert!(body.contains(r#"value="Bad_Name""#), "what was typed stays");
    // A taken name is refused next to the name field.
    let form = format!("csrf={csrf}&slug=weather&repo=&branch=main&entry=server.py%3Amcp");
    let (status, _, body) = send(
        &f.app,
        post_as(&f.bob, "/projects", &form.replace(&f.alice, &f.bob)),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains(r#"id="slug-error""#) && body.contains("taken"),
        "{body}"
    );
    let form = format!("csrf={csrf}&slug=tools&repo=&branch=main&entry=server.py%3Amcp");
    let (status, headers, _) = send(&f.app, post_as(&f.alice, "/projects", &form)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/projects/tools");
}

#[tokio::test]
async fn forms_without_the_csrf_token_are_refused() {
    let f = fixture().await;
    let form = "csrf=wrong&slug=tools&repo=&branch=main&entry=server.py%3Amcp";
    let (status, _, body) = send(&f.app, post_as(&f.alice, "/projects", form)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("reload the page"));
    let (status, _, _) = send(
        &f.app,
        post_as(&f.alice, "/projects/weather/delete", "confirm=weather"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn settings_validate_and_delete_needs_the_name() {
    let f = fixture().await;
    let csrf = format!("csrf-{}", f.alice);
    let form = format!(
        "csrf={csrf}&branch=main&entry=server.py%3Amcp&timeout_s=5&memory_mib=128&fresh=on"
    );
    let (status, headers, _) = send(
        &f.app,
        post_as(&f.alice, "/projects/weather/settings", &form),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{headers:?}");
    let (_, _, body) = send(
        &f.app,
        get_as(&f.alice, "/projects/weather/settings?saved=1"),
    )
    .await;
    assert!(
        body.contains(r#"name="timeout_s" value="5""#) && body.contains("Saved."),
        "{body}"
    );
    let (status, _, body) = send(
        &f.app,
        post_as(
            &f.alice,
            "/projects/weather/delete",
            &format!("csrf={csrf}&confirm=weathr"),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("Type “weather” exactly"));
    let (status, _, _) = send(
        &f.app,
        post_as(
            &f.alice,
            "/projects/weather/delete",
            &format!("csrf={csrf}&confirm=weather"),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, _) = send(&f.app, get_as(&f.alice, "/projects/weather")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_settings_form_shows_and_keeps_the_operators_bounds() {
    let mut ceilings = berth_core::LimitPolicy::default().ceilings().clone();
    ceilings.memory_mib = 512;
    ceilings.max_concurrent_calls = 4;
    let defaults = berth_core::Limits {
        max_concurrent_calls: 2,
        ..Default::default()
    };
    let f = fixture_with(berth_core::LimitPolicy::new(defaults, ceilings).unwrap()).await;
    let (status, _, body) = send(&f.app, get_as(&f.alice, "/projects/weather/settings")).await;
    assert_eq!(status, StatusCode::OK);
    for shown in [
        r#"name="memory_mib" value="256" type="number" min="16" max="512""#,
        r#"name="concurrent_calls" value="8" type="number" min="1" max="4""#,
        "From 16 to 512 (this Berth's ceiling)",
    ] {
        assert!(body.contains(shown), "{shown} not in {body}");
    }
    let csrf = format!("csrf-{}", f.alice);
    let form = format!(
        "csrf={csrf}&branch=main&entry=server.py%3Amcp&timeout_s=5&memory_mib=1024&concurrent_calls=4"
    );
    let (status, _, body) = send(
        &f.app,
        post_as(&f.alice, "/projects/weather/settings", &form),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("from 16 to 512"), "{body}");
}

#[tokio::test]
async fn metrics_render_svg_charts_from_the_recorder() {
    let f = fixture().await;
    let event = |outcome| berth_core::EgressEvent {
        method: "GET".into(),
        host: "api.example.com".into(),
        port: 443,
        outcome,
        bytes_out: 0,
        bytes_in: 3 * 1024,
        duration: std::time::Duration::from_millis(5),
    };
    f.recorder.egress(
        &f.weather_id,
        &event(berth_core::EgressOutcome::Answered(200)),
    );
    f.recorder.egress(
        &f.weather_id,
        &event(berth_core::EgressOutcome::Refused("not allowed".into())),
    );
    let (status, _, body) = send(&f.app, get_as(&f.alice, "/projects/weather/metrics")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("<dt>Outbound HTTP</dt><dd>2 <span class=\"muted\">(1 refused, 0 failed; 0.0 KiB out, 6.0 KiB in)</span>"),
        "{body}"
    );
    assert_eq!(
        body.matches("<svg class=\"chart\"").count(),
        4,
        "calls and latency, per window"
    );
    let (status, headers, css) = send(
        &f.app,
        Request::get("/static/app.css").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "text/css; charset=utf-8");
    assert!(css.contains("prefers-color-scheme"));
}
