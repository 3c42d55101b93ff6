//! Sign-in, the project list, creating a project, a project's overview and its metrics.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use berth_core::{Limits, ProjectSlug};
use berth_store::{Deployment, DeploymentStatus, NewProject, Project, Target};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::views::{DeploymentRow, Nav, ago, page, page_with, utc};
use crate::{Dashboard, PageError, Viewer, charts, recorder, see_other};

/// `/`: the projects of whoever is signed in, or the sign-in page.
pub async fn home(viewer: Result<Viewer, PageError>) -> Response {
    match viewer {
        Ok(_) => see_other("/projects"),
        Err(_) => see_other("/login"),
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct Login {
    nav: Nav,
    next: String,
    github: bool,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

pub async fn login(
    State(d): State<Dashboard>,
    Query(q): Query<NextQuery>,
) -> Result<Response, PageError> {
    let next = q
        .next
        .filter(|n| n.starts_with('/') && !n.starts_with("//"))
        .unwrap_or_else(|| "/projects".into());
    // GitHub sign-in is on when its start answers with a redirect to GitHub (it sets only a cookie,
    // which is dropped here).
    let probe = d
        .api
        .call(
            &Default::default(),
            Method::GET,
            "/auth/github/login",
            None,
            None,
        )
        .await;
    let github = matches!(probe, Err(r) if r.status.is_redirection());
    page(&Login {
        nav: Nav::default(),
        next,
        github,
    })
}

pub async fn not_found() -> PageError {
    PageError::NotFound("There is no page at this address.".into())
}

struct ProjectRow {
    slug: String,
    url: String,
    repo: String,
    /// `live`, `building`, `failed`, `queued` or `not deployed`.
    status: &'static str,
    status_class: String,
    last_deploy: String,
    last_deploy_utc: String,
}

#[derive(Template)]
#[template(path = "projects.html")]
struct Projects {
    nav: Nav,
    projects: Vec<ProjectRow>,
}

/// The status a project shows in lists: what its newest deployment is doing, else whether it is live.
fn project_status(deployments: &[Deployment]) -> &'static str {
    let production: Vec<_> = deployments
        .iter()
        .filter(|d| d.target == Target::Production)
        .collect();
    match production.first() {
        None => "not deployed",
        Some(d) if !d.status.is_finished() => d.status.as_str(),
        Some(_) if production.iter().any(|d| d.live) => "live",
        Some(d) => d.status.as_str(),
    }
}

pub async fn projects(State(d): State<Dashboard>, viewer: Viewer) -> Result<Response, PageError> {
    let mut rows = Vec::new();
    for p in d.store().projects_of(&viewer.user.id).await? {
        let deployments = d.store().deployments(&p.id, 10).await?;
        let last = deployments.first().map(|d| d.created_at);
        rows.push(ProjectRow {
            url: d.mcp_url(p.slug.as_str()),
            repo: p.repo.clone().unwrap_or_default(),
            status: project_status(&deployments),
            status_class: project_status(&deployments).replace(' ', "-"),
            last_deploy: last.map_or("never".into(), ago),
            last_deploy_utc: last.map(utc).unwrap_or_default(),
            slug: p.slug.to_string(),
        });
    }
    page(&Projects {
        nav: Nav::of(&viewer),
        projects: rows,
    })
}

/// The create-project form, with what was typed and a message per field that is wrong.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct NewProjectForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub slug: String,
    #[serde(default)]
    pub repo: String,
    #[serde(default)]
    pub branch: String,
    #[serde(default)]
    pub entry: String,
}

#[derive(Default)]
struct FieldErrors {
    slug: Option<String>,
    repo: Option<String>,
    branch: Option<String>,
    entry: Option<String>,
    form: Option<String>,
}

impl FieldErrors {
    fn any(&self) -> bool {
        self.slug.is_some() || self.repo.is_some() || self.branch.is_some() || self.entry.is_some()
    }

    /// Puts an API message next to the field it is about.
    fn place(&mut self, message: String) {
        let lower = message.to_lowercase();
        let slot = if lower.contains("entry") {
            &mut self.entry
        } else if lower.contains("branch") {
            &mut self.branch
        } else if lower.contains("repo") {
            &mut self.repo
        } else if lower.contains("slug") || lower.contains("name") || lower.contains("taken") {
            &mut self.slug
        } else {
            &mut self.form
        };
        *slot = Some(message);
    }
}

#[derive(Template)]
#[template(path = "new_project.html")]
struct NewProjectPage {
    nav: Nav,
    form: NewProjectForm,
    errors: FieldErrors,
    repos: Vec<String>,
}

/// The repositories the viewer may pick from, if GitHub is configured (else none: type one in).
async fn repositories(d: &Dashboard, viewer: &Viewer) -> Vec<String> {
    let Ok(json) = viewer
        .api(d, Method::GET, "/api/v1/github/repositories", None)
        .await
    else {
        return Vec::new();
    };
    json["repositories"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["fullName"].as_str().or(r.as_str()).map(str::to_string))
        .collect()
}

pub async fn new_project(
    State(d): State<Dashboard>,
    viewer: Viewer,
) -> Result<Response, PageError> {
    let form = NewProjectForm {
        branch: "main".into(),
        entry: "server.py:mcp".into(),
        ..Default::default()
    };
    page(&NewProjectPage {
        repos: repositories(&d, &viewer).await,
        nav: Nav::of(&viewer),
        form,
        errors: FieldErrors::default(),
    })
}

/// Checks the form before anything is sent: each message names what to type instead.
fn validate(form: &NewProjectForm) -> FieldErrors {
    let mut errors = FieldErrors::default();
    if let Err(e) = ProjectSlug::parse(form.slug.trim()) {
        let message = e.to_string();
        let mut chars = message.chars();
        errors.slug = Some(
            chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect())
                .unwrap_or(message),
        );
    }
    let repo = form.repo.trim();
    if !repo.is_empty() && !repo.starts_with('/') {
        let parts: Vec<_> = repo.split('/').collect();
        let ok = parts.len() == 2
            && parts.iter().all(|p| {
                !p.is_empty()
                    && p.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            });
        if !ok {
            errors.repo = Some(
                "Write a GitHub repository as owner/name (e.g. octo/weather), or a git repository on this machine as an absolute path.".into(),
            );
        }
    }
    let branch = form.branch.trim();
    if branch.is_empty() || branch.contains(char::is_whitespace) || branch.contains("..") {
        errors.branch = Some("Name a branch, e.g. main.".into());
    }
    match form.entry.trim().split_once(':') {
        Some((file, object))
            if file.ends_with(".py") && !object.is_empty() && !file.contains("..") => {}
        _ => {
            errors.entry = Some(
                "Write the entry point as file.py:object, e.g. server.py:mcp (the object is your FastMCP server).".into(),
            )
        }
    }
    errors
}

pub async fn create(
    State(d): State<Dashboard>,
    viewer: Viewer,
    Form(form): Form<NewProjectForm>,
) -> Result<Response, PageError> {
    viewer.check_csrf(&form.csrf)?;
    let mut errors = validate(&form);
    if !errors.any() {
        match create_project(&d, &viewer, &form).await {
            Ok(slug) => return Ok(see_other(&format!("/projects/{slug}"))),
            Err(message) => errors.place(message),
        }
    }
    page_with(
        StatusCode::UNPROCESSABLE_ENTITY,
        &NewProjectPage {
            repos: repositories(&d, &viewer).await,
            nav: Nav::of(&viewer),
            form,
            errors,
        },
    )
}

/// Creates the project. From a repository (GitHub `owner/name`, or a local git path), through the API,
/// which checks access and queues the first deployment. Without one, the project waits for its first
/// `berth deploy`, as projects created by an upload do; it is written to the store after the checks
/// this form made.
async fn create_project(
    d: &Dashboard,
    viewer: &Viewer,
    form: &NewProjectForm,
) -> Result<String, String> {
    let slug = form.slug.trim().to_string();
    let repo = Some(form.repo.trim()).filter(|r| !r.is_empty());
    let mut body = serde_json::json!({
        "slug": slug, "branch": form.branch.trim(), "entry": form.entry.trim(),
    });
    if let Some(repo) = repo {
        let field = if repo.starts_with('/') {
            "path"
        } else {
            "repo"
        };
        body[field] = Value::String(repo.to_string());
    }
    let answer = match repo {
        Some(_) => {
            viewer
                .api(d, Method::POST, "/api/v1/projects", Some(body))
                .await
        }
        None => Err(crate::Refusal {
            status: StatusCode::NOT_FOUND,
            code: None,
            message: String::new(),
        }),
    };
    match answer {
        Ok(_) => Ok(slug),
        Err(r) if r.missing_endpoint() => {
            let parsed = ProjectSlug::parse(&slug).map_err(|e| e.to_string())?;
            let created = d
                .store()
                .create_project(NewProject {
                    slug: parsed,
                    owner_id: viewer.user.id.clone(),
                    repo: repo.map(str::to_string),
                    branch: form.branch.trim().into(),
                    entry: form.entry.trim().into(),
                    limits: Limits::default(),
                })
                .await;
            match created {
                Ok(_) => Ok(slug),
                Err(berth_store::StoreError::Conflict(_)) => {
                    Err(format!("The name “{slug}” is taken; pick another name."))
                }
                Err(e) => Err(e.to_string()),
            }
        }
        Err(r) => Err(r.message),
    }
}

/// One tool, resource or prompt as the overview lists it.
struct Item {
    name: String,
    description: String,
    /// Arguments (tools, prompts) or the MIME type (resources).
    detail: String,
}

fn items(list: &[Map<String, Value>], key: &str) -> Vec<Item> {
    list.iter()
        .map(|m| {
            let detail = match key {
                "tool" => m
                    .get("inputSchema")
                    .and_then(|s| s.get("properties"))
                    .and_then(Value::as_object)
                    .map(|p| p.keys().cloned().collect::<Vec<_>>().join(", "))
                    .unwrap_or_default(),
                "prompt" => m
                    .get("arguments")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.get("name").and_then(Value::as_str))
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default(),
                _ => m
                    .get("mimeType")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
            };
            let name = ["name", "uri", "uriTemplate"]
                .iter()
                .find_map(|k| m.get(*k).and_then(Value::as_str))
                .unwrap_or_default();
            let name = match (key, m.get("uri").and_then(Value::as_str)) {
                ("resource", Some(uri)) => uri.to_string(),
                _ => name.to_string(),
            };
            Item {
                name,
                description: m
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                detail,
            }
        })
        .collect()
}

/// Ready-to-paste client configurations: (client, where it goes, text).
fn client_configs(slug: &str, url: &str) -> Vec<(&'static str, &'static str, String)> {
    let pretty = |v: Value| serde_json::to_string_pretty(&v).unwrap_or_default();
    vec![
        (
            "Claude Code",
            "Run in a terminal",
            format!("claude mcp add --transport http {slug} {url}"),
        ),
        (
            "Claude Desktop",
            "claude_desktop_config.json (through the mcp-remote bridge)",
            pretty(
                serde_json::json!({"mcpServers": {slug: {"command": "npx", "args": ["mcp-remote", url]}}}),
            ),
        ),
        (
            "Cursor",
            "~/.cursor/mcp.json",
            pretty(serde_json::json!({"mcpServers": {slug: {"url": url}}})),
        ),
        (
            "VS Code",
            ".vscode/mcp.json",
            pretty(serde_json::json!({"servers": {slug: {"type": "http", "url": url}}})),
        ),
    ]
}

#[derive(Template)]
#[template(path = "overview.html")]
struct Overview {
    nav: Nav,
    project: Project,
    url: String,
    status: &'static str,
    status_class: String,
    configs: Vec<(&'static str, &'static str, String)>,
    live: Option<DeploymentRow>,
    latest: Option<DeploymentRow>,
    server_name: String,
    instructions: String,
    tools: Vec<Item>,
    resources: Vec<Item>,
    templates: Vec<Item>,
    prompts: Vec<Item>,
}

/// The live production deployment and its stored description.
pub(crate) fn live_description(
    deployments: &[Deployment],
) -> Option<(&Deployment, berth_core::ServerDescription)> {
    let live = deployments
        .iter()
        .find(|d| d.live && d.target == Target::Production)?;
    let description = serde_json::from_str(live.description_json.as_deref()?).ok()?;
    Some((live, description))
}

pub async fn overview(
    State(d): State<Dashboard>,
    viewer: Viewer,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    let p = d.project(&viewer, &slug).await?;
    let deployments = d.store().deployments(&p.id, 20).await?;
    let url = d.mcp_url(p.slug.as_str());
    let live = live_description(&deployments);
    let description = live.as_ref().map(|l| l.1.clone()).unwrap_or_default();
    let latest = deployments.iter().find(|x| {
        x.target == Target::Production
            && !x.live
            && matches!(
                x.status,
                DeploymentStatus::Queued | DeploymentStatus::Building | DeploymentStatus::Failed
            )
    });
    page(&Overview {
        nav: Nav::project(&viewer, &slug, "overview"),
        status: project_status(&deployments),
        status_class: project_status(&deployments).replace(' ', "-"),
        configs: client_configs(p.slug.as_str(), &url),
        live: live.map(|(x, _)| DeploymentRow::new(x, url.clone())),
        latest: latest
            .filter(|l| deployments.first().map(|f| &f.id) == Some(&l.id))
            .map(|x| DeploymentRow::new(x, url.clone())),
        server_name: description.name.clone(),
        instructions: description.instructions.clone().unwrap_or_default(),
        tools: items(&description.tools, "tool"),
        resources: items(&description.resources, "resource"),
        templates: items(&description.resource_templates, "template"),
        prompts: items(&description.prompts, "prompt"),
        project: p,
        url,
    })
}

/// One time window of the metrics page.
struct Panel {
    title: &'static str,
    calls: u64,
    errors: u64,
    error_rate: String,
    p50: String,
    p95: String,
    calls_svg: String,
    latency_svg: String,
    /// (tool, calls, bar width in percent of the busiest tool's).
    tools: Vec<(String, u64, u64)>,
    /// The guests' outbound HTTP requests, and what is said of them.
    egress_requests: u64,
    egress_detail: String,
}

#[derive(Template)]
#[template(path = "metrics.html")]
struct Metrics {
    nav: Nav,
    panels: Vec<Panel>,
}

/// `2 refused, 0 failed; 1.5 KiB out, 12.0 KiB in`.
fn egress_text(e: &recorder::EgressCounts) -> String {
    let kib = |b: u64| format!("{:.1} KiB", b as f64 / 1024.0);
    format!(
        "{} refused, {} failed; {} out, {} in",
        e.refused,
        e.failed,
        kib(e.bytes_out),
        kib(e.bytes_in)
    )
}

fn ms_text(v: Option<f64>) -> String {
    v.map_or("—".into(), |v| format!("≤ {v} ms"))
}

fn panel(d: &Dashboard, project_id: &str, title: &'static str, minutes: u64, step: u64) -> Panel {
    let now = recorder::now_minute();
    let w = d.recorder.window(project_id, now, minutes, step);
    let label_every = (w.starts.len() / 4).max(1);
    let labels: Vec<(usize, String)> = w
        .starts
        .iter()
        .enumerate()
        .filter(|(i, _)| i % label_every == 0)
        .map(|(i, m)| (i, utc(*m as i64 * 60_000)[11..16].to_string()))
        .collect();
    let error_rate = if w.total_calls == 0 {
        "—".into()
    } else {
        format!(
            "{:.1}%",
            100.0 * w.total_errors as f64 / w.total_calls as f64
        )
    };
    Panel {
        title,
        calls: w.total_calls,
        errors: w.total_errors,
        error_rate,
        p50: ms_text(w.total_p50),
        p95: ms_text(w.total_p95),
        egress_requests: w.egress.requests,
        egress_detail: egress_text(&w.egress),
        calls_svg: charts::calls(
            &format!("Calls and errors, {}", title.to_lowercase()),
            &w.calls,
            &w.errors,
            &labels,
        ),
        latency_svg: charts::latency(
            &format!("Latency p50 and p95, {}", title.to_lowercase()),
            &w.p50,
            &w.p95,
            &labels,
        ),
        tools: {
            let busiest = w.tools.first().map_or(1, |t| t.1.max(1));
            w.tools
                .into_iter()
                .map(|(tool, n)| (tool, n, (n * 100).div_ceil(busiest)))
                .collect()
        },
    }
}

pub async fn metrics(
    State(d): State<Dashboard>,
    viewer: Viewer,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    let p = d.project(&viewer, &slug).await?;
    page(&Metrics {
        nav: Nav::project(&viewer, &slug, "metrics"),
        panels: vec![
            panel(&d, &p.id, "Last hour", 60, 1),
            panel(&d, &p.id, "Last day", 24 * 60, 30),
        ],
    })
}
