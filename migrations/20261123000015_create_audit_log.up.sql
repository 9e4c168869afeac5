-- Every mutation: who (a user, or an API token and its maker), what (the mutation, its
-- target and its arguments with secrets removed), when, from where, and how it ended. Kept
-- when the user, token or project is gone, so no foreign keys.
CREATE TABLE audit_log (
    id             uuid PRIMARY KEY,
    at             timestamptz NOT NULL DEFAULT now(),
    actor_user_id  uuid,
    actor          text NOT NULL,
    token_id       uuid,
    project_id     uuid,
    action         text NOT NULL,
    target_id      uuid,
    arguments      jsonb NOT NULL DEFAULT '{}',
    source_ip      text,
    user_agent     text,
    outcome        text NOT NULL,
    error_code     text,
    error_message  text,
    CONSTRAINT audit_log_outcome_known CHECK (outcome IN ('succeeded', 'failed')),
    CONSTRAINT audit_log_failed_has_code CHECK ((outcome = 'failed') = (error_code IS NOT NULL))
);
CREATE INDEX audit_log_project_idx ON audit_log (project_id, id DESC);
CREATE INDEX audit_log_id_idx ON audit_log (id DESC);
