DROP TABLE servers;
DROP TYPE server_state;
DROP TYPE server_provider;
