//! HubSpot's JSON as its pages describe it (the sandbox's `src/hubspot/` names them): records
//! with string properties, search and list pages, batch answers, associations, pipelines and
//! the account's details.

use std::collections::HashMap;

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Record {
    pub id: String,
    #[serde(default)]
    pub properties: HashMap<String, Option<String>>,
    #[serde(rename = "updatedAt", default)]
    pub updated_at: Option<String>,
}

impl Record {
    /// A property's value; unset and empty are both `""`.
    pub fn get(&self, name: &str) -> &str {
        self.properties
            .get(name)
            .and_then(|v| v.as_deref())
            .unwrap_or("")
            .trim()
    }
}

#[derive(Debug, Deserialize)]
pub struct Next {
    pub after: String,
}

#[derive(Debug, Deserialize)]
pub struct Paging {
    #[serde(default)]
    pub next: Option<Next>,
}

#[derive(Debug, Deserialize)]
pub struct SearchPage {
    #[serde(default)]
    pub total: u64,
    pub results: Vec<Record>,
    #[serde(default)]
    pub paging: Option<Paging>,
}

#[derive(Debug, Deserialize)]
pub struct BatchAnswer {
    pub results: Vec<Record>,
}

#[derive(Debug, Deserialize)]
pub struct FromId {
    pub id: String,
}

#[derive(Debug, Deserialize)]
pub struct ToObject {
    /// A number in HubSpot's answers (a string is read too).
    #[serde(rename = "toObjectId")]
    pub to_object_id: serde_json::Value,
}

impl ToObject {
    pub fn id(&self) -> String {
        match &self.to_object_id {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct AssociationRow {
    pub from: FromId,
    #[serde(default)]
    pub to: Vec<ToObject>,
}

#[derive(Debug, Deserialize)]
pub struct Associations {
    #[serde(default)]
    pub results: Vec<AssociationRow>,
}

#[derive(Debug, Deserialize)]
pub struct StageMetadata {
    #[serde(default)]
    pub probability: Option<String>,
    #[serde(rename = "isClosed", default)]
    pub is_closed: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Stage {
    pub id: String,
    pub label: String,
    pub metadata: StageMetadata,
}

impl Stage {
    /// Closed with probability 1: a won stage (HubSpot's `closedwon`, or one the user made).
    pub fn is_won(&self) -> bool {
        self.metadata.is_closed.as_deref() == Some("true")
            && self
                .metadata
                .probability
                .as_deref()
                .and_then(|p| p.parse::<f64>().ok())
                .is_some_and(|p| p >= 1.0)
    }
}

#[derive(Debug, Deserialize)]
pub struct Pipeline {
    pub id: String,
    pub label: String,
    pub stages: Vec<Stage>,
}

#[derive(Debug, Deserialize)]
pub struct Pipelines {
    pub results: Vec<Pipeline>,
}

#[derive(Debug, Deserialize)]
pub struct AccountDetails {
    #[serde(rename = "portalId")]
    pub portal_id: u64,
    #[serde(rename = "timeZone", default)]
    pub time_zone: String,
    #[serde(rename = "companyCurrency", default)]
    pub company_currency: String,
}
