-- apalis is gone from Toygres: move anything that reached its table since the last migration
-- (a process of the previous version still running), then drop its schema, its migration
-- history included (`apalis._sqlx_migrations`). On a database that never had apalis this does
-- nothing. The extensions its setup created (hstore, pgcrypto) are left: an extension may have
-- users other than apalis, and dropping one is the database owner's decision.
SELECT toygres_move_apalis_jobs();
DROP FUNCTION toygres_move_apalis_jobs();
DROP SCHEMA IF EXISTS apalis CASCADE;
