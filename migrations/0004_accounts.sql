-- Provider accounts (Google, later Microsoft, HubSpot...). Tokens are NOT here: refresh and
-- access tokens live only in the OS keychain, filed under this database's install id.
CREATE TABLE accounts (
    id                INTEGER PRIMARY KEY,
    provider          TEXT    NOT NULL,
    email             TEXT    NOT NULL COLLATE NOCASE,
    -- Space-separated scopes the provider granted.
    scopes            TEXT    NOT NULL DEFAULT '',
    status            TEXT    NOT NULL CHECK (status IN ('connected', 'needs_reauth', 'disconnected')),
    access_expires_at INTEGER,
    -- When to refresh the access token (ahead of its expiry).
    access_refresh_at INTEGER,
    problem           TEXT,
    connected_at      INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    UNIQUE (provider, email)
) STRICT;
