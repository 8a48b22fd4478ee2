//! The clients list's power tools in the real window (issue 28): multi-select with bulk actions,
//! saved filters, columns to choose, headers that sort.

use crate::support::app_window::AppWindow;
use crate::support::demo_data_dir;

#[tokio::test]
async fn select_clients_act_on_them_and_save_the_filter() {
    let dir = demo_data_dir();
    let app = AppWindow::launch("clients-list-selection", dir.path()).await;
    app.click("#nav-clients").await;
    app.wait_for_count(".client-row", 10).await;
    assert!(!app.exists("#selection-bar").await, "no selection, no bar");

    // Select two clients and tag them.
    app.click(".client-row[data-client='Acme Analytics'] .select-client")
        .await;
    app.click(".client-row[data-client='Copperleaf Studio'] .select-client")
        .await;
    app.wait_for_text("#selection-count", "2 selected").await;
    app.type_into("#bulk-tag", "priority").await;
    app.click("#bulk-add-tag").await;
    app.wait_for_text(".toasts", "Tagged: 2 changed").await;

    // Filter by the tag and save the filter.
    app.wait_for("#tag-filter option[value=priority]").await;
    app.select("#tag-filter", "priority").await;
    app.wait_for_count(".client-row", 2).await;
    app.click("#save-filter").await;
    app.type_into("#filter-name", "Priority clients").await;
    app.click("#save-filter-confirm").await;
    app.wait_for_text(".toasts", "Filter saved").await;
    app.select("#tag-filter", "All tags").await;
    app.wait_for_count(".client-row", 10).await;
    app.select("#saved-filter", "Priority clients").await;
    app.wait_for_count(".client-row", 2).await;

    // Export the selection (select the whole page).
    app.click("#bulk-clear").await;
    app.click("#select-page").await;
    app.wait_for_text("#selection-count", "2 selected").await;
    app.click("#bulk-export").await;
    app.wait_for_text(".toasts", "Exported 2 clients").await;
    let exported: Vec<_> = std::fs::read_dir(dir.path().join("exports"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("cremmy-clients-"))
        .collect();
    let csv = std::fs::read_to_string(&exported[0]).unwrap();
    assert!(
        csv.contains("Acme Analytics")
            && csv.contains("Copperleaf Studio")
            && csv.lines().count() == 3,
        "{csv}"
    );

    // Columns: hide Tags, show Added.
    app.click("#columns-menu summary").await;
    app.click("#columns-menu [data-column=tags] input").await;
    app.click("#columns-menu [data-column=added] input").await;
    app.click("#columns-menu summary").await;
    let header = app.wait_for_text("#clients-table thead", "Added").await;
    assert!(!header.contains("Tags"), "{header}");
    let app = app.renamed("clients-list-selection");
    app.screenshot().await;

    // Archive the selection: the filter (without archived) empties.
    app.click("#bulk-archive").await;
    app.wait_for_text(".toasts", "Archived: 2 changed").await;
    app.wait_for("#no-matches").await;

    // Headers sort: Name toggles A–Z / Z–A.
    // (After the list re-renders its tag options, WebKitWebDriver's option click sends no
    // change event; set the value as a pick in the menu does.)
    app.set_value("#tag-filter", "").await;
    app.wait_for_count(".client-row", 8).await;
    let first = app.text(".client-row .client-name").await;
    app.click("#sort-name").await;
    app.wait_for_text("#sort-name", "↓").await;
    let mut last_first = String::new();
    for _ in 0..50 {
        last_first = app.text(".client-row .client-name").await;
        if last_first != first {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        last_first, "Juniper Foods",
        "Z–A puts the last name first (was {first})"
    );
    app.close().await;
}
