ALTER TABLE instance_certificates
    DROP CONSTRAINT instance_certificates_kept_whole,
    DROP COLUMN reload_pending,
    DROP COLUMN sealed_key,
    DROP COLUMN certificate;
