-- +goose Up
-- Browser sessions of the findings pages. The cookie holds a random key;
-- only its SHA-256 is stored, so a database dump opens no session. Each
-- session has its own CSRF token for the pages' forms.
CREATE TABLE web_sessions (
    key_hash   text PRIMARY KEY,
    user_id    integer NOT NULL REFERENCES dd_users (id) ON DELETE CASCADE,
    csrf       text NOT NULL,
    created    timestamptz NOT NULL DEFAULT now(),
    expires    timestamptz NOT NULL
);
CREATE INDEX web_sessions_expires ON web_sessions (expires);

-- +goose Down
DROP TABLE web_sessions;
