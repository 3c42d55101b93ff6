//! Deployments whose source the queue fetches itself (from git) just before building, so a restart
//! can fetch again, and who hears how their builds went (commit statuses, pull-request comments).

use berth_store::{Deployment, Project};
use std::path::Path;

use crate::LogSink;

/// How a deployment's build went, as reported to where its code came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BuildReport {
    Building,
    /// Live at this URL.
    Live(String),
    Failed(String),
    /// Built, but this newer deployment was live already; it stays live.
    Superseded(String),
}

/// The commit a fetch brought: a deployment made before its commit was known (a new project's first
/// build) learns it here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchedCommit {
    pub commit: String,
    pub author: String,
    pub message: String,
}

/// Fetches deployments' source trees and hears about their builds.
#[async_trait::async_trait]
pub trait DeploymentSource: Send + Sync + 'static {
    /// Whether this deployment's source is fetched by [`DeploymentSource::fetch`] (not unpacked before
    /// it was queued).
    fn fetches(&self, deployment: &Deployment) -> bool;
    /// Puts the deployment's files into `dest` (which does not exist yet); returns the commit it
    /// fetched. The error says what to fix.
    async fn fetch(
        &self,
        project: &Project,
        deployment: &Deployment,
        dest: &Path,
        log: LogSink,
    ) -> Result<FetchedCommit, String>;
    /// Tells the source's host how the build goes. Failures to report are logged, never fatal.
    async fn report(&self, project: &Project, deployment: &Deployment, report: BuildReport);
}
