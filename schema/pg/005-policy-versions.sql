-- zhitong store on PostgreSQL, migration 005: the twin of SQLite's
-- 013-policy-versions.sql (issue 9 point 3; docs/spec/rules-v2.md §4),
-- bringing the store to version 13. See that file for what each column
-- holds.

CREATE TABLE policy_version (
  policy      int8 PRIMARY KEY REFERENCES policy (id),
  status      text NOT NULL CHECK (status IN ('pending', 'active', 'replaced')),
  ends        int8 NOT NULL,
  replaces    int8 REFERENCES policy (id),
  supersedes  int8 REFERENCES policy (id),
  approved_at text,
  approved_by text,
  CHECK (replaces IS NULL OR supersedes IS NULL)
);
INSERT INTO policy_version (policy, status, ends) SELECT id, 'active', effective_to FROM policy;

CREATE FUNCTION zt_policy_version_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.policy IS DISTINCT FROM OLD.policy OR NEW.replaces IS DISTINCT FROM OLD.replaces
     OR NEW.supersedes IS DISTINCT FROM OLD.supersedes OR NEW.ends > OLD.ends
     OR OLD.status = 'replaced' OR (OLD.status = 'active' AND NEW.status = 'pending') THEN
    RAISE EXCEPTION 'policy versions only end earlier, are approved or are replaced' USING ERRCODE = 'P0001';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER policy_version_guard_u BEFORE UPDATE ON policy_version FOR EACH ROW EXECUTE FUNCTION zt_policy_version_guard();
CREATE TRIGGER policy_version_immutable_d BEFORE DELETE ON policy_version FOR EACH ROW EXECUTE FUNCTION zt_immutable('policy versions are immutable');
