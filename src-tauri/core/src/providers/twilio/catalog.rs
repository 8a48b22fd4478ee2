//! What a Twilio account has besides its numbers, from Twilio's product APIs (v1/v2, `meta`
//! paging with absolute URLs): its message templates with their WhatsApp approval (Content API),
//! its Messaging Services and its WhatsApp senders (Messaging API); and every sender texts can
//! come from.

use serde::Deserialize;

use super::{OwnedNumber, Twilio, TwilioCredentials, TwilioError};

/// Every sender texts can come from: the SMS numbers, the WhatsApp senders that are online, and
/// the Messaging Services (which pick a number from their pool).
pub fn all_senders(
    numbers: Vec<OwnedNumber>,
    whatsapp: Vec<WireWhatsAppSender>,
    services: Vec<WireSenderPool>,
) -> Vec<cremmy_protocol::sms::Sender> {
    use cremmy_protocol::sms::{Channel, Sender};
    let mut all: Vec<Sender> = numbers.into_iter().map(OwnedNumber::sender).collect();
    for w in whatsapp
        .into_iter()
        .filter(|w| w.status.starts_with("ONLINE"))
    {
        if !all.iter().any(|s| s.address == w.sender_id) {
            all.push(Sender {
                label: "WhatsApp sender".into(),
                address: w.sender_id,
                channel: Channel::Whatsapp,
            });
        }
    }
    all.extend(services.into_iter().map(|s| Sender {
        label: format!("Messaging Service: {}", s.friendly_name),
        address: s.sid,
        channel: Channel::Sms,
    }));
    all
}

impl Twilio {
    /// [`all_senders`] of an account. Only the numbers are required: a restricted key that may
    /// not read services or WhatsApp senders still lists its numbers.
    pub async fn senders(
        &self,
        creds: &TwilioCredentials,
    ) -> Result<Vec<cremmy_protocol::sms::Sender>, TwilioError> {
        let numbers = self.numbers(creds).await?;
        let whatsapp = self.whatsapp_senders(creds).await.unwrap_or_default();
        let services = self.services(creds).await.unwrap_or_default();
        Ok(all_senders(numbers, whatsapp, services))
    }
}

/// A message template (Content API), with its WhatsApp approval.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WireTemplate {
    pub sid: String,
    pub friendly_name: String,
    #[serde(default)]
    pub variables: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    pub types: serde_json::Value,
    #[serde(default)]
    pub approval_requests: serde_json::Value,
}

impl WireTemplate {
    /// The text of its `twilio/text` type (other types carry it in their own `body`).
    pub fn body(&self) -> String {
        self.types
            .as_object()
            .and_then(|types| types.values().find_map(|t| t["body"].as_str()))
            .unwrap_or_default()
            .to_string()
    }

    pub fn is_approved(&self) -> bool {
        self.approval_requests["status"] == "approved"
    }
}

/// A Messaging Service (MG…): a pool of senders Twilio picks from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WireSenderPool {
    pub sid: String,
    pub friendly_name: String,
}

/// A WhatsApp sender (Senders API).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WireWhatsAppSender {
    pub sender_id: String,
    pub status: String,
}

impl Twilio {
    /// Every page of a v1/v2 product API list: the items under `key`, the next page at
    /// `meta.next_page_url` (an absolute URL, followed only on the same origin).
    async fn product_pages<T: serde::de::DeserializeOwned>(
        &self,
        what: &'static str,
        creds: &TwilioCredentials,
        origin: &str,
        first: String,
        key: &str,
    ) -> Result<Vec<T>, TwilioError> {
        let mut all = Vec::new();
        let mut next = Some(first);
        while let Some(url) = next {
            let mut page: serde_json::Value = self.get_json(what, creds, &url).await?;
            let items = serde_json::from_value::<Vec<T>>(page[key].take())
                .map_err(|source| TwilioError::Garbled { what, source })?;
            all.extend(items);
            next = page["meta"]["next_page_url"]
                .as_str()
                .filter(|u| u.starts_with(origin))
                .map(str::to_string);
        }
        Ok(all)
    }

    /// The account's message templates with their approval (Content API).
    pub async fn templates(
        &self,
        creds: &TwilioCredentials,
    ) -> Result<Vec<WireTemplate>, TwilioError> {
        let first = format!("{}v1/ContentAndApprovals?PageSize=100", self.content_origin);
        let origin = self.content_origin.clone();
        self.product_pages(
            "Twilio ContentAndApprovals list",
            creds,
            &origin,
            first,
            "contents",
        )
        .await
    }

    /// The account's Messaging Services.
    pub async fn services(
        &self,
        creds: &TwilioCredentials,
    ) -> Result<Vec<WireSenderPool>, TwilioError> {
        let first = format!("{}v1/Services?PageSize=100", self.messaging_origin);
        let origin = self.messaging_origin.clone();
        self.product_pages("Twilio Services list", creds, &origin, first, "services")
            .await
    }

    /// The account's WhatsApp senders.
    pub async fn whatsapp_senders(
        &self,
        creds: &TwilioCredentials,
    ) -> Result<Vec<WireWhatsAppSender>, TwilioError> {
        let first = format!(
            "{}v2/Channels/Senders?Channel=whatsapp&PageSize=100",
            self.messaging_origin
        );
        let origin = self.messaging_origin.clone();
        self.product_pages("Twilio Senders list", creds, &origin, first, "senders")
            .await
    }
}
