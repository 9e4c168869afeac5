DROP TABLE instance_moves;
DROP TYPE move_phase;
DELETE FROM instance_health_checks WHERE instance_id IN (SELECT id FROM instances WHERE provider = 'server');
DELETE FROM instances WHERE provider = 'server';
ALTER TABLE instances DROP CONSTRAINT instances_server_iff_server_provider;
DROP INDEX instances_server_port_key;
DELETE FROM servers WHERE provider = 'existing';
ALTER TABLE servers
    DROP CONSTRAINT servers_existing_has_address,
    DROP CONSTRAINT servers_capacity_positive,
    DROP CONSTRAINT servers_ssh_port_range,
    DROP COLUMN pg_versions,
    DROP COLUMN disk_gb,
    DROP COLUMN memory_mb,
    DROP COLUMN ssh_host_key,
    DROP COLUMN ssh_user,
    DROP COLUMN ssh_port;
