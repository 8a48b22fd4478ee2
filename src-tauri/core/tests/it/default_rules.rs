//! The built-in follow-ups as default automation rules: the migration makes them exactly as the
//! old settings said (an upgraded database behaves as before), and without a Google account they
//! say why in their history instead of queueing jobs bound to fail.

use std::path::Path;

use cremmy_core::{paths, Database};
use cremmy_protocol::automation::RuleRunStatus;
use cremmy_protocol::crm::DealMove;
use sqlx::sqlite::SqliteConnectOptions;

use crate::mail_sync::mail_world;
use crate::support::{client, contact, settle_rules};

/// The migration that turns the settings into rules.
const DEFAULT_RULES: i64 = 22;

/// A database at the schema before the default rules, with these settings, then opened by Cremmy
/// (which runs the remaining migrations): its rules as (name, trigger, conditions, actions,
/// enabled).
async fn upgraded(settings: &[(&str, &str)]) -> Vec<(String, String, String, String, bool)> {
    let dir = tempfile::tempdir().unwrap();
    let file = paths::database_path(dir.path());
    {
        let pool = sqlx::SqlitePool::connect_with(
            SqliteConnectOptions::new()
                .filename(&file)
                .create_if_missing(true)
                .foreign_keys(true),
        )
        .await
        .unwrap();
        let all = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations");
        let mut before = sqlx::migrate::Migrator::new(all).await.unwrap();
        before.migrations = before
            .migrations
            .iter()
            .filter(|m| m.version < DEFAULT_RULES)
            .cloned()
            .collect::<Vec<_>>()
            .into();
        before.run(&pool).await.unwrap();
        for (key, value) in settings {
            sqlx::query("INSERT INTO settings (key, value, updated_at) VALUES (?, ?, 0)")
                .bind(key)
                .bind(value)
                .execute(&pool)
                .await
                .unwrap();
        }
        pool.close().await;
    }
    let db = Database::open_in(dir.path()).await.unwrap();
    sqlx::query_as(
        "SELECT name, trigger, conditions, actions, enabled FROM automation_rules ORDER BY id",
    )
    .fetch_all(db.pool())
    .await
    .unwrap()
}

#[tokio::test]
async fn the_migration_makes_the_default_rules_as_the_settings_said() {
    let folder = |on: bool| {
        (
            "Drive folder for each new client".to_string(),
            "client_created".to_string(),
            "[]".to_string(),
            r#"[{"kind":"client_folder"}]"#.to_string(),
            on,
        )
    };
    // The starter pipeline's stage ids: Lead 1, Qualified 2, Proposal 3, Negotiation 4.
    let draft = |stage: &str, id: i64, on: bool| {
        (
            format!("Proposal draft when a deal enters {stage}"),
            "deal_stage_changed".to_string(),
            format!(r#"[{{"kind":"stage","stage_id":{id}}}]"#),
            r#"[{"kind":"proposal_draft"}]"#.to_string(),
            on,
        )
    };
    let template = |enabled: bool, stage: &str| {
        format!(
            r#"{{"enabled":{enabled},"stage":"{stage}","subject":"Proposal for {{{{deal_title}}}}","body":"Hi"}}"#
        )
    };
    let cases: Vec<(&str, Vec<(&str, String)>, Vec<_>)> = vec![
        (
            "a new database: folder off, drafts on for Proposal (as before)",
            vec![],
            vec![folder(false), draft("Proposal", 3, true)],
        ),
        (
            "folder on, drafts switched off for Negotiation",
            vec![
                ("drive.folder_on_create", "true".into()),
                ("drafts.proposal", template(false, "Negotiation")),
            ],
            vec![folder(true), draft("Negotiation", 4, false)],
        ),
        (
            "folder explicitly off, the stage named in lower case with spaces",
            vec![
                ("drive.folder_on_create", "false".into()),
                ("drafts.proposal", template(true, " proposal ")),
            ],
            vec![folder(false), draft("Proposal", 3, true)],
        ),
        (
            "a template naming a stage that no longer exists drafted nothing: no rule",
            vec![("drafts.proposal", template(true, "Gone"))],
            vec![folder(false)],
        ),
    ];
    for (case, settings, want) in cases {
        let settings: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(upgraded(&settings).await, want, "{case}");
    }
}

#[tokio::test]
async fn without_a_google_account_the_default_rules_say_why_and_queue_nothing() {
    let w = mail_world().await;
    sqlx::query("UPDATE automation_rules SET enabled = 1")
        .execute(w.t.db.writer())
        .await
        .unwrap();
    let acme = client(&w.crm, "Acme").await;
    contact(&w.crm, acme.id, "Zoë Müller", &["zoe@acme.example"]).await;
    let deal = w
        .crm
        .create_deal(&cremmy_protocol::crm::DealInput {
            client_id: acme.id,
            title: "Relaunch".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let proposal = crate::support::stage_named(&w.crm, "Proposal").await;
    w.crm
        .move_deal(DealMove {
            deal_id: deal.id,
            stage_id: proposal,
            index: 0,
        })
        .await
        .unwrap();
    settle_rules(&w.sync).await;
    let mut said = Vec::new();
    for rule in w.sync.automation_rules().await.unwrap() {
        let runs = w.sync.rule_runs(rule.id).await.unwrap();
        assert_eq!(runs.len(), 1, "{}: one run: {runs:?}", rule.name);
        assert_eq!(runs[0].status, RuleRunStatus::Done, "{}", rule.name);
        said.push(runs[0].detail.clone());
    }
    assert_eq!(
        said,
        [
            "no folder: no connected account has Drive access",
            "no draft: no connected account can write mail"
        ],
        "each run says why nothing was made"
    );
    let queued: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs WHERE kind != 'rule_run'")
        .fetch_one(w.t.db.pool())
        .await
        .unwrap();
    assert_eq!(queued, 0, "no folder or draft job waits to fail");
}
