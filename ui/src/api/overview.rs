//! The typed calls of the overview pages and the clients list's tools: Settings → Money,
//! Reports, Today, the selection and saved filters, the lead score. Part of `api` (same rules:
//! every call returns `Result<T, ApiError>`).

use cremmy_protocol::commands as cmd;
use cremmy_protocol::crm::{BulkClientEdit, Id, SavedFilter};
use serde::Serialize;

use super::{call, InputArg, NoArgs, Reply};

/// Settings → Money: home currency, exchange rates, stage probabilities.
pub async fn money_settings() -> Reply<cremmy_protocol::reports::MoneySettings> {
    call(cmd::MONEY_SETTINGS, &NoArgs {}).await
}
pub async fn set_home_currency(currency: String) -> Reply<cremmy_protocol::reports::MoneySettings> {
    #[derive(Serialize)]
    struct A {
        currency: String,
    }
    call(cmd::SET_HOME_CURRENCY, &A { currency }).await
}
/// An empty rate removes it.
pub async fn set_exchange_rate(
    input: cremmy_protocol::reports::RateInput,
) -> Reply<cremmy_protocol::reports::MoneySettings> {
    call(cmd::SET_EXCHANGE_RATE, &InputArg { input: &input }).await
}
/// None returns the stage to its default probability.
pub async fn set_stage_probability(
    stage_id: Id,
    percent: Option<u8>,
) -> Reply<cremmy_protocol::reports::MoneySettings> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct A {
        stage_id: Id,
        percent: Option<u8>,
    }
    call(cmd::SET_STAGE_PROBABILITY, &A { stage_id, percent }).await
}
pub async fn reports(
    request: cremmy_protocol::reports::ReportRequest,
) -> Reply<cremmy_protocol::reports::Reports> {
    #[derive(Serialize)]
    struct A {
        request: cremmy_protocol::reports::ReportRequest,
    }
    call(cmd::REPORTS, &A { request }).await
}
/// "Export CSV" on a report: the file goes to the exports folder beside the database.
pub async fn export_report(
    kind: cremmy_protocol::reports::ReportKind,
    request: cremmy_protocol::reports::ReportRequest,
) -> Reply<cremmy_protocol::data::ExportMade> {
    #[derive(Serialize)]
    struct A {
        kind: cremmy_protocol::reports::ReportKind,
        request: cremmy_protocol::reports::ReportRequest,
    }
    call(cmd::EXPORT_REPORT, &A { kind, request }).await
}
/// The Today page; the sidebar counts from it too.
pub async fn today(
    request: cremmy_protocol::today::TodayRequest,
) -> Reply<cremmy_protocol::today::Today> {
    #[derive(Serialize)]
    struct A {
        request: cremmy_protocol::today::TodayRequest,
    }
    call(cmd::TODAY, &A { request }).await
}
pub async fn set_today_settings(
    settings: cremmy_protocol::today::TodaySettings,
) -> Reply<cremmy_protocol::today::TodaySettings> {
    #[derive(Serialize)]
    struct A {
        settings: cremmy_protocol::today::TodaySettings,
    }
    call(cmd::SET_TODAY_SETTINGS, &A { settings }).await
}
/// Tag, untag, archive or restore the selected clients (all or none); how many changed.
pub async fn edit_clients(input: BulkClientEdit) -> Reply<u64> {
    call(cmd::EDIT_CLIENTS, &InputArg { input: &input }).await
}
/// The selected clients as CSV in the exports folder.
pub async fn export_clients(client_ids: Vec<Id>) -> Reply<cremmy_protocol::data::ExportMade> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct A {
        client_ids: Vec<Id>,
    }
    call(cmd::EXPORT_CLIENTS, &A { client_ids }).await
}
pub async fn saved_filters() -> Reply<Vec<SavedFilter>> {
    call(cmd::SAVED_FILTERS, &NoArgs {}).await
}
pub async fn save_filter(filter: SavedFilter) -> Reply<Vec<SavedFilter>> {
    #[derive(Serialize)]
    struct A {
        filter: SavedFilter,
    }
    call(cmd::SAVE_FILTER, &A { filter }).await
}
pub async fn delete_filter(name: String) -> Reply<Vec<SavedFilter>> {
    #[derive(Serialize)]
    struct A {
        name: String,
    }
    call(cmd::DELETE_FILTER, &A { name }).await
}
/// The client's lead score, computed now.
pub async fn client_score(client_id: Id) -> Reply<cremmy_protocol::scores::LeadScore> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct A {
        client_id: Id,
    }
    call(cmd::CLIENT_SCORE, &A { client_id }).await
}
pub async fn score_settings() -> Reply<cremmy_protocol::scores::ScoreSettings> {
    call(cmd::SCORE_SETTINGS, &NoArgs {}).await
}
/// Saves the lead-score settings and recomputes every score.
pub async fn set_score_settings(
    settings: cremmy_protocol::scores::ScoreSettings,
) -> Reply<cremmy_protocol::scores::ScoreSettings> {
    #[derive(Serialize)]
    struct A {
        settings: cremmy_protocol::scores::ScoreSettings,
    }
    call(cmd::SET_SCORE_SETTINGS, &A { settings }).await
}
