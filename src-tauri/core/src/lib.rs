//! Cremmy's core: domain, database, providers and sync. It knows nothing of Tauri, the webview or
//! any transport; the desktop shell and the CLI are thin callers of what is exported here.

pub mod accounts;
pub mod backoff;
pub mod backup;
pub mod backup_catalog;
pub mod backup_encryption;
pub mod clock;
pub mod crash_point;
pub mod crm;
pub mod cursors;
pub mod db;
pub mod deep_link;
pub mod doctor;
pub mod endpoints;
pub mod engine;
pub mod events;
pub mod external_links;
pub mod failure;
pub mod feature_error;
pub mod features;
pub mod file_links;
pub mod follow_ups;
pub mod graph;
pub mod http;
pub mod jobs;
pub mod json_export;
pub mod keychain;
pub mod lease;
pub mod pacing;
pub mod paths;
pub mod providers;
pub mod sync;

pub use clock::{Clock, Timestamp};
pub use db::{Database, DbError};
pub use graph::{Core, Environment, OpenError};

use cremmy_protocol::{ApiError, ErrorCode};

/// Every core error enum states which stable code the UI sees for it.
pub trait HasErrorCode: std::fmt::Display {
    fn code(&self) -> ErrorCode;

    fn to_api_error(&self) -> ApiError {
        ApiError {
            code: self.code(),
            message: self.to_string(),
        }
    }
}

impl HasErrorCode for DbError {
    fn code(&self) -> ErrorCode {
        match self {
            DbError::DataDir { .. } | DbError::Open { .. } => ErrorCode::DataDirUnavailable,
            DbError::Unreadable { .. } => ErrorCode::DatabaseUnreadable,
            DbError::TooNew { .. } => ErrorCode::DatabaseTooNew,
            DbError::Migrate { .. } | DbError::Query(_) => ErrorCode::Internal,
        }
    }
}
