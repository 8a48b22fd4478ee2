//! The pipeline: ordered stages, deals placed in them, moves between and within stages, and the
//! board (per-stage counts and totals, the first deals of each column).

use cremmy_protocol::crm::{
    Board, BoardColumn, CrmEvent, Deal, DealInput, DealMove, Id, Money, Stage, StageKind,
};
use sqlx::SqliteConnection;

use super::activities::insert_system_activity;
use super::contacts::touch_client;
use super::rows::{DealRow, Stored, DEAL_COLUMNS};
use super::write::{self, NewDeal};
use super::{validate, Crm, CrmError, CrmResult, Date, Entity};

/// Deals shown per board column before "show more".
pub const BOARD_COLUMN_PAGE: i64 = 50;

async fn stage_in(tx: &mut SqliteConnection, id: Id) -> CrmResult<Stage> {
    let row: (i64, String, i64, String) =
        sqlx::query_as("SELECT id, name, position, kind FROM stages WHERE id = ?")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(CrmError::NotFound {
                entity: Entity::Stage,
                id,
            })?;
    Ok(Stage {
        id: row.0,
        name: row.1,
        position: row.2,
        kind: StageKind::from_db(&row.3),
    })
}

fn money_value(value_minor: i64) -> CrmResult<i64> {
    if value_minor < 0 {
        return Err(CrmError::invalid("value", "cannot be negative"));
    }
    Ok(value_minor)
}

impl Crm {
    pub async fn stages(&self) -> CrmResult<Vec<Stage>> {
        let rows: Vec<(i64, String, i64, String)> =
            sqlx::query_as("SELECT id, name, position, kind FROM stages ORDER BY position, id")
                .fetch_all(self.pool())
                .await?;
        Ok(rows
            .into_iter()
            .map(|(id, name, position, kind)| Stage {
                id,
                name,
                position,
                kind: StageKind::from_db(&kind),
            })
            .collect())
    }

    /// Adds a stage at the end of the pipeline.
    pub async fn create_stage(&self, name: &str, kind: StageKind) -> CrmResult<Stage> {
        let name = validate::name("stage name", name)?;
        let id: Option<Id> = sqlx::query_scalar(
            "INSERT INTO stages (name, position, kind) VALUES (?, (SELECT coalesce(max(position), -1) + 1 FROM stages), ?) \
             ON CONFLICT (name) DO NOTHING RETURNING id",
        )
        .bind(&name)
        .bind(kind.as_db())
        .fetch_optional(self.writer())
        .await?;
        let id = id.ok_or_else(|| {
            CrmError::invalid(
                "stage name",
                format!("a stage called \"{name}\" already exists"),
            )
        })?;
        let mut conn = self.writer().acquire().await?;
        stage_in(&mut conn, id).await
    }

    pub async fn rename_stage(&self, id: Id, name: &str) -> CrmResult<Stage> {
        let name = validate::name("stage name", name)?;
        let mut conn = self.writer().acquire().await?;
        let result = sqlx::query("UPDATE stages SET name = ? WHERE id = ?")
            .bind(&name)
            .bind(id)
            .execute(&mut *conn)
            .await;
        match result {
            Err(sqlx::Error::Database(d)) if d.is_unique_violation() => Err(CrmError::invalid(
                "stage name",
                format!("a stage called \"{name}\" already exists"),
            )),
            Err(e) => Err(e.into()),
            Ok(r) if r.rows_affected() == 0 => Err(CrmError::NotFound {
                entity: Entity::Stage,
                id,
            }),
            Ok(_) => stage_in(&mut conn, id).await,
        }
    }

    /// Sets the pipeline order: `ids` must name every stage exactly once.
    pub async fn reorder_stages(&self, ids: &[Id]) -> CrmResult<Vec<Stage>> {
        let mut tx = self.writer().begin().await?;
        let mut existing: Vec<Id> = sqlx::query_scalar("SELECT id FROM stages")
            .fetch_all(&mut *tx)
            .await?;
        let mut wanted = ids.to_vec();
        existing.sort_unstable();
        wanted.sort_unstable();
        if existing != wanted {
            return Err(CrmError::invalid(
                "stages",
                "the new order must list every stage exactly once",
            ));
        }
        for (position, id) in ids.iter().enumerate() {
            sqlx::query("UPDATE stages SET position = ? WHERE id = ?")
                .bind(position as i64)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        self.stages().await
    }

    /// Deletes an empty stage, keeping at least one open, one won and one lost stage.
    pub async fn delete_stage(&self, id: Id) -> CrmResult<()> {
        let mut tx = self.writer().begin().await?;
        let stage = stage_in(&mut tx, id).await?;
        let deals: i64 = sqlx::query_scalar("SELECT count(*) FROM deals WHERE stage_id = ?")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        if deals > 0 {
            return Err(CrmError::StageNotEmpty {
                stage: stage.name,
                deals,
            });
        }
        let same_kind: i64 = sqlx::query_scalar("SELECT count(*) FROM stages WHERE kind = ?")
            .bind(stage.kind.as_db())
            .fetch_one(&mut *tx)
            .await?;
        if same_kind <= 1 {
            return Err(CrmError::PipelineIncomplete);
        }
        sqlx::query("DELETE FROM stages WHERE id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Creates a deal at the bottom of its stage (the first stage when none is given).
    pub async fn create_deal(&self, input: &DealInput) -> CrmResult<Deal> {
        let title = validate::name("title", &input.title)?;
        let currency = validate::currency(&input.currency)?;
        let value = money_value(input.value_minor)?;
        let owner = validate::text("owner", &input.owner)?;
        let expected_close = match input
            .expected_close
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(d) => Some(Date::parse("expected close", d)?.to_string()),
            None => None,
        };
        let now = self.now();
        let mut tx = self.writer().begin().await?;
        let stage_id = match input.stage_id {
            Some(id) => stage_in(&mut tx, id).await?.id,
            None => {
                sqlx::query_scalar("SELECT id FROM stages ORDER BY position, id LIMIT 1")
                    .fetch_one(&mut *tx)
                    .await?
            }
        };
        let stage = stage_in(&mut tx, stage_id).await?;
        let client: Option<i64> = sqlx::query_scalar("SELECT id FROM clients WHERE id = ?")
            .bind(input.client_id)
            .fetch_optional(&mut *tx)
            .await?;
        if client.is_none() {
            return Err(CrmError::NotFound {
                entity: Entity::Client,
                id: input.client_id,
            });
        }
        let (won_at, lost_at) = outcome_times(stage.kind, now);
        let new = NewDeal {
            client_id: input.client_id,
            title: &title,
            value_minor: value,
            currency: &currency,
            stage_id,
            owner: &owner,
            expected_close: expected_close.as_deref(),
            won_at,
            lost_at,
            created_at: now,
        };
        let id = write::insert_deal(&mut tx, &new).await?;
        touch_client(&mut tx, input.client_id, now).await?;
        tx.commit().await?;
        self.deal(id).await
    }

    pub async fn deal(&self, id: Id) -> CrmResult<Deal> {
        let row: DealRow = sqlx::query_as(&format!("SELECT {DEAL_COLUMNS} WHERE d.id = ?"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(CrmError::NotFound {
                entity: Entity::Deal,
                id,
            })?;
        Ok(row.into())
    }

    pub async fn deals_of(&self, client_id: Id) -> CrmResult<Vec<Deal>> {
        let rows: Vec<DealRow> = sqlx::query_as(&format!(
            "SELECT {DEAL_COLUMNS} JOIN stages s ON s.id = d.stage_id WHERE d.client_id = ? ORDER BY s.position, d.position"
        ))
        .bind(client_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(Deal::from).collect())
    }

    /// Moves a deal to a stage and index. A change of stage records a system activity
    /// "Stage changed: A → B", sets or clears won/lost times, and publishes `DealStageChanged`
    /// (then `DealWon` or `DealLost` when the new stage closes the deal).
    pub async fn move_deal(&self, m: DealMove) -> CrmResult<Deal> {
        let now = self.now();
        let mut tx = self.begin().await?;
        type Row = (i64, i64, i64, String, i64, String);
        let (client_id, from_stage, from_position, title, value_minor, currency): Row =
            sqlx::query_as(
                "SELECT client_id, stage_id, position, title, value_minor, currency FROM deals WHERE id = ?",
            )
            .bind(m.deal_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(CrmError::NotFound {
                entity: Entity::Deal,
                id: m.deal_id,
            })?;
        let target = stage_in(&mut tx, m.stage_id).await?;
        // Close the gap where the deal was, then open one where it goes.
        sqlx::query("UPDATE deals SET position = position - 1 WHERE stage_id = ? AND position > ?")
            .bind(from_stage)
            .bind(from_position)
            .execute(&mut *tx)
            .await?;
        let others: i64 =
            sqlx::query_scalar("SELECT count(*) FROM deals WHERE stage_id = ? AND id <> ?")
                .bind(target.id)
                .bind(m.deal_id)
                .fetch_one(&mut *tx)
                .await?;
        let index = m.index.clamp(0, others);
        sqlx::query("UPDATE deals SET position = position + 1 WHERE stage_id = ? AND position >= ? AND id <> ?")
            .bind(target.id)
            .bind(index)
            .bind(m.deal_id)
            .execute(&mut *tx)
            .await?;
        let stage_changed = from_stage != target.id;
        if stage_changed {
            let (won_at, lost_at) = outcome_times(target.kind, now);
            sqlx::query("UPDATE deals SET stage_id = ?, position = ?, won_at = ?, lost_at = ?, updated_at = ? WHERE id = ?")
                .bind(target.id)
                .bind(index)
                .bind(won_at)
                .bind(lost_at)
                .bind(now)
                .bind(m.deal_id)
                .execute(&mut *tx)
                .await?;
            let from = stage_in(&mut tx, from_stage).await?;
            let subject = format!("Stage changed: {} → {}", from.name, target.name);
            insert_system_activity(&mut tx, client_id, Some(m.deal_id), &subject, &title, now)
                .await?;
            touch_client(&mut tx, client_id, now).await?;
            let deal_id = m.deal_id;
            tx.announce(CrmEvent::DealStageChanged {
                deal_id,
                client_id,
                from_stage,
                to_stage: target.id,
                at: now,
            });
            match target.kind {
                StageKind::Won => tx.announce(CrmEvent::DealWon {
                    deal_id,
                    client_id,
                    value_minor,
                    currency,
                    at: now,
                }),
                StageKind::Lost => tx.announce(CrmEvent::DealLost {
                    deal_id,
                    client_id,
                    value_minor,
                    currency,
                    at: now,
                }),
                StageKind::Open => {}
            }
        } else {
            sqlx::query("UPDATE deals SET position = ? WHERE id = ?")
                .bind(index)
                .bind(m.deal_id)
                .execute(&mut *tx)
                .await?;
        }
        // Announces the stage change (and the win or loss), then the "Stage changed" activity.
        tx.commit(now).await?;
        self.deal(m.deal_id).await
    }

    /// The pipeline board: every stage with its deal count, totals per currency, and its first
    /// `per_column` deals (0 = the default page).
    pub async fn board(&self, per_column: i64) -> CrmResult<Board> {
        let per_column = if per_column <= 0 {
            BOARD_COLUMN_PAGE
        } else {
            per_column.min(500)
        };
        let stages = self.stages().await?;
        let rates = self.rates().await?;
        let sums: Vec<(i64, String, i64, i64)> = sqlx::query_as(
            "SELECT stage_id, currency, count(*), sum(value_minor) FROM deals GROUP BY stage_id, currency",
        )
        .fetch_all(self.pool())
        .await?;
        let mut columns = Vec::with_capacity(stages.len());
        for stage in stages {
            let mut totals: Vec<Money> = sums
                .iter()
                .filter(|(s, ..)| *s == stage.id)
                .map(|(_, currency, _, sum)| Money {
                    minor: *sum,
                    currency: currency.clone(),
                })
                .collect();
            totals.sort_by(|a, b| {
                b.minor
                    .cmp(&a.minor)
                    .then_with(|| a.currency.cmp(&b.currency))
            });
            let deal_count = sums
                .iter()
                .filter(|(s, ..)| *s == stage.id)
                .map(|(_, _, n, _)| n)
                .sum();
            let deals = self.stage_deals(stage.id, 0, per_column).await?;
            columns.push(BoardColumn {
                stage,
                deal_count,
                home_total: rates.total(&totals),
                totals,
                deals,
            });
        }
        Ok(Board {
            columns,
            home_currency: rates.home,
        })
    }

    /// One page of a stage's deals in board order.
    pub async fn stage_deals(&self, stage_id: Id, offset: i64, limit: i64) -> CrmResult<Vec<Deal>> {
        let rows: Vec<DealRow> = sqlx::query_as(&format!(
            "SELECT {DEAL_COLUMNS} WHERE d.stage_id = ? ORDER BY d.position, d.id LIMIT ? OFFSET ?"
        ))
        .bind(stage_id)
        .bind(limit.clamp(1, 500))
        .bind(offset.max(0))
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(Deal::from).collect())
    }
}

fn outcome_times(kind: StageKind, now: i64) -> (Option<i64>, Option<i64>) {
    match kind {
        StageKind::Open => (None, None),
        StageKind::Won => (Some(now), None),
        StageKind::Lost => (None, Some(now)),
    }
}
