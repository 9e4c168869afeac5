DROP TABLE server_metrics;
DROP TABLE cluster_events;
DROP TYPE event_severity;
DROP TABLE scaling_operations;
