-- A backup runs beside the instance's other operations: a scheduled backup must never make a
-- stop or a delete answer CONFLICT. (pgBackRest's own lock keeps two backups of one stanza
-- apart; a stop or a delete during a backup fails that backup, which is recorded failed.)
DROP INDEX operations_one_active_per_target;
CREATE UNIQUE INDEX operations_one_active_per_target ON operations (target_id)
    WHERE status IN ('queued', 'running') AND target_id IS NOT NULL AND kind <> 'backup_instance';
