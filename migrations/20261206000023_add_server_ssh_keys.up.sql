-- Every server has an SSH key pair of its own. The public half is shown to its owner (who
-- authorises it on the host, or cloud-init does on a provisioned VM); the private half is kept
-- apart from the announced `servers` row, sealed with the master key (the server's id as
-- associated data). A server without a key (recorded before keys were per server) logs in
-- with the installation's key.
ALTER TABLE servers ADD COLUMN ssh_public_key text;

CREATE TABLE server_ssh_keys (
    server_id   uuid PRIMARY KEY REFERENCES servers (id) ON DELETE CASCADE,
    sealed      bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
