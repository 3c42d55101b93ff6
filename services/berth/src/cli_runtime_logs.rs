//! `berth logs <project> --runtime [--follow]`: a project's runtime log (requests, what its guests
//! logged and printed, egress) from the REST API, one line per event; `--follow` keeps printing new
//! events from the API's SSE stream until interrupted.

use anyhow::bail;

use crate::args::LogsArgs;
use crate::client::Client;

/// An event's time as `YYYY-MM-DD HH:MM:SS.mmm` (UTC).
pub fn utc(ms: i64) -> String {
    let (days, rem) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    let (y, m, d) = berth_core::util::civil_from_days(days);
    let (h, min, s, milli) = (
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000,
    );
    format!("{y:04}-{m:02}-{d:02} {h:02}:{min:02}:{s:02}.{milli:03}")
}

/// One event as a line: time, level, the event's own text.
pub fn line(e: &serde_json::Value) -> String {
    format!(
        "{} {:<7} {}",
        utc(e["time"].as_i64().unwrap_or(0)),
        e["level"].as_str().unwrap_or("?"),
        e["text"].as_str().unwrap_or("")
    )
}

/// The query string of the filters given on the command line.
fn query(args: &LogsArgs, after: Option<i64>) -> String {
    let mut pairs: Vec<(&str, String)> = Vec::new();
    if let Some(l) = &args.level {
        pairs.push(("level", l.clone()));
    }
    if let Some(t) = &args.tool {
        pairs.push(("tool", t.clone()));
    }
    if args.errors {
        pairs.push(("errors", "true".into()));
    }
    if let Some(s) = &args.since {
        pairs.push(("since", s.clone()));
    }
    if let Some(n) = args.limit {
        pairs.push(("limit", n.to_string()));
    }
    if let Some(a) = after {
        pairs.push(("after", a.to_string()));
    }
    if pairs.is_empty() {
        return String::new();
    }
    let encoded: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect();
    format!("?{}", encoded.join("&"))
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

pub async fn run(args: LogsArgs) -> anyhow::Result<()> {
    let client = Client::from_remote(&args.remote)?;
    let project = &args.target;
    if project.starts_with("d-") {
        bail!(
            "--runtime reads a project's log: pass the project's name (filter by deployment in the API)"
        );
    }
    if !args.follow {
        let page = client
            .get(&format!(
                "/api/v1/projects/{project}/logs{}",
                query(&args, None)
            ))
            .await?;
        let events = page["events"].as_array().cloned().unwrap_or_default();
        if events.is_empty() {
            eprintln!("no runtime log events yet for `{project}`");
        }
        for e in &events {
            println!("{}", line(e));
        }
        return Ok(());
    }
    let path = format!(
        "/api/v1/projects/{project}/logs/stream{}",
        query(&args, None)
    );
    let stream = client
        .open_events(&path, "cannot read the runtime log")
        .await?;
    eprintln!("following the runtime log of `{project}` (Ctrl-C to stop)");
    stream
        .read(|event, data| {
            let json: serde_json::Value = serde_json::from_str(data).unwrap_or_default();
            match event {
                "log" => println!("{}", line(&json)),
                "lagged" => eprintln!(
                    "({} events were missed: this reader fell behind)",
                    json["missed"]
                ),
                _ => {}
            }
            None::<()>
        })
        .await?;
    bail!("the runtime log stream ended; run the command again to follow on")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_print_in_utc() {
        assert_eq!(utc(0), "1970-01-01 00:00:00.000");
        assert_eq!(utc(1_795_000_123_456), "2026-11-18 11:08:43.456");
    }

    #[test]
    fn lines_show_time_level_and_text() {
        let e = serde_json::json!({"time": 0, "level": "info", "text": "tools/call add 1.0ms ok"});
        assert_eq!(
            line(&e),
            "1970-01-01 00:00:00.000 info    tools/call add 1.0ms ok"
        );
        assert_eq!(encode("a b&c/é"), "a%20b%26c%2F%C3%A9");
    }
}
