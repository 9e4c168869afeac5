-- Tenants, the people who log in, and what each may do in each tenant.
CREATE TYPE member_role AS ENUM ('admin', 'operator', 'viewer');

CREATE TABLE projects (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT projects_name_key UNIQUE (name),
    CONSTRAINT projects_name_not_blank CHECK (length(btrim(name)) > 0)
);

-- The default project: every installation has one, so a new user has somewhere to work.
INSERT INTO projects (id, name) VALUES ('00000000-0000-0000-0000-000000000001', 'default');

CREATE TABLE users (
    id             uuid PRIMARY KEY,
    email          text NOT NULL,
    -- argon2id PHC string; never the password.
    password_hash  text NOT NULL,
    -- Site admins manage projects and users across the installation.
    is_site_admin  boolean NOT NULL DEFAULT false,
    disabled_at    timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_email_key UNIQUE (email),
    CONSTRAINT users_email_lowercase CHECK (email = lower(email)),
    CONSTRAINT users_email_shape CHECK (email ~ '^[^@\s]+@[^@\s]+$')
);

CREATE TABLE memberships (
    project_id  uuid NOT NULL CONSTRAINT memberships_project_fkey REFERENCES projects (id) ON DELETE CASCADE,
    user_id     uuid NOT NULL CONSTRAINT memberships_user_fkey REFERENCES users (id) ON DELETE CASCADE,
    role        member_role NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT memberships_pkey PRIMARY KEY (project_id, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);
