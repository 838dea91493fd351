-- zhitong store, migration 010: what a claim v2 says of the stay beyond the
-- bill (docs/spec/claim-v2-national.md §1; issue 10): the inpatient number
-- (ipt_no), the department (dept_name) and the deposit paid at admission
-- (deposit, fen; it moves no money). The patient's slip shows them
-- (住院号, 科室, 预交金 and the refund or the amount still due).
--
-- One row per claim that carries any of them, written with the claim in
-- the same transaction; a claim v1, or a v2 without them, has none. Like
-- the claim itself, a row is never updated or deleted.
CREATE TABLE claim_stay (
  claim_id  INTEGER PRIMARY KEY REFERENCES claim (id),
  ipt_no    TEXT CHECK (ipt_no IS NULL OR ipt_no <> ''),
  dept_name TEXT CHECK (dept_name IS NULL OR dept_name <> ''),
  deposit   INTEGER CHECK (deposit IS NULL OR deposit >= 0),
  CHECK (ipt_no IS NOT NULL OR dept_name IS NOT NULL OR deposit IS NOT NULL)
);
CREATE TRIGGER claim_stay_immutable_u BEFORE UPDATE ON claim_stay BEGIN SELECT RAISE(ABORT, 'claims are immutable'); END;
CREATE TRIGGER claim_stay_immutable_d BEFORE DELETE ON claim_stay BEGIN SELECT RAISE(ABORT, 'claims are immutable'); END;
