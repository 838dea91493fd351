-- zhitong schema 18 (SQLite's 018): each pool its own books (issue 13
-- §2): the pool of each settlement, and the pools' counties and accounts
-- as the configuration last said. Settlements of before belong to the
-- pool "default".
ALTER TABLE settlement ADD COLUMN pool TEXT NOT NULL DEFAULT 'default' CHECK (length(pool) BETWEEN 1 AND 32);
CREATE TABLE pool_county (
  county TEXT PRIMARY KEY CHECK (length(county) = 6),
  pool   TEXT NOT NULL CHECK (length(pool) BETWEEN 1 AND 32)
);
CREATE TABLE pool_account (
  account TEXT PRIMARY KEY CHECK (length(account) BETWEEN 1 AND 64),
  pool    TEXT NOT NULL CHECK (length(pool) BETWEEN 1 AND 32)
);

-- The id triggers called only for a row without an id: the engine numbers
-- the rows a writer inserts (it holds the writer row), so the plpgsql call
-- of zt_next_id, a no-op then, is not made for each bulk row (PostgreSQL
-- beside SQLite, issue 13). A row inserted without an id is numbered as
-- before.
DROP TRIGGER catalog_id ON catalog;
CREATE TRIGGER catalog_id BEFORE INSERT ON catalog FOR EACH ROW WHEN (NEW.id IS NULL) EXECUTE FUNCTION zt_next_id();
DROP TRIGGER policy_id ON policy;
CREATE TRIGGER policy_id BEFORE INSERT ON policy FOR EACH ROW WHEN (NEW.id IS NULL) EXECUTE FUNCTION zt_next_id();
DROP TRIGGER claim_id ON claim;
CREATE TRIGGER claim_id BEFORE INSERT ON claim FOR EACH ROW WHEN (NEW.id IS NULL) EXECUTE FUNCTION zt_next_id();
DROP TRIGGER settlement_id ON settlement;
CREATE TRIGGER settlement_id BEFORE INSERT ON settlement FOR EACH ROW WHEN (NEW.id IS NULL) EXECUTE FUNCTION zt_next_id();
DROP TRIGGER transfer_id ON transfer;
CREATE TRIGGER transfer_id BEFORE INSERT ON transfer FOR EACH ROW WHEN (NEW.id IS NULL) EXECUTE FUNCTION zt_next_id();
DROP TRIGGER audit_id ON audit;
CREATE TRIGGER audit_id BEFORE INSERT ON audit FOR EACH ROW WHEN (NEW.id IS NULL) EXECUTE FUNCTION zt_next_id();
DROP TRIGGER advance_plan_id ON advance_plan;
CREATE TRIGGER advance_plan_id BEFORE INSERT ON advance_plan FOR EACH ROW WHEN (NEW.id IS NULL) EXECUTE FUNCTION zt_next_id();
DROP TRIGGER advance_id ON advance;
CREATE TRIGGER advance_id BEFORE INSERT ON advance FOR EACH ROW WHEN (NEW.id IS NULL) EXECUTE FUNCTION zt_next_id();
DROP TRIGGER batch_event_id ON batch_event;
CREATE TRIGGER batch_event_id BEFORE INSERT ON batch_event FOR EACH ROW WHEN (NEW.id IS NULL) EXECUTE FUNCTION zt_next_id();
DROP TRIGGER batch_send_id ON batch_send;
CREATE TRIGGER batch_send_id BEFORE INSERT ON batch_send FOR EACH ROW WHEN (NEW.id IS NULL) EXECUTE FUNCTION zt_next_id();
DROP TRIGGER bank_import_id ON bank_import;
CREATE TRIGGER bank_import_id BEFORE INSERT ON bank_import FOR EACH ROW WHEN (NEW.id IS NULL) EXECUTE FUNCTION zt_next_id();
DROP TRIGGER bank_entry_id ON bank_entry;
CREATE TRIGGER bank_entry_id BEFORE INSERT ON bank_entry FOR EACH ROW WHEN (NEW.id IS NULL) EXECUTE FUNCTION zt_next_id();
DROP TRIGGER batch_return_id ON batch_return;
CREATE TRIGGER batch_return_id BEFORE INSERT ON batch_return FOR EACH ROW WHEN (NEW.id IS NULL) EXECUTE FUNCTION zt_next_id();
DROP TRIGGER recon_exception_id ON recon_exception;
CREATE TRIGGER recon_exception_id BEFORE INSERT ON recon_exception FOR EACH ROW WHEN (NEW.id IS NULL) EXECUTE FUNCTION zt_next_id();
DROP TRIGGER recon_match_id ON recon_match;
CREATE TRIGGER recon_match_id BEFORE INSERT ON recon_match FOR EACH ROW WHEN (NEW.id IS NULL) EXECUTE FUNCTION zt_next_id();
