-- The built-in follow-ups become two default automation rules the user can edit, switch off or
-- delete (Settings → Automation). Each is created exactly as the settings say today, so nothing
-- changes for existing users: the Drive folder per new client is on only if the user had turned
-- it on ("drive.folder_on_create"); the proposal draft follows the draft template's switch and
-- stage ("drafts.proposal", default on for the stage "Proposal"). A draft template naming a stage
-- that no longer exists drafted nothing, so no rule is made for it. Both hear events recorded from
-- now on only.
INSERT INTO automation_rules
    (name, trigger, conditions, delay, actions, enabled, journal_from, created_at, updated_at)
VALUES (
    'Drive folder for each new client',
    'client_created',
    '[]',
    NULL,
    '[{"kind":"client_folder"}]',
    coalesce((SELECT value = 'true' FROM settings WHERE key = 'drive.folder_on_create'), 0),
    (SELECT coalesce(max(id), 0) FROM event_journal),
    CAST(strftime('%s', 'now') AS INTEGER) * 1000,
    CAST(strftime('%s', 'now') AS INTEGER) * 1000
);

INSERT INTO automation_rules
    (name, trigger, conditions, delay, actions, enabled, journal_from, created_at, updated_at)
SELECT
    'Proposal draft when a deal enters ' || s.name,
    'deal_stage_changed',
    json_array(json_object('kind', 'stage', 'stage_id', s.id)),
    NULL,
    '[{"kind":"proposal_draft"}]',
    coalesce(
        (SELECT json_extract(value, '$.enabled') FROM settings WHERE key = 'drafts.proposal'), 1
    ),
    (SELECT coalesce(max(id), 0) FROM event_journal),
    CAST(strftime('%s', 'now') AS INTEGER) * 1000,
    CAST(strftime('%s', 'now') AS INTEGER) * 1000
FROM stages s
WHERE lower(trim(s.name)) = lower(trim(coalesce(
    (SELECT json_extract(value, '$.stage') FROM settings WHERE key = 'drafts.proposal'),
    'Proposal'
)))
ORDER BY s.position
LIMIT 1;
