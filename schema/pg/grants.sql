-- zhitong on PostgreSQL: the privileges of the engine's role
-- (docs/operations.md "PostgreSQL": roles). Not a migration (no number,
-- not compiled into the program): roles belong to the cluster, and who may
-- create them is the operator's business.
--
-- Two roles: the database's owner runs `zhitong init` (the migrations) and
-- this file, nothing else; the engine's role, zhitong_engine, is what the
-- services and the desks log in as (or a group role of the login roles
-- they use: CREATE ROLE desk_svc LOGIN IN ROLE zhitong_engine). Run it as
-- the owner after `zhitong init` and again after every upgrade (a
-- migration that adds a table):
--
--     psql -X -v ON_ERROR_STOP=1 'postgresql:///zhitong?user=zhitong_owner' -f grants.sql
--
-- Facts are immutable twice: the triggers refuse an UPDATE or DELETE of a
-- fact whoever asks, and the engine's role has no UPDATE or DELETE on
-- them at all — only SELECT and INSERT. tests/test_pg_grants.c runs the
-- engine as this role and holds every table of the schema to it.

REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO zhitong_engine;
GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA public TO zhitong_engine;

-- The rows whose state moves, and the caches: the writer row and the
-- audit's last id (meta), accumulators, account balances, a batch's state,
-- a statement import's counts, users (passwords, lockout), a policy
-- version's end and approval, the stored answers of Idempotency-Keys
-- (which expire).
GRANT UPDATE ON meta, accum, account, batch, bank_import, users, policy_version, idempotency
  TO zhitong_engine;
GRANT DELETE ON idempotency TO zhitong_engine;

-- Reference data the engine loads: `registry load` upserts hospitals,
-- persons and funds and replaces a person's category periods; `catalog
-- load --supersedes` and `catalog approve` set a catalogue's end and
-- approval (a trigger refuses the rest). Revoke these and load with
-- another role if the desks' role should not load registries.
GRANT UPDATE ON hospital, person, fund, catalog TO zhitong_engine;
GRANT DELETE ON person_category TO zhitong_engine;

-- The pools' counties and accounts as the configuration last said: a
-- command with a configuration replaces them when they changed.
GRANT UPDATE, DELETE ON pool_county, pool_account TO zhitong_engine;

-- No UPDATE or DELETE on the facts: claim, claim_v2, settlement,
-- settlement_fund, settlement_trace_segment, settlement_catalog,
-- settlement_catalog_item, catalog_entry, transfer, audit, policy,
-- advance_plan, advance_plan_line, advance_approval, advance, batch_share,
-- batch_event, batch_send, batch_reject, batch_return, bank_entry,
-- recon_exception, recon_resolution, recon_match, recon_alloc,
-- national_reversed. No TRUNCATE, REFERENCES, TRIGGER or CREATE either.
