//! Automation rules in the window (issue 24): a rule made with the form in Settings → Automation
//! acts when a deal is won on the board (a task and a tag), its history says so, and a dry run of
//! another rule (a task, an email draft and a calendar event) lists what it would have done
//! without writing anything. Ends with a screenshot of the rule editor and its dry run.

use crate::support::app_window::AppWindow;
use crate::support::demo_data_dir;

#[tokio::test]
async fn a_rule_made_in_the_form_acts_on_a_won_deal_and_a_dry_run_writes_nothing() {
    let dir = demo_data_dir();
    let app = AppWindow::launch("automation", dir.path()).await;
    app.click("#nav-settings").await;
    app.type_into("#rule-name", "Invoice on win").await;
    app.type_into("#rule-task", "Invoice {client} for {deal}")
        .await;
    app.type_into("#rule-add-tag", "customer").await;
    app.click("#save-rule").await;
    app.wait_for_text(".toasts", "Rule saved").await;
    app.wait_for_text("#rules", "Invoice on win").await;
    app.wait_for_text(
        "#rules",
        "task \"Invoice {client} for {deal}\", tag customer",
    )
    .await;

    app.click("#nav-pipeline").await;
    app.drag(
        "[data-title='Route cost review']",
        "[data-stage=Won] .column-end",
    )
    .await;
    app.wait_for_text("[data-stage=Won] .cards", "Route cost review")
        .await;
    app.click("#nav-tasks").await;
    app.wait_for_text("body", "for Route cost review").await;

    app.click("#nav-settings").await;
    // The newest rule is last (after the two default rules).
    app.click("#rules tr.rule:last-child .rule-history").await;
    let history = app.wait_for_text("#rule-history", "Done").await;
    assert!(
        history.contains("Deal won") && history.contains("created"),
        "the history says what it did: {history}"
    );

    // A dry run of a second rule: what it would have done, and nothing saved.
    app.type_into("#rule-name", "Thank you note").await;
    app.type_into("#rule-task", "Thank {client} for {deal}")
        .await;
    app.type_into("#rule-email-subject", "Thank you, {{contact_first_name}}")
        .await;
    app.type_into("#rule-email-body", "It was a pleasure.")
        .await;
    app.type_into("#rule-event", "Follow-up call with {client}")
        .await;
    app.type_into("#rule-task-remind", "9").await;
    app.click("#dry-run-rule").await;
    let dry = app.wait_for_text("#dry-run", "for Route cost review").await;
    assert!(dry.contains("Nothing was written"), "{dry}");
    assert!(
        dry.contains("draft the email \"Thank you, {{contact_first_name}}\""),
        "the email action is read from the form: {dry}"
    );
    assert!(
        dry.contains(
            "put \"Follow-up call with Driftwood Logistics\" on the calendar 2 days later at 10:00"
        ),
        "the calendar action, with its default day and time: {dry}"
    );
    assert!(
        dry.contains("reminder at 09:00"),
        "the task's reminder is read from the form: {dry}"
    );
    assert_eq!(
        app.text("#rules").await.matches("Thank you note").count(),
        0,
        "a dry run saves no rule"
    );
    app.scroll_to("#rule-history").await;
    app.screenshot().await;
    let app = app.renamed("automation-dry-run");
    app.scroll_to("#dry-run-rule").await;
    app.screenshot().await;
    app.close().await;
}
