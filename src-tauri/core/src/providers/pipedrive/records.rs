//! Pipedrive as the CRM sync's remote: its won deals (status `won`), their organizations and
//! persons, mapped to the feature's types. Remote ids are typed by entity (`persons/12`):
//! Pipedrive numbers each entity type on its own. Organizations have no website field in API v2,
//! so a client's website is not synced with Pipedrive (the reconciler skips a field one side
//! lacks).

use std::collections::{BTreeSet, HashMap};

use cremmy_protocol::crm_sync::{CrmProfile, RecordKind};
use serde_json::json;

use super::wire::{self, Deal, Organization, Person};
use super::{encode, Entity, PipedriveError, PipedriveSession};
use crate::clock::Timestamp;
use crate::failure::SourceError;
use crate::features::crm_sync::reconcile::Fields;
use crate::features::crm_sync::{
    deal_fields, fields, person_fields, CrmRemote, CrmSyncResult, Customers, RemoteCompany,
    RemoteDeal, RemotePerson, RemoteRecord,
};

/// One account's Pipedrive, for the CRM sync.
pub struct PipedriveCrm {
    pub session: PipedriveSession,
}

fn instant(text: Option<&str>) -> Option<Timestamp> {
    text?
        .parse::<jiff::Timestamp>()
        .ok()
        .map(|t| t.as_millisecond())
}

fn entity(kind: RecordKind) -> Entity {
    match kind {
        RecordKind::Company => Entity::Organizations,
        RecordKind::Person => Entity::Persons,
        RecordKind::Deal => Entity::Deals,
    }
}

fn remote_id(e: Entity, id: u64) -> String {
    format!("{}/{id}", e.path())
}

/// `"persons/12"` of `kind` → 12.
fn local_number(kind: RecordKind, remote_id: &str) -> Option<u64> {
    remote_id
        .strip_prefix(entity(kind).path())?
        .strip_prefix('/')?
        .parse()
        .ok()
}

fn text(v: &Option<String>) -> &str {
    v.as_deref().map(str::trim).unwrap_or("")
}

fn company(o: &Organization) -> RemoteCompany {
    RemoteCompany {
        remote_id: remote_id(Entity::Organizations, o.id),
        name: Some(text(&o.name)).filter(|n| !n.is_empty()).map_or_else(
            || format!("Pipedrive organization {}", o.id),
            str::to_string,
        ),
        domain: String::new(),
        website: String::new(),
        modified: instant(o.update_time.as_deref()).unwrap_or(0),
    }
}

fn person(p: &Person, company: Option<String>) -> RemotePerson {
    let email = wire::primary(&p.emails)
        .map(str::to_lowercase)
        .filter(|e| e.contains('@'));
    let name = match text(&p.name) {
        "" => email
            .clone()
            .unwrap_or_else(|| format!("Pipedrive person {}", p.id)),
        n => n.to_string(),
    };
    RemotePerson {
        remote_id: remote_id(Entity::Persons, p.id),
        name,
        email,
        phone: wire::primary(&p.phones).map(str::to_string),
        title: text(&p.job_title).to_string(),
        company,
        modified: instant(p.update_time.as_deref()).unwrap_or(0),
    }
}

/// A v2 value (a number in the deal's currency) in minor units.
fn minor_units(value: Option<f64>) -> i64 {
    value.map_or(0, |v| (v.max(0.0) * 100.0).round() as i64)
}

fn deal(d: &Deal, currency: &str) -> RemoteDeal {
    RemoteDeal {
        remote_id: remote_id(Entity::Deals, d.id),
        title: Some(text(&d.title))
            .filter(|t| !t.is_empty())
            .map_or_else(|| format!("Pipedrive deal {}", d.id), str::to_string),
        value_minor: minor_units(d.value),
        currency: Some(text(&d.currency).to_uppercase())
            .filter(|c| c.len() == 3)
            .unwrap_or_else(|| currency.to_uppercase()),
        won: d.status.as_deref() == Some("won"),
        closed_at: instant(d.won_time.as_deref()),
        company: d.org_id.map(|o| remote_id(Entity::Organizations, o)),
        people: d
            .person_id
            .map(|p| vec![remote_id(Entity::Persons, p)])
            .unwrap_or_default(),
        modified: instant(d.update_time.as_deref()).unwrap_or(0),
    }
}

/// The fields Pipedrive holds of each kind, as the import maps them (no website for a company).
fn company_neutral(o: &Organization) -> (Fields, Timestamp) {
    let c = company(o);
    (fields(&[("name", &c.name)]), c.modified)
}

fn go(e: PipedriveError) -> SourceError {
    SourceError::from(e)
}

impl PipedriveCrm {
    /// Records of `kind` from a list query, in the neutral fields.
    async fn neutral_list(
        &self,
        kind: RecordKind,
        query: &str,
    ) -> CrmSyncResult<Vec<RemoteRecord>> {
        let e = entity(kind);
        let s = &self.session;
        let records: Vec<(u64, Fields, Timestamp)> = match kind {
            RecordKind::Company => s
                .list_all::<Organization>(e, query)
                .await
                .map_err(go)?
                .iter()
                .map(|o| {
                    let (f, m) = company_neutral(o);
                    (o.id, f, m)
                })
                .collect(),
            RecordKind::Person => s
                .list_all::<Person>(e, query)
                .await
                .map_err(go)?
                .iter()
                .map(|p| {
                    let r = person(p, None);
                    (p.id, person_fields(&r), r.modified)
                })
                .collect(),
            RecordKind::Deal => s
                .list_all::<Deal>(e, query)
                .await
                .map_err(go)?
                .iter()
                .map(|d| {
                    let r = deal(d, "");
                    (d.id, deal_fields(&r), r.modified)
                })
                .collect(),
        };
        Ok(records
            .into_iter()
            .map(|(id, fields, modified)| RemoteRecord {
                remote_id: remote_id(e, id),
                fields,
                modified,
            })
            .collect())
    }

    /// Won `deals` with their organizations and persons (read by id, 100 a call).
    async fn customers_of(&self, deals: Vec<Deal>, currency: &str) -> CrmSyncResult<Customers> {
        let s = &self.session;
        let org_ids: BTreeSet<u64> = deals.iter().filter_map(|d| d.org_id).collect();
        let person_ids: BTreeSet<u64> = deals.iter().filter_map(|d| d.person_id).collect();
        let orgs: Vec<Organization> = s
            .by_ids(
                Entity::Organizations,
                &org_ids.into_iter().collect::<Vec<_>>(),
            )
            .await
            .map_err(go)?;
        let people: Vec<Person> = s
            .by_ids(Entity::Persons, &person_ids.into_iter().collect::<Vec<_>>())
            .await
            .map_err(go)?;
        let fetched: BTreeSet<u64> = orgs.iter().map(|o| o.id).collect();
        // A person's company: their own organization if it is a customer, else their won deal's.
        let mut deal_org_of: HashMap<u64, u64> = HashMap::new();
        for d in &deals {
            if let (Some(p), Some(o)) = (d.person_id, d.org_id) {
                deal_org_of.entry(p).or_insert(o);
            }
        }
        let company_of = |p: &Person| {
            p.org_id
                .filter(|o| fetched.contains(o))
                .or_else(|| deal_org_of.get(&p.id).copied())
                .map(|o| remote_id(Entity::Organizations, o))
        };
        Ok(Customers {
            companies: orgs.iter().map(company).collect(),
            people: people.iter().map(|p| person(p, company_of(p))).collect(),
            deals: deals.iter().map(|d| deal(d, currency)).collect(),
        })
    }

    /// A person's PATCH body: the name and job title as they are; a new email or phone replaces
    /// the primary entry and keeps the others (`current` is the person as Pipedrive holds it).
    fn person_patch(fields: &Fields, current: Option<&Person>) -> serde_json::Value {
        let mut body = serde_json::Map::new();
        for (field, value) in fields {
            match field.as_str() {
                "name" if !value.trim().is_empty() => {
                    body.insert("name".into(), json!(value));
                }
                "title" => {
                    body.insert("job_title".into(), json!(value));
                }
                "email" | "phone" => {
                    let list = current
                        .map(|p| {
                            if field == "email" {
                                &p.emails
                            } else {
                                &p.phones
                            }
                        })
                        .cloned()
                        .unwrap_or_default();
                    let mut out: Vec<serde_json::Value> = Vec::new();
                    if !value.is_empty() {
                        out.push(json!({ "value": value, "primary": true, "label": "work" }));
                    }
                    let primary = wire::primary(&list).map(str::to_string);
                    for l in &list {
                        if Some(l.value.trim()) != primary.as_deref() && l.value.trim() != value {
                            out.push(
                                json!({ "value": l.value, "primary": false, "label": "other" }),
                            );
                        }
                    }
                    body.insert(format!("{field}s"), json!(out));
                }
                _ => {}
            }
        }
        serde_json::Value::Object(body)
    }
}

impl CrmRemote for PipedriveCrm {
    fn product_name(&self) -> &'static str {
        "Pipedrive"
    }

    async fn profile(&self) -> CrmSyncResult<CrmProfile> {
        let user = self.session.current_user().await.map_err(go)?;
        Ok(CrmProfile {
            name: super::connect::identifier(&user),
            currency: user.default_currency,
            time_zone: user.timezone_name,
        })
    }

    async fn won_customers(&self) -> CrmSyncResult<Customers> {
        let s = &self.session;
        let currency = s.current_user().await.map_err(go)?.default_currency;
        let deals: Vec<Deal> = s
            .list_all(Entity::Deals, "status=won&sort_by=id")
            .await
            .map_err(go)?;
        self.customers_of(deals, &currency).await
    }

    async fn won_customers_among(&self, deal_ids: &[String]) -> CrmSyncResult<Customers> {
        let ids: Vec<u64> = deal_ids
            .iter()
            .filter_map(|id| local_number(RecordKind::Deal, id))
            .collect();
        if ids.is_empty() {
            return Ok(Customers::default());
        }
        let s = &self.session;
        let currency = s.current_user().await.map_err(go)?.default_currency;
        let deals: Vec<Deal> = s
            .by_ids::<Deal>(Entity::Deals, &ids)
            .await
            .map_err(go)?
            .into_iter()
            .filter(|d| d.status.as_deref() == Some("won"))
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
        // `updated_since` is to the second and inclusive: the second `since` falls in.
        let at = jiff::Timestamp::from_millisecond(since.div_euclid(1000) * 1000)
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
            .strftime("%Y-%m-%dT%H:%M:%SZ")
            .to_string();
        let query = format!(
            "updated_since={}&sort_by=update_time&sort_direction=asc",
            encode(&at)
        );
        self.neutral_list(kind, &query).await
    }

    async fn read(
        &self,
        kind: RecordKind,
        remote_ids: &[String],
    ) -> CrmSyncResult<Vec<RemoteRecord>> {
        let ids: Vec<u64> = remote_ids
            .iter()
            .filter_map(|id| local_number(kind, id))
            .collect();
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(100) {
            let query = format!(
                "ids={}",
                chunk
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(",")
            );
            out.extend(self.neutral_list(kind, &query).await?);
        }
        Ok(out)
    }

    async fn write(&self, kind: RecordKind, changes: &[(String, Fields)]) -> CrmSyncResult<()> {
        let s = &self.session;
        let targets: Vec<(u64, &Fields)> = changes
            .iter()
            .filter_map(|(id, f)| Some((local_number(kind, id)?, f)))
            .collect();
        // A person's other emails and phones are kept: read them first (one call per 100).
        let current: HashMap<u64, Person> = if kind == RecordKind::Person {
            let ids: Vec<u64> = targets
                .iter()
                .filter(|(_, f)| f.contains_key("email") || f.contains_key("phone"))
                .map(|(id, _)| *id)
                .collect();
            s.by_ids::<Person>(Entity::Persons, &ids)
                .await
                .map_err(go)?
                .into_iter()
                .map(|p| (p.id, p))
                .collect()
        } else {
            HashMap::new()
        };
        for (id, f) in targets {
            let body = match kind {
                RecordKind::Company => match f.get("name").filter(|n| !n.trim().is_empty()) {
                    Some(name) => json!({ "name": name }),
                    None => continue,
                },
                RecordKind::Person => Self::person_patch(f, current.get(&id)),
                RecordKind::Deal => {
                    let mut body = serde_json::Map::new();
                    if let Some(t) = f.get("title").filter(|t| !t.trim().is_empty()) {
                        body.insert("title".into(), json!(t));
                    }
                    if let Some(v) = f.get("value").and_then(|v| v.parse::<i64>().ok()) {
                        body.insert("value".into(), json!(v as f64 / 100.0));
                    }
                    serde_json::Value::Object(body)
                }
            };
            if body.as_object().is_some_and(|b| b.is_empty()) {
                continue;
            }
            s.update(entity(kind), id, &body).await.map_err(go)?;
        }
        Ok(())
    }
}
