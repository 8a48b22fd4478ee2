//! The pure parts of sync: the mail planner, backoff and quota pacing, as tables.

use std::time::Duration;

use cremmy_core::backoff::{parse_retry_after, Backoff};
use cremmy_core::features::mail::{
    addresses, match_message, plan, ContactBook, MailHeaders, MailOp, MailPlanInput, MailSettings,
};
use cremmy_core::features::mail::{ContactRef, Filing};
use cremmy_core::pacing::{Pacer, Quota};
use cremmy_core::providers::google::registration::REGISTRATION;
use cremmy_protocol::crm::Direction;

const NOW: i64 = 1_772_442_000_000;
const DAY: i64 = 86_400_000;

#[test]
fn the_mail_plan_follows_the_stored_state() {
    let settings = MailSettings::default();
    let since = NOW - 90 * DAY;
    let two = ["a@x.com".to_string(), "b@x.com".to_string()];
    let many: Vec<String> = (0..25).map(|i| format!("c{i}@x.com")).collect();
    let changes = || MailOp::Changes {
        cursor: "42".into(),
    };
    struct Case<'a> {
        why: &'a str,
        cursor: Option<&'a str>,
        reconciled_at: Option<i64>,
        uncovered: &'a [String],
        requested: bool,
        expected: Vec<MailOp>,
    }
    let cases = [
        Case {
            why: "never synced: one full sync over the look-back window, nothing else",
            cursor: None,
            reconciled_at: None,
            uncovered: &two,
            requested: true,
            expected: vec![MailOp::Full { since }],
        },
        Case {
            why: "synced and reconciled an hour ago, no new contacts: only the changes",
            cursor: Some("42"),
            reconciled_at: Some(NOW - 3_600_000),
            uncovered: &[],
            requested: false,
            expected: vec![changes()],
        },
        Case {
            why: "a contact added since: its past mail is back-filled",
            cursor: Some("42"),
            reconciled_at: Some(NOW - 3_600_000),
            uncovered: &two,
            requested: false,
            expected: vec![
                changes(),
                MailOp::Backfill {
                    since,
                    addresses: two.to_vec(),
                },
            ],
        },
        Case {
            why: "25 new addresses: back-filled 10 per query",
            cursor: Some("42"),
            reconciled_at: Some(NOW - 3_600_000),
            uncovered: &many,
            requested: false,
            expected: vec![
                changes(),
                MailOp::Backfill {
                    since,
                    addresses: many[..10].to_vec(),
                },
                MailOp::Backfill {
                    since,
                    addresses: many[10..20].to_vec(),
                },
                MailOp::Backfill {
                    since,
                    addresses: many[20..].to_vec(),
                },
            ],
        },
        Case {
            why: "last reconciliation a day ago: reconcile (which covers new addresses too)",
            cursor: Some("42"),
            reconciled_at: Some(NOW - DAY),
            uncovered: &two,
            requested: false,
            expected: vec![changes(), MailOp::Reconcile { since }],
        },
        Case {
            why: "the user asked for a reconciliation",
            cursor: Some("42"),
            reconciled_at: Some(NOW - 60_000),
            uncovered: &[],
            requested: true,
            expected: vec![changes(), MailOp::Reconcile { since }],
        },
    ];
    for case in cases {
        let ops = plan(
            &MailPlanInput {
                cursor: case.cursor,
                reconciled_at: case.reconciled_at,
                uncovered: case.uncovered,
                reconcile_requested: case.requested,
                now: NOW,
            },
            &settings,
        );
        assert_eq!(ops, case.expected, "{}", case.why);
    }
}

fn headers(from: &str, to: &str, cc: &str, sent: bool) -> MailHeaders {
    MailHeaders {
        provider_id: "m1".into(),
        thread_id: "t1".into(),
        received_at: NOW,
        from: addresses(from),
        to: addresses(to),
        cc: addresses(cc),
        subject: "s".into(),
        snippet: String::new(),
        message_id: Some("<m1@x>".into()),
        in_reply_to: None,
        filed: if sent { Filing::Sent } else { Filing::Received },
    }
}

#[test]
fn messages_match_the_contact_they_involve() {
    let mut book = ContactBook::new();
    book.insert(
        "ann@client.com".into(),
        ContactRef {
            contact_id: 1,
            client_id: 10,
        },
    );
    book.insert(
        "bob@other.com".into(),
        ContactRef {
            contact_id: 2,
            client_id: 20,
        },
    );
    let me = "me@consultant.com";
    let cases: [(&str, MailHeaders, Option<(i64, Direction)>); 7] = [
        (
            "mail from a contact is inbound on their client",
            headers("Ann <ANN@client.com>", me, "", false),
            Some((1, Direction::Inbound)),
        ),
        (
            "mail to a contact is outbound",
            headers(me, "\"Doe, Ann\" <ann@client.com>", "", false),
            Some((1, Direction::Outbound)),
        ),
        (
            "filed as sent counts as outbound even from an alias",
            headers("alias@consultant.com", "bob@other.com", "", true),
            Some((2, Direction::Outbound)),
        ),
        (
            "outbound goes to the first contact in To, then Cc",
            headers(me, "nobody@x.com", "bob@other.com, ann@client.com", false),
            Some((2, Direction::Outbound)),
        ),
        (
            "a colleague writing with the contact in copy lands on the contact's client",
            headers("colleague@client.com", me, "ann@client.com", false),
            Some((1, Direction::Inbound)),
        ),
        (
            "mail involving no contact is skipped",
            headers("news@shop.com", me, "", false),
            None,
        ),
        (
            "a group address list is read",
            headers("team: ann@client.com, x@y.z;", me, "", false),
            Some((1, Direction::Inbound)),
        ),
    ];
    for (why, m, expected) in cases {
        let got = match_message(&m, me, &book).map(|x| (x.contact.contact_id, x.direction));
        assert_eq!(got, expected, "{why}");
    }
}

#[test]
fn backoff_doubles_to_a_cap_and_honours_retry_after() {
    let b = Backoff::PROVIDER_CALL;
    let s = Duration::from_secs;
    let cases: [(&str, u32, Option<Duration>, f64, Option<Duration>); 8] = [
        ("first failure waits the base", 1, None, 0.0, Some(s(1))),
        ("then doubles", 2, None, 0.0, Some(s(2))),
        ("and doubles again", 3, None, 0.0, Some(s(4))),
        (
            "jitter adds up to max_jitter",
            3,
            None,
            0.5,
            Some(Duration::from_millis(4500)),
        ),
        (
            "Retry-After is waited exactly (plus jitter)",
            1,
            Some(s(7)),
            0.0,
            Some(s(7)),
        ),
        (
            "a Retry-After beyond the inline limit gives up for now",
            1,
            Some(s(600)),
            0.0,
            None,
        ),
        ("no attempt is left after max_attempts", 5, None, 0.0, None),
        ("nothing failed, nothing to wait", 0, None, 0.0, None),
    ];
    for (why, failed, retry_after, jitter, expected) in cases {
        assert_eq!(b.delay(failed, retry_after, jitter), expected, "{why}");
    }
    let capped = Backoff {
        max_attempts: 30,
        ..Backoff::PROVIDER_CALL
    };
    assert_eq!(
        capped.delay(20, None, 0.0),
        Some(s(32)),
        "the computed wait is capped"
    );
    assert_eq!(parse_retry_after(" 12 "), Some(s(12)));
    assert_eq!(
        parse_retry_after("Wed, 21 Oct 2026 07:28:00 GMT"),
        None,
        "HTTP dates are not used"
    );
}

#[test]
fn pacing_spreads_a_big_import_over_the_quota() {
    let pacer = Pacer::new(Quota {
        units: 10,
        per: Duration::from_secs(1),
    });
    assert_eq!(
        pacer.reserve(10, NOW),
        Duration::ZERO,
        "a quiet second takes its 10 at once"
    );
    assert_eq!(
        pacer.reserve(5, NOW),
        Duration::from_millis(1_000),
        "then 5 more wait until the first calls leave the window"
    );
    assert_eq!(
        pacer.reserve(5, NOW + 1_000),
        Duration::ZERO,
        "a second later, 5 for the waiting call and 5 for this one"
    );
    assert_eq!(
        pacer.reserve(1, NOW + 1_000),
        Duration::from_millis(1_000),
        "and the window is full again"
    );
    assert_eq!(pacer.charged(), 21, "every reserved unit is counted");
    assert_eq!(
        Quota::within(250, Duration::from_secs(1)).units,
        230,
        "Cremmy keeps 8 % of Google's 250 units a second for the user's other mail apps"
    );
}

#[test]
fn a_waited_out_retry_after_always_fits_in_the_call_time_limit() {
    use cremmy_core::providers::google::CALL_TIMEOUT;
    let inline = Backoff::PROVIDER_CALL.longest_inline_wait();
    assert!(
        CALL_TIMEOUT >= inline + Duration::from_secs(60),
        "the call limit ({CALL_TIMEOUT:?}) leaves a minute for the requests after the longest \
         inline waiting ({inline:?}); otherwise a Retry-After the policy waits for is cut short"
    );
    assert_eq!(
        Backoff::PROVIDER_CALL.delay(1, Some(Duration::from_secs(60)), 0.0),
        None,
        "a minute's Retry-After is not waited inline: the job is rescheduled after it"
    );
}

/// Greedy callers paced by the registry's limits never exceed any of them in any window: the
/// calls are made as early as the pacer allows, then every window of each limit's length is
/// counted.
#[test]
fn pacers_built_from_the_documented_limits_keep_every_window_within_its_limit() {
    let cases = [
        ("gmail", 5u32),
        ("gmail", 100),
        ("sheets.write", 1),
        ("docs.read", 1),
    ];
    for (name, cost) in cases {
        let limits: Vec<_> = REGISTRATION
            .rate_limits
            .iter()
            .filter(|l| l.pacer == name)
            .collect();
        assert!(!limits.is_empty(), "{name} has documented limits");
        let pacer = Pacer::all_of(
            limits
                .iter()
                .map(|l| Quota::within(l.units, l.per))
                .collect(),
        );
        // Five minutes of calls made the moment they are allowed.
        let mut at = NOW;
        let mut calls: Vec<i64> = Vec::new();
        while at < NOW + 300_000 {
            let wait = pacer.reserve(cost, at);
            at += wait.as_millis() as i64;
            calls.push(at);
        }
        for limit in &limits {
            let window = limit.per.as_millis() as i64;
            let busiest = calls
                .iter()
                .map(|&start| {
                    calls
                        .iter()
                        .filter(|&&t| t >= start && t < start + window)
                        .count() as u32
                        * cost
                })
                .max()
                .unwrap_or(0);
            assert!(
                busiest <= limit.units,
                "{name} at {cost} units a call: {busiest} units in one window of {:?}, over \"{}\" ({})",
                limit.per,
                limit.what,
                limit.units
            );
            assert!(
                busiest * 10 >= limit.units * 8,
                "{name}: the pacer uses most of \"{}\" ({busiest} of {}), not a fraction",
                limit.what,
                limit.units
            );
        }
    }
}

/// A Gmail batch's calls are charged together, so a batch may cost at most what one window of
/// every limit holds: with Gmail's 250 units/s at 92 %, 230 units, 46 messages.get of 5 units.
#[test]
fn a_batch_of_calls_fits_in_one_window_of_every_limit() {
    let gmail = |name: &str| {
        Pacer::all_of(
            REGISTRATION
                .rate_limits
                .iter()
                .filter(|l| l.pacer == name)
                .map(|l| Quota::within(l.units, l.per))
                .collect(),
        )
    };
    let pacer = gmail("gmail");
    assert_eq!(
        pacer.burst(),
        230,
        "92 % of 250 units a second, the tighter limit"
    );
    // Batches of 46 gets back to back: no second of calls holds more than 230 units.
    let mut starts = Vec::new();
    let mut at = NOW;
    for _ in 0..20 {
        at += pacer.reserve(46 * 5, at).as_millis() as i64;
        starts.push(at);
    }
    for pair in starts.windows(2) {
        assert!(
            pair[1] - pair[0] >= 1_000,
            "a full batch waits for the last one to leave the window: {starts:?}"
        );
    }
}
