DROP TABLE operation_steps;
DROP TABLE operations;
DROP TYPE operation_target;
DROP TYPE operation_status;
