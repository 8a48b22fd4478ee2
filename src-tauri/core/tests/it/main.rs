//! The core's single integration-test binary: real SQLite files in temp directories.

mod database;
mod endpoints;
