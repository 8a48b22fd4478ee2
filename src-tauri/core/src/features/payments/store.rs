//! Invoices, payment links and payments in the database: what a deal is billed as, the rows a
//! job records once the provider made the object, and the executor of [`super::plan`]'s writes
//! (one transaction per sync; a payment is a `payment` activity on the timeline, which the
//! journal hears as `payment_received`).

use cremmy_protocol::crm::{ActivityKind, ActivitySource, Direction, Id};
use cremmy_protocol::payments::{ClientPayments, DealPaid, Invoice, InvoiceStatus, PaymentLink};

use super::{
    Charge, Known, Payer, PaymentOp, PaymentsError, PaymentsResult, RemoteInvoice, RemoteLink,
};
use crate::clock::Timestamp;
use crate::crm::write::{self, NewActivity};
use crate::db::Database;
use crate::features::templates::money_text;

/// What `deal_id` is billed as: its value, currency and title, to its client (found at the
/// provider by the client's id or its first contact's email).
pub async fn charge_for(
    db: &Database,
    deal_id: Id,
    days_until_due: u32,
    memo: &str,
    send: bool,
) -> PaymentsResult<(Charge, Id)> {
    let row: Option<(String, String, i64, String, Id, String, String)> = sqlx::query_as(
        "SELECT d.gid, d.title, d.value_minor, d.currency, c.id, c.gid, c.name FROM deals d \
         JOIN clients c ON c.id = d.client_id WHERE d.id = ?",
    )
    .bind(deal_id)
    .fetch_optional(db.pool())
    .await?;
    let (deal_gid, title, value, currency, client_id, client_gid, name) =
        row.ok_or_else(|| PaymentsError::Missing {
            what: format!("Deal {deal_id}"),
        })?;
    if value <= 0 {
        return Err(PaymentsError::Invalid {
            field: "deal value",
            reason: "give the deal a value to bill first".into(),
        });
    }
    if currency.trim().len() != 3 {
        return Err(PaymentsError::Invalid {
            field: "deal currency",
            reason: "give the deal a three-letter currency (EUR, USD…)".into(),
        });
    }
    if !(1..=365).contains(&days_until_due) {
        return Err(PaymentsError::Invalid {
            field: "due date",
            reason: "1 to 365 days".into(),
        });
    }
    let email: Option<String> = sqlx::query_scalar(
        "SELECT e.email FROM contacts k JOIN contact_emails e ON e.contact_id = k.id \
         WHERE k.client_id = ? AND k.archived = 0 ORDER BY e.is_primary DESC, k.id, e.id LIMIT 1",
    )
    .bind(client_id)
    .fetch_optional(db.pool())
    .await?;
    let charge = Charge {
        payer: Payer {
            client_gid,
            name,
            email,
        },
        deal_gid,
        currency: currency.to_uppercase(),
        amount_minor: value,
        line: title,
        memo: memo.trim().to_string(),
        days_until_due,
        send,
    };
    Ok((charge, client_id))
}

/// Every client not archived, as a payer (its first contact's email, as [`charge_for`] finds
/// it), by name.
pub async fn payers(db: &Database) -> PaymentsResult<Vec<Payer>> {
    let rows: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT c.gid, c.name, (SELECT e.email FROM contacts k JOIN contact_emails e ON e.contact_id = k.id \
           WHERE k.client_id = c.id AND k.archived = 0 ORDER BY e.is_primary DESC, k.id, e.id LIMIT 1) \
         FROM clients c WHERE c.archived = 0 ORDER BY c.name COLLATE NOCASE, c.id",
    )
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(client_gid, name, email)| Payer {
            client_gid,
            name,
            email,
        })
        .collect())
}

/// Records the invoice the provider made for the deal (once: a repeat finds the row).
pub async fn save_invoice(
    db: &Database,
    account_id: Id,
    client_id: Id,
    deal_id: Id,
    made: &RemoteInvoice,
    now: Timestamp,
) -> PaymentsResult<Id> {
    sqlx::query(
        "INSERT INTO invoices (client_id, deal_id, account_id, provider_id, number, status, currency, \
         total_minor, paid_minor, due_at, url, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (account_id, provider_id) DO NOTHING",
    )
    .bind(client_id)
    .bind(deal_id)
    .bind(account_id)
    .bind(&made.remote_id)
    .bind(&made.number)
    .bind(made.status.as_str())
    .bind(made.currency.to_uppercase())
    .bind(made.total_minor)
    .bind(made.paid_minor)
    .bind(made.due_at)
    .bind(&made.url)
    .bind(now)
    .bind(now)
    .execute(db.writer())
    .await?;
    Ok(
        sqlx::query_scalar("SELECT id FROM invoices WHERE account_id = ? AND provider_id = ?")
            .bind(account_id)
            .bind(&made.remote_id)
            .fetch_one(db.writer())
            .await?,
    )
}

pub async fn save_link(
    db: &Database,
    account_id: Id,
    client_id: Id,
    deal_id: Id,
    charge: &Charge,
    made: &RemoteLink,
    now: Timestamp,
) -> PaymentsResult<Id> {
    sqlx::query(
        "INSERT INTO payment_links (client_id, deal_id, account_id, provider_id, url, currency, amount_minor, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (account_id, provider_id) DO NOTHING",
    )
    .bind(client_id)
    .bind(deal_id)
    .bind(account_id)
    .bind(&made.remote_id)
    .bind(&made.url)
    .bind(&charge.currency)
    .bind(charge.amount_minor)
    .bind(now)
    .execute(db.writer())
    .await?;
    Ok(
        sqlx::query_scalar("SELECT id FROM payment_links WHERE account_id = ? AND provider_id = ?")
            .bind(account_id)
            .bind(&made.remote_id)
            .fetch_one(db.writer())
            .await?,
    )
}

/// The account's invoices and links by provider id.
pub async fn known(db: &Database, account_id: Id) -> PaymentsResult<Known> {
    let invoices: Vec<(String, Id, Id, Option<Id>, i64)> = sqlx::query_as(
        "SELECT provider_id, id, client_id, deal_id, paid_minor FROM invoices \
         WHERE account_id = ?",
    )
    .bind(account_id)
    .fetch_all(db.writer())
    .await?;
    let links: Vec<(String, Id, Id, Option<Id>)> = sqlx::query_as(
        "SELECT provider_id, id, client_id, deal_id FROM payment_links WHERE account_id = ?",
    )
    .bind(account_id)
    .fetch_all(db.writer())
    .await?;
    Ok(Known {
        paid: invoices
            .iter()
            .map(|(p, _, _, _, paid)| (p.clone(), *paid))
            .collect(),
        invoices: invoices
            .into_iter()
            .map(|(p, id, c, d, _)| (p, (id, c, d)))
            .collect(),
        links: links
            .into_iter()
            .map(|(p, id, c, d)| (p, (id, c, d)))
            .collect(),
    })
}

/// Provider ids of the account's invoices not yet settled (re-read when changes expired).
pub async fn unsettled(db: &Database, account_id: Id) -> PaymentsResult<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT provider_id FROM invoices WHERE account_id = ? AND status IN ('draft', 'open')",
    )
    .bind(account_id)
    .fetch_all(db.pool())
    .await?)
}

/// Applies the planned writes in one transaction; returns how many payments were new.
pub async fn apply(
    db: &Database,
    account_id: Id,
    product: &str,
    ops: &[PaymentOp],
    now: Timestamp,
) -> PaymentsResult<u64> {
    let mut tx = write::CrmTx::begin(db).await?;
    let mut new_payments = 0;
    for op in ops {
        match op {
            PaymentOp::SetInvoice { invoice_id, state } => {
                sqlx::query(
                    "UPDATE invoices SET status = ?, total_minor = ?, paid_minor = ?, due_at = ?, \
                     number = coalesce(?, number), url = coalesce(?, url), updated_at = ? WHERE id = ?",
                )
                .bind(state.status.as_str())
                .bind(state.total_minor)
                .bind(state.paid_minor)
                .bind(state.due_at)
                .bind(&state.number)
                .bind(&state.url)
                .bind(now)
                .bind(invoice_id)
                .execute(&mut *tx)
                .await?;
            }
            PaymentOp::RecordPayment {
                remote_id,
                client_id,
                deal_id,
                invoice_id,
                link_id,
                currency,
                amount_minor,
                at,
            } => {
                let inserted = sqlx::query(
                    "INSERT INTO payments (client_id, deal_id, invoice_id, link_id, account_id, provider_id, \
                     currency, amount_minor, paid_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) \
                     ON CONFLICT (account_id, provider_id) DO NOTHING",
                )
                .bind(client_id)
                .bind(deal_id)
                .bind(invoice_id)
                .bind(link_id)
                .bind(account_id)
                .bind(remote_id)
                .bind(currency.to_uppercase())
                .bind(amount_minor)
                .bind(at)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if inserted == 0 {
                    continue;
                }
                new_payments += 1;
                let number: Option<String> = match invoice_id {
                    Some(id) => {
                        sqlx::query_scalar("SELECT number FROM invoices WHERE id = ?")
                            .bind(id)
                            .fetch_one(&mut *tx)
                            .await?
                    }
                    None => None,
                };
                let via = match (number, link_id) {
                    (Some(n), _) => format!(" for invoice {n}"),
                    (None, Some(_)) => " through a payment link".to_string(),
                    _ => String::new(),
                };
                let subject = format!(
                    "Payment received: {}{via}",
                    money_text(*amount_minor, &currency.to_uppercase())
                );
                let body = format!("Paid through {product} ({remote_id}).");
                let activity = NewActivity {
                    client_id: *client_id,
                    contact_id: None,
                    deal_id: *deal_id,
                    kind: ActivityKind::Payment,
                    direction: Direction::Inbound,
                    subject: &subject,
                    body: &body,
                    occurred_at: *at,
                    source: ActivitySource::Payment,
                    external_id: Some(remote_id),
                };
                let activity_id = write::insert_activity(&mut tx, &activity, now).await?;
                sqlx::query(
                    "UPDATE payments SET activity_id = ? WHERE account_id = ? AND provider_id = ?",
                )
                .bind(activity_id)
                .bind(account_id)
                .bind(remote_id)
                .execute(&mut *tx)
                .await?;
            }
            PaymentOp::Refund {
                payment,
                refunded_minor,
                at,
            } => {
                let row: Option<(Id, Option<Id>, String, i64)> = sqlx::query_as(
                    "UPDATE payments SET refunded_minor = min(?1, amount_minor) \
                     WHERE account_id = ?2 AND provider_id = ?3 AND refunded_minor < min(?1, amount_minor) \
                     RETURNING client_id, deal_id, currency, refunded_minor",
                )
                .bind(refunded_minor)
                .bind(account_id)
                .bind(payment)
                .fetch_optional(&mut *tx)
                .await?;
                let Some((client_id, deal_id, currency, refunded)) = row else {
                    continue;
                };
                let subject = format!("Refund: {}", money_text(refunded, &currency));
                let key = format!("{payment}:refund:{refunded}");
                let activity = NewActivity {
                    client_id,
                    contact_id: None,
                    deal_id,
                    kind: ActivityKind::Payment,
                    direction: Direction::Outbound,
                    subject: &subject,
                    body: &format!("Refunded through {product} ({payment})."),
                    occurred_at: *at,
                    source: ActivitySource::Payment,
                    external_id: Some(&key),
                };
                write::insert_activity(&mut tx, &activity, now).await?;
            }
        }
    }
    tx.commit(now).await?;
    Ok(new_payments)
}

fn invoice_of(row: InvoiceRow, now: Timestamp) -> Invoice {
    let (id, client_id, deal_id, number, status, currency, total, paid, due_at, url, created_at) =
        row;
    let status = InvoiceStatus::parse(&status).unwrap_or(InvoiceStatus::Open);
    Invoice {
        id,
        client_id,
        deal_id,
        number,
        overdue: status == InvoiceStatus::Open && due_at.is_some_and(|d| d < now),
        status,
        currency,
        total_minor: total,
        paid_minor: paid,
        due_at,
        url,
        created_at,
    }
}

type InvoiceRow = (
    Id,
    Id,
    Option<Id>,
    Option<String>,
    String,
    String,
    i64,
    i64,
    Option<i64>,
    Option<String>,
    i64,
);
const INVOICE_COLUMNS: &str = "id, client_id, deal_id, number, status, currency, total_minor, \
                               paid_minor, due_at, url, created_at";

/// The client's invoices (newest first), links, and what is owed per currency.
pub async fn client_payments(
    db: &Database,
    client_id: Id,
    now: Timestamp,
) -> PaymentsResult<ClientPayments> {
    let rows: Vec<InvoiceRow> = sqlx::query_as(&format!(
        "SELECT {INVOICE_COLUMNS} FROM invoices WHERE client_id = ? ORDER BY created_at DESC, id DESC"
    ))
    .bind(client_id)
    .fetch_all(db.pool())
    .await?;
    let invoices: Vec<Invoice> = rows.into_iter().map(|r| invoice_of(r, now)).collect();
    let links: Vec<(Id, Option<Id>, String, String, i64, i64, i64)> = sqlx::query_as(
        "SELECT l.id, l.deal_id, l.url, l.currency, l.amount_minor, l.created_at, \
         coalesce((SELECT sum(p.amount_minor - p.refunded_minor) FROM payments p WHERE p.link_id = l.id), 0) \
         FROM payment_links l WHERE l.client_id = ? ORDER BY l.created_at DESC, l.id DESC",
    )
    .bind(client_id)
    .fetch_all(db.pool())
    .await?;
    let mut outstanding: Vec<(String, i64)> = Vec::new();
    for i in invoices.iter().filter(|i| i.status == InvoiceStatus::Open) {
        let owed = i.total_minor - i.paid_minor;
        match outstanding.iter_mut().find(|(c, _)| *c == i.currency) {
            Some((_, sum)) => *sum += owed,
            None => outstanding.push((i.currency.clone(), owed)),
        }
    }
    outstanding.sort();
    Ok(ClientPayments {
        invoices,
        links: links
            .into_iter()
            .map(
                |(id, deal_id, url, currency, amount, created_at, paid)| PaymentLink {
                    id,
                    client_id,
                    deal_id,
                    url,
                    currency,
                    amount_minor: amount,
                    paid_minor: paid,
                    created_at,
                },
            )
            .collect(),
        outstanding,
    })
}

/// Every open invoice past its due date, the longest overdue first.
pub async fn overdue(db: &Database, now: Timestamp) -> PaymentsResult<Vec<Invoice>> {
    let rows: Vec<InvoiceRow> = sqlx::query_as(&format!(
        "SELECT {INVOICE_COLUMNS} FROM invoices WHERE status = 'open' AND due_at < ? ORDER BY due_at, id"
    ))
    .bind(now)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(|r| invoice_of(r, now)).collect())
}

/// Paid against the deal's value (payments less refunds, in the deal's currency).
pub async fn deal_paid(db: &Database, deal_id: Id) -> PaymentsResult<DealPaid> {
    let (value, paid): (i64, i64) = sqlx::query_as(
        "SELECT d.value_minor, coalesce((SELECT sum(p.amount_minor - p.refunded_minor) FROM payments p \
         WHERE p.deal_id = d.id AND p.currency = upper(d.currency)), 0) FROM deals d WHERE d.id = ?",
    )
    .bind(deal_id)
    .fetch_optional(db.pool())
    .await?
    .ok_or_else(|| PaymentsError::Missing {
        what: format!("Deal {deal_id}"),
    })?;
    Ok(match paid {
        p if p <= 0 => DealPaid::Unpaid,
        p if p < value => DealPaid::Partially,
        _ => DealPaid::Fully,
    })
}

/// Journals `invoice_overdue` once for each open invoice past its due date: the clients of the
/// invoices that just turned overdue.
pub async fn journal_overdue(db: &Database, now: Timestamp) -> PaymentsResult<Vec<Id>> {
    Ok(sqlx::query_scalar(
        "INSERT INTO event_journal (gid, kind, client_id, deal_id, invoice_id, occurred_at, recorded_at) \
         SELECT 'evt_' || lower(hex(randomblob(12))), 'invoice_overdue', i.client_id, i.deal_id, i.id, i.due_at, ? \
         FROM invoices i WHERE i.status = 'open' AND i.due_at < ? AND NOT EXISTS \
         (SELECT 1 FROM event_journal j WHERE j.invoice_id = i.id AND j.kind = 'invoice_overdue') \
         RETURNING client_id",
    )
    .bind(now)
    .bind(now)
    .fetch_all(db.writer())
    .await?)
}
