/* zhitong — the ledger commands (docs/spec/money-flow.md "Ledger"; ledger.h):
 * `ledger balance`, `ledger transfers` in text and CSV, immutability of
 * transfers, and verify's checks that the books balance and that each
 * account's balance equals its transfers.
 *
 * The ledger is filled by settling (and reversing) the worked example of
 * docs/spec/split.md §7 through the command line; where exact times matter,
 * transfers with chosen timestamps are written into it directly, with the
 * cached balances kept in step so that the books stay consistent. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "zhitong/store.h"
#include "zhitong/error.h"
#include "zhitong/ledger.h"

#define REGISTRY ZT_TEST_SOURCE_DIR "/rules/registry-510101.xml"
#define POLICY ZT_TEST_SOURCE_DIR "/rules/sample-510101-2017.xml"
#define WORKED_EXAMPLE ZT_TEST_CASES "/claims/worked-example.xml"




/* zhitong --db DB …, from testutil */
#define zt zt_test_db

#define zt_ok zt_test_db_ok

static const char *fresh_db(void)
{
	static char d[600];
	snprintf(d, sizeof d, "%s", tmp_path("zt.db"));
	free(zt_ok(d, "init"));
	free(zt_ok(d, "registry load '%s'", REGISTRY));
	free(zt_ok(d, "rules load '%s'", POLICY));
	return d;
}

#define rows(db, sql) zt_test_rows(db, "%s", sql)

/* One value of a one-row, one-column query, without its newline. */
static char *value(const char *db, const char *sql)
{
	char *v = rows(db, sql);
	v[strcspn(v, "\n")] = '\0';
	return v;
}

static int sql_try(const char *db, const char *sql)
{
	sqlite3 *h = NULL;
	cr_assert_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK, "open %s", db);
	int rc = sqlite3_exec(h, sql, NULL, NULL, NULL);
	sqlite3_close(h);
	return rc;
}

static void sql_exec(const char *db, const char *sql)
{
	cr_assert_eq(sql_try(db, sql), SQLITE_OK, "%s", sql);
}

/* A transfer at a chosen time, with the cached balances kept in step. */
static void put_transfer(const char *db, const char *debit, const char *credit, long long fen,
                         const char *kind, const char *ref, const char *at)
{
	sqlite3 *h = NULL;
	cr_assert_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_stmt *p = NULL;
	const char *sql[] = {
		"INSERT INTO transfer (debit, credit, amount, kind, ref, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
		"INSERT INTO account (name, balance) VALUES (?1, ?3) ON CONFLICT (name) DO UPDATE"
		" SET balance = balance + ?3",
		"INSERT INTO account (name, balance) VALUES (?2, -?3) ON CONFLICT (name) DO UPDATE"
		" SET balance = balance - ?3",
	};
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(sqlite3_prepare_v2(h, sql[i], -1, &p, NULL), SQLITE_OK, "%s", sqlite3_errmsg(h));
		sqlite3_bind_text(p, 1, debit, -1, SQLITE_STATIC);
		sqlite3_bind_text(p, 2, credit, -1, SQLITE_STATIC);
		sqlite3_bind_int64(p, 3, fen);
		if (i == 0) {
			sqlite3_bind_text(p, 4, kind, -1, SQLITE_STATIC);
			sqlite3_bind_text(p, 5, ref, -1, SQLITE_STATIC);
			sqlite3_bind_text(p, 6, at, -1, SQLITE_STATIC);
		}
		cr_assert_eq(sqlite3_step(p), SQLITE_DONE, "%s", sqlite3_errmsg(h));
		sqlite3_finalize(p);
	}
	sqlite3_close(h);
}

static void verify_ok(const char *db)
{
	struct run r = zt(db, "verify");
	cr_assert_eq(r.code, 0, "verify: exit %d\n%s%s", r.code, r.out, r.err);
	cr_assert(strstr(r.out, "OK: 0 violations"), "verify printed:\n%s", r.out);
	run_free(&r);
}

/* ==== balance ================================================================ */

Test(ledger_balance, lists_every_account_and_the_books_balance)
{
	const char *db = fresh_db();
	free(zt_ok(db, "claim submit '%s'", WORKED_EXAMPLE));
	char *csv = zt_ok(db, "ledger balance --format csv");
	/* docs/spec/split.md §7: the funds owe 8160.00, 1148.00 and 142.00 for the
	 * hospital, which has earned 9450.00 of an advance it never got; the
	 * patient paid 1050.00 at the desk against the claim. */
	cr_expect_str_eq(csv, "account,balance\n"
	                      "claims:H51010101,-1050.00\n"
	                      "fund:390100,8160.00\n"
	                      "fund:610100,1148.00\n"
	                      "fund:610103,142.00\n"
	                      "hospital:H51010101,-9450.00\n"
	                      "patient:H51010101,1050.00\n");
	free(csv);
	char *text = zt_ok(db, "ledger balance");
	cr_expect(strstr(text, "fund:390100                                         8160.00\n"), "%s",
	          text);
	cr_expect(strstr(text, "（全部账户余额合计）                                   0.00\n"), "%s",
	          text);
	free(text);
	verify_ok(db);
}

Test(ledger_balance, one_account_or_not_found_for_a_name_never_used)
{
	const char *db = fresh_db();
	free(zt_ok(db, "claim submit '%s'", WORKED_EXAMPLE));
	char *csv = zt_ok(db, "ledger balance fund:610100 --format csv");
	cr_expect_str_eq(csv, "account,balance\nfund:610100,1148.00\n");
	free(csv);
	struct run r = zt(db, "ledger balance hosptial:H51010101 --format csv");
	cr_expect_eq(r.code, 2);
	cr_expect_str_eq(r.out, "", "nothing on stdout for a refused query");
	cr_expect(strstr(r.err, "zhitong: not-found: account 'hosptial:H51010101'"), "%s", r.err);
	run_free(&r);
}

Test(ledger_balance, an_empty_ledger_has_no_accounts)
{
	const char *db = fresh_db();
	char *csv = zt_ok(db, "ledger balance --format csv");
	cr_expect_str_eq(csv, "account,balance\n");
	free(csv);
}

/* ==== transfers ============================================================== */

Test(ledger_transfers, lists_an_accounts_transfers_with_its_running_balance)
{
	const char *db = fresh_db();
	free(zt_ok(db, "claim submit '%s'", WORKED_EXAMPLE));
	free(zt_ok(db, "claim reverse --hospital H51010101 --claim-no ZY2017-000123 --reason 'wrong ward'"));
	char *at1 = value(db, "SELECT at FROM transfer WHERE ref = 'S000000000001' LIMIT 1");
	char *at2 = value(db, "SELECT at FROM transfer WHERE ref = 'S000000000002' LIMIT 1");
	char *csv = zt_ok(db, "ledger transfers --account hospital:H51010101 --format csv");
	/* A reversal is new transfers the other way, never a change: the
	 * balance goes back to 0 through them. */
	char want[2000];
	snprintf(want, sizeof want,
	         "id,at,debit,credit,amount,kind,ref,balance\n"
	         "1,%s,fund:390100,hospital:H51010101,8160.00,settle,S000000000001,-8160.00\n"
	         "2,%s,fund:610100,hospital:H51010101,1148.00,settle,S000000000001,-9308.00\n"
	         "3,%s,fund:610103,hospital:H51010101,142.00,settle,S000000000001,-9450.00\n"
	         "5,%s,hospital:H51010101,fund:390100,8160.00,reverse,S000000000002,-1290.00\n"
	         "6,%s,hospital:H51010101,fund:610100,1148.00,reverse,S000000000002,-142.00\n"
	         "7,%s,hospital:H51010101,fund:610103,142.00,reverse,S000000000002,0.00\n",
	         at1, at1, at1, at2, at2, at2);
	cr_expect_str_eq(csv, want);
	free(csv);
	char *text = zt_ok(db, "ledger transfers --account hospital:H51010101");
	cr_expect(strstr(text, "共 6 笔转账；余额 0.00 元\n"), "%s", text);
	free(text);
	free(at1);
	free(at2);
	verify_ok(db);
}

Test(ledger_transfers, since_a_day_starts_from_the_balance_before_it)
{
	const char *db = fresh_db();
	/* fund:000000 is no fund of the registry: verify ties a registered
	 * fund's account to its shares, payments and returns, which these
	 * transfers written by hand do not have. */
	put_transfer(db, "fund:000000", "hospital:H51010101", 10000, "settle", "S-A", "2024-03-01T08:00:00Z");
	/* Days are the pool's, Asia/Shanghai unless configured: 16:00:00Z is
	 * local midnight (docs/spec/rules-v2.md §5). */
	put_transfer(db, "hospital:H51010101", "pool:bank", 50000, "advance-test", "A-1", "2024-03-02T15:59:59Z");
	put_transfer(db, "fund:000000", "hospital:H51010101", 2550, "settle", "S-B", "2024-03-02T16:00:00Z");
	put_transfer(db, "fund:000000", "hospital:H51010102", 999, "settle", "S-C", "2024-03-03T01:00:00Z");
	put_transfer(db, "hospital:H51010101", "fund:000000", 10000, "reverse", "S-D", "2024-03-04T10:00:00Z");
	char *csv = zt_ok(db, "ledger transfers --account hospital:H51010101 --since 2024-03-03 --format csv");
	/* Opening on 03-03: -100.00 + 500.00 = 400.00. */
	cr_expect_str_eq(csv, "id,at,debit,credit,amount,kind,ref,balance\n"
	                      "3,2024-03-02T16:00:00Z,fund:000000,hospital:H51010101,25.50,settle,S-B,374.50\n"
	                      "5,2024-03-04T10:00:00Z,hospital:H51010101,fund:000000,100.00,reverse,S-D,474.50\n");
	free(csv);
	char *text = zt_ok(db, "ledger transfers --account hospital:H51010101 --since 2024-03-03");
	const char *head = "hospital:H51010101 自 2024-03-03 起：期初余额 400.00 元\n";
	cr_expect(strncmp(text, head, strlen(head)) == 0,
	          "%s", text);
	cr_expect(strstr(text, "共 2 笔转账；余额 474.50 元\n"), "%s", text);
	/* Text shows when, in the pool's time zone with its offset. */
	cr_expect(strstr(text, " 2024-03-03 00:00:00 +08:00 "), "%s", text);
	free(text);
	/* In UTC the day of 03-03 begins eight hours later: S-B is of 03-02. */
	const char *utc = zt_test_write("utc.conf", "[pool]\ntimezone = UTC\n");
	csv = zt_ok(db, "--config '%s' ledger transfers --account hospital:H51010101 --since 2024-03-03 "
	            "--format csv", utc);
	cr_expect_str_eq(csv, "id,at,debit,credit,amount,kind,ref,balance\n"
	                      "5,2024-03-04T10:00:00Z,hospital:H51010101,fund:000000,100.00,reverse,S-D,474.50\n");
	free(csv);
	text = zt_ok(db, "--config '%s' ledger transfers --account hospital:H51010101 --since 2024-03-03",
	             utc);
	cr_expect(strstr(text, "期初余额 374.50 元\n"), "%s", text);
	cr_expect(strstr(text, " 2024-03-04 10:00:00 +00:00 "), "%s", text);
	free(text);
	/* Ends where `ledger balance` is. */
	char *bal = zt_ok(db, "ledger balance hospital:H51010101 --format csv");
	cr_expect_str_eq(bal, "account,balance\nhospital:H51010101,474.50\n");
	free(bal);
	/* After the last transfer: nothing listed, the opening is the balance. */
	csv = zt_ok(db, "ledger transfers --account hospital:H51010101 --since 2030-01-01");
	cr_expect(strstr(csv, "期初余额 474.50 元\n"), "%s", csv);
	cr_expect(strstr(csv, "共 0 笔转账；余额 474.50 元\n"), "%s", csv);
	free(csv);
	verify_ok(db);
}

Test(ledger_transfers, csv_quotes_what_a_spreadsheet_would_split)
{
	const char *db = fresh_db();
	put_transfer(db, "fund:390100", "hospital:H51010101", 1, "note", "R,1 \"x\"", "2024-03-01T08:00:00Z");
	char *csv = zt_ok(db, "ledger transfers --account fund:390100 --format csv");
	cr_expect_str_eq(csv, "id,at,debit,credit,amount,kind,ref,balance\n"
	                      "1,2024-03-01T08:00:00Z,fund:390100,hospital:H51010101,0.01,note,"
	                      "\"R,1 \"\"x\"\"\",0.01\n");
	free(csv);
}

Test(ledger_transfers, refuses_bad_usage)
{
	const char *db = fresh_db();
	struct run r = zt(db, "ledger transfers");
	cr_expect_eq(r.code, 2);
	run_free(&r);
	r = zt(db, "ledger transfers --account fund:390100 --since 2024-02-30");
	cr_expect_eq(r.code, 2);
	cr_expect(strstr(r.err, "--since"), "%s", r.err);
	run_free(&r);
	r = zt(db, "ledger balance --format xml");
	cr_expect_eq(r.code, 2);
	run_free(&r);
	r = zt(db, "ledger transfers --account no:such");
	cr_expect_eq(r.code, 2);
	cr_expect(strstr(r.err, "not-found"), "%s", r.err);
	run_free(&r);
	r = zt(db, "ledger --help");
	cr_expect_eq(r.code, 0);
	cr_expect(strstr(r.out, "CSV header: id,at,debit,credit,amount,kind,ref,balance"), "%s", r.out);
	run_free(&r);
}

/* ==== immutability and verify =============================================== */

Test(ledger, transfers_cannot_be_changed_only_added_to)
{
	const char *db = fresh_db();
	free(zt_ok(db, "claim submit '%s'", WORKED_EXAMPLE));
	cr_expect_neq(sql_try(db, "UPDATE transfer SET amount = 1 WHERE id = 1"), SQLITE_OK);
	cr_expect_neq(sql_try(db, "DELETE FROM transfer WHERE id = 1"), SQLITE_OK);
	/* Three fund shares and the patient's part: 9450.00 + 1050.00. */
	char *n = value(db, "SELECT count(*) || ' ' || SUM(amount) FROM transfer");
	cr_expect_str_eq(n, "4 1050000");
	free(n);
	verify_ok(db);
}

Test(verify, catches_a_balance_that_is_not_the_sum_of_its_transfers)
{
	const char *db = fresh_db();
	free(zt_ok(db, "claim submit '%s'", WORKED_EXAMPLE));
	verify_ok(db);
	sql_exec(db, "UPDATE account SET balance = balance + 1 WHERE name = 'fund:390100'");
	struct run r = zt(db, "verify");
	cr_expect_eq(r.code, 1);
	cr_expect(strstr(r.out, "VIOLATION  ledger balances: the balances of all accounts sum to 1 fen, not 0"),
	          "%s", r.out);
	cr_expect(strstr(r.out, "VIOLATION  account balances equal their transfers: account fund:390100:"
	                        " balance 816001, transfers sum to 816000"), "%s", r.out);
	run_free(&r);
}

Test(verify, catches_a_transfer_written_behind_the_books_back)
{
	const char *db = fresh_db();
	free(zt_ok(db, "claim submit '%s'", WORKED_EXAMPLE));
	sql_exec(db, "INSERT INTO transfer (debit, credit, amount, kind, ref, at) VALUES"
	             " ('pool:bank', 'hospital:H51010101', 100, 'note', 'X', '2024-01-01T00:00:00Z')");
	struct run r = zt(db, "verify");
	cr_expect_eq(r.code, 1);
	cr_expect(strstr(r.out, "account pool:bank: transfers sum to 100 but it has no balance row"), "%s",
	          r.out);
	cr_expect(strstr(r.out, "account hospital:H51010101: balance -945000, transfers sum to -945100"),
	          "%s", r.out);
	run_free(&r);
}

/* ==== the library ============================================================ */

struct seen {
	int n;
	zt_fen running;
};

static int on_transfer(void *ctx, const struct zt_transfer *t)
{
	struct seen *s = ctx;
	s->n++;
	s->running += zt_transfer_effect(t, "fund:390100");
	return s->n == 2 ? 42 : 0; /* stop after two */
}

Test(ledger_library, walks_stop_when_the_callback_says_so)
{
	const char *db = fresh_db();
	put_transfer(db, "fund:390100", "hospital:H51010101", 100, "settle", "S1", "2024-03-01T08:00:00Z");
	put_transfer(db, "hospital:H51010101", "fund:390100", 30, "reverse", "S2", "2024-03-02T08:00:00Z");
	put_transfer(db, "fund:390100", "hospital:H51010101", 7, "settle", "S3", "2024-03-03T08:00:00Z");
	struct zt_store *s = NULL;
	cr_assert_eq(zt_store_open(&s, db, &(struct zt_store_options){.readonly = true}), 0, "%s", zt_error_last());
	struct seen seen = {0};
	cr_expect_eq(zt_ledger_transfers(s, "fund:390100", 0, on_transfer, &seen), 42);
	cr_expect_eq(seen.n, 2);
	cr_expect_eq(seen.running, 70);
	zt_fen open = -1;
	cr_assert_eq(zt_ledger_opening_balance(s, "fund:390100", 20240303, &open), 0);
	cr_expect_eq(open, 70);
	zt_fen bal = -1;
	cr_assert_eq(zt_ledger_balance(s, "fund:390100", &bal), 0);
	cr_expect_eq(bal, 77);
	cr_expect_eq(zt_ledger_balance(s, "fund:999999", &bal), ZT_ENOTFOUND);
	seen = (struct seen){0};
	cr_expect_eq(s->ops->ledger.scan(s, "hospital:", on_transfer, &seen), 42);
	zt_store_close(s);
}
