//! The sandbox's fidelity tests: OAuth at the wire level, Gmail through the real google-gmail1
//! hub, faults, quotas and controls.

mod a1;
mod advertised;
mod calendar;
mod docs;
mod drive;
mod faults;
mod gmail;
mod gmail_batch;
mod hubspot;
mod microsoft;
mod microsoft_batch;
mod microsoft_calendar;
mod microsoft_compose;
mod oauth;
mod pipedrive;
mod quickbooks;
mod sheets;
mod stripe;
mod support;
mod twilio;
mod webhooks;
mod xero;
