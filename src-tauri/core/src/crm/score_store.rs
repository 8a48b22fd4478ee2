//! Lead scores on the database: the facts of a client gathered for `score::score`, the settings
//! (weights and the ideal client profile) and the stored results.

use std::collections::HashMap;

use cremmy_protocol::crm::{ActivityKind, Id, Money, Stage, StageKind};
use cremmy_protocol::scores::{LeadScore, ScoreSettings};

use super::money::Rates;
use super::rows::Stored;
use super::score::{score, ClientFacts, OpenDeal, Touch, DAY_MS};
use super::{validate, Crm, CrmError, CrmResult, Entity};

const SETTINGS: &str = "lead_score";
const TOUCH_DAYS: i64 = 90;
/// A client's deals: title, value, currency, stage and since when it is in that stage.
const DEALS: &str = "SELECT d.title, d.value_minor, d.currency, d.stage_id, \
    coalesce((SELECT max(h.entered_at) FROM deal_stage_history h WHERE h.deal_id = d.id AND h.left_at IS NULL), d.updated_at) \
    FROM deals d";

type TouchRow = (String, String, i64);
/// An invoice: status, currency, total, owed, due (ms), last paid (ms).
type InvoiceRow = (String, String, i64, i64, Option<i64>, Option<i64>);
/// Every invoice with when it was last paid; `{}`: a filter.
const INVOICES: &str =
    "SELECT i.client_id, i.status, i.currency, i.total_minor, i.total_minor - i.paid_minor, \
    i.due_at, (SELECT max(p.paid_at) FROM payments p WHERE p.invoice_id = i.id) FROM invoices i";
type DealRow = (String, i64, String, Id, i64);

/// A client's rows as read from the database, before they become `ClientFacts`.
#[derive(Default)]
struct FactRows {
    website: String,
    tags: Vec<String>,
    touches: Vec<TouchRow>,
    deals: Vec<DealRow>,
    invoices: Vec<InvoiceRow>,
}

impl FactRows {
    fn into_facts(self, client_id: Id, stages: &[Stage], rates: &Rates, now: i64) -> ClientFacts {
        let (mut paid_on_time, mut paid_late, mut overdue) = (0, 0, Vec::new());
        for (status, currency, _total, owed, due, paid_at) in &self.invoices {
            match (status.as_str(), due, paid_at) {
                ("paid", Some(due), Some(at)) if at > due => paid_late += 1,
                ("paid", _, _) => paid_on_time += 1,
                ("open", Some(due), _) if *due < now && *owed > 0 => overdue.push(Money {
                    minor: *owed,
                    currency: currency.clone(),
                }),
                _ => {}
            }
        }
        let touches = self
            .touches
            .into_iter()
            .map(|(kind, direction, at)| {
                let kind = ActivityKind::from_db(&kind);
                Touch {
                    kind,
                    inbound: direction == "inbound" || kind == ActivityKind::Meeting,
                    at,
                }
            })
            .collect();
        let open: Vec<_> = stages
            .iter()
            .filter(|s| s.kind == StageKind::Open)
            .collect();
        let mut open_deals = Vec::new();
        let mut won = Vec::new();
        for (title, minor, currency, stage_id, since) in self.deals {
            let value = Money { minor, currency };
            match stages.iter().find(|s| s.id == stage_id).map(|s| s.kind) {
                Some(StageKind::Won) => won.push(value),
                Some(StageKind::Open) => {
                    let rank = open.iter().position(|s| s.id == stage_id).unwrap_or(0);
                    open_deals.push(OpenDeal {
                        title,
                        value_home: rates.convert(&value),
                        stage: open[rank].name.clone(),
                        stage_rank: rank,
                        open_stages: open.len(),
                        in_stage_since: since,
                    });
                }
                _ => {}
            }
        }
        ClientFacts {
            client_id,
            tags: self.tags,
            has_website: !self.website.trim().is_empty(),
            touches,
            open_deals,
            won_home: rates.total(&won).home.minor,
            won_count: won.len() as i64,
            home_currency: rates.home.clone(),
            paid_on_time,
            paid_late,
            overdue_home: rates.total(&overdue).home.minor,
        }
    }
}

impl Crm {
    pub async fn score_settings(&self) -> CrmResult<ScoreSettings> {
        Ok(self
            .database()
            .json_setting(SETTINGS)
            .await?
            .unwrap_or_default())
    }

    /// Saves the settings and recomputes every score with them.
    pub async fn set_score_settings(&self, s: &ScoreSettings) -> CrmResult<ScoreSettings> {
        let weights = [
            s.engagement_weight,
            s.fit_weight,
            s.momentum_weight,
            s.financial_weight,
        ];
        if weights.iter().all(|w| *w == 0) || weights.iter().any(|w| *w > 100) {
            return Err(CrmError::invalid("weights", "each 0 to 100, and not all 0"));
        }
        if !(1..=90).contains(&s.no_reply_days)
            || s.ideal_deal_value < 0
            || !(1..=100).contains(&s.threshold)
        {
            return Err(CrmError::invalid(
                "lead score",
                "days without a reply must be 1 to 90, the ideal deal size positive, the threshold 1 to 100",
            ));
        }
        let mut clean = s.clone();
        clean.ideal_tags = s
            .ideal_tags
            .iter()
            .filter(|t| !t.trim().is_empty())
            .map(|t| validate::name("ideal tag", t))
            .collect::<CrmResult<_>>()?;
        let json = serde_json::to_string(&clean)
            .map_err(|e| CrmError::invalid("lead score", e.to_string()))?;
        self.database()
            .put_setting(SETTINGS, Some(&json), self.now())
            .await?;
        self.recompute_scores().await?;
        Ok(clean)
    }

    /// What the score of `client_id` is computed from, as of now.
    pub async fn client_facts(&self, client_id: Id, rates: &Rates) -> CrmResult<ClientFacts> {
        let website: Option<String> =
            sqlx::query_scalar("SELECT website FROM clients WHERE id = ?")
                .bind(client_id)
                .fetch_optional(self.pool())
                .await?;
        let Some(website) = website else {
            return Err(CrmError::NotFound {
                entity: Entity::Client,
                id: client_id,
            });
        };
        let tags: Vec<String> = sqlx::query_scalar(
            "SELECT t.name FROM client_tags ct JOIN tags t ON t.id = ct.tag_id WHERE ct.client_id = ? ORDER BY t.name COLLATE NOCASE",
        )
        .bind(client_id)
        .fetch_all(self.pool())
        .await?;
        let touches: Vec<TouchRow> = sqlx::query_as(
            "SELECT kind, direction, occurred_at FROM activities WHERE client_id = ? AND occurred_at >= ? \
             AND kind IN ('email', 'sms', 'call', 'meeting')",
        )
        .bind(client_id)
        .bind(self.now() - TOUCH_DAYS * DAY_MS)
        .fetch_all(self.pool())
        .await?;
        let deals: Vec<DealRow> =
            sqlx::query_as(&format!("{DEALS} WHERE d.client_id = ? ORDER BY d.id"))
                .bind(client_id)
                .fetch_all(self.pool())
                .await?;
        let invoices: Vec<(Id, String, String, i64, i64, Option<i64>, Option<i64>)> =
            sqlx::query_as(&format!("{INVOICES} WHERE i.client_id = ?"))
                .bind(client_id)
                .fetch_all(self.pool())
                .await?;
        let stages = self.stages().await?;
        let rows = FactRows {
            website,
            tags,
            touches,
            deals,
            invoices: invoices
                .into_iter()
                .map(|(_, s, c, t, o, d, p)| (s, c, t, o, d, p))
                .collect(),
        };
        Ok(rows.into_facts(client_id, &stages, rates, self.now()))
    }

    /// The facts of every active client, read with four statements instead of four per client.
    async fn all_client_facts(&self, rates: &Rates) -> CrmResult<Vec<ClientFacts>> {
        let clients: Vec<(Id, String)> =
            sqlx::query_as("SELECT id, website FROM clients WHERE archived = 0 ORDER BY id")
                .fetch_all(self.pool())
                .await?;
        let mut by_client: HashMap<Id, FactRows> = clients
            .into_iter()
            .map(|(id, website)| {
                let rows = FactRows {
                    website,
                    ..FactRows::default()
                };
                (id, rows)
            })
            .collect();
        let tags: Vec<(Id, String)> = sqlx::query_as(
            "SELECT ct.client_id, t.name FROM client_tags ct JOIN tags t ON t.id = ct.tag_id ORDER BY ct.client_id, t.name COLLATE NOCASE",
        )
        .fetch_all(self.pool())
        .await?;
        for (id, tag) in tags {
            if let Some(rows) = by_client.get_mut(&id) {
                rows.tags.push(tag);
            }
        }
        // One index seek per client (activities_timeline is client_id, occurred_at).
        let touches: Vec<(Id, String, String, i64)> = sqlx::query_as(
            "SELECT a.client_id, a.kind, a.direction, a.occurred_at FROM clients c \
             JOIN activities a ON a.client_id = c.id AND a.occurred_at >= ? \
             WHERE c.archived = 0 AND a.kind IN ('email', 'sms', 'call', 'meeting')",
        )
        .bind(self.now() - TOUCH_DAYS * DAY_MS)
        .fetch_all(self.pool())
        .await?;
        for (id, kind, direction, at) in touches {
            if let Some(rows) = by_client.get_mut(&id) {
                rows.touches.push((kind, direction, at));
            }
        }
        let deals: Vec<(Id, String, i64, String, Id, i64)> = sqlx::query_as(&format!(
            "{} ORDER BY d.client_id, d.id",
            DEALS.replacen("SELECT ", "SELECT d.client_id, ", 1)
        ))
        .fetch_all(self.pool())
        .await?;
        for (id, title, minor, currency, stage_id, since) in deals {
            if let Some(rows) = by_client.get_mut(&id) {
                rows.deals.push((title, minor, currency, stage_id, since));
            }
        }
        let invoices: Vec<(Id, String, String, i64, i64, Option<i64>, Option<i64>)> =
            sqlx::query_as(INVOICES).fetch_all(self.pool()).await?;
        for (id, status, currency, total, owed, due, paid) in invoices {
            if let Some(rows) = by_client.get_mut(&id) {
                rows.invoices
                    .push((status, currency, total, owed, due, paid));
            }
        }
        let stages = self.stages().await?;
        let now = self.now();
        let mut facts: Vec<ClientFacts> = by_client
            .into_iter()
            .map(|(id, rows)| rows.into_facts(id, &stages, rates, now))
            .collect();
        facts.sort_by_key(|f| f.client_id);
        Ok(facts)
    }

    /// Computes and stores one client's score.
    pub async fn client_score(&self, client_id: Id) -> CrmResult<LeadScore> {
        let settings = self.score_settings().await?;
        self.score_with(client_id, &settings).await
    }

    async fn score_with(&self, client_id: Id, settings: &ScoreSettings) -> CrmResult<LeadScore> {
        let rates = self.rates().await?;
        let s = score(
            &self.client_facts(client_id, &rates).await?,
            settings,
            self.now(),
        );
        self.store_scores(std::slice::from_ref(&s)).await?;
        Ok(s)
    }

    /// Recomputes a client's score after something happened to it. When the total rises to the
    /// threshold from below (once per crossing: it must fall below again to cross again), the
    /// switched-on automatic actions run, a task from the top next action and a deal for a client
    /// without an open one, and `ScoreCrossed` is published.
    pub async fn rescore(&self, client_id: Id) -> CrmResult<LeadScore> {
        let before = self
            .stored_score(client_id)
            .await?
            .map(|s| s.total)
            .unwrap_or(0);
        let settings = self.score_settings().await?;
        let now_score = self.score_with(client_id, &settings).await?;
        if before >= settings.threshold || now_score.total < settings.threshold {
            return Ok(now_score);
        }
        let name: String = sqlx::query_scalar("SELECT name FROM clients WHERE id = ?")
            .bind(client_id)
            .fetch_one(self.pool())
            .await?;
        if settings.auto_task {
            let title = now_score
                .next_actions
                .first()
                .cloned()
                .unwrap_or_else(|| format!("Follow up with {name}: score {}", now_score.total));
            let today = super::Date::from_days(self.now().div_euclid(super::score::DAY_MS));
            self.create_task(&cremmy_protocol::crm::TaskInput {
                title,
                notes: format!("Lead score rose from {before} to {}.", now_score.total),
                due_date: Some(today.to_string()),
                client_id: Some(client_id),
                ..Default::default()
            })
            .await?;
        }
        if settings.auto_deal && !self.has_open_deal(client_id).await? {
            self.create_deal(&cremmy_protocol::crm::DealInput {
                client_id,
                title: format!("{name}: new opportunity (score {})", now_score.total),
                currency: self.home_currency().await?,
                ..Default::default()
            })
            .await?;
        }
        let detail = serde_json::json!({ "score": {
            "from": before, "to": now_score.total, "threshold": settings.threshold,
        }});
        sqlx::query(
            "INSERT INTO event_journal (gid, kind, client_id, detail, occurred_at, recorded_at) \
             VALUES ('evt_' || lower(hex(randomblob(12))), 'score_crossed', ?, ?, ?, ?)",
        )
        .bind(client_id)
        .bind(detail.to_string())
        .bind(self.now())
        .bind(self.now())
        .execute(self.writer())
        .await?;
        self.publish(cremmy_protocol::crm::CrmEvent::ScoreCrossed {
            client_id,
            from: before,
            to: now_score.total,
            at: self.now(),
        });
        self.client_score(client_id).await
    }

    async fn has_open_deal(&self, client_id: Id) -> CrmResult<bool> {
        Ok(sqlx::query_scalar::<_, i64>(
            "SELECT 1 FROM deals d JOIN stages s ON s.id = d.stage_id WHERE d.client_id = ? AND s.kind = 'open' LIMIT 1",
        )
        .bind(client_id)
        .fetch_optional(self.pool())
        .await?
        .is_some())
    }

    /// Recomputes every active client's score; returns how many.
    pub async fn recompute_scores(&self) -> CrmResult<u64> {
        let rates = self.rates().await?;
        let settings = self.score_settings().await?;
        let now = self.now();
        let scores: Vec<LeadScore> = self
            .all_client_facts(&rates)
            .await?
            .iter()
            .map(|facts| score(facts, &settings, now))
            .collect();
        self.store_scores(&scores).await?;
        Ok(scores.len() as u64)
    }

    /// The stored score of a client, if computed.
    pub async fn stored_score(&self, client_id: Id) -> CrmResult<Option<LeadScore>> {
        type Row = (i64, i64, i64, i64, i64, String, String, i64);
        let row: Option<Row> = sqlx::query_as(
            "SELECT total, engagement, fit, momentum, financial, signals, next_actions, computed_at FROM client_scores WHERE client_id = ?",
        )
        .bind(client_id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(
            |(total, engagement, fit, momentum, financial, signals, next, computed_at)| LeadScore {
                client_id,
                total: total as u8,
                engagement: engagement as u8,
                fit: fit as u8,
                momentum: momentum as u8,
                financial: financial as u8,
                signals: serde_json::from_str(&signals).unwrap_or_default(),
                next_actions: serde_json::from_str(&next).unwrap_or_default(),
                computed_at,
            },
        ))
    }

    async fn store_scores(&self, scores: &[LeadScore]) -> CrmResult<()> {
        let mut tx = self.writer().begin().await?;
        for s in scores {
            let signals = serde_json::to_string(&s.signals)
                .map_err(|e| CrmError::invalid("score", e.to_string()))?;
            let next = serde_json::to_string(&s.next_actions)
                .map_err(|e| CrmError::invalid("score", e.to_string()))?;
            sqlx::query(
                "INSERT INTO client_scores (client_id, total, engagement, fit, momentum, financial, signals, next_actions, computed_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (client_id) DO UPDATE SET total = excluded.total, \
                 engagement = excluded.engagement, fit = excluded.fit, momentum = excluded.momentum, financial = excluded.financial, \
                 signals = excluded.signals, next_actions = excluded.next_actions, computed_at = excluded.computed_at",
            )
            .bind(s.client_id)
            .bind(i64::from(s.total))
            .bind(i64::from(s.engagement))
            .bind(i64::from(s.fit))
            .bind(i64::from(s.momentum))
            .bind(i64::from(s.financial))
            .bind(signals)
            .bind(next)
            .bind(s.computed_at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
