-- Money in more than one currency and the Reports page: the user's exchange rates to the home
-- currency, each stage's win probability (the forecast), and each deal's time in each stage
-- (stage-to-stage conversion and days in stage).

-- One unit of `currency` is worth rate_micros / 1,000,000 units of `home` (integers, never
-- floating point). Keyed by the home currency too, so changing it never reinterprets a rate.
CREATE TABLE exchange_rates (
    home        TEXT    NOT NULL CHECK (length(home) = 3 AND home = upper(home)),
    currency    TEXT    NOT NULL CHECK (length(currency) = 3 AND currency = upper(currency)),
    rate_micros INTEGER NOT NULL CHECK (rate_micros > 0),
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (home, currency),
    CHECK (home <> currency)
) STRICT, WITHOUT ROWID;

-- Percent, set by the user; NULL means the default from the stage's place among the open stages
-- (four open stages: 20, 40, 60, 80). Won stages are 100 and lost ones 0, always.
ALTER TABLE stages ADD COLUMN probability INTEGER CHECK (probability IS NULL OR probability BETWEEN 0 AND 100);

-- A visit of a deal to a stage: from entered_at until left_at (NULL while it is there). Kept by
-- the triggers below, so every way a deal is created or moved records it.
CREATE TABLE deal_stage_history (
    id         INTEGER PRIMARY KEY,
    deal_id    INTEGER NOT NULL REFERENCES deals (id) ON DELETE CASCADE,
    stage_id   INTEGER NOT NULL REFERENCES stages (id) ON DELETE CASCADE,
    entered_at INTEGER NOT NULL,
    left_at    INTEGER
) STRICT;
CREATE INDEX deal_stage_history_by_deal ON deal_stage_history (deal_id, entered_at);
CREATE INDEX deal_stage_history_by_stage ON deal_stage_history (stage_id);

-- Deals made before this migration: in their current stage since they were created (earlier
-- moves were not recorded).
INSERT INTO deal_stage_history (deal_id, stage_id, entered_at) SELECT id, stage_id, created_at FROM deals;

CREATE TRIGGER deals_stage_history_insert AFTER INSERT ON deals BEGIN
    INSERT INTO deal_stage_history (deal_id, stage_id, entered_at) VALUES (new.id, new.stage_id, new.created_at);
END;
CREATE TRIGGER deals_stage_history_move AFTER UPDATE OF stage_id ON deals WHEN new.stage_id <> old.stage_id BEGIN
    UPDATE deal_stage_history SET left_at = new.updated_at WHERE deal_id = new.id AND left_at IS NULL;
    INSERT INTO deal_stage_history (deal_id, stage_id, entered_at) VALUES (new.id, new.stage_id, new.updated_at);
END;
