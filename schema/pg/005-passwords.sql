-- zhitong store on PostgreSQL, migration 005: the twin of SQLite's 013
-- (schema/sqlite/013-passwords.sql, which says why): the console's
-- passwords (argon2id encoded hashes) and login lockout. Brings the store
-- to version 13.
ALTER TABLE users ADD COLUMN password_hash text CHECK (password_hash IS NULL OR password_hash LIKE '$argon2id$%');
ALTER TABLE users ADD COLUMN password_at text;
ALTER TABLE users ADD COLUMN failed_logins int8 NOT NULL DEFAULT 0 CHECK (failed_logins >= 0);
ALTER TABLE users ADD COLUMN locked_until int8 NOT NULL DEFAULT 0 CHECK (locked_until >= 0);
