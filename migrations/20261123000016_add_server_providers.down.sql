-- PostgreSQL cannot drop an enum value. The values stay (unused once the next migration is
-- undone, which removes what used them); re-running the up migration is a no-op.
SELECT 1;
