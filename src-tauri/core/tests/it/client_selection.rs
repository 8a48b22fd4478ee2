//! The clients list's selection (tag, untag, archive, restore, export: all or nothing) and saved
//! filters, on a real database.

use cremmy_core::crm::CrmError;
use cremmy_protocol::crm::{
    BulkClientAction, BulkClientEdit, ClientQuery, ClientSort, SavedFilter,
};

use crate::support::{client, contact, test_crm};

fn edit(client_ids: Vec<i64>, action: BulkClientAction) -> BulkClientEdit {
    BulkClientEdit { client_ids, action }
}

async fn tagged(t: &crate::support::TestCrm, tag: &str) -> Vec<String> {
    let list = t
        .crm
        .list_clients(&ClientQuery {
            tag: Some(tag.into()),
            include_archived: true,
            ..ClientQuery::default()
        })
        .await
        .unwrap();
    list.rows.into_iter().map(|r| r.name).collect()
}

#[tokio::test]
async fn a_selection_is_tagged_untagged_archived_and_restored_at_once() {
    let t = test_crm().await;
    let a = client(&t.crm, "Acme").await;
    let b = client(&t.crm, "Brightwater").await;
    let c = client(&t.crm, "Copperleaf").await;

    let n = t
        .crm
        .edit_clients(&edit(
            vec![a.id, b.id, a.id],
            BulkClientAction::AddTag {
                tag: " vip ".into(),
            },
        ))
        .await
        .unwrap();
    assert_eq!(n, 2, "a repeated id counts once");
    assert_eq!(tagged(&t, "vip").await, vec!["Acme", "Brightwater"]);
    let again = t
        .crm
        .edit_clients(&edit(
            vec![a.id, c.id],
            BulkClientAction::AddTag { tag: "VIP".into() },
        ))
        .await
        .unwrap();
    assert_eq!(again, 1, "Acme had the tag already (tags ignore case)");

    let removed = t
        .crm
        .edit_clients(&edit(
            vec![a.id, b.id],
            BulkClientAction::RemoveTag { tag: "vip".into() },
        ))
        .await
        .unwrap();
    assert_eq!(removed, 2);
    assert_eq!(tagged(&t, "vip").await, vec!["Copperleaf"]);

    assert_eq!(
        t.crm
            .edit_clients(&edit(vec![a.id, b.id], BulkClientAction::Archive))
            .await
            .unwrap(),
        2
    );
    let active = t.crm.list_clients(&ClientQuery::default()).await.unwrap();
    assert_eq!(active.total, 1, "archived clients leave the list");
    assert_eq!(
        t.crm
            .edit_clients(&edit(vec![a.id, b.id, c.id], BulkClientAction::Restore))
            .await
            .unwrap(),
        2,
        "Copperleaf was not archived"
    );
}

#[tokio::test]
async fn a_bad_selection_changes_nothing_and_says_why() {
    let t = test_crm().await;
    let a = client(&t.crm, "Acme").await;
    let err = t
        .crm
        .edit_clients(&edit(
            vec![a.id, 9_999],
            BulkClientAction::AddTag { tag: "vip".into() },
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(err, CrmError::NotFound { id: 9_999, .. }),
        "the missing client is named: {err}"
    );
    assert!(
        tagged(&t, "vip").await.is_empty(),
        "nothing partial: Acme was not tagged"
    );
    let empty = t
        .crm
        .edit_clients(&edit(vec![], BulkClientAction::Archive))
        .await
        .unwrap_err();
    assert!(empty.to_string().contains("select at least one"), "{empty}");
    let blank = t
        .crm
        .edit_clients(&edit(
            vec![a.id],
            BulkClientAction::AddTag { tag: "  ".into() },
        ))
        .await
        .unwrap_err();
    assert!(blank.to_string().contains("tag"), "{blank}");
}

#[tokio::test]
async fn the_selection_exports_as_csv_with_contacts_and_tags() {
    let t = test_crm().await;
    let a = client(&t.crm, "=Acme").await;
    contact(&t.crm, a.id, "Ada", &["ada@acme.example"]).await;
    let b = client(&t.crm, "Brightwater").await;
    client(&t.crm, "Not selected").await;
    t.crm
        .edit_clients(&edit(
            vec![b.id],
            BulkClientAction::AddTag {
                tag: "hotel".into(),
            },
        ))
        .await
        .unwrap();
    let mut out = Vec::new();
    let rows = t
        .crm
        .export_clients_csv(&[b.id, a.id], &mut out)
        .await
        .unwrap();
    let csv = String::from_utf8(out).unwrap();
    assert_eq!(rows, 2);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "name,website,primary_contact,email,phone,tags,open_deals,archived"
    );
    assert_eq!(
        lines[1], "'=Acme,,Ada,ada@acme.example,,,0,false",
        "a formula-like name is neutralised"
    );
    assert_eq!(lines[2], "Brightwater,,,,,hotel,0,false");
    assert!(!csv.contains("Not selected"));
}

#[tokio::test]
async fn filters_are_saved_by_name_applied_and_deleted() {
    let t = test_crm().await;
    let vip = ClientQuery {
        tag: Some("vip".into()),
        sort: ClientSort::OpenDeals,
        offset: 50,
        ..ClientQuery::default()
    };
    let saved = t
        .crm
        .save_filter(&SavedFilter {
            name: " VIPs ".into(),
            query: vip.clone(),
        })
        .await
        .unwrap();
    assert_eq!(saved.len(), 1);
    assert_eq!(saved[0].name, "VIPs");
    assert_eq!(
        saved[0].query.offset, 0,
        "a filter starts at the first page"
    );
    let replaced = t
        .crm
        .save_filter(&SavedFilter {
            name: "vips".into(),
            query: ClientQuery {
                text: "acme".into(),
                ..ClientQuery::default()
            },
        })
        .await
        .unwrap();
    assert_eq!(replaced.len(), 1, "the same name (any case) replaces it");
    assert_eq!(replaced[0].query.text, "acme");
    t.crm
        .save_filter(&SavedFilter {
            name: "Archived".into(),
            query: ClientQuery {
                include_archived: true,
                ..ClientQuery::default()
            },
        })
        .await
        .unwrap();
    let names: Vec<String> = t
        .crm
        .saved_filters()
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.name)
        .collect();
    assert_eq!(
        names,
        vec!["Archived", "vips"],
        "sorted by name, kept in the database"
    );
    assert!(t
        .crm
        .save_filter(&SavedFilter {
            name: "".into(),
            query: vip
        })
        .await
        .is_err());
    assert_eq!(t.crm.delete_filter("VIPS").await.unwrap().len(), 1);
}

#[tokio::test]
async fn the_list_sorts_by_name_either_way_and_by_open_deals() {
    let t = test_crm().await;
    let a = client(&t.crm, "Acme").await;
    client(&t.crm, "Brightwater").await;
    client(&t.crm, "Copperleaf").await;
    t.crm
        .create_deal(&cremmy_protocol::crm::DealInput {
            client_id: a.id,
            title: "One".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let names = |sort| {
        let crm = t.crm.clone();
        async move {
            crm.list_clients(&ClientQuery {
                sort,
                ..ClientQuery::default()
            })
            .await
            .unwrap()
            .rows
            .into_iter()
            .map(|r| r.name)
            .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        names(ClientSort::NameDescending).await,
        vec!["Copperleaf", "Brightwater", "Acme"]
    );
    assert_eq!(names(ClientSort::OpenDeals).await[0], "Acme");
}
