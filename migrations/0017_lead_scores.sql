-- The local lead score of each client, as last computed (the scoring itself is a pure function
-- of the client's facts; this keeps the result for lists, sorting and "score crossed" checks).
CREATE TABLE client_scores (
    client_id    INTEGER PRIMARY KEY REFERENCES clients (id) ON DELETE CASCADE,
    total        INTEGER NOT NULL CHECK (total BETWEEN 0 AND 100),
    engagement   INTEGER NOT NULL CHECK (engagement BETWEEN 0 AND 100),
    fit          INTEGER NOT NULL CHECK (fit BETWEEN 0 AND 100),
    momentum     INTEGER NOT NULL CHECK (momentum BETWEEN 0 AND 100),
    financial    INTEGER NOT NULL CHECK (financial BETWEEN 0 AND 100),
    -- JSON: the signals [{subscore, text, points}] and the next actions ["…"].
    signals      TEXT    NOT NULL,
    next_actions TEXT    NOT NULL,
    computed_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX client_scores_by_total ON client_scores (total DESC, client_id);
