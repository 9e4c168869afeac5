CREATE OR REPLACE FUNCTION toygres_notify_change() RETURNS trigger
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

CREATE OR REPLACE FUNCTION toygres_wake_workers() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('toygres_jobs', NEW.queue);
    RETURN NULL;
END
$$;
