-- zhitong store on PostgreSQL, migration 006: the twin of SQLite's 014
-- (schema/sqlite/014-passwords.sql, which says why): the console's
-- passwords (argon2id encoded hashes) and login lockout. Brings the store
-- to version 14.
ALTER TABLE users ADD COLUMN password_hash text CHECK (password_hash IS NULL OR password_hash LIKE '$argon2id$%');
ALTER TABLE users ADD COLUMN password_at text;
ALTER TABLE users ADD COLUMN failed_logins int8 NOT NULL DEFAULT 0 CHECK (failed_logins >= 0);
ALTER TABLE users ADD COLUMN locked_until int8 NOT NULL DEFAULT 0 CHECK (locked_until >= 0);
