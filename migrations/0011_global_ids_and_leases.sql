-- Every CRM row gets a stable global id (a UUIDv7 string) beside its rowid, and an `updated_at`,
-- so entity links to other systems, multi-device sync and team mode need no second migration of
-- every table. New rows get their id from the core's one CRM writer (`crm/write.rs`); existing rows
-- get one here, made from their creation time (48-bit Unix milliseconds), the version nibble 7,
-- the RFC 9562 variant bits and random bits.

ALTER TABLE clients ADD COLUMN gid TEXT;
ALTER TABLE contacts ADD COLUMN gid TEXT;
ALTER TABLE deals ADD COLUMN gid TEXT;
ALTER TABLE activities ADD COLUMN gid TEXT;
ALTER TABLE tasks ADD COLUMN gid TEXT;
ALTER TABLE documents ADD COLUMN gid TEXT;

ALTER TABLE activities ADD COLUMN updated_at INTEGER;
ALTER TABLE tasks ADD COLUMN updated_at INTEGER;
ALTER TABLE documents ADD COLUMN updated_at INTEGER;
UPDATE activities SET updated_at = created_at;
UPDATE tasks SET updated_at = coalesce(done_at, created_at);
UPDATE documents SET updated_at = created_at;

-- lower(hex) of: 6 bytes of time | 7 + 3 hex random | one of 8,9,a,b + 3 hex random | 12 hex random.
UPDATE clients SET gid = lower(
    substr(printf('%012x', created_at), 1, 8) || '-' || substr(printf('%012x', created_at), 9, 4)
    || '-7' || substr(hex(randomblob(2)), 2, 3)
    || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2, 3)
    || '-' || hex(randomblob(6)));
UPDATE contacts SET gid = lower(
    substr(printf('%012x', created_at), 1, 8) || '-' || substr(printf('%012x', created_at), 9, 4)
    || '-7' || substr(hex(randomblob(2)), 2, 3)
    || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2, 3)
    || '-' || hex(randomblob(6)));
UPDATE deals SET gid = lower(
    substr(printf('%012x', created_at), 1, 8) || '-' || substr(printf('%012x', created_at), 9, 4)
    || '-7' || substr(hex(randomblob(2)), 2, 3)
    || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2, 3)
    || '-' || hex(randomblob(6)));
UPDATE activities SET gid = lower(
    substr(printf('%012x', created_at), 1, 8) || '-' || substr(printf('%012x', created_at), 9, 4)
    || '-7' || substr(hex(randomblob(2)), 2, 3)
    || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2, 3)
    || '-' || hex(randomblob(6)));
UPDATE tasks SET gid = lower(
    substr(printf('%012x', created_at), 1, 8) || '-' || substr(printf('%012x', created_at), 9, 4)
    || '-7' || substr(hex(randomblob(2)), 2, 3)
    || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2, 3)
    || '-' || hex(randomblob(6)));
UPDATE documents SET gid = lower(
    substr(printf('%012x', created_at), 1, 8) || '-' || substr(printf('%012x', created_at), 9, 4)
    || '-7' || substr(hex(randomblob(2)), 2, 3)
    || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2, 3)
    || '-' || hex(randomblob(6)));

CREATE UNIQUE INDEX clients_by_gid ON clients (gid);
CREATE UNIQUE INDEX contacts_by_gid ON contacts (gid);
CREATE UNIQUE INDEX deals_by_gid ON deals (gid);
CREATE UNIQUE INDEX activities_by_gid ON activities (gid);
CREATE UNIQUE INDEX tasks_by_gid ON tasks (gid);
CREATE UNIQUE INDEX documents_by_gid ON documents (gid);

-- Owner leases: a running job or sync run names the process that runs it and when that process
-- last said it was alive. Start-up recovery takes over only work whose owner is gone (its pid is
-- not running, or its heartbeat is stale), never the work of a concurrent `cremmy sync --once`.
ALTER TABLE jobs ADD COLUMN owner_pid INTEGER;
ALTER TABLE jobs ADD COLUMN heartbeat_at INTEGER;
ALTER TABLE sync_runs ADD COLUMN owner_pid INTEGER;
ALTER TABLE sync_runs ADD COLUMN heartbeat_at INTEGER;

-- Activity sources name what a feature made, not the provider that carried it.
UPDATE activities SET source = 'mail-draft' WHERE source = 'gmail-draft';
UPDATE activities SET source = 'generated-doc' WHERE source = 'google-docs';

-- Cursor streams name what is pulled, not the provider.
UPDATE sync_cursors SET stream = 'mail' WHERE stream = 'gmail';

-- Which mailbox message (by the mailbox's own id and thread) an activity came from: any provider's,
-- not only Gmail's.
ALTER TABLE gmail_messages RENAME TO mailbox_messages;
ALTER TABLE mailbox_messages RENAME COLUMN gmail_id TO provider_id;
DROP INDEX gmail_messages_by_thread;
CREATE INDEX mailbox_messages_by_thread ON mailbox_messages (account_id, thread_id);
