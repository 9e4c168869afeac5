-- A user's sessions end together: every access token carries the epoch it was issued in, and
-- a password change or reset, or revokeSessions, moves the epoch on. The change is announced
-- like the others that take access away, so open subscriptions end at once.
ALTER TABLE users ADD COLUMN session_epoch bigint NOT NULL DEFAULT 0;
DROP TRIGGER users_notify_access ON users;
CREATE TRIGGER users_notify_access
    AFTER UPDATE OF disabled_at, password_hash, is_site_admin, session_epoch OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION toygres_notify_user_access();
