DROP INDEX operations_one_active_per_target;
CREATE UNIQUE INDEX operations_one_active_per_target ON operations (target_id)
    WHERE status IN ('queued', 'running') AND target_id IS NOT NULL;
