/* zhitong — several pools in one database (issue 13 §2): the configuration's
 * [pool P] sections (and the single [pool] of before, the pool "default"),
 * a settlement's pool by its hospital's county, batches that take only
 * their pool's shares, advance plans and their payment file per pool, a
 * user's scope naming pools — in the engine and over the service, where a
 * user of pool A is refused (404) pool B's batches and plans. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "api.h"
#include "httputil.h"
#include "testutil.h"
#include "zhitong/advance.h"
#include "zhitong/batch.h"
#include "zhitong/config.h"
#include "zhitong/date.h"
#include "zhitong/error.h"
#include "zhitong/json.h"
#include "zhitong/ledger.h"
#include "zhitong/claims.h"
#include "zhitong/verify.h"
#include "zhitong/money.h"
#include "zhitong/pools.h"
#include "zhitong/settle.h"
#include "zhitong/store.h"
#include "zhitong/users.h"

#define FUND "390100"
#define ACCT_A "6222000000000000001"
#define ACCT_B "6222000000000000002"

/* Pool A serves county 510101 (H51010101 …), pool B county 510102
 * (H51010201 …) of the sample registry. */
static const char two_pools[] =
	"[pool A]\n"
	"name = 甲县健康扶贫资金专户\n"
	"account = " ACCT_A "\n"
	"counties = 510101\n"
	"\n"
	"[pool B]\n"
	"name = 乙县健康扶贫资金专户\n"
	"account = " ACCT_B "\n"
	"counties = 510102, 510199\n"
	"\n"
	"[hospital H51010101]\n"
	"account = 4402000000000000001\n"
	"[hospital H51010201]\n"
	"account = 4402000000000000002\n"
	"[hospital H51010211]\n"
	"account = 4402000000000000003\n"
	"[hospital H51010231]\n"
	"account = 4402000000000000004\n";

static struct zt_config *parse(const char *text)
{
	struct zt_config *c = NULL;
	cr_assert_eq(zt_config_parse(&c, "pools.ini", text, strlen(text)), 0, "%s", zt_error_last());
	return c;
}

static void refused(const char *text, const char *words)
{
	struct zt_config *c = NULL;
	cr_assert_eq(zt_config_parse(&c, "pools.ini", text, strlen(text)), ZT_EINVAL,
	             "accepted:\n%s", text);
	cr_expect(strstr(zt_error_last(), words), "'%s' not in '%s'", words, zt_error_last());
	cr_expect(strstr(zt_error_last(), "pools.ini:"), "no file:line in '%s'", zt_error_last());
}

/* ---- the configuration ----------------------------------------------------------- */

Test(pools_config, named_pools_are_read_with_their_counties)
{
	struct zt_config *c = parse(two_pools);
	cr_assert_eq(zt_config_pool_count(c), 2);
	cr_expect_str_eq(zt_config_pool_id(c, 0), "A");
	cr_expect_str_eq(zt_config_pool_id(c, 1), "B");
	cr_expect_str_eq(zt_config_pool_get(c, "B", "account"), ACCT_B);
	cr_expect_str_eq(zt_config_pool_section(c, "A"), "pool A");
	cr_expect_null(zt_config_pool_section(c, "C"));
	cr_expect_str_eq(zt_config_pool_of_county(c, "510101"), "A");
	cr_expect_str_eq(zt_config_pool_of_county(c, "510102"), "B");
	cr_expect_str_eq(zt_config_pool_of_county(c, "510199"), "B");
	cr_expect_null(zt_config_pool_of_county(c, "510104"));
	cr_expect_str_eq(zt_config_pool_of_account(c, ACCT_B), "B");
	cr_expect_null(zt_config_pool_of_account(c, "1"));
	const char *id = NULL;
	cr_expect_eq(zt_config_pool_pick(c, NULL, &id), ZT_EINVAL);
	cr_expect(strstr(zt_error_last(), "--pool"), "%s", zt_error_last());
	cr_expect(strstr(zt_error_last(), "A, B"), "%s", zt_error_last());
	cr_expect_eq(zt_config_pool_pick(c, "C", &id), ZT_EINVAL);
	cr_assert_eq(zt_config_pool_pick(c, "B", &id), 0);
	cr_expect_str_eq(id, "B");
	zt_config_free(c);
}

Test(pools_config, the_single_pool_of_before_is_the_default_pool_of_every_county)
{
	struct zt_config *c = parse("[pool]\nname = 某县\naccount = 1\n");
	const char *id = NULL;
	cr_assert_eq(zt_config_pool_count(c), 1);
	cr_assert_eq(zt_config_pool_pick(c, NULL, &id), 0);
	cr_expect_str_eq(id, ZT_POOL_DEFAULT);
	cr_expect_str_eq(zt_config_pool_get(c, id, "account"), "1");
	cr_expect_null(zt_config_pool_counties(c, id));
	cr_expect_str_eq(zt_config_pool_of_county(c, "999999"), ZT_POOL_DEFAULT);
	zt_config_free(c);
	/* no configuration at all: the default pool, nothing set */
	cr_assert_eq(zt_config_pool_pick(NULL, NULL, &id), 0);
	cr_expect_str_eq(id, ZT_POOL_DEFAULT);
	cr_expect_null(zt_config_pool_get(NULL, id, "account"));
}

Test(pools_config, pools_that_cannot_be_told_apart_are_refused)
{
	refused("[pool]\nname = x\n[pool A]\nname = y\n", "every one is named");
	refused("[pool A]\nname = x\n[pool B]\nname = y\ncounties = 510101\n", "needs 'counties'");
	refused("[pool A]\ncounties = 510101\n[pool B]\ncounties = 510102 510101\n",
	        "510101 is already in pool A");
	refused("[pool A]\ncounties = 51010\n", "not a six-digit county code");
	refused("[pool A]\ncounties = ,\n", "names no county");
	refused("[pool A]\ncounties = 510101\n[pool B]\ncounties = 510102\ntimezone = UTC\n",
	        "one time zone");
	refused("[pool A/B]\nname = x\n", "a pool id is");
}

/* ---- a database with claims of both pools ---------------------------------------- */

static struct zt_store *s;

/* Two claims at a hospital of pool A, two at hospitals of pool B (people
 * of 510101 treated out of county), settled once the database knows the
 * pools (pools.h: a settlement is of the pool of its hospital's county
 * when it is written); `recorded` false: nothing recorded, every
 * settlement is the pool default's. */
static void world_of(bool recorded)
{
	s = zt_test_store("pools.db");
	zt_test_load_sample(s);
	if (recorded) {
		struct zt_config *c = parse(two_pools);
		bool changed = false;
		cr_assert_eq(zt_pools_record(s, c, &changed), 0, "%s", zt_error_last());
		cr_assert(changed, "nothing recorded");
		cr_assert_eq(zt_pools_record(s, c, &changed), 0, "%s", zt_error_last());
		cr_assert(!changed, "the same pools recorded twice");
		zt_config_free(c);
	}
	zt_test_settle_at(s, "H51010101", "A-1", "P0000002", "2017-03-01", "5000.00");
	zt_test_settle_at(s, "H51010101", "A-2", "P0000003", "2017-03-02", "7000.00");
	zt_test_settle_at(s, "H51010201", "B-1", "P0000005", "2017-03-03", "3000.00");
	zt_test_settle_at(s, "H51010211", "B-2", "P0000006", "2017-03-04", "4000.00");
}

static void world(void) { world_of(true); }
static void world_bare(void) { world_of(false); }

static void fini(void) { zt_store_close(s); }

struct hospitals_seen {
	int64_t n;
	int64_t a, b; /* records of hospitals of county 510101, 510102 */
	zt_fen total;
};

static int seen(void *ctx, const struct zt_batch_record *r)
{
	struct hospitals_seen *h = ctx;
	h->n++;
	if (r->payable)
		h->total += r->amount;
	if (strncmp(r->fixmedins_code, "H510101", 7) == 0 && r->fixmedins_code[7] == '0')
		h->a++;
	else
		h->b++;
	return 0;
}

static struct hospitals_seen records_of(const char *id)
{
	struct hospitals_seen h = {0};
	cr_assert_eq(zt_batch_records_each(s, id, false, seen, &h), 0, "%s", zt_error_last());
	return h;
}

Test(pools_batch, a_pools_batch_never_holds_another_pools_claims, .init = world, .fini = fini)
{
	struct zt_config *c = parse(two_pools);
	struct zt_batch_create_res a, b, again;
	/* several pools: which one must be said */
	cr_assert_eq(zt_batch_create(s, &(struct zt_batch_create_req){.cfg = c, .fund_code = FUND,
	                                                             .actor = "alice"}, &a),
	             ZT_EINVAL);
	cr_expect(strstr(zt_error_last(), "--pool"), "%s", zt_error_last());
	cr_assert_eq(zt_batch_create(s, &(struct zt_batch_create_req){.cfg = c, .pool = "C",
	                                                             .fund_code = FUND,
	                                                             .actor = "alice"}, &a),
	             ZT_EINVAL);
	cr_assert_eq(zt_batch_create(s, &(struct zt_batch_create_req){.cfg = c, .pool = "A",
	                                                             .fund_code = FUND,
	                                                             .actor = "alice"}, &a),
	             0, "%s", zt_error_last());
	cr_assert(a.id[0], "pool A has shares to bill");
	cr_expect_str_eq(a.batch.pool, "A");
	cr_expect_str_eq(a.batch.counties, "510101");
	struct hospitals_seen ha = records_of(a.id);
	cr_expect_gt(ha.a, 0);
	cr_expect_eq(ha.b, 0, "pool A's batch holds %lld records of pool B", (long long)ha.b);
	cr_expect_eq(ha.total, a.batch.total);
	/* nothing of A is left; B's are still waiting */
	cr_assert_eq(zt_batch_create(s, &(struct zt_batch_create_req){.cfg = c, .pool = "A",
	                                                             .fund_code = FUND,
	                                                             .actor = "alice"}, &again),
	             0, "%s", zt_error_last());
	cr_expect_eq(again.id[0], '\0', "a second batch of A: %s", again.id);
	cr_assert_eq(zt_batch_create(s, &(struct zt_batch_create_req){.cfg = c, .pool = "B",
	                                                             .fund_code = FUND,
	                                                             .actor = "alice"}, &b),
	             0, "%s", zt_error_last());
	cr_assert(b.id[0], "pool B has shares to bill");
	cr_expect_str_eq(b.batch.pool, "B");
	struct hospitals_seen hb = records_of(b.id);
	cr_expect_gt(hb.b, 0);
	cr_expect_eq(hb.a, 0, "pool B's batch holds %lld records of pool A", (long long)hb.a);
	/* together they billed every share of the fund once: a batch of every
	 * county (the configuration of one pool) finds nothing left */
	struct zt_config *one = parse("[pool]\nname = x\naccount = 1\n");
	cr_assert_eq(zt_batch_create(s, &(struct zt_batch_create_req){.cfg = one, .fund_code = FUND,
	                                                             .actor = "alice"}, &again),
	             0, "%s", zt_error_last());
	cr_expect_eq(again.id[0], '\0', "shares of the fund left in no batch: %s", again.id);
	zt_config_free(one);
	zt_config_free(c);
}

static int count_batch(void *ctx, const struct zt_batch *b)
{
	cr_expect_str_eq(b->pool, "B");
	++*(int64_t *)ctx;
	return 0;
}

Test(pools_batch, the_list_of_a_pool_has_its_batches_only, .init = world, .fini = fini)
{
	struct zt_config *c = parse(two_pools);
	struct zt_batch_create_res a, b;
	cr_assert_eq(zt_batch_create(s, &(struct zt_batch_create_req){.cfg = c, .pool = "A",
	                                                             .fund_code = FUND,
	                                                             .actor = "alice"}, &a), 0);
	cr_assert_eq(zt_batch_create(s, &(struct zt_batch_create_req){.cfg = c, .pool = "B",
	                                                             .fund_code = FUND,
	                                                             .actor = "alice"}, &b), 0);
	int64_t rows = 0, count = 0;
	cr_assert_eq(zt_batch_list(s, &(struct zt_batch_list_req){.pool = "B"}, count_batch, &rows,
	                           &count), 0);
	cr_expect_eq(rows, 1);
	cr_expect_eq(count, 1);
	zt_config_free(c);
}

Test(pools_batch, the_single_pool_bills_every_county_as_before, .init = world_bare,
     .fini = fini)
{
	struct zt_config *c = parse("[pool]\nname = 某县\naccount = 1\n");
	struct zt_batch_create_res all;
	cr_assert_eq(zt_batch_create(s, &(struct zt_batch_create_req){.cfg = c, .fund_code = FUND,
	                                                             .actor = "alice"}, &all),
	             0, "%s", zt_error_last());
	cr_expect_str_eq(all.batch.pool, ZT_POOL_DEFAULT);
	cr_expect_str_eq(all.batch.counties, "");
	struct hospitals_seen h = records_of(all.id);
	cr_expect_gt(h.a, 0);
	cr_expect_gt(h.b, 0);
	/* and without a configuration, the same */
	struct zt_batch_create_res none;
	cr_assert_eq(zt_batch_create(s, &(struct zt_batch_create_req){.fund_code = "610100",
	                                                             .actor = "alice"}, &none),
	             0, "%s", zt_error_last());
	if (none.id[0])
		cr_expect_str_eq(none.batch.pool, ZT_POOL_DEFAULT);
	zt_config_free(c);
}

/* ---- each pool its own books (018) ----------------------------------------------- */

/* verify in-process: the violations, the first into `first` */
static void first_violation(void *ctx, const char *check, const char *message)
{
	char *first = ctx;
	if (!first[0])
		snprintf(first, 300, "(%s) %s", check, message);
}

static void verify_clean(void)
{
	char first[300] = "";
	struct zt_verify_report r = {first, first_violation, NULL, NULL};
	int64_t n = -1;
	cr_assert_eq(zt_verify(s, &r, &n), 0, "%s", zt_error_last());
	cr_assert_eq(n, 0, "%lld violations, first: %s", (long long)n, first);
}

struct books {
	int64_t count;
	zt_fen sum;
	char names[40][ZT_ACCOUNT_NAME_BYTES];
	zt_fen v[40];
};

static int book_row(void *ctx, const char *account, zt_fen balance)
{
	struct books *b = ctx;
	cr_assert_lt(b->count, 40);
	snprintf(b->names[b->count], ZT_ACCOUNT_NAME_BYTES, "%s", account);
	b->v[b->count++] = balance;
	b->sum += balance;
	return 0;
}

static struct books books_of(const char *pool)
{
	struct books b = {0};
	struct zt_ledger_balances_req req = {.row = book_row, .ctx = &b, .pool = pool};
	struct zt_ledger_balances_res res;
	cr_assert_eq(zt_ledger_balances(s, &req, &res), 0, "%s", zt_error_last());
	cr_assert_eq(res.count, b.count);
	return b;
}

/* The balance of `account` in b; *listed whether it is there. */
static zt_fen book_of(const struct books *b, const char *account, bool *listed)
{
	for (int64_t i = 0; i < b->count; i++)
		if (strcmp(b->names[i], account) == 0) {
			*listed = true;
			return b->v[i];
		}
	*listed = false;
	return 0;
}

static zt_fen balance_of(const char *account)
{
	zt_fen v = 0;
	cr_assert_eq(zt_ledger_balance(s, account, &v), 0, "%s", zt_error_last());
	return v;
}

Test(pools_books, each_pool_books_its_claims_on_its_own_accounts, .init = world, .fini = fini)
{
	struct zt_config *c = parse(two_pools);
	struct books a = books_of("A"), b = books_of("B"), d = books_of(ZT_POOL_DEFAULT);
	/* each pool's books balance on their own */
	cr_expect_eq(a.sum, 0, "pool A's books sum to %lld", (long long)a.sum);
	cr_expect_eq(b.sum, 0, "pool B's books sum to %lld", (long long)b.sum);
	cr_expect_eq(d.count, 0, "the pool default has no claim here: %lld accounts",
	             (long long)d.count);
	bool listed;
	zt_fen fa = book_of(&a, "fund:" FUND "@A", &listed);
	cr_assert(listed, "fund:" FUND "@A not in A's books");
	zt_fen fb = book_of(&b, "fund:" FUND "@B", &listed);
	cr_assert(listed, "fund:" FUND "@B not in B's books");
	book_of(&a, "fund:" FUND "@B", &listed);
	cr_expect(!listed, "B's fund account in A's books");
	book_of(&a, "hospital:H51010201", &listed);
	cr_expect(!listed, "B's hospital in A's books");
	book_of(&b, "hospital:H51010101", &listed);
	cr_expect(!listed, "A's hospital in B's books");
	cr_expect_gt(fa, 0);
	cr_expect_gt(fb, 0);
	/* the database's books are the pools' together */
	cr_expect_eq(balance_of("fund:" FUND "@A"), fa);
	zt_fen none = 0;
	cr_expect_eq(zt_ledger_balance(s, "fund:" FUND, &none), ZT_ENOTFOUND,
	             "the pool default's fund account was booked: %lld", (long long)none);
	/* a pool's batch bills exactly what its fund account says it is owed */
	struct zt_batch_create_res ba, bb;
	cr_assert_eq(zt_batch_create(s, &(struct zt_batch_create_req){.cfg = c, .pool = "A",
	                                                             .fund_code = FUND,
	                                                             .actor = "alice"}, &ba), 0,
	             "%s", zt_error_last());
	cr_assert_eq(zt_batch_create(s, &(struct zt_batch_create_req){.cfg = c, .pool = "B",
	                                                             .fund_code = FUND,
	                                                             .actor = "alice"}, &bb), 0,
	             "%s", zt_error_last());
	cr_expect_eq(ba.batch.total, fa, "A's batch %lld, A's fund account %lld",
	             (long long)ba.batch.total, (long long)fa);
	cr_expect_eq(bb.batch.total, fb, "B's batch %lld, B's fund account %lld",
	             (long long)bb.batch.total, (long long)fb);
	/* what a hospital of A earned is what A's funds and burdens owe it */
	zt_fen owed = 0;
	for (int64_t i = 0; i < a.count; i++)
		if (strncmp(a.names[i], "fund:", 5) == 0)
			owed += a.v[i];
	cr_expect_eq(-book_of(&a, "hospital:H51010101", &listed), owed);
	verify_clean();
	zt_config_free(c);
}

static int place_seen(void *ctx, const struct zt_pool_place *p)
{
	char *all = ctx;
	size_t n = strlen(all);
	snprintf(all + n, 400 - n, "%s%s=%s;", p->account ? "a:" : "c:", p->key, p->pool);
	return 0;
}

Test(pools_books, the_database_keeps_the_pools_as_the_configuration_last_said,
     .init = world_bare, .fini = fini)
{
	char all[400] = "";
	cr_assert_eq(zt_pools_each(s, place_seen, all), 0);
	cr_expect_str_eq(all, "", "nothing recorded yet");
	/* two pools naming one account: the first's, as a statement's pool */
	struct zt_config *c = parse("[pool A]\naccount = 1\ncounties = 510101\n"
	                            "[pool B]\naccount = 1\ncounties = 510199 510102\n");
	bool changed = false;
	cr_assert_eq(zt_pools_record(s, c, &changed), 0, "%s", zt_error_last());
	cr_expect(changed);
	cr_assert_eq(zt_pools_each(s, place_seen, all), 0);
	cr_expect_str_eq(all, "c:510101=A;c:510102=B;c:510199=B;a:1=A;");
	char pool[ZT_POOL_ID_BYTES];
	cr_assert_eq(zt_pools_of_account(s, NULL, "1", pool), 0);
	cr_expect_str_eq(pool, "A");
	cr_assert_eq(zt_pools_of_account(s, NULL, "2", pool), 0);
	cr_expect_str_eq(pool, ZT_POOL_DEFAULT, "an account of no pool");
	zt_config_free(c);
	/* the configuration changes: the database follows */
	c = parse("[pool]\nname = x\naccount = 9\n");
	cr_assert_eq(zt_pools_record(s, c, &changed), 0, "%s", zt_error_last());
	cr_expect(changed);
	all[0] = '\0';
	cr_assert_eq(zt_pools_each(s, place_seen, all), 0);
	cr_expect_str_eq(all, "a:9=default;");
	struct zt_hospital h;
	cr_assert_eq(s->ops->registry.get_hospital(s, "H51010201", &h), 0);
	cr_expect_str_eq(h.pool, ZT_POOL_DEFAULT, "a county of no pool is the pool default's");
	zt_config_free(c);
}

static void collect_violation(void *ctx, const char *check, const char *message)
{
	char *all = ctx;
	size_t n = strlen(all);
	snprintf(all + n, 4000 - n, "(%s) %s\n", check, message);
}

Test(pools_books, verify_finds_money_moved_between_two_pools_books, .init = world, .fini = fini)
{
	/* behind the engine's back: A's bank pays B's fund */
	cr_assert_eq(s->ops->begin(s, ZT_TXN_WRITE), 0);
	cr_assert_eq(s->ops->ledger.post(s, &(struct zt_posting){"pool:bank@A", "fund:" FUND "@B",
	                                                          100, "payment", "X-1"}, 0),
	             0, "%s", zt_error_last());
	cr_assert_eq(s->ops->commit(s), 0);
	char all[4000] = "";
	struct zt_verify_report r = {all, collect_violation, NULL, NULL};
	int64_t n = 0;
	cr_assert_eq(zt_verify(s, &r, &n), 0, "%s", zt_error_last());
	cr_expect_gt(n, 0);
	cr_expect(strstr(all, "moves money between two pools' books: debit pool:bank@A, credit fund:" FUND "@B"),
	          "no violation names the transfer between pools:\n%s", all);
}

/* The settlement's pool is the one of its hospital's county when it is
 * written: a hospital that moves county keeps its claims of before in its
 * old pool — billed once, by it — and a reversal of one of them goes to
 * the old pool too. */
Test(pools_books, a_hospital_that_moved_county_keeps_its_shares_in_its_old_pool,
     .init = world, .fini = fini)
{
	struct zt_config *c = parse(two_pools);
	/* H51010101 (pool A) moves to county 510102 (pool B) */
	struct zt_hospital h;
	cr_assert_eq(s->ops->registry.get_hospital(s, "H51010101", &h), 0);
	cr_assert_str_eq(h.pool, "A");
	snprintf(h.county, sizeof h.county, "510102");
	cr_assert_eq(s->ops->begin(s, ZT_TXN_WRITE), 0);
	cr_assert_eq(s->ops->registry.put_hospital(s, &h), 0, "%s", zt_error_last());
	cr_assert_eq(s->ops->commit(s), 0);
	cr_assert_eq(s->ops->registry.get_hospital(s, "H51010101", &h), 0);
	cr_assert_str_eq(h.pool, "B");
	zt_fen a_before = balance_of("fund:" FUND "@A"), b_before = balance_of("fund:" FUND "@B");
	/* a claim settled now is B's */
	zt_test_settle_at(s, "H51010101", "A-3", "P0000004", "2017-03-05", "6000.00");
	zt_fen b_after = balance_of("fund:" FUND "@B");
	cr_expect_gt(b_after, b_before, "the new claim is not on B's books");
	cr_expect_eq(balance_of("fund:" FUND "@A"), a_before, "the new claim moved A's books");
	/* A-1, settled in A, is reversed: the reversal is A's */
	struct zt_claims_reverse_res rv;
	cr_assert_eq(zt_claims_reverse(s, &(struct zt_claims_reverse_req){.hospital = "H51010101",
	                                   .claim_no = "A-1", .reason = "wrong ward",
	                                   .actor = "desk1"}, &rv), 0, "%s", zt_error_last());
	cr_assert(!rv.rejected, "%s", rv.message);
	cr_expect_str_eq(rv.reversal.pool, "A");
	zt_fen a_after = balance_of("fund:" FUND "@A");
	cr_expect_lt(a_after, a_before, "the reversal did not take A-1's share off A's books");
	cr_expect_eq(balance_of("fund:" FUND "@B"), b_after, "the reversal touched B's books");
	/* each batch bills its pool's books: A's A-2 (A-1 and its reversal
	 * together), B's B-1, B-2 and A-3; no share twice, none left */
	struct zt_batch_create_res ba, bb, again;
	cr_assert_eq(zt_batch_create(s, &(struct zt_batch_create_req){.cfg = c, .pool = "A",
	                                                             .fund_code = FUND,
	                                                             .actor = "alice"}, &ba), 0,
	             "%s", zt_error_last());
	cr_assert_eq(zt_batch_create(s, &(struct zt_batch_create_req){.cfg = c, .pool = "B",
	                                                             .fund_code = FUND,
	                                                             .actor = "alice"}, &bb), 0,
	             "%s", zt_error_last());
	cr_expect_eq(ba.batch.total, a_after, "A's batch %lld, A's books %lld",
	             (long long)ba.batch.total, (long long)a_after);
	cr_expect_eq(bb.batch.total, b_after, "B's batch %lld, B's books %lld",
	             (long long)bb.batch.total, (long long)b_after);
	struct hospitals_seen ra = records_of(ba.id), rb = records_of(bb.id);
	cr_expect_eq(ra.n, 3, "A's batch: A-1, its reversal, A-2: %lld records", (long long)ra.n);
	cr_expect_eq(rb.n, 3, "B's batch: B-1, B-2, A-3: %lld records", (long long)rb.n);
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(zt_batch_create(s, &(struct zt_batch_create_req){.cfg = c,
		                                   .pool = i ? "B" : "A", .fund_code = FUND,
		                                   .actor = "alice"}, &again), 0);
		cr_expect_eq(again.id[0], '\0', "a share left over for %s: %s", i ? "B" : "A",
		             again.id);
	}
	verify_clean();
	zt_config_free(c);
}

/* ---- advances -------------------------------------------------------------------- */

static bool has_line(const struct zt_advance_plan *p, const char *hospital)
{
	for (size_t i = 0; i < p->line_count; i++)
		if (strcmp(p->lines[i].hospital, hospital) == 0)
			return true;
	return false;
}

Test(pools_advance, a_plan_tops_up_its_pools_hospitals_and_its_account_pays,
     .init = world, .fini = fini)
{
	struct zt_config *c = parse(two_pools);
	struct zt_advance_plan pa, pb;
	cr_assert_eq(zt_advance_plan(s, &(struct zt_advance_plan_req){.cfg = c, .actor = "alice"},
	                             &pa), ZT_EINVAL, "several pools: the plan names one");
	cr_assert_eq(zt_advance_plan(s, &(struct zt_advance_plan_req){.cfg = c, .pool = "A",
	                                                               .actor = "alice"}, &pa),
	             0, "%s", zt_error_last());
	cr_expect_str_eq(pa.pool, "A");
	cr_expect(has_line(&pa, "H51010101"));
	cr_expect(!has_line(&pa, "H51010201") && !has_line(&pa, "H51010211"));
	cr_assert_eq(zt_advance_plan(s, &(struct zt_advance_plan_req){.cfg = c, .pool = "B",
	                                                               .actor = "alice"}, &pb),
	             0, "%s", zt_error_last());
	cr_expect_str_eq(pb.pool, "B");
	cr_expect(has_line(&pb, "H51010201") && has_line(&pb, "H51010211"));
	cr_expect(!has_line(&pb, "H51010101"));
	cr_assert_gt(pb.total, 0, "B's hospitals earned: a top-up");
	/* the stored plan keeps its pool */
	struct zt_advance_plan got;
	cr_assert_eq(zt_advance_plan_get(s, pb.plan_id, &got), 0);
	cr_expect_str_eq(got.pool, "B");
	zt_advance_plan_free(&got);
	/* B's account pays B's plan */
	cr_assert_eq(zt_advance_approve(s, &(struct zt_advance_approve_req){pb.plan_id, "bob"}), 0,
	             "%s", zt_error_last());
	struct zt_advance_issued out;
	const char *file = tmp_path("pain-b.xml");
	cr_assert_eq(zt_advance_issue(s, &(struct zt_advance_issue_req){.cfg = c,
	                                   .plan_id = pb.plan_id, .actor = "carol",
	                                   .out_path = file}, &out),
	             0, "%s", zt_error_last());
	char *xml = zt_test_slurp(file);
	cr_assert(xml);
	char *dbtr = strstr(xml, "<DbtrAcct>");
	cr_assert(dbtr, "%s", xml);
	cr_expect(strncmp(strstr(dbtr, "<Id>") ? strstr(dbtr, "<Id>") : "", "<Id>", 4) == 0);
	cr_expect(strstr(dbtr, ACCT_B) && (!strstr(dbtr, ACCT_A) || strstr(dbtr, ACCT_A) >
	                                   strstr(dbtr, "</DbtrAcct>")),
	          "the debtor is not pool B's account:\n%s", xml);
	cr_expect_null(strstr(xml, ACCT_A), "pool A's account in B's payment file");
	free(xml);
	zt_advance_issued_free(&out);
	/* a single advance is paid by the pool of the hospital's county */
	struct zt_advance_plan one;
	cr_assert_eq(zt_advance_request(s, &(struct zt_advance_request_req){.hospital = "H51010231",
	                                   .amount = 100000, .actor = "alice", .cfg = c}, &one),
	             0, "%s", zt_error_last());
	cr_expect_str_eq(one.pool, "B");
	zt_advance_plan_free(&one);
	zt_advance_plan_free(&pa);
	zt_advance_plan_free(&pb);
	zt_config_free(c);
}

/* ---- a user's pools -------------------------------------------------------------- */

Test(pools_users, a_users_scope_names_its_pools, .init = world, .fini = fini)
{
	struct zt_users_token_res admin, fin;
	cr_assert_eq(zt_users_add(s, &(struct zt_users_add_req){.name = "root", .role = "admin",
	                                                          .actor = "root"}, &admin),
	             0, "%s", zt_error_last());
	zt_token_clear(&admin.token);
	const char *const pools[] = {"A"};
	cr_assert_eq(zt_users_add(s, &(struct zt_users_add_req){.name = "fin-a", .role = "finance",
	                                                          .pools = pools, .pool_count = 1,
	                                                          .actor = "root"}, &fin),
	             0, "%s", zt_error_last());
	struct zt_users_principal p;
	cr_assert_eq(zt_users_authenticate(s, fin.token.text, 0, &p), 0, "%s", zt_error_last());
	cr_expect_eq(p.scope.pool_count, 1);
	cr_expect(zt_scope_admits_pool(&p.scope, "A"));
	cr_expect(!zt_scope_admits_pool(&p.scope, "B"));
	zt_scope_free(&p.scope);
	zt_token_clear(&fin.token);
	/* a user without pools reaches every pool */
	struct zt_scope none;
	zt_scope_init(&none);
	cr_expect(zt_scope_admits_pool(&none, "B"));
}

/* ---- over the service: a user of pool A and pool B's data ------------------------ */

static struct zt_service *srv;
static struct zt_api app;
static struct zt_config *svc_cfg;
static unsigned port;
static char db_path[1024], files[600];

#define FUND_ANY ZT_TEST_TOKEN_FUND_BASIC2
#define FUND_A ZT_TEST_TOKEN_FUND_POOL_A
#define FIN_ANY ZT_TEST_TOKEN_FINANCE
#define FIN_A ZT_TEST_TOKEN_FINANCE_POOL_A

static void serve(void)
{
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	world(); /* the claims of both pools, in pools.db */
	snprintf(db_path, sizeof db_path, "%s", zt_test_store_target());
	zt_store_close(s);
	s = NULL;
	snprintf(files, sizeof files, "%s", tmp_path("files"));
	mkdir(files, 0700);
	svc_cfg = parse(two_pools);
	cr_assert_eq(zt_api_init(&app, db_path), 0);
	app.config = svc_cfg;
	app.files_dir = files;
	struct zt_service_opts o;
	zt_test_service_opts(&o, true);
	port = zt_test_service_start(&srv, &app, &o);
}

static void unserve(void)
{
	zt_service_stop(srv);
	zt_service_free(srv);
	zt_api_free(&app);
	zt_config_free(svc_cfg);
	curl_global_cleanup();
}

static struct zt_http_resp http_post(const char *path, const char *token, const char *body)
{
	return zt_http(&(struct zt_http_call){.port = port, .path = path, .token = token,
	                                      .content_type = "application/json", .body = body});
}

static struct zt_http_resp http_get(const char *path, const char *token)
{
	return zt_http(&(struct zt_http_call){.port = port, .path = path, .token = token});
}

static void status_is(struct zt_http_resp *r, long want, const char *what)
{
	cr_assert_eq(r->rc, CURLE_OK, "%s: %s", what, r->error);
	cr_expect_eq(r->status, want, "%s: %ld, not %ld: %s", what, r->status, want,
	             r->body ? r->body : "");
}

/* The id and pool of the answer's "batch" (or the plan itself). */
static void id_of(const struct zt_http_resp *r, const char *member, const char *key, char *id,
                  size_t cap, char *pool, size_t pool_cap)
{
	struct zt_json_doc *d = zt_http_json(r);
	const struct zt_json *o = zt_json_root(d);
	if (member)
		o = zt_json_member(o, member);
	cr_assert(o, "%s", r->body);
	snprintf(id, cap, "%s", zt_http_json_text(o, key));
	snprintf(pool, pool_cap, "%s", zt_http_json_text(o, "pool"));
	zt_json_doc_free(d);
}

Test(pools_service, a_user_of_pool_a_is_refused_pool_bs_batches_and_plans, .init = serve,
     .fini = unserve, .timeout = 240)
{
	char path[256], idb[64], ida[64], pool[40];
	/* several pools: a batch names its pool */
	struct zt_http_resp r = http_post("/v1/batches", FUND_ANY, "{\"fund_code\": \"390100\"}");
	status_is(&r, 400, "a batch of no pool");
	zt_http_free(&r);
	r = http_post("/v1/batches", FUND_ANY, "{\"fund_code\": \"390100\", \"pool\": \"B\"}");
	status_is(&r, 201, "a batch of pool B");
	id_of(&r, "batch", "id", idb, sizeof idb, pool, sizeof pool);
	cr_expect_str_eq(pool, "B");
	zt_http_free(&r);
	/* the user of pool A: B's batch does not exist for it */
	snprintf(path, sizeof path, "/v1/batches/%s", idb);
	r = http_get(path, FUND_A);
	status_is(&r, 404, "pool B's batch to a user of pool A");
	zt_http_free(&r);
	r = http_get(path, FUND_ANY);
	status_is(&r, 200, "pool B's batch to a user of every pool");
	zt_http_free(&r);
	snprintf(path, sizeof path, "/v1/batches/%s/approve", idb);
	r = http_post(path, FUND_A, "{}");
	status_is(&r, 404, "approving pool B's batch as a user of pool A");
	zt_http_free(&r);
	r = http_post("/v1/batches", FUND_A, "{\"fund_code\": \"390100\", \"pool\": \"B\"}");
	status_is(&r, 404, "a batch of pool B by a user of pool A");
	zt_http_free(&r);
	/* its own pool, named or not (its only one) */
	r = http_post("/v1/batches", FUND_A, "{\"fund_code\": \"390100\"}");
	status_is(&r, 201, "a batch of pool A by its user");
	id_of(&r, "batch", "id", ida, sizeof ida, pool, sizeof pool);
	cr_expect_str_eq(pool, "A");
	zt_http_free(&r);
	r = http_get("/v1/batches", FUND_A);
	status_is(&r, 200, "the list");
	cr_expect(strstr(r.body, ida), "A's batch not listed to its user: %s", r.body);
	cr_expect_null(strstr(r.body, idb), "B's batch listed to a user of A: %s", r.body);
	zt_http_free(&r);
	r = http_get("/v1/batches", FUND_ANY);
	cr_expect(strstr(r.body, ida) && strstr(r.body, idb), "%s", r.body);
	zt_http_free(&r);

	/* advance plans: B's plan is not there for finance of A */
	r = http_post("/v1/advance-plans", FIN_A, "{\"pool\": \"B\"}");
	status_is(&r, 404, "a plan of pool B by finance of pool A");
	zt_http_free(&r);
	r = http_post("/v1/advance-plans", FIN_A,
	              "{\"fixmedins_code\": \"H51010201\", \"amount\": \"100.00\"}");
	status_is(&r, 404, "a single advance to a hospital of pool B by finance of pool A");
	zt_http_free(&r);
	r = http_post("/v1/advance-plans", FIN_ANY, "{\"pool\": \"B\"}");
	status_is(&r, 201, "a plan of pool B");
	id_of(&r, NULL, "plan_id", idb, sizeof idb, pool, sizeof pool);
	cr_expect_str_eq(pool, "B");
	zt_http_free(&r);
	snprintf(path, sizeof path, "/v1/advance-plans/%s", idb);
	r = http_get(path, FIN_A);
	status_is(&r, 404, "pool B's plan to finance of pool A");
	zt_http_free(&r);
	r = http_get(path, FIN_ANY);
	status_is(&r, 200, "pool B's plan to finance of every pool");
	zt_http_free(&r);
	r = http_get("/v1/advances", FIN_A);
	status_is(&r, 200, "advances and hospitals");
	cr_expect(strstr(r.body, "\"H51010101\""), "A's hospital not shown to A: %s", r.body);
	cr_expect_null(strstr(r.body, "\"H51010201\""), "B's hospital shown to A: %s", r.body);
	zt_http_free(&r);
	r = http_get("/v1/advances", FIN_ANY);
	cr_expect(strstr(r.body, "\"H51010201\""), "B's hospital not shown to all: %s", r.body);
	zt_http_free(&r);
	r = http_get("/v1/advance-plans", FIN_A);
	status_is(&r, 200, "the plans");
	cr_expect_null(strstr(r.body, idb), "B's plan listed to finance of A: %s", r.body);
	zt_http_free(&r);
	r = http_post("/v1/advance-plans", FIN_A, "{}");
	status_is(&r, 201, "a plan of pool A by its finance");
	id_of(&r, NULL, "plan_id", ida, sizeof ida, pool, sizeof pool);
	cr_expect_str_eq(pool, "A");
	zt_http_free(&r);

	/* statements: of B's account, not for finance of A; of A's, yes */
	char today[ZT_FMT_BYTES];
	zt_format_date(today, zt_date_today());
	char *text = zt_test_slurp(zt_test_camt("s.xml", "MSG-S", today,
	                                        &(struct zt_test_entry){1, "1.00", "REF-S-1", NULL,
	                                                                "B390100-000099"}, 1));
	cr_assert(text);
	for (char *p = strstr(text, "6222020200112233445"); p; p = strstr(p, "6222020200112233445"))
		memcpy(p, ACCT_B, strlen(ACCT_B));
	struct zt_http_call call = {.port = port, .path = "/v1/statements", .token = FIN_A,
	                            .content_type = "application/xml", .body = text};
	r = zt_http(&call);
	status_is(&r, 404, "pool B's statement by finance of pool A");
	zt_http_free(&r);
	for (char *p = strstr(text, ACCT_B); p; p = strstr(p, ACCT_B))
		memcpy(p, ACCT_A, strlen(ACCT_A));
	r = zt_http(&call);
	status_is(&r, 200, "pool A's statement by its finance");
	char exc_a[32] = "";
	const char *x = r.body ? strstr(r.body, "EXC-") : NULL;
	cr_assert(x, "A's credit naming no batch of A: an exception: %s", r.body);
	snprintf(exc_a, sizeof exc_a, "%.*s", (int)strcspn(x, "\""), x);
	zt_http_free(&r);
	/* B's statement by finance of every pool: its exception is not A's */
	for (char *p = strstr(text, ACCT_A); p; p = strstr(p, ACCT_A))
		memcpy(p, ACCT_B, strlen(ACCT_B));
	for (char *p = strstr(text, "REF-S-1"); p; p = strstr(p, "REF-S-1"))
		p[6] = '2';
	for (char *p = strstr(text, "MSG-S"); p; p = strstr(p, "MSG-S"))
		p[4] = 'T';
	call.token = FIN_ANY;
	r = zt_http(&call);
	status_is(&r, 200, "pool B's statement by finance of every pool");
	char exc_b[32] = "";
	x = r.body ? strstr(r.body, "EXC-") : NULL;
	cr_assert(x, "%s", r.body);
	snprintf(exc_b, sizeof exc_b, "%.*s", (int)strcspn(x, "\""), x);
	zt_http_free(&r);
	free(text);
	r = http_get("/v1/exceptions", FIN_A);
	status_is(&r, 200, "exceptions");
	cr_expect(strstr(r.body, exc_a), "A's exception %s not listed to A: %s", exc_a, r.body);
	cr_expect_null(strstr(r.body, exc_b), "B's exception %s listed to A: %s", exc_b, r.body);
	zt_http_free(&r);
	r = http_get("/v1/exceptions", FIN_ANY);
	cr_expect(strstr(r.body, exc_a) && strstr(r.body, exc_b), "%s", r.body);
	zt_http_free(&r);
	snprintf(path, sizeof path, "/v1/exceptions/%s/resolve", exc_b);
	r = http_post(path, FIN_A, "{\"as\": \"ignore\", \"note\": \"not ours\"}");
	status_is(&r, 404, "resolving pool B's exception as finance of pool A");
	zt_http_free(&r);
	r = http_post(path, FIN_ANY, "{\"as\": \"refund\", \"note\": \"a test credit\"}");
	status_is(&r, 200, "resolving pool B's exception as finance of every pool");
	zt_http_free(&r);
}

/* The reconciliation report and a hospital's day over the service: a
 * user of pool A sees A's (its only pool by default), B's is 404. */
/* The report's `ledger` of fund FUND (fen). */
static zt_fen report_fund_ledger(const struct zt_http_resp *r)
{
	struct zt_json_doc *d = zt_http_json(r);
	const struct zt_json *funds = zt_json_member(zt_json_root(d), "funds");
	cr_assert(funds && funds->type == ZT_JSON_ARRAY, "%s", r->body);
	zt_fen v = 0;
	bool found = false, present;
	for (size_t i = 0; i < funds->count && !found; i++)
		if (strcmp(zt_http_json_text(funds->items[i], "fund_code"), FUND) == 0) {
			cr_assert_eq(zt_json_get_amount(&v, &present, funds->items[i], "ledger"), 0);
			found = present;
		}
	cr_assert(found, "no ledger of fund " FUND ": %s", r->body);
	zt_json_doc_free(d);
	return v;
}

Test(pools_service, a_user_of_pool_a_reads_pool_as_reports_only, .init = serve, .fini = unserve,
     .timeout = 240)
{
	/* each report's fund ledger is of its pools' books (fund:F@P) */
	struct zt_http_resp la = http_get("/v1/reports/reconciliation", FIN_A),
	                    lb = http_get("/v1/reports/reconciliation?pool=B", FIN_ANY),
	                    lall = http_get("/v1/reports/reconciliation", FIN_ANY);
	status_is(&la, 200, "A's report");
	status_is(&lb, 200, "B's report");
	status_is(&lall, 200, "every pool's report");
	zt_fen fa = report_fund_ledger(&la), fb = report_fund_ledger(&lb),
	       fall = report_fund_ledger(&lall);
	cr_expect_gt(fa, 0, "A's claims are not on A's fund ledger");
	cr_expect_gt(fb, 0, "B's claims are not on B's fund ledger");
	cr_expect_eq(fa + fb, fall, "A's %lld + B's %lld is not every pool's %lld", (long long)fa,
	             (long long)fb, (long long)fall);
	zt_http_free(&la);
	zt_http_free(&lb);
	zt_http_free(&lall);
	struct zt_http_resp r = http_get("/v1/reports/reconciliation", FIN_A);
	status_is(&r, 200, "the report of finance of pool A");
	cr_expect(strstr(r.body, "\"pools\":\"A\""), "%s", r.body);
	cr_expect(strstr(r.body, "\"H51010101\""), "A's hospital not in A's report: %s", r.body);
	cr_expect_null(strstr(r.body, "\"H51010201\""), "B's hospital in A's report: %s", r.body);
	zt_http_free(&r);
	r = http_get("/v1/reports/reconciliation?pool=B", FIN_A);
	status_is(&r, 404, "pool B's report to finance of pool A");
	zt_http_free(&r);
	r = http_get("/v1/reports/reconciliation?pool=C", FIN_ANY);
	status_is(&r, 404, "the report of a pool not configured");
	zt_http_free(&r);
	r = http_get("/v1/reports/reconciliation?pool=B", FIN_ANY);
	status_is(&r, 200, "pool B's report to finance of every pool");
	cr_expect(strstr(r.body, "\"pools\":\"B\""), "%s", r.body);
	cr_expect(strstr(r.body, "\"H51010201\"") && strstr(r.body, "\"H51010211\""), "%s",
	          r.body);
	cr_expect_null(strstr(r.body, "\"H51010101\""), "A's hospital in B's report: %s", r.body);
	zt_http_free(&r);
	r = http_get("/v1/reports/reconciliation", FIN_ANY);
	status_is(&r, 200, "every pool's report");
	cr_expect(strstr(r.body, "\"pools\":null"), "%s", r.body);
	cr_expect(strstr(r.body, "\"H51010101\"") && strstr(r.body, "\"H51010201\""), "%s",
	          r.body);
	zt_http_free(&r);
	/* a hospital's day: B's hospital is not there for a user of A */
	char today[ZT_FMT_BYTES], path[160];
	zt_format_date(today, zt_date_today());
	snprintf(path, sizeof path, "/v1/reports/hospital?fixmedins_code=H51010201&setl_date=%s",
	         today);
	r = http_get(path, FIN_A);
	status_is(&r, 404, "B's hospital's day to finance of pool A");
	zt_http_free(&r);
	r = http_get(path, FIN_ANY);
	status_is(&r, 200, "B's hospital's day to finance of every pool");
	cr_expect(strstr(r.body, "\"fixmedins_setl_cnt\":1"), "B-1 not in its day: %s", r.body);
	zt_http_free(&r);
	snprintf(path, sizeof path, "/v1/reports/hospital?fixmedins_code=H51010101&setl_date=%s",
	         today);
	r = http_get(path, FIN_A);
	status_is(&r, 200, "A's hospital's day to finance of pool A");
	cr_expect(strstr(r.body, "\"fixmedins_setl_cnt\":2"), "A-1, A-2 not in its day: %s",
	          r.body);
	zt_http_free(&r);
}

/* ---- the command line: batches and the bank statement per pool ------------------- */

#define ACCT_TEST "6222020200112233445" /* the account of testutil's statements */

static const char *cli_config(const char *key)
{
	char ini[3000];
	snprintf(ini, sizeof ini,
	         "[signing]\nkey = %s\n\n"
	         "[pool A]\nname = 甲县\naccount = " ACCT_A "\ncounties = 510101\n\n"
	         "[pool B]\nname = 乙县\naccount = " ACCT_TEST "\ncounties = 510102\n\n"
	         "[hospital H51010201]\naccount = 4402000000000000002\n\n"
	         "[fund " FUND "]\naccount = 6222030300000000009\n",
	         key);
	return zt_test_write("pools-cli.ini", ini);
}

/* Submitted with the configuration: the database learns its pools (a
 * command with a configuration records them) before the claim is settled. */
static void cli_settle(const char *db, const char *cfg, const char *hospital,
                       const char *claim_no, const char *psn, const char *amount)
{
	char xml[4096], name[64];
	zt_test_claim_xml(xml, sizeof xml, claim_no, psn, "2017-03-01", amount);
	memcpy(strstr(xml, "H51010101"), hospital, 9);
	snprintf(name, sizeof name, "%s.xml", claim_no);
	free(zt_test_dbc_ok(db, cfg, "claim submit '%s'", zt_test_write(name, xml)));
}

/* Created, approved, exported and accepted by its payer: the batch's id
 * and total (yuan) from `batch list --format csv`. */
static void billed(const char *db, const char *cfg, const char *key, const char *pool,
                   char id[64], char total[32])
{
	char *out = zt_test_dbc_ok(db, cfg, "batch create --fund " FUND " --pool %s --by alice",
	                           pool);
	cr_assert(sscanf(out, "%63s", id) == 1, "%s", out);
	free(out);
	free(zt_test_db_ok(db, "batch approve %s --by bob", id));
	free(zt_test_dbc_ok(db, cfg, "batch export %s --out '%s' --key '%s' --by carol", id,
	                    tmp_path(id), key));
	char name[80], ack[300];
	snprintf(name, sizeof name, "%s.ack.xml", id);
	snprintf(ack, sizeof ack, "<ack xmlns=\"urn:zhitong:payer-ack:1\" batch=\"%s\" "
	         "status=\"accepted\" receipt=\"R-%s\"/>\n", id, id);
	free(zt_test_db_ok(db, "batch ack %s '%s' --by carol", id, zt_test_write(name, ack)));
	out = zt_test_dbc_ok(db, cfg, "batch list --pool %s --format csv", pool);
	char line[256];
	snprintf(line, sizeof line, "\n%s,", id);
	const char *row = strstr(out, line);
	cr_assert(row, "%s not listed in pool %s:\n%s", id, pool, out);
	/* batch_id,fund,status,count,total,paid */
	char fund[16], status[16];
	long long count;
	cr_assert_eq(sscanf(row + 1, "%*[^,],%15[^,],%15[^,],%lld,%31[^,],", fund, status, &count,
	                    total), 4, "%s", row);
	free(out);
}

/* The n-th (0-based) cell of the CSV line at `line` (no quoted cells
 * before it), into out. */
static void csv_cell(const char *line, int n, char *out, size_t cap)
{
	for (int i = 0; i < n; i++) {
		line = strchr(line, ',');
		cr_assert(line, "no cell %d", n);
		line++;
	}
	snprintf(out, cap, "%.*s", (int)strcspn(line, ",\r\n"), line);
}

static zt_fen fen_of(const char *yuan)
{
	zt_fen v;
	cr_assert_eq(zt_parse_amount(&v, yuan, strlen(yuan)), 0, "'%s'", yuan);
	return v;
}

/* `reconcile report [--pool P] --format csv`: fund 390100's billed. */
static zt_fen report_billed(const char *db, const char *cfg, const char *pool_arg, char **csv)
{
	*csv = zt_test_dbc_ok(db, cfg, "reconcile report %s --format csv", pool_arg);
	const char *row = strstr(*csv, "\nfund," FUND ",");
	cr_assert(row, "no fund line in\n%s", *csv);
	char billed[32];
	csv_cell(row + 1, 4, billed, sizeof billed); /* section,id,name,kind,billed */
	return fen_of(billed);
}

/* What is not per pool yet was: the reports and lists scoped by pool —
 * the reconciliation report, the exceptions, the advances, a user's pools
 * (issue 13 §2). A's batch is billed `ta`, B's `tb`; exc_id is of pool B
 * (its entry is on B's account) though it names A's batch. */
static void reports_of_a_pool(const char *db, const char *cfg, const char *ta, const char *tb,
                              const char *exc_id)
{
	char *csv;
	zt_fen a = report_billed(db, cfg, "--pool A", &csv);
	cr_expect_eq(a, fen_of(ta), "pool A's report bills %lld, not A's batch %s:\n%s",
	             (long long)a, ta, csv);
	cr_expect(strstr(csv, "\nhospital,H51010101,"), "%s", csv);
	cr_expect_null(strstr(csv, "\nhospital,H51010201,"), "B's hospital in A's report:\n%s", csv);
	cr_expect_null(strstr(csv, exc_id), "B's exception in A's report:\n%s", csv);
	free(csv);
	zt_fen b = report_billed(db, cfg, "--pool B", &csv);
	cr_expect_eq(b, fen_of(tb), "pool B's report bills %lld, not B's batch %s:\n%s",
	             (long long)b, tb, csv);
	cr_expect(strstr(csv, "\nhospital,H51010201,"), "%s", csv);
	cr_expect_null(strstr(csv, "\nhospital,H51010101,"), "A's hospital in B's report:\n%s", csv);
	cr_expect(strstr(csv, exc_id), "B's exception not in B's report:\n%s", csv);
	free(csv);
	zt_fen all = report_billed(db, cfg, "", &csv);
	cr_expect_eq(all, a + b, "every pool's report bills %lld, not %lld + %lld", (long long)all,
	             (long long)a, (long long)b);
	free(csv);
	char *text = zt_test_dbc_ok(db, cfg, "reconcile report --pool B");
	cr_expect(strstr(text, "资金池 B"), "%s", text);
	free(text);
	struct run r = zt_test_dbc(db, cfg, "reconcile report --pool C");
	cr_expect_eq(r.code, 2, "a pool not configured: exit %d\n%s%s", r.code, r.out, r.err);
	run_free(&r);
	/* the exceptions of a pool */
	char *exc = zt_test_dbc_ok(db, cfg, "reconcile exceptions --pool B --format csv");
	cr_expect(strstr(exc, exc_id), "%s not listed for pool B:\n%s", exc_id, exc);
	free(exc);
	exc = zt_test_dbc_ok(db, cfg, "reconcile exceptions --pool A --format csv");
	cr_expect_null(strstr(exc, exc_id), "%s listed for pool A:\n%s", exc_id, exc);
	free(exc);
	exc = zt_test_dbc_ok(db, cfg, "reconcile exceptions --format csv");
	cr_expect(strstr(exc, exc_id), "%s not listed for every pool:\n%s", exc_id, exc);
	free(exc);
	/* an advance to B's hospital is listed for B only */
	char *out = zt_test_dbc_ok(db, cfg, "advance plan --hospital H51010201 --amount 100.00 "
	                                    "--by alice");
	char plan[64];
	snprintf(plan, sizeof plan, "%.*s", (int)strcspn(out, "\n"), out);
	free(out);
	free(zt_test_db_ok(db, "advance approve %s --by bob", plan));
	out = zt_test_dbc_ok(db, cfg, "advance issue --plan %s --by carol --out '%s'", plan,
	                     tmp_path("adv-b.xml"));
	const char *adv = strstr(out, "ADV-");
	cr_assert(adv, "%s", out);
	char adv_id[40];
	snprintf(adv_id, sizeof adv_id, "%.*s", (int)strcspn(adv, " \n"), adv);
	free(out);
	out = zt_test_dbc_ok(db, cfg, "advance list --pool B --format csv");
	cr_expect(strstr(out, adv_id), "%s not listed for pool B:\n%s", adv_id, out);
	free(out);
	out = zt_test_dbc_ok(db, cfg, "advance list --pool A --format csv");
	cr_expect_null(strstr(out, adv_id), "%s listed for pool A:\n%s", adv_id, out);
	free(out);
	out = zt_test_dbc_ok(db, cfg, "advance list --format csv");
	cr_expect(strstr(out, adv_id), "%s not listed:\n%s", adv_id, out);
	free(out);
	/* user list shows each user's pools (last: users make --by checked) */
	free(zt_test_dbc_ok(db, cfg, "user add root --role admin --by setup"));
	free(zt_test_dbc_ok(db, cfg, "user add fin-a --role finance --pool A --by root"));
	free(zt_test_dbc_ok(db, cfg, "user add fin-ab --role finance --pool A --pool B --by root"));
	out = zt_test_dbc_ok(db, cfg, "user list --format csv");
	cr_expect(strstr(out, ",created_at,pools\n"), "%s", out);
	const char *row = strstr(out, "\nfin-ab,");
	cr_assert(row, "%s", out);
	cr_expect(strncmp(row + 1 + strcspn(row + 1, "\n") - 6, ",\"A,B\"", 6) == 0,
	          "fin-ab's pools:\n%s", out);
	row = strstr(out, "\nroot,");
	cr_assert(row, "%s", out);
	cr_expect_eq(row[strcspn(row + 1, "\n")], ',', "root reaches every pool: no pools:\n%s", out);
	free(out);
	out = zt_test_dbc_ok(db, cfg, "user list");
	cr_expect(strstr(out, "; pools A\n"), "%s", out);
	free(out);
}

static zt_fen signed_fen(const char *yuan)
{
	return yuan[0] == '-' ? -fen_of(yuan + 1) : fen_of(yuan);
}

/* `ledger balance --pool P --format csv`: the balance of `account` (0 if
 * not listed) and the sum of every line. */
static zt_fen pool_balance(const char *db, const char *cfg, const char *pool,
                           const char *account, zt_fen *sum)
{
	char *csv = zt_test_dbc_ok(db, cfg, "ledger balance --pool %s --format csv", pool);
	cr_assert(strncmp(csv, "account,balance\r\n", 17) == 0 ||
	          strncmp(csv, "account,balance\n", 16) == 0, "%s", csv);
	zt_fen v = 0;
	*sum = 0;
	for (const char *line = strchr(csv, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
		char name[ZT_ACCOUNT_NAME_BYTES], amount[40];
		csv_cell(line + 1, 0, name, sizeof name);
		csv_cell(line + 1, 1, amount, sizeof amount);
		zt_fen x = signed_fen(amount);
		*sum += x;
		if (strcmp(name, account) == 0)
			v = x;
	}
	free(csv);
	return v;
}

/* Each pool's books after the flow: A's batch paid into A's account; B's
 * paid into B's, with a credit naming A's batch held in B's suspense and
 * an advance of 100.00 to B's hospital — exact to the fen, each pool's
 * books summing to 0, verify clean. */
static void books_of_each_pool(const char *db, const char *cfg, const char *ta, const char *tb)
{
	zt_fen sa, sb;
	zt_fen bank_a = pool_balance(db, cfg, "A", "pool:bank@A", &sa);
	cr_expect_eq(bank_a, fen_of(ta), "pool:bank@A %lld, A's batch paid %s", (long long)bank_a,
	             ta);
	cr_expect_eq(sa, 0, "pool A's books sum to %lld", (long long)sa);
	zt_fen bank_b = pool_balance(db, cfg, "B", "pool:bank@B", &sb);
	cr_expect_eq(bank_b, fen_of(tb) + fen_of(ta) - 10000,
	             "pool:bank@B %lld: B's batch %s, the credit in suspense %s, less 100.00",
	             (long long)bank_b, tb, ta);
	cr_expect_eq(sb, 0, "pool B's books sum to %lld", (long long)sb);
	cr_expect_eq(pool_balance(db, cfg, "B", "suspense:bank@B", &sb), -fen_of(ta));
	cr_expect_eq(pool_balance(db, cfg, "A", "suspense:bank@A", &sa), 0);
	/* the fund's accounts: billed and paid, nothing owed in either pool */
	cr_expect_eq(pool_balance(db, cfg, "A", "fund:" FUND "@A", &sa), 0);
	cr_expect_eq(pool_balance(db, cfg, "B", "fund:" FUND "@B", &sb), 0);
	/* fund:F names the pool's own with --pool */
	char *one = zt_test_dbc_ok(db, cfg, "ledger balance fund:" FUND " --pool A --format csv");
	cr_expect(strstr(one, "\nfund:" FUND "@A,0.00"), "%s", one);
	free(one);
	/* the history of B's bank ends at its balance */
	char *h = zt_test_dbc_ok(db, cfg, "ledger transfers --account pool:bank --pool B "
	                                  "--format csv");
	char want[64], y[ZT_FMT_BYTES];
	size_t n = strcspn(h, "\0");
	while (n && (h[n - 1] == '\n' || h[n - 1] == '\r'))
		n--;
	const char *last = h + n;
	while (last > h && last[-1] != ',')
		last--;
	snprintf(want, sizeof want, "%s", zt_format_amount(y, bank_b));
	cr_expect(strncmp(last, want, strlen(want)) == 0 && (size_t)(h + n - last) == strlen(want),
	          "B's bank does not end at %s:\n%s", y, h);
	free(h);
	/* the reconciliation report of B: B's balances */
	char *text = zt_test_dbc_ok(db, cfg, "reconcile report --pool B");
	snprintf(want, sizeof want, "余额 %s；", zt_format_amount(y, bank_b));
	cr_expect(strstr(text, want), "B's bank %s not in its report:\n%s", y, text);
	free(text);
	char *out = zt_test_db_ok(db, "verify");
	cr_expect(strstr(out, "OK: 0 violations"), "%s", out);
	free(out);
}

/* The flow on `db` (SQLite or PostgreSQL), initialised with the sample
 * registry and policy. */
static void statements_pay_their_pools_batches_only(const char *db)
{
	char cfg[1024], key[700];
	snprintf(key, sizeof key, "%s", tmp_path("k.pem"));
	struct run r = sh("openssl genpkey -algorithm ed25519 -out '%s'", key);
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	snprintf(cfg, sizeof cfg, "%s", cli_config(key));
	cli_settle(db, cfg, "H51010101", "CA-1", "P0000002", "5000.00");
	cli_settle(db, cfg, "H51010201", "CB-1", "P0000003", "6000.00");
	r = zt_test_dbc(db, cfg, "batch create --fund " FUND " --by alice");
	cr_expect_eq(r.code, 2, "several pools and no --pool: %s%s", r.out, r.err);
	cr_expect(strstr(r.err, "--pool"), "%s", r.err);
	run_free(&r);
	char ida[64], idb[64], ta[32], tb[32];
	billed(db, cfg, key, "A", ida, ta);
	billed(db, cfg, key, "B", idb, tb);
	cr_assert_str_neq(ta, tb, "the test needs totals that differ");
	/* B's account: it pays B's batch; a credit naming A's batch is no
	 * payment of A (an exception), however right its amount */
	char today[ZT_FMT_BYTES];
	zt_format_date(today, zt_date_today());
	const struct zt_test_entry e[] = {{1, tb, "REF-B-1", NULL, idb},
	                                  {1, ta, "REF-B-2", NULL, ida}};
	char stmt[1024];
	snprintf(stmt, sizeof stmt, "%s", zt_test_camt("b.xml", "MSG-B", today, e, 2));
	r = zt_test_dbc(db, cfg, "reconcile import '%s'", stmt);
	cr_expect_eq(r.code, 1, "one exception: exit %d\n%s%s", r.code, r.out, r.err);
	run_free(&r);
	char *list = zt_test_dbc_ok(db, cfg, "batch list --format csv");
	char want[160];
	snprintf(want, sizeof want, "\n%s," FUND ",paid,", idb);
	cr_expect(strstr(list, want), "B's batch is not paid:\n%s", list);
	snprintf(want, sizeof want, "\n%s," FUND ",accepted,", ida);
	cr_expect(strstr(list, want), "A's batch is not left accepted:\n%s", list);
	free(list);
	char *exc = zt_test_dbc_ok(db, cfg, "reconcile exceptions");
	cr_expect(strstr(exc, "of pool A"), "no exception naming pool A:\n%s", exc);
	/* and a person cannot match it to A's batch either */
	const char *x = strstr(exc, "EXC-");
	cr_assert(x, "%s", exc);
	char exc_id[32];
	snprintf(exc_id, sizeof exc_id, "%.*s", (int)strspn(x, "EXC-0123456789"), x);
	free(exc);
	r = zt_test_dbc(db, cfg, "reconcile resolve %s --as match:%s --note 'try' --by erin", exc_id,
	                ida);
	cr_expect_eq(r.code, 2, "exit %d\n%s%s", r.code, r.out, r.err);
	cr_expect(strstr(r.err, "of pool A"), "%s", r.err);
	run_free(&r);
	/* A's account pays A's batch */
	char *text = zt_test_slurp(zt_test_camt("a.xml", "MSG-A", today,
	                                        &(struct zt_test_entry){1, ta, "REF-A-1", NULL, ida},
	                                        1));
	for (char *p = strstr(text, ACCT_TEST); p; p = strstr(p, ACCT_TEST))
		memcpy(p, ACCT_A, strlen(ACCT_A));
	r = zt_test_dbc(db, cfg, "reconcile import '%s'", zt_test_write("a2.xml", text));
	cr_expect_eq(r.code, 0, "exit %d\n%s%s", r.code, r.out, r.err);
	run_free(&r);
	list = zt_test_dbc_ok(db, cfg, "batch list --format csv");
	snprintf(want, sizeof want, "\n%s," FUND ",paid,", ida);
	cr_expect(strstr(list, want), "A's batch is not paid:\n%s", list);
	free(list);
	/* an account of no pool: refused whole */
	for (char *p = strstr(text, ACCT_A); p; p = strstr(p, ACCT_A))
		memcpy(p, "6222999999999999999", strlen(ACCT_A));
	r = zt_test_dbc(db, cfg, "reconcile import '%s'", zt_test_write("x.xml", text));
	cr_expect_eq(r.code, 2, "exit %d\n%s%s", r.code, r.out, r.err);
	cr_expect(strstr(r.err, "no pool's account"), "%s", r.err);
	run_free(&r);
	free(text);
	/* advance status of one pool: its hospitals only */
	char *st = zt_test_dbc_ok(db, cfg, "advance status --pool B --format csv");
	cr_expect(strstr(st, "\nH51010201,"), "%s", st);
	cr_expect_null(strstr(st, "\nH51010101,"), "%s", st);
	free(st);
	st = zt_test_dbc_ok(db, cfg, "advance status --format csv");
	cr_expect(strstr(st, "\nH51010201,") && strstr(st, "\nH51010101,"), "%s", st);
	free(st);
	reports_of_a_pool(db, cfg, ta, tb, exc_id);
	books_of_each_pool(db, cfg, ta, tb);
}

/* Pool B's batch paid into B's account, then a claim of it reversed: the
 * negative batch is paid back from B's account to the fund, on B's books
 * (fund:F@B <- pool:bank@B); A's books never move. */
static void a_pool_pays_its_fund_back(const char *db)
{
	char cfg[1024], key[700], today[ZT_FMT_BYTES];
	snprintf(key, sizeof key, "%s", tmp_path("kr.pem"));
	struct run r = sh("openssl genpkey -algorithm ed25519 -out '%s'", key);
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	snprintf(cfg, sizeof cfg, "%s", cli_config(key));
	cli_settle(db, cfg, "H51010101", "RA-1", "P0000002", "5000.00");
	cli_settle(db, cfg, "H51010201", "RB-1", "P0000003", "6000.00");
	char idb[64], tb[32], neg[64], tn[32];
	billed(db, cfg, key, "B", idb, tb);
	zt_format_date(today, zt_date_today());
	r = zt_test_dbc(db, cfg, "reconcile import '%s'",
	                zt_test_camt("rb.xml", "MSG-RB", today,
	                             &(struct zt_test_entry){1, tb, "REF-RB-1", NULL, idb}, 1));
	cr_assert_eq(r.code, 0, "exit %d\n%s%s", r.code, r.out, r.err);
	run_free(&r);
	free(zt_test_dbc_ok(db, cfg, "claim reverse --hospital H51010201 --claim-no RB-1 "
	                             "--reason 'wrong ward' --by desk1"));
	billed(db, cfg, key, "B", neg, tn);
	cr_assert_eq(signed_fen(tn), -fen_of(tb), "the reversal's batch %s is %s, not -%s", neg, tn,
	             tb);
	zt_fen sa, sb;
	cr_assert_eq(pool_balance(db, cfg, "B", "pool:bank@B", &sb), fen_of(tb));
	cr_assert_eq(pool_balance(db, cfg, "B", "fund:" FUND "@B", &sb), -fen_of(tb),
	             "B owes its fund back what it paid for RB-1");
	const char *file = tmp_path("repay-b.xml");
	free(zt_test_dbc_ok(db, cfg, "batch repay %s --by carol --out '%s'", neg, file));
	cr_expect_eq(pool_balance(db, cfg, "B", "pool:bank@B", &sb), 0, "B's bank paid it back");
	cr_expect_eq(pool_balance(db, cfg, "B", "fund:" FUND "@B", &sb), 0, "B's fund is square");
	cr_expect_eq(sb, 0, "B's books sum to %lld", (long long)sb);
	cr_expect_eq(pool_balance(db, cfg, "A", "pool:bank@A", &sa), 0, "A's bank moved");
	cr_expect_gt(pool_balance(db, cfg, "A", "fund:" FUND "@A", &sa), 0, "A-1 is not on A's books");
	cr_expect_eq(sa, 0, "A's books sum to %lld", (long long)sa);
	/* B's account is the debtor of the payment file */
	char *xml = zt_test_slurp(file);
	cr_assert(xml);
	const char *dbtr = strstr(xml, "<DbtrAcct>");
	cr_expect(dbtr && strstr(dbtr, ACCT_TEST), "B's account does not pay:\n%s", xml);
	cr_expect_null(strstr(xml, ACCT_A), "A's account in B's repayment:\n%s", xml);
	free(xml);
	char *out = zt_test_db_ok(db, "verify");
	cr_expect(strstr(out, "OK: 0 violations"), "%s", out);
	free(out);
}

Test(pools_cli, a_pool_pays_its_fund_back_from_its_own_books_on_sqlite, .timeout = 300)
{
	if (zt_test_on_pg())
		cr_skip_test("the PostgreSQL twin is below");
	char db[1024];
	snprintf(db, sizeof db, "%s", zt_test_sample_db("repay.db"));
	a_pool_pays_its_fund_back(db);
}

Test(pools_cli, a_pool_pays_its_fund_back_from_its_own_books_on_postgresql, .timeout = 300)
{
	char target[1200];
	zt_test_pg_sample(target, sizeof target, "poolsrepay");
	a_pool_pays_its_fund_back(target);
}

Test(pools_cli, statements_pay_their_pools_batches_only_on_sqlite, .timeout = 300)
{
	char db[1024];
	snprintf(db, sizeof db, "%s", zt_test_sample_db("cli.db")); /* kept: a rotated buffer */
	statements_pay_their_pools_batches_only(db);
}

/* The same on the PostgreSQL store of the CTest fixture `pg` (tests/pg/). */
Test(pools_cli, statements_pay_their_pools_batches_only_on_postgresql, .timeout = 300)
{
	char target[1200];
	zt_test_pg_sample(target, sizeof target, "pools");
	statements_pay_their_pools_batches_only(target);
}

/* ---- a database of schema 17 ------------------------------------------------------- */

/* A database made before the pools had their own books (schema 17: no
 * settlement.pool, no pool_county, pool_account): its claims, advance,
 * batch and payment are the pool default's once migrated, its books the
 * same to the fen, and verify is clean. */
Test(pools_migration, a_schema_17_database_is_the_pool_defaults, .timeout = 300)
{
	if (zt_test_on_pg())
		cr_skip_test("a database of schema 17 is made here with SQLite's ALTER TABLE");
	char db[1024], key[700], today[ZT_FMT_BYTES];
	snprintf(db, sizeof db, "%s", zt_test_sample_db("m17.db"));
	snprintf(key, sizeof key, "%s", tmp_path("k17.pem"));
	struct run r = sh("openssl genpkey -algorithm ed25519 -out '%s'", key);
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	char ini[1200];
	snprintf(ini, sizeof ini, "[signing]\nkey = %s\n\n[pool]\nname = 某县\naccount = " ACCT_TEST
	         "\n\n[hospital H51010101]\naccount = 4402000000000000001\n", key);
	const char *cfg = zt_test_write("m17.ini", ini);
	cli_settle(db, cfg, "H51010101", "M-1", "P0000002", "5000.00");
	cli_settle(db, cfg, "H51010101", "M-2", "P0000003", "7000.00");
	char id[64], total[32];
	billed(db, cfg, key, ZT_POOL_DEFAULT, id, total);
	zt_format_date(today, zt_date_today());
	free(zt_test_dbc_ok(db, cfg, "reconcile import '%s'",
	                    zt_test_camt("m17.xml", "MSG-M", today,
	                                 &(struct zt_test_entry){1, total, "REF-M-1", NULL, id}, 1)));
	char *before = zt_test_db_ok(db, "ledger balance --format csv");
	/* back to schema 17 */
	r = sh("sqlite3 '%s' 'ALTER TABLE settlement DROP COLUMN pool; DROP TABLE pool_county; "
	       "DROP TABLE pool_account; PRAGMA user_version = 17;'", db);
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	char *v = zt_test_rows(db, "PRAGMA user_version");
	cr_assert_str_eq(v, "17\n");
	free(v);
	free(zt_test_db_ok(db, "init"));
	v = zt_test_rows(db, "PRAGMA user_version");
	char want[16];
	snprintf(want, sizeof want, "%d\n", ZT_STORE_VERSION);
	cr_expect_str_eq(v, want);
	free(v);
	/* every settlement of before is the pool default's, and its books are
	 * those of before */
	v = zt_test_rows(db, "SELECT pool, count(*) FROM settlement GROUP BY pool");
	cr_expect_str_eq(v, "default|2\n");
	free(v);
	char *after = zt_test_db_ok(db, "ledger balance --format csv");
	cr_expect_str_eq(after, before);
	char *pool = zt_test_db_ok(db, "ledger balance --pool default --format csv");
	cr_expect_str_eq(pool, before, "the pool default's books are not the database's");
	free(pool);
	char *fund = zt_test_db_ok(db, "ledger balance fund:" FUND " --format csv");
	cr_expect(strstr(fund, "\nfund:" FUND ",0.00"), "billed and paid: %s", fund);
	free(fund);
	char *out = zt_test_db_ok(db, "verify");
	cr_expect(strstr(out, "OK: 0 violations"), "%s", out);
	free(out);
	/* and a claim settled now, without a configuration, is the pool default's */
	char xml[4096];
	zt_test_claim_xml(xml, sizeof xml, "M-3", "P0000004", "2017-03-01", "3000.00");
	free(zt_test_db_ok(db, "claim submit '%s'", zt_test_write("M-3.xml", xml)));
	v = zt_test_rows(db, "SELECT pool FROM settlement ORDER BY id DESC LIMIT 1");
	cr_expect_str_eq(v, "default\n");
	free(v);
	free(before);
	free(after);
}
