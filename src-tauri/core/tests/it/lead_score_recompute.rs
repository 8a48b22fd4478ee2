//! The lead score's full recompute (one batched pass over every client) against scoring each
//! client alone, on a generated dataset with tags, an archived client and custom settings.

use cremmy_core::crm::ScaleSpec;
use cremmy_protocol::crm::{BulkClientAction, BulkClientEdit};
use cremmy_protocol::scores::ScoreSettings;

use crate::support::test_crm;

#[tokio::test]
async fn the_full_recompute_agrees_with_scoring_each_client_alone() {
    let t = test_crm().await;
    t.crm
        .generate_dataset(ScaleSpec {
            clients: 120,
            deals: 400,
            activities: 30_000,
            seed: 7,
        })
        .await
        .unwrap();
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM clients ORDER BY id")
        .fetch_all(t.crm.database().pool())
        .await
        .unwrap();
    for (tag, every) in [("retainer", 3), ("enterprise", 5)] {
        t.crm
            .edit_clients(&BulkClientEdit {
                client_ids: ids.iter().copied().step_by(every).collect(),
                action: BulkClientAction::AddTag { tag: tag.into() },
            })
            .await
            .unwrap();
    }
    t.crm
        .edit_clients(&BulkClientEdit {
            client_ids: vec![ids[1]],
            action: BulkClientAction::Archive,
        })
        .await
        .unwrap();
    t.crm
        .set_score_settings(&ScoreSettings {
            ideal_tags: vec!["retainer".into()],
            ..ScoreSettings::default()
        })
        .await
        .unwrap();
    assert_eq!(
        t.crm.recompute_scores().await.unwrap(),
        ids.len() as u64 - 1,
        "every active client is scored, the archived one is not"
    );
    let mut totals = std::collections::BTreeSet::new();
    for &id in ids.iter().filter(|&&id| id != ids[1]) {
        let full = t.crm.stored_score(id).await.unwrap().expect("scored");
        let alone = t.crm.client_score(id).await.unwrap();
        assert_eq!(
            full, alone,
            "client {id}: the batched recompute reads the same facts as scoring it alone"
        );
        totals.insert(full.total);
    }
    assert!(
        totals.len() > 5,
        "the data gives varied scores, so the comparison means something: {totals:?}"
    );
}
