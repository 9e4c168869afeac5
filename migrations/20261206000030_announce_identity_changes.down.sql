DROP TRIGGER projects_notify_access ON projects;
DROP FUNCTION toygres_notify_project_access();
DROP TRIGGER users_notify_access ON users;
CREATE TRIGGER users_notify_access
    AFTER UPDATE OF disabled_at, password_hash, is_site_admin, session_epoch OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION toygres_notify_user_access();
