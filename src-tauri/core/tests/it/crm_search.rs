use cremmy_core::crm::ExternalActivity;
use cremmy_protocol::crm::{
    ActivityKind, ContactInput, DealInput, Direction, NoteInput, SearchKind,
};

use crate::support::{client, contact, test_crm, T0};

#[tokio::test]
async fn search_finds_every_kind_by_prefix_and_follows_edits_and_deletes() {
    let t = test_crm().await;
    let acme = client(&t.crm, "Acme Analytics").await;
    let dana = contact(&t.crm, acme.id, "Dana Whitfield", &["dana@oldmail.example"]).await;
    t.crm
        .create_deal(&DealInput {
            client_id: acme.id,
            title: "Warehouse audit".into(),
            ..DealInput::default()
        })
        .await
        .unwrap();
    t.crm
        .log_note(&NoteInput {
            client_id: acme.id,
            body: "Discussed the zeppelin budget".into(),
            ..NoteInput::default()
        })
        .await
        .unwrap();

    let kinds = |hits: &[cremmy_protocol::crm::SearchHit]| {
        hits.iter()
            .map(|h| (h.kind, h.title.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        kinds(&t.crm.search("analy", 0).await.unwrap()),
        [(SearchKind::Client, "Acme Analytics".to_string())]
    );
    assert_eq!(
        kinds(&t.crm.search("whit", 0).await.unwrap()),
        [(SearchKind::Contact, "Dana Whitfield".to_string())]
    );
    assert_eq!(
        kinds(&t.crm.search("dana@oldmail", 0).await.unwrap()),
        [(SearchKind::Contact, "Dana Whitfield".to_string())],
        "contacts are found by email"
    );
    assert_eq!(
        kinds(&t.crm.search("warehouse", 0).await.unwrap()),
        [(SearchKind::Deal, "Warehouse audit".to_string())]
    );
    let note = t.crm.search("zeppelin", 0).await.unwrap();
    assert_eq!(
        (note[0].kind, note[0].client_name.as_str()),
        (SearchKind::Activity, "Acme Analytics"),
        "hits carry their client"
    );
    assert!(
        note[0].snippet.contains("zeppelin"),
        "the snippet shows the match: {:?}",
        note[0].snippet
    );

    t.crm
        .update_contact(
            dana.id,
            &ContactInput {
                client_id: acme.id,
                name: "Dana Okoro".into(),
                emails: vec!["d.okoro@acme.example".into()],
                ..ContactInput::default()
            },
        )
        .await
        .unwrap();
    assert!(
        t.crm.search("whitfield", 0).await.unwrap().is_empty(),
        "the old name is gone from the index"
    );
    assert!(
        t.crm.search("oldmail", 0).await.unwrap().is_empty(),
        "the removed email is gone from the index"
    );
    let renamed = t.crm.search("okoro", 0).await.unwrap();
    assert_eq!(renamed.len(), 1, "one contact, one hit: {renamed:?}");
    assert_eq!(renamed[0].title, "Dana Okoro", "the new name is indexed");
    assert_eq!(
        t.crm.search("d.okoro@acme", 0).await.unwrap().len(),
        1,
        "the new email is indexed"
    );

    sqlx::query("DELETE FROM clients WHERE id = ?")
        .bind(acme.id)
        .execute(t.crm.database().pool())
        .await
        .unwrap();
    for q in ["acme", "okoro", "warehouse", "zeppelin"] {
        assert!(
            t.crm.search(q, 0).await.unwrap().is_empty(),
            "deleting the client must remove {q:?} hits (cascades keep the index in step)"
        );
    }
    for index in ["search_entities", "search_activities"] {
        let leftover: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {index}"))
            .fetch_one(t.crm.database().pool())
            .await
            .unwrap();
        assert_eq!(
            leftover, 0,
            "no orphan rows in {index} after cascading deletes"
        );
    }
}

#[tokio::test]
async fn search_input_is_text_never_query_syntax() {
    let t = test_crm().await;
    let acme = client(&t.crm, "Acme \"Quoted\" OR Co").await;
    for input in [
        "\"",
        "acme OR",
        "NEAR(",
        "*",
        "-acme",
        "acme\"); DROP TABLE clients; --",
        "   ",
        "ünïcödé",
    ] {
        let result = t.crm.search(input, 0).await;
        assert!(
            result.is_ok(),
            "{input:?} must not be an FTS syntax error: {result:?}"
        );
    }
    assert_eq!(t.crm.search("quoted", 0).await.unwrap()[0].id, acme.id);
    assert_eq!(
        t.crm.search("acme\"); DROP", 0).await.unwrap().len(),
        0,
        "all words must match"
    );
    let _ = T0;
}

#[tokio::test]
async fn system_activities_are_not_indexed_but_provider_mail_is() {
    let t = test_crm().await;
    let acme = client(&t.crm, "Acme").await;
    t.crm
        .record_external_activity(&ExternalActivity {
            client_id: acme.id,
            contact_id: None,
            deal_id: None,
            kind: ActivityKind::Email,
            direction: Direction::Inbound,
            subject: "Invoice query".into(),
            body: "about the quasar invoice".into(),
            occurred_at: T0,
            source: cremmy_protocol::crm::ActivitySource::Email,
            external_id: "m1".into(),
        })
        .await
        .unwrap();
    assert_eq!(t.crm.search("quasar", 0).await.unwrap().len(), 1);
    let page = t.crm.client_page(acme.id).await.unwrap();
    assert_eq!(
        page.timeline.items.len(),
        1,
        "the client page includes the first timeline page"
    );
    assert_eq!(page.client.name, "Acme");
}

#[tokio::test]
async fn a_stages_name_finds_the_open_deals_in_it_first() {
    let t = test_crm().await;
    let acme = client(&t.crm, "Acme").await;
    let stages = t.crm.stages().await.unwrap();
    let stage = |name: &str| stages.iter().find(|s| s.name == name).unwrap().id;
    for (title, at) in [
        ("Website rebuild", "Proposal"),
        ("Audit", "Lead"),
        ("Proposal review", "Lead"),
    ] {
        t.crm
            .create_deal(&cremmy_protocol::crm::DealInput {
                client_id: acme.id,
                title: title.into(),
                stage_id: Some(stage(at)),
                ..Default::default()
            })
            .await
            .unwrap();
    }
    let hits = t.crm.search("proposal", 30).await.unwrap();
    let titles: Vec<(&str, &str)> = hits
        .iter()
        .map(|h| (h.title.as_str(), h.snippet.as_str()))
        .collect();
    assert_eq!(
        titles.first(),
        Some(&("Website rebuild", "In Proposal")),
        "the deal in Proposal comes first, saying why: {titles:?}"
    );
    assert!(
        titles.iter().any(|(t, _)| *t == "Proposal review"),
        "a deal named with the word is still found: {titles:?}"
    );
    assert_eq!(
        hits.iter().filter(|h| h.title == "Website rebuild").count(),
        1,
        "once, not again from the text index"
    );
    let short = t.crm.search("pro", 30).await.unwrap();
    assert!(
        short.iter().all(|h| h.snippet != "In Proposal"),
        "three letters are a word prefix, not a stage"
    );
}

/// What a search lists first, for a set of queries: the relevance the search must keep whatever
/// makes it faster (issue 27). Names rank by bm25 (a client named with the word before a deal
/// that mentions it in passing); activities newest first, words matched whole before words they
/// begin, prefixes when whole words leave places (a word still being typed).
#[tokio::test]
async fn relevance_table_for_a_set_of_queries() {
    let t = test_crm().await;
    let harbor = client(&t.crm, "Harbor Labs").await;
    let maple = client(&t.crm, "Maple Partners").await;
    contact(&t.crm, maple.id, "Ines Harbor", &["ines@maple.example"]).await;
    t.crm
        .create_deal(&DealInput {
            client_id: maple.id,
            title: "Renewal of the harbor pilot programme".into(),
            ..DealInput::default()
        })
        .await
        .unwrap();
    // Oldest first; the search lists them newest first.
    let notes = [
        (harbor.id, "Proposals drafted for the board"),
        (harbor.id, "Proposal sent to Harbor"),
        (maple.id, "Proposal accepted"),
        (maple.id, "Proposalwriting workshop booked"),
    ];
    for (client_id, body) in notes {
        t.crm
            .log_note(&NoteInput {
                client_id,
                body: body.into(),
                ..NoteInput::default()
            })
            .await
            .unwrap();
    }
    let top = |hits: &[cremmy_protocol::crm::SearchHit], n: usize| -> Vec<String> {
        hits.iter()
            .take(n)
            .map(|h| match h.kind {
                SearchKind::Activity => format!("note: {}", h.snippet),
                kind => format!("{kind:?}: {}", h.title),
            })
            .collect()
    };
    // (query, places, the expected first results, why)
    let table: Vec<(&str, i64, Vec<&str>, &str)> = vec![
        (
            "harbor",
            30,
            vec![
                "Client: Harbor Labs",
                "Contact: Ines Harbor",
                "Deal: Renewal of the harbor pilot programme",
                "note: Proposal sent to Harbor",
            ],
            "a name that is the word ranks before a longer title that mentions it; then activities",
        ),
        (
            "propos",
            30,
            vec![
                "note: Proposalwriting workshop booked",
                "note: Proposal accepted",
                "note: Proposal sent to Harbor",
                "note: Proposals drafted for the board",
            ],
            "a word still being typed matches every word it begins, newest first",
        ),
        (
            "proposal harbor",
            30,
            vec!["note: Proposal sent to Harbor"],
            "every word must match",
        ),
        (
            "ines@maple",
            30,
            vec!["Contact: Ines Harbor"],
            "a contact by the address's words",
        ),
    ];
    for (query, places, want, why) in table {
        let hits = t.crm.search(query, places).await.unwrap();
        assert_eq!(top(&hits, want.len()), want, "{query:?}: {why}");
    }
    // With few places, whole words fill them; with places left, prefixes fill the rest.
    let two = t.crm.search("proposal", 2).await.unwrap();
    assert_eq!(
        top(&two, 2),
        ["note: Proposal accepted", "note: Proposal sent to Harbor"],
        "the whole word fills the places it has, newest first"
    );
    let all = t.crm.search("proposal", 30).await.unwrap();
    assert_eq!(
        top(&all, 4),
        [
            "note: Proposalwriting workshop booked",
            "note: Proposal accepted",
            "note: Proposal sent to Harbor",
            "note: Proposals drafted for the board",
        ],
        "places left after the whole word: the words it begins too, newest first"
    );
}
