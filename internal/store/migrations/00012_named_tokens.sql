-- +goose Up
-- A user's named API tokens (origin 'named'), beside the one
-- api-token-auth hands out: each with a name, an optional expiry and the
-- time it was last used (kept to the minute).
ALTER TABLE dd_tokens ADD COLUMN name text NOT NULL DEFAULT '';
ALTER TABLE dd_tokens ADD COLUMN last_used timestamptz;

-- +goose Down
ALTER TABLE dd_tokens DROP COLUMN last_used;
ALTER TABLE dd_tokens DROP COLUMN name;
