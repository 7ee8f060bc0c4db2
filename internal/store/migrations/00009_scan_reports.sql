-- +goose Up
-- The reports of scans too large for their task's result (a `command`
-- scan's), in chunks, kept until the outputs that read them are done.
CREATE TABLE scan_reports (
    task_id text    NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    seq     integer NOT NULL,
    chunk   bytea   NOT NULL,
    PRIMARY KEY (task_id, seq)
);

-- +goose Down
DROP TABLE scan_reports;
