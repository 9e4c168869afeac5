-- Signing keys' material is encrypted with the master key from the configuration
-- (AES-256-GCM; `secret` holds nonce and ciphertext). Keys stored before are encrypted the
-- next time a process loads them. Every change is announced, by key id only, so that every
-- process loads the new key set at once.
ALTER TABLE signing_keys ADD COLUMN encrypted boolean NOT NULL DEFAULT false;

CREATE FUNCTION toygres_notify_signing_keys() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('toygres_events', json_build_object(
        'table', 'signing_keys', 'op', TG_OP,
        'row', json_build_object('kid', NEW.kid)
    )::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER signing_keys_notify AFTER INSERT OR UPDATE OF state ON signing_keys
    FOR EACH ROW EXECUTE FUNCTION toygres_notify_signing_keys();
