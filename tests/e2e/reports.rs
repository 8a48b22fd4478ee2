//! Reports and money in several currencies in the real window (issue 28): nothing in a currency
//! without a rate vanishes, a rate and a stage probability entered in Settings change the
//! forecast, and a report exports as CSV.

use crate::support::app_window::AppWindow;
use crate::support::demo_data_dir;

async fn forecast(app: &AppWindow) -> i64 {
    let el = app.wait_for("#forecast").await;
    el.attr("data-forecast")
        .await
        .unwrap()
        .expect("the forecast carries its amount")
        .parse()
        .unwrap()
}

async fn wait_for_forecast(app: &AppWindow, want: i64, why: &str) {
    for _ in 0..100 {
        if forecast(app).await == want {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(forecast(app).await, want, "{why}");
}

#[tokio::test]
async fn reports_convert_currencies_with_the_users_rates_and_export_csv() {
    let dir = demo_data_dir();
    let app = AppWindow::launch("reports", dir.path()).await;

    // The demo's Lead stage holds €23,000 + £15,000: with no rates they are shown apart.
    app.click("#nav-pipeline").await;
    let summary = app.wait_for_text("#open-pipeline", "(no rate)").await;
    assert!(
        summary.contains("€") && summary.contains("£"),
        "euros and pounds are shown, not dropped: {summary}"
    );

    app.click("#nav-reports").await;
    let missing = app.wait_for_text("#missing-rates", "EUR").await;
    assert!(missing.contains("GBP"), "{missing}");
    let apart = app.text("#report-pipeline .unconverted").await;
    assert!(apart.contains("€") && apart.contains("£15,000"), "{apart}");
    // Default probabilities 20/40/60/80: Qualified $28,500, Proposal $26,000, Negotiation $30,000.
    assert_eq!(
        forecast(&app).await,
        5_100_000,
        "the USD forecast before any rate"
    );

    // Settings → Money: 1 EUR = 1.10 USD.
    app.click("#nav-settings").await;
    app.wait_for_text("#rates-missing", "EUR").await;
    // The first currency without a rate is offered.
    let offered = app
        .wait_for("#rate-currency")
        .await
        .prop("value")
        .await
        .unwrap();
    assert_eq!(offered.as_deref(), Some("EUR"));
    app.type_into("#rate-value", "1.10").await;
    app.click("#add-rate button[type=submit]").await;
    app.wait_for("#rates tr[data-currency=EUR]").await;

    app.click("#nav-reports").await;
    wait_for_forecast(
        &app,
        7_718_000,
        "euros now count at 1.10: Lead €23,000 and Negotiation €24,000 join",
    )
    .await;
    let missing = app.wait_for_text("#missing-rates", "GBP").await;
    assert!(!missing.contains("EUR"), "{missing}");

    // A probability changes the forecast: Lead 20% → 50%.
    app.click("#nav-settings").await;
    app.set_value("#stage-probabilities [data-stage=Lead] .probability", "50")
        .await;
    app.wait_for_text("#stage-probabilities [data-stage=Lead]", "%")
        .await;
    app.click("#nav-reports").await;
    wait_for_forecast(&app, 8_477_000, "Lead's $25,300 now counts at 50%").await;

    app.click("#report-pipeline [data-export=pipeline]").await;
    app.wait_for_text(".toasts", "Exported").await;
    let exports: Vec<_> = std::fs::read_dir(dir.path().join("exports"))
        .expect("the exports folder beside the database")
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("cremmy-report-pipeline"))
        .collect();
    assert_eq!(exports.len(), 1, "one CSV per export: {exports:?}");
    let csv = std::fs::read_to_string(&exports[0]).unwrap();
    assert!(
        csv.starts_with(
            "stage,probability_percent,deals,value_USD,weighted_USD,value_not_converted"
        ),
        "{csv}"
    );
    assert!(
        csv.contains("Lead,50,3,25300.00,12650.00,15000.00 GBP"),
        "{csv}"
    );
    app.screenshot().await;
    app.close().await;
}
