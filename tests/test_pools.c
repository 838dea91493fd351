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
#include "zhitong/error.h"
#include "zhitong/json.h"
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

static void settle_at(const char *hospital, const char *claim_no, const char *psn,
                      const char *dscg, const char *amount)
{
	char xml[4096];
	zt_test_claim_xml(xml, sizeof xml, claim_no, psn, dscg, amount);
	char *h = strstr(xml, "H51010101");
	cr_assert(h && strlen(hospital) == 9);
	memcpy(h, hospital, 9);
	struct zt_settle_opts o = {.actor = "desk"};
	struct zt_settle_stats st;
	cr_assert_eq(zt_parse_date(&o.today, "2017-12-31", 10), 0);
	cr_assert_eq(zt_test_settle_buffer(s, xml, strlen(xml), ZT_CLAIM_FORMAT_XML, &o, NULL, &st),
	             0, "%s", zt_error_last());
	cr_assert_eq(st.rejected, 0, "claim %s was rejected", claim_no);
}

/* Two claims at a hospital of pool A, two at hospitals of pool B (people
 * of 510101 treated out of county). */
static void world(void)
{
	s = zt_test_store("pools.db");
	zt_test_load_sample(s);
	settle_at("H51010101", "A-1", "P0000002", "2017-03-01", "5000.00");
	settle_at("H51010101", "A-2", "P0000003", "2017-03-02", "7000.00");
	settle_at("H51010201", "B-1", "P0000005", "2017-03-03", "3000.00");
	settle_at("H51010211", "B-2", "P0000006", "2017-03-04", "4000.00");
}

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

Test(pools_batch, the_single_pool_bills_every_county_as_before, .init = world, .fini = fini)
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
