//! The import preview: what a first import of the CRM's customers does to what Cremmy holds,
//! decided without I/O. A remote record already linked is left alone; a person matches a contact
//! by email; a company matches the client of one of its people (by email), else a client with
//! its domain. A match where both sides hold a field with different values is a conflict, shown
//! with both values; Cremmy's stay unless the user picks the remote ones.

use std::collections::HashMap;

use cremmy_protocol::crm::Id;
use cremmy_protocol::crm_sync::{FieldDifference, ImportAction, ImportRow, RecordKind};

use super::{Customers, RemoteDeal};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalClient {
    pub id: Id,
    pub name: String,
    pub domain: String,
    pub website: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalContact {
    pub id: Id,
    pub client_id: Id,
    pub name: String,
    pub title: String,
    /// Lower-case.
    pub emails: Vec<String>,
}

/// What Cremmy holds that an import can match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LocalBook {
    pub clients: Vec<LocalClient>,
    pub contacts: Vec<LocalContact>,
    /// The account's links: remote id → local id.
    pub links: HashMap<String, Id>,
}

fn differs(field: &str, cremmy: &str, remote: &str) -> Option<FieldDifference> {
    let (a, b) = (cremmy.trim(), remote.trim());
    (!a.is_empty() && !b.is_empty() && !a.eq_ignore_ascii_case(b)).then(|| FieldDifference {
        field: field.to_string(),
        cremmy: a.to_string(),
        remote: b.to_string(),
    })
}

fn matched(
    local_id: Id,
    differences: Vec<FieldDifference>,
) -> (ImportAction, Option<Id>, Vec<FieldDifference>) {
    let action = if differences.is_empty() {
        ImportAction::Merge
    } else {
        ImportAction::Conflict
    };
    (action, Some(local_id), differences)
}

/// A deal's value as the row shows it ("GBP 4,500.50").
pub fn money(deal: &RemoteDeal) -> String {
    let units = deal.value_minor / 100;
    let digits = units.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{} {grouped}.{:02}", deal.currency, deal.value_minor % 100)
}

/// One row per remote record: companies, then people, then deals.
pub fn plan(local: &LocalBook, remote: &Customers) -> Vec<ImportRow> {
    let contact_by_email: HashMap<&str, &LocalContact> = local
        .contacts
        .iter()
        .flat_map(|c| c.emails.iter().map(move |e| (e.as_str(), c)))
        .collect();
    let client = |id: Id| local.clients.iter().find(|c| c.id == id);
    let mut rows = Vec::new();
    for company in &remote.companies {
        let (action, local_id, differences) = if let Some(&id) = local.links.get(&company.remote_id)
        {
            (ImportAction::Linked, Some(id), vec![])
        } else {
            let by_email = remote
                .people
                .iter()
                .filter(|p| p.company.as_deref() == Some(company.remote_id.as_str()))
                .filter_map(|p| contact_by_email.get(p.email.as_deref()?))
                .find_map(|c| client(c.client_id));
            let by_domain = || {
                (!company.domain.is_empty())
                    .then(|| {
                        local
                            .clients
                            .iter()
                            .find(|c| c.domain.eq_ignore_ascii_case(&company.domain))
                    })
                    .flatten()
            };
            match by_email.or_else(by_domain) {
                Some(c) => matched(
                    c.id,
                    [
                        differs("name", &c.name, &company.name),
                        differs("website", &c.website, &company.website),
                    ]
                    .into_iter()
                    .flatten()
                    .collect(),
                ),
                None => (ImportAction::New, None, vec![]),
            }
        };
        rows.push(ImportRow {
            kind: RecordKind::Company,
            remote_id: company.remote_id.clone(),
            name: company.name.clone(),
            detail: company.domain.clone(),
            action,
            local_id,
            differences,
        });
    }
    for person in &remote.people {
        let (action, local_id, differences) = if let Some(&id) = local.links.get(&person.remote_id)
        {
            (ImportAction::Linked, Some(id), vec![])
        } else {
            match person
                .email
                .as_deref()
                .and_then(|e| contact_by_email.get(e))
            {
                Some(c) => matched(
                    c.id,
                    [
                        differs("name", &c.name, &person.name),
                        differs("title", &c.title, &person.title),
                    ]
                    .into_iter()
                    .flatten()
                    .collect(),
                ),
                None => (ImportAction::New, None, vec![]),
            }
        };
        rows.push(ImportRow {
            kind: RecordKind::Person,
            remote_id: person.remote_id.clone(),
            name: person.name.clone(),
            detail: person.email.clone().unwrap_or_default(),
            action,
            local_id,
            differences,
        });
    }
    for deal in &remote.deals {
        let local_id = local.links.get(&deal.remote_id).copied();
        rows.push(ImportRow {
            kind: RecordKind::Deal,
            remote_id: deal.remote_id.clone(),
            name: deal.title.clone(),
            detail: money(deal),
            action: if local_id.is_some() {
                ImportAction::Linked
            } else {
                ImportAction::New
            },
            local_id,
            differences: vec![],
        });
    }
    rows
}
