use cremmy_core::crm::{CrmError, CsvError};
use cremmy_protocol::csv::{ColumnMapping, ExportTable, ImportField, RowOutcome};

use crate::support::{client, contact, count, test_crm};

const GOOD: &str = "\u{feff}Company,Website,Name,Email,Phone,Tags\n\
Acme,https://acme.example,Dana Whitfield,Dana@Acme.example,+1 555 0100,vip;retainer\n\
Acme,,Sam Lee,sam@acme.example,,\n\
Brightwater,brightwater.example,Luis Moreno,luis@brightwater.example,,hotel\n\
\n\
Copperleaf,,,,,\n";

async fn snapshot(crm: &cremmy_core::crm::Crm) -> [i64; 4] {
    [
        count(crm, "clients").await,
        count(crm, "contacts").await,
        count(crm, "contact_emails").await,
        count(crm, "tags").await,
    ]
}

#[tokio::test]
async fn preview_guesses_the_mapping_and_writes_nothing_then_commit_imports_once() {
    let t = test_crm().await;
    let existing = client(&t.crm, "brightwater").await;
    let preview = t.crm.preview_import(GOOD.as_bytes(), None).await.unwrap();
    let fields: Vec<ImportField> = preview.mapping.iter().map(|m| m.field).collect();
    assert_eq!(
        fields,
        [
            ImportField::ClientName,
            ImportField::Website,
            ImportField::ContactName,
            ImportField::Email,
            ImportField::Phone,
            ImportField::Tags
        ]
    );
    assert_eq!(preview.rows.len(), 4, "the blank line is skipped");
    assert_eq!(
        preview.rows[0].row, 2,
        "rows are numbered as a spreadsheet shows them (header = 1)"
    );
    assert!(
        matches!(&preview.rows[1].outcome, RowOutcome::ExistingClient { client, .. } if client == "Acme"),
        "the second Acme row joins the first: {:?}",
        preview.rows[1]
    );
    assert!(
        matches!(&preview.rows[2].outcome, RowOutcome::ExistingClient { .. }),
        "Brightwater matches an existing client ignoring case"
    );
    assert_eq!(
        (
            preview.clients_to_create,
            preview.contacts_to_create,
            preview.errors
        ),
        (2, 3, 0)
    );
    assert_eq!(
        snapshot(&t.crm).await,
        [1, 0, 0, 0],
        "a preview writes nothing"
    );

    let result = t.crm.commit_import(GOOD.as_bytes(), None).await.unwrap();
    assert_eq!(
        (
            result.clients_created,
            result.contacts_created,
            result.rows_skipped
        ),
        (2, 3, 0)
    );
    let dana = t
        .crm
        .contact_by_email("dana@acme.example")
        .await
        .unwrap()
        .expect("emails are stored lower-case");
    assert_eq!(dana.phones, ["+1 555 0100"]);
    let luis = t
        .crm
        .contact_by_email("luis@brightwater.example")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        luis.client_id, existing.id,
        "contacts attach to the existing client"
    );
    let acme = t.crm.client(dana.client_id).await.unwrap();
    assert_eq!(
        (acme.domain.as_str(), acme.tags.clone()),
        (
            "acme.example",
            vec!["retainer".to_string(), "vip".to_string()]
        )
    );

    let before = snapshot(&t.crm).await;
    let again = t.crm.preview_import(GOOD.as_bytes(), None).await.unwrap();
    assert_eq!(
        again
            .rows
            .iter()
            .filter(|r| matches!(r.outcome, RowOutcome::AlreadyPresent { .. }))
            .count(),
        3,
        "known emails are recognised"
    );
    let result = t.crm.commit_import(GOOD.as_bytes(), None).await.unwrap();
    assert_eq!(
        result.contacts_created, 0,
        "re-importing the same file creates no contacts"
    );
    assert_eq!(result.rows_skipped, 3);
    assert_eq!(
        snapshot(&t.crm).await,
        before,
        "a re-import creates no duplicate clients or contacts"
    );
}

#[tokio::test]
async fn rows_with_errors_are_reported_and_the_commit_writes_nothing() {
    let t = test_crm().await;
    let acme = client(&t.crm, "Acme").await;
    contact(&t.crm, acme.id, "Dana", &["dana@acme.example"]).await;
    let bad = "company,email,phone\n\
Good Co,good@good.example,\n\
,orphan@x.example,\n\
Bad Email Co,not-an-email,\n\
Dup Co,dup@x.example,\n\
Dup Again,DUP@x.example,\n\
Phone Co,,call me maybe\n\
Short row\n";
    let preview = t.crm.preview_import(bad.as_bytes(), None).await.unwrap();
    let errors: Vec<(u64, String)> = preview
        .rows
        .iter()
        .filter_map(|r| match &r.outcome {
            RowOutcome::Error { message } => Some((r.row, message.clone())),
            _ => None,
        })
        .collect();
    let expect = [
        (3, "client name: is required"),
        (4, "not-an-email"),
        (6, "also appears on row 5"),
        (7, "not a phone number"),
        (8, "has 1 fields but the header has 3"),
    ];
    assert_eq!(errors.len(), expect.len(), "errors: {errors:?}");
    for ((row, message), (want_row, want)) in errors.iter().zip(expect) {
        assert_eq!(
            *row, want_row,
            "row numbers must point at the offending line: {message}"
        );
        assert!(
            message.contains(want),
            "row {row}: expected {want:?} in {message:?}"
        );
    }
    let before = snapshot(&t.crm).await;
    let err = t
        .crm
        .commit_import(bad.as_bytes(), None)
        .await
        .expect_err("rows with errors block the commit");
    assert!(
        matches!(
            err,
            CrmError::Csv(CsvError::RowErrors {
                errors: 5,
                first_row: 3,
                ..
            })
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("nothing was imported"), "{err}");
    assert_eq!(
        snapshot(&t.crm).await,
        before,
        "all or nothing: the valid rows were not written either"
    );
}

#[tokio::test]
async fn malformed_files_and_mappings_are_rejected_clearly() {
    let t = test_crm().await;
    let cases: Vec<(Vec<u8>, Option<Vec<ColumnMapping>>, &str)> = vec![
        (b"".to_vec(), None, "empty"),
        (b"company\n".to_vec(), None, "empty"),
        (
            b"name,email\nDana,dana@x.example\n".to_vec(),
            None,
            "client name",
        ),
        (
            b"company,client\nA,B\n".to_vec(),
            None,
            "mapped to Client name",
        ),
        (
            b"company,name,contact\nAcme,Dana,Dan\n".to_vec(),
            None,
            "--map \"name=contact_name\" --map \"contact=ignore\"",
        ),
        (
            b"company,email\nAcme,\xff\xfe@x.example\n".to_vec(),
            None,
            "UTF-8",
        ),
        (
            b"company\nAcme\n".to_vec(),
            Some(vec![ColumnMapping {
                header: "Firm".into(),
                field: ImportField::ClientName,
            }]),
            "\"Firm\"",
        ),
    ];
    for (bytes, mapping, expected) in cases {
        let err = t
            .crm
            .preview_import(&bytes, mapping.as_deref())
            .await
            .expect_err("must be rejected");
        assert!(
            err.to_string().contains(expected),
            "{:?}: expected {expected:?} in {err}",
            String::from_utf8_lossy(&bytes)
        );
    }
    let mapped = t
        .crm
        .commit_import(
            b"Firm,Person\nAcme,Dana\n",
            Some(&[
                ColumnMapping {
                    header: "Firm".into(),
                    field: ImportField::ClientName,
                },
                ColumnMapping {
                    header: "Person".into(),
                    field: ImportField::ContactName,
                },
            ]),
        )
        .await
        .unwrap();
    assert_eq!(
        (mapped.clients_created, mapped.contacts_created),
        (1, 1),
        "an explicit mapping overrides the guess"
    );
}

#[tokio::test]
async fn export_writes_every_table_with_headers() {
    let t = test_crm().await;
    t.crm.commit_import(GOOD.as_bytes(), None).await.unwrap();
    let mut out = Vec::new();
    let rows = t
        .crm
        .export_csv(ExportTable::Contacts, &mut out)
        .await
        .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(rows, 3);
    assert!(
        text.starts_with("id,client_id,client,name,title,emails,phones,archived\n"),
        "{text}"
    );
    assert!(
        text.contains("Dana Whitfield,,dana@acme.example,+1 555 0100,false"),
        "{text}"
    );
    let mut clients = Vec::new();
    t.crm
        .export_csv(ExportTable::Clients, &mut clients)
        .await
        .unwrap();
    let clients = String::from_utf8(clients).unwrap();
    assert!(
        clients.contains("retainer; vip") && clients.contains("2026-03-02T09:00:00Z"),
        "tags joined, times ISO UTC:\n{clients}"
    );
    // An exported contacts file is importable again (round trip through the mapping guesses).
    for table in [ExportTable::Deals, ExportTable::Activities] {
        let mut out = Vec::new();
        assert_eq!(t.crm.export_csv(table, &mut out).await.unwrap(), 0);
        assert!(
            String::from_utf8(out).unwrap().starts_with("id,client_id,"),
            "empty tables still get a header"
        );
    }
}

#[test]
fn cells_that_would_run_as_formulas_are_neutralised_and_numbers_are_not() {
    use cremmy_core::crm::neutralised;
    let cases = [
        (
            "=HYPERLINK(\"http://evil.example\",\"x\")",
            "'=HYPERLINK(\"http://evil.example\",\"x\")",
            "an equals sign starts a formula",
        ),
        (
            "@SUM(A1)",
            "'@SUM(A1)",
            "an at sign starts a formula in Excel",
        ),
        (
            "+cmd|' /C calc'!A0",
            "'+cmd|' /C calc'!A0",
            "DDE through a plus sign",
        ),
        (
            "-2+cmd|' /C calc'!A0",
            "'-2+cmd|' /C calc'!A0",
            "DDE through a minus sign",
        ),
        ("\tnote", "'\tnote", "a leading tab"),
        ("+1 555 0100", "+1 555 0100", "a phone number is data"),
        ("-5", "-5", "a negative number is data"),
        ("Acme", "Acme", "ordinary text is untouched"),
        ("", "", "an empty cell stays empty"),
    ];
    for (cell, want, why) in cases {
        assert_eq!(neutralised(cell.to_string()), want, "{why}");
    }
}

#[tokio::test]
async fn exports_neutralise_formulas_from_untrusted_text() {
    let t = test_crm().await;
    let client =
        crate::support::client(&t.crm, "=HYPERLINK(\"http://evil.example\",\"Open\")").await;
    t.crm
        .log_note(&cremmy_protocol::crm::NoteInput {
            client_id: client.id,
            body: "@SUM(1+1) from a web form".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    for (table, must_have) in [
        (ExportTable::Clients, "\"'=HYPERLINK("),
        (ExportTable::Activities, "'@SUM(1+1) from a web form"),
    ] {
        let mut out = Vec::new();
        t.crm.export_csv(table, &mut out).await.unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains(must_have),
            "{table:?} export neutralises the formula:\n{text}"
        );
        assert!(
            !text.lines().skip(1).any(|l| l
                .split(',')
                .any(|c| c.starts_with('=') || c.starts_with('@'))),
            "{table:?}: no cell starts like a formula:\n{text}"
        );
    }
}

/// A preview writes nothing, so it must not wait for (or hold) the single writer: while another
/// write transaction is open, the preview still answers.
#[tokio::test]
async fn a_preview_reads_while_the_writer_is_busy() {
    let t = test_crm().await;
    client(&t.crm, "Acme").await;
    let mut busy = t.crm.database().writer().begin().await.unwrap();
    sqlx::query("INSERT INTO settings (key, value, updated_at) VALUES ('busy', '1', 0)")
        .execute(&mut *busy)
        .await
        .unwrap();
    let preview = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        t.crm.preview_import(GOOD.as_bytes(), None),
    )
    .await
    .expect("the preview does not wait for the writer")
    .expect("a preview");
    assert_eq!(
        preview.clients_to_create, 2,
        "Brightwater and Copperleaf; Acme exists"
    );
    busy.rollback().await.unwrap();
}

/// Spreadsheets where the comma is the decimal mark save "CSV" with `;` (and some with tabs):
/// the header line says which, so such files import like comma ones; a `;` inside quotes in a
/// comma file does not fool it.
#[tokio::test]
async fn semicolon_and_tab_separated_files_import_like_comma_ones() {
    let cases: [(&str, &[u8], u64); 3] = [
        (
            "semicolons (with a decimal comma in a note)",
            b"\xEF\xBB\xBFCompany;Contact;Email;Notes\r\nAcme;Zo\xC3\xAB;zoe@acme.example;Budget 12,5k\r\nBeta;Bo;bo@beta.example;\r\n",
            2,
        ),
        (
            "tabs",
            b"Company\tContact\tEmail\nGamma\tGil\tgil@gamma.example\n",
            1,
        ),
        (
            "commas with a ';' inside a quoted header",
            b"Company,Contact,Email,\"Remarks; internal\"\nDelta,Di,di@delta.example,ok\n",
            1,
        ),
    ];
    for (why, bytes, clients) in cases {
        let t = test_crm().await;
        let done = t
            .crm
            .commit_import(bytes, None)
            .await
            .unwrap_or_else(|e| panic!("{why}: {e}"));
        assert_eq!(
            (done.clients_created, done.contacts_created),
            (clients, clients),
            "{why}"
        );
    }
}

/// `name,email,contact`: a plain "Name" beside a "Contact" column, and no company column, is the
/// client's name (it used to be refused as two contact-name columns).
#[tokio::test]
async fn a_plain_name_beside_a_contact_column_is_the_client() {
    let t = test_crm().await;
    let file = b"name,email,contact\nAcme Analytics,dana@acme.example,Dana Whitfield\n";
    let guessed = cremmy_core::crm::guessed_mapping(file).unwrap();
    let fields: Vec<ImportField> = guessed.iter().map(|m| m.field).collect();
    assert_eq!(
        fields,
        [
            ImportField::ClientName,
            ImportField::Email,
            ImportField::ContactName
        ],
        "the preview shows the same guess the import uses"
    );
    let done = t.crm.commit_import(file, None).await.expect("imported");
    assert_eq!((done.clients_created, done.contacts_created), (1, 1));
    let clients = t
        .crm
        .list_clients(&cremmy_protocol::crm::ClientQuery::default())
        .await
        .unwrap();
    assert_eq!(clients.rows[0].name, "Acme Analytics");
}
