//! Text messages (SMS and WhatsApp) through the user's texting account: the composer's preview,
//! sending as an outbox job that never sends twice, the provider's delivery status, replies and
//! opt-outs by polling (a desktop app has no public URL for callbacks). Provider-neutral: the
//! provider implements [`TextGateway`].

pub mod bulk;
pub mod inbound;
pub mod reminders;
pub mod send;
pub mod store;

use std::future::Future;

use cremmy_protocol::sms::{Channel, Sender, TemplateUse, TextTemplate, TextingSettings};

use crate::clock::Timestamp;
use crate::db::Database;
use crate::failure::SourceError;
use crate::feature_error::{Fault, FeatureError};

/// How texting fails.
#[derive(Debug, thiserror::Error)]
pub enum TextsError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error("Check the {field}: {reason}.")]
    Invalid { field: &'static str, reason: String },
    #[error("{number} has opted out of texts (they replied {keyword}). Cremmy sends them nothing until they reply START.")]
    OptedOut { number: String, keyword: String },
    #[error("{provider} refused the text to {to}: {reason}")]
    Refused {
        provider: &'static str,
        to: String,
        reason: String,
    },
    #[error("Client {client_id} does not exist (it may have been deleted).")]
    NoSuchClient { client_id: i64 },
    #[error("No text message {sid} is known here.")]
    NoSuchText { sid: String },
    #[error("{}", crate::db::describe(.0))]
    Db(#[from] sqlx::Error),
}

impl FeatureError for TextsError {
    fn fault(&self) -> Fault<'_> {
        match self {
            TextsError::Source(e) => Fault::Provider(e),
            TextsError::Invalid { .. }
            | TextsError::OptedOut { .. }
            | TextsError::Refused { .. } => Fault::Input,
            TextsError::NoSuchClient { .. } | TextsError::NoSuchText { .. } => Fault::Missing,
            TextsError::Db(_) => Fault::Storage,
        }
    }
}

pub type TextsResult<T> = Result<T, TextsError>;

/// A text as the provider describes it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextState {
    pub sid: String,
    pub from: String,
    pub to: String,
    pub body: String,
    /// The provider's lifecycle word: queued, sending, sent, delivered, undelivered, failed,
    /// received…
    pub status: String,
    pub error_code: Option<u32>,
    pub error_message: Option<String>,
    pub segments: u32,
    pub at: Timestamp,
    pub inbound: bool,
    /// A failure the user can act on (the recipient opted out…), as the provider's code says.
    pub refusal: Option<Refusal>,
}

/// Statuses after which an outbound text no longer changes (Twilio's MessageEnumStatus:
/// delivered, undelivered, failed, read, canceled; received for inbound).
pub const FINAL_STATUSES: [&str; 6] = [
    "delivered",
    "undelivered",
    "failed",
    "read",
    "canceled",
    "received",
];

impl TextState {
    pub fn is_final(&self) -> bool {
        FINAL_STATUSES.contains(&self.status.as_str())
    }

    pub fn channel(&self) -> Channel {
        if self.from.starts_with("whatsapp:") || self.to.starts_with("whatsapp:") {
            Channel::Whatsapp
        } else {
            Channel::Sms
        }
    }
}

/// Why a provider would not take a text: each is something the user can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not a number that can receive texts.
    InvalidNumber,
    /// The recipient said STOP.
    OptedOut,
    /// WhatsApp free text more than 24 hours after the contact's last message.
    OutsideWhatsAppWindow,
    /// The sender is not one of the account's.
    NotYourSender,
    Other,
}

/// What sending did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    Accepted(TextState),
    Refused {
        refusal: Refusal,
        code: Option<u32>,
        message: String,
    },
}

/// A text to send: `body`, or an approved template with its values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingText<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub body: &'a str,
    pub template: Option<&'a TemplateUse>,
}

/// A texting account at its provider (Twilio Messaging; others could follow).
pub trait TextGateway: Sync {
    /// The provider's name for messages ("Twilio").
    fn provider_name(&self) -> &'static str;
    /// The numbers and senders texts can come from.
    fn senders(&self) -> impl Future<Output = Result<Vec<Sender>, SourceError>> + Send;
    fn send(
        &self,
        text: &OutgoingText<'_>,
    ) -> impl Future<Output = Result<SendOutcome, SourceError>> + Send;
    /// The text as it is now; `None` if the provider no longer has it.
    fn state(
        &self,
        sid: &str,
    ) -> impl Future<Output = Result<Option<TextState>, SourceError>> + Send;
    /// Texts from `from` to `to` since about `since` (the provider may filter by day only).
    fn sent_between(
        &self,
        from: &str,
        to: &str,
        since: Timestamp,
    ) -> impl Future<Output = Result<Vec<TextState>, SourceError>> + Send;
    /// The approved message templates (WhatsApp).
    fn templates(&self) -> impl Future<Output = Result<Vec<TextTemplate>, SourceError>> + Send;
    /// Texts received at `address` since about `since` (by day; callers dedupe).
    fn received_at(
        &self,
        address: &str,
        since: Timestamp,
    ) -> impl Future<Output = Result<Vec<TextState>, SourceError>> + Send;
}

/// The approved templates last listed by the provider (`settings` table, JSON).
const TEMPLATES_KEY: &str = "texting.templates";

pub async fn cached_templates(db: &Database) -> Result<Vec<TextTemplate>, sqlx::Error> {
    Ok(db.json_setting(TEMPLATES_KEY).await?.unwrap_or_default())
}

pub async fn cache_templates(
    db: &Database,
    templates: &[TextTemplate],
    now: Timestamp,
) -> Result<(), sqlx::Error> {
    let json = serde_json::to_string(templates).unwrap_or_default();
    db.put_setting(TEMPLATES_KEY, Some(&json), now).await
}

/// A template's text with its placeholders filled.
pub fn render_template(
    t: &TextTemplate,
    values: &std::collections::BTreeMap<String, String>,
) -> String {
    let mut text = t.body.clone();
    for (k, default) in &t.variables {
        let v = values
            .get(k)
            .filter(|v| !v.trim().is_empty())
            .unwrap_or(default);
        text = text.replace(&format!("{{{{{k}}}}}"), v);
    }
    text
}

/// Where texting settings are kept (`settings` table, JSON).
pub const SETTINGS_KEY: &str = "texting";

pub async fn settings(db: &Database) -> Result<TextingSettings, sqlx::Error> {
    Ok(db
        .json_setting::<TextingSettings>(SETTINGS_KEY)
        .await?
        .unwrap_or_else(|| TextingSettings {
            default_region: "US".into(),
            ..TextingSettings::default()
        }))
}

/// Saves texting settings after checking the region.
pub async fn save_settings(
    db: &Database,
    settings: &TextingSettings,
    now: Timestamp,
) -> TextsResult<TextingSettings> {
    let region = settings.default_region.trim().to_ascii_uppercase();
    if region.parse::<phonenumber::country::Id>().is_err() {
        return Err(TextsError::Invalid {
            field: "default region",
            reason: format!("{region:?} is not a two-letter country code (US, GB, DE…)"),
        });
    }
    if let Some(template) = &settings.meeting_reminder_template {
        crate::features::templates::variables(template).map_err(|e| TextsError::Invalid {
            field: "reminder template",
            reason: e.to_string(),
        })?;
    }
    let zone = settings
        .time_zone
        .as_deref()
        .map(str::trim)
        .filter(|z| !z.is_empty());
    if let Some(zone) = zone {
        if jiff::tz::TimeZone::get(zone).is_err() {
            return Err(TextsError::Invalid {
                field: "time zone",
                reason: format!("{zone:?} is not a time zone this machine knows"),
            });
        }
    }
    let clean = TextingSettings {
        meeting_reminder_hours: settings
            .meeting_reminder_hours
            .filter(|h| (1..=168).contains(h)),
        meeting_reminder_template: settings
            .meeting_reminder_template
            .clone()
            .filter(|t| !t.trim().is_empty()),
        time_zone: zone.map(str::to_string),
        default_region: region,
        default_sender: settings
            .default_sender
            .clone()
            .filter(|s| !s.trim().is_empty()),
        whatsapp_sender: settings
            .whatsapp_sender
            .clone()
            .filter(|s| !s.trim().is_empty()),
    };
    let json = serde_json::to_string(&clean).unwrap_or_default();
    db.put_setting(SETTINGS_KEY, Some(&json), now).await?;
    Ok(clean)
}

/// A phone number as E.164 (`+14155552671`), read with libphonenumber's rules; a number without
/// a country code is read in `region`. `whatsapp:` prefixes are kept.
pub fn e164(raw: &str, region: &str) -> Result<String, String> {
    let (prefix, number) = match raw.trim().strip_prefix("whatsapp:") {
        Some(rest) => ("whatsapp:", rest),
        None => ("", raw.trim()),
    };
    if number.is_empty() {
        return Err("there is no number".into());
    }
    let country = region.parse::<phonenumber::country::Id>().ok();
    let parsed = phonenumber::parse(country, number)
        .map_err(|e| format!("{number:?} is not a phone number ({e})"))?;
    if !phonenumber::is_valid(&parsed) {
        return Err(format!("{number:?} is not a valid phone number"));
    }
    Ok(format!(
        "{prefix}{}",
        parsed.format().mode(phonenumber::Mode::E164)
    ))
}

/// The words that opt a number out of texts, and back in (Twilio's default opt-out keywords:
/// https://help.twilio.com/articles/223134027).
pub const STOP_WORDS: [&str; 8] = [
    "STOP",
    "STOPALL",
    "UNSUBSCRIBE",
    "CANCEL",
    "END",
    "QUIT",
    "OPTOUT",
    "REVOKE",
];
pub const START_WORDS: [&str; 3] = ["START", "UNSTOP", "YES"];

/// What an inbound body says about opting out: `Some(true)` stop, `Some(false)` start again.
pub fn opt_keyword(body: &str) -> Option<bool> {
    let word = body
        .trim()
        .trim_end_matches(['.', '!'])
        .to_ascii_uppercase();
    if STOP_WORDS.contains(&word.as_str()) {
        Some(true)
    } else if START_WORDS.contains(&word.as_str()) {
        Some(false)
    } else {
        None
    }
}
