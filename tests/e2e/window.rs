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
