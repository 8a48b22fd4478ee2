-- Calendar events behind `meeting` activities, per account: a cancellation in an incremental
-- sync names only the event id, so this maps it back to the activity. The activity itself is
-- keyed by the iCalendar UID (activities.source = 'calendar'), one per meeting across accounts.
CREATE TABLE calendar_events (
    account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    event_id    TEXT    NOT NULL,
    ical_uid    TEXT    NOT NULL,
    activity_id INTEGER NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    PRIMARY KEY (account_id, event_id)
) STRICT, WITHOUT ROWID;

-- Tasks put on the calendar ("Add to calendar"): moving the task's due time moves the event.
CREATE TABLE task_events (
    task_id    INTEGER PRIMARY KEY REFERENCES tasks (id) ON DELETE CASCADE,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    event_id   TEXT    NOT NULL,
    -- The user's IANA time zone when it was added: the due date and time are wall-clock.
    time_zone  TEXT    NOT NULL,
    -- The "date time" the event was last written with, so an unchanged task is not re-sent.
    written    TEXT    NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
