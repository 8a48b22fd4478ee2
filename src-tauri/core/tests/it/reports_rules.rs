//! The pure rules behind money and reports, table by table: rates, conversion by each currency's
//! minor units, totals that keep unrated currencies apart, default stage probabilities, local
//! months, won/lost per month, paid per month, and stage-to-stage flow.

use cremmy_core::crm::reports::{
    local_month, major, month_start, months_ending, outcomes, revenue, stage_flow, Closed, Visit,
};
use cremmy_core::crm::{days_from_civil, format_rate, parse_rate, probability, weighted, Rates};
use cremmy_protocol::crm::{Id, Money, Stage, StageKind};

const DAY_MS: i64 = 86_400_000;
const HOUR_MS: i64 = 3_600_000;

fn usd(minor: i64) -> Money {
    Money {
        minor,
        currency: "USD".into(),
    }
}
fn m(minor: i64, c: &str) -> Money {
    Money {
        minor,
        currency: c.into(),
    }
}

#[test]
fn rates_parse_as_millionths_and_refuse_nonsense() {
    for (text, want) in [
        ("1.0842", Some(1_084_200)),
        ("1,25", Some(1_250_000)),
        (" 0.000001 ", Some(1)),
        ("150", Some(150_000_000)),
        (".5", Some(500_000)),
        ("0", None),
        ("-1.2", None),
        ("1.0000001", None),
        ("abc", None),
        ("", None),
        ("1e3", None),
    ] {
        assert_eq!(parse_rate(text).ok(), want, "rate {text:?}");
    }
    assert_eq!(format_rate(1_084_200), "1.0842");
    assert_eq!(format_rate(150_000_000), "150");
}

#[test]
fn conversion_follows_each_currencys_minor_units() {
    let rates = Rates::new("USD").with("EUR", 1_100_000).with("JPY", 6_200);
    assert_eq!(
        rates.convert(&m(2_300_000, "EUR")),
        Some(2_530_000),
        "€23,000 at 1.10 is $25,300"
    );
    assert_eq!(
        rates.convert(&m(1_000, "JPY")),
        Some(620),
        "¥1,000 at 0.0062 is $6.20"
    );
    assert_eq!(
        rates.convert(&usd(5)),
        Some(5),
        "the home currency is itself"
    );
    assert_eq!(rates.convert(&m(100, "GBP")), None, "no rate, no guess");
    let yen_home = Rates::new("JPY").with("USD", 160_000_000);
    assert_eq!(
        yen_home.convert(&usd(1_050)),
        Some(1_680),
        "$10.50 at 160 is ¥1,680"
    );
}

#[test]
fn a_total_keeps_currencies_without_a_rate_apart() {
    let rates = Rates::new("USD").with("EUR", 1_100_000);
    let total = rates.total(&[
        usd(1_000_00),
        m(2_300_000, "EUR"),
        m(1_500_000, "GBP"),
        m(500, "GBP"),
        m(9, "CHF"),
    ]);
    assert_eq!(total.home, usd(100_000 + 2_530_000));
    assert_eq!(
        total.unconverted,
        vec![m(1_500_500, "GBP"), m(9, "CHF")],
        "GBP and CHF have no rate: summed apart, largest first, not dropped"
    );
    let half = weighted(&total, 50);
    assert_eq!(half.home, usd(1_315_000));
    assert_eq!(half.unconverted[0], m(750_250, "GBP"));
}

#[test]
fn default_probabilities_spread_the_open_stages() {
    let stage = |kind| Stage {
        id: 1,
        name: "S".into(),
        position: 0,
        kind,
    };
    assert_eq!(probability(&stage(StageKind::Won), Some(5), 0, 4), 100);
    assert_eq!(probability(&stage(StageKind::Lost), Some(90), 0, 4), 0);
    let spread: Vec<u8> = (0..4)
        .map(|r| probability(&stage(StageKind::Open), None, r, 4))
        .collect();
    assert_eq!(spread, vec![20, 40, 60, 80]);
    assert_eq!(
        probability(&stage(StageKind::Open), Some(35), 0, 4),
        35,
        "the user's choice wins"
    );
}

fn stages() -> Vec<Stage> {
    let s = |id, name: &str, position, kind| Stage {
        id,
        name: name.into(),
        position,
        kind,
    };
    vec![
        s(1, "Lead", 0, StageKind::Open),
        s(2, "Proposal", 1, StageKind::Open),
        s(3, "Won", 2, StageKind::Won),
        s(4, "Lost", 3, StageKind::Lost),
    ]
}

fn visits(deal: Id, path: &[(Id, i64)]) -> Vec<Visit> {
    path.iter()
        .enumerate()
        .map(|(i, &(stage_id, at))| Visit {
            deal_id: deal,
            stage_id,
            entered_at: at * HOUR_MS,
            left_at: path.get(i + 1).map(|&(_, next)| next * HOUR_MS),
        })
        .collect()
}

#[test]
fn flow_counts_each_deal_once_per_stage_by_where_it_went() {
    let mut v = Vec::new();
    v.extend(visits(1, &[(1, 0), (2, 24), (3, 72)])); // Lead → Proposal → Won
    v.extend(visits(2, &[(1, 0), (4, 48)])); // Lead → Lost
    v.extend(visits(3, &[(1, 0), (2, 10), (1, 20), (2, 30)])); // back and forth, still in Proposal
    v.extend(visits(4, &[(2, 0)])); // created in Proposal, still there
    let flow = stage_flow(&stages(), &v);
    let row = |name: &str| flow.iter().find(|f| f.stage.name == name).unwrap();
    let lead = row("Lead");
    assert_eq!(
        (lead.entered, lead.advanced, lead.lost),
        (3, 2, 1),
        "deal 3 left Lead forward the last time"
    );
    assert_eq!(lead.conversion_percent, Some(67));
    // Lead stays: 24, 48, 10, 10 hours → 23 h.
    assert_eq!(lead.average_hours_in_stage, Some(23));
    let proposal = row("Proposal");
    assert_eq!(
        (proposal.entered, proposal.advanced, proposal.lost),
        (3, 1, 0),
        "a move back is neither"
    );
    assert_eq!(proposal.conversion_percent, Some(100));
    assert_eq!(
        proposal.average_hours_in_stage,
        Some(29),
        "stays of 48 and 10 hours; open stays wait"
    );
    assert!(
        flow.iter().all(|f| f.stage.kind == StageKind::Open),
        "won and lost are outcomes, not steps"
    );
    let empty = stage_flow(&stages(), &[]);
    assert_eq!(
        empty[0].conversion_percent, None,
        "no decided deal, no percentage"
    );
    assert_eq!(empty[0].average_hours_in_stage, None);
}

#[test]
fn months_are_local_and_end_with_this_one() {
    // 2026-03-31T23:30Z is already April in UTC+2, still March in UTC-5.
    let t = days_from_civil(2026, 3, 31) * DAY_MS + 23 * HOUR_MS + 30 * 60_000;
    assert_eq!(local_month(t, 120), (2026, 4));
    assert_eq!(local_month(t, -300), (2026, 3));
    assert_eq!(
        months_ending(t, 0, 3),
        vec![(2026, 1), (2026, 2), (2026, 3)]
    );
    assert_eq!(
        months_ending(days_from_civil(2026, 2, 1) * DAY_MS, 0, 3),
        vec![(2025, 12), (2026, 1), (2026, 2)],
        "across a year"
    );
    assert_eq!(
        month_start(2026, 4, 120),
        days_from_civil(2026, 4, 1) * DAY_MS - 2 * HOUR_MS
    );
}

#[test]
fn outcomes_sum_each_month_in_the_home_currency() {
    let rates = Rates::new("USD").with("EUR", 1_100_000);
    let at = |y, m, d| days_from_civil(y, m, d) * DAY_MS + 12 * HOUR_MS;
    let money = |minor, c: &str| Money {
        minor,
        currency: c.into(),
    };
    let closed = vec![
        Closed {
            won_at: Some(at(2026, 10, 3)),
            lost_at: None,
            value: money(100_000, "USD"),
        },
        Closed {
            won_at: Some(at(2026, 10, 20)),
            lost_at: None,
            value: money(100_000, "EUR"),
        },
        Closed {
            won_at: None,
            lost_at: Some(at(2026, 11, 2)),
            value: money(50_000, "GBP"),
        },
        Closed {
            won_at: Some(at(2026, 6, 1)),
            lost_at: None,
            value: money(999, "USD"),
        },
    ];
    let rows = outcomes(&rates, &closed, &[(2026, 10), (2026, 11)], 0);
    assert_eq!(rows[0].month, "2026-10");
    assert_eq!(
        (rows[0].won_count, rows[0].won.home.minor),
        (2, 210_000),
        "$1,000 + €1,000 at 1.10"
    );
    assert_eq!(rows[1].lost_count, 1);
    assert_eq!(rows[1].lost.home.minor, 0);
    assert_eq!(
        rows[1].lost.unconverted,
        vec![money(50_000, "GBP")],
        "no GBP rate: kept apart"
    );
    assert_eq!(
        rows.iter().map(|r| r.won_count).sum::<i64>(),
        2,
        "June is outside the months asked for"
    );
}

#[test]
fn csv_amounts_are_major_units() {
    assert_eq!(
        major(&Money {
            minor: 2_530_000,
            currency: "USD".into()
        }),
        "25300.00"
    );
    assert_eq!(
        major(&Money {
            minor: 1_680,
            currency: "JPY".into()
        }),
        "1680"
    );
    assert_eq!(
        major(&Money {
            minor: 5,
            currency: "EUR".into()
        }),
        "0.05"
    );
}

#[test]
fn revenue_sums_each_months_payments_in_the_home_currency() {
    let rates = Rates::new("USD").with("EUR", 1_100_000);
    let at = |y, m, d| days_from_civil(y, m, d) * DAY_MS + 12 * HOUR_MS;
    let paid = vec![
        (usd(100_000), at(2026, 10, 3)),
        (m(100_000, "EUR"), at(2026, 10, 31)),
        (m(50_000, "GBP"), at(2026, 11, 2)),
        (usd(999), at(2026, 6, 1)),
        // Refunded in full: counted as nothing.
        (usd(0), at(2026, 11, 5)),
    ];
    let rows = revenue(&rates, &paid, &[(2026, 10), (2026, 11)], 0);
    let got: Vec<(&str, i64, i64, Vec<Money>)> = rows
        .iter()
        .map(|r| {
            (
                r.month.as_str(),
                r.payments,
                r.paid.home.minor,
                r.paid.unconverted.clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("2026-10", 2, 210_000, vec![]),
            ("2026-11", 2, 0, vec![m(50_000, "GBP")]),
        ],
        "USD as is, EUR at 1.10, GBP without a rate kept apart; June is outside the months"
    );
    // Noon on the 31st in UTC is already November twelve hours and a minute east.
    let east = revenue(&rates, &paid[1..2], &[(2026, 10), (2026, 11)], 12 * 60 + 1);
    assert_eq!((east[0].payments, east[1].payments), (0, 1));
}
