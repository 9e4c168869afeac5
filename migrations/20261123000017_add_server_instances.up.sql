-- Instances on fleet servers, reached over SSH, and the moves that carry them between servers.

-- How we reach a server, what it has room for, and which PostgreSQL versions it can run.
ALTER TABLE servers
    ADD COLUMN ssh_port      integer NOT NULL DEFAULT 22,
    ADD COLUMN ssh_user      text NOT NULL DEFAULT 'toygres',
    -- The host key it presented when first reached (`<type> <base64>`); trusted from then on.
    ADD COLUMN ssh_host_key  text,
    ADD COLUMN memory_mb     integer,
    ADD COLUMN disk_gb       integer,
    ADD COLUMN pg_versions   integer[] NOT NULL DEFAULT '{}',
    ADD CONSTRAINT servers_ssh_port_range CHECK (ssh_port BETWEEN 1 AND 65535),
    ADD CONSTRAINT servers_capacity_positive CHECK (memory_mb > 0 AND disk_gb > 0),
    ADD CONSTRAINT servers_existing_has_address
        CHECK (provider <> 'existing' OR ipv4 IS NOT NULL OR ipv6 IS NOT NULL);

-- Two live instances on one server never share a port.
CREATE UNIQUE INDEX instances_server_port_key ON instances (server_id, port)
    WHERE provider = 'server' AND state <> 'deleted' AND port IS NOT NULL;
ALTER TABLE instances
    ADD CONSTRAINT instances_server_iff_server_provider
        CHECK ((provider = 'server') = (server_id IS NOT NULL));

CREATE TYPE move_phase AS ENUM (
    'planned', 'copying', 'catching_up', 'cutting_over', 'promoting', 'switched', 'done',
    'rolled_back', 'cancelled'
);

-- A move of one instance from one server to another: planned by a drain (or asked for by
-- `moveInstance`), then carried out by a `move_instance` operation.
CREATE TABLE instance_moves (
    id                  uuid PRIMARY KEY,
    instance_id         uuid NOT NULL CONSTRAINT instance_moves_instance_fkey REFERENCES instances (id),
    source_server_id    uuid NOT NULL CONSTRAINT instance_moves_source_fkey REFERENCES servers (id),
    target_server_id    uuid NOT NULL CONSTRAINT instance_moves_target_fkey REFERENCES servers (id),
    -- The drain that planned it, and its place in the drain's order.
    drain_operation_id  uuid CONSTRAINT instance_moves_drain_fkey REFERENCES operations (id),
    position            integer NOT NULL DEFAULT 0,
    -- The operation carrying it out, once started.
    operation_id        uuid CONSTRAINT instance_moves_operation_fkey REFERENCES operations (id),
    phase               move_phase NOT NULL DEFAULT 'planned',
    source_port         integer,
    target_port         integer,
    -- The replication role's password for this move (the new copy streams with it).
    replicator_password text,
    -- Where the old primary's shutdown checkpoint is: the copy must replay past it.
    source_checkpoint   bigint,
    -- How far the copy trailed the primary when last measured, in bytes.
    lag_bytes           bigint,
    -- Writes stopped (the old primary began its shutdown) and resumed (the connection string
    -- names the promoted copy): the write-unavailability window.
    writes_stopped_at   timestamptz,
    writes_resumed_at   timestamptz,
    unavailable_ms      double precision,
    error               text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    finished_at         timestamptz,
    CONSTRAINT instance_moves_elsewhere CHECK (source_server_id <> target_server_id),
    CONSTRAINT instance_moves_ports_range CHECK (target_port BETWEEN 1 AND 65535)
);
-- One move in flight per instance.
CREATE UNIQUE INDEX instance_moves_one_active ON instance_moves (instance_id)
    WHERE phase NOT IN ('done', 'rolled_back', 'cancelled');
-- Two copies in flight never share a port on their target.
CREATE UNIQUE INDEX instance_moves_target_port_key ON instance_moves (target_server_id, target_port)
    WHERE phase NOT IN ('done', 'rolled_back', 'cancelled') AND target_port IS NOT NULL;
CREATE INDEX instance_moves_drain_idx ON instance_moves (drain_operation_id, position)
    WHERE drain_operation_id IS NOT NULL;
CREATE INDEX instance_moves_operation_idx ON instance_moves (operation_id)
    WHERE operation_id IS NOT NULL;
CREATE INDEX instance_moves_instance_idx ON instance_moves (instance_id, created_at DESC);
