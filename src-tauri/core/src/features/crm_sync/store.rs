//! What the import reads from Cremmy and writes to it. The import is one transaction: every row
//! of the preview is created or merged and linked, or nothing is (a failure rolls all of it back).

use std::collections::{HashMap, HashSet};

use cremmy_protocol::crm::{ClientKind, Id};
use cremmy_protocol::crm_sync::{ImportAction, ImportReport, ImportRow};

use super::preview::{LocalBook, LocalClient, LocalContact};
use super::reconcile::Fields;
use super::{company_fields, deal_fields, person_fields, Customers};
use crate::clock::Timestamp;
use crate::crm::synced_writes::{self, MergedClient, MergedContact};
use crate::crm::write::{self, CrmTx, NewClient, NewContact, NewDeal};
use crate::db::Database;
use crate::external_links::{self, EntityKind, NewLink, Role};

/// The clients and contacts an import can match, and the account's links.
pub async fn local_book(db: &Database, account_id: i64) -> sqlx::Result<LocalBook> {
    let mut conn = db.pool().acquire().await?;
    let clients: Vec<(Id, String, String, String)> =
        sqlx::query_as("SELECT id, name, domain, website FROM clients WHERE archived = 0")
            .fetch_all(&mut *conn)
            .await?;
    let contacts: Vec<(Id, Id, String, String, Option<String>)> = sqlx::query_as(
        "SELECT c.id, c.client_id, c.name, c.title, group_concat(e.email, ' ') \
         FROM contacts c LEFT JOIN contact_emails e ON e.contact_id = c.id \
         WHERE c.archived = 0 GROUP BY c.id",
    )
    .fetch_all(&mut *conn)
    .await?;
    // Links whose record Cremmy still has (a deleted record is imported again).
    let links: Vec<(String, Id)> = sqlx::query_as(
        "SELECT l.remote_id, l.local_id FROM external_links l \
         WHERE l.account_id = ? AND l.role = ? AND CASE l.entity_kind \
           WHEN 'client' THEN EXISTS (SELECT 1 FROM clients WHERE id = l.local_id) \
           WHEN 'contact' THEN EXISTS (SELECT 1 FROM contacts WHERE id = l.local_id) \
           WHEN 'deal' THEN EXISTS (SELECT 1 FROM deals WHERE id = l.local_id) \
           ELSE 0 END",
    )
    .bind(account_id)
    .bind(Role::CrmRecord.as_str())
    .fetch_all(&mut *conn)
    .await?;
    Ok(LocalBook {
        clients: clients
            .into_iter()
            .map(|(id, name, domain, website)| LocalClient {
                id,
                name,
                domain,
                website,
            })
            .collect(),
        contacts: contacts
            .into_iter()
            .map(|(id, client_id, name, title, emails)| LocalContact {
                id,
                client_id,
                name,
                title,
                emails: emails
                    .unwrap_or_default()
                    .split(' ')
                    .filter(|e| !e.is_empty())
                    .map(str::to_string)
                    .collect(),
            })
            .collect(),
        links: links.into_iter().collect(),
    })
}

async fn link(
    tx: &mut CrmTx,
    account_id: i64,
    entity: EntityKind,
    local_id: Id,
    remote_id: &str,
    modified: Timestamp,
    base: &Fields,
    now: Timestamp,
) -> sqlx::Result<()> {
    let version = modified.to_string();
    let state = serde_json::json!({ "base": base }).to_string();
    external_links::put(
        tx,
        &NewLink {
            account_id,
            entity,
            local_id,
            role: Role::CrmRecord,
            remote_id,
            url: None,
            remote_version: Some(&version),
            state: Some(&state),
        },
        now,
    )
    .await
}

/// Writes the import `rows` planned from `remote`: all of it, or nothing.
pub async fn import(
    db: &Database,
    account_id: i64,
    remote: &Customers,
    rows: &[ImportRow],
    remote_wins: &HashSet<String>,
    now: Timestamp,
) -> sqlx::Result<ImportReport> {
    let row_of: HashMap<&str, &ImportRow> =
        rows.iter().map(|r| (r.remote_id.as_str(), r)).collect();
    let mut report = ImportReport::default();
    let mut tx = CrmTx::begin(db).await?;
    let won_stage: Id =
        sqlx::query_scalar("SELECT id FROM stages WHERE kind = 'won' ORDER BY position LIMIT 1")
            .fetch_one(&mut *tx)
            .await?;
    let mut client_of: HashMap<String, Id> = HashMap::new();
    for company in &remote.companies {
        let Some(row) = row_of.get(company.remote_id.as_str()) else {
            continue;
        };
        let id = match (row.action, row.local_id) {
            (ImportAction::Linked, Some(id)) => {
                report.unchanged += 1;
                client_of.insert(company.remote_id.clone(), id);
                continue;
            }
            (ImportAction::Merge | ImportAction::Conflict, Some(id)) => {
                let wins = remote_wins.contains(&company.remote_id);
                let merged = MergedClient {
                    name: wins.then_some(company.name.as_str()),
                    website: &company.website,
                    domain: &company.domain,
                };
                synced_writes::merge_into_client(&mut tx, id, &merged, now).await?;
                report.merged += 1;
                id
            }
            _ => {
                report.created += 1;
                write::insert_client(
                    &mut tx,
                    &NewClient {
                        name: &company.name,
                        kind: ClientKind::Organisation,
                        website: &company.website,
                        domain: &company.domain,
                        notes: "",
                        created_at: now,
                    },
                )
                .await?
            }
        };
        link(
            &mut tx,
            account_id,
            EntityKind::Client,
            id,
            &company.remote_id,
            company.modified,
            &company_fields(company),
            now,
        )
        .await?;
        client_of.insert(company.remote_id.clone(), id);
    }
    let mut client_of_person: HashMap<String, Id> = HashMap::new();
    for person in &remote.people {
        let Some(row) = row_of.get(person.remote_id.as_str()) else {
            continue;
        };
        let id = match (row.action, row.local_id) {
            (ImportAction::Linked, Some(id)) => {
                report.unchanged += 1;
                id
            }
            (ImportAction::Merge | ImportAction::Conflict, Some(id)) => {
                let wins = remote_wins.contains(&person.remote_id);
                let merged = MergedContact {
                    name: wins.then_some(person.name.as_str()),
                    title: &person.title,
                    phone: person.phone.as_deref(),
                };
                synced_writes::merge_into_contact(&mut tx, id, &merged, now).await?;
                report.merged += 1;
                link(
                    &mut tx,
                    account_id,
                    EntityKind::Contact,
                    id,
                    &person.remote_id,
                    person.modified,
                    &person_fields(person),
                    now,
                )
                .await?;
                id
            }
            _ => {
                let client_id = match person.company.as_ref().and_then(|c| client_of.get(c)) {
                    Some(&id) => id,
                    None => {
                        write::insert_client(
                            &mut tx,
                            &NewClient {
                                name: &person.name,
                                kind: ClientKind::Individual,
                                website: "",
                                domain: "",
                                notes: "",
                                created_at: now,
                            },
                        )
                        .await?
                    }
                };
                let id = write::insert_contact(
                    &mut tx,
                    &NewContact {
                        client_id,
                        name: &person.name,
                        title: &person.title,
                        email: person.email.as_deref(),
                        phone: person.phone.as_deref(),
                        created_at: now,
                    },
                )
                .await?;
                report.created += 1;
                link(
                    &mut tx,
                    account_id,
                    EntityKind::Contact,
                    id,
                    &person.remote_id,
                    person.modified,
                    &person_fields(person),
                    now,
                )
                .await?;
                id
            }
        };
        let client_id: Id = sqlx::query_scalar("SELECT client_id FROM contacts WHERE id = ?")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        client_of_person.insert(person.remote_id.clone(), client_id);
    }
    for deal in &remote.deals {
        let Some(row) = row_of.get(deal.remote_id.as_str()) else {
            continue;
        };
        if row.action == ImportAction::Linked {
            report.unchanged += 1;
            continue;
        }
        let client_id = deal
            .company
            .as_ref()
            .and_then(|c| client_of.get(c))
            .or_else(|| deal.people.iter().find_map(|p| client_of_person.get(p)))
            .copied();
        // A deal with neither company nor person cannot belong to a client: left out.
        let Some(client_id) = client_id else { continue };
        let stage_id = if deal.won {
            won_stage
        } else {
            sqlx::query_scalar(
                "SELECT id FROM stages WHERE kind = 'open' ORDER BY position LIMIT 1",
            )
            .fetch_one(&mut *tx)
            .await?
        };
        let id = write::insert_deal(
            &mut tx,
            &NewDeal {
                client_id,
                title: &deal.title,
                value_minor: deal.value_minor,
                currency: &deal.currency,
                stage_id,
                owner: "",
                expected_close: None,
                won_at: deal.won.then_some(deal.closed_at.unwrap_or(now)),
                lost_at: None,
                created_at: now,
            },
        )
        .await?;
        report.created += 1;
        link(
            &mut tx,
            account_id,
            EntityKind::Deal,
            id,
            &deal.remote_id,
            deal.modified,
            &deal_fields(deal),
            now,
        )
        .await?;
    }
    // Later syncs pull what changed at the CRM since what this import saw.
    let seen = remote
        .companies
        .iter()
        .map(|c| c.modified)
        .chain(remote.people.iter().map(|p| p.modified))
        .chain(remote.deals.iter().map(|d| d.modified))
        .max();
    if let Some(seen) = seen {
        let cursor = seen.to_string();
        crate::cursors::advance(
            &mut tx,
            account_id,
            super::CURSOR_STREAM,
            crate::cursors::Advance {
                cursor: Some(&cursor),
                ..Default::default()
            },
            now,
        )
        .await?;
    }
    tx.commit(now).await?;
    Ok(report)
}
