-- zhitong store, migration 010: claim v2 and settling on top of the
-- national platform (issue 14; docs/spec/claim-v2-national.md, docs/national.md).
--
-- claim_v2: what a claim read in claim v2 carries beside the v1 fields of
-- its claim row (ipt_no, dept_name, deposit, <national>), so that verify
-- can re-derive its digest and the answer, the slip and `claim show` can
-- say it again. A claim settled under a supplementary policy also keeps
-- the national funds the policy named (the ledger's and the slip's names
-- for the national amounts) and `national_use`: 1 + the earlier claims
-- that stood on the same national setl_id, all of them reversed. One
-- national settlement pays one stay once (§3 national-mismatch): the
-- engine rejects a second live use, and UNIQUE (national_setl_id,
-- national_use) refuses two writers that both miss each other.
--
-- national_reversed: the national platform's list of settlements it
-- reversed (`claim national-reversed import`), each number once.

CREATE TABLE claim_v2 (
  claim_id          INTEGER PRIMARY KEY REFERENCES claim (id),
  ipt_no            TEXT NOT NULL,            -- '' when absent
  dept_name         TEXT NOT NULL,            -- '' when absent
  deposit           INTEGER CHECK (deposit IS NULL OR deposit >= 0),
  national_setl_id  TEXT,                     -- NULL: no <national>
  hifp_pay          INTEGER,
  hifmi_pay         INTEGER,
  maf_pay           INTEGER,
  fulamt_ownpay_amt INTEGER,                  -- the five bill fields: all or none
  overlmt_selfpay   INTEGER,
  preselfpay_amt    INTEGER,
  inscp_scp_amt     INTEGER,
  act_pay_dedc      INTEGER,
  national_use      INTEGER CHECK (national_use IS NULL OR national_use >= 1),
  basic_fund        TEXT,                     -- the supplementary policy's <national-funds>
  critical_fund     TEXT,
  assistance_fund   TEXT,
  CHECK ((national_setl_id IS NULL) = (hifp_pay IS NULL)),
  CHECK ((national_setl_id IS NULL) = (hifmi_pay IS NULL)),
  CHECK ((national_setl_id IS NULL) = (maf_pay IS NULL)),
  CHECK ((fulamt_ownpay_amt IS NULL) = (act_pay_dedc IS NULL)),
  CHECK ((national_use IS NULL) = (basic_fund IS NULL)),
  CHECK (national_use IS NULL OR national_setl_id IS NOT NULL),
  UNIQUE (national_setl_id, national_use)
);
CREATE INDEX claim_v2_by_national ON claim_v2 (national_setl_id) WHERE national_setl_id IS NOT NULL;

CREATE TABLE national_reversed (
  national_setl_id TEXT PRIMARY KEY,
  reversed_on      INTEGER NOT NULL,         -- yyyymmdd, as the platform gives it
  file             TEXT NOT NULL,
  imported_at      TEXT NOT NULL,
  imported_by      TEXT NOT NULL
);

CREATE TRIGGER claim_v2_immutable_u BEFORE UPDATE ON claim_v2 BEGIN SELECT RAISE(ABORT, 'claims are immutable'); END;
CREATE TRIGGER claim_v2_immutable_d BEFORE DELETE ON claim_v2 BEGIN SELECT RAISE(ABORT, 'claims are immutable'); END;
CREATE TRIGGER national_reversed_immutable_u BEFORE UPDATE ON national_reversed BEGIN SELECT RAISE(ABORT, 'the national reversals are immutable'); END;
CREATE TRIGGER national_reversed_immutable_d BEFORE DELETE ON national_reversed BEGIN SELECT RAISE(ABORT, 'the national reversals are immutable'); END;
