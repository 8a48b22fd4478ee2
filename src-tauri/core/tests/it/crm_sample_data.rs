use cremmy_core::crm::{Date, ScaleSpec};
use cremmy_protocol::crm::ClientQuery;

use crate::support::{count, test_crm};

#[tokio::test]
async fn demo_data_fills_an_empty_database_once() {
    let t = test_crm().await;
    let today = Date::parse("today", "2026-03-02").unwrap();
    assert_eq!(t.crm.load_demo(today).await.unwrap(), 10);
    let board = t.crm.board(0).await.unwrap();
    let in_stages: Vec<i64> = board.columns.iter().map(|c| c.deal_count).collect();
    assert!(
        in_stages.iter().filter(|n| **n > 0).count() >= 5,
        "demo deals spread across the pipeline: {in_stages:?}"
    );
    let tasks = t.crm.task_board("2026-03-02").await.unwrap();
    assert_eq!(
        (
            tasks.overdue.len(),
            tasks.due_today.len(),
            tasks.upcoming.len()
        ),
        (1, 2, 2),
        "demo tasks land around today"
    );
    assert!(
        t.crm.load_demo(today).await.is_err(),
        "demo data never mixes into a database with clients"
    );
    assert_eq!(
        t.crm
            .list_clients(&ClientQuery::default())
            .await
            .unwrap()
            .total,
        10
    );
}

#[tokio::test]
async fn generated_datasets_have_the_requested_size_and_are_deterministic() {
    let spec = ScaleSpec {
        clients: 40,
        deals: 120,
        activities: 500,
        seed: 7,
    };
    let a = test_crm().await;
    a.crm.generate_dataset(spec).await.unwrap();
    assert_eq!(
        [
            count(&a.crm, "clients").await,
            count(&a.crm, "deals").await,
            count(&a.crm, "activities").await
        ],
        [40, 120, 500]
    );
    let b = test_crm().await;
    b.crm.generate_dataset(spec).await.unwrap();
    let names = |crm: &cremmy_core::crm::Crm| {
        let crm = crm.clone();
        async move {
            sqlx::query_scalar::<_, String>("SELECT name FROM clients ORDER BY id")
                .fetch_all(crm.database().pool())
                .await
                .unwrap()
        }
    };
    assert_eq!(
        names(&a.crm).await,
        names(&b.crm).await,
        "the same seed gives the same dataset"
    );
    let board = a.crm.board(10).await.unwrap();
    assert_eq!(board.columns.iter().map(|c| c.deal_count).sum::<i64>(), 120);
    assert!(
        board.columns.iter().all(|c| c.deals.len() <= 10),
        "columns are paged"
    );
    assert!(
        !a.crm.search("re", 5).await.unwrap().is_empty(),
        "generated activities are searchable"
    );
}
