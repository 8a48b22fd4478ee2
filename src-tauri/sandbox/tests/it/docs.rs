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
