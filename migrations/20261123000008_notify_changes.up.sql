-- Every committed change to a row that clients watch is announced on one channel, by the same
-- transaction that made it: NOTIFY is delivered at commit, so there are no phantom events, and
-- no code path can forget to announce.
CREATE FUNCTION toygres_notify_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('toygres_events', json_build_object(
        'table', TG_TABLE_NAME,
        'op', TG_OP,
        'row', row_to_json(NEW)
    )::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER operations_notify AFTER INSERT OR UPDATE ON operations
    FOR EACH ROW EXECUTE FUNCTION toygres_notify_change();
CREATE TRIGGER instances_notify AFTER INSERT OR UPDATE ON instances
    FOR EACH ROW EXECUTE FUNCTION toygres_notify_change();
CREATE TRIGGER servers_notify AFTER INSERT OR UPDATE ON servers
    FOR EACH ROW EXECUTE FUNCTION toygres_notify_change();
CREATE TRIGGER cluster_events_notify AFTER INSERT ON cluster_events
    FOR EACH ROW EXECUTE FUNCTION toygres_notify_change();
