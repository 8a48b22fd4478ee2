//! Texting through the runner: connecting a texting account (the key checked by its provider
//! before anything is stored), its settings, the composer's preview, sending (an outbox job), and the pulls of
//! replies, statuses and the call log that every sync runs.

use cremmy_protocol::accounts::{Account, Feature};
use cremmy_protocol::kinds::{JobKind, RunKind};
use cremmy_protocol::sms::{
    ApiKeyConnect, AttachText, AttachToNewContact, Channel, ContactOptOut, Sender, TextDraft,
    TextMessage, TextPreview, TextSent, TextTemplate, TextingSettings, TextingSetup,
};
use cremmy_protocol::sync::SyncTrigger;
use serde::{Deserialize, Serialize};

use super::log::{RunOutcome, RunSpec};
use super::outbox::{JobRun, OutboxJob};
use super::{SyncError, SyncResult, SyncRunner};
use crate::features::call_log::{self, CallRun};
use crate::features::texts::inbound::{self, TextRun};
use crate::features::texts::send::{self, TextJobInput};
use crate::features::texts::{self, reminders, store, TextGateway, TextsError};
use crate::providers::registry::Capability;
use crate::providers::{Providers, Texting};
use crate::HasErrorCode;

/// The senders last listed by the texting account (settings, JSON).
const SENDERS_KEY: &str = "texting.senders";

/// "Send SMS": one text to one contact, recorded as an `sms` activity; logged as a run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct SendTextJob {
    pub input: TextJobInput,
}

impl OutboxJob for SendTextJob {
    const KIND: JobKind = JobKind::SendText;
    type Done = TextSent;

    async fn run(&self, runner: &SyncRunner, job: &mut JobRun) -> SyncResult<TextSent> {
        let account = runner.account_with(Feature::Sms).await?;
        let texting = runner.texting(&account).await?;
        let spec = RunSpec {
            account_id: Some(account.id),
            integration: Providers::product(account.provider, Capability::Texting).key,
            kind: RunKind::Send,
            trigger: job.trigger,
        };
        let (_, result) = runner
            .logged(spec, async {
                let result = send::send_text(
                    &runner.crm,
                    &texting,
                    account.id,
                    &self.input,
                    &job.key,
                    job.maybe_done_before(),
                    runner.clock.now(),
                )
                .await;
                let outcome = RunOutcome::of_job(&result, texting.calls());
                (result, outcome)
            })
            .await?;
        let result = result.map_err(SyncError::from);
        runner.note_refused_key(&account, &result).await;
        result
    }
}

impl SyncRunner {
    /// The account's texting; an account whose provider does not text is "no account".
    async fn texting(&self, account: &Account) -> SyncResult<Texting> {
        self.providers
            .texting(account)
            .await?
            .ok_or(SyncError::NoAccountFor {
                feature: Feature::Sms,
            })
    }

    /// A provider that refuses the stored key (revoked, rotated) leaves the account "needs
    /// reconnecting" instead of failing every sync.
    async fn note_refused_key<T>(&self, account: &Account, result: &SyncResult<T>) {
        if let Err(e) = result {
            if e.code() == cremmy_protocol::ErrorCode::ReconnectNeeded {
                let problem = format!(
                    "{} no longer accepts Cremmy's key (revoked or rotated). Reconnect with a current key.",
                    account.provider.display_name()
                );
                let _ = self
                    .providers
                    .accounts()
                    .key_refused(account.id, &problem)
                    .await;
            }
        }
    }

    /// Integrations → a texting provider → Connect: the key is checked with the provider before
    /// anything is stored; the first SMS number becomes the default sender unless one is chosen.
    pub async fn connect_texting(&self, request: &ApiKeyConnect) -> SyncResult<TextingSetup> {
        let (account, senders) = self.providers.connect_with_key(request).await?;
        self.remember_senders(&senders).await?;
        // The templates come with the next sync if the key may not read them now.
        let _ = self.text_templates().await;
        let mut settings = texts::settings(&self.db).await?;
        let listed = |s: &Option<String>| {
            s.as_ref()
                .is_some_and(|s| senders.iter().any(|x| &x.address == s))
        };
        // Numbers come before services in the provider's list: a channel's first is a number.
        let first = |channel: Channel| {
            senders
                .iter()
                .find(|s| s.channel == channel)
                .map(|s| s.address.clone())
        };
        let before = settings.clone();
        if !listed(&settings.default_sender) {
            settings.default_sender = first(Channel::Sms);
        }
        if !listed(&settings.whatsapp_sender) {
            settings.whatsapp_sender = first(Channel::Whatsapp).or(settings.whatsapp_sender);
        }
        if settings != before {
            settings = texts::save_settings(&self.db, &settings, self.clock.now()).await?;
        }
        Ok(TextingSetup {
            account_id: account.id,
            account_sid: account.email,
            senders,
            settings,
        })
    }

    async fn remember_senders(&self, senders: &[Sender]) -> SyncResult<()> {
        let json = serde_json::to_string(senders).unwrap_or_default();
        self.db
            .put_setting(SENDERS_KEY, Some(&json), self.clock.now())
            .await?;
        Ok(())
    }

    /// The connected texting account, its senders and settings (`None`: none connected).
    pub async fn texting_setup(&self) -> SyncResult<Option<TextingSetup>> {
        let Ok(account) = self.account_with(Feature::Sms).await else {
            return Ok(None);
        };
        let senders: Vec<Sender> = self.db.json_setting(SENDERS_KEY).await?.unwrap_or_default();
        Ok(Some(TextingSetup {
            account_id: account.id,
            account_sid: account.email,
            senders,
            settings: texts::settings(&self.db).await?,
        }))
    }

    /// The texting settings (default sender, WhatsApp sender, region).
    pub async fn save_texting_settings(
        &self,
        settings: &TextingSettings,
    ) -> SyncResult<TextingSettings> {
        Ok(texts::save_settings(&self.db, settings, self.clock.now()).await?)
    }

    /// The sender a draft goes from: the chosen default (SMS) or the WhatsApp sender.
    pub(super) async fn texting_sender(&self, channel: Channel) -> SyncResult<Option<String>> {
        self.sender_for(channel).await
    }

    async fn sender_for(&self, channel: Channel) -> SyncResult<Option<String>> {
        if self.account_with(Feature::Sms).await.is_err() {
            return Ok(None);
        }
        let settings = texts::settings(&self.db).await?;
        Ok(match channel {
            Channel::Sms => settings.default_sender,
            Channel::Whatsapp => settings.whatsapp_sender,
        })
    }

    /// The composer's live preview.
    pub async fn text_preview(&self, draft: &TextDraft) -> SyncResult<TextPreview> {
        let sender = self.sender_for(draft.channel).await?;
        Ok(send::preview(&self.crm, draft, sender.as_deref(), self.clock.now()).await?)
    }

    /// "Send": checked, queued under a fresh key and sent now (a failure leaves it queued).
    pub async fn send_text(&self, draft: &TextDraft) -> SyncResult<TextSent> {
        let now = self.clock.now();
        let sender = self.sender_for(draft.channel).await?;
        let preview = send::preview(&self.crm, draft, sender.as_deref(), now).await?;
        let from = sender.unwrap_or_default();
        let input = send::ready(draft, &preview, &from, now)?;
        let title = format!("Text to {} ({})", preview.contact_name, input.to);
        self.submit(SendTextJob { input }, &title, SyncTrigger::Manual)
            .await
    }

    /// A text queued in the background under `key` (an automation rule's action): checked as
    /// "Send" checks it (number, template variables, opt-out), then an outbox job. `None` if
    /// that key already ran.
    pub(super) async fn queue_text(
        &self,
        draft: &TextDraft,
        key: &str,
        title: &str,
    ) -> SyncResult<Option<tokio::task::JoinHandle<SyncResult<TextSent>>>> {
        let now = self.clock.now();
        let sender = self.sender_for(draft.channel).await?;
        let preview = send::preview(&self.crm, draft, sender.as_deref(), now).await?;
        let from = sender.unwrap_or_default();
        let input = send::ready(draft, &preview, &from, now)?;
        let title = format!("{title}: {} ({})", preview.contact_name, input.to);
        Ok(self
            .submit_background(SendTextJob { input }, key, &title)
            .await)
    }

    /// The approved message templates (WhatsApp), asked of the provider now and remembered for
    /// the composer's preview.
    pub async fn text_templates(&self) -> SyncResult<Vec<TextTemplate>> {
        let account = self.account_with(Feature::Sms).await?;
        let texting = self.texting(&account).await?;
        let templates = texting.templates().await.map_err(TextsError::from)?;
        texts::cache_templates(&self.db, &templates, self.clock.now()).await?;
        Ok(templates)
    }

    pub async fn texts_of_client(&self, client_id: i64) -> SyncResult<Vec<TextMessage>> {
        Ok(store::of_client(&self.db, client_id).await?)
    }

    /// The client's contacts whose numbers opted out of texts (shown on the contact).
    pub async fn contact_opt_outs(&self, client_id: i64) -> SyncResult<Vec<ContactOptOut>> {
        let region = texts::settings(&self.db).await?.default_region;
        Ok(store::opt_outs_of_client(&self.db, client_id, &region).await?)
    }

    pub async fn unmatched_texts(&self) -> SyncResult<Vec<TextMessage>> {
        Ok(store::unmatched(&self.db).await?)
    }

    /// "Unmatched" → a new contact of a client, with the text's number.
    pub async fn attach_text_to_new_contact(
        &self,
        request: &AttachToNewContact,
    ) -> SyncResult<i64> {
        Ok(inbound::attach_to_new_contact(
            &self.crm,
            &request.sid,
            request.client_id,
            &request.name,
            self.clock.now(),
        )
        .await?)
    }

    /// "Unmatched" → attach to a contact.
    pub async fn attach_text(&self, request: &AttachText) -> SyncResult<i64> {
        Ok(inbound::attach(
            &self.crm,
            &request.sid,
            request.contact_id,
            self.clock.now(),
        )
        .await?)
    }

    /// One pull of an account's texts (replies, opt-outs, statuses); logged.
    pub(super) async fn sync_texts(
        &self,
        account: &Account,
        trigger: SyncTrigger,
    ) -> SyncResult<i64> {
        let spec = RunSpec {
            account_id: Some(account.id),
            integration: Providers::product(account.provider, Capability::Texting).key,
            kind: RunKind::Incremental,
            trigger,
        };
        let (run_id, _) = self
            .logged(spec, async {
                let texting = match self.texting(account).await {
                    Ok(t) => t,
                    Err(e) => return (Err(e), RunOutcome::default()),
                };
                let mut run = TextRun::default();
                let result = async {
                    let senders = texting.senders().await.map_err(TextsError::from)?;
                    self.remember_senders(&senders).await?;
                    // Templates are a convenience: a key that may not read them still syncs.
                    if let Ok(templates) = texting.templates().await {
                        texts::cache_templates(&self.db, &templates, self.clock.now()).await?;
                    }
                    inbound::pull(&self.crm, &texting, account.id, self.clock.now(), &mut run)
                        .await
                        .map_err(SyncError::from)
                }
                .await;
                self.note_refused_key(account, &result).await;
                let outcome = RunOutcome {
                    fetched: i64::from(run.fetched),
                    skipped: i64::from(run.unmatched),
                    recovered: i64::from(run.updated),
                    ..RunOutcome::made(i64::from(run.received), texting.calls())
                };
                (result, outcome)
            })
            .await?;
        Ok(run_id)
    }

    /// Texts the reminders due now (meetings within the setting's hours), each once; logged.
    pub(super) async fn send_meeting_reminders(
        &self,
        account: &Account,
        trigger: SyncTrigger,
    ) -> SyncResult<i64> {
        let spec = RunSpec {
            account_id: Some(account.id),
            integration: Providers::product(account.provider, Capability::Texting).key,
            kind: RunKind::Reminders,
            trigger,
        };
        let (run_id, _) = self
            .logged(spec, async {
                let mut outcome = RunOutcome::default();
                let result = async {
                    let settings = texts::settings(&self.db).await?;
                    let sender = self.sender_for(Channel::Sms).await?;
                    let due =
                        reminders::due(&self.crm, &settings, sender.as_deref(), self.clock.now())
                            .await?;
                    outcome.fetched = due.len() as i64;
                    let mut running = Vec::new();
                    for r in due {
                        let title = format!("Meeting reminder to {}", r.input.to);
                        let job = SendTextJob { input: r.input };
                        if let Some(handle) = self.submit_background(job, &r.key, &title).await {
                            running.push(handle);
                        }
                    }
                    for handle in running {
                        match handle.await {
                            Ok(Ok(_)) => outcome.created += 1,
                            // A failed reminder stays in the outbox, which retries it.
                            Ok(Err(_)) | Err(_) => outcome.skipped += 1,
                        }
                    }
                    Ok::<(), SyncError>(())
                }
                .await;
                (result, outcome)
            })
            .await?;
        Ok(run_id)
    }

    /// One import of an account's call log; logged.
    pub(super) async fn sync_calls(
        &self,
        account: &Account,
        trigger: SyncTrigger,
    ) -> SyncResult<i64> {
        let spec = RunSpec {
            account_id: Some(account.id),
            integration: Providers::product(account.provider, Capability::CallLog).key,
            kind: RunKind::Incremental,
            trigger,
        };
        let (run_id, _) = self
            .logged(spec, async {
                let texting = match self.texting(account).await {
                    Ok(t) => t,
                    Err(e) => return (Err(e), RunOutcome::default()),
                };
                let mut run = CallRun::default();
                let result =
                    call_log::import(&self.crm, &texting, account.id, self.clock.now(), &mut run)
                        .await
                        .map_err(SyncError::from);
                self.note_refused_key(account, &result).await;
                let outcome = RunOutcome {
                    fetched: i64::from(run.fetched),
                    skipped: i64::from(run.skipped),
                    ..RunOutcome::made(i64::from(run.recorded), texting.calls())
                };
                (result, outcome)
            })
            .await?;
        Ok(run_id)
    }
}
