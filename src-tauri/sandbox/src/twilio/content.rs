//! Twilio's Content API, the part Cremmy uses: the account's message templates with their
//! WhatsApp approval (`GET /v1/ContentAndApprovals`, on content.twilio.com in production), and
//! what a template becomes when a message names it (`ContentSid` + `ContentVariables`). Written
//! from Twilio's pages:
//! - ContentAndApprovals list: the `contents` key and the `meta` paging block of Twilio's v1
//!   product APIs (https://www.twilio.com/docs/content/contentandapprovals,
//!   https://www.twilio.com/docs/usage/twilios-response#pagination).
//! - A template's `types` (`twilio/text` with its `body`), `variables` (defaults for `{{1}}`,
//!   `{{2}}`…) and `approval_requests` (`name`, `category`, `status`: received, pending,
//!   approved, rejected…; https://www.twilio.com/docs/content/content-types-overview and the
//!   approval fields shown in https://twilio.com/en-us/changelog/content-api-flows-approval).
//! - Sending one: `ContentVariables` is a JSON object of the values
//!   (https://www.twilio.com/docs/messaging/api/message-resource); an unknown ContentSid is
//!   refused with 21656 ("The ContentSid is Invalid", https://www.twilio.com/docs/api/errors/21656).

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::{authorize, product_page, Paging};
use crate::state::Shared;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Template {
    pub sid: String,
    pub friendly_name: String,
    pub body: String,
    /// Defaults for `{{1}}`, `{{2}}`…
    pub variables: BTreeMap<String, String>,
    /// WhatsApp approval: `approved`, `pending`, `rejected`…
    pub status: String,
}

/// The account's templates unless a test set others: one approved, one still pending.
pub fn defaults() -> Vec<Template> {
    vec![
        Template {
            sid: "HX00000000000000000000000000000001".into(),
            friendly_name: "follow_up".into(),
            body: "Hi {{1}}, following up on {{2}}. Reply here to pick it up.".into(),
            variables: BTreeMap::from([
                ("1".into(), "there".into()),
                ("2".into(), "our last conversation".into()),
            ]),
            status: "approved".into(),
        },
        Template {
            sid: "HX00000000000000000000000000000002".into(),
            friendly_name: "spring_offer".into(),
            body: "Hi {{1}}, our spring offer is here.".into(),
            variables: BTreeMap::from([("1".into(), "there".into())]),
            status: "pending".into(),
        },
    ]
}

impl Template {
    fn to_json(&self, account: &str) -> Value {
        json!({
            "sid": self.sid,
            "account_sid": account,
            "friendly_name": self.friendly_name,
            "language": "en",
            "variables": self.variables,
            "types": { "twilio/text": { "body": self.body } },
            "url": format!("https://content.twilio.com/v1/Content/{}", self.sid),
            "date_created": "2026-01-05T10:00:00Z",
            "date_updated": "2026-01-05T10:00:00Z",
            "approval_requests": {
                "name": self.friendly_name,
                "category": "UTILITY",
                "content_type": "twilio/text",
                "status": self.status,
                "rejection_reason": "",
                "allow_category_change": true,
            },
        })
    }

    /// The text a message with this template carries: `{{n}}` from `values`, else the default.
    pub fn render(&self, values: &BTreeMap<String, String>) -> String {
        let mut text = self.body.clone();
        for (k, default) in &self.variables {
            let v = values.get(k).unwrap_or(default);
            text = text.replace(&format!("{{{{{k}}}}}"), v);
        }
        text
    }
}

/// GET /v1/ContentAndApprovals: every template with its approval, paged by `meta`.
pub async fn list(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let account = shared.lock().twilio.settings.account_sid.clone();
    if let Err(e) = authorize(&shared, &headers, &account) {
        return e;
    }
    let paging = match Paging::from_query(&query) {
        Ok(p) => p,
        Err(e) => return e,
    };
    let items: Vec<Value> = shared
        .lock()
        .twilio
        .templates()
        .iter()
        .map(|t| t.to_json(&account))
        .collect();
    Json(product_page(
        &headers,
        "/v1/ContentAndApprovals?",
        "contents",
        &paging,
        items,
    ))
    .into_response()
}

#[derive(serde::Deserialize)]
pub struct NewTemplate {
    pub friendly_name: String,
    pub body: String,
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    #[serde(default = "approved")]
    pub status: String,
}

fn approved() -> String {
    "approved".into()
}

/// Control: adds a template (approved unless said otherwise).
pub async fn add(State(shared): State<Shared>, Json(t): Json<NewTemplate>) -> Json<Value> {
    let mut world = shared.lock();
    let sid = world.twilio.new_sid("HX");
    world.twilio.templates().push(Template {
        sid: sid.clone(),
        friendly_name: t.friendly_name,
        body: t.body,
        variables: t.variables,
        status: t.status,
    });
    Json(json!({ "sid": sid }))
}
