//! The bodies of the outbox's jobs: export the pipeline, make a client's folder, send mail,
//! write a proposal draft, generate a document, put a task on the calendar. Each attempt is one
//! logged run through the provider of the first account that granted the feature.

use cremmy_protocol::accounts::Feature;
use cremmy_protocol::crm::ClientFolder;
use cremmy_protocol::docs::{DocRequest, GeneratedDoc};
use cremmy_protocol::mail::{SendEmailInput, SentEmail};
use cremmy_protocol::sync::SheetsExport;

use super::log::{RunOutcome, RunSpec};
use super::outbox::{JobRun, OutboxJob};
use super::{able, SyncError, SyncResult, SyncRunner};
use crate::features::client_folder::{ensure_client_folder, FolderRun};
use crate::features::doc_templates;
use crate::features::mail::drafts::{self, Drafted};
use crate::features::mail::send::{job_message_id, send_email, SendAttempt};
use crate::features::pipeline_export::export_pipeline;
use crate::features::task_calendar;
use crate::providers::registry::Capability;
use crate::providers::Providers;
use cremmy_protocol::kinds::{JobKind, RunKind};
use serde::{Deserialize, Serialize};

/// "Export to Sheets": the pipeline into the "Pipeline Dump" spreadsheet of the first connected
/// Google account with Sheets access; logged as a run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct ExportSheetsJob {}

impl OutboxJob for ExportSheetsJob {
    const KIND: JobKind = JobKind::ExportSheets;
    type Done = SheetsExport;

    async fn run(&self, runner: &SyncRunner, job: &mut JobRun) -> SyncResult<SheetsExport> {
        let trigger = job.trigger;
        let account = runner.account_with(Feature::Sheets).await?;
        let spec = RunSpec {
            account_id: Some(account.id),
            integration: Providers::product(account.provider, Capability::SpreadsheetSink).key,
            kind: RunKind::Export,
            trigger,
        };
        let session = runner.session(&account, Feature::Sheets)?;
        let sheets = able(session.spreadsheets(), Feature::Sheets)?;
        let (_, result) = runner
            .logged(spec, async {
                let result = export_pipeline(
                    &runner.db,
                    &sheets,
                    account.id,
                    runner.clock.now(),
                    job.maybe_done_before(),
                )
                .await;
                job.retry_after = session.retry_after();
                let deals = result.as_ref().map_or(0, |r| i64::from(r.deals));
                (result, RunOutcome::made(deals, session.calls()))
            })
            .await?;
        let done = result?;
        Ok(SheetsExport {
            spreadsheet_id: done.spreadsheet_id,
            url: done.url,
            deals: i64::from(done.deals),
            created_new: done.created_new,
            account_email: account.email,
        })
    }
}

/// The client's Drive folder (`Cremmy CRM/Clients/<name>`), found or made in the first
/// connected Google account with Drive access; logged as a run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct ClientFolderJob {
    pub client_id: i64,
}

impl OutboxJob for ClientFolderJob {
    const KIND: JobKind = JobKind::ClientFolder;
    type Done = ClientFolder;

    async fn run(&self, runner: &SyncRunner, job: &mut JobRun) -> SyncResult<ClientFolder> {
        let client_id = self.client_id;
        let trigger = job.trigger;
        let account = runner.account_with(Feature::Drive).await?;
        let _one_at_a_time = runner.folders.lock().await;
        let spec = RunSpec {
            account_id: Some(account.id),
            integration: Providers::product(account.provider, Capability::FolderTree).key,
            kind: RunKind::Folder,
            trigger,
        };
        let session = runner.session(&account, Feature::Drive)?;
        let folders = able(session.folders(), Feature::Drive)?;
        let (_, result) = runner
            .logged(spec, async {
                let mut run = FolderRun::default();
                let result = ensure_client_folder(
                    &runner.db,
                    &folders,
                    account.id,
                    client_id,
                    runner.clock.now(),
                    &mut run,
                )
                .await;
                job.retry_after = session.retry_after();
                let outcome = RunOutcome {
                    skipped: run.trashed,
                    ..RunOutcome::made(run.created, session.calls())
                };
                (result, outcome)
            })
            .await?;
        Ok(result?)
    }
}

/// "Send email": from the account chosen (or the one holding the mail a reply answers, or the
/// first allowed to send), recorded as a tracked outgoing activity; logged as a run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct SendEmailJob {
    pub input: SendEmailInput,
}

impl OutboxJob for SendEmailJob {
    const KIND: JobKind = JobKind::SendEmail;
    type Done = SentEmail;

    async fn run(&self, runner: &SyncRunner, job: &mut JobRun) -> SyncResult<SentEmail> {
        let input = &self.input;
        let trigger = job.trigger;
        let account = runner.sender(input.from_account, input.reply_to).await?;
        let spec = RunSpec {
            account_id: Some(account.id),
            integration: Providers::product(account.provider, Capability::MailOutbox).key,
            kind: RunKind::Send,
            trigger,
        };
        let session = runner.session(&account, Feature::MailSend)?;
        let can_read = account.features.contains(&Feature::MailIngest);
        let outbox = able(session.outbox(&account.email, can_read), Feature::MailSend)?;
        let (_, result) = runner
            .logged(spec, async {
                let attempt = SendAttempt {
                    message_id: job_message_id(&account.email, &job.key),
                    maybe_sent: job.maybe_done_before(),
                };
                let now = runner.clock.now();
                let result =
                    send_email(&runner.db, &outbox, account.id, input, now, &attempt).await;
                job.retry_after = session.retry_after();
                let outcome = RunOutcome::of_job(&result, session.calls());
                (result, outcome)
            })
            .await?;
        Ok(result?)
    }
}

/// "Generate proposal/contract": into the client's Drive folder (made if needed); logged.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct GenerateDocJob {
    pub request: DocRequest,
}

impl OutboxJob for GenerateDocJob {
    const KIND: JobKind = JobKind::GenerateDoc;
    type Done = GeneratedDoc;

    async fn run(&self, runner: &SyncRunner, job: &mut JobRun) -> SyncResult<GeneratedDoc> {
        let request = &self.request;
        let account = runner.account_with(Feature::Docs).await?;
        let spec = RunSpec {
            account_id: Some(account.id),
            integration: Providers::product(account.provider, Capability::DocStore).key,
            kind: RunKind::Generate,
            trigger: job.trigger,
        };
        let crm = &runner.crm;
        let session = runner.session(&account, Feature::Docs)?;
        let tree = able(session.folders(), Feature::Drive)?;
        let documents = able(session.documents(), Feature::Docs)?;
        let (_, result) = runner
            .logged(spec, async {
                let mut folders = FolderRun::default();
                let result = async {
                    let folder = {
                        let _one_at_a_time = runner.folders.lock().await;
                        ensure_client_folder(
                            &runner.db,
                            &tree,
                            account.id,
                            request.client_id,
                            runner.clock.now(),
                            &mut folders,
                        )
                        .await?
                    };
                    let document = doc_templates::generate(
                        crm,
                        &documents,
                        request,
                        &folder.folder_id,
                        runner.clock.now(),
                    )
                    .await?;
                    Ok::<_, SyncError>(GeneratedDoc {
                        document,
                        folder_url: folder.url,
                    })
                }
                .await;
                job.retry_after = session.retry_after();
                let outcome = RunOutcome::of_job(&result, session.calls());
                (result, outcome)
            })
            .await?;
        result
    }
}

/// The draft job's body: `None` if the deal no longer needs a draft.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct DealDraftJob {
    pub deal_id: i64,
}

impl OutboxJob for DealDraftJob {
    const KIND: JobKind = JobKind::DealDraft;
    type Done = Option<Drafted>;

    async fn run(&self, runner: &SyncRunner, job: &mut JobRun) -> SyncResult<Option<Drafted>> {
        let deal_id = self.deal_id;
        let Some(due) = drafts::due(&runner.db, deal_id, runner.clock.now()).await? else {
            return Ok(None);
        };
        let account = runner.account_with(Feature::MailSend).await?;
        let spec = RunSpec {
            account_id: Some(account.id),
            integration: Providers::product(account.provider, Capability::MailOutbox).key,
            kind: RunKind::Draft,
            trigger: job.trigger,
        };
        let session = runner.session(&account, Feature::MailSend)?;
        let can_read = account.features.contains(&Feature::MailIngest);
        let outbox = able(session.outbox(&account.email, can_read), Feature::MailSend)?;
        let (_, result) = runner
            .logged(spec, async {
                let result = drafts::create(
                    &runner.db,
                    &outbox,
                    account.id,
                    &due,
                    runner.clock.now(),
                    &job_message_id(&account.email, &job.key),
                    job.maybe_done_before(),
                )
                .await;
                job.retry_after = session.retry_after();
                let outcome = RunOutcome::of_job(&result, session.calls());
                (result, outcome)
            })
            .await?;
        Ok(result.map(Some)?)
    }
}

/// An automation rule's email, saved as a draft in the first account allowed to write mail (the
/// same Message-ID on every attempt, so a crash never makes two); logged as a draft run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct EmailDraftJob {
    pub draft: drafts::EmailDraft,
}

impl OutboxJob for EmailDraftJob {
    const KIND: JobKind = JobKind::EmailDraft;
    type Done = Drafted;

    async fn run(&self, runner: &SyncRunner, job: &mut JobRun) -> SyncResult<Drafted> {
        let account = runner.account_with(Feature::MailSend).await?;
        let spec = RunSpec {
            account_id: Some(account.id),
            integration: Providers::product(account.provider, Capability::MailOutbox).key,
            kind: RunKind::Draft,
            trigger: job.trigger,
        };
        let session = runner.session(&account, Feature::MailSend)?;
        let can_read = account.features.contains(&Feature::MailIngest);
        let outbox = able(session.outbox(&account.email, can_read), Feature::MailSend)?;
        let (_, result) = runner
            .logged(spec, async {
                let result = drafts::create_email(
                    &runner.db,
                    &outbox,
                    &self.draft,
                    runner.clock.now(),
                    &job_message_id(&account.email, &job.key),
                    job.maybe_done_before(),
                )
                .await;
                job.retry_after = session.retry_after();
                let outcome = RunOutcome::of_job(&result, session.calls());
                (result, outcome)
            })
            .await?;
        Ok(result?)
    }
}

/// The calendar job's body: the task's event written to the calendar chosen for tasks, else the
/// first account with Calendar access (the one it is on, when it is on one).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct TaskEventJob {
    pub task_id: i64,
    pub time_zone: String,
}

impl OutboxJob for TaskEventJob {
    const KIND: JobKind = JobKind::TaskEvent;
    type Done = ();

    async fn run(&self, runner: &SyncRunner, job: &mut JobRun) -> SyncResult<()> {
        let (task_id, zone) = (self.task_id, self.time_zone.as_str());
        let on = task_calendar::on_calendar(&runner.db, task_id)
            .await?
            .map(|(link, _)| link.account_id);
        let account = match on {
            Some(account_id) => runner.account(account_id).await?,
            None => runner.task_calendar().await?,
        };
        let account_id = account.id;
        let spec = RunSpec {
            account_id: Some(account_id),
            integration: Providers::product(account.provider, Capability::CalendarWriter).key,
            kind: RunKind::Task,
            trigger: job.trigger,
        };
        let session = runner.session(&account, Feature::Calendar)?;
        let calendar = able(session.calendar(), Feature::Calendar)?;
        let (_, result) = runner
            .logged(spec, async {
                let result = task_calendar::add(
                    &runner.db,
                    &calendar,
                    account_id,
                    task_id,
                    zone,
                    runner.clock.now(),
                    &job.key,
                )
                .await
                .map(|_| ());
                job.retry_after = session.retry_after();
                let outcome = RunOutcome::of_job(&result, session.calls());
                (result, outcome)
            })
            .await?;
        Ok(result?)
    }
}
