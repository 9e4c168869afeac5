-- Standbys: the members of an instance beside its primary. The primary is the instance row
-- itself (its server, port, host and data directory); each standby is a row here, a
-- PostgreSQL server streaming from the primary through a replication slot of its own.
-- A switchover swaps the promoted standby and the old primary between the two places,
-- each keeping its member id: a member id names one data directory for its whole life.
CREATE TYPE member_state AS ENUM ('creating', 'streaming', 'lagging', 'down');

CREATE TABLE instance_members (
    id             uuid PRIMARY KEY,
    instance_id    uuid NOT NULL CONSTRAINT instance_members_instance_fkey REFERENCES instances (id),
    -- The fleet server it runs on (SERVER instances); NULL on the local provider.
    server_id      uuid CONSTRAINT instance_members_server_fkey REFERENCES servers (id),
    -- Its data directory's name on its host (and its replication slot's name on the primary).
    resource_name  text NOT NULL CONSTRAINT instance_members_resource_key UNIQUE,
    port           integer CONSTRAINT instance_members_port_range CHECK (port BETWEEN 1 AND 65535),
    host           text,
    state          member_state NOT NULL DEFAULT 'creating',
    -- A failed primary that a failover left behind: its data may hold writes the new primary
    -- never saw, so it is copied afresh before it serves again, as a standby.
    rebuild        boolean NOT NULL DEFAULT false,
    -- How far it trails the primary, from the primary's pg_stat_replication.
    lag_bytes      bigint,
    replay_lag_ms  double precision,
    checked_at     timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX instance_members_instance_idx ON instance_members (instance_id);

ALTER TABLE instances
    -- The primary's member id; NULL: the instance's own id (it never switched over).
    ADD COLUMN primary_member_id uuid,
    -- The primary's data directory name; NULL: derived from the instance's id.
    ADD COLUMN data_name text,
    -- How many standbys it should have, and whether commits wait for one of them.
    ADD COLUMN standbys integer NOT NULL DEFAULT 0
        CONSTRAINT instances_standbys_range CHECK (standbys BETWEEN 0 AND 2),
    ADD COLUMN synchronous boolean NOT NULL DEFAULT false,
    -- The replication role's password, sealed with the master key.
    ADD COLUMN replicator_password_sealed bytea,
    ADD COLUMN last_failover_at timestamptz;

-- Each switchover and failover: who handed over to whom, and for how long writes stopped.
CREATE TABLE instance_failovers (
    id                 uuid PRIMARY KEY,
    instance_id        uuid NOT NULL CONSTRAINT instance_failovers_instance_fkey REFERENCES instances (id),
    operation_id       uuid NOT NULL CONSTRAINT instance_failovers_operation_key UNIQUE
                            CONSTRAINT instance_failovers_operation_fkey REFERENCES operations (id),
    planned            boolean NOT NULL,
    from_member_id     uuid NOT NULL,
    to_member_id       uuid NOT NULL,
    -- Where the old primary's shutdown checkpoint is: the new one must replay past it.
    source_checkpoint  bigint,
    writes_stopped_at  timestamptz,
    writes_resumed_at  timestamptz,
    unavailable_ms     double precision,
    created_at         timestamptz NOT NULL DEFAULT now(),
    finished_at        timestamptz
);
CREATE INDEX instance_failovers_instance_idx ON instance_failovers (instance_id, created_at);
