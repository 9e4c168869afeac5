DROP TRIGGER signing_keys_notify ON signing_keys;
DROP FUNCTION toygres_notify_signing_keys();
ALTER TABLE signing_keys DROP COLUMN encrypted;
