//! Google Docs + Drive as a [`DocStore`]: documents.get for a template's text, files.copy into the
//! client's folder, one documents.batchUpdate of replaceAllText requests, files.update to trash.

use google_docs1::api::{
    BatchUpdateDocumentRequest, ReplaceAllTextRequest, Request, SubstringMatchCriteria,
};
use google_drive3::api::File;

use super::{incomplete, timed, Connector, Session};
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

/// The document's text: every text run of every paragraph, in order.
fn text_of(doc: &google_docs1::api::Document) -> String {
    let mut text = String::new();
    for element in doc.body.iter().flat_map(|b| b.content.iter().flatten()) {
        for run in element
            .paragraph
            .iter()
            .flat_map(|p| p.elements.iter().flatten())
            .filter_map(|e| e.text_run.as_ref())
        {
            text.push_str(run.content.as_deref().unwrap_or(""));
        }
    }
    text
}

impl DocStore for GoogleDocs {
    fn provider(&self) -> cremmy_protocol::Provider {
        cremmy_protocol::Provider::Google
    }

    fn document_noun(&self) -> &'static str {
        "Google Doc"
    }

    async fn read(&self, id: &str) -> Result<Option<(String, String)>, SourceError> {
        let mut policy = self.session.meter().policy();
        match timed(
            "docs documents.get",
            self.docs.documents().get(id).delegate(&mut policy).doit(),
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
        let copy = timed(
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
        let mut policy = self.session.meter().policy();
        timed(
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
}
