-- +goose Up
-- DefectDojo's API v2 objects as its clients create and change them:
-- the fields of product types, products, engagements and tests that
-- clients send, test types, finding notes, and who changed what.

ALTER TABLE product_types
    ADD COLUMN description      text    NOT NULL DEFAULT '',
    ADD COLUMN critical_product boolean NOT NULL DEFAULT false,
    ADD COLUMN key_product      boolean NOT NULL DEFAULT false;

ALTER TABLE products
    ADD COLUMN tags                          text[]  NOT NULL DEFAULT '{}',
    ADD COLUMN business_criticality          text,
    ADD COLUMN platform                      text,
    ADD COLUMN lifecycle                     text,
    ADD COLUMN origin                        text,
    ADD COLUMN external_audience             boolean NOT NULL DEFAULT false,
    ADD COLUMN internet_accessible           boolean NOT NULL DEFAULT false,
    ADD COLUMN enable_simple_risk_acceptance boolean NOT NULL DEFAULT false,
    ADD COLUMN enable_full_risk_acceptance   boolean NOT NULL DEFAULT true,
    ADD COLUMN product_manager               integer REFERENCES dd_users (id) ON DELETE SET NULL,
    ADD COLUMN technical_contact             integer REFERENCES dd_users (id) ON DELETE SET NULL,
    ADD COLUMN team_manager                  integer REFERENCES dd_users (id) ON DELETE SET NULL;
-- Deleting a product type deletes its products, as DefectDojo does.
ALTER TABLE products DROP CONSTRAINT products_prod_type_fkey,
    ADD CONSTRAINT products_prod_type_fkey FOREIGN KEY (prod_type) REFERENCES product_types (id) ON DELETE CASCADE;
CREATE INDEX products_prod_type ON products (prod_type);

ALTER TABLE engagements
    ADD COLUMN description                 text    NOT NULL DEFAULT '',
    ADD COLUMN tags                        text[]  NOT NULL DEFAULT '{}',
    ADD COLUMN active                      boolean NOT NULL DEFAULT true,
    ADD COLUMN first_contacted             date,
    ADD COLUMN reason                      text    NOT NULL DEFAULT '',
    ADD COLUMN tracker                     text    NOT NULL DEFAULT '',
    ADD COLUMN test_strategy               text    NOT NULL DEFAULT '',
    ADD COLUMN threat_model                boolean NOT NULL DEFAULT true,
    ADD COLUMN api_test                    boolean NOT NULL DEFAULT true,
    ADD COLUMN pen_test                    boolean NOT NULL DEFAULT true,
    ADD COLUMN check_list                  boolean NOT NULL DEFAULT true,
    ADD COLUMN done_testing                boolean NOT NULL DEFAULT false,
    ADD COLUMN deduplication_on_engagement boolean NOT NULL DEFAULT false;

-- DefectDojo's test types: one per scan type, with a stable id.
CREATE TABLE test_types (
    id   serial PRIMARY KEY,
    name text NOT NULL UNIQUE
);
INSERT INTO test_types (name) SELECT DISTINCT scan_type FROM tests ORDER BY scan_type;

ALTER TABLE tests
    ADD COLUMN test_type        integer REFERENCES test_types (id),
    ADD COLUMN description      text    NOT NULL DEFAULT '',
    ADD COLUMN lead             integer REFERENCES dd_users (id) ON DELETE SET NULL,
    ADD COLUMN percent_complete integer;
UPDATE tests t SET test_type = tt.id FROM test_types tt WHERE tt.name = t.scan_type;

-- Notes on findings (DefectDojo's findings/{id}/notes/).
CREATE TABLE finding_notes (
    id        serial PRIMARY KEY,
    finding   integer NOT NULL REFERENCES findings (id) ON DELETE CASCADE,
    author    integer REFERENCES dd_users (id) ON DELETE SET NULL,
    entry     text    NOT NULL,
    private   boolean NOT NULL DEFAULT false,
    note_type integer,
    date      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX finding_notes_finding ON finding_notes (finding, id);

-- Who created, changed or deleted a product type, product, engagement,
-- test or user through the API, when, and what changed. Kept when the
-- object is deleted: object_id is no foreign key.
CREATE TABLE object_history (
    id        bigserial PRIMARY KEY,
    kind      text        NOT NULL,
    object_id integer     NOT NULL,
    product   integer,
    user_id   integer REFERENCES dd_users (id) ON DELETE SET NULL,
    at        timestamptz NOT NULL DEFAULT now(),
    action    text        NOT NULL CHECK (action IN ('created', 'changed', 'deleted')),
    changes   jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX object_history_object ON object_history (kind, object_id, at);
CREATE INDEX object_history_product ON object_history (product, at) WHERE product IS NOT NULL;

ALTER TABLE dd_users
    ADD COLUMN is_active  boolean NOT NULL DEFAULT true,
    ADD COLUMN last_login timestamptz;

-- +goose Down
ALTER TABLE dd_users DROP COLUMN is_active, DROP COLUMN last_login;
DROP TABLE object_history;
DROP TABLE finding_notes;
ALTER TABLE tests DROP COLUMN test_type, DROP COLUMN description, DROP COLUMN lead, DROP COLUMN percent_complete;
DROP TABLE test_types;
ALTER TABLE engagements DROP COLUMN description, DROP COLUMN tags, DROP COLUMN active, DROP COLUMN first_contacted,
    DROP COLUMN reason, DROP COLUMN tracker, DROP COLUMN test_strategy, DROP COLUMN threat_model, DROP COLUMN api_test,
    DROP COLUMN pen_test, DROP COLUMN check_list, DROP COLUMN done_testing, DROP COLUMN deduplication_on_engagement;
DROP INDEX products_prod_type;
ALTER TABLE products DROP CONSTRAINT products_prod_type_fkey,
    ADD CONSTRAINT products_prod_type_fkey FOREIGN KEY (prod_type) REFERENCES product_types (id);
ALTER TABLE products DROP COLUMN tags, DROP COLUMN business_criticality, DROP COLUMN platform, DROP COLUMN lifecycle,
    DROP COLUMN origin, DROP COLUMN external_audience, DROP COLUMN internet_accessible,
    DROP COLUMN enable_simple_risk_acceptance, DROP COLUMN enable_full_risk_acceptance, DROP COLUMN product_manager,
    DROP COLUMN technical_contact, DROP COLUMN team_manager;
ALTER TABLE product_types DROP COLUMN description, DROP COLUMN critical_product, DROP COLUMN key_product;
