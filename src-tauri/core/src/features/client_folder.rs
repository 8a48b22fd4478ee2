//! A Drive folder per client: `Cremmy CRM/Clients/<Client name>`. Every level is tracked by id
//! (the parents in `account_folders`, the client's folder in its link) and confirmed with a get
//! by id, which is read-after-write consistent; Drive's name search, which can miss a folder made
//! a moment ago, only recovers a folder whose id is not known. When two runs make the same folder
//! at once, the first id recorded wins and the other run trashes its own, so a client never ends
//! up with two folders. Renaming the client (or the folder) keeps the link.

use std::future::Future;

use cremmy_protocol::crm::ClientFolder;

use crate::clock::Timestamp;
use crate::db::Database;
use crate::external_links::{self as links, EntityKind, NewLink, Role};
use crate::failure::SourceError;
use crate::feature_error::{Fault, FeatureError};

/// How a client's folder fails.
#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error("Check the {field}: {reason}.")]
    Invalid { field: &'static str, reason: String },
    #[error("Client {client_id} does not exist (it may have been deleted).")]
    NoSuchClient { client_id: i64 },
    #[error("{}", crate::db::describe(.0))]
    Db(#[from] sqlx::Error),
}

impl FeatureError for FolderError {
    fn fault(&self) -> Fault<'_> {
        match self {
            FolderError::Source(e) => Fault::Provider(e),
            FolderError::Invalid { .. } => Fault::Input,
            FolderError::NoSuchClient { .. } => Fault::Missing,
            FolderError::Db(_) => Fault::Storage,
        }
    }
}

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

/// A folder found by name or just made, before it is claimed.
struct Candidate {
    folder: Folder,
    made: bool,
}

/// The live folder named `name` under `parent` (the oldest, if several), or a new one. Name
/// search is for recovery only: it may miss a folder made a moment ago, which the claim settles.
async fn find_or_make(
    tree: &impl FolderTree,
    parent: Option<&str>,
    name: &str,
    run: &mut FolderRun,
) -> Result<Candidate, SourceError> {
    if let Some(found) = tree.children_named(parent, name).await?.into_iter().next() {
        return Ok(Candidate {
            folder: found,
            made: false,
        });
    }
    let made = tree.create(parent, name).await?;
    run.created += 1;
    Ok(Candidate {
        folder: made,
        made: true,
    })
}

/// The candidate if its id won the claim; else the winner's folder, and the candidate trashed if
/// this run made it (another run recorded its folder first).
async fn settle(
    tree: &impl FolderTree,
    candidate: Candidate,
    winner: &str,
    run: &mut FolderRun,
) -> Result<Folder, SourceError> {
    if candidate.folder.id == winner {
        return Ok(candidate.folder);
    }
    let Some(theirs) = tree.folder(winner).await? else {
        // The winner is already gone (trashed meanwhile): keep ours; the next run re-claims.
        return Ok(candidate.folder);
    };
    if candidate.made {
        tree.trash(&candidate.folder.id).await?;
        run.trashed += 1;
        run.created -= 1;
    }
    Ok(theirs)
}

/// One of the folders above the clients' (`path` like "Cremmy CRM/Clients"): the kept id if the
/// folder is still there, else found by name or made, and claimed.
async fn ensure_parent(
    db: &Database,
    tree: &impl FolderTree,
    account_id: i64,
    parent: Option<&str>,
    path: &str,
    name: &str,
    run: &mut FolderRun,
) -> Result<Folder, FolderError> {
    let kept: Option<String> = sqlx::query_scalar(
        "SELECT remote_id FROM account_folders WHERE account_id = ? AND path = ?",
    )
    .bind(account_id)
    .bind(path)
    .fetch_optional(db.pool())
    .await?;
    if let Some(id) = kept {
        if let Some(folder) = tree.folder(&id).await? {
            return Ok(folder);
        }
        // Trashed or deleted by the user: find or make it again.
        sqlx::query(
            "DELETE FROM account_folders WHERE account_id = ? AND path = ? AND remote_id = ?",
        )
        .bind(account_id)
        .bind(path)
        .bind(&id)
        .execute(db.writer())
        .await?;
    }
    let candidate = find_or_make(tree, parent, name, run).await?;
    let winner: String = sqlx::query_scalar(
        "INSERT INTO account_folders (account_id, path, remote_id) VALUES (?, ?, ?) \
         ON CONFLICT (account_id, path) DO UPDATE SET remote_id = remote_id RETURNING remote_id",
    )
    .bind(account_id)
    .bind(path)
    .bind(&candidate.folder.id)
    .fetch_one(db.writer())
    .await?;
    Ok(settle(tree, candidate, &winner, run).await?)
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
) -> Result<ClientFolder, FolderError> {
    let client: Option<String> = sqlx::query_scalar("SELECT name FROM clients WHERE id = ?")
        .bind(client_id)
        .fetch_optional(db.pool())
        .await?;
    let client_name = client.ok_or(FolderError::NoSuchClient { client_id })?;
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
    // The folder this run found stored and gone (a link to it is no claim).
    let stored_id = stored.into_iter().next().map(|l| l.remote_id);
    if let Some(id) = &stored_id {
        if tree.folder(id).await?.is_some() {
            return Ok(stored_folder(db.pool(), client_id)
                .await?
                .expect("the row was just read"));
        }
    }
    let mut parent: Option<Folder> = None;
    let mut path = String::new();
    for name in PARENTS {
        if !path.is_empty() {
            path.push('/');
        }
        path.push_str(name);
        let above = parent.as_ref().map(|f| f.id.as_str());
        parent = Some(ensure_parent(db, tree, account_id, above, &path, name, run).await?);
    }
    let above = parent.as_ref().map(|f| f.id.as_str());
    let candidate = find_or_make(tree, above, &folder_name(&client_name), run).await?;
    // Claimed through the client's link: a run that recorded another folder first wins.
    let mut tx = db.writer().begin().await?;
    let recorded = links::of_record(
        &mut tx,
        EntityKind::Client,
        client_id,
        Role::Folder,
        Some(account_id),
    )
    .await?
    .into_iter()
    .next()
    .map(|l| l.remote_id)
    .filter(|id| Some(id) != stored_id.as_ref());
    let winner = recorded.unwrap_or_else(|| candidate.folder.id.clone());
    if winner == candidate.folder.id {
        let link = NewLink {
            account_id,
            entity: EntityKind::Client,
            local_id: client_id,
            role: Role::Folder,
            remote_id: &candidate.folder.id,
            url: Some(&candidate.folder.url),
            remote_version: None,
            state: None,
        };
        links::put(&mut tx, &link, now).await?;
    }
    tx.commit().await?;
    settle(tree, candidate, &winner, run).await?;
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
