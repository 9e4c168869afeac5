DROP TABLE server_ssh_keys;
ALTER TABLE servers DROP COLUMN ssh_public_key;
