ALTER TABLE instances DROP COLUMN drill_of;
DROP TABLE restore_drills;
DROP TYPE drill_status;
DROP TABLE restore_drill_policies;
