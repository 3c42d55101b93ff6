//! Deployments: the list (production and previews), one deployment with its build log (streamed live
//! by the browser from the API's SSE endpoint while it builds), and promoting an earlier one.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::Method;
use axum::response::Response;
use berth_store::{Deployment, MAX_DEPLOYMENTS_PER_PAGE, Target};
use serde::Deserialize;

use crate::views::{DeploymentRow, Nav, page};
use crate::{Dashboard, PageError, Viewer, see_other};

/// A pull request's preview: its newest deployment, and its URL while it is live.
struct Preview {
    pr: u64,
    row: DeploymentRow,
    url: Option<String>,
}

#[derive(Template)]
#[template(path = "deployments.html")]
struct List {
    nav: Nav,
    slug: String,
    production: Vec<DeploymentRow>,
    previews: Vec<Preview>,
}

fn url_of(d: &Dashboard, slug: &berth_core::ProjectSlug, target: Target) -> String {
    match target {
        Target::Production => d.mcp_url(slug.as_str()),
        Target::Preview { pr } => d.mcp_url(slug.preview(pr).as_str()),
    }
}

pub async fn list(
    State(d): State<Dashboard>,
    viewer: Viewer,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    let p = d.project(&viewer, &slug).await?;
    let all = d
        .store()
        .deployments(&p.id, MAX_DEPLOYMENTS_PER_PAGE)
        .await?;
    let mut production = Vec::new();
    let mut previews: Vec<Preview> = Vec::new();
    for x in &all {
        let row = DeploymentRow::new(x, url_of(&d, &p.slug, x.target));
        match x.target {
            Target::Production => production.push(row),
            Target::Preview { pr } => match previews.iter_mut().find(|v| v.pr == pr) {
                Some(v) if x.live => v.url = Some(row.url.clone()),
                Some(_) => {}
                None => previews.push(Preview {
                    pr,
                    url: x.live.then(|| row.url.clone()),
                    row,
                }),
            },
        }
    }
    page(&List {
        nav: Nav::project(&viewer, &slug, "deployments"),
        slug,
        production,
        previews,
    })
}

#[derive(Template)]
#[template(path = "deployment.html")]
struct Detail {
    nav: Nav,
    slug: String,
    row: DeploymentRow,
    finished: bool,
    /// The stored log, shown as it is once the build has finished; while it runs, the page streams it.
    log: String,
    stream_url: String,
}

/// The viewer's deployment of this project, or "not found".
async fn deployment_of(
    d: &Dashboard,
    viewer: &Viewer,
    slug: &str,
    id: &str,
) -> Result<(berth_store::Project, Deployment), PageError> {
    let p = d.project(viewer, slug).await?;
    match d.store().deployment(id).await? {
        Some(x) if x.project_id == p.id => Ok((p, x)),
        _ => Err(PageError::NotFound(format!(
            "Project “{slug}” has no deployment {id}."
        ))),
    }
}

pub async fn detail(
    State(d): State<Dashboard>,
    viewer: Viewer,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let (p, x) = deployment_of(&d, &viewer, &slug, &id).await?;
    let finished = x.status.is_finished();
    let mut log = String::new();
    if finished {
        let mut from = 0;
        loop {
            let lines = d.store().logs(&x.id, from).await?;
            let Some(last) = lines.last().map(|l| l.0) else {
                break;
            };
            for (_, line) in &lines {
                log.push_str(line);
                log.push('\n');
            }
            if lines.len() < berth_store::MAX_LOG_LINES_PER_READ as usize {
                break;
            }
            from = last;
        }
    }
    page(&Detail {
        nav: Nav::project(&viewer, &slug, "deployments"),
        row: DeploymentRow::new(&x, url_of(&d, &p.slug, x.target)),
        stream_url: format!("/api/v1/deployments/{}/logs", x.id),
        slug,
        finished,
        log,
    })
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// Makes an earlier (or the newest) built deployment live: a rollback, or a roll forward again.
pub async fn promote(
    State(d): State<Dashboard>,
    viewer: Viewer,
    Path((slug, id)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    viewer.check_csrf(&form.csrf)?;
    let (_, x) = deployment_of(&d, &viewer, &slug, &id).await?;
    viewer
        .api(
            &d,
            Method::POST,
            &format!("/api/v1/deployments/{}/promote", x.id),
            None,
        )
        .await?;
    Ok(see_other(&format!("/projects/{slug}/deployments")))
}
