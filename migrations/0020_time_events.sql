-- Events that happen as time passes (a meeting ended, a task is due) are journalled by the core's
-- scan, once each; a task event names its task.
ALTER TABLE event_journal ADD COLUMN task_id INTEGER;
CREATE INDEX event_journal_by_activity ON event_journal (activity_id, kind) WHERE activity_id IS NOT NULL;
CREATE INDEX event_journal_by_task ON event_journal (task_id, kind) WHERE task_id IS NOT NULL;
-- The scan looks at recent meetings only: without this it would read every activity each minute.
CREATE INDEX activities_meetings_by_time ON activities (occurred_at) WHERE kind = 'meeting';
