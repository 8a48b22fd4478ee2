//! `Core::open`: start-up recovery takes over only work whose owner is gone, and a database made
//! by the previous release upgrades with every row kept and given a global id.

use std::borrow::Cow;
use std::sync::Arc;

use cremmy_core::clock::ManualClock;
use cremmy_core::lease::{self, LEASE_MS};
use cremmy_core::{Core, Database, Environment};
use cremmy_protocol::crm::ClientInput;

use crate::invariants::ended_process;
use crate::support::T0;

pub fn environment() -> Environment {
    // Nothing here reaches a provider; the lookup finds no client and no override.
    Environment {
        endpoints: cremmy_core::endpoints::Endpoints::from_lookup(|_| None),
        oauth_apps: cremmy_core::accounts::OAuthApps::from_lookup(|_| None),
        crash_point: None,
    }
}

#[test]
fn the_test_crash_switch_reads_only_its_two_forms() {
    use cremmy_core::crash_point::{CrashPoint, CrashWhen};
    let cases = [
        ("before:3", Some((3, CrashWhen::BeforeCommit))),
        ("after:1", Some((1, CrashWhen::AfterCommit))),
        (" after:12 ", Some((12, CrashWhen::AfterCommit))),
        ("after:0", None),
        ("during:2", None),
        ("after:-1", None),
        ("3", None),
        ("", None),
    ];
    for (text, expected) in cases {
        let got = CrashPoint::parse(text).map(|p| (p.commit, p.when));
        assert_eq!(got, expected, "{text:?}");
    }
}

async fn open(dir: &std::path::Path, now: i64) -> Core {
    Core::open(dir, Arc::new(ManualClock::at(now)), environment())
        .await
        .expect("the core opens")
}

/// A running job and a running sync run, owned by `owner` (None: written before leases) with a
/// heartbeat at `heartbeat_at`.
async fn running_work(db: &Database, key: &str, owner: Option<u32>, heartbeat_at: Option<i64>) {
    sqlx::query(
        "INSERT INTO jobs (kind, idempotency_key, payload, title, status, attempts, max_attempts, next_run_at, \
                           created_at, updated_at, owner_pid, heartbeat_at) \
         VALUES ('export_sheets', ?, '{\"kind\":\"export_sheets\"}', 'Export', 'running', 1, 8, ?, ?, ?, ?, ?)",
    )
    .bind(key)
    .bind(T0)
    .bind(T0)
    .bind(T0)
    .bind(owner.map(i64::from))
    .bind(heartbeat_at)
    .execute(db.writer())
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO sync_runs (integration, kind, trigger, started_at, status, owner_pid, heartbeat_at) \
         VALUES (?, 'incremental', 'cli', ?, 'running', ?, ?)",
    )
    .bind(key)
    .bind(T0)
    .bind(owner.map(i64::from))
    .bind(heartbeat_at)
    .execute(db.writer())
    .await
    .unwrap();
}

async fn status_of(core: &Core, key: &str) -> (String, String) {
    let job: String = sqlx::query_scalar("SELECT status FROM jobs WHERE idempotency_key = ?")
        .bind(key)
        .fetch_one(core.database().pool())
        .await
        .unwrap();
    let run: String = sqlx::query_scalar("SELECT status FROM sync_runs WHERE integration = ?")
        .bind(key)
        .fetch_one(core.database().pool())
        .await
        .unwrap();
    (job, run)
}

#[tokio::test]
async fn opening_takes_over_only_work_whose_owner_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let now = T0 + 60_000;
    {
        let db = Database::open_in(dir.path()).await.unwrap();
        let me = lease::this_process();
        // (key, owner, heartbeat): what each row stands for.
        running_work(&db, "live", Some(me), Some(now - 1_000)).await;
        running_work(&db, "stale", Some(me), Some(now - LEASE_MS - 1)).await;
        running_work(&db, "ended", Some(ended_process()), Some(now - 1_000)).await;
        running_work(&db, "unowned", None, None).await;
        db.close().await;
    }
    let core = open(dir.path(), now).await;
    let cases = [
        (
            "live",
            ("running", "running"),
            "a live process (a concurrent `cremmy sync --once`) keeps its work",
        ),
        (
            "stale",
            ("queued", "failed"),
            "a lease not renewed for longer than LEASE_MS is taken over",
        ),
        (
            "ended",
            ("queued", "failed"),
            "the work of a process that has ended is taken over at once",
        ),
        (
            "unowned",
            ("queued", "failed"),
            "work written before leases is taken over",
        ),
    ];
    for (key, (job, run), why) in cases {
        let got = status_of(&core, key).await;
        assert_eq!(got, (job.to_string(), run.to_string()), "{key}: {why}");
    }
}

#[tokio::test]
async fn claiming_a_job_or_starting_a_run_takes_a_lease_that_the_heartbeat_renews() {
    let dir = tempfile::tempdir().unwrap();
    let core = open(dir.path(), T0).await;
    let db = core.database();
    running_work(db, "mine", Some(lease::this_process()), Some(T0)).await;
    lease::renew(db, T0 + 30_000).await.unwrap();
    let beats: Vec<Option<i64>> = sqlx::query_scalar(
        "SELECT heartbeat_at FROM jobs UNION ALL SELECT heartbeat_at FROM sync_runs",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    assert_eq!(
        beats,
        vec![Some(T0 + 30_000); 2],
        "renew moves this process's leases"
    );
    let export = cremmy_core::jobs::NewJob {
        kind: cremmy_protocol::kinds::JobKind::ExportSheets,
        payload: "{}",
        key: "claim-me",
        title: "Export",
        priority: 0,
        max_attempts: cremmy_core::jobs::JOB_BACKOFF.max_attempts,
    };
    let claimed = cremmy_core::jobs::enqueue(db, &export, T0).await.unwrap();
    cremmy_core::jobs::claim(db, claimed, T0)
        .await
        .unwrap()
        .expect("claimed");
    let (owner, beat): (Option<i64>, Option<i64>) =
        sqlx::query_as("SELECT owner_pid, heartbeat_at FROM jobs WHERE id = ?")
            .bind(claimed)
            .fetch_one(db.pool())
            .await
            .unwrap();
    assert_eq!(
        owner,
        Some(i64::from(lease::this_process())),
        "a claim names its owner"
    );
    assert_eq!(beat, Some(T0), "a claim starts its lease");
}

/// Migrations of the release before global ids (0001–0010).
async fn previous_release_database(dir: &std::path::Path) -> sqlx::SqlitePool {
    let all = sqlx::migrate!("../../migrations");
    let previous = sqlx::migrate::Migrator {
        migrations: Cow::Owned(
            all.migrations
                .iter()
                .filter(|m| m.version <= 10)
                .cloned()
                .collect(),
        ),
        ..sqlx::migrate::Migrator::DEFAULT
    };
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(cremmy_core::paths::database_path(dir))
        .create_if_missing(true)
        .foreign_keys(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    previous.run(&pool).await.unwrap();
    pool
}

#[tokio::test]
async fn a_database_of_the_previous_release_upgrades_with_global_ids() {
    let dir = tempfile::tempdir().unwrap();
    let made = T0 - 86_400_000;
    {
        let pool = previous_release_database(dir.path()).await;
        for sql in [
            "INSERT INTO clients (id, name, created_at, updated_at) VALUES (1, 'Acme', ?1, ?1), (2, 'Globex', ?1, ?1)",
            "INSERT INTO contacts (id, client_id, name, created_at, updated_at) VALUES (1, 1, 'Ada', ?1, ?1)",
            "INSERT INTO deals (id, client_id, title, stage_id, position, created_at, updated_at) \
             VALUES (1, 1, 'Audit', (SELECT min(id) FROM stages), 0, ?1, ?1)",
            "INSERT INTO activities (client_id, kind, subject, occurred_at, source, external_id, created_at) \
             VALUES (1, 'system', 'Draft', ?1, 'gmail-draft', 'r1', ?1), (1, 'document', 'Doc', ?1, 'google-docs', 'd1', ?1), \
                    (2, 'note', 'Hello', ?1, 'local', NULL, ?1)",
            "INSERT INTO tasks (title, client_id, created_at) VALUES ('Call', 1, ?1)",
            "INSERT INTO documents (client_id, title, provider, external_id, url, created_at) VALUES (1, 'Proposal', 'google', 'd1', 'u', ?1)",
            "INSERT INTO accounts (id, provider, email, status, connected_at, updated_at) VALUES (1, 'google', 'me@example.com', 'connected', ?1, ?1)",
            "INSERT INTO sync_cursors (account_id, stream, cursor, updated_at) VALUES (1, 'gmail', '4242', ?1), (1, 'calendar:primary', 'tok', ?1)",
            "INSERT INTO gmail_messages (account_id, gmail_id, thread_id, activity_id) VALUES (1, 'g1', 't1', 1)",
            "INSERT INTO client_folders (client_id, account_id, folder_id, url, created_at) VALUES (1, 1, 'f1', 'https://drive/f1', ?1)",
            "INSERT INTO calendar_events (account_id, event_id, ical_uid, activity_id) VALUES (1, 'e1', 'uid1@example', 3)",
            "INSERT INTO task_events (task_id, account_id, event_id, time_zone, written, created_at) \
             VALUES (1, 1, 'ev1', 'Europe/Berlin', '2026-03-02T10:00:00', ?1)",
        ] {
            sqlx::query(sql).bind(made).execute(&pool).await.unwrap();
        }
        pool.close().await;
    }
    let core = open(dir.path(), T0).await;
    let db = core.database();
    let expected_prefix = format!("{:012x}", made);
    let expected_prefix = format!("{}-{}-7", &expected_prefix[..8], &expected_prefix[8..]);
    for (table, rows) in [
        ("clients", 2),
        ("contacts", 1),
        ("deals", 1),
        ("activities", 3),
        ("tasks", 1),
        ("documents", 1),
    ] {
        let gids: Vec<Option<String>> = sqlx::query_scalar(&format!("SELECT gid FROM {table}"))
            .fetch_all(db.pool())
            .await
            .unwrap();
        assert_eq!(gids.len(), rows, "{table}: every row kept");
        let distinct: std::collections::HashSet<_> = gids.iter().collect();
        assert_eq!(distinct.len(), rows, "{table}: global ids are unique");
        for gid in gids {
            let gid = gid.unwrap_or_else(|| panic!("{table}: a row without a global id"));
            assert!(
                gid.len() == 36 && gid.starts_with(&expected_prefix),
                "{table}: {gid} must be a UUIDv7 of the row's creation time ({expected_prefix}…)"
            );
            assert!(
                matches!(&gid[19..20], "8" | "9" | "a" | "b"),
                "{table}: {gid} has the RFC 9562 variant"
            );
        }
        let without_update: i64 = sqlx::query_scalar(&format!(
            "SELECT count(*) FROM {table} WHERE updated_at IS NULL"
        ))
        .fetch_one(db.pool())
        .await
        .unwrap();
        assert_eq!(without_update, 0, "{table}: every row has updated_at");
    }
    let sources: Vec<String> = sqlx::query_scalar("SELECT source FROM activities ORDER BY id")
        .fetch_all(db.pool())
        .await
        .unwrap();
    assert_eq!(
        sources,
        ["mail-draft", "generated-doc", "local"],
        "activity sources name what a feature made, not the provider"
    );
    let cursors: Vec<(String, String)> =
        sqlx::query_as("SELECT stream, cursor FROM sync_cursors ORDER BY stream")
            .fetch_all(db.pool())
            .await
            .unwrap();
    assert_eq!(
        cursors,
        [
            ("calendar:primary".to_string(), "tok".to_string()),
            ("mail".into(), "4242".into())
        ],
        "the mail cursor keeps its position under the provider-neutral stream name"
    );
    let linked: Vec<(String, String, i64)> =
        sqlx::query_as("SELECT provider_id, thread_id, activity_id FROM mailbox_messages")
            .fetch_all(db.pool())
            .await
            .unwrap();
    assert_eq!(
        linked,
        [("g1".to_string(), "t1".to_string(), 1)],
        "mailbox message links keep their rows under provider-neutral names"
    );
    let links: Vec<(
        String,
        String,
        i64,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
    )> = sqlx::query_as(
        "SELECT provider, entity_kind, local_id, role, remote_id, url, remote_version, state \
             FROM external_links ORDER BY role",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    let google = |kind: &str, id: i64, role: &str, remote: &str| {
        (
            "google".to_string(),
            kind.to_string(),
            id,
            role.to_string(),
            remote.to_string(),
        )
    };
    assert_eq!(
        links
            .iter()
            .map(|l| (l.0.clone(), l.1.clone(), l.2, l.3.clone(), l.4.clone()))
            .collect::<Vec<_>>(),
        [
            google("client", 1, "folder", "f1"),
            google("activity", 3, "meeting", "e1"),
            google("task", 1, "task_event", "ev1"),
        ],
        "folders, meetings and task events become external links"
    );
    assert_eq!(
        links[0].5.as_deref(),
        Some("https://drive/f1"),
        "the folder keeps its link"
    );
    assert_eq!(
        links[1].6.as_deref(),
        Some("uid1@example"),
        "a meeting keeps its iCalUID"
    );
    let state: serde_json::Value = serde_json::from_str(links[2].7.as_deref().unwrap()).unwrap();
    assert_eq!(
        state,
        serde_json::json!({ "time_zone": "Europe/Berlin", "written": "2026-03-02T10:00:00" }),
        "a task event keeps its zone and what was written"
    );
    sqlx::query("DELETE FROM clients WHERE id = 1")
        .execute(db.writer())
        .await
        .unwrap();
    let left: Vec<(String, i64)> =
        sqlx::query_as("SELECT entity_kind, local_id FROM external_links ORDER BY id")
            .fetch_all(db.pool())
            .await
            .unwrap();
    assert_eq!(
        left,
        [("activity".to_string(), 3)],
        "deleting client 1 drops its folder and its task's event (through the cascade), and keeps \
         the meeting on client 2's activity"
    );
    let fresh = core
        .crm()
        .create_client(&ClientInput {
            name: "Initech".into(),
            ..ClientInput::default()
        })
        .await
        .unwrap();
    let gid: String = sqlx::query_scalar("SELECT gid FROM clients WHERE id = ?")
        .bind(fresh.id)
        .fetch_one(db.pool())
        .await
        .unwrap();
    let now_prefix = format!("{:012x}", T0);
    assert!(
        gid.starts_with(&now_prefix[..8]) && &gid[14..15] == "7",
        "a new row gets a UUIDv7 of now from the one CRM writer: {gid}"
    );
}

#[test]
fn global_ids_are_uuid_v7_and_sort_by_time() {
    let a = cremmy_core::crm::new_gid(T0);
    let b = cremmy_core::crm::new_gid(T0 + 1);
    let c = cremmy_core::crm::new_gid(T0);
    assert_eq!(a.len(), 36);
    assert_eq!(&a[14..15], "7", "version 7: {a}");
    assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"), "variant: {a}");
    assert!(a < b, "a later id sorts after: {a} < {b}");
    assert_ne!(a, c, "two ids of the same millisecond differ");
}
