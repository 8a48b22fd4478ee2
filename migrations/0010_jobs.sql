-- Outgoing work (send an email, write a draft, make a folder, generate a document, export the
-- pipeline, put a task on the calendar…) as durable jobs: a job survives a crash or a lost network
-- and runs again until it succeeds, or ends in the dead-letter state the user can retry from.

CREATE TABLE jobs (
    id              INTEGER PRIMARY KEY,
    -- 'send_email', 'deal_draft', 'client_folder', 'generate_doc', 'export_sheets', 'task_event'.
    kind            TEXT    NOT NULL,
    -- One key per job: what makes the job's effect at the provider recognisable (the Message-ID of
    -- an email, the id of an event) when a crash hid whether an attempt got through.
    idempotency_key TEXT    NOT NULL UNIQUE,
    -- What to do, as JSON (the job's input).
    payload         TEXT    NOT NULL,
    -- What the user sees in the outbox ("Email to Ada Lovelace: Proposal").
    title           TEXT    NOT NULL,
    -- Higher runs first (something the user waits for before a background job).
    priority        INTEGER NOT NULL DEFAULT 0,
    status          TEXT    NOT NULL CHECK (status IN ('queued', 'running', 'done', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    max_attempts    INTEGER NOT NULL,
    next_run_at     INTEGER NOT NULL,
    last_error_code TEXT,
    last_error      TEXT,
    -- The answer of the attempt that succeeded, as JSON.
    result          TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX jobs_due ON jobs (status, priority DESC, next_run_at);

-- A client's reply to a tracked email is announced once (native notification); replies recorded
-- before this version count as announced.
ALTER TABLE emails ADD COLUMN reply_announced INTEGER NOT NULL DEFAULT 0 CHECK (reply_announced IN (0, 1));
UPDATE emails SET reply_announced = 1 WHERE replied_at IS NOT NULL;
