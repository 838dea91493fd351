-- zhitong store, migration 003: batches and payer files (see docs/spec/money-flow.md "Batches"
-- and docs/batches.md).
--
-- A batch bills one fund for a set of claim shares (rows of settlement_fund,
-- keyed (settlement_id, seq)). batch_share is keyed by the share alone, so
-- the database itself guarantees that a share is in at most one batch, ever;
-- rows of batch_share are never updated or deleted.
--
-- A batch is never deleted either. Its status moves along
--   draft -> approved -> exported -> sent -> accepted -> part-paid / paid
--   draft -> rejected -> draft (reopened: see docs/batches.md)
-- and every move is a row of batch_event (who, when, from, to, why).

CREATE TABLE batch (
  id             TEXT PRIMARY KEY CHECK (length(id) BETWEEN 2 AND 35),
  fund_code      TEXT NOT NULL REFERENCES fund (code),
  seq            INTEGER NOT NULL CHECK (seq >= 1),       -- per fund, from 1
  status         TEXT NOT NULL CHECK (status = 'draft' OR status = 'approved' OR status = 'rejected' OR status = 'exported' OR status = 'sent' OR status = 'accepted' OR status = 'paid' OR status = 'part-paid'),
  through        INTEGER,                                  -- yyyymmdd of --through, or NULL
  period_from    INTEGER NOT NULL,                         -- first and last discharge date
  period_to      INTEGER NOT NULL,                         -- of the records
  count          INTEGER NOT NULL CHECK (count >= 0),     -- records, payable or not
  total          INTEGER NOT NULL,                         -- fen: sum of the payable records
  info_count     INTEGER NOT NULL DEFAULT 0,               -- records carried for information
  info_total     INTEGER NOT NULL DEFAULT 0,               -- fen: their sum (not billed)
  created_at     TEXT NOT NULL,
  created_by     TEXT NOT NULL,
  approved_at    TEXT,
  approved_by    TEXT,
  -- set by the first export; a later export must reproduce digest exactly
  exported_at    TEXT,
  file_path      TEXT,
  file_sha256    TEXT,                                     -- hex, of the whole file
  digest         TEXT,                                     -- hex, the file's record digest
  key_type       TEXT,                                     -- ed25519 | sm2
  -- set by the payer's answer
  receipt        TEXT,
  accepted_total INTEGER,                                  -- fen: total less rejected records
  -- set by reconciliation (zt_store_batch_add_payment)
  paid           INTEGER NOT NULL DEFAULT 0,
  UNIQUE (fund_code, seq),
  CHECK (period_from <= period_to),
  CHECK ((approved_by IS NULL) = (approved_at IS NULL))
);

-- Membership: one row per share, for ever. `payable` 0 marks a reversal
-- share whose original the payer rejected: it is in the file for the
-- record but outside the total (the payer never accepted what it reverses).
CREATE TABLE batch_share (
  settlement_id INTEGER NOT NULL,
  seq           INTEGER NOT NULL,
  batch_id      TEXT NOT NULL REFERENCES batch (id),
  payable       INTEGER NOT NULL CHECK (payable IN (0, 1)),
  PRIMARY KEY (settlement_id, seq),
  FOREIGN KEY (settlement_id, seq) REFERENCES settlement_fund (settlement_id, seq)
) WITHOUT ROWID;
CREATE INDEX batch_share_by_batch ON batch_share (batch_id, settlement_id, seq, payable);

-- What a batch reads of a claim: its discharge date (--through) and its
-- number (the payer file). A claim row carries its items, about a kilobyte,
-- so for a million records this index is read instead of a gigabyte of
-- claims (store_batches.c uses it by name).
CREATE INDEX claim_for_batch ON claim (id, dscg_date, claim_no);

-- The audit trail of a batch: every status change and every export.
CREATE TABLE batch_event (
  id          INTEGER PRIMARY KEY,
  batch_id    TEXT NOT NULL REFERENCES batch (id),
  at          TEXT NOT NULL,
  actor       TEXT NOT NULL,
  action      TEXT NOT NULL,
  status_from TEXT,                                        -- NULL for 'create'
  status_to   TEXT NOT NULL,
  detail      TEXT
);
CREATE INDEX batch_event_by_batch ON batch_event (batch_id, id);

-- Every hand-over to a payer's gateway, whatever came of it.
CREATE TABLE batch_send (
  id          INTEGER PRIMARY KEY,
  batch_id    TEXT NOT NULL REFERENCES batch (id),
  at          TEXT NOT NULL,
  actor       TEXT NOT NULL,
  gateway     TEXT NOT NULL,                               -- http | folder | manual
  outcome     TEXT NOT NULL CHECK (outcome = 'accepted' OR outcome = 'rejected' OR outcome = 'refused' OR outcome = 'pending' OR outcome = 'failed'),
  attempts    INTEGER NOT NULL DEFAULT 0,
  http_status INTEGER NOT NULL DEFAULT 0,
  receipt     TEXT,
  rejected    INTEGER NOT NULL DEFAULT 0,                  -- records the payer rejected
  message     TEXT NOT NULL
);
CREATE INDEX batch_send_by_batch ON batch_send (batch_id, id);

-- Records the payer rejected, with its reason. A share is in one batch,
-- so it is rejected at most once.
CREATE TABLE batch_reject (
  settlement_id INTEGER NOT NULL,
  seq           INTEGER NOT NULL,
  batch_id      TEXT NOT NULL REFERENCES batch (id),
  reason        TEXT NOT NULL,
  at            TEXT NOT NULL,
  PRIMARY KEY (settlement_id, seq),
  FOREIGN KEY (settlement_id, seq) REFERENCES batch_share (settlement_id, seq)
) WITHOUT ROWID;
CREATE INDEX batch_reject_by_batch ON batch_reject (batch_id);

CREATE TRIGGER batch_share_immutable_u BEFORE UPDATE ON batch_share BEGIN SELECT RAISE(ABORT, 'a share stays in its batch'); END;
CREATE TRIGGER batch_share_immutable_d BEFORE DELETE ON batch_share BEGIN SELECT RAISE(ABORT, 'a share stays in its batch'); END;
CREATE TRIGGER batch_immutable_d BEFORE DELETE ON batch BEGIN SELECT RAISE(ABORT, 'batches are never deleted'); END;
CREATE TRIGGER batch_event_immutable_u BEFORE UPDATE ON batch_event BEGIN SELECT RAISE(ABORT, 'the batch trail is immutable'); END;
CREATE TRIGGER batch_event_immutable_d BEFORE DELETE ON batch_event BEGIN SELECT RAISE(ABORT, 'the batch trail is immutable'); END;
CREATE TRIGGER batch_send_immutable_u BEFORE UPDATE ON batch_send BEGIN SELECT RAISE(ABORT, 'the batch trail is immutable'); END;
CREATE TRIGGER batch_send_immutable_d BEFORE DELETE ON batch_send BEGIN SELECT RAISE(ABORT, 'the batch trail is immutable'); END;
CREATE TRIGGER batch_reject_immutable_u BEFORE UPDATE ON batch_reject BEGIN SELECT RAISE(ABORT, 'payer rejections are immutable'); END;
CREATE TRIGGER batch_reject_immutable_d BEFORE DELETE ON batch_reject BEGIN SELECT RAISE(ABORT, 'payer rejections are immutable'); END;
