-- zhitong store, migration 005: money that cannot go wrong (docs/batches.md "Money owed
-- back to a fund", docs/reconciliation.md "Money owed back").
--
-- 1. What the pool pays back to a fund. A batch whose reversals outweigh its new shares
--    (claims reversed after the batch holding them was billed) has a negative total: the
--    pool owes the fund. So does a batch that the payer paid whole before its answer took
--    records out. Such money goes back by one of two routes, each a row here:
--      repay   the pool's credit transfer to the fund (`batch repay`: a pain.001 whose
--              EndToEndId is return_id), booked when it is issued (debit fund:F, credit
--              pool:bank, kind 'repay', ref return_id) and confirmed by the bank's debit
--              (recon_match.return_id), as an advance is;
--      netted  the payer's own netting: a credit naming this batch together with batches
--              it owes, for exactly their net (reconciliation books debit fund:F, credit
--              pool:bank or suspense:bank, kind 'netted', ref the bank entry).
--    batch.returned caches the sum of a batch's rows; `zhitong verify` recomputes it.
-- 2. Guards: SQLite's `+` and SUM() leave int64 for floating point on an overflow. The
--    engine checks every sum before it writes it; these triggers make the database refuse
--    a money cache that is not an integer all the same.
--
-- Self-contained: it adds columns, tables, indexes and triggers, and changes no row.

ALTER TABLE batch ADD COLUMN returned INTEGER NOT NULL DEFAULT 0 CHECK (returned >= 0);

CREATE TABLE batch_return (
  id             INTEGER PRIMARY KEY,
  batch_id       TEXT NOT NULL REFERENCES batch (id),
  kind           TEXT NOT NULL CHECK (kind = 'repay' OR kind = 'netted'),
  return_id      TEXT UNIQUE CHECK (return_id IS NULL OR length(return_id) BETWEEN 1 AND 35),
  amount         INTEGER NOT NULL CHECK (amount > 0),          -- fen
  entry_id       INTEGER REFERENCES bank_entry (id),           -- netted: the credit
  msg_id         TEXT,                                         -- repay: pain.001 MsgId
  file           TEXT,                                         -- repay: the pain.001 written
  execution_date INTEGER,                                      -- repay: yyyymmdd
  actor          TEXT NOT NULL,
  at             TEXT NOT NULL,
  CHECK ((kind = 'repay') = (return_id IS NOT NULL)),
  CHECK ((kind = 'repay') = (msg_id IS NOT NULL AND file IS NOT NULL AND execution_date IS NOT NULL)),
  CHECK ((kind = 'netted') = (entry_id IS NOT NULL))
);
CREATE INDEX batch_return_by_batch ON batch_return (batch_id);

-- A bank debit confirms a repayment as it confirms an advance: once.
ALTER TABLE recon_match ADD COLUMN return_id TEXT REFERENCES batch_return (return_id);
CREATE UNIQUE INDEX recon_match_return ON recon_match (return_id) WHERE return_id IS NOT NULL;
-- The repayment an exception is about (overdue, or the one candidate of a debit).
ALTER TABLE recon_exception ADD COLUMN return_id TEXT REFERENCES batch_return (return_id);
-- Found overdue once per kind and subject, ever: now a repayment is a subject too (its
-- batch may have been overdue itself before it was paid).
DROP INDEX recon_exception_due;
CREATE UNIQUE INDEX recon_exception_due ON recon_exception (kind, COALESCE(batch_id, ''),
  COALESCE(advance_id, ''), COALESCE(return_id, '')) WHERE entry_id IS NULL;

CREATE TRIGGER batch_return_immutable_u BEFORE UPDATE ON batch_return BEGIN SELECT RAISE(ABORT, 'returns are immutable'); END;
CREATE TRIGGER batch_return_immutable_d BEFORE DELETE ON batch_return BEGIN SELECT RAISE(ABORT, 'returns are immutable'); END;

-- Money caches are integers (a REAL here is an int64 overflow that slipped through).
CREATE TRIGGER account_balance_integer_i BEFORE INSERT ON account
  WHEN typeof(NEW.balance) <> 'integer'
  BEGIN SELECT RAISE(ABORT, 'account balance out of range: not a whole number of fen'); END;
CREATE TRIGGER account_balance_integer_u BEFORE UPDATE OF balance ON account
  WHEN typeof(NEW.balance) <> 'integer'
  BEGIN SELECT RAISE(ABORT, 'account balance out of range: not a whole number of fen'); END;
CREATE TRIGGER accum_amount_integer_i BEFORE INSERT ON accum
  WHEN typeof(NEW.amount) <> 'integer'
  BEGIN SELECT RAISE(ABORT, 'accumulator out of range: not a whole number of fen'); END;
CREATE TRIGGER accum_amount_integer_u BEFORE UPDATE OF amount ON accum
  WHEN typeof(NEW.amount) <> 'integer'
  BEGIN SELECT RAISE(ABORT, 'accumulator out of range: not a whole number of fen'); END;
CREATE TRIGGER batch_money_integer_i BEFORE INSERT ON batch
  WHEN typeof(NEW.total) <> 'integer' OR typeof(NEW.info_total) <> 'integer'
    OR typeof(NEW.paid) <> 'integer' OR typeof(NEW.returned) <> 'integer'
    OR typeof(NEW.accepted_total) NOT IN ('integer', 'null')
  BEGIN SELECT RAISE(ABORT, 'batch amount out of range: not a whole number of fen'); END;
CREATE TRIGGER batch_money_integer_u BEFORE UPDATE OF total, info_total, paid, returned,
  accepted_total ON batch
  WHEN typeof(NEW.total) <> 'integer' OR typeof(NEW.info_total) <> 'integer'
    OR typeof(NEW.paid) <> 'integer' OR typeof(NEW.returned) <> 'integer'
    OR typeof(NEW.accepted_total) NOT IN ('integer', 'null')
  BEGIN SELECT RAISE(ABORT, 'batch amount out of range: not a whole number of fen'); END;
