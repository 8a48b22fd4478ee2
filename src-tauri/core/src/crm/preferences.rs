//! Preferences kept in the `settings` table, typed and validated here (one key each).

use cremmy_protocol::crm::AppSettings;
use cremmy_protocol::engine::DesktopSettings;

use super::{Crm, CrmError, CrmResult};

const SYNC_INTERVAL: &str = "sync_interval_minutes";
const DESKTOP: &str = "desktop";
const TASK_CALENDAR: &str = "task_calendar_account";
pub const DEFAULT_SYNC_INTERVAL_MINUTES: u32 = 5;

impl Crm {
    pub async fn settings(&self) -> CrmResult<AppSettings> {
        let db = self.database();
        let sync_interval_minutes = db
            .setting(SYNC_INTERVAL)
            .await?
            .and_then(|v| v.parse().ok())
            .filter(|m| (1..=1440).contains(m))
            .unwrap_or(DEFAULT_SYNC_INTERVAL_MINUTES);
        let task_calendar_account = db
            .setting(TASK_CALENDAR)
            .await?
            .and_then(|v| v.parse().ok());
        Ok(AppSettings {
            sync_interval_minutes,
            task_calendar_account,
        })
    }

    async fn put_setting(&self, key: &str, value: &str) -> CrmResult<()> {
        Ok(self
            .database()
            .put_setting(key, Some(value), self.now())
            .await?)
    }

    pub async fn set_sync_interval(&self, minutes: u32) -> CrmResult<AppSettings> {
        if !(1..=1440).contains(&minutes) {
            return Err(CrmError::invalid(
                "sync interval",
                "must be between 1 and 1440 minutes",
            ));
        }
        self.put_setting(SYNC_INTERVAL, &minutes.to_string())
            .await?;
        self.settings().await
    }

    /// The calendar tasks go to ("Add to calendar"); `None`: the first account with one. An
    /// account that no longer has a calendar is passed over when a task is added.
    pub async fn set_task_calendar(&self, account_id: Option<i64>) -> CrmResult<AppSettings> {
        let value = account_id.map(|id| id.to_string());
        self.database()
            .put_setting(TASK_CALENDAR, value.as_deref(), self.now())
            .await?;
        self.settings().await
    }

    /// Tray, start-at-login and notification choices (defaults until the user changes one).
    pub async fn desktop_settings(&self) -> CrmResult<DesktopSettings> {
        Ok(self
            .database()
            .json_setting(DESKTOP)
            .await?
            .unwrap_or_default())
    }

    pub async fn set_desktop_settings(&self, s: &DesktopSettings) -> CrmResult<DesktopSettings> {
        let json =
            serde_json::to_string(s).map_err(|e| CrmError::invalid("settings", e.to_string()))?;
        self.put_setting(DESKTOP, &json).await?;
        self.desktop_settings().await
    }
}
