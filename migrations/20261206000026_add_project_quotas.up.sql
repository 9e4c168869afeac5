-- A project's own quota, set by a site admin. Without a row the installation's defaults
-- (`TOYGRES_DEFAULT_QUOTA_*`) apply; in a row, NULL means unlimited.
CREATE TABLE project_quotas (
    project_id  uuid PRIMARY KEY
                CONSTRAINT project_quotas_project_fkey REFERENCES projects (id) ON DELETE CASCADE,
    instances   integer CONSTRAINT project_quotas_instances_not_negative CHECK (instances >= 0),
    storage_gb  integer CONSTRAINT project_quotas_storage_gb_not_negative CHECK (storage_gb >= 0),
    servers     integer CONSTRAINT project_quotas_servers_not_negative CHECK (servers >= 0),
    standbys    integer CONSTRAINT project_quotas_standbys_not_negative CHECK (standbys >= 0),
    updated_by  uuid CONSTRAINT project_quotas_updated_by_fkey REFERENCES users (id) ON DELETE SET NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
