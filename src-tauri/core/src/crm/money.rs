//! Money in more than one currency: the home currency, the user's exchange rates (entered by
//! hand, with the date each was last updated) and each stage's win probability. Totals convert
//! what has a rate and keep the rest apart, never dropping an amount.

use std::collections::BTreeMap;

use cremmy_protocol::crm::{HomeTotal, Id, Money, Stage, StageKind};
use cremmy_protocol::reports::{ExchangeRate, MoneySettings, RateInput, StageProbability};

use super::rows::Stored;
use super::{validate, Crm, CrmError, CrmResult, Entity};

const HOME_CURRENCY: &str = "money.home_currency";
const MICROS: i128 = 1_000_000;
/// The largest rate accepted: one unit worth a billion home units is a typo.
const MAX_RATE_MICROS: i64 = 1_000_000_000 * 1_000_000;

/// "1.0842" → 1_084_200 (millionths). Up to six decimals, more than zero.
pub fn parse_rate(text: &str) -> CrmResult<i64> {
    let t = text.trim().replace(',', ".");
    let bad = || {
        CrmError::invalid(
            "rate",
            format!(
                "\"{}\" is not a rate like 1.0842 (more than 0, up to six decimals)",
                text.trim()
            ),
        )
    };
    let (whole, fraction) = t.split_once('.').unwrap_or((&t, ""));
    if (whole.is_empty() && fraction.is_empty())
        || fraction.len() > 6
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !fraction.chars().all(|c| c.is_ascii_digit())
        || whole.len() > 10
    {
        return Err(bad());
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| bad())?
    };
    let fraction: i64 = format!("{fraction:0<6}").parse().map_err(|_| bad())?;
    let micros = whole * 1_000_000 + fraction;
    if micros <= 0 || micros > MAX_RATE_MICROS {
        return Err(bad());
    }
    Ok(micros)
}

/// 1_084_200 → "1.0842".
pub fn format_rate(micros: i64) -> String {
    let text = format!("{}.{:06}", micros / 1_000_000, micros % 1_000_000);
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// `a × b ÷ c`, rounded half away from zero (c > 0).
fn mul_div_round(a: i128, b: i128, c: i128) -> i64 {
    let n = a * b;
    let q = (n.abs() + c / 2) / c;
    (if n < 0 { -q } else { q }) as i64
}

/// The rates to one home currency, ready to convert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rates {
    pub home: String,
    /// Home units per unit of a currency, in millionths.
    pub micros: BTreeMap<String, i64>,
}

impl Rates {
    pub fn new(home: &str) -> Rates {
        Rates {
            home: home.to_string(),
            micros: BTreeMap::new(),
        }
    }

    pub fn with(mut self, currency: &str, micros: i64) -> Rates {
        self.micros.insert(currency.to_string(), micros);
        self
    }

    /// `m` in home minor units, or None without a rate. Minor units follow each currency's
    /// exponent (¥1,000 at 0.0062 is $6.20).
    pub fn convert(&self, m: &Money) -> Option<i64> {
        if m.currency == self.home {
            return Some(m.minor);
        }
        let rate = *self.micros.get(&m.currency)?;
        Some(mul_div_round(
            i128::from(m.minor) * i128::from(rate),
            i128::from(Money::minor_per_major(&self.home)),
            i128::from(Money::minor_per_major(&m.currency)) * MICROS,
        ))
    }

    /// Sums amounts in the home currency; what has no rate is summed per currency, apart.
    pub fn total<'a>(&self, amounts: impl IntoIterator<Item = &'a Money>) -> HomeTotal {
        let mut home = 0i64;
        let mut apart: BTreeMap<String, i64> = BTreeMap::new();
        for m in amounts {
            match self.convert(m) {
                Some(v) => home = home.saturating_add(v),
                None => *apart.entry(m.currency.clone()).or_default() += m.minor,
            }
        }
        let mut unconverted: Vec<Money> = apart
            .into_iter()
            .map(|(currency, minor)| Money { minor, currency })
            .collect();
        unconverted.sort_by(|a, b| {
            b.minor
                .cmp(&a.minor)
                .then_with(|| a.currency.cmp(&b.currency))
        });
        HomeTotal {
            home: Money {
                minor: home,
                currency: self.home.clone(),
            },
            unconverted,
        }
    }
}

/// `total` × `percent` ÷ 100, each part rounded.
pub fn weighted(total: &HomeTotal, percent: u8) -> HomeTotal {
    let scale = |m: &Money| Money {
        minor: mul_div_round(i128::from(m.minor), i128::from(percent), 100),
        currency: m.currency.clone(),
    };
    HomeTotal {
        home: scale(&total.home),
        unconverted: total.unconverted.iter().map(scale).collect(),
    }
}

/// Adds totals in the same home currency.
pub fn sum_totals<'a>(rates: &Rates, totals: impl IntoIterator<Item = &'a HomeTotal>) -> HomeTotal {
    let parts: Vec<Money> = totals
        .into_iter()
        .flat_map(|t| std::iter::once(t.home.clone()).chain(t.unconverted.iter().cloned()))
        .collect();
    rates.total(parts.iter())
}

/// A stage's win probability: the user's choice, else 100 for won, 0 for lost, and for open
/// stages an even spread by their order (four open stages: 20, 40, 60, 80).
pub fn probability(stage: &Stage, chosen: Option<u8>, open_rank: usize, open_count: usize) -> u8 {
    match stage.kind {
        StageKind::Won => 100,
        StageKind::Lost => 0,
        StageKind::Open => {
            chosen.unwrap_or_else(|| (((open_rank + 1) * 100) / (open_count + 1)).min(100) as u8)
        }
    }
}

impl Crm {
    /// The currency totals are shown in: the user's choice, else the one most deals use, else USD.
    pub async fn home_currency(&self) -> CrmResult<String> {
        if let Some(c) = self.database().setting(HOME_CURRENCY).await? {
            return Ok(c);
        }
        let most: Option<String> = sqlx::query_scalar(
            "SELECT currency FROM deals GROUP BY currency ORDER BY count(*) DESC, currency LIMIT 1",
        )
        .fetch_optional(self.pool())
        .await?;
        Ok(most.unwrap_or_else(|| "USD".to_string()))
    }

    /// The rates to the home currency.
    pub async fn rates(&self) -> CrmResult<Rates> {
        let home = self.home_currency().await?;
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT currency, rate_micros FROM exchange_rates WHERE home = ?")
                .bind(&home)
                .fetch_all(self.pool())
                .await?;
        let mut rates = Rates::new(&home);
        rates.micros.extend(rows);
        Ok(rates)
    }

    /// Each stage, in pipeline order, with its probability.
    pub async fn stage_probabilities(&self) -> CrmResult<Vec<StageProbability>> {
        let chosen: Vec<(Id, Option<i64>)> = sqlx::query_as("SELECT id, probability FROM stages")
            .fetch_all(self.pool())
            .await?;
        let stages = self.stages().await?;
        let open_count = stages.iter().filter(|s| s.kind == StageKind::Open).count();
        let mut open_rank = 0;
        Ok(stages
            .into_iter()
            .map(|stage| {
                let set = chosen
                    .iter()
                    .find(|(id, _)| *id == stage.id)
                    .and_then(|(_, p)| *p)
                    .map(|p| p.clamp(0, 100) as u8);
                let p = probability(&stage, set, open_rank, open_count);
                if stage.kind == StageKind::Open {
                    open_rank += 1;
                }
                StageProbability {
                    chosen: set.is_some() && stage.kind == StageKind::Open,
                    probability: p,
                    stage,
                }
            })
            .collect())
    }

    pub async fn money_settings(&self) -> CrmResult<MoneySettings> {
        let home_currency = self.home_currency().await?;
        let rows: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT currency, rate_micros, updated_at FROM exchange_rates WHERE home = ? ORDER BY currency",
        )
        .bind(&home_currency)
        .fetch_all(self.pool())
        .await?;
        let missing: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT currency FROM deals WHERE currency <> ?1 \
             AND currency NOT IN (SELECT currency FROM exchange_rates WHERE home = ?1) ORDER BY currency",
        )
        .bind(&home_currency)
        .fetch_all(self.pool())
        .await?;
        Ok(MoneySettings {
            rates: rows
                .into_iter()
                .map(|(currency, micros, updated_at)| ExchangeRate {
                    currency,
                    rate: format_rate(micros),
                    updated_at,
                })
                .collect(),
            missing,
            stages: self.stage_probabilities().await?,
            home_currency,
        })
    }

    /// Changes the home currency. Rates entered for another home currency are kept for when it
    /// comes back, never reinterpreted.
    pub async fn set_home_currency(&self, currency: &str) -> CrmResult<MoneySettings> {
        if currency.trim().is_empty() {
            return Err(CrmError::invalid(
                "home currency",
                "choose a currency, like EUR",
            ));
        }
        let c = validate::currency(currency)?;
        self.database()
            .put_setting(HOME_CURRENCY, Some(&c), self.now())
            .await?;
        self.money_settings().await
    }

    /// Sets (or, with an empty rate, removes) the rate of one currency to the home currency.
    pub async fn set_exchange_rate(&self, input: &RateInput) -> CrmResult<MoneySettings> {
        if input.currency.trim().is_empty() {
            return Err(CrmError::invalid("currency", "name the currency, like GBP"));
        }
        let currency = validate::currency(&input.currency)?;
        let home = self.home_currency().await?;
        if currency == home {
            return Err(CrmError::invalid(
                "currency",
                format!("{currency} is the home currency; it needs no rate"),
            ));
        }
        if input.rate.trim().is_empty() {
            sqlx::query("DELETE FROM exchange_rates WHERE home = ? AND currency = ?")
                .bind(&home)
                .bind(&currency)
                .execute(self.writer())
                .await?;
        } else {
            let micros = parse_rate(&input.rate)?;
            // Pin the home currency that the rate was entered against.
            self.database()
                .put_setting(HOME_CURRENCY, Some(&home), self.now())
                .await?;
            sqlx::query(
                "INSERT INTO exchange_rates (home, currency, rate_micros, updated_at) VALUES (?, ?, ?, ?) \
                 ON CONFLICT (home, currency) DO UPDATE SET rate_micros = excluded.rate_micros, updated_at = excluded.updated_at",
            )
            .bind(&home)
            .bind(&currency)
            .bind(micros)
            .bind(self.now())
            .execute(self.writer())
            .await?;
        }
        self.money_settings().await
    }

    /// Sets an open stage's win probability (None: back to the default).
    pub async fn set_stage_probability(
        &self,
        stage_id: Id,
        percent: Option<u8>,
    ) -> CrmResult<MoneySettings> {
        if percent.is_some_and(|p| p > 100) {
            return Err(CrmError::invalid(
                "probability",
                "must be between 0 and 100 percent",
            ));
        }
        let kind: Option<String> = sqlx::query_scalar("SELECT kind FROM stages WHERE id = ?")
            .bind(stage_id)
            .fetch_optional(self.pool())
            .await?;
        match kind.as_deref().map(StageKind::from_db) {
            None => {
                return Err(CrmError::NotFound {
                    entity: Entity::Stage,
                    id: stage_id,
                })
            }
            Some(StageKind::Open) => {}
            Some(_) => {
                return Err(CrmError::invalid(
                    "probability",
                    "won stages are always 100% and lost stages 0%",
                ))
            }
        }
        sqlx::query("UPDATE stages SET probability = ? WHERE id = ?")
            .bind(percent.map(i64::from))
            .bind(stage_id)
            .execute(self.writer())
            .await?;
        self.money_settings().await
    }
}
