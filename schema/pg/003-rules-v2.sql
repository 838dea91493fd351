-- zhitong store on PostgreSQL, migration 003: the twin of SQLite's
-- 011-rules-v2.sql (issue 9; docs/spec/rules-v2.md §2 and §3), bringing the
-- store to version 11. See that file for what each table holds.

CREATE TABLE catalog (
  id             int8 PRIMARY KEY,
  catalog_id     text NOT NULL UNIQUE,
  county         text NOT NULL CHECK (length(county) = 6),
  effective_from int8 NOT NULL,
  effective_to   int8 NOT NULL CHECK (effective_from <= effective_to),
  ends           int8 NOT NULL CHECK (ends <= effective_to AND ends >= effective_from),
  status         text NOT NULL CHECK (status IN ('pending', 'active')),
  supersedes     int8 REFERENCES catalog (id),
  digest         text NOT NULL,
  entry_count    int8 NOT NULL CHECK (entry_count >= 0),
  loaded_at      text NOT NULL,
  loaded_by      text NOT NULL,
  approved_at    text,
  approved_by    text
);
CREATE INDEX catalog_by_county ON catalog (county, effective_from);
CREATE TABLE catalog_entry (
  catalog         int8 NOT NULL REFERENCES catalog (id),
  seq             int8 NOT NULL,
  code            text NOT NULL,
  name            text NOT NULL,
  from_date       int8 NOT NULL,
  to_date         int8 NOT NULL,
  chrgitm_lv      int8 NOT NULL CHECK (chrgitm_lv BETWEEN 1 AND 3),
  selfpay_prop_bp int8 CHECK (selfpay_prop_bp BETWEEN 0 AND 10000),
  ceiling1        int8 CHECK (ceiling1 >= 0),
  ceiling2        int8 CHECK (ceiling2 >= 0),
  ceiling3        int8 CHECK (ceiling3 >= 0),
  ceiling4        int8 CHECK (ceiling4 >= 0),
  PRIMARY KEY (catalog, seq)
);
CREATE TABLE person_category (
  psn_no    text NOT NULL REFERENCES person (psn_no),
  seq       int8 NOT NULL,
  category  text NOT NULL CHECK (category IN ('general', 'poor', 'lowinc', 'destitute')),
  from_date int8 NOT NULL,
  to_date   int8 NOT NULL CHECK (from_date <= to_date),
  PRIMARY KEY (psn_no, seq)
);
CREATE TABLE settlement_catalog (
  settlement int8 PRIMARY KEY REFERENCES settlement (id),
  catalog    int8 NOT NULL REFERENCES catalog (id),
  differs    int8 NOT NULL CHECK (differs >= 0)
);
CREATE INDEX settlement_catalog_by_catalog ON settlement_catalog (catalog);
CREATE TABLE settlement_catalog_item (
  settlement   int8 NOT NULL REFERENCES settlement_catalog (settlement),
  item         int8 NOT NULL CHECK (item >= 1),
  code         text NOT NULL,
  sent_lv      int8 NOT NULL,
  used_lv      int8 NOT NULL,
  sent_ceiling int8,
  used_ceiling int8,
  found        int8 NOT NULL CHECK (found IN (0, 1)),
  PRIMARY KEY (settlement, item)
);

CREATE TRIGGER catalog_id BEFORE INSERT ON catalog FOR EACH ROW EXECUTE FUNCTION zt_next_id();

CREATE FUNCTION zt_catalog_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.catalog_id IS DISTINCT FROM OLD.catalog_id OR NEW.county IS DISTINCT FROM OLD.county
     OR NEW.effective_from IS DISTINCT FROM OLD.effective_from
     OR NEW.effective_to IS DISTINCT FROM OLD.effective_to OR NEW.digest IS DISTINCT FROM OLD.digest
     OR NEW.entry_count IS DISTINCT FROM OLD.entry_count
     OR NEW.loaded_at IS DISTINCT FROM OLD.loaded_at OR NEW.loaded_by IS DISTINCT FROM OLD.loaded_by
     OR NEW.supersedes IS DISTINCT FROM OLD.supersedes OR NEW.ends > OLD.ends THEN
    RAISE EXCEPTION 'catalogues are immutable but for their end and approval' USING ERRCODE = 'P0001';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER catalog_immutable_u BEFORE UPDATE ON catalog FOR EACH ROW EXECUTE FUNCTION zt_catalog_guard();
CREATE TRIGGER catalog_immutable_d BEFORE DELETE ON catalog FOR EACH ROW EXECUTE FUNCTION zt_immutable('catalogues are immutable');
CREATE TRIGGER catalog_entry_immutable_u BEFORE UPDATE ON catalog_entry FOR EACH ROW EXECUTE FUNCTION zt_immutable('catalogues are immutable');
CREATE TRIGGER catalog_entry_immutable_d BEFORE DELETE ON catalog_entry FOR EACH ROW EXECUTE FUNCTION zt_immutable('catalogues are immutable');
CREATE TRIGGER settlement_catalog_immutable_u BEFORE UPDATE ON settlement_catalog FOR EACH ROW EXECUTE FUNCTION zt_immutable('settlements are immutable');
CREATE TRIGGER settlement_catalog_immutable_d BEFORE DELETE ON settlement_catalog FOR EACH ROW EXECUTE FUNCTION zt_immutable('settlements are immutable');
CREATE TRIGGER settlement_catalog_item_immutable_u BEFORE UPDATE ON settlement_catalog_item FOR EACH ROW EXECUTE FUNCTION zt_immutable('settlements are immutable');
CREATE TRIGGER settlement_catalog_item_immutable_d BEFORE DELETE ON settlement_catalog_item FOR EACH ROW EXECUTE FUNCTION zt_immutable('settlements are immutable');
