-- +goose Up
-- A notification task may be planned by a later event than the check's
-- first (a merge request opened on a commit already pushed): it keeps the
-- event it runs for. NULL means the check's event.
ALTER TABLE tasks ADD COLUMN event jsonb;

-- Steps a notifier has completed for a check (a Slack channel posted to, a
-- commit status set), so neither a retried task nor the task of a later
-- event of the same commit repeats them. Keys start with the notifier's
-- component name. They replace task_marks, which were per task.
CREATE TABLE check_marks (
    check_id text NOT NULL REFERENCES checks (id) ON DELETE CASCADE,
    key      text NOT NULL,
    value    text NOT NULL DEFAULT '',
    at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (check_id, key)
);
INSERT INTO check_marks (check_id, key, value, at)
SELECT t.check_id, t.notifier || '/' || regexp_replace(m.key, '^slack:', 'slack:' || t.output || ':'), m.value, m.at
FROM task_marks m JOIN tasks t ON t.id = m.task_id
ON CONFLICT DO NOTHING;
DROP TABLE task_marks;

-- +goose Down
CREATE TABLE task_marks (
    task_id text NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    key     text NOT NULL,
    value   text NOT NULL DEFAULT '',
    at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (task_id, key)
);
DROP TABLE check_marks;
ALTER TABLE tasks DROP COLUMN event;
