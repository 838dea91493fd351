-- zhitong store, migration 014: people log in to the web console with a
-- name and a password (docs/spec/service.md "Users, roles and tokens";
-- issue 12). Only the argon2id encoded hash ("$argon2id$v=19$m=...,t=...,
-- p=...$salt$hash", libargon2's form: it carries its own salt and costs),
-- never the password; NULL: no password, the user cannot log in. Repeated
-- failures lock the login: failed_logins counts the failures since the
-- last success, locked_until is the Unix second the lock ends (0: none).
-- The console's sessions are not stored: they live in the serving process
-- (a restart logs everyone out), by the SHA-256 of their ids.
ALTER TABLE users ADD COLUMN password_hash TEXT CHECK (password_hash IS NULL OR password_hash LIKE '$argon2id$%');
ALTER TABLE users ADD COLUMN password_at TEXT;
ALTER TABLE users ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0 CHECK (failed_logins >= 0);
ALTER TABLE users ADD COLUMN locked_until INTEGER NOT NULL DEFAULT 0 CHECK (locked_until >= 0);
