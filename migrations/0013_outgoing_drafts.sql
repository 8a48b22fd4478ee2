-- An email Cremmy is sending: the draft it made at the provider, noted before the draft is sent.
-- A retry after a crash sends that same draft, or, finding it gone (a provider deletes a draft
-- it sends), knows the email went: never a second copy, whatever the provider did to the
-- Message-ID. The row goes when the email is recorded.
CREATE TABLE outgoing_drafts (
    message_id TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    draft_id   TEXT NOT NULL,
    thread_id  TEXT,
    created_at INTEGER NOT NULL
);
