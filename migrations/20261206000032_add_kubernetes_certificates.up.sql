-- Kubernetes instances keep their certificate in a Secret that every apply writes again, so the
-- control plane keeps it (the key sealed with the master key, `instance/<id>/tls-key` as
-- associated data) and applies the same one until it renews it. LOCAL and SERVER instances
-- leave both columns null: theirs live only in their data directories. `reload_pending` says
-- that a renewed certificate was applied but the server has not been told to load it yet (the
-- kubelet refreshes a mounted Secret within a minute or two; the health sweep reloads once the
-- pod's file is the new one).
ALTER TABLE instance_certificates
    ADD COLUMN certificate text,
    ADD COLUMN sealed_key bytea,
    ADD COLUMN reload_pending boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT instance_certificates_kept_whole
        CHECK ((certificate IS NULL) = (sealed_key IS NULL));
