DROP INDEX api_tokens_project_idx;
DROP TRIGGER api_tokens_notify_access ON api_tokens;
DROP TRIGGER memberships_notify_access ON memberships;
DROP TRIGGER users_notify_access ON users;
DROP FUNCTION toygres_notify_token_access();
DROP FUNCTION toygres_notify_membership_access();
DROP FUNCTION toygres_notify_user_access();
