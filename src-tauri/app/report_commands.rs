//! Commands of the overview pages: Today, Reports, and Settings → Money (home currency, exchange
//! rates, stage probabilities). One-liners like `commands.rs`.

use cremmy_core::HasErrorCode;
use cremmy_protocol::crm::Id;
use cremmy_protocol::data::ExportMade;
use cremmy_protocol::reports::{MoneySettings, RateInput, ReportKind, ReportRequest, Reports};
use cremmy_protocol::today::{Today, TodayRequest, TodaySettings};
use cremmy_protocol::ApiError;
use tauri::State;

use crate::desktop::Backend;

type Reply<T> = Result<T, ApiError>;

fn api<E: HasErrorCode>(e: E) -> ApiError {
    e.to_api_error()
}

#[tauri::command]
pub async fn money_settings(b: State<'_, Backend>) -> Reply<MoneySettings> {
    b.opened()?.crm.money_settings().await.map_err(api)
}

#[tauri::command]
pub async fn set_home_currency(b: State<'_, Backend>, currency: String) -> Reply<MoneySettings> {
    b.opened()?
        .crm
        .set_home_currency(&currency)
        .await
        .map_err(api)
}

/// "Save" on a rate row; an empty rate removes it.
#[tauri::command]
pub async fn set_exchange_rate(b: State<'_, Backend>, input: RateInput) -> Reply<MoneySettings> {
    b.opened()?.crm.set_exchange_rate(&input).await.map_err(api)
}

/// A stage's win probability; None returns it to the default.
#[tauri::command]
pub async fn set_stage_probability(
    b: State<'_, Backend>,
    stage_id: Id,
    percent: Option<u8>,
) -> Reply<MoneySettings> {
    b.opened()?
        .crm
        .set_stage_probability(stage_id, percent)
        .await
        .map_err(api)
}

#[tauri::command]
pub async fn reports(b: State<'_, Backend>, request: ReportRequest) -> Reply<Reports> {
    b.opened()?.crm.reports(request).await.map_err(api)
}

/// "Export CSV" on a report: written to the exports folder beside the database.
#[tauri::command]
pub async fn export_report(
    b: State<'_, Backend>,
    kind: ReportKind,
    request: ReportRequest,
) -> Reply<ExportMade> {
    b.opened()?
        .core
        .export_report(kind, request)
        .await
        .map_err(api)
}

/// The Today page (the home page and the sidebar's counts).
#[tauri::command]
pub async fn today(b: State<'_, Backend>, request: TodayRequest) -> Reply<Today> {
    b.opened()?.crm.today(&request).await.map_err(api)
}

/// The Today page's thresholds (days without a reply, days without activity).
#[tauri::command]
pub async fn set_today_settings(
    b: State<'_, Backend>,
    settings: TodaySettings,
) -> Reply<TodaySettings> {
    b.opened()?
        .crm
        .set_today_settings(settings)
        .await
        .map_err(api)
}
