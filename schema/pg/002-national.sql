-- zhitong store on PostgreSQL, migration 002: the twin of SQLite's 010
-- (schema/sqlite/010-national.sql): claim v2 and settling on top of the
-- national platform. Brings the store to version 10.

CREATE TABLE claim_v2 (
  claim_id          int8 PRIMARY KEY REFERENCES claim (id),
  ipt_no            text NOT NULL,
  dept_name         text NOT NULL,
  deposit           int8 CHECK (deposit IS NULL OR deposit >= 0),
  national_setl_id  text,
  hifp_pay          int8,
  hifmi_pay         int8,
  maf_pay           int8,
  fulamt_ownpay_amt int8,
  overlmt_selfpay   int8,
  preselfpay_amt    int8,
  inscp_scp_amt     int8,
  act_pay_dedc      int8,
  national_use      int8 CHECK (national_use IS NULL OR national_use >= 1),
  basic_fund        text,
  critical_fund     text,
  assistance_fund   text,
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
  national_setl_id text PRIMARY KEY,
  reversed_on      int8 NOT NULL,
  file             text NOT NULL,
  imported_at      text NOT NULL,
  imported_by      text NOT NULL
);

CREATE TRIGGER claim_v2_immutable_u BEFORE UPDATE ON claim_v2 FOR EACH ROW EXECUTE FUNCTION zt_immutable('claims are immutable');
CREATE TRIGGER claim_v2_immutable_d BEFORE DELETE ON claim_v2 FOR EACH ROW EXECUTE FUNCTION zt_immutable('claims are immutable');
CREATE TRIGGER national_reversed_immutable_u BEFORE UPDATE ON national_reversed FOR EACH ROW EXECUTE FUNCTION zt_immutable('the national reversals are immutable');
CREATE TRIGGER national_reversed_immutable_d BEFORE DELETE ON national_reversed FOR EACH ROW EXECUTE FUNCTION zt_immutable('the national reversals are immutable');
