DROP TABLE signing_keys;
DROP TYPE signing_key_state;
