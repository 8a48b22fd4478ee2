//! Outlook as a [`MailOutbox`]. A message is Cremmy's own MIME (its Message-ID, and In-Reply-To
//! and References for a reply, which put the reply in the conversation), saved as a draft
//! (learn.microsoft.com/graph/api/user-post-messages, base64 MIME), then sent
//! (learn.microsoft.com/graph/api/message-send). Every call asks for immutable ids, so the id a
//! draft was made with names its copy in Sent Items once sent
//! (learn.microsoft.com/graph/outlook-immutable-id, "Immutable ID when sending mail"). Finding
//! an earlier attempt's message or draft: `$filter=internetMessageId eq '…'`.

use serde::Deserialize;

use super::outlook::OutlookMailbox;
use super::wire::Collection;
use super::GraphError;
use crate::failure::SourceError;
use crate::features::mail::send::{DraftRef, MailOutbox, Sent};

/// What Cremmy reads of a draft or a sent message.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireSent {
    id: String,
    conversation_id: Option<String>,
    internet_message_id: Option<String>,
    is_draft: Option<bool>,
}

const SENT_SELECT: &str = "id,conversationId,internetMessageId,isDraft";

/// An OData string literal in a query: quotes doubled, then percent-encoded.
fn odata_string(value: &str) -> String {
    let literal = format!("'{}'", value.replace('\'', "''"));
    url::form_urlencoded::byte_serialize(literal.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

impl OutlookMailbox {
    /// The messages in `path` (`me/messages`, a folder's messages) with this Message-ID.
    async fn with_message_id(
        &self,
        path: &str,
        message_id: &str,
    ) -> Result<Vec<WireSent>, GraphError> {
        let url = self.graph.url(&format!(
            "{path}?$filter=internetMessageId%20eq%20{}&$select={SENT_SELECT}",
            odata_string(message_id)
        ));
        let found: Collection<WireSent> = self
            .graph
            .get("Outlook message by Message-ID", &url, None)
            .await?;
        Ok(found.value)
    }

    fn sent_of(m: &WireSent) -> Sent {
        Sent {
            provider_id: Some(m.id.clone()),
            thread_id: m.conversation_id.clone().unwrap_or_else(|| m.id.clone()),
        }
    }
}

impl MailOutbox for OutlookMailbox {
    fn product_name(&self) -> &'static str {
        "Outlook"
    }

    fn owner(&self) -> &str {
        &self.owner
    }

    /// Graph takes no conversation with a MIME draft: the MIME's reply headers place it.
    async fn create_draft(
        &self,
        raw: Vec<u8>,
        _thread_id: Option<&str>,
    ) -> Result<DraftRef, SourceError> {
        let url = self.graph.url("me/messages");
        let answer = self.graph.post("Outlook draft", &url, Some(&raw)).await?;
        let draft: WireSent = answer.json().map_err(|source| GraphError::Garbled {
            what: "Outlook draft",
            source,
        })?;
        Ok(DraftRef {
            thread_id: draft.conversation_id.clone(),
            draft_id: draft.id,
        })
    }

    /// Reads the draft first: gone means sent (or deleted); no longer a draft means an earlier
    /// attempt sent it, and its immutable id is now the sent copy's.
    async fn send_draft(&self, draft_id: &str) -> Result<Option<Sent>, SourceError> {
        let url = self
            .graph
            .url(&format!("me/messages/{draft_id}?$select={SENT_SELECT}"));
        let draft: WireSent = match self.graph.get("Outlook draft", &url, None).await {
            Ok(d) => d,
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        if let Some(kept) = &draft.internet_message_id {
            self.sent_ids
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(draft.id.clone(), kept.clone());
        }
        let sent = Self::sent_of(&draft);
        if draft.is_draft == Some(false) {
            return Ok(Some(sent));
        }
        let url = self.graph.url(&format!("me/messages/{draft_id}/send"));
        match self.graph.post("Outlook send", &url, None).await {
            Ok(_) => Ok(Some(sent)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn stored_message_id(&self, provider_id: &str) -> Result<Option<String>, SourceError> {
        let known = self
            .sent_ids
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(provider_id)
            .cloned();
        if known.is_some() {
            return Ok(known);
        }
        let url = self
            .graph
            .url(&format!("me/messages/{provider_id}?$select={SENT_SELECT}"));
        match self
            .graph
            .get::<WireSent>("Outlook message", &url, None)
            .await
        {
            Ok(m) => Ok(m.internet_message_id),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn find_message(&self, message_id: &str) -> Result<Option<Sent>, SourceError> {
        let found = self.with_message_id("me/messages", message_id).await?;
        Ok(found
            .iter()
            .find(|m| m.is_draft != Some(true))
            .map(Self::sent_of))
    }

    async fn find_draft(&self, message_id: &str) -> Result<Option<DraftRef>, SourceError> {
        let found = self
            .with_message_id("me/mailFolders/drafts/messages", message_id)
            .await?;
        Ok(found
            .into_iter()
            .find(|m| m.is_draft != Some(false))
            .map(|m| DraftRef {
                thread_id: m.conversation_id,
                draft_id: m.id,
            }))
    }
}
