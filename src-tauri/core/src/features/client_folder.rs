//! A Drive folder per client: `Cremmy CRM/Clients/<Client name>`. Every level is looked up before
//! it is created, and a create is checked afterwards: if another run (another window, another
//! device) made the same folder at the same moment, both keep the oldest and the newer one is
//! trashed, so a client never ends up with two folders. The folder is then tracked by id, so
//! renaming the client (or the folder) keeps the link.

use std::future::Future;

use cremmy_protocol::crm::ClientFolder;

use crate::clock::Timestamp;
use crate::db::Database;
use crate::external_links::{self as links, EntityKind, NewLink, Role};
use crate::failure::SourceError;
use crate::feature_error::SyncError;

/// The folders above each client's folder, from the top of My Drive.
pub const PARENTS: [&str; 2] = ["Cremmy CRM", "Clients"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folder {
    pub id: String,
    pub name: String,
    pub url: String,
}

/// A tree of folders (Google Drive; OneDrive could follow).
pub trait FolderTree: Sync {
    /// The folder, or `None` if it was deleted or trashed.
    fn folder(&self, id: &str) -> impl Future<Output = Result<Option<Folder>, SourceError>> + Send;
    /// Live folders named `name` directly under `parent` (`None`: the top of the drive), oldest
    /// first.
    fn children_named(
        &self,
        parent: Option<&str>,
        name: &str,
    ) -> impl Future<Output = Result<Vec<Folder>, SourceError>> + Send;
    fn create(
        &self,
        parent: Option<&str>,
        name: &str,
    ) -> impl Future<Output = Result<Folder, SourceError>> + Send;
    fn trash(&self, id: &str) -> impl Future<Output = Result<(), SourceError>> + Send;
}

/// What `ensure` did, for the sync log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FolderRun {
    /// Folders created (0 when everything already existed).
    pub created: i64,
    /// Duplicates a racing run made, trashed.
    pub trashed: i64,
}

/// The folder named `name` under `parent`, made if missing; a duplicate made by a racing run is
/// resolved to the oldest.
async fn ensure_child(
    tree: &impl FolderTree,
    parent: Option<&str>,
    name: &str,
    run: &mut FolderRun,
) -> Result<Folder, SourceError> {
    if let Some(existing) = tree.children_named(parent, name).await?.into_iter().next() {
        return Ok(existing);
    }
    let made = tree.create(parent, name).await?;
    run.created += 1;
    let oldest = tree
        .children_named(parent, name)
        .await?
        .into_iter()
        .next()
        .unwrap_or_else(|| made.clone());
    if oldest.id != made.id {
        tree.trash(&made.id).await?;
        run.trashed += 1;
        run.created -= 1;
    }
    Ok(oldest)
}

/// Drive names may hold anything but a folder name of only spaces is confusing; trims and caps it.
pub fn folder_name(client_name: &str) -> String {
    let name: String = client_name
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    if name.is_empty() {
        "Unnamed client".into()
    } else {
        name
    }
}

/// The client's folder in `account_id`'s Drive: the stored one if it is still there, else
/// `Cremmy CRM/Clients/<name>` found or made, then stored on the client.
pub async fn ensure_client_folder(
    db: &Database,
    tree: &impl FolderTree,
    account_id: i64,
    client_id: i64,
    now: Timestamp,
    run: &mut FolderRun,
) -> Result<ClientFolder, SyncError> {
    let client: Option<String> = sqlx::query_scalar("SELECT name FROM clients WHERE id = ?")
        .bind(client_id)
        .fetch_optional(db.pool())
        .await?;
    let client_name = client.ok_or(SyncError::NoSuchClient { client_id })?;
    let mut conn = db.pool().acquire().await?;
    let stored = links::of_record(
        &mut conn,
        EntityKind::Client,
        client_id,
        Role::Folder,
        Some(account_id),
    )
    .await?;
    drop(conn);
    if let Some(id) = stored.into_iter().next().map(|l| l.remote_id) {
        if tree.folder(&id).await?.is_some() {
            return Ok(stored_folder(db.pool(), client_id)
                .await?
                .expect("the row was just read"));
        }
    }
    let mut parent: Option<Folder> = None;
    for name in PARENTS {
        parent = Some(ensure_child(tree, parent.as_ref().map(|f| f.id.as_str()), name, run).await?);
    }
    let folder = ensure_child(
        tree,
        parent.as_ref().map(|f| f.id.as_str()),
        &folder_name(&client_name),
        run,
    )
    .await?;
    let link = NewLink {
        account_id,
        entity: EntityKind::Client,
        local_id: client_id,
        role: Role::Folder,
        remote_id: &folder.id,
        url: Some(&folder.url),
        remote_version: None,
        state: None,
    };
    let mut tx = db.writer().begin().await?;
    links::put(&mut tx, &link, now).await?;
    tx.commit().await?;
    Ok(stored_folder(db.pool(), client_id)
        .await?
        .expect("the row was just written"))
}

/// The folder stored on a client, if any.
pub async fn stored_folder(
    pool: &sqlx::SqlitePool,
    client_id: i64,
) -> Result<Option<ClientFolder>, sqlx::Error> {
    let row: Option<(String, String, String)> = sqlx::query_as(
        "SELECT l.remote_id, coalesce(l.url, ''), a.email FROM external_links l \
         JOIN accounts a ON a.id = l.account_id \
         WHERE l.entity_kind = 'client' AND l.local_id = ? AND l.role = 'folder'",
    )
    .bind(client_id)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|(folder_id, url, account_email)| ClientFolder {
        folder_id,
        url,
        account_email,
    }))
}
