-- zhitong store, migration 004: bank statements and reconciliation (see docs/spec/money-flow.md
-- "Reconciliation" and docs/reconciliation.md).
--
-- The pool account's camt.053 statements are stored entry by entry, each
-- once however often its file is imported: `ref` is the bank's reference
-- (AcctSvcrRef, else NtryRef, "#k" for the k-th transaction of a split
-- entry) or, when the bank gives none, 'sha256:' and the reader's digest of
-- the entry. Matching links an entry to what it pays (batches) or confirms
-- (an advance); whatever cannot be matched by the rules becomes an
-- exception that a person resolves. Every row here is a fact, never updated
-- or deleted, except the counts of an import, written when it ends. The
-- state of an entry is derived: matched (a recon_match row), in exception
-- (a recon_exception row, open until its recon_resolution row), or open
-- (neither: it waits for its batch to be answered by the payer).
--
-- The ledger side (transfer, kinds payment suspense refund write-off
-- confirm) is described in docs/reconciliation.md; `zhitong verify` checks
-- that the two agree.

-- One row per import of a statement file, re-imports included.
CREATE TABLE bank_import (
  id          INTEGER PRIMARY KEY,
  file        TEXT NOT NULL,                 -- the path as given
  file_sha256 TEXT NOT NULL,                 -- hex, of the whole file
  version     INTEGER NOT NULL CHECK (version IN (2, 8)),
  msg_id      TEXT NOT NULL,                 -- GrpHdr/MsgId
  reported    INTEGER NOT NULL DEFAULT 0,    -- transactions the file reports
  stored      INTEGER NOT NULL DEFAULT 0,    -- new entries stored by this import
  known       INTEGER NOT NULL DEFAULT 0,    -- entries stored before (re-import, overlap)
  not_booked  INTEGER NOT NULL DEFAULT 0,    -- PDNG INFO FUTR: not stored
  at          TEXT NOT NULL,
  actor       TEXT NOT NULL
);

CREATE TABLE bank_entry (
  id            INTEGER PRIMARY KEY,
  ref           TEXT NOT NULL UNIQUE CHECK (length(ref) BETWEEN 1 AND 80),
  import_id     INTEGER NOT NULL REFERENCES bank_import (id),
  stmt_id       TEXT NOT NULL,
  account       TEXT NOT NULL,
  digest        TEXT NOT NULL CHECK (length(digest) = 64),
  credit        INTEGER NOT NULL CHECK (credit IN (0, 1)),
  amount        INTEGER NOT NULL CHECK (amount >= 0),  -- fen
  currency      TEXT NOT NULL,
  booking_date  INTEGER NOT NULL,                       -- yyyymmdd
  value_date    INTEGER NOT NULL,                       -- yyyymmdd, 0 if none
  reversal      INTEGER NOT NULL CHECK (reversal IN (0, 1)),
  end_to_end_id TEXT NOT NULL,
  remittance    TEXT NOT NULL,
  tx_ref        TEXT NOT NULL
);

-- What an exception is about. Entry exceptions (entry_id set) hold the
-- entry's money in suspense:bank until resolved; the others (missing, and
-- amount when a batch stays short) are about a batch or an advance that was
-- due. batch_id / advance_id: the subject, or the engine's one candidate.
CREATE TABLE recon_exception (
  id         INTEGER PRIMARY KEY,
  exc_id     TEXT NOT NULL UNIQUE,                    -- EXC-000001
  kind       TEXT NOT NULL CHECK (kind = 'amount' OR kind = 'unknown' OR kind = 'duplicate' OR kind = 'ambiguous' OR kind = 'date' OR kind = 'missing' OR kind = 'reversal'),
  entry_id   INTEGER UNIQUE REFERENCES bank_entry (id),
  batch_id   TEXT REFERENCES batch (id),
  advance_id TEXT REFERENCES advance (advance_id),
  amount     INTEGER NOT NULL CHECK (amount >= 0),    -- fen in question
  since      INTEGER NOT NULL,                        -- yyyymmdd the age counts from
  detail     TEXT NOT NULL,
  raised_at  TEXT NOT NULL,
  raised_by  TEXT NOT NULL,
  CHECK (entry_id IS NOT NULL OR kind IN ('missing', 'amount')),
  CHECK (entry_id IS NOT NULL OR batch_id IS NOT NULL OR advance_id IS NOT NULL)
);
-- A batch or an advance is found overdue once per kind, ever.
CREATE UNIQUE INDEX recon_exception_due ON recon_exception (kind, COALESCE(batch_id, ''),
  COALESCE(advance_id, '')) WHERE entry_id IS NULL;
CREATE INDEX recon_exception_by_batch ON recon_exception (batch_id) WHERE batch_id IS NOT NULL;
CREATE INDEX recon_exception_by_advance ON recon_exception (advance_id) WHERE advance_id IS NOT NULL;

-- A person's decision (or 'settled': closed by itself when what was due
-- arrived). The primary key makes it once per exception.
CREATE TABLE recon_resolution (
  exception_id INTEGER PRIMARY KEY REFERENCES recon_exception (id),
  resolution   TEXT NOT NULL CHECK (resolution = 'accept' OR resolution = 'match' OR resolution = 'refund' OR resolution = 'write-off' OR resolution = 'ignore' OR resolution = 'settled'),
  target       TEXT,                                  -- match: the batch ids or the advance id
  note         TEXT NOT NULL CHECK (length(note) >= 1),
  at           TEXT NOT NULL,
  actor        TEXT NOT NULL
);

-- A match: a bank entry paying batches (recon_alloc) or confirming an
-- advance, or a write-off of what a batch still owed (no entry). At most
-- one per entry and one per advance, ever (the UNIQUE columns).
CREATE TABLE recon_match (
  id           INTEGER PRIMARY KEY,
  entry_id     INTEGER REFERENCES bank_entry (id),
  advance_id   TEXT REFERENCES advance (advance_id),
  exception_id INTEGER REFERENCES recon_exception (id),  -- the decision it carries out
  at           TEXT NOT NULL,
  actor        TEXT NOT NULL,
  CHECK (entry_id IS NOT NULL OR exception_id IS NOT NULL)
);
-- Unique where set: partial indexes hold no entry for the NULLs, which
-- most matches have in two of the three columns.
CREATE UNIQUE INDEX recon_match_entry ON recon_match (entry_id) WHERE entry_id IS NOT NULL;
CREATE UNIQUE INDEX recon_match_advance ON recon_match (advance_id) WHERE advance_id IS NOT NULL;
CREATE UNIQUE INDEX recon_match_exception ON recon_match (exception_id)
  WHERE exception_id IS NOT NULL;

-- The part of a match that pays one batch: `amount` from the bank entry,
-- `written_off` by the pool (the amount tolerance, or a write-off of the
-- remainder). batch.paid is the sum of both over the batch's rows.
CREATE TABLE recon_alloc (
  match_id    INTEGER NOT NULL REFERENCES recon_match (id),
  batch_id    TEXT NOT NULL REFERENCES batch (id),
  amount      INTEGER NOT NULL CHECK (amount >= 0),
  written_off INTEGER NOT NULL DEFAULT 0 CHECK (written_off >= 0),
  PRIMARY KEY (match_id, batch_id),
  CHECK (amount + written_off > 0)
) WITHOUT ROWID;
CREATE INDEX recon_alloc_by_batch ON recon_alloc (batch_id);

CREATE TRIGGER bank_import_immutable_d BEFORE DELETE ON bank_import BEGIN SELECT RAISE(ABORT, 'statement imports are never deleted'); END;
CREATE TRIGGER bank_import_immutable_u BEFORE UPDATE OF id, file, file_sha256, version, msg_id, at, actor ON bank_import BEGIN SELECT RAISE(ABORT, 'statement imports are immutable'); END;
CREATE TRIGGER bank_entry_immutable_u BEFORE UPDATE ON bank_entry BEGIN SELECT RAISE(ABORT, 'bank entries are immutable'); END;
CREATE TRIGGER bank_entry_immutable_d BEFORE DELETE ON bank_entry BEGIN SELECT RAISE(ABORT, 'bank entries are immutable'); END;
CREATE TRIGGER recon_exception_immutable_u BEFORE UPDATE ON recon_exception BEGIN SELECT RAISE(ABORT, 'exceptions are immutable'); END;
CREATE TRIGGER recon_exception_immutable_d BEFORE DELETE ON recon_exception BEGIN SELECT RAISE(ABORT, 'exceptions are immutable'); END;
CREATE TRIGGER recon_resolution_immutable_u BEFORE UPDATE ON recon_resolution BEGIN SELECT RAISE(ABORT, 'resolutions are immutable'); END;
CREATE TRIGGER recon_resolution_immutable_d BEFORE DELETE ON recon_resolution BEGIN SELECT RAISE(ABORT, 'resolutions are immutable'); END;
CREATE TRIGGER recon_match_immutable_u BEFORE UPDATE ON recon_match BEGIN SELECT RAISE(ABORT, 'matches are immutable'); END;
CREATE TRIGGER recon_match_immutable_d BEFORE DELETE ON recon_match BEGIN SELECT RAISE(ABORT, 'matches are immutable'); END;
CREATE TRIGGER recon_alloc_immutable_u BEFORE UPDATE ON recon_alloc BEGIN SELECT RAISE(ABORT, 'matches are immutable'); END;
CREATE TRIGGER recon_alloc_immutable_d BEFORE DELETE ON recon_alloc BEGIN SELECT RAISE(ABORT, 'matches are immutable'); END;
