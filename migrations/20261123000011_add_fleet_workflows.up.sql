-- What the fleet workflows need: the template a server boots from, the provider action being
-- waited for, when the state last changed (for bounded waits), which instances a server hosts,
-- the refreshed plan table, and the cost of a scaling plan.
ALTER TABLE servers
    ADD COLUMN template          text NOT NULL DEFAULT 'postgres-host',
    ADD COLUMN image             text NOT NULL DEFAULT '',
    ADD COLUMN pending_action    text,
    ADD COLUMN state_changed_at  timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN removed_at        timestamptz,
    ADD COLUMN scaling_operation_id uuid
        CONSTRAINT servers_scaling_operation_fkey REFERENCES scaling_operations (id),
    ADD CONSTRAINT servers_removed_has_time CHECK (state <> 'removed' OR removed_at IS NOT NULL);
CREATE INDEX servers_project_created_idx ON servers (project_id, created_at DESC, id DESC);
CREATE INDEX servers_group_idx ON servers (project_id, provider, plan, region) WHERE state <> 'removed';

ALTER TABLE instances
    ADD COLUMN server_id uuid CONSTRAINT instances_server_fkey REFERENCES servers (id);
CREATE INDEX instances_server_idx ON instances (server_id) WHERE server_id IS NOT NULL;

ALTER TABLE scaling_operations
    ADD COLUMN monthly_cost_delta double precision,
    ADD COLUMN currency text;

-- The provisions and removals a scaling started name it in their input.
CREATE INDEX operations_scaling_idx ON operations ((input->>'scaling_operation_id'))
    WHERE input ? 'scaling_operation_id';

CREATE INDEX cluster_events_server_idx ON cluster_events (server_id, created_at DESC) WHERE server_id IS NOT NULL;

-- Plans as the provider last listed them; without a refresh the built-in table applies.
CREATE TABLE server_plans (
    provider       server_provider NOT NULL,
    name           text NOT NULL,
    cores          integer NOT NULL,
    memory_gb      double precision NOT NULL,
    disk_gb        integer NOT NULL,
    monthly_price  double precision,
    currency       text NOT NULL,
    architecture   text NOT NULL,
    regions        text[] NOT NULL DEFAULT '{}',
    deprecated     boolean NOT NULL DEFAULT false,
    refreshed_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT server_plans_pkey PRIMARY KEY (provider, name),
    CONSTRAINT server_plans_sizes_positive CHECK (cores > 0 AND memory_gb > 0 AND disk_gb >= 0)
);
