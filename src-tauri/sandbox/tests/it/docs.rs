//! Docs v1 through the real google-docs1 hub, on top of Drive: a template copied in Drive is
//! read and filled through Docs (replaceAllText counts), with revision checks and the write quota.

use google_docs1::api::{BatchUpdateDocumentRequest, Document};
use google_docs1::Docs;
use google_drive3::api::File;
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

use crate::support::*;

const DRIVE_FILE: &str = "https://www.googleapis.com/auth/drive.file";
const DOC_MIME: &str = "application/vnd.google-apps.document";

fn docs_hub(sb: &cremmy_sandbox::Sandbox, token: &str) -> Docs<HttpConnector> {
    let client = connector();
    let mut hub = Docs::new(client, token.to_string());
    hub.base_url(sb.base_url());
    hub.root_url(sb.base_url());
    hub
}

fn body_text(doc: &Document) -> String {
    let content = doc
        .body
        .as_ref()
        .and_then(|b| b.content.as_ref())
        .expect("a body");
    content
        .iter()
        .filter_map(|e| e.paragraph.as_ref())
        .flat_map(|p| p.elements.iter().flatten())
        .filter_map(|e| e.text_run.as_ref().and_then(|t| t.content.clone()))
        .collect()
}

fn replace(pairs: &[(&str, &str)]) -> BatchUpdateDocumentRequest {
    let requests: Vec<_> = pairs.iter().map(|(find, with)| json!({ "replaceAllText": { "containsText": { "text": find, "matchCase": true }, "replaceText": with } })).collect();
    serde_json::from_value(json!({ "requests": requests })).unwrap()
}

#[tokio::test]
async fn a_copied_template_is_filled_with_occurrence_counts() {
    let sb = sandbox().await;
    let access = json_of(&connect(&sb, DRIVE_FILE).await, "access_token");
    let (drive, docs) = (drive_hub(&sb, &access), docs_hub(&sb, &access));
    let template = File {
        name: Some("Proposal template".into()),
        mime_type: Some(DOC_MIME.into()),
        ..Default::default()
    };
    let text = "Proposal for {{deal_title}}\nDear {{client_name}},\nthank you, {{client_name}}. Total: {{deal_value}} — ünïcode ✓\n";
    let (_, template) = drive
        .files()
        .create(template)
        .upload(
            std::io::Cursor::new(text.as_bytes().to_vec()),
            "text/plain".parse().unwrap(),
        )
        .await
        .unwrap();
    let (_, copy) = drive
        .files()
        .copy(
            File {
                name: Some("Proposal — Acme".into()),
                ..Default::default()
            },
            template.id.as_deref().unwrap(),
        )
        .doit()
        .await
        .unwrap();
    let id = copy.id.unwrap();

    let (_, doc) = docs
        .documents()
        .get(&id)
        .doit()
        .await
        .expect("documents.get");
    assert_eq!(
        body_text(&doc),
        text,
        "the copy carries the template's text"
    );
    assert_eq!(doc.title.as_deref(), Some("Proposal — Acme"));
    let content = doc.body.as_ref().unwrap().content.as_ref().unwrap();
    assert_eq!(
        content[0].end_index,
        Some(1),
        "the body opens with a section break"
    );
    let last = content.last().unwrap();
    let utf16: i32 = text.encode_utf16().count() as i32;
    assert_eq!(
        last.end_index,
        Some(1 + utf16),
        "indices count UTF-16 units from 1"
    );

    let (_, filled) = docs
        .documents()
        .batch_update(
            replace(&[
                ("{{client_name}}", "Acme Ltd"),
                ("{{deal_title}}", "Website"),
                ("{{not_in_doc}}", "x"),
            ]),
            &id,
        )
        .doit()
        .await
        .expect("batchUpdate");
    let counts: Vec<Option<i32>> = filled
        .replies
        .unwrap()
        .iter()
        .map(|r| {
            r.replace_all_text
                .as_ref()
                .and_then(|x| x.occurrences_changed)
        })
        .collect();
    assert_eq!(
        counts,
        vec![Some(2), Some(1), None],
        "a zero count is left out, as proto3 JSON does"
    );
    let (_, doc) = docs.documents().get(&id).doit().await.unwrap();
    assert!(
        body_text(&doc).starts_with("Proposal for Website\nDear Acme Ltd,\nthank you, Acme Ltd."),
        "{}",
        body_text(&doc)
    );
    let (_, original) = docs
        .documents()
        .get(template.id.as_deref().unwrap())
        .doit()
        .await
        .unwrap();
    assert_eq!(
        body_text(&original),
        text,
        "the template itself is untouched"
    );
}

#[tokio::test]
async fn stale_revisions_bad_requests_and_quota_change_nothing() {
    let sb = sandbox().await;
    let access = json_of(
        &connect(&sb, "https://www.googleapis.com/auth/documents").await,
        "access_token",
    );
    let docs = docs_hub(&sb, &access);
    let (_, created) = docs
        .documents()
        .create(Document {
            title: Some("Notes".into()),
            ..Default::default()
        })
        .doit()
        .await
        .expect("documents.create");
    let id = created.document_id.unwrap();
    let first_revision = created.revision_id.unwrap();

    let insert: BatchUpdateDocumentRequest = serde_json::from_value(json!({ "requests": [{ "insertText": { "endOfSegmentLocation": {}, "text": "Hello {{name}}" } }] })).unwrap();
    let (_, inserted) = docs
        .documents()
        .batch_update(insert, &id)
        .doit()
        .await
        .expect("insertText");
    assert_ne!(
        inserted
            .write_control
            .unwrap()
            .required_revision_id
            .as_deref(),
        Some(first_revision.as_str()),
        "a change makes a new revision"
    );

    let stale: BatchUpdateDocumentRequest = serde_json::from_value(json!({
        "requests": [{ "replaceAllText": { "containsText": { "text": "{{name}}" }, "replaceText": "Ada" } }],
        "writeControl": { "requiredRevisionId": first_revision },
    }))
    .unwrap();
    let refused = docs
        .documents()
        .batch_update(stale, &id)
        .doit()
        .await
        .expect_err("the revision moved on");
    assert!(
        matches!(refused, google_docs1::Error::BadRequest(ref v) if v["error"]["code"] == 400),
        "{refused:?}"
    );

    let half_bad: BatchUpdateDocumentRequest = serde_json::from_value(json!({ "requests": [
        { "replaceAllText": { "containsText": { "text": "{{name}}" }, "replaceText": "Ada" } },
        { "insertText": { "location": { "index": 999 }, "text": "x" } },
    ]}))
    .unwrap();
    let refused = docs
        .documents()
        .batch_update(half_bad, &id)
        .doit()
        .await
        .expect_err("index past the end");
    assert!(
        matches!(refused, google_docs1::Error::BadRequest(ref v) if v["error"]["message"].as_str().unwrap().starts_with("Invalid requests[1]")),
        "{refused:?}"
    );
    let (_, doc) = docs.documents().get(&id).doit().await.unwrap();
    assert_eq!(
        body_text(&doc),
        "Hello {{name}}\n",
        "a refused batch applies none of its requests"
    );

    sb.shared.lock().google.settings.docs_writes_per_minute = Some(0);
    let limited = docs
        .documents()
        .batch_update(replace(&[("Hello", "Hi")]), &id)
        .doit()
        .await
        .expect_err("over the write budget");
    assert!(
        matches!(limited, google_docs1::Error::BadRequest(ref v) if v["error"]["code"] == 429),
        "{limited:?}"
    );
    docs.documents()
        .get(&id)
        .doit()
        .await
        .expect("reads are a separate budget");
    let counters = get_json(&sb, "counters").await;
    assert_eq!(
        (
            counters["docs_write_requests"].as_u64(),
            counters["docs_read_requests"].as_u64()
        ),
        (Some(5), Some(2))
    );
}

/// Documents have more than top-level paragraphs: tables (cells hold paragraphs), headers,
/// footers and tabs (https://developers.google.com/workspace/docs/api/concepts/structure,
/// https://developers.google.com/workspace/docs/api/how-tos/tabs). documents.get puts the first
/// tab's content at the top level unless `includeTabsContent=true`, which fills `tabs` instead;
/// replaceAllText without tabsCriteria reaches every tab and segment.
#[tokio::test]
async fn tables_headers_footers_and_tabs_are_read_and_replaced() {
    use cremmy_sandbox::google::doc_model::{Block, DocModel, Segment, TabModel};
    let sb = sandbox().await;
    let access = json_of(&connect(&sb, DRIVE_FILE).await, "access_token");
    let docs = docs_hub(&sb, &access);
    let p = |t: &str| Block::Paragraph(format!("{t}\n"));
    let model = DocModel {
        tabs: vec![
            TabModel {
                id: "t.0".into(),
                title: "Offer".into(),
                body: vec![
                    p("Offer for {{client_name}}"),
                    Block::Table(vec![vec![vec![p("Price")], vec![p("{{price}}")]]]),
                ],
                headers: vec![Segment {
                    id: "kix.h1".into(),
                    content: vec![p("{{client_name}} confidential")],
                }],
                footers: vec![Segment {
                    id: "kix.f1".into(),
                    content: vec![p("Page footer {{date}}")],
                }],
            },
            TabModel {
                id: "t.1".into(),
                title: "Terms".into(),
                body: vec![p("Signed by {{client_name}}")],
                headers: vec![],
                footers: vec![],
            },
        ],
    };
    let id = sb
        .shared
        .lock()
        .google
        .drives
        .entry("consultant@sandbox.example".into())
        .or_default()
        .create("Offer", DOC_MIME, vec![], model.to_bytes())
        .id;

    let (_, first_tab) = docs.documents().get(&id).doit().await.unwrap();
    assert!(first_tab.tabs.is_none(), "no tabs unless asked for");
    let body = serde_json::to_value(&first_tab.body).unwrap();
    assert_eq!(
        body["content"][2]["table"]["tableRows"][0]["tableCells"][1]["content"][0]["paragraph"]
            ["elements"][0]["textRun"]["content"],
        "{{price}}\n",
        "a table cell holds paragraphs: {body}"
    );
    let headers = first_tab.headers.expect("the first tab's headers");
    assert_eq!(headers["kix.h1"].header_id.as_deref(), Some("kix.h1"));
    assert!(first_tab.footers.is_some());

    let (_, all) = docs
        .documents()
        .get(&id)
        .include_tabs_content(true)
        .doit()
        .await
        .unwrap();
    assert!(
        all.body.is_none(),
        "with tabs, the top level holds no content"
    );
    let tabs = all.tabs.expect("every tab");
    assert_eq!(tabs.len(), 2);
    assert_eq!(
        tabs[1].tab_properties.as_ref().unwrap().title.as_deref(),
        Some("Terms")
    );

    let (_, replies) = docs
        .documents()
        .batch_update(
            replace(&[("{{client_name}}", "Acme"), ("{{price}}", "9 EUR")]),
            &id,
        )
        .doit()
        .await
        .unwrap();
    let counts: Vec<i32> = replies
        .replies
        .unwrap()
        .iter()
        .map(|r| {
            r.replace_all_text
                .as_ref()
                .and_then(|t| t.occurrences_changed)
                .unwrap_or(0)
        })
        .collect();
    assert_eq!(
        counts,
        [3, 1],
        "body, header and second tab; the table cell"
    );
    let stored = {
        let world = sb.shared.lock();
        let file = world.google.drives["consultant@sandbox.example"]
            .files
            .iter()
            .find(|f| f.id == id)
            .unwrap()
            .clone();
        DocModel::of(&file.content).all_text()
    };
    assert!(
        stored.contains("Acme confidential")
            && stored.contains("9 EUR")
            && stored.contains("Signed by Acme")
            && stored.contains("{{date}}"),
        "{stored}"
    );
}

/// `drive.file` reaches only files the app created or the user opened with it
/// (https://developers.google.com/workspace/drive/api/guides/api-specific-auth): the user's own
/// Doc is "not found" to it, while `documents.readonly` reads it. An upload asking for the Google
/// Docs type converts a .docx (guides/manage-uploads, "Import to Google Docs types").
#[tokio::test]
async fn drive_file_sees_only_the_apps_docs_and_a_docx_upload_is_converted() {
    use cremmy_sandbox::google::docx;
    let sb = sandbox().await;
    let own = sb
        .shared
        .lock()
        .google
        .drives
        .entry("consultant@sandbox.example".into())
        .or_default()
        .create_users_own("Mine", DOC_MIME, vec![], b"Private text\n".to_vec())
        .id;
    let narrow = json_of(&connect(&sb, DRIVE_FILE).await, "access_token");
    let hidden = docs_hub(&sb, &narrow).documents().get(&own).doit().await;
    assert!(
        matches!(&hidden, Err(google_docs1::Error::BadRequest(v)) if v["error"]["code"] == 404),
        "drive.file does not see the user's own Doc: {hidden:?}"
    );
    let (_, listed) = drive_hub(&sb, &narrow).files().list().doit().await.unwrap();
    assert!(listed.files.unwrap_or_default().is_empty(), "nor lists it");
    let wide = json_of(
        &connect(&sb, "https://www.googleapis.com/auth/documents.readonly").await,
        "access_token",
    );
    let (_, read) = docs_hub(&sb, &wide)
        .documents()
        .get(&own)
        .doit()
        .await
        .unwrap();
    assert_eq!(body_text(&read), "Private text\n");

    let octet: mime::Mime =
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            .parse()
            .unwrap();
    let (_, imported) = drive_hub(&sb, &narrow)
        .files()
        .create(File {
            name: Some("Contract".into()),
            mime_type: Some(DOC_MIME.into()),
            ..Default::default()
        })
        .upload(
            std::io::Cursor::new(docx::build(&["Dear {{contact_name}},", "A & B <C>"])),
            octet.clone(),
        )
        .await
        .expect("an import");
    assert_eq!(imported.mime_type.as_deref(), Some(DOC_MIME));
    let (_, doc) = docs_hub(&sb, &narrow)
        .documents()
        .get(imported.id.as_deref().unwrap())
        .doit()
        .await
        .expect("the app sees what it imported");
    assert_eq!(body_text(&doc), "Dear {{contact_name}},\nA & B <C>\n");
    let garbage = drive_hub(&sb, &narrow)
        .files()
        .create(File {
            name: Some("Broken".into()),
            mime_type: Some(DOC_MIME.into()),
            ..Default::default()
        })
        .upload(std::io::Cursor::new(b"not a package".to_vec()), octet)
        .await;
    assert!(
        garbage.is_err(),
        "a file Drive cannot convert is refused: {garbage:?}"
    );
}
