-- The CRM itself: clients, contacts, pipeline, deals, activities, tasks, documents, search.
-- Times are INTEGER milliseconds since the Unix epoch (UTC); calendar dates are 'YYYY-MM-DD' text.
-- Money is INTEGER minor units plus an ISO 4217 currency code, never floating point.

CREATE TABLE clients (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL CHECK (length(trim(name)) > 0),
    kind        TEXT NOT NULL DEFAULT 'organisation' CHECK (kind IN ('organisation', 'individual')),
    website     TEXT NOT NULL DEFAULT '',
    domain      TEXT NOT NULL DEFAULT '',          -- lower-case host derived from website
    notes       TEXT NOT NULL DEFAULT '',
    archived    INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX clients_by_name ON clients (archived, name COLLATE NOCASE);
CREATE INDEX clients_by_updated ON clients (archived, updated_at);

CREATE TABLE tags (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(trim(name)) > 0)
) STRICT;
CREATE TABLE client_tags (
    client_id INTEGER NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    tag_id    INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (client_id, tag_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX client_tags_by_tag ON client_tags (tag_id, client_id);

-- User-defined fields on clients, each with a type the UI edits and validates.
CREATE TABLE custom_fields (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(trim(name)) > 0),
    value_type TEXT NOT NULL CHECK (value_type IN ('text', 'number', 'date', 'bool', 'url')),
    position   INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE TABLE client_field_values (
    client_id INTEGER NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    field_id  INTEGER NOT NULL REFERENCES custom_fields (id) ON DELETE CASCADE,
    value     TEXT NOT NULL,
    PRIMARY KEY (client_id, field_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE contacts (
    id         INTEGER PRIMARY KEY,
    client_id  INTEGER NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    name       TEXT NOT NULL CHECK (length(trim(name)) > 0),
    title      TEXT NOT NULL DEFAULT '',
    archived   INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX contacts_by_client ON contacts (client_id);

-- Emails are the key that matches mail and calendar attendees to contacts: stored lower-case and
-- unique across all contacts.
CREATE TABLE contact_emails (
    id         INTEGER PRIMARY KEY,
    contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    email      TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (email = lower(email) AND instr(email, '@') > 1),
    is_primary INTEGER NOT NULL DEFAULT 0 CHECK (is_primary IN (0, 1))
) STRICT;
CREATE INDEX contact_emails_by_contact ON contact_emails (contact_id);
CREATE UNIQUE INDEX contact_emails_one_primary ON contact_emails (contact_id) WHERE is_primary = 1;

CREATE TABLE contact_phones (
    id         INTEGER PRIMARY KEY,
    contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    phone      TEXT NOT NULL CHECK (length(trim(phone)) > 0),
    is_primary INTEGER NOT NULL DEFAULT 0 CHECK (is_primary IN (0, 1))
) STRICT;
CREATE INDEX contact_phones_by_contact ON contact_phones (contact_id);
CREATE UNIQUE INDEX contact_phones_one_primary ON contact_phones (contact_id) WHERE is_primary = 1;

CREATE TABLE stages (
    id       INTEGER PRIMARY KEY,
    name     TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(trim(name)) > 0),
    position INTEGER NOT NULL,
    kind     TEXT NOT NULL DEFAULT 'open' CHECK (kind IN ('open', 'won', 'lost'))
) STRICT;
INSERT INTO stages (name, position, kind) VALUES
    ('Lead', 0, 'open'), ('Qualified', 1, 'open'), ('Proposal', 2, 'open'),
    ('Negotiation', 3, 'open'), ('Won', 4, 'won'), ('Lost', 5, 'lost');

CREATE TABLE deals (
    id             INTEGER PRIMARY KEY,
    client_id      INTEGER NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    title          TEXT NOT NULL CHECK (length(trim(title)) > 0),
    value_minor    INTEGER NOT NULL DEFAULT 0 CHECK (value_minor >= 0),
    currency       TEXT NOT NULL DEFAULT 'USD' CHECK (length(currency) = 3 AND currency = upper(currency)),
    stage_id       INTEGER NOT NULL REFERENCES stages (id),
    owner          TEXT NOT NULL DEFAULT '',
    expected_close TEXT,
    position       INTEGER NOT NULL,
    won_at         INTEGER,
    lost_at        INTEGER,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
) STRICT;
CREATE INDEX deals_by_stage ON deals (stage_id, position);
CREATE INDEX deals_by_client ON deals (client_id);

CREATE TABLE activities (
    id          INTEGER PRIMARY KEY,
    client_id   INTEGER NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    contact_id  INTEGER REFERENCES contacts (id) ON DELETE SET NULL,
    deal_id     INTEGER REFERENCES deals (id) ON DELETE SET NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('email', 'meeting', 'call', 'sms', 'note', 'document', 'payment', 'system')),
    direction   TEXT NOT NULL DEFAULT 'none' CHECK (direction IN ('inbound', 'outbound', 'none')),
    subject     TEXT NOT NULL DEFAULT '',
    body        TEXT NOT NULL DEFAULT '',
    occurred_at INTEGER NOT NULL,
    source      TEXT NOT NULL DEFAULT 'local',
    external_id TEXT,
    created_at  INTEGER NOT NULL,
    UNIQUE (source, external_id)
) STRICT;
CREATE INDEX activities_timeline ON activities (client_id, occurred_at DESC, id DESC);
CREATE INDEX activities_by_deal ON activities (deal_id, occurred_at DESC) WHERE deal_id IS NOT NULL;

CREATE TABLE tasks (
    id          INTEGER PRIMARY KEY,
    title       TEXT NOT NULL CHECK (length(trim(title)) > 0),
    notes       TEXT NOT NULL DEFAULT '',
    due_date    TEXT,                 -- local calendar date, 'YYYY-MM-DD'
    due_time    TEXT,                 -- local wall time, 'HH:MM'; only with due_date
    reminder_at INTEGER,
    done_at     INTEGER,
    client_id   INTEGER REFERENCES clients (id) ON DELETE CASCADE,
    deal_id     INTEGER REFERENCES deals (id) ON DELETE SET NULL,
    created_at  INTEGER NOT NULL,
    CHECK (due_time IS NULL OR due_date IS NOT NULL)
) STRICT;
CREATE INDEX tasks_open_by_due ON tasks (due_date, due_time) WHERE done_at IS NULL;
CREATE INDEX tasks_by_client ON tasks (client_id) WHERE client_id IS NOT NULL;
CREATE INDEX tasks_done ON tasks (done_at) WHERE done_at IS NOT NULL;

CREATE TABLE documents (
    id          INTEGER PRIMARY KEY,
    client_id   INTEGER NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    deal_id     INTEGER REFERENCES deals (id) ON DELETE SET NULL,
    title       TEXT NOT NULL CHECK (length(trim(title)) > 0),
    kind        TEXT NOT NULL DEFAULT 'other' CHECK (kind IN ('proposal', 'contract', 'invoice', 'other')),
    local_path  TEXT,
    provider    TEXT,
    external_id TEXT,
    url         TEXT,
    created_at  INTEGER NOT NULL,
    CHECK (local_path IS NOT NULL OR (provider IS NOT NULL AND external_id IS NOT NULL)),
    UNIQUE (provider, external_id)
) STRICT;
CREATE INDEX documents_by_client ON documents (client_id, created_at DESC);

-- Full-text search across clients, contacts, deals and activities. The rowid encodes what a row
-- is: rowid = id * 8 + kind (1 client, 2 contact, 3 deal, 4 activity), so triggers find and
-- remove an entry by rowid without scanning.
CREATE VIRTUAL TABLE search_index USING fts5 (
    title, body,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);

CREATE TRIGGER clients_search_insert AFTER INSERT ON clients BEGIN
    INSERT INTO search_index (rowid, title, body) VALUES (new.id * 8 + 1, new.name, new.domain || ' ' || new.notes);
END;
CREATE TRIGGER clients_search_update AFTER UPDATE OF name, domain, notes ON clients BEGIN
    DELETE FROM search_index WHERE rowid = old.id * 8 + 1;
    INSERT INTO search_index (rowid, title, body) VALUES (new.id * 8 + 1, new.name, new.domain || ' ' || new.notes);
END;
CREATE TRIGGER clients_search_delete AFTER DELETE ON clients BEGIN
    DELETE FROM search_index WHERE rowid = old.id * 8 + 1;
END;

-- A contact's entry carries its name, title and every email address.
CREATE TRIGGER contacts_search_insert AFTER INSERT ON contacts BEGIN
    INSERT INTO search_index (rowid, title, body) VALUES (new.id * 8 + 2, new.name, new.title);
END;
CREATE TRIGGER contacts_search_update AFTER UPDATE OF name, title ON contacts BEGIN
    DELETE FROM search_index WHERE rowid = old.id * 8 + 2;
    INSERT INTO search_index (rowid, title, body)
        SELECT new.id * 8 + 2, new.name, new.title || ' ' || coalesce((SELECT group_concat(email, ' ') FROM contact_emails WHERE contact_id = new.id), '');
END;
CREATE TRIGGER contacts_search_delete AFTER DELETE ON contacts BEGIN
    DELETE FROM search_index WHERE rowid = old.id * 8 + 2;
END;
CREATE TRIGGER contact_emails_search_insert AFTER INSERT ON contact_emails BEGIN
    DELETE FROM search_index WHERE rowid = new.contact_id * 8 + 2;
    INSERT INTO search_index (rowid, title, body)
        SELECT c.id * 8 + 2, c.name, c.title || ' ' || coalesce((SELECT group_concat(email, ' ') FROM contact_emails WHERE contact_id = c.id), '')
        FROM contacts c WHERE c.id = new.contact_id;
END;
CREATE TRIGGER contact_emails_search_delete AFTER DELETE ON contact_emails BEGIN
    DELETE FROM search_index WHERE rowid = old.contact_id * 8 + 2;
    INSERT INTO search_index (rowid, title, body)
        SELECT c.id * 8 + 2, c.name, c.title || ' ' || coalesce((SELECT group_concat(email, ' ') FROM contact_emails WHERE contact_id = c.id), '')
        FROM contacts c WHERE c.id = old.contact_id;
END;

CREATE TRIGGER deals_search_insert AFTER INSERT ON deals BEGIN
    INSERT INTO search_index (rowid, title, body) VALUES (new.id * 8 + 3, new.title, new.owner);
END;
CREATE TRIGGER deals_search_update AFTER UPDATE OF title, owner ON deals BEGIN
    DELETE FROM search_index WHERE rowid = old.id * 8 + 3;
    INSERT INTO search_index (rowid, title, body) VALUES (new.id * 8 + 3, new.title, new.owner);
END;
CREATE TRIGGER deals_search_delete AFTER DELETE ON deals BEGIN
    DELETE FROM search_index WHERE rowid = old.id * 8 + 3;
END;

CREATE TRIGGER activities_search_insert AFTER INSERT ON activities WHEN new.kind <> 'system' BEGIN
    INSERT INTO search_index (rowid, title, body) VALUES (new.id * 8 + 4, new.subject, new.body);
END;
CREATE TRIGGER activities_search_update AFTER UPDATE OF subject, body ON activities WHEN new.kind <> 'system' BEGIN
    DELETE FROM search_index WHERE rowid = old.id * 8 + 4;
    INSERT INTO search_index (rowid, title, body) VALUES (new.id * 8 + 4, new.subject, new.body);
END;
CREATE TRIGGER activities_search_delete AFTER DELETE ON activities BEGIN
    DELETE FROM search_index WHERE rowid = old.id * 8 + 4;
END;
