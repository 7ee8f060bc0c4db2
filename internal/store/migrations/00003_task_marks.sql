-- +goose Up
-- Steps a task has completed, so a retried task does not repeat them
-- (a Slack channel already posted to, a GitLab note already written).
CREATE TABLE task_marks (
    task_id text NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    key     text NOT NULL,
    value   text NOT NULL DEFAULT '',
    at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (task_id, key)
);

-- +goose Down
DROP TABLE task_marks;
