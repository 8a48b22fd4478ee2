-- The folders Cremmy keeps at the top of an account's drive ("Cremmy CRM", "Cremmy CRM/Clients"),
-- tracked by id. A drive's name search can miss a folder made a moment ago, so a name is only
-- searched to recover a folder whose id Cremmy does not know; a known id is confirmed with a get
-- by id, which is read-after-write consistent. When two runs on this machine make the same folder
-- at once, the first id recorded wins and the other run's folder is trashed.
CREATE TABLE account_folders (
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    path       TEXT    NOT NULL,
    remote_id  TEXT    NOT NULL,
    PRIMARY KEY (account_id, path)
) STRICT;
