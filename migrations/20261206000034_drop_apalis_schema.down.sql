-- apalis's own setup (run by the versions that used it) creates its schema again, from its own
-- migrations. Only the helper the previous migration's down step expects comes back.
CREATE FUNCTION toygres_move_apalis_jobs() RETURNS bigint
LANGUAGE sql AS $$ SELECT 0::bigint $$;
