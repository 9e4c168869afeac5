-- A transaction may take on announcing its changes itself, after it commits: the job queue's
-- fetch and acknowledgement do, so that they send no NOTIFY while they commit. PostgreSQL
-- serializes the commits of every transaction that notified, across the cluster, each holding a
-- lock through its own WAL flush; without notifications, concurrent commits share flushes.
-- Such a transaction sets `toygres.announce_after_commit` to `on` for itself
-- (`set_config(..., true)`), and the triggers below stay silent in it.
CREATE OR REPLACE FUNCTION toygres_notify_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('toygres.announce_after_commit', true) = 'on' THEN
        RETURN NULL;
    END IF;
    PERFORM pg_notify('toygres_events', json_build_object(
        'table', TG_TABLE_NAME,
        'op', TG_OP,
        'row', row_to_json(NEW)
    )::text);
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION toygres_wake_workers() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('toygres.announce_after_commit', true) = 'on' THEN
        RETURN NULL;
    END IF;
    PERFORM pg_notify('toygres_jobs', NEW.queue);
    RETURN NULL;
END
$$;
