-- API processes keep callers' users and memberships in memory, dropped on these announcements.
-- An email change and a project's new name are shown to callers too, so they are announced
-- like the changes that take access away; a project renamed names no user, which means anyone.
DROP TRIGGER users_notify_access ON users;
CREATE TRIGGER users_notify_access
    AFTER UPDATE OF email, disabled_at, password_hash, is_site_admin, session_epoch OR DELETE
    ON users
    FOR EACH ROW EXECUTE FUNCTION toygres_notify_user_access();

CREATE FUNCTION toygres_notify_project_access() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('toygres_events', json_build_object(
        'table', 'access', 'op', TG_OP, 'row', json_build_object()
    )::text);
    RETURN NULL;
END
$$;
CREATE TRIGGER projects_notify_access AFTER UPDATE OF name ON projects
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION toygres_notify_project_access();
