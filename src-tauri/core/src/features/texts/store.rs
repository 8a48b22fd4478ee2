//! The `texts` and `text_opt_outs` tables, and the texts' activities on the timeline.

use std::collections::HashMap;

use cremmy_protocol::crm::{ActivityKind, ActivitySource, Direction};
use cremmy_protocol::sms::{Channel, ContactOptOut, OptOut, TextMessage};
use sqlx::{Row, SqliteConnection};

use super::{e164, Refusal, TextState};
use crate::clock::Timestamp;
use crate::crm::write::{insert_activity, update_external_activity, CrmTx, NewActivity};
use crate::db::Database;

/// A contact a number belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NumberOwner {
    pub client_id: i64,
    pub contact_id: i64,
}

/// Every live contact's numbers as E.164 (read in `region` when written without a country
/// code); a number two contacts share goes to the first.
pub async fn number_owners(
    db: &Database,
    region: &str,
) -> Result<HashMap<String, NumberOwner>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT p.phone, c.id AS contact_id, c.client_id FROM contact_phones p \
         JOIN contacts c ON c.id = p.contact_id JOIN clients k ON k.id = c.client_id \
         WHERE c.archived = 0 AND k.archived = 0 ORDER BY p.is_primary DESC, c.id, p.id",
    )
    .fetch_all(db.pool())
    .await?;
    let mut owners = HashMap::new();
    for row in rows {
        let Ok(number) = e164(row.get::<String, _>("phone").as_str(), region) else {
            continue;
        };
        owners.entry(number).or_insert(NumberOwner {
            client_id: row.get("client_id"),
            contact_id: row.get("contact_id"),
        });
    }
    Ok(owners)
}

/// The timeline line of a text: who and where it is.
pub fn subject(state: &TextState) -> String {
    let channel = match state.channel() {
        Channel::Sms => "SMS",
        Channel::Whatsapp => "WhatsApp",
    };
    if state.inbound {
        format!("{channel} received")
    } else {
        let error = state
            .error_code
            .map(|c| format!(" (error {c})"))
            .unwrap_or_default();
        format!("{channel} sent · {}{error}", state.status)
    }
}

/// A text's activity on its owner's timeline, with `line` as its subject.
fn activity_of<'a>(state: &'a TextState, owner: NumberOwner, line: &'a str) -> NewActivity<'a> {
    NewActivity {
        client_id: owner.client_id,
        contact_id: Some(owner.contact_id),
        deal_id: None,
        kind: ActivityKind::Sms,
        direction: if state.inbound {
            Direction::Inbound
        } else {
            Direction::Outbound
        },
        subject: line,
        body: &state.body,
        occurred_at: state.at,
        source: ActivitySource::Text,
        external_id: Some(&state.sid),
    }
}

/// Records a text (and, with an owner, its activity) in `tx`. `None` when the text was already
/// recorded (a re-poll).
pub async fn record(
    tx: &mut CrmTx,
    account_id: i64,
    state: &TextState,
    owner: Option<NumberOwner>,
    job_key: Option<&str>,
    now: Timestamp,
) -> sqlx::Result<Option<Option<i64>>> {
    let known: Option<i64> =
        sqlx::query_scalar("SELECT id FROM texts WHERE account_id = ? AND sid = ?")
            .bind(account_id)
            .bind(&state.sid)
            .fetch_optional(&mut **tx)
            .await?;
    if known.is_some() {
        return Ok(None);
    }
    let line = subject(state);
    let activity_id = match owner {
        Some(owner) => insert_activity(tx, &activity_of(state, owner, &line), now).await?,
        None => None,
    };
    sqlx::query(
        "INSERT INTO texts (account_id, sid, direction, channel, from_address, to_address, body, status, final, \
                            error_code, error_message, segments, activity_id, job_key, sent_at, recorded_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(account_id)
    .bind(&state.sid)
    .bind(if state.inbound { "inbound" } else { "outbound" })
    .bind(match state.channel() {
        Channel::Sms => "sms",
        Channel::Whatsapp => "whatsapp",
    })
    .bind(&state.from)
    .bind(&state.to)
    .bind(&state.body)
    .bind(&state.status)
    .bind(state.is_final())
    .bind(state.error_code)
    .bind(&state.error_message)
    .bind(state.segments)
    .bind(activity_id)
    .bind(job_key)
    .bind(state.at)
    .bind(now)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(Some(activity_id))
}

/// The text a job sent, if it did: `(sid, activity_id, status)`.
pub async fn sent_by_job(
    db: &Database,
    job_key: &str,
) -> sqlx::Result<Option<(String, Option<i64>, String)>> {
    sqlx::query_as("SELECT sid, activity_id, status FROM texts WHERE job_key = ?")
        .bind(job_key)
        .fetch_optional(db.pool())
        .await
}

pub async fn is_known(db: &Database, account_id: i64, sid: &str) -> sqlx::Result<bool> {
    Ok(
        sqlx::query_scalar::<_, i64>("SELECT 1 FROM texts WHERE account_id = ? AND sid = ?")
            .bind(account_id)
            .bind(sid)
            .fetch_optional(db.pool())
            .await?
            .is_some(),
    )
}

/// Outbound texts whose status may still change.
pub async fn in_flight(db: &Database, account_id: i64) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT sid FROM texts WHERE account_id = ? AND final = 0 AND direction = 'outbound' ORDER BY id",
    )
    .bind(account_id)
    .fetch_all(db.pool())
    .await
}

/// Moves a text (and its activity's line) to the provider's current status.
pub async fn update_status(
    tx: &mut SqliteConnection,
    account_id: i64,
    state: &TextState,
    now: Timestamp,
) -> sqlx::Result<()> {
    let activity: Option<Option<i64>> = sqlx::query_scalar(
        "UPDATE texts SET status = ?, final = ?, error_code = ?, error_message = ?, segments = ?, updated_at = ? \
         WHERE account_id = ? AND sid = ? RETURNING activity_id",
    )
    .bind(&state.status)
    .bind(state.is_final())
    .bind(state.error_code)
    .bind(explained(state))
    .bind(state.segments)
    .bind(now)
    .bind(account_id)
    .bind(&state.sid)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(Some(activity_id)) = activity {
        update_external_activity(tx, activity_id, &subject(state), &state.body, state.at, now)
            .await?;
    }
    Ok(())
}

/// Marks `number` opted out (STOP, or the provider's 21610).
pub async fn opt_out(
    tx: &mut SqliteConnection,
    number: &str,
    keyword: &str,
    at: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO text_opt_outs (number, keyword, since) VALUES (?, ?, ?) \
         ON CONFLICT (number) DO NOTHING",
    )
    .bind(number)
    .bind(keyword)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// START: `number` may be texted again.
pub async fn opt_in(tx: &mut SqliteConnection, number: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM text_opt_outs WHERE number = ?")
        .bind(number)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// When `address` (`whatsapp:+…`) last wrote to the user, if it ever did.
pub async fn last_inbound_at(db: &Database, address: &str) -> sqlx::Result<Option<Timestamp>> {
    sqlx::query_scalar(
        "SELECT max(sent_at) FROM texts WHERE direction = 'inbound' AND from_address = ?",
    )
    .bind(address)
    .fetch_one(db.pool())
    .await
}

/// What the user reads for a failure the provider's code explains.
fn explained(state: &TextState) -> Option<String> {
    match state.refusal {
        Some(Refusal::OutsideWhatsAppWindow) => Some(
            "outside WhatsApp's 24-hour window: they have not written in the last 24 hours, so only an approved template can be sent".into(),
        ),
        Some(Refusal::OptedOut) => Some("the recipient has opted out (replied STOP)".into()),
        Some(Refusal::InvalidNumber) => Some("not a number that can receive texts".into()),
        _ => state.error_message.clone(),
    }
}

/// The opted-out numbers of a client's contacts (read in `region`).
pub async fn opt_outs_of_client(
    db: &Database,
    client_id: i64,
    region: &str,
) -> sqlx::Result<Vec<ContactOptOut>> {
    let phones: Vec<(i64, String)> = sqlx::query_as(
        "SELECT c.id, p.phone FROM contact_phones p JOIN contacts c ON c.id = p.contact_id \
         WHERE c.client_id = ? ORDER BY c.id, p.is_primary DESC, p.id",
    )
    .bind(client_id)
    .fetch_all(db.pool())
    .await?;
    let mut out = Vec::new();
    for (contact_id, phone) in phones {
        let Ok(number) = e164(&phone, region) else {
            continue;
        };
        if let Some(opt_out) = opted_out(db, &number).await? {
            out.push(ContactOptOut {
                contact_id,
                opt_out,
            });
        }
    }
    Ok(out)
}

/// Whether `number` (E.164, a `whatsapp:` prefix ignored) has opted out.
pub async fn opted_out(db: &Database, number: &str) -> sqlx::Result<Option<OptOut>> {
    let bare = number.strip_prefix("whatsapp:").unwrap_or(number);
    let row: Option<(String, String, i64)> =
        sqlx::query_as("SELECT number, keyword, since FROM text_opt_outs WHERE number = ?")
            .bind(bare)
            .fetch_optional(db.pool())
            .await?;
    Ok(row.map(|(number, keyword, since)| OptOut {
        number,
        keyword,
        since,
    }))
}

fn message_of(row: &sqlx::sqlite::SqliteRow) -> TextMessage {
    let code: Option<i64> = row.get("error_code");
    let words: Option<String> = row.get("error_message");
    TextMessage {
        sid: row.get("sid"),
        activity_id: row.get("activity_id"),
        inbound: row.get::<String, _>("direction") == "inbound",
        channel: if row.get::<String, _>("channel") == "whatsapp" {
            Channel::Whatsapp
        } else {
            Channel::Sms
        },
        from: row.get("from_address"),
        to: row.get("to_address"),
        body: row.get("body"),
        status: row.get("status"),
        error: code.map(|c| match &words {
            Some(w) => format!("{c}: {w}"),
            None => c.to_string(),
        }),
        segments: row.get::<i64, _>("segments") as u32,
        at: row.get("sent_at"),
    }
}

/// A client's texts, newest first.
pub async fn of_client(db: &Database, client_id: i64) -> sqlx::Result<Vec<TextMessage>> {
    let rows = sqlx::query(
        "SELECT t.* FROM texts t JOIN activities a ON a.id = t.activity_id \
         WHERE a.client_id = ? ORDER BY t.sent_at DESC, t.id DESC LIMIT 500",
    )
    .bind(client_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(message_of).collect())
}

/// Inbound texts from numbers no contact has, newest first.
pub async fn unmatched(db: &Database) -> sqlx::Result<Vec<TextMessage>> {
    let rows = sqlx::query(
        "SELECT * FROM texts WHERE activity_id IS NULL AND direction = 'inbound' \
         ORDER BY sent_at DESC, id DESC LIMIT 500",
    )
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(message_of).collect())
}

/// One text by its provider id.
pub async fn by_sid(db: &Database, sid: &str) -> sqlx::Result<Option<(i64, TextState)>> {
    let row = sqlx::query("SELECT * FROM texts WHERE sid = ?")
        .bind(sid)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(|row| {
        let m = message_of(&row);
        let code: Option<i64> = row.get("error_code");
        (
            row.get("account_id"),
            TextState {
                sid: m.sid,
                from: m.from,
                to: m.to,
                body: m.body,
                status: m.status,
                error_code: code.and_then(|c| u32::try_from(c).ok()),
                error_message: row.get("error_message"),
                segments: row.get::<i64, _>("segments") as u32,
                at: m.at,
                inbound: m.inbound,
                refusal: None,
            },
        )
    }))
}

/// Gives an unmatched text its activity on `owner`'s timeline.
pub async fn attach(
    tx: &mut CrmTx,
    account_id: i64,
    state: &TextState,
    owner: NumberOwner,
    now: Timestamp,
) -> sqlx::Result<Option<i64>> {
    let line = subject(state);
    let activity_id = insert_activity(tx, &activity_of(state, owner, &line), now).await?;
    sqlx::query(
        "UPDATE texts SET activity_id = ?, updated_at = ? WHERE account_id = ? AND sid = ?",
    )
    .bind(activity_id)
    .bind(now)
    .bind(account_id)
    .bind(&state.sid)
    .execute(&mut **tx)
    .await?;
    Ok(activity_id)
}

/// Records a bulk text's size (its jobs carry the rest).
pub async fn save_batch(
    db: &Database,
    id: &str,
    total: u32,
    skipped: u32,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO text_batches (id, total, skipped, created_at) VALUES (?, ?, ?, ?)")
        .bind(id)
        .bind(total)
        .bind(skipped)
        .bind(now)
        .execute(db.writer())
        .await?;
    Ok(())
}

/// A bulk text's (total, skipped), if it exists.
pub async fn batch(db: &Database, id: &str) -> sqlx::Result<Option<(u32, u32)>> {
    let row: Option<(i64, i64)> =
        sqlx::query_as("SELECT total, skipped FROM text_batches WHERE id = ?")
            .bind(id)
            .fetch_optional(db.pool())
            .await?;
    Ok(row.map(|(t, s)| (t as u32, s as u32)))
}
