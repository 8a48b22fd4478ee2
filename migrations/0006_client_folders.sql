-- A Google Drive folder per client ("Cremmy CRM/Clients/<name>"), tracked by the folder's id so a
-- rename on either side keeps the link. One folder per client; a folder belongs to one client.
CREATE TABLE client_folders (
    client_id  INTEGER PRIMARY KEY REFERENCES clients (id) ON DELETE CASCADE,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    folder_id  TEXT    NOT NULL,
    url        TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (account_id, folder_id)
) STRICT;

-- Preferences for Google Workspace features live in `settings` ('drive.folder_on_create').
