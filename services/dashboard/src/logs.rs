//! The Logs page: a project's runtime log (requests, what its server logged and printed, egress), the
//! newest events rendered on the server with the filters as a plain GET form (level, tool, errors
//! only), then tailed live by the browser from the API's SSE stream (`app.js`). Without script the
//! page still shows the log as of its loading, and the filters still work.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::Method;
use axum::response::Response;
use serde::Deserialize;

use crate::views::{Nav, page};
use crate::{Dashboard, PageError, Viewer};

/// Events the page shows when it loads (the browser keeps at most 1000 as it tails).
const PAGE_EVENTS: usize = 200;

/// The levels the filter offers: the MCP log levels a person filters by.
const LEVELS: [&str; 5] = ["debug", "info", "notice", "warning", "error"];

#[derive(Debug, Default, Deserialize)]
pub struct Filters {
    level: Option<String>,
    tool: Option<String>,
    errors: Option<String>,
}

/// One event as a row.
pub struct Row {
    pub seq: i64,
    pub time: String,
    pub level: String,
    pub tool: String,
    pub kind: String,
    pub text: String,
    pub error: bool,
}

#[derive(Template)]
#[template(path = "logs.html")]
struct Logs {
    nav: Nav,
    slug: String,
    rows: Vec<Row>,
    levels: &'static [&'static str],
    level: String,
    tool: String,
    errors: bool,
    stream_url: String,
}

/// `YYYY-MM-DD HH:MM:SS.mmm` (UTC), as the browser prints streamed events too.
fn utc(ms: i64) -> String {
    let (days, rem) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    let (y, m, d) = berth_core::util::civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{:03}",
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000
    )
}

fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub async fn show(
    State(d): State<Dashboard>,
    viewer: Viewer,
    Path(slug): Path<String>,
    Query(f): Query<Filters>,
) -> Result<Response, PageError> {
    d.project(&viewer, &slug).await?;
    let level = f
        .level
        .filter(|l| LEVELS.contains(&l.as_str()))
        .unwrap_or_default();
    let tool = f.tool.map(|t| t.trim().to_string()).unwrap_or_default();
    let errors = f
        .errors
        .is_some_and(|e| e == "1" || e == "true" || e == "on");
    let mut query = vec![];
    if !level.is_empty() {
        query.push(format!("level={}", encode(&level)));
    }
    if !tool.is_empty() {
        query.push(format!("tool={}", encode(&tool)));
    }
    if errors {
        query.push("errors=true".to_string());
    }
    let mut first = query.clone();
    first.push(format!("limit={PAGE_EVENTS}"));
    let path = format!("/api/v1/projects/{slug}/logs?{}", first.join("&"));
    let page_json = viewer.api(&d, Method::GET, &path, None).await?;
    let rows: Vec<Row> = page_json["events"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| Row {
                    seq: e["seq"].as_i64().unwrap_or(0),
                    time: utc(e["time"].as_i64().unwrap_or(0)),
                    level: e["level"].as_str().unwrap_or("info").to_string(),
                    tool: e["tool"].as_str().unwrap_or("").to_string(),
                    kind: e["kind"].as_str().unwrap_or("").to_string(),
                    text: e["text"].as_str().unwrap_or("").to_string(),
                    error: e["isError"].as_bool().unwrap_or(false),
                })
                .collect()
        })
        .unwrap_or_default();
    // The stream goes on from the last event shown.
    if let Some(last) = rows.last() {
        query.push(format!("after={}", last.seq));
    }
    let stream_url = format!("/api/v1/projects/{slug}/logs/stream?{}", query.join("&"));
    page(&Logs {
        nav: Nav::project(&viewer, &slug, "logs"),
        slug,
        rows,
        levels: &LEVELS,
        level,
        tool,
        errors,
        stream_url,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_query_values() {
        assert_eq!(utc(86_400_000 + 3_723_004), "1970-01-02 01:02:03.004");
        assert_eq!(encode("a b&c"), "a%20b%26c");
    }
}
