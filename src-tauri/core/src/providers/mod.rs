//! Providers: one folder each (wire DTOs, client, mapping to domain types, the capability traits
//! it implements), and the registry that says, per provider, how it authenticates, where it lives
//! and what it can do. Only the registry and `Core::open` list every provider.

mod dispatch;
pub mod google;
pub mod hubspot;
pub mod microsoft;
pub mod pipedrive;
pub mod quickbooks;
pub mod registry;
pub mod stripe;
pub mod twilio;
pub mod xero;

pub use dispatch::{
    Calendar, Crms, Documents, Folders, Mailbox, Payments, Providers, Session, Spreadsheets,
    Texting,
};
