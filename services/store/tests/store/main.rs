//! The store's behaviour, checked the same way on SQLite and on PostgreSQL (`DATABASE_URL`, default
//! `postgres://postgres@127.0.0.1:5432/test`; each test makes and drops its own database).

mod cases;
mod support;

/// Runs each case once on a fresh SQLite file and once on a fresh PostgreSQL database.
macro_rules! on_both_backends {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let db = crate::support::TestDb::sqlite().await;
                    crate::cases::$case(&db).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let db = crate::support::TestDb::postgres().await;
                    crate::cases::$case(&db).await;
                }
            )*
        }
    };
}

on_both_backends!(
    users_upsert_by_github_id_or_login,
    tokens_are_found_by_hash_only,
    project_slugs_are_unique,
    projects_are_listed_and_updated,
    deployment_lifecycle_and_unfinished,
    promote_supersedes_and_rolls_back,
    concurrent_promotions_leave_one_live,
    previews_are_separate_from_production,
    delete_project_cascades,
    logs_keep_their_order,
    concurrent_log_appends_never_share_a_number,
    env_vars_upsert_by_key_and_scope,
    webhook_deliveries_are_deduplicated,
    data_survives_reopening,
    fetched_commits_fill_in_what_was_unknown,
    interrupted_builds_start_again_after_a_restart,
    older_builds_never_replace_newer_ones,
    webhook_deliveries_count_once_handled,
    sign_outs_survive_reopening,
    no_project_takes_a_preview_url,
    no_preview_takes_a_project_url,
    runtime_events_round_trip_with_filters,
    runtime_events_survive_reopening_and_are_pruned,
    runtime_events_go_with_their_project,
    projects_are_public_until_made_private,
    api_keys_are_kept_by_hash_and_revocable,
    oauth_clients_register_and_go_with_their_consents,
    oauth_codes_are_single_use_and_a_replay_revokes_their_tokens,
    refresh_tokens_rotate_and_a_reuse_revokes_the_family,
    signing_keys_are_kept_and_retired,
);

#[tokio::test]
async fn sqlite_file_is_wal_with_foreign_keys() {
    use sqlx::Connection;
    let db = support::TestDb::sqlite().await;
    let path = db.sqlite_path();
    assert!(
        path.is_file(),
        "the database file and its folder are created"
    );
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    // Foreign keys hold through the store's connections: a token for nobody is refused.
    let err = db
        .store
        .create_token("u-nobody", "ci", &berth_store::hash_token("x"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, berth_store::StoreError::NotFound(_)),
        "{err:?}"
    );
}

#[tokio::test]
async fn unsupported_urls_are_refused() {
    let err = berth_store::Store::connect("mysql://localhost/berth")
        .await
        .unwrap_err();
    assert!(
        matches!(err, berth_store::StoreError::Invalid(ref m) if m.contains("sqlite://")),
        "{err:?}"
    );
}

#[tokio::test]
async fn sqlite_in_memory_and_paths_with_spaces() {
    let memory = berth_store::Store::connect("sqlite::memory:")
        .await
        .unwrap();
    memory.record_delivery("a").await.unwrap();
    assert!(
        !memory.record_delivery("a").await.unwrap(),
        "one database behind the pool"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("my data/berth.db");
    let store = berth_store::Store::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    assert!(store.record_delivery("b").await.unwrap());
    assert!(path.is_file());
}
