-- What a running instance needs beyond its intent: where it listens, who owns its database,
-- its health history, and its password, kept apart from the row that is announced on every
-- change.
CREATE TYPE instance_desired_state AS ENUM ('running', 'stopped', 'deleted');

ALTER TABLE instances
    ADD COLUMN desired_state   instance_desired_state NOT NULL DEFAULT 'running',
    ADD COLUMN username        text NOT NULL DEFAULT 'app',
    ADD COLUMN database_name   text NOT NULL DEFAULT 'app',
    ADD COLUMN host            text,
    ADD COLUMN port            integer,
    ADD COLUMN last_checked_at timestamptz,
    ADD COLUMN latency_ms      double precision,
    ADD COLUMN server_version  text,
    ADD COLUMN deleted_at      timestamptz,
    ADD CONSTRAINT instances_port_range CHECK (port BETWEEN 1 AND 65535),
    ADD CONSTRAINT instances_username_identifier CHECK (username ~ '^[a-z_][a-z0-9_]{0,62}$'),
    ADD CONSTRAINT instances_database_identifier CHECK (database_name ~ '^[a-z_][a-z0-9_]{0,62}$'),
    ADD CONSTRAINT instances_deleted_at_iff_deleted CHECK ((state = 'deleted') = (deleted_at IS NOT NULL));

-- Two live local instances never share a port; a deleted one frees it.
CREATE UNIQUE INDEX instances_local_port_key ON instances (port)
    WHERE provider = 'local' AND state <> 'deleted' AND port IS NOT NULL;
CREATE INDEX instances_project_idx ON instances (project_id, id DESC);

-- The role's password, for connection strings and health checks. Kept out of `instances`
-- so that it never rides along in change notifications.
CREATE TABLE instance_secrets (
    instance_id  uuid PRIMARY KEY CONSTRAINT instance_secrets_instance_fkey REFERENCES instances (id) ON DELETE CASCADE,
    password     text NOT NULL
);

-- Recent health checks of each instance; pruned to the newest few per instance.
CREATE TABLE instance_health_checks (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    instance_id     uuid NOT NULL CONSTRAINT instance_health_checks_instance_fkey REFERENCES instances (id) ON DELETE CASCADE,
    checked_at      timestamptz NOT NULL DEFAULT now(),
    healthy         boolean NOT NULL,
    latency_ms      double precision,
    server_version  text,
    error           text
);
CREATE INDEX instance_health_checks_instance_idx ON instance_health_checks (instance_id, id DESC);
