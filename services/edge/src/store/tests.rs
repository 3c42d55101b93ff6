//! Tests of the in-memory session store: scoping, expiry, event logs and the session limits.

use super::*;

fn session(id: &str) -> SessionInfo {
    SessionInfo {
        id: id.into(),
        project_id: "p1".into(),
        protocol_version: "2025-11-25".into(),
        client_caps: crate::hooks::ClientCaps {
            elicitation: true,
            ..Default::default()
        },
        log_level: None,
        subscriptions: vec![],
        client_name: None,
    }
}

#[tokio::test]
async fn sessions_are_scoped_and_expire() {
    let s = MemorySessions::new();
    s.create(session("a"), Duration::from_secs(60))
        .await
        .unwrap();
    assert!(s.get("p1", "a").await.unwrap().is_some());
    assert!(
        s.get("p2", "a").await.unwrap().is_none(),
        "another project must not see the session"
    );
    assert!(!s.delete("p2", "a").await.unwrap());
    s.create(session("b"), Duration::from_millis(1))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert!(s.get("p1", "b").await.unwrap().is_none());
    assert!(s.delete("p1", "a").await.unwrap());
    assert!(s.get("p1", "a").await.unwrap().is_none());
}

#[tokio::test]
async fn event_log_replays_and_wakes_readers() {
    let s = Arc::new(MemorySessions::new());
    s.create(session("a"), Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(
        s.append_event("a", "s1", "one".into(), false)
            .await
            .unwrap(),
        1
    );
    let batch = s.read_events("a", "s1", 0, Duration::ZERO).await.unwrap();
    assert_eq!(
        batch,
        EventBatch {
            events: vec![(1, "one".into())],
            closed: false
        }
    );
    let reader = {
        let s = s.clone();
        tokio::spawn(async move {
            s.read_events("a", "s1", 1, Duration::from_secs(5))
                .await
                .unwrap()
        })
    };
    tokio::time::sleep(Duration::from_millis(20)).await;
    s.append_event("a", "s1", "two".into(), true).await.unwrap();
    assert_eq!(
        reader.await.unwrap(),
        EventBatch {
            events: vec![(2, "two".into())],
            closed: true
        }
    );
}

fn in_project(id: &str, project: &str) -> SessionInfo {
    SessionInfo {
        project_id: project.into(),
        ..session(id)
    }
}

fn held(s: &MemorySessions) -> usize {
    s.shards
        .0
        .iter()
        .map(|m| m.lock().unwrap().len())
        .sum::<usize>()
}

const HOUR: Duration = Duration::from_secs(3600);

#[tokio::test]
async fn a_full_project_closes_its_least_recently_used_idle_session() {
    let s = MemorySessions::with_limits(SessionLimits {
        per_project: 3,
        total: 100,
        ..Default::default()
    });
    for id in ["a", "b", "c"] {
        s.create(session(id), HOUR).await.unwrap();
    }
    s.create(in_project("x", "p2"), HOUR).await.unwrap();
    // `a` is busy (a call streams on it), `c` was just used: `b` is the one to go.
    s.open_stream("a", "s1").await.unwrap();
    assert!(s.get("p1", "c").await.unwrap().is_some());
    s.create(session("d"), HOUR).await.unwrap();
    assert!(s.get("p1", "b").await.unwrap().is_none(), "b was closed");
    for id in ["a", "c", "d"] {
        assert!(s.get("p1", id).await.unwrap().is_some(), "{id} stays");
    }
    assert!(
        s.get("p2", "x").await.unwrap().is_some(),
        "another project keeps its session"
    );
    // When every session of the project is in a call, the new one is refused.
    for id in ["c", "d"] {
        s.open_stream(id, "s1").await.unwrap();
    }
    let err = s.create(session("e"), HOUR).await.unwrap_err();
    assert!(
        matches!(&err, CreateError::Full(m) if m.contains("3 sessions")),
        "{err}"
    );
}

#[test]
fn initializes_racing_at_a_full_project_all_get_the_place_of_an_idle_session() {
    // Clients opening a session per call against a project at its limit: each new session takes
    // the place of an idle one, however the initializes interleave (a place freed for one must not
    // go to another, leaving the first refused). Fewer clients than places: some session is idle.
    let s = Arc::new(MemorySessions::with_limits(SessionLimits {
        per_project: 8,
        total: 100,
        ..Default::default()
    }));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .build()
        .unwrap();
    let refused = runtime.block_on(async {
        let tasks: Vec<_> = (0..4)
            .map(|t| {
                let s = s.clone();
                tokio::spawn(async move {
                    let mut refused = Vec::new();
                    for i in 0..500 {
                        if let Err(e) = s.create(session(&format!("t{t}-{i}")), HOUR).await {
                            refused.push(e.to_string());
                        }
                    }
                    refused
                })
            })
            .collect();
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.unwrap());
        }
        all
    });
    assert!(
        refused.is_empty(),
        "{} refused, first: {:?}",
        refused.len(),
        refused.first()
    );
    assert_eq!(held(&s), 8);
    let counts = s.counts();
    assert_eq!(
        (counts.total, counts.by_project.get("p1").map(|p| p.len())),
        (8, Some(8))
    );
}

#[tokio::test]
async fn an_initialize_flood_stays_within_the_limits() {
    let s = MemorySessions::with_limits(SessionLimits {
        per_project: 50,
        total: 120,
        ..Default::default()
    });
    for i in 0..5_000 {
        s.create(in_project(&format!("f{i}"), "flood"), HOUR)
            .await
            .unwrap();
    }
    assert_eq!(held(&s), 50, "the flooded project holds at most its limit");
    assert!(s.get("flood", "f4999").await.unwrap().is_some());
    assert!(s.get("flood", "f0").await.unwrap().is_none());
    for p in ["p2", "p3"] {
        for i in 0..50 {
            match s.create(in_project(&format!("{p}-{i}"), p), HOUR).await {
                Ok(()) => assert!(held(&s) <= 120),
                Err(CreateError::Full(m)) => {
                    assert_eq!(held(&s), 120);
                    assert!(m.contains("120 sessions"), "{m}");
                }
                Err(e) => panic!("{e}"),
            }
        }
    }
    assert_eq!(held(&s), 120, "the edge holds at most its total");
    assert!(
        s.get("flood", "f4999").await.unwrap().is_some(),
        "a full edge refuses rather than closing another project's sessions"
    );
    // Ending sessions makes room again.
    assert!(s.delete("p2", "p2-0").await.unwrap());
    s.create(in_project("late", "p4"), HOUR).await.unwrap();
}

#[tokio::test]
async fn event_logs_keep_within_their_byte_budget() {
    let s = MemorySessions::with_limits(SessionLimits {
        event_bytes: 100,
        ..Default::default()
    });
    s.create(session("a"), HOUR).await.unwrap();
    s.append_event("a", "old", "o".repeat(40), true)
        .await
        .unwrap();
    for _ in 0..10 {
        s.append_event("a", "s1", "x".repeat(30), false)
            .await
            .unwrap();
    }
    let bytes = |s: &MemorySessions| s.shards.shard("a").get("a").unwrap().event_bytes;
    assert!(bytes(&s) <= 100, "{}", bytes(&s));
    let old = s.read_events("a", "old", 0, Duration::ZERO).await.unwrap();
    assert!(
        old.events.is_empty() && old.closed,
        "a finished stream's events go first"
    );
    let live = s.read_events("a", "s1", 0, Duration::ZERO).await.unwrap();
    let seqs: Vec<u64> = live.events.iter().map(|(q, _)| *q).collect();
    assert_eq!(seqs, [8, 9, 10], "the newest events stay");
    // One event larger than the budget is still delivered; everything older makes room for it.
    let seq = s
        .append_event("a", "s1", "y".repeat(500), true)
        .await
        .unwrap();
    let live = s.read_events("a", "s1", 0, Duration::ZERO).await.unwrap();
    assert_eq!(live.events, vec![(seq, "y".repeat(500))]);
    assert_eq!(bytes(&s), 500);
}

#[tokio::test]
async fn a_full_project_finds_its_one_idle_session_among_many_busy_ones() {
    // The sample of a full project's sessions may miss its only idle one: then all of the
    // project's sessions are looked at, and never another project's.
    let s = MemorySessions::with_limits(SessionLimits {
        per_project: 200,
        total: 1_000,
        ..Default::default()
    });
    for i in 0..200 {
        s.create(session(&format!("b{i}")), HOUR).await.unwrap();
    }
    for i in (0..200).filter(|i| *i != 137) {
        s.open_stream(&format!("b{i}"), "s1").await.unwrap();
    }
    for i in 0..100 {
        s.create(in_project(&format!("o{i}"), "p2"), HOUR)
            .await
            .unwrap();
    }
    s.create(session("new"), HOUR).await.unwrap();
    assert!(
        s.get("p1", "b137").await.unwrap().is_none(),
        "the idle one went"
    );
    for i in (0..200).filter(|i| *i != 137) {
        assert!(
            s.get("p1", &format!("b{i}")).await.unwrap().is_some(),
            "b{i}"
        );
    }
    for i in 0..100 {
        assert!(
            s.get("p2", &format!("o{i}")).await.unwrap().is_some(),
            "o{i}"
        );
    }
    assert_eq!(held(&s), 300);
    s.open_stream("new", "s1").await.unwrap();
    let err = s.create(session("newer"), HOUR).await.unwrap_err();
    assert!(
        matches!(&err, CreateError::Full(m) if m.contains("every one is in a call")),
        "{err}"
    );
    let counts = s.counts();
    assert_eq!(counts.total, 300);
    assert_eq!(counts.by_project["p1"].len(), 200);
}

#[test]
fn a_projects_session_ids_stay_consistent_as_they_come_and_go() {
    let mut ids = super::ProjectSessions::default();
    for i in 0..50 {
        ids.add(&format!("s{i}"));
    }
    ids.add("s3");
    for i in (0..50).step_by(3) {
        ids.remove(&format!("s{i}"));
    }
    ids.remove("absent");
    assert_eq!(ids.len(), 33);
    for (i, id) in ids.ids.iter().enumerate() {
        assert_eq!(ids.at[id], i, "{id}");
    }
    let sample = ids.sample(16);
    assert_eq!(sample.len(), 16);
    let distinct: std::collections::HashSet<_> = sample.iter().collect();
    assert_eq!(distinct.len(), 16);
    assert!(sample.iter().all(|id| ids.at.contains_key(id)));
    assert_eq!(ids.sample(100).len(), 33);
}
