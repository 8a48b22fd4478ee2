-- A stage's name in the search box lists that stage's open deals, most recently updated first:
-- walked in this index's order instead of sorting the stage's deals on every keystroke.
CREATE INDEX deals_by_stage_recent ON deals (stage_id, updated_at DESC, id DESC);
