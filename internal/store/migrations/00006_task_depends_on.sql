-- +goose Up
-- A task's dependencies move from the task_deps table into the task row.
-- Dependencies never leave their check, and a check has a handful of
-- tasks, so the tasks_check_id index finds a task's dependents; webhook
-- intake no longer writes a row and checks two foreign keys per
-- dependency.
ALTER TABLE tasks ADD COLUMN depends_on text[] NOT NULL DEFAULT '{}';
UPDATE tasks t SET depends_on = d.deps
FROM (SELECT task_id, array_agg(dep_id ORDER BY dep_id) AS deps FROM task_deps GROUP BY task_id) d
WHERE t.id = d.task_id;
DROP TABLE task_deps;

-- +goose Down
CREATE TABLE task_deps (
    task_id text NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    dep_id  text NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    PRIMARY KEY (task_id, dep_id)
);
CREATE INDEX task_deps_dep_id ON task_deps (dep_id);
INSERT INTO task_deps (task_id, dep_id) SELECT id, unnest(depends_on) FROM tasks;
ALTER TABLE tasks DROP COLUMN depends_on;
