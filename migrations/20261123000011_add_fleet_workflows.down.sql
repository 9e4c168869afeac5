DROP TABLE server_plans;
DROP INDEX cluster_events_server_idx;
DROP INDEX operations_scaling_idx;
ALTER TABLE scaling_operations DROP COLUMN currency, DROP COLUMN monthly_cost_delta;
DROP INDEX instances_server_idx;
ALTER TABLE instances DROP COLUMN server_id;
DROP INDEX servers_group_idx;
DROP INDEX servers_project_created_idx;
ALTER TABLE servers
    DROP CONSTRAINT servers_removed_has_time,
    DROP COLUMN scaling_operation_id,
    DROP COLUMN removed_at,
    DROP COLUMN state_changed_at,
    DROP COLUMN pending_action,
    DROP COLUMN image,
    DROP COLUMN template;
