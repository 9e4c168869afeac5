-- The health sweep prunes entries past TOYGRES_AUDIT_RETENTION_DAYS, oldest first.
CREATE INDEX audit_log_at_idx ON audit_log (at);
