//! The cases, each run on both backends by `on_both_backends!`, and the helpers they share.

mod access;
mod accounts;
mod deploys;
mod faults;
mod oauth;
mod runtime_logs;

pub use access::*;
pub use accounts::*;
pub use deploys::*;
pub use faults::*;
pub use oauth::*;
pub use runtime_logs::*;

use berth_core::{Limits, ProjectSlug};
use berth_store::{
    Deployment, DeploymentStatus, EnvScope, EnvVar, NewDeployment, NewProject, NewUser, Project,
    ProjectUpdate, Source, Store, StoreError, Target, User, hash_token,
};

pub async fn user(store: &Store, login: &str) -> User {
    let new = NewUser {
        login: login.into(),
        ..NewUser::default()
    };
    store.upsert_user(new).await.unwrap()
}

pub fn new_project(slug: &str, owner: &User) -> NewProject {
    NewProject {
        slug: ProjectSlug::parse(slug).unwrap(),
        owner_id: owner.id.clone(),
        repo: Some(format!("{}/{slug}", owner.login)),
        branch: "main".into(),
        entry: "server.py:mcp".into(),
        limits: Limits::default(),
    }
}

pub async fn project(store: &Store, slug: &str) -> Project {
    let owner = user(store, &format!("{slug}-owner")).await;
    store
        .create_project(new_project(slug, &owner))
        .await
        .unwrap()
}

pub fn git(commit: &str) -> Source {
    Source {
        kind: "github".into(),
        commit: Some(commit.into()),
        branch: Some("main".into()),
        ..Source::default()
    }
}

pub async fn deployment(store: &Store, project: &Project, target: Target) -> Deployment {
    let new = NewDeployment {
        project_id: project.id.clone(),
        target,
        source: git("abc123"),
    };
    store.create_deployment(new).await.unwrap()
}

/// A deployment built successfully, not yet live.
pub async fn ready(store: &Store, project: &Project, target: Target) -> Deployment {
    let d = deployment(store, project, target).await;
    store.mark_building(&d.id).await.unwrap();
    store
        .mark_ready(
            &d.id,
            &format!("sha256-{}", d.id),
            r#"{"name":"t","tools":[]}"#,
        )
        .await
        .unwrap();
    store.deployment(&d.id).await.unwrap().unwrap()
}

pub async fn status_of(store: &Store, id: &str) -> (DeploymentStatus, bool) {
    let d = store.deployment(id).await.unwrap().unwrap();
    (d.status, d.live)
}

pub fn live_ids(live: &[(Project, Deployment)]) -> Vec<&str> {
    live.iter().map(|(_, d)| d.id.as_str()).collect()
}
