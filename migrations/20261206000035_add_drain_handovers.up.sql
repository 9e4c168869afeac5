-- What a drain does before its moves, for each instance with standbys that has a member on
-- the draining server: a switchover of a primary to a standby elsewhere, and relocations of
-- standbys (a fresh copy on another server). Planned in order, each row started as a child
-- operation of its own and recorded with it in one transaction, so that a drain resumed
-- after a crash waits for the child it started rather than start a second one.
CREATE TYPE drain_action AS ENUM ('switchover', 'relocate_standby');

CREATE TABLE drain_handovers (
    id                  uuid PRIMARY KEY,
    drain_operation_id  uuid NOT NULL CONSTRAINT drain_handovers_drain_fkey REFERENCES operations (id),
    -- Its place in the drain's order, from 1.
    position            integer NOT NULL,
    instance_id         uuid NOT NULL CONSTRAINT drain_handovers_instance_fkey REFERENCES instances (id),
    action              drain_action NOT NULL,
    -- A switchover: the standby that takes over. A relocation: the standby that moves.
    member_id           uuid NOT NULL,
    -- Where that member is (a switchover) or goes (a relocation).
    target_server_id    uuid NOT NULL CONSTRAINT drain_handovers_target_fkey REFERENCES servers (id),
    -- The child operation carrying it out, once started.
    operation_id        uuid CONSTRAINT drain_handovers_operation_fkey REFERENCES operations (id),
    created_at          timestamptz NOT NULL DEFAULT now(),
    -- When it was done, or found to be needed no more (then without an operation).
    finished_at         timestamptz,
    CONSTRAINT drain_handovers_position_key UNIQUE (drain_operation_id, position)
);
CREATE INDEX drain_handovers_instance_idx ON drain_handovers (instance_id);
