DROP TRIGGER server_metrics_notify ON server_metrics;
DROP INDEX server_metrics_sampled_idx;
ALTER TABLE server_metrics DROP CONSTRAINT server_metrics_figures_or_error, DROP COLUMN error;
