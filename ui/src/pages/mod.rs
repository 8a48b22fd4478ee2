pub mod board;
pub mod client_page;
pub mod clients;
pub mod forms;
pub mod integrations;
pub mod settings;
pub mod sync_history;
pub mod tasks;
