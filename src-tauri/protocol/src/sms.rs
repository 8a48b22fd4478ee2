//! Text messages (SMS and WhatsApp) as the window and the CLI see them: connecting a texting
//! provider, the composer's live count, sending, and the texts on a client's timeline.

use serde::{Deserialize, Serialize};

/// How a text travels: GSM-7 when every character is in the GSM 03.38 alphabet (its extension
/// table's characters take two units), UCS-2 otherwise (one unit per UTF-16 code unit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextEncoding {
    Gsm7,
    Ucs2,
}

/// What the composer shows while the user types: units used, segments billed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentCount {
    pub encoding: TextEncoding,
    /// Septets (GSM-7) or UTF-16 code units (UCS-2).
    pub units: u32,
    pub segments: u32,
    /// Units that fit in one segment at this length (160/153 for GSM-7, 70/67 for UCS-2).
    pub per_segment: u32,
}

/// GSM 03.38's basic alphabet (one septet each).
const GSM7_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// Its extension table (an escape plus one septet: two each).
const GSM7_EXTENDED: &str = "^{}\\[~]|€\u{000C}";

/// Counts a text's segments as carriers bill them: a single GSM-7 text holds 160 septets and a
/// concatenated one 153 per part (the rest is the concatenation header); UCS-2 holds 70 and 67.
/// (Twilio: "What the Heck is a Segment?", support article 360038173654.)
pub fn count_segments(body: &str) -> SegmentCount {
    let mut septets = 0u32;
    let mut gsm = true;
    for c in body.chars() {
        if GSM7_BASIC.contains(c) {
            septets += 1;
        } else if GSM7_EXTENDED.contains(c) {
            septets += 2;
        } else {
            gsm = false;
            break;
        }
    }
    let (encoding, units, single, multi) = if gsm {
        (TextEncoding::Gsm7, septets, 160, 153)
    } else {
        let units = body.encode_utf16().count() as u32;
        (TextEncoding::Ucs2, units, 70, 67)
    };
    let (segments, per_segment) = match units {
        0 => (0, single),
        n if n <= single => (1, single),
        n => (n.div_ceil(multi), multi),
    };
    SegmentCount {
        encoding,
        units,
        segments,
        per_segment,
    }
}

/// Which channel a text goes over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    #[default]
    Sms,
    Whatsapp,
}

/// Connecting a provider whose key the user pastes (Integrations → Twilio → Connect, and
/// `cremmy connect twilio`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyConnect {
    pub provider: crate::Provider,
    /// The account's id at the provider (Twilio: the Account SID, `AC…`).
    pub account: String,
    /// The key's id when the provider pairs one with the secret (Twilio: an API key SID,
    /// `SK…`); `None` when `secret` alone is the credential (Twilio: the Auth Token).
    #[serde(default)]
    pub key_id: Option<String>,
    pub secret: String,
}

/// A number (or WhatsApp sender) a text can come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sender {
    /// `+15005550006`, or `whatsapp:+14155238886`.
    pub address: String,
    pub label: String,
    pub channel: Channel,
}

/// A connected texting account: its senders and the user's choices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextingSetup {
    pub account_id: i64,
    pub account_sid: String,
    pub senders: Vec<Sender>,
    pub settings: TextingSettings,
}

/// The texting settings (on the Integrations page, under the texting provider).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TextingSettings {
    /// The SMS sender used unless the composer picks another.
    #[serde(default)]
    pub default_sender: Option<String>,
    /// The WhatsApp sender (`whatsapp:+…`).
    #[serde(default)]
    pub whatsapp_sender: Option<String>,
    /// ISO 3166 region for numbers written without a country code (`US`, `GB`, `DE`).
    pub default_region: String,
    /// Text clients a reminder this many hours before a meeting with them (`None`: off).
    #[serde(default)]
    pub meeting_reminder_hours: Option<u32>,
    /// The reminder's template (`None`: the default one); `{{meeting_title}}` and
    /// `{{meeting_time}}` besides the usual variables.
    #[serde(default)]
    pub meeting_reminder_template: Option<String>,
    /// The user's IANA time zone (`Europe/Berlin`), for `{{meeting_time}}`.
    #[serde(default)]
    pub time_zone: Option<String>,
}

/// The composer's text, before and for sending.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TextDraft {
    pub client_id: i64,
    /// The contact to text; `None`: the client's first contact with a phone.
    #[serde(default)]
    pub contact_id: Option<i64>,
    /// The template (`{{variable}}` placeholders, as in email).
    pub body: String,
    #[serde(default)]
    pub channel: Channel,
    /// WhatsApp: an approved template to send instead of `body` (the only way outside the
    /// 24-hour window).
    #[serde(default)]
    pub template_id: Option<String>,
    /// Values for the template's `{{1}}`, `{{2}}`…; `{{1}}` defaults to the contact's first
    /// name, the others to the template's own defaults.
    #[serde(default)]
    pub template_values: std::collections::BTreeMap<String, String>,
}

/// A template a text is sent with, and the values of its placeholders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateUse {
    pub id: String,
    pub values: std::collections::BTreeMap<String, String>,
}

/// An approved message template (WhatsApp), as the composer lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextTemplate {
    pub id: String,
    pub name: String,
    /// Its text with `{{1}}`, `{{2}}`… placeholders.
    pub body: String,
    /// The placeholders' defaults, by number.
    pub variables: std::collections::BTreeMap<String, String>,
}

/// What the composer shows before sending.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextPreview {
    pub contact_id: Option<i64>,
    pub contact_name: String,
    /// The number in E.164 (`+…`), when it is one.
    pub to: Option<String>,
    pub body: String,
    pub count: SegmentCount,
    /// Template variables without a value (sending is refused while any remain).
    pub missing: Vec<String>,
    /// Why this text cannot be sent (no phone, invalid number, opted out, no sender).
    pub refused: Option<String>,
    /// WhatsApp only: whether the contact wrote within 24 hours (free text allowed).
    #[serde(default)]
    pub whatsapp_window_open: Option<bool>,
    /// The approved template it is sent with, and the values filled in (`body` shows the text).
    #[serde(default)]
    pub template: Option<TemplateUse>,
}

/// A text queued for sending.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextQueued {
    pub job_id: i64,
    pub to: String,
    pub from: String,
    pub segments: u32,
}

/// A text sent (what the send job produced).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextSent {
    pub sid: String,
    pub activity_id: i64,
    pub status: String,
    /// An earlier attempt had already sent it; found instead of sent twice.
    pub recovered: bool,
}

/// A text on a client's page, with where it is in the provider's lifecycle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextMessage {
    pub sid: String,
    pub activity_id: Option<i64>,
    pub inbound: bool,
    pub channel: Channel,
    pub from: String,
    pub to: String,
    pub body: String,
    /// queued, sending, sent, delivered, undelivered, failed, received…
    pub status: String,
    /// The provider's error code and words when it failed.
    pub error: Option<String>,
    /// Segments it was billed as.
    #[serde(default)]
    pub segments: u32,
    /// Unix ms.
    pub at: i64,
}

/// A number that said STOP: texts to it are refused until it says START.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptOut {
    pub number: String,
    pub keyword: String,
    /// Unix ms.
    pub since: i64,
}

/// A client's contact whose number opted out of texts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactOptOut {
    pub contact_id: i64,
    pub opt_out: OptOut,
}

/// Attaching an unmatched inbound text to a new contact of a client (its number as their phone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachToNewContact {
    pub sid: String,
    pub client_id: i64,
    /// Empty: the number stands in for a name until the user edits it.
    #[serde(default)]
    pub name: String,
}

/// Attaching an unmatched inbound text to a contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachText {
    pub sid: String,
    pub contact_id: i64,
}

/// Who a bulk text goes to: clients with this tag, clients with an open deal in this stage, and
/// these clients (a search result), together.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Audience {
    #[serde(default)]
    pub tag: Option<String>,
    #[serde(default)]
    pub stage_id: Option<i64>,
    #[serde(default)]
    pub client_ids: Vec<i64>,
}

/// "Text several clients": one template, each client's first contact with a phone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkText {
    pub audience: Audience,
    pub body: String,
    #[serde(default)]
    pub channel: Channel,
}

/// One recipient in a bulk text's preview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkRecipient {
    pub client_id: i64,
    pub client_name: String,
    pub contact_name: String,
    pub to: Option<String>,
    pub body: String,
    /// Why this recipient is skipped (no phone, invalid number, opted out, a missing value).
    pub skipped: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkPreview {
    pub recipients: Vec<BulkRecipient>,
    pub sendable: u32,
    pub skipped: u32,
    /// How long sending takes at the sender's pace.
    pub seconds: u32,
}

/// Where a bulk text is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkProgress {
    pub batch: String,
    /// Recipients queued (skipped ones not counted).
    pub total: u32,
    pub sent: u32,
    pub failed: u32,
    pub pending: u32,
    pub skipped: u32,
}
