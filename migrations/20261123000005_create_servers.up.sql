-- The VM fleet that hosts Postgres.
CREATE TYPE server_provider AS ENUM ('hetzner', 'digitalocean');
CREATE TYPE server_state AS ENUM (
    'provisioning', 'bootstrapping', 'active', 'draining', 'removing', 'removed', 'failed'
);

CREATE TABLE servers (
    id              uuid PRIMARY KEY,
    project_id      uuid NOT NULL CONSTRAINT servers_project_fkey REFERENCES projects (id),
    name            text NOT NULL,
    provider        server_provider NOT NULL,
    plan            text NOT NULL,
    region          text NOT NULL,
    -- The provider's id, known once the create call has returned.
    provider_id     text,
    ipv4            inet,
    ipv6            inet,
    labels          jsonb NOT NULL DEFAULT '{}',
    state           server_state NOT NULL DEFAULT 'provisioning',
    failure_reason  text,
    created_by      uuid CONSTRAINT servers_created_by_fkey REFERENCES users (id) ON DELETE SET NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT servers_provider_id_key UNIQUE (provider, provider_id),
    CONSTRAINT servers_name_dns1123 CHECK (name ~ '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$'),
    CONSTRAINT servers_failed_has_reason CHECK (state <> 'failed' OR failure_reason IS NOT NULL),
    CONSTRAINT servers_active_has_provider_id CHECK (state NOT IN ('active', 'draining') OR provider_id IS NOT NULL)
);
CREATE UNIQUE INDEX servers_project_name_key ON servers (project_id, name) WHERE state <> 'removed';
