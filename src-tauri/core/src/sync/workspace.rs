//! What Cremmy does in the user's Google Workspace on request (not a sync): the bodies of the
//! outbox's jobs (export the pipeline, make a client's Drive folder, send mail, write proposal
//! drafts, generate documents, put tasks on the calendar), and the Leads sheet read on each sync.
//! Each attempt is logged as a run like a sync.

use cremmy_protocol::accounts::Feature;
use cremmy_protocol::crm::{ClientFolder, CrmEvent};
use cremmy_protocol::docs::{DocPreview, DocRequest, DocTemplates, GeneratedDoc};
use cremmy_protocol::mail::{DraftTemplate, RenderedEmail, SendEmailInput, SentEmail};
use cremmy_protocol::sync::{LeadSheet, SheetsExport, SyncTrigger};

use super::log::{RunOutcome, RunSpec};
use super::outbox::{expect_drafted, expect_folder, JobRun};
use super::{SyncError, SyncResult, SyncRunner};
use crate::client_folder::{ensure_client_folder, FolderRun};
use crate::doc_templates;
use crate::file_links::FileLinks;
use crate::jobs::JobSpec;
use crate::leads::{self, LeadRun};
use crate::mail::drafts::{self, Drafted};
use crate::mail::send::{job_message_id, send_email, SendAttempt};
use crate::pipeline_export::export_pipeline;
use crate::providers::registry::Capability;
use crate::providers::Providers;
use crate::task_calendar;
use cremmy_protocol::kinds::{Integration, JobKind, RunKind};

impl SyncRunner {
    /// "Export to Sheets": the pipeline into the "Pipeline Dump" spreadsheet of the first connected
    /// Google account with Sheets access; logged as a run.
    pub(super) async fn do_export_sheets(&self, job: &mut JobRun) -> SyncResult<SheetsExport> {
        let trigger = job.trigger;
        let account = self.account_with(Feature::Sheets).await?;
        let spec = RunSpec {
            account_id: Some(account.id),
            integration: Providers::service(account.provider, Capability::SpreadsheetSink).key,
            kind: RunKind::Export,
            trigger,
        };
        let session = self.session(&account, Feature::Sheets)?;
        let (_, result) = self
            .logged(spec, async {
                let result = export_pipeline(
                    &self.db,
                    &session.spreadsheets(),
                    account.id,
                    self.clock.now(),
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

    /// The client's Drive folder (`Cremmy CRM/Clients/<name>`), found or made in the first
    /// connected Google account with Drive access; logged as a run.
    pub(super) async fn do_client_folder(
        &self,
        client_id: i64,
        job: &mut JobRun,
    ) -> SyncResult<ClientFolder> {
        let trigger = job.trigger;
        let account = self.account_with(Feature::Drive).await?;
        let _one_at_a_time = self.folders.lock().await;
        let spec = RunSpec {
            account_id: Some(account.id),
            integration: Providers::service(account.provider, Capability::FolderTree).key,
            kind: RunKind::Folder,
            trigger,
        };
        let session = self.session(&account, Feature::Drive)?;
        let (_, result) = self
            .logged(spec, async {
                let mut run = FolderRun::default();
                let result = ensure_client_folder(
                    &self.db,
                    &session.folders(),
                    account.id,
                    client_id,
                    self.clock.now(),
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
        result
    }

    /// "Send email": from the first connected Google account allowed to send, recorded as a tracked
    /// outgoing activity; logged as a run.
    pub(super) async fn do_send_email(
        &self,
        input: &SendEmailInput,
        job: &mut JobRun,
    ) -> SyncResult<SentEmail> {
        let trigger = job.trigger;
        let account = self.account_with(Feature::MailSend).await?;
        let spec = RunSpec {
            account_id: Some(account.id),
            integration: Providers::service(account.provider, Capability::MailOutbox).key,
            kind: RunKind::Send,
            trigger,
        };
        let session = self.session(&account, Feature::MailSend)?;
        let (_, result) = self
            .logged(spec, async {
                let can_read = account.features.contains(&Feature::MailIngest);
                let outbox = session.mailbox(&account.email, can_read);
                let attempt = SendAttempt {
                    message_id: job_message_id(&account.email, &job.key),
                    maybe_sent: job.maybe_done_before(),
                };
                let now = self.clock.now();
                let result = send_email(&self.db, &outbox, account.id, input, now, &attempt).await;
                job.retry_after = session.retry_after();
                let outcome = RunOutcome::of_job(&result, session.calls());
                (result, outcome)
            })
            .await?;
        result
    }

    pub async fn doc_templates(&self) -> SyncResult<DocTemplates> {
        Ok(doc_templates::configured(&self.db).await?)
    }

    pub async fn set_doc_templates(&self, t: &DocTemplates) -> SyncResult<DocTemplates> {
        let links = file_links(Capability::DocStore)?;
        doc_templates::configure(&self.db, t, links, self.clock.now()).await
    }

    /// What the template asks for, before "Generate".
    pub async fn preview_document(&self, request: &DocRequest) -> SyncResult<DocPreview> {
        let account = self.account_with(Feature::Docs).await?;
        let session = self.session(&account, Feature::Docs)?;
        doc_templates::preview(&self.crm, &session.documents(), request, self.clock.now()).await
    }

    /// "Generate proposal/contract": into the client's Drive folder (made if needed); logged.
    pub(super) async fn do_generate_document(
        &self,
        request: &DocRequest,
        job: &mut JobRun,
    ) -> SyncResult<GeneratedDoc> {
        let account = self.account_with(Feature::Docs).await?;
        let spec = RunSpec {
            account_id: Some(account.id),
            integration: Providers::service(account.provider, Capability::DocStore).key,
            kind: RunKind::Generate,
            trigger: job.trigger,
        };
        let crm = &self.crm;
        let session = self.session(&account, Feature::Docs)?;
        let (_, result) = self
            .logged(spec, async {
                let mut folders = FolderRun::default();
                let result = async {
                    let folder = {
                        let _one_at_a_time = self.folders.lock().await;
                        ensure_client_folder(
                            &self.db,
                            &session.folders(),
                            account.id,
                            request.client_id,
                            self.clock.now(),
                            &mut folders,
                        )
                        .await?
                    };
                    let document = doc_templates::generate(
                        crm,
                        &session.documents(),
                        request,
                        &folder.folder_id,
                        self.clock.now(),
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

    /// The Leads sheet read on each sync, if one is set.
    pub async fn lead_sheet(&self) -> SyncResult<Option<LeadSheet>> {
        Ok(leads::configured(&self.db).await?)
    }

    /// Sets the Leads sheet (a link or an id); an empty link turns lead ingest off.
    pub async fn set_lead_sheet(&self, sheet: &LeadSheet) -> SyncResult<Option<LeadSheet>> {
        let links = file_links(Capability::SheetTable)?;
        leads::configure(&self.db, sheet, links, self.clock.now()).await
    }

    /// One pass over the Leads sheet with the first account allowed to use Sheets; logged as a
    /// run (a missing account is a failed run, so the user sees why nothing is imported).
    pub(super) async fn sync_leads(
        &self,
        sheet: &LeadSheet,
        trigger: SyncTrigger,
    ) -> SyncResult<i64> {
        let account = self.account_with(Feature::Sheets).await;
        let spec = RunSpec {
            account_id: account.as_ref().ok().map(|a| a.id),
            integration: account.as_ref().map_or(Integration::Sheets, |a| {
                Providers::service(a.provider, Capability::SheetTable).key
            }),
            kind: RunKind::Leads,
            trigger,
        };
        let (run_id, _) = self
            .logged(spec, async {
                let session = match account.and_then(|a| self.session(&a, Feature::Sheets)) {
                    Ok(session) => session,
                    Err(e) => return (Err(e), RunOutcome::default()),
                };
                let mut run = LeadRun::default();
                let sheets = session.spreadsheets();
                let result =
                    leads::ingest(&self.db, &sheets, sheet, self.clock.now(), &mut run).await;
                for &client_id in &run.made_clients {
                    let at = self.clock.now();
                    self.crm.publish(CrmEvent::ClientCreated { client_id, at });
                }
                let outcome = RunOutcome {
                    fetched: run.rows,
                    skipped: run.skipped + run.errors,
                    ..RunOutcome::made(run.imported, session.calls())
                };
                (result, outcome)
            })
            .await?;
        Ok(run_id)
    }

    /// After a deal moved: if it entered the drafting stage (default Proposal) and has no draft
    /// yet, queues the Gmail draft (one job per deal) and writes it in the background (a template
    /// that cannot be filled leaves a task saying why). `None` when there is nothing to do.
    pub async fn after_deal_moved(
        &self,
        deal_id: i64,
    ) -> Option<tokio::task::JoinHandle<SyncResult<Drafted>>> {
        let due = drafts::due(&self.db, deal_id, self.clock.now())
            .await
            .ok()??;
        self.account_with(Feature::MailSend).await.ok()?;
        let title = format!("Proposal draft for {}", due.deal_title);
        let job = self
            .submit_background(
                JobSpec::DealDraft { deal_id },
                &format!("deal_draft:{deal_id}"),
                &title,
            )
            .await?;
        Some(tokio::spawn(async move {
            let done = job.await.map_err(|e| SyncError::Invalid {
                field: "draft",
                reason: format!("the background task stopped: {e}"),
            })?;
            expect_drafted(done)?.ok_or(SyncError::Invalid {
                field: "draft",
                reason: "the deal no longer needs one".into(),
            })
        }))
    }

    /// The draft job's body: `None` if the deal no longer needs a draft.
    pub(super) async fn do_deal_draft(
        &self,
        deal_id: i64,
        job: &mut JobRun,
    ) -> SyncResult<Option<Drafted>> {
        let Some(due) = drafts::due(&self.db, deal_id, self.clock.now()).await? else {
            return Ok(None);
        };
        let account = self.account_with(Feature::MailSend).await?;
        let spec = RunSpec {
            account_id: Some(account.id),
            integration: Providers::service(account.provider, Capability::MailOutbox).key,
            kind: RunKind::Draft,
            trigger: job.trigger,
        };
        let session = self.session(&account, Feature::MailSend)?;
        let (_, result) = self
            .logged(spec, async {
                let can_read = account.features.contains(&Feature::MailIngest);
                let outbox = session.mailbox(&account.email, can_read);
                let result = drafts::create(
                    &self.db,
                    &outbox,
                    account.id,
                    &due,
                    self.clock.now(),
                    &job_message_id(&account.email, &job.key),
                    job.maybe_done_before(),
                )
                .await;
                job.retry_after = session.retry_after();
                let outcome = RunOutcome::of_job(&result, session.calls());
                (result, outcome)
            })
            .await?;
        result.map(Some)
    }

    /// The proposal template filled in for a contact (the composer's "Template").
    pub async fn render_email_template(
        &self,
        contact_id: i64,
        deal_id: Option<i64>,
    ) -> SyncResult<RenderedEmail> {
        drafts::render_for_contact(&self.db, contact_id, deal_id, self.clock.now()).await
    }

    pub async fn draft_template(&self) -> SyncResult<DraftTemplate> {
        Ok(drafts::template(&self.db).await?)
    }

    pub async fn save_draft_template(&self, t: &DraftTemplate) -> SyncResult<DraftTemplate> {
        drafts::save_template(&self.db, t, self.clock.now()).await
    }

    /// After a client is created: if the user asked for a folder per new client and a Google
    /// account has Drive access, makes it in the background (the run, and any error, goes to the
    /// sync log). Returns the task, or `None` when there is nothing to do (or the settings and
    /// accounts cannot be read, which the next explicit "Create folder" will report).
    pub async fn after_client_created(
        &self,
        client_id: i64,
    ) -> Option<tokio::task::JoinHandle<SyncResult<ClientFolder>>> {
        let wanted = self
            .crm
            .settings()
            .await
            .map(|s| s.client_folder_on_create)
            .unwrap_or(false);
        if !wanted || self.account_with(Feature::Drive).await.is_err() {
            return None;
        }
        let title = format!("Drive folder for {}", self.client_name(client_id).await);
        let key = crate::jobs::new_key(JobKind::ClientFolder, self.clock.now());
        let job = self
            .submit_background(JobSpec::ClientFolder { client_id }, &key, &title)
            .await?;
        Some(tokio::spawn(async move {
            expect_folder(job.await.map_err(|e| SyncError::Invalid {
                field: "folder",
                reason: format!("the background task stopped: {e}"),
            })?)
        }))
    }

    /// After a task changed: if it is on the calendar and its time or title moved, the event
    /// follows in the background. `None` when there is nothing to do.
    pub async fn after_task_changed(
        &self,
        task_id: i64,
    ) -> Option<tokio::task::JoinHandle<SyncResult<()>>> {
        let (_, time_zone) = task_calendar::stale(&self.db, task_id).await.ok()??;
        let key = crate::jobs::new_key(JobKind::TaskEvent, self.clock.now());
        let spec = JobSpec::TaskEvent { task_id, time_zone };
        let job = self
            .submit_background(spec, &key, &format!("Task #{task_id} on the calendar"))
            .await?;
        Some(tokio::spawn(async move {
            job.await
                .map_err(|e| SyncError::Invalid {
                    field: "calendar",
                    reason: format!("the background task stopped: {e}"),
                })?
                .map(|_| ())
        }))
    }

    /// The calendar job's body: the task's event written to the first account with Calendar
    /// access (the one it is on, when it is on one).
    pub(super) async fn do_task_event(
        &self,
        task_id: i64,
        zone: &str,
        job: &mut JobRun,
    ) -> SyncResult<()> {
        let on = task_calendar::on_calendar(&self.db, task_id)
            .await?
            .map(|(link, _)| link.account_id);
        let account = match on {
            Some(account_id) => self.account(account_id).await?,
            None => self.account_with(Feature::Calendar).await?,
        };
        let account_id = account.id;
        let spec = RunSpec {
            account_id: Some(account_id),
            integration: Providers::service(account.provider, Capability::CalendarWriter).key,
            kind: RunKind::Task,
            trigger: job.trigger,
        };
        let session = self.session(&account, Feature::Calendar)?;
        let (_, result) = self
            .logged(spec, async {
                let result = task_calendar::add(
                    &self.db,
                    &session.calendar(),
                    account_id,
                    task_id,
                    zone,
                    self.clock.now(),
                    &job.key,
                )
                .await
                .map(|_| ());
                job.retry_after = session.retry_after();
                let outcome = RunOutcome::of_job(&result, session.calls());
                (result, outcome)
            })
            .await?;
        result
    }
}

/// How the provider that keeps such files reads a pasted link to one.
fn file_links(capability: Capability) -> SyncResult<&'static FileLinks> {
    Providers::file_links_for(capability).ok_or(SyncError::Invalid {
        field: "link",
        reason: "no connected service keeps such files".into(),
    })
}
