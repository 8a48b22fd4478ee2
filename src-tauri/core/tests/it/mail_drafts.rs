//! Gmail drafts when a deal enters the Proposal stage, against the provider sandbox; and the
//! `{{variable}}` templates they are written from.

use std::collections::BTreeMap;

use cremmy_core::features::templates::{money_text, render, variables, TemplateError};
use cremmy_core::HasErrorCode;
use cremmy_protocol::accounts::Feature;
use cremmy_protocol::crm::{DealInput, DealMove, Id};
use cremmy_protocol::sync::{SyncRunQuery, SyncRunStatus};
use cremmy_protocol::ErrorCode;

use crate::accounts_support::connect;
use crate::mail_sync::{mail_world, MailWorld};
use crate::support::{client, contact, settle_rules};

const OWNER: &str = "consultant@sandbox.example";

#[test]
fn templates_fill_every_variable_or_name_the_missing_ones() {
    let values: BTreeMap<String, String> = [
        ("client_name", "Acme"),
        ("deal_title", "Relaunch"),
        ("blank", " "),
    ]
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .into();
    let cases: [(&str, Result<&str, TemplateError>); 5] = [
        ("Proposal for {{deal_title}}", Ok("Proposal for Relaunch")),
        (
            "{{ client_name }}: {{deal_title}} ({{client_name}})",
            Ok("Acme: Relaunch (Acme)"),
        ),
        ("no variables", Ok("no variables")),
        (
            "Hi {{contact_name}}, {{deal_title}} for {{blank}}",
            Err(TemplateError::Missing {
                names: vec!["contact_name".into(), "blank".into()],
            }),
        ),
        ("Hi {{contact_name", Err(TemplateError::Unclosed { at: 3 })),
    ];
    for (template, expected) in cases {
        assert_eq!(
            render(template, &values),
            expected.map(str::to_string),
            "{template}"
        );
    }
    assert_eq!(variables("{{a}} {{b}} {{a}}").unwrap(), ["a", "b"]);
    let missing = render("{{x}}", &values).unwrap_err().to_string();
    assert!(
        missing.contains("x") && missing.contains("no value"),
        "{missing}"
    );
    assert_eq!(money_text(1_250_000, "EUR"), "12,500.00 EUR");
    assert_eq!(money_text(5, "USD"), "0.05 USD");
    assert_eq!(money_text(1_234_567, "JPY"), "1,234,567 JPY");
    assert_eq!(money_text(-99_900, "GBP"), "-999.00 GBP");
}

/// Drafts in the sandbox mailbox: (subject, To, body).
pub fn drafts(w: &MailWorld) -> Vec<(String, String, String)> {
    labelled(w, "DRAFT")
}

/// The sandbox mailbox's messages with `label` (DRAFT, SENT): (subject, To, body).
pub fn labelled(w: &MailWorld, label: &str) -> Vec<(String, String, String)> {
    let world = w.t.sandbox.shared.lock();
    world
        .google
        .mailboxes
        .get(OWNER)
        .map(|m| {
            m.messages
                .iter()
                .filter(|m| m.label_ids.iter().any(|l| l == label))
                .map(|m| {
                    (
                        m.header("Subject").unwrap_or_default().to_string(),
                        m.header("To").unwrap_or_default().to_string(),
                        m.body.clone(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn stage(w: &MailWorld, name: &str) -> Id {
    w.crm
        .stages()
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.name == name)
        .expect("a default stage")
        .id
}

/// How many drafts were attempted so far (each is a run in Sync history).
async fn draft_attempts(w: &MailWorld) -> usize {
    let runs = w.sync.runs(&SyncRunQuery::default()).await.unwrap();
    runs.iter().filter(|r| r.kind.as_str() == "draft").count()
}

/// Moves the deal and lets the automation rules act on it (the default rule drafts a deal entering
/// Proposal): whether a draft job ran because of the move.
pub async fn move_to(w: &MailWorld, deal: Id, stage_name: &str) -> bool {
    let before = draft_attempts(w).await;
    let stage_id = stage(w, stage_name).await;
    w.crm
        .move_deal(DealMove {
            deal_id: deal,
            stage_id,
            index: 0,
        })
        .await
        .unwrap();
    settle_rules(&w.sync).await;
    draft_attempts(w).await > before
}

#[tokio::test]
async fn entering_proposal_drafts_the_email_once() {
    let w = mail_world().await;
    let acme = client(&w.crm, "Acme").await;
    contact(&w.crm, acme.id, "Zoë Müller", &["zoe@acme.example"]).await;
    let deal = w
        .crm
        .create_deal(&DealInput {
            client_id: acme.id,
            title: "Website relaunch".into(),
            value_minor: 1_250_000,
            currency: "EUR".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    connect(&w.t, &[Feature::MailSend]).await;

    assert!(
        !move_to(&w, deal.id, "Qualified").await,
        "another stage: nothing to do"
    );
    assert!(
        move_to(&w, deal.id, "Proposal").await,
        "entering Proposal drafts"
    );
    let made = drafts(&w);
    assert_eq!(made.len(), 1, "{made:?}");
    let (subject, to, body) = &made[0];
    assert_eq!(subject, "Proposal for Website relaunch");
    assert!(to.contains("zoe@acme.example"), "{to}");
    assert!(
        body.contains("Hi Zoë,") && body.contains("12,500.00 EUR"),
        "{body}"
    );
    let tasks = w.crm.open_tasks_of(acme.id).await.unwrap();
    assert!(
        tasks.iter().any(|t| t.title.contains("Review and send")
            && t.title.contains("Proposal for Website relaunch")),
        "a task to review the draft: {tasks:?}"
    );
    let draft_id: String = sqlx::query_scalar("SELECT draft_id FROM deal_drafts WHERE deal_id = ?")
        .bind(deal.id)
        .fetch_one(w.t.db.pool())
        .await
        .expect("the draft id is stored");
    assert!(!draft_id.is_empty());
    let timeline = w.crm.timeline(acme.id, None, 0).await.unwrap().items;
    assert!(
        timeline
            .iter()
            .any(|a| a.subject.contains("Gmail draft created")),
        "on the timeline"
    );

    assert!(!move_to(&w, deal.id, "Negotiation").await);
    assert!(
        !move_to(&w, deal.id, "Proposal").await,
        "back into Proposal: no second draft"
    );
    assert_eq!(drafts(&w).len(), 1);
}

#[tokio::test]
async fn a_template_that_cannot_be_filled_makes_a_task_not_a_blank_draft() {
    let w = mail_world().await;
    let nobody = client(&w.crm, "No Contacts Ltd").await;
    let deal = w
        .crm
        .create_deal(&DealInput {
            client_id: nobody.id,
            title: "Audit".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    connect(&w.t, &[Feature::MailSend]).await;
    assert!(move_to(&w, deal.id, "Proposal").await, "a draft was due");
    let jobs: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs WHERE kind = 'deal_draft'")
        .fetch_one(w.t.db.pool())
        .await
        .unwrap();
    assert_eq!(jobs, 0, "wrong input leaves no job to retry in vain");
    assert!(drafts(&w).is_empty(), "nothing half-filled reached Gmail");
    let tasks = w.crm.open_tasks_of(nobody.id).await.unwrap();
    assert!(
        tasks
            .iter()
            .any(|t| t.title == "Write the proposal email for Audit"
                && t.notes.contains("contact_first_name")),
        "the user is told: {tasks:?}"
    );
    let runs = w.sync.runs(&SyncRunQuery::default()).await.unwrap();
    let draft = runs
        .iter()
        .find(|r| r.kind.as_str() == "draft")
        .expect("the draft's run is in Sync history");
    assert_eq!(draft.status, SyncRunStatus::Failed, "{draft:?}");

    // An edited template without the contact works; unknown variables are refused when saved.
    let mut t = w.sync.draft_template().await.unwrap();
    t.body = "Hello,\n\nour proposal for {{client_name}}: {{deal_title}}, dated {{date}}.".into();
    w.sync.save_draft_template(&t).await.unwrap();
    assert!(!move_to(&w, deal.id, "Negotiation").await);
    assert!(
        move_to(&w, deal.id, "Proposal").await,
        "entering Proposal again drafts, now that the template can be filled"
    );
    let made = drafts(&w);
    assert_eq!(made.len(), 1, "{made:?}");
    assert_eq!(made[0].0, "Proposal for Audit");
    t.subject = "{{deal_titel}}".into();
    let refused = w.sync.save_draft_template(&t).await.expect_err("typo");
    assert_eq!(refused.code(), ErrorCode::InvalidInput);
    assert!(refused.to_string().contains("deal_titel"), "{refused}");
}

#[tokio::test]
async fn the_send_email_form_can_start_from_the_template() {
    let w = mail_world().await;
    let acme = client(&w.crm, "Acme").await;
    let zoe = contact(&w.crm, acme.id, "Zoë Müller", &["zoe@acme.example"]).await;
    let e = w
        .sync
        .render_email_template(zoe.id, None)
        .await
        .expect_err("no deal yet");
    assert_eq!(e.code(), ErrorCode::InvalidInput);
    assert!(
        e.to_string().contains("deal_title") && e.to_string().contains("deal_value"),
        "names what is missing: {e}"
    );
    w.crm
        .create_deal(&DealInput {
            client_id: acme.id,
            title: "Website relaunch".into(),
            value_minor: 900_000,
            currency: "GBP".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let filled = w
        .sync
        .render_email_template(zoe.id, None)
        .await
        .expect("filled");
    assert_eq!(filled.subject, "Proposal for Website relaunch");
    assert!(
        filled.body.starts_with("Hi Zoë,") && filled.body.contains("9,000.00 GBP"),
        "{}",
        filled.body
    );
}
