-- +goose Up
-- The built-in findings service: DefectDojo's hierarchy
-- product type → product → engagement → test → finding.
CREATE TABLE dd_users (
    id            serial PRIMARY KEY,
    username      text NOT NULL UNIQUE,
    password_hash text NOT NULL,
    first_name    text NOT NULL DEFAULT '',
    last_name     text NOT NULL DEFAULT '',
    email         text NOT NULL DEFAULT '',
    is_superuser  boolean NOT NULL DEFAULT false,
    created       timestamptz NOT NULL DEFAULT now()
);

-- API tokens, stored as SHA-256 of the key. A stored hash cannot be handed
-- out again, so each login issues a new token (DefectDojo returns the old).
CREATE TABLE dd_tokens (
    id       serial PRIMARY KEY,
    user_id  integer NOT NULL REFERENCES dd_users (id) ON DELETE CASCADE,
    key_hash text NOT NULL UNIQUE,
    origin   text NOT NULL DEFAULT 'login',   -- login, or env (DEFECTDOJO__TOKEN)
    created  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dd_tokens_user ON dd_tokens (user_id);

CREATE TABLE product_types (
    id      serial PRIMARY KEY,
    name    text NOT NULL UNIQUE,
    created timestamptz NOT NULL DEFAULT now(),
    updated timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE products (
    id          serial PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    description text NOT NULL DEFAULT '',
    prod_type   integer NOT NULL REFERENCES product_types (id),
    created     timestamptz NOT NULL DEFAULT now(),
    updated     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE engagements (
    id                         serial PRIMARY KEY,
    product                    integer NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    name                       text NOT NULL,
    target_start               date NOT NULL,
    target_end                 date NOT NULL,
    engagement_type            text NOT NULL DEFAULT 'CI/CD',
    status                     text NOT NULL DEFAULT 'In Progress',
    lead                       integer REFERENCES dd_users (id) ON DELETE SET NULL,
    version                    text NOT NULL DEFAULT '',
    build_id                   text NOT NULL DEFAULT '',
    commit_hash                text NOT NULL DEFAULT '',
    branch_tag                 text NOT NULL DEFAULT '',
    source_code_management_uri text NOT NULL DEFAULT '',
    created                    timestamptz NOT NULL DEFAULT now(),
    updated                    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX engagements_product_name ON engagements (product, name);

CREATE TABLE tests (
    id           serial PRIMARY KEY,
    engagement   integer NOT NULL REFERENCES engagements (id) ON DELETE CASCADE,
    scan_type    text NOT NULL,
    title        text NOT NULL DEFAULT '',
    tags         text[] NOT NULL DEFAULT '{}',
    version      text NOT NULL DEFAULT '',
    build_id     text NOT NULL DEFAULT '',
    commit_hash  text NOT NULL DEFAULT '',
    branch_tag   text NOT NULL DEFAULT '',
    target_start timestamptz NOT NULL DEFAULT now(),
    target_end   timestamptz NOT NULL DEFAULT now(),
    created      timestamptz NOT NULL DEFAULT now(),
    updated      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tests_engagement ON tests (engagement, scan_type);

CREATE TABLE findings (
    id                  serial PRIMARY KEY,
    test                integer NOT NULL REFERENCES tests (id) ON DELETE CASCADE,
    -- Denormalised from the test, for product- and engagement-wide dedup.
    engagement          integer NOT NULL,
    product             integer NOT NULL,
    title               text NOT NULL,
    date                date NOT NULL,
    cwe                 integer NOT NULL DEFAULT 0,
    severity            text NOT NULL CHECK (severity IN ('Critical', 'High', 'Medium', 'Low', 'Info')),
    description         text NOT NULL DEFAULT '',
    mitigation          text NOT NULL DEFAULT '',
    impact              text NOT NULL DEFAULT '',
    "references"        text NOT NULL DEFAULT '',
    active              boolean NOT NULL DEFAULT true,
    verified            boolean NOT NULL DEFAULT false,
    false_p             boolean NOT NULL DEFAULT false,
    duplicate           boolean NOT NULL DEFAULT false,
    duplicate_finding   integer REFERENCES findings (id) ON DELETE SET NULL,
    out_of_scope        boolean NOT NULL DEFAULT false,
    risk_accepted       boolean NOT NULL DEFAULT false,
    is_mitigated        boolean NOT NULL DEFAULT false,
    mitigated           timestamptz,
    hash_code           text NOT NULL,
    line                integer,
    file_path           text,
    component_name      text,
    component_version   text,
    static_finding      boolean NOT NULL DEFAULT false,
    dynamic_finding     boolean NOT NULL DEFAULT false,
    unique_id_from_tool text,
    vuln_id_from_tool   text,
    vulnerability_ids   text[] NOT NULL DEFAULT '{}',
    nb_occurences       integer NOT NULL DEFAULT 1,
    service             text,
    tags                text[] NOT NULL DEFAULT '{}',
    created             timestamptz NOT NULL DEFAULT now(),
    last_status_update  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX findings_test ON findings (test);
CREATE INDEX findings_product_hash ON findings (product, hash_code, id);
CREATE INDEX findings_product_unique ON findings (product, unique_id_from_tool, id) WHERE unique_id_from_tool IS NOT NULL;
CREATE INDEX findings_duplicate_finding ON findings (duplicate_finding);

-- Who changed a finding's status, when, and to what.
CREATE TABLE finding_events (
    id       bigserial PRIMARY KEY,
    finding  integer NOT NULL REFERENCES findings (id) ON DELETE CASCADE,
    user_id  integer REFERENCES dd_users (id) ON DELETE SET NULL,
    at       timestamptz NOT NULL DEFAULT now(),
    change   jsonb NOT NULL
);
CREATE INDEX finding_events_finding ON finding_events (finding, at);

-- +goose Down
DROP TABLE finding_events;
DROP TABLE findings;
DROP TABLE tests;
DROP TABLE engagements;
DROP TABLE products;
DROP TABLE product_types;
DROP TABLE dd_tokens;
DROP TABLE dd_users;
