DROP TRIGGER users_notify_access ON users;
CREATE TRIGGER users_notify_access
    AFTER UPDATE OF disabled_at, password_hash, is_site_admin OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION toygres_notify_user_access();
ALTER TABLE users DROP COLUMN session_epoch;
