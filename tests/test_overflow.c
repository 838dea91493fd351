/* zhitong — sums never overflow (issue 7, point 3): every running sum —
 * account balances, a person's yearly totals, batch totals, a statement's
 * money, an advance plan's total — is checked before it is written, in
 * every path, and a value that would overflow is refused with a one-line
 * error naming it and nothing stored; `verify` stays clean, and finds a
 * balance that is not a whole number of fen.
 *
 * The claims here are as large as a claim can be: one item of
 * 99999999999999.99 (the national 16,2), 9,999,999,999,999,999 fen. 922 of
 * them fit in an int64 balance (9,219,999,999,999,999,078 fen), 923 do not.
 * Policies for 2018 and 2019 (county 510101) make every fen of such a claim
 * go to one place: "big" sends it all to basic insurance (fund 390100,
 * ratio 1, no cap), "base" to the critical-illness base of the person's
 * year (nothing paid, the patient pays). */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "zhitong/error.h"
#include "zhitong/ledger.h"
#include "zhitong/money.h"
#include "zhitong/store.h"

#define REGISTRY ZT_TEST_SOURCE_DIR "/rules/registry-510101.xml"
#define MAX_AMOUNT "99999999999999.99"
#define MAX_FEN 9999999999999999LL
#define FIT 922 /* claims of MAX_FEN an int64 balance holds */

static const char big_policy[] =
	"<policy xmlns=\"urn:zhitong:policy:1\" id=\"big-2018\" name=\"all to basic\" county=\"510101\""
	" effective-from=\"2018-01-01\" effective-to=\"2018-12-31\">"
	"<items b-selfpay-ratio=\"0\"/>"
	"<basic fund=\"390100\" annual-cap=\"none\">"
	"<level code=\"1\" deductible=\"0.00\" ratio=\"1\"/><level code=\"2\" deductible=\"0.00\" ratio=\"1\"/>"
	"<level code=\"3\" deductible=\"0.00\" ratio=\"1\"/><level code=\"4\" deductible=\"0.00\" ratio=\"1\"/>"
	"</basic>"
	"<critical fund=\"390200\" threshold=\"0.00\" annual-cap=\"none\" include-preselfpay=\"false\">"
	"<tier ratio=\"0\"/></critical>"
	"<assistance fund=\"610100\"/>"
	"</policy>\n";

static const char base_policy[] =
	"<policy xmlns=\"urn:zhitong:policy:1\" id=\"base-2019\" name=\"all to the base\" county=\"510101\""
	" effective-from=\"2019-01-01\" effective-to=\"2019-12-31\">"
	"<items b-selfpay-ratio=\"0\"/>"
	"<basic fund=\"390100\" annual-cap=\"none\">"
	"<level code=\"1\" deductible=\"0.00\" ratio=\"0\"/><level code=\"2\" deductible=\"0.00\" ratio=\"0\"/>"
	"<level code=\"3\" deductible=\"0.00\" ratio=\"0\"/><level code=\"4\" deductible=\"0.00\" ratio=\"0\"/>"
	"</basic>"
	"<critical fund=\"390200\" threshold=\"0.00\" annual-cap=\"none\" include-preselfpay=\"false\">"
	"<tier ratio=\"0\"/></critical>"
	"<assistance fund=\"610100\"/>"
	"</policy>\n";

static const char *const hospitals[] = {
	"H51010101", "H51010102", "H51010103", "H51010111", "H51010112", "H51010113",
	"H51010121", "H51010122", "H51010131", "H51010201", "H51010211", "H51010231",
};

static char db[700], cfg[700], today[ZT_FMT_BYTES];

/* zhitong --db DB --config CFG ARGS (testutil.h) */
#define zt(...) zt_test_dbc(db, cfg, __VA_ARGS__)

#define ok(...) zt_test_dbc_ok(db, cfg, __VA_ARGS__)

static long long q(const char *sql) { return zt_test_sql_int(db, sql); }

static void verify_clean(void)
{
	struct run r = zt("verify");
	cr_assert_eq(r.code, 0, "verify: exit %d\n%s%s", r.code, r.out, r.err);
	cr_assert(strstr(r.out, "OK: 0 violations"), "%s", r.out);
	run_free(&r);
}

/* No money cache holds anything but an integer. */
static void no_real_money(void)
{
	cr_assert_eq(q("SELECT (SELECT count(*) FROM account WHERE typeof(balance) <> 'integer')"
	               " + (SELECT count(*) FROM accum WHERE typeof(amount) <> 'integer')"
	               " + (SELECT count(*) FROM batch WHERE typeof(total) <> 'integer')"),
	             0);
}

/* A fingerprint of everything stored that money moves. */
static char *stored(void)
{
	return zt_test_rows(db, "%s", "SELECT (SELECT count(*) FROM claim), (SELECT count(*) FROM settlement),"
	                       " (SELECT count(*) FROM transfer), (SELECT group_concat(name || '=' ||"
	                       " balance, ' ') FROM account), (SELECT count(*) FROM accum),"
	                       " (SELECT count(*) FROM batch), (SELECT count(*) FROM batch_share),"
	                       " (SELECT count(*) FROM bank_entry), (SELECT count(*) FROM bank_import),"
	                       " (SELECT count(*) FROM advance_plan), (SELECT count(*) FROM audit)");
}

static void world(const char *config_extra)
{
	const char *dir = zt_test_tmpdir();
	snprintf(db, sizeof db, "%s/zt.db", dir);
	char text[1200];
	snprintf(text, sizeof text,
	         "[pool]\nname = 某县健康扶贫资金专户\naccount = 6222020200112233445\n%s",
	         config_extra ? config_extra : "");
	snprintf(cfg, sizeof cfg, "%s", zt_test_write("zhitong.ini", text));
	zt_format_date(today, zt_date_today());
	free(ok("init"));
	free(ok("registry load '%s'", REGISTRY));
	free(ok("rules load '%s'", zt_test_write("big.xml", big_policy)));
	free(ok("rules load '%s'", zt_test_write("base.xml", base_policy)));
}

/* n claims of the largest amount, numbered PREFIX-0001…, discharged in
 * `year`, at the hospitals given (round robin), for the people P0000001…
 * P0000024 (round robin) or for `person`. */
static const char *claims(const char *name, const char *prefix, int n, int year,
                          const char *const *hosp, int nh, const char *person)
{
	size_t cap = (size_t)n * 800 + 200, len = 0;
	char *x = malloc(cap);
	cr_assert(x);
	len += (size_t)snprintf(x, cap, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	                                "<claims xmlns=\"urn:zhitong:claim:1\">\n");
	for (int i = 0; i < n; i++) {
		char psn[16];
		snprintf(psn, sizeof psn, "P%07d", i % 24 + 1);
		len += (size_t)snprintf(
			x + len, cap - len,
			"<claim><fixmedins_code>%s</fixmedins_code><claim_no>%s-%04d</claim_no>"
			"<psn_no>%s</psn_no><adm_date>%d-03-01</adm_date><dscg_date>%d-03-10</dscg_date>"
			"<dscg_maindiag_code>I63.900</dscg_maindiag_code><medfee_sumamt>" MAX_AMOUNT
			"</medfee_sumamt><items><item><feedetl_sn>1</feedetl_sn>"
			"<med_list_codg>001201000010000-120100001</med_list_codg>"
			"<med_chrgitm_type>05</med_chrgitm_type><chrgitm_lv>01</chrgitm_lv>"
			"<pric>" MAX_AMOUNT "</pric><cnt>1</cnt><det_item_fee_sumamt>" MAX_AMOUNT
			"</det_item_fee_sumamt></item></items></claim>\n",
			hosp[i % nh], prefix, i + 1, person ? person : psn, year, year);
		cr_assert(len < cap);
	}
	len += (size_t)snprintf(x + len, cap - len, "</claims>\n");
	const char *path = zt_test_write(name, x);
	free(x);
	return path;
}

/* One transaction (--chunk 0): a file refused whole when a claim would
 * overflow. Chunked (the default, issue 11 §4), the chunks before that
 * claim stay committed and the message says so. */
static struct run submit(const char *path) { return zt("claim submit --chunk 0 '%s'", path); }

static void submit_ok(const char *path)
{
	struct run r = submit(path);
	cr_assert_eq(r.code, 0, "claim submit: exit %d\n%s", r.code, r.err);
	run_free(&r);
}

/* A refusal: exit 2, one line naming what would overflow, nothing stored. */
static void refused(struct run *r, const char *before, const char *what)
{
	cr_assert_eq(r->code, 2, "exit %d\n%s%s", r->code, r->err, r->out);
	cr_assert(strstr(r->err, "zhitong: invalid: ") == r->err, "%s", r->err);
	cr_assert(strstr(r->err, "would overflow"), "%s", r->err);
	cr_assert(strstr(r->err, what), "expected '%s' in: %s", what, r->err);
	cr_assert_eq(strchr(r->err, '\n'), r->err + strlen(r->err) - 1, "one line: %s", r->err);
	char *after = stored();
	cr_assert_str_eq(after, before, "something was stored");
	free(after);
	run_free(r);
	no_real_money();
	verify_clean();
}

/* ---- ledger balances ------------------------------------------------------------ */

TestSuite(overflow_ledger, .timeout = 300);

Test(overflow_ledger, two_files_of_the_largest_claims_for_one_hospital)
{
	world(NULL);
	const char *h[] = {"H51010101"};
	submit_ok(claims("a.xml", "A", 500, 2018, h, 1, NULL));
	cr_assert_eq(q("SELECT balance FROM account WHERE name = 'hospital:H51010101'"),
	             -500 * MAX_FEN);
	/* the second file would take fund:390100 and hospital:H51010101 past
	 * int64: refused whole, where SQLite's + would have stored a REAL */
	char *before = stored();
	struct run r = submit(claims("b.xml", "B", 500, 2018, h, 1, NULL));
	cr_assert(strstr(r.err, "claim 'B-0423' of 'H51010101': ledger: the balance of account "),
	          "%s", r.err);
	refused(&r, before, "fund:390100");
	free(before);
	/* up to the last fen that fits, and not one claim more */
	submit_ok(claims("c.xml", "C", FIT - 500, 2018, h, 1, NULL));
	cr_assert_eq(q("SELECT balance FROM account WHERE name = 'fund:390100'"), FIT * MAX_FEN);
	before = stored();
	r = submit(claims("d.xml", "D", 1, 2018, h, 1, NULL));
	refused(&r, before, "would overflow");
	free(before);
}

Test(overflow_ledger, one_file_past_the_limit_is_refused_whole)
{
	world(NULL);
	const char *h[] = {"H51010101", "H51010102"};
	char *before = stored();
	/* spread over two hospitals: the fund's account is the one that overflows */
	struct run r = submit(claims("a.xml", "A", FIT + 1, 2018, h, 2, NULL));
	refused(&r, before, "'fund:390100' would overflow");
	free(before);
	cr_assert_eq(q("SELECT count(*) FROM claim"), 0);
}

Test(overflow_ledger, a_transfer_that_would_overflow_either_balance_is_refused)
{
	world(NULL);
	struct zt_store *s;
	cr_assert_eq(zt_store_open(&s, db, NULL), 0, "%s", zt_error_last());
	cr_assert_eq(s->ops->begin(s, ZT_TXN_WRITE), 0);
	cr_assert_eq(s->ops->ledger.post(s, &(struct zt_posting){"test:x", "test:y", INT64_MAX, "test", "T-1"}, 0), 0);
	/* x is at the top: one fen more, in this transaction, is refused */
	cr_assert_eq(s->ops->ledger.post(s, &(struct zt_posting){"test:x", "test:z", 1, "test", "T-2"}, 0), ZT_ERANGE);
	cr_assert(strstr(zt_error_last(), "'test:x' would overflow"), "%s", zt_error_last());
	/* y may reach the bottom, INT64_MIN, and not one fen below */
	cr_assert_eq(s->ops->ledger.post(s, &(struct zt_posting){"test:z", "test:y", 1, "test", "T-3"}, 0), 0);
	cr_assert_eq(s->ops->ledger.post(s, &(struct zt_posting){"test:z", "test:y", 1, "test", "T-4"}, 0), ZT_ERANGE);
	cr_assert(strstr(zt_error_last(), "'test:y' would overflow"), "%s", zt_error_last());
	zt_fen b;
	cr_assert_eq(zt_ledger_balance(s, "test:y", &b), 0);
	cr_assert_eq(b, INT64_MIN);
	cr_assert_eq(s->ops->commit(s), 0);
	/* a later transaction starts from the stored balances */
	cr_assert_eq(s->ops->begin(s, ZT_TXN_WRITE), 0);
	cr_assert_eq(s->ops->ledger.post(s, &(struct zt_posting){"test:x", "test:w", 1, "test", "T-5"}, 0), ZT_ERANGE);
	cr_assert_eq(s->ops->ledger.post(s, &(struct zt_posting){"test:w", "test:x", INT64_MAX, "test", "T-6"}, 0), 0);
	cr_assert_eq(s->ops->commit(s), 0);
	zt_store_close(s);
	cr_assert_eq(q("SELECT count(*) FROM transfer"), 3, "the refused transfers are not stored");
	char *bal = zt_test_rows(db, "%s", "SELECT name, balance, typeof(balance) FROM account ORDER BY name");
	cr_assert_str_eq(bal, "test:w|9223372036854775807|integer\n"
	                      "test:x|0|integer\n"
	                      "test:y|-9223372036854775808|integer\n"
	                      "test:z|1|integer\n");
	free(bal);
	/* the ledger commands show the extremes exactly */
	char *out = ok("ledger balance test:y --format csv");
	cr_assert_str_eq(out, "account,balance\ntest:y,-92233720368547758.08\n");
	free(out);
	out = ok("ledger transfers --account test:x --since 2000-01-01 --format csv");
	cr_assert(strstr(out, ",test:x,test:y,92233720368547758.07,test,T-1,92233720368547758.07\n"),
	          "%s", out);
	cr_assert(strstr(out, ",test:w,test:x,92233720368547758.07,test,T-6,0.00\n"), "%s", out);
	free(out);
	/* verify sums balances far beyond int64 without overflowing */
	verify_clean();
}

Test(overflow_ledger, verify_finds_a_balance_that_is_not_whole_fen)
{
	world(NULL);
	const char *h[] = {"H51010101"};
	submit_ok(claims("a.xml", "A", 2, 2018, h, 1, NULL));
	/* what SQLite's + did to a balance before: the database's own guard
	 * refuses it, so the tamperer removes the guard first */
	struct run r = sh("sqlite3 '%s' \"UPDATE account SET balance = balance + 9.3e18 WHERE name = "
	                  "'fund:390100'\"", db);
	cr_assert_neq(r.code, 0, "the guard let a REAL in");
	cr_assert(strstr(r.err, "out of range"), "%s", r.err);
	run_free(&r);
	r = sh("sqlite3 '%s' \"DROP TRIGGER account_balance_integer_u; UPDATE account SET balance = "
	       "balance + 9.3e18 WHERE name = 'fund:390100'\"", db);
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	r = zt("verify");
	cr_assert_eq(r.code, 1, "%s%s", r.out, r.err);
	cr_assert(strstr(r.out, "VIOLATION  money is stored as whole fen: account fund:390100: "
	                        "balance 9.3"),
	          "%s", r.out);
	run_free(&r);
	/* and the next transfer on it is refused rather than made on a guess */
	r = submit(claims("b.xml", "B", 1, 2018, h, 1, NULL));
	cr_assert_neq(r.code, 0);
	cr_assert(strstr(r.err, "not a whole number of fen"), "%s", r.err);
	run_free(&r);
}

/* ---- a person's yearly totals ------------------------------------------------------ */

TestSuite(overflow_accumulators, .timeout = 300);

Test(overflow_accumulators, many_claims_for_one_person_overflow_a_yearly_total)
{
	world(NULL);
	/* 923 claims of one person in 2019 at twelve hospitals: the
	 * critical-illness base of the year passes int64 at the last one,
	 * while no ledger account comes near (77 claims a hospital) */
	struct run r = submit(claims("a.xml", "A", FIT + 1, 2019, hospitals, 12, "P0000002"));
	cr_assert_eq(r.code, 1, "exit %d\n%s", r.code, r.err);
	char want[300];
	snprintf(want, sizeof want, "claim_no=\"A-%04d\" code=\"amount-mismatch\">the person's yearly "
	                            "critical-illness base would overflow</rejection>", FIT + 1);
	cr_assert(strstr(r.out, want), "%s", r.out);
	run_free(&r);
	cr_assert_eq(q("SELECT count(*) FROM settlement"), FIT);
	cr_assert_eq(q("SELECT count(*) FROM claim WHERE claim_no = 'A-0923'"), 0);
	cr_assert_eq(q("SELECT amount FROM accum WHERE psn_no = 'P0000002' AND year = 2019 AND "
	               "slot = 'crit_base'"),
	             FIT * MAX_FEN);
	no_real_money();
	verify_clean();
	/* another year starts again from zero */
	submit_ok(claims("b.xml", "B", 1, 2018, hospitals, 1, "P0000002"));
	verify_clean();
}

/* ---- batch totals ------------------------------------------------------------------- */

TestSuite(overflow_batches, .timeout = 300);

static void key(void)
{
	struct run r = sh("openssl genpkey -algorithm ed25519 -out '%s/k.pem'", zt_test_tmpdir());
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
}

/* create, approve, export and the payer's acceptance */
static void billed(const char *id)
{
	free(ok("batch approve %s --by bob", id));
	free(ok("batch export %s --out '%s/%s.xml' --key '%s/k.pem' --by carol", id,
	        zt_test_tmpdir(), id, zt_test_tmpdir()));
	char ack[300];
	snprintf(ack, sizeof ack, "<ack xmlns=\"urn:zhitong:payer-ack:1\" batch=\"%s\" "
	                          "status=\"accepted\" receipt=\"R-%s\"/>", id, id);
	free(ok("batch ack %s '%s' --by carol", id, zt_test_write("ack.xml", ack)));
}

static char *create(void)
{
	char *id = ok("batch create --fund 390100 --by alice");
	id[strcspn(id, "\n")] = '\0';
	cr_assert(id[0], "nothing to batch");
	return id;
}

/* A statement paying batch `id` in n instalments of the largest amount. */
static void pay_in(const char *id, int n, const char *name)
{
	struct zt_test_entry *e = calloc((size_t)n, sizeof *e);
	char(*refs)[32] = calloc((size_t)n, sizeof *refs);
	for (int i = 0; i < n; i++) {
		snprintf(refs[i], sizeof refs[i], "%s-%04d", name, i + 1);
		e[i] = (struct zt_test_entry){1, MAX_AMOUNT, refs[i], NULL, id};
	}
	free(ok("reconcile import '%s' --by frank", zt_test_camt(name, name, today, e, (size_t)n)));
	free(refs);
	free(e);
}

Test(overflow_batches, a_batch_whose_total_would_overflow_is_not_made)
{
	world(NULL);
	key();
	/* three claims billed, paid, then reversed and billed negative: the
	 * fund's account is -3 claims, and 923 new claims bring it to 920 */
	const char *h1[] = {"H51010101"};
	submit_ok(claims("a.xml", "A", 3, 2018, h1, 1, NULL));
	char *b1 = create();
	billed(b1);
	pay_in(b1, 3, "PAY");
	for (int i = 1; i <= 3; i++)
		free(ok("claim reverse --hospital H51010101 --claim-no A-%04d --reason test --by desk", i));
	char *b2 = create();
	billed(b2);
	cr_assert_eq(q("SELECT total FROM batch WHERE id = 'B390100-000002'"), -3 * MAX_FEN);
	const char *h2[] = {"H51010102", "H51010103"};
	submit_ok(claims("b.xml", "B", FIT + 1, 2018, h2, 2, NULL));
	cr_assert_eq(q("SELECT balance FROM account WHERE name = 'fund:390100'"), (FIT - 2) * MAX_FEN);
	/* ... but what those 923 shares bill, together, does not fit */
	char *before = stored();
	struct run r = zt("batch create --fund 390100 --by alice");
	refused(&r, before, "batch 'B390100-000003': the total of the 923 shares of fund 390100");
	free(before);
	free(b1);
	free(b2);
}

/* ---- statements ---------------------------------------------------------------------- */

TestSuite(overflow_statements, .timeout = 300);

static const char *credits(const char *name, int n)
{
	struct zt_test_entry *e = calloc((size_t)n, sizeof *e);
	char(*refs)[32] = calloc((size_t)n, sizeof *refs);
	for (int i = 0; i < n; i++) {
		snprintf(refs[i], sizeof refs[i], "%s-%04d", name, i + 1);
		e[i] = (struct zt_test_entry){1, MAX_AMOUNT, refs[i], NULL, "donation"};
	}
	const char *path = zt_test_camt(name, name, today, e, (size_t)n);
	free(refs);
	free(e);
	return path;
}

Test(overflow_statements, money_the_bank_books_past_the_limit_stores_nothing)
{
	world(NULL);
	/* one statement past the limit */
	char *before = stored();
	struct run r = zt("reconcile import '%s' --by frank", credits("S1", FIT + 1));
	refused(&r, before, "'pool:bank' would overflow");
	free(before);
	/* two statements: the first is kept (its credits are exceptions, held
	 * in suspense), the second refused whole */
	r = zt("reconcile import '%s' --by frank", credits("S2", 500));
	cr_assert_eq(r.code, 1, "%s", r.err);
	run_free(&r);
	cr_assert_eq(q("SELECT balance FROM account WHERE name = 'pool:bank'"), 500 * MAX_FEN);
	before = stored();
	r = zt("reconcile import '%s' --by frank", credits("S3", 500));
	refused(&r, before, "'pool:bank' would overflow");
	free(before);
}

/* ---- advance plans ------------------------------------------------------------------ */

TestSuite(overflow_advances, .timeout = 300);

Test(overflow_advances, a_plan_whose_total_would_overflow_is_not_made)
{
	/* two hospitals each owed 500 of the largest claims, with a target of
	 * 0.00: each top-up fits, their total does not */
	world("[hospital H51010101]\ntarget = 0.00\n[hospital H51010102]\ntarget = 0.00\n");
	key();
	const char *h1[] = {"H51010101"}, *h2[] = {"H51010102"};
	submit_ok(claims("a.xml", "A", 500, 2018, h1, 1, NULL));
	char *b1 = create();
	billed(b1);
	pay_in(b1, 500, "PAY"); /* the fund's account back to 0 */
	submit_ok(claims("b.xml", "B", 500, 2018, h2, 1, NULL));
	cr_assert_eq(q("SELECT balance FROM account WHERE name = 'hospital:H51010102'"), -500 * MAX_FEN);
	char *before = stored();
	struct run r = zt("advance plan --by alice");
	refused(&r, before, "advance plan: the total of the top-ups would overflow at hospital "
	                    "H51010102");
	free(before);
	free(b1);
}
