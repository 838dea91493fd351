-- zhitong schema 18: each pool its own books (issue 13 §2). A settlement
-- keeps the pool it was settled for (the pool of its hospital's county
-- when it was written; a reversal the pool of what it reverses): batches
-- bill by it, and its fund shares are booked on that pool's accounts
-- (fund:F for the pool "default", fund:F@P for pool P; the same for
-- pool:bank, suspense:bank, refund:bank and write-off:pool). The database
-- knows the pools' counties and accounts as the configuration last said
-- (pool_county, pool_account: written by the commands that have a
-- configuration, `zhitong --config …`), so that a claim settled without a
-- configuration still finds its pool; a county of no pool is "default".
-- Settlements of before belong to the pool "default".
ALTER TABLE settlement ADD COLUMN pool TEXT NOT NULL DEFAULT 'default' CHECK (length(pool) BETWEEN 1 AND 32);
CREATE TABLE pool_county (
  county TEXT PRIMARY KEY CHECK (length(county) = 6),
  pool   TEXT NOT NULL CHECK (length(pool) BETWEEN 1 AND 32)
) WITHOUT ROWID;
CREATE TABLE pool_account (
  account TEXT PRIMARY KEY CHECK (length(account) BETWEEN 1 AND 64),
  pool    TEXT NOT NULL CHECK (length(pool) BETWEEN 1 AND 32)
) WITHOUT ROWID;
