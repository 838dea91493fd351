-- zhitong store, migration 001: the clearing core.
--
-- Conventions: CHECKs list allowed values as OR chains, not IN (...): SQLite
-- builds an ephemeral index for an IN list of three or more values each
-- time the CHECK runs, on every insert.
-- Money columns are INTEGER fen, ratios INTEGER basis points,
-- dates INTEGER yyyymmdd, timestamps TEXT ISO 8601 UTC. Facts are never
-- updated or deleted (triggers below refuse it); corrections are new rows.
-- The only rows updated in place are caches whose truth is elsewhere
-- (accum = sums of settlement_fund; account = sums of transfer), and
-- `zhitong verify` recomputes both.

CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

-- Registries (upserted by `registry load`).
CREATE TABLE hospital (
  code   TEXT PRIMARY KEY,
  name   TEXT NOT NULL,
  level  INTEGER NOT NULL CHECK (level BETWEEN 1 AND 4),
  county TEXT NOT NULL CHECK (length(county) = 6)
) WITHOUT ROWID;

CREATE TABLE person (
  psn_no   TEXT PRIMARY KEY,
  name     TEXT NOT NULL,
  id_no    TEXT NOT NULL CHECK (length(id_no) = 18),
  category TEXT NOT NULL CHECK (category = 'general' OR category = 'poor' OR category = 'lowinc' OR category = 'destitute'),
  county   TEXT NOT NULL CHECK (length(county) = 6)
) WITHOUT ROWID;

CREATE TABLE fund (
  code TEXT PRIMARY KEY CHECK (length(code) = 6),
  name TEXT NOT NULL
) WITHOUT ROWID;

-- Policy versions, kept as the exact XML loaded (the split reads the
-- parsed form; auditors read this).
CREATE TABLE policy (
  id             INTEGER PRIMARY KEY,
  policy_id      TEXT NOT NULL,
  name           TEXT NOT NULL,
  county         TEXT NOT NULL,
  effective_from INTEGER NOT NULL,
  effective_to   INTEGER NOT NULL,           -- 99991231 when open-ended
  source_xml     TEXT NOT NULL,
  digest         TEXT NOT NULL,              -- hex SHA-256 of source_xml
  loaded_at      TEXT NOT NULL,
  loaded_by      TEXT NOT NULL,
  CHECK (effective_from <= effective_to)
);
CREATE INDEX policy_by_county ON policy (county, effective_from);

-- A claim as received: one row per accepted submission. `seq` counts the
-- settlements of one (hospital, claim_no): a number is reusable only after
-- a reversal, and then the new claim gets seq + 1.
CREATE TABLE claim (
  id                 INTEGER PRIMARY KEY,
  fixmedins_code     TEXT NOT NULL REFERENCES hospital (code),
  claim_no           TEXT NOT NULL,
  seq                INTEGER NOT NULL,
  psn_no             TEXT NOT NULL REFERENCES person (psn_no),
  adm_date           INTEGER NOT NULL,
  dscg_date          INTEGER NOT NULL CHECK (adm_date <= dscg_date),
  dscg_maindiag_code TEXT NOT NULL,
  medfee_sumamt      INTEGER NOT NULL CHECK (medfee_sumamt >= 0),
  item_count         INTEGER NOT NULL CHECK (item_count >= 1),
  items              TEXT NOT NULL,          -- canonical item lines (claim.c)
  digest             BLOB NOT NULL,          -- SHA-256 of the canonical claim
  received_at        TEXT NOT NULL,
  UNIQUE (fixmedins_code, claim_no, seq)
);

-- Settlements and their reversals. A reversal is a row of kind 'reverse'
-- with every amount negated and `reverses` pointing at the original.
CREATE TABLE settlement (
  id                  INTEGER PRIMARY KEY,
  setl_id             TEXT NOT NULL UNIQUE,
  claim_id            INTEGER NOT NULL REFERENCES claim (id),
  kind                TEXT NOT NULL CHECK (kind IN ('settle', 'reverse')),
  reverses            INTEGER UNIQUE REFERENCES settlement (id),
  reason              TEXT,
  actor               TEXT NOT NULL,
  policy_row          INTEGER NOT NULL REFERENCES policy (id),
  year                INTEGER NOT NULL,
  psn_no              TEXT NOT NULL,
  fixmedins_code      TEXT NOT NULL,
  category            TEXT NOT NULL,
  hospital_level      INTEGER NOT NULL,
  in_county           INTEGER NOT NULL CHECK (in_county IN (0, 1)),
  medfee_sumamt       INTEGER NOT NULL,
  fulamt_ownpay_amt   INTEGER NOT NULL,
  overlmt_selfpay     INTEGER NOT NULL,
  preselfpay_amt      INTEGER NOT NULL,
  inscp_scp_amt       INTEGER NOT NULL,
  act_pay_dedc        INTEGER NOT NULL,
  pool_prop_bp        INTEGER NOT NULL CHECK (pool_prop_bp BETWEEN 0 AND 10000),
  hifp_pay            INTEGER NOT NULL,
  hifmi_pay           INTEGER NOT NULL,
  maf_pay             INTEGER NOT NULL,
  oth_pay             INTEGER NOT NULL,
  fund_pay_sumamt     INTEGER NOT NULL,
  hosp_part_amt       INTEGER NOT NULL,
  psn_part_amt        INTEGER NOT NULL,
  critical_base_added INTEGER NOT NULL,
  settled_at          TEXT NOT NULL,
  -- conservation, guarded by the database itself as well as by the engine
  CHECK (fund_pay_sumamt + hosp_part_amt + psn_part_amt = medfee_sumamt),
  CHECK (hifp_pay + hifmi_pay + maf_pay + oth_pay = fund_pay_sumamt),
  CHECK (fulamt_ownpay_amt + overlmt_selfpay + preselfpay_amt + inscp_scp_amt = medfee_sumamt),
  CHECK ((kind = 'settle') = (reverses IS NULL))
);
CREATE INDEX settlement_by_claim ON settlement (claim_id);

-- One row per paying fund of a settlement (setldetail), with the trace
-- that explains its amount and the accumulator slot it moved.
CREATE TABLE settlement_fund (
  settlement_id INTEGER NOT NULL REFERENCES settlement (id),
  seq           INTEGER NOT NULL,
  fund_code     TEXT NOT NULL,
  kind          TEXT NOT NULL CHECK (kind = 'basic' OR kind = 'critical' OR kind = 'assistance' OR kind = 'relief'),
  amount        INTEGER NOT NULL CHECK (amount <> 0),
  slot          TEXT NOT NULL,
  trace         TEXT NOT NULL,
  PRIMARY KEY (settlement_id, seq)
) WITHOUT ROWID;
CREATE INDEX settlement_fund_by_fund ON settlement_fund (fund_code, settlement_id);

-- A person's yearly totals (docs/spec/split.md §0). Cache of sums: verify recomputes.
-- Slots: basic, crit_base, crit_paid, assist, relief:<fund code>.
CREATE TABLE accum (
  psn_no TEXT NOT NULL,
  year   INTEGER NOT NULL,
  slot   TEXT NOT NULL,
  amount INTEGER NOT NULL CHECK (amount >= 0),
  PRIMARY KEY (psn_no, year, slot)
) WITHOUT ROWID;

-- The double-entry ledger (docs/spec/money-flow.md). Balances are debit-positive:
-- fund:<code> > 0 is owed to the pool; hospital:<code> > 0 is advance held.
CREATE TABLE transfer (
  id            INTEGER PRIMARY KEY,
  debit         TEXT NOT NULL,
  credit        TEXT NOT NULL,
  amount        INTEGER NOT NULL CHECK (amount > 0),
  kind          TEXT NOT NULL,
  ref           TEXT NOT NULL,
  settlement_id INTEGER REFERENCES settlement (id),
  at            TEXT NOT NULL,
  CHECK (debit <> credit)
);
-- Advances and payments have no settlement: no index entry for them.
CREATE INDEX transfer_by_settlement ON transfer (settlement_id) WHERE settlement_id IS NOT NULL;

CREATE TABLE account (
  name    TEXT PRIMARY KEY,
  balance INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- Who did what, for the auditors.
CREATE TABLE audit (
  id      INTEGER PRIMARY KEY,
  at      TEXT NOT NULL,
  actor   TEXT NOT NULL,
  action  TEXT NOT NULL,
  subject TEXT NOT NULL,
  detail  TEXT
);

-- Facts are immutable.
CREATE TRIGGER claim_immutable_u BEFORE UPDATE ON claim BEGIN SELECT RAISE(ABORT, 'claims are immutable'); END;
CREATE TRIGGER claim_immutable_d BEFORE DELETE ON claim BEGIN SELECT RAISE(ABORT, 'claims are immutable'); END;
CREATE TRIGGER settlement_immutable_u BEFORE UPDATE ON settlement BEGIN SELECT RAISE(ABORT, 'settlements are immutable'); END;
CREATE TRIGGER settlement_immutable_d BEFORE DELETE ON settlement BEGIN SELECT RAISE(ABORT, 'settlements are immutable'); END;
CREATE TRIGGER settlement_fund_immutable_u BEFORE UPDATE ON settlement_fund BEGIN SELECT RAISE(ABORT, 'settlements are immutable'); END;
CREATE TRIGGER settlement_fund_immutable_d BEFORE DELETE ON settlement_fund BEGIN SELECT RAISE(ABORT, 'settlements are immutable'); END;
CREATE TRIGGER transfer_immutable_u BEFORE UPDATE ON transfer BEGIN SELECT RAISE(ABORT, 'transfers are immutable'); END;
CREATE TRIGGER transfer_immutable_d BEFORE DELETE ON transfer BEGIN SELECT RAISE(ABORT, 'transfers are immutable'); END;
CREATE TRIGGER audit_immutable_u BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit trail is immutable'); END;
CREATE TRIGGER audit_immutable_d BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit trail is immutable'); END;
CREATE TRIGGER policy_immutable_u BEFORE UPDATE ON policy BEGIN SELECT RAISE(ABORT, 'policies are immutable'); END;
CREATE TRIGGER policy_immutable_d BEFORE DELETE ON policy BEGIN SELECT RAISE(ABORT, 'policies are immutable'); END;
