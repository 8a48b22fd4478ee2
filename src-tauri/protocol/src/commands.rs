//! Names of the backend commands, shared so the shell registers and the UI invokes the same
//! string. Every command takes named arguments (`input`, `query`, `id`…) as one JSON object.

pub const APP_STATUS: &str = "app_status";
pub const DOCTOR: &str = "doctor";

pub const LIST_CLIENTS: &str = "list_clients";
pub const CLIENT_PAGE: &str = "client_page";
pub const CREATE_CLIENT: &str = "create_client";
pub const UPDATE_CLIENT: &str = "update_client";
pub const SET_CLIENT_ARCHIVED: &str = "set_client_archived";
pub const TAGS: &str = "tags";
pub const CREATE_CONTACT: &str = "create_contact";
pub const UPDATE_CONTACT: &str = "update_contact";

pub const STAGES: &str = "stages";
pub const CREATE_STAGE: &str = "create_stage";
pub const RENAME_STAGE: &str = "rename_stage";
pub const REORDER_STAGES: &str = "reorder_stages";
pub const DELETE_STAGE: &str = "delete_stage";
pub const BOARD: &str = "board";
pub const STAGE_DEALS: &str = "stage_deals";
pub const CREATE_DEAL: &str = "create_deal";
pub const MOVE_DEAL: &str = "move_deal";

pub const CONNECT_WITH_KEY: &str = "connect_with_key";
pub const TEXTING_SETUP: &str = "texting_setup";
pub const CONNECT_PAYMENTS: &str = "connect_payments";
pub const CLIENT_PAYMENTS: &str = "client_payments";
pub const CREATE_INVOICE: &str = "create_invoice";
pub const CREATE_PAYMENT_LINK: &str = "create_payment_link";
pub const OVERDUE_INVOICES: &str = "overdue_invoices";
pub const ACCOUNTING_ORGANISATIONS: &str = "accounting_organisations";
pub const CHOOSE_ACCOUNTING_ORGANISATION: &str = "choose_accounting_organisation";
pub const PUSH_CLIENTS: &str = "push_clients";
pub const CONNECT_CRM: &str = "connect_crm";
pub const CRM_IMPORT_PREVIEW: &str = "crm_import_preview";
pub const CRM_IMPORT: &str = "crm_import";
pub const CRM_SYNC_SETTINGS: &str = "crm_sync_settings";
pub const SET_CRM_SYNC_SETTINGS: &str = "set_crm_sync_settings";
pub const CRM_CONFLICTS: &str = "crm_conflicts";
pub const SAVE_TEXTING_SETTINGS: &str = "save_texting_settings";
pub const TEXT_PREVIEW: &str = "text_preview";
pub const SEND_TEXT: &str = "send_text";
pub const CLIENT_TEXTS: &str = "client_texts";
pub const UNMATCHED_TEXTS: &str = "unmatched_texts";
pub const ATTACH_TEXT: &str = "attach_text";
pub const BULK_TEXT_PREVIEW: &str = "bulk_text_preview";
pub const START_BULK_TEXT: &str = "start_bulk_text";
pub const BULK_TEXT_PROGRESS: &str = "bulk_text_progress";
pub const TEXT_TEMPLATES: &str = "text_templates";
pub const CONTACT_OPT_OUTS: &str = "contact_opt_outs";
pub const ATTACH_TEXT_TO_NEW_CONTACT: &str = "attach_text_to_new_contact";

pub const MONEY_SETTINGS: &str = "money_settings";
pub const SET_HOME_CURRENCY: &str = "set_home_currency";
pub const SET_EXCHANGE_RATE: &str = "set_exchange_rate";
pub const SET_STAGE_PROBABILITY: &str = "set_stage_probability";
pub const REPORTS: &str = "reports";
pub const EXPORT_REPORT: &str = "export_report";
pub const TODAY: &str = "today";
pub const SET_TODAY_SETTINGS: &str = "set_today_settings";

pub const EDIT_CLIENTS: &str = "edit_clients";
pub const EXPORT_CLIENTS: &str = "export_clients";
pub const SAVED_FILTERS: &str = "saved_filters";
pub const SAVE_FILTER: &str = "save_filter";
pub const DELETE_FILTER: &str = "delete_filter";
pub const CLIENT_SCORE: &str = "client_score";
pub const SCORE_SETTINGS: &str = "score_settings";
pub const SET_SCORE_SETTINGS: &str = "set_score_settings";

pub const WEBHOOK_ENDPOINTS: &str = "webhook_endpoints";
pub const CREATE_WEBHOOK_ENDPOINT: &str = "create_webhook_endpoint";
pub const UPDATE_WEBHOOK_ENDPOINT: &str = "update_webhook_endpoint";
pub const DELETE_WEBHOOK_ENDPOINT: &str = "delete_webhook_endpoint";
pub const ROTATE_WEBHOOK_SECRET: &str = "rotate_webhook_secret";
pub const WEBHOOK_ATTEMPTS: &str = "webhook_attempts";
pub const SEND_TEST_WEBHOOK: &str = "send_test_webhook";
pub const REDELIVER_WEBHOOK: &str = "redeliver_webhook";
pub const AUTOMATION_RULES: &str = "automation_rules";
pub const CREATE_RULE: &str = "create_rule";
pub const UPDATE_RULE: &str = "update_rule";
pub const DELETE_RULE: &str = "delete_rule";
pub const RULE_RUNS: &str = "rule_runs";
pub const DRY_RUN_RULE: &str = "dry_run_rule";

pub const LOG_NOTE: &str = "log_note";
pub const TIMELINE: &str = "timeline";
pub const TASK_BOARD: &str = "task_board";
pub const CREATE_TASK: &str = "create_task";
pub const SET_TASK_DONE: &str = "set_task_done";
pub const UPDATE_TASK: &str = "update_task";
pub const ADD_TASK_TO_CALENDAR: &str = "add_task_to_calendar";
pub const SEARCH: &str = "search";
pub const LOAD_DEMO: &str = "load_demo";
pub const PREVIEW_IMPORT: &str = "preview_import";
pub const COMMIT_IMPORT: &str = "commit_import";
pub const SETTINGS: &str = "settings";
pub const SET_SYNC_INTERVAL: &str = "set_sync_interval";
pub const SET_TASK_CALENDAR: &str = "set_task_calendar";
pub const ACCOUNTS: &str = "accounts";
pub const CONNECT_ACCOUNT: &str = "connect_account";
pub const DISCONNECT_ACCOUNT: &str = "disconnect_account";
pub const OAUTH_CLIENT: &str = "oauth_client";
pub const SAVE_OAUTH_CLIENT: &str = "save_oauth_client";
/// The window subscribes to [`crate::accounts::AppEvent`]s (a Tauri channel: no event permission).
pub const APP_EVENTS: &str = "app_events";
pub const CHECK_ACCOUNT: &str = "check_account";
pub const SYNC_NOW: &str = "sync_now";
pub const SYNC_RUNS: &str = "sync_runs";
pub const EXPORT_SHEETS: &str = "export_sheets";
pub const OPEN_PROVIDER_PAGE: &str = "open_provider_page";
pub const CREATE_CLIENT_FOLDER: &str = "create_client_folder";
pub const SEND_EMAIL: &str = "send_email";
pub const DRAFT_TEMPLATE: &str = "draft_template";
pub const RENDER_EMAIL_TEMPLATE: &str = "render_email_template";
pub const SAVE_DRAFT_TEMPLATE: &str = "save_draft_template";
pub const LEAD_SHEET: &str = "lead_sheet";
pub const SET_LEAD_SHEET: &str = "set_lead_sheet";
pub const DOC_TEMPLATES: &str = "doc_templates";
pub const SET_DOC_TEMPLATES: &str = "set_doc_templates";
pub const CREATE_DOC_TEMPLATE: &str = "create_doc_template";
pub const BACKUP_NOW: &str = "backup_now";
pub const LIST_BACKUPS: &str = "list_backups";
pub const RESTORE_BACKUP: &str = "restore_backup";
pub const EXPORT_EVERYTHING: &str = "export_everything";
pub const RESTART_APP: &str = "restart_app";
pub const COPY_DOC_TEMPLATE: &str = "copy_doc_template";
pub const UPLOAD_DOC_TEMPLATE: &str = "upload_doc_template";
pub const PREVIEW_DOCUMENT: &str = "preview_document";
pub const GENERATE_DOCUMENT: &str = "generate_document";
pub const ENGINE_STATUS: &str = "engine_status";
pub const SET_SYNC_PAUSED: &str = "set_sync_paused";
pub const JOBS: &str = "jobs";
pub const RETRY_JOB: &str = "retry_job";
pub const DESKTOP_STATE: &str = "desktop_state";
pub const SET_DESKTOP_SETTINGS: &str = "set_desktop_settings";
/// The window's first frame is up (start-up time, reported by the benchmark harness).
pub const WINDOW_READY: &str = "window_ready";

/// Every command, in one list: the shell's build script grants exactly these (see
/// src-tauri/app/build.rs) and a test checks that the list, the registrations and the
/// capability file agree.
pub const ALL: &[&str] = &[
    APP_STATUS,
    DOCTOR,
    LIST_CLIENTS,
    CLIENT_PAGE,
    CREATE_CLIENT,
    UPDATE_CLIENT,
    SET_CLIENT_ARCHIVED,
    TAGS,
    CREATE_CONTACT,
    UPDATE_CONTACT,
    STAGES,
    CREATE_STAGE,
    RENAME_STAGE,
    REORDER_STAGES,
    DELETE_STAGE,
    BOARD,
    STAGE_DEALS,
    CREATE_DEAL,
    MOVE_DEAL,
    LOG_NOTE,
    TIMELINE,
    TASK_BOARD,
    CREATE_TASK,
    SET_TASK_DONE,
    UPDATE_TASK,
    ADD_TASK_TO_CALENDAR,
    SEARCH,
    LOAD_DEMO,
    PREVIEW_IMPORT,
    COMMIT_IMPORT,
    SETTINGS,
    SET_SYNC_INTERVAL,
    SET_TASK_CALENDAR,
    ACCOUNTS,
    CONNECT_ACCOUNT,
    DISCONNECT_ACCOUNT,
    OAUTH_CLIENT,
    SAVE_OAUTH_CLIENT,
    APP_EVENTS,
    CHECK_ACCOUNT,
    SYNC_NOW,
    SYNC_RUNS,
    EXPORT_SHEETS,
    OPEN_PROVIDER_PAGE,
    CREATE_CLIENT_FOLDER,
    SEND_EMAIL,
    DRAFT_TEMPLATE,
    RENDER_EMAIL_TEMPLATE,
    SAVE_DRAFT_TEMPLATE,
    LEAD_SHEET,
    SET_LEAD_SHEET,
    DOC_TEMPLATES,
    SET_DOC_TEMPLATES,
    CREATE_DOC_TEMPLATE,
    BACKUP_NOW,
    LIST_BACKUPS,
    RESTORE_BACKUP,
    EXPORT_EVERYTHING,
    RESTART_APP,
    COPY_DOC_TEMPLATE,
    UPLOAD_DOC_TEMPLATE,
    PREVIEW_DOCUMENT,
    GENERATE_DOCUMENT,
    ENGINE_STATUS,
    SET_SYNC_PAUSED,
    JOBS,
    RETRY_JOB,
    DESKTOP_STATE,
    SET_DESKTOP_SETTINGS,
    WINDOW_READY,
    CONNECT_WITH_KEY,
    TEXTING_SETUP,
    CONNECT_PAYMENTS,
    CLIENT_PAYMENTS,
    CREATE_INVOICE,
    CREATE_PAYMENT_LINK,
    OVERDUE_INVOICES,
    ACCOUNTING_ORGANISATIONS,
    CHOOSE_ACCOUNTING_ORGANISATION,
    PUSH_CLIENTS,
    CONNECT_CRM,
    CRM_IMPORT_PREVIEW,
    CRM_IMPORT,
    CRM_SYNC_SETTINGS,
    SET_CRM_SYNC_SETTINGS,
    CRM_CONFLICTS,
    SAVE_TEXTING_SETTINGS,
    TEXT_PREVIEW,
    SEND_TEXT,
    CLIENT_TEXTS,
    UNMATCHED_TEXTS,
    ATTACH_TEXT,
    BULK_TEXT_PREVIEW,
    START_BULK_TEXT,
    BULK_TEXT_PROGRESS,
    TEXT_TEMPLATES,
    CONTACT_OPT_OUTS,
    ATTACH_TEXT_TO_NEW_CONTACT,
    MONEY_SETTINGS,
    SET_HOME_CURRENCY,
    SET_EXCHANGE_RATE,
    SET_STAGE_PROBABILITY,
    REPORTS,
    EXPORT_REPORT,
    TODAY,
    SET_TODAY_SETTINGS,
    EDIT_CLIENTS,
    EXPORT_CLIENTS,
    SAVED_FILTERS,
    SAVE_FILTER,
    DELETE_FILTER,
    CLIENT_SCORE,
    SCORE_SETTINGS,
    SET_SCORE_SETTINGS,
    WEBHOOK_ENDPOINTS,
    CREATE_WEBHOOK_ENDPOINT,
    UPDATE_WEBHOOK_ENDPOINT,
    DELETE_WEBHOOK_ENDPOINT,
    ROTATE_WEBHOOK_SECRET,
    WEBHOOK_ATTEMPTS,
    SEND_TEST_WEBHOOK,
    REDELIVER_WEBHOOK,
    AUTOMATION_RULES,
    CREATE_RULE,
    UPDATE_RULE,
    DELETE_RULE,
    RULE_RUNS,
    DRY_RUN_RULE,
];
