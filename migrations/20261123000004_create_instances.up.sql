-- Postgres instances: the intent (name, version, size, provider) and the observed state.
CREATE TYPE instance_provider AS ENUM ('local', 'kubernetes');
CREATE TYPE instance_state AS ENUM (
    'creating', 'running', 'stopping', 'stopped', 'starting', 'deleting', 'deleted', 'failed'
);
CREATE TYPE health_status AS ENUM ('healthy', 'unhealthy', 'unknown');

CREATE TABLE instances (
    id                uuid PRIMARY KEY,
    project_id        uuid NOT NULL CONSTRAINT instances_project_fkey REFERENCES projects (id),
    name              text NOT NULL,
    provider          instance_provider NOT NULL DEFAULT 'local',
    pg_version        integer NOT NULL,
    storage_gb        integer NOT NULL,
    state             instance_state NOT NULL DEFAULT 'creating',
    health            health_status NOT NULL DEFAULT 'unknown',
    failure_reason    text,
    created_by        uuid CONSTRAINT instances_created_by_fkey REFERENCES users (id) ON DELETE SET NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT instances_name_dns1123 CHECK (name ~ '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$'),
    CONSTRAINT instances_storage_gb_range CHECK (storage_gb BETWEEN 1 AND 16384),
    CONSTRAINT instances_failed_has_reason CHECK (state <> 'failed' OR failure_reason IS NOT NULL)
);
-- A name is unique among a project's live instances; a deleted one frees it.
CREATE UNIQUE INDEX instances_project_name_key ON instances (project_id, name) WHERE state <> 'deleted';
