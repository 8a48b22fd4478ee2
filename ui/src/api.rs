//! The only place the UI talks to the backend: one typed function per command. Every call returns
//! `Result<T, ApiError>`; a failed IPC call becomes `ErrorCode::Transport`, never a panic.

use cremmy_protocol::commands as cmd;
use cremmy_protocol::crm::*;
use cremmy_protocol::csv::{ColumnMapping, ImportPreview, ImportResult};
use cremmy_protocol::{ApiError, DatabaseStatus, DoctorReport, ErrorCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "core"], js_name = invoke, catch)]
    async fn tauri_invoke(cmd: &str, args: JsValue) -> Result<JsValue, JsValue>;
}

pub type Reply<T> = Result<T, ApiError>;

fn transport_error(detail: impl std::fmt::Debug) -> ApiError {
    ApiError {
        code: ErrorCode::Transport,
        message: format!("The app's backend did not answer as expected: {detail:?}"),
    }
}

async fn call<A: Serialize, T: DeserializeOwned>(command: &str, args: &A) -> Reply<T> {
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    let args = args.serialize(&serializer).map_err(transport_error)?;
    match tauri_invoke(command, args).await {
        Ok(value) => serde_wasm_bindgen::from_value(value).map_err(transport_error),
        Err(error) => Err(serde_wasm_bindgen::from_value::<ApiError>(error.clone())
            .unwrap_or_else(|_| transport_error(error))),
    }
}

mod automation;
mod crm_sync;
mod overview;
mod payments;
mod texting;
pub use automation::*;
pub use crm_sync::*;
pub use overview::*;
pub use payments::*;
pub use texting::*;

#[derive(Serialize)]
struct NoArgs {}
#[derive(Serialize)]
struct IdArg {
    id: Id,
}
#[derive(Serialize)]
struct InputArg<'a, T> {
    input: &'a T,
}

pub async fn app_status() -> Reply<DatabaseStatus> {
    call(cmd::APP_STATUS, &NoArgs {}).await
}
pub async fn doctor() -> Reply<DoctorReport> {
    call(cmd::DOCTOR, &NoArgs {}).await
}

pub async fn list_clients(query: ClientQuery) -> Reply<ClientList> {
    #[derive(Serialize)]
    struct A {
        query: ClientQuery,
    }
    call(cmd::LIST_CLIENTS, &A { query }).await
}
pub async fn client_page(id: Id) -> Reply<ClientPage> {
    call(cmd::CLIENT_PAGE, &IdArg { id }).await
}
pub async fn create_client(input: ClientInput) -> Reply<Client> {
    call(cmd::CREATE_CLIENT, &InputArg { input: &input }).await
}
pub async fn update_client(id: Id, input: ClientInput) -> Reply<Client> {
    #[derive(Serialize)]
    struct A {
        id: Id,
        input: ClientInput,
    }
    call(cmd::UPDATE_CLIENT, &A { id, input }).await
}
pub async fn set_client_archived(id: Id, archived: bool) -> Reply<Client> {
    #[derive(Serialize)]
    struct A {
        id: Id,
        archived: bool,
    }
    call(cmd::SET_CLIENT_ARCHIVED, &A { id, archived }).await
}
pub async fn tags() -> Reply<Vec<String>> {
    call(cmd::TAGS, &NoArgs {}).await
}
pub async fn create_contact(input: ContactInput) -> Reply<Contact> {
    call(cmd::CREATE_CONTACT, &InputArg { input: &input }).await
}

pub async fn stages() -> Reply<Vec<Stage>> {
    call(cmd::STAGES, &NoArgs {}).await
}
pub async fn create_stage(name: String, kind: StageKind) -> Reply<Stage> {
    #[derive(Serialize)]
    struct A {
        name: String,
        kind: StageKind,
    }
    call(cmd::CREATE_STAGE, &A { name, kind }).await
}
pub async fn rename_stage(id: Id, name: String) -> Reply<Stage> {
    #[derive(Serialize)]
    struct A {
        id: Id,
        name: String,
    }
    call(cmd::RENAME_STAGE, &A { id, name }).await
}
pub async fn reorder_stages(ids: Vec<Id>) -> Reply<Vec<Stage>> {
    #[derive(Serialize)]
    struct A {
        ids: Vec<Id>,
    }
    call(cmd::REORDER_STAGES, &A { ids }).await
}
pub async fn delete_stage(id: Id) -> Reply<()> {
    call(cmd::DELETE_STAGE, &IdArg { id }).await
}
pub async fn board() -> Reply<Board> {
    call(cmd::BOARD, &NoArgs {}).await
}
pub async fn create_deal(input: DealInput) -> Reply<Deal> {
    call(cmd::CREATE_DEAL, &InputArg { input: &input }).await
}
pub async fn move_deal(input: DealMove) -> Reply<Deal> {
    call(cmd::MOVE_DEAL, &InputArg { input: &input }).await
}

pub async fn log_note(input: NoteInput) -> Reply<Activity> {
    call(cmd::LOG_NOTE, &InputArg { input: &input }).await
}
pub async fn timeline(id: Id, after: Option<TimelineCursor>) -> Reply<TimelinePage> {
    #[derive(Serialize)]
    struct A {
        id: Id,
        after: Option<TimelineCursor>,
    }
    call(cmd::TIMELINE, &A { id, after }).await
}
pub async fn task_board(today: String) -> Reply<TaskBoard> {
    #[derive(Serialize)]
    struct A {
        today: String,
    }
    call(cmd::TASK_BOARD, &A { today }).await
}
pub async fn create_task(input: TaskInput) -> Reply<Task> {
    call(cmd::CREATE_TASK, &InputArg { input: &input }).await
}
pub async fn set_task_done(id: Id, done: bool) -> Reply<Task> {
    #[derive(Serialize)]
    struct A {
        id: Id,
        done: bool,
    }
    call(cmd::SET_TASK_DONE, &A { id, done }).await
}
pub async fn update_task(id: Id, input: TaskInput) -> Reply<Task> {
    #[derive(Serialize)]
    struct A<'a> {
        id: Id,
        input: &'a TaskInput,
    }
    call(cmd::UPDATE_TASK, &A { id, input: &input }).await
}
/// Puts a task with a due time on the calendar, in this machine's time zone.
pub async fn add_task_to_calendar(id: Id, time_zone: String) -> Reply<()> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct A {
        id: Id,
        time_zone: String,
    }
    call(cmd::ADD_TASK_TO_CALENDAR, &A { id, time_zone }).await
}
pub async fn search(text: String) -> Reply<Vec<SearchHit>> {
    #[derive(Serialize)]
    struct A {
        text: String,
    }
    call(cmd::SEARCH, &A { text }).await
}
pub async fn load_demo(today: String) -> Reply<u64> {
    #[derive(Serialize)]
    struct A {
        today: String,
    }
    call(cmd::LOAD_DEMO, &A { today }).await
}

#[derive(Serialize)]
struct ImportArgs {
    csv: String,
    mapping: Option<Vec<ColumnMapping>>,
}
/// `mapping: None` lets the backend guess each column from its header.
pub async fn preview_import(
    csv: String,
    mapping: Option<Vec<ColumnMapping>>,
) -> Reply<ImportPreview> {
    call(cmd::PREVIEW_IMPORT, &ImportArgs { csv, mapping }).await
}
pub async fn commit_import(csv: String, mapping: Vec<ColumnMapping>) -> Reply<ImportResult> {
    call(
        cmd::COMMIT_IMPORT,
        &ImportArgs {
            csv,
            mapping: Some(mapping),
        },
    )
    .await
}

pub async fn settings() -> Reply<AppSettings> {
    call(cmd::SETTINGS, &NoArgs {}).await
}
pub async fn set_sync_interval(minutes: u32) -> Reply<AppSettings> {
    #[derive(Serialize)]
    struct A {
        minutes: u32,
    }
    call(cmd::SET_SYNC_INTERVAL, &A { minutes }).await
}

/// The calendar "Add to calendar" writes tasks to; `None`: the first with one.
pub async fn set_task_calendar(account_id: Option<i64>) -> Reply<AppSettings> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct A {
        account_id: Option<i64>,
    }
    call(cmd::SET_TASK_CALENDAR, &A { account_id }).await
}

pub async fn accounts() -> Reply<Vec<cremmy_protocol::accounts::Account>> {
    call(cmd::ACCOUNTS, &NoArgs {}).await
}
/// Waits while the user signs in in the system browser.
pub async fn connect_account(
    request: cremmy_protocol::accounts::ConnectRequest,
) -> Reply<cremmy_protocol::accounts::Account> {
    #[derive(Serialize)]
    struct A {
        request: cremmy_protocol::accounts::ConnectRequest,
    }
    call(cmd::CONNECT_ACCOUNT, &A { request }).await
}
pub async fn disconnect_account(id: Id) -> Reply<cremmy_protocol::accounts::Account> {
    call(cmd::DISCONNECT_ACCOUNT, &IdArg { id }).await
}
pub async fn oauth_client(
    provider: cremmy_protocol::Provider,
) -> Reply<cremmy_protocol::accounts::OAuthClientSetup> {
    #[derive(Serialize)]
    struct A {
        provider: cremmy_protocol::Provider,
    }
    call(cmd::OAUTH_CLIENT, &A { provider }).await
}
pub async fn save_oauth_client(
    input: cremmy_protocol::accounts::OAuthClientInput,
) -> Reply<cremmy_protocol::accounts::OAuthClientSetup> {
    call(cmd::SAVE_OAUTH_CLIENT, &InputArg { input: &input }).await
}

/// Subscribes the window to backend events over a Tauri channel (`window.__TAURI__.core.Channel`);
/// `handler` runs for each. Events that fail to parse are dropped with a console warning.
pub async fn subscribe_events(
    handler: impl Fn(cremmy_protocol::accounts::AppEvent) + 'static,
) -> Reply<()> {
    let core = js_sys::Reflect::get(&js_sys::global(), &"__TAURI__".into())
        .and_then(|t| js_sys::Reflect::get(&t, &"core".into()))
        .map_err(transport_error)?;
    let constructor: js_sys::Function = js_sys::Reflect::get(&core, &"Channel".into())
        .map_err(transport_error)?
        .dyn_into()
        .map_err(transport_error)?;
    let channel =
        js_sys::Reflect::construct(&constructor, &js_sys::Array::new()).map_err(transport_error)?;
    let on_message =
        Closure::<dyn Fn(JsValue)>::new(
            move |message: JsValue| match serde_wasm_bindgen::from_value(message) {
                Ok(event) => handler(event),
                Err(e) => web_sys::console::warn_1(
                    &format!("Cremmy: an event from the backend did not parse: {e}").into(),
                ),
            },
        );
    js_sys::Reflect::set(&channel, &"onmessage".into(), on_message.as_ref())
        .map_err(transport_error)?;
    // The window keeps listening for as long as it lives.
    on_message.forget();
    let args = js_sys::Object::new();
    js_sys::Reflect::set(&args, &"onEvent".into(), &channel).map_err(transport_error)?;
    match tauri_invoke(cmd::APP_EVENTS, args.into()).await {
        Ok(_) => Ok(()),
        Err(error) => Err(serde_wasm_bindgen::from_value::<ApiError>(error.clone())
            .unwrap_or_else(|_| transport_error(error))),
    }
}
pub async fn check_account(id: Id) -> Reply<cremmy_protocol::accounts::Account> {
    call(cmd::CHECK_ACCOUNT, &IdArg { id }).await
}

/// "Sync now": waits for the runs and returns them (failed ones carry their error).
pub async fn sync_now(
    request: cremmy_protocol::sync::SyncRequest,
) -> Reply<Vec<cremmy_protocol::sync::SyncRun>> {
    #[derive(Serialize)]
    struct A {
        request: cremmy_protocol::sync::SyncRequest,
    }
    call(cmd::SYNC_NOW, &A { request }).await
}
pub async fn sync_runs(
    query: cremmy_protocol::sync::SyncRunQuery,
) -> Reply<Vec<cremmy_protocol::sync::SyncRun>> {
    #[derive(Serialize)]
    struct A {
        query: cremmy_protocol::sync::SyncRunQuery,
    }
    call(cmd::SYNC_RUNS, &A { query }).await
}
pub async fn export_sheets() -> Reply<cremmy_protocol::sync::SheetsExport> {
    call(cmd::EXPORT_SHEETS, &NoArgs {}).await
}
/// Opens a Google document or spreadsheet Cremmy made in the system browser.
pub async fn open_provider_page(url: String) -> Reply<()> {
    #[derive(Serialize)]
    struct A {
        url: String,
    }
    call(cmd::OPEN_PROVIDER_PAGE, &A { url }).await
}
/// Finds or makes the client's Drive folder (Cremmy CRM/Clients/<name>).
pub async fn create_client_folder(client_id: Id) -> Reply<cremmy_protocol::crm::ClientFolder> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct A {
        client_id: Id,
    }
    call(cmd::CREATE_CLIENT_FOLDER, &A { client_id }).await
}
/// Sends an email (or a reply) to a client's contact through a connected mail account.
pub async fn send_email(
    input: cremmy_protocol::mail::SendEmailInput,
) -> Reply<cremmy_protocol::mail::SentEmail> {
    call(cmd::SEND_EMAIL, &InputArg { input: &input }).await
}
/// The proposal template filled in for a contact (and a deal, else their latest open one).
pub async fn render_email_template(
    contact_id: Id,
    deal_id: Option<Id>,
) -> Reply<cremmy_protocol::mail::RenderedEmail> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct A {
        contact_id: Id,
        deal_id: Option<Id>,
    }
    call(
        cmd::RENDER_EMAIL_TEMPLATE,
        &A {
            contact_id,
            deal_id,
        },
    )
    .await
}
pub async fn draft_template() -> Reply<cremmy_protocol::mail::DraftTemplate> {
    call(cmd::DRAFT_TEMPLATE, &NoArgs {}).await
}
pub async fn save_draft_template(
    input: cremmy_protocol::mail::DraftTemplate,
) -> Reply<cremmy_protocol::mail::DraftTemplate> {
    call(cmd::SAVE_DRAFT_TEMPLATE, &InputArg { input: &input }).await
}
pub async fn lead_sheet() -> Reply<Option<cremmy_protocol::sync::LeadSheet>> {
    call(cmd::LEAD_SHEET, &NoArgs {}).await
}
pub async fn set_lead_sheet(
    input: cremmy_protocol::sync::LeadSheet,
) -> Reply<Option<cremmy_protocol::sync::LeadSheet>> {
    call(cmd::SET_LEAD_SHEET, &InputArg { input: &input }).await
}
pub async fn doc_templates() -> Reply<cremmy_protocol::docs::DocTemplates> {
    call(cmd::DOC_TEMPLATES, &NoArgs {}).await
}
pub async fn set_doc_templates(
    input: cremmy_protocol::docs::DocTemplates,
) -> Reply<cremmy_protocol::docs::DocTemplates> {
    call(cmd::SET_DOC_TEMPLATES, &InputArg { input: &input }).await
}
/// Settings → Data → "Back up now" (sealed with a passphrase when one is given): where the
/// backup went.
pub async fn backup_now(request: cremmy_protocol::data::BackupRequest) -> Reply<String> {
    #[derive(Serialize)]
    struct A {
        request: cremmy_protocol::data::BackupRequest,
    }
    call(cmd::BACKUP_NOW, &A { request }).await
}
/// The backups in the backups folder, newest first.
pub async fn list_backups() -> Reply<Vec<cremmy_protocol::data::BackupInfo>> {
    call(cmd::LIST_BACKUPS, &NoArgs {}).await
}
/// "Restore": checks the backup now; it is put in place when Cremmy next starts.
pub async fn restore_backup(
    request: cremmy_protocol::data::RestoreRequest,
) -> Reply<cremmy_protocol::data::BackupInfo> {
    #[derive(Serialize)]
    struct A {
        request: cremmy_protocol::data::RestoreRequest,
    }
    call(cmd::RESTORE_BACKUP, &A { request }).await
}
/// "Export everything": every table as one JSON file beside the database.
pub async fn export_everything() -> Reply<cremmy_protocol::data::ExportMade> {
    call(cmd::EXPORT_EVERYTHING, &NoArgs {}).await
}
/// "Restart now" (the chosen restore happens as Cremmy starts).
pub async fn restart_app() -> Reply<()> {
    call(cmd::RESTART_APP, &NoArgs {}).await
}
pub async fn create_doc_template(
    kind: cremmy_protocol::crm::DocumentKind,
) -> Reply<cremmy_protocol::docs::TemplateMade> {
    #[derive(Serialize)]
    struct A {
        kind: cremmy_protocol::crm::DocumentKind,
    }
    call(cmd::CREATE_DOC_TEMPLATE, &A { kind }).await
}
pub async fn copy_doc_template(
    kind: cremmy_protocol::crm::DocumentKind,
    link: String,
) -> Reply<cremmy_protocol::docs::TemplateMade> {
    #[derive(Serialize)]
    struct A {
        kind: cremmy_protocol::crm::DocumentKind,
        link: String,
    }
    call(cmd::COPY_DOC_TEMPLATE, &A { kind, link }).await
}
pub async fn upload_doc_template(
    input: cremmy_protocol::docs::TemplateUpload,
) -> Reply<cremmy_protocol::docs::TemplateMade> {
    call(cmd::UPLOAD_DOC_TEMPLATE, &InputArg { input: &input }).await
}
pub async fn preview_document(
    input: cremmy_protocol::docs::DocRequest,
) -> Reply<cremmy_protocol::docs::DocPreview> {
    call(cmd::PREVIEW_DOCUMENT, &InputArg { input: &input }).await
}
pub async fn generate_document(
    input: cremmy_protocol::docs::DocRequest,
) -> Reply<cremmy_protocol::docs::GeneratedDoc> {
    call(cmd::GENERATE_DOCUMENT, &InputArg { input: &input }).await
}

// The background engine, the outbox and the desktop integration.

pub async fn engine_status() -> Reply<cremmy_protocol::engine::EngineStatus> {
    call(cmd::ENGINE_STATUS, &NoArgs {}).await
}
/// Pauses or resumes background sync (answers at once; the new status arrives as an event).
pub async fn set_sync_paused(paused: bool) -> Reply<()> {
    #[derive(Serialize)]
    struct A {
        paused: bool,
    }
    call(cmd::SET_SYNC_PAUSED, &A { paused }).await
}
pub async fn jobs(
    query: cremmy_protocol::engine::JobQuery,
) -> Reply<Vec<cremmy_protocol::engine::Job>> {
    #[derive(Serialize)]
    struct A {
        query: cremmy_protocol::engine::JobQuery,
    }
    call(cmd::JOBS, &A { query }).await
}
pub async fn retry_job(id: Id) -> Reply<()> {
    call(cmd::RETRY_JOB, &IdArg { id }).await
}
pub async fn desktop_state() -> Reply<cremmy_protocol::engine::DesktopState> {
    call(cmd::DESKTOP_STATE, &NoArgs {}).await
}
pub async fn set_desktop_settings(
    input: cremmy_protocol::engine::DesktopSettings,
) -> Reply<cremmy_protocol::engine::DesktopState> {
    #[derive(Serialize)]
    struct A {
        input: cremmy_protocol::engine::DesktopSettings,
    }
    call(cmd::SET_DESKTOP_SETTINGS, &A { input }).await
}
/// The first frame is up (the backend may log the start-up time).
pub async fn window_ready() -> Reply<()> {
    call(cmd::WINDOW_READY, &NoArgs {}).await
}
