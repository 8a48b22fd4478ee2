-- The events automation rules and outbound webhooks hear, recorded by triggers in the very
-- transaction that made them: a crash can neither lose an event nor record it twice. A row is
-- handed to the webhook endpoints subscribed to its kind once (`dispatched_at`).
-- History arriving in bulk is not news: mail and texts count when they arrive within a day of
-- being written, meetings when they are still ahead as they are recorded (booked).
CREATE TABLE event_journal (
    id            INTEGER PRIMARY KEY,
    gid           TEXT NOT NULL UNIQUE,
    kind          TEXT NOT NULL,
    client_id     INTEGER,
    deal_id       INTEGER,
    activity_id   INTEGER,
    from_stage_id INTEGER,
    to_stage_id   INTEGER,
    detail        TEXT,
    occurred_at   INTEGER NOT NULL,
    recorded_at   INTEGER NOT NULL,
    dispatched_at INTEGER
) STRICT;
CREATE INDEX event_journal_waiting ON event_journal (id) WHERE dispatched_at IS NULL;
CREATE INDEX event_journal_by_time ON event_journal (recorded_at);

CREATE TRIGGER journal_client_created AFTER INSERT ON clients BEGIN
    INSERT INTO event_journal (gid, kind, client_id, occurred_at, recorded_at)
    VALUES ('evt_' || lower(hex(randomblob(12))), 'client_created', new.id, new.created_at, new.created_at);
END;
CREATE TRIGGER journal_deal_created AFTER INSERT ON deals BEGIN
    INSERT INTO event_journal (gid, kind, client_id, deal_id, to_stage_id, occurred_at, recorded_at)
    VALUES ('evt_' || lower(hex(randomblob(12))), 'deal_created', new.client_id, new.id, new.stage_id, new.created_at, new.created_at);
END;
CREATE TRIGGER journal_deal_moved AFTER UPDATE OF stage_id ON deals WHEN new.stage_id <> old.stage_id BEGIN
    INSERT INTO event_journal (gid, kind, client_id, deal_id, from_stage_id, to_stage_id, occurred_at, recorded_at)
    VALUES ('evt_' || lower(hex(randomblob(12))), 'deal_stage_changed', new.client_id, new.id, old.stage_id, new.stage_id, new.updated_at, new.updated_at);
    INSERT INTO event_journal (gid, kind, client_id, deal_id, from_stage_id, to_stage_id, occurred_at, recorded_at)
    SELECT 'evt_' || lower(hex(randomblob(12))), 'deal_' || s.kind, new.client_id, new.id, old.stage_id, new.stage_id, new.updated_at, new.updated_at
    FROM stages s WHERE s.id = new.stage_id AND s.kind IN ('won', 'lost');
END;
CREATE TRIGGER journal_activity_arrived AFTER INSERT ON activities
WHEN (new.kind = 'meeting' AND new.occurred_at >= new.created_at)
  OR (new.kind IN ('email', 'sms') AND new.direction = 'inbound' AND new.occurred_at >= new.created_at - 86400000)
BEGIN
    INSERT INTO event_journal (gid, kind, client_id, deal_id, activity_id, occurred_at, recorded_at)
    VALUES ('evt_' || lower(hex(randomblob(12))),
            CASE new.kind WHEN 'meeting' THEN 'meeting_booked' WHEN 'email' THEN 'email_received' ELSE 'text_received' END,
            new.client_id, new.deal_id, new.id,
            CASE new.kind WHEN 'meeting' THEN new.created_at ELSE new.occurred_at END, new.created_at);
END;
CREATE TRIGGER journal_meeting_cancelled AFTER UPDATE OF subject ON activities
WHEN new.kind = 'meeting' AND new.subject LIKE 'Cancelled: %' AND old.subject NOT LIKE 'Cancelled: %'
BEGIN
    INSERT INTO event_journal (gid, kind, client_id, deal_id, activity_id, occurred_at, recorded_at)
    VALUES ('evt_' || lower(hex(randomblob(12))), 'meeting_cancelled', new.client_id, new.deal_id, new.id,
            coalesce(new.updated_at, new.created_at), coalesce(new.updated_at, new.created_at));
END;

-- Where events are pushed. The signing secret (whsec_…), the previous one during a rotation and
-- the optional Authorization header live in the OS keychain under the endpoint's gid.
CREATE TABLE webhook_endpoints (
    id                   INTEGER PRIMARY KEY,
    gid                  TEXT NOT NULL UNIQUE,
    url                  TEXT NOT NULL CHECK (length(url) <= 2000),
    events               TEXT NOT NULL,
    active               INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    has_auth_header      INTEGER NOT NULL DEFAULT 0 CHECK (has_auth_header IN (0, 1)),
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    failing_since        INTEGER,
    disabled_reason      TEXT,
    rotated_at           INTEGER,
    -- The journal's last event when the endpoint was made: it receives only later ones.
    journal_from         INTEGER NOT NULL DEFAULT 0,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
) STRICT;

-- The push log: every attempt, what was sent and what came back.
CREATE TABLE webhook_attempts (
    id               INTEGER PRIMARY KEY,
    endpoint_id      INTEGER NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id         INTEGER,
    webhook_id       TEXT NOT NULL,
    event_kind       TEXT NOT NULL,
    payload          TEXT NOT NULL,
    status           INTEGER,
    response_excerpt TEXT NOT NULL DEFAULT '',
    duration_ms      INTEGER NOT NULL,
    error            TEXT,
    attempted_at     INTEGER NOT NULL
) STRICT;
CREATE INDEX webhook_attempts_by_endpoint ON webhook_attempts (endpoint_id, id DESC);

-- The home currency, when the user has not chosen one, is the one most deals use: counted from
-- this index instead of the deals' rows (every lead-score update asks).
CREATE INDEX deals_by_currency ON deals (currency);
