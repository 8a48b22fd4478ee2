-- Automation rules: a trigger (an event kind), conditions, an optional delay and actions, all as
-- JSON the core validates. A rule hears the journal's events recorded after it was made.
CREATE TABLE automation_rules (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL CHECK (length(trim(name)) > 0),
    trigger      TEXT NOT NULL,
    conditions   TEXT NOT NULL,
    delay        TEXT,
    actions      TEXT NOT NULL,
    enabled      INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    journal_from INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
) STRICT;

-- A rule acts once per event: the pair is unique. `actions_done` lets an interrupted run go on
-- from the next action instead of repeating the first.
CREATE TABLE rule_runs (
    id           INTEGER PRIMARY KEY,
    rule_id      INTEGER NOT NULL REFERENCES automation_rules (id) ON DELETE CASCADE,
    event_id     INTEGER NOT NULL,
    due_at       INTEGER NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('waiting', 'done', 'failed', 'refused')),
    detail       TEXT NOT NULL DEFAULT '',
    actions_done INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    UNIQUE (rule_id, event_id)
) STRICT;
CREATE INDEX rule_runs_by_rule ON rule_runs (rule_id, id DESC);

-- Which rules caused an event (",3,7,") and how deep that chain is: a rule never acts on an event
-- it caused, and chains stop at a small depth.
ALTER TABLE event_journal ADD COLUMN cause_chain TEXT NOT NULL DEFAULT ',';
ALTER TABLE event_journal ADD COLUMN depth INTEGER NOT NULL DEFAULT 0;
