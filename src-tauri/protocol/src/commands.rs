//! Names of the backend commands, shared so the shell registers and the UI invokes the same string.

pub const APP_STATUS: &str = "app_status";
pub const DOCTOR: &str = "doctor";
