//! "Send email": an RFC 5322 message built with a MIME library (mail-builder), sent through the
//! account's outbox, then recorded as an outgoing, tracked `email` activity in one transaction.
//! A reply keeps its thread: In-Reply-To and References name the message it answers, and the
//! provider's thread id goes with the send. When the client answers, mail ingest marks the
//! activity replied (see `store::save_message`).

use std::future::Future;

use cremmy_protocol::crm::{ActivityKind, ActivitySource, Direction, Id};
use cremmy_protocol::mail::{SendEmailInput, SentEmail};

use crate::clock::Timestamp;
use crate::crm::write::{self, NewActivity};
use crate::db::Database;
use crate::failure::SourceError;
use crate::features::mail::MailError;

/// What the provider answered to a send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// The sent message's id in the mailbox (`None`: it went, but the mailbox cannot say which
    /// message it is, e.g. a retry found its draft already sent and no message with its Message-ID).
    pub provider_id: Option<String>,
    pub thread_id: String,
}

/// A draft the provider holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftRef {
    pub draft_id: String,
    pub thread_id: Option<String>,
}

/// Where outgoing mail goes (Gmail; Outlook could follow).
pub trait MailOutbox: Sync {
    /// The sending address.
    /// The mail product's name ("Gmail"), for the drafts and tasks the user sees.
    fn product_name(&self) -> &'static str;
    fn owner(&self) -> &str;
    /// Saves an unsent draft (in `thread_id`'s conversation, if given).
    fn create_draft(
        &self,
        raw: Vec<u8>,
        thread_id: Option<&str>,
    ) -> impl Future<Output = Result<DraftRef, SourceError>> + Send;
    /// Sends a draft as it is; `None` when the mailbox has no such draft (deleted, or already
    /// sent: sending a draft deletes it).
    fn send_draft(
        &self,
        draft_id: &str,
    ) -> impl Future<Output = Result<Option<Sent>, SourceError>> + Send;
    /// The Message-ID the provider stored for a sent message (a provider may replace the
    /// sender's); `None` when the account may not read mail.
    fn stored_message_id(
        &self,
        provider_id: &str,
    ) -> impl Future<Output = Result<Option<String>, SourceError>> + Send;
    /// The message with this Message-ID the mailbox holds (an earlier attempt that got through
    /// before a crash; the mail a reply answers, for its thread); `None` when there is none or the
    /// account may not read mail.
    fn find_message(
        &self,
        message_id: &str,
    ) -> impl Future<Output = Result<Option<Sent>, SourceError>> + Send;
    /// The draft whose message has this Message-ID (an earlier attempt's draft).
    fn find_draft(
        &self,
        message_id: &str,
    ) -> impl Future<Output = Result<Option<DraftRef>, SourceError>> + Send;
}

/// The message an outgoing email answers.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Original {
    message_id: String,
    in_reply_to: Option<String>,
    subject: String,
    thread_id: Option<String>,
}

/// `<id@domain>` → `id@domain` (mail-builder adds the brackets).
fn bare(id: &str) -> &str {
    id.trim().trim_start_matches('<').trim_end_matches('>')
}

/// "Re: " once, however many times the subject was answered already.
pub fn reply_subject(subject: &str) -> String {
    let s = subject.trim();
    if s.len() >= 3 && s[..3].eq_ignore_ascii_case("re:") {
        s.to_string()
    } else {
        format!("Re: {s}")
    }
}

/// The random part of a Message-ID (the OS random source; 0 if it is unavailable, which still
/// leaves the millisecond timestamp).
pub fn random_part() -> u64 {
    let mut bytes = [0u8; 8];
    match getrandom::fill(&mut bytes) {
        Ok(()) => u64::from_le_bytes(bytes),
        Err(_) => 0,
    }
}

/// The Message-ID of the email a job sends: the same for every attempt of the job, so an attempt
/// after a crash can ask the mailbox whether an earlier one got through.
pub fn job_message_id(sender: &str, job_key: &str) -> String {
    let domain = sender.rsplit_once('@').map_or("cremmy.local", |(_, d)| d);
    let left: String = job_key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '.'
            }
        })
        .collect();
    format!("<cremmy.{left}@{domain}>")
}

/// One attempt at sending: the Message-ID it uses and whether an earlier attempt (cut off by a
/// crash or a lost connection) may already have reached the provider.
#[derive(Debug, Clone)]
pub struct SendAttempt {
    pub message_id: String,
    pub maybe_sent: bool,
}

/// The RFC 5322 bytes of one outgoing message.
pub struct Outgoing<'a> {
    pub from: &'a str,
    /// (name, address); a draft may have no recipient yet.
    pub to: Option<(&'a str, &'a str)>,
    pub subject: &'a str,
    pub body: &'a str,
    pub message_id: &'a str,
    /// The message answered and the chain before it (oldest first).
    pub references: Vec<String>,
    pub sent_at: Timestamp,
}

/// A header value from untrusted text (a Leads-sheet row, an inbound subject, a template): line
/// breaks and other control characters become spaces, so no text can start a header of its own,
/// whatever the MIME library does with them.
pub fn header_text(value: &str) -> String {
    value
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

impl Outgoing<'_> {
    pub fn to_rfc5322(&self) -> std::io::Result<Vec<u8>> {
        let subject = header_text(self.subject);
        let to = self
            .to
            .map(|(name, address)| (header_text(name), header_text(address)));
        let mut m = mail_builder::MessageBuilder::new()
            .from(self.from)
            .subject(subject)
            .message_id(bare(self.message_id))
            .date(self.sent_at.div_euclid(1000))
            .text_body(self.body);
        if let Some(to) = to {
            m = m.to(to);
        }
        if let Some(last) = self.references.last() {
            m = m.in_reply_to(bare(last)).references(
                self.references
                    .iter()
                    .map(|r| bare(r).to_string())
                    .collect::<Vec<_>>(),
            );
        }
        m.write_to_vec()
    }
}

async fn original(
    db: &Database,
    account_id: i64,
    client_id: Id,
    activity_id: Id,
) -> Result<Original, MailError> {
    let row: Option<(String, Option<String>, String, Option<String>)> = sqlx::query_as(
        "SELECT e.message_id, e.in_reply_to, a.subject, \
           (SELECT g.thread_id FROM mailbox_messages g WHERE g.activity_id = a.id AND g.account_id = ?) \
         FROM activities a JOIN emails e ON e.activity_id = a.id WHERE a.id = ? AND a.client_id = ?",
    )
    .bind(account_id)
    .bind(activity_id)
    .bind(client_id)
    .fetch_optional(db.pool())
    .await?;
    let (message_id, in_reply_to, subject, thread_id) = row.ok_or(MailError::Invalid {
        field: "reply to",
        reason: "that email is not on this client's timeline".into(),
    })?;
    Ok(Original {
        message_id,
        in_reply_to,
        subject,
        thread_id,
    })
}

/// Sends `input` from `account_id`'s outbox and records the outgoing, tracked activity.
pub async fn send_email(
    db: &Database,
    outbox: &impl MailOutbox,
    account_id: i64,
    input: &SendEmailInput,
    now: Timestamp,
    attempt: &SendAttempt,
) -> Result<SentEmail, MailError> {
    let subject = input.subject.trim();
    if subject.is_empty() && input.reply_to.is_none() {
        return Err(MailError::Invalid {
            field: "subject",
            reason: "write a subject".into(),
        });
    }
    if input.body.trim().is_empty() {
        return Err(MailError::Invalid {
            field: "message",
            reason: "the message is empty".into(),
        });
    }
    let contact: Option<(Id, String, Option<String>)> = sqlx::query_as(
        "SELECT c.client_id, c.name, (SELECT e.email FROM contact_emails e WHERE e.contact_id = c.id ORDER BY e.is_primary DESC, e.id LIMIT 1) \
         FROM contacts c WHERE c.id = ?",
    )
    .bind(input.contact_id)
    .fetch_optional(db.pool())
    .await?;
    let (client_id, name, email) = contact.ok_or(MailError::Invalid {
        field: "to",
        reason: "that contact no longer exists".into(),
    })?;
    let to = email.ok_or(MailError::Invalid {
        field: "to",
        reason: format!("{name} has no email address; add one on the client page"),
    })?;
    let replying = match input.reply_to {
        Some(id) => {
            let mut o = original(db, account_id, client_id, id).await?;
            if o.thread_id.is_none() {
                // Synced through another account: this mailbox has its own copy, in its own
                // thread; Gmail threads a reply only with that thread's id (and References and
                // subject to match).
                o.thread_id = outbox
                    .find_message(&o.message_id)
                    .await?
                    .map(|found| found.thread_id);
            }
            Some(o)
        }
        None => None,
    };
    let subject = match (&replying, subject.is_empty()) {
        (Some(o), true) => reply_subject(&o.subject),
        (Some(_), false) => reply_subject(subject),
        (None, _) => subject.to_string(),
    };
    let references: Vec<String> = replying
        .iter()
        .flat_map(|o| o.in_reply_to.iter().chain([&o.message_id]).cloned())
        .collect();
    let message_id = attempt.message_id.clone();
    if let Some(done) = recorded_send(db, &message_id, outbox.owner()).await? {
        return Ok(done);
    }
    let raw = Outgoing {
        from: outbox.owner(),
        to: Some((&name, &to)),
        subject: &subject,
        body: &input.body,
        message_id: &message_id,
        references: references.clone(),
        sent_at: now,
    }
    .to_rfc5322()
    .map_err(|e| MailError::Invalid {
        field: "message",
        reason: format!("it could not be encoded: {e}"),
    })?;
    let thread = replying.as_ref().and_then(|o| o.thread_id.as_deref());
    // Draft first, noted, then sent: a retry after a crash sends the noted draft, or finds it
    // gone (sending deletes a draft) and knows the email went. Never a second copy, whether or
    // not the provider kept Cremmy's Message-ID.
    let noted = pending_draft(db, &message_id).await?;
    // Without a note, an earlier attempt may still have got as far as the provider: look for its
    // message (by Message-ID, which Gmail keeps), then its draft, before making one.
    let earlier_sent = match (&noted, attempt.maybe_sent) {
        (None, true) => outbox.find_message(&message_id).await?,
        _ => None,
    };
    let sent = match earlier_sent {
        Some(sent) => sent,
        None => {
            let draft = match noted {
                Some(draft) => draft,
                None => {
                    let earlier = match attempt.maybe_sent {
                        true => outbox.find_draft(&message_id).await?,
                        false => None,
                    };
                    let draft = match earlier {
                        Some(draft) => draft,
                        None => outbox.create_draft(raw, thread).await?,
                    };
                    note_draft(db, &message_id, account_id, &draft, now).await?;
                    draft
                }
            };
            match outbox.send_draft(&draft.draft_id).await? {
                Some(sent) => sent,
                // Gone: an earlier attempt sent it. Which message it became, if the mailbox can
                // say; if not (its Message-ID was rewritten), it is still not sent again.
                None => match outbox.find_message(&message_id).await? {
                    Some(sent) => sent,
                    None => Sent {
                        provider_id: None,
                        thread_id: draft
                            .thread_id
                            .clone()
                            .or_else(|| thread.map(str::to_string))
                            .unwrap_or_default(),
                    },
                },
            }
        }
    };
    // What the provider kept is what ingest will see later; fall back to ours.
    let stored = match &sent.provider_id {
        Some(id) => outbox.stored_message_id(id).await,
        None => Ok(None),
    };
    let message_id = match stored {
        Ok(Some(kept)) => kept,
        Ok(None) | Err(_) => message_id,
    };
    record(
        db,
        account_id,
        client_id,
        input,
        &Recorded {
            attempt_message_id: &attempt.message_id,
            subject: &subject,
            to: &to,
            from: outbox.owner(),
            message_id: &message_id,
            in_reply_to: references.last().map(String::as_str),
            sent: &sent,
        },
        now,
    )
    .await
    .map(|activity_id| SentEmail {
        activity_id,
        message_id,
        thread_id: sent.thread_id.clone(),
        account_email: outbox.owner().to_string(),
    })
}

/// The draft an earlier attempt made and noted for this Message-ID.
async fn pending_draft(db: &Database, message_id: &str) -> Result<Option<DraftRef>, MailError> {
    let row: Option<(String, Option<String>)> =
        sqlx::query_as("SELECT draft_id, thread_id FROM outgoing_drafts WHERE message_id = ?")
            .bind(message_id)
            .fetch_optional(db.pool())
            .await?;
    Ok(row.map(|(draft_id, thread_id)| DraftRef {
        draft_id,
        thread_id,
    }))
}

async fn note_draft(
    db: &Database,
    message_id: &str,
    account_id: i64,
    draft: &DraftRef,
    now: Timestamp,
) -> Result<(), MailError> {
    sqlx::query(
        "INSERT INTO outgoing_drafts (message_id, account_id, draft_id, thread_id, created_at) VALUES (?, ?, ?, ?, ?) \
         ON CONFLICT (message_id) DO UPDATE SET draft_id = excluded.draft_id, thread_id = excluded.thread_id",
    )
    .bind(message_id)
    .bind(account_id)
    .bind(&draft.draft_id)
    .bind(&draft.thread_id)
    .bind(now)
    .execute(db.writer())
    .await?;
    Ok(())
}

/// The email this Message-ID already recorded (the job's attempt got through and was recorded,
/// but the job was not marked done before the process died).
async fn recorded_send(
    db: &Database,
    message_id: &str,
    owner: &str,
) -> Result<Option<SentEmail>, MailError> {
    let row: Option<(Id, String)> = sqlx::query_as(
        "SELECT activity_id, thread_id FROM emails WHERE message_id = ? AND from_addr = ?",
    )
    .bind(message_id)
    .bind(owner)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(|(activity_id, thread_id)| SentEmail {
        activity_id,
        message_id: message_id.to_string(),
        thread_id,
        account_email: owner.to_string(),
    }))
}

struct Recorded<'a> {
    /// The Message-ID this attempt wrote (its draft note's key).
    attempt_message_id: &'a str,
    subject: &'a str,
    to: &'a str,
    from: &'a str,
    message_id: &'a str,
    in_reply_to: Option<&'a str>,
    sent: &'a Sent,
}

/// The activity, its email row (tracked) and the mailbox id, in one transaction.
async fn record(
    db: &Database,
    account_id: i64,
    client_id: Id,
    input: &SendEmailInput,
    r: &Recorded<'_>,
    now: Timestamp,
) -> Result<Id, MailError> {
    // The draft note goes with the record (the attempt's Message-ID, before any provider change).
    let noted = r.attempt_message_id;
    let snippet: String = input.body.trim().chars().take(200).collect();
    let mut tx = write::CrmTx::begin(db).await?;
    let email = NewActivity {
        client_id,
        contact_id: Some(input.contact_id),
        deal_id: input.deal_id,
        kind: ActivityKind::Email,
        direction: Direction::Outbound,
        subject: r.subject,
        body: &snippet,
        occurred_at: now,
        source: ActivitySource::Email,
        external_id: Some(r.message_id),
    };
    // The Message-ID is Cremmy's own and new, so the row is always made.
    let activity_id: Id = write::insert_activity(&mut tx, &email, now)
        .await?
        .ok_or(sqlx::Error::RowNotFound)?;
    sqlx::query(
        "INSERT INTO emails (activity_id, message_id, thread_id, from_addr, to_addrs, in_reply_to, tracked) \
         VALUES (?, ?, ?, ?, ?, ?, 1)",
    )
    .bind(activity_id)
    .bind(r.message_id)
    .bind(&r.sent.thread_id)
    .bind(r.from)
    .bind(r.to)
    .bind(r.in_reply_to)
    .execute(&mut *tx)
    .await?;
    if let Some(provider_id) = &r.sent.provider_id {
        sqlx::query(
            "INSERT OR IGNORE INTO mailbox_messages (account_id, provider_id, thread_id, activity_id) VALUES (?, ?, ?, ?)",
        )
        .bind(account_id)
        .bind(provider_id)
        .bind(&r.sent.thread_id)
        .bind(activity_id)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query("DELETE FROM outgoing_drafts WHERE message_id = ?")
        .bind(noted)
        .execute(&mut *tx)
        .await?;
    tx.commit(now).await?;
    Ok(activity_id)
}
