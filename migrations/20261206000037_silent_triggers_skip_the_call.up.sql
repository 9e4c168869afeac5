-- In a transaction that announces after commit (`toygres.announce_after_commit` on: the job
-- queue's fetch and acknowledgement), the change and wake-up triggers are skipped before they
-- are queued, instead of being called once per row to return at once: a fetch or an
-- acknowledgement of a batch no longer runs a PL/pgSQL call for every operation and job.
DROP TRIGGER operations_notify ON operations;
CREATE TRIGGER operations_notify AFTER INSERT OR UPDATE ON operations
    FOR EACH ROW
    WHEN (current_setting('toygres.announce_after_commit', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION toygres_notify_change();

DROP TRIGGER queue_jobs_wake ON queue_jobs;
CREATE TRIGGER queue_jobs_wake AFTER INSERT OR UPDATE OF state ON queue_jobs
    FOR EACH ROW
    WHEN (NEW.state = 'available' AND NEW.run_at <= now()
          AND current_setting('toygres.announce_after_commit', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION toygres_wake_workers();
