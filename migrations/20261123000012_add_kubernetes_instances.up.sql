-- Instances on Kubernetes: a plan that sizes the pod, the client Service's type, the pod's
-- current problem as Kubernetes reports it, and the superuser's password (the control plane
-- reaches a Kubernetes instance's superuser over the network, not a private socket).
ALTER TABLE instances
    ADD COLUMN plan            text NOT NULL DEFAULT 'small',
    ADD COLUMN service_type    text,
    ADD COLUMN status_message  text,
    ADD CONSTRAINT instances_plan_known CHECK (plan IN ('small', 'medium', 'large')),
    ADD CONSTRAINT instances_service_type_known CHECK (service_type IN ('ClusterIP', 'LoadBalancer')),
    ADD CONSTRAINT instances_service_type_iff_kubernetes
        CHECK ((provider = 'kubernetes') = (service_type IS NOT NULL));

ALTER TABLE instance_secrets ADD COLUMN superuser_password text;

CREATE INDEX cluster_events_instance_idx ON cluster_events (instance_id, created_at DESC, id DESC)
    WHERE instance_id IS NOT NULL;
