-- JWT signing keys. New tokens are signed with the one active key; retiring keys still verify
-- until every token they signed has expired, then they are retired.
CREATE TYPE signing_key_state AS ENUM ('active', 'retiring', 'retired');

CREATE TABLE signing_keys (
    kid           text PRIMARY KEY,
    algorithm     text NOT NULL DEFAULT 'HS256',
    secret        bytea NOT NULL,
    state         signing_key_state NOT NULL DEFAULT 'active',
    created_at    timestamptz NOT NULL DEFAULT now(),
    retire_after  timestamptz,
    CONSTRAINT signing_keys_algorithm_hs256 CHECK (algorithm = 'HS256'),
    CONSTRAINT signing_keys_secret_length CHECK (length(secret) >= 32),
    CONSTRAINT signing_keys_retiring_has_deadline CHECK (state <> 'retiring' OR retire_after IS NOT NULL)
);
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys ((true)) WHERE state = 'active';
