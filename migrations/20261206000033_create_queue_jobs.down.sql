-- Going back would lose the deliveries still queued here (apalis's schema is gone after the next
-- migration): refuse while there are any.
DO $$
DECLARE
    left_over bigint;
BEGIN
    SELECT count(*) INTO left_over FROM queue_jobs WHERE state <> 'failed';
    IF left_over > 0 THEN
        RAISE EXCEPTION 'queue_jobs holds % unfinished jobs: let the workers finish them first', left_over;
    END IF;
END
$$;
DROP FUNCTION IF EXISTS toygres_move_apalis_jobs();
DROP TABLE queue_jobs;
DROP FUNCTION toygres_wake_workers();
DROP TABLE queue_workers;
DROP TYPE queue_job_state;
