-- Leads imported from a "Leads" sheet, by spreadsheet and email: a row whose status could not be
-- written back (a crash between the import and the write) is recognised on the next run instead
-- of imported twice.
CREATE TABLE lead_imports (
    spreadsheet_id TEXT    NOT NULL,
    email          TEXT    NOT NULL COLLATE NOCASE,
    client_id      INTEGER REFERENCES clients (id) ON DELETE SET NULL,
    imported_at    INTEGER NOT NULL,
    PRIMARY KEY (spreadsheet_id, email)
) STRICT, WITHOUT ROWID;
