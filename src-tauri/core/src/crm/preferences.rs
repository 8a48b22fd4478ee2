//! Preferences kept in the `settings` table, typed and validated here (one key each).

use cremmy_protocol::crm::AppSettings;

use super::{Crm, CrmError, CrmResult};

const SYNC_INTERVAL: &str = "sync_interval_minutes";
pub const DEFAULT_SYNC_INTERVAL_MINUTES: u32 = 5;

impl Crm {
    pub async fn settings(&self) -> CrmResult<AppSettings> {
        let stored: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
            .bind(SYNC_INTERVAL)
            .fetch_optional(self.pool())
            .await?;
        let sync_interval_minutes = stored
            .and_then(|v| v.parse().ok())
            .filter(|m| (1..=1440).contains(m))
            .unwrap_or(DEFAULT_SYNC_INTERVAL_MINUTES);
        Ok(AppSettings {
            sync_interval_minutes,
        })
    }

    pub async fn set_sync_interval(&self, minutes: u32) -> CrmResult<AppSettings> {
        if !(1..=1440).contains(&minutes) {
            return Err(CrmError::invalid(
                "sync interval",
                "must be between 1 and 1440 minutes",
            ));
        }
        sqlx::query("INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at")
            .bind(SYNC_INTERVAL)
            .bind(minutes.to_string())
            .bind(self.now())
            .execute(self.writer())
            .await?;
        self.settings().await
    }
}
