DROP INDEX cluster_events_instance_idx;
ALTER TABLE instance_secrets DROP COLUMN superuser_password;
ALTER TABLE instances
    DROP CONSTRAINT instances_service_type_iff_kubernetes,
    DROP CONSTRAINT instances_service_type_known,
    DROP CONSTRAINT instances_plan_known,
    DROP COLUMN status_message,
    DROP COLUMN service_type,
    DROP COLUMN plan;
