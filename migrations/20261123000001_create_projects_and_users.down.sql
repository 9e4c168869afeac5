DROP TABLE memberships;
DROP TABLE users;
DROP TABLE projects;
DROP TYPE member_role;
