-- zhitong store, migration 015: the answers kept for Idempotency-Key
-- (docs/spec/service.md "Endpoints": "Every POST that is not a claim
-- accepts an Idempotency-Key header, scoped to the user, the method and
-- the path and kept at least 7 days"). Issue 11.
--
-- One row per key in its scope. `scope` is the SHA-256 (64 hex digits) of
-- the user, the method, the path and the key: the key's text is the
-- client's and is not kept. `body_sha` is the SHA-256 of the request's
-- body: the same key with another body is refused. While the first
-- request runs, status and answer are NULL (409 idempotency-in-progress
-- to another) and `expires_s` is a short lease, so a process that died
-- mid-request frees the key; once answered, `expires_s` is 7 days on (the
-- Unix second after which the row counts as absent and is deleted). A 5xx
-- answer is not kept: its row is deleted. Not a fact: rows come and go.
CREATE TABLE idempotency (
  scope        TEXT PRIMARY KEY CHECK (length(scope) = 64),
  body_sha     TEXT NOT NULL CHECK (length(body_sha) = 64),
  created_at   TEXT NOT NULL,
  expires_s    INTEGER NOT NULL,
  status       INTEGER CHECK (status IS NULL OR (status >= 100 AND status < 500)),
  content_type TEXT,
  answer       TEXT,
  CHECK ((status IS NULL) = (answer IS NULL))
);
CREATE INDEX idempotency_expires ON idempotency (expires_s);
