//! The HTTP request log (at debug level): method and path only. A query string carries one-time sign-in
//! tokens and OAuth codes and states, and must never reach a log.

use axum::body::Body;
use axum::http::Request;
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::trace::TraceLayer;

/// The span each request is logged in.
pub fn request_span(req: &Request<Body>) -> tracing::Span {
    tracing::debug_span!(
        "request",
        method = %req.method(),
        path = %req.uri().path(),
        version = ?req.version(),
    )
}

/// How a request's span is made.
type MakeSpan = fn(&Request<Body>) -> tracing::Span;

/// The trace layer of every listener.
pub type HttpTrace = TraceLayer<SharedClassifier<ServerErrorsAsFailures>, MakeSpan>;

/// `TraceLayer::new_for_http()` with [`request_span`] (its default span logs the whole URI).
pub fn layer() -> HttpTrace {
    TraceLayer::new_for_http().make_span_with(request_span as MakeSpan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::routing::get;
    use std::io::Write;
    use std::sync::{Arc, Mutex};
    use tower::ServiceExt;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn the_request_log_never_holds_a_query_string() {
        let captured = Captured::default();
        let sink = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_writer(move || sink.clone())
            .with_ansi(false)
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        let app = Router::new()
            .route("/auth/local", get(|| async { "signed in" }))
            .layer(layer());
        let req = Request::get("/auth/local?token=one-time-secret-7f3a&next=/")
            .body(Body::empty())
            .unwrap();
        let res = app.oneshot(req).await.unwrap();
        assert_eq!(res.status(), 200);
        let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert!(log.contains("/auth/local"), "the path is logged: {log}");
        assert!(!log.contains("one-time-secret-7f3a"), "{log}");
        assert!(!log.contains("token="), "{log}");
    }
}
