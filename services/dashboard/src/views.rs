//! What the templates show: the page frame ([`Nav`]), formatting helpers (times, durations, commits),
//! and the static assets compiled into the binary.

use askama::Template;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use berth_store::{Deployment, Target};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::{PageError, Viewer};

/// The frame around every page: who is signed in, the token the sign-out form carries, and which
/// project tab is open.
#[derive(Clone, Debug, Default)]
pub struct Nav {
    pub login: Option<String>,
    pub csrf: String,
    /// The project whose tabs are shown.
    pub project: Option<String>,
    /// The open tab: `overview`, `deployments`, `env`, `metrics`, `logs`, `inspector` or `settings`.
    pub tab: &'static str,
}

impl Nav {
    pub fn of(viewer: &Viewer) -> Nav {
        Nav {
            login: Some(viewer.user.login.clone()),
            csrf: viewer.csrf.clone(),
            ..Nav::default()
        }
    }

    pub fn project(viewer: &Viewer, slug: &str, tab: &'static str) -> Nav {
        Nav {
            project: Some(slug.to_string()),
            tab,
            ..Nav::of(viewer)
        }
    }

    /// The project tabs: (tab, label, path).
    pub fn tabs(&self) -> Vec<(&'static str, &'static str, String)> {
        let Some(slug) = &self.project else {
            return Vec::new();
        };
        [
            ("overview", "Overview", ""),
            ("deployments", "Deployments", "/deployments"),
            ("env", "Environment", "/env"),
            ("metrics", "Metrics", "/metrics"),
            ("logs", "Logs", "/logs"),
            ("inspector", "Inspector", "/inspector"),
            ("settings", "Settings", "/settings"),
        ]
        .into_iter()
        .map(|(tab, label, path)| (tab, label, format!("/projects/{slug}{path}")))
        .collect()
    }
}

/// Renders a template as a page.
pub fn page(t: &impl Template) -> Result<Response, PageError> {
    t.render()
        .map(|html| Html(html).into_response())
        .map_err(|e| PageError::Internal(format!("template: {e}")))
}

/// Renders a template with a status other than 200 (a form with errors is a 422).
pub fn page_with(status: StatusCode, t: &impl Template) -> Result<Response, PageError> {
    Ok((status, page(t)?).into_response())
}

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// "just now", "5 minutes ago", "3 hours ago", "2 days ago".
pub fn ago(ms: i64) -> String {
    let secs = (now_ms() - ms).max(0) / 1000;
    let (n, unit) = match secs {
        0..45 => return "just now".into(),
        45..3600 => ((secs + 30) / 60, "minute"),
        3600..86_400 => ((secs + 1800) / 3600, "hour"),
        _ => ((secs + 43_200) / 86_400, "day"),
    };
    format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" })
}

/// A timestamp in UTC, `2026-11-21 20:15 UTC`, for `title` attributes and `<time>`.
pub fn utc(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (year, month, day) = berth_core::util::civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60
    )
}

/// "850 ms", "12.3 s", "2 min 5 s".
pub fn duration(ms: i64) -> String {
    match ms {
        ..1000 => format!("{} ms", ms.max(0)),
        1000..60_000 => format!("{:.1} s", ms as f64 / 1000.0),
        _ => format!("{} min {} s", ms / 60_000, ms % 60_000 / 1000),
    }
}

/// Percent-encodes a query value.
pub fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// One deployment as a row: everything formatted for display.
#[derive(Clone, Debug)]
pub struct DeploymentRow {
    pub id: String,
    pub status: &'static str,
    pub live: bool,
    /// `production` or `PR #12`.
    pub target: String,
    pub commit: String,
    pub author: String,
    pub message: String,
    pub created: String,
    pub created_utc: String,
    pub duration: String,
    /// When the build started (unix ms; 0 before it starts), for the page's live duration.
    pub started_ms: i64,
    pub error: String,
    pub url: String,
    /// Whether it could go live (built, for production, not live now).
    pub promotable: bool,
}

impl DeploymentRow {
    pub fn new(d: &Deployment, url: String) -> Self {
        let commit = d
            .source
            .commit
            .as_deref()
            .map(|c| c.chars().take(7).collect())
            .unwrap_or_else(|| {
                let short: String = d.id.trim_start_matches("d-").chars().take(7).collect();
                format!("{} {short}", d.source.kind)
            });
        let duration = match (d.started_at, d.finished_at) {
            (Some(s), Some(f)) => duration(f - s),
            (Some(s), None) => format!("{} so far", duration(now_ms() - s)),
            _ => "—".into(),
        };
        let preview_pr = match d.target {
            Target::Production => None,
            Target::Preview { pr } => Some(pr),
        };
        Self {
            id: d.id.clone(),
            status: d.status.as_str(),
            live: d.live,
            target: preview_pr.map_or("production".into(), |pr| format!("PR #{pr}")),
            commit,
            author: d.source.author.clone().unwrap_or_default(),
            message: d.source.message.clone().unwrap_or_default(),
            created: ago(d.created_at),
            created_utc: utc(d.created_at),
            duration,
            started_ms: d.started_at.unwrap_or(0),
            error: d.error.clone().unwrap_or_default(),
            url,
            promotable: !d.live
                && preview_pr.is_none()
                && matches!(
                    d.status,
                    berth_store::DeploymentStatus::Ready
                        | berth_store::DeploymentStatus::Superseded
                ),
        }
    }
}

const CSS: &str = include_str!("../../../web/static/app.css");
const JS: &str = include_str!("../../../web/static/app.js");
const ICON: &str = include_str!("../../../web/static/icon.svg");

/// `/static/{file}`: the stylesheet, the script and the icon, compiled in.
pub async fn asset(Path(file): Path<String>) -> Response {
    let (body, kind) = match file.as_str() {
        "app.css" => (CSS, "text/css; charset=utf-8"),
        "app.js" => (JS, "text/javascript; charset=utf-8"),
        "icon.svg" => (ICON, "image/svg+xml"),
        _ => return (StatusCode::NOT_FOUND, "no such file").into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_times_and_durations() {
        assert_eq!(utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc(1_795_292_100_000), "2026-11-21 20:15 UTC");
        assert_eq!(duration(850), "850 ms");
        assert_eq!(duration(12_340), "12.3 s");
        assert_eq!(duration(125_000), "2 min 5 s");
        assert_eq!(ago(now_ms()), "just now");
        assert_eq!(ago(now_ms() - 5 * 60_000), "5 minutes ago");
        assert_eq!(ago(now_ms() - 3_600_000), "1 hour ago");
        assert_eq!(url_encode("/projects/a b?x"), "/projects/a%20b%3Fx");
    }
}
