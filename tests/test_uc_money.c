/* zhitong — the money use cases called directly (docs/architecture.md "Use
 * cases"): reconciliation (a camt.053 statement given as bytes, imported,
 * matched, resolved, reported as data), advances (plan, approve, issue,
 * list, status) and the ledger (balances, an account's history), each
 * checked to the fen: the books sum to 0, what a statement pays is what
 * the bank booked, a running balance ends at the account's balance. The
 * world is arranged with the command line (tests/testutil); what is under
 * test is the engine's functions. test_reconcile, test_advance and
 * test_ledger keep covering the command line itself. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "zhitong/advance.h"
#include "zhitong/config.h"
#include "zhitong/error.h"
#include "zhitong/ledger.h"
#include "zhitong/recon_render.h"
#include "zhitong/reconcile.h"
#include "zhitong/store.h"

#define REGISTRY ZT_TEST_SOURCE_DIR "/rules/registry-510101.xml"
#define POLICY ZT_TEST_SOURCE_DIR "/rules/sample-510101-2017.xml"
#define WORKED_EXAMPLE ZT_TEST_CASES "/claims/worked-example.xml"
#define B1 "B390100-000001" /* 8160.00 */
#define B2 "B610100-000001" /* 1148.00 */

struct money {
	char db[700], dir[600], today[ZT_FMT_BYTES];
	struct zt_config *cfg;
	struct zt_store *s;
};

/* Two batches sent and accepted by their payers (B1, B2), a pool account
 * and a hospital account configured; the store open for the use cases. */
static void money_world(struct money *m)
{
	memset(m, 0, sizeof *m);
	snprintf(m->dir, sizeof m->dir, "%s", zt_test_tmpdir());
	zt_test_db_target(m->db, sizeof m->db, "zt.db");
	zt_format_date(m->today, zt_date_today());
	char ini[2000], key[700];
	snprintf(key, sizeof key, "%s/k.pem", m->dir);
	snprintf(ini, sizeof ini,
	         "[signing]\nkey = %s\n\n[pool]\nname = 某县健康扶贫资金专户\n"
	         "account = 6222020200112233445\nbic = ICBKCNBJSCN\n\n"
	         "[hospital H51010101]\naccount = 4402000000000000001\n",
	         key);
	const char *cfg_path = zt_test_write("money.ini", ini);
	char cmd[1000];
	snprintf(cmd, sizeof cmd, "openssl genpkey -algorithm ed25519 -out '%s' 2>/dev/null", key);
	cr_assert_eq(system(cmd), 0, "openssl genpkey");
	free(zt_test_ok("--db '%s' init", m->db));
	free(zt_test_ok("--db '%s' registry load '%s'", m->db, REGISTRY));
	free(zt_test_ok("--db '%s' rules load '%s'", m->db, POLICY));
	free(zt_test_ok("--db '%s' claim submit '%s'", m->db, WORKED_EXAMPLE));
	static const char *const funds[] = {"390100", "610100"};
	static const char *const ids[] = {B1, B2};
	for (int i = 0; i < 2; i++) {
		free(zt_test_ok("--db '%s' batch create --fund %s --by alice", m->db, funds[i]));
		free(zt_test_ok("--db '%s' batch approve %s --by bob", m->db, ids[i]));
		free(zt_test_ok("--db '%s' batch export %s --out '%s/%s.xml' --key '%s' --by carol",
		                m->db, ids[i], m->dir, ids[i], key));
		char name[64], ack[300];
		snprintf(name, sizeof name, "%s.ack.xml", ids[i]);
		snprintf(ack, sizeof ack,
		         "<ack xmlns=\"urn:zhitong:payer-ack:1\" batch=\"%s\" status=\"accepted\" "
		         "receipt=\"R-%s\"/>\n", ids[i], ids[i]);
		free(zt_test_ok("--db '%s' batch ack %s '%s' --by carol", m->db, ids[i],
		                zt_test_write(name, ack)));
	}
	cr_assert_eq(zt_config_load(&m->cfg, cfg_path), 0, "%s", zt_error_last());
	cr_assert_eq(zt_store_open(&m->s, m->db, NULL), 0, "%s", zt_error_last());
}

static void money_end(struct money *m)
{
	zt_store_close(m->s);
	zt_config_free(m->cfg);
}

/* A statement of today (camt.053.001.08, testutil) read back as bytes:
 * the use case is given memory, never a path. */
static char *statement_bytes(const struct money *m, const char *name,
                             const struct zt_test_entry *e, size_t n)
{
	char *text = zt_test_slurp(zt_test_camt(name, name, m->today, e, n));
	cr_assert(text != NULL);
	return text;
}

static int import_bytes(struct money *m, const char *text, const char *name,
                        struct zt_recon_import_result *r)
{
	struct zt_buffer_reader at;
	struct zt_source src = zt_source_buffer(&at, text, strlen(text), name);
	struct zt_recon_import_req req = {.cfg = m->cfg, .statement = &src, .actor = "frank"};
	return zt_recon_import(m->s, &req, r);
}

static zt_fen balance_of(struct money *m, const char *account)
{
	zt_fen v = 0;
	cr_assert_eq(zt_ledger_balance(m->s, account, &v), 0, "%s: %s", account, zt_error_last());
	return v;
}

struct sum_rows {
	int64_t rows;
	zt_fen sum;
};

static int add_row(void *ctx, const char *account, zt_fen balance)
{
	struct sum_rows *c = ctx;
	(void)account;
	c->rows++;
	c->sum += balance;
	return 0;
}

static int count_exception(void *ctx, const struct zt_recon_exception *x)
{
	struct sum_rows *c = ctx;
	c->rows++;
	c->sum += x->amount;
	return 0;
}

/* The books balance: every account's balance sums to 0, as the use case
 * and its rows both say. */
static void books_balance(struct money *m)
{
	struct sum_rows c = {0};
	struct zt_ledger_balances_req req = {.row = add_row, .ctx = &c};
	struct zt_ledger_balances_res res;
	cr_assert_eq(zt_ledger_balances(m->s, &req, &res), 0, "%s", zt_error_last());
	cr_expect_gt(res.count, 0);
	cr_expect_eq(res.count, c.rows);
	cr_expect(!res.sum_overflows);
	cr_expect_eq(res.sum, 0, "the books sum to %lld fen", (long long)res.sum);
	cr_expect_eq(c.sum, 0);
}

/* ---- reconciliation ------------------------------------------------------ */

Test(uc_recon, a_statement_given_as_bytes_pays_its_batches_to_the_fen, .timeout = 120)
{
	struct money m;
	money_world(&m);
	zt_fen fund0 = balance_of(&m, "fund:390100");
	struct zt_test_entry e[] = {
		{1, "8160.00", "BANK-UC-1", B1, NULL},
		{1, "1000.00", "BANK-UC-2", NULL, "instalment " B2},
		{1, "5.00", "BANK-UC-3", NULL, "names nothing"},
	};
	char *text = statement_bytes(&m, "S-UC-1", e, 3);
	struct zt_recon_import_result r;
	cr_assert_eq(import_bytes(&m, text, "S-UC-1 (bytes)", &r), 0, "%s", zt_error_last());
	cr_expect_eq(r.version, 8);
	cr_expect_str_eq(r.msg_id, "S-UC-1");
	cr_expect_eq(r.reported, 3);
	cr_expect_eq(r.stored, 3);
	cr_expect_eq(r.matched, 2);
	cr_expect_eq(r.exception_count, 1);
	struct zt_recon_exception x;
	cr_assert_eq(zt_recon_exception_get(m.s, r.exceptions[0], &x), 0, "%s", zt_error_last());
	cr_expect_eq(x.kind, ZT_RECON_UNKNOWN);
	cr_expect_eq(x.amount, 500);
	cr_expect_str_eq(x.entry_ref, "BANK-UC-3");
	cr_expect_str_eq(x.raised_by, "frank");
	/* conservation: the bank grew by what was booked, the funds' debts
	 * shrank by what was matched, suspense holds the rest */
	cr_expect_eq(balance_of(&m, ZT_ACCOUNT_POOL_BANK), 816000 + 100000 + 500);
	cr_expect_eq(balance_of(&m, ZT_ACCOUNT_SUSPENSE), -500);
	cr_expect_eq(balance_of(&m, "fund:390100"), fund0 - 816000);
	books_balance(&m);
	zt_recon_import_result_free(&r);

	/* the same bytes again: every entry known, nothing stored twice */
	cr_assert_eq(import_bytes(&m, text, "S-UC-1 (again)", &r), 0, "%s", zt_error_last());
	cr_expect_eq(r.known, 3);
	cr_expect_eq(r.stored, 0);
	cr_expect_eq(r.exception_count, 0);
	cr_expect_eq(balance_of(&m, ZT_ACCOUNT_POOL_BANK), 916500);
	zt_recon_import_result_free(&r);
	free(text);
	money_end(&m);
}

Test(uc_recon, a_refused_statement_stores_nothing_and_returns_nothing, .timeout = 120)
{
	struct money m;
	money_world(&m);
	static const char *const bad[] = {
		"", "<?xml version=\"1.0\"?><Document/>",
		"<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"b\">]><Document "
		"xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\"/>",
		"<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\"><BkToCstmrStmt>"
		"</BkToCstmrStmt></Document>",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct zt_recon_import_result r;
		int rc = import_bytes(&m, bad[i], "the request body", &r);
		cr_expect_lt(rc, 0, "statement %zu was taken", i);
		cr_expect_eq(r.stored, 0);
		cr_expect_eq(r.exception_count, 0);
		cr_expect_null(r.exceptions);
		cr_expect(strstr(zt_error_last(), "the request body") != NULL, "%zu: %s", i,
		          zt_error_last());
	}
	cr_expect_eq(zt_test_sql_int(m.db, "SELECT count(*) FROM bank_import"), 0);
	cr_expect_eq(zt_test_sql_int(m.db, "SELECT count(*) FROM bank_entry"), 0);
	money_end(&m);
}

Test(uc_recon, a_source_that_reads_once_is_imported_alike, .timeout = 120)
{
	struct money m;
	money_world(&m);
	struct zt_test_entry e[] = {{1, "8160.00", "BANK-UC-P", B1, NULL}};
	char *text = statement_bytes(&m, "S-UC-PIPE", e, 1);
	FILE *f = fmemopen(text, strlen(text), "r");
	cr_assert(f != NULL);
	struct zt_source src = zt_source_file(f, "a pipe");
	src.rewind = NULL; /* as a pipe or a socket: read once, kept aside */
	struct zt_recon_import_req req = {.cfg = m.cfg, .statement = &src, .actor = "frank"};
	struct zt_recon_import_result r;
	cr_assert_eq(zt_recon_import(m.s, &req, &r), 0, "%s", zt_error_last());
	cr_expect_eq(r.matched, 1);
	cr_expect_eq(balance_of(&m, ZT_ACCOUNT_POOL_BANK), 816000);
	/* the digest stored is the statement's, whichever way it was read */
	char *sha = zt_test_rows(m.db, "SELECT file, length(file_sha256) FROM bank_import");
	cr_expect_str_eq(sha, "a pipe|64\n");
	free(sha);
	zt_recon_import_result_free(&r);
	fclose(f);
	free(text);
	money_end(&m);
}

Test(uc_recon, resolve_and_report_as_data, .timeout = 120)
{
	struct money m;
	money_world(&m);
	/* over-paid: 8200.00 for a batch that owes 8160.00 is an exception */
	struct zt_test_entry e[] = {{1, "8200.00", "BANK-UC-OVER", B1, NULL}};
	char *text = statement_bytes(&m, "S-UC-2", e, 1);
	struct zt_recon_import_result r;
	cr_assert_eq(import_bytes(&m, text, "S-UC-2", &r), 0, "%s", zt_error_last());
	cr_assert_eq(r.exception_count, 1);
	char exc[ZT_ID_BYTES];
	snprintf(exc, sizeof exc, "%s", r.exceptions[0]);
	zt_recon_import_result_free(&r);

	/* a decision that does not fit is refused and books nothing */
	struct zt_recon_resolve_req bad = {m.cfg, exc, "ignore", "grace", "no"};
	cr_expect_eq(zt_recon_resolve(m.s, &bad, NULL), ZT_ECONFLICT);
	cr_expect_eq(balance_of(&m, ZT_ACCOUNT_SUSPENSE), -820000);
	struct zt_recon_resolve_req nonote = {m.cfg, exc, "accept", "grace", ""};
	cr_expect_eq(zt_recon_resolve(m.s, &nonote, NULL), ZT_EINVAL);

	struct zt_recon_exception x;
	struct zt_recon_resolve_req req = {m.cfg, exc, "accept", "Grace", "the payer rounded up"};
	cr_assert_eq(zt_recon_resolve(m.s, &req, &x), 0, "%s", zt_error_last());
	cr_expect(x.resolved);
	cr_expect_eq(x.resolution, ZT_RECON_ACCEPT);
	cr_expect_str_eq(x.target, B1);
	cr_expect_str_eq(x.resolved_by, "grace", "the actor is normalised");
	/* allocations sum to the entry: 8160.00 pays the batch, 40.00 is owed back */
	cr_expect_eq(balance_of(&m, ZT_ACCOUNT_SUSPENSE), 0);
	cr_expect_eq(balance_of(&m, ZT_ACCOUNT_REFUND), -4000);
	cr_expect_eq(balance_of(&m, ZT_ACCOUNT_POOL_BANK), 820000);
	books_balance(&m);
	cr_expect_eq(zt_recon_resolve(m.s, &req, NULL), ZT_ECONFLICT, "resolved twice");

	struct zt_recon_report rep;
	struct zt_recon_report_req rr = {.cfg = m.cfg};
	cr_assert_eq(zt_recon_report(m.s, &rr, &rep), 0, "%s", zt_error_last());
	cr_expect_eq(rep.as_of, zt_date_today());
	cr_expect_eq(rep.exception_count, 0, "the open ones only");
	cr_expect_eq(rep.pool_bank, 820000);
	cr_expect_eq(rep.suspense, 0);
	bool seen = false;
	for (size_t i = 0; i < rep.fund_count; i++) {
		const struct zt_recon_fund_line *l = &rep.funds[i];
		if (strcmp(l->fund_code, "390100") != 0)
			continue;
		seen = true;
		cr_expect_eq(l->paid, 816000);
		cr_expect_eq(l->billed, 816000);
		cr_expect_eq(l->outstanding, 0);
	}
	cr_expect(seen, "fund 390100 is in the report");

	/* the render module writes what `reconcile report` prints */
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	zt_recon_render_report_text(f, &rep);
	fclose(f);
	char *cli = zt_test_ok("--db '%s' reconcile report", m.db);
	cr_expect_str_eq(buf, cli);
	free(cli);
	free(buf);
	zt_recon_report_free(&rep);

	/* every exception, resolved ones too, by callback */
	struct zt_recon_exceptions_req all = {.open_only = false}, open = {.open_only = true};
	struct sum_rows c = {0};
	struct zt_recon_exceptions_out o;
	f = open_memstream(&buf, &len);
	zt_recon_exceptions_out_init(&o, f, true, false);
	cr_expect_eq(zt_recon_exceptions(m.s, &all, zt_recon_render_exception_row, &o), 0);
	fclose(f);
	cr_expect(strstr(buf, exc) != NULL && strstr(buf, ",accept," B1 ",") != NULL, "%s", buf);
	free(buf);
	cr_expect_eq(zt_recon_exceptions(m.s, &open, count_exception, &c), 0);
	cr_expect_eq(c.rows, 0);
	free(text);
	money_end(&m);
}

Test(uc_recon, match_refuses_a_day_to_come_and_raises_nothing_early, .timeout = 120)
{
	struct money m;
	money_world(&m);
	struct zt_recon_import_result r;
	struct zt_recon_match_req later = {m.cfg, zt_date_add(zt_date_today(), 1), "frank"};
	cr_expect_eq(zt_recon_match(m.s, &later, &r), ZT_EINVAL);
	cr_expect_eq(r.exception_count, 0);
	struct zt_recon_match_req today = {m.cfg, 0, "frank"};
	cr_assert_eq(zt_recon_match(m.s, &today, &r), 0, "%s", zt_error_last());
	cr_expect_eq(r.exception_count, 0, "nothing is overdue on the day it went out");
	cr_expect_eq(r.rematched, 0);
	zt_recon_import_result_free(&r);
	money_end(&m);
}

/* ---- advances and the ledger ------------------------------------------------ */

struct history {
	int64_t rows;
	zt_fen last;
	zt_fen opening;
	bool began;
};

static int hist_begin(void *ctx, zt_fen opening)
{
	struct history *h = ctx;
	h->began = true;
	h->opening = opening;
	return 0;
}

static int hist_row(void *ctx, const struct zt_transfer *t, zt_fen after)
{
	struct history *h = ctx;
	cr_expect(h->began, "begin comes before the rows");
	cr_expect_gt(t->amount, 0);
	h->rows++;
	h->last = after;
	return 0;
}

static int count_advance(void *ctx, const struct zt_advance *a)
{
	struct sum_rows *c = ctx;
	c->rows++;
	c->sum += a->amount;
	return 0;
}

Test(uc_advance, plan_approve_issue_and_read_the_balances, .timeout = 120)
{
	struct money m;
	money_world(&m);
	zt_fen hosp0 = balance_of(&m, "hospital:H51010101");
	struct zt_advance_plan p;
	struct zt_advance_request_req ask = {.hospital = "H51010101", .amount = 2000000, .actor = "Erin"};
	cr_assert_eq(zt_advance_request(m.s, &ask, &p), 0, "%s", zt_error_last());
	cr_expect_eq(p.total, 2000000);
	cr_expect_eq(p.line_count, 1);
	cr_expect_str_eq(p.made_by, "erin");
	char plan_id[ZT_ID_BYTES];
	snprintf(plan_id, sizeof plan_id, "%s", p.plan_id);
	zt_advance_plan_free(&p);

	/* maker-checker: the maker cannot approve, however the name is written */
	cr_expect_eq(zt_advance_approve(m.s, &(struct zt_advance_approve_req){plan_id, " ERIN "}),
	             ZT_EFOUREYES);
	struct zt_advance_issue_req iss = {.cfg = m.cfg, .plan_id = plan_id, .actor = "erin"};
	char out[800];
	snprintf(out, sizeof out, "%s/adv.xml", m.dir);
	iss.out_path = out;
	struct zt_advance_issued done;
	cr_expect_eq(zt_advance_issue(m.s, &iss, &done), ZT_ECONFLICT, "not approved yet");
	cr_assert_eq(zt_advance_approve(m.s, &(struct zt_advance_approve_req){plan_id, "dora"}), 0,
	             "%s", zt_error_last());
	cr_assert_eq(zt_advance_issue(m.s, &iss, &done), 0, "%s", zt_error_last());
	cr_expect_eq(done.count, 1);
	cr_expect_eq(done.total, 2000000);
	cr_expect_eq(done.advances[0].amount, 2000000);
	zt_advance_issued_free(&done);

	/* the transfer balances: what the hospital got, the bank paid */
	cr_expect_eq(balance_of(&m, "hospital:H51010101"), hosp0 + 2000000);
	cr_expect_eq(balance_of(&m, ZT_ACCOUNT_POOL_BANK), -2000000);
	books_balance(&m);

	struct sum_rows adv = {0};
	cr_expect_eq(zt_advance_list(m.s, count_advance, &adv), 0);
	cr_expect_eq(adv.rows, 1);
	cr_expect_eq(adv.sum, 2000000);

	/* one account's history: its running balance ends at its balance */
	struct history h = {0};
	struct zt_ledger_history_req hr = {"hospital:H51010101", 0, hist_begin, hist_row, &h,
	                                   NULL};
	struct zt_ledger_history_res res;
	cr_assert_eq(zt_ledger_history(m.s, &hr, &res), 0, "%s", zt_error_last());
	cr_expect(h.began);
	cr_expect_eq(res.opening, 0);
	cr_expect_eq(res.count, h.rows);
	cr_expect_eq(res.closing, h.last);
	cr_expect_eq(res.closing, balance_of(&m, "hospital:H51010101"));
	/* from tomorrow: nothing yet, the opening is the balance */
	struct history t = {0};
	struct zt_ledger_history_req tr = {"hospital:H51010101", zt_date_add(zt_date_today(), 1),
	                                   hist_begin, hist_row, &t, NULL};
	cr_assert_eq(zt_ledger_history(m.s, &tr, &res), 0, "%s", zt_error_last());
	cr_expect_eq(res.count, 0);
	cr_expect_eq(res.opening, res.closing);
	cr_expect_eq(res.closing, hosp0 + 2000000);
	money_end(&m);
}

Test(uc_ledger, an_unknown_account_is_not_found_before_any_row, .timeout = 120)
{
	struct money m;
	money_world(&m);
	struct history h = {0};
	struct zt_ledger_history_req hr = {"fund:nope", 0, hist_begin, hist_row, &h, NULL};
	struct zt_ledger_history_res res;
	cr_expect_eq(zt_ledger_history(m.s, &hr, &res), ZT_ENOTFOUND);
	cr_expect(!h.began);
	struct sum_rows c = {0};
	struct zt_ledger_balances_req one = {"fund:nope", NULL, add_row, &c, NULL};
	struct zt_ledger_balances_res br;
	cr_expect_eq(zt_ledger_balances(m.s, &one, &br), ZT_ENOTFOUND);
	cr_expect_eq(c.rows, 0);
	struct zt_ledger_balances_req fund = {"fund:390100", NULL, add_row, &c, NULL};
	cr_assert_eq(zt_ledger_balances(m.s, &fund, &br), 0, "%s", zt_error_last());
	cr_expect_eq(br.count, 1);
	cr_expect_eq(br.sum, balance_of(&m, "fund:390100"));
	money_end(&m);
}
