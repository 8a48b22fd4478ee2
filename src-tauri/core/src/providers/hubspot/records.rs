//! HubSpot as the CRM sync's remote: its won deals (in any pipeline, a stage closed with
//! probability 1), their companies and contacts, mapped to the feature's types. Remote ids are
//! typed by object (`companies/123`): HubSpot numbers each object type on its own.

use std::collections::{BTreeSet, HashMap};

use cremmy_protocol::crm_sync::{CrmProfile, RecordKind};
use serde_json::json;

use super::wire::Record;
use super::{HubSpotError, HubSpotSession};
use crate::clock::Timestamp;
use crate::features::crm_sync::reconcile::Fields;
use crate::features::crm_sync::{
    company_fields, deal_fields, person_fields, CrmRemote, CrmSyncResult, Customers, RemoteCompany,
    RemoteDeal, RemotePerson, RemoteRecord,
};

/// A search answers at most 10,000 results; past them the window starts again after the last id
/// seen (HubSpot's search guide).
const SEARCH_WINDOW: usize = 10_000;
const SEARCH_PAGE: usize = 200;

const DEAL_PROPERTIES: [&str; 6] = [
    "dealname",
    "amount",
    "deal_currency_code",
    "dealstage",
    "closedate",
    "hs_lastmodifieddate",
];
const COMPANY_PROPERTIES: [&str; 4] = ["name", "domain", "website", "hs_lastmodifieddate"];
const CONTACT_PROPERTIES: [&str; 6] = [
    "email",
    "firstname",
    "lastname",
    "phone",
    "jobtitle",
    "lastmodifieddate",
];

/// One account's HubSpot, for the CRM sync.
pub struct HubSpotCrm {
    pub session: HubSpotSession,
}

fn instant(text: &str) -> Option<Timestamp> {
    if let Ok(ms) = text.parse::<i64>() {
        return Some(ms);
    }
    text.parse::<jiff::Timestamp>()
        .ok()
        .map(|t| t.as_millisecond())
}

fn modified(r: &Record, property: &str) -> Timestamp {
    instant(r.get(property))
        .or_else(|| r.updated_at.as_deref().and_then(instant))
        .unwrap_or(0)
}

/// `"4500.5"` → 450050; HubSpot keeps amounts as decimal strings in the deal's currency.
pub fn minor_units(amount: &str) -> i64 {
    let amount = amount.trim();
    let (units, fraction) = amount.split_once('.').unwrap_or((amount, ""));
    let units: i64 = units.parse().unwrap_or(0);
    let cents: String = fraction.chars().chain("00".chars()).take(2).collect();
    let cents: i64 = cents.parse().unwrap_or(0);
    (units.max(0)) * 100 + cents
}

fn domain(r: &Record) -> String {
    match r.get("domain") {
        "" => crate::crm::domain_of(r.get("website")),
        d => crate::crm::domain_of(d),
    }
}

fn company(r: &Record) -> RemoteCompany {
    let domain = domain(r);
    let name = match r.get("name") {
        "" if !domain.is_empty() => domain.clone(),
        "" => format!("HubSpot company {}", r.id),
        n => n.to_string(),
    };
    RemoteCompany {
        remote_id: format!("companies/{}", r.id),
        name,
        domain,
        website: r.get("website").to_string(),
        modified: modified(r, "hs_lastmodifieddate"),
    }
}

fn person(r: &Record, company: Option<String>) -> RemotePerson {
    let email = Some(r.get("email").to_lowercase()).filter(|e| e.contains('@'));
    let full = format!("{} {}", r.get("firstname"), r.get("lastname"))
        .trim()
        .to_string();
    let name = if !full.is_empty() {
        full
    } else {
        email
            .clone()
            .unwrap_or_else(|| format!("HubSpot contact {}", r.id))
    };
    RemotePerson {
        remote_id: format!("contacts/{}", r.id),
        name,
        email,
        phone: Some(r.get("phone").to_string()).filter(|p| !p.is_empty()),
        title: r.get("jobtitle").to_string(),
        company,
        modified: modified(r, "lastmodifieddate"),
    }
}

impl HubSpotCrm {
    /// Every record of `object_type` matching `filters`, in `key` order, through as many
    /// 10,000-result windows as it takes: each new window starts after (or, for a key that
    /// several records share, at) the last key seen, and records seen twice are kept once.
    async fn search_all(
        &self,
        object_type: &str,
        filters: Vec<serde_json::Value>,
        properties: &[&str],
        key: &str,
        unique_key: bool,
    ) -> Result<Vec<Record>, HubSpotError> {
        let mut out: Vec<Record> = Vec::new();
        let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
        let mut from: Option<String> = None;
        loop {
            let mut window = filters.clone();
            if let Some(value) = &from {
                let operator = if unique_key { "GT" } else { "GTE" };
                window.push(json!({ "propertyName": key, "operator": operator, "value": value }));
            }
            let mut offset = 0usize;
            let mut window_full = false;
            let before = out.len();
            loop {
                let body = json!({
                    "filterGroups": [{ "filters": window }],
                    "sorts": [{ "propertyName": key, "direction": "ASCENDING" }],
                    "properties": properties,
                    "limit": SEARCH_PAGE,
                    "after": offset.to_string(),
                });
                let page = self.session.search(object_type, &body).await?;
                let n = page.results.len();
                for r in page.results {
                    if seen.insert(r.id.clone()) {
                        out.push(r);
                    }
                }
                let next = page.paging.and_then(|p| p.next).map(|n| n.after);
                match next.and_then(|a| a.parse::<usize>().ok()) {
                    Some(next) if next + SEARCH_PAGE <= SEARCH_WINDOW => offset = next,
                    Some(_) => {
                        window_full = true;
                        break;
                    }
                    None => break,
                }
                if n == 0 {
                    break;
                }
            }
            // A full window that brought nothing new cannot move on (10,000 records share one
            // key): stop rather than loop.
            if !window_full || out.len() == before {
                return Ok(out);
            }
            from = out.last().map(|r| {
                if unique_key {
                    r.id.clone()
                } else {
                    r.get(key).to_string()
                }
            });
        }
    }

    /// Every deal in `stages`, in id order.
    async fn deals_in(&self, stages: &[String]) -> Result<Vec<Record>, HubSpotError> {
        let filters =
            vec![json!({ "propertyName": "dealstage", "operator": "IN", "values": stages })];
        self.search_all("deals", filters, &DEAL_PROPERTIES, "hs_object_id", true)
            .await
    }
}

fn object_type(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Company => "companies",
        RecordKind::Person => "contacts",
        RecordKind::Deal => "deals",
    }
}

fn properties_of(kind: RecordKind) -> &'static [&'static str] {
    match kind {
        RecordKind::Company => &COMPANY_PROPERTIES,
        RecordKind::Person => &CONTACT_PROPERTIES,
        RecordKind::Deal => &DEAL_PROPERTIES,
    }
}

fn modified_property(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Person => "lastmodifieddate",
        _ => "hs_lastmodifieddate",
    }
}

fn deal(d: &Record, currency: &str) -> RemoteDeal {
    RemoteDeal {
        remote_id: format!("deals/{}", d.id),
        title: Some(d.get("dealname"))
            .filter(|t| !t.is_empty())
            .map_or_else(|| format!("HubSpot deal {}", d.id), str::to_string),
        value_minor: minor_units(d.get("amount")),
        currency: Some(d.get("deal_currency_code").to_uppercase())
            .filter(|c| c.len() == 3)
            .unwrap_or_else(|| currency.to_uppercase()),
        won: true,
        closed_at: instant(d.get("closedate")),
        company: None,
        people: vec![],
        modified: modified(d, "hs_lastmodifieddate"),
    }
}

/// A record in the sync's provider-neutral fields (mapped as the import maps it, so an
/// imported record reads back as it was imported).
fn neutral(kind: RecordKind, r: &Record) -> RemoteRecord {
    let (fields, modified) = match kind {
        RecordKind::Company => {
            let c = company(r);
            (company_fields(&c), c.modified)
        }
        RecordKind::Person => {
            let p = person(r, None);
            (person_fields(&p), p.modified)
        }
        RecordKind::Deal => {
            let d = deal(r, "");
            (deal_fields(&d), d.modified)
        }
    };
    RemoteRecord {
        remote_id: format!("{}/{}", object_type(kind), r.id),
        fields,
        modified,
    }
}

/// Neutral fields as HubSpot properties (a name splits into first and last name at its first
/// space; a value in minor units becomes a decimal amount).
fn hubspot_properties(
    kind: RecordKind,
    fields: &Fields,
) -> serde_json::Map<String, serde_json::Value> {
    let mut out = serde_json::Map::new();
    for (field, value) in fields {
        match (kind, field.as_str()) {
            (RecordKind::Company, "name") => out.insert("name".into(), json!(value)),
            (RecordKind::Company, "website") => out.insert("website".into(), json!(value)),
            (RecordKind::Person, "name") => {
                let (first, last) = value.split_once(' ').unwrap_or((value, ""));
                out.insert("firstname".into(), json!(first));
                out.insert("lastname".into(), json!(last.trim()))
            }
            (RecordKind::Person, "title") => out.insert("jobtitle".into(), json!(value)),
            (RecordKind::Person, "email") => out.insert("email".into(), json!(value)),
            (RecordKind::Person, "phone") => out.insert("phone".into(), json!(value)),
            (RecordKind::Deal, "title") => out.insert("dealname".into(), json!(value)),
            (RecordKind::Deal, "value") => {
                let minor: i64 = value.parse().unwrap_or(0);
                out.insert(
                    "amount".into(),
                    json!(format!("{}.{:02}", minor / 100, minor % 100)),
                )
            }
            _ => None,
        };
    }
    out
}

impl HubSpotCrm {
    /// The account's currency, and the deal stages (in any pipeline) that are won.
    async fn won_stages(&self) -> CrmSyncResult<(String, Vec<String>)> {
        let go = |e: HubSpotError| crate::failure::SourceError::from(e);
        let currency = self
            .session
            .account_details()
            .await
            .map_err(go)?
            .company_currency;
        let pipelines = self.session.deal_pipelines().await.map_err(go)?;
        let won = pipelines
            .results
            .iter()
            .flat_map(|p| p.stages.iter().filter(|s| s.is_won()).map(|s| s.id.clone()))
            .collect();
        Ok((currency, won))
    }

    /// Won `deals` with their companies and contacts (associations, batch reads).
    async fn customers_of(&self, deals: Vec<Record>, currency: &str) -> CrmSyncResult<Customers> {
        let go = |e: HubSpotError| crate::failure::SourceError::from(e);
        let deal_ids: Vec<String> = deals.iter().map(|d| d.id.clone()).collect();
        let companies_of: HashMap<String, Vec<String>> = self
            .session
            .associations("deals", "companies", &deal_ids)
            .await
            .map_err(go)?
            .into_iter()
            .collect();
        let contacts_of: HashMap<String, Vec<String>> = self
            .session
            .associations("deals", "contacts", &deal_ids)
            .await
            .map_err(go)?
            .into_iter()
            .collect();
        let company_ids: Vec<String> = companies_of
            .values()
            .flatten()
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let contact_ids: Vec<String> = contacts_of
            .values()
            .flatten()
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let companies = self
            .session
            .batch_read("companies", &company_ids, &COMPANY_PROPERTIES)
            .await
            .map_err(go)?;
        let contacts = self
            .session
            .batch_read("contacts", &contact_ids, &CONTACT_PROPERTIES)
            .await
            .map_err(go)?;
        // A contact's company, as its won deal names it.
        let mut company_of_contact: HashMap<&str, String> = HashMap::new();
        for (deal, people) in &contacts_of {
            if let Some(c) = companies_of.get(deal).and_then(|cs| cs.first()) {
                for p in people {
                    company_of_contact
                        .entry(p.as_str())
                        .or_insert_with(|| format!("companies/{c}"));
                }
            }
        }
        Ok(Customers {
            companies: companies.iter().map(company).collect(),
            people: contacts
                .iter()
                .map(|r| person(r, company_of_contact.get(r.id.as_str()).cloned()))
                .collect(),
            deals: deals
                .iter()
                .map(|d| RemoteDeal {
                    company: companies_of
                        .get(&d.id)
                        .and_then(|c| c.first())
                        .map(|c| format!("companies/{c}")),
                    people: contacts_of
                        .get(&d.id)
                        .map(|ps| ps.iter().map(|p| format!("contacts/{p}")).collect())
                        .unwrap_or_default(),
                    ..deal(d, currency)
                })
                .collect(),
        })
    }
}

impl CrmRemote for HubSpotCrm {
    fn product_name(&self) -> &'static str {
        "HubSpot"
    }

    async fn profile(&self) -> CrmSyncResult<CrmProfile> {
        let d = self
            .session
            .account_details()
            .await
            .map_err(crate::failure::SourceError::from)?;
        Ok(CrmProfile {
            name: super::connect::identifier(d.portal_id),
            currency: d.company_currency,
            time_zone: d.time_zone,
        })
    }

    async fn won_customers(&self) -> CrmSyncResult<Customers> {
        let (currency, won) = self.won_stages().await?;
        if won.is_empty() {
            return Ok(Customers::default());
        }
        let deals = self
            .deals_in(&won)
            .await
            .map_err(crate::failure::SourceError::from)?;
        self.customers_of(deals, &currency).await
    }

    async fn won_customers_among(&self, deal_ids: &[String]) -> CrmSyncResult<Customers> {
        let ids: Vec<String> = deal_ids
            .iter()
            .filter_map(|id| id.strip_prefix("deals/").map(str::to_string))
            .collect();
        if ids.is_empty() {
            return Ok(Customers::default());
        }
        let (currency, won) = self.won_stages().await?;
        let deals: Vec<Record> = self
            .session
            .batch_read("deals", &ids, &DEAL_PROPERTIES)
            .await
            .map_err(crate::failure::SourceError::from)?
            .into_iter()
            .filter(|d| won.iter().any(|w| w == d.get("dealstage")))
            .collect();
        if deals.is_empty() {
            return Ok(Customers::default());
        }
        self.customers_of(deals, &currency).await
    }

    async fn changed_since(
        &self,
        kind: RecordKind,
        since: Timestamp,
    ) -> CrmSyncResult<Vec<RemoteRecord>> {
        let key = modified_property(kind);
        let filters =
            vec![json!({ "propertyName": key, "operator": "GTE", "value": since.to_string() })];
        let records = self
            .search_all(object_type(kind), filters, properties_of(kind), key, false)
            .await
            .map_err(crate::failure::SourceError::from)?;
        Ok(records.iter().map(|r| neutral(kind, r)).collect())
    }

    async fn read(
        &self,
        kind: RecordKind,
        remote_ids: &[String],
    ) -> CrmSyncResult<Vec<RemoteRecord>> {
        let prefix = format!("{}/", object_type(kind));
        let ids: Vec<String> = remote_ids
            .iter()
            .filter_map(|id| id.strip_prefix(&prefix).map(str::to_string))
            .collect();
        let records = self
            .session
            .batch_read(object_type(kind), &ids, properties_of(kind))
            .await
            .map_err(crate::failure::SourceError::from)?;
        Ok(records.iter().map(|r| neutral(kind, r)).collect())
    }

    async fn write(&self, kind: RecordKind, changes: &[(String, Fields)]) -> CrmSyncResult<()> {
        let prefix = format!("{}/", object_type(kind));
        let inputs: Vec<(String, serde_json::Map<String, serde_json::Value>)> = changes
            .iter()
            .filter_map(|(id, fields)| {
                Some((
                    id.strip_prefix(&prefix)?.to_string(),
                    hubspot_properties(kind, fields),
                ))
            })
            .collect();
        self.session
            .batch_update(object_type(kind), &inputs)
            .await
            .map_err(crate::failure::SourceError::from)?;
        Ok(())
    }
}
