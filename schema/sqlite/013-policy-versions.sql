-- zhitong store, migration 013: policy amendments (issue 9 point 3;
-- docs/spec/rules-v2.md §4). A policy row stays the document loaded, as
-- it was loaded (immutable); what an amendment changes is kept beside it,
-- one row per policy:
--
--   status      'active' (in use), 'pending' (loaded while the
--               configuration asks for a second person, [rules] approval =
--               required, and never used until approved) or 'replaced' (a
--               version no settlement used, corrected by a later load: kept
--               for the record, never used again);
--   ends        its last day in force now (99991231: open-ended): its
--               effective_to, or the day before the effective-from of the
--               version that superseded it;
--   replaces,   the version this one replaced or superseded (NULL: none);
--   supersedes  at most one of the two;
--   approved_*  who approved a pending version, and when.
--
-- A version only ever ends earlier, is approved, or is replaced; a
-- replaced one never changes again.

CREATE TABLE policy_version (
  policy      INTEGER PRIMARY KEY REFERENCES policy (id),
  status      TEXT NOT NULL CHECK (status IN ('pending', 'active', 'replaced')),
  ends        INTEGER NOT NULL,
  replaces    INTEGER REFERENCES policy (id),
  supersedes  INTEGER REFERENCES policy (id),
  approved_at TEXT,
  approved_by TEXT,
  CHECK (replaces IS NULL OR supersedes IS NULL)
);
INSERT INTO policy_version (policy, status, ends) SELECT id, 'active', effective_to FROM policy;

CREATE TRIGGER policy_version_guard_u BEFORE UPDATE ON policy_version
  WHEN NEW.policy IS NOT OLD.policy OR NEW.replaces IS NOT OLD.replaces
    OR NEW.supersedes IS NOT OLD.supersedes OR NEW.ends > OLD.ends OR OLD.status = 'replaced'
    OR (OLD.status = 'active' AND NEW.status = 'pending')
BEGIN SELECT RAISE(ABORT, 'policy versions only end earlier, are approved or are replaced'); END;
CREATE TRIGGER policy_version_immutable_d BEFORE DELETE ON policy_version
BEGIN SELECT RAISE(ABORT, 'policy versions are immutable'); END;
