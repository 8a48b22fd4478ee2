//! The `accounts` table (never tokens) and the database's install id.

use cremmy_protocol::accounts::{Account, AccountStatus};
use cremmy_protocol::Provider;
use sqlx::Row;

use super::providers::granted_features;
use super::{Accounts, AccountsError, AccountsResult};
use crate::clock::Timestamp;
use crate::db::Database;

const INSTALL_ID: &str = "install_id";

/// A random id per database, created once: keychain entries are filed under it, so two data
/// directories (or parallel tests) never share tokens.
pub async fn install_id(db: &Database) -> Result<String, sqlx::Error> {
    if let Some(id) = sqlx::query_scalar::<_, String>("SELECT value FROM settings WHERE key = ?")
        .bind(INSTALL_ID)
        .fetch_optional(db.pool())
        .await?
    {
        return Ok(id);
    }
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| sqlx::Error::Protocol(format!("no randomness for the install id: {e}")))?;
    let fresh: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    sqlx::query("INSERT INTO settings (key, value, updated_at) VALUES (?, ?, 0) ON CONFLICT (key) DO NOTHING").bind(INSTALL_ID).bind(&fresh).execute(db.writer()).await?;
    sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
        .bind(INSTALL_ID)
        .fetch_one(db.pool())
        .await
}

fn parse_provider(s: &str) -> Option<Provider> {
    Provider::ALL.into_iter().find(|p| p.key() == s)
}

/// What the token code needs besides the public view.
#[derive(Debug, Clone)]
pub struct AccountRow {
    pub account: Account,
    pub refresh_at: Option<Timestamp>,
}

fn row_to_account(row: &sqlx::sqlite::SqliteRow) -> Option<AccountRow> {
    let provider = parse_provider(row.get::<String, _>("provider").as_str())?;
    let scopes: Vec<String> = row
        .get::<String, _>("scopes")
        .split_whitespace()
        .map(str::to_string)
        .collect();
    Some(AccountRow {
        account: Account {
            id: row.get("id"),
            provider,
            email: row.get("email"),
            features: granted_features(provider, &scopes),
            scopes,
            status: AccountStatus::parse(row.get::<String, _>("status").as_str())?,
            connected_at: row.get("connected_at"),
            access_expires_at: row.get("access_expires_at"),
            problem: row.get("problem"),
        },
        refresh_at: row.get("access_refresh_at"),
    })
}

/// A fresh grant's public facts.
pub struct Granted<'a> {
    pub provider: Provider,
    pub email: &'a str,
    pub scopes: &'a [String],
    pub expires_at: Option<Timestamp>,
    pub refresh_at: Option<Timestamp>,
}

impl Accounts {
    /// Every account that was ever connected (disconnected ones too), oldest first.
    pub async fn list(&self) -> AccountsResult<Vec<Account>> {
        let rows = sqlx::query("SELECT * FROM accounts ORDER BY connected_at, id")
            .fetch_all(self.db.pool())
            .await?;
        Ok(rows
            .iter()
            .filter_map(row_to_account)
            .map(|r| r.account)
            .collect())
    }

    pub async fn get(&self, id: i64) -> AccountsResult<Account> {
        Ok(self.row(id).await?.account)
    }

    pub(super) async fn row(&self, id: i64) -> AccountsResult<AccountRow> {
        let row = sqlx::query("SELECT * FROM accounts WHERE id = ?")
            .bind(id)
            .fetch_optional(self.db.pool())
            .await?;
        row.as_ref()
            .and_then(row_to_account)
            .ok_or(AccountsError::NotFound(id))
    }

    /// Records a completed sign-in: a new account, or the same one reconnected.
    pub(super) async fn save_grant(&self, g: Granted<'_>) -> AccountsResult<Account> {
        let now = self.clock.now();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO accounts (provider, email, scopes, status, access_expires_at, access_refresh_at, problem, connected_at, updated_at)
             VALUES (?, ?, ?, 'connected', ?, ?, NULL, ?, ?)
             ON CONFLICT (provider, email) DO UPDATE SET scopes = excluded.scopes, status = 'connected',
               access_expires_at = excluded.access_expires_at, access_refresh_at = excluded.access_refresh_at,
               problem = NULL, connected_at = CASE WHEN accounts.status = 'disconnected' THEN excluded.connected_at ELSE accounts.connected_at END,
               updated_at = excluded.updated_at
             RETURNING id",
        )
        .bind(g.provider.key())
        .bind(g.email)
        .bind(g.scopes.join(" "))
        .bind(g.expires_at)
        .bind(g.refresh_at)
        .bind(now)
        .bind(now)
        .fetch_one(self.db.writer())
        .await?;
        self.get(id).await
    }

    pub(super) async fn save_refreshed(
        &self,
        id: i64,
        expires_at: Option<Timestamp>,
        refresh_at: Option<Timestamp>,
    ) -> AccountsResult<()> {
        sqlx::query("UPDATE accounts SET access_expires_at = ?, access_refresh_at = ?, updated_at = ? WHERE id = ?")
            .bind(expires_at)
            .bind(refresh_at)
            .bind(self.clock.now())
            .bind(id)
            .execute(self.db.writer())
            .await?;
        Ok(())
    }

    pub(super) async fn set_status(
        &self,
        id: i64,
        status: AccountStatus,
        problem: Option<&str>,
    ) -> AccountsResult<()> {
        sqlx::query("UPDATE accounts SET status = ?, problem = ?, access_expires_at = NULL, access_refresh_at = NULL, updated_at = ? WHERE id = ?")
            .bind(status.as_str())
            .bind(problem)
            .bind(self.clock.now())
            .bind(id)
            .execute(self.db.writer())
            .await?;
        Ok(())
    }
}
