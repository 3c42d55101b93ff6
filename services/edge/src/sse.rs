//! Server-sent event streams: framing, the resumable stream of a 2025-era call (read back from the
//! session's event log, so a client that lost the connection resumes with `Last-Event-ID`), and the
//! direct stream of a stateless 2026-07-28 call.

use crate::hooks::Outbound;
use crate::store::SessionStore;
use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// A comment line keeps idle connections (and proxies) from timing out.
const KEEPALIVE_EVERY: Duration = Duration::from_secs(15);

/// `<stream>_<seq>`: the event id a client sends back in `Last-Event-ID`.
pub fn event_id(stream: &str, seq: u64) -> String {
    format!("{stream}_{seq}")
}

pub fn parse_event_id(id: &str) -> Option<(&str, u64)> {
    let (stream, seq) = id.rsplit_once('_')?;
    Some((stream, seq.parse().ok()?))
}

fn frame(id: Option<&str>, data: &str) -> String {
    match id {
        Some(id) => format!("id: {id}\ndata: {data}\n\n"),
        None => format!("data: {data}\n\n"),
    }
}

/// The first event of a resumable stream: an id and empty data, so a client that loses the stream at once
/// can still resume it, and the `retry` hint for when it does.
fn priming(stream: &str, retry_ms: u64) -> Bytes {
    Bytes::from(format!(
        "id: {}\nretry: {retry_ms}\ndata: \n\n",
        event_id(stream, 0)
    ))
}

pub fn response(body: Body, session: Option<&str>) -> Response {
    let mut res = Response::new(body);
    *res.status_mut() = StatusCode::OK;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Some(s) = session.and_then(|s| HeaderValue::from_str(s).ok()) {
        h.insert("mcp-session-id", s);
    }
    res
}

/// Moves a call's messages into the session's event log until its reply, so they survive the client's
/// connection.
pub async fn pump(
    sessions: Arc<dyn SessionStore>,
    session: String,
    stream: String,
    first: Option<Outbound>,
    mut rx: mpsc::UnboundedReceiver<Outbound>,
) {
    let mut next = first;
    loop {
        let event = match next.take() {
            Some(e) => e,
            None => match rx.recv().await {
                Some(e) => e,
                None => {
                    // The call ended without a reply (it was cancelled): end the stream as it is.
                    if let Err(e) = sessions.close_stream(&session, &stream).await {
                        tracing::warn!(session, "call stream not closed: {e}");
                    }
                    return;
                }
            },
        };
        let (data, last) = match event {
            Outbound::Message(v) => (v.to_string(), false),
            Outbound::Final(_, v) => (v.to_string(), true),
        };
        if let Err(e) = sessions.append_event(&session, &stream, data, last).await {
            tracing::warn!(session, "call stream lost: {e}");
            return;
        }
        if last {
            return;
        }
    }
}

struct Replay {
    sessions: Arc<dyn SessionStore>,
    session: String,
    stream: String,
    after: u64,
    prelude: Option<Bytes>,
    close_at: Option<Instant>,
    done: bool,
}

/// Streams a logged call from sequence `after`, starting with a priming event when `prime` is set. Ends
/// with the call's reply, or early at `close_after` (the client then resumes with `Last-Event-ID`).
pub fn from_log(
    sessions: Arc<dyn SessionStore>,
    session: String,
    stream: String,
    after: u64,
    prime: Option<u64>,
    close_after: Option<Duration>,
) -> Body {
    let state = Replay {
        prelude: prime.map(|retry| priming(&stream, retry)),
        sessions,
        session,
        stream,
        after,
        close_at: close_after.map(|d| Instant::now() + d),
        done: false,
    };
    let s = futures::stream::unfold(state, |mut st| async move {
        if st.done {
            return None;
        }
        if let Some(p) = st.prelude.take() {
            return Some((Ok::<_, Infallible>(p), st));
        }
        let now = Instant::now();
        let wait = match st.close_at {
            Some(at) if at <= now => return None,
            Some(at) => (at - now).min(KEEPALIVE_EVERY),
            None => KEEPALIVE_EVERY,
        };
        let batch = st
            .sessions
            .read_events(&st.session, &st.stream, st.after, wait)
            .await
            .ok()?;
        if batch.events.is_empty() {
            if batch.closed {
                return None;
            }
            return Some((Ok(Bytes::from_static(b": keepalive\n\n")), st));
        }
        let mut out = String::new();
        for (seq, data) in &batch.events {
            out.push_str(&frame(Some(&event_id(&st.stream, *seq)), data));
            st.after = *seq;
        }
        st.done = batch.closed;
        Some((Ok(Bytes::from(out)), st))
    });
    Body::from_stream(s)
}

/// Streams a stateless call's messages straight from its channel, ending with its reply.
pub fn direct(first: Outbound, rx: mpsc::UnboundedReceiver<Outbound>) -> Body {
    let s = futures::stream::unfold(
        (Some(first), rx, false),
        |(mut next, mut rx, done)| async move {
            if done {
                return None;
            }
            let event = match next.take() {
                Some(e) => e,
                None => rx.recv().await?,
            };
            let (data, last) = match event {
                Outbound::Message(v) => (v.to_string(), false),
                Outbound::Final(_, v) => (v.to_string(), true),
            };
            Some((
                Ok::<_, Infallible>(Bytes::from(frame(None, &data))),
                (None, rx, last),
            ))
        },
    );
    Body::from_stream(s)
}

/// A session's standalone `GET` stream: nothing is pushed on it yet (no list changes in a deployment), so
/// it carries keepalives until the session ends or the client leaves.
pub fn standalone(
    sessions: Arc<dyn SessionStore>,
    project_id: String,
    session: String,
    retry_ms: u64,
) -> Body {
    let first = Bytes::from(format!("retry: {retry_ms}\n: stream open\n\n"));
    let s = futures::stream::unfold((Some(first), sessions), move |(first, sessions)| {
        let (project_id, session) = (project_id.clone(), session.clone());
        async move {
            if let Some(f) = first {
                return Some((Ok::<_, Infallible>(f), (None, sessions)));
            }
            tokio::time::sleep(KEEPALIVE_EVERY).await;
            match sessions.get(&project_id, &session).await {
                Ok(Some(_)) => Some((Ok(Bytes::from_static(b": keepalive\n\n")), (None, sessions))),
                _ => None,
            }
        }
    });
    Body::from_stream(s)
}

/// A 2026-07-28 `subscriptions/listen` stream: acknowledged at once with the subscription's id. A
/// deployment's lists do not change while it serves (a redeploy is a new route), so the stream then only
/// carries keepalives until the client leaves.
pub fn listen(subscription_id: serde_json::Value) -> Body {
    let ack = serde_json::json!({
        "jsonrpc": "2.0",
        "method": "notifications/subscriptions/acknowledged",
        "params": { "notifications": {}, "_meta": { "io.modelcontextprotocol/subscriptionId": subscription_id } },
    });
    let first = Bytes::from(frame(None, &ack.to_string()));
    let s = futures::stream::unfold(Some(first), |first| async move {
        if let Some(f) = first {
            return Some((Ok::<_, Infallible>(f), None));
        }
        tokio::time::sleep(KEEPALIVE_EVERY).await;
        Some((Ok(Bytes::from_static(b": keepalive\n\n")), None))
    });
    Body::from_stream(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_ids_round_trip() {
        assert_eq!(parse_event_id(&event_id("abc", 7)), Some(("abc", 7)));
        assert_eq!(parse_event_id("nonsense"), None);
        assert_eq!(parse_event_id("a_b"), None);
    }
}
