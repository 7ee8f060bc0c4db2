-- +goose Up
-- Whether a leaked secret works (issue #17): the verdict of the check the
-- worker made while the secret was in its memory, when, and what the
-- provider said of it (its owner and scopes, never the secret); and, when
-- SecBot revoked a GitLab token, what GitLab answered. NULL validity: the
-- report gave none (scanners other than SecBot's gitleaks scan).
ALTER TABLE findings ADD COLUMN validity text
    CHECK (validity IN ('valid', 'invalid', 'unknown', 'not_checked'));
ALTER TABLE findings ADD COLUMN validity_checked_at timestamptz;
ALTER TABLE findings ADD COLUMN validity_owner text;
ALTER TABLE findings ADD COLUMN validity_scopes text[];
ALTER TABLE findings ADD COLUMN revocation jsonb;
CREATE INDEX findings_live ON findings (product) WHERE validity = 'valid';

-- +goose Down
DROP INDEX findings_live;
ALTER TABLE findings DROP COLUMN revocation;
ALTER TABLE findings DROP COLUMN validity_scopes;
ALTER TABLE findings DROP COLUMN validity_owner;
ALTER TABLE findings DROP COLUMN validity_checked_at;
ALTER TABLE findings DROP COLUMN validity;
