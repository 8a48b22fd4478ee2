//! `cremmy today`, `cremmy report` and `cremmy score` as a user runs them from a terminal.

use crate::support::{demo_data_dir, run_cremmy, stderr, stdout};

#[test]
fn today_and_reports_print_from_a_terminal() {
    let dir = demo_data_dir();
    let out = run_cremmy(dir.path(), &["today", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let today: serde_json::Value =
        serde_json::from_str(&stdout(&out)).expect("today --json is JSON");
    assert_eq!(
        today["overdue"].as_array().unwrap().len(),
        1,
        "the demo's overdue task: {today}"
    );
    assert_eq!(today["due_today"].as_array().unwrap().len(), 2);
    let text = stdout(&run_cremmy(dir.path(), &["today"]));
    assert!(
        text.contains("Send revised proposal to Acme") && text.contains("OVERDUE"),
        "{text}"
    );
    assert!(
        text.contains("New leads this week") && text.contains("Driftwood Logistics"),
        "{text}"
    );

    let out = run_cremmy(dir.path(), &["report", "pipeline"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let csv = stdout(&out);
    assert!(
        csv.starts_with(
            "stage,probability_percent,deals,value_USD,weighted_USD,value_not_converted\n"
        ),
        "{csv}"
    );
    assert!(
        csv.contains("Negotiation,80,2,30000.00,24000.00,24000.00 EUR"),
        "{csv}"
    );
    let refused = run_cremmy(dir.path(), &["report", "won-lost", "--months", "0"]);
    assert!(!refused.status.success(), "0 months is refused");
    assert!(stderr(&refused).contains("months"), "{}", stderr(&refused));
}

#[test]
fn score_prints_a_clients_breakdown_or_recomputes_all() {
    let dir = demo_data_dir();
    let out = run_cremmy(dir.path(), &["score", "1", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let score: serde_json::Value =
        serde_json::from_str(&stdout(&out)).expect("score --json is JSON");
    assert_eq!(score["client_id"], 1);
    assert!(
        score["signals"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["text"] == "has a website"),
        "{score}"
    );
    let all = run_cremmy(dir.path(), &["score", "--all"]);
    assert!(
        stdout(&all).contains("Scored 10 clients"),
        "{}",
        stdout(&all)
    );
    let neither = run_cremmy(dir.path(), &["score"]);
    assert!(!neither.status.success(), "a client or --all is needed");
    assert!(stderr(&neither).contains("--all"), "{}", stderr(&neither));
}
