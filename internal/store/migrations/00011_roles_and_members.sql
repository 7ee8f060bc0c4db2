-- +goose Up
-- DefectDojo 2.x's role-based access: roles, a user's membership of a
-- product type or a product with a role, and an optional global role.
CREATE TABLE dd_roles (
    id       integer PRIMARY KEY,
    name     text    NOT NULL UNIQUE,
    is_owner boolean NOT NULL DEFAULT false
);
-- DefectDojo's ids (dojo/authorization/roles_permissions.py).
INSERT INTO dd_roles (id, name, is_owner) VALUES
    (1, 'API_Importer', false), (2, 'Writer', false), (3, 'Maintainer', false), (4, 'Owner', true), (5, 'Reader', false);

CREATE TABLE product_members (
    id      serial  PRIMARY KEY,
    product integer NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    user_id integer NOT NULL REFERENCES dd_users (id) ON DELETE CASCADE,
    role    integer NOT NULL REFERENCES dd_roles (id),
    UNIQUE (product, user_id)
);
CREATE INDEX product_members_user ON product_members (user_id);

CREATE TABLE product_type_members (
    id           serial  PRIMARY KEY,
    product_type integer NOT NULL REFERENCES product_types (id) ON DELETE CASCADE,
    user_id      integer NOT NULL REFERENCES dd_users (id) ON DELETE CASCADE,
    role         integer NOT NULL REFERENCES dd_roles (id),
    UNIQUE (product_type, user_id)
);
CREATE INDEX product_type_members_user ON product_type_members (user_id);

CREATE TABLE global_roles (
    id      serial  PRIMARY KEY,
    user_id integer NOT NULL UNIQUE REFERENCES dd_users (id) ON DELETE CASCADE,
    role    integer NOT NULL REFERENCES dd_roles (id)
);

-- +goose Down
DROP TABLE global_roles;
DROP TABLE product_type_members;
DROP TABLE product_members;
DROP TABLE dd_roles;
