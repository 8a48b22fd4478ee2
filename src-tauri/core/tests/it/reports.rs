//! Money in several currencies (home currency, the user's rates, nothing dropped), stage
//! probabilities, and the Reports page's numbers on a real database.

use cremmy_protocol::crm::{DealInput, DealMove, HomeTotal, Money};
use cremmy_protocol::reports::{RateInput, ReportKind, ReportRequest};

use crate::support::{client, stage_id, test_crm, TestCrm};

const HOUR: i64 = 3_600_000;
const UTC_MONTHS: ReportRequest = ReportRequest {
    utc_offset_minutes: 0,
    months: 3,
};

async fn deal(t: &TestCrm, client_id: i64, title: &str, minor: i64, currency: &str) -> i64 {
    t.crm
        .create_deal(&DealInput {
            client_id,
            title: title.into(),
            value_minor: minor,
            currency: currency.into(),
            ..DealInput::default()
        })
        .await
        .unwrap()
        .id
}

async fn move_to(t: &TestCrm, deal_id: i64, stage_name: &str) {
    let stage_id = stage_id(t, stage_name).await;
    t.crm
        .move_deal(DealMove {
            deal_id,
            stage_id,
            index: 0,
        })
        .await
        .unwrap();
}

fn money(minor: i64, currency: &str) -> Money {
    Money {
        minor,
        currency: currency.into(),
    }
}

async fn rate(t: &TestCrm, currency: &str, rate: &str) {
    t.crm
        .set_exchange_rate(&RateInput {
            currency: currency.into(),
            rate: rate.into(),
        })
        .await
        .unwrap();
}

fn lead_total(board: &cremmy_protocol::crm::Board) -> HomeTotal {
    board
        .columns
        .iter()
        .find(|c| c.stage.name == "Lead")
        .unwrap()
        .home_total
        .clone()
}

#[tokio::test]
async fn other_currencies_are_converted_or_shown_apart_never_dropped() {
    let t = test_crm().await;
    let acme = client(&t.crm, "Acme").await;
    deal(&t, acme.id, "Small USD job", 100_000, "USD").await;
    deal(&t, acme.id, "Second USD job", 50_000, "USD").await;
    deal(&t, acme.id, "Route review", 2_300_000, "EUR").await;
    deal(&t, acme.id, "Editorial", 1_500_000, "GBP").await;

    assert_eq!(
        t.crm.home_currency().await.unwrap(),
        "USD",
        "unset, the home currency is the one most deals use"
    );
    let before = lead_total(&t.crm.board(0).await.unwrap());
    assert_eq!(before.home, money(150_000, "USD"));
    assert_eq!(
        before.unconverted,
        vec![money(2_300_000, "EUR"), money(1_500_000, "GBP")],
        "Lead holds €23,000 + £15,000 without rates: both are shown apart, not $0"
    );
    assert_eq!(
        t.crm.money_settings().await.unwrap().missing,
        vec!["EUR", "GBP"]
    );

    rate(&t, "eur", "1.10").await;
    let board = t.crm.board(0).await.unwrap();
    assert_eq!(board.home_currency, "USD");
    let after = lead_total(&board);
    assert_eq!(
        after.home,
        money(150_000 + 2_530_000, "USD"),
        "€23,000 at 1.10 adds $25,300"
    );
    assert_eq!(after.unconverted, vec![money(1_500_000, "GBP")]);
    let settings = t.crm.money_settings().await.unwrap();
    assert_eq!(settings.missing, vec!["GBP"]);
    assert_eq!(
        (
            settings.rates[0].currency.as_str(),
            settings.rates[0].rate.as_str()
        ),
        ("EUR", "1.1")
    );
    assert_eq!(
        settings.rates[0].updated_at,
        crate::support::T0,
        "the date the rate was last updated"
    );

    // Another home currency: rates to USD stay USD's, and come back with it.
    let eur = t.crm.set_home_currency("EUR").await.unwrap();
    assert!(eur.rates.is_empty(), "a USD rate is not an EUR rate");
    assert_eq!(eur.missing, vec!["GBP", "USD"]);
    assert_eq!(
        lead_total(&t.crm.board(0).await.unwrap()).home,
        money(2_300_000, "EUR")
    );
    let usd = t.crm.set_home_currency("USD").await.unwrap();
    assert_eq!(usd.rates.len(), 1, "the EUR→USD rate was kept");

    // Removing a rate puts the amount back apart.
    rate(&t, "EUR", "").await;
    assert_eq!(
        lead_total(&t.crm.board(0).await.unwrap()).unconverted.len(),
        2
    );
}

#[tokio::test]
async fn bad_rates_and_probabilities_are_refused_with_a_reason() {
    let t = test_crm().await;
    for (currency, rate, says) in [
        ("EUR", "-1", "rate"),
        ("EUR", "1.1234567", "six decimals"),
        ("EURO", "1.1", "three-letter"),
        ("USD", "1.1", "home currency"),
        ("", "1.1", "name the currency"),
    ] {
        let err = t
            .crm
            .set_exchange_rate(&RateInput {
                currency: currency.into(),
                rate: rate.into(),
            })
            .await
            .expect_err("a bad rate must be refused");
        assert!(err.to_string().contains(says), "{currency} {rate}: {err}");
    }
    assert!(
        t.crm.money_settings().await.unwrap().rates.is_empty(),
        "nothing was written"
    );
    let won = stage_id(&t, "Won").await;
    let err = t
        .crm
        .set_stage_probability(won, Some(50))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("always 100%"), "{err}");
    let lead = stage_id(&t, "Lead").await;
    assert!(t.crm.set_stage_probability(lead, Some(101)).await.is_err());
}

#[tokio::test]
async fn the_forecast_weights_open_value_by_each_stages_probability() {
    let t = test_crm().await;
    let acme = client(&t.crm, "Acme").await;
    deal(&t, acme.id, "Lead deal", 1_000_000, "USD").await;
    let p = deal(&t, acme.id, "Proposal deal", 2_000_000, "USD").await;
    move_to(&t, p, "Proposal").await;
    let w = deal(&t, acme.id, "Won deal", 500_000, "USD").await;
    move_to(&t, w, "Won").await;

    let r = t.crm.reports(UTC_MONTHS).await.unwrap();
    let row = |name: &str| {
        r.pipeline
            .iter()
            .find(|f| f.stage.name == name)
            .unwrap()
            .clone()
    };
    assert_eq!(
        (row("Lead").probability, row("Proposal").probability),
        (20, 60),
        "four open stages: 20, 40, 60, 80 by default"
    );
    assert_eq!(row("Proposal").weighted.home.minor, 1_200_000);
    assert_eq!(
        r.forecast.home.minor,
        200_000 + 1_200_000,
        "won deals are revenue, not forecast"
    );
    assert_eq!(row("Won").probability, 100);

    let lead = stage_id(&t, "Lead").await;
    let settings = t.crm.set_stage_probability(lead, Some(40)).await.unwrap();
    assert!(settings
        .stages
        .iter()
        .any(|s| s.stage.id == lead && s.chosen && s.probability == 40));
    let r = t.crm.reports(UTC_MONTHS).await.unwrap();
    assert_eq!(
        r.forecast.home.minor,
        400_000 + 1_200_000,
        "the setting changes the forecast"
    );
    t.crm.set_stage_probability(lead, None).await.unwrap();
    assert_eq!(
        t.crm.reports(UTC_MONTHS).await.unwrap().forecast.home.minor,
        1_400_000,
        "back to the default"
    );
}

#[tokio::test]
async fn flow_outcomes_and_top_clients_come_from_what_happened() {
    let t = test_crm().await;
    let acme = client(&t.crm, "Acme").await;
    let globex = client(&t.crm, "Globex").await;
    rate(&t, "EUR", "1.10").await;
    let a = deal(&t, acme.id, "A", 1_000_000, "USD").await;
    let b = deal(&t, globex.id, "B", 2_000_000, "EUR").await;
    deal(&t, globex.id, "C", 300_000, "USD").await;
    t.clock.advance(24 * HOUR);
    move_to(&t, a, "Qualified").await;
    move_to(&t, b, "Lost").await;
    t.clock.advance(48 * HOUR);
    move_to(&t, a, "Won").await;

    let r = t.crm.reports(UTC_MONTHS).await.unwrap();
    let lead = r.flow.iter().find(|f| f.stage.name == "Lead").unwrap();
    assert_eq!(
        (lead.entered, lead.advanced, lead.lost),
        (3, 1, 1),
        "C is still in Lead"
    );
    assert_eq!(lead.conversion_percent, Some(50));
    assert_eq!(
        lead.average_hours_in_stage,
        Some(24),
        "A and B each left Lead after a day"
    );
    let qualified = r.flow.iter().find(|f| f.stage.name == "Qualified").unwrap();
    assert_eq!(
        (
            qualified.entered,
            qualified.advanced,
            qualified.average_hours_in_stage
        ),
        (1, 1, Some(48))
    );

    assert_eq!(r.outcomes.len(), 3);
    let march = r.outcomes.last().unwrap();
    assert_eq!(march.month, "2026-03", "T0 is in March 2026");
    assert_eq!((march.won_count, march.won.home.minor), (1, 1_000_000));
    assert_eq!(
        (march.lost_count, march.lost.home.minor),
        (1, 2_200_000),
        "€20,000 lost, at 1.10"
    );

    let names: Vec<&str> = r.top_clients.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        vec!["Acme", "Globex"],
        "won value first; a lost deal is worth nothing"
    );
    assert_eq!(r.top_clients[1].open.home.minor, 300_000);

    let mut csv = Vec::new();
    let rows = t
        .crm
        .report_csv(ReportKind::Outcomes, UTC_MONTHS, &mut csv)
        .await
        .unwrap();
    let text = String::from_utf8(csv).unwrap();
    assert_eq!(rows, 3);
    assert!(
        text.starts_with("month,won,won_USD,lost,lost_USD,not_converted\n"),
        "{text}"
    );
    assert!(text.contains("2026-03,1,10000.00,1,22000.00,\n"), "{text}");
    for kind in ReportKind::ALL {
        let mut out = Vec::new();
        t.crm.report_csv(kind, UTC_MONTHS, &mut out).await.unwrap();
        assert!(
            String::from_utf8(out).unwrap().lines().count() >= 2,
            "{kind:?} has a header and rows"
        );
    }
    assert!(t
        .crm
        .reports(ReportRequest {
            utc_offset_minutes: 0,
            months: 0
        })
        .await
        .is_err());
}
