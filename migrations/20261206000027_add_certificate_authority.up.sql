-- The installation's certificate authority, which issues every instance's TLS certificate.
-- One row, made by the first process that starts (insert if absent, so processes starting
-- together agree on it). The certificate is public; the private key is sealed with the master
-- key (the name `certificate-authority` as associated data).
CREATE TABLE certificate_authority (
    singleton    boolean PRIMARY KEY DEFAULT true CONSTRAINT certificate_authority_singleton CHECK (singleton),
    certificate  text NOT NULL,
    sealed_key   bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
