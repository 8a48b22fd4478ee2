use cremmy_core::crm::CrmError;
use cremmy_protocol::crm::{ClientInput, ClientQuery, ClientSort, ContactInput, FieldType};

use crate::support::{client, contact, count, test_crm, T0};

#[tokio::test]
async fn create_update_and_archive_a_client() {
    let t = test_crm().await;
    let field = t
        .crm
        .create_custom_field("Employees", FieldType::Number)
        .await
        .unwrap();
    let created = t
        .crm
        .create_client(&ClientInput {
            name: "  Acme Ltd  ".into(),
            website: "https://www.Acme.example/about".into(),
            tags: vec!["vip".into(), "VIP".into(), "retainer".into()],
            custom_fields: vec![(field.id, "42".into())],
            ..ClientInput::default()
        })
        .await
        .unwrap();
    assert_eq!(created.name, "Acme Ltd", "names are trimmed");
    assert_eq!(
        created.domain, "acme.example",
        "the domain is derived from the website"
    );
    assert_eq!(
        created.tags,
        vec!["retainer", "vip"],
        "tags are deduplicated case-insensitively and sorted"
    );
    assert_eq!(created.custom_fields[0].value, "42");
    assert_eq!(created.created_at, T0, "times come from the injected clock");

    t.clock.advance(1000);
    let updated = t
        .crm
        .update_client(
            created.id,
            &ClientInput {
                name: "Acme Group".into(),
                tags: vec!["vip".into()],
                ..ClientInput::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (
            updated.name.as_str(),
            updated.tags.clone(),
            updated.updated_at
        ),
        ("Acme Group", vec!["vip".to_string()], T0 + 1000)
    );
    assert!(
        updated.custom_fields.len() == 1 && updated.custom_fields[0].value == "42",
        "fields not mentioned stay"
    );

    let archived = t.crm.set_client_archived(created.id, true).await.unwrap();
    assert!(archived.archived);
    let listed = t.crm.list_clients(&ClientQuery::default()).await.unwrap();
    assert_eq!(listed.total, 0, "archived clients leave the default list");
    let all = t
        .crm
        .list_clients(&ClientQuery {
            include_archived: true,
            ..ClientQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(all.total, 1, "but can be listed on request");
}

#[tokio::test]
async fn invalid_client_input_is_rejected_with_the_field_named() {
    let t = test_crm().await;
    let field = t
        .crm
        .create_custom_field("Founded", FieldType::Date)
        .await
        .unwrap();
    let cases: Vec<(ClientInput, &str)> = vec![
        (
            ClientInput {
                name: "   ".into(),
                ..ClientInput::default()
            },
            "name: is required",
        ),
        (
            ClientInput {
                name: "x".repeat(201),
                ..ClientInput::default()
            },
            "name: is longer",
        ),
        (
            ClientInput {
                name: "two\nlines".into(),
                ..ClientInput::default()
            },
            "single line",
        ),
        (
            ClientInput {
                name: "Ok".into(),
                custom_fields: vec![(field.id, "yesterday".into())],
                ..ClientInput::default()
            },
            "Founded",
        ),
        (
            ClientInput {
                name: "Ok".into(),
                custom_fields: vec![(9999, "x".into())],
                ..ClientInput::default()
            },
            "custom field",
        ),
    ];
    for (input, expected) in cases {
        let err = t
            .crm
            .create_client(&input)
            .await
            .expect_err("input must be rejected");
        assert!(
            err.to_string().contains(expected),
            "error for {input:?} should mention {expected:?}, got: {err}"
        );
    }
    assert_eq!(
        count(&t.crm, "clients").await,
        0,
        "a rejected client must write nothing (custom-field errors roll back)"
    );
}

#[tokio::test]
async fn list_filters_sorts_and_pages() {
    let t = test_crm().await;
    for (i, name) in ["Charlie Co", "alpha Inc", "Bravo LLC", "Delta"]
        .iter()
        .enumerate()
    {
        t.clock.set(T0 + i as i64 * 1000);
        let tags = if i % 2 == 0 {
            vec!["even".to_string()]
        } else {
            vec![]
        };
        t.crm
            .create_client(&ClientInput {
                name: name.to_string(),
                tags,
                ..ClientInput::default()
            })
            .await
            .unwrap();
    }
    let names = |rows: &[cremmy_protocol::crm::ClientRow]| {
        rows.iter().map(|r| r.name.clone()).collect::<Vec<_>>()
    };
    let by_name = t.crm.list_clients(&ClientQuery::default()).await.unwrap();
    assert_eq!(
        names(&by_name.rows),
        ["alpha Inc", "Bravo LLC", "Charlie Co", "Delta"],
        "name sort ignores case"
    );
    let recent = t
        .crm
        .list_clients(&ClientQuery {
            sort: ClientSort::RecentlyCreated,
            ..ClientQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(names(&recent.rows)[0], "Delta");
    let tagged = t
        .crm
        .list_clients(&ClientQuery {
            tag: Some("EVEN".into()),
            ..ClientQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(
        names(&tagged.rows),
        ["Bravo LLC", "Charlie Co"],
        "tag filter is case-insensitive"
    );
    let page = t
        .crm
        .list_clients(&ClientQuery {
            offset: 1,
            limit: 2,
            ..ClientQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(
        (names(&page.rows), page.total),
        (vec!["Bravo LLC".to_string(), "Charlie Co".to_string()], 4)
    );
    let searched = t
        .crm
        .list_clients(&ClientQuery {
            text: "brav".into(),
            ..ClientQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(
        names(&searched.rows),
        ["Bravo LLC"],
        "text search matches name prefixes"
    );
    assert_eq!(t.crm.tags().await.unwrap(), ["even"]);
}

#[tokio::test]
async fn contact_emails_are_unique_case_insensitively_with_one_primary() {
    let t = test_crm().await;
    let acme = client(&t.crm, "Acme").await;
    let other = client(&t.crm, "Other").await;
    let dana = contact(
        &t.crm,
        acme.id,
        "Dana",
        &[
            "Dana@Acme.example",
            "dana.w@gmail.example",
            "dana@acme.example",
        ],
    )
    .await;
    assert_eq!(
        dana.emails,
        ["dana@acme.example", "dana.w@gmail.example"],
        "lower-cased, deduplicated, first is primary"
    );
    let err = t
        .crm
        .create_contact(&ContactInput {
            client_id: other.id,
            name: "Imposter".into(),
            emails: vec!["DANA@ACME.EXAMPLE".into()],
            ..ContactInput::default()
        })
        .await
        .expect_err("an email can belong to one contact only");
    assert!(
        matches!(err, CrmError::EmailTaken { .. }),
        "expected EmailTaken, got {err:?}"
    );
    assert!(
        err.to_string().contains("Dana (Acme)"),
        "the message must name the owner: {err}"
    );
    assert_eq!(
        count(&t.crm, "contacts").await,
        1,
        "the rejected contact must not be half-created"
    );

    let moved = t
        .crm
        .update_contact(
            dana.id,
            &ContactInput {
                client_id: other.id,
                name: "Dana W".into(),
                emails: vec!["dana.w@gmail.example".into()],
                phones: vec!["+44 20 7946 0000".into()],
                ..ContactInput::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (moved.client_id, moved.emails.clone(), moved.phones.clone()),
        (
            other.id,
            vec!["dana.w@gmail.example".to_string()],
            vec!["+44 20 7946 0000".to_string()]
        )
    );
    let found = t
        .crm
        .contact_by_email("DANA.W@gmail.example")
        .await
        .unwrap()
        .expect("lookup by email ignores case");
    assert_eq!(found.id, dana.id);
    assert!(
        t.crm
            .contact_by_email("dana@acme.example")
            .await
            .unwrap()
            .is_none(),
        "a removed address no longer matches"
    );

    let archived = t.crm.set_contact_archived(dana.id, true).await.unwrap();
    assert!(archived.archived, "contacts can be archived");
    let listed = t.crm.contacts_of(other.id).await.unwrap();
    assert_eq!(
        (listed.len(), listed[0].archived),
        (1, true),
        "archived contacts stay on their client, marked"
    );
    assert!(
        t.crm.set_contact_archived(424242, true).await.is_err(),
        "archiving a missing contact is NotFound"
    );

    for (bad, why) in [
        ("no-at-sign", "has no @"),
        ("a@b", "not a valid"),
        ("sp ace@x.example", "not a valid"),
    ] {
        let err = t
            .crm
            .create_contact(&ContactInput {
                client_id: acme.id,
                name: "X".into(),
                emails: vec![bad.into()],
                ..ContactInput::default()
            })
            .await
            .expect_err(bad);
        assert!(
            err.to_string().contains(why),
            "{bad}: expected {why:?} in {err}"
        );
    }
}
