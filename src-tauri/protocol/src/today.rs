//! The Today page (the home page): what a solo consultant should do now, each item one click from
//! its client.

use serde::{Deserialize, Serialize};

use crate::crm::{Id, Millis, Money, Task};

/// What the Today page asks for: the user's local date and time zone offset now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TodayRequest {
    /// 'YYYY-MM-DD', the user's local date.
    pub today: String,
    /// Minutes east of UTC (UTC+1 is 60).
    pub utc_offset_minutes: i32,
}

/// The thresholds the user chooses on the Today page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TodaySettings {
    /// Sent mail with no answer after this many days is listed (default 3).
    pub no_reply_days: u32,
    /// Open deals whose client had no activity for this many days are listed (default 14).
    pub stale_deal_days: u32,
}

impl Default for TodaySettings {
    fn default() -> Self {
        TodaySettings {
            no_reply_days: 3,
            stale_deal_days: 14,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeetingDay {
    Today,
    Tomorrow,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TodayMeeting {
    pub activity_id: Id,
    pub client_id: Id,
    pub client_name: String,
    pub title: String,
    pub starts_at: Millis,
    pub day: MeetingDay,
    /// The video call link (Meet, Zoom, Teams…) when the event has one.
    pub link: Option<String>,
}

/// A mail thread's last message with a client: theirs waiting for an answer, or ours without one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailWaiting {
    pub activity_id: Id,
    pub client_id: Id,
    pub client_name: String,
    pub subject: String,
    pub at: Millis,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuietDeal {
    pub deal_id: Id,
    pub title: String,
    pub client_id: Id,
    pub client_name: String,
    pub value: Money,
    pub stage: String,
    /// The last thing that happened with the client or the deal.
    pub last_touch_at: Millis,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewLead {
    pub client_id: Id,
    pub name: String,
    pub at: Millis,
    /// "Leads sheet" or "New deal".
    pub source: String,
}

/// A client whose lead score is at or above the threshold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HotLead {
    pub client_id: Id,
    pub name: String,
    pub score: u8,
    /// The score's top next action.
    pub next_action: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Today {
    pub today: String,
    pub overdue: Vec<Task>,
    pub due_today: Vec<Task>,
    /// Today's and tomorrow's meetings, by start time.
    pub meetings: Vec<TodayMeeting>,
    /// Clients whose last email is theirs (last 30 days), oldest first.
    pub replies_waiting: Vec<MailWaiting>,
    /// Clients whose last email is ours and older than `no_reply_days` (last 30 days).
    pub no_reply: Vec<MailWaiting>,
    /// Open deals without activity for `stale_deal_days`, quietest first.
    pub quiet_deals: Vec<QuietDeal>,
    /// Leads from the last 7 days, newest first.
    pub new_leads: Vec<NewLead>,
    /// The highest lead scores at or above the threshold, highest first.
    #[serde(default)]
    pub hot: Vec<HotLead>,
    pub settings: TodaySettings,
    /// No client exists yet: the page shows the guided first run instead.
    pub first_run: bool,
}

impl Today {
    /// What the sidebar's Today badge counts: things to act on now.
    pub fn count(&self) -> usize {
        self.overdue.len()
            + self.due_today.len()
            + self
                .meetings
                .iter()
                .filter(|m| m.day == MeetingDay::Today)
                .count()
            + self.replies_waiting.len()
    }
}
