-- Servers registered by address (hosts we did not make), and instances placed on servers.
-- New enum values cannot be used in the transaction that adds them: the next migration does.
ALTER TYPE server_provider ADD VALUE IF NOT EXISTS 'existing';
ALTER TYPE instance_provider ADD VALUE IF NOT EXISTS 'server';
