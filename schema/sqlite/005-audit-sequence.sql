-- zhitong store, migration 005: the audit trail's own count.
--
-- Audit ids are INTEGER PRIMARY KEY without AUTOINCREMENT: they run
-- 1, 2, 3 … with no gap, which `zhitong verify` checks, but a deleted last
-- record would leave no gap and its id would be given again. The id of the
-- last record ever written is therefore also kept in `meta`, by a trigger
-- on every insert: verify compares it with the largest id stored, so a
-- record deleted at the end is seen too (docs: README "verify").

INSERT INTO meta (key, value)
  VALUES ('audit.last-id', (SELECT COALESCE(MAX(id), 0) FROM audit));

CREATE TRIGGER audit_last_id AFTER INSERT ON audit BEGIN
  UPDATE meta SET value = NEW.id WHERE key = 'audit.last-id';
END;
