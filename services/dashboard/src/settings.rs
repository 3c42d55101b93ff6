//! A project's environment (variables and secrets per scope, through the API, which seals secrets and
//! never returns their values) and its settings: branch, entry point, limits, deletion.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use berth_core::{LimitPolicy, Limits};
use berth_store::{EnvScope, Project, ProjectUpdate};
use serde::Deserialize;
use std::collections::HashMap;

use crate::limit_form::{self, LimitInput};
use crate::views::{Nav, ago, page, page_with, url_encode};
use crate::{Dashboard, PageError, Viewer, see_other};

/// One variable as listed; a secret's value is never there.
struct Var {
    key: String,
    scope: String,
    secret: bool,
    value: String,
    updated: String,
}

/// The variable form as submitted. Its `Debug` hides the value (it may be a secret) and the CSRF token.
#[derive(Clone, Default, Deserialize)]
pub struct VarForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    key: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    scope: String,
    /// A checkbox: present (`on`) when ticked.
    #[serde(default)]
    secret: Option<String>,
}

impl std::fmt::Debug for VarForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use berth_core::redact::Redacted;
        f.debug_struct("VarForm")
            .field("csrf", &Redacted)
            .field("key", &self.key)
            .field("value", &Redacted)
            .field("scope", &self.scope)
            .field("secret", &self.secret.is_some())
            .finish()
    }
}

#[derive(Template)]
#[template(path = "env.html")]
struct Env {
    nav: Nav,
    slug: String,
    vars: Vec<Var>,
    form: VarForm,
    /// Whether the form edits an existing variable (the key is fixed then).
    editing: bool,
    key_error: Option<String>,
    value_error: Option<String>,
    saved: Option<String>,
    scopes: [&'static str; 3],
}

#[derive(Deserialize)]
pub struct EnvQuery {
    /// Prefills the form to change this variable.
    key: Option<String>,
    scope: Option<String>,
    saved: Option<String>,
}

async fn vars(d: &Dashboard, viewer: &Viewer, slug: &str) -> Result<Vec<Var>, PageError> {
    let json = viewer
        .api(
            d,
            Method::GET,
            &format!("/api/v1/projects/{slug}/env"),
            None,
        )
        .await?;
    Ok(json["env"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| Var {
            key: v["key"].as_str().unwrap_or_default().to_string(),
            scope: v["scope"].as_str().unwrap_or("all").to_string(),
            secret: v["secret"].as_bool().unwrap_or(false),
            value: v["value"].as_str().unwrap_or_default().to_string(),
            updated: v["updatedAt"].as_i64().map(ago).unwrap_or_default(),
        })
        .collect())
}

fn env_page(slug: &str, viewer: &Viewer, vars: Vec<Var>, form: VarForm, editing: bool) -> Env {
    Env {
        nav: Nav::project(viewer, slug, "env"),
        slug: slug.to_string(),
        vars,
        form,
        editing,
        key_error: None,
        value_error: None,
        saved: None,
        scopes: ["all", "production", "preview"],
    }
}

pub async fn env(
    State(d): State<Dashboard>,
    viewer: Viewer,
    Path(slug): Path<String>,
    Query(q): Query<EnvQuery>,
) -> Result<Response, PageError> {
    d.project(&viewer, &slug).await?;
    let vars = vars(&d, &viewer, &slug).await?;
    let editing = q.key.is_some();
    let form = VarForm {
        scope: q.scope.clone().unwrap_or_else(|| "all".into()),
        secret: vars
            .iter()
            .find(|v| Some(&v.key) == q.key.as_ref() && Some(&v.scope) == q.scope.as_ref())
            .filter(|v| v.secret)
            .map(|_| "on".into()),
        key: q.key.unwrap_or_default(),
        ..VarForm::default()
    };
    let mut page_data = env_page(&slug, &viewer, vars, form, editing);
    page_data.saved = q.saved;
    page(&page_data)
}

pub async fn set_env(
    State(d): State<Dashboard>,
    viewer: Viewer,
    Path(slug): Path<String>,
    Form(form): Form<VarForm>,
) -> Result<Response, PageError> {
    viewer.check_csrf(&form.csrf)?;
    d.project(&viewer, &slug).await?;
    let key = form.key.trim().to_string();
    let scope = EnvScope::parse(&form.scope).unwrap_or(EnvScope::All);
    let body = serde_json::json!({
        "value": form.value, "secret": form.secret.is_some(), "scope": scope.as_str(),
    });
    let path = format!("/api/v1/projects/{slug}/env/{}", url_encode(&key));
    let refused = if key.is_empty() {
        Some((true, "Name the variable, e.g. API_KEY.".to_string()))
    } else {
        match viewer.api(&d, Method::PUT, &path, Some(body)).await {
            Ok(_) => None,
            Err(r) if r.status == StatusCode::FORBIDDEN => return Err(PageError::Forbidden),
            Err(r) => Some((r.message.contains("variable name"), r.message)),
        }
    };
    match refused {
        None => Ok(see_other(&format!(
            "/projects/{slug}/env?saved={}",
            url_encode(&key)
        ))),
        Some((about_key, message)) => {
            let vars = vars(&d, &viewer, &slug).await?;
            let mut data = env_page(&slug, &viewer, vars, form, false);
            if about_key {
                data.key_error = Some(message);
            } else {
                data.value_error = Some(message);
            }
            page_with(StatusCode::UNPROCESSABLE_ENTITY, &data)
        }
    }
}

#[derive(Deserialize)]
pub struct RemoveForm {
    #[serde(default)]
    csrf: String,
    key: String,
    scope: String,
}

pub async fn unset_env(
    State(d): State<Dashboard>,
    viewer: Viewer,
    Path(slug): Path<String>,
    Form(form): Form<RemoveForm>,
) -> Result<Response, PageError> {
    viewer.check_csrf(&form.csrf)?;
    d.project(&viewer, &slug).await?;
    let path = format!(
        "/api/v1/projects/{slug}/env/{}?scope={}",
        url_encode(&form.key),
        url_encode(&form.scope)
    );
    viewer.api(&d, Method::DELETE, &path, None).await?;
    Ok(see_other(&format!("/projects/{slug}/env")))
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    branch: String,
    #[serde(default)]
    entry: String,
    #[serde(default)]
    fresh: Option<String>,
    /// Hosts allowed besides berth.toml's, one per line.
    #[serde(default)]
    network_allow: String,
    /// The limits' fields (`timeout_s`, `memory_mib`, ...: see `limit_form`).
    #[serde(flatten)]
    limits: HashMap<String, String>,
}

#[derive(Template)]
#[template(path = "settings.html")]
struct Settings {
    nav: Nav,
    project: Project,
    form: SettingsForm,
    /// The limits' inputs, with the operator's bounds.
    limit_inputs: Vec<LimitInput>,
    errors: Vec<(&'static str, String)>,
    saved: bool,
}

impl Settings {
    fn new(
        d: &Dashboard,
        viewer: &Viewer,
        project: Project,
        form: SettingsForm,
        errors: Vec<(&'static str, String)>,
    ) -> Settings {
        Settings {
            nav: Nav::project(viewer, project.slug.as_str(), "settings"),
            limit_inputs: limit_form::inputs(&form.limits, d.limits()),
            project,
            form,
            errors,
            saved: false,
        }
    }
}

impl Settings {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }
}

fn form_of(p: &Project) -> SettingsForm {
    SettingsForm {
        csrf: String::new(),
        branch: p.branch.clone(),
        entry: p.entry.clone(),
        fresh: p.limits.fresh_instance_per_call.then(|| "on".into()),
        network_allow: p.network_allow.join("\n"),
        limits: limit_form::form_values(&p.limits),
    }
}

#[derive(Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
}

pub async fn show(
    State(d): State<Dashboard>,
    viewer: Viewer,
    Path(slug): Path<String>,
    Query(q): Query<SavedQuery>,
) -> Result<Response, PageError> {
    let p = d.project(&viewer, &slug).await?;
    let form = form_of(&p);
    let mut settings = Settings::new(&d, &viewer, p, form, Vec::new());
    settings.saved = q.saved.is_some();
    page_settings(&settings)
}

fn page_settings(s: &Settings) -> Result<Response, PageError> {
    crate::views::page(s)
}

fn parse_settings(
    form: &SettingsForm,
    current: &Limits,
    policy: &LimitPolicy,
) -> Result<ProjectUpdate, Vec<(&'static str, String)>> {
    let mut errors = Vec::new();
    let branch = form.branch.trim();
    if branch.is_empty() || branch.contains(char::is_whitespace) {
        errors.push(("branch", "Name a branch, e.g. main.".to_string()));
    }
    let entry = form.entry.trim();
    if !entry
        .split_once(':')
        .is_some_and(|(f, o)| f.ends_with(".py") && !o.is_empty())
    {
        errors.push((
            "entry",
            "Write the entry point as file.py:object, e.g. server.py:mcp.".to_string(),
        ));
    }
    let hosts =
        berth_core::AllowList::typed_entries(form.network_allow.lines()).unwrap_or_else(|e| {
            errors.push(("network_allow", e));
            Vec::new()
        });
    let limits = limit_form::parse(&form.limits, current, policy);
    match limits {
        Ok(limits) if errors.is_empty() => Ok(ProjectUpdate {
            branch: Some(branch.to_string()),
            entry: Some(entry.to_string()),
            limits: Some(Limits {
                fresh_instance_per_call: form.fresh.is_some(),
                ..limits
            }),
            network_allow: Some(hosts),
            ..ProjectUpdate::default()
        }),
        Ok(_) => Err(errors),
        Err(limit_errors) => {
            errors.extend(limit_errors);
            Err(errors)
        }
    }
}

pub async fn save(
    State(d): State<Dashboard>,
    viewer: Viewer,
    Path(slug): Path<String>,
    Form(form): Form<SettingsForm>,
) -> Result<Response, PageError> {
    viewer.check_csrf(&form.csrf)?;
    let p = d.project(&viewer, &slug).await?;
    let update = match parse_settings(&form, &p.limits, d.limits()) {
        Ok(u) => u,
        Err(errors) => {
            return page_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                &Settings::new(&d, &viewer, p, form, errors),
            );
        }
    };
    let body = serde_json::json!({
        "branch": update.branch, "entry": update.entry, "limits": update.limits,
        "networkAllow": update.network_allow,
    });
    let path = format!("/api/v1/projects/{slug}");
    match viewer.api(&d, Method::PATCH, &path, Some(body)).await {
        Ok(_) => {}
        Err(r) if r.missing_endpoint() => {
            // A control plane without the settings endpoint: write the settings, then serve the live
            // deployments with the new limits.
            d.store().update_project(&p.id, update).await?;
            d.queue
                .republish(&p.id)
                .await
                .map_err(|e| PageError::Internal(e.to_string()))?;
        }
        Err(r) => return Err(r.into()),
    }
    Ok(see_other(&format!("/projects/{slug}/settings?saved=1")))
}

#[derive(Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    confirm: String,
}

pub async fn delete(
    State(d): State<Dashboard>,
    viewer: Viewer,
    Path(slug): Path<String>,
    Form(form): Form<DeleteForm>,
) -> Result<Response, PageError> {
    viewer.check_csrf(&form.csrf)?;
    let p = d.project(&viewer, &slug).await?;
    if form.confirm.trim() != slug {
        let mut errors = Vec::new();
        errors.push((
            "confirm",
            format!("Type “{slug}” exactly to delete this project."),
        ));
        let form = form_of(&p);
        return page_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            &Settings::new(&d, &viewer, p, form, errors),
        );
    }
    let path = format!("/api/v1/projects/{slug}");
    match viewer.api(&d, Method::DELETE, &path, None).await {
        Ok(_) => {}
        Err(r) if r.missing_endpoint() => d.store().delete_project(&p.id).await?,
        Err(r) => return Err(r.into()),
    }
    d.recorder.forget(&p.id);
    Ok(see_other("/projects"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(timeout: &str, memory: &str, entry: &str) -> SettingsForm {
        SettingsForm {
            branch: "main".into(),
            entry: entry.into(),
            fresh: Some("on".into()),
            limits: [("timeout_s", timeout), ("memory_mib", memory)]
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_submitted_value_never_shows_in_debug() {
        let form = VarForm {
            csrf: "csrf-token-value".into(),
            key: "API_KEY".into(),
            value: "sk-live-secret-value".into(),
            scope: "all".into(),
            secret: Some("on".into()),
        };
        let shown = format!("{form:?} {form:#?}");
        assert!(shown.contains("API_KEY"), "{shown}");
        assert!(!shown.contains("sk-live-secret-value"), "{shown}");
        assert!(!shown.contains("csrf-token-value"), "{shown}");
    }

    #[test]
    fn settings_are_checked_field_by_field() {
        let policy = LimitPolicy::default();
        let ok = parse_settings(
            &form("2.5", "128", "app.py:server"),
            &Limits::default(),
            &policy,
        )
        .unwrap();
        let limits = ok.limits.unwrap();
        assert_eq!(
            (
                limits.timeout_ms,
                limits.memory_mib,
                limits.fresh_instance_per_call
            ),
            (2500, 128, true)
        );
        let errors =
            parse_settings(&form("0", "lots", "server"), &Limits::default(), &policy).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.0).collect();
        assert_eq!(fields, ["entry", "timeout_s", "memory_mib"]);
    }

    #[test]
    fn allowed_hosts_are_one_per_line_and_each_is_checked() {
        let policy = LimitPolicy::default();
        let mut f = form("2", "128", "server.py:mcp");
        f.network_allow = " api.example.com \r\n\n*.example.org:8443\napi.example.com\n".into();
        let ok = parse_settings(&f, &Limits::default(), &policy).unwrap();
        assert_eq!(
            ok.network_allow.unwrap(),
            ["api.example.com", "*.example.org:8443"],
            "trimmed, blank lines and repeats dropped"
        );
        f.network_allow = "api.example.com\nhttps://bad.example/path".into();
        let errors = parse_settings(&f, &Limits::default(), &policy).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].0, "network_allow");
        assert!(errors[0].1.contains("bad.example"), "{errors:?}");
    }
}
