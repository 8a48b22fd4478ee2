//! Several Graph reads in one call: JSON batching (learn.microsoft.com/graph/json-batching), up to
//! 20 requests per `POST /v1.0/$batch`, each answered (and throttled) on its own. Used where
//! Cremmy reads several items at once (the folders that decide filing, the messages a delta
//! page reports removed); an item the batch could not answer (throttled, a server error) is read
//! alone, with the call policy's retries.

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::json;

use super::{GraphError, GraphSession, IMMUTABLE_IDS};

/// The most requests in one batch.
pub const MAX_REQUESTS: usize = 20;

#[derive(Debug, Deserialize)]
struct BatchAnswer {
    #[serde(default)]
    responses: Vec<ItemAnswer>,
}

#[derive(Debug, Deserialize)]
struct ItemAnswer {
    id: String,
    status: u16,
    #[serde(default)]
    body: serde_json::Value,
}

impl GraphSession {
    /// GETs each of `paths` (relative to `/v1.0/`, as [`Self::url`] takes them): the item, or
    /// `None` where Graph answers 404.
    pub async fn get_many<T: DeserializeOwned>(
        &self,
        what: &'static str,
        paths: &[String],
    ) -> Result<Vec<Option<T>>, GraphError> {
        let mut out: Vec<Option<T>> = Vec::with_capacity(paths.len());
        for chunk in paths.chunks(MAX_REQUESTS) {
            if let [path] = chunk {
                out.push(self.get_or_none(what, path).await?);
                continue;
            }
            let requests: Vec<serde_json::Value> = chunk
                .iter()
                .enumerate()
                .map(|(i, path)| {
                    json!({ "id": i.to_string(), "method": "GET", "url": format!("/{path}"),
                            "headers": { "Prefer": IMMUTABLE_IDS } })
                })
                .collect();
            let answer: BatchAnswer = self
                .write_json(
                    what,
                    reqwest::Method::POST,
                    &self.url("$batch"),
                    &json!({ "requests": requests }),
                )
                .await?;
            for (i, path) in chunk.iter().enumerate() {
                let item = answer.responses.iter().find(|r| r.id == i.to_string());
                out.push(match item {
                    Some(r) if (200..300).contains(&r.status) => Some(
                        T::deserialize(&r.body)
                            .map_err(|source| GraphError::Garbled { what, source })?,
                    ),
                    Some(r) if r.status == 404 => None,
                    // Throttled, failed or missing: on its own, with retries.
                    _ => self.get_or_none(what, path).await?,
                });
            }
        }
        Ok(out)
    }

    async fn get_or_none<T: DeserializeOwned>(
        &self,
        what: &'static str,
        path: &str,
    ) -> Result<Option<T>, GraphError> {
        match self.get(what, &self.url(path), None).await {
            Ok(item) => Ok(Some(item)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }
}
