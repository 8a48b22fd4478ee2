//! The Accounting API's calls the sandbox serves, with the company's books in memory:
//! the query language over customers, items, invoices and payments; customer and invoice
//! create (a `requestid` replays the first answer); invoice read and send; change data capture.
//! Pages: developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/customer,
//! …/invoice, …/payment, and …/learn/explore-the-quickbooks-online-api/change-data-capture.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::{admit, answer, qb_date, qb_time, query, validation, Company, QuickBooksState};
use crate::state::Shared;

type Params = Query<HashMap<String, String>>;

/// How far back change data capture reaches.
const CDC_WINDOW_MS: i64 = 30 * 86_400_000;
/// Objects in one change data capture answer.
const CDC_MAX: usize = 1000;

fn object_not_found(what: &str) -> Response {
    validation(
        "610",
        "Object Not Found",
        &format!("Object Not Found : Something you're trying to use has been made inactive. Check the fields with {what}."),
    )
}

fn collection<'a>(company: &'a Company, entity: &str) -> Option<&'a Vec<Value>> {
    match entity.to_ascii_lowercase().as_str() {
        "customer" => Some(&company.customers),
        "item" => Some(&company.items),
        "invoice" => Some(&company.invoices),
        "payment" => Some(&company.payments),
        _ => None,
    }
}

/// GET /v3/company/{realm}/query?query=…
pub async fn query(
    State(shared): State<Shared>,
    Path(realm): Path<String>,
    headers: HeaderMap,
    Query(p): Params,
) -> Response {
    let mut world = shared.lock();
    let q = &mut world.quickbooks;
    if let Err(refused) = admit(q, &headers, &realm) {
        return refused;
    }
    let now = q.now_ms();
    let text = p.get("query").cloned().unwrap_or_default();
    let select = match query::parse(&text) {
        Ok(s) => s,
        Err(detail) => {
            return validation(
                "4000",
                "Error parsing query",
                &format!("QueryParserError: {detail}"),
            )
        }
    };
    let company = q.company(&realm);
    let Some(all) = collection(company, &select.entity) else {
        return validation(
            "4001",
            "Invalid query",
            &format!("QueryValidationError: Property {} not found", select.entity),
        );
    };
    let found: Vec<Value> = all
        .iter()
        .filter(|o| select.conditions.iter().all(|c| query::matches(o, c)))
        .skip(select.start - 1)
        .take(select.max)
        .cloned()
        .collect();
    let mut response = json!({});
    if !found.is_empty() {
        let name = entity_name(&select.entity);
        response = json!({ "startPosition": select.start, "maxResults": found.len() });
        response[name] = Value::Array(found);
    }
    Json(json!({ "QueryResponse": response, "time": qb_time(now) })).into_response()
}

fn entity_name(entity: &str) -> &'static str {
    match entity.to_ascii_lowercase().as_str() {
        "customer" => "Customer",
        "item" => "Item",
        "invoice" => "Invoice",
        _ => "Payment",
    }
}

/// The first answer to a `requestid`, if this is a repeat.
fn replayed(q: &mut QuickBooksState, realm: &str, p: &HashMap<String, String>) -> Option<Response> {
    let id = p.get("requestid")?;
    // "The RequestID can have a maximum of 50 characters for all operations except batch"
    // (blogs.intuit.com/2015/04/06/15346); Intuit names no error code for a longer one.
    if id.chars().count() > 50 {
        return Some(validation(
            "4000",
            "Invalid requestid",
            "requestid is longer than 50 characters",
        ));
    }
    let (status, body) = q.company(realm).requests.get(id)?.clone();
    Some(
        (
            StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
            Json(body),
        )
            .into_response(),
    )
}

fn remember(q: &mut QuickBooksState, realm: &str, p: &HashMap<String, String>, body: &Value) {
    if let Some(id) = p.get("requestid") {
        q.company(realm)
            .requests
            .insert(id.clone(), (200, body.clone()));
    }
}

fn meta(now: i64) -> Value {
    json!({ "CreateTime": qb_time(now), "LastUpdatedTime": qb_time(now) })
}

fn next_id(q: &mut QuickBooksState) -> String {
    q.next_id += 1;
    (q.next_id + 57).to_string()
}

/// POST /v3/company/{realm}/customer: create (no `Id`).
pub async fn create_customer(
    State(shared): State<Shared>,
    Path(realm): Path<String>,
    headers: HeaderMap,
    Query(p): Params,
    Json(body): Json<Value>,
) -> Response {
    let mut world = shared.lock();
    let q = &mut world.quickbooks;
    if let Err(refused) = admit(q, &headers, &realm) {
        return refused;
    }
    if let Some(first) = replayed(q, &realm, &p) {
        return first;
    }
    let now = q.now_ms();
    let name = body["DisplayName"]
        .as_str()
        .unwrap_or("")
        .trim()
        .to_string();
    if name.is_empty() {
        return validation(
            "2020",
            "Required param missing, need to supply the required value for the API",
            "Required parameter DisplayName is missing in the request",
        );
    }
    let company = q.company(&realm);
    let taken = company.customers.iter().any(|c| {
        c["DisplayName"]
            .as_str()
            .is_some_and(|n| n.eq_ignore_ascii_case(&name))
    }) || company
        .vendors
        .iter()
        .any(|v| v.eq_ignore_ascii_case(&name));
    if taken {
        return validation(
            "6240",
            "Duplicate Name Exists Error",
            "The name supplied already exists. : Another customer, vendor or employee is already using this name.",
        );
    }
    let id = next_id(q);
    let currency = q.settings.home_currency.clone();
    let mut customer = body.clone();
    customer["Id"] = json!(id);
    customer["SyncToken"] = json!("0");
    customer["DisplayName"] = json!(name);
    customer["Active"] = json!(true);
    customer["Balance"] = json!(0);
    customer["CurrencyRef"] = json!({ "value": currency });
    customer["MetaData"] = meta(now);
    q.company(&realm).customers.push(customer.clone());
    let out = answer(now, "Customer", customer);
    remember(q, &realm, &p, &out);
    Json(out).into_response()
}

fn money(amount: f64) -> f64 {
    (amount * 100.0).round() / 100.0
}

/// POST /v3/company/{realm}/invoice: create. Needs a customer, at least one sales line naming
/// an item, `Amount` = `UnitPrice` × `Qty`; a currency other than the home one needs
/// multicurrency.
pub async fn create_invoice(
    State(shared): State<Shared>,
    Path(realm): Path<String>,
    headers: HeaderMap,
    Query(p): Params,
    Json(body): Json<Value>,
) -> Response {
    let mut world = shared.lock();
    let q = &mut world.quickbooks;
    if let Err(refused) = admit(q, &headers, &realm) {
        return refused;
    }
    if let Some(first) = replayed(q, &realm, &p) {
        return first;
    }
    let now = q.now_ms();
    let home = q.settings.home_currency.clone();
    let multicurrency = q.settings.multicurrency;
    let company = q.company(&realm);
    let customer_id = body["CustomerRef"]["value"].as_str().unwrap_or("");
    let Some(customer) = company
        .customers
        .iter()
        .find(|c| c["Id"] == customer_id)
        .cloned()
    else {
        return validation("2500", "Invalid Reference Id", "Invalid Reference Id : Customer assigned to this transaction has been deleted. Before you can modify this transaction, you must restore the customer.");
    };
    let lines = body["Line"].as_array().cloned().unwrap_or_default();
    let sales: Vec<&Value> = lines
        .iter()
        .filter(|l| l["DetailType"] == "SalesItemLineDetail")
        .collect();
    if sales.is_empty() {
        return validation(
            "2020",
            "Required param missing, need to supply the required value for the API",
            "Required parameter Line.SalesItemLineDetail is missing in the request",
        );
    }
    let mut total = 0.0;
    for line in &sales {
        let detail = &line["SalesItemLineDetail"];
        let item = detail["ItemRef"]["value"].as_str().unwrap_or("");
        if !company.items.iter().any(|i| i["Id"] == item) {
            return validation(
                "2500",
                "Invalid Reference Id",
                "Invalid Reference Id : Item",
            );
        }
        let amount = line["Amount"].as_f64().unwrap_or(0.0);
        let qty = detail["Qty"].as_f64().unwrap_or(1.0);
        if let Some(price) = detail["UnitPrice"].as_f64() {
            if money(price * qty) != money(amount) {
                return validation(
                    "6070",
                    "Amount is not equal to UnitPrice * Qty",
                    &format!("Amount is not equal to UnitPrice * Qty. Supplied value: {amount}"),
                );
            }
        }
        total += amount;
    }
    let currency = body["CurrencyRef"]["value"]
        .as_str()
        .unwrap_or(&home)
        .to_uppercase();
    if currency != home && !multicurrency {
        return validation("6000", "A business validation error has occurred while processing your request", &format!("Business Validation Error: {currency} is not the home currency and multicurrency is off"));
    }
    let txn_date = body["TxnDate"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| qb_date(now));
    let due = body["DueDate"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| {
            let at = super::parse_time(&txn_date).unwrap_or(now) + 30 * 86_400_000;
            crate::rfc3339(at)[..10].to_string()
        });
    let id = next_id(q);
    let company = q.company(&realm);
    let doc = company.next_doc_number;
    company.next_doc_number += 1;
    let mut invoice = body.clone();
    invoice["Id"] = json!(id);
    invoice["SyncToken"] = json!("0");
    invoice["DocNumber"] = json!(doc.to_string());
    invoice["TxnDate"] = json!(txn_date);
    invoice["DueDate"] = json!(due);
    invoice["TotalAmt"] = json!(money(total));
    invoice["Balance"] = json!(money(total));
    invoice["CurrencyRef"] = json!({ "value": currency });
    invoice["CustomerRef"] = json!({ "value": customer_id, "name": customer["DisplayName"] });
    if body["BillEmail"].is_null() && !customer["PrimaryEmailAddr"].is_null() {
        invoice["BillEmail"] = customer["PrimaryEmailAddr"].clone();
    }
    if invoice["EmailStatus"].is_null() {
        invoice["EmailStatus"] = json!("NotSet");
    }
    invoice["MetaData"] = meta(now);
    company.invoices.push(invoice.clone());
    let out = answer(now, "Invoice", with_link(&invoice, &p));
    remember(q, &realm, &p, &out);
    Json(out).into_response()
}

/// `include=invoiceLink` (minor version 36 and up) adds the link where the customer views and
/// pays the invoice.
fn with_link(invoice: &Value, p: &HashMap<String, String>) -> Value {
    let mut out = invoice.clone();
    let minor: u32 = p
        .get("minorversion")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    if p.get("include").is_some_and(|i| i == "invoiceLink") && minor >= 36 {
        out["InvoiceLink"] = json!(format!(
            "https://connect.intuit.com/portal/app/CommerceNetwork/view/scs-v1-{}",
            invoice["Id"].as_str().unwrap_or("")
        ));
    }
    out
}

/// GET /v3/company/{realm}/invoice/{id}
pub async fn read_invoice(
    State(shared): State<Shared>,
    Path((realm, id)): Path<(String, String)>,
    headers: HeaderMap,
    Query(p): Params,
) -> Response {
    let mut world = shared.lock();
    let q = &mut world.quickbooks;
    if let Err(refused) = admit(q, &headers, &realm) {
        return refused;
    }
    let now = q.now_ms();
    match q
        .company(&realm)
        .invoices
        .iter()
        .find(|i| i["Id"] == id.as_str())
    {
        Some(invoice) => Json(answer(now, "Invoice", with_link(invoice, &p))).into_response(),
        None => object_not_found("invoices"),
    }
}

/// GET /v3/company/{realm}/payment/{id}
pub async fn read_payment(
    State(shared): State<Shared>,
    Path((realm, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let mut world = shared.lock();
    let q = &mut world.quickbooks;
    if let Err(refused) = admit(q, &headers, &realm) {
        return refused;
    }
    let now = q.now_ms();
    match q
        .company(&realm)
        .payments
        .iter()
        .find(|p| p["Id"] == id.as_str())
    {
        Some(payment) => Json(answer(now, "Payment", payment.clone())).into_response(),
        None => object_not_found("payments"),
    }
}

/// POST /v3/company/{realm}/invoice/{id}/send[?sendTo=]: emails the invoice (to `sendTo`, else
/// its `BillEmail`) and answers the invoice, `EmailStatus` now `EmailSent`.
pub async fn send_invoice(
    State(shared): State<Shared>,
    Path((realm, id)): Path<(String, String)>,
    headers: HeaderMap,
    Query(p): Params,
) -> Response {
    let mut world = shared.lock();
    let q = &mut world.quickbooks;
    if let Err(refused) = admit(q, &headers, &realm) {
        return refused;
    }
    let now = q.now_ms();
    let company = q.company(&realm);
    let Some(invoice) = company.invoices.iter_mut().find(|i| i["Id"] == id.as_str()) else {
        return object_not_found("invoices");
    };
    let to = p
        .get("sendTo")
        .cloned()
        .or_else(|| invoice["BillEmail"]["Address"].as_str().map(str::to_string));
    let Some(to) = to.filter(|t| t.contains('@')) else {
        return validation(
            "2050",
            "Invalid Email Address",
            "Invalid Email Address : the invoice has no BillEmail and no sendTo was given",
        );
    };
    invoice["EmailStatus"] = json!("EmailSent");
    invoice["BillEmail"] = json!({ "Address": to });
    invoice["DeliveryInfo"] = json!({ "DeliveryType": "Email", "DeliveryTime": qb_time(now) });
    invoice["MetaData"]["LastUpdatedTime"] = json!(qb_time(now));
    let out = answer(now, "Invoice", with_link(invoice, &p));
    Json(out).into_response()
}

/// GET /v3/company/{realm}/cdc?entities=Invoice,Payment&changedSince=…
pub async fn cdc(
    State(shared): State<Shared>,
    Path(realm): Path<String>,
    headers: HeaderMap,
    Query(p): Params,
) -> Response {
    let mut world = shared.lock();
    let q = &mut world.quickbooks;
    if let Err(refused) = admit(q, &headers, &realm) {
        return refused;
    }
    let now = q.now_ms();
    let Some(since) = p.get("changedSince").and_then(|s| super::parse_time(s)) else {
        return validation(
            "2020",
            "Required param missing, need to supply the required value for the API",
            "Required parameter changedSince is missing in the request",
        );
    };
    if now - since > CDC_WINDOW_MS {
        return validation(
            "4000",
            "Invalid changedSince",
            "changedSince is more than 30 days in the past",
        );
    }
    let company = q.company(&realm);
    let mut left = CDC_MAX;
    let mut responses = Vec::new();
    for entity in p
        .get("entities")
        .map(String::as_str)
        .unwrap_or("")
        .split(',')
    {
        let entity = entity.trim();
        let Some(all) = collection(company, entity) else {
            continue;
        };
        let name = entity_name(entity);
        let changed = |o: &&Value| {
            o["MetaData"]["LastUpdatedTime"]
                .as_str()
                .and_then(super::parse_time)
                .is_some_and(|t| t > since)
        };
        let mut objects: Vec<Value> = all.iter().filter(changed).cloned().collect();
        objects.extend(
            company
                .deleted
                .iter()
                .filter(|(e, _, at)| e == name && *at > since)
                .map(|(_, id, at)| {
                    json!({ "domain": "QBO", "status": "Deleted", "Id": id,
                            "MetaData": { "LastUpdatedTime": qb_time(*at) } })
                }),
        );
        objects.truncate(left);
        left -= objects.len();
        let mut one = json!({ "startPosition": 1, "maxResults": objects.len() });
        if !objects.is_empty() {
            one[name] = Value::Array(objects);
        }
        responses.push(one);
    }
    Json(json!({
        "CDCResponse": [{ "QueryResponse": responses }],
        "time": qb_time(now),
    }))
    .into_response()
}
