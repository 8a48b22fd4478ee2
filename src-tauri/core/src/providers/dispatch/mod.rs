//! From an account to the provider code that serves it. The sync runner asks for a [`Session`] of
//! an account and takes capabilities from it (a mailbox, a calendar, folders, documents,
//! spreadsheets); each is an enum with one variant per provider that implements the feature's
//! trait by handing the call to that provider. Adding a provider adds a variant here and in
//! [`Providers`]; no feature and not the runner changes.

use std::time::Duration;

use cremmy_protocol::accounts::Account;
use cremmy_protocol::kinds::Integration;
use cremmy_protocol::payments::Organisation;
use cremmy_protocol::Provider;

mod crm;
mod payments;

pub use crm::Crms;
pub use payments::Payments;

use crate::accounts::Accounts;
use crate::accounts::AccountsError;
use crate::clock::Timestamp;
use crate::failure::SourceError;
use crate::features::calendar::{CalendarSource, EventPage};
use crate::features::call_log::{CallLog, CallRecord};
use crate::features::client_folder::{Folder, FolderTree};
use crate::features::doc_templates::DocStore;
use crate::features::leads::SheetTable;
use crate::features::pipeline_export::{CellBlock, Grid, SheetCell, SpreadsheetSink};
use crate::features::task_calendar::{CalendarWriter, TimedEvent};
use crate::features::texts::{OutgoingText, SendOutcome, TextGateway, TextState};
use crate::file_links::FileLinks;
use crate::providers::registry::{registration, Capability, Product};
use crate::providers::{google, hubspot, microsoft, pipedrive, quickbooks, stripe, twilio, xero};

/// Every provider Cremmy talks to, built once by `Core::open`. Cheap to clone.
#[derive(Clone)]
pub struct Providers {
    google: google::Google,
    twilio: twilio::Twilio,
    stripe: stripe::Stripe,
    xero: xero::Xero,
    quickbooks: quickbooks::QuickBooks,
    microsoft: microsoft::Microsoft,
    hubspot: hubspot::HubSpot,
    pipedrive: pipedrive::Pipedrive,
}

/// Tests and benchmarks that build a runner from Google alone get Twilio on the same endpoints.
impl From<google::Google> for Providers {
    fn from(google: google::Google) -> Providers {
        let accounts = google.accounts();
        let twilio = twilio::Twilio::new(accounts.http().clone(), accounts.endpoints());
        Providers::new(google, twilio)
    }
}

impl Providers {
    pub fn new(google: google::Google, twilio: twilio::Twilio) -> Providers {
        let accounts = google.accounts();
        let stripe = stripe::Stripe::new(accounts.http().clone(), accounts.endpoints());
        let xero = xero::Xero::new(accounts.clone());
        let quickbooks = quickbooks::QuickBooks::new(accounts.clone());
        let microsoft = microsoft::Microsoft::new(accounts.clone());
        let hubspot = hubspot::HubSpot::new(accounts.clone());
        let pipedrive = pipedrive::Pipedrive::new(accounts.clone());
        Providers {
            google,
            twilio,
            stripe,
            xero,
            quickbooks,
            microsoft,
            hubspot,
            pipedrive,
        }
    }

    /// Connects a CRM with a pasted token (HubSpot: a private app's or a service key's; Pipedrive:
    /// the user's personal API token), checked
    /// with the provider before anything is stored.
    pub async fn connect_crm(
        &self,
        provider: Provider,
        token: &str,
    ) -> Result<Account, AccountsError> {
        match provider {
            Provider::Hubspot => hubspot::connect::connect(&self.hubspot, token).await,
            Provider::Pipedrive => pipedrive::connect::connect(&self.pipedrive, token).await,
            other => Err(AccountsError::Unsupported(other)),
        }
    }

    /// The account's CRM; `None` for a provider that is not a CRM.
    pub fn crm(&self, account: &Account) -> Option<Crms> {
        match account.provider {
            Provider::Hubspot => Some(Crms::HubSpot(hubspot::records::HubSpotCrm {
                session: self.hubspot.session(account.id),
            })),
            Provider::Pipedrive => Some(Crms::Pipedrive(pipedrive::records::PipedriveCrm {
                session: self.pipedrive.session(account.id),
            })),
            _ => None,
        }
    }

    /// Connects the payment provider with a pasted key (Stripe: `rk_…` or `sk_…`), checked with
    /// the provider before anything is stored.
    pub async fn connect_payments(&self, key: &str) -> Result<Account, AccountsError> {
        stripe::connect::connect(&self.stripe, self.accounts(), key).await
    }

    /// The account's payments (invoices, links, what was paid); `None` for a provider that does
    /// not take payments.
    pub async fn payments(&self, account: &Account) -> Result<Option<Payments>, AccountsError> {
        match account.provider {
            Provider::Stripe => {
                let key = self.accounts().api_key(account.id).await?;
                Ok(Some(Payments::Stripe(stripe::gateway::StripePayments {
                    stripe: self.stripe.fresh(),
                    key: stripe::StripeKey(key),
                })))
            }
            Provider::Xero => Ok(Some(Payments::Xero(xero::gateway::XeroPayments {
                xero: self.xero.session(account.id),
            }))),
            Provider::QuickBooks => Ok(Some(Payments::QuickBooks(
                quickbooks::gateway::QuickBooksPayments {
                    quickbooks: self.quickbooks.session(account.id),
                },
            ))),
            _ => Ok(None),
        }
    }

    /// The organisations an accounting account reaches, and the one it works in; an account of
    /// a provider without organisations has none to choose.
    pub async fn organisations(
        &self,
        account: &Account,
    ) -> Result<(Vec<Organisation>, String), SourceError> {
        match account.provider {
            Provider::Xero => {
                let session = self.xero.session(account.id);
                let chosen = session.tenant().await?;
                let list = session
                    .connections()
                    .await?
                    .into_iter()
                    .filter(|c| c.tenant_type == "ORGANISATION")
                    .map(|c| Organisation {
                        name: c.tenant_name.unwrap_or_else(|| c.tenant_id.clone()),
                        id: c.tenant_id,
                    })
                    .collect();
                Ok((list, chosen))
            }
            _ => Ok((Vec::new(), String::new())),
        }
    }

    /// Makes an accounting account work in another of its organisations; `None` for a provider
    /// without organisations.
    pub async fn choose_organisation(
        &self,
        account: &Account,
        organisation: &str,
    ) -> Option<Result<(), SourceError>> {
        match account.provider {
            Provider::Xero => Some(
                self.xero
                    .session(account.id)
                    .choose_tenant(organisation)
                    .await
                    .map_err(SourceError::from),
            ),
            _ => None,
        }
    }

    /// The account's texting and call log; `None` for a provider that does not text. A key
    /// missing from the keychain leaves the account "needs reconnecting".
    pub async fn texting(&self, account: &Account) -> Result<Option<Texting>, AccountsError> {
        match account.provider {
            Provider::Twilio => {
                let stored = self.accounts().api_key(account.id).await?;
                let Some(creds) = twilio::TwilioCredentials::from_keychain(&account.email, &stored)
                else {
                    let problem = "Cremmy's key for this account in the keychain cannot be read.";
                    self.accounts().key_refused(account.id, problem).await?;
                    return Err(AccountsError::ReconnectNeeded {
                        provider: account.provider,
                        email: account.email.clone(),
                    });
                };
                Ok(Some(Texting::Twilio(twilio::texting::TwilioTexts::new(
                    self.twilio.fresh(),
                    creds,
                ))))
            }
            _ => Ok(None),
        }
    }

    /// Connects an account whose key the user pasted: checked with the provider, then stored.
    /// Its senders (for a texting provider) come back.
    pub async fn connect_with_key(
        &self,
        request: &cremmy_protocol::sms::ApiKeyConnect,
    ) -> Result<(Account, Vec<cremmy_protocol::sms::Sender>), AccountsError> {
        match request.provider {
            Provider::Twilio => {
                twilio::connect::connect(&self.twilio, self.accounts(), request).await
            }
            Provider::Stripe => {
                stripe::connect::connect(&self.stripe, self.accounts(), &request.secret)
                    .await
                    .map(|account| (account, Vec::new()))
            }
            other => Err(AccountsError::Unsupported(other)),
        }
    }

    pub fn accounts(&self) -> &Accounts {
        self.google.accounts()
    }

    /// A call session for `account` (a call count and the last `Retry-After`, per run); `None`
    /// for an account of a provider without a connector (which cannot be connected).
    pub fn session(&self, account: &Account) -> Option<Session> {
        match account.provider {
            Provider::Google => Some(Session::Google(self.google.session(account.id))),
            Provider::Microsoft => Some(Session::Microsoft(self.microsoft.session(account.id))),
            _ => None,
        }
    }

    /// How the first provider that can do `capability` reads links to its files.
    pub fn file_links_for(capability: Capability) -> Option<&'static FileLinks> {
        super::registry::REGISTRY
            .iter()
            .filter(|r| r.can(capability))
            .find_map(|r| Providers::file_links(r.provider))
    }

    /// The product of `provider` that does `capability` (for runs and progress).
    pub fn product(provider: Provider, capability: Capability) -> Product {
        registration(provider)
            .and_then(|r| r.product(capability))
            .copied()
            .unwrap_or(Product {
                capability,
                key: Integration::Unknown,
                name: provider.display_name(),
            })
    }

    /// How `provider` reads links to its files.
    pub fn file_links(provider: Provider) -> Option<&'static FileLinks> {
        match provider {
            Provider::Google => Some(&google::FILE_LINKS),
            _ => None,
        }
    }
}

/// One run's calls to one account. A capability the provider lacks is `None` (the registry
/// says which it has, so the runner never picks such an account for it).
pub enum Session {
    Google(google::Session),
    Microsoft(microsoft::GraphSession),
}

macro_rules! each {
    ($value:expr, $inner:ident => $call:expr) => {
        match $value {
            Self::Google($inner) => $call,
            Self::Outlook($inner) => $call,
        }
    };
}

/// The variants of a capability Google alone provides.
macro_rules! google_only {
    ($value:expr, $inner:ident => $call:expr) => {
        match $value {
            Self::Google($inner) => $call,
        }
    };
}

mod mail;

pub use mail::{Mailbox, Outbox};

impl Session {
    pub fn calls(&self) -> u32 {
        match self {
            Session::Google(s) => s.meter().calls(),
            Session::Microsoft(s) => s.calls(),
        }
    }

    /// The provider's last `Retry-After` in this session.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Session::Google(s) => s.meter().retry_after(),
            Session::Microsoft(s) => s.retry_after(),
        }
    }

    /// The account's mailbox, read.
    pub fn mailbox(&self, owner: &str) -> Mailbox {
        match self {
            Session::Google(s) => Mailbox::Google(google::gmail::GmailMailbox::new(s, owner)),
            Session::Microsoft(s) => {
                Mailbox::Outlook(microsoft::outlook::OutlookMailbox::new(s.clone(), owner))
            }
        }
    }

    /// The account's outbox; `can_read` false when the grant only allows sending (Outlook's
    /// drafts permission, `Mail.ReadWrite`, always reads).
    pub fn outbox(&self, owner: &str, can_read: bool) -> Option<Outbox> {
        match self {
            Session::Google(s) => {
                let mailbox = google::gmail::GmailMailbox::new(s, owner);
                Some(Outbox::Google(if can_read {
                    mailbox
                } else {
                    mailbox.without_read_access()
                }))
            }
            Session::Microsoft(s) => Some(Outbox::Outlook(
                microsoft::outlook::OutlookMailbox::new(s.clone(), owner),
            )),
        }
    }

    pub fn calendar(&self) -> Option<Calendar> {
        match self {
            Session::Google(s) => Some(Calendar::Google(google::calendar::GoogleCalendar::new(s))),
            Session::Microsoft(s) => Some(Calendar::Outlook(
                microsoft::calendar::OutlookCalendar::new(s.clone()),
            )),
        }
    }

    pub fn folders(&self) -> Option<Folders> {
        match self {
            Session::Google(s) => Some(Folders::Google(google::drive::GoogleDrive::new(s))),
            Session::Microsoft(_) => None,
        }
    }

    pub fn documents(&self) -> Option<Documents> {
        match self {
            Session::Google(s) => Some(Documents::Google(google::docs::GoogleDocs::new(s))),
            Session::Microsoft(_) => None,
        }
    }

    pub fn spreadsheets(&self) -> Option<Spreadsheets> {
        match self {
            Session::Google(s) => Some(Spreadsheets::Google(google::sheets::GoogleSheets::new(s))),
            Session::Microsoft(_) => None,
        }
    }
}

pub enum Calendar {
    Google(google::calendar::GoogleCalendar),
    Outlook(microsoft::calendar::OutlookCalendar),
}

impl CalendarSource for Calendar {
    async fn events(
        &self,
        sync_token: Option<&str>,
        since: Timestamp,
        page: Option<String>,
    ) -> Result<EventPage, SourceError> {
        each!(self, c => c.events(sync_token, since, page).await)
    }
}

impl CalendarWriter for Calendar {
    async fn insert(&self, key: &str, event: &TimedEvent) -> Result<String, SourceError> {
        each!(self, c => c.insert(key, event).await)
    }
    async fn update(&self, id: &str, event: &TimedEvent) -> Result<bool, SourceError> {
        each!(self, c => c.update(id, event).await)
    }
}

pub enum Folders {
    Google(google::drive::GoogleDrive),
}

impl FolderTree for Folders {
    async fn folder(&self, id: &str) -> Result<Option<Folder>, SourceError> {
        google_only!(self, f => f.folder(id).await)
    }
    async fn children_named(
        &self,
        parent: Option<&str>,
        name: &str,
    ) -> Result<Vec<Folder>, SourceError> {
        google_only!(self, f => f.children_named(parent, name).await)
    }
    async fn create(&self, parent: Option<&str>, name: &str) -> Result<Folder, SourceError> {
        google_only!(self, f => f.create(parent, name).await)
    }
    async fn trash(&self, id: &str) -> Result<(), SourceError> {
        google_only!(self, f => f.trash(id).await)
    }
}

pub enum Documents {
    Google(google::docs::GoogleDocs),
}

impl DocStore for Documents {
    fn provider(&self) -> Provider {
        google_only!(self, d => d.provider())
    }
    fn document_noun(&self) -> &'static str {
        google_only!(self, d => d.document_noun())
    }
    async fn read(&self, id: &str) -> Result<Option<(String, String)>, SourceError> {
        google_only!(self, d => d.read(id).await)
    }
    async fn copy_into(
        &self,
        id: &str,
        name: &str,
        folder: &str,
    ) -> Result<(String, String), SourceError> {
        google_only!(self, d => d.copy_into(id, name, folder).await)
    }
    async fn replace_all(&self, id: &str, pairs: &[(String, String)]) -> Result<(), SourceError> {
        google_only!(self, d => d.replace_all(id, pairs).await)
    }
    async fn trash(&self, id: &str) -> Result<(), SourceError> {
        google_only!(self, d => DocStore::trash(d, id).await)
    }
    async fn create_with_text(
        &self,
        title: &str,
        text: &str,
    ) -> Result<(String, String), SourceError> {
        google_only!(self, d => d.create_with_text(title, text).await)
    }
    async fn import_docx(
        &self,
        title: &str,
        bytes: Vec<u8>,
    ) -> Result<(String, String), SourceError> {
        google_only!(self, d => d.import_docx(title, bytes).await)
    }
}

pub enum Spreadsheets {
    Google(google::sheets::GoogleSheets),
}

impl SpreadsheetSink for Spreadsheets {
    async fn live_grid(&self, id: &str) -> Result<Option<Grid>, SourceError> {
        google_only!(self, s => s.live_grid(id).await)
    }
    async fn find_made(&self, title: &str) -> Result<Option<String>, SourceError> {
        google_only!(self, s => s.find_made(title).await)
    }
    async fn create(
        &self,
        title: &str,
        sheet_title: &str,
        rows: u32,
        columns: u32,
    ) -> Result<Grid, SourceError> {
        google_only!(self, s => s.create(title, sheet_title, rows, columns).await)
    }
    async fn add_rows(&self, grid: &Grid, rows: u32) -> Result<(), SourceError> {
        google_only!(self, s => s.add_rows(grid, rows).await)
    }
    async fn write(
        &self,
        grid: &Grid,
        block: &CellBlock,
        values: Vec<Vec<SheetCell>>,
    ) -> Result<(), SourceError> {
        google_only!(self, s => s.write(grid, block, values).await)
    }
}

impl SheetTable for Spreadsheets {
    async fn rows(
        &self,
        spreadsheet_id: &str,
        sheet: &str,
    ) -> Result<Vec<Vec<String>>, SourceError> {
        google_only!(self, s => s.rows(spreadsheet_id, sheet).await)
    }
    async fn rows_and_grid(
        &self,
        spreadsheet_id: &str,
        sheet: &str,
    ) -> Result<Option<(Vec<Vec<String>>, Grid)>, SourceError> {
        google_only!(self, s => s.rows_and_grid(spreadsheet_id, sheet).await)
    }
    async fn add_columns(&self, grid: &Grid, columns: u32) -> Result<(), SourceError> {
        google_only!(self, s => s.add_columns(grid, columns).await)
    }
    async fn write_blocks(
        &self,
        spreadsheet_id: &str,
        blocks: Vec<(CellBlock, Vec<Vec<String>>)>,
    ) -> Result<(), SourceError> {
        google_only!(self, s => s.write_blocks(spreadsheet_id, blocks).await)
    }
}

/// An account's texting and call log.
pub enum Texting {
    Twilio(twilio::texting::TwilioTexts),
}

impl Texting {
    /// Requests made so far.
    pub fn calls(&self) -> u32 {
        match self {
            Texting::Twilio(t) => t.calls(),
        }
    }
}

impl TextGateway for Texting {
    fn provider_name(&self) -> &'static str {
        match self {
            Texting::Twilio(t) => t.provider_name(),
        }
    }
    async fn senders(&self) -> Result<Vec<cremmy_protocol::sms::Sender>, SourceError> {
        match self {
            Texting::Twilio(t) => t.senders().await,
        }
    }
    async fn send(&self, text: &OutgoingText<'_>) -> Result<SendOutcome, SourceError> {
        match self {
            Texting::Twilio(t) => t.send(text).await,
        }
    }
    async fn templates(&self) -> Result<Vec<cremmy_protocol::sms::TextTemplate>, SourceError> {
        match self {
            Texting::Twilio(t) => t.templates().await,
        }
    }
    async fn state(&self, sid: &str) -> Result<Option<TextState>, SourceError> {
        match self {
            Texting::Twilio(t) => t.state(sid).await,
        }
    }
    async fn sent_between(
        &self,
        from: &str,
        to: &str,
        since: Timestamp,
    ) -> Result<Vec<TextState>, SourceError> {
        match self {
            Texting::Twilio(t) => t.sent_between(from, to, since).await,
        }
    }
    async fn received_at(
        &self,
        address: &str,
        since: Timestamp,
    ) -> Result<Vec<TextState>, SourceError> {
        match self {
            Texting::Twilio(t) => t.received_at(address, since).await,
        }
    }
}

impl CallLog for Texting {
    async fn calls_since(&self, since: Timestamp) -> Result<Vec<CallRecord>, SourceError> {
        match self {
            Texting::Twilio(t) => t.calls_since(since).await,
        }
    }
}
