-- +goose Up
-- Failed password sign-ins, counted per user name and per client address
-- so that every reporter replica holds back the same guesses. key is
-- "user:" or "addr:" and the SHA-256 of the name or address (kept out of
-- sight, not secret); failures counts the failed attempts since the count
-- was last cleared; pending the attempts being checked now (admitted
-- before their password is hashed), as of pending_since.
CREATE TABLE login_throttle (
    key           text PRIMARY KEY,
    failures      integer NOT NULL DEFAULT 0,
    last_failure  timestamptz NOT NULL DEFAULT now(),
    pending       integer NOT NULL DEFAULT 0,
    pending_since timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_throttle_last_failure ON login_throttle (last_failure);

-- One API token per user from api-token-auth (origin 'login'), handed
-- out again on every call: the token is an HMAC of its salt under a key
-- derived from SECBOT_SECRET_KEY, so it can be made again, while the
-- database keeps only its SHA-256 and the salt. Tokens issued before
-- (one per login, random) stay valid as 'legacy' until the user rotates.
ALTER TABLE dd_tokens ADD COLUMN salt bytea;
ALTER TABLE dd_tokens ADD COLUMN expires timestamptz;
UPDATE dd_tokens SET origin = 'legacy' WHERE origin = 'login';
CREATE UNIQUE INDEX dd_tokens_one_login ON dd_tokens (user_id) WHERE origin = 'login';

-- +goose Down
DROP INDEX dd_tokens_one_login;
UPDATE dd_tokens SET origin = 'login' WHERE origin = 'legacy';
ALTER TABLE dd_tokens DROP COLUMN expires;
ALTER TABLE dd_tokens DROP COLUMN salt;
DROP TABLE login_throttle;
