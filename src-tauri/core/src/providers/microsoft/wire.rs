//! Graph's JSON, as much of it as Cremmy reads (learn.microsoft.com/graph/api/resources/message,
//! …/graph/delta-query-messages).

use serde::Deserialize;

/// A page of a collection: the items, then a link to the next page or, at the end of a delta
/// round, the delta link.
#[derive(Debug, Deserialize)]
pub struct Collection<T> {
    #[serde(default = "Vec::new")]
    pub value: Vec<T>,
    #[serde(rename = "@odata.nextLink")]
    pub next_link: Option<String>,
    #[serde(rename = "@odata.deltaLink")]
    pub delta_link: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct EmailAddress {
    pub address: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Recipient {
    pub email_address: Option<EmailAddress>,
}

impl Recipient {
    pub fn address(&self) -> Option<String> {
        let a = self.email_address.as_ref()?.address.as_deref()?.trim();
        a.contains('@').then(|| a.to_lowercase())
    }
}

/// A message, or (in a delta round) the removal of one.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireMessage {
    pub id: String,
    #[serde(rename = "@removed")]
    pub removed: Option<serde_json::Value>,
    pub conversation_id: Option<String>,
    pub received_date_time: Option<String>,
    pub internet_message_id: Option<String>,
    pub subject: Option<String>,
    pub body_preview: Option<String>,
    pub is_draft: Option<bool>,
    pub parent_folder_id: Option<String>,
    pub from: Option<Recipient>,
    #[serde(default)]
    pub to_recipients: Vec<Recipient>,
    #[serde(default)]
    pub cc_recipients: Vec<Recipient>,
}

/// A mail folder (only its id is read).
#[derive(Debug, Deserialize)]
pub struct WireFolder {
    pub id: String,
}
