/* zhitong — the store under concurrency and crashes (docs/spec/interfaces.md
 * "Command line"; docs/spec/split.md §0: claims of one person are serialised; the
 * claim file is one transaction).
 *
 * Runs the built `zhitong` as separate processes on one database, kills one
 * with SIGKILL in the middle of a file, and compares the results with
 * serial runs on fresh databases: the accumulators of every person, the
 * answers (setl_ids and amounts), and `verify`. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#define ZT ZT_TEST_ZHITONG
#define REGISTRY ZT_TEST_SOURCE_DIR "/rules/registry-510101.xml"
#define POLICY ZT_TEST_SOURCE_DIR "/rules/sample-510101-2017.xml"



/* A path in this test's directory (each call its own buffer, kept). */
static const char *path_of(const char *name)
{
	static char bufs[32][600];
	static int next;
	cr_assert_lt(next, 32, "too many paths");
	char *p = bufs[next++];
	snprintf(p, 600, "%s/%s", zt_test_tmpdir(), name);
	return p;
}


/* zhitong --db DB ARGS, exit 0 required (testutil.h) */
#define must(db, ...) free(zt_test_db_ok(db, __VA_ARGS__))

static const char *fresh_db(const char *name, const char *registry, const char *policy)
{
	const char *db = path_of(name);
	must(db, "init");
	must(db, "registry load '%s'", registry);
	must(db, "rules load '%s'", policy);
	return db;
}

#define verify_ok(db) free(zt_test_db_ok(db, "verify"))

#define rows(db, sql) zt_test_rows(db, "%s", sql)

static long long count(const char *db, const char *sql)
{
	char *t = rows(db, sql);
	long long n = atoll(t);
	free(t);
	return n;
}

static char *all_accum(const char *db)
{
	/* a zero row means the same as none */
	return rows(db, "SELECT psn_no, year, slot, amount FROM accum WHERE amount <> 0 ORDER BY psn_no, year, slot");
}

/* On a difference of long texts, the first line that differs. */
#define same_text zt_test_same_text

static char *without_setl_ids(const char *xml)
{
	char *res = strdup(xml), *w = res;
	for (const char *p = xml; *p;) {
		if (strncmp(p, " setl_id=\"", 10) == 0) {
			p = strchr(p + 10, '"');
			cr_assert(p);
			p++;
		} else {
			*w++ = *p++;
		}
	}
	*w = '\0';
	return res;
}

/* The first setl_id in an answer (settlement ids grow with time). */
static long long first_setl_number(const char *answer)
{
	const char *p = strstr(answer, "setl_id=\"");
	cr_assert(p, "no settlement in the answer");
	p += 9;
	while (*p && (*p < '0' || *p > '9'))
		p++;
	return atoll(p);
}

/* The big files of a test that passed are of no further use. */
static void remove_tmpdir(void)
{
	struct run r = sh("rm -rf '%s'", zt_test_tmpdir());
	run_free(&r);
}

/* ---- a generated world, split in two ---------------------------------------- */

struct world {
	const char *dir, *registry, *policy, *claims;
};

static struct world gen_world(int claims, int seed)
{
	struct world w;
	w.dir = path_of("world");
	struct run r = sh("'%s' gen --claims %d --seed %d --out '%s'", ZT, claims, seed, w.dir);
	cr_assert_eq(r.code, 0, "gen: %s", r.err);
	run_free(&r);
	char b[700];
	snprintf(b, sizeof b, "world/registry.xml");
	w.registry = path_of(b);
	snprintf(b, sizeof b, "world/policy.xml");
	w.policy = path_of(b);
	snprintf(b, sizeof b, "world/claims.xml");
	w.claims = path_of(b);
	return w;
}

/* Deals the claims of `file` alternately into two <claims> files. */
static void deal(const char *file, const char *a, const char *b, int *shared_people)
{
	char *x = zt_test_slurp(file);
	cr_assert(x);
	FILE *fa = fopen(a, "wb"), *fb = fopen(b, "wb");
	cr_assert(fa && fb);
	fputs("<claims xmlns=\"urn:zhitong:claim:1\">\n", fa);
	fputs("<claims xmlns=\"urn:zhitong:claim:1\">\n", fb);
	/* people seen in each half, to show that the halves overlap */
	size_t cap = 1 << 14, na = 0, nb = 0;
	char(*pa)[32] = malloc(cap * 32), (*pb)[32] = malloc(cap * 32);
	int k = 0;
	for (char *p = x; (p = strstr(p, "<claim>")) != NULL; k++) {
		char *end = strstr(p, "</claim>");
		cr_assert(end);
		end += strlen("</claim>");
		fwrite(p, 1, (size_t)(end - p), k % 2 ? fb : fa);
		fputc('\n', k % 2 ? fb : fa);
		char *ps = strstr(p, "<psn_no>");
		cr_assert(ps && ps < end);
		ps += 8;
		char(*into)[32] = k % 2 ? pb : pa;
		size_t *n = k % 2 ? &nb : &na;
		cr_assert_lt(*n, cap);
		snprintf(into[*n], 32, "%.*s", (int)strcspn(ps, "<"), ps);
		(*n)++;
		p = end;
	}
	fputs("</claims>\n", fa);
	fputs("</claims>\n", fb);
	cr_assert_eq(fclose(fa), 0);
	cr_assert_eq(fclose(fb), 0);
	*shared_people = 0;
	for (size_t i = 0; i < na; i++)
		for (size_t j = 0; j < nb; j++)
			if (strcmp(pa[i], pb[j]) == 0) {
				(*shared_people)++;
				break;
			}
	free(pa);
	free(pb);
	free(x);
}

/* ---- two submits at once -------------------------------------------------------- */

Test(concurrency, two_submits_on_one_database_equal_a_serial_run)
{
	struct world w = gen_world(2000, 5);
	const char *a = path_of("a.xml"), *b = path_of("b.xml");
	int shared;
	deal(w.claims, a, b, &shared);
	cr_assert_gt(shared, 10, "the two files should share people (they share %d)", shared);

	const char *db = fresh_db("both.db", w.registry, w.policy);
	const char *ao = path_of("a.out"), *bo = path_of("b.out"), *ae = path_of("a.err"), *be = path_of("b.err");
	/* each file one transaction (--chunk 0): the files serialised whole;
	 * chunked, two files interleave by chunks (each claim still seeing
	 * exactly the ones committed before it: test_group_commit) */
	struct run r = sh("'%s' --db '%s' claim submit --chunk 0 '%s' >'%s' 2>'%s' & pa=$!;"
	                  " '%s' --db '%s' claim submit --chunk 0 '%s' >'%s' 2>'%s' & pb=$!;"
	                  " wait $pa; ra=$?; wait $pb; rb=$?; echo \"$ra $rb\"",
	                  ZT, db, a, ao, ae, ZT, db, b, bo, be);
	cr_assert_eq(r.code, 0);
	char *a_err = zt_test_slurp(ae), *b_err = zt_test_slurp(be);
	cr_assert_str_eq(r.out, "0 0\n", "exit codes %s\na: %s\nb: %s", r.out, a_err, b_err);
	run_free(&r);
	cr_assert_eq(count(db, "SELECT count(*) FROM claim"), 2000);
	cr_assert_eq(count(db, "SELECT count(*) FROM settlement"), 2000);
	cr_assert_eq(count(db, "SELECT count(DISTINCT setl_id) FROM settlement"), 2000);
	verify_ok(db);

	/* the same two files one after the other, in the order the database took them */
	char *a_out = zt_test_slurp(ao), *b_out = zt_test_slurp(bo);
	bool a_first = first_setl_number(a_out) < first_setl_number(b_out);
	const char *serial = fresh_db("serial.db", w.registry, w.policy);
	const char *so1 = path_of("s1.out"), *so2 = path_of("s2.out");
	r = sh("'%s' --db '%s' claim submit '%s' >'%s' && '%s' --db '%s' claim submit '%s' >'%s'", ZT, serial,
	       a_first ? a : b, so1, ZT, serial, a_first ? b : a, so2);
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	char *acc = all_accum(db), *sacc = all_accum(serial);
	cr_assert_gt(strlen(sacc), 0);
	same_text(acc, sacc, "accumulators after concurrent submits vs a serial run");
	char *s1 = zt_test_slurp(so1), *s2 = zt_test_slurp(so2);
	char *first = without_setl_ids(a_first ? a_out : b_out), *second = without_setl_ids(a_first ? b_out : a_out);
	char *s1p = without_setl_ids(s1), *s2p = without_setl_ids(s2);
	same_text(first, s1p, "the first file's answer");
	same_text(second, s2p, "the second file's answer");
	free(a_out);
	free(b_out);
	free(a_err);
	free(b_err);
	free(acc);
	free(sacc);
	free(s1);
	free(s2);
	free(first);
	free(second);
	free(s1p);
	free(s2p);
	remove_tmpdir();
}

/* Eight desks settle claims of one person at the same moment. */
Test(concurrency, eight_desks_settling_one_person_are_serialised)
{
	char *tmpl = zt_test_slurp(ZT_TEST_CASES "/claims/worked-example.xml");
	cr_assert(tmpl);
	char *at = strstr(tmpl, "ZY2017-000123");
	cr_assert(at);
	const char *files[8];
	for (int i = 0; i < 8; i++) {
		char name[32];
		memcpy(at, "ZY2017-00012", 12);
		at[12] = (char)('0' + i); /* ZY2017-000120 … ZY2017-000127 */
		snprintf(name, sizeof name, "desk%d.xml", i);
		files[i] = path_of(name);
		FILE *f = fopen(files[i], "wb");
		cr_assert(f);
		fputs(tmpl, f);
		fclose(f);
	}
	const char *db = fresh_db("desks.db", REGISTRY, POLICY);
	char cmd[8000];
	int l = 0;
	for (int i = 0; i < 8; i++)
		l += snprintf(cmd + l, sizeof cmd - (size_t)l, "'%s' --db '%s' claim submit '%s' >'%s.out' 2>&1 & p%d=$!; ",
		              ZT, db, files[i], files[i], i);
	for (int i = 0; i < 8; i++)
		l += snprintf(cmd + l, sizeof cmd - (size_t)l, "wait $p%d; echo $?; ", i);
	struct run r = sh("%s", cmd);
	cr_assert_str_eq(r.out, "0\n0\n0\n0\n0\n0\n0\n0\n", "exit codes:\n%s", r.out);
	run_free(&r);
	cr_assert_eq(count(db, "SELECT count(*) FROM settlement"), 8);
	verify_ok(db);

	/* replay serially in the order the database settled them */
	char *order = rows(db, "SELECT c.claim_no FROM settlement s JOIN claim c ON c.id = s.claim_id ORDER BY s.id");
	const char *serial = fresh_db("desks-serial.db", REGISTRY, POLICY);
	for (char *line = order; *line;) {
		char *nl = strchr(line, '\n');
		*nl = '\0';
		int i = line[strlen(line) - 1] - '0';
		cr_assert(i >= 0 && i < 8, "claim_no '%s'", line);
		must(serial, "claim submit '%s'", files[i]);
		line = nl + 1;
	}
	char *acc = all_accum(db), *sacc = all_accum(serial);
	same_text(acc, sacc, "accumulators of P0000001 after eight desks vs one desk");
	/* 8 × 8160.00 of basic insurance, under the 150000.00 cap */
	cr_assert(strstr(acc, "P0000001|2017|basic|6528000\n"), "%s", acc);
	/* the critical base 8 × 1640.00 crossed the poor threshold 5000.00 */
	cr_assert(strstr(acc, "P0000001|2017|crit_base|1312000\n"), "%s", acc);
	free(acc);
	free(sacc);
	free(order);
	free(tmpl);
}

/* ---- a crash in the middle of a file ---------------------------------------------- */

Test(crash, a_submit_killed_mid_file_leaves_nothing_and_the_file_can_be_sent_again)
{
	struct world w = gen_world(20000, 9);
	/* the reference: a clean run on a fresh database */
	const char *clean = fresh_db("clean.db", w.registry, w.policy);
	const char *clean_out = path_of("clean.out");
	struct run r = sh("'%s' --db '%s' claim submit '%s' >'%s'", ZT, clean, w.claims, clean_out);
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);

	/* Kill it once the uncommitted transaction has spilled 8 MB into the
	 * write-ahead log: well into the file, long before its end. */
	const char *db = fresh_db("crash.db", w.registry, w.policy);
	const char *crash_out = path_of("crash.out");
	/* one transaction (--chunk 0): killed, it leaves nothing */
	r = sh("'%s' --db '%s' claim submit --chunk 0 '%s' >'%s' 2>/dev/null & pid=$!;"
	       " i=0; while [ \"$(stat -c %%s '%s-wal' 2>/dev/null || echo 0)\" -lt 8000000 ] && [ $i -lt 1200 ];"
	       " do sleep 0.025; i=$((i+1)); done;"
	       " kill -9 $pid; wait $pid; echo $?",
	       ZT, db, w.claims, crash_out, db);
	cr_assert_str_eq(r.out, "137\n", "the submit was not killed mid-way (status %s)", r.out);
	run_free(&r);
	char *partial = zt_test_slurp(crash_out);
	cr_assert_str_eq(partial, "", "a killed submit printed an answer");
	free(partial);

	/* nothing of the file is stored, and the store is consistent */
	static const char *const tables[] = {"claim", "settlement", "settlement_fund", "accum", "transfer", "account"};
	for (size_t i = 0; i < sizeof tables / sizeof *tables; i++) {
		char sql[100];
		snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", tables[i]);
		cr_assert_eq(count(db, sql), 0, "%s has rows after the crash", tables[i]);
	}
	verify_ok(db);

	/* sending the file again gives exactly the clean run's answer */
	const char *again_out = path_of("again.out");
	r = sh("'%s' --db '%s' claim submit '%s' >'%s'", ZT, db, w.claims, again_out);
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	r = sh("cmp '%s' '%s'", again_out, clean_out);
	cr_assert_eq(r.code, 0, "the answer after the crash differs from a clean run: %s", r.out);
	run_free(&r);
	cr_assert_eq(count(db, "SELECT count(*) FROM claim"), 20000);
	verify_ok(db);
	char *acc = all_accum(db), *cacc = all_accum(clean);
	same_text(acc, cacc, "accumulators after the crash and resubmission vs a clean run");
	free(acc);
	free(cacc);
	remove_tmpdir();
}

/* ---- schema versions --------------------------------------------------------------- */

static char *dump(const char *db)
{
	struct run r = sh("sqlite3 '%s' .dump", db);
	cr_assert_eq(r.code, 0, "%s", r.err);
	free(r.err);
	return r.out;
}

Test(schema, init_twice_is_harmless)
{
	const char *db = fresh_db("twice.db", REGISTRY, POLICY);
	must(db, "claim submit '%s'", ZT_TEST_CASES "/claims/worked-example.xml");
	char *before = dump(db);
	struct run r = sh("'%s' --db '%s' init", ZT, db);
	cr_assert_eq(r.code, 0, "second init: %s", r.err);
	run_free(&r);
	char *after = dump(db);
	same_text(after, before, "a second init changed the database");
	verify_ok(db);
	/* and the database still works */
	r = sh("'%s' --db '%s' claim submit '%s'", ZT, db, ZT_TEST_CASES "/claims/worked-example.xml");
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	free(before);
	free(after);
}

Test(schema, a_database_from_a_newer_version_is_refused)
{
	const char *db = fresh_db("newer.db", REGISTRY, POLICY);
	struct run r = sh("sqlite3 '%s' 'PRAGMA user_version = 99'", db);
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	char *before = dump(db);
	static const char *const cmds[] = {"init", "verify", "claim submit '" ZT_TEST_CASES "/claims/worked-example.xml'",
	                                   "registry load '" REGISTRY "'", "status"};
	for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
		r = sh("'%s' --db '%s' %s", ZT, db, cmds[i]);
		cr_expect_eq(r.code, 2, "%s on a newer database: exit %d", cmds[i], r.code);
		cr_expect_str_eq(r.out, "", "%s printed something", cmds[i]);
		cr_expect(strstr(r.err, "99") && strstr(r.err, "newer"), "%s: stderr: %s", cmds[i], r.err);
		run_free(&r);
	}
	char *after = dump(db);
	same_text(after, before, "a newer database was changed");
	cr_assert_eq(count(db, "PRAGMA user_version"), 99);
	free(before);
	free(after);
}

Test(schema, a_database_that_was_never_initialised_is_refused_clearly)
{
	/* an empty file */
	const char *empty = path_of("empty.db");
	FILE *f = fopen(empty, "wb");
	cr_assert(f);
	fclose(f);
	struct run r = sh("'%s' --db '%s' verify", ZT, empty);
	cr_expect_eq(r.code, 2, "exit %d", r.code);
	cr_expect(strstr(r.err, "not initialised") && strstr(r.err, "init"), "stderr: %s", r.err);
	cr_expect_str_eq(r.out, "");
	run_free(&r);

	/* somebody else's SQLite database */
	const char *other = path_of("other.db");
	r = sh("sqlite3 '%s' 'CREATE TABLE notes (t TEXT)'", other);
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	r = sh("'%s' --db '%s' claim submit '%s'", ZT, other, ZT_TEST_CASES "/claims/worked-example.xml");
	cr_expect_eq(r.code, 2, "exit %d", r.code);
	cr_expect(strstr(r.err, "not initialised"), "stderr: %s", r.err);
	cr_expect_str_eq(r.out, "");
	run_free(&r);
	cr_assert_eq(count(other, "SELECT count(*) FROM sqlite_master"), 1, "the foreign database was changed");

	/* no file at all: refused, and not created */
	const char *missing = path_of("missing.db");
	r = sh("'%s' --db '%s' verify", ZT, missing);
	cr_expect_eq(r.code, 2, "exit %d", r.code);
	cr_expect_gt(strlen(r.err), 0);
	run_free(&r);
	struct stat sb;
	cr_expect_neq(stat(missing, &sb), 0, "verify created the database");
}

/* A new database holds names and identity numbers: owner only. */
Test(store, init_creates_the_database_for_its_owner_only)
{
	const char *db = tmp_path("private.db");
	cr_assert_eq(zt_test_run(NULL, NULL, "--db '%s' init", db), 0);
	struct stat st;
	cr_assert_eq(stat(db, &st), 0);
	cr_expect_eq(st.st_mode & 0777, 0600, "mode %o", (unsigned)(st.st_mode & 0777));
}
