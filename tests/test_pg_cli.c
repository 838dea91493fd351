/* zhitong — the command line on the PostgreSQL store (issue 13): the same
 * flow as on SQLite — init, registry load, rules load, claim submit, claim
 * reverse, verify — with `--db postgresql://…` against the server of the
 * CTest fixture `pg` (tests/pg/), the password read by libpq from the
 * password file, never given on a command line; several zhitong processes
 * writing to one database at once, serialised and exact. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "zhitong/store.h"

#define REGISTRY ZT_TEST_SOURCE_DIR "/rules/registry-510101.xml"
#define POLICY ZT_TEST_SOURCE_DIR "/rules/sample-510101-2017.xml"
#define WORKED_EXAMPLE ZT_TEST_CASES "/claims/worked-example.xml"
#define MIXED ZT_TEST_CASES "/claims/mixed-settled-and-rejected.xml"

/* A new database, initialised, with the sample registry and policy. */
static void loaded(char *target, size_t cap, const char *name)
{
	zt_test_pg_create(target, cap, name, NULL);
	char *err = NULL, *out = NULL;
	cr_assert_eq(zt_test_run(&out, &err, "--db '%s' init", target), 0, "%s", err);
	char want[64];
	snprintf(want, sizeof want, "schema version 0 -> %d", ZT_STORE_VERSION);
	cr_assert(strstr(err, want), "%s", err);
	free(out);
	free(err);
	free(zt_test_ok("--db '%s' registry load '%s'", target, REGISTRY));
	free(zt_test_ok("--db '%s' rules load '%s'", target, POLICY));
}

static void verify_clean(const char *target)
{
	char *out = zt_test_ok("--db '%s' verify", target);
	cr_assert(strstr(out, "OK: 0 violations"), "%s", out);
	free(out);
}

Test(pg_cli, init_load_submit_reverse_verify_end_to_end, .timeout = 300)
{
	char target[1200];
	loaded(target, sizeof target, "e2e");
	char *out = zt_test_ok("--db '%s' claim submit '%s' --by desk", target, WORKED_EXAMPLE);
	cr_assert(strstr(out, "setl_id=\"S000000000001\""), "%s", out);
	cr_assert(strstr(out, "<hifp_pay>8160.00</hifp_pay>"), "%s", out);
	free(out);
	/* the same claim again: the stored settlement, nothing new */
	out = zt_test_ok("--db '%s' claim submit '%s' --by desk", target, WORKED_EXAMPLE);
	cr_assert(strstr(out, "setl_id=\"S000000000001\""), "%s", out);
	free(out);
	/* a file with settled and rejected claims: exit 1, the rest stays */
	free(zt_test_exit(1, "--db '%s' claim submit '%s' --by desk", target, MIXED));
	free(zt_test_ok("--db '%s' claim reverse --hospital H51010101 --claim-no ZY2017-000123 "
	                "--reason 'wrong ward' --by desk", target));
	out = zt_test_ok("--db '%s' claim submit '%s' --by desk", target, WORKED_EXAMPLE);
	cr_assert(strstr(out, "<hifp_pay>8160.00</hifp_pay>"), "the accumulators were given back: %s",
	          out);
	free(out);
	verify_clean(target);
	/* init again: nothing to do */
	char *err = NULL;
	cr_assert_eq(zt_test_run(&out, &err, "--db '%s' init", target), 0, "%s", err);
	cr_assert(strstr(err, "is up to date"), "%s", err);
	free(out);
	free(err);
}

Test(pg_cli, a_database_not_initialised_or_unreachable_is_refused_with_what_to_do)
{
	char target[1200];
	zt_test_pg_create(target, sizeof target, "bare", NULL);
	char *out = NULL, *err = NULL;
	cr_assert_eq(zt_test_run(&out, &err, "--db '%s' claim submit '%s' --by desk", target,
	                         WORKED_EXAMPLE), 2, "%s", err);
	cr_assert(strstr(err, "is not initialised: run 'zhitong --db"), "%s", err);
	free(out);
	free(err);
	cr_assert_neq(zt_test_run(&out, &err, "--db 'postgresql:///zhitong?host=/nonexistent' verify"),
	              0);
	cr_assert(strstr(err, "cannot open database"), "%s", err);
	free(out);
	free(err);
}

/* libpq reads the password from the file $PGPASSFILE names: the target
 * names neither it nor the password. */
Test(pg_cli, the_password_comes_from_the_password_file_not_the_command_line, .timeout = 120)
{
	char target[1200];
	loaded(target, sizeof target, "passfile");
	char db[64], bare[1200];
	zt_test_pg_dbname(db, sizeof db, target);
	const char *host = zt_test_pg("PGHOST"), *passfile = zt_test_pg("PGPASSFILE");
	cr_assert(host && passfile);
	snprintf(bare, sizeof bare, "postgresql:///%s?host=%s&user=zhitong", db, host);
	struct run r = sh("PGPASSFILE='%s' '%s' --db '%s' verify", passfile, ZT_TEST_ZHITONG, bare);
	cr_assert_eq(r.code, 0, "%s", r.err);
	cr_assert(strstr(r.out, "OK: 0 violations"), "%s", r.out);
	run_free(&r);
	/* without it, the server refuses: no password was given anywhere */
	r = sh("PGPASSFILE=/nonexistent HOME=/nonexistent '%s' --db '%s' verify", ZT_TEST_ZHITONG, bare);
	cr_assert_eq(r.code, 2, "%s", r.err);
	cr_assert(strstr(r.err, "cannot open database"), "%s", r.err);
	run_free(&r);
}

/* Three desks, three processes, one person: every settlement saw the totals
 * of those before it (verify re-derives the accumulators from the
 * settlements), and the numbers have no gap. */
Test(pg_cli, several_processes_write_one_database_at_once, .timeout = 300)
{
	char target[1200];
	loaded(target, sizeof target, "desks");
	const char *a = zt_test_claims_of_one_person("a.xml", "ZY2017-A", 12);
	const char *b = zt_test_claims_of_one_person("b.xml", "ZY2017-B", 12);
	const char *c = zt_test_claims_of_one_person("c.xml", "ZY2017-C", 12);
	struct run r = sh("z='%s'; db='%s'; \"$z\" --db \"$db\" claim submit '%s' --by a >/dev/null & "
	                  "p1=$!; \"$z\" --db \"$db\" claim submit '%s' --by b >/dev/null & "
	                  "p2=$!; \"$z\" --db \"$db\" claim submit '%s' --by c >/dev/null & "
	                  "p3=$!; s=0; for p in $p1 $p2 $p3; do wait $p || s=1; done; exit $s",
	                  ZT_TEST_ZHITONG, target, a, b, c);
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	char *out = zt_test_ok("--db '%s' claim list --person P0000001", target);
	int lines = 0;
	for (char *p = out; (p = strstr(p, "ZY2017-")); p++)
		lines++;
	cr_assert_eq(lines, 36, "%s", out);
	cr_assert(strstr(out, "S000000000036"), "%s", out);
	free(out);
	verify_clean(target);
}
