-- zhitong store on PostgreSQL, migration 001: the schema of SQLite's
-- migrations 001 to 009 (schema/sqlite/), in PostgreSQL's dialect. The
-- store's version is kept in meta 'schema.version' (SQLite: PRAGMA
-- user_version); this migration brings it to 9, the next one (002) to 10.
--
-- Integers are int8 everywhere (money in fen, dates as yyyymmdd, rows),
-- never a floating-point type: a column cannot hold a fraction of a fen.
-- Rows are numbered 1, 2, 3 … without gaps (G7): a row inserted without an
-- id takes MAX(id) + 1 (zt_next_id), which is exact because writers are
-- serialised on the writer row (G1; engine/src/store/pg/txn.c) — a
-- sequence would leave gaps on every rollback.
--
-- Facts are immutable twice: BEFORE UPDATE / DELETE triggers refuse the
-- change whoever writes (named as SQLite's, `verify` checks they are
-- there), and the engine's role is granted no UPDATE or DELETE on them
-- (docs/operations.md "PostgreSQL": the grants).

CREATE TABLE meta (
  key   text PRIMARY KEY,
  value text NOT NULL
);
INSERT INTO meta (key, value) VALUES ('writer', 'the row every writer locks (G1)');
INSERT INTO meta (key, value) VALUES ('audit.last-id', '0');

-- Refuses the change: facts are immutable (TG_ARGV[0] says which).
CREATE FUNCTION zt_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'P0001';
END $$;

-- The next row number of a table, when the insert gives none.
CREATE FUNCTION zt_next_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.id IS NULL THEN
    EXECUTE format('SELECT COALESCE(MAX(id), 0) + 1 FROM %I', TG_TABLE_NAME) INTO NEW.id;
  END IF;
  RETURN NEW;
END $$;

-- The pool-local day (yyyymmdd) of a stored UTC timestamp: the session's
-- time zone is the pool's (set when the store opens). NULL for NULL.
CREATE FUNCTION zt_local_day(ts text) RETURNS int8 LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN ts ~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$'
    THEN to_char(ts::timestamptz, 'YYYYMMDD')::int8 END
$$;

CREATE TABLE hospital (
  code   text PRIMARY KEY,
  name   text NOT NULL,
  level  int8 NOT NULL CHECK (level BETWEEN 1 AND 4),
  county text NOT NULL CHECK (length(county) = 6)
);
CREATE TABLE person (
  psn_no   text PRIMARY KEY,
  name     text NOT NULL,
  id_no    text NOT NULL CHECK (length(id_no) = 18),
  category text NOT NULL CHECK (category IN ('general', 'poor', 'lowinc', 'destitute')),
  county   text NOT NULL CHECK (length(county) = 6)
);
CREATE TABLE fund (
  code text PRIMARY KEY CHECK (length(code) = 6),
  name text NOT NULL
);
CREATE TABLE policy (
  id             int8 PRIMARY KEY,
  policy_id      text NOT NULL,
  name           text NOT NULL,
  county         text NOT NULL,
  effective_from int8 NOT NULL,
  effective_to   int8 NOT NULL,
  source_xml     text NOT NULL,
  digest         text NOT NULL,
  loaded_at      text NOT NULL,
  loaded_by      text NOT NULL,
  CHECK (effective_from <= effective_to)
);
CREATE INDEX policy_by_county ON policy (county, effective_from);
CREATE TABLE claim (
  id                 int8 PRIMARY KEY,
  fixmedins_code     text NOT NULL REFERENCES hospital (code),
  claim_no           text NOT NULL,
  seq                int8 NOT NULL,
  psn_no             text NOT NULL REFERENCES person (psn_no),
  adm_date           int8 NOT NULL,
  dscg_date          int8 NOT NULL CHECK (adm_date <= dscg_date),
  dscg_maindiag_code text NOT NULL,
  medfee_sumamt      int8 NOT NULL CHECK (medfee_sumamt >= 0),
  item_count         int8 NOT NULL CHECK (item_count >= 1),
  items              text NOT NULL,
  digest             bytea NOT NULL,
  received_at        text NOT NULL,
  UNIQUE (fixmedins_code, claim_no, seq)
);
CREATE INDEX claim_for_batch ON claim (id, dscg_date, claim_no);
CREATE INDEX claim_by_person ON claim (psn_no, dscg_date);
CREATE INDEX claim_by_discharge ON claim (dscg_date);
CREATE TABLE settlement (
  id                  int8 PRIMARY KEY,
  setl_id             text NOT NULL UNIQUE,
  claim_id            int8 NOT NULL REFERENCES claim (id),
  kind                text NOT NULL CHECK (kind IN ('settle', 'reverse')),
  reverses            int8 UNIQUE REFERENCES settlement (id),
  reason              text,
  actor               text NOT NULL,
  policy_row          int8 NOT NULL REFERENCES policy (id),
  year                int8 NOT NULL,
  psn_no              text NOT NULL,
  fixmedins_code      text NOT NULL,
  category            text NOT NULL,
  hospital_level      int8 NOT NULL,
  in_county           int8 NOT NULL CHECK (in_county IN (0, 1)),
  medfee_sumamt       int8 NOT NULL,
  fulamt_ownpay_amt   int8 NOT NULL,
  overlmt_selfpay     int8 NOT NULL,
  preselfpay_amt      int8 NOT NULL,
  inscp_scp_amt       int8 NOT NULL,
  act_pay_dedc        int8 NOT NULL,
  pool_prop_bp        int8 NOT NULL CHECK (pool_prop_bp BETWEEN 0 AND 10000),
  hifp_pay            int8 NOT NULL,
  hifmi_pay           int8 NOT NULL,
  maf_pay             int8 NOT NULL,
  oth_pay             int8 NOT NULL,
  fund_pay_sumamt     int8 NOT NULL,
  hosp_part_amt       int8 NOT NULL,
  psn_part_amt        int8 NOT NULL,
  critical_base_added int8 NOT NULL,
  settled_at          text NOT NULL,
  -- conservation, guarded by the database itself as well as by the engine
  CONSTRAINT settlement_conserves CHECK (fund_pay_sumamt + hosp_part_amt + psn_part_amt = medfee_sumamt),
  CONSTRAINT settlement_funds_add_up CHECK (hifp_pay + hifmi_pay + maf_pay + oth_pay = fund_pay_sumamt),
  CONSTRAINT settlement_classified CHECK (fulamt_ownpay_amt + overlmt_selfpay + preselfpay_amt + inscp_scp_amt = medfee_sumamt),
  CONSTRAINT settlement_kind CHECK ((kind = 'settle') = (reverses IS NULL))
);
CREATE INDEX settlement_by_claim ON settlement (claim_id);
CREATE TABLE settlement_fund (
  settlement_id int8 NOT NULL REFERENCES settlement (id),
  seq           int8 NOT NULL,
  fund_code     text NOT NULL,
  kind          text NOT NULL CHECK (kind IN ('basic', 'critical', 'assistance', 'relief')),
  amount        int8 NOT NULL CHECK (amount <> 0),
  slot          text NOT NULL,
  trace_kind text CHECK (trace_kind IN ('basic', 'critical', 'assistance', 'relief', 'reversal')),
  inscp int8, hifp_pay int8, preselfpay_added int8, base int8, base_before int8, base_after int8,
  level_deductible int8, level_ratio_bp int8, adjusted int8, deductible_factor_bp int8,
  ratio_bonus_bp int8, deductible int8, ratio_bp int8, act_pay_dedc int8, threshold int8,
  own_tiers int8, relief_name text, cap_ratio_bp int8, psn0 int8, target int8, gap_before int8,
  gap_after int8, raw int8, annual_cap int8, paid_before int8, paid_after int8, pay int8,
  PRIMARY KEY (settlement_id, seq)
);
CREATE INDEX settlement_fund_by_fund ON settlement_fund (fund_code, settlement_id);
CREATE TABLE settlement_trace_segment (
  settlement_id int8 NOT NULL,
  seq           int8 NOT NULL,
  k             int8 NOT NULL CHECK (k >= 1),
  tier_from     int8 NOT NULL,
  tier_to       int8,
  covered_from  int8 NOT NULL,
  covered_to    int8 NOT NULL CHECK (covered_to >= covered_from),
  ratio_bp      int8 NOT NULL CHECK (ratio_bp BETWEEN 0 AND 10000),
  PRIMARY KEY (settlement_id, seq, k),
  FOREIGN KEY (settlement_id, seq) REFERENCES settlement_fund (settlement_id, seq)
);
CREATE TABLE accum (
  psn_no text NOT NULL,
  year   int8 NOT NULL,
  slot   text NOT NULL,
  amount int8 NOT NULL CHECK (amount >= 0),
  PRIMARY KEY (psn_no, year, slot)
);
CREATE TABLE transfer (
  id            int8 PRIMARY KEY,
  debit         text NOT NULL,
  credit        text NOT NULL,
  amount        int8 NOT NULL CHECK (amount > 0),
  kind          text NOT NULL,
  ref           text NOT NULL,
  settlement_id int8 REFERENCES settlement (id),
  at            text NOT NULL,
  CHECK (debit <> credit)
);
CREATE INDEX transfer_by_settlement ON transfer (settlement_id) WHERE settlement_id IS NOT NULL;
CREATE TABLE account (
  name    text PRIMARY KEY,
  balance int8 NOT NULL DEFAULT 0
);
CREATE TABLE audit (
  id      int8 PRIMARY KEY,
  at      text NOT NULL,
  actor   text NOT NULL,
  action  text NOT NULL,
  subject text NOT NULL,
  detail  text
);

CREATE TABLE advance_plan (
  id           int8 PRIMARY KEY,
  plan_id      text NOT NULL UNIQUE CHECK (length(plan_id) BETWEEN 1 AND 35),
  as_of        int8 NOT NULL,
  target_days  int8 NOT NULL CHECK (target_days BETWEEN 1 AND 366),
  window_from  int8 NOT NULL,
  min_topup    int8 NOT NULL CHECK (min_topup >= 0),
  advance_seen int8 NOT NULL,
  total        int8 NOT NULL CHECK (total >= 0),
  made_by      text NOT NULL,
  made_at      text NOT NULL,
  CHECK (window_from <= as_of)
);
CREATE TABLE advance_plan_line (
  plan_row      int8 NOT NULL REFERENCES advance_plan (id),
  hospital      text NOT NULL REFERENCES hospital (code),
  basis         text NOT NULL CHECK (basis IN ('target', 'days', 'request')),
  window_earned int8 NOT NULL,
  target        int8 NOT NULL CHECK (target >= 0),
  balance       int8 NOT NULL,
  topup         int8 NOT NULL CHECK (topup >= 0),
  PRIMARY KEY (plan_row, hospital),
  CHECK (basis <> 'request' OR (topup > 0 AND target = 0 AND window_earned = 0))
);
CREATE TABLE advance_approval (
  plan_row    int8 PRIMARY KEY REFERENCES advance_plan (id),
  approved_by text NOT NULL,
  approved_at text NOT NULL
);
CREATE TABLE advance (
  id             int8 PRIMARY KEY,
  advance_id     text NOT NULL UNIQUE CHECK (length(advance_id) BETWEEN 1 AND 35),
  hospital       text NOT NULL REFERENCES hospital (code),
  amount         int8 NOT NULL CHECK (amount > 0),
  plan_row       int8 REFERENCES advance_plan (id),
  msg_id         text NOT NULL CHECK (length(msg_id) BETWEEN 1 AND 35),
  made_by        text NOT NULL,
  approved_by    text NOT NULL,
  issued_by      text NOT NULL,
  issued_at      text NOT NULL,
  execution_date int8 NOT NULL,
  file           text NOT NULL,
  UNIQUE (plan_row, hospital),
  CHECK (made_by <> approved_by)
);
CREATE INDEX advance_by_msg ON advance (msg_id);
CREATE INDEX advance_by_plan ON advance (plan_row);

CREATE TABLE batch (
  id             text PRIMARY KEY CHECK (length(id) BETWEEN 2 AND 35),
  fund_code      text NOT NULL REFERENCES fund (code),
  seq            int8 NOT NULL CHECK (seq >= 1),
  status         text NOT NULL CHECK (status IN ('draft', 'approved', 'rejected', 'exported', 'sent', 'accepted', 'paid', 'part-paid')),
  through        int8,
  period_from    int8 NOT NULL,
  period_to      int8 NOT NULL,
  count          int8 NOT NULL CHECK (count >= 0),
  total          int8 NOT NULL,
  info_count     int8 NOT NULL DEFAULT 0,
  info_total     int8 NOT NULL DEFAULT 0,
  created_at     text NOT NULL,
  created_by     text NOT NULL,
  approved_at    text,
  approved_by    text,
  exported_at    text,
  file_path      text,
  file_sha256    text,
  digest         text,
  key_type       text,
  receipt        text,
  accepted_total int8,
  paid           int8 NOT NULL DEFAULT 0,
  returned       int8 NOT NULL DEFAULT 0 CHECK (returned >= 0),
  rowid          int8 NOT NULL UNIQUE,   -- the order batches were made in (SQLite's rowid)
  UNIQUE (fund_code, seq),
  CHECK (period_from <= period_to),
  CHECK ((approved_by IS NULL) = (approved_at IS NULL))
);
CREATE TABLE batch_share (
  settlement_id int8 NOT NULL,
  seq           int8 NOT NULL,
  batch_id      text NOT NULL REFERENCES batch (id),
  payable       int8 NOT NULL CHECK (payable IN (0, 1)),
  PRIMARY KEY (settlement_id, seq),
  FOREIGN KEY (settlement_id, seq) REFERENCES settlement_fund (settlement_id, seq)
);
CREATE INDEX batch_share_by_batch ON batch_share (batch_id, settlement_id, seq, payable);
CREATE TABLE batch_event (
  id          int8 PRIMARY KEY,
  batch_id    text NOT NULL REFERENCES batch (id),
  at          text NOT NULL,
  actor       text NOT NULL,
  action      text NOT NULL,
  status_from text,
  status_to   text NOT NULL,
  detail      text
);
CREATE INDEX batch_event_by_batch ON batch_event (batch_id, id);
CREATE TABLE batch_send (
  id          int8 PRIMARY KEY,
  batch_id    text NOT NULL REFERENCES batch (id),
  at          text NOT NULL,
  actor       text NOT NULL,
  gateway     text NOT NULL,
  outcome     text NOT NULL CHECK (outcome IN ('accepted', 'rejected', 'refused', 'pending', 'failed')),
  attempts    int8 NOT NULL DEFAULT 0,
  http_status int8 NOT NULL DEFAULT 0,
  receipt     text,
  rejected    int8 NOT NULL DEFAULT 0,
  message     text NOT NULL
);
CREATE INDEX batch_send_by_batch ON batch_send (batch_id, id);
CREATE TABLE batch_reject (
  settlement_id int8 NOT NULL,
  seq           int8 NOT NULL,
  batch_id      text NOT NULL REFERENCES batch (id),
  reason        text NOT NULL,
  at            text NOT NULL,
  PRIMARY KEY (settlement_id, seq),
  FOREIGN KEY (settlement_id, seq) REFERENCES batch_share (settlement_id, seq)
);
CREATE INDEX batch_reject_by_batch ON batch_reject (batch_id);

CREATE TABLE bank_import (
  id          int8 PRIMARY KEY,
  file        text NOT NULL,
  file_sha256 text NOT NULL,
  version     int8 NOT NULL CHECK (version IN (2, 8)),
  msg_id      text NOT NULL,
  reported    int8 NOT NULL DEFAULT 0,
  stored      int8 NOT NULL DEFAULT 0,
  known       int8 NOT NULL DEFAULT 0,
  not_booked  int8 NOT NULL DEFAULT 0,
  at          text NOT NULL,
  actor       text NOT NULL
);
CREATE TABLE bank_entry (
  id            int8 PRIMARY KEY,
  ref           text NOT NULL UNIQUE CHECK (length(ref) BETWEEN 1 AND 80),
  import_id     int8 NOT NULL REFERENCES bank_import (id),
  stmt_id       text NOT NULL,
  account       text NOT NULL,
  digest        text NOT NULL CHECK (length(digest) = 64),
  credit        int8 NOT NULL CHECK (credit IN (0, 1)),
  amount        int8 NOT NULL CHECK (amount >= 0),
  currency      text NOT NULL,
  booking_date  int8 NOT NULL,
  value_date    int8 NOT NULL,
  reversal      int8 NOT NULL CHECK (reversal IN (0, 1)),
  end_to_end_id text NOT NULL,
  remittance    text NOT NULL,
  tx_ref        text NOT NULL
);
CREATE TABLE batch_return (
  id             int8 PRIMARY KEY,
  batch_id       text NOT NULL REFERENCES batch (id),
  kind           text NOT NULL CHECK (kind IN ('repay', 'netted')),
  return_id      text UNIQUE CHECK (return_id IS NULL OR length(return_id) BETWEEN 1 AND 35),
  amount         int8 NOT NULL CHECK (amount > 0),
  entry_id       int8 REFERENCES bank_entry (id),
  msg_id         text,
  file           text,
  execution_date int8,
  actor          text NOT NULL,
  at             text NOT NULL,
  CHECK ((kind = 'repay') = (return_id IS NOT NULL)),
  CHECK ((kind = 'repay') = (msg_id IS NOT NULL AND file IS NOT NULL AND execution_date IS NOT NULL)),
  CHECK ((kind = 'netted') = (entry_id IS NOT NULL))
);
CREATE INDEX batch_return_by_batch ON batch_return (batch_id);
CREATE TABLE recon_exception (
  id         int8 PRIMARY KEY,
  exc_id     text NOT NULL UNIQUE,
  kind       text NOT NULL CHECK (kind IN ('amount', 'unknown', 'duplicate', 'ambiguous', 'date', 'missing', 'reversal')),
  entry_id   int8 UNIQUE REFERENCES bank_entry (id),
  batch_id   text REFERENCES batch (id),
  advance_id text REFERENCES advance (advance_id),
  amount     int8 NOT NULL CHECK (amount >= 0),
  since      int8 NOT NULL,
  detail     text NOT NULL,
  raised_at  text NOT NULL,
  raised_by  text NOT NULL,
  return_id  text REFERENCES batch_return (return_id),
  CHECK (entry_id IS NOT NULL OR kind IN ('missing', 'amount')),
  CHECK (entry_id IS NOT NULL OR batch_id IS NOT NULL OR advance_id IS NOT NULL)
);
CREATE INDEX recon_exception_by_batch ON recon_exception (batch_id) WHERE batch_id IS NOT NULL;
CREATE INDEX recon_exception_by_advance ON recon_exception (advance_id) WHERE advance_id IS NOT NULL;
CREATE UNIQUE INDEX recon_exception_due ON recon_exception (kind, COALESCE(batch_id, ''),
  COALESCE(advance_id, ''), COALESCE(return_id, '')) WHERE entry_id IS NULL;
CREATE TABLE recon_resolution (
  exception_id int8 PRIMARY KEY REFERENCES recon_exception (id),
  resolution   text NOT NULL CHECK (resolution IN ('accept', 'match', 'refund', 'write-off', 'ignore', 'settled')),
  target       text,
  note         text NOT NULL CHECK (length(note) >= 1),
  at           text NOT NULL,
  actor        text NOT NULL
);
CREATE TABLE recon_match (
  id           int8 PRIMARY KEY,
  entry_id     int8 REFERENCES bank_entry (id),
  advance_id   text REFERENCES advance (advance_id),
  exception_id int8 REFERENCES recon_exception (id),
  at           text NOT NULL,
  actor        text NOT NULL,
  return_id    text REFERENCES batch_return (return_id),
  CHECK (entry_id IS NOT NULL OR exception_id IS NOT NULL)
);
CREATE UNIQUE INDEX recon_match_entry ON recon_match (entry_id) WHERE entry_id IS NOT NULL;
CREATE UNIQUE INDEX recon_match_advance ON recon_match (advance_id) WHERE advance_id IS NOT NULL;
CREATE UNIQUE INDEX recon_match_exception ON recon_match (exception_id) WHERE exception_id IS NOT NULL;
CREATE UNIQUE INDEX recon_match_return ON recon_match (return_id) WHERE return_id IS NOT NULL;
CREATE TABLE recon_alloc (
  match_id    int8 NOT NULL REFERENCES recon_match (id),
  batch_id    text NOT NULL REFERENCES batch (id),
  amount      int8 NOT NULL CHECK (amount >= 0),
  written_off int8 NOT NULL DEFAULT 0 CHECK (written_off >= 0),
  PRIMARY KEY (match_id, batch_id),
  CHECK (amount + written_off > 0)
);
CREATE INDEX recon_alloc_by_batch ON recon_alloc (batch_id);

-- rows numbered without gaps
CREATE TRIGGER policy_id BEFORE INSERT ON policy FOR EACH ROW EXECUTE FUNCTION zt_next_id();
CREATE TRIGGER claim_id BEFORE INSERT ON claim FOR EACH ROW EXECUTE FUNCTION zt_next_id();
CREATE TRIGGER settlement_id BEFORE INSERT ON settlement FOR EACH ROW EXECUTE FUNCTION zt_next_id();
CREATE TRIGGER transfer_id BEFORE INSERT ON transfer FOR EACH ROW EXECUTE FUNCTION zt_next_id();
CREATE TRIGGER audit_id BEFORE INSERT ON audit FOR EACH ROW EXECUTE FUNCTION zt_next_id();
CREATE TRIGGER advance_plan_id BEFORE INSERT ON advance_plan FOR EACH ROW EXECUTE FUNCTION zt_next_id();
CREATE TRIGGER advance_id BEFORE INSERT ON advance FOR EACH ROW EXECUTE FUNCTION zt_next_id();
CREATE TRIGGER batch_event_id BEFORE INSERT ON batch_event FOR EACH ROW EXECUTE FUNCTION zt_next_id();
CREATE TRIGGER batch_send_id BEFORE INSERT ON batch_send FOR EACH ROW EXECUTE FUNCTION zt_next_id();
CREATE TRIGGER bank_import_id BEFORE INSERT ON bank_import FOR EACH ROW EXECUTE FUNCTION zt_next_id();
CREATE TRIGGER bank_entry_id BEFORE INSERT ON bank_entry FOR EACH ROW EXECUTE FUNCTION zt_next_id();
CREATE TRIGGER batch_return_id BEFORE INSERT ON batch_return FOR EACH ROW EXECUTE FUNCTION zt_next_id();
CREATE TRIGGER recon_exception_id BEFORE INSERT ON recon_exception FOR EACH ROW EXECUTE FUNCTION zt_next_id();
CREATE TRIGGER recon_match_id BEFORE INSERT ON recon_match FOR EACH ROW EXECUTE FUNCTION zt_next_id();

-- the order batches were made in (SQLite: the rowid of a table keyed by text)
CREATE FUNCTION zt_batch_rowid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  SELECT COALESCE(MAX(rowid), 0) + 1 INTO NEW.rowid FROM batch;
  RETURN NEW;
END $$;
CREATE TRIGGER batch_rowid BEFORE INSERT ON batch FOR EACH ROW EXECUTE FUNCTION zt_batch_rowid();

-- the audit trail's own count (SQLite migration 005)
CREATE FUNCTION zt_audit_last_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE meta SET value = NEW.id::text WHERE key = 'audit.last-id';
  RETURN NULL;
END $$;
CREATE TRIGGER audit_last_id AFTER INSERT ON audit FOR EACH ROW EXECUTE FUNCTION zt_audit_last_id();

-- facts are immutable
CREATE TRIGGER claim_immutable_u BEFORE UPDATE ON claim FOR EACH ROW EXECUTE FUNCTION zt_immutable('claims are immutable');
CREATE TRIGGER claim_immutable_d BEFORE DELETE ON claim FOR EACH ROW EXECUTE FUNCTION zt_immutable('claims are immutable');
CREATE TRIGGER settlement_immutable_u BEFORE UPDATE ON settlement FOR EACH ROW EXECUTE FUNCTION zt_immutable('settlements are immutable');
CREATE TRIGGER settlement_immutable_d BEFORE DELETE ON settlement FOR EACH ROW EXECUTE FUNCTION zt_immutable('settlements are immutable');
CREATE TRIGGER settlement_fund_immutable_u BEFORE UPDATE ON settlement_fund FOR EACH ROW EXECUTE FUNCTION zt_immutable('settlements are immutable');
CREATE TRIGGER settlement_fund_immutable_d BEFORE DELETE ON settlement_fund FOR EACH ROW EXECUTE FUNCTION zt_immutable('settlements are immutable');
CREATE TRIGGER settlement_trace_segment_immutable_u BEFORE UPDATE ON settlement_trace_segment FOR EACH ROW EXECUTE FUNCTION zt_immutable('settlements are immutable');
CREATE TRIGGER settlement_trace_segment_immutable_d BEFORE DELETE ON settlement_trace_segment FOR EACH ROW EXECUTE FUNCTION zt_immutable('settlements are immutable');
CREATE TRIGGER transfer_immutable_u BEFORE UPDATE ON transfer FOR EACH ROW EXECUTE FUNCTION zt_immutable('transfers are immutable');
CREATE TRIGGER transfer_immutable_d BEFORE DELETE ON transfer FOR EACH ROW EXECUTE FUNCTION zt_immutable('transfers are immutable');
CREATE TRIGGER audit_immutable_u BEFORE UPDATE ON audit FOR EACH ROW EXECUTE FUNCTION zt_immutable('the audit trail is immutable');
CREATE TRIGGER audit_immutable_d BEFORE DELETE ON audit FOR EACH ROW EXECUTE FUNCTION zt_immutable('the audit trail is immutable');
CREATE TRIGGER policy_immutable_u BEFORE UPDATE ON policy FOR EACH ROW EXECUTE FUNCTION zt_immutable('policies are immutable');
CREATE TRIGGER policy_immutable_d BEFORE DELETE ON policy FOR EACH ROW EXECUTE FUNCTION zt_immutable('policies are immutable');
CREATE TRIGGER advance_plan_immutable_u BEFORE UPDATE ON advance_plan FOR EACH ROW EXECUTE FUNCTION zt_immutable('advance plans are immutable');
CREATE TRIGGER advance_plan_immutable_d BEFORE DELETE ON advance_plan FOR EACH ROW EXECUTE FUNCTION zt_immutable('advance plans are immutable');
CREATE TRIGGER advance_plan_line_immutable_u BEFORE UPDATE ON advance_plan_line FOR EACH ROW EXECUTE FUNCTION zt_immutable('advance plans are immutable');
CREATE TRIGGER advance_plan_line_immutable_d BEFORE DELETE ON advance_plan_line FOR EACH ROW EXECUTE FUNCTION zt_immutable('advance plans are immutable');
CREATE TRIGGER advance_approval_immutable_u BEFORE UPDATE ON advance_approval FOR EACH ROW EXECUTE FUNCTION zt_immutable('approvals are immutable');
CREATE TRIGGER advance_approval_immutable_d BEFORE DELETE ON advance_approval FOR EACH ROW EXECUTE FUNCTION zt_immutable('approvals are immutable');
CREATE TRIGGER advance_immutable_u BEFORE UPDATE ON advance FOR EACH ROW EXECUTE FUNCTION zt_immutable('advances are immutable');
CREATE TRIGGER advance_immutable_d BEFORE DELETE ON advance FOR EACH ROW EXECUTE FUNCTION zt_immutable('advances are immutable');
CREATE TRIGGER batch_share_immutable_u BEFORE UPDATE ON batch_share FOR EACH ROW EXECUTE FUNCTION zt_immutable('a share stays in its batch');
CREATE TRIGGER batch_share_immutable_d BEFORE DELETE ON batch_share FOR EACH ROW EXECUTE FUNCTION zt_immutable('a share stays in its batch');
CREATE TRIGGER batch_immutable_d BEFORE DELETE ON batch FOR EACH ROW EXECUTE FUNCTION zt_immutable('batches are never deleted');
CREATE TRIGGER batch_event_immutable_u BEFORE UPDATE ON batch_event FOR EACH ROW EXECUTE FUNCTION zt_immutable('the batch trail is immutable');
CREATE TRIGGER batch_event_immutable_d BEFORE DELETE ON batch_event FOR EACH ROW EXECUTE FUNCTION zt_immutable('the batch trail is immutable');
CREATE TRIGGER batch_send_immutable_u BEFORE UPDATE ON batch_send FOR EACH ROW EXECUTE FUNCTION zt_immutable('the batch trail is immutable');
CREATE TRIGGER batch_send_immutable_d BEFORE DELETE ON batch_send FOR EACH ROW EXECUTE FUNCTION zt_immutable('the batch trail is immutable');
CREATE TRIGGER batch_reject_immutable_u BEFORE UPDATE ON batch_reject FOR EACH ROW EXECUTE FUNCTION zt_immutable('payer rejections are immutable');
CREATE TRIGGER batch_reject_immutable_d BEFORE DELETE ON batch_reject FOR EACH ROW EXECUTE FUNCTION zt_immutable('payer rejections are immutable');
CREATE TRIGGER bank_import_immutable_d BEFORE DELETE ON bank_import FOR EACH ROW EXECUTE FUNCTION zt_immutable('statement imports are never deleted');
CREATE TRIGGER bank_import_immutable_u BEFORE UPDATE OF id, file, file_sha256, version, msg_id, at, actor ON bank_import FOR EACH ROW EXECUTE FUNCTION zt_immutable('statement imports are immutable');
CREATE TRIGGER bank_entry_immutable_u BEFORE UPDATE ON bank_entry FOR EACH ROW EXECUTE FUNCTION zt_immutable('bank entries are immutable');
CREATE TRIGGER bank_entry_immutable_d BEFORE DELETE ON bank_entry FOR EACH ROW EXECUTE FUNCTION zt_immutable('bank entries are immutable');
CREATE TRIGGER recon_exception_immutable_u BEFORE UPDATE ON recon_exception FOR EACH ROW EXECUTE FUNCTION zt_immutable('exceptions are immutable');
CREATE TRIGGER recon_exception_immutable_d BEFORE DELETE ON recon_exception FOR EACH ROW EXECUTE FUNCTION zt_immutable('exceptions are immutable');
CREATE TRIGGER recon_resolution_immutable_u BEFORE UPDATE ON recon_resolution FOR EACH ROW EXECUTE FUNCTION zt_immutable('resolutions are immutable');
CREATE TRIGGER recon_resolution_immutable_d BEFORE DELETE ON recon_resolution FOR EACH ROW EXECUTE FUNCTION zt_immutable('resolutions are immutable');
CREATE TRIGGER recon_match_immutable_u BEFORE UPDATE ON recon_match FOR EACH ROW EXECUTE FUNCTION zt_immutable('matches are immutable');
CREATE TRIGGER recon_match_immutable_d BEFORE DELETE ON recon_match FOR EACH ROW EXECUTE FUNCTION zt_immutable('matches are immutable');
CREATE TRIGGER recon_alloc_immutable_u BEFORE UPDATE ON recon_alloc FOR EACH ROW EXECUTE FUNCTION zt_immutable('matches are immutable');
CREATE TRIGGER recon_alloc_immutable_d BEFORE DELETE ON recon_alloc FOR EACH ROW EXECUTE FUNCTION zt_immutable('matches are immutable');
CREATE TRIGGER batch_return_immutable_u BEFORE UPDATE ON batch_return FOR EACH ROW EXECUTE FUNCTION zt_immutable('returns are immutable');
CREATE TRIGGER batch_return_immutable_d BEFORE DELETE ON batch_return FOR EACH ROW EXECUTE FUNCTION zt_immutable('returns are immutable');

-- For `verify` (check 'references'): every row whose foreign key finds
-- nothing, one line per foreign key, whoever bypassed the keys (a session
-- with session_replication_role = replica). The core's own tables are
-- checked by verify's own queries, with their meaning.
CREATE FUNCTION zt_dangling_references() RETURNS SETOF text LANGUAGE plpgsql STABLE AS $$
DECLARE
  r record;
  line text;
BEGIN
  FOR r IN
    SELECT c.conname, c.conrelid::regclass::text AS child, c.confrelid::regclass::text AS parent,
      (SELECT array_agg(a.attname::text ORDER BY k.i) FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n) AS ccols,
      (SELECT array_agg(a.attname::text ORDER BY k.i) FROM unnest(c.confkey) WITH ORDINALITY k(n, i)
        JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n) AS pcols
    FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
    WHERE c.contype = 'f' AND n.nspname = current_schema()
      AND c.conrelid::regclass::text NOT IN ('claim', 'settlement', 'settlement_fund', 'transfer')
    ORDER BY 2, 1
  LOOP
    FOR line IN EXECUTE format(
      'SELECT format(%L, count(*)) FROM %s c WHERE %s AND NOT EXISTS (SELECT 1 FROM %s p WHERE %s) HAVING count(*) > 0',
      r.child || ': ' || array_to_string(r.ccols, ', ') || ' of %s rows refer to a row of '
        || r.parent || ' that is gone',
      r.child,
      (SELECT string_agg(format('c.%I IS NOT NULL', x), ' AND ') FROM unnest(r.ccols) x),
      r.parent,
      (SELECT string_agg(format('p.%I = c.%I', r.pcols[i], r.ccols[i]), ' AND ')
         FROM generate_subscripts(r.ccols, 1) i))
    LOOP
      RETURN NEXT line;
    END LOOP;
  END LOOP;
END $$;
