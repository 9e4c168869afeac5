-- The certificate each LOCAL and SERVER instance serves: when it expires (the health sweep's
-- leader renews it before then) and the names it was issued for. The certificate and its key
-- live only in the instance's data directory.
CREATE TABLE instance_certificates (
    instance_id  uuid PRIMARY KEY REFERENCES instances (id) ON DELETE CASCADE,
    names        text[] NOT NULL,
    not_after    timestamptz NOT NULL,
    issued_at    timestamptz NOT NULL DEFAULT now()
);
