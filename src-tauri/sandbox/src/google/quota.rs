//! Google's per-user quotas: Gmail's units per second (the older "moving average" limit) and per
//! minute (https://developers.google.com/workspace/gmail/api/reference/quota: 15,000 units per
//! user per minute, `userRateLimitExceeded`; each method has a unit cost) and the Sheets/Docs
//! request budgets per minute. Over budget answers the real error: 429
//! `rateLimitExceeded` with a Retry-After until the window turns.

use std::collections::HashMap;

use axum::http::HeaderMap;
use axum::response::Response;

use super::auth::bearer;
use super::errors::api_error;
use crate::state::World;

/// What a request spends, and from which budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Budget {
    /// Gmail quota units (per second, and per minute through `GmailMinute`).
    Gmail,
    GmailMinute,
    SheetsRead,
    SheetsWrite,
    DocsRead,
    DocsWrite,
}

impl Budget {
    fn window_secs(self) -> u64 {
        match self {
            Budget::Gmail => 1,
            _ => 60,
        }
    }

    fn reason(self) -> &'static str {
        match self {
            Budget::Gmail | Budget::GmailMinute => "userRateLimitExceeded",
            _ => "rateLimitExceeded",
        }
    }

    fn message(self) -> &'static str {
        match self {
            Budget::Gmail => "User-rate limit exceeded. Retry after 1s",
            Budget::GmailMinute => "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' of service 'gmail.googleapis.com'.",
            Budget::SheetsRead => "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute per user' of service 'sheets.googleapis.com'.",
            Budget::SheetsWrite => "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute per user' of service 'sheets.googleapis.com'.",
            Budget::DocsRead => "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute per user' of service 'docs.googleapis.com'.",
            Budget::DocsWrite => "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute per user' of service 'docs.googleapis.com'.",
        }
    }
}

/// Spending so far: (budget, account) → (window start in seconds, amount spent in it).
#[derive(Debug, Default)]
pub struct QuotaWindows(HashMap<(Budget, String), (u64, u64)>);

/// Spends `amount` of `budget` for `account` now; over the configured limit answers 429.
pub fn charge(
    world: &mut World,
    budget: Budget,
    account: &str,
    amount: u64,
) -> Result<(), Response> {
    if budget == Budget::Gmail {
        // Both Gmail limits apply at once; the minute is checked first so a refused call spends
        // nothing of either.
        spend(world, Budget::GmailMinute, account, amount)?;
    }
    let counters = &mut world.log.counters;
    match budget {
        Budget::Gmail => counters.gmail_quota_units += amount,
        Budget::GmailMinute => {}
        Budget::SheetsRead => counters.sheets_read_requests += amount,
        Budget::SheetsWrite => counters.sheets_write_requests += amount,
        Budget::DocsRead => counters.docs_read_requests += amount,
        Budget::DocsWrite => counters.docs_write_requests += amount,
    }
    spend(world, budget, account, amount)
}

fn spend(world: &mut World, budget: Budget, account: &str, amount: u64) -> Result<(), Response> {
    let settings = &world.google.settings;
    let limit = match budget {
        Budget::Gmail => settings.gmail_units_per_second,
        Budget::GmailMinute => settings.gmail_units_per_minute,
        Budget::SheetsRead => settings.sheets_reads_per_minute,
        Budget::SheetsWrite => settings.sheets_writes_per_minute,
        Budget::DocsRead => settings.docs_reads_per_minute,
        Budget::DocsWrite => settings.docs_writes_per_minute,
    };
    let Some(limit) = limit else {
        return Ok(());
    };
    let now = crate::unix_secs();
    let window = budget.window_secs();
    let start = now - now % window;
    let spent = world
        .google
        .quota
        .0
        .entry((budget, account.to_string()))
        .or_insert((start, 0));
    if spent.0 != start {
        *spent = (start, 0);
    }
    if spent.1 + amount > limit {
        let retry_after = (start + window).saturating_sub(now).max(1);
        return Err(api_error(
            429,
            budget.reason(),
            budget.message(),
            Some(retry_after),
        ));
    }
    spent.1 += amount;
    Ok(())
}

/// The caller's account after the bearer-token and scope checks, with one request of `budget` spent.
pub fn admit(
    world: &mut World,
    headers: &HeaderMap,
    scopes: &[&str],
    budget: Budget,
) -> Result<String, Response> {
    let account = bearer(world, headers, scopes)?;
    charge(world, budget, &account, 1)?;
    Ok(account)
}
