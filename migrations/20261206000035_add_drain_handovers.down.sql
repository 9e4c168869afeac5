DROP TABLE drain_handovers;
DROP TYPE drain_action;
