-- zhitong store, migration 005: a single advance is a plan of one line
-- (docs/advances.md "A single advance").
--
-- zhitong used to pay one advance on `--approved-by NAME`, a name the
-- issuer typed. Now every advance is paid from an approved plan: a single
-- advance is stored by `advance plan --hospital H --amount X` as a plan
-- whose one line has basis 'request' (an amount a person asked for, not a
-- top-up computed from the ledger: its target and window_earned are 0), is
-- approved by another person, and is issued like any plan. Advances paid
-- the old way (plan_row NULL) stay as they were.
--
-- SQLite cannot widen a CHECK in place, so the plan lines move to a new
-- table of the same name; the lines are facts, copied unchanged. DROP TABLE
-- fires no trigger; the immutability triggers are created again.

CREATE TABLE advance_plan_line_v5 (
  plan_row      INTEGER NOT NULL REFERENCES advance_plan (id),
  hospital      TEXT NOT NULL REFERENCES hospital (code),
  basis         TEXT NOT NULL CHECK (basis IN ('target', 'days', 'request')),
  window_earned INTEGER NOT NULL,
  target        INTEGER NOT NULL CHECK (target >= 0),
  balance       INTEGER NOT NULL,
  topup         INTEGER NOT NULL CHECK (topup >= 0),
  PRIMARY KEY (plan_row, hospital),
  CHECK (basis <> 'request' OR (topup > 0 AND target = 0 AND window_earned = 0))
) WITHOUT ROWID;

INSERT INTO advance_plan_line_v5 (plan_row, hospital, basis, window_earned, target, balance, topup)
  SELECT plan_row, hospital, basis, window_earned, target, balance, topup FROM advance_plan_line;
DROP TABLE advance_plan_line;
ALTER TABLE advance_plan_line_v5 RENAME TO advance_plan_line;

CREATE TRIGGER advance_plan_line_immutable_u BEFORE UPDATE ON advance_plan_line BEGIN SELECT RAISE(ABORT, 'advance plans are immutable'); END;
CREATE TRIGGER advance_plan_line_immutable_d BEFORE DELETE ON advance_plan_line BEGIN SELECT RAISE(ABORT, 'advance plans are immutable'); END;
