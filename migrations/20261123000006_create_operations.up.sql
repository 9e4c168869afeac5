-- The user-visible record of each durable job: what was asked, by whom, and how far it got.
CREATE TYPE operation_status AS ENUM ('queued', 'running', 'succeeded', 'failed', 'cancelled');
CREATE TYPE operation_target AS ENUM ('instance', 'server', 'cluster', 'system');

CREATE TABLE operations (
    id            uuid PRIMARY KEY,
    project_id    uuid NOT NULL CONSTRAINT operations_project_fkey REFERENCES projects (id),
    -- The workflow, such as `create_instance`; stored, so never renamed without a migration.
    kind          text NOT NULL,
    target_kind   operation_target NOT NULL,
    target_id     uuid,
    status        operation_status NOT NULL DEFAULT 'queued',
    -- The workflow's current phase, such as `wait_ready`.
    step          text NOT NULL,
    -- Tries so far of the current run: 1 on the first, one more after each failure.
    attempts      integer NOT NULL DEFAULT 0,
    max_attempts  integer NOT NULL,
    error         text,
    input         jsonb NOT NULL DEFAULT '{}',
    requested_by  uuid CONSTRAINT operations_requested_by_fkey REFERENCES users (id) ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    started_at    timestamptz,
    finished_at   timestamptz,
    CONSTRAINT operations_kind_snake_case CHECK (kind ~ '^[a-z][a-z0-9_]*$'),
    CONSTRAINT operations_max_attempts_positive CHECK (max_attempts >= 1),
    CONSTRAINT operations_attempts_bounded CHECK (attempts BETWEEN 0 AND max_attempts),
    CONSTRAINT operations_finished_iff_final
        CHECK ((status IN ('succeeded', 'failed', 'cancelled')) = (finished_at IS NOT NULL)),
    CONSTRAINT operations_failed_has_error CHECK (status <> 'failed' OR error IS NOT NULL),
    CONSTRAINT operations_target_id_unless_global CHECK (target_kind IN ('cluster', 'system') OR target_id IS NOT NULL)
);
-- At most one active operation per target: a second one is refused by the database.
CREATE UNIQUE INDEX operations_one_active_per_target ON operations (target_id)
    WHERE status IN ('queued', 'running') AND target_id IS NOT NULL;
CREATE INDEX operations_project_created_idx ON operations (project_id, created_at DESC, id DESC);
CREATE INDEX operations_target_idx ON operations (target_id, created_at DESC) WHERE target_id IS NOT NULL;

-- Each step an operation entered, for its timeline.
CREATE TABLE operation_steps (
    operation_id  uuid NOT NULL CONSTRAINT operation_steps_operation_fkey REFERENCES operations (id) ON DELETE CASCADE,
    seq           integer NOT NULL,
    step          text NOT NULL,
    entered_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT operation_steps_pkey PRIMARY KEY (operation_id, seq)
);
