//! How protocol enums are spelled in SQLite, and row types read back from queries.

use cremmy_protocol::crm::{
    Activity, ActivityKind, ActivitySource, ClientKind, Deal, Direction, DocumentKind, FieldType,
    Money, StageKind, Task,
};

/// A protocol enum stored as TEXT.
pub trait Stored: Sized + Copy + 'static {
    const ALL: &'static [(Self, &'static str)];

    fn as_db(self) -> &'static str
    where
        Self: PartialEq,
    {
        Self::ALL
            .iter()
            .find(|(v, _)| *v == self)
            .map(|(_, s)| *s)
            .unwrap_or("")
    }

    /// Unknown text (a newer Cremmy wrote it) falls back to the first variant rather than failing.
    fn from_db(text: &str) -> Self {
        Self::ALL
            .iter()
            .find(|(_, s)| *s == text)
            .map(|(v, _)| *v)
            .unwrap_or(Self::ALL[0].0)
    }
}

impl Stored for ClientKind {
    const ALL: &'static [(Self, &'static str)] = &[
        (ClientKind::Organisation, "organisation"),
        (ClientKind::Individual, "individual"),
    ];
}
impl Stored for StageKind {
    const ALL: &'static [(Self, &'static str)] = &[
        (StageKind::Open, "open"),
        (StageKind::Won, "won"),
        (StageKind::Lost, "lost"),
    ];
}
impl Stored for ActivityKind {
    const ALL: &'static [(Self, &'static str)] = &[
        (ActivityKind::Note, "note"),
        (ActivityKind::Email, "email"),
        (ActivityKind::Meeting, "meeting"),
        (ActivityKind::Call, "call"),
        (ActivityKind::Sms, "sms"),
        (ActivityKind::Document, "document"),
        (ActivityKind::Payment, "payment"),
        (ActivityKind::System, "system"),
    ];
}
impl Stored for Direction {
    const ALL: &'static [(Self, &'static str)] = &[
        (Direction::None, "none"),
        (Direction::Inbound, "inbound"),
        (Direction::Outbound, "outbound"),
    ];
}
impl Stored for ActivitySource {
    const ALL: &'static [(Self, &'static str)] = &[
        (ActivitySource::Local, "local"),
        (ActivitySource::Email, "email"),
        (ActivitySource::Calendar, "calendar"),
        (ActivitySource::MailDraft, "mail-draft"),
        (ActivitySource::GeneratedDoc, "generated-doc"),
        (ActivitySource::Generated, "generated"),
        (ActivitySource::Text, "text"),
        (ActivitySource::Call, "call"),
        (ActivitySource::Payment, "payment"),
    ];
}
impl Stored for DocumentKind {
    const ALL: &'static [(Self, &'static str)] = &[
        (DocumentKind::Other, "other"),
        (DocumentKind::Proposal, "proposal"),
        (DocumentKind::Contract, "contract"),
        (DocumentKind::Invoice, "invoice"),
    ];
}
impl Stored for FieldType {
    const ALL: &'static [(Self, &'static str)] = &[
        (FieldType::Text, "text"),
        (FieldType::Number, "number"),
        (FieldType::Date, "date"),
        (FieldType::Bool, "bool"),
        (FieldType::Url, "url"),
    ];
}

/// Columns of a deal joined with its client's name; see `DEAL_COLUMNS`.
#[derive(sqlx::FromRow)]
pub struct DealRow {
    id: i64,
    client_id: i64,
    client_name: String,
    title: String,
    value_minor: i64,
    currency: String,
    stage_id: i64,
    owner: String,
    expected_close: Option<String>,
    position: i64,
    won_at: Option<i64>,
    lost_at: Option<i64>,
    created_at: i64,
    replied_at: Option<i64>,
    client_score: Option<i64>,
}

pub const DEAL_COLUMNS: &str =
    "d.id, d.client_id, c.name AS client_name, d.title, d.value_minor, d.currency, d.stage_id, \
     d.owner, d.expected_close, d.position, d.won_at, d.lost_at, d.created_at, \
     (SELECT max(e.replied_at) FROM activities a JOIN emails e ON e.activity_id = a.id \
      WHERE a.deal_id = d.id AND e.tracked = 1) AS replied_at, \
     (SELECT total FROM client_scores WHERE client_id = d.client_id) AS client_score \
     FROM deals d JOIN clients c ON c.id = d.client_id";

impl From<DealRow> for Deal {
    fn from(r: DealRow) -> Deal {
        Deal {
            id: r.id,
            client_id: r.client_id,
            client_name: r.client_name,
            title: r.title,
            value: Money {
                minor: r.value_minor,
                currency: r.currency,
            },
            stage_id: r.stage_id,
            owner: r.owner,
            expected_close: r.expected_close,
            position: r.position,
            won_at: r.won_at,
            lost_at: r.lost_at,
            created_at: r.created_at,
            replied_at: r.replied_at,
            client_score: r.client_score.map(|s| s.clamp(0, 100) as u8),
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct ActivityRow {
    id: i64,
    client_id: i64,
    contact_id: Option<i64>,
    deal_id: Option<i64>,
    kind: String,
    direction: String,
    subject: String,
    body: String,
    occurred_at: i64,
    source: String,
    tracked: bool,
    replied_at: Option<i64>,
}

/// An activity with its email's tracking state (emails share no column names with activities).
pub const ACTIVITY_COLUMNS: &str =
    "id, client_id, contact_id, deal_id, kind, direction, subject, body, occurred_at, source, \
     coalesce(emails.tracked, 0) AS tracked, emails.replied_at AS replied_at \
     FROM activities LEFT JOIN emails ON emails.activity_id = activities.id";

impl From<ActivityRow> for Activity {
    fn from(r: ActivityRow) -> Activity {
        Activity {
            id: r.id,
            client_id: r.client_id,
            contact_id: r.contact_id,
            deal_id: r.deal_id,
            kind: ActivityKind::from_db(&r.kind),
            direction: Direction::from_db(&r.direction),
            subject: r.subject,
            body: r.body,
            occurred_at: r.occurred_at,
            source: ActivitySource::from_db(&r.source),
            tracked: r.tracked,
            replied_at: r.replied_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct TaskRow {
    id: i64,
    title: String,
    notes: String,
    due_date: Option<String>,
    due_time: Option<String>,
    reminder_at: Option<i64>,
    done_at: Option<i64>,
    client_id: Option<i64>,
    client_name: Option<String>,
    deal_id: Option<i64>,
    on_calendar: bool,
}

pub const TASK_COLUMNS: &str =
    "t.id, t.title, t.notes, t.due_date, t.due_time, t.reminder_at, t.done_at, t.client_id, \
     c.name AS client_name, t.deal_id, \
     EXISTS (SELECT 1 FROM external_links l WHERE l.entity_kind = 'task' AND l.local_id = t.id AND l.role = 'task_event') AS on_calendar \
     FROM tasks t LEFT JOIN clients c ON c.id = t.client_id";

impl From<TaskRow> for Task {
    fn from(r: TaskRow) -> Task {
        Task {
            id: r.id,
            title: r.title,
            notes: r.notes,
            due_date: r.due_date,
            due_time: r.due_time,
            reminder_at: r.reminder_at,
            done_at: r.done_at,
            client_id: r.client_id,
            client_name: r.client_name,
            deal_id: r.deal_id,
            on_calendar: r.on_calendar,
        }
    }
}
