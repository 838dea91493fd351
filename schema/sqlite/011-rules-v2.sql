-- zhitong store, migration 011: rules v2 (issue 9; docs/spec/rules-v2.md
-- §2 and §3): the insurer's catalogues with their entries, a person's
-- category periods, and what a settlement took from a catalogue.
--
-- Dates are yyyymmdd integers; 99991231 stands for "open-ended". A
-- catalogue's effective_to is the one it was loaded with; `ends` is its
-- last day in force now (a later catalogue that supersedes it moves it to
-- the day before its own start: the only change a catalogue row takes,
-- with its approval). A catalogue is 'pending' until approved when the
-- configuration asks for a second person ([rules] approval = required),
-- 'active' otherwise; only active ones are ever used. Ceilings are unit
-- prices in 1/10000 yuan (q4), NULL where the entry has none for that
-- hospital level; selfpay_prop_bp NULL where the entry has none (0 is a
-- value). An entry's to_date 0 means it ends with its catalogue.
--
-- Entries, settlement_catalog and settlement_catalog_item are facts
-- (immutable); person_category is the registry's, replaced as a whole per
-- person by a registry load (a settlement keeps the category it used in
-- its own row).

CREATE TABLE catalog (
  id             INTEGER PRIMARY KEY,
  catalog_id     TEXT NOT NULL UNIQUE,
  county         TEXT NOT NULL CHECK (length(county) = 6),
  effective_from INTEGER NOT NULL,
  effective_to   INTEGER NOT NULL CHECK (effective_from <= effective_to),
  ends           INTEGER NOT NULL CHECK (ends <= effective_to AND ends >= effective_from),
  status         TEXT NOT NULL CHECK (status = 'pending' OR status = 'active'),
  supersedes     INTEGER REFERENCES catalog (id),
  digest         TEXT NOT NULL,
  entry_count    INTEGER NOT NULL CHECK (entry_count >= 0),
  loaded_at      TEXT NOT NULL,
  loaded_by      TEXT NOT NULL,
  approved_at    TEXT,
  approved_by    TEXT
);
CREATE INDEX catalog_by_county ON catalog (county, effective_from);
CREATE TABLE catalog_entry (
  catalog         INTEGER NOT NULL REFERENCES catalog (id),
  seq             INTEGER NOT NULL,
  code            TEXT NOT NULL,
  name            TEXT NOT NULL,
  from_date       INTEGER NOT NULL,
  to_date         INTEGER NOT NULL,
  chrgitm_lv      INTEGER NOT NULL CHECK (chrgitm_lv BETWEEN 1 AND 3),
  selfpay_prop_bp INTEGER CHECK (selfpay_prop_bp BETWEEN 0 AND 10000),
  ceiling1        INTEGER CHECK (ceiling1 >= 0),
  ceiling2        INTEGER CHECK (ceiling2 >= 0),
  ceiling3        INTEGER CHECK (ceiling3 >= 0),
  ceiling4        INTEGER CHECK (ceiling4 >= 0),
  PRIMARY KEY (catalog, seq)
);
CREATE TABLE person_category (
  psn_no    TEXT NOT NULL REFERENCES person (psn_no),
  seq       INTEGER NOT NULL,
  category  TEXT NOT NULL CHECK (category IN ('general', 'poor', 'lowinc', 'destitute')),
  from_date INTEGER NOT NULL,
  to_date   INTEGER NOT NULL CHECK (from_date <= to_date),
  PRIMARY KEY (psn_no, seq)
);
-- The catalogue a settlement used and how many of its items it classed
-- otherwise than the hospital sent (docs/spec/rules-v2.md §2).
CREATE TABLE settlement_catalog (
  settlement INTEGER PRIMARY KEY REFERENCES settlement (id),
  catalog    INTEGER NOT NULL REFERENCES catalog (id),
  differs    INTEGER NOT NULL CHECK (differs >= 0)
);
CREATE INDEX settlement_catalog_by_catalog ON settlement_catalog (catalog);
-- Those items, with both values (ceilings NULL: none).
CREATE TABLE settlement_catalog_item (
  settlement   INTEGER NOT NULL REFERENCES settlement_catalog (settlement),
  item         INTEGER NOT NULL CHECK (item >= 1),
  code         TEXT NOT NULL,
  sent_lv      INTEGER NOT NULL,
  used_lv      INTEGER NOT NULL,
  sent_ceiling INTEGER,
  used_ceiling INTEGER,
  found        INTEGER NOT NULL CHECK (found = 0 OR found = 1),
  PRIMARY KEY (settlement, item)
);

CREATE TRIGGER catalog_immutable_u BEFORE UPDATE ON catalog
  WHEN NEW.catalog_id IS NOT OLD.catalog_id OR NEW.county IS NOT OLD.county
    OR NEW.effective_from IS NOT OLD.effective_from OR NEW.effective_to IS NOT OLD.effective_to
    OR NEW.digest IS NOT OLD.digest OR NEW.entry_count IS NOT OLD.entry_count
    OR NEW.loaded_at IS NOT OLD.loaded_at OR NEW.loaded_by IS NOT OLD.loaded_by
    OR NEW.supersedes IS NOT OLD.supersedes OR NEW.ends > OLD.ends
BEGIN SELECT RAISE(ABORT, 'catalogues are immutable but for their end and approval'); END;
CREATE TRIGGER catalog_immutable_d BEFORE DELETE ON catalog BEGIN SELECT RAISE(ABORT, 'catalogues are immutable'); END;
CREATE TRIGGER catalog_entry_immutable_u BEFORE UPDATE ON catalog_entry BEGIN SELECT RAISE(ABORT, 'catalogues are immutable'); END;
CREATE TRIGGER catalog_entry_immutable_d BEFORE DELETE ON catalog_entry BEGIN SELECT RAISE(ABORT, 'catalogues are immutable'); END;
CREATE TRIGGER settlement_catalog_immutable_u BEFORE UPDATE ON settlement_catalog BEGIN SELECT RAISE(ABORT, 'settlements are immutable'); END;
CREATE TRIGGER settlement_catalog_immutable_d BEFORE DELETE ON settlement_catalog BEGIN SELECT RAISE(ABORT, 'settlements are immutable'); END;
CREATE TRIGGER settlement_catalog_item_immutable_u BEFORE UPDATE ON settlement_catalog_item BEGIN SELECT RAISE(ABORT, 'settlements are immutable'); END;
CREATE TRIGGER settlement_catalog_item_immutable_d BEFORE DELETE ON settlement_catalog_item BEGIN SELECT RAISE(ABORT, 'settlements are immutable'); END;
