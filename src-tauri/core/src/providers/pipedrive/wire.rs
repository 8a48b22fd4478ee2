//! Pipedrive's JSON as its API v2 references describe it (the sandbox's `src/pipedrive/` names
//! them): `{success, data, additional_data:{next_cursor}}` pages, persons, organizations, deals
//! and the current user (v1).

use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct AdditionalData {
    #[serde(default)]
    pub next_cursor: Option<String>,
}

/// A list's page.
#[derive(Debug, Deserialize)]
pub struct Page<T> {
    #[serde(default = "Vec::new")]
    pub data: Vec<T>,
    #[serde(default)]
    pub additional_data: Option<AdditionalData>,
}

impl<T> Page<T> {
    pub fn next_cursor(&self) -> Option<&str> {
        self.additional_data
            .as_ref()
            .and_then(|a| a.next_cursor.as_deref())
            .filter(|c| !c.is_empty())
    }
}

/// One entity's answer.
#[derive(Debug, Deserialize)]
pub struct One<T> {
    pub data: T,
}

#[derive(Debug, Deserialize)]
pub struct User {
    pub name: String,
    pub email: String,
    #[serde(default)]
    pub company_name: String,
    #[serde(default)]
    pub company_domain: String,
    #[serde(default)]
    pub default_currency: String,
    #[serde(default)]
    pub timezone_name: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Labelled {
    pub value: String,
    #[serde(default)]
    pub primary: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Person {
    pub id: u64,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub org_id: Option<u64>,
    #[serde(default)]
    pub update_time: Option<String>,
    #[serde(default)]
    pub emails: Vec<Labelled>,
    #[serde(default)]
    pub phones: Vec<Labelled>,
    /// Only when the company has contact sync on.
    #[serde(default)]
    pub job_title: Option<String>,
}

/// The primary entry of a list, else the first.
pub fn primary(list: &[Labelled]) -> Option<&str> {
    list.iter()
        .find(|l| l.primary)
        .or(list.first())
        .map(|l| l.value.trim())
        .filter(|v| !v.is_empty())
}

#[derive(Debug, Clone, Deserialize)]
pub struct Organization {
    pub id: u64,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub update_time: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Deal {
    pub id: u64,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub value: Option<f64>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub org_id: Option<u64>,
    #[serde(default)]
    pub person_id: Option<u64>,
    #[serde(default)]
    pub won_time: Option<String>,
    #[serde(default)]
    pub update_time: Option<String>,
}
