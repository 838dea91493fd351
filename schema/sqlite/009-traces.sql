-- zhitong store, migration 009: the traces of the fund shares as data
-- (issue 8; engine/include/zhitong/trace.h, schema/settlement.xsd).
--
-- Until now each settlement_fund row carried its trace as an XML fragment
-- (column `trace`). From here on the trace is in columns of the row — one
-- row per fund share, NULL where the share's kind has no such input — and
-- the tier segments of a critical-illness share are rows of
-- settlement_trace_segment. trace_kind says which: basic | critical |
-- assistance | relief | reversal. Money in fen, ratios in basis points,
-- annual_cap and tier_to NULL for "none". The settlement row holds what the
-- trace shows of the claim's registry facts (hospital_level, category) and
-- of a reversal (the settlement it reverses, the reason; the share's slot).
--
-- Between the two parts the migration's C step (engine/src/store/sqlite/
-- migrate.c) reads every old fragment with the hardened XML reader, stores
-- its data and checks that the XML rendered from the data is the fragment,
-- byte for byte; then the fragments go.

ALTER TABLE settlement_fund ADD COLUMN trace_kind TEXT CHECK (trace_kind = 'basic' OR trace_kind = 'critical' OR trace_kind = 'assistance' OR trace_kind = 'relief' OR trace_kind = 'reversal');
ALTER TABLE settlement_fund ADD COLUMN inscp INTEGER;               -- basic, critical
ALTER TABLE settlement_fund ADD COLUMN hifp_pay INTEGER;            -- critical
ALTER TABLE settlement_fund ADD COLUMN preselfpay_added INTEGER;    -- critical, assistance
ALTER TABLE settlement_fund ADD COLUMN base INTEGER;                -- critical, assistance
ALTER TABLE settlement_fund ADD COLUMN base_before INTEGER;         -- critical: the cumulative base
ALTER TABLE settlement_fund ADD COLUMN base_after INTEGER;          -- critical
ALTER TABLE settlement_fund ADD COLUMN level_deductible INTEGER;    -- basic
ALTER TABLE settlement_fund ADD COLUMN level_ratio_bp INTEGER;      -- basic
ALTER TABLE settlement_fund ADD COLUMN adjusted INTEGER;            -- basic, critical: 0 | 1
ALTER TABLE settlement_fund ADD COLUMN deductible_factor_bp INTEGER; -- basic
ALTER TABLE settlement_fund ADD COLUMN ratio_bonus_bp INTEGER;      -- basic, critical
ALTER TABLE settlement_fund ADD COLUMN deductible INTEGER;          -- basic, assistance
ALTER TABLE settlement_fund ADD COLUMN ratio_bp INTEGER;            -- basic, assistance, relief
ALTER TABLE settlement_fund ADD COLUMN act_pay_dedc INTEGER;        -- basic
ALTER TABLE settlement_fund ADD COLUMN threshold INTEGER;           -- critical
ALTER TABLE settlement_fund ADD COLUMN own_tiers INTEGER;           -- critical: 0 | 1
ALTER TABLE settlement_fund ADD COLUMN relief_name TEXT;            -- relief
ALTER TABLE settlement_fund ADD COLUMN cap_ratio_bp INTEGER;        -- relief: the personal cap
ALTER TABLE settlement_fund ADD COLUMN psn0 INTEGER;                -- relief
ALTER TABLE settlement_fund ADD COLUMN target INTEGER;              -- relief
ALTER TABLE settlement_fund ADD COLUMN gap_before INTEGER;          -- relief
ALTER TABLE settlement_fund ADD COLUMN gap_after INTEGER;           -- relief
ALTER TABLE settlement_fund ADD COLUMN raw INTEGER;                 -- all but reversal
ALTER TABLE settlement_fund ADD COLUMN annual_cap INTEGER;          -- all but reversal; NULL: none
ALTER TABLE settlement_fund ADD COLUMN paid_before INTEGER;         -- all
ALTER TABLE settlement_fund ADD COLUMN paid_after INTEGER;          -- all
ALTER TABLE settlement_fund ADD COLUMN pay INTEGER;                 -- all but reversal

-- The tier segments of a critical-illness share, in tier order (k = 1 …).
CREATE TABLE settlement_trace_segment (
  settlement_id INTEGER NOT NULL,
  seq           INTEGER NOT NULL,
  k             INTEGER NOT NULL CHECK (k >= 1),
  tier_from     INTEGER NOT NULL,
  tier_to       INTEGER,                                     -- NULL: the tier is open
  covered_from  INTEGER NOT NULL,
  covered_to    INTEGER NOT NULL CHECK (covered_to >= covered_from),
  ratio_bp      INTEGER NOT NULL CHECK (ratio_bp BETWEEN 0 AND 10000),
  PRIMARY KEY (settlement_id, seq, k),
  FOREIGN KEY (settlement_id, seq) REFERENCES settlement_fund (settlement_id, seq)
) WITHOUT ROWID;
CREATE TRIGGER settlement_trace_segment_immutable_u BEFORE UPDATE ON settlement_trace_segment BEGIN SELECT RAISE(ABORT, 'settlements are immutable'); END;
CREATE TRIGGER settlement_trace_segment_immutable_d BEFORE DELETE ON settlement_trace_segment BEGIN SELECT RAISE(ABORT, 'settlements are immutable'); END;

-- The old rows get their data written once, by the step below.
DROP TRIGGER settlement_fund_immutable_u;
-- zt:step convert-traces
CREATE TRIGGER settlement_fund_immutable_u BEFORE UPDATE ON settlement_fund BEGIN SELECT RAISE(ABORT, 'settlements are immutable'); END;
ALTER TABLE settlement_fund DROP COLUMN trace;
