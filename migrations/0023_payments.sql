-- Payments (issue 23): invoices and payment links Cremmy made at a payment provider for a
-- client's deal, and the payments made to them. Each is unique per account and provider id, so a
-- re-sync or a retried job never duplicates one. Amounts are in minor units of `currency`.
CREATE TABLE invoices (
    id          INTEGER PRIMARY KEY,
    client_id   INTEGER NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    deal_id     INTEGER REFERENCES deals (id) ON DELETE SET NULL,
    account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    provider_id TEXT NOT NULL,
    number      TEXT,
    status      TEXT NOT NULL CHECK (status IN ('draft', 'open', 'paid', 'void', 'uncollectible')),
    currency    TEXT NOT NULL,
    total_minor INTEGER NOT NULL,
    paid_minor  INTEGER NOT NULL DEFAULT 0,
    -- Unix ms; an open invoice past it is overdue.
    due_at      INTEGER,
    url         TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (account_id, provider_id)
) STRICT;
CREATE INDEX invoices_by_client ON invoices (client_id);
CREATE INDEX invoices_open_by_due ON invoices (due_at) WHERE status = 'open';

CREATE TABLE payment_links (
    id           INTEGER PRIMARY KEY,
    client_id    INTEGER NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    deal_id      INTEGER REFERENCES deals (id) ON DELETE SET NULL,
    account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    provider_id  TEXT NOT NULL,
    url          TEXT NOT NULL,
    currency     TEXT NOT NULL,
    amount_minor INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    UNIQUE (account_id, provider_id)
) STRICT;
CREATE INDEX payment_links_by_client ON payment_links (client_id);

CREATE TABLE payments (
    id             INTEGER PRIMARY KEY,
    client_id      INTEGER NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    deal_id        INTEGER REFERENCES deals (id) ON DELETE SET NULL,
    invoice_id     INTEGER REFERENCES invoices (id) ON DELETE SET NULL,
    link_id        INTEGER REFERENCES payment_links (id) ON DELETE SET NULL,
    account_id     INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    provider_id    TEXT NOT NULL,
    currency       TEXT NOT NULL,
    amount_minor   INTEGER NOT NULL,
    refunded_minor INTEGER NOT NULL DEFAULT 0,
    paid_at        INTEGER NOT NULL,
    activity_id    INTEGER REFERENCES activities (id) ON DELETE SET NULL,
    UNIQUE (account_id, provider_id)
) STRICT;
CREATE INDEX payments_by_deal ON payments (deal_id) WHERE deal_id IS NOT NULL;
CREATE INDEX payments_by_client ON payments (client_id, paid_at);

-- A payment arriving is an event (its timeline line is written with it); an invoice turning
-- overdue is journalled by the core's time scan, once per invoice.
ALTER TABLE event_journal ADD COLUMN invoice_id INTEGER;
CREATE INDEX event_journal_by_invoice ON event_journal (invoice_id, kind) WHERE invoice_id IS NOT NULL;
CREATE TRIGGER journal_payment_received AFTER INSERT ON activities
WHEN new.kind = 'payment' AND new.direction = 'inbound'
BEGIN
    INSERT INTO event_journal (gid, kind, client_id, deal_id, activity_id, occurred_at, recorded_at)
    VALUES ('evt_' || lower(hex(randomblob(12))), 'payment_received', new.client_id, new.deal_id,
            new.id, new.occurred_at, new.created_at);
END;
