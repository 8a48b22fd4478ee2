//! The features: what Cremmy does with the user's accounts, each with the capability traits it
//! needs from a provider (defined here, where they are used), pure plans with table tests, and
//! executors. A feature never names a provider, and never imports the sync runner that calls it.

pub mod automation;
pub mod calendar;
pub mod call_log;
pub mod client_folder;
pub mod crm_sync;
pub mod doc_templates;
pub mod event_journal;
pub mod leads;
pub mod mail;
pub mod payments;
pub mod pipeline_export;
pub mod task_calendar;
pub mod templates;
pub mod texts;
pub mod webhooks;
