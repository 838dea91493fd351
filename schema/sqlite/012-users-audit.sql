-- zhitong store, migration 012: the service's users with their token
-- hashes, and the audit trail's hash chain (docs/spec/service.md "Users,
-- roles and tokens" and "Audit trail"; engine/include/zhitong/audit.h and
-- token.h). Issue 11.
--
-- Users. The name is normalised (actor.h) by the engine before it is
-- stored; one role (access.h ZT_USER_*); a desk's hospitals and a fund
-- administrator's funds as their sorted codes joined by ','. Tokens: only
-- SHA-256 of a token's text, as 64 hex digits, never the text; the
-- current one with the time it was issued, and at most one previous one
-- with the Unix second its grace ends (token.h "Rolling"). The token id
-- is the first 12 digits of a hash: no column. Users are not facts: a
-- user is disabled, a token rolled or revoked — each change is an audit
-- record.
CREATE TABLE users (
  name       TEXT PRIMARY KEY CHECK (length(name) >= 1),
  roles      INTEGER NOT NULL CHECK (roles IN (1, 2, 4, 8, 16)),
  hospitals  TEXT NOT NULL DEFAULT '',
  funds      TEXT NOT NULL DEFAULT '',
  enabled    INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  token_hash TEXT UNIQUE CHECK (token_hash IS NULL OR length(token_hash) = 64),
  token_at   TEXT,
  prev_hash  TEXT UNIQUE CHECK (prev_hash IS NULL OR length(prev_hash) = 64),
  prev_until INTEGER,
  CHECK (prev_hash IS NULL OR (token_hash IS NOT NULL AND prev_until IS NOT NULL)),
  CHECK ((token_hash IS NULL) = (token_at IS NULL))
) WITHOUT ROWID;

-- The audit trail's chain: the fields a record gained (operator, token id,
-- client address, digest of what changed, as 64 hex digits) and, for every
-- record, the previous record's hash and its own (audit.h: SHA-256 of the
-- previous hash and the record's canonical form; the record's number is
-- its id). Records written before this migration are chained by it, in id
-- order, from the zero hash (the step below, engine/src/store/*/audit.c):
-- the chain then covers the whole trail, so that none of the older records
-- can be changed later unseen. It cannot vouch for what they were before
-- the migration — nothing could; a gap already there stays a gap, which
-- `audit verify` reports as records removed.
ALTER TABLE audit ADD COLUMN operator TEXT;
ALTER TABLE audit ADD COLUMN token_id TEXT;
ALTER TABLE audit ADD COLUMN client TEXT;
ALTER TABLE audit ADD COLUMN digest TEXT CHECK (digest IS NULL OR length(digest) = 64);
ALTER TABLE audit ADD COLUMN prev_hash TEXT CHECK (prev_hash IS NULL OR length(prev_hash) = 64);
ALTER TABLE audit ADD COLUMN hash TEXT CHECK (hash IS NULL OR length(hash) = 64);

-- The trail is immutable: the trigger steps aside for the step alone, in
-- this migration's transaction, and is back before it commits.
DROP TRIGGER audit_immutable_u;
-- zt:step chain_audit
CREATE TRIGGER audit_immutable_u BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit trail is immutable'); END;
