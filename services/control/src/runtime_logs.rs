//! A project's runtime log (what its deployments did: requests, guest log messages and output, egress):
//! `GET /api/v1/projects/{slug}/logs` reads it, `GET /api/v1/projects/{slug}/logs/stream` follows it
//! over SSE. Both take the same filters (`level`, `tool`, `errors`, `deployment`, `since`, `after`,
//! `limit`) and answer only for the caller's own projects. The log itself is `berth-runlog`'s.

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use axum::{Json, Router};
use berth_core::LogLevel;
use berth_core::runlog::{LogFilter, MAX_EVENTS_PER_READ, RuntimeEvent};
use berth_runlog::RuntimeLogs;
use futures::{Stream, StreamExt};
use serde::Deserialize;
use std::convert::Infallible;
use std::sync::Arc;
use tokio::sync::broadcast::error::RecvError;

use crate::ApiError;
use crate::api::{ApiState, Authed, owned_project};

/// Longest `tool` or `deployment` filter accepted: names, not texts.
const MAX_FILTER_BYTES: usize = 256;

/// Events a stream sends first, when it is not given a cursor: a screenful of what just happened.
const STREAM_BACKLOG: usize = 100;

pub fn routes() -> Router<ApiState> {
    Router::new()
        .route("/api/v1/projects/{slug}/logs", get(read))
        .route("/api/v1/projects/{slug}/logs/stream", get(stream))
}

/// The filters as the query string spells them.
#[derive(Debug, Default, Deserialize)]
pub struct LogQuery {
    pub level: Option<String>,
    pub tool: Option<String>,
    pub errors: Option<String>,
    pub deployment: Option<String>,
    pub since: Option<String>,
    pub after: Option<String>,
    pub limit: Option<String>,
}

fn present(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Parses the query's filters, saying which is wrong and how.
pub fn filter(q: &LogQuery, now_ms: i64) -> Result<LogFilter, ApiError> {
    let bad = |m: String| Err(ApiError::BadRequest(m));
    let mut f = LogFilter::default();
    if let Some(level) = present(&q.level) {
        match LogLevel::parse(level) {
            Some(l) => f.min_level = Some(l),
            None => {
                return bad(
                    "`level` must be one of debug, info, notice, warning, error, critical, alert, emergency"
                        .into(),
                );
            }
        }
    }
    for (value, slot, what) in [
        (&q.tool, &mut f.tool, "tool"),
        (&q.deployment, &mut f.deployment_id, "deployment"),
    ] {
        if let Some(v) = present(value) {
            if v.len() > MAX_FILTER_BYTES {
                return bad(format!("`{what}` is longer than {MAX_FILTER_BYTES} bytes"));
            }
            *slot = Some(v.to_string());
        }
    }
    if let Some(e) = present(&q.errors) {
        f.errors_only = match e {
            "1" | "true" | "yes" | "on" => true,
            "0" | "false" | "no" | "off" => false,
            _ => return bad("`errors` must be true or false".into()),
        };
    }
    if let Some(s) = present(&q.since) {
        match since_ms(s, now_ms) {
            Some(ms) => f.since_ms = Some(ms),
            None => {
                return bad(
                    "`since` must be unix milliseconds or a duration ago such as 30s, 10m, 2h, 7d"
                        .into(),
                );
            }
        }
    }
    if let Some(a) = present(&q.after) {
        match a.parse::<i64>() {
            Ok(a) if a >= 0 => f.after_seq = Some(a),
            _ => return bad("`after` must be an event's `seq` (a number)".into()),
        }
    }
    if let Some(l) = present(&q.limit) {
        match l.parse::<usize>() {
            Ok(l) if (1..=MAX_EVENTS_PER_READ).contains(&l) => f.limit = l,
            _ => {
                return bad(format!(
                    "`limit` must be a number from 1 to {MAX_EVENTS_PER_READ}"
                ));
            }
        }
    }
    Ok(f)
}

/// `since`: unix milliseconds, or a duration back from now (`90s`, `10m`, `2h`, `7d`).
fn since_ms(s: &str, now_ms: i64) -> Option<i64> {
    if let Ok(ms) = s.parse::<i64>() {
        return (ms >= 0).then_some(ms);
    }
    let split = s.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = s.split_at(split);
    let n: i64 = n.parse().ok()?;
    let unit_ms: i64 = match unit {
        "s" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return None,
    };
    Some(now_ms.saturating_sub(n.checked_mul(unit_ms)?))
}

fn logs_of(state: &ApiState) -> Result<&RuntimeLogs, ApiError> {
    state
        .runtime_logs
        .as_ref()
        .ok_or_else(|| ApiError::NotFound("this Berth keeps no runtime logs".into()))
}

async fn read(
    State(state): State<ApiState>,
    Authed(user): Authed,
    Path(slug): Path<String>,
    Query(q): Query<LogQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let p = owned_project(&state, &user, &slug).await?;
    let f = filter(&q, berth_runlog::now_ms())?;
    let events = logs_of(&state)?
        .read(&p.id, &f)
        .await
        .map_err(ApiError::Internal)?;
    let next = events.last().map(|e| e.seq).or(f.after_seq);
    Ok(Json(serde_json::json!({
        "events": events.iter().map(|e| e.to_json()).collect::<Vec<_>>(),
        "next": next,
    })))
}

fn event(e: &RuntimeEvent) -> Event {
    Event::default()
        .event("log")
        .id(e.seq.to_string())
        .data(e.to_json().to_string())
}

/// The log as it happens: the newest events that pass the filters (or those after `after`, or after
/// the `Last-Event-ID` a reconnecting browser sends), then each new one, as SSE `log` events whose id
/// is the event's `seq`. A reader that falls behind gets a `lagged` event saying how many it missed.
async fn stream(
    State(state): State<ApiState>,
    Authed(user): Authed,
    Path(slug): Path<String>,
    Query(q): Query<LogQuery>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let p = owned_project(&state, &user, &slug).await?;
    let mut f = filter(&q, berth_runlog::now_ms())?;
    if let Some(last) = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i64>().ok())
    {
        f.after_seq = Some(last);
    }
    if f.after_seq.is_none() && q.limit.is_none() {
        f.limit = STREAM_BACKLOG;
    }
    let logs = logs_of(&state)?;
    // Subscribed before the backlog is read: nothing falls between the two.
    let live = logs.subscribe();
    let backlog = logs.read(&p.id, &f).await.map_err(ApiError::Internal)?;
    let last = backlog.last().map(|e| e.seq).or(f.after_seq).unwrap_or(0);
    let first: Vec<Event> = backlog.iter().map(|e| event(e)).collect();
    let project = Arc::new(p.id);
    let tail = futures::stream::unfold((live, last), move |(mut live, mut last)| {
        let (project, f) = (project.clone(), f.clone());
        async move {
            loop {
                match live.recv().await {
                    Ok(e) if e.project_id == *project && e.seq > last && f.matches(&e) => {
                        last = e.seq;
                        return Some((event(&e), (live, last)));
                    }
                    Ok(_) => {}
                    Err(RecvError::Lagged(n)) => {
                        let note = Event::default()
                            .event("lagged")
                            .data(serde_json::json!({ "missed": n }).to_string());
                        return Some((note, (live, last)));
                    }
                    Err(RecvError::Closed) => return None,
                }
            }
        }
    });
    let stream = futures::stream::iter(first).chain(tail).map(Ok);
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> LogQuery {
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        };
        LogQuery {
            level: get("level"),
            tool: get("tool"),
            errors: get("errors"),
            deployment: get("deployment"),
            since: get("since"),
            after: get("after"),
            limit: get("limit"),
        }
    }

    #[test]
    fn filters_parse_or_say_what_is_wrong() {
        let now = 10_000_000;
        let f = filter(
            &q(&[
                ("level", "warning"),
                ("tool", "add"),
                ("errors", "true"),
                ("since", "2m"),
                ("after", "42"),
                ("limit", "5"),
                ("deployment", "d-1"),
            ]),
            now,
        )
        .unwrap();
        assert_eq!(
            f,
            LogFilter {
                deployment_id: Some("d-1".into()),
                min_level: Some(LogLevel::Warning),
                tool: Some("add".into()),
                errors_only: true,
                since_ms: Some(now - 120_000),
                after_seq: Some(42),
                limit: 5,
            }
        );
        assert_eq!(
            filter(&q(&[("level", "")]), now).unwrap(),
            LogFilter::default()
        );
        assert_eq!(
            filter(&q(&[("since", "1234")]), now).unwrap().since_ms,
            Some(1234)
        );
        let long = "x".repeat(MAX_FILTER_BYTES + 1);
        let bad = [
            ("level", "loud"),
            ("errors", "maybe"),
            ("since", "yesterday"),
            ("since", "5w"),
            ("since", "99999999999999999999d"),
            ("after", "-1"),
            ("after", "x"),
            ("limit", "0"),
            ("limit", "1001"),
            ("tool", long.as_str()),
            ("deployment", long.as_str()),
        ];
        for (k, v) in bad {
            let err = filter(&q(&[(k, v)]), now).unwrap_err();
            assert!(
                matches!(&err, ApiError::BadRequest(m) if m.contains(k)),
                "{k}={v}: {err:?}"
            );
        }
    }
}
