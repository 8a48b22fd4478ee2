//! Money in more than one currency (the home currency and the user's exchange rates), stage
//! probabilities, and the Reports page: forecast, won and lost per month, stage-to-stage flow, top
//! clients. Each report also exports as CSV.

use serde::{Deserialize, Serialize};

use crate::crm::{HomeTotal, Id, Millis, Stage};

/// One rate the user entered: one unit of `currency` is worth `rate` of the home currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExchangeRate {
    pub currency: String,
    /// A decimal as typed ("1.0842"), up to six decimals.
    pub rate: String,
    pub updated_at: Millis,
}

/// Settings → Money.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoneySettings {
    /// What totals and charts are shown in (ISO 4217).
    pub home_currency: String,
    /// The rates to the home currency, by currency.
    pub rates: Vec<ExchangeRate>,
    /// Currencies the deals use that have no rate: their amounts are shown apart.
    pub missing: Vec<String>,
    /// Each stage with its win probability (percent) for the forecast.
    pub stages: Vec<StageProbability>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageProbability {
    pub stage: Stage,
    /// 0–100. Won stages are 100 and lost ones 0, always.
    pub probability: u8,
    /// Set by the user (otherwise a default from the stage's place in the pipeline).
    pub chosen: bool,
}

/// "Save" on a rate: an empty `rate` removes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateInput {
    pub currency: String,
    pub rate: String,
}

/// What the Reports page asks for: months are the user's local months.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportRequest {
    /// Minutes east of UTC of the user's time zone now (UTC+1 is 60).
    pub utc_offset_minutes: i32,
    /// How many months "won and lost per month" covers, this month included (1–36).
    pub months: u8,
}

/// One stage of the pipeline forecast.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageForecast {
    pub stage: Stage,
    pub probability: u8,
    pub deal_count: i64,
    /// Everything in the stage.
    pub value: HomeTotal,
    /// value × probability.
    pub weighted: HomeTotal,
}

/// Deals won and lost in one local month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthOutcome {
    /// 'YYYY-MM'.
    pub month: String,
    pub won_count: i64,
    pub won: HomeTotal,
    pub lost_count: i64,
    pub lost: HomeTotal,
}

/// How deals move through one open stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageFlow {
    pub stage: Stage,
    /// Deals that ever entered the stage.
    pub entered: i64,
    /// …of which later reached a further stage or were won.
    pub advanced: i64,
    /// …of which were lost from it.
    pub lost: i64,
    /// advanced ÷ (advanced + lost), when any deal left the stage either way.
    pub conversion_percent: Option<u8>,
    /// The average time a deal spent in the stage before leaving it, in hours.
    pub average_hours_in_stage: Option<i64>,
}

/// A client by the value of its deals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientValue {
    pub client_id: Id,
    pub name: String,
    pub won: HomeTotal,
    pub open: HomeTotal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reports {
    pub home_currency: String,
    /// Every stage in pipeline order; won and lost stages included.
    pub pipeline: Vec<StageForecast>,
    /// The sum of the open stages' weighted values.
    pub forecast: HomeTotal,
    /// Oldest month first.
    pub outcomes: Vec<MonthOutcome>,
    /// The open stages in pipeline order.
    pub flow: Vec<StageFlow>,
    /// Up to ten clients, by won value then open value.
    pub top_clients: Vec<ClientValue>,
    /// Currencies in the data without a rate to the home currency.
    pub missing_rates: Vec<String>,
    /// Paid per month over the same months as `outcomes` (payments less refunds).
    #[serde(default)]
    pub revenue: Vec<MonthRevenue>,
    /// What clients owe on open invoices, the most first.
    #[serde(default)]
    pub outstanding: Vec<ClientOwed>,
}

/// Payments received in one local month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthRevenue {
    /// 'YYYY-MM'.
    pub month: String,
    pub payments: i64,
    pub paid: HomeTotal,
}

/// A client's open invoices' balance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientOwed {
    pub client_id: Id,
    pub name: String,
    pub owed: HomeTotal,
}

/// Which report a CSV export writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    Pipeline,
    Outcomes,
    Flow,
    TopClients,
}

impl ReportKind {
    pub const ALL: [ReportKind; 4] = [
        ReportKind::Pipeline,
        ReportKind::Outcomes,
        ReportKind::Flow,
        ReportKind::TopClients,
    ];
    pub fn slug(self) -> &'static str {
        match self {
            ReportKind::Pipeline => "pipeline",
            ReportKind::Outcomes => "won-lost",
            ReportKind::Flow => "stage-flow",
            ReportKind::TopClients => "top-clients",
        }
    }
}
