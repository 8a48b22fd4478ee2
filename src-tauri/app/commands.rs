//! Tauri commands: each takes its named arguments, calls one core function and maps the error to
//! the stable `{code, message}` the UI matches on. No logic lives here.

use cremmy_core::crm::Date;
use cremmy_core::{doctor, HasErrorCode};
use cremmy_protocol::accounts::{
    Account, AppEvent, ConnectRequest, OAuthClientInput, OAuthClientSetup,
};
use cremmy_protocol::crm::*;
use cremmy_protocol::csv::{ColumnMapping, ImportPreview, ImportResult};
use cremmy_protocol::mail::{DraftTemplate, RenderedEmail, SendEmailInput, SentEmail};
use cremmy_protocol::sync::{
    LeadSheet, SheetsExport, SyncRequest, SyncRun, SyncRunQuery, SyncTrigger,
};
use cremmy_protocol::Provider;
use cremmy_protocol::{ApiError, DatabaseStatus, DoctorReport};
use tauri::State;

use crate::desktop::Backend;

type Reply<T> = Result<T, ApiError>;

fn api<E: HasErrorCode>(e: E) -> ApiError {
    e.to_api_error()
}

#[tauri::command]
pub async fn app_status(b: State<'_, Backend>) -> Reply<DatabaseStatus> {
    b.opened()?.crm.database().status().await.map_err(api)
}

#[tauri::command]
pub async fn doctor(b: State<'_, Backend>) -> Reply<DoctorReport> {
    let o = b.opened()?;
    doctor::report(
        env!("CARGO_PKG_VERSION"),
        o.crm.database(),
        &o.endpoints,
        &o.accounts,
    )
    .await
    .map_err(api)
}

#[tauri::command]
pub async fn list_clients(b: State<'_, Backend>, query: ClientQuery) -> Reply<ClientList> {
    b.opened()?.crm.list_clients(&query).await.map_err(api)
}

#[tauri::command]
pub async fn client_page(b: State<'_, Backend>, id: Id) -> Reply<ClientPage> {
    b.opened()?.crm.client_page(id).await.map_err(api)
}

/// The folder (if the setting asks for one) follows in the core (`follow_ups`).
#[tauri::command]
pub async fn create_client(b: State<'_, Backend>, input: ClientInput) -> Reply<Client> {
    b.opened()?.crm.create_client(&input).await.map_err(api)
}

#[tauri::command]
pub async fn update_client(b: State<'_, Backend>, id: Id, input: ClientInput) -> Reply<Client> {
    b.opened()?.crm.update_client(id, &input).await.map_err(api)
}

#[tauri::command]
pub async fn set_client_archived(b: State<'_, Backend>, id: Id, archived: bool) -> Reply<Client> {
    b.opened()?
        .crm
        .set_client_archived(id, archived)
        .await
        .map_err(api)
}

#[tauri::command]
pub async fn tags(b: State<'_, Backend>) -> Reply<Vec<String>> {
    b.opened()?.crm.tags().await.map_err(api)
}

#[tauri::command]
pub async fn create_contact(b: State<'_, Backend>, input: ContactInput) -> Reply<Contact> {
    b.opened()?.crm.create_contact(&input).await.map_err(api)
}

#[tauri::command]
pub async fn update_contact(b: State<'_, Backend>, id: Id, input: ContactInput) -> Reply<Contact> {
    b.opened()?
        .crm
        .update_contact(id, &input)
        .await
        .map_err(api)
}

#[tauri::command]
pub async fn stages(b: State<'_, Backend>) -> Reply<Vec<Stage>> {
    b.opened()?.crm.stages().await.map_err(api)
}

#[tauri::command]
pub async fn create_stage(b: State<'_, Backend>, name: String, kind: StageKind) -> Reply<Stage> {
    b.opened()?.crm.create_stage(&name, kind).await.map_err(api)
}

#[tauri::command]
pub async fn rename_stage(b: State<'_, Backend>, id: Id, name: String) -> Reply<Stage> {
    b.opened()?.crm.rename_stage(id, &name).await.map_err(api)
}

#[tauri::command]
pub async fn reorder_stages(b: State<'_, Backend>, ids: Vec<Id>) -> Reply<Vec<Stage>> {
    b.opened()?.crm.reorder_stages(&ids).await.map_err(api)
}

#[tauri::command]
pub async fn delete_stage(b: State<'_, Backend>, id: Id) -> Reply<()> {
    b.opened()?.crm.delete_stage(id).await.map_err(api)
}

#[tauri::command]
pub async fn board(b: State<'_, Backend>) -> Reply<Board> {
    b.opened()?.crm.board(0).await.map_err(api)
}

#[tauri::command]
pub async fn stage_deals(b: State<'_, Backend>, id: Id, offset: i64) -> Reply<Vec<Deal>> {
    b.opened()?
        .crm
        .stage_deals(id, offset, 50)
        .await
        .map_err(api)
}

#[tauri::command]
pub async fn create_deal(b: State<'_, Backend>, input: DealInput) -> Reply<Deal> {
    b.opened()?.crm.create_deal(&input).await.map_err(api)
}

/// Entering the drafting stage writes the proposal draft in the core (`follow_ups`).
#[tauri::command]
pub async fn move_deal(b: State<'_, Backend>, input: DealMove) -> Reply<Deal> {
    b.opened()?.crm.move_deal(input).await.map_err(api)
}

#[tauri::command]
pub async fn log_note(b: State<'_, Backend>, input: NoteInput) -> Reply<Activity> {
    b.opened()?.crm.log_note(&input).await.map_err(api)
}

#[tauri::command]
pub async fn timeline(
    b: State<'_, Backend>,
    id: Id,
    after: Option<TimelineCursor>,
) -> Reply<TimelinePage> {
    b.opened()?.crm.timeline(id, after, 0).await.map_err(api)
}

#[tauri::command]
pub async fn task_board(b: State<'_, Backend>, today: String) -> Reply<TaskBoard> {
    b.opened()?.crm.task_board(&today).await.map_err(api)
}

#[tauri::command]
pub async fn create_task(b: State<'_, Backend>, input: TaskInput) -> Reply<Task> {
    b.opened()?.crm.create_task(&input).await.map_err(api)
}

#[tauri::command]
pub async fn set_task_done(b: State<'_, Backend>, id: Id, done: bool) -> Reply<Task> {
    b.opened()?.crm.set_task_done(id, done).await.map_err(api)
}

/// Edits a task; if it is on the calendar and its time moved, the event follows (`follow_ups`).
#[tauri::command]
pub async fn update_task(b: State<'_, Backend>, id: Id, input: TaskInput) -> Reply<Task> {
    b.opened()?.crm.update_task(id, &input).await.map_err(api)
}

/// "Add to calendar" on a task with a due time, in the user's IANA time zone.
#[tauri::command]
pub async fn add_task_to_calendar(b: State<'_, Backend>, id: Id, time_zone: String) -> Reply<()> {
    b.opened()?
        .sync
        .add_task_to_calendar(id, &time_zone)
        .await
        .map_err(api)
}

#[tauri::command]
pub async fn search(b: State<'_, Backend>, text: String) -> Reply<Vec<SearchHit>> {
    b.opened()?.crm.search(&text, 0).await.map_err(api)
}

#[tauri::command]
pub async fn load_demo(b: State<'_, Backend>, today: String) -> Reply<u64> {
    let today = Date::parse("today", &today).map_err(api)?;
    b.opened()?.crm.load_demo(today).await.map_err(api)
}

#[tauri::command]
pub async fn preview_import(
    b: State<'_, Backend>,
    csv: String,
    mapping: Option<Vec<ColumnMapping>>,
) -> Reply<ImportPreview> {
    b.opened()?
        .crm
        .preview_import(csv.as_bytes(), mapping.as_deref())
        .await
        .map_err(api)
}

#[tauri::command]
pub async fn commit_import(
    b: State<'_, Backend>,
    csv: String,
    mapping: Option<Vec<ColumnMapping>>,
) -> Reply<ImportResult> {
    b.opened()?
        .crm
        .commit_import(csv.as_bytes(), mapping.as_deref())
        .await
        .map_err(api)
}

#[tauri::command]
pub async fn settings(b: State<'_, Backend>) -> Reply<AppSettings> {
    b.opened()?.crm.settings().await.map_err(api)
}

#[tauri::command]
pub async fn set_sync_interval(b: State<'_, Backend>, minutes: u32) -> Reply<AppSettings> {
    let o = b.opened()?;
    let settings = o.crm.set_sync_interval(minutes).await.map_err(api)?;
    o.engine
        .send(cremmy_core::engine::EngineCommand::SettingsChanged);
    Ok(settings)
}

#[tauri::command]
pub async fn set_task_calendar(
    b: State<'_, Backend>,
    account_id: Option<i64>,
) -> Reply<AppSettings> {
    b.opened()?
        .crm
        .set_task_calendar(account_id)
        .await
        .map_err(api)
}

/// Every command handler, registered in one place (desktop.rs).
#[tauri::command]
pub async fn accounts(b: State<'_, Backend>) -> Reply<Vec<Account>> {
    b.opened()?.accounts.list().await.map_err(api)
}

/// Signs in through the system browser and the provider's redirect (waits for the user).
#[tauri::command]
pub async fn connect_account(b: State<'_, Backend>, request: ConnectRequest) -> Reply<Account> {
    b.opened()?
        .accounts
        .connect(
            &request,
            crate::browser::open,
            crate::browser::SIGN_IN_TIMEOUT,
        )
        .await
        .map_err(api)
}

#[tauri::command]
pub async fn disconnect_account(b: State<'_, Backend>, id: Id) -> Reply<Account> {
    b.opened()?.accounts.disconnect(id).await.map_err(api)
}

#[tauri::command]
pub async fn oauth_client(b: State<'_, Backend>, provider: Provider) -> Reply<OAuthClientSetup> {
    b.opened()?
        .accounts
        .oauth_client_setup(provider)
        .await
        .map_err(api)
}

#[tauri::command]
pub async fn save_oauth_client(
    b: State<'_, Backend>,
    input: OAuthClientInput,
) -> Reply<OAuthClientSetup> {
    b.opened()?
        .accounts
        .save_oauth_client(&input)
        .await
        .map_err(api)
}

/// The window subscribes to backend events (opened links, finished sign-ins).
#[tauri::command]
pub async fn app_events(
    events: State<'_, crate::links::WindowEvents>,
    on_event: tauri::ipc::Channel<AppEvent>,
) -> Reply<()> {
    events.subscribe(on_event);
    Ok(())
}

/// Checks that an account still works (a refused grant turns it to "needs reauth").
#[tauri::command]
pub async fn check_account(b: State<'_, Backend>, id: Id) -> Reply<Account> {
    b.opened()?.accounts.check(id).await.map_err(api)
}

/// "Sync now": one run per connected account; the runs come back for the card and the toast.
#[tauri::command]
pub async fn sync_now(b: State<'_, Backend>, request: SyncRequest) -> Reply<Vec<SyncRun>> {
    b.opened()?
        .sync
        .sync_now(&request, SyncTrigger::Manual)
        .await
        .map_err(api)
}

#[tauri::command]
pub async fn sync_runs(b: State<'_, Backend>, query: SyncRunQuery) -> Reply<Vec<SyncRun>> {
    b.opened()?.sync.runs(&query).await.map_err(api)
}

/// "Export to Sheets" on the board.
#[tauri::command]
pub async fn export_sheets(b: State<'_, Backend>) -> Reply<SheetsExport> {
    b.opened()?
        .sync
        .export_sheets(SyncTrigger::Manual)
        .await
        .map_err(api)
}

/// "Create Drive folder" on the client page.
#[tauri::command]
pub async fn create_client_folder(b: State<'_, Backend>, client_id: Id) -> Reply<ClientFolder> {
    b.opened()?
        .sync
        .client_folder(client_id, SyncTrigger::Manual)
        .await
        .map_err(api)
}

/// The composer's "Template": the proposal template filled in for this contact.
#[tauri::command]
pub async fn render_email_template(
    b: State<'_, Backend>,
    contact_id: Id,
    deal_id: Option<Id>,
) -> Reply<RenderedEmail> {
    b.opened()?
        .sync
        .render_email_template(contact_id, deal_id)
        .await
        .map_err(api)
}

#[tauri::command]
pub async fn draft_template(b: State<'_, Backend>) -> Reply<DraftTemplate> {
    b.opened()?.sync.draft_template().await.map_err(api)
}

#[tauri::command]
pub async fn save_draft_template(
    b: State<'_, Backend>,
    input: DraftTemplate,
) -> Reply<DraftTemplate> {
    b.opened()?
        .sync
        .save_draft_template(&input)
        .await
        .map_err(api)
}

#[tauri::command]
pub async fn lead_sheet(b: State<'_, Backend>) -> Reply<Option<LeadSheet>> {
    b.opened()?.sync.lead_sheet().await.map_err(api)
}

/// Sets the Leads sheet read on each sync (an empty link turns it off).
#[tauri::command]
pub async fn set_lead_sheet(b: State<'_, Backend>, input: LeadSheet) -> Reply<Option<LeadSheet>> {
    b.opened()?.sync.set_lead_sheet(&input).await.map_err(api)
}

/// "Send email" / "Reply" on the client page.
#[tauri::command]
pub async fn send_email(b: State<'_, Backend>, input: SendEmailInput) -> Reply<SentEmail> {
    b.opened()?
        .sync
        .send_email(&input, SyncTrigger::Manual)
        .await
        .map_err(api)
}

/// Opens a document or spreadsheet Cremmy made in the system browser (provider pages only).
#[tauri::command]
pub async fn open_provider_page(b: State<'_, Backend>, url: String) -> Reply<()> {
    if !b.opened()?.endpoints.is_provider_page(&url) {
        return Err(ApiError {
            code: cremmy_protocol::ErrorCode::InvalidInput,
            message:
                "Cremmy only opens Google Docs, Sheets and Drive pages and meetings' video calls."
                    .into(),
        });
    }
    crate::browser::open(&url).map_err(|message| ApiError {
        code: cremmy_protocol::ErrorCode::Internal,
        message,
    })
}

#[macro_export]
macro_rules! all_commands {
    () => {
        tauri::generate_handler![
            commands::app_status,
            commands::doctor,
            commands::list_clients,
            commands::client_page,
            commands::create_client,
            commands::update_client,
            commands::set_client_archived,
            commands::tags,
            commands::create_contact,
            commands::update_contact,
            commands::stages,
            commands::create_stage,
            commands::rename_stage,
            commands::reorder_stages,
            commands::delete_stage,
            commands::board,
            commands::stage_deals,
            commands::create_deal,
            commands::move_deal,
            commands::log_note,
            commands::timeline,
            commands::task_board,
            commands::create_task,
            commands::set_task_done,
            commands::update_task,
            commands::add_task_to_calendar,
            commands::search,
            commands::load_demo,
            commands::preview_import,
            commands::commit_import,
            commands::settings,
            commands::set_sync_interval,
            commands::set_task_calendar,
            commands::accounts,
            commands::connect_account,
            commands::disconnect_account,
            commands::oauth_client,
            commands::save_oauth_client,
            commands::app_events,
            commands::check_account,
            commands::sync_now,
            commands::sync_runs,
            commands::export_sheets,
            commands::open_provider_page,
            commands::create_client_folder,
            commands::send_email,
            commands::draft_template,
            commands::render_email_template,
            commands::save_draft_template,
            commands::lead_sheet,
            commands::set_lead_sheet,
            documents_commands::doc_templates,
            documents_commands::set_doc_templates,
            documents_commands::create_doc_template,
            documents_commands::copy_doc_template,
            documents_commands::upload_doc_template,
            documents_commands::preview_document,
            documents_commands::generate_document,
            desktop_commands::engine_status,
            desktop_commands::set_sync_paused,
            desktop_commands::jobs,
            desktop_commands::retry_job,
            desktop_commands::desktop_state,
            desktop_commands::set_desktop_settings,
            desktop_commands::window_ready,
            desktop_commands::backup_now,
            desktop_commands::list_backups,
            desktop_commands::restore_backup,
            desktop_commands::export_everything,
            desktop_commands::restart_app,
            texting_commands::connect_with_key,
            texting_commands::texting_setup,
            texting_commands::save_texting_settings,
            texting_commands::text_preview,
            texting_commands::send_text,
            texting_commands::client_texts,
            texting_commands::unmatched_texts,
            texting_commands::attach_text,
            texting_commands::bulk_text_preview,
            texting_commands::start_bulk_text,
            texting_commands::bulk_text_progress,
            texting_commands::text_templates,
            texting_commands::contact_opt_outs,
            texting_commands::attach_text_to_new_contact,
            report_commands::money_settings,
            report_commands::set_home_currency,
            report_commands::set_exchange_rate,
            report_commands::set_stage_probability,
            report_commands::reports,
            report_commands::export_report,
            report_commands::today,
            report_commands::set_today_settings,
            clients_commands::edit_clients,
            clients_commands::export_clients,
            clients_commands::saved_filters,
            clients_commands::save_filter,
            clients_commands::delete_filter,
            clients_commands::client_score,
            clients_commands::score_settings,
            clients_commands::set_score_settings,
            automation_commands::webhook_endpoints,
            automation_commands::create_webhook_endpoint,
            automation_commands::update_webhook_endpoint,
            automation_commands::delete_webhook_endpoint,
            automation_commands::rotate_webhook_secret,
            automation_commands::webhook_attempts,
            automation_commands::send_test_webhook,
            automation_commands::redeliver_webhook,
            automation_commands::automation_rules,
            automation_commands::create_rule,
            automation_commands::update_rule,
            automation_commands::delete_rule,
            automation_commands::rule_runs,
            automation_commands::dry_run_rule,
            payments_commands::connect_payments,
            payments_commands::client_payments,
            payments_commands::create_invoice,
            payments_commands::create_payment_link,
            payments_commands::overdue_invoices,
            payments_commands::accounting_organisations,
            payments_commands::choose_accounting_organisation,
            payments_commands::push_clients,
            crm_sync_commands::connect_crm,
            crm_sync_commands::crm_import_preview,
            crm_sync_commands::crm_import,
            crm_sync_commands::crm_sync_settings,
            crm_sync_commands::set_crm_sync_settings,
            crm_sync_commands::crm_conflicts
        ]
    };
}
