-- A sample is either figures or the reason there are none (the source was unreachable), so
-- that "no data" is never shown as zero. New samples are announced like other changes.
ALTER TABLE server_metrics
    ADD COLUMN error text,
    ADD CONSTRAINT server_metrics_figures_or_error
        CHECK ((cpu_percent IS NOT NULL AND memory_percent IS NOT NULL) OR error IS NOT NULL);
CREATE INDEX server_metrics_sampled_idx ON server_metrics (sampled_at DESC);

CREATE TRIGGER server_metrics_notify AFTER INSERT ON server_metrics
    FOR EACH ROW EXECUTE FUNCTION toygres_notify_change();
