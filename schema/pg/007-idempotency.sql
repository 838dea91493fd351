-- zhitong store on PostgreSQL, migration 007: the twin of SQLite's 015
-- (schema/sqlite/015-idempotency.sql, which says why): the answers kept
-- for Idempotency-Key. Brings the store to version 15.
CREATE TABLE idempotency (
  scope        text PRIMARY KEY CHECK (length(scope) = 64),
  body_sha     text NOT NULL CHECK (length(body_sha) = 64),
  created_at   text NOT NULL,
  expires_s    int8 NOT NULL,
  status       int8 CHECK (status IS NULL OR (status >= 100 AND status < 500)),
  content_type text,
  answer       text,
  CHECK ((status IS NULL) = (answer IS NULL))
);
CREATE INDEX idempotency_expires ON idempotency (expires_s);
