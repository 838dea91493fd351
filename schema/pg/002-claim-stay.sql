-- zhitong PostgreSQL store: the twin of SQLite's 010-claim-stay.sql (what
-- a claim v2 says of the stay beyond the bill: ipt_no, dept_name, deposit;
-- docs/spec/claim-v2-national.md §1, issue 10). One row per claim that
-- carries any of them; never updated or deleted.
CREATE TABLE claim_stay (
  claim_id  int8 PRIMARY KEY REFERENCES claim (id),
  ipt_no    text CHECK (ipt_no IS NULL OR ipt_no <> ''),
  dept_name text CHECK (dept_name IS NULL OR dept_name <> ''),
  deposit   int8 CHECK (deposit IS NULL OR deposit >= 0),
  CHECK (ipt_no IS NOT NULL OR dept_name IS NOT NULL OR deposit IS NOT NULL)
);
CREATE TRIGGER claim_stay_immutable_u BEFORE UPDATE ON claim_stay FOR EACH ROW EXECUTE FUNCTION zt_immutable('claims are immutable');
CREATE TRIGGER claim_stay_immutable_d BEFORE DELETE ON claim_stay FOR EACH ROW EXECUTE FUNCTION zt_immutable('claims are immutable');
