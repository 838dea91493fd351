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
