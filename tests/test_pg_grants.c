/* zhitong — the engine's database role cannot change a fact (issue 13
 * point 1; schema/pg/grants.sql, docs/operations.md "PostgreSQL"): the
 * owner runs `zhitong init` and grants.sql, the engine then works as
 * zhitong_engine — registry, policy, users, claims settled and reversed,
 * verify, audit verify — and every UPDATE, DELETE or TRUNCATE of a fact
 * table is refused by the server's privileges (SQLSTATE 42501, before any
 * trigger), while SELECT and INSERT are granted. Every table of the schema
 * is either a fact or one of the named tables whose rows move: a migration
 * that adds a table must say which it is, here and in grants.sql. Against
 * the server of the CTest fixture `pg` (tests/pg/). */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"

#define REGISTRY ZT_TEST_SOURCE_DIR "/rules/registry-510101.xml"
#define POLICY ZT_TEST_SOURCE_DIR "/rules/sample-510101-2017.xml"
#define GRANTS ZT_TEST_SOURCE_DIR "/schema/pg/grants.sql"

/* Facts: no UPDATE, no DELETE for the engine (grants.sql's last comment). */
static const char *const facts[] = {
	"claim", "claim_v2", "settlement", "settlement_fund", "settlement_trace_segment",
	"settlement_catalog", "settlement_catalog_item", "catalog_entry", "transfer", "audit",
	"policy", "advance_plan", "advance_plan_line", "advance_approval", "advance",
	"batch_share", "batch_event", "batch_send", "batch_reject", "batch_return", "bank_entry",
	"recon_exception", "recon_resolution", "recon_match", "recon_alloc", "national_reversed",
};
/* The rows whose state moves, caches and reference data: UPDATE (and for
 * the last three DELETE) granted by grants.sql. */
static const char *const moving[] = {
	"meta", "accum", "account", "batch", "bank_import", "users", "policy_version",
	"idempotency", "hospital", "person", "fund", "catalog", "person_category",
	"pool_county", "pool_account",
};

static bool listed(const char *t, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i], t))
			return true;
	return false;
}

/* The SQLSTATE of `sql` on connection c: "" when it succeeded. */
static const char *state_of(PGconn *c, const char *sql, char *msg, size_t cap)
{
	static char st[6];
	PGresult *r = PQexec(c, sql);
	ExecStatusType s = PQresultStatus(r);
	st[0] = '\0';
	msg[0] = '\0';
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
		const char *e = PQresultErrorField(r, PG_DIAG_SQLSTATE);
		snprintf(st, sizeof st, "%s", e ? e : "?????");
		snprintf(msg, cap, "%s", PQresultErrorMessage(r));
	}
	PQclear(r);
	return st;
}

static long long int_of(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s: %s", sql, PQresultErrorMessage(r));
	long long v = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	return v;
}

Test(pg_grants, the_engine_role_inserts_facts_and_cannot_update_or_delete_them, .timeout = 300)
{
	/* the owner: the harness's role zhitong, owner of a new database */
	char owner[1200], admin[1200], db[64], *err = NULL;
	zt_test_pg_create(owner, sizeof owner, "grants", NULL);
	zt_test_pg_dbname(db, sizeof db, owner);
	zt_test_pg_target(admin, sizeof admin, "postgres", true);

	/* the engine's role (of the cluster: made once, a new password each
	 * run, given through SQL, never a command line) and its password file */
	char pw[40], sql[300];
	FILE *u = fopen("/dev/urandom", "rb");
	unsigned char raw[16];
	cr_assert(u && fread(raw, 1, sizeof raw, u) == sizeof raw);
	fclose(u);
	for (int i = 0; i < 16; i++)
		snprintf(pw + 2 * i, 3, "%02x", raw[i]);
	cr_assert_eq(zt_test_pg_exec(admin, "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE "
	                             "rolname = 'zhitong_engine') THEN CREATE ROLE zhitong_engine LOGIN; "
	                             "END IF; END $$", &err), 0, "%s", err);
	free(err);
	snprintf(sql, sizeof sql, "ALTER ROLE zhitong_engine LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE "
	         "PASSWORD '%s'", pw);
	cr_assert_eq(zt_test_pg_exec(admin, sql, &err), 0, "%s", err);
	free(err);
	char line[80];
	snprintf(line, sizeof line, "*:*:*:zhitong_engine:%s\n", pw);
	const char *passfile = zt_test_write("engine.pgpass", line);
	cr_assert_eq(chmod(passfile, 0600), 0);
	char engine[1200];
	snprintf(engine, sizeof engine, "postgresql:///%s?host=%s&user=zhitong_engine&passfile=%s", db,
	         zt_test_pg("PGHOST"), passfile);

	/* before the grants, the engine's role reads nothing */
	free(zt_test_ok("--db '%s' init 2>&1", owner));
	char *eout = NULL, *eerr = NULL;
	cr_assert_neq(zt_test_run(&eout, &eerr, "--db '%s' verify", engine), 0, "%s", eout);
	cr_assert(strstr(eerr, "permission denied"), "%s", eerr);
	free(eout);
	free(eerr);
	char *grants = zt_test_slurp(GRANTS);
	cr_assert(grants);
	cr_assert_eq(zt_test_pg_exec(owner, grants, &err), 0, "grants.sql: %s", err);
	free(err);
	free(grants);

	/* the engine at work as zhitong_engine: INSERT (and UPDATE where a state
	 * moves) is all it needs */
	free(zt_test_ok("--db '%s' registry load '%s'", engine, REGISTRY));
	free(zt_test_ok("--db '%s' rules load '%s'", engine, POLICY));
	free(zt_test_ok("--db '%s' user add root --role admin --by root", engine));
	free(zt_test_ok("--db '%s' user add desk1 --role desk --hospital H51010101 --by root", engine));
	const char *claims = zt_test_claims_of_one_person("g.xml", "ZY2017-G", 6);
	free(zt_test_ok("--db '%s' claim submit '%s' --by desk1", engine, claims));
	free(zt_test_ok("--db '%s' claim reverse --hospital H51010101 --claim-no ZY2017-G-0002 "
	                "--reason 'wrong ward' --by desk1", engine));
	char *out = zt_test_ok("--db '%s' verify", engine);
	cr_assert(strstr(out, "OK: 0 violations"), "%s", out);
	free(out);
	out = zt_test_ok("--db '%s' audit verify", engine);
	cr_assert(strstr(out, "intact"), "%s", out);
	free(out);

	PGconn *c = PQconnectdb(engine);
	cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
	cr_assert_eq(int_of(c, "SELECT (current_user = 'zhitong_engine')::int"), 1);
	/* what the engine inserted as this role */
	cr_assert_eq(int_of(c, "SELECT count(*) FROM claim"), 6);
	cr_assert_geq(int_of(c, "SELECT count(*) FROM settlement"), 6);
	cr_assert_gt(int_of(c, "SELECT count(*) FROM settlement_fund"), 0);
	cr_assert_gt(int_of(c, "SELECT count(*) FROM transfer"), 0);
	cr_assert_gt(int_of(c, "SELECT count(*) FROM audit"), 0);

	PGresult *r = PQexec(c, "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
	                        "ORDER BY 1");
	cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQresultErrorMessage(r));
	int n = PQntuples(r), nfacts = 0;
	cr_assert_gt(n, 30);
	for (int i = 0; i < n; i++) {
		const char *t = PQgetvalue(r, i, 0);
		bool fact = listed(t, facts, sizeof facts / sizeof *facts);
		cr_assert(fact || listed(t, moving, sizeof moving / sizeof *moving),
		          "table '%s' is neither a fact nor a table whose rows move: say which in "
		          "schema/pg/grants.sql and in this test", t);
		char q[400], msg[300];
		snprintf(q, sizeof q, "SELECT (has_table_privilege('%s', 'SELECT') AND "
		         "has_table_privilege('%s', 'INSERT'))::int", t, t);
		cr_assert_eq(int_of(c, q), 1, "the engine cannot read or insert into '%s'", t);
		snprintf(q, sizeof q, "SELECT (has_table_privilege('%s', 'TRUNCATE') OR "
		         "has_table_privilege('%s', 'REFERENCES') OR has_table_privilege('%s', 'TRIGGER'))::int",
		         t, t, t);
		cr_assert_eq(int_of(c, q), 0, "the engine may truncate, reference or trigger '%s'", t);
		if (!fact)
			continue;
		nfacts++;
		/* refused by the privileges, whatever the rows: no row matches, and
		 * the server refuses before it looks */
		char first[200];
		snprintf(first, sizeof first, "SELECT attname FROM pg_attribute WHERE attrelid = '%s'::regclass "
		         "AND attnum = 1", t);
		PGresult *a = PQexec(c, first);
		cr_assert_eq(PQntuples(a), 1, "%s: %s", first, PQresultErrorMessage(a));
		snprintf(q, sizeof q, "UPDATE %s SET %s = %s WHERE false", t, PQgetvalue(a, 0, 0),
		         PQgetvalue(a, 0, 0));
		PQclear(a);
		const char *st = state_of(c, q, msg, sizeof msg);
		cr_assert_str_eq(st, "42501", "%s: not refused by the privileges (%s)", q, msg);
		cr_assert(strstr(msg, "permission denied"), "%s", msg);
		snprintf(q, sizeof q, "DELETE FROM %s", t);
		st = state_of(c, q, msg, sizeof msg);
		cr_assert_str_eq(st, "42501", "%s: not refused by the privileges (%s)", q, msg);
		snprintf(q, sizeof q, "TRUNCATE %s", t);
		st = state_of(c, q, msg, sizeof msg);
		cr_assert_str_eq(st, "42501", "%s: not refused by the privileges (%s)", q, msg);
	}
	PQclear(r);
	cr_assert_eq(nfacts, (int)(sizeof facts / sizeof *facts), "a fact table of the list is missing");
	/* the rows are all still there */
	cr_assert_eq(int_of(c, "SELECT count(*) FROM claim"), 6);
	PQfinish(c);

	/* the second guard: the owner has the privileges, the triggers refuse */
	c = PQconnectdb(owner);
	cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
	char msg[300];
	const char *st = state_of(c, "UPDATE settlement SET id = id", msg, sizeof msg);
	cr_assert_str_eq(st, "P0001", "%s", msg);
	cr_assert(strstr(msg, "settlements are immutable"), "%s", msg);
	st = state_of(c, "DELETE FROM audit", msg, sizeof msg);
	cr_assert_str_eq(st, "P0001", "%s", msg);
	PQfinish(c);
}
