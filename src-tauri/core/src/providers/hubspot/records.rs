//! HubSpot as the CRM sync's remote: its won deals (in any pipeline, a stage closed with
//! probability 1), their companies and contacts, mapped to the feature's types. Remote ids are
//! typed by object (`companies/123`): HubSpot numbers each object type on its own.

use std::collections::{BTreeSet, HashMap};

use cremmy_protocol::crm_sync::CrmProfile;
use serde_json::json;

use super::wire::Record;
use super::{HubSpotError, HubSpotSession};
use crate::clock::Timestamp;
use crate::features::crm_sync::{
    CrmRemote, CrmSyncResult, Customers, RemoteCompany, RemoteDeal, RemotePerson,
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
    /// Every deal in `stages`, in id order, through as many 10,000-result windows as it takes.
    async fn deals_in(&self, stages: &[String]) -> Result<Vec<Record>, HubSpotError> {
        let mut out: Vec<Record> = Vec::new();
        let mut after_id: Option<String> = None;
        loop {
            let mut filters =
                vec![json!({ "propertyName": "dealstage", "operator": "IN", "values": stages })];
            if let Some(id) = &after_id {
                filters
                    .push(json!({ "propertyName": "hs_object_id", "operator": "GT", "value": id }));
            }
            let mut offset = 0usize;
            let mut window_full = false;
            loop {
                let body = json!({
                    "filterGroups": [{ "filters": filters }],
                    "sorts": [{ "propertyName": "hs_object_id", "direction": "ASCENDING" }],
                    "properties": DEAL_PROPERTIES,
                    "limit": SEARCH_PAGE,
                    "after": offset.to_string(),
                });
                let page = self.session.search("deals", &body).await?;
                let n = page.results.len();
                out.extend(page.results);
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
            if !window_full {
                return Ok(out);
            }
            after_id = out.last().map(|r| r.id.clone());
        }
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
        let go = |e: HubSpotError| crate::failure::SourceError::from(e);
        let currency = self
            .session
            .account_details()
            .await
            .map_err(go)?
            .company_currency;
        let pipelines = self.session.deal_pipelines().await.map_err(go)?;
        let won: Vec<String> = pipelines
            .results
            .iter()
            .flat_map(|p| p.stages.iter().filter(|s| s.is_won()).map(|s| s.id.clone()))
            .collect();
        if won.is_empty() {
            return Ok(Customers::default());
        }
        let deals = self.deals_in(&won).await.map_err(go)?;
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
                    company: companies_of
                        .get(&d.id)
                        .and_then(|c| c.first())
                        .map(|c| format!("companies/{c}")),
                    people: contacts_of
                        .get(&d.id)
                        .map(|ps| ps.iter().map(|p| format!("contacts/{p}")).collect())
                        .unwrap_or_default(),
                    modified: modified(d, "hs_lastmodifieddate"),
                })
                .collect(),
        })
    }
}
