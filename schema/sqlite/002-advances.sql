-- zhitong store, migration 002: advances (see docs/spec/money-flow.md "Advances").
--
-- The pool pays each hospital ahead (an advance, 预拨付) so that the
-- hospital never fronts the funds' shares itself. An advance is planned
-- (one line per hospital, computed from the ledger), approved by a second
-- person, and issued: one ledger transfer pool:bank -> hospital:<code>
-- (debit hospital:<code>, credit pool:bank, kind 'advance', ref = the
-- advance id) and one ISO 20022 pain.001 transaction whose EndToEndId is
-- that same id. Everything here is a fact: never updated, never deleted.
--
-- No index is added to `transfer`: settling claims is the hot path and
-- every index there costs each of its transfers; the advance reports read
-- the ledger in one ordered pass instead.

-- A proposal of top-ups, frozen when it is made. `advance_seen` is the
-- highest advance row when the plan was computed: an advance issued after
-- it to one of the plan's hospitals makes the plan's balances stale.
CREATE TABLE advance_plan (
  id           INTEGER PRIMARY KEY,
  plan_id      TEXT NOT NULL UNIQUE CHECK (length(plan_id) BETWEEN 1 AND 35),
  as_of        INTEGER NOT NULL,              -- last day of the earnings window
  target_days   INTEGER NOT NULL CHECK (target_days BETWEEN 1 AND 366),
  window_from  INTEGER NOT NULL,              -- first day of the earnings window
  min_topup    INTEGER NOT NULL CHECK (min_topup >= 0),
  advance_seen INTEGER NOT NULL,
  total        INTEGER NOT NULL CHECK (total >= 0),
  made_by      TEXT NOT NULL,
  made_at      TEXT NOT NULL,
  CHECK (window_from <= as_of)
);

-- One line per hospital of the registry. basis 'target': a fixed float
-- from the configuration; 'days': the fund shares the hospital earned in
-- the window (by settlement time). topup = target - balance when that is
-- positive (and, for a hospital not below zero, at least min_topup), else 0.
CREATE TABLE advance_plan_line (
  plan_row      INTEGER NOT NULL REFERENCES advance_plan (id),
  hospital      TEXT NOT NULL REFERENCES hospital (code),
  basis         TEXT NOT NULL CHECK (basis IN ('target', 'days')),
  window_earned INTEGER NOT NULL,
  target        INTEGER NOT NULL CHECK (target >= 0),
  balance       INTEGER NOT NULL,
  topup         INTEGER NOT NULL CHECK (topup >= 0),
  PRIMARY KEY (plan_row, hospital)
) WITHOUT ROWID;

-- The second pair of eyes: at most one approval per plan, never by its maker.
CREATE TABLE advance_approval (
  plan_row    INTEGER PRIMARY KEY REFERENCES advance_plan (id),
  approved_by TEXT NOT NULL,
  approved_at TEXT NOT NULL
);

-- One row per advance paid. `advance_id` is the ledger transfer's ref and
-- the pain.001 EndToEndId; `msg_id` the pain.001 MsgId of the file that
-- carried it (the plan id, or the advance id of a single advance).
-- made_by: the plan's maker, or the issuer of a single advance.
CREATE TABLE advance (
  id             INTEGER PRIMARY KEY,
  advance_id     TEXT NOT NULL UNIQUE CHECK (length(advance_id) BETWEEN 1 AND 35),
  hospital       TEXT NOT NULL REFERENCES hospital (code),
  amount         INTEGER NOT NULL CHECK (amount > 0),
  plan_row       INTEGER REFERENCES advance_plan (id),
  msg_id         TEXT NOT NULL CHECK (length(msg_id) BETWEEN 1 AND 35),
  made_by        TEXT NOT NULL,
  approved_by    TEXT NOT NULL,
  issued_by      TEXT NOT NULL,
  issued_at      TEXT NOT NULL,
  execution_date INTEGER NOT NULL,
  file           TEXT NOT NULL,
  UNIQUE (plan_row, hospital),
  CHECK (made_by <> approved_by)
);
CREATE INDEX advance_by_msg ON advance (msg_id);
CREATE INDEX advance_by_plan ON advance (plan_row);

CREATE TRIGGER advance_plan_immutable_u BEFORE UPDATE ON advance_plan BEGIN SELECT RAISE(ABORT, 'advance plans are immutable'); END;
CREATE TRIGGER advance_plan_immutable_d BEFORE DELETE ON advance_plan BEGIN SELECT RAISE(ABORT, 'advance plans are immutable'); END;
CREATE TRIGGER advance_plan_line_immutable_u BEFORE UPDATE ON advance_plan_line BEGIN SELECT RAISE(ABORT, 'advance plans are immutable'); END;
CREATE TRIGGER advance_plan_line_immutable_d BEFORE DELETE ON advance_plan_line BEGIN SELECT RAISE(ABORT, 'advance plans are immutable'); END;
CREATE TRIGGER advance_approval_immutable_u BEFORE UPDATE ON advance_approval BEGIN SELECT RAISE(ABORT, 'approvals are immutable'); END;
CREATE TRIGGER advance_approval_immutable_d BEFORE DELETE ON advance_approval BEGIN SELECT RAISE(ABORT, 'approvals are immutable'); END;
CREATE TRIGGER advance_immutable_u BEFORE UPDATE ON advance BEGIN SELECT RAISE(ABORT, 'advances are immutable'); END;
CREATE TRIGGER advance_immutable_d BEFORE DELETE ON advance BEGIN SELECT RAISE(ABORT, 'advances are immutable'); END;
