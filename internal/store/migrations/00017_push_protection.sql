-- +goose Up
-- What the pre-receive hook reported (POST /v1/push-protection/events):
-- pushes it refused for their secrets, let through on a bypass, or could
-- not scan. Findings say where each secret is, with a hash of it; never
-- the secret.
CREATE TABLE push_protection_events (
    id          bigserial PRIMARY KEY,
    received_at timestamptz NOT NULL DEFAULT now(),
    kind        text NOT NULL,
    reason      text NOT NULL,
    project     text NOT NULL,
    repository  text NOT NULL DEFAULT '',
    username    text NOT NULL DEFAULT '',
    refs        text[] NOT NULL DEFAULT '{}',
    commits     integer NOT NULL DEFAULT 0,
    detail      text NOT NULL DEFAULT '',
    findings    jsonb NOT NULL DEFAULT '[]'
);
CREATE INDEX push_protection_events_received ON push_protection_events (received_at DESC, id DESC);

-- +goose Down
DROP TABLE push_protection_events;
