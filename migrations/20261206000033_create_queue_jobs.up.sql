-- Toygres's own job queue, in place of apalis's `apalis.jobs`. A job says only "move operation
-- X on" (the operation row holds the workflow's state), so one narrow table does:
--   available ── a worker's fetch (FOR UPDATE SKIP LOCKED, in batches) ──▶ running
--   running   ── acknowledged ──▶ deleted (operations keep the history users see)
--   running   ── its worker silent past the lease ──▶ available (the next delivery is a retry)
--   running   ── the delivery itself failed, too often ──▶ failed (kept for a human)
CREATE TYPE queue_job_state AS ENUM ('available', 'running', 'failed');

-- Processes running worker pools, and when each last proved it is alive: the lease on the jobs
-- it holds.
CREATE TABLE queue_workers (
    id          uuid PRIMARY KEY,
    started_at  timestamptz NOT NULL DEFAULT now(),
    last_seen   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE queue_jobs (
    id            bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT queue_jobs_pkey PRIMARY KEY,
    -- The worker pool that runs it (`provision`, `deploy`, ...); stored, so never renamed
    -- without a migration.
    queue         text NOT NULL,
    -- No foreign key: a delivery of a missing operation is acknowledged and does nothing, and
    -- the key's check would lock the operation row at every enqueue.
    operation_id  uuid NOT NULL,
    state         queue_job_state NOT NULL DEFAULT 'available',
    -- Not before this (a nap, a retry's backoff).
    run_at        timestamptz NOT NULL DEFAULT now(),
    -- Deliveries started; more than one means an earlier one did not finish.
    attempts      integer NOT NULL DEFAULT 0,
    -- The worker (process) holding it while it runs.
    worker_id     uuid,
    locked_at     timestamptz,
    -- Why the last delivery failed, when it did.
    last_error    text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT queue_jobs_queue_snake_case CHECK (queue ~ '^[a-z][a-z0-9_]*$'),
    CONSTRAINT queue_jobs_running_iff_held
        CHECK ((state = 'running') = (worker_id IS NOT NULL AND locked_at IS NOT NULL))
);
-- The fetch: a queue's due jobs, oldest first.
CREATE INDEX queue_jobs_fetch_idx ON queue_jobs (queue, run_at, id) WHERE state = 'available';
-- The lease: the jobs a worker holds.
CREATE INDEX queue_jobs_held_idx ON queue_jobs (worker_id) WHERE state = 'running';

-- A job that becomes due now (inserted, or given back by a dead or stopping worker) wakes idle
-- workers of its queue at commit. The payload is the queue's name alone, so PostgreSQL sends one
-- notification per queue per transaction however many jobs it inserts.
CREATE FUNCTION toygres_wake_workers() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('toygres_jobs', NEW.queue);
    RETURN NULL;
END
$$;
CREATE TRIGGER queue_jobs_wake AFTER INSERT OR UPDATE OF state ON queue_jobs
    FOR EACH ROW WHEN (NEW.state = 'available' AND NEW.run_at <= now())
    EXECUTE FUNCTION toygres_wake_workers();

-- Move apalis's unfinished deliveries into queue_jobs, deleting them there, so that running it
-- twice moves nothing twice. A delivery that was in flight (or failed, with tries left) counts
-- one more start, so the engine treats its next delivery as a retry, as apalis would have.
CREATE FUNCTION toygres_move_apalis_jobs() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    moved bigint := 0;
BEGIN
    IF to_regclass('apalis.jobs') IS NULL THEN
        RETURN 0;
    END IF;
    WITH gone AS (
        DELETE FROM apalis.jobs
        WHERE job_type IN ('provision', 'deploy', 'drain', 'delete', 'backup', 'system')
          AND (status IN ('Pending', 'Queued', 'Running')
               OR (status = 'Failed' AND attempts < max_attempts))
          AND convert_from(job, 'UTF8')::jsonb ->> 'operation_id'
              ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
        RETURNING *
    ), ins AS (
        INSERT INTO queue_jobs (queue, operation_id, run_at, attempts, created_at)
        SELECT job_type,
               (convert_from(job, 'UTF8')::jsonb ->> 'operation_id')::uuid,
               run_at,
               CASE WHEN status = 'Pending' THEN attempts ELSE attempts + 1 END,
               now()
        FROM gone
        RETURNING 1
    )
    SELECT count(*) INTO moved FROM ins;
    RETURN moved;
END
$$;

SELECT toygres_move_apalis_jobs();
