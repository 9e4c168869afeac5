-- Long-lived, project-scoped credentials for programs. Only a hash of the secret is kept.
CREATE TABLE api_tokens (
    id            uuid PRIMARY KEY,
    project_id    uuid NOT NULL CONSTRAINT api_tokens_project_fkey REFERENCES projects (id) ON DELETE CASCADE,
    name          text NOT NULL,
    role          member_role NOT NULL,
    -- SHA-256 of the secret: the secret itself is shown once, at creation.
    token_hash    bytea NOT NULL,
    created_by    uuid CONSTRAINT api_tokens_created_by_fkey REFERENCES users (id) ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz,
    revoked_at    timestamptz,
    last_used_at  timestamptz,
    CONSTRAINT api_tokens_token_hash_key UNIQUE (token_hash),
    CONSTRAINT api_tokens_project_name_key UNIQUE (project_id, name),
    CONSTRAINT api_tokens_hash_is_sha256 CHECK (length(token_hash) = 32)
);
