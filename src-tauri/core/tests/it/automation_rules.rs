//! The pure half of automation rules, table by table: whether a rule acts on an event, when (its
//! delay in local time), what a task title says, and what a form may save.

use cremmy_core::features::automation::{
    due_at, judge, render_title, validate, DealFacts, EventFacts, Verdict,
};
use cremmy_protocol::automation::{Condition, Delay, RuleAction, RuleInput};
use cremmy_protocol::crm::{Stage, StageKind};
use cremmy_protocol::kinds::EventKind;

const HOUR: i64 = 3_600_000;
/// Wednesday 2026-03-04 10:00 UTC.
const WED: i64 = 1_772_618_400_000;

fn facts() -> EventFacts {
    EventFacts {
        event_id: 7,
        kind: Some(EventKind::DealStageChanged),
        occurred_at: WED,
        client_id: Some(1),
        client_name: Some("Acme".into()),
        deal: Some(DealFacts {
            id: 3,
            title: "Audit".into(),
            stage_id: 2,
            stage: "Qualified".into(),
            value_minor: 500_000,
            currency: "EUR".into(),
        }),
        tags: vec!["Retainer".into()],
        has_email: true,
        has_phone: false,
        fields: vec![("Industry".into(), "Logistics".into())],
        chain: vec![],
        depth: 0,
    }
}

#[test]
fn conditions_decide_whether_a_rule_acts() {
    let cases: &[(&str, Vec<Condition>, Verdict)] = &[
        ("no conditions", vec![], Verdict::Act),
        (
            "the stage entered",
            vec![Condition::Stage { stage_id: 2 }],
            Verdict::Act,
        ),
        (
            "another stage",
            vec![Condition::Stage { stage_id: 3 }],
            Verdict::Skip,
        ),
        (
            "a tag, any case",
            vec![Condition::HasTag {
                tag: "retainer".into(),
            }],
            Verdict::Act,
        ),
        (
            "a missing tag",
            vec![Condition::HasTag { tag: "vip".into() }],
            Verdict::Skip,
        ),
        (
            "value at least, met",
            vec![Condition::ValueAtLeast { minor: 500_000 }],
            Verdict::Act,
        ),
        (
            "value at least, not met",
            vec![Condition::ValueAtLeast { minor: 500_001 }],
            Verdict::Skip,
        ),
        (
            "currency",
            vec![Condition::Currency {
                currency: "eur".into(),
            }],
            Verdict::Act,
        ),
        (
            "other currency",
            vec![Condition::Currency {
                currency: "USD".into(),
            }],
            Verdict::Skip,
        ),
        ("has email", vec![Condition::HasEmail], Verdict::Act),
        ("has phone", vec![Condition::HasPhone], Verdict::Skip),
        (
            "custom field",
            vec![Condition::CustomField {
                field: "industry".into(),
                equals: " logistics".into(),
            }],
            Verdict::Act,
        ),
        (
            "custom field, other value",
            vec![Condition::CustomField {
                field: "Industry".into(),
                equals: "Retail".into(),
            }],
            Verdict::Skip,
        ),
        (
            "within working hours",
            vec![Condition::Hours { from: 9, to: 17 }],
            Verdict::Act,
        ),
        (
            "outside them",
            vec![Condition::Hours { from: 11, to: 17 }],
            Verdict::Skip,
        ),
        (
            "a window over midnight",
            vec![Condition::Hours { from: 22, to: 11 }],
            Verdict::Act,
        ),
        (
            "all must hold",
            vec![Condition::HasEmail, Condition::HasPhone],
            Verdict::Skip,
        ),
    ];
    for (why, conditions, expected) in cases {
        assert_eq!(
            &judge(1, EventKind::DealStageChanged, conditions, &facts(), 0),
            expected,
            "{why}"
        );
    }
    assert_eq!(
        judge(1, EventKind::DealWon, &[], &facts(), 0),
        Verdict::Skip,
        "another trigger"
    );
    assert_eq!(
        judge(
            1,
            EventKind::DealStageChanged,
            &[Condition::Hours { from: 11, to: 17 }],
            &facts(),
            60
        ),
        Verdict::Act,
        "hours are the user's local hours (UTC+1: 11:00)"
    );
}

#[test]
fn a_rule_never_acts_on_what_it_caused_and_chains_stop() {
    let mut f = facts();
    f.chain = vec![4, 1];
    f.depth = 2;
    assert!(
        matches!(judge(1, EventKind::DealStageChanged, &[], &f, 0), Verdict::Refuse(r) if r.contains("own action"))
    );
    assert_eq!(
        judge(5, EventKind::DealStageChanged, &[], &f, 0),
        Verdict::Act
    );
    f.depth = 3;
    assert!(
        matches!(judge(5, EventKind::DealStageChanged, &[], &f, 0), Verdict::Refuse(r) if r.contains("chains stop at 3"))
    );
    f.chain = vec![];
    f.depth = 0;
    assert_eq!(
        judge(
            5,
            EventKind::DealStageChanged,
            &[Condition::HasPhone],
            &f,
            0
        ),
        Verdict::Skip,
        "a rule whose conditions fail is not refused, just not run"
    );
}

#[test]
fn delays_land_at_the_right_local_time() {
    let friday_evening = WED + 2 * 24 * HOUR + 8 * HOUR; // Fri 18:00 UTC
    let cases: &[(&str, Option<Delay>, i64, i32, i64)] = &[
        ("no delay", None, WED, 0, WED),
        (
            "two days after",
            Some(Delay::After {
                minutes: 2 * 24 * 60,
            }),
            WED,
            0,
            WED + 48 * HOUR,
        ),
        (
            "9:00 the next working day, from a Wednesday",
            Some(Delay::NextWorkingDayAt { hour: 9, minute: 0 }),
            WED,
            0,
            WED + 23 * HOUR, // Thu 09:00
        ),
        (
            "from a Friday evening: Monday",
            Some(Delay::NextWorkingDayAt {
                hour: 9,
                minute: 30,
            }),
            friday_evening,
            0,
            WED + 5 * 24 * HOUR - HOUR + 30 * 60_000, // Mon 09:30
        ),
        (
            "in UTC+2, 9:00 local is 7:00 UTC",
            Some(Delay::NextWorkingDayAt { hour: 9, minute: 0 }),
            WED,
            120,
            WED + 21 * HOUR,
        ),
        (
            "late on Thursday UTC is already Friday in UTC+14: Monday",
            Some(Delay::NextWorkingDayAt { hour: 9, minute: 0 }),
            WED + 24 * HOUR + 12 * HOUR, // Thu 22:00 UTC = Fri 12:00 local
            14 * 60,
            WED + 5 * 24 * HOUR - HOUR - 14 * HOUR, // Mon 09:00 local
        ),
    ];
    for (why, delay, at, offset, expected) in cases {
        assert_eq!(due_at(delay.as_ref(), *at, *offset), *expected, "{why}");
    }
}

fn stages() -> Vec<Stage> {
    ["Lead", "Qualified", "Won"]
        .iter()
        .enumerate()
        .map(|(i, name)| Stage {
            id: i as i64 + 1,
            name: name.to_string(),
            position: i as i64,
            kind: if *name == "Won" {
                StageKind::Won
            } else {
                StageKind::Open
            },
        })
        .collect()
}

fn form(trigger: EventKind, conditions: Vec<Condition>, actions: Vec<RuleAction>) -> RuleInput {
    RuleInput {
        name: "  Invoice on win ".into(),
        trigger,
        conditions,
        delay: None,
        actions,
        enabled: true,
    }
}

#[test]
fn the_form_saves_only_what_can_run() {
    let task = |title: &str| RuleAction::CreateTask {
        title: title.into(),
        due_in_days: 1,
        remind_at_hour: None,
    };
    let good = form(
        EventKind::DealWon,
        vec![Condition::Stage { stage_id: 3 }],
        vec![task("Invoice {client} for {deal}")],
    );
    assert_eq!(
        validate(&good, &stages(), &[]).unwrap().name,
        "Invoice on win"
    );
    let bad: &[(&str, RuleInput, &str)] = &[
        (
            "no actions",
            form(EventKind::DealWon, vec![], vec![]),
            "actions",
        ),
        (
            "an unknown variable",
            form(EventKind::DealWon, vec![], vec![task("Call {company}")]),
            "{company}",
        ),
        (
            "an unclosed brace",
            form(EventKind::DealWon, vec![], vec![task("Call {client")]),
            "not closed",
        ),
        (
            "a deal action on a mail event",
            form(
                EventKind::EmailReceived,
                vec![],
                vec![RuleAction::MoveDeal { stage_id: 2 }],
            ),
            "need a deal event",
        ),
        (
            "a deal condition on a meeting",
            form(
                EventKind::MeetingBooked,
                vec![Condition::ValueAtLeast { minor: 1 }],
                vec![task("x")],
            ),
            "need a deal event",
        ),
        (
            "a reminder at an hour that does not exist",
            form(
                EventKind::DealWon,
                vec![],
                vec![RuleAction::CreateTask {
                    title: "x".into(),
                    due_in_days: 0,
                    remind_at_hour: Some(24),
                }],
            ),
            "0 to 23",
        ),
        (
            "an invoice for a client event",
            form(
                EventKind::ClientCreated,
                vec![],
                vec![RuleAction::CreateInvoice {
                    days_until_due: 14,
                    send: true,
                }],
            ),
            "need a deal event",
        ),
        (
            "an invoice due after a year",
            form(
                EventKind::DealWon,
                vec![],
                vec![RuleAction::CreateInvoice {
                    days_until_due: 400,
                    send: true,
                }],
            ),
            "1 to 365",
        ),
        (
            "a stage that does not exist",
            form(
                EventKind::DealWon,
                vec![],
                vec![RuleAction::MoveDeal { stage_id: 99 }],
            ),
            "stage does not exist",
        ),
        (
            "an endpoint that does not exist",
            form(
                EventKind::DealWon,
                vec![],
                vec![RuleAction::CallWebhook { endpoint_id: 5 }],
            ),
            "endpoint does not exist",
        ),
        (
            "an empty window",
            form(
                EventKind::DealWon,
                vec![Condition::Hours { from: 9, to: 9 }],
                vec![task("x")],
            ),
            "hours",
        ),
        (
            "the test event",
            form(EventKind::Test, vec![], vec![task("x")]),
            "choose an event",
        ),
        (
            "a text variable a text cannot fill",
            form(
                EventKind::DealWon,
                vec![],
                vec![RuleAction::SendText {
                    body: "Hi {{first_name}}".into(),
                    channel: Default::default(),
                    whatsapp_template: None,
                }],
            ),
            "{{first_name}}; a text can fill {{client_name}}",
        ),
    ];
    for (why, input, says) in bad {
        let e = validate(input, &stages(), &[7]).unwrap_err().to_string();
        assert!(e.contains(says), "{why}: {e}");
    }
    let mut no_name = good.clone();
    no_name.name = "   ".into();
    assert!(validate(&no_name, &stages(), &[]).is_err());
    let mut long_delay = good;
    long_delay.delay = Some(Delay::After { minutes: 0 });
    assert!(
        validate(&long_delay, &stages(), &[]).is_err(),
        "a delay of 0 minutes is no delay"
    );
}

#[test]
fn task_titles_fill_their_variables() {
    assert_eq!(
        render_title("Invoice {client}: {deal} ({stage})", &facts()),
        "Invoice Acme: Audit (Qualified)"
    );
    let mut no_deal = facts();
    no_deal.deal = None;
    assert_eq!(render_title("Call {client} {deal}", &no_deal), "Call Acme");
}
