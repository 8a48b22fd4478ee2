//! Google: OAuth and the Workspace APIs, all on the sandbox's one origin.

pub mod a1;
pub mod auth;
pub mod batch;
pub mod calendar;
pub mod doc_model;
pub mod docs;
pub mod docx;
pub mod drive;
pub mod errors;
pub mod gmail;
pub mod gmail_history;
pub mod gmail_write;
pub mod oauth;
pub mod quota;
pub mod sheets;
pub mod sheets_api;
