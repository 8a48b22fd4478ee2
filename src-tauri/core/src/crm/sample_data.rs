//! Data for newcomers and benchmarks: a small realistic demo set, and a deterministic generator of
//! large datasets (10k clients, 50k deals, 1M activities) written in one transaction.

use cremmy_protocol::crm::{
    ActivityKind, ActivitySource, ClientInput, ClientKind, ContactInput, DealInput, DealMove,
    Direction, NoteInput, TaskInput,
};

use super::write::{self, NewActivity, NewClient, NewContact, NewDeal};
use super::{Crm, CrmError, CrmResult, Date};

const DEMO: &[(&str, &str, &str, &str, &str, &str)] = &[
    // client, website, tags, contact, title, email
    (
        "Acme Analytics",
        "https://acme-analytics.example",
        "saas;retainer",
        "Dana Whitfield",
        "Head of Data",
        "dana@acme-analytics.example",
    ),
    (
        "Brightwater Hotels",
        "https://brightwater.example",
        "hospitality",
        "Luis Moreno",
        "Operations Director",
        "luis.moreno@brightwater.example",
    ),
    (
        "Copperleaf Studio",
        "https://copperleaf.example",
        "design;referral",
        "Mei Tanaka",
        "Founder",
        "mei@copperleaf.example",
    ),
    (
        "Driftwood Logistics",
        "https://driftwood-logistics.example",
        "logistics",
        "Ola Nordmann",
        "CFO",
        "ola@driftwood-logistics.example",
    ),
    (
        "Evergreen Dental",
        "https://evergreen-dental.example",
        "healthcare;local",
        "Priya Raman",
        "Practice Manager",
        "priya@evergreen-dental.example",
    ),
    (
        "Foxglove Publishing",
        "https://foxglove.example",
        "media",
        "Tom Becker",
        "Managing Editor",
        "tom.becker@foxglove.example",
    ),
    (
        "Granite & Co Legal",
        "https://granite-legal.example",
        "legal;retainer",
        "Amara Okafor",
        "Partner",
        "amara@granite-legal.example",
    ),
    (
        "Harbor Fitness",
        "https://harborfit.example",
        "local",
        "Jake Sullivan",
        "Owner",
        "jake@harborfit.example",
    ),
    (
        "Iris Biotech",
        "https://irisbio.example",
        "healthcare;saas",
        "Sofia Lindqvist",
        "VP Product",
        "sofia@irisbio.example",
    ),
    (
        "Juniper Foods",
        "https://juniperfoods.example",
        "retail",
        "Marco Rossi",
        "Marketing Lead",
        "marco@juniperfoods.example",
    ),
];

/// (client index, title, value in major units, currency, stage name, days until close)
const DEMO_DEALS: &[(usize, &str, i64, &str, &str, i64)] = &[
    (0, "Data platform audit", 18_000, "USD", "Proposal", 21),
    (0, "Quarterly analytics retainer", 9_000, "USD", "Won", -10),
    (
        1,
        "Guest experience strategy",
        24_000,
        "EUR",
        "Negotiation",
        14,
    ),
    (2, "Brand workshop series", 6_500, "USD", "Qualified", 30),
    (3, "Route cost review", 12_000, "EUR", "Lead", 45),
    (4, "Patient intake redesign", 8_000, "USD", "Proposal", 18),
    (5, "Editorial workflow", 15_000, "GBP", "Lead", 60),
    (
        6,
        "Knowledge base migration",
        22_000,
        "USD",
        "Qualified",
        35,
    ),
    (7, "Membership pricing study", 4_000, "USD", "Lost", -5),
    (8, "Go-to-market plan", 30_000, "USD", "Negotiation", 9),
    (9, "Loyalty programme pilot", 11_000, "EUR", "Lead", 50),
];

/// Sizes for a generated dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScaleSpec {
    pub clients: u64,
    pub deals: u64,
    pub activities: u64,
    pub seed: u64,
}

/// xorshift64*: small, fast, deterministic per seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const WORDS: &[&str] = &[
    "north", "blue", "summit", "harbor", "maple", "quantum", "silver", "cedar", "atlas", "nova",
    "pioneer", "river", "granite", "orbit", "lumen", "vertex", "willow", "ember", "crest", "delta",
];
const SUFFIXES: &[&str] = &[
    "Labs",
    "Partners",
    "Group",
    "Studio",
    "Systems",
    "Consulting",
    "Foods",
    "Health",
    "Logistics",
    "Media",
];
const FIRST: &[&str] = &[
    "Ana", "Ben", "Chloe", "Dev", "Elif", "Femi", "Greta", "Hiro", "Ines", "Jonas", "Kai", "Lena",
];
const LAST: &[&str] = &[
    "Adams", "Baker", "Costa", "Dubois", "Evans", "Fischer", "Garcia", "Huang", "Ivanov", "Jensen",
];
const TOPICS: &[&str] = &[
    "proposal",
    "invoice",
    "kickoff",
    "workshop",
    "follow-up",
    "contract",
    "renewal",
    "roadmap",
    "budget",
    "timeline",
];

impl Crm {
    /// Loads the demo dataset into an empty database; `today` anchors due dates.
    pub async fn load_demo(&self, today: Date) -> CrmResult<u64> {
        let clients: i64 = sqlx::query_scalar("SELECT count(*) FROM clients")
            .fetch_one(self.pool())
            .await?;
        if clients > 0 {
            return Err(CrmError::invalid(
                "demo data",
                "can only be loaded into an empty database; this one already has clients",
            ));
        }
        let stages = self.stages().await?;
        let mut ids = Vec::new();
        for (name, website, tags, contact, title, email) in DEMO {
            let client = self
                .create_client(&ClientInput {
                    name: name.to_string(),
                    website: website.to_string(),
                    tags: tags.split(';').map(str::to_string).collect(),
                    notes: format!("Met {contact} through a referral. Prefers email."),
                    ..ClientInput::default()
                })
                .await?;
            self.create_contact(&ContactInput {
                client_id: client.id,
                name: contact.to_string(),
                title: title.to_string(),
                emails: vec![email.to_string()],
                phones: vec![format!("+1 555 01{:02}", ids.len())],
            })
            .await?;
            ids.push(client.id);
        }
        for (client, title, value, currency, stage, close_in) in DEMO_DEALS {
            let deal = self
                .create_deal(&DealInput {
                    client_id: ids[*client],
                    title: title.to_string(),
                    value_minor: value * 100,
                    currency: currency.to_string(),
                    stage_id: None,
                    owner: "Me".to_string(),
                    expected_close: Some(today.add_days(*close_in).to_string()),
                })
                .await?;
            if let Some(target) = stages.iter().find(|s| s.name == *stage) {
                if target.id != deal.stage_id {
                    self.move_deal(DealMove {
                        deal_id: deal.id,
                        stage_id: target.id,
                        index: i64::MAX,
                    })
                    .await?;
                }
            }
        }
        for (i, client_id) in ids.iter().enumerate() {
            self.log_note(&NoteInput {
                client_id: *client_id,
                body: format!(
                    "Intro call went well.\nThey want the {} by next month.",
                    TOPICS[i % TOPICS.len()]
                ),
                ..NoteInput::default()
            })
            .await?;
        }
        let tasks: &[(&str, i64, Option<&str>, usize)] = &[
            ("Send revised proposal to Acme", -1, Some("10:00"), 0),
            ("Call Luis about contract terms", 0, Some("14:30"), 1),
            ("Prepare workshop agenda", 0, None, 2),
            ("Invoice Granite & Co for October", 3, None, 6),
            ("Check in with Iris Biotech", 7, Some("09:00"), 8),
        ];
        for (title, due_in, time, client) in tasks {
            self.create_task(&TaskInput {
                title: title.to_string(),
                due_date: Some(today.add_days(*due_in).to_string()),
                due_time: time.map(str::to_string),
                client_id: Some(ids[*client]),
                ..TaskInput::default()
            })
            .await?;
        }
        Ok(ids.len() as u64)
    }

    /// Generates a large deterministic dataset (for benchmarks) in one transaction.
    pub async fn generate_dataset(&self, spec: ScaleSpec) -> CrmResult<()> {
        let mut rng = Rng(spec.seed.max(1));
        let now = self.now();
        let stages: Vec<i64> = self.stages().await?.iter().map(|s| s.id).collect();
        let mut tx = self.begin().await?;
        let first_client: i64 = sqlx::query_scalar("SELECT coalesce(max(id), 0) + 1 FROM clients")
            .fetch_one(&mut *tx)
            .await?;
        for i in 0..spec.clients {
            let name = format!(
                "{} {} {}",
                capitalise(rng.pick(WORDS)),
                capitalise(rng.pick(WORDS)),
                rng.pick(SUFFIXES)
            );
            let domain = format!(
                "{}{}.example",
                name.split(' ').next().unwrap_or("x").to_lowercase(),
                i
            );
            let created = now - rng.below(3 * 365 * 86_400_000) as i64;
            let website = format!("https://{domain}");
            let client = NewClient {
                name: &name,
                kind: ClientKind::Organisation,
                website: &website,
                domain: &domain,
                notes: "",
                created_at: created,
            };
            let id = write::insert_client(&mut tx, &client).await?;
            let person = format!("{} {}", rng.pick(FIRST), rng.pick(LAST));
            let email = format!(
                "{}.{}@{domain}",
                person.split(' ').next().unwrap_or("p").to_lowercase(),
                i
            );
            let contact = NewContact {
                client_id: id,
                name: &person,
                title: "Manager",
                email: Some(&email),
                phone: None,
                created_at: created,
            };
            write::insert_contact(&mut tx, &contact).await?;
        }
        let clients = spec.clients.max(1);
        for _ in 0..spec.deals {
            let stage = rng.below(stages.len() as u64) as usize;
            let client = first_client + rng.below(clients) as i64;
            let title = format!(
                "{} {}",
                capitalise(rng.pick(TOPICS)),
                capitalise(rng.pick(WORDS))
            );
            let deal = NewDeal {
                client_id: client,
                title: &title,
                value_minor: (rng.below(500) as i64 + 1) * 10_000,
                currency: if rng.below(4) == 0 { "EUR" } else { "USD" },
                stage_id: stages[stage],
                owner: "Me",
                expected_close: None,
                won_at: None,
                lost_at: None,
                created_at: now,
            };
            write::insert_deal(&mut tx, &deal).await?;
        }
        let kinds = [
            ActivityKind::Email,
            ActivityKind::Email,
            ActivityKind::Email,
            ActivityKind::Meeting,
            ActivityKind::Call,
            ActivityKind::Note,
        ];
        for i in 0..spec.activities {
            let kind = kinds[rng.below(kinds.len() as u64) as usize];
            let topic = rng.pick(TOPICS);
            let client_id = first_client + rng.below(clients) as i64;
            let direction = match kind {
                ActivityKind::Email if rng.below(2) == 0 => Direction::Inbound,
                ActivityKind::Email => Direction::Outbound,
                _ => Direction::None,
            };
            let subject = format!("Re: {} {}", topic, rng.pick(WORDS));
            let body = format!(
                "About the {topic}: {} {} {}",
                rng.pick(WORDS),
                rng.pick(TOPICS),
                rng.pick(WORDS)
            );
            let occurred_at = now - rng.below(3 * 365 * 86_400_000) as i64;
            let external_id = format!("gen-{}-{i}", spec.seed);
            let activity = NewActivity {
                client_id,
                contact_id: None,
                deal_id: None,
                kind,
                direction,
                subject: &subject,
                body: &body,
                occurred_at,
                source: ActivitySource::Generated,
                external_id: Some(&external_id),
            };
            write::insert_activity(&mut tx, &activity, now).await?;
        }
        tx.commit_unannounced().await?;
        Ok(())
    }
}

fn capitalise(word: &str) -> String {
    let mut c = word.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}
