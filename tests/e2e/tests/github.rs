//! Push to deploy against the GitHub stand-in: sign in with GitHub (OAuth web flow), create a project
//! from a private repository, push commits and deliver webhooks exactly as GitHub does, open, update
//! and close a pull request, and refuse forged, replayed and oversized deliveries. Prints the time from
//! webhook to live.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use berth_e2e::mcp::Session;
use berth_e2e::{Berth, Profile};
use berth_github_standin::{StandIn, pull_request_payload, push_payload};
use serde_json::{Value, json};

/// How long one build may take here (a cold Python build is ~30 s on two busy cores).
const BUILD_TIMEOUT: Duration = Duration::from_secs(240);

fn server(version: &str) -> String {
    format!(
        "from fastmcp import FastMCP\n\nmcp = FastMCP(\"gh\")\n\n@mcp.tool\ndef version() -> str:\n    \"\"\"Which commit answered.\"\"\"\n    return \"{version}\"\n"
    )
}

const BROKEN: &str = "from fastmcp import FastMCP\n\nmcp = FastMCP(\"gh\")\n\n@mcp.tool\ndef version( -> str:\n    return 1\n";

struct Api {
    base: String,
    token: String,
    http: reqwest::Client,
}

impl Api {
    async fn get(&self, path: &str) -> Result<Value> {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await?;
        Ok(r.json().await?)
    }

    async fn post(&self, path: &str, body: Value) -> Result<(u16, Value)> {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await?;
        Ok((r.status().as_u16(), r.json().await.unwrap_or(Value::Null)))
    }

    /// Waits until the deployment's build is over; returns it.
    async fn finished(&self, id: &str) -> Result<Value> {
        let deadline = Instant::now() + BUILD_TIMEOUT;
        loop {
            let d = self.get(&format!("/api/v1/deployments/{id}")).await?;
            if !matches!(d["status"].as_str(), Some("queued" | "building")) {
                return Ok(d);
            }
            if Instant::now() > deadline {
                bail!(
                    "deployment {id} still {} after {BUILD_TIMEOUT:?}",
                    d["status"]
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Signs in through GitHub's OAuth web flow as a browser would, then makes an API token.
async fn sign_in(base: &str) -> Result<Api> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let cookies = |r: &reqwest::Response| -> Vec<String> {
        r.headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_string))
            .collect()
    };
    let location = |r: &reqwest::Response| -> Result<String> {
        Ok(r.headers()
            .get("location")
            .context("a redirect")?
            .to_str()?
            .to_string())
    };
    let start = http.get(format!("{base}/auth/github/login")).send().await?;
    assert_eq!(start.status().as_u16(), 303, "login redirects to GitHub");
    let pending = cookies(&start).join("; ");
    let at_github = http.get(location(&start)?).send().await?;
    let callback = location(&at_github)?;
    assert!(
        callback.starts_with(&format!("{base}/auth/github/callback?code=")),
        "{callback}"
    );
    let back = http
        .get(&callback)
        .header("cookie", &pending)
        .send()
        .await?;
    assert_eq!(
        back.status().as_u16(),
        303,
        "the callback signs in: {:?}",
        back.text().await
    );
    let session = cookies(&back)
        .into_iter()
        .filter(|c| c.starts_with("berth_session="))
        .collect::<Vec<_>>()
        .join("; ");
    let me: Value = http
        .get(format!("{base}/auth/session"))
        .header("cookie", &session)
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(me["user"]["login"], "octo");
    let csrf = me["csrfToken"].as_str().context("csrfToken")?;
    let made: Value = http
        .post(format!("{base}/api/v1/tokens"))
        .header("cookie", &session)
        .header("x-csrf-token", csrf)
        .json(&json!({"name": "e2e"}))
        .send()
        .await?
        .json()
        .await?;
    let token = made["token"].as_str().context("a token")?.to_string();
    Ok(Api {
        base: base.to_string(),
        token,
        http: reqwest::Client::new(),
    })
}

impl Api {
    /// The stored build log of a deployment, as the SSE stream sends it.
    async fn log_text(&self, id: &str) -> Result<String> {
        Ok(self
            .http
            .get(format!(
                "{}/api/v1/deployments/{id}/logs?follow=false",
                self.base
            ))
            .bearer_auth(&self.token)
            .send()
            .await?
            .text()
            .await?)
    }
}

/// Berth started against the GitHub stand-in, and a signed-in API client.
async fn berth_with_github(gh: &StandIn) -> Result<(berth_e2e::Berth, Api)> {
    let args: Vec<String> = [
        ("--github-client-id", gh.client_id()),
        ("--github-client-secret", gh.client_secret()),
        ("--github-webhook-secret", gh.webhook_secret()),
        ("--github-api-url", &gh.api_url()),
        ("--github-url", &gh.web_url()),
    ]
    .iter()
    .flat_map(|(k, v)| [k.to_string(), v.to_string()])
    .collect();
    let berth = tokio::task::spawn_blocking(move || Berth::start_with_args(Profile::Debug, &args))
        .await??;
    let api = sign_in(&berth.base_url()).await?;
    Ok((berth, api))
}

async fn version_at(url: &str) -> Result<String> {
    Session::connect(url)
        .await?
        .call_tool_text("version", json!({}))
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_to_deploy_previews_and_refused_webhooks() -> Result<()> {
    let gh = StandIn::start().await?;
    let repo = gh.create_repo("octo/tools", true)?;
    let first = repo.commit("main", &[("server.py", &server("v1"))], "v1")?;
    let (berth, api) = berth_with_github(&gh).await?;
    let base = berth.base_url();
    let hook = format!("{base}/webhooks/github");

    // The repositories the user may deploy from, as the dashboard lists them.
    let repos = api.get("/api/v1/github/repositories").await?;
    let names: Vec<&str> = repos["repositories"]
        .as_array()
        .context("a repositories list")?
        .iter()
        .filter_map(|r| r["fullName"].as_str())
        .collect();
    assert_eq!(names, ["octo/tools"], "{repos}");

    // A project from a repository: validated, unique, and its first deployment is the branch head.
    let (status, body) = api
        .post(
            "/api/v1/projects",
            json!({"slug": "gh-tools", "repo": "someone/else"}),
        )
        .await?;
    assert_eq!(
        status, 404,
        "a repository GitHub does not show the user: {body}"
    );
    let (status, body) = api
        .post(
            "/api/v1/projects",
            json!({"slug": "Bad Name", "repo": "octo/tools"}),
        )
        .await?;
    assert_eq!(status, 400, "{body}");
    let (status, created) = api
        .post(
            "/api/v1/projects",
            json!({"slug": "gh-tools", "repo": "octo/tools"}),
        )
        .await?;
    assert_eq!(status, 201, "{created}");
    let (status, body) = api
        .post(
            "/api/v1/projects",
            json!({"slug": "gh-tools", "repo": "octo/tools"}),
        )
        .await?;
    assert_eq!(status, 409, "the name is taken: {body}");
    let d = api
        .finished(created["deployment"]["id"].as_str().context("id")?)
        .await?;
    assert_eq!(d["status"], "ready", "{d}");
    // The first build learned its commit from the fetch, and told GitHub about it.
    assert_eq!(d["source"]["commit"], first.as_str(), "{d}");
    let first_states: Vec<String> = gh
        .statuses()
        .into_iter()
        .filter(|s| s.sha == first)
        .map(|s| s.state)
        .collect();
    assert_eq!(first_states, ["pending", "success"]);
    let url = berth.mcp_url("gh-tools");
    assert_eq!(version_at(&url).await?, "v1");

    // Push v2: the webhook deploys exactly that commit; statuses reach GitHub with the log's URL.
    let second = repo.commit("main", &[("server.py", &server("v2"))], "v2: a new version")?;
    let repository = gh.repository_json("octo/tools").context("repo")?;
    let push = gh.delivery(
        "push",
        &push_payload(&repository, "main", &first, &second, "v2: a new version"),
    );
    let sent = Instant::now();
    let (status, body) = gh.deliver(&hook, &push).await?;
    let answered = sent.elapsed();
    assert_eq!(status, 202, "{body}");
    let id = serde_json::from_str::<Value>(&body)?["deployments"][0]["deployment"]
        .as_str()
        .context("id")?
        .to_string();
    let d = api.finished(&id).await?;
    let live = sent.elapsed();
    assert_eq!(
        (d["status"].as_str(), d["source"]["commit"].as_str()),
        (Some("ready"), Some(second.as_str())),
        "{d}"
    );
    assert_eq!(d["source"]["message"], "v2: a new version");
    assert_eq!(version_at(&url).await?, "v2");
    eprintln!(
        "webhook to live: {} ms (webhook answered in {} ms)",
        live.as_millis(),
        answered.as_millis()
    );
    let states: Vec<(String, String)> = gh
        .statuses()
        .into_iter()
        .filter(|s| s.sha == second)
        .map(|s| (s.state, s.target_url.unwrap_or_default()))
        .collect();
    assert_eq!(
        states.iter().map(|s| s.0.as_str()).collect::<Vec<_>>(),
        ["pending", "success"],
        "{states:?}"
    );
    assert!(
        states[1]
            .1
            .ends_with(&format!("/api/v1/deployments/{id}/logs")),
        "{states:?}"
    );

    // Refused deliveries: replayed, forged, oversized.
    let (status, body) = gh.deliver(&hook, &push).await?;
    assert_eq!(status, 409, "a replayed delivery: {body}");
    let forged = gh.delivery(
        "push",
        &push_payload(&repository, "main", &first, &second, "x"),
    );
    let (status, body) = gh
        .deliver(
            &hook,
            &forged.tampered(br#"{"ref":"refs/heads/main"}"#.to_vec()),
        )
        .await?;
    assert_eq!(status, 403, "a forged signature: {body}");
    assert!(body.contains("X-Hub-Signature-256"), "{body}");
    let big = json!({"zen": "x".repeat(3 * 1024 * 1024)});
    let (status, _) = gh.deliver(&hook, &gh.delivery("ping", &big)).await?;
    assert_eq!(status, 413, "an oversized delivery");

    // A broken push fails with a useful log and leaves v2 serving.
    let broken = repo.commit("main", &[("server.py", BROKEN)], "broken")?;
    let (status, body) = gh
        .deliver(
            &hook,
            &gh.delivery(
                "push",
                &push_payload(&repository, "main", &second, &broken, "broken"),
            ),
        )
        .await?;
    assert_eq!(status, 202, "{body}");
    let id = serde_json::from_str::<Value>(&body)?["deployments"][0]["deployment"]
        .as_str()
        .context("id")?
        .to_string();
    let d = api.finished(&id).await?;
    assert_eq!(d["status"], "failed");
    assert!(
        d["error"].as_str().unwrap_or("").contains("server.py"),
        "the error names the file: {d}"
    );
    assert_eq!(
        version_at(&url).await?,
        "v2",
        "a failed build never replaces what is live"
    );
    assert!(
        gh.statuses()
            .iter()
            .any(|s| s.sha == broken && s.state == "failure")
    );

    // A pull request gets a preview, one comment updated on each push, and is gone when closed.
    repo.commit("main", &[("server.py", &server("v2"))], "fix")?;
    let pr_head = repo.commit(
        "feature",
        &[("server.py", &server("pr-1"))],
        "try something",
    )?;
    repo.set_pull_ref(7, &pr_head)?;
    let preview_url = berth.mcp_url("gh-tools-pr-7");
    for (action, head, expected) in [
        ("opened", pr_head.clone(), "pr-1"),
        ("synchronize", String::new(), "pr-2"),
    ] {
        let head = if head.is_empty() {
            let h = repo.commit("feature", &[("server.py", &server("pr-2"))], "try harder")?;
            repo.set_pull_ref(7, &h)?;
            h
        } else {
            head
        };
        let payload = pull_request_payload(&repository, action, 7, "feature", &head);
        let (status, body) = gh
            .deliver(&hook, &gh.delivery("pull_request", &payload))
            .await?;
        assert_eq!(status, 202, "{body}");
        let id = serde_json::from_str::<Value>(&body)?["deployments"][0]["deployment"]
            .as_str()
            .context("id")?
            .to_string();
        assert_eq!(api.finished(&id).await?["status"], "ready");
        assert_eq!(version_at(&preview_url).await?, expected);
        let comments = gh.comments("octo/tools", 7);
        assert_eq!(
            comments.len(),
            1,
            "one comment per pull request: {comments:?}"
        );
        assert!(
            comments[0].body.contains(&preview_url) && comments[0].body.contains(&head[..7]),
            "{comments:?}"
        );
    }
    assert_eq!(
        gh.comments("octo/tools", 7)[0].edits,
        1,
        "the comment was updated, not duplicated"
    );
    assert_eq!(
        version_at(&url).await?,
        "v2",
        "production is untouched by previews"
    );
    let closed = pull_request_payload(&repository, "closed", 7, "feature", &pr_head);
    let (status, body) = gh
        .deliver(&hook, &gh.delivery("pull_request", &closed))
        .await?;
    assert_eq!(status, 202, "{body}");
    assert!(
        version_at(&preview_url).await.is_err(),
        "a closed pull request's preview is gone"
    );
    assert_eq!(
        berth_e2e::server::http_status(berth.port(), "/gh-tools-pr-7/mcp")?,
        404
    );

    // Deleting the project leaves nothing serving.
    let r = api
        .http
        .delete(format!("{base}/api/v1/projects/gh-tools"))
        .bearer_auth(&api.token)
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 204);
    assert!(
        version_at(&url).await.is_err(),
        "a deleted project is not served"
    );
    Ok(())
}

/// Security regression: a repository whose `pyproject.toml` lists `-r <data-dir>/secret.key` (the key
/// that encrypts every tenant's secrets) gets a failed build that says what to fix, and the key's bytes
/// appear nowhere: not in the build log, the deployment record, or the statuses sent to GitHub. Before,
/// the line went to pip as written and pip printed the key's contents in the log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repository_cannot_make_the_builder_print_the_secret_key() -> Result<()> {
    let gh = StandIn::start().await?;
    let repo = gh.create_repo("octo/leak", true)?;
    let (berth, api) = berth_with_github(&gh).await?;
    let key_path = berth.data_path().join("secret.key");
    let key = std::fs::read_to_string(&key_path)
        .with_context(|| format!("{} exists once Berth has started", key_path.display()))?;
    let key = key.trim();
    assert!(key.len() >= 32, "a real key: {} bytes", key.len());
    let pyproject = format!(
        "[project]\nname = \"leak\"\nversion = \"0\"\ndependencies = [\"-r {}\"]\n",
        key_path.display()
    );
    let sha = repo.commit(
        "main",
        &[("server.py", &server("v1")), ("pyproject.toml", &pyproject)],
        "leak",
    )?;
    let (status, created) = api
        .post(
            "/api/v1/projects",
            json!({"slug": "leak", "repo": "octo/leak"}),
        )
        .await?;
    assert_eq!(status, 201, "{created}");
    let id = created["deployment"]["id"].as_str().context("id")?;
    let d = api.finished(id).await?;
    assert_eq!(d["status"], "failed", "{d}");
    let error = d["error"].as_str().unwrap_or("");
    assert!(
        error.contains("pyproject.toml") && error.contains("pip option"),
        "the error says what to fix: {d}"
    );
    let log = api.log_text(id).await?;
    assert!(log.contains("pip option"), "{log}");
    let statuses = gh.statuses();
    assert!(
        statuses
            .iter()
            .any(|s| s.sha == sha && s.state == "failure"),
        "{statuses:?}"
    );
    let sent_to_github = format!("{statuses:?} {:?}", gh.comments("octo/leak", 1));
    for (place, text) in [
        ("the deployment record", d.to_string()),
        ("the build log", log),
        ("what GitHub was sent", sent_to_github),
        ("Berth's own output", berth.log()),
    ] {
        assert!(!text.contains(key), "the key leaked into {place}: {text}");
        assert!(
            !text.contains(&key[..16]),
            "part of the key leaked into {place}"
        );
    }
    Ok(())
}
