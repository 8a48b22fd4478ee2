//! Deterministic test data for a sandbox account: `clients` clients, each with one contact
//! `contact<i>@client<i>.example`, their mail (alternating inbound and outbound), their meetings,
//! and a "Leads" spreadsheet of new prospects. The same seed gives the same data.

use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::google::gmail::NewMessage;
use crate::google::sheets::Spreadsheet;
use crate::google::sheets_api::SPREADSHEET_MIME;
use crate::state::World;

#[derive(Debug, Clone, Deserialize)]
pub struct SeedBody {
    /// The account to fill (default: the consenting account).
    #[serde(default)]
    pub account: Option<String>,
    pub clients: u64,
    #[serde(default)]
    pub messages_per_client: u64,
    /// Minutes between consecutive messages (default 60: one an hour, going back from `newest_at`).
    #[serde(default)]
    pub spacing_minutes: Option<u64>,
    /// Meetings per client on the primary calendar, one a day around `newest_at`.
    #[serde(default)]
    pub events_per_client: u64,
    /// Rows in a "Leads" spreadsheet (header: Name, Company, Email, Phone, Source); 0 = no sheet.
    #[serde(default)]
    pub lead_rows: u64,
    #[serde(default)]
    pub seed: u64,
    /// The newest message's time (ms); older ones step back an hour each.
    #[serde(default)]
    pub newest_at: Option<i64>,
}

pub fn contact_address(client: u64) -> String {
    format!("contact{client}@client{client}.example")
}

/// xorshift64: small, deterministic, good enough to vary topics and names.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[(self.next() % from.len() as u64) as usize]
    }
}

const MAX_LEAD_ROWS: u64 = 1_000_000;

/// Seeds `body` into the world; returns what was made (addresses, counts, the lead sheet's id).
pub fn seed(world: &mut World, body: &SeedBody) -> Result<Value, String> {
    if body.lead_rows > MAX_LEAD_ROWS {
        return Err(format!("lead_rows is capped at {MAX_LEAD_ROWS}"));
    }
    let account = body
        .account
        .clone()
        .unwrap_or_else(|| world.google.settings.account.clone());
    let newest = body
        .newest_at
        .unwrap_or_else(|| (crate::unix_nanos() / 1_000_000) as i64);
    let mut rng = Rng(body.seed.max(1));
    let topics = [
        "proposal",
        "invoice",
        "kickoff",
        "workshop",
        "follow-up",
        "contract",
        "timeline",
        "budget",
    ];

    let total = body.clients * body.messages_per_client;
    let spacing_ms = body.spacing_minutes.unwrap_or(60).max(1) as i64 * 60_000;
    let mailbox = world.google.mailbox(&account);
    for n in 0..total {
        let client = n % body.clients.max(1);
        let contact = contact_address(client);
        let inbound = n % 2 == 0;
        let topic = rng.pick(&topics);
        mailbox.add(
            &account,
            NewMessage {
                from: if inbound {
                    contact.clone()
                } else {
                    account.clone()
                },
                to: if inbound {
                    account.clone()
                } else {
                    contact.clone()
                },
                subject: format!("Re: {topic} #{n}"),
                body: format!("About the {topic}: message {n} between {account} and {contact}."),
                internal_date: Some(newest - (total - 1 - n) as i64 * spacing_ms),
                sent: !inbound,
                ..NewMessage::default()
            },
        );
    }
    let history_id = mailbox.history_id.to_string();

    let calendar = world.google.calendars.entry(account.clone()).or_default();
    let meetings = [
        "Kickoff",
        "Weekly check-in",
        "Workshop",
        "Review",
        "Proposal walkthrough",
    ];
    let mut events = 0;
    for client in 0..body.clients {
        for k in 0..body.events_per_client {
            // Half in the past, half ahead, at 09:00–16:00 UTC on whole hours.
            let day = k as i64 - (body.events_per_client as i64 / 2);
            let start = (newest.div_euclid(86_400_000) + day) * 86_400_000
                + (9 + (rng.next() % 8) as i64) * 3_600_000;
            let mut event = Map::new();
            event.insert(
                "summary".into(),
                json!(format!("{} with client {client}", rng.pick(&meetings))),
            );
            event.insert("start".into(), json!({ "dateTime": crate::rfc3339(start) }));
            event.insert(
                "end".into(),
                json!({ "dateTime": crate::rfc3339(start + 3_600_000) }),
            );
            event.insert(
                "organizer".into(),
                json!({ "email": account, "self": true }),
            );
            event.insert(
                "attendees".into(),
                json!([
                    { "email": account, "self": true, "responseStatus": "accepted" },
                    { "email": contact_address(client), "responseStatus": "accepted" },
                ]),
            );
            calendar.insert(event);
            events += 1;
        }
    }

    let mut lead_sheet = Value::Null;
    if body.lead_rows > 0 {
        let first = [
            "Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Margaret", "Ken",
        ];
        let last = [
            "Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Hamilton", "Thompson",
        ];
        let sources = ["Website", "Referral", "Conference", "LinkedIn"];
        let mut rows = vec![vec![
            json!("Name"),
            json!("Company"),
            json!("Email"),
            json!("Phone"),
            json!("Source"),
        ]];
        for i in 0..body.lead_rows {
            let name = format!("{} {}", rng.pick(&first), rng.pick(&last));
            rows.push(vec![
                json!(name),
                json!(format!("Lead Co {i}")),
                json!(format!("lead{i}@leadco{i}.example")),
                json!(format!("+1 555 {:04}", i % 10_000)),
                json!(rng.pick(&sources)),
            ]);
        }
        let file = world
            .google
            .drives
            .entry(account.clone())
            .or_default()
            .create_users_own("Leads", SPREADSHEET_MIME, Vec::new(), Vec::new());
        let grid = Some(((body.lead_rows as usize + 1).max(1000), 26));
        let mut sheet = Spreadsheet::new(
            file.id.clone(),
            account.clone(),
            "Leads".into(),
            vec![("Leads".into(), grid)],
        )
        .map_err(|e| e.0)?;
        let cells = crate::google::a1::parse_cells("A1").unwrap_or_default();
        sheet.write(0, cells, &rows, false).map_err(|e| e.0)?;
        lead_sheet = json!(file.id);
        world.google.spreadsheets.insert(file.id, sheet);
    }

    let contacts: Vec<String> = (0..body.clients).map(contact_address).collect();
    Ok(
        json!({ "account": account, "messages": total, "events": events, "contacts": contacts, "historyId": history_id, "leadSheetId": lead_sheet }),
    )
}
