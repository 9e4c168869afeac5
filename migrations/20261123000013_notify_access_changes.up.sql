-- Who may do what changes when a user is disabled, deleted or given a new password, when a
-- membership changes, and when an API token is revoked or deleted. Each such change is
-- announced on the event channel with ids only (users carry password hashes), so that every
-- process closes the subscriptions it no longer may serve, at once.
CREATE FUNCTION toygres_notify_user_access() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('toygres_events', json_build_object(
        'table', 'access', 'op', TG_OP,
        'row', json_build_object('user_id', OLD.id)
    )::text);
    RETURN NULL;
END
$$;

CREATE FUNCTION toygres_notify_membership_access() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('toygres_events', json_build_object(
        'table', 'access', 'op', TG_OP,
        'row', json_build_object('user_id', COALESCE(NEW.user_id, OLD.user_id))
    )::text);
    RETURN NULL;
END
$$;

CREATE FUNCTION toygres_notify_token_access() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('toygres_events', json_build_object(
        'table', 'access', 'op', TG_OP,
        'row', json_build_object('token_id', OLD.id)
    )::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER users_notify_access
    AFTER UPDATE OF disabled_at, password_hash, is_site_admin OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION toygres_notify_user_access();
CREATE TRIGGER memberships_notify_access AFTER INSERT OR UPDATE OR DELETE ON memberships
    FOR EACH ROW EXECUTE FUNCTION toygres_notify_membership_access();
CREATE TRIGGER api_tokens_notify_access AFTER UPDATE OF revoked_at OR DELETE ON api_tokens
    FOR EACH ROW EXECUTE FUNCTION toygres_notify_token_access();

CREATE INDEX api_tokens_project_idx ON api_tokens (project_id, created_at DESC);
