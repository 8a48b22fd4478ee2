//! Sending a text: the composer's preview (recipient, rendered template, segments, why it cannot
//! go), and the send job's one attempt. The provider has no idempotency header, so an attempt
//! after one whose outcome is unknown first looks for the text it may have sent (same sender,
//! recipient and body, sent after the job was queued, not yet recorded) before sending again.

use std::collections::BTreeMap;

use cremmy_protocol::crm::Contact;
use cremmy_protocol::sms::{
    count_segments, Channel, TemplateUse, TextDraft, TextPreview, TextSent,
};
use serde::{Deserialize, Serialize};

use super::store::{self, NumberOwner};
use super::{
    cached_templates, e164, render_template, settings, OutgoingText, Refusal, SendOutcome,
    TextGateway, TextState, TextsError, TextsResult,
};
use crate::clock::Timestamp;
use crate::crm::write::CrmTx;
use crate::crm::{Crm, Date};
use crate::features::templates::{self, money_text};

const DAY_MS: i64 = 86_400_000;

/// The variables a text template may use.
pub const VARIABLES: [&str; 6] = [
    "client_name",
    "contact_name",
    "contact_first_name",
    "deal_title",
    "deal_value",
    "date",
];

/// A text ready to queue: rendered, addressed, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextJobInput {
    pub client_id: i64,
    pub contact_id: i64,
    pub from: String,
    pub to: String,
    pub body: String,
    /// When it was queued (Unix ms): a retry looks for texts sent since then.
    pub queued_at: Timestamp,
    /// Sent as this approved template (WhatsApp) instead of `body` (which shows its text).
    #[serde(default)]
    pub template: Option<TemplateUse>,
}

fn first_name(name: &str) -> String {
    name.split_whitespace().next().unwrap_or(name).to_string()
}

/// The contact to text: the one asked for, or the client's first live contact with a phone.
fn pick_contact(contacts: &[Contact], contact_id: Option<i64>) -> Option<&Contact> {
    match contact_id {
        Some(id) => contacts.iter().find(|c| c.id == id),
        None => contacts
            .iter()
            .find(|c| !c.archived && !c.phones.is_empty()),
    }
}

/// The composer's preview; with `refused`/`missing` empty, [`ready`] gives the job's input.
pub async fn preview(
    crm: &Crm,
    draft: &TextDraft,
    sender: Option<&str>,
    now: Timestamp,
) -> TextsResult<TextPreview> {
    preview_with(crm, draft, sender, now, &BTreeMap::new()).await
}

/// [`preview`] with more values for the template (a reminder's meeting).
pub async fn preview_with(
    crm: &Crm,
    draft: &TextDraft,
    sender: Option<&str>,
    now: Timestamp,
    extra: &BTreeMap<String, String>,
) -> TextsResult<TextPreview> {
    let db = crm.database();
    let page = crm
        .client_page(draft.client_id)
        .await
        .map_err(|_| TextsError::NoSuchClient {
            client_id: draft.client_id,
        })?;
    let region = settings(db).await?.default_region;
    let contact = pick_contact(&page.contacts, draft.contact_id);
    let mut values = extra.clone();
    let mut put = |k: &str, v: String| {
        if !v.trim().is_empty() {
            values.insert(k.to_string(), v);
        }
    };
    put("client_name", page.client.name.clone());
    put(
        "date",
        Date::from_days(now.div_euclid(86_400_000)).to_string(),
    );
    if let Some(c) = contact {
        put("contact_name", c.name.clone());
        put("contact_first_name", first_name(&c.name));
    }
    if let Some(d) = page
        .deals
        .iter()
        .filter(|d| d.won_at.is_none() && d.lost_at.is_none())
        .max_by_key(|d| d.created_at)
    {
        put("deal_title", d.title.clone());
        put("deal_value", money_text(d.value.minor, &d.value.currency));
    }
    let variables = templates::variables(&draft.body).map_err(|e| TextsError::Invalid {
        field: "message",
        reason: e.to_string(),
    })?;
    let missing: Vec<String> = variables
        .iter()
        .filter(|v| !values.contains_key(*v))
        .cloned()
        .collect();
    // An approved template (WhatsApp) is sent instead of the text: `{{1}}` is the contact's first
    // name unless the composer gave it, the others the template's defaults.
    let template = match &draft.template_id {
        None => None,
        Some(id) => {
            let Some(t) = cached_templates(db)
                .await?
                .into_iter()
                .find(|t| &t.id == id)
            else {
                return Err(TextsError::Invalid {
                    field: "template",
                    reason: "that template is not (or no longer) approved; choose another".into(),
                });
            };
            let mut values = draft.template_values.clone();
            if let (Some(c), None) = (contact, values.get("1").filter(|v| !v.trim().is_empty())) {
                values.insert("1".into(), first_name(&c.name));
            }
            values.retain(|k, v| t.variables.contains_key(k) && !v.trim().is_empty());
            Some((
                render_template(&t, &values),
                TemplateUse { id: t.id, values },
            ))
        }
    };
    let (missing, template_body) = match &template {
        Some((text, _)) => (Vec::new(), Some(text.clone())),
        None => (missing, None),
    };
    let body = if let Some(text) = template_body {
        text
    } else if missing.is_empty() {
        templates::render(&draft.body, &values).map_err(|e| TextsError::Invalid {
            field: "message",
            reason: e.to_string(),
        })?
    } else {
        draft.body.clone()
    };
    let phone = contact.and_then(|c| c.phones.first());
    let to = phone
        .and_then(|p| e164(p, &region).ok())
        .map(|n| match draft.channel {
            Channel::Sms => n,
            Channel::Whatsapp => format!("whatsapp:{n}"),
        });
    // WhatsApp takes free text only within 24 hours of the contact's last message.
    let window = match (&to, draft.channel) {
        // An approved template may go outside the window.
        _ if template.is_some() => None,
        (Some(to), Channel::Whatsapp) => Some(
            store::last_inbound_at(db, to)
                .await?
                .is_some_and(|at| now - at < DAY_MS),
        ),
        _ => None,
    };
    let refused = match (contact, phone, &to) {
        (None, _, _) => Some(format!("{} has no contact with a phone number", page.client.name)),
        (Some(c), None, _) => Some(format!("{} has no phone number", c.name)),
        (Some(c), Some(p), None) => Some(format!(
            "{}'s number {p:?} is not a valid phone number (numbers without a country code are read as {region}; change the texting region on the Integrations page)",
            c.name
        )),
        (Some(_), Some(_), Some(to)) => match store::opted_out(db, to).await? {
            Some(o) => Some(format!("{} has opted out of texts (they replied {})", o.number, o.keyword)),
            None if sender.is_none() => Some(match draft.channel {
                Channel::Sms => "no sender is chosen: connect a texting provider on the Integrations page and pick a default number".into(),
                Channel::Whatsapp => "no WhatsApp sender is set: enter it under the texting provider on the Integrations page".into(),
            }),
            None if window == Some(false) => Some(
                "outside WhatsApp's 24-hour window: they have not written on WhatsApp in the last 24 hours, so only an approved template can be sent (or text them by SMS)".into(),
            ),
            None if body.trim().is_empty() => Some("the message is empty".into()),
            None => None,
        },
    };
    Ok(TextPreview {
        contact_id: contact.map(|c| c.id),
        contact_name: contact.map(|c| c.name.clone()).unwrap_or_default(),
        to,
        count: count_segments(&body),
        body,
        missing,
        refused,
        whatsapp_window_open: window,
        template: template.map(|(_, used)| used),
    })
}

/// Why a previewed text cannot be sent, if it cannot: the recipient first (no phone, invalid,
/// opted out), then the template's missing values.
pub fn blocker(preview: &TextPreview) -> Option<(&'static str, String)> {
    if let Some(why) = &preview.refused {
        return Some(("recipient", why.clone()));
    }
    if !preview.missing.is_empty() {
        return Some((
            "message",
            format!("no value here for {}", preview.missing.join(", ")),
        ));
    }
    None
}

/// The job's input from a preview that can be sent, or why not.
pub fn ready(
    draft: &TextDraft,
    preview: &TextPreview,
    from: &str,
    now: Timestamp,
) -> TextsResult<TextJobInput> {
    if let Some((field, reason)) = blocker(preview) {
        return Err(TextsError::Invalid { field, reason });
    }
    let (Some(contact_id), Some(to)) = (preview.contact_id, preview.to.clone()) else {
        return Err(TextsError::Invalid {
            field: "recipient",
            reason: "no number to text".into(),
        });
    };
    Ok(TextJobInput {
        client_id: draft.client_id,
        contact_id,
        from: from.to_string(),
        to,
        body: preview.body.clone(),
        queued_at: now,
        template: preview.template.clone(),
    })
}

/// One attempt of a send job. `maybe_sent`: an earlier attempt may have reached the provider.
pub async fn send_text(
    crm: &Crm,
    gateway: &impl TextGateway,
    account_id: i64,
    input: &TextJobInput,
    job_key: &str,
    maybe_sent: bool,
    now: Timestamp,
) -> TextsResult<TextSent> {
    let db = crm.database();
    if let Some((sid, activity_id, status)) = store::sent_by_job(db, job_key).await? {
        return Ok(TextSent {
            sid,
            activity_id: activity_id.unwrap_or_default(),
            status,
            recovered: true,
        });
    }
    if let Some(o) = store::opted_out(db, &input.to).await? {
        return Err(TextsError::OptedOut {
            number: o.number,
            keyword: o.keyword,
        });
    }
    let owner = NumberOwner {
        client_id: input.client_id,
        contact_id: input.contact_id,
    };
    if maybe_sent {
        // The provider's clock and this machine's may disagree, and its filter is by day: look
        // from a day before the job was queued; the body and "not recorded here" decide.
        let earlier = gateway
            .sent_between(&input.from, &input.to, input.queued_at - DAY_MS)
            .await?;
        for state in earlier.into_iter().rev() {
            if state.inbound || state.body != input.body {
                continue;
            }
            if store::is_known(db, account_id, &state.sid).await? {
                continue;
            }
            return record_sent(crm, account_id, &state, owner, job_key, now, true).await;
        }
    }
    let outcome = gateway
        .send(&OutgoingText {
            from: &input.from,
            to: &input.to,
            body: &input.body,
            template: input.template.as_ref(),
        })
        .await?;
    match outcome {
        SendOutcome::Accepted(state) => {
            record_sent(crm, account_id, &state, owner, job_key, now, false).await
        }
        SendOutcome::Refused {
            refusal: Refusal::OptedOut,
            ..
        } => {
            let mut tx = CrmTx::begin(db).await?;
            let bare = input.to.trim_start_matches("whatsapp:");
            store::opt_out(&mut tx, bare, "STOP", now).await?;
            tx.commit(now).await?;
            Err(TextsError::OptedOut {
                number: bare.to_string(),
                keyword: "STOP".into(),
            })
        }
        SendOutcome::Refused { code, message, .. } => Err(TextsError::Refused {
            provider: gateway.provider_name(),
            to: input.to.clone(),
            reason: match code {
                Some(c) => format!("{message} (error {c})"),
                None => message,
            },
        }),
    }
}

async fn record_sent(
    crm: &Crm,
    account_id: i64,
    state: &TextState,
    owner: NumberOwner,
    job_key: &str,
    now: Timestamp,
    recovered: bool,
) -> TextsResult<TextSent> {
    let mut tx = CrmTx::begin(crm.database()).await?;
    let recorded =
        store::record(&mut tx, account_id, state, Some(owner), Some(job_key), now).await?;
    tx.commit(now).await?;
    Ok(TextSent {
        sid: state.sid.clone(),
        activity_id: recorded.flatten().unwrap_or_default(),
        status: state.status.clone(),
        recovered,
    })
}
