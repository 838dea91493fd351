-- zhitong store on PostgreSQL, migration 004: the twin of SQLite's 012
-- (schema/sqlite/012-users-audit.sql, which says why): the service's users
-- with their token hashes, and the audit trail's hash chain. Brings the
-- store to version 12.
CREATE TABLE users (
  name       text PRIMARY KEY CHECK (length(name) >= 1),
  roles      int8 NOT NULL CHECK (roles IN (1, 2, 4, 8, 16)),
  hospitals  text NOT NULL DEFAULT '',
  funds      text NOT NULL DEFAULT '',
  enabled    int8 NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  created_by text NOT NULL,
  created_at text NOT NULL,
  token_hash text UNIQUE CHECK (token_hash IS NULL OR length(token_hash) = 64),
  token_at   text,
  prev_hash  text UNIQUE CHECK (prev_hash IS NULL OR length(prev_hash) = 64),
  prev_until int8,
  CHECK (prev_hash IS NULL OR (token_hash IS NOT NULL AND prev_until IS NOT NULL)),
  CHECK ((token_hash IS NULL) = (token_at IS NULL))
);

ALTER TABLE audit ADD COLUMN operator text;
ALTER TABLE audit ADD COLUMN token_id text;
ALTER TABLE audit ADD COLUMN client text;
ALTER TABLE audit ADD COLUMN digest text CHECK (digest IS NULL OR length(digest) = 64);
ALTER TABLE audit ADD COLUMN prev_hash text CHECK (prev_hash IS NULL OR length(prev_hash) = 64);
ALTER TABLE audit ADD COLUMN hash text CHECK (hash IS NULL OR length(hash) = 64);

DROP TRIGGER audit_immutable_u ON audit;
-- zt:step chain_audit
CREATE TRIGGER audit_immutable_u BEFORE UPDATE ON audit FOR EACH ROW EXECUTE FUNCTION zt_immutable('the audit trail is immutable');
