//! A Gmail draft for a deal (the default rule drafts one when a deal enters Proposal): "Proposal
//! for <deal>" rendered from an editable template. A variable with no value stops the draft and says which
//! (a task tells the user); a deal gets one draft however often it re-enters the stage.

use std::collections::BTreeMap;

use cremmy_protocol::crm::{ActivityKind, ActivitySource, Direction, Id};
use cremmy_protocol::mail::{DraftTemplate, RenderedEmail};

use super::send::{MailOutbox, Outgoing};
use crate::clock::Timestamp;
use crate::crm::write::{self, NewActivity, NewTask};
use crate::crm::Date;
use crate::db::Database;
use crate::features::mail::MailError;
use crate::features::templates::{self, money_text, TemplateError};

const SETTING: &str = "drafts.proposal";

/// Every variable a draft template may use.
pub const VARIABLES: [&str; 7] = [
    "client_name",
    "deal_title",
    "deal_value",
    "date",
    "contact_name",
    "contact_first_name",
    "stage",
];

pub fn default_template() -> DraftTemplate {
    DraftTemplate {
        subject: "Proposal for {{deal_title}}".into(),
        body: "Hi {{contact_first_name}},\n\nThank you for your time. As discussed, here is my proposal \
               for {{deal_title}} ({{deal_value}}).\n\nI look forward to hearing from you.\n\nBest regards"
            .into(),
    }
}

pub async fn template(db: &Database) -> Result<DraftTemplate, sqlx::Error> {
    Ok(db
        .json_setting(SETTING)
        .await?
        .unwrap_or_else(default_template))
}

/// Saves the template after checking it: it parses, and uses only known variables.
pub async fn save_template(
    db: &Database,
    t: &DraftTemplate,
    now: Timestamp,
) -> Result<DraftTemplate, MailError> {
    let invalid = |field, reason: String| MailError::Invalid { field, reason };
    for (field, text) in [("subject", &t.subject), ("body", &t.body)] {
        let used = templates::variables(text).map_err(|e| invalid(field, e.to_string()))?;
        let unknown: Vec<String> = used
            .into_iter()
            .filter(|v| !VARIABLES.contains(&v.as_str()))
            .collect();
        if !unknown.is_empty() {
            return Err(invalid(
                field,
                format!(
                    "unknown variables {}; use {}",
                    unknown.join(", "),
                    VARIABLES.map(|v| format!("{{{{{v}}}}}")).join(", ")
                ),
            ));
        }
    }
    let json = serde_json::to_string(t).map_err(|e| invalid("template", e.to_string()))?;
    db.put_setting(SETTING, Some(&json), now).await?;
    Ok(t.clone())
}

/// A deal that should get a draft now, with its template's values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftDue {
    pub deal_id: Id,
    pub client_id: Id,
    pub deal_title: String,
    pub template: DraftTemplate,
    pub values: BTreeMap<String, String>,
    /// (name, address) of the client's first contact with an email.
    pub to: Option<(String, String)>,
}

/// The deal's draft, if it has none yet (no provider call). When it is drafted is the default
/// rule's business (a deal entering Proposal): the rule's action queues the job that asks this.
pub async fn due(
    db: &Database,
    deal_id: Id,
    now: Timestamp,
) -> Result<Option<DraftDue>, MailError> {
    let template = template(db).await?;
    let deal: Option<(Id, String, i64, String, String, String)> = sqlx::query_as(
        "SELECT d.client_id, d.title, d.value_minor, d.currency, s.name, c.name FROM deals d \
         JOIN stages s ON s.id = d.stage_id JOIN clients c ON c.id = d.client_id \
         WHERE d.id = ? AND NOT EXISTS (SELECT 1 FROM deal_drafts x WHERE x.deal_id = d.id)",
    )
    .bind(deal_id)
    .fetch_optional(db.pool())
    .await?;
    let Some((client_id, title, minor, currency, stage, client)) = deal else {
        return Ok(None);
    };
    let contact: Option<(String, String)> = sqlx::query_as(
        "SELECT c.name, e.email FROM contacts c JOIN contact_emails e ON e.contact_id = c.id \
         WHERE c.client_id = ? AND c.archived = 0 ORDER BY e.is_primary DESC, c.id, e.id LIMIT 1",
    )
    .bind(client_id)
    .fetch_optional(db.pool())
    .await?;
    let mut values = BTreeMap::from([
        ("client_name".to_string(), client),
        ("deal_title".to_string(), title.clone()),
        ("deal_value".to_string(), money_text(minor, &currency)),
        (
            "date".to_string(),
            Date::from_days(now.div_euclid(86_400_000)).to_string(),
        ),
        ("stage".to_string(), stage),
    ]);
    if let Some((name, _)) = &contact {
        values.insert("contact_name".into(), name.clone());
        let first = name.split_whitespace().next().unwrap_or(name).to_string();
        values.insert("contact_first_name".into(), first);
    }
    Ok(Some(DraftDue {
        deal_id,
        client_id,
        deal_title: title,
        template,
        values,
        to: contact,
    }))
}

/// The proposal template filled in for a message to `contact_id` ("Send email" → Template), about
/// `deal_id` or else the client's most recent open deal. Missing values are an error naming them.
pub async fn render_for_contact(
    db: &Database,
    contact_id: Id,
    deal_id: Option<Id>,
    now: Timestamp,
) -> Result<RenderedEmail, MailError> {
    let template = template(db).await?;
    render_with(
        db,
        contact_id,
        deal_id,
        &template.subject,
        &template.body,
        now,
    )
    .await
}

/// `subject` and `body` filled in for a message to `contact_id`, as [`render_for_contact`] fills
/// the proposal template (an automation rule's email has its own).
pub async fn render_with(
    db: &Database,
    contact_id: Id,
    deal_id: Option<Id>,
    subject: &str,
    body: &str,
    now: Timestamp,
) -> Result<RenderedEmail, MailError> {
    let contact: Option<(Id, String, String)> = sqlx::query_as(
        "SELECT c.client_id, c.name, k.name FROM contacts c JOIN clients k ON k.id = c.client_id WHERE c.id = ?",
    )
    .bind(contact_id)
    .fetch_optional(db.pool())
    .await?;
    let (client_id, name, client) = contact.ok_or(MailError::Invalid {
        field: "to",
        reason: "that contact no longer exists".into(),
    })?;
    let deal: Option<(String, i64, String, String)> = sqlx::query_as(
        "SELECT d.title, d.value_minor, d.currency, s.name FROM deals d JOIN stages s ON s.id = d.stage_id \
         WHERE d.client_id = ?1 AND (d.id = ?2 OR (?2 IS NULL AND d.won_at IS NULL AND d.lost_at IS NULL)) \
         ORDER BY d.created_at DESC LIMIT 1",
    )
    .bind(client_id)
    .bind(deal_id)
    .fetch_optional(db.pool())
    .await?;
    let first = name.split_whitespace().next().unwrap_or(&name).to_string();
    let mut values = BTreeMap::from([
        ("client_name".to_string(), client),
        ("contact_name".to_string(), name.clone()),
        ("contact_first_name".to_string(), first),
        (
            "date".to_string(),
            Date::from_days(now.div_euclid(86_400_000)).to_string(),
        ),
    ]);
    if let Some((title, minor, currency, stage)) = deal {
        values.insert("deal_title".into(), title);
        values.insert("deal_value".into(), money_text(minor, &currency));
        values.insert("stage".into(), stage);
    }
    // Subject and body together, so every missing variable is named at once.
    let both = templates::render(&format!("{subject}\u{0}{body}"), &values).map_err(|e| {
        MailError::Invalid {
            field: "template",
            reason: e.to_string().trim_end_matches('.').to_string(),
        }
    })?;
    let (subject, body) = both.split_once('\u{0}').unwrap_or((&both, ""));
    Ok(RenderedEmail {
        subject: subject.to_string(),
        body: body.to_string(),
    })
}

/// What a draft run made.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Drafted {
    pub draft_id: String,
    pub subject: String,
    pub task_id: Id,
}

/// Renders and saves the draft, then records it (task, activity, deal_drafts) in one
/// transaction. A template that cannot be filled makes a task saying why, and no draft.
pub async fn create(
    db: &Database,
    outbox: &impl MailOutbox,
    account_id: i64,
    due: &DraftDue,
    now: Timestamp,
    message_id: &str,
    maybe_made: bool,
) -> Result<Drafted, MailError> {
    let rendered = templates::render(
        &format!("{}\u{0}{}", due.template.subject, due.template.body),
        &due.values,
    );
    let (subject, body) = match rendered {
        Ok(both) => {
            let (s, b) = both.split_once('\u{0}').unwrap_or((&both, ""));
            (s.to_string(), b.to_string())
        }
        Err(e) => {
            report_unfilled(db, due, &e, outbox.product_name(), now).await?;
            return Err(MailError::Invalid {
                field: "draft template",
                reason: e.to_string().trim_end_matches('.').to_string(),
            });
        }
    };
    let to = due.to.as_ref().map(|(n, a)| (n.as_str(), a.as_str()));
    let draft_id = save_draft(outbox, to, (&subject, &body), message_id, now, maybe_made).await?;
    let mut tx = write::CrmTx::begin(db).await?;
    let written = Written {
        client_id: due.client_id,
        deal_id: Some(due.deal_id),
        subject: &subject,
        body: &body,
        draft_id: &draft_id,
    };
    let (task_id, activity_id) = record_draft(&mut tx, outbox, &written, now).await?;
    sqlx::query(
        "INSERT INTO deal_drafts (deal_id, account_id, draft_id, message_id, task_id, activity_id, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(due.deal_id)
    .bind(account_id)
    .bind(&draft_id)
    .bind(message_id)
    .bind(task_id)
    .bind(activity_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit(now).await?;
    Ok(Drafted {
        draft_id,
        subject,
        task_id,
    })
}

/// Saves the message (subject, body) to `to` as a draft, or finds the one an earlier attempt of
/// this job made before the process died (by its Message-ID): the draft's id.
async fn save_draft(
    outbox: &impl MailOutbox,
    to: Option<(&str, &str)>,
    (subject, body): (&str, &str),
    message_id: &str,
    now: Timestamp,
    maybe_made: bool,
) -> Result<String, MailError> {
    let raw = Outgoing {
        from: outbox.owner(),
        to,
        subject,
        body,
        message_id,
        references: Vec::new(),
        sent_at: now,
    }
    .to_rfc5322()
    .map_err(|e| MailError::Invalid {
        field: "draft",
        reason: format!("it could not be encoded: {e}"),
    })?;
    let earlier = match maybe_made {
        true => outbox.find_draft(message_id).await?,
        false => None,
    };
    Ok(match earlier {
        Some(draft) => draft.draft_id,
        None => outbox.create_draft(raw, None).await?.draft_id,
    })
}

/// A draft saved in the mailbox, as the CRM records it.
struct Written<'a> {
    client_id: Id,
    deal_id: Option<Id>,
    subject: &'a str,
    body: &'a str,
    draft_id: &'a str,
}

/// A task to review and send the draft (due today) and a line on the client's timeline: (task,
/// activity).
async fn record_draft(
    tx: &mut write::CrmTx,
    outbox: &impl MailOutbox,
    d: &Written<'_>,
    now: Timestamp,
) -> Result<(Id, Id), MailError> {
    let today = Date::from_days(now.div_euclid(86_400_000)).to_string();
    let review = NewTask {
        title: &format!("Review and send the draft \u{201c}{}\u{201d}", d.subject),
        notes: &format!(
            "{} draft {} in {}.",
            outbox.product_name(),
            d.draft_id,
            outbox.owner()
        ),
        due_date: Some(&today),
        due_time: None,
        reminder_at: None,
        client_id: Some(d.client_id),
        deal_id: d.deal_id,
    };
    let task_id = write::insert_task(tx, &review, now).await?;
    let entry = NewActivity {
        client_id: d.client_id,
        contact_id: None,
        deal_id: d.deal_id,
        kind: ActivityKind::System,
        direction: Direction::None,
        subject: &format!("{} draft created: {}", outbox.product_name(), d.subject),
        body: d.body,
        occurred_at: now,
        source: ActivitySource::MailDraft,
        external_id: Some(d.draft_id),
    };
    let activity_id: Id = write::insert_activity(tx, &entry, now)
        .await?
        .ok_or(sqlx::Error::RowNotFound)?;
    Ok((task_id, activity_id))
}

/// An email an automation rule drafts: rendered when the rule ran, to one contact.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EmailDraft {
    pub client_id: Id,
    pub deal_id: Option<Id>,
    pub contact_id: Id,
    pub subject: String,
    pub body: String,
}

/// Saves a rule's email as a draft to the contact's primary address and records it (a task to
/// review it, a timeline line) in one transaction.
pub async fn create_email(
    db: &Database,
    outbox: &impl MailOutbox,
    draft: &EmailDraft,
    now: Timestamp,
    message_id: &str,
    maybe_made: bool,
) -> Result<Drafted, MailError> {
    let to: Option<(String, String)> = sqlx::query_as(
        "SELECT c.name, e.email FROM contacts c JOIN contact_emails e ON e.contact_id = c.id \
         WHERE c.id = ? ORDER BY e.is_primary DESC, e.id LIMIT 1",
    )
    .bind(draft.contact_id)
    .fetch_optional(db.pool())
    .await?;
    let (name, address) = to.ok_or(MailError::Invalid {
        field: "to",
        reason: "the contact no longer has an email address".into(),
    })?;
    let text = (draft.subject.as_str(), draft.body.as_str());
    let to = Some((name.as_str(), address.as_str()));
    let draft_id = save_draft(outbox, to, text, message_id, now, maybe_made).await?;
    let mut tx = write::CrmTx::begin(db).await?;
    let written = Written {
        client_id: draft.client_id,
        deal_id: draft.deal_id,
        subject: &draft.subject,
        body: &draft.body,
        draft_id: &draft_id,
    };
    let (task_id, _) = record_draft(&mut tx, outbox, &written, now).await?;
    tx.commit(now).await?;
    Ok(Drafted {
        draft_id,
        subject: draft.subject.clone(),
        task_id,
    })
}

/// The client's first contact with an email address (primary first), if any.
pub async fn first_contact_with_email(
    db: &Database,
    client_id: Id,
) -> Result<Option<Id>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT c.id FROM contacts c JOIN contact_emails e ON e.contact_id = c.id \
         WHERE c.client_id = ? AND c.archived = 0 ORDER BY e.is_primary DESC, c.id, e.id LIMIT 1",
    )
    .bind(client_id)
    .fetch_optional(db.pool())
    .await
}

/// The user learns why no draft was made: a task on the deal, due today.
async fn report_unfilled(
    db: &Database,
    due: &DraftDue,
    error: &TemplateError,
    service: &str,
    now: Timestamp,
) -> Result<(), sqlx::Error> {
    let today = Date::from_days(now.div_euclid(86_400_000)).to_string();
    let task = NewTask {
        title: &format!("Write the proposal email for {}", due.deal_title),
        notes: &format!("No {service} draft was made: {error}"),
        due_date: Some(&today),
        due_time: None,
        reminder_at: None,
        client_id: Some(due.client_id),
        deal_id: Some(due.deal_id),
    };
    let mut tx = db.writer().begin().await?;
    write::insert_task(&mut tx, &task, now).await?;
    tx.commit().await?;
    Ok(())
}
