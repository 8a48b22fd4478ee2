//! The texting pull, run with every sync: replies and opt-outs received at the account's numbers
//! (the provider's list by day, with a day of overlap, deduplicated by id, each number's cursor
//! committed with its texts), then the status of texts still on their way.

use super::store::{self, NumberOwner};
use super::{opt_keyword, settings, Refusal, TextGateway, TextsError, TextsResult};
use crate::clock::Timestamp;
use crate::crm::write::CrmTx;
use crate::crm::Crm;
use crate::cursors::{self, Advance};

/// What one pull did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TextRun {
    /// Texts the provider listed.
    pub fetched: u32,
    /// New texts on a timeline.
    pub received: u32,
    /// New texts from numbers no contact has.
    pub unmatched: u32,
    pub opted_out: u32,
    pub opted_in: u32,
    /// Outbound texts whose status changed.
    pub updated: u32,
}

const DAY_MS: i64 = 86_400_000;
/// How far back the first pull looks.
const FIRST_LOOK_BACK_MS: i64 = 7 * DAY_MS;

fn stream(address: &str) -> String {
    format!("texts:{address}")
}

/// Receives new texts at every sender of the account, then follows in-flight statuses.
pub async fn pull(
    crm: &Crm,
    gateway: &impl TextGateway,
    account_id: i64,
    now: Timestamp,
    run: &mut TextRun,
) -> TextsResult<()> {
    let db = crm.database();
    let settings = settings(db).await?;
    let owners = store::number_owners(db, &settings.default_region).await?;
    // The provider lists its phone numbers; a WhatsApp sender is the user's setting.
    let mut addresses: Vec<String> = gateway
        .senders()
        .await?
        .into_iter()
        .map(|s| s.address)
        .collect();
    if let Some(whatsapp) = settings.whatsapp_sender.filter(|w| !addresses.contains(w)) {
        addresses.push(whatsapp);
    }
    for address in addresses {
        let stream = stream(&address);
        let cursor = cursors::read(db, account_id, &stream).await?;
        let newest_seen: Option<Timestamp> = cursor.cursor.as_deref().and_then(|c| c.parse().ok());
        let since = newest_seen.map_or(now - FIRST_LOOK_BACK_MS, |t| t - DAY_MS);
        let mut texts = gateway.received_at(&address, since).await?;
        run.fetched += texts.len() as u32;
        texts.retain(|t| t.inbound);
        texts.sort_by_key(|t| (t.at, t.sid.clone()));
        let mut tx = CrmTx::begin(db).await?;
        let mut newest = newest_seen.unwrap_or(0);
        for text in &texts {
            newest = newest.max(text.at);
            let from = text.from.trim_start_matches("whatsapp:").to_string();
            let owner: Option<NumberOwner> = owners.get(&from).copied();
            let Some(activity) = store::record(&mut tx, account_id, text, owner, None, now).await?
            else {
                continue;
            };
            match activity {
                Some(_) => run.received += 1,
                None => run.unmatched += 1,
            }
            match opt_keyword(&text.body) {
                Some(true) => {
                    let word = text.body.trim().to_ascii_uppercase();
                    store::opt_out(&mut tx, &from, &word, text.at).await?;
                    run.opted_out += 1;
                }
                Some(false) => {
                    store::opt_in(&mut tx, &from).await?;
                    run.opted_in += 1;
                }
                None => {}
            }
        }
        let position = newest.to_string();
        if newest > 0 {
            cursors::advance(
                &mut tx,
                account_id,
                &stream,
                Advance {
                    cursor: Some(&position),
                    ..Advance::default()
                },
                now,
            )
            .await?;
        }
        tx.commit(now).await?;
    }
    follow_statuses(crm, gateway, account_id, now, run).await
}

/// Asks for each in-flight outbound text's status; a final one stops being asked about. A
/// text refused because the recipient opted out (Twilio's 21610) marks the number opted out.
pub async fn follow_statuses(
    crm: &Crm,
    gateway: &impl TextGateway,
    account_id: i64,
    now: Timestamp,
    run: &mut TextRun,
) -> TextsResult<()> {
    let db = crm.database();
    for sid in store::in_flight(db, account_id).await? {
        let Some(state) = gateway.state(&sid).await? else {
            continue;
        };
        let Some((_, before)) = store::by_sid(db, &sid).await? else {
            continue;
        };
        if before.status == state.status && before.error_code == state.error_code {
            continue;
        }
        let mut tx = CrmTx::begin(db).await?;
        store::update_status(&mut tx, account_id, &state, now).await?;
        if state.refusal == Some(Refusal::OptedOut) {
            let bare = state.to.trim_start_matches("whatsapp:");
            store::opt_out(&mut tx, bare, "STOP", now).await?;
        }
        tx.commit(now).await?;
        run.updated += 1;
    }
    Ok(())
}

/// "Unmatched" → a new contact of `client_id` with the text's number, and the text on their
/// timeline.
pub async fn attach_to_new_contact(
    crm: &Crm,
    sid: &str,
    client_id: i64,
    name: &str,
    now: Timestamp,
) -> TextsResult<i64> {
    let (_, state) = store::by_sid(crm.database(), sid)
        .await?
        .filter(|(_, s)| s.inbound)
        .ok_or_else(|| TextsError::NoSuchText { sid: sid.into() })?;
    let number = state.from.trim_start_matches("whatsapp:").to_string();
    let name = if name.trim().is_empty() {
        number.clone()
    } else {
        name.trim().to_string()
    };
    let contact = crm
        .create_contact(&cremmy_protocol::crm::ContactInput {
            client_id,
            name,
            phones: vec![number],
            ..Default::default()
        })
        .await
        .map_err(|e| TextsError::Invalid {
            field: "contact",
            reason: e.to_string(),
        })?;
    attach(crm, sid, contact.id, now).await
}

/// "Unmatched" → attach: the text goes onto the contact's timeline (and the contact's client's).
pub async fn attach(crm: &Crm, sid: &str, contact_id: i64, now: Timestamp) -> TextsResult<i64> {
    let db = crm.database();
    let (account_id, state) = store::by_sid(db, sid)
        .await?
        .filter(|(_, s)| s.inbound)
        .ok_or_else(|| TextsError::NoSuchText { sid: sid.into() })?;
    let contact = crm
        .contact(contact_id)
        .await
        .map_err(|_| TextsError::Invalid {
            field: "contact",
            reason: format!("contact {contact_id} does not exist"),
        })?;
    let owner = NumberOwner {
        client_id: contact.client_id,
        contact_id,
    };
    let mut tx = CrmTx::begin(db).await?;
    let activity = store::attach(&mut tx, account_id, &state, owner, now).await?;
    tx.commit(now).await?;
    activity.ok_or_else(|| TextsError::Invalid {
        field: "text",
        reason: "it is already on a timeline".into(),
    })
}
