-- Continuous backup with pgBackRest: each instance's policy, the backups taken, how its WAL
-- archiving is doing, and where a restored instance came from.

-- How often an instance is backed up in full (cron, UTC) and how far back point-in-time
-- recovery reaches. An instance without a row has the defaults.
CREATE TABLE backup_policies (
    instance_id     uuid PRIMARY KEY REFERENCES instances (id),
    schedule        text NOT NULL,
    retention_days  integer NOT NULL CHECK (retention_days BETWEEN 1 AND 3650),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TYPE backup_kind AS ENUM ('full', 'differential', 'incremental');
CREATE TYPE backup_status AS ENUM ('running', 'succeeded', 'failed', 'expired');

-- One backup: asked for by an operation (one backup per operation, so a retried or resumed
-- operation never takes a second), and found in the repository under `label`.
CREATE TABLE backups (
    id            uuid PRIMARY KEY,
    instance_id   uuid NOT NULL REFERENCES instances (id),
    operation_id  uuid UNIQUE REFERENCES operations (id),
    label         text,
    kind          backup_kind NOT NULL,
    status        backup_status NOT NULL DEFAULT 'running',
    started_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz,
    size_bytes    bigint,
    stored_bytes  bigint,
    error         text,
    UNIQUE (instance_id, label)
);
CREATE INDEX backups_instance_started ON backups (instance_id, started_at DESC);

-- What the health sweep last saw of an instance's WAL archiving. `restorable_until` is the
-- newest moment known to be recoverable: a commit the sweep made, in WAL since archived.
CREATE TABLE instance_archiving (
    instance_id       uuid PRIMARY KEY REFERENCES instances (id),
    last_archived_at  timestamptz,
    last_failed_at    timestamptz,
    last_error        text,
    restorable_until  timestamptz,
    checked_at        timestamptz NOT NULL DEFAULT now()
);

-- A restored instance: which instance's backups it was made from, up to when (NULL: the
-- latest point). Backups of deleted instances are kept for their retention unless purged.
ALTER TABLE instances
    ADD COLUMN restored_from     uuid REFERENCES instances (id),
    ADD COLUMN restore_target    timestamptz,
    ADD COLUMN backups_purged_at timestamptz;

-- Secrets of the installation as a whole (the backup repository's cipher key), sealed with
-- the master key.
CREATE TABLE installation_secrets (
    name        text PRIMARY KEY,
    sealed      bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
