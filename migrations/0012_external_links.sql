-- One table links Cremmy's records to things at providers: a client's Drive folder, the calendar
-- events a meeting activity came from, a task's calendar event, and (later) a CRM's company or
-- deal, an invoice. Each link says which provider and account, which local record (kind + rowid),
-- what the remote thing is to it (its role), the remote id, and what Cremmy last knew of it (a
-- version or modified time, feature state as JSON) and when.

CREATE TABLE external_links (
    id             INTEGER PRIMARY KEY,
    provider       TEXT    NOT NULL,
    account_id     INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    entity_kind    TEXT    NOT NULL CHECK (entity_kind IN ('client', 'contact', 'deal', 'activity', 'task', 'document')),
    local_id       INTEGER NOT NULL,
    -- 'folder' (client → its folder), 'meeting' (activity → an event it came from),
    -- 'task_event' (task → the event it was put on the calendar as).
    role           TEXT    NOT NULL,
    remote_id      TEXT    NOT NULL,
    url            TEXT,
    -- What identifies the remote version (an etag, a modified time; for a meeting its iCalUID).
    remote_version TEXT,
    -- The feature's own state for the link, as JSON (a task event's time zone and written time).
    state          TEXT,
    last_synced_at INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    UNIQUE (account_id, role, remote_id)
) STRICT;
CREATE INDEX external_links_by_entity ON external_links (entity_kind, local_id, role);
-- A client has one folder and a task one event, whichever account holds them.
CREATE UNIQUE INDEX external_links_one_per_entity ON external_links (entity_kind, local_id, role)
    WHERE role IN ('folder', 'task_event');

-- A deleted record takes its links with it (the remote things stay where they are).
CREATE TRIGGER clients_drop_links AFTER DELETE ON clients BEGIN
    DELETE FROM external_links WHERE entity_kind = 'client' AND local_id = old.id;
END;
CREATE TRIGGER contacts_drop_links AFTER DELETE ON contacts BEGIN
    DELETE FROM external_links WHERE entity_kind = 'contact' AND local_id = old.id;
END;
CREATE TRIGGER deals_drop_links AFTER DELETE ON deals BEGIN
    DELETE FROM external_links WHERE entity_kind = 'deal' AND local_id = old.id;
END;
CREATE TRIGGER activities_drop_links AFTER DELETE ON activities BEGIN
    DELETE FROM external_links WHERE entity_kind = 'activity' AND local_id = old.id;
END;
CREATE TRIGGER tasks_drop_links AFTER DELETE ON tasks BEGIN
    DELETE FROM external_links WHERE entity_kind = 'task' AND local_id = old.id;
END;
CREATE TRIGGER documents_drop_links AFTER DELETE ON documents BEGIN
    DELETE FROM external_links WHERE entity_kind = 'document' AND local_id = old.id;
END;

INSERT INTO external_links (provider, account_id, entity_kind, local_id, role, remote_id, url, last_synced_at, created_at)
    SELECT a.provider, f.account_id, 'client', f.client_id, 'folder', f.folder_id, f.url, f.created_at, f.created_at
    FROM client_folders f JOIN accounts a ON a.id = f.account_id;

INSERT INTO external_links (provider, account_id, entity_kind, local_id, role, remote_id, remote_version, last_synced_at, created_at)
    SELECT a.provider, e.account_id, 'activity', e.activity_id, 'meeting', e.event_id, e.ical_uid, c.created_at, c.created_at
    FROM calendar_events e JOIN accounts a ON a.id = e.account_id JOIN activities c ON c.id = e.activity_id;

INSERT INTO external_links (provider, account_id, entity_kind, local_id, role, remote_id, state, last_synced_at, created_at)
    SELECT a.provider, t.account_id, 'task', t.task_id, 'task_event', t.event_id,
           json_object('time_zone', t.time_zone, 'written', t.written), t.created_at, t.created_at
    FROM task_events t JOIN accounts a ON a.id = t.account_id;

DROP TABLE client_folders;
DROP TABLE calendar_events;
DROP TABLE task_events;
