//! Full-text search (SQLite FTS5) across clients, contacts, deals and activities, plus the client
//! page that assembles everything about one client.

use cremmy_protocol::crm::{ClientPage, Id, SearchHit, SearchKind};

use super::{Crm, CrmResult};

pub const SEARCH_LIMIT: i64 = 30;

/// Turns what the user typed into an FTS5 query: every word must match, as a prefix. Quotes and
/// operators in the input are treated as text, never as syntax. `None` when nothing searchable.
pub fn fts_query(text: &str) -> Option<String> {
    fts_terms(text, "*")
}

/// The same words matched whole (no prefix): FTS5 walks an exact word's postings lazily, while a
/// prefix longer than the table's prefix indexes (2 and 3 letters) first merges the postings of
/// every word it begins — for a common word in a million activities, most of a search's time.
fn fts_exact_query(text: &str) -> Option<String> {
    fts_terms(text, "")
}

fn fts_terms(text: &str, suffix: &str) -> Option<String> {
    let terms: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .take(8)
        .map(|t| format!("\"{}\"{suffix}", t.to_lowercase()))
        .collect();
    (!terms.is_empty()).then(|| terms.join(" "))
}

/// One raw hit: (kind code, id, client id, title, client name, snippet).
type HitRow = (
    i64,
    i64,
    Option<i64>,
    Option<String>,
    Option<String>,
    String,
);

impl Crm {
    /// Clients, contacts and deals ranked by relevance, then activities newest first, up to
    /// `limit` hits in all (activities get at least a third of the places when they match).
    pub async fn search(&self, text: &str, limit: i64) -> CrmResult<Vec<SearchHit>> {
        let Some(query) = fts_query(text) else {
            return Ok(Vec::new());
        };
        let limit = if limit <= 0 {
            SEARCH_LIMIT
        } else {
            limit.min(100)
        };
        let activity_places = (limit / 3).max(1);
        // A stage's name ("proposal") finds the open deals in that stage first.
        let in_stage = self.open_deals_in_stage_named(text, limit / 3).await?;
        // Entities: a small index, so ranking every match by bm25 stays cheap.
        let entities: Vec<HitRow> = sqlx::query_as(
            "WITH hits AS (
                SELECT rowid AS r, rank, snippet(search_entities, 1, '', '', '…', 12) AS snip
                FROM search_entities WHERE search_entities MATCH ? ORDER BY rank LIMIT ?
            ), resolved AS (
                SELECT r % 8 AS kind, r / 8 AS id, rank, snip,
                    CASE r % 8
                        WHEN 1 THEN r / 8
                        WHEN 2 THEN (SELECT client_id FROM contacts WHERE id = r / 8)
                        ELSE (SELECT client_id FROM deals WHERE id = r / 8)
                    END AS client_id,
                    CASE r % 8
                        WHEN 1 THEN (SELECT name FROM clients WHERE id = r / 8)
                        WHEN 2 THEN (SELECT name FROM contacts WHERE id = r / 8)
                        ELSE (SELECT title FROM deals WHERE id = r / 8)
                    END AS title
                FROM hits
            )
            SELECT kind, id, client_id, title, (SELECT name FROM clients WHERE id = client_id), snip
            FROM resolved ORDER BY rank",
        )
        .bind(&query)
        .bind(limit - activity_places)
        .fetch_all(self.pool())
        .await?;
        let activities = self
            .activity_hits(text, &query, limit - entities.len() as i64)
            .await?;
        let staged: Vec<i64> = in_stage.iter().map(|h| h.1).collect();
        Ok(in_stage
            .into_iter()
            .chain(
                entities
                    .into_iter()
                    .filter(|h| !(h.0 == 3 && staged.contains(&h.1))),
            )
            .chain(activities)
            .filter_map(|(kind, id, client_id, title, client_name, snippet)| {
                let kind = match kind {
                    1 => SearchKind::Client,
                    2 => SearchKind::Contact,
                    3 => SearchKind::Deal,
                    _ => SearchKind::Activity,
                };
                Some(SearchHit {
                    kind,
                    id,
                    client_id: client_id?,
                    client_name: client_name?,
                    title: title?,
                    snippet,
                })
            })
            .collect())
    }

    /// Activities matching every word, newest first: up to a million rows, so the index is walked
    /// in rowid order and stops at the limit instead of scoring every match. Words matched whole
    /// come first; only when they fill fewer than `limit` places are the words read as prefixes
    /// (what a word still being typed needs), so a common word typed in full never pays for the
    /// prefix merge.
    async fn activity_hits(&self, text: &str, prefix: &str, limit: i64) -> CrmResult<Vec<HitRow>> {
        const SQL: &str = "WITH hits AS (
                SELECT rowid AS id, snippet(search_activities, 1, '', '', '…', 12) AS snip
                FROM search_activities WHERE search_activities MATCH ? ORDER BY rowid DESC LIMIT ?
            )
            SELECT 4, h.id, a.client_id, a.subject, c.name, h.snip
            FROM hits h JOIN activities a ON a.id = h.id JOIN clients c ON c.id = a.client_id
            ORDER BY h.id DESC";
        if let Some(exact) = fts_exact_query(text) {
            let whole: Vec<HitRow> = sqlx::query_as(SQL)
                .bind(&exact)
                .bind(limit)
                .fetch_all(self.pool())
                .await?;
            if whole.len() as i64 >= limit {
                return Ok(whole);
            }
        }
        Ok(sqlx::query_as(SQL)
            .bind(prefix)
            .bind(limit)
            .fetch_all(self.pool())
            .await?)
    }

    /// Open deals in the stage whose name the whole query is (or begins, from 4 letters), most
    /// recently updated first, as deal hits whose snippet names the stage.
    async fn open_deals_in_stage_named(&self, text: &str, limit: i64) -> CrmResult<Vec<HitRow>> {
        let words = text.trim().to_lowercase();
        if words.chars().count() < 4 {
            return Ok(Vec::new());
        }
        // The stages first (a handful of rows): most queries name none, and then no deal is read.
        let stages: Vec<(Id, String)> = sqlx::query_as(
            "SELECT id, name FROM stages WHERE kind = 'open' AND substr(lower(name), 1, length(?1)) = ?1 \
             ORDER BY position",
        )
        .bind(&words)
        .fetch_all(self.pool())
        .await?;
        let mut hits = Vec::new();
        for (stage_id, name) in stages {
            let left = limit.max(1) - hits.len() as i64;
            if left <= 0 {
                break;
            }
            // deals_by_stage_recent: newest first, stopping at the limit.
            let rows: Vec<HitRow> = sqlx::query_as(
                "SELECT 3, d.id, d.client_id, d.title, c.name, 'In ' || ?1 \
                 FROM deals d JOIN clients c ON c.id = d.client_id \
                 WHERE d.stage_id = ?2 AND d.won_at IS NULL AND d.lost_at IS NULL \
                 ORDER BY d.updated_at DESC, d.id DESC LIMIT ?3",
            )
            .bind(&name)
            .bind(stage_id)
            .bind(left)
            .fetch_all(self.pool())
            .await?;
            hits.extend(rows);
        }
        Ok(hits)
    }

    /// Everything the client page shows, with the first timeline page.
    pub async fn client_page(&self, client_id: Id) -> CrmResult<ClientPage> {
        Ok(ClientPage {
            client: self.client(client_id).await?,
            contacts: self.contacts_of(client_id).await?,
            deals: self.deals_of(client_id).await?,
            open_tasks: self.open_tasks_of(client_id).await?,
            documents: self.documents_of(client_id).await?,
            timeline: self.timeline(client_id, None, 0).await?,
            folder: crate::features::client_folder::stored_folder(self.pool(), client_id).await?,
        })
    }
}
