//! CRM data as the UI and CLI see it. Times are Unix milliseconds (UTC); dates are 'YYYY-MM-DD'
//! local calendar dates; money is integer minor units with an ISO 4217 currency.

use serde::{Deserialize, Serialize};

pub type Id = i64;
pub type Millis = i64;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    pub minor: i64,
    pub currency: String,
}

/// Currencies without minor units (ISO 4217 exponent 0); every other one has two.
pub const ZERO_DECIMAL: &[&str] = &["JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XAF", "XOF"];

impl Money {
    /// How many minor units make one major unit of `currency` (100 for USD, 1 for JPY).
    pub fn minor_per_major(currency: &str) -> i64 {
        if ZERO_DECIMAL.contains(&currency) {
            1
        } else {
            100
        }
    }
}

/// Amounts in several currencies summed in the user's home currency: what has an exchange rate is
/// converted into `home`; a currency without one is kept apart in `unconverted`, never dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HomeTotal {
    pub home: Money,
    /// One sum per currency that has no rate to the home currency, largest first.
    #[serde(default)]
    pub unconverted: Vec<Money>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ClientKind {
    #[default]
    Organisation,
    Individual,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    Text,
    Number,
    Date,
    Bool,
    Url,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomField {
    pub id: Id,
    pub name: String,
    pub value_type: FieldType,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomFieldValue {
    pub field_id: Id,
    pub name: String,
    pub value_type: FieldType,
    pub value: String,
}

/// What the user types to create or edit a client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ClientInput {
    pub name: String,
    #[serde(default)]
    pub kind: ClientKind,
    #[serde(default)]
    pub website: String,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub tags: Vec<String>,
    /// (field id, value); an empty value removes it.
    #[serde(default)]
    pub custom_fields: Vec<(Id, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    pub id: Id,
    pub name: String,
    pub kind: ClientKind,
    pub website: String,
    pub domain: String,
    pub notes: String,
    pub tags: Vec<String>,
    pub custom_fields: Vec<CustomFieldValue>,
    pub archived: bool,
    pub created_at: Millis,
    pub updated_at: Millis,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ClientSort {
    #[default]
    Name,
    /// Z to A.
    NameDescending,
    RecentlyUpdated,
    RecentlyCreated,
    /// Most open deals first.
    OpenDeals,
    /// Highest lead score first.
    Score,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ClientQuery {
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub tag: Option<String>,
    #[serde(default)]
    pub sort: ClientSort,
    #[serde(default)]
    pub include_archived: bool,
    /// Only clients whose lead score is at least this.
    #[serde(default)]
    pub min_score: Option<u8>,
    #[serde(default)]
    pub offset: i64,
    /// 0 means the default page size.
    #[serde(default)]
    pub limit: i64,
}

/// One row of the clients list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientRow {
    pub id: Id,
    pub name: String,
    pub domain: String,
    pub tags: Vec<String>,
    pub primary_contact: Option<String>,
    pub open_deals: i64,
    pub archived: bool,
    pub updated_at: Millis,
    #[serde(default)]
    pub created_at: Millis,
    /// The lead score, once computed.
    #[serde(default)]
    pub score: Option<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientList {
    pub rows: Vec<ClientRow>,
    /// How many clients match the query in all (for "showing 50 of 9,812").
    pub total: i64,
}

/// What to do to the clients selected in the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum BulkClientAction {
    AddTag { tag: String },
    RemoveTag { tag: String },
    Archive,
    Restore,
}

/// The selection and the action: all of it happens, or none (one transaction).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkClientEdit {
    pub client_ids: Vec<Id>,
    #[serde(flatten)]
    pub action: BulkClientAction,
}

/// A named filter of the clients list (search, tag, sort, archived).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedFilter {
    pub name: String,
    pub query: ClientQuery,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ContactInput {
    pub client_id: Id,
    pub name: String,
    #[serde(default)]
    pub title: String,
    /// The first is the primary address.
    #[serde(default)]
    pub emails: Vec<String>,
    /// The first is the primary number.
    #[serde(default)]
    pub phones: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub id: Id,
    pub client_id: Id,
    pub name: String,
    pub title: String,
    /// Primary first.
    pub emails: Vec<String>,
    /// Primary first.
    pub phones: Vec<String>,
    pub archived: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StageKind {
    Open,
    Won,
    Lost,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stage {
    pub id: Id,
    pub name: String,
    pub position: i64,
    pub kind: StageKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct DealInput {
    pub client_id: Id,
    pub title: String,
    #[serde(default)]
    pub value_minor: i64,
    /// ISO 4217; empty means USD.
    #[serde(default)]
    pub currency: String,
    /// None means the first stage.
    #[serde(default)]
    pub stage_id: Option<Id>,
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub expected_close: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deal {
    pub id: Id,
    pub client_id: Id,
    pub client_name: String,
    pub title: String,
    pub value: Money,
    pub stage_id: Id,
    pub owner: String,
    pub expected_close: Option<String>,
    pub position: i64,
    pub won_at: Option<Millis>,
    pub lost_at: Option<Millis>,
    pub created_at: Millis,
    /// The latest answer to tracked mail about this deal ("replied 2 h ago").
    #[serde(default)]
    pub replied_at: Option<Millis>,
    /// The client's lead score, once computed (the board's badge).
    #[serde(default)]
    pub client_score: Option<u8>,
}

/// Put a deal into `stage_id` at `index` (0 = top); an index past the end means the bottom.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealMove {
    pub deal_id: Id,
    pub stage_id: Id,
    pub index: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardColumn {
    pub stage: Stage,
    pub deal_count: i64,
    /// One total per currency present in the stage, largest first.
    pub totals: Vec<Money>,
    /// The same totals in the home currency (what has no rate kept apart).
    pub home_total: HomeTotal,
    /// The first deals of the stage in board order (the column pages the rest).
    pub deals: Vec<Deal>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Board {
    pub columns: Vec<BoardColumn>,
    /// The currency totals are converted to (Settings → Money).
    pub home_currency: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    Email,
    Meeting,
    Call,
    Sms,
    Note,
    Document,
    Payment,
    System,
}

/// Where an activity came from. With the activity's `external_id`, it identifies an item from
/// outside, so a re-sync of the same item changes nothing. Features name what they made, never
/// the provider that carried it (a mail is `email` whether Gmail or Outlook delivered it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum ActivitySource {
    /// Written in Cremmy (notes, stage changes).
    #[default]
    Local,
    /// A mail, keyed by its Message-ID across every mail account.
    Email,
    /// A meeting, keyed by its iCalendar UID across every calendar account.
    Calendar,
    /// A draft Cremmy wrote for the user to review, keyed by the draft's id.
    MailDraft,
    /// A document Cremmy generated from a template, keyed by the document's id.
    GeneratedDoc,
    /// The benchmark data set (`cremmy generate`).
    Generated,
    /// A text message (SMS or WhatsApp), keyed by the provider's message id.
    Text,
    /// A call from the provider's call log, keyed by the provider's call id.
    Call,
    /// A payment (or its refund) to an invoice or payment link, keyed by the provider's payment id.
    Payment,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Inbound,
    Outbound,
    #[default]
    None,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activity {
    pub id: Id,
    pub client_id: Id,
    pub contact_id: Option<Id>,
    pub deal_id: Option<Id>,
    pub kind: ActivityKind,
    pub direction: Direction,
    pub subject: String,
    pub body: String,
    pub occurred_at: Millis,
    pub source: ActivitySource,
    /// Outgoing mail Cremmy watches for an answer.
    #[serde(default)]
    pub tracked: bool,
    /// When the client answered tracked mail.
    #[serde(default)]
    pub replied_at: Option<Millis>,
}

/// Where the next timeline page starts (keyset paging: stable while new items arrive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineCursor {
    pub occurred_at: Millis,
    pub id: Id,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelinePage {
    pub items: Vec<Activity>,
    pub next: Option<TimelineCursor>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct NoteInput {
    pub client_id: Id,
    #[serde(default)]
    pub deal_id: Option<Id>,
    #[serde(default)]
    pub contact_id: Option<Id>,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct TaskInput {
    pub title: String,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub due_date: Option<String>,
    #[serde(default)]
    pub due_time: Option<String>,
    #[serde(default)]
    pub reminder_at: Option<Millis>,
    #[serde(default)]
    pub client_id: Option<Id>,
    #[serde(default)]
    pub deal_id: Option<Id>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    pub id: Id,
    pub title: String,
    pub notes: String,
    pub due_date: Option<String>,
    pub due_time: Option<String>,
    pub reminder_at: Option<Millis>,
    pub done_at: Option<Millis>,
    pub client_id: Option<Id>,
    pub client_name: Option<String>,
    pub deal_id: Option<Id>,
    /// Put on the calendar with "Add to calendar" (moving the due time moves the event).
    #[serde(default)]
    pub on_calendar: bool,
}

/// The Tasks screen: open tasks split around the user's local "today", plus recently completed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskBoard {
    pub today: String,
    pub overdue: Vec<Task>,
    pub due_today: Vec<Task>,
    pub upcoming: Vec<Task>,
    pub someday: Vec<Task>,
    pub recently_done: Vec<Task>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    Proposal,
    Contract,
    Invoice,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    pub id: Id,
    pub client_id: Id,
    pub deal_id: Option<Id>,
    pub title: String,
    pub kind: DocumentKind,
    pub local_path: Option<String>,
    pub provider: Option<String>,
    pub external_id: Option<String>,
    pub url: Option<String>,
    pub created_at: Millis,
}

/// Everything the client page shows at once (the timeline's first page included).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientPage {
    pub client: Client,
    pub contacts: Vec<Contact>,
    pub deals: Vec<Deal>,
    pub open_tasks: Vec<Task>,
    pub documents: Vec<Document>,
    pub timeline: TimelinePage,
    /// The client's Google Drive folder, once made.
    #[serde(default)]
    pub folder: Option<ClientFolder>,
}

/// A client's Drive folder (`Cremmy CRM/Clients/<name>`), tracked by id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientFolder {
    pub folder_id: String,
    pub url: String,
    /// The Google account whose Drive holds it.
    pub account_email: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchKind {
    Client,
    Contact,
    Deal,
    Activity,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchHit {
    pub kind: SearchKind,
    pub id: Id,
    pub client_id: Id,
    pub client_name: String,
    pub title: String,
    pub snippet: String,
}

/// Domain events other parts of Cremmy (automation, webhooks) react to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CrmEvent {
    ClientCreated {
        client_id: Id,
        at: Millis,
    },
    /// A task's title, notes or due time changed.
    TaskChanged {
        task_id: Id,
        at: Millis,
    },
    DealStageChanged {
        deal_id: Id,
        client_id: Id,
        from_stage: Id,
        to_stage: Id,
        at: Millis,
    },
    /// A deal entered a won stage (after its `DealStageChanged`).
    DealWon {
        deal_id: Id,
        client_id: Id,
        value_minor: i64,
        currency: String,
        at: Millis,
    },
    /// A deal entered a lost stage (after its `DealStageChanged`).
    DealLost {
        deal_id: Id,
        client_id: Id,
        value_minor: i64,
        currency: String,
        at: Millis,
    },
    /// Activities one transaction recorded (a note, a stage change, synced mail or meetings, sent
    /// mail, a draft, a generated document), announced together once it committed.
    ActivitiesRecorded {
        activities: Vec<RecordedActivity>,
        at: Millis,
    },
    /// A client's lead score rose to or above the threshold (Settings → Lead score) from below.
    ScoreCrossed {
        client_id: Id,
        from: u8,
        to: u8,
        at: Millis,
    },
}

/// One activity an `ActivitiesRecorded` event announces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedActivity {
    pub activity_id: Id,
    pub client_id: Id,
    pub kind: ActivityKind,
    pub direction: Direction,
    pub source: ActivitySource,
}

/// Preferences stored with the data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppSettings {
    /// How often background sync runs, in minutes (1 to 1440; default 5).
    pub sync_interval_minutes: u32,
    /// The account whose calendar "Add to calendar" writes tasks to (Google or Microsoft);
    /// `None`: the first connected account with a calendar.
    #[serde(default)]
    pub task_calendar_account: Option<i64>,
}
