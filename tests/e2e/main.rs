//! End-to-end tests of the installed shape of Cremmy: the `cremmy` binary as a process (CLI), and
//! the real window in the real webview driven over WebDriver (tauri-driver + WebKitWebDriver).
//! Window tests need an X display (Xvfb in CI, see .ci/test) and save a screenshot of their final
//! state under `test-output/screenshots/`.

mod accounts;
mod automation;
mod cli;
mod cli_overview;
mod clients_list;
mod deep_links;
mod engine;
mod hubspot;
mod lead_score;
mod microsoft;
mod palette;
mod payments;
mod pipedrive;
mod quickbooks;
mod reports;
mod scenarios;
mod security;
mod support;
mod sync;
mod texting;
mod webhooks;
mod window;
mod workspace;
mod xero;
