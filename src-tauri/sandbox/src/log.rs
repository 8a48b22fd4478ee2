//! Every request the sandbox answered, and counters per endpoint and quota unit.

use std::collections::BTreeMap;

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoggedRequest {
    pub seq: u64,
    pub method: String,
    pub path: String,
    pub query: String,
    pub status: u16,
    /// The fault injected into this request, if one was.
    pub fault: Option<String>,
}

#[derive(Debug, Default, Clone, Serialize)]
pub struct Counters {
    /// "METHOD endpoint" → calls (ids in paths are replaced by `{id}`).
    pub calls: BTreeMap<String, u64>,
    /// Gmail quota units spent, per Google's unit costs.
    pub gmail_quota_units: u64,
    /// Sheets and Docs requests, as their per-minute quotas count them (a batchUpdate is one).
    pub sheets_read_requests: u64,
    pub sheets_write_requests: u64,
    pub docs_read_requests: u64,
    pub docs_write_requests: u64,
    /// Answers with status 429.
    pub rate_limited: u64,
}

#[derive(Debug, Default)]
pub struct RequestLog {
    pub entries: Vec<LoggedRequest>,
    pub counters: Counters,
}

/// How a path is counted: numeric and long opaque segments become `{id}`.
pub fn endpoint_key(method: &str, path: &str) -> String {
    let normalised: Vec<&str> = path
        .trim_matches('/')
        .split('/')
        .map(|seg| {
            let opaque = seg.len() >= 12
                && seg
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if seg.chars().all(|c| c.is_ascii_digit()) && !seg.is_empty() || opaque {
                "{id}"
            } else {
                seg
            }
        })
        .collect();
    format!("{method} /{}", normalised.join("/"))
}

impl RequestLog {
    /// Keeps the log bounded: a long benchmark run must not grow memory without end.
    const MAX_ENTRIES: usize = 100_000;

    pub fn record(
        &mut self,
        method: &str,
        path: &str,
        query: &str,
        status: u16,
        fault: Option<String>,
    ) {
        let seq = self.counters.calls.values().sum::<u64>() + 1;
        *self
            .counters
            .calls
            .entry(endpoint_key(method, path))
            .or_default() += 1;
        if status == 429 {
            self.counters.rate_limited += 1;
        }
        if self.entries.len() >= Self::MAX_ENTRIES {
            self.entries.drain(..Self::MAX_ENTRIES / 10);
        }
        self.entries.push(LoggedRequest {
            seq,
            method: method.to_string(),
            path: path.to_string(),
            query: query.to_string(),
            status,
            fault,
        });
    }
}
