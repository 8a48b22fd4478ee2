//! The Today page: overdue and due-today tasks, today's and tomorrow's meetings, mail waiting for
//! the user's answer and mail of theirs without one, quiet deals, new leads. Each list is read
//! from the CRM as it is; nothing here writes but the page's two thresholds.

use cremmy_protocol::crm::{Id, Money};
use cremmy_protocol::today::{
    HotLead, MailWaiting, MeetingDay, NewLead, QuietDeal, Today, TodayMeeting, TodayRequest,
    TodaySettings,
};

use super::dates::Date;
use super::{Crm, CrmError, CrmResult};

const SETTINGS: &str = "today";
const DAY_MS: i64 = 86_400_000;
/// Mail older than this is history, not a to-do.
const MAIL_WINDOW_DAYS: i64 = 30;
const NEW_LEAD_DAYS: i64 = 7;
const LIST_LIMIT: i64 = 25;

/// The video link of a meeting: the last line of its activity body that is a video call or
/// calendar page Cremmy may open (calendar sync writes the event's conference link there).
pub fn meeting_link(body: &str) -> Option<String> {
    body.lines()
        .map(str::trim)
        .rev()
        .find(|l| crate::endpoints::is_meeting_page(l))
        .map(str::to_string)
}

impl Crm {
    pub async fn today_settings(&self) -> CrmResult<TodaySettings> {
        Ok(self
            .database()
            .json_setting(SETTINGS)
            .await?
            .unwrap_or_default())
    }

    pub async fn set_today_settings(&self, s: TodaySettings) -> CrmResult<TodaySettings> {
        if !(1..=90).contains(&s.no_reply_days) || !(1..=365).contains(&s.stale_deal_days) {
            return Err(CrmError::invalid(
                "today",
                "days without a reply must be 1 to 90, days without activity 1 to 365",
            ));
        }
        let json =
            serde_json::to_string(&s).map_err(|e| CrmError::invalid("today", e.to_string()))?;
        self.database()
            .put_setting(SETTINGS, Some(&json), self.now())
            .await?;
        self.today_settings().await
    }

    pub async fn today(&self, req: &TodayRequest) -> CrmResult<Today> {
        let date = Date::parse("today", &req.today)?;
        if req.utc_offset_minutes.abs() > 14 * 60 {
            return Err(CrmError::invalid(
                "today",
                "the UTC offset must be within ±14 hours",
            ));
        }
        let settings = self.today_settings().await?;
        let now = self.now();
        let tasks = self.task_board(&req.today).await?;
        let day_start = date.days() * DAY_MS - i64::from(req.utc_offset_minutes) * 60_000;

        let rows: Vec<(Id, Id, String, String, i64, String)> = sqlx::query_as(
            "SELECT a.id, a.client_id, c.name, a.subject, a.occurred_at, a.body FROM activities a \
             JOIN clients c ON c.id = a.client_id \
             WHERE a.kind = 'meeting' AND a.occurred_at >= ? AND a.occurred_at < ? \
             ORDER BY a.occurred_at, a.id LIMIT 50",
        )
        .bind(day_start)
        .bind(day_start + 2 * DAY_MS)
        .fetch_all(self.pool())
        .await?;
        let meetings = rows
            .into_iter()
            .map(
                |(activity_id, client_id, client_name, title, starts_at, body)| TodayMeeting {
                    activity_id,
                    client_id,
                    client_name,
                    title,
                    starts_at,
                    day: if starts_at < day_start + DAY_MS {
                        MeetingDay::Today
                    } else {
                        MeetingDay::Tomorrow
                    },
                    link: meeting_link(&body),
                },
            )
            .collect();

        // Each active client's latest email of the last 30 days (the timeline index per client).
        let latest: Vec<(Id, String, Id, String, i64, String)> = sqlx::query_as(
            "SELECT c.id, c.name, a.id, a.subject, a.occurred_at, a.direction FROM clients c \
             JOIN activities a ON a.id = (SELECT a2.id FROM activities a2 WHERE a2.client_id = c.id \
                  AND a2.kind = 'email' AND a2.occurred_at >= ? ORDER BY a2.occurred_at DESC, a2.id DESC LIMIT 1) \
             WHERE c.archived = 0 ORDER BY a.occurred_at, a.id",
        )
        .bind(now - MAIL_WINDOW_DAYS * DAY_MS)
        .fetch_all(self.pool())
        .await?;
        let no_reply_before = now - i64::from(settings.no_reply_days) * DAY_MS;
        let mut replies_waiting = Vec::new();
        let mut no_reply = Vec::new();
        for (client_id, client_name, activity_id, subject, at, direction) in latest {
            let item = MailWaiting {
                activity_id,
                client_id,
                client_name,
                subject,
                at,
            };
            match direction.as_str() {
                "inbound" => replies_waiting.push(item),
                "outbound" if at <= no_reply_before => no_reply.push(item),
                _ => {}
            }
        }
        replies_waiting.truncate(LIST_LIMIT as usize);
        no_reply.truncate(LIST_LIMIT as usize);

        let quiet: Vec<(Id, String, Id, String, i64, String, String, i64)> = sqlx::query_as(
            "SELECT id, title, client_id, name, value_minor, currency, stage, touched FROM ( \
               SELECT d.id, d.title, d.client_id, c.name, d.value_minor, d.currency, s.name AS stage, \
                      max(d.updated_at, coalesce((SELECT max(a.occurred_at) FROM activities a \
                          WHERE a.client_id = d.client_id AND a.occurred_at <= ?1), 0)) AS touched \
               FROM deals d JOIN stages s ON s.id = d.stage_id JOIN clients c ON c.id = d.client_id \
               WHERE s.kind = 'open' AND c.archived = 0) \
             WHERE touched < ?2 ORDER BY touched, id LIMIT ?3",
        )
        .bind(now)
        .bind(now - i64::from(settings.stale_deal_days) * DAY_MS)
        .bind(LIST_LIMIT)
        .fetch_all(self.pool())
        .await?;
        let quiet_deals = quiet
            .into_iter()
            .map(
                |(
                    deal_id,
                    title,
                    client_id,
                    client_name,
                    minor,
                    currency,
                    stage,
                    last_touch_at,
                )| QuietDeal {
                    deal_id,
                    title,
                    client_id,
                    client_name,
                    value: Money { minor, currency },
                    stage,
                    last_touch_at,
                },
            )
            .collect();

        let leads: Vec<(Id, String, i64, String)> = sqlx::query_as(
            "SELECT client_id, name, at, source FROM ( \
               SELECT l.client_id, c.name, max(l.imported_at) AS at, 'Leads sheet' AS source FROM lead_imports l \
                 JOIN clients c ON c.id = l.client_id WHERE l.imported_at >= ?1 AND c.archived = 0 GROUP BY l.client_id \
               UNION ALL \
               SELECT c.id, c.name, c.created_at, 'New deal' FROM clients c WHERE c.created_at >= ?1 AND c.archived = 0 \
                 AND NOT EXISTS (SELECT 1 FROM lead_imports l WHERE l.client_id = c.id) \
                 AND EXISTS (SELECT 1 FROM deals d WHERE d.client_id = c.id \
                             AND d.stage_id = (SELECT id FROM stages WHERE kind = 'open' ORDER BY position, id LIMIT 1))) \
             ORDER BY at DESC, client_id DESC LIMIT ?2",
        )
        .bind(now - NEW_LEAD_DAYS * DAY_MS)
        .bind(LIST_LIMIT)
        .fetch_all(self.pool())
        .await?;
        let new_leads = leads
            .into_iter()
            .map(|(client_id, name, at, source)| NewLead {
                client_id,
                name,
                at,
                source,
            })
            .collect();

        let threshold = self.score_settings().await?.threshold;
        let hot: Vec<(Id, String, i64, String)> = sqlx::query_as(
            "SELECT s.client_id, c.name, s.total, s.next_actions FROM client_scores s JOIN clients c ON c.id = s.client_id \
             WHERE s.total >= ? AND c.archived = 0 ORDER BY s.total DESC, c.name COLLATE NOCASE LIMIT 10",
        )
        .bind(i64::from(threshold))
        .fetch_all(self.pool())
        .await?;
        let hot = hot
            .into_iter()
            .map(|(client_id, name, score, next)| HotLead {
                client_id,
                name,
                score: score.clamp(0, 100) as u8,
                next_action: serde_json::from_str::<Vec<String>>(&next)
                    .ok()
                    .and_then(|a| a.into_iter().next()),
            })
            .collect();
        let any_client: Option<i64> = sqlx::query_scalar("SELECT id FROM clients LIMIT 1")
            .fetch_optional(self.pool())
            .await?;
        Ok(Today {
            today: tasks.today,
            overdue: tasks.overdue,
            due_today: tasks.due_today,
            meetings,
            replies_waiting,
            no_reply,
            quiet_deals,
            new_leads,
            hot,
            settings,
            first_run: any_client.is_none(),
        })
    }
}
