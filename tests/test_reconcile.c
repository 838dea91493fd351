/* zhitong — bank reconciliation (docs/spec/money-flow.md "Reconciliation";
 * reconcile.h; docs/reconciliation.md): camt.053 import, matching,
 * exceptions and their resolution, the report, and what verify checks.
 *
 * Each test builds its world with the built `zhitong` on a fresh database:
 * the sample registry and policy of rules/, the worked example of docs/spec/split.md
 * §7 settled (fund shares 8160.00 to 390100, 1148.00 to 610100, 142.00 to
 * 610103, all to H51010101), one batch per fund created, approved, exported
 * and accepted by the payer (B390100-000001, B610100-000001,
 * B610103-000001), and, where a test needs it, an advance of 20000.00 to
 * H51010101 (ADV-<today>-000001). The statements are the files under
 * tests/cases/camt053-recon (each valid against the official XSD); they
 * are dated 2024-03-05, which the tests rebase to the day they run, since
 * a batch exported today cannot have been paid in 2024. Amounts in the
 * database are fen. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "zhitong/error.h"
#include "zhitong/reconcile.h"
#include "zhitong/recon_render.h"

#define REGISTRY ZT_TEST_SOURCE_DIR "/rules/registry-510101.xml"
#define POLICY ZT_TEST_SOURCE_DIR "/rules/sample-510101-2017.xml"
#define WORKED_EXAMPLE ZT_TEST_CASES "/claims/worked-example.xml"
#define FIXTURES ZT_TEST_CASES "/camt053-recon"

#define B1 "B390100-000001" /* 8160.00 */
#define B2 "B610100-000001" /* 1148.00 */
#define B3 "B610103-000001" /*  142.00 */

/* ---- running things ------------------------------------------------------ */



/* Time only goes forward: once a command ran on a later day (zt_on), the
 * commands after it run on that day too, as they would — the audit trail
 * records the time of each change and verify refuses a record dated
 * before the one it follows. (Each test is a process of its own.) */
static char later_db[700], later_day[16];

/* The same on another day: the clock of that one process is set to `day`
 * (libfaketime, zt_test_run_on), for what is seen days later; a day after
 * today is refused as --as-of. */
static struct run zt_on(const char *db, const char *day, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static struct run zt_on(const char *db, const char *day, const char *fmt, ...)
{
	char args[6000];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof args, fmt, ap);
	va_end(ap);
	struct run r;
	r.code = zt_test_run_on(day, &r.out, &r.err, "--db '%s' %s", db, args);
	if (strcmp(db, later_db) != 0 || strcmp(day, later_day) > 0) {
		snprintf(later_db, sizeof later_db, "%s", db);
		snprintf(later_day, sizeof later_day, "%s", day);
	}
	return r;
}

/* zhitong --db DB …: now, or on the latest day a command ran on. */
static struct run zt(const char *db, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static struct run zt(const char *db, const char *fmt, ...)
{
	char args[6000];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof args, fmt, ap);
	va_end(ap);
	if (later_day[0] && strcmp(db, later_db) == 0)
		return zt_on(db, later_day, "%s", args);
	return zt_test_db(db, "%s", args);
}

static char *zt_ok(const char *db, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *zt_ok(const char *db, const char *fmt, ...)
{
	char args[6000];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof args, fmt, ap);
	va_end(ap);
	struct run r = zt(db, "%s", args);
	cr_assert_eq(r.code, 0, "zhitong %s: exit %d\nstderr: %s\nstdout: %s", args, r.code, r.err,
	             r.out);
	free(r.err);
	return r.out;
}

static char *zt_ok_on(const char *db, const char *day, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static char *zt_ok_on(const char *db, const char *day, const char *fmt, ...)
{
	char args[6000];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof args, fmt, ap);
	va_end(ap);
	struct run r = zt_on(db, day, "%s", args);
	cr_assert_eq(r.code, 0, "zhitong %s (on %s): exit %d\nstderr: %s\nstdout: %s", args, day,
	             r.code, r.err, r.out);
	free(r.err);
	return r.out;
}

#define rows(db, sql) zt_test_rows(db, "%s", sql)

static void sql_exec(const char *db, const char *sql)
{
	sqlite3 *h = NULL;
	cr_assert_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK, "open %s", db);
	char *msg = NULL;
	cr_assert_eq(sqlite3_exec(h, sql, NULL, NULL, &msg), SQLITE_OK, "%s: %s", sql, msg);
	sqlite3_close(h);
}

/* Asserts that `sql` gives exactly `want` (rows joined by \n, columns by |). */
static void expect_rows(const char *db, const char *sql, const char *want)
{
	char *got = rows(db, sql);
	cr_expect_str_eq(got, want, "%s\n--- got:\n%s--- want:\n%s", sql, got, want);
	free(got);
}

/* The balance of an account in fen (0 if never touched). */
static long long balance(const char *db, const char *account)
{
	char sql[200];
	snprintf(sql, sizeof sql, "SELECT COALESCE((SELECT balance FROM account WHERE name = '%s'), 0)",
	         account);
	char *v = rows(db, sql);
	long long b = atoll(v);
	free(v);
	return b;
}

static void expect_balance(const char *db, const char *account, long long fen)
{
	long long b = balance(db, account);
	cr_expect_eq(b, fen, "%s: balance %lld fen, expected %lld", account, b, fen);
}

/* "status|paid" of a batch. */
static void expect_batch(const char *db, const char *id, const char *status_paid)
{
	char sql[200], want[100];
	snprintf(sql, sizeof sql, "SELECT status, paid FROM batch WHERE id = '%s'", id);
	snprintf(want, sizeof want, "%s\n", status_paid);
	expect_rows(db, sql, want);
}

static void verify_ok(const char *db)
{
	struct run r = zt(db, "verify");
	cr_assert_eq(r.code, 0, "verify: exit %d\n%s%s", r.code, r.out, r.err);
	cr_assert(strstr(r.out, "OK: 0 violations"), "verify printed:\n%s", r.out);
	run_free(&r);
}

static void expect_in(const char *text, const char *part)
{
	cr_expect(strstr(text, part) != NULL, "expected '%s' in:\n%s", part, text);
}

/* ---- the world ----------------------------------------------------------- */

enum {
	WITH_ADVANCE = 1,    /* an advance of 20000.00 to H51010101 */
	B3_NOT_SENT = 2,     /* B610103-000001 exported, not handed to the payer */
	B3_SENT = 4,         /* B610103-000001 sent (drop folder), no payer's answer */
};

struct world {
	char db[700];
	char cfg[600];
	char dir[600];
	char today[ZT_FMT_BYTES]; /* 2026-11-26 */
	char today8[16]; /* 20261126   */
	char advance_id[40];
};

static void write_config(struct world *w, const char *reconcile)
{
	char text[3000];
	snprintf(text, sizeof text,
	         "[signing]\n"
	         "key = %s/k.pem\n"
	         "\n"
	         ZT_TEST_POOL_INI
	         "\n"
	         "[fund 610103]\n"
	         "gateway = folder\n"
	         "outbox = %s/outbox\n"
	         "inbox = %s/inbox\n"
	         "\n"
	         "[reconcile]\n"
	         "%s",
	         w->dir, w->dir, w->dir, reconcile ? reconcile : "");
	snprintf(w->cfg, sizeof w->cfg, "%s", zt_test_write("zhitong.ini", text));
}

/* The payer accepts every record of the batch. */
static void payer_accepts(struct world *w, const char *id)
{
	char name[64], ack[300];
	snprintf(name, sizeof name, "%s.ack.xml", id);
	snprintf(ack, sizeof ack,
	         "<ack xmlns=\"urn:zhitong:payer-ack:1\" batch=\"%s\" status=\"accepted\" "
	         "receipt=\"R-%s\"/>\n",
	         id, id);
	const char *path = zt_test_write(name, ack);
	free(zt_ok(w->db, "batch ack %s '%s' --by carol", id, path));
}

static void send_and_accept(struct world *w, const char *id, bool answer)
{
	free(zt_ok(w->db, "batch approve %s --by bob", id));
	free(zt_ok(w->db, "batch export %s --out '%s/%s.xml' --key '%s/k.pem' --by carol", id, w->dir,
	           id, w->dir));
	if (answer)
		payer_accepts(w, id);
}

static void world(struct world *w, int flags, const char *reconcile)
{
	memset(w, 0, sizeof *w);
	snprintf(w->dir, sizeof w->dir, "%s", zt_test_tmpdir());
	snprintf(w->db, sizeof w->db, "%s/zt.db", w->dir);
	zt_format_date(w->today, zt_date_today());
	snprintf(w->today8, sizeof w->today8, "%.4s%.2s%.2s", w->today, w->today + 5, w->today + 8);
	write_config(w, reconcile);
	char cmd[1400];
	snprintf(cmd, sizeof cmd, "openssl genpkey -algorithm ed25519 -out '%s/k.pem' 2>/dev/null",
	         w->dir);
	cr_assert_eq(system(cmd), 0, "openssl genpkey");
	free(zt_ok(w->db, "init"));
	free(zt_ok(w->db, "registry load '%s'", REGISTRY));
	free(zt_ok(w->db, "rules load '%s'", POLICY));
	free(zt_ok(w->db, "claim submit '%s'", WORKED_EXAMPLE));
	static const char *const funds[] = {"390100", "610100", "610103"};
	static const char *const ids[] = {B1, B2, B3};
	for (int i = 0; i < 3; i++) {
		char *id = zt_ok(w->db, "batch create --fund %s --by alice", funds[i]);
		char want[40];
		snprintf(want, sizeof want, "%s\n", ids[i]);
		cr_assert_str_eq(id, want, "batch create printed '%s'", id);
		free(id);
		send_and_accept(w, ids[i], !(i == 2 && (flags & (B3_NOT_SENT | B3_SENT))));
	}
	if (flags & B3_SENT) {
		char cmd2[1400];
		snprintf(cmd2, sizeof cmd2, "mkdir -p '%s/outbox' '%s/inbox'", w->dir, w->dir);
		cr_assert_eq(system(cmd2), 0);
		free(zt_ok(w->db, "--config '%s' batch send " B3 " --by carol", w->cfg));
	}
	if (flags & WITH_ADVANCE) {
		/* A single advance: planned by erin, approved by dora, issued. */
		char *plan = zt_ok(w->db, "advance plan --hospital H51010101 --amount 20000.00 --by erin");
		char plan_id[40];
		cr_assert_eq(sscanf(plan, "%39s", plan_id), 1, "advance plan printed '%s'", plan);
		free(plan);
		free(zt_ok(w->db, "advance approve %s --by dora", plan_id));
		char *out = zt_ok(w->db,
		                  "--config '%s' advance issue --plan %s --by erin --out '%s/advance.xml'",
		                  w->cfg, plan_id, w->dir);
		cr_assert_eq(sscanf(out, "%39s", w->advance_id), 1, "advance issue printed '%s'", out);
		free(out);
		char want[40];
		snprintf(want, sizeof want, "ADV-%s-000001", w->today8);
		cr_assert_str_eq(w->advance_id, want);
	}
}

/* A statement of tests/cases/camt053-recon, rebased to today. */
static const char *fixture(const struct world *w, const char *name)
{
	char src[600];
	snprintf(src, sizeof src, "%s/%s", FIXTURES, name);
	char *text = zt_test_slurp(src);
	cr_assert(text != NULL, "cannot read %s", src);
	size_t cap = strlen(text) * 2 + 1;
	char *out = malloc(cap), *o = out;
	for (const char *p = text; *p;) {
		if (strncmp(p, "2024-03-05", 10) == 0) {
			o += sprintf(o, "%s", w->today);
			p += 10;
		} else if (strncmp(p, "20240305", 8) == 0) {
			o += sprintf(o, "%s", w->today8);
			p += 8;
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	const char *path = zt_test_write(name, out);
	free(out);
	free(text);
	return path;
}

static struct run import(const struct world *w, const char *name)
{
	return zt(w->db, "--config '%s' reconcile import '%s' --by frank", w->cfg, fixture(w, name));
}

static char *import_ok(const struct world *w, const char *name)
{
	struct run r = import(w, name);
	cr_assert_eq(r.code, 0, "import %s: exit %d\n%s%s", name, r.code, r.out, r.err);
	free(r.err);
	return r.out;
}

/* Imports a file whose entries become exceptions: exit 1, listed. */
static char *import_exceptions(const struct world *w, const char *name)
{
	struct run r = import(w, name);
	cr_assert_eq(r.code, 1, "import %s: exit %d\n%s%s", name, r.code, r.out, r.err);
	free(r.err);
	return r.out;
}

static struct run resolve(const struct world *w, const char *exc, const char *as)
{
	return zt(w->db, "--config '%s' reconcile resolve %s --as '%s' --by grace --note 'checked "
	                 "with the payer'",
	          w->cfg, exc, as);
}

static void resolve_ok(const struct world *w, const char *exc, const char *as)
{
	struct run r = resolve(w, exc, as);
	cr_assert_eq(r.code, 0, "resolve %s as %s: exit %d\n%s%s", exc, as, r.code, r.out, r.err);
	run_free(&r);
}

static const char *as_of_plus(const struct world *w, int days)
{
	static char buf[4][16];
	static int next;
	char *b = buf[next++ % 4];
	zt_date d;
	cr_assert_eq(zt_parse_date(&d, w->today, 10), 0);
	zt_format_date(b, zt_date_add(d, days));
	return b;
}

/* The bank entry a transfer names, with today's date in it. */
static const char *ref(const struct world *w, const char *suffix)
{
	static char buf[4][64];
	static int next;
	char *b = buf[next++ % 4];
	snprintf(b, 64, "BS%s-%s", w->today8, suffix);
	return b;
}

#define EXCEPTIONS_SQL                                                                         \
	"SELECT x.exc_id, x.kind, COALESCE(x.batch_id, ''), COALESCE(x.advance_id, ''), x.amount," \
	" x.detail, COALESCE(r.resolution, 'open') FROM recon_exception x LEFT JOIN"               \
	" recon_resolution r ON r.exception_id = x.id ORDER BY x.id"

/* ---- import and matching ------------------------------------------------- */

Test(reconcile_import, a_credit_naming_a_batch_with_its_total_pays_it)
{
	struct world w;
	world(&w, 0, NULL);
	char *out = import_ok(&w, "full-payment-v08.xml");
	expect_in(out, "camt.053.001.08 STMT-FULL-PAYMENT-V08, 1 transactions: 1 stored, 0 stored "
	               "before, 0 not booked");
	expect_in(out, "matched 1, waiting 0, exceptions 0");
	free(out);
	expect_batch(w.db, B1, "paid|816000");
	expect_batch(w.db, B2, "accepted|0");
	expect_balance(w.db, "fund:390100", 0);
	expect_balance(w.db, "pool:bank", 816000);
	expect_balance(w.db, "suspense:bank", 0);
	char want[300];
	snprintf(want, sizeof want, "pool:bank|fund:390100|816000|payment|%s\n", ref(&w, "0001"));
	expect_rows(w.db, "SELECT debit, credit, amount, kind, ref FROM transfer "
	                  "WHERE kind NOT IN ('settle', 'advance') ORDER BY id", want);
	snprintf(want, sizeof want, "payment|accepted|paid|816000 fen by %s\n", ref(&w, "0001"));
	expect_rows(w.db, "SELECT action, status_from, status_to, detail FROM batch_event "
	                  "WHERE batch_id = '" B1 "' AND action = 'payment'", want);
	verify_ok(w.db);
	/* the csv of `batch list` (docs/spec/money-flow.md) says so too */
	out = zt_ok(w.db, "batch list --format csv");
	expect_in(out, B1 ",390100,paid,1,8160.00,8160.00\n");
	expect_in(out, B2 ",610100,accepted,1,1148.00,0.00\n");
	free(out);
}

Test(reconcile_import, reads_both_statement_versions_alike)
{
	struct world w;
	world(&w, 0, NULL);
	char *out = import_ok(&w, "full-payment-v02.xml");
	expect_in(out, "camt.053.001.02 STMT-FULL-PAYMENT-V02, 1 transactions: 1 stored");
	free(out);
	expect_batch(w.db, B1, "paid|816000");
	expect_balance(w.db, "fund:390100", 0);
	expect_balance(w.db, "pool:bank", 816000);
	/* The same entry (same bank reference) in the other version is known. */
	out = import_ok(&w, "full-payment-v08.xml");
	expect_in(out, "1 transactions: 0 stored, 1 stored before");
	free(out);
	expect_rows(w.db, "SELECT count(*), SUM(amount) FROM bank_entry", "1|816000\n");
	expect_batch(w.db, B1, "paid|816000");
	expect_balance(w.db, "pool:bank", 816000);
	verify_ok(w.db);
}

Test(reconcile_import, stores_each_entry_once_however_often_the_file_is_imported)
{
	struct world w;
	world(&w, 0, NULL);
	free(import_ok(&w, "full-payment-v08.xml"));
	char *before = rows(w.db, "SELECT id, debit, credit, amount, ref FROM transfer ORDER BY id");
	for (int i = 0; i < 2; i++) {
		char *out = import_ok(&w, "full-payment-v08.xml");
		expect_in(out, "1 transactions: 0 stored, 1 stored before, 0 not booked");
		expect_in(out, "matched 0, waiting 0, exceptions 0");
		free(out);
	}
	char *after = rows(w.db, "SELECT id, debit, credit, amount, ref FROM transfer ORDER BY id");
	cr_expect_str_eq(after, before, "a re-import moved money");
	free(before);
	free(after);
	expect_rows(w.db, "SELECT count(*) FROM bank_entry", "1\n");
	expect_rows(w.db, "SELECT stored, known FROM bank_import ORDER BY id", "1|0\n0|1\n0|1\n");
	expect_batch(w.db, B1, "paid|816000");
	verify_ok(w.db);
}

Test(reconcile_import, the_same_entry_listed_twice_is_stored_once)
{
	struct world w;
	world(&w, 0, NULL);
	char *out = import_ok(&w, "duplicate-entry.xml");
	expect_in(out, "2 transactions: 1 stored, 1 stored before");
	expect_in(out, "matched 1, waiting 0, exceptions 0");
	free(out);
	expect_rows(w.db, "SELECT count(*) FROM bank_entry", "1\n");
	expect_batch(w.db, B1, "paid|816000");
	expect_balance(w.db, "pool:bank", 816000);
	verify_ok(w.db);
}

Test(reconcile_import, a_second_payment_of_a_paid_batch_is_a_duplicate)
{
	struct world w;
	world(&w, 0, NULL);
	free(import_ok(&w, "full-payment-v08.xml"));
	char *out = import_exceptions(&w, "second-payment.xml");
	expect_in(out, "matched 0, waiting 0, exceptions 1");
	expect_in(out, "EXC-000001  duplicate " B1);
	free(out);
	expect_rows(w.db, EXCEPTIONS_SQL,
	            "EXC-000001|duplicate|" B1 "||816000|batch " B1 " is paid already (8160.00)|open\n");
	expect_batch(w.db, B1, "paid|816000");
	/* the money is in the bank, and unexplained */
	expect_balance(w.db, "pool:bank", 1632000);
	expect_balance(w.db, "suspense:bank", -816000);
	expect_balance(w.db, "fund:390100", 0);
	verify_ok(w.db);
	/* sent back to the payer */
	resolve_ok(&w, "EXC-000001", "refund");
	expect_balance(w.db, "suspense:bank", 0);
	expect_balance(w.db, "refund:bank", -816000);
	expect_batch(w.db, B1, "paid|816000");
	verify_ok(w.db);
}

Test(reconcile_import, a_short_payment_is_paid_in_part_and_found_short_when_overdue)
{
	struct world w;
	world(&w, 0, NULL);
	char *out = import_ok(&w, "short-payment.xml");
	expect_in(out, "matched 1, waiting 0, exceptions 0");
	free(out);
	expect_batch(w.db, B1, "part-paid|800000");
	expect_balance(w.db, "fund:390100", 16000);
	expect_balance(w.db, "pool:bank", 800000);
	verify_ok(w.db);
	/* on the 30th day after it was sent the batch is not late yet */
	struct run r = zt_on(w.db, as_of_plus(&w, 30), "--config '%s' reconcile match --as-of %s", w.cfg, as_of_plus(&w, 30));
	cr_assert_eq(r.code, 0, "%s%s", r.out, r.err);
	expect_in(r.out, "exceptions 0");
	run_free(&r);
	r = zt_on(w.db, as_of_plus(&w, 31), "--config '%s' reconcile match --as-of %s", w.cfg, as_of_plus(&w, 31));
	cr_assert_eq(r.code, 1, "%s%s", r.out, r.err);
	run_free(&r);
	char want[600];
	snprintf(want, sizeof want,
	         "EXC-000001|amount|" B1 "||16000|short by 160.00: batch " B1 " went to the payer on "
	         "%s; 8000.00 of 8160.00 was paid within 30 days|open\n"
	         "EXC-000002|missing|" B2 "||114800|batch " B2 " went to the payer on %s; nothing was "
	         "paid within 30 days (1148.00 owed)|open\n"
	         "EXC-000003|missing|" B3 "||14200|batch " B3 " went to the payer on %s; nothing was "
	         "paid within 30 days (142.00 owed)|open\n",
	         w.today, w.today, w.today);
	expect_rows(w.db, EXCEPTIONS_SQL, want);
	/* raised once: matching again the next day finds nothing new */
	r = zt_on(w.db, as_of_plus(&w, 32), "--config '%s' reconcile match --as-of %s", w.cfg, as_of_plus(&w, 32));
	cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
	run_free(&r);
	expect_rows(w.db, "SELECT count(*) FROM recon_exception", "3\n");
	/* the pool gives up the 160.00 */
	resolve_ok(&w, "EXC-000001", "write-off");
	expect_batch(w.db, B1, "paid|816000");
	expect_balance(w.db, "fund:390100", 0);
	expect_balance(w.db, "write-off:pool", 16000);
	expect_rows(w.db, "SELECT amount, written_off FROM recon_alloc WHERE batch_id = '" B1 "' "
	                  "ORDER BY match_id", "800000|0\n0|16000\n");
	verify_ok(w.db);
}

Test(reconcile_import, an_over_payment_is_an_exception_held_in_suspense)
{
	struct world w;
	world(&w, 0, NULL);
	char *out = import_exceptions(&w, "over-payment.xml");
	expect_in(out, "EXC-000001  amount    " B1 "              8200.00  over by 40.00: batch " B1
	               " owes 8160.00, the credit is 8200.00");
	free(out);
	expect_batch(w.db, B1, "accepted|0");
	expect_balance(w.db, "fund:390100", 816000);
	expect_balance(w.db, "pool:bank", 820000);
	expect_balance(w.db, "suspense:bank", -820000);
	verify_ok(w.db);
	/* accepted: the batch is paid what it owes, the 40.00 is to go back */
	resolve_ok(&w, "EXC-000001", "accept");
	expect_batch(w.db, B1, "paid|816000");
	expect_balance(w.db, "fund:390100", 0);
	expect_balance(w.db, "suspense:bank", 0);
	expect_balance(w.db, "refund:bank", -4000);
	expect_balance(w.db, "pool:bank", 820000);
	expect_rows(w.db, EXCEPTIONS_SQL,
	            "EXC-000001|amount|" B1 "||820000|over by 40.00: batch " B1 " owes 8160.00, the "
	            "credit is 8200.00|accept\n");
	verify_ok(w.db);
}

Test(reconcile_import, instalments_accumulate_until_the_batch_is_paid)
{
	struct world w;
	world(&w, 0, NULL);
	free(import_ok(&w, "instalment-1.xml"));
	expect_batch(w.db, B1, "part-paid|500000");
	expect_balance(w.db, "fund:390100", 316000);
	verify_ok(w.db);
	free(import_ok(&w, "instalment-2.xml"));
	expect_batch(w.db, B1, "paid|816000");
	expect_balance(w.db, "fund:390100", 0);
	expect_balance(w.db, "pool:bank", 816000);
	char want[300];
	snprintf(want, sizeof want, "accepted|part-paid|500000 fen by %s\npart-paid|paid|316000 fen by %s\n",
	         ref(&w, "0601"), ref(&w, "0602"));
	expect_rows(w.db, "SELECT status_from, status_to, detail FROM batch_event WHERE batch_id = '" B1
	                  "' AND action = 'payment' ORDER BY id", want);
	verify_ok(w.db);
	/* and it is never overdue */
	struct run r = zt_on(w.db, as_of_plus(&w, 90), "--config '%s' reconcile match --as-of %s", w.cfg, as_of_plus(&w, 90));
	run_free(&r);
	expect_rows(w.db, "SELECT count(*) FROM recon_exception WHERE batch_id = '" B1 "'", "0\n");
}

Test(reconcile_import, one_payment_for_two_batches_pays_both)
{
	struct world w;
	world(&w, 0, NULL);
	char *out = import_ok(&w, "two-batches.xml");
	expect_in(out, "matched 1, waiting 0, exceptions 0");
	free(out);
	expect_batch(w.db, B2, "paid|114800");
	expect_batch(w.db, B3, "paid|14200");
	expect_batch(w.db, B1, "accepted|0");
	expect_balance(w.db, "fund:610100", 0);
	expect_balance(w.db, "fund:610103", 0);
	expect_balance(w.db, "pool:bank", 129000);
	char want[300];
	snprintf(want, sizeof want,
	         "pool:bank|fund:610100|114800|%s\npool:bank|fund:610103|14200|%s\n",
	         ref(&w, "0701"), ref(&w, "0701"));
	expect_rows(w.db, "SELECT debit, credit, amount, ref FROM transfer WHERE kind = 'payment' "
	                  "ORDER BY id", want);
	verify_ok(w.db);
}

Test(reconcile_import, a_payment_naming_two_batches_but_not_their_sum_is_ambiguous)
{
	struct world w;
	world(&w, 0, NULL);
	free(import_exceptions(&w, "two-batches-wrong-sum.xml"));
	expect_rows(w.db, EXCEPTIONS_SQL,
	            "EXC-000001|ambiguous|||120000|names 2 batches owing 1290.00 together; the credit "
	            "is 1200.00|open\n");
	expect_batch(w.db, B2, "accepted|0");
	expect_batch(w.db, B3, "accepted|0");
	/* a decision must fit: 1200.00 is more than B610100-000001 owes */
	struct run r = resolve(&w, "EXC-000001", "match:" B2);
	cr_expect_eq(r.code, 2);
	expect_in(r.err, "zhitong: conflict: EXC-000001: the credit of 1200.00 is more than the 1148.00 "
	                 "owed by " B2);
	run_free(&r);
	r = resolve(&w, "EXC-000001", "match:" B2 "," B3);
	cr_expect_eq(r.code, 2);
	run_free(&r);
	expect_batch(w.db, B2, "accepted|0");
	expect_rows(w.db, "SELECT count(*) FROM recon_resolution", "0\n");
	resolve_ok(&w, "EXC-000001", "refund");
	expect_balance(w.db, "refund:bank", -120000);
	expect_balance(w.db, "suspense:bank", 0);
	verify_ok(w.db);
}

Test(reconcile_import, what_names_nothing_known_is_unknown)
{
	struct world w;
	world(&w, 0, NULL);
	char *out = import_exceptions(&w, "unknown-reference.xml");
	expect_in(out, "4 transactions: 4 stored");
	expect_in(out, "matched 0, waiting 0, exceptions 4");
	free(out);
	expect_rows(w.db, "SELECT kind, amount, detail FROM recon_exception ORDER BY id",
	            "unknown|816000|names batch B390100-0000011, which does not exist\n"
	            "unknown|50000|a credit naming no batch\n"
	            "unknown|816000|names batch B390100-000099, which does not exist\n"
	            "unknown|30000|a debit without EndToEndId: no advance is named\n");
	/* B390100-000001 is a prefix of the first token, not the token */
	expect_batch(w.db, B1, "accepted|0");
	/* the entry without a bank reference is stored under its digest */
	expect_rows(w.db, "SELECT count(*) FROM bank_entry WHERE ref LIKE 'sha256:%' AND length(ref) = 71",
	            "1\n");
	expect_balance(w.db, "pool:bank", 816000 + 50000 + 816000 - 30000);
	expect_balance(w.db, "suspense:bank", -(816000 + 50000 + 816000 - 30000));
	verify_ok(w.db);
	/* a person decides: the first one was meant for B390100-000001 */
	resolve_ok(&w, "EXC-000001", "match:" B1);
	expect_batch(w.db, B1, "paid|816000");
	expect_balance(w.db, "fund:390100", 0);
	resolve_ok(&w, "EXC-000002", "write-off");
	resolve_ok(&w, "EXC-000004", "write-off");
	expect_balance(w.db, "write-off:pool", -50000 + 30000);
	/* the third names a batch now paid: a match would over-pay it */
	struct run r = resolve(&w, "EXC-000003", "match:" B1);
	cr_expect_eq(r.code, 2);
	expect_in(r.err, "is paid");
	run_free(&r);
	expect_balance(w.db, "suspense:bank", -816000);
	verify_ok(w.db);
}

Test(reconcile_import, a_debit_with_an_advance_id_confirms_the_advance)
{
	struct world w;
	world(&w, WITH_ADVANCE, NULL);
	expect_balance(w.db, "pool:bank", -2000000);
	char *out = import_ok(&w, "advance-confirmed.xml");
	expect_in(out, "matched 1, waiting 0, exceptions 0");
	free(out);
	char want[200];
	snprintf(want, sizeof want, "%s|%s\n", ref(&w, "0801"), w.advance_id);
	expect_rows(w.db, "SELECT e.ref, m.advance_id FROM recon_match m JOIN bank_entry e "
	                  "ON e.id = m.entry_id", want);
	/* the advance transfer booked the money when it was issued: nothing moves */
	expect_balance(w.db, "pool:bank", -2000000);
	expect_balance(w.db, "hospital:H51010101", 2000000 - 945000);
	expect_rows(w.db, "SELECT count(*) FROM transfer WHERE kind NOT IN ('settle', 'advance')",
	            "0\n");
	verify_ok(w.db);
	/* never found missing, and the report says the bank confirmed it */
	out = zt_ok_on(w.db, as_of_plus(&w, 60), "--config '%s' reconcile report --format csv --as-of %s", w.cfg,
	                  as_of_plus(&w, 60));
	expect_in(out, "hospital,H51010101,xx区人民医院,,,,,,,,20000.00,20000.00,9450.00,10550.00,,,\n");
	cr_expect(strstr(out, w.advance_id) == NULL, "%s", out);
	free(out);
	/* the same debit again, under another reference, is a duplicate */
	char *again = zt_test_slurp(fixture(&w, "advance-confirmed.xml"));
	char *p = strstr(again, "-0801<");
	cr_assert(p != NULL);
	memcpy(p, "-0802<", 6);
	const char *path = zt_test_write("advance-again.xml", again);
	free(again);
	struct run r = zt(w.db, "--config '%s' reconcile import '%s'", w.cfg, path);
	cr_expect_eq(r.code, 1, "%s%s", r.out, r.err);
	run_free(&r);
	snprintf(want, sizeof want, "duplicate|%s|advance %s was confirmed by another bank entry already\n",
	         w.advance_id, w.advance_id);
	expect_rows(w.db, "SELECT kind, advance_id, detail FROM recon_exception "
	                  "WHERE advance_id IS NOT NULL", want);
	verify_ok(w.db);
}

Test(reconcile_import, an_advance_never_seen_is_missing_until_the_bank_confirms_it)
{
	struct world w;
	world(&w, WITH_ADVANCE, "expected-within-days = 5\n");
	struct run r = zt_on(w.db, as_of_plus(&w, 5), "--config '%s' reconcile match --as-of %s", w.cfg, as_of_plus(&w, 5));
	cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
	run_free(&r);
	r = zt_on(w.db, as_of_plus(&w, 6), "--config '%s' reconcile match --as-of %s --by frank", w.cfg, as_of_plus(&w, 6));
	cr_expect_eq(r.code, 1, "%s%s", r.out, r.err);
	char want[400];
	snprintf(want, sizeof want, "missing   %s", w.advance_id);
	expect_in(r.out, want);
	run_free(&r);
	snprintf(want, sizeof want,
	         "missing|%s|2000000|advance %s of 20000.00 to H51010101, to be executed on %s: no "
	         "bank debit within 5 days|open\n",
	         w.advance_id, w.advance_id, w.today);
	expect_rows(w.db, "SELECT x.kind, x.advance_id, x.amount, x.detail, COALESCE(r.resolution, "
	                  "'open') FROM recon_exception x LEFT JOIN recon_resolution r ON "
	                  "r.exception_id = x.id WHERE x.advance_id IS NOT NULL", want);
	/* the report shows it with its age: due on day 5, 3 days late on day 8 */
	char *out = zt_ok_on(w.db, as_of_plus(&w, 8), "--config '%s' reconcile report --format csv --as-of %s", w.cfg,
	                  as_of_plus(&w, 8));
	snprintf(want, sizeof want, "exception,EXC-000004,%s,missing,,,,,,3,,,,,20000.00,", w.advance_id);
	expect_in(out, want);
	free(out);
	/* late, but it came: the exception closes by itself */
	free(import_ok(&w, "advance-confirmed.xml"));
	snprintf(want, sizeof want, "settled|frank|confirmed by bank entry %s\n", ref(&w, "0801"));
	expect_rows(w.db, "SELECT r.resolution, r.actor, r.note FROM recon_resolution r "
	                  "JOIN recon_exception x ON x.id = r.exception_id WHERE x.kind = 'missing' "
	                  "AND x.advance_id IS NOT NULL", want);
	verify_ok(w.db);
}

Test(reconcile_import, money_booked_before_its_batch_was_exported_is_a_date_exception)
{
	struct world w;
	world(&w, 0, NULL);
	free(import_exceptions(&w, "early-payment.xml"));
	char *x = rows(w.db, "SELECT kind, batch_id, detail FROM recon_exception");
	char want[300];
	snprintf(want, sizeof want, "date|" B1 "|booked 2024-01-02, %lld days before batch " B1
	                            " was exported on %s\n",
	         (long long)zt_date_days_between(20240102, zt_date_today()), w.today);
	cr_expect_str_eq(x, want);
	free(x);
	expect_batch(w.db, B1, "accepted|0");
	resolve_ok(&w, "EXC-000001", "accept");
	expect_batch(w.db, B1, "paid|816000");
	expect_balance(w.db, "fund:390100", 0);
	expect_balance(w.db, "suspense:bank", 0);
	verify_ok(w.db);
}

/* A statement of the fixtures with its entries booked `days` after today
 * (the import day): the booking and value dates move, nothing else. */
static const char *fixture_booked(const struct world *w, const char *name, int days)
{
	char *text = zt_test_slurp(fixture(w, name));
	cr_assert(text != NULL);
	char from[64], to[64];
	for (int k = 0; k < 2; k++) {
		const char *tag = k ? "<ValDt><Dt>" : "<BookgDt><Dt>";
		snprintf(from, sizeof from, "%s%s", tag, w->today);
		snprintf(to, sizeof to, "%s%s", tag, as_of_plus(w, days));
		for (char *p = strstr(text, from); p; p = strstr(p, from))
			memcpy(p, to, strlen(to)); /* same length */
	}
	char out_name[120];
	snprintf(out_name, sizeof out_name, "plus%d-%s", days, name);
	const char *path = zt_test_write(out_name, text);
	free(text);
	return path;
}

Test(reconcile_import, an_entry_booked_after_the_import_day_plus_future_days_is_a_date_exception)
{
	struct world w;
	world(&w, 0, NULL);
	/* [reconcile] future-days is 3 unless set: four days ahead is no day a
	 * bank has booked yet. Nothing is paid; the money waits in suspense. */
	struct run r = zt(w.db, "--config '%s' reconcile import '%s' --by frank", w.cfg,
	                  fixture_booked(&w, "full-payment-v08.xml", 4));
	cr_assert_eq(r.code, 1, "%s%s", r.out, r.err);
	expect_in(r.out, "exceptions 1");
	run_free(&r);
	char want[400];
	snprintf(want, sizeof want,
	         "EXC-000001|date|" B1 "||816000|booked %s, after the import day %s plus 3 days "
	         "([reconcile] future-days): a day that has not come|open\n",
	         as_of_plus(&w, 4), w.today);
	expect_rows(w.db, EXCEPTIONS_SQL, want);
	expect_batch(w.db, B1, "accepted|0");
	expect_balance(w.db, "suspense:bank", -816000);
	verify_ok(w.db);
	/* a person who has checked it with the bank accepts it: it pays the batch it names */
	resolve_ok(&w, "EXC-000001", "accept");
	expect_batch(w.db, B1, "paid|816000");
	expect_balance(w.db, "suspense:bank", 0);
	verify_ok(w.db);
}

Test(reconcile_import, within_future_days_an_entry_is_matched_as_any_other)
{
	struct world w;
	world(&w, 0, NULL);
	char *out = zt_ok(w.db, "--config '%s' reconcile import '%s' --by frank", w.cfg,
	                  fixture_booked(&w, "full-payment-v08.xml", 3));
	expect_in(out, "matched 1, waiting 0, exceptions 0");
	free(out);
	expect_batch(w.db, B1, "paid|816000");
	verify_ok(w.db);
}

Test(reconcile_import, future_days_is_configured_and_covers_debits_too)
{
	struct world w;
	world(&w, WITH_ADVANCE, "future-days = 0\n");
	/* the advance's debit a day ahead: with future-days = 0, not yet */
	struct run r = zt(w.db, "--config '%s' reconcile import '%s' --by frank", w.cfg,
	                  fixture_booked(&w, "advance-confirmed.xml", 1));
	cr_assert_eq(r.code, 1, "%s%s", r.out, r.err);
	run_free(&r);
	char want[400];
	snprintf(want, sizeof want,
	         "date|%s|booked %s, after the import day %s plus 0 days ([reconcile] future-days): "
	         "a day that has not come\n",
	         w.advance_id, as_of_plus(&w, 1), w.today);
	expect_rows(w.db, "SELECT kind, advance_id, detail FROM recon_exception", want);
	expect_rows(w.db, "SELECT count(*) FROM recon_match", "0\n");
	/* a credit booked today is still matched at once */
	free(import_ok(&w, "full-payment-v08.xml"));
	expect_batch(w.db, B1, "paid|816000");
	resolve_ok(&w, "EXC-000001", "accept");
	snprintf(want, sizeof want, "%s\n", w.advance_id);
	expect_rows(w.db, "SELECT advance_id FROM recon_match WHERE advance_id IS NOT NULL", want);
	verify_ok(w.db);
	/* out of range: refused with the file and line */
	write_config(&w, "future-days = -1\n");
	r = zt(w.db, "--config '%s' reconcile match", w.cfg);
	cr_expect_eq(r.code, 2, "%s%s", r.out, r.err);
	expect_in(r.err, "[reconcile] future-days must be a whole number from 0 to 366");
	run_free(&r);
}

Test(reconcile_import, a_payment_before_its_batch_is_sent_waits_for_it)
{
	struct world w;
	world(&w, B3_NOT_SENT, NULL);
	char *out = import_ok(&w, "waiting.xml");
	expect_in(out, "matched 0, waiting 1, exceptions 0");
	free(out);
	expect_batch(w.db, B3, "exported|0");
	expect_balance(w.db, "suspense:bank", -14200);
	/* the report lists it, escaped */
	out = zt_ok(w.db, "--config '%s' reconcile report --format html", w.cfg);
	expect_in(out, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; " B3);
	cr_expect(strstr(out, "<script") == NULL, "unescaped markup in:\n%s", out);
	free(out);
	verify_ok(w.db);
	/* it is sent and answered; the next match pays the batch from suspense */
	payer_accepts(&w, B3);
	struct run r = zt(w.db, "--config '%s' reconcile match", w.cfg);
	cr_assert_eq(r.code, 0, "%s%s", r.out, r.err);
	expect_in(r.out, "matched 1 waiting entries; exceptions 0");
	run_free(&r);
	expect_batch(w.db, B3, "paid|14200");
	expect_balance(w.db, "suspense:bank", 0);
	expect_balance(w.db, "fund:610103", 0);
	expect_rows(w.db, "SELECT debit, credit, amount, kind FROM transfer "
	                  "WHERE kind NOT IN ('settle', 'advance') ORDER BY id",
	            "pool:bank|suspense:bank|14200|suspense\nsuspense:bank|fund:610103|14200|payment\n");
	verify_ok(w.db);
}

Test(reconcile_import, a_sent_batch_can_be_paid_before_the_payers_answer)
{
	struct world w;
	world(&w, B3_SENT, NULL);
	expect_batch(w.db, B3, "sent|0");
	char *out = import_ok(&w, "waiting.xml");
	expect_in(out, "matched 1, waiting 0, exceptions 0");
	free(out);
	expect_batch(w.db, B3, "paid|14200");
	expect_balance(w.db, "fund:610103", 0);
	expect_balance(w.db, "pool:bank", 14200);
	expect_balance(w.db, "suspense:bank", 0);
	verify_ok(w.db);
}

Test(reconcile_import, pending_entries_wait_for_their_booking_and_reversals_are_exceptions)
{
	struct world w;
	world(&w, 0, NULL);
	char *out = import_exceptions(&w, "pending-and-reversal.xml");
	expect_in(out, "2 transactions: 1 stored, 0 stored before, 1 not booked");
	free(out);
	expect_rows(w.db, "SELECT kind, amount, detail FROM recon_exception",
	            "reversal|30000|the bank reverses an earlier debit\n");
	expect_batch(w.db, B1, "accepted|0");
	/* money is held: ignoring it is refused */
	struct run r = resolve(&w, "EXC-000001", "ignore");
	cr_expect_eq(r.code, 2);
	expect_in(r.err, "the credit of 300.00 is in suspense");
	run_free(&r);
	r = resolve(&w, "EXC-000001", "accept");
	cr_expect_eq(r.code, 2);
	run_free(&r);
	resolve_ok(&w, "EXC-000001", "write-off");
	expect_balance(w.db, "write-off:pool", -30000);
	verify_ok(w.db);
}

Test(reconcile_import, the_amount_tolerance_pays_a_batch_the_banks_charges_made_short)
{
	struct world w;
	world(&w, 0, "amount-tolerance = 200.00\n");
	free(import_ok(&w, "short-payment.xml"));
	expect_batch(w.db, B1, "paid|816000");
	expect_balance(w.db, "fund:390100", 0);
	expect_balance(w.db, "pool:bank", 800000);
	expect_balance(w.db, "write-off:pool", 16000);
	char *out = zt_ok(w.db, "--config '%s' reconcile report --format csv", w.cfg);
	expect_in(out, "fund,390100,城乡居民基本医疗保险基金,,8160.00,8000.00,160.00,0.00,0,,,,,,,,0.00\n");
	free(out);
	verify_ok(w.db);
}

/* ---- refused files ----------------------------------------------------------- */

static char *stored_state(const char *db)
{
	return rows(db, "SELECT (SELECT count(*) FROM bank_import) || ' imports, ' ||"
	                " (SELECT count(*) FROM bank_entry) || ' entries, ' ||"
	                " (SELECT count(*) FROM recon_exception) || ' exceptions, ' ||"
	                " (SELECT count(*) FROM transfer) || ' transfers, ' ||"
	                " (SELECT group_concat(status || ':' || paid) FROM batch)");
}

static void expect_refused(const struct world *w, const char *path, const char *code)
{
	char *before = stored_state(w->db);
	struct run r = zt(w->db, "--config '%s' reconcile import '%s'", w->cfg, path);
	cr_expect_eq(r.code, 2, "%s: exit %d\n%s%s", path, r.code, r.out, r.err);
	char want[80];
	snprintf(want, sizeof want, "zhitong: %s: ", code);
	cr_expect(strncmp(r.err, want, strlen(want)) == 0, "%s: stderr %s", path, r.err);
	cr_expect_str_eq(r.out, "", "%s", path);
	run_free(&r);
	char *after = stored_state(w->db);
	cr_expect_str_eq(after, before, "%s left something behind", path);
	free(before);
	free(after);
}

Test(reconcile_refuse, a_malformed_or_hostile_file_stores_nothing)
{
	struct world w;
	world(&w, 0, NULL);
	expect_refused(&w, fixture(&w, "truncated.xml"), "malformed-xml");
	expect_refused(&w, fixture(&w, "hostile-entity.xml"), "malformed-xml");
	expect_refused(&w, fixture(&w, "bad-second-entry.xml"), "invalid");
	expect_refused(&w, ZT_TEST_CASES "/camt053/billion_laughs.xml", "malformed-xml");
	expect_refused(&w, ZT_TEST_CASES "/camt053/doctype_xxe.xml", "malformed-xml");
	expect_refused(&w, ZT_TEST_CASES "/camt053/not_well_formed.xml", "malformed-xml");
	expect_refused(&w, ZT_TEST_CASES "/camt053/camt052_report.xml", "invalid");
	expect_refused(&w, ZT_TEST_CASES "/camt053/missing_amt.xml", "invalid");
	char *s = stored_state(w.db);
	cr_expect(strncmp(s, "0 imports, 0 entries, 0 exceptions", 34) == 0, "%s", s);
	free(s);
	verify_ok(w.db);
}

Test(reconcile_refuse, a_statement_of_another_account_stores_nothing)
{
	struct world w;
	world(&w, 0, NULL);
	expect_refused(&w, fixture(&w, "wrong-account.xml"), "invalid");
	struct run r = import(&w, "wrong-account.xml");
	expect_in(r.err, "is of account '6222020200999999999', not the pool's account "
	                 "'6222020200112233445' ([pool] account)");
	run_free(&r);
}

Test(reconcile_refuse, a_bank_reference_back_with_another_amount_stores_nothing)
{
	struct world w;
	world(&w, 0, NULL);
	free(import_ok(&w, "full-payment-v08.xml"));
	expect_refused(&w, fixture(&w, "conflict.xml"), "conflict");
	struct run r = import(&w, "conflict.xml");
	char want[300];
	snprintf(want, sizeof want, "bank reference '%s' was imported before as a credit of 8160.00 "
	                            "CNY; this statement has a credit of 8100.00 CNY",
	         ref(&w, "0001"));
	expect_in(r.err, want);
	run_free(&r);
	verify_ok(w.db);
}

/* ---- resolving ------------------------------------------------------------------ */

Test(reconcile_resolve, records_who_decided_what_and_only_once)
{
	struct world w;
	world(&w, 0, NULL);
	free(import_exceptions(&w, "over-payment.xml"));
	struct run r = zt(w.db, "--config '%s' reconcile resolve EXC-000001 --as refund --by grace", w.cfg);
	cr_expect_eq(r.code, 2, "a decision without a note");
	run_free(&r);
	r = zt(w.db, "--config '%s' reconcile resolve EXC-000001 --as refund --note why", w.cfg);
	cr_expect_eq(r.code, 2, "a decision without a name");
	run_free(&r);
	r = resolve(&w, "EXC-000001", "settled");
	cr_expect_eq(r.code, 2, "settled is the engine's");
	run_free(&r);
	r = resolve(&w, "EXC-000099", "refund");
	cr_expect_eq(r.code, 2);
	expect_in(r.err, "zhitong: not-found: there is no exception 'EXC-000099'");
	run_free(&r);
	resolve_ok(&w, "EXC-000001", "refund");
	r = resolve(&w, "EXC-000001", "write-off");
	cr_expect_eq(r.code, 2);
	expect_in(r.err, "EXC-000001 was resolved already: refund by grace at ");
	run_free(&r);
	expect_rows(w.db, "SELECT resolution, actor, note FROM recon_resolution",
	            "refund|grace|checked with the payer\n");
	expect_balance(w.db, "refund:bank", -820000);
	expect_batch(w.db, B1, "accepted|0");
	char *out = zt_ok(w.db, "reconcile exceptions");
	cr_expect_str_eq(out, "", "no open exception is left");
	free(out);
	out = zt_ok(w.db, "reconcile exceptions --all --format csv");
	expect_in(out, "exception,kind,entry,batch,advance,amount,since,detail,raised_at,raised_by,"
	               "resolution,target,note,resolved_at,resolved_by\n");
	expect_in(out, ",frank,refund,,checked with the payer,");
	free(out);
	verify_ok(w.db);
}

Test(reconcile_resolve, a_missing_batch_is_ignored_or_written_off_never_matched)
{
	struct world w;
	world(&w, 0, NULL);
	struct run r = zt_on(w.db, as_of_plus(&w, 40), "--config '%s' reconcile match --as-of %s", w.cfg, as_of_plus(&w, 40));
	cr_expect_eq(r.code, 1);
	run_free(&r);
	r = resolve(&w, "EXC-000001", "refund");
	cr_expect_eq(r.code, 2);
	expect_in(r.err, "holds no bank money: resolve it as ignore or write-off");
	run_free(&r);
	resolve_ok(&w, "EXC-000001", "ignore");
	expect_batch(w.db, B1, "accepted|0");
	resolve_ok(&w, "EXC-000002", "write-off");
	expect_batch(w.db, B2, "paid|114800");
	expect_balance(w.db, "fund:610100", 0);
	expect_balance(w.db, "write-off:pool", 114800);
	expect_rows(w.db, "SELECT debit, credit, amount, kind, ref FROM transfer WHERE kind = 'write-off'",
	            "write-off:pool|fund:610100|114800|write-off|EXC-000002\n");
	/* the payment comes after all: B610100-000001 is paid, a duplicate */
	free(import_exceptions(&w, "two-batches.xml"));
	expect_rows(w.db, "SELECT kind, detail FROM recon_exception WHERE id = 4",
	            "ambiguous|names 2 batches, and " B2 " is paid already\n");
	verify_ok(w.db);
}

/* ---- report -------------------------------------------------------------------- */

Test(reconcile_report, per_fund_per_hospital_and_open_exceptions_as_csv)
{
	struct world w;
	world(&w, WITH_ADVANCE, NULL);
	free(import_ok(&w, "short-payment.xml"));
	free(import_ok(&w, "advance-confirmed.xml"));
	free(import_exceptions(&w, "unknown-reference.xml"));
	char *out = zt_ok_on(w.db, as_of_plus(&w, 10), "--config '%s' reconcile report --format csv --as-of %s", w.cfg,
	                  as_of_plus(&w, 10));
	char want[4000];
	snprintf(want, sizeof want,
	         "section,id,name,kind,billed,paid,written_off,outstanding,open_batches,age_days,"
	         "advanced,confirmed,earned,balance,amount,detail,returned\n"
	         "fund,390100,城乡居民基本医疗保险基金,,8160.00,8000.00,0.00,160.00,1,10,,,,,,,0.00\n"
	         "fund,390200,城乡居民大病医疗保险基金,,0.00,0.00,0.00,0.00,0,,,,,,,,0.00\n"
	         "fund,610100,医疗救助基金,,1148.00,0.00,0.00,1148.00,1,10,,,,,,,0.00\n"
	         "fund,610103,卫生扶贫救助基金,,142.00,0.00,0.00,142.00,1,10,,,,,,,0.00\n"
	         "hospital,H51010101,xx区人民医院,,,,,,,,20000.00,20000.00,9450.00,10550.00,,,\n");
	cr_expect(strncmp(out, want, strlen(want)) == 0, "got:\n%s\nwant to start with:\n%s", out,
	          want);
	expect_in(out, "exception,EXC-000001,BS");
	expect_in(out, ",unknown,,,,,,10,,,,,8160.00,\"names batch B390100-0000011, which does not "
	               "exist\",\n");
	expect_in(out, "exception,EXC-000004,BS");
	snprintf(want, sizeof want, "day,%s,,,9450.00,8000.00,", w.today);
	expect_in(out, want);
	free(out);
	/* text: the same figures for a terminal */
	out = zt_ok_on(w.db, as_of_plus(&w, 10), "--config '%s' reconcile report --as-of %s", w.cfg,
	                  as_of_plus(&w, 10));
	expect_in(out, "390100    城乡居民基本医疗保险基金  8160.00  8000.00    0.00    0.00   160.00"
	               "         1              10\n");
	expect_in(out, "\n未处理的异常：4\n");
	expect_in(out, "EXC-000001  无法识别  BS");
	/* every line of the fund table is as wide as its header, in display
	 * columns (a CJK character takes two): the columns line up */
	const char *head = strstr(out, "基金编码");
	cr_assert(head);
	const char *stop = strstr(head, "\n\n");
	cr_assert(stop);
	int lines = 0, width = -1;
	for (const char *l = head; l < stop; lines++) {
		const char *nl = strchr(l, '\n');
		char line[400];
		snprintf(line, sizeof line, "%.*s", (int)(nl - l), l);
		int c = zt_test_text_cols(line);
		if (width < 0)
			width = c;
		cr_expect_eq(c, width, "'%s' is %d columns wide, the header %d", line, c, width);
		l = nl + 1;
	}
	cr_expect_eq(lines, 5, "the header and four funds");
	free(out);
}

Test(reconcile_report, html_is_one_self_contained_page_with_a_chart)
{
	struct world w;
	world(&w, 0, NULL);
	free(import_ok(&w, "instalment-1.xml"));
	const char *path = tmp_path("report.html");
	free(zt_ok(w.db, "--config '%s' reconcile report --format html --out '%s'", w.cfg, path));
	char *html = zt_test_slurp(path);
	cr_assert(html != NULL);
	cr_expect(strncmp(html, "<!DOCTYPE html>", 15) == 0);
	expect_in(html, "<svg xmlns=\"http://www.w3.org/2000/svg\"");
	expect_in(html, "<polyline");
	expect_in(html, "已开票 9450.00");
	expect_in(html, "已到账 5000.00");
	expect_in(html, "<td>城乡居民基本医疗保险基金</td>");
	/* nothing from elsewhere: no scripts, no links, no external images */
	cr_expect(strstr(html, "<script") == NULL);
	cr_expect(strstr(html, "src=") == NULL);
	cr_expect(strstr(html, "href=") == NULL);
	cr_expect(strstr(html, "https:") == NULL);
	cr_expect(strstr(html, "</html>\n") != NULL);
	/* in Chinese, for finance (issue 10): hospital and fund names, no English heading */
	expect_in(html, "<h1>资金对账报告（截至 ");
	expect_in(html, "<td>H51010101</td><td>xx区人民医院</td>");
	expect_in(html, "<td>610103</td><td>卫生扶贫救助基金</td>");
	const char *english[] = {">Funds<", ">Hospitals<", "billed", "Reconciliation", "Open exceptions"};
	for (size_t i = 0; i < sizeof english / sizeof *english; i++)
		cr_expect_null(strstr(html, english[i]), "'%s' in:\n%s", english[i], html);
	/* a value axis: 9450.00 billed gives ticks of 2000 up to 10000 */
	expect_in(html, "金额（元）");
	const char *ticks[] = {">0</text>", ">2000</text>", ">4000</text>", ">6000</text>",
	                       ">8000</text>", ">10000</text>"};
	for (size_t i = 0; i < sizeof ticks / sizeof *ticks; i++)
		expect_in(html, ticks[i]);
	cr_expect_null(strstr(html, ">12000</text>"));
	free(html);
}

/* The chart's value axis over sums of every size: 1, 2 or 5 × 10^k a step,
 * at most five intervals, the top tick at or above the largest sum. */
Test(reconcile_report, the_value_axis_has_round_ticks_at_every_scale)
{
	struct {
		zt_fen billed;
		const char *top, *not;
	} cases[] = {
		{1, ">0.01</text>", ">0.02</text>"},
		{99, ">1.00</text>", ">1.20</text>"},
		{945000, ">10000</text>", ">12000</text>"},
		{1590988919, ">2000万</text>", ">2500万</text>"},
		{50000000, ">50万</text>", ">60万</text>"},
		{(zt_fen)900000000000000, ">1000000000万</text>", NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct zt_recon_day day = {.day = 20170310, .billed = cases[i].billed,
		                           .paid = cases[i].billed / 2};
		struct zt_recon_report r = {.as_of = 20170331, .day_count = 1, .days = &day};
		char *html = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&html, &len);
		cr_assert(f);
		zt_recon_render_report_html(f, &r);
		fclose(f);
		expect_in(html, cases[i].top);
		if (cases[i].not)
			cr_expect_null(strstr(html, cases[i].not), "%s in:\n%s", cases[i].not, html);
		int ticks = 0;
		for (const char *p = html; (p = strstr(p, "class=\"tick\"")); p++)
			ticks++;
		cr_expect(ticks >= 2 && ticks <= 6, "%d ticks for %lld", ticks, (long long)cases[i].billed);
		free(html);
	}
}

/* ---- verify ---------------------------------------------------------------------- */

Test(reconcile_verify, finds_a_batch_paid_more_than_was_matched)
{
	struct world w;
	world(&w, 0, NULL);
	free(import_ok(&w, "instalment-1.xml"));
	verify_ok(w.db);
	sql_exec(w.db, "UPDATE batch SET paid = paid + 1 WHERE id = '" B1 "'");
	struct run r = zt(w.db, "verify");
	cr_expect_neq(r.code, 0);
	expect_in(r.out, "batch " B1 ": paid 500001 fen, matched 500000 fen");
	run_free(&r);
}

Test(reconcile_verify, finds_a_payment_without_its_bank_entry)
{
	struct world w;
	world(&w, 0, NULL);
	free(import_ok(&w, "full-payment-v08.xml"));
	/* a payment booked by hand, as if from the bank (balances kept right) */
	sql_exec(w.db, "INSERT INTO transfer (debit, credit, amount, kind, ref, at) VALUES "
	               "('pool:bank', 'fund:610100', 100, 'payment', 'BS-NOWHERE', '2026-01-01T00:00:00Z');"
	               "UPDATE account SET balance = balance + 100 WHERE name = 'pool:bank';"
	               "UPDATE account SET balance = balance - 100 WHERE name = 'fund:610100';");
	struct run r = zt(w.db, "verify");
	cr_expect_neq(r.code, 0);
	expect_in(r.out, "(payment, pool:bank -> fund:610100, 100 fen) refers to BS-NOWHERE, which is "
	                 "no bank entry");
	run_free(&r);
}

Test(reconcile_verify, finds_an_entry_matched_twice_and_suspense_that_does_not_add_up)
{
	struct world w;
	world(&w, WITH_ADVANCE, NULL);
	free(import_ok(&w, "advance-confirmed.xml"));
	free(import_exceptions(&w, "unknown-reference.xml"));
	/* the unknown debit also "confirms" the advance: the schema refuses it */
	char sql[400];
	snprintf(sql, sizeof sql,
	         "INSERT INTO recon_match (entry_id, advance_id, at, actor) SELECT id, '%s', 'x', 'x' "
	         "FROM bank_entry WHERE credit = 0 AND amount = 30000",
	         w.advance_id);
	sqlite3 *h = NULL;
	cr_assert_eq(sqlite3_open(w.db, &h), SQLITE_OK);
	cr_expect_eq(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_CONSTRAINT);
	sqlite3_close(h);
	/* a transfer out of suspense with no decision behind it */
	sql_exec(w.db, "INSERT INTO transfer (debit, credit, amount, kind, ref, at) SELECT "
	               "'suspense:bank', 'write-off:pool', amount, 'write-off', ref, 'x' FROM bank_entry "
	               "WHERE amount = 50000;"
	               "UPDATE account SET balance = balance + 50000 WHERE name = 'suspense:bank';"
	               "INSERT INTO account (name, balance) VALUES ('write-off:pool', -50000);");
	struct run r = zt(w.db, "verify");
	cr_expect_neq(r.code, 0);
	expect_in(r.out, "suspense:bank holds 0 fen of it, expected -50000");
	expect_in(r.out, "suspense:bank is -1602000 fen; the entries neither matched nor resolved "
	                 "make -1652000");
	run_free(&r);
}

/* ---- the pure rules ---------------------------------------------------------------- */

/* ---- money owed back to a fund (issue 7, point 2) ------------------------------------ */

#define NEG "B390100-000002" /* the reversal of the worked example: -8160.00 */
#define POS "B390100-000003" /* two new claims of fund 390100: 15040.00 */

/* The funds' bank accounts, for repayments. */
static void fund_accounts(const struct world *w)
{
	FILE *f = fopen(w->cfg, "a");
	cr_assert(f);
	fputs("\n[fund 390100]\naccount = 6222020200199887766\n"
	      "[fund 610103]\naccount = 6222020200199881234\n", f);
	fclose(f);
}

/* The worked example's claim for another person, under another number. */
static void settle_like(const struct world *w, const char *claim_no, const char *psn)
{
	char *text = zt_test_slurp(WORKED_EXAMPLE), name[64];
	cr_assert(text);
	char *p = strstr(text, "<claim_no>ZY2017-000123"), *q = strstr(text, "<psn_no>P0000001");
	cr_assert(p && q && strlen(claim_no) == 13 && strlen(psn) == 8);
	p += strlen("<claim_no>");
	q += strlen("<psn_no>");
	memcpy(p, claim_no, 13);
	memcpy(q, psn, 8);
	snprintf(name, sizeof name, "%s.xml", claim_no);
	free(zt_ok(w->db, "claim submit '%s'", zt_test_write(name, text)));
	free(text);
}

/* B1 (8160.00) paid by the bank; then the worked example reversed and its
 * reversal billed: NEG, -8160.00, accepted by the payer. The pool owes the
 * fund 8160.00. */
static void negative_batch(struct world *w)
{
	world(w, 0, NULL);
	fund_accounts(w);
	free(import_ok(w, "full-payment-v08.xml"));
	expect_batch(w->db, B1, "paid|816000");
	free(zt_ok(w->db, "claim reverse --hospital H51010101 --claim-no ZY2017-000123 --reason "
	                  "'not this patient' --by desk"));
	char *id = zt_ok(w->db, "batch create --fund 390100 --by alice");
	cr_assert_str_eq(id, NEG "\n");
	free(id);
	send_and_accept(w, NEG, true);
}

static struct run repay(const struct world *w, const char *id, const char *extra)
{
	return zt(w->db, "--config '%s' batch repay %s --by carol --out '%s/repay-%s.xml' %s", w->cfg,
	          id, w->dir, id, extra ? extra : "");
}

/* A statement of today with one entry. */
static struct run statement(const struct world *w, const char *name, int credit,
                            const char *amount, const char *e2e, const char *remittance)
{
	char ref[64];
	snprintf(ref, sizeof ref, "BS-%s", name);
	struct zt_test_entry e = {credit, amount, ref, e2e, remittance};
	const char *path = zt_test_camt(name, name, w->today, &e, 1);
	return zt(w->db, "--config '%s' reconcile import '%s' --by frank", w->cfg, path);
}

static void fund_line(const struct world *w, const char *want)
{
	char *out = zt_ok(w->db, "--config '%s' reconcile report --format csv", w->cfg);
	expect_in(out, want);
	free(out);
}

Test(reconcile_owed_back, a_claim_reversed_after_its_batch_was_paid_leaves_a_negative_batch)
{
	struct world w;
	negative_batch(&w);
	expect_rows(w.db, "SELECT status, total, accepted_total, paid, returned FROM batch WHERE id = '"
	                  NEG "'", "accepted|-816000|-816000|0|0\n");
	/* the fund owes the pool nothing: the pool owes it 8160.00 */
	expect_balance(w.db, "fund:390100", -816000);
	fund_line(&w, "fund,390100,城乡居民基本医疗保险基金,,0.00,8160.00,0.00,-8160.00,1,0,,,,,,,0.00\n");
	verify_ok(w.db);
	/* a credit for it alone is not owed: an exception, never a payment */
	struct run r = statement(&w, "S-ALONE", 1, "8160.00", NULL, NEG);
	cr_assert_eq(r.code, 1, "%s%s", r.out, r.err);
	expect_in(r.out, "amount    " NEG);
	expect_in(r.out, "owes nothing, the pool owes its fund 8160.00 back");
	run_free(&r);
	expect_rows(w.db, "SELECT status, paid FROM batch WHERE id = '" NEG "'", "accepted|0\n");
	verify_ok(w.db);
}

Test(reconcile_owed_back, the_pool_pays_it_back_and_the_bank_debit_confirms_it)
{
	struct world w;
	negative_batch(&w);
	struct run r = repay(&w, NEG, NULL);
	cr_assert_eq(r.code, 0, "%s", r.err);
	cr_assert_str_eq(r.out, NEG "-R1 " NEG " fund 390100 8160.00\n");
	expect_in(r.err, "pain.001.001.03 MsgId " NEG "-R1, 1 transaction, CtrlSum 8160.00");
	run_free(&r);
	/* the pain.001: the pool's account pays the fund's, EndToEndId the repayment */
	char path[800];
	snprintf(path, sizeof path, "%s/repay-%s.xml", w.dir, NEG);
	char *xml = zt_test_slurp(path);
	cr_assert(xml, "no file %s", path);
	expect_in(xml, "<EndToEndId>" NEG "-R1</EndToEndId>");
	expect_in(xml, "<InstdAmt Ccy=\"CNY\">8160.00</InstdAmt>");
	expect_in(xml, "6222020200199887766");
	free(xml);
	/* booked at once, like an advance: the books are square */
	expect_rows(w.db, "SELECT status, paid, returned FROM batch WHERE id = '" NEG "'",
	            "paid|0|816000\n");
	expect_balance(w.db, "fund:390100", 0);
	expect_balance(w.db, "pool:bank", 0);
	fund_line(&w, "fund,390100,城乡居民基本医疗保险基金,,0.00,8160.00,0.00,0.00,0,,,,,,,,8160.00\n");
	verify_ok(w.db);
	/* the bank's debit names the repayment: matched, nothing moves */
	r = statement(&w, "S-OUT", 0, "8160.00", NEG "-R1", "repayment");
	cr_assert_eq(r.code, 0, "%s%s", r.out, r.err);
	expect_in(r.out, "matched 1, waiting 0, exceptions 0");
	run_free(&r);
	expect_rows(w.db, "SELECT m.return_id FROM recon_match m JOIN bank_entry e ON e.id = "
	                  "m.entry_id WHERE e.ref = 'BS-S-OUT'", NEG "-R1\n");
	expect_balance(w.db, "pool:bank", 0);
	expect_balance(w.db, "suspense:bank", 0);
	char *show = zt_ok(w.db, "batch show " NEG);
	expect_in(show, NEG "-R1, executed ");
	expect_in(show, "confirmed by the bank");
	free(show);
	verify_ok(w.db);
	/* nothing is left to pay back */
	r = repay(&w, NEG, "--amount 0.01");
	cr_assert_eq(r.code, 2);
	expect_in(r.err, "owes its fund nothing back");
	run_free(&r);
}

static char *db_digest(const char *db);

/* The repayment's file appears after its commit (batch.h): a crash between
 * the two leaves the repayment recorded without its file; --rewrite writes
 * it again from the record, byte for byte, booking nothing; with the file
 * there --rewrite is refused. */
Test(reconcile_owed_back, a_missing_repayment_file_is_written_again_from_the_record)
{
	struct world w;
	negative_batch(&w);
	struct run r = repay(&w, NEG, NULL);
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	char path[800];
	snprintf(path, sizeof path, "%s/repay-%s.xml", w.dir, NEG);
	char *first = zt_test_slurp(path);
	cr_assert(first, "no file %s", path);
	r = repay(&w, NEG, "--rewrite");
	cr_expect_eq(r.code, 2);
	expect_in(r.err, "when that file is missing, and it is not");
	run_free(&r);
	cr_assert_eq(unlink(path), 0);
	char *before = db_digest(w.db);
	r = repay(&w, NEG, "--rewrite");
	cr_assert_eq(r.code, 0, "%s", r.err);
	expect_in(r.err, "written again from what was recorded (nothing booked)");
	cr_expect_str_eq(r.out, NEG "-R1 " NEG " fund 390100 8160.00\n");
	run_free(&r);
	char *again = zt_test_slurp(path);
	cr_assert(again, "the file was not written again");
	cr_expect_str_eq(again, first);
	char *after = db_digest(w.db);
	cr_expect_str_eq(after, before, "writing the file again changed the database");
	expect_balance(w.db, "fund:390100", 0);
	verify_ok(w.db);
	free(first);
	free(again);
	free(before);
	free(after);
}

Test(reconcile_owed_back, a_negative_batch_partly_returned)
{
	struct world w;
	negative_batch(&w);
	struct run r = repay(&w, NEG, "--amount 3000.00");
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	expect_rows(w.db, "SELECT status, returned FROM batch WHERE id = '" NEG "'", "part-paid|300000\n");
	fund_line(&w, "fund,390100,城乡居民基本医疗保险基金,,0.00,8160.00,0.00,-5160.00,1,0,,,,,,,3000.00\n");
	verify_ok(w.db);
	/* more than is owed back is refused, and nothing is stored */
	char *before = rows(w.db, "SELECT (SELECT count(*) FROM batch_return), (SELECT count(*) FROM "
	                          "transfer), (SELECT count(*) FROM audit)");
	r = zt(w.db, "--config '%s' batch repay " NEG " --amount 5160.01 --by carol --out '%s/x.xml'",
	       w.cfg, w.dir);
	cr_assert_eq(r.code, 2, "%s", r.err);
	expect_in(r.err, "is owed back 5160.00: 5160.01 is more");
	run_free(&r);
	char x[700];
	snprintf(x, sizeof x, "%s/x.xml", w.dir);
	cr_assert_null(zt_test_slurp(x), "a payment file was left behind");
	expect_rows(w.db, "SELECT (SELECT count(*) FROM batch_return), (SELECT count(*) FROM "
	                  "transfer), (SELECT count(*) FROM audit)", before);
	free(before);
	/* the rest, then the bank's two debits */
	r = zt(w.db, "--config '%s' batch repay " NEG " --by carol --out '%s/r2.xml'", w.cfg, w.dir);
	cr_assert_eq(r.code, 0, "%s", r.err);
	cr_assert_str_eq(r.out, NEG "-R2 " NEG " fund 390100 5160.00\n");
	run_free(&r);
	expect_rows(w.db, "SELECT status, returned FROM batch WHERE id = '" NEG "'", "paid|816000\n");
	struct zt_test_entry e[] = {{0, "3000.00", "BS-D1", NEG "-R1", NULL},
	                            {0, "5160.00", "BS-D2", NEG "-R2", NULL}};
	r = zt(w.db, "--config '%s' reconcile import '%s' --by frank", w.cfg,
	       zt_test_camt("debits.xml", "S-DEBITS", w.today, e, 2));
	cr_assert_eq(r.code, 0, "%s%s", r.out, r.err);
	expect_in(r.out, "matched 2, waiting 0, exceptions 0");
	run_free(&r);
	verify_ok(w.db);
}

Test(reconcile_owed_back, what_does_not_fit_a_repayment_is_refused_or_an_exception)
{
	struct world w;
	negative_batch(&w);
	/* a batch that owes the pool has nothing to pay back */
	struct run r = repay(&w, B2, NULL);
	cr_assert_eq(r.code, 2);
	expect_in(r.err, "batch '" B2 "' owes its fund nothing back (it owes 1148.00)");
	run_free(&r);
	/* a fund without a bank account cannot be paid */
	r = zt(w.db, "--config '%s' batch repay " NEG " --by carol --out '%s/x.xml'",
	       zt_test_write("nofund.ini", "[pool]\nname = p\naccount = 6222020200112233445\n"), w.dir);
	cr_assert_eq(r.code, 2);
	expect_in(r.err, "no bank account for fund 390100");
	run_free(&r);
	r = repay(&w, NEG, NULL);
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	/* a debit of another amount, one naming no repayment */
	struct zt_test_entry e[] = {{0, "8160.01", "BS-X1", NEG "-R1", NULL},
	                            {0, "8160.00", "BS-X2", NEG "-R9", NULL}};
	r = zt(w.db, "--config '%s' reconcile import '%s' --by frank", w.cfg,
	       zt_test_camt("x.xml", "S-X", w.today, e, 2));
	cr_assert_eq(r.code, 1, "%s%s", r.out, r.err);
	expect_in(r.out, "EXC-000001  amount    " NEG "-R1");
	expect_in(r.out, "over by 0.01: repayment " NEG "-R1 is 8160.00, the debit is 8160.01");
	expect_in(r.out, "EXC-000002  unknown");
	expect_in(r.out, "EndToEndId '" NEG "-R9' is no advance or repayment");
	run_free(&r);
	/* the person cannot make the wrong amount confirm it */
	r = resolve(&w, "EXC-000001", "accept");
	cr_assert_eq(r.code, 2);
	expect_in(r.err, "repayment " NEG "-R1 is 8160.00, the debit 8160.01: it cannot confirm it");
	run_free(&r);
	/* the right one does; the same repayment on a later statement is a duplicate */
	r = statement(&w, "S-OK", 0, "8160.00", NEG "-R1", NULL);
	cr_assert_eq(r.code, 0, "%s%s", r.out, r.err);
	run_free(&r);
	r = statement(&w, "S-AGAIN", 0, "8160.00", NEG "-R1", NULL);
	cr_assert_eq(r.code, 1);
	expect_in(r.out, "duplicate");
	expect_in(r.out, "repayment " NEG "-R1 was confirmed by another bank entry already");
	run_free(&r);
	/* the debit that named no repayment is matched to it by hand: refused, it is confirmed */
	r = resolve(&w, "EXC-000002", "match:" NEG "-R1");
	cr_assert_eq(r.code, 2);
	expect_in(r.err, "repayment " NEG "-R1 is confirmed already");
	run_free(&r);
	resolve_ok(&w, "EXC-000001", "refund");
	resolve_ok(&w, "EXC-000002", "refund");
	verify_ok(w.db);
}

Test(reconcile_owed_back, a_debit_without_the_repayments_id_is_matched_by_a_person)
{
	struct world w;
	negative_batch(&w);
	struct run r = repay(&w, NEG, NULL);
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	r = statement(&w, "S-NOID", 0, "8160.00", NULL, "repayment to the fund");
	cr_assert_eq(r.code, 1);
	run_free(&r);
	resolve_ok(&w, "EXC-000001", "match:" NEG "-R1");
	expect_rows(w.db, "SELECT return_id, exception_id FROM recon_match WHERE return_id IS NOT NULL",
	            NEG "-R1|1\n");
	expect_balance(w.db, "suspense:bank", 0);
	expect_balance(w.db, "pool:bank", 0);
	verify_ok(w.db);
}

Test(reconcile_owed_back, a_repayment_the_bank_never_shows_is_missing)
{
	struct world w;
	negative_batch(&w);
	struct run r = repay(&w, NEG, NULL);
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	/* the batch itself is settled: its repayment is overdue (and the other
	 * funds' batches, never paid) */
	r = zt_on(w.db, as_of_plus(&w, 31), "--config '%s' reconcile match --as-of %s --by frank",
	          w.cfg, as_of_plus(&w, 31));
	cr_assert_eq(r.code, 1, "%s%s", r.out, r.err);
	expect_in(r.out, "EXC-000003  missing   " NEG "-R1");
	expect_in(r.out, "repayment " NEG "-R1 of 8160.00 to fund 390100 for batch " NEG);
	run_free(&r);
	expect_rows(w.db, "SELECT exc_id, kind, batch_id, return_id, amount FROM recon_exception "
	                  "WHERE batch_id = '" NEG "'", "EXC-000003|missing|" NEG "|" NEG "-R1|816000\n");
	/* no money is held: only noted */
	r = resolve(&w, "EXC-000003", "write-off");
	cr_assert_eq(r.code, 2);
	expect_in(r.err, "holds no bank money: resolve it as ignore");
	run_free(&r);
	/* raised once; the debit, when it comes, closes it */
	r = zt_on(w.db, as_of_plus(&w, 32), "--config '%s' reconcile match --as-of %s --by frank",
	          w.cfg, as_of_plus(&w, 32));
	cr_assert_eq(r.code, 0, "%s%s", r.out, r.err);
	run_free(&r);
	r = statement(&w, "S-LATE", 0, "8160.00", NEG "-R1", NULL);
	cr_assert_eq(r.code, 0, "%s%s", r.out, r.err);
	run_free(&r);
	expect_rows(w.db, "SELECT r.resolution FROM recon_resolution r JOIN recon_exception x ON "
	                  "x.id = r.exception_id WHERE x.return_id IS NOT NULL", "settled\n");
	verify_ok(w.db);
}

/* NEG, and POS: two claims for other people, 15040.00 to fund 390100. */
static void two_batches(struct world *w)
{
	negative_batch(w);
	settle_like(w, "ZY2017-000991", "P0000002");
	settle_like(w, "ZY2017-000992", "P0000003");
	char *id = zt_ok(w->db, "batch create --fund 390100 --by alice");
	cr_assert_str_eq(id, POS "\n");
	free(id);
	send_and_accept(w, POS, true);
	expect_rows(w->db, "SELECT total FROM batch WHERE id = '" POS "'", "1504000\n");
}

Test(reconcile_owed_back, a_payer_that_nets_pays_the_difference)
{
	struct world w;
	two_batches(&w);
	/* 15040.00 owed, 8160.00 owed back: the payer pays 6880.00 for both */
	struct run r = statement(&w, "S-NET", 1, "6880.00", NULL, "结算款 " NEG "," POS);
	cr_assert_eq(r.code, 0, "%s%s", r.out, r.err);
	expect_in(r.out, "matched 1, waiting 0, exceptions 0");
	run_free(&r);
	expect_rows(w.db, "SELECT id, status, paid, returned FROM batch WHERE id IN ('" NEG "', '" POS
	                  "') ORDER BY id", NEG "|paid|0|816000\n" POS "|paid|1504000|0\n");
	expect_rows(w.db, "SELECT kind, debit, credit, amount FROM transfer WHERE ref = 'BS-S-NET' "
	                  "ORDER BY id", "netted|fund:390100|pool:bank|816000\n"
	                                 "payment|pool:bank|fund:390100|1504000\n");
	expect_rows(w.db, "SELECT batch_id, kind, amount FROM batch_return",
	            NEG "|netted|816000\n");
	expect_balance(w.db, "fund:390100", 0);
	expect_balance(w.db, "pool:bank", 816000 + 688000);
	fund_line(&w, "fund,390100,城乡居民基本医疗保险基金,,15040.00,23200.00,0.00,0.00,0,,,,,,,,8160.00\n");
	verify_ok(w.db);
	/* netted, it cannot be repaid as well */
	r = repay(&w, NEG, NULL);
	cr_assert_eq(r.code, 2);
	run_free(&r);
}

Test(reconcile_owed_back, a_netted_payment_is_matched_by_a_person_when_it_names_nothing)
{
	struct world w;
	two_batches(&w);
	/* the credit that once ended in "ambiguous" and an internal error */
	struct run r = statement(&w, "S-WRONG", 1, "6880.01", NULL, NEG "," POS);
	cr_assert_eq(r.code, 1);
	expect_in(r.out, "ambiguous");
	expect_in(r.out, "names 2 batches owing 6880.00 together; the credit is 6880.01");
	run_free(&r);
	r = resolve(&w, "EXC-000001", "match:" NEG "," POS);
	cr_assert_eq(r.code, 2, "a conflict, not an internal error: %s", r.err);
	expect_in(r.err, "EXC-000001: the credit of 6880.01 is not the 6880.00 owed by " NEG "," POS);
	run_free(&r);
	resolve_ok(&w, "EXC-000001", "refund");
	/* the right amount naming nothing: a person matches it to both */
	r = statement(&w, "S-NONAME", 1, "6880.00", NULL, "结算款");
	cr_assert_eq(r.code, 1);
	run_free(&r);
	/* one batch alone is refused: it owes nothing, its fund is owed */
	r = resolve(&w, "EXC-000002", "match:" NEG);
	cr_assert_eq(r.code, 2);
	expect_in(r.err, "batch " NEG " owes nothing: its fund is owed 8160.00 back (batch repay)");
	run_free(&r);
	resolve_ok(&w, "EXC-000002", "match:" NEG "," POS);
	expect_rows(w.db, "SELECT id, status FROM batch WHERE id IN ('" NEG "', '" POS "') ORDER BY id",
	            NEG "|paid\n" POS "|paid\n");
	expect_balance(w.db, "suspense:bank", 0);
	verify_ok(w.db);
}

/* ---- an answer after a payment (issue 7, point 1) ------------------------------------ */

static void drop_ack(const struct world *w, const char *id, const char *body)
{
	char path[800];
	snprintf(path, sizeof path, "%s/inbox/%s.ack.xml", w->dir, id);
	FILE *f = fopen(path, "w");
	cr_assert(f, "%s", path);
	fprintf(f, "<ack xmlns=\"urn:zhitong:payer-ack:1\" batch=\"%s\" %s", id, body);
	fclose(f);
}

Test(reconcile_owed_back, an_answer_after_the_payment_is_recorded)
{
	struct world w;
	world(&w, B3_SENT, NULL);
	free(import_ok(&w, "waiting.xml")); /* pays B3, 142.00, before any answer */
	expect_batch(w.db, B3, "paid|14200");
	/* the payer's acceptance comes afterwards: read and kept */
	drop_ack(&w, B3, "status=\"accepted\" receipt=\"R-LATE\"/>");
	char *out = zt_ok(w.db, "--config '%s' batch poll " B3 " --by carol", w.cfg);
	expect_in(out, "accepted by the payer, receipt R-LATE, total 142.00");
	free(out);
	expect_rows(w.db, "SELECT status, receipt, accepted_total, paid FROM batch WHERE id = '" B3 "'",
	            "paid|R-LATE|14200|14200\n");
	expect_rows(w.db, "SELECT action, status_from, status_to FROM batch_event WHERE batch_id = '"
	                  B3 "' ORDER BY id DESC LIMIT 1", "accept|paid|paid\n");
	verify_ok(w.db);
	/* a second answer changes nothing */
	drop_ack(&w, B3, "status=\"accepted\" receipt=\"R-AGAIN\"/>");
	struct run r = zt(w.db, "--config '%s' batch poll " B3 " --by carol", w.cfg);
	cr_assert_eq(r.code, 2);
	run_free(&r);
	expect_rows(w.db, "SELECT receipt FROM batch WHERE id = '" B3 "'", "R-LATE\n");
	verify_ok(w.db);
}

Test(reconcile_owed_back, an_answer_after_a_part_payment_is_recorded)
{
	struct world w;
	world(&w, B3_SENT, NULL);
	struct run r = statement(&w, "S-PART", 1, "100.00", NULL, B3);
	cr_assert_eq(r.code, 0, "%s%s", r.out, r.err);
	run_free(&r);
	expect_batch(w.db, B3, "part-paid|10000");
	free(zt_ok(w.db, "batch ack " B3 " '%s' --by carol",
	           zt_test_write("late.xml", "<ack xmlns=\"urn:zhitong:payer-ack:1\" batch=\"" B3
	                                     "\" status=\"accepted\" receipt=\"R-9\"/>")));
	expect_rows(w.db, "SELECT status, accepted_total, paid FROM batch WHERE id = '" B3 "'",
	            "part-paid|14200|10000\n");
	verify_ok(w.db);
	r = statement(&w, "S-REST", 1, "42.00", NULL, B3);
	cr_assert_eq(r.code, 0, "%s%s", r.out, r.err);
	run_free(&r);
	expect_batch(w.db, B3, "paid|14200");
	verify_ok(w.db);
}

Test(reconcile_owed_back, an_answer_rejecting_what_was_paid_leaves_it_owed_back)
{
	struct world w;
	world(&w, B3_SENT, NULL);
	fund_accounts(&w);
	free(import_ok(&w, "waiting.xml"));
	expect_batch(w.db, B3, "paid|14200");
	char *rid = rows(w.db, "SELECT s.setl_id || '/' || f.seq FROM settlement_fund f JOIN "
	                       "settlement s ON s.id = f.settlement_id WHERE f.fund_code = '610103'");
	rid[strcspn(rid, "\n")] = '\0';
	char body[300];
	snprintf(body, sizeof body, "status=\"rejected\" receipt=\"R-NO\"><reject record=\"%s\" "
	                            "reason=\"not insured\"/></ack>", rid);
	drop_ack(&w, B3, body);
	struct run r = zt(w.db, "--config '%s' batch poll " B3 " --by carol", w.cfg);
	cr_assert_eq(r.code, 1, "%s%s", r.out, r.err);
	expect_in(r.out, "accepted 0.00 of 142.00");
	run_free(&r);
	/* the payer paid for what it then rejected: never more than billed, the
	 * 142.00 is owed back to it */
	expect_rows(w.db, "SELECT status, accepted_total, paid, returned FROM batch WHERE id = '" B3 "'",
	            "part-paid|0|14200|0\n");
	expect_rows(w.db, "SELECT action, status_from, status_to FROM batch_event WHERE batch_id = '"
	                  B3 "' ORDER BY id DESC LIMIT 1", "accept|paid|part-paid\n");
	fund_line(&w, "fund,610103,卫生扶贫救助基金,,0.00,142.00,0.00,-142.00,1,0,,,,,,,0.00\n");
	verify_ok(w.db);
	r = repay(&w, B3, NULL);
	cr_assert_eq(r.code, 0, "%s", r.err);
	expect_in(r.out, B3 "-R1 " B3 " fund 610103 142.00");
	run_free(&r);
	r = statement(&w, "S-BACK", 0, "142.00", B3 "-R1", NULL);
	cr_assert_eq(r.code, 0, "%s%s", r.out, r.err);
	run_free(&r);
	expect_rows(w.db, "SELECT status, paid, returned FROM batch WHERE id = '" B3 "'",
	            "paid|14200|14200\n");
	fund_line(&w, "fund,610103,卫生扶贫救助基金,,0.00,142.00,0.00,0.00,0,,,,,,,,142.00\n");
	verify_ok(w.db);
	free(rid);
}

/* ---- verify's checks of money owed back ------------------------------------------------ */

Test(reconcile_owed_back, verify_catches_tampered_rows)
{
	struct world w;
	negative_batch(&w);
	struct run r = repay(&w, NEG, "--amount 1000.00");
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	verify_ok(w.db);
	static const struct {
		const char *sql, *undo, *violation;
	} cases[] = {
		{"UPDATE batch SET returned = returned + 1 WHERE id = '" NEG "'",
		 "UPDATE batch SET returned = returned - 1 WHERE id = '" NEG "'",
		 "batch " NEG ": returned 100001 fen, its returns sum to 100000"},
		{"UPDATE batch SET returned = returned + 1 WHERE id = '" NEG "'",
		 "UPDATE batch SET returned = returned - 1 WHERE id = '" NEG "'",
		 "fund 390100: billed - paid - written off + returned = -716000 fen outstanding, but its "
		 "batches are owed -715999"},
		{"UPDATE batch SET returned = 900000 WHERE id = '" NEG "'",
		 "UPDATE batch SET returned = 100000 WHERE id = '" NEG "'",
		 "batch " NEG ": 900000 fen returned to its fund, more than the 816000 fen it owed back"},
		{"UPDATE batch SET accepted_total = total + 1 WHERE id = '" B2 "'",
		 "UPDATE batch SET accepted_total = total WHERE id = '" B2 "'",
		 "batch " B2 ": accepted 114801 fen of a total of 114800 fen"},
		{"UPDATE batch SET paid = total + 1 WHERE id = '" B1 "'",
		 "UPDATE batch SET paid = total WHERE id = '" B1 "'",
		 "batch " B1 ": paid 816001 fen of a total of 816000 fen"},
		{"DROP TRIGGER transfer_immutable_u; UPDATE transfer SET amount = amount + 1 WHERE kind = "
		 "'repay'; UPDATE account SET balance = balance + 1 WHERE name = 'fund:390100'; "
		 "UPDATE account SET balance = balance - 1 WHERE name = 'pool:bank'",
		 "UPDATE transfer SET amount = amount - 1 WHERE kind = 'repay'; UPDATE account SET "
		 "balance = balance - 1 WHERE name = 'fund:390100'; UPDATE account SET balance = "
		 "balance + 1 WHERE name = 'pool:bank'; CREATE TRIGGER transfer_immutable_u BEFORE UPDATE "
		 "ON transfer BEGIN SELECT RAISE(ABORT, 'transfers are immutable'); END",
		 "repayment " NEG "-R1 of batch " NEG " (100000 fen to fund 390100): the ledger has 1 "
		 "repay transfers of 100001 fen"},
		{"DROP TRIGGER batch_return_immutable_u; UPDATE batch_return SET amount = 100001",
		 "UPDATE batch_return SET amount = 100000; CREATE TRIGGER batch_return_immutable_u BEFORE "
		 "UPDATE ON batch_return BEGIN SELECT RAISE(ABORT, 'returns are immutable'); END",
		 "fund 390100: billed - paid - written off + returned = -715999 fen outstanding, but its "
		 "batches are owed -716000 and its ledger account says -716000"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		sql_exec(w.db, cases[i].sql);
		r = zt(w.db, "verify");
		cr_expect_eq(r.code, 1, "case %zu: exit %d", i, r.code);
		expect_in(r.out, cases[i].violation);
		run_free(&r);
		sql_exec(w.db, cases[i].undo);
		verify_ok(w.db);
	}
}

Test(reconcile_rules, batch_ids_are_exact_tokens)
{
	char ids[4][ZT_ID_BYTES];
	size_t n = 0;
	cr_expect_eq(zt_recon_batch_tokens("B390100-0000011 XB390100-000001 B390100-000001X "
	                                   "B390100_000001 b390100-000001 B390100-",
	                                   ids, &n, 4),
	             0);
	cr_expect_eq(n, 1, "only the batch-shaped token B390100-0000011: %zu", n);
	cr_expect_str_eq(ids[0], "B390100-0000011");
	n = 0;
	zt_recon_batch_tokens("付B390100-000001，B610100-000001/B610103-000001.B390100-000001", ids,
	                      &n, 4);
	cr_assert_eq(n, 3);
	cr_expect_str_eq(ids[0], "B390100-000001");
	cr_expect_str_eq(ids[1], "B610100-000001");
	cr_expect_str_eq(ids[2], "B610103-000001");
	/* more than fit are counted, not dropped silently */
	cr_expect_eq(zt_recon_batch_tokens("B000001-000001 B000002-000001", ids, &n, 4), 1);
	cr_expect_eq(n, 4);
}

Test(reconcile_rules, day_arithmetic_crosses_months_years_and_leap_days)
{
	cr_expect_eq(zt_date_add(20240228, 1), 20240229);
	cr_expect_eq(zt_date_add(20240228, 2), 20240301);
	cr_expect_eq(zt_date_add(20230228, 1), 20230301);
	cr_expect_eq(zt_date_add(20241231, 1), 20250101);
	cr_expect_eq(zt_date_add(20250101, -1), 20241231);
	cr_expect_eq(zt_date_add(21000228, 1), 21000301);
	cr_expect_eq(zt_date_days_between(20240101, 20250101), 366);
	cr_expect_eq(zt_date_days_between(20250101, 20240101), -366);
	cr_expect_eq(zt_date_days_between(19700101, 19700101), 0);
}

static struct zt_recon_batch batch(const char *id, enum zt_batch_status st, zt_fen due, zt_fen paid)
{
	struct zt_recon_batch b;
	memset(&b, 0, sizeof b);
	snprintf(b.id, sizeof b.id, "%s", id);
	snprintf(b.fund_code, sizeof b.fund_code, "390100");
	b.status = st;
	b.due = due;
	b.paid = paid;
	b.exported = 20240305;
	b.sent = 20240305;
	return b;
}

Test(reconcile_rules, what_a_credit_does_to_the_batches_it_names)
{
	struct zt_recon_config cfg;
	cr_assert_eq(zt_recon_config_load(&cfg, NULL), 0);
	cfg.amount_tolerance = 500;
	struct zt_recon_decision d;
	struct zt_recon_batch b[2] = {batch("B390100-000001", ZT_BATCH_ACCEPTED, 816000, 0),
	                              batch("B390100-000002", ZT_BATCH_PART_PAID, 10000, 4000)};
	/* exactly what is owed */
	cr_assert_eq(zt_recon_decide_credit(&cfg, 816000, 20240306, b, 1, &d), 0);
	cr_expect_eq(d.verdict, ZT_RECON_PAY);
	cr_expect_eq(d.pay[0], 816000);
	cr_expect_eq(d.written_off[0], 0);
	/* within the tolerance: paid, the rest written off */
	zt_recon_decide_credit(&cfg, 815500, 20240306, b, 1, &d);
	cr_expect_eq(d.verdict, ZT_RECON_PAY);
	cr_expect_eq(d.pay[0], 815500);
	cr_expect_eq(d.written_off[0], 500);
	/* beyond it: an instalment */
	zt_recon_decide_credit(&cfg, 815499, 20240306, b, 1, &d);
	cr_expect_eq(d.verdict, ZT_RECON_PAY);
	cr_expect_eq(d.written_off[0], 0);
	/* one fen over is never absorbed */
	zt_recon_decide_credit(&cfg, 816001, 20240306, b, 1, &d);
	cr_expect_eq(d.verdict, ZT_RECON_EXCEPTION);
	cr_expect_eq(d.kind, ZT_RECON_AMOUNT);
	cr_expect_eq(d.candidate, 0);
	/* two batches: their outstanding sum, exactly */
	zt_recon_decide_credit(&cfg, 816000 + 6000, 20240306, b, 2, &d);
	cr_expect_eq(d.verdict, ZT_RECON_PAY);
	cr_expect_eq(d.pay[0], 816000);
	cr_expect_eq(d.pay[1], 6000);
	zt_recon_decide_credit(&cfg, 816000 + 5999, 20240306, b, 2, &d);
	cr_expect_eq(d.kind, ZT_RECON_AMBIGUOUS);
	/* booked more than date-tolerance-days (3) before the export */
	zt_recon_decide_credit(&cfg, 816000, 20240302, b, 1, &d);
	cr_expect_eq(d.verdict, ZT_RECON_PAY, "3 days early is within the tolerance");
	zt_recon_decide_credit(&cfg, 816000, 20240301, b, 1, &d);
	cr_expect_eq(d.kind, ZT_RECON_DATE);
	/* sent, not answered: due its total; exported, not sent: wait; never
	 * exported: date; paid: duplicate */
	b[0].status = ZT_BATCH_SENT;
	zt_recon_decide_credit(&cfg, 816000, 20240306, b, 1, &d);
	cr_expect_eq(d.verdict, ZT_RECON_PAY);
	b[0].status = ZT_BATCH_EXPORTED;
	zt_recon_decide_credit(&cfg, 816000, 20240306, b, 1, &d);
	cr_expect_eq(d.verdict, ZT_RECON_HOLD);
	b[0].status = ZT_BATCH_APPROVED;
	zt_recon_decide_credit(&cfg, 816000, 20240306, b, 1, &d);
	cr_expect_eq(d.kind, ZT_RECON_DATE);
	b[0] = batch("B390100-000001", ZT_BATCH_PAID, 816000, 816000);
	zt_recon_decide_credit(&cfg, 816000, 20240306, b, 1, &d);
	cr_expect_eq(d.kind, ZT_RECON_DUPLICATE);
}

Test(reconcile_rules, what_a_debit_does_to_the_advance_it_names)
{
	struct zt_recon_config cfg;
	cr_assert_eq(zt_recon_config_load(&cfg, NULL), 0);
	struct zt_advance a;
	memset(&a, 0, sizeof a);
	snprintf(a.advance_id, sizeof a.advance_id, "ADV-20240305-000001");
	snprintf(a.issued_at, sizeof a.issued_at, "2024-03-05T09:00:00Z");
	a.amount = 2000000;
	struct zt_recon_decision d;
	cr_assert_eq(zt_recon_decide_debit(&cfg, 2000000, 20240305, a.advance_id, &a, false, &d), 0);
	cr_expect_eq(d.verdict, ZT_RECON_PAY);
	zt_recon_decide_debit(&cfg, 2000000, 20240305, a.advance_id, &a, true, &d);
	cr_expect_eq(d.kind, ZT_RECON_DUPLICATE);
	zt_recon_decide_debit(&cfg, 1999999, 20240305, a.advance_id, &a, false, &d);
	cr_expect_eq(d.kind, ZT_RECON_AMOUNT);
	cr_expect_str_eq(d.detail, "short by 0.01: advance ADV-20240305-000001 is 20000.00, the debit "
	                           "is 19999.99");
	zt_recon_decide_debit(&cfg, 2000000, 20240301, a.advance_id, &a, false, &d);
	cr_expect_eq(d.kind, ZT_RECON_DATE);
	zt_recon_decide_debit(&cfg, 2000000, 20240305, "", NULL, false, &d);
	cr_expect_eq(d.kind, ZT_RECON_UNKNOWN);
}

Test(reconcile_rules, a_batch_owed_back_counts_negative_among_several)
{
	struct zt_recon_config cfg;
	cr_assert_eq(zt_recon_config_load(&cfg, NULL), 0);
	struct zt_recon_decision d;
	/* owed back 8160.00 (answered), owing 15040.00 */
	struct zt_recon_batch b[2] = {batch("B390100-000002", ZT_BATCH_ACCEPTED, -816000, 0),
	                              batch("B390100-000003", ZT_BATCH_ACCEPTED, 1504000, 0)};
	b[0].answered = b[1].answered = true;
	cr_assert_eq(zt_recon_decide_credit(&cfg, 688000, 20240306, b, 2, &d), 0);
	cr_expect_eq(d.verdict, ZT_RECON_PAY);
	cr_expect_eq(d.pay[0], -816000, "netted");
	cr_expect_eq(d.pay[1], 1504000);
	/* alone, it is owed nothing */
	zt_recon_decide_credit(&cfg, 816000, 20240306, b, 1, &d);
	cr_expect_eq(d.kind, ZT_RECON_AMOUNT);
	cr_expect_eq(d.candidate, 0);
	/* the net, or nothing */
	zt_recon_decide_credit(&cfg, 688001, 20240306, b, 2, &d);
	cr_expect_eq(d.kind, ZT_RECON_AMBIGUOUS);
	/* partly returned already: what is left of it counts */
	b[0].returned = 300000;
	b[0].status = ZT_BATCH_PART_PAID;
	zt_recon_decide_credit(&cfg, 1504000 - 516000, 20240306, b, 2, &d);
	cr_expect_eq(d.verdict, ZT_RECON_PAY);
	cr_expect_eq(d.pay[0], -516000);
	/* returned whole: settled, a second netting is refused */
	b[0].returned = 816000;
	b[0].status = ZT_BATCH_PAID;
	zt_recon_decide_credit(&cfg, 688000, 20240306, b, 2, &d);
	cr_expect_eq(d.kind, ZT_RECON_AMBIGUOUS);
	/* without the payer's answer, what it accepts back is not known */
	b[0] = batch("B390100-000002", ZT_BATCH_SENT, -816000, 0);
	zt_recon_decide_credit(&cfg, 688000, 20240306, b, 2, &d);
	cr_expect_eq(d.kind, ZT_RECON_AMBIGUOUS);
	cr_expect(strstr(d.detail, "has no answer from the payer"), "%s", d.detail);
	/* a net that is not positive is no credit */
	struct zt_recon_batch c[2] = {batch("B390100-000002", ZT_BATCH_ACCEPTED, -816000, 0),
	                              batch("B390100-000004", ZT_BATCH_ACCEPTED, 752000, 0)};
	c[0].answered = c[1].answered = true;
	zt_recon_decide_credit(&cfg, 64000, 20240306, c, 2, &d);
	cr_expect_eq(d.kind, ZT_RECON_AMBIGUOUS);
}

Test(reconcile_rules, what_a_debit_does_to_the_repayment_it_names)
{
	struct zt_recon_config cfg;
	cr_assert_eq(zt_recon_config_load(&cfg, NULL), 0);
	struct zt_batch_return r;
	memset(&r, 0, sizeof r);
	snprintf(r.return_id, sizeof r.return_id, "B390100-000002-R1");
	snprintf(r.at, sizeof r.at, "2024-03-05T09:00:00Z");
	r.amount = 816000;
	struct zt_recon_decision d;
	cr_assert_eq(zt_recon_decide_repayment(&cfg, 816000, 20240305, &r, &d), 0);
	cr_expect_eq(d.verdict, ZT_RECON_PAY);
	zt_recon_decide_repayment(&cfg, 816001, 20240305, &r, &d);
	cr_expect_eq(d.kind, ZT_RECON_AMOUNT);
	cr_expect_str_eq(d.detail, "over by 0.01: repayment B390100-000002-R1 is 8160.00, the debit "
	                           "is 8160.01");
	zt_recon_decide_repayment(&cfg, 816000, 20240301, &r, &d);
	cr_expect_eq(d.kind, ZT_RECON_DATE);
	r.confirmed = true;
	zt_recon_decide_repayment(&cfg, 816000, 20240305, &r, &d);
	cr_expect_eq(d.kind, ZT_RECON_DUPLICATE);
}

Test(reconcile_rules, decisions_parse_strictly)
{
	enum zt_recon_resolution r;
	char target[ZT_RECON_TARGET_BYTES];
	cr_expect_eq(zt_recon_resolution_parse(&r, target, "match:B390100-000001,B610100-000001"), 0);
	cr_expect_eq(r, ZT_RECON_MATCH);
	cr_expect_str_eq(target, "B390100-000001,B610100-000001");
	cr_expect_eq(zt_recon_resolution_parse(&r, target, "write-off"), 0);
	cr_expect_eq(r, ZT_RECON_WRITE_OFF);
	cr_expect_eq(zt_recon_resolution_parse(&r, target, "match:"), ZT_EINVAL);
	cr_expect_eq(zt_recon_resolution_parse(&r, target, "match:B1,,B2"), ZT_EINVAL);
	cr_expect_eq(zt_recon_resolution_parse(&r, target, "settled"), ZT_EINVAL);
	cr_expect_eq(zt_recon_resolution_parse(&r, target, "Accept"), ZT_EINVAL);
}

/* ---- a report never writes --------------------------------------------------- */

/* The database's bytes (the file and its write-ahead log). */
static char *db_digest(const char *db)
{
	struct run r = sh("cat '%s' '%s-wal' | sha256sum", db, db);
	cr_assert_eq(r.code, 0, "%s", r.err);
	free(r.err);
	return r.out;
}

Test(reconcile_report, reads_only_and_lists_what_is_overdue_without_raising_it)
{
	struct world w;
	world(&w, B3_SENT | WITH_ADVANCE, NULL);
	char *before = db_digest(w.db);
	const char *later = as_of_plus(&w, 40);
	/* forty days on: the three batches went to the payer and were never
	 * paid, the advance was never seen on a statement; the report shows
	 * them, in every form */
	char *out = zt_ok_on(w.db, later, "--config '%s' reconcile report", w.cfg);
	expect_in(out, "\n未处理的异常：0\n");
	expect_in(out, "\n逾期未到、尚未列为异常：4（运行 zhitong reconcile match 将其列为异常）\n");
	expect_in(out, "逾期未到账");
	expect_in(out, B3);
	expect_in(out, w.advance_id);
	free(out);
	out = zt_ok_on(w.db, later, "--config '%s' reconcile report --format csv --as-of %s", w.cfg,
	               later);
	expect_in(out, "overdue," B3 ",,missing,,,,,,10,,,,,142.00,");
	char want[200];
	snprintf(want, sizeof want, "overdue,%s,,missing,,,,,,10,,,,,20000.00,", w.advance_id);
	expect_in(out, want);
	free(out);
	out = zt_ok_on(w.db, later, "--config '%s' reconcile report --format html", w.cfg);
	expect_in(out, "<h2>逾期未到、尚未列为异常（4）</h2>");
	free(out);
	/* not a byte of the database changed, no exception was raised */
	char *after = db_digest(w.db);
	cr_expect_str_eq(after, before, "the report changed the database");
	free(after);
	expect_rows(w.db, "SELECT count(*) FROM recon_exception", "0\n");
	/* raising is match's work */
	struct run r = zt_on(w.db, later, "--config '%s' reconcile match --by frank", w.cfg);
	cr_expect_eq(r.code, 1, "%s", r.err);
	expect_in(r.out, "exceptions 4");
	run_free(&r);
	expect_rows(w.db, "SELECT count(*) FROM recon_exception WHERE kind = 'missing'", "4\n");
	out = zt_ok_on(w.db, later, "--config '%s' reconcile report", w.cfg);
	expect_in(out, "\n未处理的异常：4\n");
	expect_in(out, "\n逾期未到、尚未列为异常：0\n");
	free(out);
	free(before);
}

Test(reconcile_report, a_future_as_of_is_refused)
{
	struct world w;
	world(&w, B3_SENT, NULL);
	char *before = db_digest(w.db);
	const char *tomorrow = as_of_plus(&w, 1);
	const char *cmds[] = {"reconcile report", "reconcile report --format csv",
	                      "reconcile report --format html", "reconcile match --by frank",
	                      "advance plan --by alice"};
	for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
		struct run r = zt(w.db, "--config '%s' %s --as-of %s", w.cfg, cmds[i], tomorrow);
		cr_expect_eq(r.code, 2, "%s: exit %d", cmds[i], r.code);
		expect_in(r.err, tomorrow);
		expect_in(r.err, "today");
		cr_expect_str_eq(r.out, "", "%s printed something", cmds[i]);
		run_free(&r);
	}
	char *after = db_digest(w.db);
	cr_expect_str_eq(after, before, "a refused command changed the database");
	free(after);
	free(before);
	/* today itself is fine */
	free(zt_ok(w.db, "--config '%s' reconcile report --as-of %s", w.cfg, w.today));
	free(zt_ok(w.db, "--config '%s' reconcile match --as-of %s", w.cfg, w.today));
}

Test(reconcile_report, csv_makes_outside_text_harmless_and_has_a_bom_on_request)
{
	struct world w;
	world(&w, 0, NULL);
	/* a fund's name from the registry, a note and a name typed by people */
	const char *reg = zt_test_write("evil-registry.xml",
	                                "<registry xmlns=\"urn:zhitong:registry:1\"><fund code=\"610103\" "
	                                "name=\"=HYPERLINK(&quot;http://evil&quot;,&quot;x&quot;)\"/>"
	                                "</registry>\n");
	free(zt_ok(w.db, "registry load '%s'", reg));
	free(import_exceptions(&w, "over-payment.xml"));
	struct run r = zt(w.db, "--config '%s' reconcile resolve EXC-000001 --as refund "
	                        "--by '+grace' --note '@SUM(A1:A9)'", w.cfg);
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	char *out = zt_ok(w.db, "--config '%s' reconcile report --format csv", w.cfg);
	expect_in(out, "fund,610103,\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\",,142.00,");
	cr_expect(strstr(out, ",=") == NULL, "%s", out);
	free(out);
	out = zt_ok(w.db, "reconcile exceptions --all --format csv");
	expect_in(out, ",\"'@SUM(A1:A9)\",");
	expect_in(out, ",\"'+grace\"\n");
	free(out);
	/* --bom: only when asked, only for CSV */
	out = zt_ok(w.db, "--config '%s' reconcile report --format csv --bom", w.cfg);
	cr_expect(strncmp(out, "\xEF\xBB\xBFsection,", 11) == 0, "%s", out);
	free(out);
	out = zt_ok(w.db, "reconcile exceptions --all --format csv --bom");
	cr_expect(strncmp(out, "\xEF\xBB\xBF" "exception,", 13) == 0, "%s", out);
	free(out);
	r = zt(w.db, "--config '%s' reconcile report --format html --bom", w.cfg);
	cr_expect_eq(r.code, 2);
	run_free(&r);
}
