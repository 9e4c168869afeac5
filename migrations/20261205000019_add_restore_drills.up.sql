-- Restore drills: a project's schedule, and each drill's outcome. A drill restores an
-- instance's newest backup into a scratch instance (`drill_of` names the instance drilled),
-- checks it, measures it, and deletes it.

CREATE TABLE restore_drill_policies (
    project_id  uuid PRIMARY KEY REFERENCES projects (id),
    schedule    text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TYPE drill_status AS ENUM ('running', 'succeeded', 'failed');

CREATE TABLE restore_drills (
    id                  uuid PRIMARY KEY,
    instance_id         uuid NOT NULL REFERENCES instances (id),
    scratch_instance_id uuid NOT NULL REFERENCES instances (id),
    operation_id        uuid UNIQUE REFERENCES operations (id),
    status              drill_status NOT NULL DEFAULT 'running',
    started_at          timestamptz NOT NULL DEFAULT now(),
    finished_at         timestamptz,
    -- The canary row written into the instance before the restore, and when.
    canary_at           timestamptz,
    -- When the restore began and when the scratch instance took connections.
    restore_started_at  timestamptz,
    connectable_at      timestamptz,
    rto_ms              bigint,
    rpo_ms              bigint,
    error               text
);
CREATE INDEX restore_drills_instance ON restore_drills (instance_id, started_at DESC);

ALTER TABLE instances ADD COLUMN drill_of uuid REFERENCES instances (id);
