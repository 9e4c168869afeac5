DROP TABLE instances;
DROP TYPE health_status;
DROP TYPE instance_state;
DROP TYPE instance_provider;
