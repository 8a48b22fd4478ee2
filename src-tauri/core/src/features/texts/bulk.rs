//! A bulk text: the audience (a tag, a stage, a search result), one preview per recipient with
//! why some are skipped (no phone, an invalid number, opted out, a value missing), and the jobs
//! for the rest, due one after another at the sender's pace.

use cremmy_protocol::sms::{Audience, BulkPreview, BulkRecipient, BulkText, TextDraft};

use super::send::{self, TextJobInput};
use super::TextsResult;
use crate::clock::Timestamp;
use crate::crm::Crm;
use crate::db::Database;

/// How far apart a bulk text's sends are: a US long code sends one segment per second (Twilio:
/// https://help.twilio.com/articles/115002943027; faster senders queue at Twilio, never refused).
pub const PACE_MS: i64 = 1_000;

/// The most recipients one bulk text takes.
pub const MAX_RECIPIENTS: usize = 1_000;

/// The live clients the audience names, by name.
pub async fn audience(db: &Database, a: &Audience) -> Result<Vec<i64>, sqlx::Error> {
    let ids_json = serde_json::to_string(&a.client_ids).unwrap_or_else(|_| "[]".into());
    sqlx::query_scalar(
        "SELECT c.id FROM clients c WHERE c.archived = 0 AND ( \
            c.id IN (SELECT value FROM json_each(?1)) \
            OR (?2 IS NOT NULL AND c.id IN (SELECT ct.client_id FROM client_tags ct JOIN tags t ON t.id = ct.tag_id \
                                            WHERE t.name = ?2 COLLATE NOCASE)) \
            OR (?3 IS NOT NULL AND c.id IN (SELECT d.client_id FROM deals d WHERE d.stage_id = ?3 \
                                            AND d.won_at IS NULL AND d.lost_at IS NULL))) \
         ORDER BY c.name COLLATE NOCASE, c.id LIMIT ?4",
    )
    .bind(ids_json)
    .bind(a.tag.as_deref().map(str::trim).filter(|t| !t.is_empty()))
    .bind(a.stage_id)
    .bind(MAX_RECIPIENTS as i64)
    .fetch_all(db.pool())
    .await
}

/// Each recipient's preview, and the jobs' inputs for those who can be sent to.
pub async fn preview(
    crm: &Crm,
    request: &BulkText,
    sender: Option<&str>,
    now: Timestamp,
) -> TextsResult<(BulkPreview, Vec<TextJobInput>)> {
    let mut recipients = Vec::new();
    let mut inputs = Vec::new();
    for client_id in audience(crm.database(), &request.audience).await? {
        let draft = TextDraft {
            client_id,
            contact_id: None,
            body: request.body.clone(),
            channel: request.channel,
            ..TextDraft::default()
        };
        let p = send::preview(crm, &draft, sender, now).await?;
        let client_name = crm
            .client(client_id)
            .await
            .map(|c| c.name)
            .unwrap_or_default();
        let skipped = match send::blocker(&p) {
            Some((_, why)) => Some(why),
            None => {
                inputs.push(send::ready(&draft, &p, sender.unwrap_or_default(), now)?);
                None
            }
        };
        recipients.push(BulkRecipient {
            client_id,
            client_name,
            contact_name: p.contact_name,
            to: p.to,
            body: p.body,
            skipped,
        });
    }
    let sendable = inputs.len() as u32;
    let preview = BulkPreview {
        skipped: recipients.len() as u32 - sendable,
        sendable,
        seconds: (i64::from(sendable.saturating_sub(1)) * PACE_MS / 1000) as u32,
        recipients,
    };
    Ok((preview, inputs))
}
