//! Tasks: to-dos with an optional due date/time, reminder, client and deal. "Today" is the user's
//! local date, passed in by the caller (the core has no time zone).

use cremmy_protocol::crm::{CrmEvent, Id, Task, TaskBoard, TaskInput};

use super::rows::{TaskRow, TASK_COLUMNS};
use super::write::{self, NewTask};
use super::{validate, Crm, CrmError, CrmResult, Date, Entity};

const BUCKET_LIMIT: i64 = 200;
const DONE_WINDOW_MS: i64 = 7 * 24 * 3600 * 1000;

struct CleanTask {
    title: String,
    notes: String,
    due_date: Option<String>,
    due_time: Option<String>,
}

fn clean(input: &TaskInput) -> CrmResult<CleanTask> {
    let title = validate::name("title", &input.title)?;
    let notes = validate::text("notes", &input.notes)?;
    let due_date = match input
        .due_date
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(d) => Some(Date::parse("due date", d)?.to_string()),
        None => None,
    };
    let due_time = match input
        .due_time
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(_) if due_date.is_none() => {
            return Err(CrmError::invalid("due time", "needs a due date"))
        }
        Some(t) => Some(validate::wall_time(t)?),
        None => None,
    };
    Ok(CleanTask {
        title,
        notes,
        due_date,
        due_time,
    })
}

impl Crm {
    pub async fn create_task(&self, input: &TaskInput) -> CrmResult<Task> {
        let t = clean(input)?;
        let new = NewTask {
            title: &t.title,
            notes: &t.notes,
            due_date: t.due_date.as_deref(),
            due_time: t.due_time.as_deref(),
            reminder_at: input.reminder_at,
            client_id: input.client_id,
            deal_id: input.deal_id,
        };
        let mut tx = self.writer().begin().await?;
        let id = write::insert_task(&mut tx, &new, self.now())
            .await
            .map_err(|e| fk_to_not_found(e, input))?;
        tx.commit().await?;
        self.task(id).await
    }

    pub async fn update_task(&self, id: Id, input: &TaskInput) -> CrmResult<Task> {
        let t = clean(input)?;
        let updated = sqlx::query(
            "UPDATE tasks SET title = ?, notes = ?, due_date = ?, due_time = ?, reminder_at = ?, client_id = ?, deal_id = ?, \
             updated_at = ? WHERE id = ?",
        )
        .bind(&t.title)
        .bind(&t.notes)
        .bind(&t.due_date)
        .bind(&t.due_time)
        .bind(input.reminder_at)
        .bind(input.client_id)
        .bind(input.deal_id)
        .bind(self.now())
        .bind(id)
        .execute(self.writer())
        .await
        .map_err(|e| fk_to_not_found(e, input))?;
        if updated.rows_affected() == 0 {
            return Err(CrmError::NotFound {
                entity: Entity::Task,
                id,
            });
        }
        self.publish(CrmEvent::TaskChanged {
            task_id: id,
            at: self.now(),
        });
        self.task(id).await
    }

    /// Completes (or reopens) a task.
    pub async fn set_task_done(&self, id: Id, done: bool) -> CrmResult<Task> {
        let done_at = done.then(|| self.now());
        let updated = sqlx::query("UPDATE tasks SET done_at = ?1, updated_at = ?2 WHERE id = ?3")
            .bind(done_at)
            .bind(self.now())
            .bind(id)
            .execute(self.writer())
            .await?;
        if updated.rows_affected() == 0 {
            return Err(CrmError::NotFound {
                entity: Entity::Task,
                id,
            });
        }
        self.task(id).await
    }

    pub async fn delete_task(&self, id: Id) -> CrmResult<()> {
        let deleted = sqlx::query("DELETE FROM tasks WHERE id = ?")
            .bind(id)
            .execute(self.writer())
            .await?;
        if deleted.rows_affected() == 0 {
            return Err(CrmError::NotFound {
                entity: Entity::Task,
                id,
            });
        }
        Ok(())
    }

    pub async fn task(&self, id: Id) -> CrmResult<Task> {
        let row: TaskRow = sqlx::query_as(&format!("SELECT {TASK_COLUMNS} WHERE t.id = ?"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(CrmError::NotFound {
                entity: Entity::Task,
                id,
            })?;
        Ok(row.into())
    }

    /// Open tasks around `today` ('YYYY-MM-DD', the user's local date) and those done this week.
    pub async fn task_board(&self, today: &str) -> CrmResult<TaskBoard> {
        let today = Date::parse("today", today)?.to_string();
        let bucket = |condition: &'static str, order: &'static str| {
            let sql = format!(
                "SELECT {TASK_COLUMNS} WHERE {condition} ORDER BY {order} LIMIT {BUCKET_LIMIT}"
            );
            let today = today.clone();
            async move {
                let rows: Vec<TaskRow> = sqlx::query_as(&sql)
                    .bind(today)
                    .fetch_all(self.pool())
                    .await?;
                Ok::<Vec<Task>, CrmError>(rows.into_iter().map(Task::from).collect())
            }
        };
        let overdue = bucket(
            "t.done_at IS NULL AND t.due_date < ?",
            "t.due_date, t.due_time, t.id",
        )
        .await?;
        let due_today = bucket(
            "t.done_at IS NULL AND t.due_date = ?",
            "t.due_time IS NULL, t.due_time, t.id",
        )
        .await?;
        let upcoming = bucket(
            "t.done_at IS NULL AND t.due_date > ?",
            "t.due_date, t.due_time, t.id",
        )
        .await?;
        let someday = bucket(
            "t.done_at IS NULL AND t.due_date IS NULL AND ? IS NOT NULL",
            "t.created_at DESC, t.id DESC",
        )
        .await?;
        let rows: Vec<TaskRow> = sqlx::query_as(&format!(
            "SELECT {TASK_COLUMNS} WHERE t.done_at >= ? ORDER BY t.done_at DESC LIMIT {BUCKET_LIMIT}"
        ))
        .bind(self.now() - DONE_WINDOW_MS)
        .fetch_all(self.pool())
        .await?;
        let recently_done = rows.into_iter().map(Task::from).collect();
        Ok(TaskBoard {
            today,
            overdue,
            due_today,
            upcoming,
            someday,
            recently_done,
        })
    }

    pub async fn open_tasks_of(&self, client_id: Id) -> CrmResult<Vec<Task>> {
        let rows: Vec<TaskRow> = sqlx::query_as(&format!(
            "SELECT {TASK_COLUMNS} WHERE t.client_id = ? AND t.done_at IS NULL ORDER BY t.due_date IS NULL, t.due_date, t.due_time, t.id"
        ))
        .bind(client_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(Task::from).collect())
    }
}

fn fk_to_not_found(e: sqlx::Error, input: &TaskInput) -> CrmError {
    match &e {
        sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
            match (input.client_id, input.deal_id) {
                (_, Some(deal)) => CrmError::NotFound {
                    entity: Entity::Deal,
                    id: deal,
                },
                (Some(client), None) => CrmError::NotFound {
                    entity: Entity::Client,
                    id: client,
                },
                (None, None) => CrmError::Db(e),
            }
        }
        _ => CrmError::Db(e),
    }
}
