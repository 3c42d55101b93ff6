//! A build that prints without end keeps a bounded log: its tools' lines stop at the limit with one
//! "log truncated" line, in the store and for followers; the queue's own lines after it still arrive.

mod support;

use berth_control::{BuildLogLimits, BuildQueue, BuildRunner, LogEvent, LogSink};
use berth_core::ServerDescription;
use berth_store::{DeploymentStatus, NewDeployment, NewProject, Source, Store};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use support::{Recorded, user};

/// How long the test waits for the build to end before it calls it stuck. Not a speed check.
const STUCK_AFTER: Duration = Duration::from_secs(60);

/// A build whose tools print a hundred thousand long lines, then succeed.
struct Chatty;

#[async_trait::async_trait]
impl BuildRunner for Chatty {
    async fn build(
        &self,
        _source: PathBuf,
        _entry: String,
        log: LogSink,
    ) -> Result<(String, ServerDescription), String> {
        let line = "pip says: ".to_string() + &"x".repeat(10_000);
        for _ in 0..100_000 {
            log(&line);
        }
        Ok(("artifact:chatty".into(), ServerDescription::default()))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_build_output_keeps_a_bounded_log() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("berth.db").display());
    let store = Store::connect(&url).await.unwrap();
    let queue = BuildQueue::start(
        store.clone(),
        Arc::new(Chatty),
        Arc::new(Recorded::default()),
        dir.path().join("sources"),
        1,
    );
    let limits = BuildLogLimits {
        lines: 200,
        bytes: 64 * 1024,
        line_bytes: 1024,
    };
    queue.set_log_limits(limits);
    let (owner, _) = user(&store, "chatty-owner").await;
    let project = store
        .create_project(NewProject {
            slug: berth_core::ProjectSlug::parse("chatty").unwrap(),
            owner_id: owner.id,
            repo: None,
            branch: "main".into(),
            entry: "server.py:mcp".into(),
            limits: Default::default(),
        })
        .await
        .unwrap();
    let source = Source {
        kind: "upload".into(),
        ..Source::default()
    };
    let d = store
        .create_deployment(NewDeployment::production(&project.id, source))
        .await
        .unwrap();
    std::fs::create_dir_all(queue.source_dir(&d.id)).unwrap();
    queue.enqueue(&d.id);
    let mut followed = 0;
    if let Some((_, mut events)) = queue.follow(&d.id) {
        let done = tokio::time::timeout(STUCK_AFTER, async {
            loop {
                match events
                    .recv()
                    .await
                    .expect("no follower lags behind a bounded log")
                {
                    LogEvent::Line(..) => followed += 1,
                    LogEvent::Done { status, .. } => return status,
                }
            }
        })
        .await
        .expect("the build ends");
        assert_eq!(done, DeploymentStatus::Ready);
    }
    let status = store.deployment(&d.id).await.unwrap().unwrap().status;
    assert_eq!(status, DeploymentStatus::Ready);
    let lines = store.logs(&d.id, 0).await.unwrap();
    let bytes: usize = lines.iter().map(|(_, l)| l.len()).sum();
    // The queue's own lines (what is built, where it went live) come on top of the tools' bounded ones.
    let own = 10;
    assert!(lines.len() <= limits.lines + own, "{} lines", lines.len());
    assert!(bytes <= limits.bytes + own * 200, "{bytes} bytes");
    assert!(
        lines.last().is_some_and(|(_, l)| l.starts_with("live: ")),
        "the queue's last line still arrives: {:?}",
        lines.last()
    );
    let truncated = lines
        .iter()
        .filter(|(_, l)| l.starts_with("log truncated"))
        .count();
    assert_eq!(truncated, 1, "one line says the log was truncated");
    assert!(
        followed <= limits.lines + own,
        "followers got {followed} lines"
    );
}
