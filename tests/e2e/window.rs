//! The desktop window in the real webview.

use crate::support::app_window::AppWindow;

#[tokio::test]
async fn window_shows_the_ui_fed_by_the_backend() {
    let dir = tempfile::tempdir().unwrap();
    let app = AppWindow::launch("foundation-overview", dir.path()).await;
    let schema = app.text("#schema-version").await;
    let migrations = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .unwrap()
        .count();
    assert_eq!(
        schema,
        format!("schema v{migrations}"),
        "the status bar must show the schema the backend reports"
    );
    app.click("#nav-settings").await;
    let data_dir = app.text("#data-dir").await;
    assert_eq!(
        data_dir,
        dir.path().display().to_string(),
        "Settings must show the data dir in use"
    );
    app.screenshot().await;
    app.close().await;
}

#[tokio::test]
async fn window_on_a_corrupt_database_shows_an_error_not_an_empty_app() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cremmy.sqlite3");
    let garbage = vec![0x5a_u8; 64 * 1024];
    std::fs::write(&file, &garbage).unwrap();
    let app = AppWindow::launch("foundation-corrupt-database", dir.path()).await;
    let message = app.text(".startup-error .message").await;
    assert!(
        message.contains("not a readable Cremmy database"),
        "the window must explain the problem: {message}"
    );
    app.screenshot().await;
    app.close().await;
    assert_eq!(
        std::fs::read(&file).unwrap(),
        garbage,
        "the window must not touch the corrupt file"
    );
}

/// Settings → Data in the window: "Back up now" lists the backup; "Restore…" checks it and says
/// it happens at the next start; the next start (here the CLI, through the same `Core::open`)
/// puts it in place, so a client added after the backup is gone.
#[tokio::test]
async fn settings_backs_up_then_restores_a_backup_at_the_next_start() {
    use crate::support::{run_cremmy, stderr, stdout};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assert!(run_cremmy(&data, &["demo"]).status.success());
    let app = AppWindow::launch("settings-data-restore", &data).await;
    app.click("#nav-settings").await;
    app.click("#backup-now").await;
    app.wait_for_text(".toasts", "Backed up to").await;
    // Listed beside the daily backup the engine makes at start.
    let mine = "#backup-list li.backup[data-name^='cremmy-']";
    app.wait_for(mine).await;

    let csv = dir.path().join("later.csv");
    std::fs::write(
        &csv,
        "Company,Name,Email\nAfter Backup Ltd,Al,al@after.example\n",
    )
    .unwrap();
    let added = run_cremmy(&data, &["import", csv.to_str().unwrap()]);
    assert!(added.status.success(), "{}", stderr(&added));
    assert!(stdout(&run_cremmy(&data, &["export", "clients"])).contains("After Backup Ltd"));

    app.click(&format!("{mine} .restore")).await;
    app.wait_for("#restore-confirm").await;
    app.click("#restore-confirm-button").await;
    app.wait_for_text(
        "#restore-pending",
        "will be restored when Cremmy starts next",
    )
    .await;
    app.wait_for("#restart-now").await;
    app.screenshot().await;
    app.close().await;

    let next_start = run_cremmy(&data, &["export", "clients"]);
    assert!(next_start.status.success(), "{}", stderr(&next_start));
    assert!(
        stderr(&next_start).contains("Restored"),
        "the start says it restored: {}",
        stderr(&next_start)
    );
    assert!(
        !stdout(&next_start).contains("After Backup Ltd"),
        "the data is the backup's: {}",
        stdout(&next_start)
    );
    assert!(
        stdout(&next_start).contains("Acme Analytics"),
        "and the backup's clients are there"
    );
}
