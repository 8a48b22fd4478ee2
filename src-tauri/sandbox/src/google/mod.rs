//! Google: OAuth and the Workspace APIs, all on the sandbox's one origin.

pub mod auth;
pub mod calendar;
pub mod drive;
pub mod errors;
pub mod gmail;
pub mod gmail_write;
pub mod oauth;
