//! "Generate proposal/contract" against the provider sandbox: the template's variables listed
//! first, the copy in the client's folder filled in one batchUpdate, and a failure midway leaving
//! nothing recorded and no half-filled copy.

use cremmy_core::HasErrorCode;
use cremmy_protocol::accounts::Feature;
use cremmy_protocol::crm::{DealInput, DocumentKind};
use cremmy_protocol::docs::{DocRequest, DocTemplates};
use cremmy_protocol::ErrorCode;
use serde_json::json;

use crate::accounts_support::connect;
use crate::mail_sync::{mail_world, post, requests, MailWorld};
use crate::support::{client, contact};

const OWNER: &str = "consultant@sandbox.example";
const DOC: &str = "application/vnd.google-apps.document";

/// A Google Doc in the consultant's sandbox Drive with this text.
fn template_doc(w: &MailWorld, text: &str) -> String {
    let mut world = w.t.sandbox.shared.lock();
    world
        .google
        .drives
        .entry(OWNER.into())
        .or_default()
        .create(
            "Proposal template",
            DOC,
            Vec::new(),
            text.as_bytes().to_vec(),
        )
        .id
}

/// Live documents other than the templates: (name, parent, text).
fn generated(w: &MailWorld) -> Vec<(String, String, String)> {
    let world = w.t.sandbox.shared.lock();
    world.google.drives[OWNER]
        .files
        .iter()
        .filter(|f| f.mime_type == DOC && !f.trashed && f.name != "Proposal template")
        .map(|f| {
            (
                f.name.clone(),
                f.parents[0].clone(),
                String::from_utf8_lossy(&f.content).to_string(),
            )
        })
        .collect()
}

async fn count(w: &MailWorld, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(w.t.db.pool())
        .await
        .unwrap()
}

const TEMPLATE: &str = "Proposal for {{client_name}}\nDear {{ contact_first_name }},\n\
    We propose {{deal_title}} for {{deal_value}}.\nValid from {{date}}. {{client_name}} signs below.\n";

#[tokio::test]
async fn a_proposal_is_copied_into_the_client_folder_and_filled_in_one_request() {
    let w = mail_world().await;
    let acme = client(&w.crm, "Acme").await;
    contact(&w.crm, acme.id, "Zoë Müller", &["zoe@acme.example"]).await;
    connect(&w.t, &[Feature::Docs]).await;
    let template = template_doc(&w, TEMPLATE);
    let saved = w
        .sync
        .set_doc_templates(&DocTemplates {
            proposal: format!("https://docs.google.com/document/d/{template}/edit"),
            contract: String::new(),
        })
        .await
        .unwrap();
    assert_eq!(saved.proposal, template);
    let request = DocRequest {
        client_id: acme.id,
        kind: DocumentKind::Proposal,
        deal_id: None,
    };

    // No deal yet: the preview says what is missing, and generating refuses before copying.
    let preview = w.sync.preview_document(&request).await.unwrap();
    assert_eq!(preview.template_title, "Proposal template");
    assert_eq!(
        preview.variables,
        [
            "client_name",
            "contact_first_name",
            "deal_title",
            "deal_value",
            "date"
        ]
    );
    assert_eq!(preview.missing, ["deal_title", "deal_value"]);
    assert!(preview.unknown.is_empty());
    let refused = w
        .sync
        .generate_document(&request)
        .await
        .expect_err("no deal to fill in");
    assert_eq!(refused.code(), ErrorCode::InvalidInput);
    assert!(refused.to_string().contains("deal_title"), "{refused}");
    assert!(generated(&w).is_empty(), "nothing was copied");

    w.crm
        .create_deal(&DealInput {
            client_id: acme.id,
            title: "Website relaunch".into(),
            value_minor: 1_250_000,
            currency: "EUR".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let done = w.sync.generate_document(&request).await.expect("generated");
    let docs = generated(&w);
    assert_eq!(docs.len(), 1);
    let (name, parent, text) = &docs[0];
    assert_eq!(name, "Proposal - Acme");
    let folder = w
        .crm
        .client_page(acme.id)
        .await
        .unwrap()
        .folder
        .expect("the client's folder was made");
    assert_eq!(parent, &folder.folder_id, "inside Cremmy CRM/Clients/Acme");
    assert!(!text.contains("{{"), "every variable replaced: {text}");
    assert!(
        text.contains("Dear Zoë,")
            && text.contains("Website relaunch for 12,500.00 EUR")
            && text.contains("Acme signs"),
        "{text}"
    );
    assert_eq!(
        requests(&w, |m, p| m == "POST" && p.ends_with(":batchUpdate")).len(),
        1,
        "one batchUpdate"
    );
    assert_eq!(done.document.title, "Proposal - Acme");
    assert_eq!(done.folder_url, folder.url);
    let page = w.crm.client_page(acme.id).await.unwrap();
    assert_eq!(page.documents.len(), 1, "a Document linked to the client");
    assert!(page.documents[0]
        .url
        .as_deref()
        .unwrap_or_default()
        .contains(done.document.external_id.as_deref().unwrap()));
    assert!(page
        .timeline
        .items
        .iter()
        .any(|a| a.subject == "Proposal generated: Proposal - Acme"));
}

#[tokio::test]
async fn unknown_variables_and_a_failure_midway_leave_nothing_behind() {
    let w = mail_world().await;
    let acme = client(&w.crm, "Acme").await;
    contact(&w.crm, acme.id, "Zoë Müller", &["zoe@acme.example"]).await;
    w.crm
        .create_deal(&DealInput {
            client_id: acme.id,
            title: "Audit".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let request = DocRequest {
        client_id: acme.id,
        kind: DocumentKind::Contract,
        deal_id: None,
    };

    connect(&w.t, &[Feature::MailIngest]).await;
    let e = w
        .sync
        .generate_document(&request)
        .await
        .expect_err("no Docs access");
    assert_eq!(e.code(), ErrorCode::NotConfigured);
    connect(&w.t, &[Feature::Docs]).await;
    let e = w
        .sync
        .generate_document(&request)
        .await
        .expect_err("no contract template");
    assert!(e.to_string().contains("contract template"), "{e}");

    let typo = template_doc(&w, "Contract with {{client_name}} for {{budjet}}.\n");
    w.sync
        .set_doc_templates(&DocTemplates {
            proposal: String::new(),
            contract: typo.clone(),
        })
        .await
        .unwrap();
    let preview = w.sync.preview_document(&request).await.unwrap();
    assert_eq!(preview.unknown, ["budjet"], "listed before generation");
    let e = w
        .sync
        .generate_document(&request)
        .await
        .expect_err("unknown variable");
    assert!(
        e.to_string().contains("budjet") && e.to_string().contains("nothing was generated"),
        "{e}"
    );
    assert!(generated(&w).is_empty());

    let good = template_doc(&w, "Contract with {{client_name}} about {{deal_title}}.\n");
    w.sync
        .set_doc_templates(&DocTemplates {
            proposal: String::new(),
            contract: good.clone(),
        })
        .await
        .unwrap();
    post(
        &w,
        "faults",
        json!({ "rules": [ { "path": ":batchUpdate", "times": 1, "fault": { "kind": "status", "status": 400, "reason": "badRequest" } } ] }),
    )
    .await;
    let e = w
        .sync
        .generate_document(&request)
        .await
        .expect_err("the fill failed");
    assert_eq!(e.code(), ErrorCode::ProviderUnavailable, "{e}");
    assert!(generated(&w).is_empty(), "the half-filled copy was trashed");
    assert_eq!(
        count(&w, "SELECT count(*) FROM documents").await,
        0,
        "nothing recorded as done"
    );
    assert_eq!(
        count(
            &w,
            "SELECT count(*) FROM activities WHERE kind = 'document'"
        )
        .await,
        0
    );

    let done = w
        .sync
        .generate_document(&request)
        .await
        .expect("the retry works");
    assert_eq!(done.document.title, "Contract - Acme");
    assert_eq!(generated(&w).len(), 1);
}

/// Placeholders live in table cells, headers, footers and other tabs as often as in paragraphs:
/// the preview lists them and generating fills them (Docs' replaceAllText reaches every tab).
#[tokio::test]
async fn placeholders_in_tables_headers_footers_and_tabs_are_found_and_filled() {
    use cremmy_sandbox::google::doc_model::{Block, DocModel, Segment, TabModel};
    let w = mail_world().await;
    let acme = client(&w.crm, "Acme").await;
    contact(&w.crm, acme.id, "Zoë Müller", &["zoe@acme.example"]).await;
    connect(&w.t, &[Feature::Docs]).await;
    let p = |t: &str| Block::Paragraph(format!("{t}\n"));
    let model = DocModel {
        tabs: vec![
            TabModel {
                id: "t.0".into(),
                title: "Offer".into(),
                body: vec![
                    p("Offer"),
                    Block::Table(vec![vec![vec![p("Price")], vec![p("{{deal_value}}")]]]),
                ],
                headers: vec![Segment {
                    id: "kix.h1".into(),
                    content: vec![p("{{client_name}} confidential")],
                }],
                footers: vec![Segment {
                    id: "kix.f1".into(),
                    content: vec![p("As of {{date}}")],
                }],
            },
            TabModel {
                id: "t.1".into(),
                title: "Terms".into(),
                body: vec![p("For {{deal_title}}")],
                headers: vec![],
                footers: vec![],
            },
        ],
    };
    let template = {
        let mut world = w.t.sandbox.shared.lock();
        world
            .google
            .drives
            .entry(OWNER.into())
            .or_default()
            .create("Proposal template", DOC, Vec::new(), model.to_bytes())
            .id
    };
    w.sync
        .set_doc_templates(&DocTemplates {
            proposal: template,
            contract: String::new(),
        })
        .await
        .unwrap();
    let request = DocRequest {
        client_id: acme.id,
        kind: DocumentKind::Proposal,
        deal_id: None,
    };
    let preview = w.sync.preview_document(&request).await.unwrap();
    let mut variables = preview.variables.clone();
    variables.sort();
    assert_eq!(
        variables,
        ["client_name", "date", "deal_title", "deal_value"],
        "the table cell, header, footer and second tab's variables are all listed"
    );
    assert_eq!(
        {
            let mut m = preview.missing.clone();
            m.sort();
            m
        },
        ["deal_title", "deal_value"],
        "and checked"
    );
    w.crm
        .create_deal(&DealInput {
            client_id: acme.id,
            title: "Website relaunch".into(),
            value_minor: 1_250_000,
            currency: "EUR".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    w.sync.generate_document(&request).await.expect("generated");
    let text = {
        let world = w.t.sandbox.shared.lock();
        let copy = world.google.drives[OWNER]
            .files
            .iter()
            .find(|f| f.mime_type == DOC && f.name == "Proposal - Acme")
            .expect("the copy")
            .clone();
        DocModel::of(&copy.content).all_text()
    };
    assert!(!text.contains("{{"), "every placeholder filled: {text}");
    assert!(
        text.contains("12,500.00 EUR")
            && text.contains("Acme confidential")
            && text.contains("For Website relaunch"),
        "{text}"
    );
}

/// Cremmy's Google access (`drive.file`) reaches only the Docs it created or the user uploaded
/// through it: a link to the user's own Doc cannot be read, and the message says what to do.
/// "Create a template" makes a starter Doc with every variable; "Upload a .docx template" imports
/// a Word file, converted by Drive.
#[tokio::test]
async fn templates_are_made_or_uploaded_through_cremmy_and_a_users_own_doc_is_explained() {
    use cremmy_protocol::docs::TemplateUpload;
    use cremmy_sandbox::google::docx;
    let w = mail_world().await;
    let acme = client(&w.crm, "Acme").await;
    contact(&w.crm, acme.id, "Zoë Müller", &["zoe@acme.example"]).await;
    connect(&w.t, &[Feature::Docs]).await;
    let request = DocRequest {
        client_id: acme.id,
        kind: DocumentKind::Proposal,
        deal_id: None,
    };

    // The user's own Doc, made in Google Docs: pasting its link saves, reading it fails clearly.
    let own = {
        let mut world = w.t.sandbox.shared.lock();
        world
            .google
            .drives
            .entry(OWNER.into())
            .or_default()
            .create_users_own(
                "My proposal",
                DOC,
                Vec::new(),
                b"Hi {{client_name}}\n".to_vec(),
            )
            .id
    };
    w.sync
        .set_doc_templates(&DocTemplates {
            proposal: own,
            contract: String::new(),
        })
        .await
        .unwrap();
    let e = w
        .sync
        .preview_document(&request)
        .await
        .expect_err("Cremmy may not open the user's own Doc");
    assert_eq!(e.code(), ErrorCode::InvalidInput, "{e}");
    let message = e.to_string();
    assert!(
        message.contains("Create a template") && message.contains("Upload a .docx template"),
        "the message offers the two ways that work: {message}"
    );

    // "Create a template": a starter Doc with every variable, set as the proposal template.
    let made = w
        .sync
        .create_doc_template(DocumentKind::Proposal)
        .await
        .expect("a starter template");
    assert!(made.url.contains(&made.templates.proposal), "{made:?}");
    let preview = w.sync.preview_document(&request).await.expect("readable");
    let mut variables = preview.variables.clone();
    variables.sort();
    let mut every: Vec<String> = cremmy_core::features::doc_templates::VARIABLES
        .iter()
        .map(|v| v.to_string())
        .collect();
    every.sort();
    assert_eq!(variables, every, "the starter names every variable");

    // "Upload a .docx template": bad files are refused before anything is uploaded.
    let creates = || requests(&w, |m, p| m == "POST" && p == "/upload/drive/v3/files").len();
    let upload = |file_name: &str, bytes: Vec<u8>| TemplateUpload {
        kind: DocumentKind::Contract,
        file_name: file_name.into(),
        bytes,
    };
    for (file, bytes, why) in [
        ("contract.txt", b"Hi".to_vec(), "not a .docx name"),
        (
            "contract.docx",
            b"Hi there".to_vec(),
            "not a ZIP package inside",
        ),
        ("contract.docx", Vec::new(), "empty"),
    ] {
        let e = w
            .sync
            .upload_doc_template(&upload(file, bytes))
            .await
            .expect_err(why);
        assert_eq!(e.code(), ErrorCode::InvalidInput, "{why}: {e}");
    }
    assert_eq!(creates(), 0, "nothing was uploaded for a bad file");
    assert!(
        w.sync.doc_templates().await.unwrap().contract.is_empty(),
        "and no template was set"
    );
    let word = docx::build(&[
        "Contract between us and {{client_name}}",
        "Signed for {{contact_name}} on {{date}} & kept.",
    ]);
    let imported = w
        .sync
        .upload_doc_template(&upload("Our contract.docx", word))
        .await
        .expect("imported");
    assert_eq!(creates(), 1);
    let contract_preview = w
        .sync
        .preview_document(&DocRequest {
            kind: DocumentKind::Contract,
            ..request.clone()
        })
        .await
        .expect("the imported Doc is readable");
    assert_eq!(contract_preview.template_title, "Our contract");
    assert_eq!(
        contract_preview.variables,
        ["client_name", "contact_name", "date"],
        "the Word file's paragraphs became the Doc's text"
    );
    assert_eq!(
        imported.templates.proposal, made.templates.proposal,
        "the proposal template stays"
    );
}

/// "Copy an existing Doc": reading the user's own Doc needs read access to their Docs, asked for
/// only then (incrementally, with the other grants kept); the copy is a Doc Cremmy made, set as
/// the template.
#[tokio::test]
async fn an_existing_doc_is_copied_once_read_access_is_granted() {
    let w = mail_world().await;
    let acme = client(&w.crm, "Acme").await;
    contact(&w.crm, acme.id, "Zoë Müller", &["zoe@acme.example"]).await;
    connect(&w.t, &[Feature::Docs]).await;
    let own = {
        let mut world = w.t.sandbox.shared.lock();
        world
            .google
            .drives
            .entry(OWNER.into())
            .or_default()
            .create_users_own(
                "Our proposal",
                DOC,
                Vec::new(),
                b"Dear {{contact_first_name}},\nfor {{client_name}}.\n".to_vec(),
            )
            .id
    };
    let link = format!("https://docs.google.com/document/d/{own}/edit");
    let e = w
        .sync
        .copy_doc_template(DocumentKind::Proposal, &link)
        .await
        .expect_err("no read access granted yet");
    assert_eq!(e.code(), ErrorCode::NotConfigured, "{e}");
    assert!(
        e.to_string().contains("Read your own Docs"),
        "the message names the access to grant: {e}"
    );
    // The user agrees: the same account grants read access to its Docs too.
    let account = connect(&w.t, &[Feature::Docs, Feature::DocsRead]).await;
    assert!(
        account.features.contains(&Feature::Docs),
        "earlier grants kept"
    );
    let made = w
        .sync
        .copy_doc_template(DocumentKind::Proposal, &link)
        .await
        .expect("copied");
    assert_ne!(made.templates.proposal, own, "a copy, not the user's Doc");
    let preview = w
        .sync
        .preview_document(&DocRequest {
            client_id: acme.id,
            kind: DocumentKind::Proposal,
            deal_id: None,
        })
        .await
        .expect("the copy is readable");
    assert_eq!(preview.template_title, "Our proposal (Cremmy template)");
    assert_eq!(preview.variables, ["contact_first_name", "client_name"]);
}
