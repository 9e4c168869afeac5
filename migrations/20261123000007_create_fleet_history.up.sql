-- The fleet's history: scaling decisions, notable events, and CPU / memory samples.
CREATE TABLE scaling_operations (
    id              uuid PRIMARY KEY,
    project_id      uuid NOT NULL CONSTRAINT scaling_operations_project_fkey REFERENCES projects (id),
    provider        server_provider NOT NULL,
    plan            text NOT NULL,
    region          text NOT NULL,
    target_count    integer NOT NULL,
    current_count   integer NOT NULL,
    dry_run         boolean NOT NULL DEFAULT false,
    -- The computed plan: which servers are added or removed, in order, at what cost.
    actions         jsonb NOT NULL DEFAULT '[]',
    operation_id    uuid CONSTRAINT scaling_operations_operation_fkey REFERENCES operations (id),
    requested_by    uuid CONSTRAINT scaling_operations_requested_by_fkey REFERENCES users (id) ON DELETE SET NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT scaling_operations_counts_nonnegative CHECK (target_count >= 0 AND current_count >= 0),
    CONSTRAINT scaling_operations_dry_run_has_no_operation CHECK (NOT dry_run OR operation_id IS NULL)
);

CREATE TYPE event_severity AS ENUM ('info', 'warning', 'critical');

CREATE TABLE cluster_events (
    id           uuid PRIMARY KEY,
    project_id   uuid CONSTRAINT cluster_events_project_fkey REFERENCES projects (id),
    server_id    uuid CONSTRAINT cluster_events_server_fkey REFERENCES servers (id) ON DELETE SET NULL,
    instance_id  uuid CONSTRAINT cluster_events_instance_fkey REFERENCES instances (id) ON DELETE SET NULL,
    kind         text NOT NULL,
    severity     event_severity NOT NULL DEFAULT 'info',
    message      text NOT NULL,
    details      jsonb NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT cluster_events_kind_snake_case CHECK (kind ~ '^[a-z][a-z0-9_]*$')
);
CREATE INDEX cluster_events_created_idx ON cluster_events (created_at DESC, id DESC);

-- One sample per server (or, with no server, the host Toygres runs on) per sampling tick.
CREATE TABLE server_metrics (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    server_id       uuid CONSTRAINT server_metrics_server_fkey REFERENCES servers (id) ON DELETE CASCADE,
    sampled_at      timestamptz NOT NULL,
    source          text NOT NULL,
    cpu_percent     double precision,
    memory_percent  double precision,
    CONSTRAINT server_metrics_cpu_range CHECK (cpu_percent BETWEEN 0 AND 100),
    CONSTRAINT server_metrics_memory_range CHECK (memory_percent BETWEEN 0 AND 100)
);
CREATE INDEX server_metrics_server_sampled_idx ON server_metrics (server_id, sampled_at DESC);
