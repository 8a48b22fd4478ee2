//! What the user should hear about now, as native notifications: an account that needs
//! reconnecting, a client's reply to a tracked email, a task's reminder, a text received, a
//! webhook endpoint Cremmy switched off. Each is announced once.

use cremmy_protocol::engine::Notice;

use crate::clock::Timestamp;
use crate::db::Database;

/// Notices for what happened in (`from`, `to`]; replies are marked announced.
pub async fn since(
    db: &Database,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<Notice>, sqlx::Error> {
    let mut notices = Vec::new();
    let reconnect: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT a.email FROM sync_runs r JOIN accounts a ON a.id = r.account_id \
         WHERE r.error_code = 'reconnect_needed' AND r.finished_at > ? AND r.finished_at <= ? ORDER BY a.email",
    )
    .bind(from)
    .bind(to)
    .fetch_all(db.pool())
    .await?;
    notices.extend(reconnect.into_iter().map(|email| Notice {
        title: "Cremmy cannot sync".into(),
        body: format!("Reconnect {email} on the Integrations page."),
    }));

    // Read first: the engine asks every tick, and the writer is only needed when a reply is new.
    let replies: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT e.activity_id, c.name, a.subject FROM emails e JOIN activities a ON a.id = e.activity_id \
         JOIN clients c ON c.id = a.client_id \
         WHERE e.tracked = 1 AND e.replied_at IS NOT NULL AND e.reply_announced = 0 ORDER BY e.replied_at",
    )
    .fetch_all(db.pool())
    .await?;
    if !replies.is_empty() {
        let mut tx = db.writer().begin().await?;
        for (activity_id, ..) in &replies {
            sqlx::query("UPDATE emails SET reply_announced = 1 WHERE activity_id = ?")
                .bind(activity_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
    }
    notices.extend(replies.into_iter().map(|(_, client, subject)| Notice {
        title: format!("{client} replied"),
        body: format!("Re: {}", subject.trim_start_matches("Re: ")),
    }));

    let reminders: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT t.title, c.name FROM tasks t LEFT JOIN clients c ON c.id = t.client_id \
         WHERE t.done_at IS NULL AND t.reminder_at > ? AND t.reminder_at <= ? ORDER BY t.reminder_at, t.id",
    )
    .bind(from)
    .bind(to)
    .fetch_all(db.pool())
    .await?;
    notices.extend(reminders.into_iter().map(|(title, client)| Notice {
        title: "Task due".into(),
        body: match client {
            Some(c) => format!("{title} ({c})"),
            None => title,
        },
    }));

    // Texts received: on the client's timeline, or waiting unmatched.
    let texts: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT t.from_address, t.body, c.name FROM texts t LEFT JOIN activities a ON a.id = t.activity_id \
         LEFT JOIN clients c ON c.id = a.client_id \
         WHERE t.direction = 'inbound' AND t.recorded_at > ? AND t.recorded_at <= ? ORDER BY t.sent_at, t.id",
    )
    .bind(from)
    .bind(to)
    .fetch_all(db.pool())
    .await?;
    notices.extend(texts.into_iter().map(|(from, body, client)| Notice {
        title: match client {
            Some(c) => format!("{c} texted"),
            None => format!("A text from {}", from.trim_start_matches("whatsapp:")),
        },
        body: body.chars().take(140).collect(),
    }));

    // Webhook endpoints Cremmy switched off (410 Gone, failures that lasted a day).
    let switched_off: Vec<(String, String)> = sqlx::query_as(
        "SELECT url, disabled_reason FROM webhook_endpoints \
         WHERE active = 0 AND disabled_reason IS NOT NULL AND updated_at > ? AND updated_at <= ? ORDER BY id",
    )
    .bind(from)
    .bind(to)
    .fetch_all(db.pool())
    .await?;
    notices.extend(switched_off.into_iter().map(|(url, reason)| Notice {
        title: "A webhook endpoint was switched off".into(),
        body: format!("{url}: {reason}. Switch it on again in Settings → Webhooks."),
    }));
    Ok(notices)
}
