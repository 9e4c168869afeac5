-- The backups of deleted instances, kept until their retention ends; the health sweep's
-- leader then deletes their stanzas from the repository. No foreign key to instances: a
-- project's deletion removes its instances' rows and leaves their stanzas due at once.
CREATE TABLE retained_stanzas (
    stanza text PRIMARY KEY,
    instance_id uuid NOT NULL,
    expires_at timestamptz NOT NULL,
    -- Why the last purge failed; it is tried again at the next tick.
    last_error text
);
CREATE INDEX retained_stanzas_by_expiry ON retained_stanzas (expires_at);
CREATE INDEX retained_stanzas_by_instance ON retained_stanzas (instance_id);
