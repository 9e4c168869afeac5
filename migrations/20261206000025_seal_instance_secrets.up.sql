-- Tenant database passwords are sealed with the master key (AES-256-GCM, the secret's name as
-- associated data), like signing keys and servers' SSH keys. The master key lives only in the
-- running process, so SQL cannot seal: `toygres serve` seals every plaintext password at
-- start (`Db::seal_plaintext_secrets`), in one transaction, and clears the plaintext column.
-- Until then, readers accept either form.
ALTER TABLE instance_secrets
    ALTER COLUMN password DROP NOT NULL,
    ADD COLUMN password_sealed bytea,
    ADD COLUMN superuser_password_sealed bytea,
    ADD CONSTRAINT instance_secrets_password_present
        CHECK (password IS NOT NULL OR password_sealed IS NOT NULL);

ALTER TABLE instance_moves ADD COLUMN replicator_password_sealed bytea;
