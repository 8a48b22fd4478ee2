-- Sync with providers: where each stream of each account got to, what every run did, and the
-- provider items behind imported activities.

-- One row per account and stream ('gmail', later 'calendar:primary', 'sheets:leads'...). The cursor
-- (Gmail historyId, Calendar syncToken...) is written in the same transaction as the items it
-- covers, so a crash mid-run resumes without loss or duplicates.
CREATE TABLE sync_cursors (
    account_id     INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    stream         TEXT    NOT NULL,
    cursor         TEXT,
    -- The look-back window the last full sync covered (ms since the epoch).
    full_since     INTEGER,
    full_synced_at INTEGER,
    reconciled_at  INTEGER,
    updated_at     INTEGER NOT NULL,
    PRIMARY KEY (account_id, stream)
) STRICT, WITHOUT ROWID;

-- Contact addresses whose past mail an account has already searched, so a contact added later is
-- back-filled once.
CREATE TABLE mail_covered_addresses (
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    email      TEXT    NOT NULL COLLATE NOCASE,
    PRIMARY KEY (account_id, email)
) STRICT, WITHOUT ROWID;

-- The email behind an `email` activity. Message-ID is the key across accounts and re-syncs.
CREATE TABLE emails (
    activity_id INTEGER PRIMARY KEY REFERENCES activities (id) ON DELETE CASCADE,
    message_id  TEXT    NOT NULL UNIQUE,
    thread_id   TEXT    NOT NULL,
    from_addr   TEXT    NOT NULL,
    to_addrs    TEXT    NOT NULL,
    in_reply_to TEXT,
    -- Outgoing mail Cremmy watches for an answer, and when the client answered.
    tracked     INTEGER NOT NULL DEFAULT 0 CHECK (tracked IN (0, 1)),
    replied_at  INTEGER
) STRICT;
CREATE INDEX emails_by_thread ON emails (thread_id);

-- Which Gmail message (per account) an email activity came from: reconciliation compares the
-- mailbox's ids with these.
CREATE TABLE gmail_messages (
    account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    gmail_id    TEXT    NOT NULL,
    thread_id   TEXT    NOT NULL,
    activity_id INTEGER NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    PRIMARY KEY (account_id, gmail_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX gmail_messages_by_thread ON gmail_messages (account_id, thread_id);

-- One row per sync run or job: what it fetched, created and skipped, the calls it made, how long
-- it took and how it ended. Old rows are pruned.
CREATE TABLE sync_runs (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    integration TEXT    NOT NULL,
    -- 'full', 'incremental', 'reconcile', 'backfill', 'export'...
    kind        TEXT    NOT NULL,
    trigger     TEXT    NOT NULL CHECK (trigger IN ('manual', 'schedule', 'cli', 'startup')),
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    status      TEXT    NOT NULL CHECK (status IN ('running', 'ok', 'failed')),
    fetched     INTEGER NOT NULL DEFAULT 0,
    created     INTEGER NOT NULL DEFAULT 0,
    skipped     INTEGER NOT NULL DEFAULT 0,
    -- Items a reconciliation found missing and imported.
    recovered   INTEGER NOT NULL DEFAULT 0,
    api_calls   INTEGER NOT NULL DEFAULT 0,
    error_code  TEXT,
    error       TEXT
) STRICT;
CREATE INDEX sync_runs_recent ON sync_runs (started_at DESC);
CREATE INDEX sync_runs_by_account ON sync_runs (account_id, started_at DESC);
