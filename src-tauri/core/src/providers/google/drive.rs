//! Google Drive as a [`FolderTree`]. Folders are made by a metadata-only `files.create` (the
//! generated client only offers media uploads, which Drive refuses for folders); every other call
//! goes through google-drive3.

use google_drive3::api::File;
use serde_json::json;

use super::{incomplete, Connector, GoogleError, Session};
use crate::failure::SourceError;
use crate::features::client_folder::{Folder, FolderTree};

pub const FOLDER_MIME: &str = "application/vnd.google-apps.folder";
const FIELDS: &str = "id,name,trashed,webViewLink";

pub struct GoogleDrive {
    session: Session,
    drive: google_drive3::DriveHub<Connector>,
}

impl GoogleDrive {
    pub fn new(session: &Session) -> GoogleDrive {
        GoogleDrive {
            session: session.clone(),
            drive: session.drive(),
        }
    }
}

/// A value inside a single-quoted `q` string.
fn quoted(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

fn folder_of(file: File) -> Option<Folder> {
    let id = file.id?;
    Some(Folder {
        url: file
            .web_view_link
            .unwrap_or_else(|| format!("https://drive.google.com/drive/folders/{id}")),
        name: file.name.unwrap_or_default(),
        id,
    })
}

/// The file with these `fields`, or `None` if it was deleted or is in the trash (Docs and Sheets
/// keep answering for a trashed file, so Drive is asked).
pub(super) async fn live_file(
    session: &Session,
    drive: &google_drive3::DriveHub<Connector>,
    id: &str,
    fields: &str,
) -> Result<Option<File>, SourceError> {
    let mut policy = session.meter().policy();
    let found = session
        .timed(
            "drive files.get",
            drive
                .files()
                .get(id)
                .param("fields", fields)
                .delegate(&mut policy)
                .doit(),
        )
        .await;
    match found {
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
        Ok(f) if f.trashed == Some(true) => Ok(None),
        Ok(f) => Ok(Some(f)),
    }
}

/// Live files with this name and type (in `parent`, if given), oldest first: Drive's files.list.
pub(super) struct NamedFiles<'a> {
    pub name: &'a str,
    pub mime_type: &'a str,
    pub parent: Option<&'a str>,
    /// The `fields` selector, e.g. `files(id)`.
    pub fields: &'a str,
    pub limit: i32,
}

impl NamedFiles<'_> {
    pub async fn list(
        &self,
        session: &Session,
        drive: &google_drive3::DriveHub<Connector>,
    ) -> Result<Vec<File>, SourceError> {
        let mut q = format!(
            "name = {} and mimeType = {}",
            quoted(self.name),
            quoted(self.mime_type)
        );
        if let Some(parent) = self.parent {
            q.push_str(&format!(" and {} in parents", quoted(parent)));
        }
        q.push_str(" and trashed = false");
        let mut policy = session.meter().policy();
        let list = session
            .timed(
                "drive files.list",
                drive
                    .files()
                    .list()
                    .q(&q)
                    .order_by("createdTime")
                    .page_size(self.limit)
                    .param("fields", self.fields)
                    .delegate(&mut policy)
                    .doit(),
            )
            .await?;
        Ok(list.files.unwrap_or_default())
    }
}

/// Moves a file to the trash.
pub(super) async fn trash_file(
    session: &Session,
    drive: &google_drive3::DriveHub<Connector>,
    id: &str,
) -> Result<(), SourceError> {
    let mut policy = session.meter().policy();
    session
        .timed(
            "drive files.update",
            drive
                .files()
                .update(
                    File {
                        trashed: Some(true),
                        ..Default::default()
                    },
                    id,
                )
                .delegate(&mut policy)
                .doit_without_upload(),
        )
        .await?;
    Ok(())
}

impl FolderTree for GoogleDrive {
    async fn folder(&self, id: &str) -> Result<Option<Folder>, SourceError> {
        Ok(live_file(&self.session, &self.drive, id, FIELDS)
            .await?
            .and_then(folder_of))
    }

    async fn children_named(
        &self,
        parent: Option<&str>,
        name: &str,
    ) -> Result<Vec<Folder>, SourceError> {
        let named = NamedFiles {
            name,
            mime_type: FOLDER_MIME,
            parent: Some(parent.unwrap_or("root")),
            fields: "files(id,name,trashed,webViewLink)",
            limit: 10,
        };
        Ok(named
            .list(&self.session, &self.drive)
            .await?
            .into_iter()
            .filter_map(folder_of)
            .collect())
    }

    async fn create(&self, parent: Option<&str>, name: &str) -> Result<Folder, SourceError> {
        let api = "drive files.create";
        let body = json!({
            "name": name,
            "mimeType": FOLDER_MIME,
            "parents": [parent.unwrap_or("root")],
        });
        let url = format!("{}files?fields={}", self.session.drive_base(), FIELDS);
        let call = self.session.json_call(api, "POST", &url, &body);
        // json_call keeps to the call time limit itself.
        let made = call.await.map_err(SourceError::from)?;
        let file: File = serde_json::from_value(made)
            .map_err(|source| SourceError::from(GoogleError::Garbled { api, source }))?;
        folder_of(file).ok_or_else(|| incomplete(api, "the folder came back without an id"))
    }

    async fn trash(&self, id: &str) -> Result<(), SourceError> {
        trash_file(&self.session, &self.drive, id).await
    }
}
