/* zhitong — advances to hospitals (docs/spec/money-flow.md "Advances"; advance.h):
 * plan, maker-checker, issue (ledger transfers and the pain.001.001.03 for
 * the pool's bank), status, and what verify checks about them.
 *
 * Most tests run the built `zhitong` on a fresh database with the sample
 * registry and policy of rules/, settle the worked example of docs/spec/split.md §7
 * (fund shares 8160.00 + 1148.00 + 142.00 = 9450.00 to H51010101), and
 * compare what the commands print with amounts computed by hand. Where the
 * time of a transfer matters (the earnings window, advancing_since),
 * transfers with chosen timestamps are written into the ledger directly. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "zhitong/store.h"
#include "zhitong/advance.h"
#include "zhitong/error.h"
#include "zhitong/limits.h"
#include "zhitong/xml.h"

#define REGISTRY ZT_TEST_SOURCE_DIR "/rules/registry-510101.xml"
#define POLICY ZT_TEST_SOURCE_DIR "/rules/sample-510101-2017.xml"
#define PAIN_XSD ZT_TEST_SOURCE_DIR "/schema/iso20022/pain.001.001.03.xsd"
#define WORKED_EXAMPLE ZT_TEST_CASES "/claims/worked-example.xml"
#define PAIN_NS "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"

/* ---- running things ------------------------------------------------------ */




/* zhitong --db DB …, from testutil */
#define zt zt_test_db

/* Runs and requires exit 0; returns stdout (caller frees). */
#define zt_ok zt_test_db_ok

/* A fresh database with the sample registry and policy. */
static const char *fresh_db(const char *name)
{
	static char keep[4][600];
	static int next;
	char *d = keep[next++ % 4];
	snprintf(d, 600, "%s", tmp_path(name));
	free(zt_ok(d, "init"));
	free(zt_ok(d, "registry load '%s'", REGISTRY));
	free(zt_ok(d, "rules load '%s'", POLICY));
	return d;
}

static void settle_worked_example(const char *db)
{
	free(zt_ok(db, "claim submit '%s'", WORKED_EXAMPLE));
}

/* The configuration of the hand-computed plans. */
static const char *write_config(const char *name, const char *extra_advance)
{
	char text[2000];
	snprintf(text, sizeof text,
	         "[pool]\n"
	         "name = 某县健康扶贫资金专户\n"
	         "account = 6222020200112233445\n"
	         "bic = ICBKCNBJSCN\n"
	         "\n"
	         "[advance]\n"
	         "target-days = 30\n"
	         "%s"
	         "\n"
	         "[hospital H51010101]\n"
	         "account = 4402000000000000001\n"
	         "bic = ICBKCNBJSCN\n"
	         "\n"
	         "[hospital H51010102]\n"
	         "target = 50000.00\n"
	         "account = 4402000000000000002\n"
	         "name = County TCM Hospital\n"
	         "\n"
	         "[hospital H51010103]\n"
	         "target = 1000.00\n"
	         "account = 4402000000000000003\n",
	         extra_advance ? extra_advance : "");
	char *copy = strdup(zt_test_write(name, text));
	return copy; /* leaked on purpose: lives as long as the test */
}

/* ---- the database -------------------------------------------------------- */

static char *rows(const char *db, const char *sql) { return zt_test_rows(db, "%s", sql); }

static void sql_exec(const char *db, const char *sql) { zt_test_sql(db, "%s", sql); }

/* What an issue can leave behind, as one line. */
static char *advance_state(const char *db)
{
	return rows(db, "SELECT (SELECT count(*) FROM advance) || ' advances, ' ||"
	                " (SELECT count(*) FROM transfer WHERE kind = 'advance') || ' transfers, pool ' ||"
	                " COALESCE((SELECT balance FROM account WHERE name = 'pool:bank'), 0)");
}

static void verify_ok(const char *db)
{
	struct run r = zt(db, "verify");
	cr_assert_eq(r.code, 0, "verify: exit %d\n%s%s", r.code, r.out, r.err);
	cr_assert(strstr(r.out, "OK: 0 violations"), "verify printed:\n%s", r.out);
	run_free(&r);
}

/* First line of a text, copied (the id `plan` prints first). */
static char *first_line(const char *text)
{
	size_t n = strcspn(text, "\n");
	return strndup(text, n);
}

/* The ids `advance issue` prints, one per line: "ID HOSPITAL AMOUNT". */
static int issued_lines(const char *out, char ids[][40], char hosp[][40], char amt[][40], int max)
{
	int n = 0;
	const char *p = out;
	while (*p && n < max) {
		cr_assert_eq(sscanf(p, "%39s %39s %39s", ids[n], hosp[n], amt[n]), 3, "line: %s", p);
		n++;
		p += strcspn(p, "\n");
		if (*p)
			p++;
	}
	return n;
}

/* Appends "fmt" to a growing expected text. */
static void add(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void add(char *buf, size_t cap, const char *fmt, ...)
{
	size_t len = strlen(buf);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + len, cap - len, fmt, ap);
	va_end(ap);
}

static const char *const other_hospitals[] = {"H51010111", "H51010112", "H51010113",
                                              "H51010121", "H51010122", "H51010131",
                                              "H51010201", "H51010211", "H51010231"};

/* ---- pain.001 ---------------------------------------------------------------- */

static bool exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* ==== the top-up rule ======================================================== */

Test(advance_topup, brings_the_balance_up_to_the_target_and_never_below_zero)
{
	zt_fen t;
	cr_assert_eq(zt_advance_topup(&t, 50000, 12000, 0), 0);
	cr_expect_eq(t, 38000);
	cr_assert_eq(zt_advance_topup(&t, 50000, 80000, 0), 0);
	cr_expect_eq(t, 0, "a hospital holding more than its target gets nothing");
	cr_assert_eq(zt_advance_topup(&t, 50000, 50000, 0), 0);
	cr_expect_eq(t, 0);
	cr_assert_eq(zt_advance_topup(&t, 50000, -7000, 0), 0);
	cr_expect_eq(t, 57000, "below zero: target + |balance|");
	cr_assert_eq(zt_advance_topup(&t, 0, -7000, 0), 0);
	cr_expect_eq(t, 7000);
}

Test(advance_topup, small_top_ups_wait_unless_the_hospital_is_below_zero)
{
	zt_fen t;
	cr_assert_eq(zt_advance_topup(&t, 50000, 45000, 10000), 0);
	cr_expect_eq(t, 0, "5000 < min-topup 10000");
	cr_assert_eq(zt_advance_topup(&t, 50000, 40000, 10000), 0);
	cr_expect_eq(t, 10000, "exactly the minimum is paid");
	cr_assert_eq(zt_advance_topup(&t, 0, -1, 10000), 0);
	cr_expect_eq(t, 1, "a hospital advancing money is always paid back");
}

Test(advance_topup, refuses_to_overflow)
{
	zt_fen t = 7;
	cr_expect_eq(zt_advance_topup(&t, INT64_MAX, -1, 0), ZT_ERANGE);
	cr_expect_eq(t, 7);
}

/* ==== plan =================================================================== */

/* A single advance, the only way there is (docs/advances.md): a plan of
 * one line asked for by carol, approved by bob, issued by carol. The plan
 * and the approval must succeed; returns the run of the issue. */
static struct run single_advance(const char *db, const char *cfg, const char *hospital,
                                 const char *amount, const char *out_file)
{
	char *out = zt_ok(db, "advance plan --hospital %s --amount %s --by carol", hospital, amount);
	char *plan = strndup(out, strcspn(out, "\n"));
	free(out);
	free(zt_ok(db, "advance approve %s --by bob", plan));
	struct run r = zt(db, "--config '%s' advance issue --plan %s --by carol --out '%s'", cfg, plan,
	                  out_file);
	free(plan);
	return r;
}

static void single_advance_ok(const char *db, const char *cfg, const char *hospital,
                              const char *amount, const char *out_file)
{
	struct run r = single_advance(db, cfg, hospital, amount, out_file);
	cr_assert_eq(r.code, 0, "single advance: exit %d\n%s%s", r.code, r.out, r.err);
	run_free(&r);
}

/* Settles the worked example at H51010101 and advances 300.00 to
 * H51010103, so that the three bases of the configuration are all used. */
static const char *planned_world(const char *cfg)
{
	const char *db = fresh_db("zt.db");
	settle_worked_example(db);
	single_advance_ok(db, cfg, "H51010103", "300.00", tmp_path("single.xml"));
	return db;
}

/* The latest plan (planned_world's single advance is a plan too). */
#define LAST_PLAN " FROM advance_plan ORDER BY id DESC LIMIT 1"

Test(advance_plan, tops_each_hospital_up_to_its_float_target_to_the_fen)
{
	const char *cfg = write_config("zt.conf", NULL);
	const char *db = planned_world(cfg);
	char *out = zt_ok(db, "--config '%s' advance plan --by alice --format csv", cfg);
	char *plan = strdup(out + strlen("plan_id,hospital,basis,window_earned,target,balance,topup\n"));
	*strchr(plan, ',') = '\0';
	/* H51010101: 30 days of earnings = 9450.00, balance -9450.00, so
	 * 9450.00 + 9450.00; H51010102: fixed 50000.00 from 0; H51010103:
	 * fixed 1000.00 less the 300.00 it holds; the others earned nothing. */
	char want[4000] = "plan_id,hospital,basis,window_earned,target,balance,topup\n";
	add(want, sizeof want, "%s,H51010101,days,9450.00,9450.00,-9450.00,18900.00\n", plan);
	add(want, sizeof want, "%s,H51010102,target,0.00,50000.00,0.00,50000.00\n", plan);
	add(want, sizeof want, "%s,H51010103,target,0.00,1000.00,300.00,700.00\n", plan);
	for (size_t i = 0; i < sizeof other_hospitals / sizeof *other_hospitals; i++)
		add(want, sizeof want, "%s,%s,days,0.00,0.00,0.00,0.00\n", plan, other_hospitals[i]);
	cr_expect_str_eq(out, want);
	cr_expect(strncmp(plan, "PLAN-", 5) == 0 && strlen(plan) <= 35, "plan id %s", plan);

	/* Stored as printed: the text form of `show` has the same lines. */
	char *shown = zt_ok(db, "advance show %s", plan);
	cr_expect(strstr(shown, "total top-up 69600.00 to 3 hospitals"), "%s", shown);
	cr_expect(strstr(shown, "not approved"), "%s", shown);
	char *stored = rows(db, "SELECT total, made_by" LAST_PLAN);
	cr_expect_str_eq(stored, "6960000|alice\n");
	free(stored);
	free(shown);
	free(plan);
	free(out);
	verify_ok(db);
}

Test(advance_plan, text_form_prints_the_plan_id_alone_on_the_first_line)
{
	const char *cfg = write_config("zt.conf", NULL);
	const char *db = planned_world(cfg);
	char *out = zt_ok(db, "--config '%s' advance plan --by alice", cfg);
	char *id = first_line(out);
	char *stored = rows(db, "SELECT plan_id" LAST_PLAN);
	stored[strcspn(stored, "\n")] = '\0';
	cr_expect_str_eq(id, stored);
	cr_expect(strstr(out, "H51010101            days             9450.00          9450.00         "
	                      "-9450.00         18900.00\n"), "%s", out);
	cr_expect(strstr(out, "total top-up 69600.00 to 3 hospitals\n"), "%s", out);
	free(stored);
	free(id);
	free(out);
}

Test(advance_plan, a_top_up_under_the_minimum_waits_unless_the_hospital_is_below_zero)
{
	const char *cfg = write_config("zt.conf", "min-topup = 800.00\n");
	const char *db = planned_world(cfg);
	char *out = zt_ok(db, "--config '%s' advance plan --by alice --format csv", cfg);
	/* H51010103 is short 700.00 < 800.00 and holds money: nothing yet.
	 * H51010101 is below zero: paid whatever the minimum. */
	cr_expect(strstr(out, ",H51010103,target,0.00,1000.00,300.00,0.00\n"), "%s", out);
	cr_expect(strstr(out, ",H51010101,days,9450.00,9450.00,-9450.00,18900.00\n"), "%s", out);
	char *total = rows(db, "SELECT total" LAST_PLAN);
	cr_expect_str_eq(total, "6890000\n");
	free(total);
	free(out);
	verify_ok(db);
}

/* Transfers of H51010101 around a window of 30 days ending 2024-01-31, i.e.
 * 2024-01-02 to 2024-01-31 inclusive, by settlement time (UTC). */
/* Days are the pool's (docs/spec/rules-v2.md §5), Asia/Shanghai unless
 * configured: 16:00:00Z is local midnight, so 2024-01-01T15:59:59Z is the
 * last second of January 1st and 2024-01-01T16:00:00Z the first of the 2nd. */
static void write_dated_transfers(const char *db)
{
	sql_exec(db,
	         "INSERT INTO transfer (debit, credit, amount, kind, ref, at) VALUES"
	         " ('fund:390100', 'hospital:H51010101', 100000, 'settle', 'S-OUT-1', '2024-01-01T15:59:59Z'),"
	         " ('fund:390100', 'hospital:H51010101', 20000, 'settle', 'S-IN-1', '2024-01-01T16:00:00Z'),"
	         " ('hospital:H51010101', 'fund:390100', 5000, 'reverse', 'S-IN-2', '2024-01-15T04:00:00Z'),"
	         " ('fund:610100', 'hospital:H51010101', 3000, 'settle', 'S-IN-3', '2024-01-31T15:59:59Z'),"
	         " ('fund:390100', 'hospital:H51010101', 700, 'settle', 'S-OUT-2', '2024-01-31T16:00:00Z'),"
	         " ('fund:390100', 'hospital:H51010102', 10000, 'settle', 'S-OUT-3', '2023-12-01T00:00:00Z'),"
	         " ('hospital:H51010102', 'fund:390100', 10000, 'reverse', 'S-IN-4', '2024-01-10T00:00:00Z')");
}

Test(advance_plan, the_window_counts_fund_shares_by_settlement_time)
{
	const char *db = fresh_db("zt.db");
	write_dated_transfers(db);
	/* No configuration: target-days defaults to 30. */
	char *out = zt_ok(db, "advance plan --as-of 2024-01-31 --by alice --format csv");
	/* H51010101: in the window 200.00 - 50.00 + 30.00 = 180.00; balance
	 * -(1000.00 + 200.00 - 50.00 + 30.00 + 7.00) = -1187.00; top-up
	 * 180.00 + 1187.00. H51010102: the window holds only a reversal
	 * (-100.00): a float is never negative. */
	cr_expect(strstr(out, ",H51010101,days,180.00,180.00,-1187.00,1367.00\n"), "%s", out);
	cr_expect(strstr(out, ",H51010102,days,-100.00,0.00,0.00,0.00\n"), "%s", out);
	char *win = rows(db, "SELECT as_of, window_from, target_days FROM advance_plan");
	cr_expect_str_eq(win, "20240131|20240102|30\n");
	free(win);
	free(out);
}

Test(advance_plan, target_days_move_the_window_across_months)
{
	const char *db = fresh_db("zt.db");
	write_dated_transfers(db);
	const char *cfg = zt_test_write("days.conf", "[advance]\ntarget-days = 31\n");
	char *out = zt_ok(db, "--config '%s' advance plan --as-of 2024-01-31 --by alice --format csv", cfg);
	/* 31 days reach back to 2024-01-01: the 1000.00 of 23:59:59 local counts. */
	cr_expect(strstr(out, ",H51010101,days,1180.00,1180.00,-1187.00,2367.00\n"), "%s", out);
	free(out);
	char *win = rows(db, "SELECT window_from FROM advance_plan");
	cr_expect_str_eq(win, "20240101\n");
	free(win);
}

Test(advance_plan, the_window_is_made_of_days_of_the_configured_time_zone)
{
	const char *db = fresh_db("zt.db");
	write_dated_transfers(db);
	/* In UTC the window 2024-01-02 to 2024-01-31 holds -50.00 + 30.00 +
	 * 7.00 of H51010101: the 200.00 of 2024-01-01T16:00:00Z is January 1st
	 * there, the 7.00 of 2024-01-31T16:00:00Z still January 31st. */
	const char *cfg = zt_test_write("utc.conf", "[pool]\ntimezone = UTC\n");
	char *out = zt_ok(db, "--config '%s' advance plan --as-of 2024-01-31 --by alice --format csv", cfg);
	cr_expect(strstr(out, ",H51010101,days,-13.00,0.00,-1187.00,1187.00\n"), "%s", out);
	free(out);
	/* New York: 2024-01-31T16:00:00Z is 11:00 on the 31st, 2024-01-01T16:00:00Z 11:00 on the
	 * 1st: the same window as in UTC. */
	cfg = zt_test_write("ny.conf", "[pool]\ntimezone = America/New_York\n");
	out = zt_ok(db, "--config '%s' advance plan --as-of 2024-01-31 --by bob --format csv", cfg);
	cr_expect(strstr(out, ",H51010101,days,-13.00,0.00,-1187.00,1187.00\n"), "%s", out);
	free(out);
}

Test(advance_plan, refuses_a_date_in_the_future_and_an_unknown_hospital_section)
{
	const char *db = fresh_db("zt.db");
	struct run r = zt(db, "advance plan --as-of 2999-01-01 --by alice");
	cr_expect_eq(r.code, 2);
	cr_expect(strstr(r.err, "after today"), "%s", r.err);
	run_free(&r);
	const char *cfg = zt_test_write("typo.conf", "[hospital H5101010X]\ntarget = 10.00\n");
	r = zt(db, "--config '%s' advance plan --by alice", cfg);
	cr_expect_eq(r.code, 2);
	cr_expect(strstr(r.err, "[hospital H5101010X]: no hospital with that code"), "%s", r.err);
	run_free(&r);
	char *n = rows(db, "SELECT count(*) FROM advance_plan");
	cr_expect_str_eq(n, "0\n");
	free(n);
}

/* ==== maker-checker ========================================================== */

static char *make_plan(const char *db, const char *cfg, const char *by)
{
	char *out = zt_ok(db, "--config '%s' advance plan --by %s", cfg, by);
	char *id = first_line(out);
	free(out);
	return id;
}

Test(advance_approve, the_maker_of_a_plan_cannot_approve_it)
{
	const char *cfg = write_config("zt.conf", NULL);
	const char *db = planned_world(cfg);
	char *plan = make_plan(db, cfg, "alice");
	struct run r = zt(db, "advance approve %s --by alice", plan);
	cr_expect_eq(r.code, 2);
	cr_expect(strstr(r.err, "zhitong: conflict: maker-checker: plan"), "%s", r.err);
	cr_expect(strstr(r.err, "made by alice: someone else must approve it"), "%s", r.err);
	run_free(&r);
	char *n = rows(db, "SELECT count(*) FROM advance_approval v JOIN advance_plan p"
	                   " ON p.id = v.plan_row WHERE p.made_by = 'alice'");
	cr_expect_str_eq(n, "0\n");
	free(n);

	char *ok = zt_ok(db, "advance approve %s --by bob", plan);
	char want[200];
	snprintf(want, sizeof want, "%s approved by bob\n", plan);
	cr_expect_str_eq(ok, want);
	free(ok);
	r = zt(db, "advance approve %s --by dave", plan);
	cr_expect_eq(r.code, 2, "a plan is approved once");
	cr_expect(strstr(r.err, "already approved (by bob"), "%s", r.err);
	run_free(&r);
	free(plan);
}

/* Maker-checker is not fooled by spelling (zhitong/actor.h). */
Test(advance_approve, the_maker_cannot_approve_under_another_spelling)
{
	const char *cfg = write_config("zt.conf", NULL);
	const char *db = fresh_db("zt.db");
	settle_worked_example(db);
	char *plan = make_plan(db, cfg, "'  Alice'");
	char *made = rows(db, "SELECT made_by FROM advance_plan");
	cr_expect_str_eq(made, "alice\n", "stored normalised");
	free(made);
	static const char *const alice[] = {
		"alice", "ALICE", "'alice  '", "\"$(printf '\\357\\274\\241\\357\\274\\254ICE')\"",
		"\"$(printf '\\342\\222\\266lice')\"", "\"$(printf '\\341\\264\\254lice')\"",
	};
	for (size_t i = 0; i < sizeof alice / sizeof *alice; i++) {
		struct run r = zt(db, "advance approve %s --by %s", plan, alice[i]);
		cr_expect_eq(r.code, 2, "%s approved alice's plan", alice[i]);
		cr_expect(strstr(r.err, "maker-checker: plan") && strstr(r.err, "was made by alice"),
		          "%s: %s", alice[i], r.err);
		run_free(&r);
	}
	static const char *const hidden[] = {
		"\"$(printf 'al\\342\\200\\214ice')\"",   /* ZERO WIDTH NON-JOINER */
		"\"$(printf 'alice\\342\\200\\217')\"",    /* RIGHT-TO-LEFT MARK */
		"\"$(printf 'ali\\357\\273\\277ce')\"",   /* BOM */
		"\"$(printf 'alice\\357\\270\\217')\"",    /* VARIATION SELECTOR-16 */
		"\"$(printf 'ali\\302\\205ce')\"",          /* NEXT LINE */
		"\"$(printf 'ali\\355\\277\\277ce')\"",   /* a surrogate */
	};
	for (size_t i = 0; i < sizeof hidden / sizeof *hidden; i++) {
		struct run r = zt(db, "advance approve %s --by %s", plan, hidden[i]);
		cr_expect_eq(r.code, 2, "%s approved alice's plan", hidden[i]);
		cr_expect(strstr(r.err, "zhitong: invalid: --by"), "%s: %s", hidden[i], r.err);
		run_free(&r);
	}
	char *n = rows(db, "SELECT count(*) FROM advance_approval");
	cr_expect_str_eq(n, "0\n");
	free(n);
	/* The library normalises too: a caller cannot skip it. */
	struct zt_store *s = NULL;
	cr_assert_eq(zt_store_open(&s, db, NULL), 0, "%s", zt_error_last());
	cr_expect_eq(zt_advance_approve(s, &(struct zt_advance_approve_req){plan, "\uFF21lice "}), ZT_EFOUREYES);
	cr_expect_eq(zt_advance_approve(s, &(struct zt_advance_approve_req){plan, "ali\u200Bce"}), ZT_EINVAL);
	cr_expect_eq(zt_advance_approve(s, &(struct zt_advance_approve_req){plan, " Bob"}), 0, "%s", zt_error_last());
	zt_store_close(s);
	char *who = rows(db, "SELECT approved_by FROM advance_approval");
	cr_expect_str_eq(who, "bob\n");
	free(who);
	free(plan);
	verify_ok(db);
}

Test(advance_issue, refuses_a_plan_nobody_approved)
{
	const char *cfg = write_config("zt.conf", NULL);
	const char *db = planned_world(cfg);
	char *plan = make_plan(db, cfg, "alice");
	char *before = advance_state(db);
	struct run r = zt(db, "--config '%s' advance issue --plan %s --by carol --out '%s'", cfg, plan,
	                  tmp_path("p.xml"));
	cr_expect_eq(r.code, 2);
	cr_expect(strstr(r.err, "is not approved"), "%s", r.err);
	cr_expect(!exists(tmp_path("p.xml")));
	char *after = advance_state(db);
	cr_expect_str_eq(after, before);
	free(before);
	free(after);
	run_free(&r);
	free(plan);
}

/* The old single form paid on a name the issuer typed: every variant of it
 * is refused with the new route, and nothing is paid, whoever is named. */
Test(advance_issue, the_self_declared_approver_form_is_refused_with_the_new_route)
{
	const char *cfg = write_config("zt.conf", NULL);
	const char *db = fresh_db("zt.db");
	static const char *const forms[] = {
		"--hospital H51010101 --amount 10.00 --approved-by bob --by carol",
		"--hospital H51010101 --amount 10.00 --approved-by carol --by carol",
		"--hospital H51010101 --amount 10.00 --by carol",
		"--approved-by bob --by carol",
		"--plan PLAN-20240101-0001 --approved-by bob --by carol",
	};
	for (size_t i = 0; i < sizeof forms / sizeof *forms; i++) {
		struct run r = zt(db, "--config '%s' advance issue %s --out '%s'", cfg, forms[i],
		                  tmp_path("s.xml"));
		cr_expect_eq(r.code, 2, "%s: exit %d", forms[i], r.code);
		cr_expect(strstr(r.err, "zhitong: usage: advance issue pays approved plans only: a single "
		                        "advance is no longer paid on --approved-by; plan it ('zhitong "
		                        "advance plan --hospital H --amount 123.45 --by NAME')"),
		          "%s: %s", forms[i], r.err);
		cr_expect(!exists(tmp_path("s.xml")));
		run_free(&r);
	}
	char *state = advance_state(db);
	cr_expect_str_eq(state, "0 advances, 0 transfers, pool 0\n");
	free(state);
	char *n = rows(db, "SELECT count(*) FROM advance_plan");
	cr_expect_str_eq(n, "0\n");
	free(n);
	/* The library has no such form either: no plan, nothing paid. */
	struct zt_config *c = NULL;
	struct zt_store *s = NULL;
	cr_assert_eq(zt_config_load(&c, cfg), 0, "%s", zt_error_last());
	cr_assert_eq(zt_store_open(&s, db, NULL), 0, "%s", zt_error_last());
	struct zt_advance_issue_req req = {.actor = "carol", .out_path = tmp_path("s.xml")};
	struct zt_advance_issued out;
	cr_expect_eq((req.cfg = c, zt_advance_issue(s, &req, &out)), ZT_EINVAL);
	cr_expect(strstr(zt_error_last(), "a single advance is planned with 'advance plan --hospital H "
	                                  "--amount X'"), "%s", zt_error_last());
	zt_store_close(s);
	zt_config_free(c);
}

/* A single advance is a plan of one line: its maker cannot approve it,
 * however the name is spelt, and it is not paid before another person has. */
Test(advance_issue, a_single_advance_needs_another_person_to_approve_it)
{
	const char *cfg = write_config("zt.conf", NULL);
	const char *db = fresh_db("zt.db");
	char *out = zt_ok(db, "advance plan --hospital H51010101 --amount 10.00 --by carol");
	char *plan = first_line(out);
	cr_expect(strstr(out, "a single advance, asked for by carol at "), "%s", out);
	cr_expect(strstr(out, "H51010101            request                -                - "
	                      "            0.00            10.00\n"), "%s", out);
	cr_expect(strstr(out, "approve with: zhitong advance approve"), "%s", out);
	free(out);
	struct run r = zt(db, "--config '%s' advance issue --plan %s --by carol --out '%s'", cfg, plan,
	                  tmp_path("s.xml"));
	cr_expect_eq(r.code, 2);
	cr_expect(strstr(r.err, "is not approved"), "%s", r.err);
	run_free(&r);
	static const char *const carols[] = {"carol", "Carol", "' CAROL  '", "ＣＡＲＯＬ", "ⓒarol"};
	for (size_t i = 0; i < sizeof carols / sizeof *carols; i++) {
		r = zt(db, "advance approve %s --by %s", plan, carols[i]);
		cr_expect_eq(r.code, 2, "%s approved carol's advance", carols[i]);
		cr_expect(strstr(r.err, "zhitong: conflict: maker-checker: plan"), "%s: %s", carols[i],
		          r.err);
		cr_expect(strstr(r.err, "was made by carol: someone else must approve it"), "%s", r.err);
		run_free(&r);
	}
	char *n = rows(db, "SELECT count(*) FROM advance_approval");
	cr_expect_str_eq(n, "0\n");
	free(n);
	char *state = advance_state(db);
	cr_expect_str_eq(state, "0 advances, 0 transfers, pool 0\n");
	free(state);
	free(zt_ok(db, "advance approve %s --by ' Bob'", plan));
	char *ok = zt_ok(db, "--config '%s' advance issue --plan %s --by carol --out '%s'", cfg, plan,
	                 tmp_path("s.xml"));
	free(ok);
	char *row = rows(db, "SELECT made_by, approved_by, issued_by, amount FROM advance");
	cr_expect_str_eq(row, "carol|bob|carol|1000\n");
	free(row);
	free(plan);
	verify_ok(db);
}

/* ==== issue ================================================================== */

/* Plan by alice, approval by bob, issue by carol; returns the plan id and
 * fills the printed lines. */
static char *issue_plan(const char *db, const char *cfg, const char *out_file, char *stdout_copy,
                        size_t cap)
{
	char *plan = make_plan(db, cfg, "alice");
	free(zt_ok(db, "advance approve %s --by bob", plan));
	char *out = zt_ok(db, "--config '%s' advance issue --plan %s --by carol --out '%s'", cfg, plan,
	                  out_file);
	snprintf(stdout_copy, cap, "%s", out);
	free(out);
	return plan;
}

Test(advance_issue, writes_one_transfer_per_hospital_and_the_balances_are_exact)
{
	const char *cfg = write_config("zt.conf", NULL);
	const char *db = planned_world(cfg);
	char out[2000];
	char *plan = issue_plan(db, cfg, tmp_path("plan.xml"), out, sizeof out);

	char ids[8][40], hosp[8][40], amt[8][40];
	int n = issued_lines(out, ids, hosp, amt, 8);
	cr_assert_eq(n, 3, "%s", out);
	cr_expect_str_eq(hosp[0], "H51010101");
	cr_expect_str_eq(amt[0], "18900.00");
	cr_expect_str_eq(hosp[1], "H51010102");
	cr_expect_str_eq(amt[1], "50000.00");
	cr_expect_str_eq(hosp[2], "H51010103");
	cr_expect_str_eq(amt[2], "700.00");

	/* Each advance: one transfer debit hospital:H, credit pool:bank, kind
	 * advance, ref = the advance id. */
	char *t = rows(db, "SELECT debit, credit, amount, ref FROM transfer WHERE kind = 'advance'"
	                   " ORDER BY id");
	char want[1000];
	char *single = rows(db, "SELECT advance_id FROM advance ORDER BY id LIMIT 1");
	single[strcspn(single, "\n")] = '\0';
	snprintf(want, sizeof want,
	         "hospital:H51010103|pool:bank|30000|%s\n"
	         "hospital:H51010101|pool:bank|1890000|%s\n"
	         "hospital:H51010102|pool:bank|5000000|%s\n"
	         "hospital:H51010103|pool:bank|70000|%s\n",
	         single, ids[0], ids[1], ids[2]);
	cr_expect_str_eq(t, want);
	free(t);
	free(single);

	char *csv = zt_ok(db, "ledger balance --format csv");
	cr_expect(strstr(csv, "\nhospital:H51010101,9450.00\n"), "%s", csv);
	cr_expect(strstr(csv, "\nhospital:H51010102,50000.00\n"), "%s", csv);
	cr_expect(strstr(csv, "\nhospital:H51010103,1000.00\n"), "%s", csv);
	cr_expect(strstr(csv, "\npool:bank,-69900.00\n"), "%s", csv);
	free(csv);

	char *status = zt_ok(db, "advance status --format csv");
	char swant[2000] = "hospital,advanced,earned,balance,advancing_since\n"
	                   "H51010101,18900.00,9450.00,9450.00,\n"
	                   "H51010102,50000.00,0.00,50000.00,\n"
	                   "H51010103,1000.00,0.00,1000.00,\n";
	for (size_t i = 0; i < sizeof other_hospitals / sizeof *other_hospitals; i++)
		add(swant, sizeof swant, "%s,0.00,0.00,0.00,\n", other_hospitals[i]);
	cr_expect_str_eq(status, swant);
	free(status);

	char *shown = zt_ok(db, "advance show %s", plan);
	cr_expect(strstr(shown, "approved by bob at "), "%s", shown);
	cr_expect(strstr(shown, "issued at "), "%s", shown);
	free(shown);
	free(plan);
	verify_ok(db);
}

Test(advance_issue, the_pain001_is_valid_and_counts_and_sums_the_plan)
{
	const char *cfg = write_config("zt.conf", NULL);
	const char *db = planned_world(cfg);
	const char *file = strdup(tmp_path("plan.xml"));
	char out[2000];
	char *plan = issue_plan(db, cfg, file, out, sizeof out);
	char ids[8][40], hosp[8][40], amt[8][40];
	int n = issued_lines(out, ids, hosp, amt, 8);
	cr_assert_eq(n, 3);

	/* Two independent validations: the embedded official XSD through the
	 * engine's hardened reader, and the stock xmllint with schema/. */
	xmlDocPtr doc = zt_test_pain_load(file);
	cr_expect(zt_test_xmllint_valid(PAIN_XSD, file), "xmllint refuses %s", file);

	zt_test_pain_expect(doc, "string(/p:Document/p:CstmrCdtTrfInitn/p:GrpHdr/p:MsgId)", plan);
	zt_test_pain_expect(doc, "string(/p:Document/p:CstmrCdtTrfInitn/p:GrpHdr/p:NbOfTxs)", "3");
	zt_test_pain_expect(doc, "string(/p:Document/p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum)", "69600.00");
	zt_test_pain_expect(doc, "string(//p:PmtInf/p:NbOfTxs)", "3");
	zt_test_pain_expect(doc, "string(//p:PmtInf/p:CtrlSum)", "69600.00");
	zt_test_pain_expect(doc, "string(//p:PmtInf/p:PmtMtd)", "TRF");
	zt_test_pain_expect(doc, "string(//p:PmtInf/p:Dbtr/p:Nm)", "某县健康扶贫资金专户");
	zt_test_pain_expect(doc, "string(//p:PmtInf/p:DbtrAcct/p:Id/p:Othr/p:Id)", "6222020200112233445");
	zt_test_pain_expect(doc, "string(//p:PmtInf/p:DbtrAgt/p:FinInstnId/p:BIC)", "ICBKCNBJSCN");
	/* One CdtTrfTxInf per advance, EndToEndId = the advance id. */
	static const char *const accounts[] = {"4402000000000000001", "4402000000000000002",
	                                       "4402000000000000003"};
	static const char *const names[] = {"xx区人民医院", "County TCM Hospital", "xx区妇幼保健院"};
	for (int i = 0; i < 3; i++) {
		char e[200];
		snprintf(e, sizeof e, "string(//p:CdtTrfTxInf[%d]/p:PmtId/p:EndToEndId)", i + 1);
		zt_test_pain_expect(doc, e, ids[i]);
		snprintf(e, sizeof e, "string(//p:CdtTrfTxInf[%d]/p:Amt/p:InstdAmt)", i + 1);
		zt_test_pain_expect(doc, e, amt[i]);
		snprintf(e, sizeof e, "string(//p:CdtTrfTxInf[%d]/p:Amt/p:InstdAmt/@Ccy)", i + 1);
		zt_test_pain_expect(doc, e, "CNY");
		snprintf(e, sizeof e, "string(//p:CdtTrfTxInf[%d]/p:CdtrAcct/p:Id/p:Othr/p:Id)", i + 1);
		zt_test_pain_expect(doc, e, accounts[i]);
		snprintf(e, sizeof e, "string(//p:CdtTrfTxInf[%d]/p:Cdtr/p:Nm)", i + 1);
		zt_test_pain_expect(doc, e, names[i]);
		cr_expect(strlen(ids[i]) <= 35, "EndToEndId %s", ids[i]);
	}
	/* The sum of what was paid is what the plan says and what the ledger
	 * moved out of pool:bank for it. */
	char *sums = rows(db, "SELECT (SELECT total" LAST_PLAN "), (SELECT SUM(amount) FROM advance"
	                      " WHERE plan_row = (SELECT id" LAST_PLAN "))");
	cr_expect_str_eq(sums, "6960000|6960000\n");
	free(sums);
	xmlFreeDoc(doc);
	free(plan);
}

Test(advance_issue, a_single_advance_is_a_plan_of_one_line_and_its_own_message)
{
	const char *cfg = write_config("zt.conf", NULL);
	const char *db = fresh_db("zt.db");
	const char *file = strdup(tmp_path("one.xml"));
	char *planned = zt_ok(db, "advance plan --hospital H51010102 --amount 123.45 --by carol "
	                          "--format csv");
	char plan[40];
	cr_assert_eq(sscanf(planned, "plan_id,hospital,basis,window_earned,target,balance,topup\n"
	                             "%39[^,]", plan), 1, "%s", planned);
	char want[200];
	snprintf(want, sizeof want, "plan_id,hospital,basis,window_earned,target,balance,topup\n"
	                            "%s,H51010102,request,,,0.00,123.45\n", plan);
	cr_expect_str_eq(planned, want);
	free(planned);
	free(zt_ok(db, "advance approve %s --by bob", plan));
	char *out = zt_ok(db, "--config '%s' advance issue --plan %s --by carol --out '%s' "
	                      "--execution-date 2999-12-31", cfg, plan, file);
	char ids[2][40], hosp[2][40], amt[2][40];
	cr_assert_eq(issued_lines(out, ids, hosp, amt, 2), 1);
	xmlDocPtr doc = zt_test_pain_load(file);
	cr_expect(zt_test_xmllint_valid(PAIN_XSD, file));
	zt_test_pain_expect(doc, "string(//p:GrpHdr/p:MsgId)", plan);
	zt_test_pain_expect(doc, "string(//p:CdtTrfTxInf/p:PmtId/p:EndToEndId)", ids[0]);
	zt_test_pain_expect(doc, "string(//p:GrpHdr/p:CtrlSum)", "123.45");
	zt_test_pain_expect(doc, "string(//p:PmtInf/p:ReqdExctnDt)", "2999-12-31");
	/* No BIC configured for H51010102: the agent is NOTPROVIDED. */
	zt_test_pain_expect(doc, "string(//p:CdtTrfTxInf/p:CdtrAgt/p:FinInstnId/p:Othr/p:Id)", "NOTPROVIDED");
	xmlFreeDoc(doc);
	char *row = rows(db, "SELECT a.hospital, a.amount, a.made_by, a.approved_by, a.issued_by,"
	                     " p.plan_id FROM advance a JOIN advance_plan p ON p.id = a.plan_row");
	snprintf(want, sizeof want, "H51010102|12345|carol|bob|carol|%s\n", plan);
	cr_expect_str_eq(row, want);
	free(row);
	char *shown = zt_ok(db, "advance show %s", plan);
	cr_expect(strstr(shown, "approved by bob at "), "%s", shown);
	cr_expect(strstr(shown, "issued at "), "%s", shown);
	free(shown);
	free(out);
	verify_ok(db);
}

Test(advance_issue, the_default_file_is_named_after_the_message_in_the_current_directory)
{
	const char *cfg = write_config("zt.conf", NULL);
	const char *db = fresh_db("zt.db");
	char *planned = zt_ok(db, "advance plan --hospital H51010101 --amount 1.00 --by carol");
	char *plan = first_line(planned);
	free(planned);
	free(zt_ok(db, "advance approve %s --by bob", plan));
	char cmd[3000];
	snprintf(cmd, sizeof cmd,
	         "cd '%s' && '%s' --db '%s' --config '%s' advance issue --plan %s --by carol "
	         ">id.txt 2>/dev/null",
	         zt_test_tmpdir(), ZT_TEST_ZHITONG, db, cfg, plan);
	cr_assert_eq(system(cmd), 0);
	char *id = zt_test_slurp(tmp_path("id.txt"));
	cr_expect(strncmp(id, "ADV-", 4) == 0, "%s", id);
	char name[200];
	snprintf(name, sizeof name, "advance-%s.xml", plan);
	free(plan);
	cr_expect(exists(tmp_path(name)), "no %s", name);
	cr_expect(zt_test_xmllint_valid(PAIN_XSD, tmp_path(name)));
	free(id);
}

Test(advance_issue, a_plan_is_issued_once)
{
	const char *cfg = write_config("zt.conf", NULL);
	const char *db = planned_world(cfg);
	char out[2000];
	char *plan = issue_plan(db, cfg, tmp_path("first.xml"), out, sizeof out);
	char *before = advance_state(db);
	struct run r = zt(db, "--config '%s' advance issue --plan %s --by carol --out '%s'", cfg, plan,
	                  tmp_path("second.xml"));
	cr_expect_eq(r.code, 2);
	cr_expect(strstr(r.err, "was already issued"), "%s", r.err);
	cr_expect(!exists(tmp_path("second.xml")));
	char *after = advance_state(db);
	cr_expect_str_eq(after, before);
	run_free(&r);
	free(before);
	free(after);
	free(plan);
	verify_ok(db);
}

/* The payment file is published after the commit (advance.h): a crash
 * between the two leaves the advances without their file. Issuing the plan
 * again says so, and with --rewrite writes that file from what was recorded — byte for byte the one the
 * first issue would have published (its creation time is the issue's) —
 * and books nothing; with the file there it is refused as before. */
Test(advance_issue, a_missing_file_of_an_issued_plan_is_written_again_from_the_record)
{
	const char *cfg = write_config("zt.conf", NULL);
	const char *db = planned_world(cfg);
	char out[2000];
	const char *path = strdup(tmp_path("first.xml"));
	char *plan = issue_plan(db, cfg, path, out, sizeof out);
	char *first = zt_test_slurp(path);
	cr_assert(first);
	char *before = advance_state(db);
	cr_assert_eq(unlink(path), 0);
	/* without --rewrite: said, and nothing written (the file may have been
	 * sent and moved away: only a person knows) */
	struct run r = zt(db, "--config '%s' advance issue --plan %s --by dora", cfg, plan);
	cr_expect_eq(r.code, 2);
	cr_expect(strstr(r.err, "is not there: if the issue was interrupted before the file was "
	                        "written, write it again from the record with --rewrite"),
	          "%s", r.err);
	cr_expect(!exists(path));
	run_free(&r);
	/* --out is the recorded path's: the file goes where the record says */
	r = zt(db, "--config '%s' advance issue --plan %s --by dora --out '%s' --rewrite", cfg, plan,
	       tmp_path("elsewhere.xml"));
	cr_expect_eq(r.code, 0, "%s", r.err);
	cr_expect(strstr(r.err, "written again from what was recorded (nothing booked)"), "%s",
	          r.err);
	cr_expect(!exists(tmp_path("elsewhere.xml")));
	char *again = zt_test_slurp(path);
	cr_assert(again, "the file was not written again");
	cr_expect_str_eq(again, first, "the file written again differs from the first");
	cr_expect(zt_test_xmllint_valid(PAIN_XSD, path));
	char *after = advance_state(db);
	cr_expect_str_eq(after, before, "writing the file again booked something");
	run_free(&r);
	/* the file is there: once is once */
	r = zt(db, "--config '%s' advance issue --plan %s --by carol --out '%s'", cfg, plan,
	       tmp_path("second.xml"));
	cr_expect_eq(r.code, 2);
	cr_expect(strstr(r.err, "was already issued"), "%s", r.err);
	run_free(&r);
	free(first);
	free(again);
	free(before);
	free(after);
	free(plan);
	verify_ok(db);
}

Test(advance_issue, a_plan_made_before_another_advance_to_its_hospitals_is_stale)
{
	const char *cfg = write_config("zt.conf", NULL);
	const char *db = planned_world(cfg);
	char *old = make_plan(db, cfg, "alice");
	free(zt_ok(db, "advance approve %s --by bob", old));
	/* Paid in the meantime: the old plan's balance of H51010101 is wrong. */
	single_advance_ok(db, cfg, "H51010101", "5000.00", tmp_path("x.xml"));
	struct run r = zt(db, "--config '%s' advance issue --plan %s --by carol --out '%s'", cfg, old,
	                  tmp_path("old.xml"));
	cr_expect_eq(r.code, 2);
	cr_expect(strstr(r.err, "is stale"), "%s", r.err);
	cr_expect(!exists(tmp_path("old.xml")));
	run_free(&r);
	free(old);
}

Test(advance_issue, refuses_clearly_without_the_pools_or_a_hospitals_account)
{
	const char *db = planned_world(write_config("zt.conf", NULL));
	char *before = advance_state(db);
	const char *nopool = zt_test_write("nopool.conf", "[hospital H51010101]\naccount = 1\n");
	struct run r = single_advance(db, nopool, "H51010101", "1.00", tmp_path("a.xml"));
	cr_expect_eq(r.code, 2);
	cr_expect(strstr(r.err, "[pool] account is not set"), "%s", r.err);
	run_free(&r);
	const char *nohosp = zt_test_write("nohosp.conf", "[pool]\nname = Pool\naccount = 62220202\n");
	r = single_advance(db, nohosp, "H51010101", "1.00", tmp_path("a.xml"));
	cr_expect_eq(r.code, 2);
	cr_expect(strstr(r.err, "no bank account for H51010101"), "%s", r.err);
	run_free(&r);
	/* An unknown hospital is refused when the single advance is planned. */
	r = zt(db, "advance plan --hospital H59999999 --amount 1.00 --by carol");
	cr_expect_eq(r.code, 2);
	cr_expect(strstr(r.err, "hospital 'H59999999' is not in the registry"), "%s", r.err);
	run_free(&r);
	cr_expect(!exists(tmp_path("a.xml")));
	char *after = advance_state(db);
	cr_expect_str_eq(after, before);
	free(before);
	free(after);
}

Test(advance_issue, nothing_is_stored_when_the_file_cannot_be_written)
{
	const char *cfg = write_config("zt.conf", NULL);
	const char *db = planned_world(cfg);
	char *plan = make_plan(db, cfg, "alice");
	free(zt_ok(db, "advance approve %s --by bob", plan));
	char *before = advance_state(db);
	struct run r = zt(db, "--config '%s' advance issue --plan %s --by carol --out '%s'", cfg, plan,
	                  tmp_path("no-such-dir/plan.xml"));
	cr_expect_neq(r.code, 0);
	cr_expect(strstr(r.err, "no-such-dir"), "%s", r.err);
	char *after = advance_state(db);
	cr_expect_str_eq(after, before);
	run_free(&r);
	/* The plan is still there to be paid. */
	char *out = zt_ok(db, "--config '%s' advance issue --plan %s --by carol --out '%s'", cfg, plan,
	                  tmp_path("plan.xml"));
	cr_expect(exists(tmp_path("plan.xml")));
	free(out);
	free(before);
	free(after);
	free(plan);
	verify_ok(db);
}

Test(advance_issue, the_file_is_removed_when_the_commit_fails)
{
	const char *cfg = write_config("zt.conf", NULL);
	const char *db = fresh_db("zt.db");
	/* Fault injection: a deferred foreign key that an advance row breaks
	 * makes the COMMIT itself fail, after the file is written. */
	sql_exec(db, "CREATE TABLE fail_commit (x TEXT REFERENCES hospital (code)"
	             " DEFERRABLE INITIALLY DEFERRED);"
	             "CREATE TRIGGER fail_commit_t AFTER INSERT ON advance BEGIN"
	             " INSERT INTO fail_commit VALUES ('NO-SUCH-HOSPITAL'); END;");
	struct run r = single_advance(db, cfg, "H51010101", "10.00", tmp_path("gone.xml"));
	cr_expect_neq(r.code, 0);
	cr_expect(strstr(r.err, "FOREIGN KEY"), "%s", r.err);
	cr_expect(!exists(tmp_path("gone.xml")), "the payment file of a rolled-back issue stayed");
	char *state = advance_state(db);
	cr_expect_str_eq(state, "0 advances, 0 transfers, pool 0\n");
	free(state);
	run_free(&r);
}

Test(advance_issue, never_overwrites_an_existing_payment_file)
{
	const char *cfg = write_config("zt.conf", NULL);
	const char *db = fresh_db("zt.db");
	const char *file = strdup(zt_test_write("taken.xml", "not yet sent to the bank\n"));
	struct run r = single_advance(db, cfg, "H51010101", "10.00", file);
	cr_expect_eq(r.code, 2);
	cr_expect(strstr(r.err, "already exists"), "%s", r.err);
	char *kept = zt_test_slurp(file);
	cr_expect_str_eq(kept, "not yet sent to the bank\n");
	free(kept);
	char *state = advance_state(db);
	cr_expect_str_eq(state, "0 advances, 0 transfers, pool 0\n");
	free(state);
	run_free(&r);
}

/* ==== status ================================================================= */

Test(advance_status, a_hospital_driven_below_zero_is_still_settled_and_shows_since_when)
{
	const char *db = fresh_db("zt.db");
	/* No advance at all: the claim is settled (the patient is at the desk). */
	struct run r = zt(db, "claim submit '%s'", WORKED_EXAMPLE);
	cr_expect_eq(r.code, 0, "%s", r.err);
	cr_expect(strstr(r.out, "<settlement setl_id=\"S"), "%s", r.out);
	run_free(&r);
	char *at = rows(db, "SELECT at FROM transfer WHERE credit = 'hospital:H51010101' ORDER BY id"
	                    " LIMIT 1");
	at[strcspn(at, "\n")] = '\0';
	char *status = zt_ok(db, "advance status --format csv");
	char want[200];
	snprintf(want, sizeof want, "\nH51010101,0.00,9450.00,-9450.00,%s\n", at);
	cr_expect(strstr(status, want), "want %s in\n%s", want, status);
	cr_expect(strncmp(status, "hospital,advanced,earned,balance,advancing_since\n", 49) == 0);
	free(status);
	char *text = zt_ok(db, "advance status");
	char local[ZT_FMT_BYTES]; /* text shows it in the pool's time zone */
	cr_expect(strstr(text, zt_timestamp_local(local, at)), "%s", text);
	cr_expect(strstr(text, " +08:00\n"), "%s", text);
	free(text);
	free(at);
	verify_ok(db);

	/* An advance that brings it back to zero ends it. */
	single_advance_ok(db, write_config("zt.conf", NULL), "H51010101", "9450.00",
	                  tmp_path("back.xml"));
	status = zt_ok(db, "advance status --format csv");
	cr_expect(strstr(status, "\nH51010101,9450.00,9450.00,0.00,\n"), "%s", status);
	free(status);
	verify_ok(db);
}

Test(advance_status, since_is_the_last_crossing_below_zero_that_lasted)
{
	const char *db = fresh_db("zt.db");
	sql_exec(db,
	         "INSERT INTO transfer (debit, credit, amount, kind, ref, at) VALUES"
	         /* -100.00: below zero from 01-01 */
	         " ('fund:390100', 'hospital:H51010101', 10000, 'settle', 'S1', '2024-01-01T08:00:00Z'),"
	         /* +200.00: back above */
	         " ('hospital:H51010101', 'pool:bank', 30000, 'advance', 'A1', '2024-01-02T08:00:00Z'),"
	         /* +50.00 */
	         " ('fund:390100', 'hospital:H51010101', 15000, 'settle', 'S2', '2024-01-03T08:00:00Z'),"
	         /* -50.00: below again, from 01-04 */
	         " ('fund:610100', 'hospital:H51010101', 10000, 'settle', 'S3', '2024-01-04T08:00:00Z'),"
	         /* -30.00: a reversal, still below */
	         " ('hospital:H51010101', 'fund:390100', 2000, 'reverse', 'S2', '2024-01-05T08:00:00Z'),"
	         /* -40.00 */
	         " ('fund:390100', 'hospital:H51010101', 1000, 'settle', 'S5', '2024-01-06T08:00:00Z'),"
	         /* H51010102: -50.00 then exactly 0: not advancing */
	         " ('fund:390100', 'hospital:H51010102', 5000, 'settle', 'S6', '2024-01-01T08:00:00Z'),"
	         " ('hospital:H51010102', 'pool:bank', 5000, 'advance', 'A2', '2024-01-02T08:00:00Z')");
	char *status = zt_ok(db, "advance status --format csv");
	/* earned = 100 + 150 + 100 - 20 + 10 = 340.00; balance 300 - 340. */
	cr_expect(strstr(status, "\nH51010101,300.00,340.00,-40.00,2024-01-04T08:00:00Z\n"), "%s",
	          status);
	cr_expect(strstr(status, "\nH51010102,50.00,50.00,0.00,\n"), "%s", status);
	free(status);
}

/* ==== verify ================================================================= */

static void expect_violation(const char *db, const char *check, const char *text)
{
	struct run r = zt(db, "verify");
	cr_expect_eq(r.code, 1, "verify should fail:\n%s", r.out);
	char want[300];
	snprintf(want, sizeof want, "VIOLATION  %s: ", check);
	const char *v = strstr(r.out, want);
	cr_expect(v != NULL, "no violation of '%s' in\n%s", check, r.out);
	if (v && text) {
		size_t n = strcspn(v, "\n");
		char *line = strndup(v, n);
		cr_expect(strstr(line, text), "'%s' not in %s", text, line);
		free(line);
	}
	run_free(&r);
}

static const char *issued_world(char ids[][40])
{
	const char *cfg = write_config("zt.conf", NULL);
	const char *db = planned_world(cfg);
	char out[2000];
	char *plan = issue_plan(db, cfg, tmp_path("plan.xml"), out, sizeof out);
	char hosp[8][40], amt[8][40];
	cr_assert_eq(issued_lines(out, ids, hosp, amt, 8), 3);
	free(plan);
	verify_ok(db);
	return db;
}

Test(verify, catches_an_advance_whose_amount_was_changed)
{
	char ids[8][40];
	const char *db = issued_world(ids);
	char sql[600];
	snprintf(sql, sizeof sql,
	         "DROP TRIGGER advance_immutable_u;"
	         " UPDATE advance SET amount = amount + 1 WHERE advance_id = '%s'", ids[0]);
	sql_exec(db, sql);
	char text[200];
	snprintf(text, sizeof text, "advance %s: 1890001 fen to H51010101", ids[0]);
	expect_violation(db, "each advance has exactly one transfer of its amount", text);
	expect_violation(db, "a plan is issued at most once, whole, as approved", "the plan line says");
}

Test(verify, catches_an_advance_transfer_without_an_advance)
{
	char ids[8][40];
	const char *db = issued_world(ids);
	/* Books kept balanced by hand, so only the advance checks can see it. */
	sql_exec(db, "INSERT INTO transfer (debit, credit, amount, kind, ref, at) VALUES"
	             " ('hospital:H51010101', 'pool:bank', 500, 'advance', 'ADV-FORGED',"
	             " '2024-01-01T00:00:00Z');"
	             " UPDATE account SET balance = balance + 500 WHERE name = 'hospital:H51010101';"
	             " UPDATE account SET balance = balance - 500 WHERE name = 'pool:bank';");
	expect_violation(db, "every advance transfer belongs to an advance", "ref ADV-FORGED");
}

Test(verify, catches_a_second_transfer_for_one_advance)
{
	char ids[8][40];
	const char *db = issued_world(ids);
	char sql[600];
	snprintf(sql, sizeof sql,
	         "INSERT INTO transfer (debit, credit, amount, kind, ref, at) VALUES"
	         " ('hospital:H51010102', 'pool:bank', 5000000, 'advance', '%s', '2024-01-01T00:00:00Z');"
	         " UPDATE account SET balance = balance + 5000000 WHERE name = 'hospital:H51010102';"
	         " UPDATE account SET balance = balance - 5000000 WHERE name = 'pool:bank';",
	         ids[1]);
	sql_exec(db, sql);
	char text[200];
	snprintf(text, sizeof text, "advance %s: 5000000 fen to H51010102, but the ledger has 2", ids[1]);
	expect_violation(db, "each advance has exactly one transfer of its amount", text);
}

Test(verify, catches_a_plan_approved_by_its_maker_and_a_negative_line)
{
	char ids[8][40];
	const char *db = issued_world(ids);
	sql_exec(db, "DROP TRIGGER advance_approval_immutable_u;"
	             " UPDATE advance_approval SET approved_by = 'alice';");
	expect_violation(db, "the maker of an advance is not its approver", "approved by its maker alice");
	sql_exec(db, "DROP TRIGGER advance_plan_line_immutable_u;"
	             " UPDATE advance_plan_line SET topup = 1 WHERE hospital = 'H51010111';");
	expect_violation(db, "plan lines are never negative and follow the top-up rule",
	                 "H51010111: target 0, balance 0, top-up 1 fen");
}

/* Migration 005 (schema/sqlite/005-single-advance.sql) moves the plan
 * lines to a table that admits basis 'request': every line of a version-4
 * database survives unchanged, old single advances (no plan) stay, and the
 * lines are as immutable as before. */
Test(advance_store, migrating_a_version_4_file_keeps_every_plan_line_and_admits_single_advances)
{
	const char *db = tmp_path("v4.db");
	struct run r = sh("cat '%s'/schema/sqlite/00[1-4]-*.sql | sqlite3 '%s' && sqlite3 '%s' "
	                  "'PRAGMA user_version = 4'", ZT_TEST_SOURCE_DIR, db, db);
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	sql_exec(db, "INSERT INTO hospital (code, name, level, county) VALUES"
	             " ('H1', 'One', 2, '510101'), ('H2', 'Two', 1, '510101');"
	             "INSERT INTO advance_plan (id, plan_id, as_of, target_days, window_from,"
	             " min_topup, advance_seen, total, made_by, made_at) VALUES"
	             " (1, 'PLAN-20240101-0001', 20240101, 30, 20231203, 0, 0, 700, 'alice',"
	             " '2024-01-01T00:00:00Z');"
	             "INSERT INTO advance_plan_line VALUES (1, 'H1', 'days', 500, 500, 0, 500),"
	             " (1, 'H2', 'target', 0, 200, 0, 200);"
	             "INSERT INTO advance_approval VALUES (1, 'bob', '2024-01-01T01:00:00Z');"
	             "INSERT INTO advance (id, advance_id, hospital, amount, plan_row, msg_id, made_by,"
	             " approved_by, issued_by, issued_at, execution_date, file) VALUES"
	             " (1, 'ADV-20240101-000001', 'H1', 100, NULL, 'ADV-20240101-000001', 'carol',"
	             " 'bob', 'carol', '2024-01-01T02:00:00Z', 20240101, 'a.xml');");
	char *before = rows(db, "SELECT * FROM advance_plan_line ORDER BY plan_row, hospital");
	free(zt_ok(db, "init"));
	char *v = rows(db, "PRAGMA user_version");
	char want[16];
	snprintf(want, sizeof want, "%d\n", ZT_STORE_VERSION);
	cr_expect_str_eq(v, want);
	free(v);
	char *after = rows(db, "SELECT * FROM advance_plan_line ORDER BY plan_row, hospital");
	cr_expect_str_eq(after, before);
	char *old = rows(db, "SELECT advance_id, plan_row IS NULL FROM advance");
	cr_expect_str_eq(old, "ADV-20240101-000001|1\n");
	sqlite3 *h = NULL;
	cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
	cr_expect_neq(sqlite3_exec(h, "UPDATE advance_plan_line SET topup = 1", NULL, NULL, NULL),
	              SQLITE_OK, "plan lines stay immutable");
	cr_expect_neq(sqlite3_exec(h, "DELETE FROM advance_plan_line", NULL, NULL, NULL), SQLITE_OK);
	cr_expect_eq(sqlite3_exec(h, "INSERT INTO advance_plan (id, plan_id, as_of, target_days,"
	                             " window_from, min_topup, advance_seen, total, made_by, made_at)"
	                             " VALUES (2, 'PLAN-20240102-0002', 20240102, 1, 20240102, 0, 1,"
	                             " 300, 'carol', '2024-01-02T00:00:00Z');"
	                             "INSERT INTO advance_plan_line VALUES (2, 'H2', 'request', 0, 0,"
	                             " -50, 300)", NULL, NULL, NULL),
	             SQLITE_OK, "%s", sqlite3_errmsg(h));
	cr_expect_neq(sqlite3_exec(h, "INSERT INTO advance_plan_line VALUES (2, 'H1', 'request', 0,"
	                              " 0, 0, 0)", NULL, NULL, NULL),
	              SQLITE_OK, "a single advance of nothing");
	cr_expect_neq(sqlite3_exec(h, "INSERT INTO advance_plan_line VALUES (2, 'H1', 'request', 0,"
	                              " 10, 0, 5)", NULL, NULL, NULL),
	              SQLITE_OK, "a single advance has no target");
	sqlite3_close(h);
	r = zt(db, "advance show PLAN-20240102-0002 --format csv");
	cr_expect_eq(r.code, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "plan_id,hospital,basis,window_earned,target,balance,topup\n"
	                        "PLAN-20240102-0002,H2,request,,,-0.50,3.00\n");
	run_free(&r);
	free(before);
	free(after);
	free(old);
}

Test(verify, a_single_advance_is_one_line_and_exempt_from_the_top_up_rule)
{
	const char *cfg = write_config("zt.conf", NULL);
	const char *db = fresh_db("zt.db");
	settle_worked_example(db);
	/* H51010101 is 9450.00 below zero: a single advance of 100.00 does not
	 * follow the top-up rule, and need not. */
	single_advance_ok(db, cfg, "H51010101", "100.00", tmp_path("one.xml"));
	verify_ok(db);
	sql_exec(db, "INSERT INTO advance_plan_line (plan_row, hospital, basis, window_earned, target,"
	             " balance, topup) SELECT id, 'H51010102', 'request', 0, 0, 0, 500 FROM advance_plan");
	expect_violation(db, "plan lines are never negative and follow the top-up rule",
	                 "asks a single advance of 10000 fen to H51010101 but has 2 lines");
}

Test(verify, advances_cannot_be_changed_or_deleted)
{
	char ids[8][40];
	const char *db = issued_world(ids);
	sqlite3 *h = NULL;
	cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
	cr_expect_neq(sqlite3_exec(h, "UPDATE advance SET amount = 1", NULL, NULL, NULL), SQLITE_OK);
	cr_expect_neq(sqlite3_exec(h, "DELETE FROM advance", NULL, NULL, NULL), SQLITE_OK);
	cr_expect_neq(sqlite3_exec(h, "DELETE FROM advance_plan_line", NULL, NULL, NULL), SQLITE_OK);
	cr_expect_neq(sqlite3_exec(h, "UPDATE advance_approval SET approved_by = 'x'", NULL, NULL, NULL),
	              SQLITE_OK);
	sqlite3_close(h);
	verify_ok(db);
}

/* ==== the library, as the demo calls it ===================================== */

static int count_status(void *ctx, const struct zt_advance_status *st)
{
	if (strcmp(st->hospital, "H51010101") == 0)
		*(zt_fen *)ctx = st->balance;
	return 0;
}

Test(advance_library, plan_approve_issue_and_status_through_advance_h)
{
	const char *cfg_path = write_config("zt.conf", NULL);
	const char *db = fresh_db("zt.db");
	settle_worked_example(db);
	zt_xml_init();
	struct zt_config *cfg = NULL;
	cr_assert_eq(zt_config_load(&cfg, cfg_path), 0, "%s", zt_error_last());
	struct zt_store *s = NULL;
	cr_assert_eq(zt_store_open(&s, db, NULL), 0, "%s", zt_error_last());

	struct zt_advance_plan p;
	cr_assert_eq(zt_advance_plan(s, &(struct zt_advance_plan_req){.cfg = cfg, .actor = "alice"}, &p), 0, "%s", zt_error_last());
	cr_expect_eq(p.total, 1890000 + 5000000 + 100000);
	cr_expect_eq(zt_advance_approve(s, &(struct zt_advance_approve_req){p.plan_id, "alice"}), ZT_EFOUREYES);
	cr_assert_eq(zt_advance_approve(s, &(struct zt_advance_approve_req){p.plan_id, "bob"}), 0, "%s", zt_error_last());

	struct zt_advance_issue_req req = {.plan_id = p.plan_id, .actor = "carol",
	                                   .out_path = tmp_path("lib.xml")};
	struct zt_advance_issued out;
	cr_assert_eq((req.cfg = cfg, zt_advance_issue(s, &req, &out)), 0, "%s", zt_error_last());
	cr_expect_eq(out.count, 3);
	cr_expect_eq(out.total, p.total);
	cr_expect_str_eq(out.msg_id, p.plan_id);
	struct zt_advance a;
	cr_assert_eq(s->ops->advances.get(s, out.advances[0].advance_id, &a), 0);
	cr_expect_eq(a.amount, 1890000);
	cr_expect_str_eq(a.plan_id, p.plan_id);
	cr_expect_str_eq(a.approved_by, "bob");
	cr_expect_eq(s->ops->advances.get(s, "ADV-NONE", &a), ZT_ENOTFOUND);
	zt_advance_issued_free(&out);
	cr_expect_eq((req.cfg = cfg, zt_advance_issue(s, &req, &out)), ZT_ECONFLICT, "issued twice");

	zt_fen bal = -1;
	cr_assert_eq(zt_advance_status(s, count_status, &bal), 0);
	cr_expect_eq(bal, 945000);
	zt_advance_plan_free(&p);
	zt_store_close(s);
	zt_config_free(cfg);
}
