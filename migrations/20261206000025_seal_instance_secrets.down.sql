-- SQL cannot open what the master key sealed: going down would lose every sealed password.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM instance_secrets
               WHERE password_sealed IS NOT NULL OR superuser_password_sealed IS NOT NULL)
       OR EXISTS (SELECT 1 FROM instance_moves WHERE replicator_password_sealed IS NOT NULL) THEN
        RAISE EXCEPTION 'sealed instance passwords exist: they cannot be unsealed in SQL';
    END IF;
END $$;

ALTER TABLE instance_moves DROP COLUMN replicator_password_sealed;
ALTER TABLE instance_secrets
    DROP CONSTRAINT instance_secrets_password_present,
    DROP COLUMN superuser_password_sealed,
    DROP COLUMN password_sealed,
    ALTER COLUMN password SET NOT NULL;
