-- +goose Up
-- A check is one commit of one project: the unit a CI pipeline asks about.
CREATE TABLE checks (
    id            text PRIMARY KEY,            -- security_check_id
    instance_host text NOT NULL,
    project       text NOT NULL,               -- path_with_namespace
    project_key   text NOT NULL,               -- host:group/project
    commit_sha    text NOT NULL,
    event_type    text NOT NULL,               -- of the first event seen
    job_name      text NOT NULL,
    event         jsonb NOT NULL,              -- the first event, normalised
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- One row per accepted hook delivery; the key deduplicates GitLab's retries.
CREATE TABLE deliveries (
    key         text PRIMARY KEY,              -- Idempotency-Key, or a hash of the body
    check_id    text NOT NULL REFERENCES checks (id) ON DELETE CASCADE,
    event_type  text NOT NULL,
    job_name    text NOT NULL,
    event       jsonb NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deliveries_check_id ON deliveries (check_id);

-- The task plan of a check. Ids are deterministic (check + components).
CREATE TABLE tasks (
    id           text PRIMARY KEY,
    check_id     text NOT NULL REFERENCES checks (id) ON DELETE CASCADE,
    kind         text NOT NULL CHECK (kind IN ('scan', 'output', 'notification')),
    scan         text NOT NULL DEFAULT '',
    output       text NOT NULL DEFAULT '',
    notifier     text NOT NULL DEFAULT '',
    state        text NOT NULL CHECK (state IN ('waiting', 'queued', 'running', 'done', 'failed', 'skipped')),
    deps_pending integer NOT NULL DEFAULT 0,   -- dependencies not done yet
    attempts     integer NOT NULL DEFAULT 0,
    error        text NOT NULL DEFAULT '',
    result       jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    enqueued_at  timestamptz,                  -- NULL while Redis has not taken it
    started_at   timestamptz,
    finished_at  timestamptz
);
CREATE INDEX tasks_check_id ON tasks (check_id);
CREATE INDEX tasks_unfinished ON tasks (updated_at) WHERE state IN ('queued', 'running');

-- Fan-out and fan-in: task_id runs when every dep_id is done.
CREATE TABLE task_deps (
    task_id text NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    dep_id  text NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    PRIMARY KEY (task_id, dep_id)
);
CREATE INDEX task_deps_dep_id ON task_deps (dep_id);

-- +goose Down
DROP TABLE task_deps;
DROP TABLE tasks;
DROP TABLE deliveries;
DROP TABLE checks;
