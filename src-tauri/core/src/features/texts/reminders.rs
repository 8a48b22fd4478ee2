//! Text reminders before meetings: when the setting is on, each meeting with a contact who has a
//! phone gets one text, N hours before it starts, from the template. Each is an outbox job keyed
//! by the meeting, so it is sent once however often the sync looks.

use std::collections::BTreeMap;

use cremmy_protocol::sms::{Channel, TextDraft, TextingSettings};

use super::send::{self, TextJobInput};
use super::TextsResult;
use crate::clock::Timestamp;
use crate::crm::Crm;

pub const DEFAULT_TEMPLATE: &str =
    "Hi {{contact_first_name}}, a reminder of our meeting \"{{meeting_title}}\" at {{meeting_time}}. See you then!";

const HOUR_MS: i64 = 3_600_000;

/// The job key of a meeting's reminder.
pub fn key(meeting_id: i64) -> String {
    format!("text-reminder:{meeting_id}")
}

/// `14:30` on the meeting's day in `zone` (the OS's zone when unset), with the day's name when
/// it is not today there: `Tue 09:00`.
pub fn meeting_time(start: Timestamp, now: Timestamp, zone: Option<&str>) -> String {
    let tz = zone
        .and_then(|z| jiff::tz::TimeZone::get(z).ok())
        .unwrap_or_else(jiff::tz::TimeZone::system);
    let (Ok(start), Ok(now)) = (
        jiff::Timestamp::from_millisecond(start),
        jiff::Timestamp::from_millisecond(now),
    ) else {
        return String::new();
    };
    let (start, now) = (start.to_zoned(tz.clone()), now.to_zoned(tz));
    if start.date() == now.date() {
        start.strftime("%H:%M").to_string()
    } else {
        start.strftime("%a %H:%M").to_string()
    }
}

/// A reminder to queue: its key and the job's input.
pub struct Reminder {
    pub key: String,
    pub input: TextJobInput,
}

/// The reminders due now: meetings starting within the setting's hours, not cancelled, with a
/// contact whose phone can be texted. Meetings whose text cannot go (no phone, opted out) are
/// left out; the caller's keys keep each meeting to one text.
pub async fn due(
    crm: &Crm,
    settings: &TextingSettings,
    sender: Option<&str>,
    now: Timestamp,
) -> TextsResult<Vec<Reminder>> {
    let Some(hours) = settings.meeting_reminder_hours else {
        return Ok(Vec::new());
    };
    let meetings: Vec<(i64, i64, i64, String, Timestamp)> = sqlx::query_as(
        "SELECT id, client_id, contact_id, subject, occurred_at FROM activities \
         WHERE kind = 'meeting' AND contact_id IS NOT NULL AND subject NOT LIKE 'Cancelled: %' \
           AND occurred_at > ? AND occurred_at <= ? ORDER BY occurred_at, id",
    )
    .bind(now)
    .bind(now + i64::from(hours) * HOUR_MS)
    .fetch_all(crm.database().pool())
    .await?;
    let template = settings
        .meeting_reminder_template
        .as_deref()
        .unwrap_or(DEFAULT_TEMPLATE);
    let mut due = Vec::new();
    for (id, client_id, contact_id, title, start) in meetings {
        let draft = TextDraft {
            client_id,
            contact_id: Some(contact_id),
            body: template.to_string(),
            channel: Channel::Sms,
            ..TextDraft::default()
        };
        let extra = BTreeMap::from([
            ("meeting_title".to_string(), title),
            (
                "meeting_time".to_string(),
                meeting_time(start, now, settings.time_zone.as_deref()),
            ),
        ]);
        let preview = send::preview_with(crm, &draft, sender, now, &extra).await?;
        if send::blocker(&preview).is_some() {
            continue;
        }
        let input = send::ready(&draft, &preview, sender.unwrap_or_default(), now)?;
        due.push(Reminder {
            key: key(id),
            input,
        });
    }
    Ok(due)
}
