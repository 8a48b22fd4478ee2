-- The Gmail draft Cremmy wrote when a deal entered the drafting stage (default Proposal): one per
-- deal, so moving a deal back and forth never makes a second draft. The task asks the user to
-- review and send it; the activity records it on the timeline.
CREATE TABLE deal_drafts (
    deal_id     INTEGER PRIMARY KEY REFERENCES deals (id) ON DELETE CASCADE,
    account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    draft_id    TEXT    NOT NULL,
    message_id  TEXT    NOT NULL,
    task_id     INTEGER REFERENCES tasks (id) ON DELETE SET NULL,
    activity_id INTEGER REFERENCES activities (id) ON DELETE SET NULL,
    created_at  INTEGER NOT NULL
) STRICT;
