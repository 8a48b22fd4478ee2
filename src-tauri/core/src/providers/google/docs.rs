//! Google Docs + Drive as a [`DocStore`]: documents.get for a template's text, files.copy into the
//! client's folder, one documents.batchUpdate of replaceAllText requests, files.update to trash.

use google_docs1::api::{
    BatchUpdateDocumentRequest, ReplaceAllTextRequest, Request, StructuralElement,
    SubstringMatchCriteria,
};
use google_drive3::api::File;

use super::{incomplete, Connector, Session};
use crate::failure::SourceError;
use crate::features::doc_templates::DocStore;

pub struct GoogleDocs {
    session: Session,
    docs: google_docs1::Docs<Connector>,
    drive: google_drive3::DriveHub<Connector>,
}

impl GoogleDocs {
    pub fn new(session: &Session) -> GoogleDocs {
        GoogleDocs {
            session: session.clone(),
            docs: session.docs(),
            drive: session.drive(),
        }
    }
}

/// The document's text: every text run of every paragraph, in tables too, of the body, headers,
/// footers and footnotes of every tab (and child tab), in order; placeholders can be anywhere
/// replaceAllText reaches (https://developers.google.com/workspace/docs/api/concepts/structure,
/// https://developers.google.com/workspace/docs/api/how-tos/tabs). A document read without tabs
/// content (or from before tabs) has its content at the top level.
fn text_of(doc: &google_docs1::api::Document) -> String {
    let mut text = String::new();
    match &doc.tabs {
        Some(tabs) if !tabs.is_empty() => tabs_text(tabs, &mut text),
        _ => {
            let segments = Segments {
                body: doc.body.as_ref().and_then(|b| b.content.as_deref()),
                headers: doc.headers.as_ref(),
                footers: doc.footers.as_ref(),
                footnotes: doc.footnotes.as_ref(),
            };
            segments.text(&mut text);
        }
    }
    text
}

fn tabs_text(tabs: &[google_docs1::api::Tab], text: &mut String) {
    for tab in tabs {
        if let Some(d) = &tab.document_tab {
            let segments = Segments {
                body: d.body.as_ref().and_then(|b| b.content.as_deref()),
                headers: d.headers.as_ref(),
                footers: d.footers.as_ref(),
                footnotes: d.footnotes.as_ref(),
            };
            segments.text(text);
        }
        tabs_text(tab.child_tabs.as_deref().unwrap_or_default(), text);
    }
}

/// One tab's (or a tab-less document's) text segments.
struct Segments<'a> {
    body: Option<&'a [StructuralElement]>,
    headers: Option<&'a std::collections::HashMap<String, google_docs1::api::Header>>,
    footers: Option<&'a std::collections::HashMap<String, google_docs1::api::Footer>>,
    footnotes: Option<&'a std::collections::HashMap<String, google_docs1::api::Footnote>>,
}

impl Segments<'_> {
    fn text(&self, text: &mut String) {
        elements_text(self.body.unwrap_or_default(), text);
        // Maps have no order: by id, so the variables list is the same on every read.
        let sorted = |ids: Vec<(&String, Option<&Vec<StructuralElement>>)>, text: &mut String| {
            let mut ids = ids;
            ids.sort_by_key(|(id, _)| id.as_str());
            for (_, content) in ids {
                elements_text(content.map(Vec::as_slice).unwrap_or_default(), text);
            }
        };
        sorted(
            self.headers
                .into_iter()
                .flatten()
                .map(|(id, h)| (id, h.content.as_ref()))
                .collect(),
            text,
        );
        sorted(
            self.footers
                .into_iter()
                .flatten()
                .map(|(id, f)| (id, f.content.as_ref()))
                .collect(),
            text,
        );
        sorted(
            self.footnotes
                .into_iter()
                .flatten()
                .map(|(id, f)| (id, f.content.as_ref()))
                .collect(),
            text,
        );
    }
}

/// The text of paragraphs, and of the paragraphs in table cells (tables nest).
fn elements_text(elements: &[StructuralElement], text: &mut String) {
    for element in elements {
        for run in element
            .paragraph
            .iter()
            .flat_map(|p| p.elements.iter().flatten())
            .filter_map(|e| e.text_run.as_ref())
        {
            text.push_str(run.content.as_deref().unwrap_or(""));
        }
        for cell in element
            .table
            .iter()
            .flat_map(|t| t.table_rows.iter().flatten())
            .flat_map(|r| r.table_cells.iter().flatten())
        {
            elements_text(cell.content.as_deref().unwrap_or_default(), text);
        }
    }
}

impl DocStore for GoogleDocs {
    fn provider(&self) -> cremmy_protocol::Provider {
        cremmy_protocol::Provider::Google
    }

    fn document_noun(&self) -> &'static str {
        "Google Doc"
    }

    async fn read(&self, id: &str) -> Result<Option<(String, String)>, SourceError> {
        self.session.pace("docs.read", 1).await;
        let mut policy = self.session.meter().policy();
        match self
            .session
            .timed(
                "docs documents.get",
                self.docs
                    .documents()
                    .get(id)
                    .include_tabs_content(true)
                    .delegate(&mut policy)
                    .doit(),
            )
            .await
        {
            Ok(doc) => Ok(Some((doc.title.clone().unwrap_or_default(), text_of(&doc)))),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn copy_into(
        &self,
        id: &str,
        name: &str,
        folder: &str,
    ) -> Result<(String, String), SourceError> {
        let api = "drive files.copy";
        let mut policy = self.session.meter().policy();
        let copy = self
            .session
            .timed(
                api,
                self.drive
                    .files()
                    .copy(
                        File {
                            name: Some(name.to_string()),
                            parents: Some(vec![folder.to_string()]),
                            ..Default::default()
                        },
                        id,
                    )
                    .param("fields", "id,webViewLink")
                    .delegate(&mut policy)
                    .doit(),
            )
            .await?;
        let id = copy
            .id
            .ok_or_else(|| incomplete(api, "the copy came back without an id"))?;
        let url = copy
            .web_view_link
            .unwrap_or_else(|| format!("https://docs.google.com/document/d/{id}/edit"));
        Ok((id, url))
    }

    async fn replace_all(&self, id: &str, pairs: &[(String, String)]) -> Result<(), SourceError> {
        let requests = pairs
            .iter()
            .map(|(find, value)| Request {
                replace_all_text: Some(ReplaceAllTextRequest {
                    contains_text: Some(SubstringMatchCriteria {
                        text: Some(find.clone()),
                        match_case: Some(true),
                        ..Default::default()
                    }),
                    replace_text: Some(value.clone()),
                    ..Default::default()
                }),
                ..Default::default()
            })
            .collect();
        self.session.pace("docs.write", 1).await;
        let mut policy = self.session.meter().policy();
        self.session
            .timed(
                "docs documents.batchUpdate",
                self.docs
                    .documents()
                    .batch_update(
                        BatchUpdateDocumentRequest {
                            requests: Some(requests),
                            ..Default::default()
                        },
                        id,
                    )
                    .delegate(&mut policy)
                    .doit(),
            )
            .await?;
        Ok(())
    }

    async fn trash(&self, id: &str) -> Result<(), SourceError> {
        super::drive::trash_file(&self.session, &self.drive, id).await
    }

    async fn create_with_text(
        &self,
        title: &str,
        text: &str,
    ) -> Result<(String, String), SourceError> {
        // documents.create makes an empty Doc (drive.file covers files Cremmy creates), then one
        // batchUpdate inserts the text at the start of the body (index 1).
        let api = "docs documents.create";
        self.session.pace("docs.write", 1).await;
        let mut policy = self.session.meter().policy();
        let made = self
            .session
            .timed(
                api,
                self.docs
                    .documents()
                    .create(google_docs1::api::Document {
                        title: Some(title.to_string()),
                        ..Default::default()
                    })
                    .delegate(&mut policy)
                    .doit(),
            )
            .await?;
        let id = made
            .document_id
            .ok_or_else(|| incomplete(api, "the document came back without its id"))?;
        let insert: BatchUpdateDocumentRequest = serde_json::from_value(serde_json::json!({
            "requests": [{ "insertText": { "location": { "index": 1 }, "text": text } }]
        }))
        .map_err(|source| {
            SourceError::from(super::GoogleError::Garbled {
                api: "docs documents.batchUpdate",
                source,
            })
        })?;
        self.session.pace("docs.write", 1).await;
        let mut policy = self.session.meter().policy();
        self.session
            .timed(
                "docs documents.batchUpdate",
                self.docs
                    .documents()
                    .batch_update(insert, &id)
                    .delegate(&mut policy)
                    .doit(),
            )
            .await?;
        let url = format!("https://docs.google.com/document/d/{id}/edit");
        Ok((id, url))
    }

    async fn import_docx(
        &self,
        title: &str,
        bytes: Vec<u8>,
    ) -> Result<(String, String), SourceError> {
        // An upload whose metadata asks for the Google Docs type is converted by Drive
        // (https://developers.google.com/workspace/drive/api/guides/manage-uploads, "Import to
        // Google Docs types").
        let api = "drive files.create (import)";
        let docx: mime::Mime =
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
                .parse()
                .expect("the .docx MIME type parses");
        let mut policy = self.session.meter().policy();
        let made = self
            .session
            .timed(
                api,
                self.drive
                    .files()
                    .create(File {
                        name: Some(title.to_string()),
                        mime_type: Some("application/vnd.google-apps.document".into()),
                        ..Default::default()
                    })
                    .param("fields", "id,webViewLink")
                    .delegate(&mut policy)
                    .upload(std::io::Cursor::new(bytes), docx),
            )
            .await?;
        let id = made
            .id
            .ok_or_else(|| incomplete(api, "the import came back without its id"))?;
        let url = made
            .web_view_link
            .unwrap_or_else(|| format!("https://docs.google.com/document/d/{id}/edit"));
        Ok((id, url))
    }
}
