//! The core's single integration-test binary: real SQLite files in temp directories.

mod accounts;
mod accounts_support;
mod accounts_tokens;
mod calendar_sync;
mod crm_clients;
mod crm_csv;
mod crm_pipeline;
mod crm_sample_data;
mod crm_search;
mod crm_tasks;
mod database;
mod docs_generation;
mod doctor;
mod drive_folders;
mod endpoints;
mod engine;
mod graph_open;
mod invariants;
mod leads_sheet;
mod mail_drafts;
mod mail_send;
mod mail_sync;
mod outbox;
mod sheets_export;
mod support;
mod sync_rules;
