//! How a provider reads a link the user pasted to one of its files (a document template, a Leads
//! spreadsheet). Features take a [`FileLinks`] from their caller and never parse a provider's URLs
//! themselves.

/// A provider's file links.
#[derive(Debug, Clone, Copy)]
pub struct FileLinks {
    /// The file id in a pasted link, or the id itself; `None` if it is neither.
    pub id_of: fn(&str) -> Option<String>,
    /// What to paste for a document, for the error message ("the Google Doc's link (…)").
    pub document: &'static str,
    /// What to paste for a spreadsheet.
    pub spreadsheet: &'static str,
}
