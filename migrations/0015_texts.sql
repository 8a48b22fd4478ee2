-- Text messages (SMS and WhatsApp) sent or received through a texting account, keyed by the
-- provider's id per account, so a re-poll never duplicates one. An outbound text follows the
-- provider's status until it is final; an inbound one from a number no contact has waits with no
-- activity ("Unmatched") until the user attaches it to a contact.
CREATE TABLE texts (
    id            INTEGER PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    sid           TEXT    NOT NULL,
    direction     TEXT    NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    channel       TEXT    NOT NULL CHECK (channel IN ('sms', 'whatsapp')),
    from_address  TEXT    NOT NULL,
    to_address    TEXT    NOT NULL,
    body          TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    final         INTEGER NOT NULL DEFAULT 0 CHECK (final IN (0, 1)),
    error_code    INTEGER,
    error_message TEXT,
    segments      INTEGER NOT NULL DEFAULT 1,
    activity_id   INTEGER REFERENCES activities (id) ON DELETE SET NULL,
    -- The outbox job that sent it (a retry finds it here instead of sending again).
    job_key       TEXT,
    sent_at       INTEGER NOT NULL,
    -- When Cremmy recorded it (an inbound text is announced once, by this time).
    recorded_at   INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    UNIQUE (account_id, sid)
) STRICT;
CREATE INDEX texts_in_flight ON texts (account_id) WHERE final = 0 AND direction = 'outbound';
CREATE INDEX texts_unmatched ON texts (sent_at DESC) WHERE activity_id IS NULL AND direction = 'inbound';
CREATE INDEX texts_recorded ON texts (recorded_at) WHERE direction = 'inbound';
CREATE INDEX texts_by_activity ON texts (activity_id) WHERE activity_id IS NOT NULL;
CREATE UNIQUE INDEX texts_by_job ON texts (job_key) WHERE job_key IS NOT NULL;

-- Numbers (E.164) that answered STOP: texts to them are refused until they answer START.
CREATE TABLE text_opt_outs (
    number  TEXT    PRIMARY KEY,
    keyword TEXT    NOT NULL,
    since   INTEGER NOT NULL
) STRICT;

-- A bulk text: how many recipients it had (sent, failed and pending are counted from its jobs,
-- whose keys start with `bulk-text:<id>:`) and how many were skipped before sending.
CREATE TABLE text_batches (
    id         TEXT    PRIMARY KEY,
    total      INTEGER NOT NULL,
    skipped    INTEGER NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
