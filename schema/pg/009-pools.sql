-- zhitong schema 17 (SQLite's 017): several pools in one database (issue 13
-- §2): the pool of each batch (with the counties it was made for) and of
-- each advance plan, and the pools of a user's scope. Rows of before
-- belong to the pool "default".
ALTER TABLE batch ADD COLUMN pool TEXT NOT NULL DEFAULT 'default' CHECK (length(pool) BETWEEN 1 AND 32);
ALTER TABLE batch ADD COLUMN counties TEXT;
CREATE INDEX batch_by_pool ON batch (pool, fund_code);
ALTER TABLE advance_plan ADD COLUMN pool TEXT NOT NULL DEFAULT 'default' CHECK (length(pool) BETWEEN 1 AND 32);
ALTER TABLE users ADD COLUMN pools TEXT NOT NULL DEFAULT '';
