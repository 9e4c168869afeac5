DROP TRIGGER cluster_events_notify ON cluster_events;
DROP TRIGGER servers_notify ON servers;
DROP TRIGGER instances_notify ON instances;
DROP TRIGGER operations_notify ON operations;
DROP FUNCTION toygres_notify_change();
