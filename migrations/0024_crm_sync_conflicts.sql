-- CRM sync (issue 22): every conflict a two-way sync resolved (both sides changed a field since
-- the last sync), with both values and which won, for Sync history.
CREATE TABLE crm_sync_conflicts (
    id           INTEGER PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    entity_kind  TEXT    NOT NULL CHECK (entity_kind IN ('client', 'contact', 'deal')),
    local_id     INTEGER NOT NULL,
    remote_id    TEXT    NOT NULL,
    field        TEXT    NOT NULL,
    cremmy_value TEXT    NOT NULL,
    remote_value TEXT    NOT NULL,
    remote_won   INTEGER NOT NULL CHECK (remote_won IN (0, 1)),
    resolved_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX crm_sync_conflicts_by_account ON crm_sync_conflicts (account_id, resolved_at);
