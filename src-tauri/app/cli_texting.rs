//! `cremmy connect twilio` and `cremmy text`: the same core calls as the Integrations page and the
//! client page's "Send SMS".

use std::process::ExitCode;

use cremmy_core::sync::SyncRunner;
use cremmy_protocol::sms::{ApiKeyConnect, Audience, BulkText, Channel, TextDraft};
use cremmy_protocol::Provider;

use crate::cli::report;

/// Where a script passes the Twilio secret (else it is asked for, or read from stdin).
const SECRET_VAR: &str = "CREMMY_TWILIO_SECRET";

pub async fn connect(sync: &SyncRunner, account_sid: String, key_sid: Option<String>) -> ExitCode {
    let prompt = if key_sid.is_some() {
        "API key secret: "
    } else {
        "Auth Token: "
    };
    let secret = match crate::cli_backup::read_secret(SECRET_VAR, prompt, false) {
        Ok(s) => s,
        Err(e) => return report(Err::<String, _>(e)),
    };
    let request = ApiKeyConnect {
        provider: Provider::Twilio,
        account: account_sid,
        key_id: key_sid,
        secret,
    };
    report(sync.connect_texting(&request).await.map(|s| {
        let numbers: Vec<String> = s.senders.iter().map(|n| n.address.clone()).collect();
        format!(
            "Connected Twilio {} (account #{}). Numbers: {}. Texts go from {}.",
            s.account_sid,
            s.account_id,
            if numbers.is_empty() {
                "none".to_string()
            } else {
                numbers.join(", ")
            },
            s.settings
                .default_sender
                .as_deref()
                .unwrap_or("(no SMS number: buy one in Twilio)")
        )
    }))
}

pub async fn text(
    sync: &SyncRunner,
    client_id: i64,
    message: String,
    contact: Option<i64>,
    whatsapp: bool,
    template: Option<String>,
) -> ExitCode {
    let draft = TextDraft {
        client_id,
        contact_id: contact,
        body: message,
        channel: if whatsapp {
            Channel::Whatsapp
        } else {
            Channel::Sms
        },
        template_id: template,
        ..TextDraft::default()
    };
    report(sync.send_text(&draft).await.map(|sent| {
        format!(
            "Text {} ({}){}; `cremmy sync --once` follows its delivery.",
            sent.sid,
            sent.status,
            if sent.recovered {
                ", found already sent"
            } else {
                ""
            }
        )
    }))
}

/// `cremmy text-bulk`: the preview (one line per recipient), then, unless `--dry-run`, the texts
/// sent one after another at the sender's pace.
pub async fn bulk(
    sync: &SyncRunner,
    message: String,
    tag: Option<String>,
    stage: Option<String>,
    clients: Vec<i64>,
    dry_run: bool,
) -> ExitCode {
    let stage_id = match stage {
        None => None,
        Some(name) => match sync.crm().stages().await {
            Ok(stages) => match stages
                .iter()
                .find(|s| s.name.eq_ignore_ascii_case(name.trim()))
            {
                Some(s) => Some(s.id),
                None => {
                    let names: Vec<&str> = stages.iter().map(|s| s.name.as_str()).collect();
                    return report(Err::<String, _>(format!(
                        "No stage is called {name:?}; the stages are {}.",
                        names.join(", ")
                    )));
                }
            },
            Err(e) => return report(Err::<String, _>(e)),
        },
    };
    let request = BulkText {
        audience: Audience {
            tag,
            stage_id,
            client_ids: clients,
        },
        body: message,
        channel: Channel::Sms,
    };
    let preview = match sync.bulk_text_preview(&request).await {
        Ok(p) => p,
        Err(e) => return report(Err::<String, _>(e)),
    };
    for r in &preview.recipients {
        let to = r.to.as_deref().unwrap_or("-");
        match &r.skipped {
            Some(why) => println!("skip  {} ({}): {why}", r.client_name, to),
            None => println!("send  {} ({to}): {}", r.client_name, r.body),
        }
    }
    if dry_run {
        return report(Ok::<_, String>(format!(
            "Would text {} and skip {} (about {} s at the sender's pace). Nothing was sent.",
            preview.sendable, preview.skipped, preview.seconds
        )));
    }
    let queued = match sync.queue_bulk_text(&request).await {
        Ok(q) => q,
        Err(e) => return report(Err::<String, _>(e)),
    };
    report(sync.run_bulk_text(&queued.batch).await.map(|p| {
        format!(
            "Bulk text {}: {} sent, {} failed, {} skipped{}.",
            p.batch,
            p.sent,
            p.failed,
            p.skipped,
            if p.pending > 0 {
                format!(", {} waiting in the outbox", p.pending)
            } else {
                String::new()
            }
        )
    }))
}
