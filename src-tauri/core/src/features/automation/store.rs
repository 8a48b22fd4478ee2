//! Rules and their runs in the database, and the facts of an event as rules see them.

use cremmy_protocol::automation::{Rule, RuleInput, RuleRun, RuleRunStatus};
use cremmy_protocol::crm::Id;
use cremmy_protocol::kinds::EventKind;
use sqlx::SqlitePool;

use super::{AutomationError, AutomationResult, DealFacts, EventFacts};
use crate::clock::Timestamp;
use crate::db::Database;
use crate::features::event_journal::{self, JournalEvent};

/// A rule with the journal position it starts after.
#[derive(Debug, Clone)]
pub struct StoredRule {
    pub rule: Rule,
    pub journal_from: Id,
}

type RuleRow = (
    Id,
    String,
    String,
    String,
    Option<String>,
    String,
    bool,
    i64,
    Id,
);
const RULE_COLUMNS: &str =
    "id, name, trigger, conditions, delay, actions, enabled, created_at, journal_from";

fn rule_of(row: RuleRow) -> StoredRule {
    let (id, name, trigger, conditions, delay, actions, enabled, created_at, journal_from) = row;
    StoredRule {
        rule: Rule {
            id,
            name,
            trigger: EventKind::parse(&trigger),
            conditions: serde_json::from_str(&conditions).unwrap_or_default(),
            delay: delay.and_then(|d| serde_json::from_str(&d).ok()),
            actions: serde_json::from_str(&actions).unwrap_or_default(),
            enabled,
            created_at,
        },
        journal_from,
    }
}

pub async fn rules(db: &Database) -> AutomationResult<Vec<StoredRule>> {
    let rows: Vec<RuleRow> = sqlx::query_as(&format!(
        "SELECT {RULE_COLUMNS} FROM automation_rules ORDER BY id"
    ))
    .fetch_all(db.writer())
    .await?;
    Ok(rows.into_iter().map(rule_of).collect())
}

pub async fn rule(db: &Database, id: Id) -> AutomationResult<StoredRule> {
    let row: Option<RuleRow> = sqlx::query_as(&format!(
        "SELECT {RULE_COLUMNS} FROM automation_rules WHERE id = ?"
    ))
    .bind(id)
    .fetch_optional(db.writer())
    .await?;
    row.map(rule_of).ok_or(AutomationError::NotFound { id })
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

/// Saves a validated rule; it hears events recorded from now on.
pub async fn create(db: &Database, input: &RuleInput, now: Timestamp) -> AutomationResult<Rule> {
    let id: Id = sqlx::query_scalar(
        "INSERT INTO automation_rules (name, trigger, conditions, delay, actions, enabled, journal_from, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, (SELECT coalesce(max(id), 0) FROM event_journal), ?, ?) RETURNING id",
    )
    .bind(&input.name)
    .bind(input.trigger.as_str())
    .bind(json(&input.conditions))
    .bind(input.delay.as_ref().map(json))
    .bind(json(&input.actions))
    .bind(input.enabled)
    .bind(now)
    .bind(now)
    .fetch_one(db.writer())
    .await?;
    Ok(rule(db, id).await?.rule)
}

pub async fn update(
    db: &Database,
    id: Id,
    input: &RuleInput,
    now: Timestamp,
) -> AutomationResult<Rule> {
    let changed = sqlx::query(
        "UPDATE automation_rules SET name = ?, trigger = ?, conditions = ?, delay = ?, actions = ?, enabled = ?, updated_at = ? WHERE id = ?",
    )
    .bind(&input.name)
    .bind(input.trigger.as_str())
    .bind(json(&input.conditions))
    .bind(input.delay.as_ref().map(json))
    .bind(json(&input.actions))
    .bind(input.enabled)
    .bind(now)
    .bind(id)
    .execute(db.writer())
    .await?;
    if changed.rows_affected() == 0 {
        return Err(AutomationError::NotFound { id });
    }
    Ok(rule(db, id).await?.rule)
}

pub async fn delete(db: &Database, id: Id) -> AutomationResult<()> {
    let gone = sqlx::query("DELETE FROM automation_rules WHERE id = ?")
        .bind(id)
        .execute(db.writer())
        .await?;
    if gone.rows_affected() == 0 {
        return Err(AutomationError::NotFound { id });
    }
    Ok(())
}

/// Records that `rule_id` acts on (or refused) `event_id`; `None` if it already had.
pub async fn record_run(
    db: &Database,
    rule_id: Id,
    event_id: Id,
    due_at: Timestamp,
    refused: Option<&str>,
    now: Timestamp,
) -> AutomationResult<Option<Id>> {
    let (status, detail) = match refused {
        Some(reason) => ("refused", reason),
        None => ("waiting", ""),
    };
    Ok(sqlx::query_scalar(
        "INSERT INTO rule_runs (rule_id, event_id, due_at, status, detail, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (rule_id, event_id) DO NOTHING RETURNING id",
    )
    .bind(rule_id)
    .bind(event_id)
    .bind(due_at)
    .bind(status)
    .bind(detail)
    .bind(now)
    .bind(now)
    .fetch_optional(db.writer())
    .await?)
}

/// A run as its job needs it: (rule id, event id, actions done, status).
pub async fn run_state(
    db: &Database,
    run_id: Id,
) -> AutomationResult<Option<(Id, Id, i64, String)>> {
    Ok(
        sqlx::query_as(
            "SELECT rule_id, event_id, actions_done, status FROM rule_runs WHERE id = ?",
        )
        .bind(run_id)
        .fetch_optional(db.writer())
        .await?,
    )
}

pub async fn action_done(
    db: &Database,
    run_id: Id,
    done: i64,
    detail: &str,
    now: Timestamp,
) -> AutomationResult<()> {
    sqlx::query("UPDATE rule_runs SET actions_done = ?, detail = ?, updated_at = ? WHERE id = ?")
        .bind(done)
        .bind(detail)
        .bind(now)
        .bind(run_id)
        .execute(db.writer())
        .await?;
    Ok(())
}

pub async fn finish_run(
    db: &Database,
    run_id: Id,
    status: RuleRunStatus,
    detail: &str,
    now: Timestamp,
) -> AutomationResult<()> {
    let status = match status {
        RuleRunStatus::Waiting => "waiting",
        RuleRunStatus::Done => "done",
        RuleRunStatus::Failed => "failed",
        RuleRunStatus::Refused => "refused",
    };
    sqlx::query("UPDATE rule_runs SET status = ?, detail = ?, updated_at = ? WHERE id = ?")
        .bind(status)
        .bind(detail)
        .bind(now)
        .bind(run_id)
        .execute(db.writer())
        .await?;
    Ok(())
}

/// A rule's history, newest first.
pub async fn runs(db: &Database, rule_id: Id, limit: i64) -> AutomationResult<Vec<RuleRun>> {
    type Row = (Id, String, Option<String>, i64, i64, String, String);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT r.id, e.kind, c.name, e.occurred_at, r.due_at, r.status, r.detail \
         FROM rule_runs r JOIN event_journal e ON e.id = r.event_id LEFT JOIN clients c ON c.id = e.client_id \
         WHERE r.rule_id = ? ORDER BY r.id DESC LIMIT ?",
    )
    .bind(rule_id)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, kind, client_name, occurred_at, due_at, status, detail)| RuleRun {
                id,
                rule_id,
                event: EventKind::parse(&kind),
                client_name,
                occurred_at,
                due_at,
                status: match status.as_str() {
                    "waiting" => RuleRunStatus::Waiting,
                    "done" => RuleRunStatus::Done,
                    "refused" => RuleRunStatus::Refused,
                    _ => RuleRunStatus::Failed,
                },
                detail,
            },
        )
        .collect())
}

/// What rules see of an event: its deal now, the client's tags, addresses and custom fields.
pub async fn facts(pool: &SqlitePool, e: &JournalEvent) -> Result<EventFacts, sqlx::Error> {
    let mut facts = EventFacts {
        event_id: e.id,
        kind: Some(e.kind()),
        occurred_at: e.occurred_at,
        client_id: e.client_id,
        chain: e.chain(),
        depth: e.depth,
        ..EventFacts::default()
    };
    if let Some(deal) = e.deal_id {
        type Row = (Id, String, Id, String, i64, String);
        let row: Option<Row> = sqlx::query_as(
            "SELECT d.id, d.title, d.stage_id, s.name, d.value_minor, d.currency FROM deals d JOIN stages s ON s.id = d.stage_id WHERE d.id = ?",
        )
        .bind(deal)
        .fetch_optional(pool)
        .await?;
        facts.deal = row.map(
            |(id, title, stage_id, stage, value_minor, currency)| DealFacts {
                id,
                title,
                // A stage event is about the stage it entered, even if the deal moved on since.
                stage_id: e.to_stage_id.unwrap_or(stage_id),
                stage,
                value_minor,
                currency,
            },
        );
        if let (Some(d), Some(to)) = (facts.deal.as_mut(), e.to_stage_id) {
            if let Some(name) =
                sqlx::query_scalar::<_, String>("SELECT name FROM stages WHERE id = ?")
                    .bind(to)
                    .fetch_optional(pool)
                    .await?
            {
                d.stage = name;
            }
        }
    }
    let Some(client) = e.client_id else {
        return Ok(facts);
    };
    facts.client_name = sqlx::query_scalar("SELECT name FROM clients WHERE id = ?")
        .bind(client)
        .fetch_optional(pool)
        .await?;
    facts.tags = sqlx::query_scalar(
        "SELECT t.name FROM client_tags ct JOIN tags t ON t.id = ct.tag_id WHERE ct.client_id = ?",
    )
    .bind(client)
    .fetch_all(pool)
    .await?;
    let (emails, phones): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM contact_emails e JOIN contacts c ON c.id = e.contact_id WHERE c.client_id = ?1 AND c.archived = 0), \
                (SELECT count(*) FROM contact_phones p JOIN contacts c ON c.id = p.contact_id WHERE c.client_id = ?1 AND c.archived = 0)",
    )
    .bind(client)
    .fetch_one(pool)
    .await?;
    facts.has_email = emails > 0;
    facts.has_phone = phones > 0;
    facts.fields = sqlx::query_as(
        "SELECT f.name, v.value FROM client_field_values v JOIN custom_fields f ON f.id = v.field_id WHERE v.client_id = ?",
    )
    .bind(client)
    .fetch_all(pool)
    .await?;
    Ok(facts)
}

/// The journal's events of the last `since` ms (for the dry run), oldest first.
pub async fn recent_events(
    pool: &SqlitePool,
    since: Timestamp,
) -> Result<Vec<JournalEvent>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {} FROM event_journal WHERE recorded_at >= ? ORDER BY id LIMIT 20000",
        event_journal::JOURNAL_COLUMNS
    ))
    .bind(since)
    .fetch_all(pool)
    .await
}
