-- zhitong schema 17: several pools in one database (issue 13 §2). A pool
-- is a section of the configuration ([pool] is the pool "default"); the
-- database records which pool each batch bills for and each advance plan
-- pays from, and which pools a user's scope names. A batch also keeps the
-- counties it was made for (NULL: every county — the only pool of a
-- configuration without a list), so that a reopen takes the same shares
-- whatever the configuration says later. Rows of before belong to the
-- pool "default".
ALTER TABLE batch ADD COLUMN pool TEXT NOT NULL DEFAULT 'default' CHECK (length(pool) BETWEEN 1 AND 32);
ALTER TABLE batch ADD COLUMN counties TEXT;
CREATE INDEX batch_by_pool ON batch (pool, fund_code);
ALTER TABLE advance_plan ADD COLUMN pool TEXT NOT NULL DEFAULT 'default' CHECK (length(pool) BETWEEN 1 AND 32);
-- the pools a user may see, codes joined by ',' ('' every pool)
ALTER TABLE users ADD COLUMN pools TEXT NOT NULL DEFAULT '';
