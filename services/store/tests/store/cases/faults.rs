//! What the control plane relies on to keep its promises under faults: a build a stopped process left
//! `building` can start again, a build that finishes after a newer one went live stays off, a webhook
//! delivery counts as handled only once it was, and signing out is kept.

use super::*;
use crate::support::TestDb;
use berth_store::{DeliveryClaim, Promotion};

pub async fn interrupted_builds_start_again_after_a_restart(db: &TestDb) {
    let store = &db.store;
    let p = project(store, "resumed").await;
    let running = deployment(store, &p, Target::Production).await;
    let waiting = deployment(store, &p, Target::Production).await;
    store.mark_building(&running.id).await.unwrap();
    // The process stops; another opens the database.
    let store = db.reopen().await;
    let unfinished: Vec<String> = store
        .unfinished_deployments()
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.id)
        .collect();
    assert_eq!(unfinished, [running.id.clone(), waiting.id.clone()]);
    for id in &unfinished {
        store.requeue_interrupted(id).await.unwrap();
        store.mark_building(id).await.unwrap();
    }
    store
        .mark_ready(&running.id, "sha256-r", r#"{"name":"t","tools":[]}"#)
        .await
        .unwrap();
    assert_eq!(
        status_of(&store, &running.id).await,
        (DeploymentStatus::Ready, false)
    );
    // A finished deployment is not started again.
    assert!(matches!(
        store.requeue_interrupted(&running.id).await,
        Err(StoreError::Invalid(_))
    ));
    // Built, but the process stopped before promoting it: it is found, and only it.
    let stranded: Vec<String> = store
        .built_not_live()
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.id)
        .collect();
    assert_eq!(stranded, std::slice::from_ref(&running.id));
    store.promote(&running.id).await.unwrap();
    assert!(store.built_not_live().await.unwrap().is_empty());
}

pub async fn older_builds_never_replace_newer_ones(db: &TestDb) {
    let store = &db.store;
    let p = project(store, "ordered").await;
    let older = deployment(store, &p, Target::Production).await;
    let newer = ready(store, &p, Target::Production).await;
    assert!(matches!(
        store.promote_if_newest(&newer.id).await.unwrap(),
        Promotion::Live(d) if d.id == newer.id
    ));
    store.mark_building(&older.id).await.unwrap();
    store
        .mark_ready(&older.id, "sha256-old", r#"{"name":"t","tools":[]}"#)
        .await
        .unwrap();
    match store.promote_if_newest(&older.id).await.unwrap() {
        Promotion::Behind { live } => assert_eq!(live.id, newer.id),
        other => panic!("the older build went live: {other:?}"),
    }
    assert_eq!(
        status_of(store, &older.id).await,
        (DeploymentStatus::Superseded, false)
    );
    assert_eq!(
        status_of(store, &newer.id).await,
        (DeploymentStatus::Ready, true)
    );
    // A preview's order is its own: production's newer deployment does not hold a preview back.
    let preview = ready(store, &p, Target::Preview { pr: 3 }).await;
    assert!(matches!(
        store.promote_if_newest(&preview.id).await.unwrap(),
        Promotion::Live(_)
    ));
    // A rollback asks for the older one on purpose.
    assert!(store.promote(&older.id).await.unwrap().live);
    // And then a newer build going live moves forward again.
    assert!(matches!(
        store.promote_if_newest(&newer.id).await.unwrap(),
        Promotion::Live(_)
    ));
}

pub async fn webhook_deliveries_count_once_handled(db: &TestDb) {
    let store = &db.store;
    assert_eq!(
        store.claim_delivery("d-1").await.unwrap(),
        DeliveryClaim::Claimed
    );
    assert_eq!(
        store.claim_delivery("d-1").await.unwrap(),
        DeliveryClaim::InProgress,
        "a repeat while the first is handled"
    );
    // Handling failed: GitHub's redelivery is acted on.
    store.release_delivery("d-1").await.unwrap();
    assert_eq!(
        store.claim_delivery("d-1").await.unwrap(),
        DeliveryClaim::Claimed
    );
    store.finish_delivery("d-1").await.unwrap();
    // Releasing a handled delivery does not make it new again.
    store.release_delivery("d-1").await.unwrap();
    let store = db.reopen().await;
    assert_eq!(
        store.claim_delivery("d-1").await.unwrap(),
        DeliveryClaim::Handled
    );
    assert!(!store.record_delivery("d-1").await.unwrap());
}

pub async fn sign_outs_survive_reopening(db: &TestDb) {
    let store = &db.store;
    let far = i64::MAX / 2;
    assert!(!store.session_signed_out("nonce-hash").await.unwrap());
    store.sign_out_session("nonce-hash", far).await.unwrap();
    store.sign_out_session("nonce-hash", far).await.unwrap();
    // An expired record is dropped by the next sign-out.
    store.sign_out_session("old-hash", 1).await.unwrap();
    store.sign_out_session("other-hash", far).await.unwrap();
    let store = db.reopen().await;
    assert!(store.session_signed_out("nonce-hash").await.unwrap());
    assert!(!store.session_signed_out("old-hash").await.unwrap());
}
