//! Xero's Accounting API (`/api.xro/2.0/`), the subset Cremmy uses: Contacts, Invoices (and
//! emailing one, its online link) and Payments, from Xero's API reference
//! (developer.xero.com/documentation/api/accounting/contacts, …/invoices, …/payments) and its
//! OpenAPI description (github.com/XeroAPI/Xero-OpenAPI, `xero_accounting.yaml`).
//! - `If-Modified-Since` (UTC) keeps what was created or changed since then; `page` pages by 100;
//!   `where` takes `Field=="value"` clauses joined by `AND` (the sandbox knows the few Cremmy
//!   sends and refuses others); `Statuses` a comma list.
//! - PUT creates; the body is `{"Contacts":[…]}` (or one object). A contact's `Name` is unique
//!   among active contacts; `ContactNumber` is the id an external system gives it. An
//!   `AUTHORISED` invoice needs a due date and an account code on every line. `Idempotency-Key`
//!   replays the first answer to a PUT/POST.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::{
    admit, date_string, envelope, parse_utc, parse_xero_date, validation, with_limits, xero_date,
    Books, XeroState,
};
use crate::state::Shared;

const PAGE: usize = 100;
/// Revenue accounts of Xero's demo company chart ("200 Sales", "260 Other Revenue").
const ACCOUNT_CODES: [&str; 2] = ["200", "260"];

type Query_ = std::collections::HashMap<String, String>;

/// `Field=="value"` clauses joined by `AND`; `None` for anything else.
fn clauses(filter: &str) -> Option<Vec<(String, String)>> {
    if filter.trim().is_empty() {
        return Some(Vec::new());
    }
    filter
        .split(" AND ")
        .map(|clause| {
            let (field, value) = clause.trim().split_once("==")?;
            let value = value.trim();
            let value = value
                .strip_prefix("Guid(\"")
                .and_then(|v| v.strip_suffix("\")"))
                .or_else(|| value.strip_prefix('"').and_then(|v| v.strip_suffix('"')))?;
            Some((field.trim().to_string(), value.to_string()))
        })
        .collect()
}

fn field<'a>(item: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(item, |v, k| &v[k])
}

fn matches(item: &Value, clauses: &[(String, String)]) -> bool {
    clauses.iter().all(|(f, v)| match field(item, f) {
        Value::String(s) => s.eq_ignore_ascii_case(v),
        other => other.to_string() == *v,
    })
}

/// What a list GET keeps: filter, `If-Modified-Since`, then the page. `Err` is a 400.
fn select(
    items: &[Value],
    headers: &HeaderMap,
    q: &Query_,
    known_fields: &[&str],
) -> Result<Vec<Value>, Response> {
    let Some(clauses) = clauses(q.get("where").map(String::as_str).unwrap_or("")) else {
        return Err(bad_request("The where clause could not be parsed."));
    };
    if let Some((f, _)) = clauses
        .iter()
        .find(|(f, _)| !known_fields.contains(&f.as_str()))
    {
        return Err(bad_request(&format!("The sandbox does not filter on {f}.")));
    }
    let since = match headers.get("if-modified-since").map(|v| v.to_str()) {
        None => None,
        Some(Ok(text)) => match parse_utc(text) {
            Some(ms) => Some(ms),
            None => return Err(bad_request("If-Modified-Since is not a UTC date and time.")),
        },
        Some(Err(_)) => return Err(bad_request("If-Modified-Since is not readable.")),
    };
    let statuses: Option<Vec<&str>> = q.get("Statuses").map(|s| s.split(',').collect());
    let mut kept: Vec<Value> = items
        .iter()
        .filter(|i| matches(i, &clauses))
        .filter(|i| {
            statuses
                .as_ref()
                .is_none_or(|s| s.contains(&i["Status"].as_str().unwrap_or("")))
        })
        .filter(|i| {
            since.is_none_or(|since| {
                parse_xero_date(i["UpdatedDateUTC"].as_str().unwrap_or("")).unwrap_or(0) >= since
            })
        })
        .cloned()
        .collect();
    kept.sort_by_key(|i| parse_xero_date(i["UpdatedDateUTC"].as_str().unwrap_or("")).unwrap_or(0));
    if let Some(page) = q.get("page") {
        let Some(page) = page.parse::<usize>().ok().filter(|p| *p >= 1) else {
            return Err(bad_request("page must be a whole number from 1."));
        };
        kept = kept
            .into_iter()
            .skip((page - 1) * PAGE)
            .take(PAGE)
            .collect();
    }
    Ok(kept)
}

fn bad_request(message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({ "ErrorNumber": 14, "Type": "PostDataInvalidException", "Message": message })),
    )
        .into_response()
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        "The resource you're looking for cannot be found",
    )
        .into_response()
}

/// The items of a PUT body: `{"<Key>":[…]}` or one object.
fn items_of(body: &Value, key: &str) -> Vec<Value> {
    match &body[key] {
        Value::Array(items) => items.clone(),
        _ if body.is_object() && body.get(key).is_none() => vec![body.clone()],
        _ => Vec::new(),
    }
}

/// Runs `make` once per `Idempotency-Key`: a repeat gets the first answer.
fn once(
    x: &mut XeroState,
    tenant: &str,
    headers: &HeaderMap,
    make: impl FnOnce(&mut XeroState) -> (u16, Value),
) -> Response {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if let Some(key) = &key {
        if let Some((_, status, body)) = x.books.get(tenant).and_then(|b| b.idempotency.get(key)) {
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::OK);
            return (status, Json(body.clone())).into_response();
        }
    }
    let (status, body) = make(x);
    if let Some(key) = key {
        x.books
            .entry(tenant.to_string())
            .or_default()
            .idempotency
            .insert(key, (String::new(), status, body.clone()));
    }
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    (status, Json(body)).into_response()
}

fn books<'a>(x: &'a mut XeroState, tenant: &str) -> &'a mut Books {
    x.books.entry(tenant.to_string()).or_default()
}

/// A call in the caller's organisation: the token, tenant header and per-minute limit checked
/// first (their refusal is the answer), the remaining-calls headers added to what `answer` says.
fn in_tenant(
    shared: &Shared,
    headers: &HeaderMap,
    answer: impl FnOnce(&mut XeroState, &str) -> Response,
) -> Response {
    let mut world = shared.lock();
    let x = &mut world.xero;
    let tenant = match admit(x, headers) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let said = answer(x, &tenant);
    with_limits(x, &tenant, said)
}

pub async fn list_contacts(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<Query_>,
) -> Response {
    in_tenant(&shared, &headers, |x, tenant| {
        let now = x.now_ms();
        let known = ["ContactNumber", "EmailAddress", "Name", "ContactStatus"];
        let answer = match select(&books(x, &tenant).contacts, &headers, &q, &known) {
            Ok(kept) => Json(envelope(now, "Contacts", kept)).into_response(),
            Err(r) => r,
        };
        answer
    })
}

/// Makes a contact from a PUT body's item, or says why not.
pub fn new_contact(x: &mut XeroState, tenant: &str, item: &Value) -> Result<Value, Value> {
    let name = item["Name"].as_str().unwrap_or("").trim().to_string();
    let mut errors = Vec::new();
    if name.is_empty() {
        errors.push("The contact name must be specified.".to_string());
    } else if books(x, tenant).contacts.iter().any(|c| {
        c["ContactStatus"] == "ACTIVE"
            && c["Name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(&name))
    }) {
        errors.push(format!(
            "The contact name {name} is already assigned to another contact. The contact name must be unique across all active contacts."
        ));
    }
    if item["ContactNumber"].as_str().is_some_and(|n| n.len() > 50) {
        errors.push("The ContactNumber is longer than 50 characters.".into());
    }
    if !errors.is_empty() {
        let mut element = item.clone();
        element["ValidationErrors"] = errors.iter().map(|m| json!({ "Message": m })).collect();
        return Err(element);
    }
    let now = x.now_ms();
    let contact = json!({
        "ContactID": x.new_id(),
        "ContactNumber": item["ContactNumber"],
        "ContactStatus": "ACTIVE",
        "Name": name,
        "EmailAddress": item["EmailAddress"].as_str().unwrap_or(""),
        "IsCustomer": false,
        "UpdatedDateUTC": xero_date(now),
    });
    books(x, tenant).contacts.push(contact.clone());
    Ok(contact)
}

pub async fn create_contacts(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    in_tenant(&shared, &headers, |x, tenant| {
        let answer = once(x, &tenant, &headers, |x| {
            let mut made = Vec::new();
            for item in items_of(&body, "Contacts") {
                match new_contact(x, &tenant, &item) {
                    Ok(c) => made.push(c),
                    Err(element) => return (400, validation_body(element)),
                }
            }
            (200, envelope(x.now_ms(), "Contacts", made))
        });
        answer
    })
}

fn validation_body(element: Value) -> Value {
    json!({
        "ErrorNumber": 10,
        "Type": "ValidationException",
        "Message": "A validation exception occurred",
        "Elements": [element],
    })
}

/// Rounds to cents as Xero stores amounts (2 decimal places).
fn cents(amount: f64) -> f64 {
    (amount * 100.0).round() / 100.0
}

fn new_invoice(x: &mut XeroState, tenant: &str, item: &Value) -> Result<Value, Value> {
    let mut errors: Vec<String> = Vec::new();
    let contact_id = item["Contact"]["ContactID"].as_str().unwrap_or("");
    let contact = books(x, tenant)
        .contacts
        .iter()
        .find(|c| c["ContactID"] == contact_id)
        .cloned();
    if contact.is_none() {
        errors.push("A Contact must be specified for this type of transaction".into());
    }
    if !matches!(item["Type"].as_str(), Some("ACCREC" | "ACCPAY")) {
        errors.push("Invoice Type must be specified".into());
    }
    let status = item["Status"].as_str().unwrap_or("DRAFT").to_string();
    if !matches!(status.as_str(), "DRAFT" | "SUBMITTED" | "AUTHORISED") {
        errors.push(format!("Invoices cannot be created with status {status}."));
    }
    let lines = item["LineItems"].as_array().cloned().unwrap_or_default();
    if lines.is_empty() {
        errors.push("At least one line item must be specified.".into());
    }
    let date = item["Date"]
        .as_str()
        .and_then(parse_utc)
        .unwrap_or(x.now_ms());
    let due = item["DueDate"].as_str().and_then(parse_utc);
    if status == "AUTHORISED" {
        if due.is_none() {
            errors.push("Due Date is mandatory for approved invoices.".into());
        }
        for line in &lines {
            let code = line["AccountCode"].as_str().unwrap_or("");
            if !ACCOUNT_CODES.contains(&code) {
                errors.push(format!(
                    "Account code '{code}' is not a valid code for this document."
                ));
            }
        }
    }
    if !errors.is_empty() {
        let mut element = item.clone();
        element["ValidationErrors"] = errors.iter().map(|m| json!({ "Message": m })).collect();
        return Err(element);
    }
    let contact = contact.unwrap_or_default();
    let total = cents(
        lines
            .iter()
            .map(|l| {
                l["Quantity"].as_f64().unwrap_or(1.0) * l["UnitAmount"].as_f64().unwrap_or(0.0)
            })
            .sum(),
    );
    let now = x.now_ms();
    let number = books(x, tenant).invoices.len() + 1;
    let invoice = json!({
        "Type": item["Type"],
        "InvoiceID": x.new_id(),
        "InvoiceNumber": format!("INV-{number:04}"),
        "Reference": item["Reference"].as_str().unwrap_or(""),
        "Contact": { "ContactID": contact["ContactID"], "Name": contact["Name"] },
        "Date": xero_date(date),
        "DateString": date_string(date),
        "DueDate": due.map(xero_date),
        "DueDateString": due.map(date_string),
        "Status": status,
        "LineAmountTypes": item["LineAmountTypes"].as_str().unwrap_or("Exclusive"),
        "LineItems": lines,
        "SubTotal": total,
        "TotalTax": 0.0,
        "Total": total,
        "AmountDue": total,
        "AmountPaid": 0.0,
        "AmountCredited": 0.0,
        "CurrencyCode": item["CurrencyCode"].as_str().unwrap_or("USD"),
        "SentToContact": false,
        "HasAttachments": false,
        "UpdatedDateUTC": xero_date(now),
        "Payments": [],
    });
    books(x, tenant).invoices.push(invoice.clone());
    Ok(invoice)
}

pub async fn create_invoices(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    in_tenant(&shared, &headers, |x, tenant| {
        let answer = once(x, &tenant, &headers, |x| {
            let mut made = Vec::new();
            for item in items_of(&body, "Invoices") {
                match new_invoice(x, &tenant, &item) {
                    Ok(i) => made.push(i),
                    Err(element) => return (400, validation_body(element)),
                }
            }
            (200, envelope(x.now_ms(), "Invoices", made))
        });
        answer
    })
}

pub async fn list_invoices(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<Query_>,
) -> Response {
    in_tenant(&shared, &headers, |x, tenant| {
        let now = x.now_ms();
        let known = [
            "Type",
            "Status",
            "Contact.ContactID",
            "InvoiceNumber",
            "Reference",
        ];
        let answer = match select(&books(x, &tenant).invoices, &headers, &q, &known) {
            Ok(kept) => Json(envelope(now, "Invoices", kept)).into_response(),
            Err(r) => r,
        };
        answer
    })
}

pub async fn get_invoice(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    in_tenant(&shared, &headers, |x, tenant| {
        let now = x.now_ms();
        let found = books(x, &tenant)
            .invoices
            .iter()
            .find(|i| i["InvoiceID"] == id.as_str())
            .cloned();
        let answer = match found {
            Some(invoice) => Json(envelope(now, "Invoices", vec![invoice])).into_response(),
            None => not_found(),
        };
        answer
    })
}

/// POST /Invoices/{id}/Email: Xero emails an approved sales invoice to its contact (204).
pub async fn email_invoice(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    in_tenant(&shared, &headers, |x, tenant| {
        let b = books(x, &tenant);
        let Some(index) = b
            .invoices
            .iter()
            .position(|i| i["InvoiceID"] == id.as_str())
        else {
            return not_found();
        };
        let invoice = b.invoices[index].clone();
        let email = b
            .contacts
            .iter()
            .find(|c| c["ContactID"] == invoice["Contact"]["ContactID"])
            .and_then(|c| c["EmailAddress"].as_str())
            .unwrap_or("")
            .to_string();
        let answer = if !matches!(invoice["Status"].as_str(), Some("AUTHORISED" | "PAID")) {
            validation(invoice, &["Only approved sales invoices can be emailed."])
        } else if email.is_empty() {
            validation(invoice, &["The contact does not have an email address."])
        } else {
            b.invoices[index]["SentToContact"] = json!(true);
            StatusCode::NO_CONTENT.into_response()
        };
        answer
    })
}

/// GET /Invoices/{id}/OnlineInvoice: the link the customer views and pays at (not for drafts).
pub async fn online_invoice(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    in_tenant(&shared, &headers, |x, tenant| {
        let now = x.now_ms();
        let found = books(x, &tenant)
            .invoices
            .iter()
            .find(|i| i["InvoiceID"] == id.as_str())
            .cloned();
        let answer = match found {
            None => not_found(),
            Some(i) if matches!(i["Status"].as_str(), Some("DRAFT" | "SUBMITTED")) => validation(
                i,
                &["An online invoice cannot be created for a draft invoice."],
            ),
            Some(_) => Json(envelope(
                now,
                "OnlineInvoices",
                vec![json!({ "OnlineInvoiceUrl": format!("https://in.xero.com/sandbox{id}") })],
            ))
            .into_response(),
        };
        answer
    })
}

pub async fn list_payments(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<Query_>,
) -> Response {
    in_tenant(&shared, &headers, |x, tenant| {
        let now = x.now_ms();
        let known = ["Status", "PaymentType", "Invoice.InvoiceID"];
        let answer = match select(&books(x, &tenant).payments, &headers, &q, &known) {
            Ok(kept) => Json(envelope(now, "Payments", kept)).into_response(),
            Err(r) => r,
        };
        answer
    })
}
