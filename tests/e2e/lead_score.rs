//! The lead score on the client page (issue 25): the breakdown with its signals, next actions that
//! become tasks, and settings that change the outcome.

use crate::support::app_window::AppWindow;
use crate::support::demo_data_dir;

const CONTROL: char = '\u{E009}';

/// Replaces a field's text as a user does: select all, type.
async fn retype(app: &AppWindow, css: &str, text: &str) {
    app.click(css).await;
    app.chord(CONTROL, 'a').await;
    app.type_into(css, text).await;
}

async fn open_acme(app: &AppWindow) {
    app.click("#nav-clients").await;
    app.type_into("#client-search", "acme").await;
    app.wait_for_count(".client-row", 1).await;
    app.click(".client-row .client-name").await;
    app.wait_for_text("#client-title", "Acme Analytics").await;
}

#[tokio::test]
async fn the_client_page_explains_the_score_and_the_settings_change_it() {
    let dir = demo_data_dir();
    let app = AppWindow::launch("lead-score", dir.path()).await;
    open_acme(&app).await;
    let card = app.wait_for_text("#lead-score", "has a website").await;
    assert!(
        card.contains("won USD 9,000 with them so far"),
        "the demo's won retainer counts: {card}"
    );
    let before: u32 = app
        .text("#score-total")
        .await
        .parse()
        .expect("the total is a number");

    app.click("#nav-settings").await;
    app.type_into("#ideal-tags", "retainer").await;
    // Only fit counts: Acme's ideal tag, its USD 18,000 deal and its website make 70.
    for weight in [
        "#weight-engagement",
        "#weight-momentum",
        "#weight-financial",
    ] {
        retype(&app, weight, "0").await;
    }
    app.click("#save-score-settings").await;
    app.wait_for_text(".toasts", "scores recomputed").await;

    open_acme(&app).await;
    app.wait_for_text("#lead-score", "tagged retainer (ideal client)")
        .await;
    let after: u32 = app.text("#score-total").await.parse().unwrap();
    assert!(
        after > before,
        "an ideal-client tag raises the score: {before} → {after}"
    );

    assert_eq!(after, 70);
    let next = app
        .wait_for_text(
            "#lead-score .next-actions",
            "Schedule a call within 48 h: score 70",
        )
        .await;
    assert!(next.contains("Create task"), "{next}");
    app.click("#lead-score .create-task").await;
    app.wait_for_text(".toasts", "Task created for today").await;
    app.screenshot().await;

    // The clients list: a Score column that sorts, and a filter; Today's hot leads.
    app.click("#nav-clients").await;
    app.set_value("#client-search", "").await;
    app.type_into("#client-search", "\u{8}\u{8}\u{8}\u{8}")
        .await;
    app.wait_for_count(".client-row", 10).await;
    app.click("#clients-table th[data-column=Score]").await;
    app.wait_for_text(".client-row .client-name", "Acme Analytics")
        .await;
    app.set_value("#min-score", "70").await;
    // Acme and Granite & Co Legal: both tagged retainer, with a deal of the ideal size.
    app.wait_for_count(".client-row", 2).await;
    let rows = app.text("#clients-table tbody").await;
    assert!(
        rows.contains("Granite & Co Legal") && !rows.contains("Brightwater"),
        "{rows}"
    );
    assert_eq!(app.text(".client-row .score").await, "70");
    let app = app.renamed("clients-by-score");
    app.screenshot().await;
    // The board: each card carries its client's score.
    app.click("#nav-pipeline").await;
    app.wait_for_text("[data-title='Data platform audit'] .score-badge", "70")
        .await;
    app.click("#nav-today").await;
    let hot = app.wait_for_text("#today-hot", "Acme Analytics").await;
    assert!(hot.contains("Schedule a call within 48 h"), "{hot}");
    app.close().await;
}
