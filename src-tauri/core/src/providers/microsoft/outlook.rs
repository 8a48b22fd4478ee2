//! Outlook mail as a [`MailSource`]. Changes: the Inbox and Sent Items, each tracked by Graph's
//! per-folder messages delta (learn.microsoft.com/graph/delta-query-messages); the cursor is the
//! two folders' delta links. A message a folder's delta reports removed is looked up: deleted, or
//! in Deleted Items or Junk Email, it is gone; filed in another folder (by the user or a rule), it
//! is still mail. Listings (full sync, back-fill, reconciliation) read the whole mailbox's
//! messages received since a time (`/me/messages`, every folder), so mail a rule files away on
//! arrival is found by the daily reconciliation. Every listing carries the properties Cremmy
//! reads (`$select`), so listed messages cost no further call. Graph takes no address search
//! together with the date filter, so a search lists every message since the time and the mail
//! feature matches addresses locally; within one run a time is listed once.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::wire::{Collection, WireFolder, WireMessage};
use super::{GraphError, GraphSession};
use crate::clock::Timestamp;
use crate::failure::SourceError;
use crate::features::mail::{
    Changes, Filing, MailHeaders, MailQuery, MailSource, MessageChange, MessageRef, Page,
};

/// The folders whose changes are tracked, by their well-known names, and how a message in each
/// is filed.
const FOLDERS: [(&str, Filing); 2] = [("inbox", Filing::Received), ("sentitems", Filing::Sent)];
/// The message properties Cremmy reads (never the body).
const SELECT: &str = "id,conversationId,receivedDateTime,from,toRecipients,ccRecipients,subject,bodyPreview,internetMessageId,isDraft,parentFolderId";
/// Messages per page (`Prefer: odata.maxpagesize` for delta, `$top` for listings).
const PAGE: u32 = 100;
/// How far before now a new delta round starts: mail received meanwhile by a slow clock is
/// still caught (and deduplicated by its id).
const CURSOR_MARGIN_MS: i64 = 3_600_000;

/// Where a walk over the folders' changes is: the folder, the page to read, the delta links the
/// finished folders gave and the stored ones still to read.
#[derive(Debug, Serialize, Deserialize)]
struct Walk {
    folder: usize,
    url: String,
    done: Vec<String>,
    stored: Vec<String>,
}

impl Walk {
    fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    fn decode(page: &str) -> Option<Walk> {
        serde_json::from_str(page).ok()
    }
}

/// One Outlook mailbox for one run.
pub struct OutlookMailbox {
    pub(super) graph: GraphSession,
    pub(super) owner: String,
    /// The Message-IDs of drafts read before sending them, by id.
    pub(super) sent_ids: Mutex<HashMap<String, String>>,
    /// Headers read with listings and changes, by message id.
    seen: Mutex<HashMap<String, MailHeaders>>,
    /// Times whose messages were listed in full this run.
    listed: Mutex<HashSet<Timestamp>>,
    /// The ids of the folders that decide how a message is filed, read once.
    folders: tokio::sync::OnceCell<FolderIds>,
}

/// The ids of Sent Items, Deleted Items and Junk Email.
struct FolderIds {
    sent: String,
    deleted: String,
    junk: String,
}

impl FolderIds {
    fn filing(&self, m: &WireMessage) -> Filing {
        match m.parent_folder_id.as_deref() {
            Some(f) if f == self.deleted => Filing::Trash,
            Some(f) if f == self.junk => Filing::Spam,
            Some(f) if f == self.sent => Filing::Sent,
            _ => Filing::Received,
        }
    }
}

fn instant(ms: Timestamp) -> String {
    format!("{}Z", crate::crm::dates::utc_seconds(ms))
}

fn millis(text: &str) -> Option<Timestamp> {
    text.parse::<jiff::Timestamp>()
        .ok()
        .map(|t| t.as_millisecond())
}

impl OutlookMailbox {
    pub fn new(graph: GraphSession, owner: &str) -> OutlookMailbox {
        OutlookMailbox {
            graph,
            owner: owner.to_lowercase(),
            sent_ids: Mutex::default(),
            seen: Mutex::default(),
            listed: Mutex::default(),
            folders: tokio::sync::OnceCell::new(),
        }
    }

    pub fn calls(&self) -> u32 {
        self.graph.calls()
    }

    fn remember(&self, m: &WireMessage, filed: Filing) -> Option<MessageRef> {
        let headers = headers_of(m, filed)?;
        let r = MessageRef {
            provider_id: headers.provider_id.clone(),
            thread_id: headers.thread_id.clone(),
        };
        self.seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(r.provider_id.clone(), headers);
        Some(r)
    }

    fn listing_url(&self, after: Timestamp) -> String {
        self.graph.url(&format!(
            "me/messages?$select={SELECT}&$filter=receivedDateTime%20ge%20{}&$top={PAGE}",
            instant(after)
        ))
    }

    fn delta_url(&self, folder: usize, after: Timestamp) -> String {
        self.graph.url(&format!(
            "me/mailFolders/{}/messages/delta?$select={SELECT}&$filter=receivedDateTime%20ge%20{}",
            FOLDERS[folder].0,
            instant(after)
        ))
    }

    async fn folder_ids(&self) -> Result<&FolderIds, GraphError> {
        self.folders
            .get_or_try_init(|| async {
                let paths: Vec<String> = ["sentitems", "deleteditems", "junkemail"]
                    .iter()
                    .map(|name| format!("me/mailFolders/{name}?$select=id"))
                    .collect();
                let found: Vec<Option<WireFolder>> =
                    self.graph.get_many("Outlook mail folders", &paths).await?;
                let mut ids = found
                    .into_iter()
                    .map(|f| f.map(|f| f.id).unwrap_or_default());
                Ok(FolderIds {
                    sent: ids.next().unwrap_or_default(),
                    deleted: ids.next().unwrap_or_default(),
                    junk: ids.next().unwrap_or_default(),
                })
            })
            .await
    }

    /// Messages read by id (in batches), each with how it is filed; `None` for one that no
    /// longer exists.
    async fn messages(
        &self,
        ids: &[String],
    ) -> Result<Vec<Option<(WireMessage, Filing)>>, GraphError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let paths: Vec<String> = ids
            .iter()
            .map(|id| format!("me/messages/{id}?$select={SELECT}"))
            .collect();
        let found: Vec<Option<WireMessage>> =
            self.graph.get_many("Outlook message", &paths).await?;
        let folders = self.folder_ids().await?;
        Ok(found
            .into_iter()
            .map(|m| {
                m.map(|m| {
                    let filed = folders.filing(&m);
                    (m, filed)
                })
            })
            .collect())
    }
}

/// What Cremmy keeps of a message; `None` for a removal.
fn headers_of(m: &WireMessage, filed: Filing) -> Option<MailHeaders> {
    if m.removed.is_some() {
        return None;
    }
    let list = |r: &[super::wire::Recipient]| r.iter().filter_map(|x| x.address()).collect();
    Some(MailHeaders {
        provider_id: m.id.clone(),
        thread_id: m.conversation_id.clone().unwrap_or_else(|| m.id.clone()),
        received_at: m
            .received_date_time
            .as_deref()
            .and_then(millis)
            .unwrap_or(0),
        from: m.from.iter().filter_map(|f| f.address()).collect(),
        to: list(&m.to_recipients),
        cc: list(&m.cc_recipients),
        subject: m.subject.clone().unwrap_or_default(),
        snippet: m.body_preview.clone().unwrap_or_default(),
        message_id: m.internet_message_id.clone().filter(|s| !s.is_empty()),
        // Graph's message resource has no In-Reply-To property (replies are found by thread).
        in_reply_to: None,
        filed: if m.is_draft == Some(true) {
            Filing::Draft
        } else {
            filed
        },
    })
}

impl MailSource for OutlookMailbox {
    fn owner(&self) -> &str {
        &self.owner
    }

    /// Starts a delta round in each folder from just before now (a round over mail received
    /// since then is short) and returns their delta links.
    async fn current_cursor(&self) -> Result<String, SourceError> {
        let from = self.graph.now() - CURSOR_MARGIN_MS;
        let mut links = Vec::new();
        for (i, (_, filed)) in FOLDERS.iter().enumerate() {
            let mut url = self.delta_url(i, from);
            loop {
                let page: Collection<WireMessage> = self
                    .graph
                    .get("Outlook messages delta", &url, Some(PAGE))
                    .await?;
                for m in &page.value {
                    self.remember(m, *filed);
                }
                match (page.next_link, page.delta_link) {
                    (Some(next), _) => url = next,
                    (None, Some(delta)) => {
                        links.push(delta);
                        break;
                    }
                    (None, None) => {
                        return Err(GraphError::Garbled {
                            what: "Outlook messages delta",
                            source: serde::de::Error::custom("a page with neither link"),
                        }
                        .into())
                    }
                }
            }
        }
        Ok(serde_json::to_string(&links).unwrap_or_default())
    }

    async fn search(
        &self,
        query: &MailQuery,
        page: Option<String>,
    ) -> Result<Page<MessageRef>, SourceError> {
        let url = match page {
            Some(next) => next,
            None => {
                let already = self
                    .listed
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .contains(&query.after);
                if already && !query.addresses.is_empty() {
                    // Listed in full this run: these addresses' mail is among it.
                    return Ok(Page {
                        items: Vec::new(),
                        next: None,
                    });
                }
                self.listing_url(query.after)
            }
        };
        let found: Collection<WireMessage> = self.graph.get("Outlook messages", &url, None).await?;
        let folders = self.folder_ids().await?;
        let items = found
            .value
            .iter()
            .filter_map(|m| {
                let filed = folders.filing(m);
                if filed.is_mail() {
                    self.remember(m, filed)
                } else {
                    None
                }
            })
            .collect();
        if found.next_link.is_none() {
            self.listed
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(query.after);
        }
        Ok(Page {
            items,
            next: found.next_link,
        })
    }

    async fn changes_since(
        &self,
        cursor: &str,
        page: Option<String>,
    ) -> Result<Changes, SourceError> {
        let walk = match page.as_deref().and_then(Walk::decode) {
            Some(walk) => walk,
            None => {
                // A cursor of another shape (or another folder list), or links to another Graph
                // origin (stored while the sandbox was configured), cannot be continued.
                let stored: Vec<String> = match serde_json::from_str::<Vec<String>>(cursor) {
                    Ok(links)
                        if links.len() == FOLDERS.len()
                            && links.iter().all(|l| self.graph.is_on_origin(l)) =>
                    {
                        links
                    }
                    _ => return Err(SourceError::CursorExpired),
                };
                Walk {
                    folder: 0,
                    url: stored[0].clone(),
                    done: Vec::new(),
                    stored,
                }
            }
        };
        let page: Collection<WireMessage> = match self
            .graph
            .get("Outlook messages delta", &walk.url, Some(PAGE))
            .await
        {
            Err(e) if e.is_gone() => return Err(SourceError::CursorExpired),
            other => other?,
        };
        let filed = FOLDERS[walk.folder.min(FOLDERS.len() - 1)].1;
        // Where each message the page reports removed went: deleted, or in Deleted Items or Junk
        // Email, it left the user's mail; filed in another folder, it is still mail.
        let removed: Vec<String> = page
            .value
            .iter()
            .filter(|m| m.removed.is_some())
            .map(|m| m.id.clone())
            .collect();
        let mut still_mail: HashMap<String, MessageRef> = HashMap::new();
        for found in self.messages(&removed).await?.into_iter().flatten() {
            let (m, filed) = found;
            if filed.is_mail() {
                if let Some(r) = self.remember(&m, filed) {
                    still_mail.insert(m.id.clone(), r);
                }
            }
        }
        let mut changes = Vec::new();
        for m in &page.value {
            if m.removed.is_some() {
                changes.push(match still_mail.get(&m.id) {
                    Some(still) => MessageChange::Appeared(still.clone()),
                    None => MessageChange::Gone {
                        provider_id: m.id.clone(),
                    },
                });
            } else if let Some(r) = self.remember(m, filed) {
                changes.push(MessageChange::Appeared(r));
            }
        }
        let mut walk = walk;
        let next = match (page.next_link, page.delta_link) {
            (Some(url), _) => Some(Walk { url, ..walk }),
            (None, Some(delta)) => {
                walk.done.push(delta);
                match walk.stored.get(walk.folder + 1).cloned() {
                    Some(url) => Some(Walk {
                        folder: walk.folder + 1,
                        url,
                        ..walk
                    }),
                    None => {
                        return Ok(Changes {
                            changes,
                            next_page: None,
                            cursor: serde_json::to_string(&walk.done).unwrap_or_default(),
                        })
                    }
                }
            }
            (None, None) => {
                return Err(GraphError::Garbled {
                    what: "Outlook messages delta",
                    source: serde::de::Error::custom("a page with neither link"),
                }
                .into())
            }
        };
        Ok(Changes {
            changes,
            next_page: next.map(|w| w.encode()),
            cursor: cursor.to_string(),
        })
    }

    async fn headers(&self, ids: &[String]) -> Result<Vec<Option<MailHeaders>>, SourceError> {
        let known: Vec<Option<MailHeaders>> = {
            let seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
            ids.iter().map(|id| seen.get(id).cloned()).collect()
        };
        // Not read with a listing (rare): read together.
        let missing: Vec<String> = ids
            .iter()
            .zip(&known)
            .filter(|(_, k)| k.is_none())
            .map(|(id, _)| id.clone())
            .collect();
        let mut read = self.messages(&missing).await?.into_iter();
        Ok(known
            .into_iter()
            .map(|k| match k {
                Some(h) => Some(h),
                None => read
                    .next()
                    .flatten()
                    .and_then(|(m, filed)| headers_of(&m, filed)),
            })
            .collect())
    }
}
