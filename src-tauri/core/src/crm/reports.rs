//! The Reports page: pipeline forecast (open value × stage probability), won and lost per local
//! month, stage-to-stage flow (conversion and time in stage, from `deal_stage_history`) and top
//! clients, all in the home currency with unconverted amounts kept apart. The arithmetic is pure
//! (table-tested below); the queries only gather rows. Each report also writes as CSV.

use std::collections::BTreeMap;
use std::io::Write;

use cremmy_protocol::crm::{HomeTotal, Id, Money, Stage, StageKind};
use cremmy_protocol::reports::{
    ClientOwed, ClientValue, MonthOutcome, MonthRevenue, ReportKind, ReportRequest, Reports,
    StageFlow, StageForecast,
};

use super::dates::{days_from_civil, Date};
use super::money::{sum_totals, weighted, Rates};
use super::{neutralised, Crm, CrmError, CrmResult};

const DAY_MS: i64 = 86_400_000;
const HOUR_MS: i64 = 3_600_000;
const TOP_CLIENTS: usize = 10;

/// One stay of a deal in a stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Visit {
    pub deal_id: Id,
    pub stage_id: Id,
    pub entered_at: i64,
    pub left_at: Option<i64>,
}

/// The local (year, month) of `ms` at `offset_minutes` east of UTC.
pub fn local_month(ms: i64, offset_minutes: i32) -> (i32, u32) {
    let local = ms + i64::from(offset_minutes) * 60_000;
    let d = Date::from_days(local.div_euclid(DAY_MS));
    (d.year, d.month)
}

/// The `count` local months ending with the one holding `now`, oldest first.
pub fn months_ending(now: i64, offset_minutes: i32, count: u8) -> Vec<(i32, u32)> {
    let (mut y, mut m) = local_month(now, offset_minutes);
    let mut out = Vec::with_capacity(usize::from(count));
    for _ in 0..count.max(1) {
        out.push((y, m));
        (y, m) = if m == 1 { (y - 1, 12) } else { (y, m - 1) };
    }
    out.reverse();
    out
}

/// The UTC instant a local month starts.
pub fn month_start(year: i32, month: u32, offset_minutes: i32) -> i64 {
    days_from_civil(year, month, 1) * DAY_MS - i64::from(offset_minutes) * 60_000
}

/// A closed deal: when it was won or lost, and its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closed {
    pub won_at: Option<i64>,
    pub lost_at: Option<i64>,
    pub value: Money,
}

/// Won and lost per month over `months` (oldest first); deals outside them are not counted.
pub fn outcomes(
    rates: &Rates,
    closed: &[Closed],
    months: &[(i32, u32)],
    offset: i32,
) -> Vec<MonthOutcome> {
    months
        .iter()
        .map(|&(y, m)| {
            let in_month = |at: Option<i64>| at.is_some_and(|t| local_month(t, offset) == (y, m));
            let won: Vec<&Money> = closed
                .iter()
                .filter(|c| in_month(c.won_at))
                .map(|c| &c.value)
                .collect();
            let lost: Vec<&Money> = closed
                .iter()
                .filter(|c| in_month(c.lost_at))
                .map(|c| &c.value)
                .collect();
            MonthOutcome {
                month: format!("{y:04}-{m:02}"),
                won_count: won.len() as i64,
                won: rates.total(won),
                lost_count: lost.len() as i64,
                lost: rates.total(lost),
            }
        })
        .collect()
}

/// Paid per month over `months` (oldest first): each payment (less what was refunded) in the
/// local month it arrived.
pub fn revenue(
    rates: &Rates,
    paid: &[(Money, i64)],
    months: &[(i32, u32)],
    offset: i32,
) -> Vec<MonthRevenue> {
    months
        .iter()
        .map(|&(y, m)| {
            let in_month: Vec<&Money> = paid
                .iter()
                .filter(|(_, at)| local_month(*at, offset) == (y, m))
                .map(|(money, _)| money)
                .collect();
            MonthRevenue {
                month: format!("{y:04}-{m:02}"),
                payments: in_month.len() as i64,
                paid: rates.total(in_month),
            }
        })
        .collect()
}

/// How deals moved through each open stage. A deal counts once per stage: entering it; then, by
/// where it went the last time it left, advanced (a later stage, or won) or lost. Moving back
/// counts as neither. Time in stage averages every finished stay.
pub fn stage_flow(stages: &[Stage], visits: &[Visit]) -> Vec<StageFlow> {
    let stage = |id: Id| stages.iter().find(|s| s.id == id);
    let mut by_deal: BTreeMap<Id, Vec<&Visit>> = BTreeMap::new();
    for v in visits {
        by_deal.entry(v.deal_id).or_default().push(v);
    }
    for stays in by_deal.values_mut() {
        stays.sort_by_key(|v| v.entered_at);
    }
    stages
        .iter()
        .filter(|s| s.kind == StageKind::Open)
        .map(|s| {
            let (mut entered, mut advanced, mut lost) = (0, 0, 0);
            for stays in by_deal.values() {
                let Some(last) = stays.iter().rposition(|v| v.stage_id == s.id) else {
                    continue;
                };
                entered += 1;
                match stays.get(last + 1).and_then(|next| stage(next.stage_id)) {
                    Some(next) if next.kind == StageKind::Lost => lost += 1,
                    Some(next) if next.kind == StageKind::Won || next.position > s.position => {
                        advanced += 1
                    }
                    _ => {}
                }
            }
            let durations: Vec<i64> = visits
                .iter()
                .filter(|v| v.stage_id == s.id)
                .filter_map(|v| v.left_at.map(|left| (left - v.entered_at).max(0)))
                .collect();
            let decided = advanced + lost;
            StageFlow {
                stage: s.clone(),
                entered,
                advanced,
                lost,
                conversion_percent: (decided > 0)
                    .then(|| ((advanced * 100 + decided / 2) / decided) as u8),
                average_hours_in_stage: (!durations.is_empty()).then(|| {
                    let total: i64 = durations.iter().sum();
                    (total / durations.len() as i64 + HOUR_MS / 2) / HOUR_MS
                }),
            }
        })
        .collect()
}

/// Amount as major units for CSV ("25300.00", "1680" for JPY).
pub fn major(m: &Money) -> String {
    let per = Money::minor_per_major(&m.currency);
    if per == 1 {
        m.minor.to_string()
    } else {
        let sign = if m.minor < 0 { "-" } else { "" };
        format!("{sign}{}.{:02}", m.minor.abs() / 100, m.minor.abs() % 100)
    }
}

/// "1500.00 GBP; 9.00 CHF".
fn apart(t: &HomeTotal) -> String {
    t.unconverted
        .iter()
        .map(|m| format!("{} {}", major(m), m.currency))
        .collect::<Vec<_>>()
        .join("; ")
}

impl Crm {
    pub async fn reports(&self, req: ReportRequest) -> CrmResult<Reports> {
        if !(1..=36).contains(&req.months) || req.utc_offset_minutes.abs() > 14 * 60 {
            return Err(CrmError::invalid(
                "report",
                "months must be 1 to 36 and the UTC offset within ±14 hours",
            ));
        }
        let rates = self.rates().await?;
        let probabilities = self.stage_probabilities().await?;
        let sums: Vec<(Id, String, i64, i64)> = sqlx::query_as(
            "SELECT stage_id, currency, count(*), sum(value_minor) FROM deals GROUP BY stage_id, currency",
        )
        .fetch_all(self.pool())
        .await?;
        let pipeline: Vec<StageForecast> = probabilities
            .iter()
            .map(|p| {
                let amounts: Vec<Money> = sums
                    .iter()
                    .filter(|(s, ..)| *s == p.stage.id)
                    .map(|(_, currency, _, minor)| Money {
                        minor: *minor,
                        currency: currency.clone(),
                    })
                    .collect();
                let value = rates.total(&amounts);
                StageForecast {
                    stage: p.stage.clone(),
                    probability: p.probability,
                    deal_count: sums
                        .iter()
                        .filter(|(s, ..)| *s == p.stage.id)
                        .map(|(_, _, n, _)| n)
                        .sum(),
                    weighted: weighted(&value, p.probability),
                    value,
                }
            })
            .collect();
        let forecast = sum_totals(
            &rates,
            pipeline
                .iter()
                .filter(|f| f.stage.kind == StageKind::Open)
                .map(|f| &f.weighted),
        );

        let now = self.now();
        let months = months_ending(now, req.utc_offset_minutes, req.months);
        let since = months
            .first()
            .map(|&(y, m)| month_start(y, m, req.utc_offset_minutes))
            .unwrap_or(now);
        let rows: Vec<(Option<i64>, Option<i64>, i64, String)> = sqlx::query_as(
            "SELECT won_at, lost_at, value_minor, currency FROM deals WHERE won_at >= ?1 OR lost_at >= ?1",
        )
        .bind(since)
        .fetch_all(self.pool())
        .await?;
        let closed: Vec<Closed> = rows
            .into_iter()
            .map(|(won_at, lost_at, minor, currency)| Closed {
                won_at,
                lost_at,
                value: Money { minor, currency },
            })
            .collect();

        let visits: Vec<(Id, Id, i64, Option<i64>)> = sqlx::query_as(
            "SELECT deal_id, stage_id, entered_at, left_at FROM deal_stage_history ORDER BY deal_id, entered_at, id",
        )
        .fetch_all(self.pool())
        .await?;
        let visits: Vec<Visit> = visits
            .into_iter()
            .map(|(deal_id, stage_id, entered_at, left_at)| Visit {
                deal_id,
                stage_id,
                entered_at,
                left_at,
            })
            .collect();
        let stages: Vec<Stage> = probabilities.iter().map(|p| p.stage.clone()).collect();

        let per_client: Vec<(Id, String, String, i64, i64)> = sqlx::query_as(
            "SELECT d.client_id, c.name, d.currency, \
                    sum(CASE WHEN s.kind = 'won' THEN d.value_minor ELSE 0 END), \
                    sum(CASE WHEN s.kind = 'open' THEN d.value_minor ELSE 0 END) \
             FROM deals d JOIN clients c ON c.id = d.client_id JOIN stages s ON s.id = d.stage_id \
             WHERE c.archived = 0 AND s.kind <> 'lost' GROUP BY d.client_id, d.currency",
        )
        .fetch_all(self.pool())
        .await?;
        let mut clients: BTreeMap<Id, (String, Vec<Money>, Vec<Money>)> = BTreeMap::new();
        for (id, name, currency, won, open) in per_client {
            let entry = clients
                .entry(id)
                .or_insert_with(|| (name, Vec::new(), Vec::new()));
            entry.1.push(Money {
                minor: won,
                currency: currency.clone(),
            });
            entry.2.push(Money {
                minor: open,
                currency,
            });
        }
        let mut top_clients: Vec<ClientValue> = clients
            .into_iter()
            .map(|(client_id, (name, won, open))| ClientValue {
                client_id,
                name,
                won: rates.total(won.iter().filter(|m| m.minor > 0)),
                open: rates.total(open.iter().filter(|m| m.minor > 0)),
            })
            .filter(|c| {
                c.won.home.minor > 0
                    || c.open.home.minor > 0
                    || !c.won.unconverted.is_empty()
                    || !c.open.unconverted.is_empty()
            })
            .collect();
        top_clients.sort_by(|a, b| {
            b.won
                .home
                .minor
                .cmp(&a.won.home.minor)
                .then(b.open.home.minor.cmp(&a.open.home.minor))
                .then_with(|| a.name.cmp(&b.name))
        });
        top_clients.truncate(TOP_CLIENTS);

        // Currencies the deals use without a rate (from the sums already read).
        let mut missing_rates: Vec<String> = sums
            .iter()
            .map(|(_, currency, ..)| currency.clone())
            .filter(|c| *c != rates.home && !rates.micros.contains_key(c))
            .collect();
        missing_rates.sort();
        missing_rates.dedup();
        let first = months
            .first()
            .map(|&(y, m)| month_start(y, m, req.utc_offset_minutes))
            .unwrap_or(0);
        let payments: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT currency, amount_minor - refunded_minor, paid_at FROM payments WHERE paid_at >= ?",
        )
        .bind(first)
        .fetch_all(self.pool())
        .await?;
        let paid: Vec<(Money, i64)> = payments
            .into_iter()
            .map(|(currency, minor, at)| (Money { minor, currency }, at))
            .collect();
        let owed_rows: Vec<(Id, String, String, i64)> = sqlx::query_as(
            "SELECT c.id, c.name, i.currency, sum(i.total_minor - i.paid_minor) FROM invoices i \
             JOIN clients c ON c.id = i.client_id WHERE i.status = 'open' GROUP BY c.id, i.currency",
        )
        .fetch_all(self.pool())
        .await?;
        let mut owed: BTreeMap<Id, (String, Vec<Money>)> = BTreeMap::new();
        for (id, name, currency, minor) in owed_rows {
            owed.entry(id)
                .or_insert_with(|| (name, Vec::new()))
                .1
                .push(Money { minor, currency });
        }
        let mut outstanding: Vec<ClientOwed> = owed
            .into_iter()
            .map(|(client_id, (name, amounts))| ClientOwed {
                client_id,
                name,
                owed: rates.total(&amounts),
            })
            .collect();
        outstanding.sort_by(|a, b| {
            b.owed
                .home
                .minor
                .cmp(&a.owed.home.minor)
                .then_with(|| a.name.cmp(&b.name))
        });
        Ok(Reports {
            revenue: revenue(&rates, &paid, &months, req.utc_offset_minutes),
            outstanding,
            missing_rates,
            home_currency: rates.home.clone(),
            outcomes: outcomes(&rates, &closed, &months, req.utc_offset_minutes),
            flow: stage_flow(&stages, &visits),
            pipeline,
            forecast,
            top_clients,
        })
    }

    /// Writes one report as CSV (a header row, then one row per line of the report); returns the
    /// number of data rows. Amounts are in the home currency's major units; amounts without a rate
    /// go in the "not converted" column with their currency.
    pub async fn report_csv(
        &self,
        kind: ReportKind,
        req: ReportRequest,
        out: impl Write,
    ) -> CrmResult<u64> {
        let r = self.reports(req).await?;
        let home = &r.home_currency;
        let mut w = csv::Writer::from_writer(out);
        let io = |e: csv::Error| CrmError::Export(e.into());
        let (header, rows): (Vec<String>, Vec<Vec<String>>) = match kind {
            ReportKind::Pipeline => (
                vec![
                    "stage".into(),
                    "probability_percent".into(),
                    "deals".into(),
                    format!("value_{home}"),
                    format!("weighted_{home}"),
                    "value_not_converted".into(),
                ],
                r.pipeline
                    .iter()
                    .map(|f| {
                        vec![
                            neutralised(f.stage.name.clone()),
                            f.probability.to_string(),
                            f.deal_count.to_string(),
                            major(&f.value.home),
                            major(&f.weighted.home),
                            apart(&f.value),
                        ]
                    })
                    .collect(),
            ),
            ReportKind::Outcomes => (
                vec![
                    "month".into(),
                    "won".into(),
                    format!("won_{home}"),
                    "lost".into(),
                    format!("lost_{home}"),
                    "not_converted".into(),
                ],
                r.outcomes
                    .iter()
                    .map(|o| {
                        let rest = [apart(&o.won), apart(&o.lost)]
                            .into_iter()
                            .filter(|s| !s.is_empty())
                            .collect::<Vec<_>>()
                            .join("; ");
                        vec![
                            o.month.clone(),
                            o.won_count.to_string(),
                            major(&o.won.home),
                            o.lost_count.to_string(),
                            major(&o.lost.home),
                            rest,
                        ]
                    })
                    .collect(),
            ),
            ReportKind::Flow => (
                [
                    "stage",
                    "entered",
                    "advanced",
                    "lost",
                    "conversion_percent",
                    "average_days_in_stage",
                ]
                .map(String::from)
                .to_vec(),
                r.flow
                    .iter()
                    .map(|f| {
                        vec![
                            neutralised(f.stage.name.clone()),
                            f.entered.to_string(),
                            f.advanced.to_string(),
                            f.lost.to_string(),
                            f.conversion_percent
                                .map(|p| p.to_string())
                                .unwrap_or_default(),
                            f.average_hours_in_stage
                                .map(|h| format!("{:.1}", h as f64 / 24.0))
                                .unwrap_or_default(),
                        ]
                    })
                    .collect(),
            ),
            ReportKind::TopClients => (
                vec![
                    "client".into(),
                    format!("won_{home}"),
                    format!("open_{home}"),
                    "not_converted".into(),
                ],
                r.top_clients
                    .iter()
                    .map(|c| {
                        let rest = [apart(&c.won), apart(&c.open)]
                            .into_iter()
                            .filter(|s| !s.is_empty())
                            .collect::<Vec<_>>()
                            .join("; ");
                        vec![
                            neutralised(c.name.clone()),
                            major(&c.won.home),
                            major(&c.open.home),
                            rest,
                        ]
                    })
                    .collect(),
            ),
        };
        w.write_record(&header).map_err(io)?;
        for row in &rows {
            w.write_record(row).map_err(io)?;
        }
        w.flush().map_err(CrmError::Export)?;
        Ok(rows.len() as u64)
    }
}
