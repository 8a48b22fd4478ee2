-- Search at scale: one FTS index for clients, contacts and deals (small, ranked by relevance) and
-- one for activities (large: read newest first, so a common word never ranks a million rows).
-- Also a covering index so the board's per-stage totals never read the deals table itself.

DROP TRIGGER clients_search_insert;
DROP TRIGGER clients_search_update;
DROP TRIGGER clients_search_delete;
DROP TRIGGER contacts_search_insert;
DROP TRIGGER contacts_search_update;
DROP TRIGGER contacts_search_delete;
DROP TRIGGER contact_emails_search_insert;
DROP TRIGGER contact_emails_search_delete;
DROP TRIGGER deals_search_insert;
DROP TRIGGER deals_search_update;
DROP TRIGGER deals_search_delete;
DROP TRIGGER activities_search_insert;
DROP TRIGGER activities_search_update;
DROP TRIGGER activities_search_delete;
DROP TABLE search_index;

-- rowid = id * 8 + kind (1 client, 2 contact, 3 deal).
CREATE VIRTUAL TABLE search_entities USING fts5 (
    title, body,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);
-- rowid = activities.id.
CREATE VIRTUAL TABLE search_activities USING fts5 (
    title, body,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);

CREATE TRIGGER clients_fts_insert AFTER INSERT ON clients BEGIN
    INSERT INTO search_entities (rowid, title, body) VALUES (new.id * 8 + 1, new.name, new.domain || ' ' || new.notes);
END;
CREATE TRIGGER clients_fts_update AFTER UPDATE OF name, domain, notes ON clients BEGIN
    DELETE FROM search_entities WHERE rowid = old.id * 8 + 1;
    INSERT INTO search_entities (rowid, title, body) VALUES (new.id * 8 + 1, new.name, new.domain || ' ' || new.notes);
END;
CREATE TRIGGER clients_fts_delete AFTER DELETE ON clients BEGIN
    DELETE FROM search_entities WHERE rowid = old.id * 8 + 1;
END;

-- A contact's entry carries its name, title and every email address.
CREATE TRIGGER contacts_fts_insert AFTER INSERT ON contacts BEGIN
    INSERT INTO search_entities (rowid, title, body) VALUES (new.id * 8 + 2, new.name, new.title);
END;
CREATE TRIGGER contacts_fts_update AFTER UPDATE OF name, title ON contacts BEGIN
    DELETE FROM search_entities WHERE rowid = old.id * 8 + 2;
    INSERT INTO search_entities (rowid, title, body)
        SELECT new.id * 8 + 2, new.name, new.title || ' ' || coalesce((SELECT group_concat(email, ' ') FROM contact_emails WHERE contact_id = new.id), '');
END;
CREATE TRIGGER contacts_fts_delete AFTER DELETE ON contacts BEGIN
    DELETE FROM search_entities WHERE rowid = old.id * 8 + 2;
END;
CREATE TRIGGER contact_emails_fts_insert AFTER INSERT ON contact_emails BEGIN
    DELETE FROM search_entities WHERE rowid = new.contact_id * 8 + 2;
    INSERT INTO search_entities (rowid, title, body)
        SELECT c.id * 8 + 2, c.name, c.title || ' ' || coalesce((SELECT group_concat(email, ' ') FROM contact_emails WHERE contact_id = c.id), '')
        FROM contacts c WHERE c.id = new.contact_id;
END;
CREATE TRIGGER contact_emails_fts_delete AFTER DELETE ON contact_emails BEGIN
    DELETE FROM search_entities WHERE rowid = old.contact_id * 8 + 2;
    INSERT INTO search_entities (rowid, title, body)
        SELECT c.id * 8 + 2, c.name, c.title || ' ' || coalesce((SELECT group_concat(email, ' ') FROM contact_emails WHERE contact_id = c.id), '')
        FROM contacts c WHERE c.id = old.contact_id;
END;

CREATE TRIGGER deals_fts_insert AFTER INSERT ON deals BEGIN
    INSERT INTO search_entities (rowid, title, body) VALUES (new.id * 8 + 3, new.title, new.owner);
END;
CREATE TRIGGER deals_fts_update AFTER UPDATE OF title, owner ON deals BEGIN
    DELETE FROM search_entities WHERE rowid = old.id * 8 + 3;
    INSERT INTO search_entities (rowid, title, body) VALUES (new.id * 8 + 3, new.title, new.owner);
END;
CREATE TRIGGER deals_fts_delete AFTER DELETE ON deals BEGIN
    DELETE FROM search_entities WHERE rowid = old.id * 8 + 3;
END;

CREATE TRIGGER activities_fts_insert AFTER INSERT ON activities WHEN new.kind <> 'system' BEGIN
    INSERT INTO search_activities (rowid, title, body) VALUES (new.id, new.subject, new.body);
END;
CREATE TRIGGER activities_fts_update AFTER UPDATE OF subject, body ON activities WHEN new.kind <> 'system' BEGIN
    DELETE FROM search_activities WHERE rowid = old.id;
    INSERT INTO search_activities (rowid, title, body) VALUES (new.id, new.subject, new.body);
END;
CREATE TRIGGER activities_fts_delete AFTER DELETE ON activities BEGIN
    DELETE FROM search_activities WHERE rowid = old.id;
END;

INSERT INTO search_entities (rowid, title, body) SELECT id * 8 + 1, name, domain || ' ' || notes FROM clients;
INSERT INTO search_entities (rowid, title, body)
    SELECT c.id * 8 + 2, c.name, c.title || ' ' || coalesce((SELECT group_concat(email, ' ') FROM contact_emails WHERE contact_id = c.id), '')
    FROM contacts c;
INSERT INTO search_entities (rowid, title, body) SELECT id * 8 + 3, title, owner FROM deals;
INSERT INTO search_activities (rowid, title, body) SELECT id, subject, body FROM activities WHERE kind <> 'system';

CREATE INDEX deals_stage_totals ON deals (stage_id, currency, value_minor);
