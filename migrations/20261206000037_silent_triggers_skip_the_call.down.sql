DROP TRIGGER operations_notify ON operations;
CREATE TRIGGER operations_notify AFTER INSERT OR UPDATE ON operations
    FOR EACH ROW EXECUTE FUNCTION toygres_notify_change();

DROP TRIGGER queue_jobs_wake ON queue_jobs;
CREATE TRIGGER queue_jobs_wake AFTER INSERT OR UPDATE OF state ON queue_jobs
    FOR EACH ROW WHEN (NEW.state = 'available' AND NEW.run_at <= now())
    EXECUTE FUNCTION toygres_wake_workers();
