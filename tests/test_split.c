/* zhitong — the split of one claim (docs/spec/split.md), checked to the fen.
 *
 * Policies are built as C structs so each test states exactly the rule it
 * exercises. Every expected amount is worked out by hand in the comment
 * above it; amounts are fen, ratios basis points. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"
#include "worldutil.h"
#include "zhitong/catalog.h"
#include "zhitong/error.h"
#include "zhitong/split.h"

/* ---- fixtures ------------------------------------------------------------ */

/* The sample policy of docs/spec/interfaces.md (rules/ ships the same document). */
static struct zt_policy sample_policy(void)
{
	struct zt_policy p;
	memset(&p, 0, sizeof p);
	strcpy(p.id, "xx-2017");
	strcpy(p.name, "sample");
	strcpy(p.county, "510101");
	p.effective_from = 20170101;
	p.effective_to = 20171231;
	p.b_selfpay_ratio_bp = 1000;

	strcpy(p.basic_fund, "390100");
	p.basic_annual_cap_fen = 15000000;
	p.levels[0] = (struct zt_level){10000, 9000};
	p.levels[1] = (struct zt_level){40000, 8000};
	p.levels[2] = (struct zt_level){80000, 6500};
	p.levels[3] = (struct zt_level){100000, 5500};
	p.basic_adjust[ZT_CAT_POOR] = (struct zt_basic_adjust){true, 5000, 500, true};

	strcpy(p.critical_fund, "390200");
	p.critical_threshold_fen = 1000000;
	p.critical_annual_cap_fen = 30000000;
	p.critical_include_preselfpay = false;
	p.tier_count = 3;
	p.tiers[0] = (struct zt_tier){5000000, 6000};
	p.tiers[1] = (struct zt_tier){10000000, 7000};
	p.tiers[2] = (struct zt_tier){ZT_CAP_NONE, 8000};
	struct zt_critical_adjust *ca = &p.critical_adjust[ZT_CAT_POOR];
	ca->present = true;
	ca->has_threshold = true;
	ca->threshold_fen = 500000;
	ca->ratio_bonus_bp = 500;
	ca->has_annual_cap = true;
	ca->annual_cap_fen = ZT_CAP_NONE;
	ca->in_county_only = false;

	strcpy(p.assistance_fund, "610100");
	p.assistance_include_preselfpay = false;
	p.assistance[ZT_CAT_DESTITUTE] = (struct zt_assist_category){true, 0, 10000, ZT_CAP_NONE};
	p.assistance[ZT_CAT_LOWINC] = (struct zt_assist_category){true, 0, 7000, 3000000};
	p.assistance[ZT_CAT_POOR] = (struct zt_assist_category){true, 0, 7000, 3000000};

	p.cap_categories[ZT_CAT_POOR] = true;
	p.cap_categories[ZT_CAT_LOWINC] = true;
	p.cap_categories[ZT_CAT_DESTITUTE] = true;
	p.has_cap_in_county = true;
	p.cap_in_county_bp = 1000;

	p.relief_count = 1;
	strcpy(p.relief[0].fund, "610103");
	strcpy(p.relief[0].name, "卫生扶贫救助基金");
	p.relief[0].categories[ZT_CAT_POOR] = true;
	p.relief[0].in_county_only = true;
	p.relief[0].ratio_bp = 10000;
	p.relief[0].annual_cap_fen = ZT_CAP_NONE;

	p.remainder = ZT_REMAINDER_HOSPITAL;
	return p;
}

static struct zt_classified cls_of(zt_fen inscp, zt_fen pre, zt_fen fulamt, zt_fen over)
{
	return (struct zt_classified){inscp + pre + fulamt + over, fulamt, over, pre, inscp};
}

/* The classified claim of §7: 甲 8,000.00; 乙 2,000.00 (10% first); 丙 500.00. */
static struct zt_classified example_cls(void) { return cls_of(980000, 20000, 50000, 0); }

static struct zt_split_ctx ctx_of(int level, bool in_county, zt_category cat)
{
	return (struct zt_split_ctx){level, in_county, cat};
}

static struct zt_split_result split_ok(const struct zt_policy *p, struct zt_split_ctx ctx,
                                       struct zt_classified cls, const struct zt_accum *before)
{
	struct zt_split_result r;
	struct zt_accum zero = {0};
	int rc = zt_split(&r, p, &ctx, &cls, before ? before : &zero);
	cr_assert_eq(rc, 0, "split failed: %s", zt_error_last());
	return r;
}

#define expect_pays(r, hifp, hifmi, maf, oth, hosp, psn)                                        \
	do {                                                                                     \
		cr_expect_eq((r).hifp_pay, (hifp), "hifp_pay %lld", (long long)(r).hifp_pay);       \
		cr_expect_eq((r).hifmi_pay, (hifmi), "hifmi_pay %lld", (long long)(r).hifmi_pay);   \
		cr_expect_eq((r).maf_pay, (maf), "maf_pay %lld", (long long)(r).maf_pay);           \
		cr_expect_eq((r).oth_pay, (oth), "oth_pay %lld", (long long)(r).oth_pay);           \
		cr_expect_eq((r).hosp_part_amt, (hosp), "hosp_part_amt %lld",                       \
		             (long long)(r).hosp_part_amt);                                         \
		cr_expect_eq((r).psn_part_amt, (psn), "psn_part_amt %lld",                          \
		             (long long)(r).psn_part_amt);                                          \
		cr_expect_eq((r).fund_pay_sumamt, (hifp) + (hifmi) + (maf) + (oth));                 \
	} while (0)

/* ---- claims for classification ---------------------------------------- */

struct item_spec {
	int lv;
	zt_q4 pric, cnt;
	zt_fen amt;
	zt_q4 ceiling; /* -1 = none */
	zt_bp selfpay; /* -1 = none */
};

static zt_reject classify(struct zt_classified *out, const struct zt_policy *p,
                          const struct item_spec *spec, int n, zt_fen medfee, char *msg)
{
	struct zt_item items[8];
	struct zt_claim c;
	cr_assert(n <= 8);
	memset(items, 0, sizeof items);
	memset(&c, 0, sizeof c);
	for (int i = 0; i < n; i++) {
		snprintf(items[i].feedetl_sn, sizeof items[i].feedetl_sn, "%d", i + 1);
		strcpy(items[i].med_chrgitm_type, "09");
		items[i].chrgitm_lv = spec[i].lv;
		items[i].pric = spec[i].pric;
		items[i].cnt = spec[i].cnt;
		items[i].det_item_fee_sumamt = spec[i].amt;
		items[i].has_pric_uplmt = spec[i].ceiling >= 0;
		items[i].pric_uplmt_amt = spec[i].ceiling >= 0 ? spec[i].ceiling : 0;
		items[i].has_selfpay_prop = spec[i].selfpay >= 0;
		items[i].selfpay_prop_bp = spec[i].selfpay >= 0 ? spec[i].selfpay : 0;
	}
	strcpy(c.claim_no, "ZY2017-000123");
	c.items = items;
	c.item_count = n;
	c.item_cap = 8;
	c.medfee_sumamt = medfee;
	return zt_classify(out, p, &c, msg);
}

static struct zt_classified classify_ok(const struct zt_policy *p, const struct item_spec *spec,
                                        int n, zt_fen medfee)
{
	struct zt_classified k;
	char msg[ZT_MESSAGE_BYTES_MAX];
	zt_reject rj = classify(&k, p, spec, n, medfee, msg);
	cr_assert_eq(rj, ZT_REJ_NONE, "rejected: %s", msg);
	cr_assert_eq(k.medfee_sumamt,
	             k.fulamt_ownpay_amt + k.overlmt_selfpay + k.preselfpay_amt + k.inscp_scp_amt);
	return k;
}

#define Q4(units) ((zt_q4)(units) * 10000) /* whole yuan or whole units */

/* ---- rejection names ---------------------------------------------------- */

Test(split_reject, names_are_the_stable_codes_of_interfaces_md)
{
	cr_assert_str_eq(zt_reject_name(ZT_REJ_NONE), "");
	cr_assert_str_eq(zt_reject_name(ZT_REJ_SCHEMA_INVALID), "schema-invalid");
	cr_assert_str_eq(zt_reject_name(ZT_REJ_DUPLICATE_CLAIM_NO), "duplicate-claim-no");
	cr_assert_str_eq(zt_reject_name(ZT_REJ_UNKNOWN_HOSPITAL), "unknown-hospital");
	cr_assert_str_eq(zt_reject_name(ZT_REJ_UNKNOWN_PERSON), "unknown-person");
	cr_assert_str_eq(zt_reject_name(ZT_REJ_BAD_DATES), "bad-dates");
	cr_assert_str_eq(zt_reject_name(ZT_REJ_NO_POLICY), "no-policy");
	cr_assert_str_eq(zt_reject_name(ZT_REJ_AMOUNT_MISMATCH), "amount-mismatch");
	cr_assert_str_eq(zt_reject_name(ZT_REJ_NOT_SETTLED), "not-settled");
}

/* ---- §7 worked example ---------------------------------------------------- */

Test(split_example, worked_example_of_split_md_section_7)
{
	struct zt_policy p = sample_policy();
	/* The claim of docs/spec/interfaces.md: 8000 × 1; 25 × 80 (乙, ceiling 30, own
	 * selfpay_prop 0.10); 500 × 1 (丙). */
	const struct item_spec items[] = {
		{1, Q4(8000), Q4(1), 800000, -1, -1},
		{2, Q4(25), Q4(80), 200000, Q4(30), 1000},
		{3, Q4(500), Q4(1), 50000, -1, -1},
	};
	struct zt_classified k = classify_ok(&p, items, 3, 1050000);
	/* pre = 2000.00 × 0.10 = 200.00; inscp = 8000 + 1800 = 9800.00 */
	cr_assert_eq(k.preselfpay_amt, 20000);
	cr_assert_eq(k.inscp_scp_amt, 980000);
	cr_assert_eq(k.fulamt_ownpay_amt, 50000);
	cr_assert_eq(k.overlmt_selfpay, 0);

	struct zt_split_result r = split_ok(&p, ctx_of(2, true, ZT_CAT_POOR), k, NULL);
	/* basic: D = 400 × 0.5 = 200.00, R = 0.80 + 0.05 = 0.85;
	 *        (9800 − 200) × 0.85 = 8160.00
	 * critical: b = 9800 − 8160 = 1640.00 < 5000.00 (poor threshold) → 0
	 * assistance: 1640 × 0.70 = 1148.00
	 * psn0 = 10500 − 8160 − 1148 = 1192.00; target = 10500 × 0.10 = 1050.00;
	 * gap 142.00, all paid by relief 610103 (ratio 1); psn 1050.00 */
	cr_assert_eq(r.act_pay_dedc, 20000);
	cr_assert_eq(r.pool_prop_bp, 8500);
	expect_pays(r, 816000, 0, 114800, 14200, 0, 105000);
	cr_assert_eq(r.fund_pay_sumamt, 945000);
	cr_assert_eq(r.relief_pay[0], 14200);
	cr_assert_eq(r.critical_base_added, 164000);

	/* the trace an auditor reads */
	cr_assert(r.basic.adjusted);
	cr_assert_eq(r.basic.level_deductible, 40000);
	cr_assert_eq(r.basic.level_ratio_bp, 8000);
	cr_assert_eq(r.basic.deductible_factor_bp, 5000);
	cr_assert_eq(r.basic.ratio_bonus_bp, 500);
	cr_assert_eq(r.basic.deductible, 20000);
	cr_assert_eq(r.basic.raw, 816000);
	cr_assert_eq(r.basic.annual_cap, 15000000);
	cr_assert_eq(r.critical.adjusted, true);
	cr_assert_eq(r.critical.threshold, 500000);
	cr_assert_eq(r.critical.base, 164000);
	cr_assert_eq(r.critical.segment_count, 0);
	cr_assert_eq(r.critical.annual_cap, ZT_CAP_NONE);
	cr_assert(r.assistance.eligible);
	cr_assert_eq(r.assistance.base, 164000);
	cr_assert_eq(r.assistance.raw, 114800);
	cr_assert(r.cap.applies);
	cr_assert_eq(r.cap.cap_bp, 1000);
	cr_assert_eq(r.cap.psn0, 119200);
	cr_assert_eq(r.cap.target, 105000);
	cr_assert_eq(r.cap.gap, 14200);
	cr_assert_eq(r.cap.gap_left, 0);
	cr_assert(r.relief[0].eligible);
	cr_assert_eq(r.relief[0].gap_before, 14200);
	cr_assert_eq(r.relief[0].gap_after, 0);

	/* accumulators after the first claim of the year */
	cr_assert_eq(r.accum_after.basic_paid, 816000);
	cr_assert_eq(r.accum_after.critical_base, 164000);
	cr_assert_eq(r.accum_after.critical_paid, 0);
	cr_assert_eq(r.accum_after.assistance_paid, 114800);
	cr_assert_eq(r.accum_after.relief_count, 1);
	cr_assert_eq(r.accum_after.relief_paid[0], 14200);
}

/* ---- §1 classification --------------------------------------------------- */

Test(split_classify, level_01_is_fully_in_policy)
{
	struct zt_policy p = sample_policy();
	/* 100.00 × 2 = 200.00, all inscp */
	const struct item_spec it[] = {{1, Q4(100), Q4(2), 20000, -1, -1}};
	struct zt_classified k = classify_ok(&p, it, 1, 20000);
	cr_assert_eq(k.inscp_scp_amt, 20000);
	cr_assert_eq(k.preselfpay_amt + k.fulamt_ownpay_amt + k.overlmt_selfpay, 0);
}

Test(split_classify, level_02_self_pays_the_policy_ratio_when_it_has_none)
{
	struct zt_policy p = sample_policy();
	p.b_selfpay_ratio_bp = 1500;
	/* 25.00 × 80 = 2000.00; pre = 2000 × 0.15 = 300.00; inscp 1700.00 */
	const struct item_spec it[] = {{2, Q4(25), Q4(80), 200000, -1, -1}};
	struct zt_classified k = classify_ok(&p, it, 1, 200000);
	cr_assert_eq(k.preselfpay_amt, 30000);
	cr_assert_eq(k.inscp_scp_amt, 170000);
}

Test(split_classify, level_02_uses_its_own_selfpay_prop)
{
	struct zt_policy p = sample_policy();
	/* 2000.00 × 0.30 = 600.00 self-paid first; 0 is a ratio too, not "absent" */
	const struct item_spec it[] = {
		{2, Q4(25), Q4(80), 200000, -1, 3000},
		{2, Q4(10), Q4(10), 10000, -1, 0},
	};
	struct zt_classified k = classify_ok(&p, it, 2, 210000);
	cr_assert_eq(k.preselfpay_amt, 60000);
	cr_assert_eq(k.inscp_scp_amt, 140000 + 10000);
}

Test(split_classify, level_03_is_fully_self_paid)
{
	struct zt_policy p = sample_policy();
	const struct item_spec it[] = {{3, Q4(500), Q4(1), 50000, -1, -1}};
	struct zt_classified k = classify_ok(&p, it, 1, 50000);
	cr_assert_eq(k.fulamt_ownpay_amt, 50000);
	cr_assert_eq(k.inscp_scp_amt + k.preselfpay_amt + k.overlmt_selfpay, 0);
}

Test(split_classify, selfpay_prop_is_ignored_on_01_and_03)
{
	struct zt_policy p = sample_policy();
	/* a 0.50 self-pay ratio on 甲 and 丙 changes nothing */
	const struct item_spec it[] = {
		{1, Q4(100), Q4(1), 10000, -1, 5000},
		{3, Q4(40), Q4(1), 4000, -1, 5000},
	};
	struct zt_classified k = classify_ok(&p, it, 2, 14000);
	cr_assert_eq(k.inscp_scp_amt, 10000);
	cr_assert_eq(k.fulamt_ownpay_amt, 4000);
	cr_assert_eq(k.preselfpay_amt, 0);
}

Test(split_classify, price_above_the_ceiling_is_over_limit)
{
	struct zt_policy p = sample_policy();
	/* 乙 35.00 × 10 = 350.00, ceiling 30.00: over = (35 − 30) × 10 = 50.00,
	 * base 300.00, pre = 30.00, inscp 270.00.
	 * 甲 30.00 × 2 at a ceiling of exactly 30.00: not over.
	 * 丙 12.00 × 1, ceiling 10.00: over 2.00, fulamt 10.00 */
	const struct item_spec it[] = {
		{2, Q4(35), Q4(10), 35000, Q4(30), -1},
		{1, Q4(30), Q4(2), 6000, Q4(30), -1},
		{3, Q4(12), Q4(1), 1200, Q4(10), -1},
	};
	struct zt_classified k = classify_ok(&p, it, 3, 42200);
	cr_assert_eq(k.overlmt_selfpay, 5000 + 200);
	cr_assert_eq(k.preselfpay_amt, 3000);
	cr_assert_eq(k.inscp_scp_amt, 27000 + 6000);
	cr_assert_eq(k.fulamt_ownpay_amt, 1000);
}

Test(split_classify, over_limit_is_at_most_the_amount)
{
	struct zt_policy p = sample_policy();
	/* ceiling 0: over = min(amt, rhu(pric × cnt)) = the whole 12.35 (the
	 * item's 1.2345 × 10 = 12.345 rounds to 12.35 both times), base 0 */
	const struct item_spec it[] = {{1, 12345, Q4(10), 1235, 0, -1}};
	struct zt_classified k = classify_ok(&p, it, 1, 1235);
	cr_assert_eq(k.overlmt_selfpay, 1235);
	cr_assert_eq(k.inscp_scp_amt, 0);
}

Test(split_classify, amount_must_be_price_times_quantity)
{
	struct zt_policy p = sample_policy();
	/* item 3: 12.50 × 3 = 37.50, the hospital says 37.51 */
	const struct item_spec it[] = {
		{1, Q4(1), Q4(1), 100, -1, -1},
		{1, Q4(2), Q4(1), 200, -1, -1},
		{1, 125000, Q4(3), 3751, -1, -1},
	};
	struct zt_classified k;
	memset(&k, 0x5a, sizeof k);
	struct zt_classified untouched = k;
	char msg[ZT_MESSAGE_BYTES_MAX];
	cr_assert_eq(classify(&k, &p, it, 3, 4051, msg), ZT_REJ_AMOUNT_MISMATCH);
	cr_assert_str_eq(msg, "item 3: amount 37.51 is not price × quantity (37.50)");
	cr_assert_eq(memcmp(&k, &untouched, sizeof k), 0, "a rejection must leave *out alone");
}

Test(split_classify, medfee_must_be_the_sum_of_the_items)
{
	struct zt_policy p = sample_policy();
	/* 37.50 + 62.49 = 99.99 ≠ 100.00 */
	const struct item_spec it[] = {
		{1, 125000, Q4(3), 3750, -1, -1},
		{3, 62490, Q4(10), 6249, -1, -1},
	};
	struct zt_classified k;
	char msg[ZT_MESSAGE_BYTES_MAX];
	cr_assert_eq(classify(&k, &p, it, 2, 10000, msg), ZT_REJ_AMOUNT_MISMATCH);
	cr_assert_str_eq(msg, "medfee_sumamt 100.00 is not the sum of the items (99.99)");
	cr_assert_eq(classify(&k, &p, it, 2, 9999, msg), ZT_REJ_NONE);
}

Test(split_classify, amounts_round_half_up_at_half_a_fen)
{
	struct zt_policy p = sample_policy();
	char msg[ZT_MESSAGE_BYTES_MAX];
	struct zt_classified k;
	/* 0.0050 × 1 = 0.5 fen → 0.01; 0.0049 × 1 = 0.49 fen → 0.00 */
	const struct item_spec half_up[] = {{1, 50, Q4(1), 1, -1, -1}};
	const struct item_spec half_down[] = {{1, 50, Q4(1), 0, -1, -1}};
	const struct item_spec below[] = {{1, 49, Q4(1), 0, -1, -1}};
	cr_assert_eq(classify(&k, &p, half_up, 1, 1, msg), ZT_REJ_NONE, "%s", msg);
	cr_assert_eq(classify(&k, &p, half_down, 1, 0, msg), ZT_REJ_AMOUNT_MISMATCH);
	cr_assert_str_eq(msg, "item 1: amount 0.00 is not price × quantity (0.01)");
	cr_assert_eq(classify(&k, &p, below, 1, 0, msg), ZT_REJ_NONE, "%s", msg);
	/* 乙 0.05 × 0.10 = 0.5 fen self-paid first → 0.01; inscp 0.04.
	 * over: (0.2005 − 0.2000) × 10 = 0.5 fen → 0.01 */
	const struct item_spec pre[] = {
		{2, 500, Q4(1), 5, -1, -1},
		{1, 2005, Q4(10), 201, 2000, -1},
	};
	k = classify_ok(&p, pre, 2, 206);
	cr_assert_eq(k.preselfpay_amt, 1);
	cr_assert_eq(k.overlmt_selfpay, 1);
	cr_assert_eq(k.inscp_scp_amt, 4 + 200);
}

Test(split_classify, a_value_out_of_range_is_schema_invalid_before_any_amount)
{
	struct zt_policy p = sample_policy();
	/* item 1 has a wrong amount, item 2 a level that does not exist: the
	 * schema rule comes first whatever the order of the items */
	const struct item_spec it[] = {
		{1, Q4(1), Q4(1), 999, -1, -1},
		{4, Q4(1), Q4(1), 100, -1, -1},
	};
	struct zt_classified k;
	char msg[ZT_MESSAGE_BYTES_MAX];
	cr_assert_eq(classify(&k, &p, it, 2, 1099, msg), ZT_REJ_SCHEMA_INVALID);
	cr_assert_str_eq(msg, "item 2: chrgitm_lv 4 is not 01, 02 or 03");
	const struct item_spec neg[] = {{1, -Q4(1), Q4(1), 0, -1, -1}};
	cr_assert_eq(classify(&k, &p, neg, 1, 0, msg), ZT_REJ_SCHEMA_INVALID);
	const struct item_spec prop[] = {{2, Q4(1), Q4(1), 100, -1, 10001}};
	cr_assert_eq(classify(&k, &p, prop, 1, 100, msg), ZT_REJ_SCHEMA_INVALID);
	cr_assert_eq(classify(&k, &p, it, 0, 0, msg), ZT_REJ_SCHEMA_INVALID);
}

Test(split_classify, an_overflow_is_an_amount_mismatch)
{
	struct zt_policy p = sample_policy();
	char msg[ZT_MESSAGE_BYTES_MAX];
	struct zt_classified k;
	/* 99999999999999.9999 × 99999999999999.9999 has ~30 digits of fen */
	const struct item_spec huge[] = {{1, ZT_Q4_MAX, ZT_Q4_MAX, ZT_FEN_MAX, -1, -1}};
	cr_assert_eq(classify(&k, &p, huge, 1, ZT_FEN_MAX, msg), ZT_REJ_AMOUNT_MISMATCH);
	cr_assert_str_eq(msg, "item 1: price × quantity would overflow");

	/* 1000 items of 99999999999999.99 each: their sum passes INT64_MAX at
	 * the 923rd */
	static struct zt_item items[1000];
	for (int i = 0; i < 1000; i++) {
		memset(&items[i], 0, sizeof items[i]);
		snprintf(items[i].feedetl_sn, sizeof items[i].feedetl_sn, "%d", i + 1);
		items[i].chrgitm_lv = 1;
		items[i].pric = 999999999999999900;
		items[i].cnt = Q4(1);
		items[i].det_item_fee_sumamt = ZT_FEN_MAX;
	}
	struct zt_claim c;
	memset(&c, 0, sizeof c);
	c.items = items;
	c.item_count = 1000;
	c.item_cap = 1000;
	c.medfee_sumamt = ZT_FEN_MAX;
	cr_assert_eq(zt_classify(&k, &p, &c, msg), ZT_REJ_AMOUNT_MISMATCH);
	cr_assert(strstr(msg, "would overflow"), "message: %s", msg);
}

/* ---- §2 basic ------------------------------------------------------------- */

Test(split_basic, deductible_larger_than_inscp_takes_all_of_it)
{
	struct zt_policy p = sample_policy();
	/* general, level 4: D 1000.00 > inscp 600.00 → act_pay_dedc 600.00,
	 * hifp 0; the rest is the patient's (general is not capped) */
	struct zt_split_result r =
		split_ok(&p, ctx_of(4, true, ZT_CAT_GENERAL), cls_of(60000, 0, 0, 0), NULL);
	cr_assert_eq(r.act_pay_dedc, 60000);
	cr_assert_eq(r.basic.deductible, 100000);
	expect_pays(r, 0, 0, 0, 0, 0, 60000);
	cr_assert_eq(r.pool_prop_bp, 5500);
}

Test(split_basic, in_county_only_adjust_is_not_applied_out_of_county)
{
	struct zt_policy p = sample_policy();
	/* poor, level 2, out of county: D 400.00, R 0.80 (no adjust):
	 *   hifp = (9800 − 400) × 0.80 = 7520.00
	 * critical: the poor adjust is not in-county-only, T = 5000.00;
	 *   b = 9800 − 7520 = 2280.00 < 5000.00 → 0
	 * assistance: 2280 × 0.70 = 1596.00
	 * psn0 = 10500 − 7520 − 1596 = 1384.00; no out-of-county cap → psn0 */
	struct zt_split_result r = split_ok(&p, ctx_of(2, false, ZT_CAT_POOR), example_cls(), NULL);
	cr_assert_not(r.basic.adjusted);
	cr_assert_eq(r.basic.deductible, 40000);
	cr_assert_eq(r.pool_prop_bp, 8000);
	cr_assert_eq(r.act_pay_dedc, 40000);
	cr_assert(r.critical.adjusted);
	cr_assert_eq(r.critical.threshold, 500000);
	expect_pays(r, 752000, 0, 159600, 0, 0, 138400);
}

Test(split_basic, ratio_bonus_is_capped_at_100_percent)
{
	struct zt_policy p = sample_policy();
	p.levels[0].ratio_bp = 9800;
	/* poor, level 1, in county: R = min(1, 0.98 + 0.05) = 1;
	 * D = 100.00 × 0.5 = 50.00; hifp = 1000.00 − 50.00 = 950.00 */
	struct zt_split_result r =
		split_ok(&p, ctx_of(1, true, ZT_CAT_POOR), cls_of(100000, 0, 0, 0), NULL);
	cr_assert_eq(r.pool_prop_bp, 10000);
	cr_assert_eq(r.basic.deductible, 5000);
	cr_assert_eq(r.hifp_pay, 95000);
}

Test(split_basic, deductible_factor_rounds_half_up)
{
	struct zt_policy p = sample_policy();
	p.levels[0].deductible_fen = 10001;
	/* D = 100.01 × 0.5 = 50.005 → 50.01 */
	struct zt_split_result r =
		split_ok(&p, ctx_of(1, true, ZT_CAT_POOR), cls_of(100000, 0, 0, 0), NULL);
	cr_assert_eq(r.basic.deductible, 5001);
}

Test(split_basic, annual_cap_binds_partly_then_fully)
{
	struct zt_policy p = sample_policy();
	struct zt_accum before = {0};
	/* general, level 1: raw = (1000.00 − 100.00) × 0.90 = 810.00; cap
	 * 150000.00 with 149900.00 already paid leaves 100.00 */
	before.basic_paid = 14990000;
	struct zt_split_result r =
		split_ok(&p, ctx_of(1, true, ZT_CAT_GENERAL), cls_of(100000, 0, 0, 0), &before);
	cr_assert_eq(r.basic.raw, 81000);
	cr_assert_eq(r.hifp_pay, 10000);
	cr_assert_eq(r.accum_after.basic_paid, 15000000);

	/* the next claim finds the cap used up: nothing more */
	r = split_ok(&p, ctx_of(1, true, ZT_CAT_GENERAL), cls_of(100000, 0, 0, 0), &r.accum_after);
	cr_assert_eq(r.hifp_pay, 0);
	cr_assert_eq(r.accum_after.basic_paid, 15000000);
	cr_assert_eq(r.psn_part_amt, 100000);

	/* paid above the cap (a lower cap in a later policy version): max(0, …) */
	before.basic_paid = 16000000;
	r = split_ok(&p, ctx_of(1, true, ZT_CAT_GENERAL), cls_of(100000, 0, 0, 0), &before);
	cr_assert_eq(r.hifp_pay, 0);
	cr_assert_eq(r.accum_after.basic_paid, 16000000);
}

/* ---- §3 critical ---------------------------------------------------------- */

Test(split_critical, below_threshold_pays_nothing_but_the_base_accumulates)
{
	struct zt_policy p = sample_policy();
	/* general, level 3: hifp = (5000.00 − 800.00) × 0.65 = 2730.00;
	 * b = 5000 − 2730 = 2270.00; [0, 2270) is all below 10000.00 */
	struct zt_split_result r =
		split_ok(&p, ctx_of(3, true, ZT_CAT_GENERAL), cls_of(500000, 0, 0, 0), NULL);
	cr_assert_eq(r.hifp_pay, 273000);
	cr_assert_eq(r.hifmi_pay, 0);
	cr_assert_eq(r.critical_base_added, 227000);
	cr_assert_eq(r.accum_after.critical_base, 227000);
	cr_assert_eq(r.critical.segment_count, 0);

	/* with 9000.00 already in the base: [9000, 11270) crosses T = 10000.00,
	 * and only [10000, 11270) pays: 1270.00 × 0.60 = 762.00 */
	struct zt_accum before = {0};
	before.critical_base = 900000;
	r = split_ok(&p, ctx_of(3, true, ZT_CAT_GENERAL), cls_of(500000, 0, 0, 0), &before);
	cr_assert_eq(r.hifmi_pay, 76200);
	cr_assert_eq(r.critical.segment_count, 1);
	cr_assert_eq(r.critical.segments[0].from, 1000000);
	cr_assert_eq(r.critical.segments[0].to, 1127000);
	cr_assert_eq(r.accum_after.critical_base, 1127000);
	cr_assert_eq(r.accum_after.critical_paid, 76200);
}

Test(split_critical, tiers_crossed_inside_one_claim)
{
	struct zt_policy p = sample_policy();
	struct zt_accum before = {0};
	before.critical_base = 4800000;
	/* general, level 4: hifp = (120000.00 − 1000.00) × 0.55 = 65450.00;
	 * b = 54550.00; [48000, 102550) crosses two tier edges:
	 *   [48000, 50000)  × 0.60 =  1200.00
	 *   [50000, 100000) × 0.70 = 35000.00
	 *   [100000, 102550) × 0.80 =  2040.00  → 38240.00
	 * psn = 120000 − 65450 − 38240 = 16310.00 */
	struct zt_split_result r =
		split_ok(&p, ctx_of(4, true, ZT_CAT_GENERAL), cls_of(12000000, 0, 0, 0), &before);
	cr_assert_eq(r.hifp_pay, 6545000);
	cr_assert_eq(r.critical.base, 5455000);
	cr_assert_eq(r.critical.segment_count, 3);
	const struct zt_trace_segment *s = r.critical.segments;
	cr_assert_eq(s[0].from, 4800000);
	cr_assert_eq(s[0].to, 5000000);
	cr_assert_eq(s[0].ratio_bp, 6000);
	cr_assert_eq(s[0].tier_from, 1000000); /* the first tier starts at T */
	cr_assert_eq(s[0].tier_to, 5000000);
	cr_assert_eq(s[1].from, 5000000);
	cr_assert_eq(s[1].to, 10000000);
	cr_assert_eq(s[1].ratio_bp, 7000);
	cr_assert_eq(s[2].from, 10000000);
	cr_assert_eq(s[2].to, 10255000);
	cr_assert_eq(s[2].tier_to, ZT_CAP_NONE);
	cr_assert_eq(r.critical.weighted, (__int128)3824000 * 10000);
	expect_pays(r, 6545000, 3824000, 0, 0, 0, 1631000);
}

Test(split_critical, one_rounding_for_the_sum_of_the_tiers)
{
	struct zt_policy p = sample_policy();
	struct zt_accum before = {0};
	before.critical_base = 4999999;
	/* general, level 4: inscp 0.02 is all deductible, b = 0.02:
	 * [49999.99, 50000.00) × 0.60 = 0.6 fen, [50000.00, 50000.01) × 0.70 =
	 * 0.7 fen; one rounding: 1.3 → 0.01 (per tier it would be 0.02) */
	struct zt_split_result r =
		split_ok(&p, ctx_of(4, true, ZT_CAT_GENERAL), cls_of(2, 0, 0, 0), &before);
	cr_assert_eq(r.critical.segment_count, 2);
	cr_assert_eq(r.critical.weighted, 13000);
	cr_assert_eq(r.hifmi_pay, 1);
}

Test(split_critical, tiers_crossed_across_two_claims)
{
	struct zt_policy p = sample_policy();
	/* general, level 4, inscp 60000.00 twice:
	 * hifp = (60000 − 1000) × 0.55 = 32450.00; b = 27550.00
	 * claim 1: [0, 27550): [10000, 27550) × 0.60 = 10530.00
	 * claim 2: [27550, 55100): [27550, 50000) × 0.60 = 13470.00
	 *                          [50000, 55100) × 0.70 =  3570.00 → 17040.00 */
	struct zt_split_result r1 =
		split_ok(&p, ctx_of(4, true, ZT_CAT_GENERAL), cls_of(6000000, 0, 0, 0), NULL);
	cr_assert_eq(r1.hifp_pay, 3245000);
	cr_assert_eq(r1.hifmi_pay, 1053000);
	cr_assert_eq(r1.accum_after.critical_base, 2755000);
	struct zt_split_result r2 = split_ok(&p, ctx_of(4, true, ZT_CAT_GENERAL),
	                                     cls_of(6000000, 0, 0, 0), &r1.accum_after);
	cr_assert_eq(r2.hifp_pay, 3245000);
	cr_assert_eq(r2.hifmi_pay, 1704000);
	cr_assert_eq(r2.critical.before, 2755000);
	cr_assert_eq(r2.critical.segment_count, 2);
	cr_assert_eq(r2.accum_after.critical_base, 5510000);
	cr_assert_eq(r2.accum_after.critical_paid, 1053000 + 1704000);
	cr_assert_eq(r2.accum_after.basic_paid, 6490000);
}

Test(split_critical, adjusts_own_tiers_replace_the_policys)
{
	struct zt_policy p = sample_policy();
	struct zt_critical_adjust *ca = &p.critical_adjust[ZT_CAT_POOR];
	ca->tier_count = 2;
	ca->tiers[0] = (struct zt_tier){2000000, 5000};
	ca->tiers[1] = (struct zt_tier){ZT_CAP_NONE, 9000};
	struct zt_accum before = {0};
	before.critical_base = 1000000;
	/* poor, level 4, in county: D = 1000 × 0.5 = 500.00, R = 0.55 + 0.05;
	 * hifp = (30500 − 500) × 0.60 = 18000.00; b = 12500.00;
	 * [10000, 22500) in the adjust's bands (bonus 0.05 on each):
	 *   [10000, 20000) × 0.55 = 5500.00; [20000, 22500) × 0.95 = 2375.00
	 * (the policy's tiers would give 12500 × 0.65 = 8125.00) */
	struct zt_split_result r =
		split_ok(&p, ctx_of(4, true, ZT_CAT_POOR), cls_of(3050000, 0, 0, 0), &before);
	cr_assert_eq(r.hifp_pay, 1800000);
	cr_assert(r.critical.own_tiers);
	cr_assert_eq(r.critical.segment_count, 2);
	cr_assert_eq(r.critical.segments[0].ratio_bp, 5500);
	cr_assert_eq(r.critical.segments[0].tier_from, 500000);
	cr_assert_eq(r.critical.segments[1].ratio_bp, 9500);
	cr_assert_eq(r.hifmi_pay, 787500);

	/* out of county with an in-county-only adjust: policy tiers, T and no bonus:
	 * D 1000.00, R 0.55: hifp = 29500 × 0.55 = 16225.00; b = 14275.00;
	 * [10000, 24275) × 0.60 = 8565.00 */
	ca->in_county_only = true;
	r = split_ok(&p, ctx_of(4, false, ZT_CAT_POOR), cls_of(3050000, 0, 0, 0), &before);
	cr_assert_not(r.critical.own_tiers);
	cr_assert_eq(r.critical.threshold, 1000000);
	cr_assert_eq(r.hifmi_pay, 856500);
}

Test(split_critical, a_tier_ending_at_or_below_the_threshold_covers_nothing)
{
	struct zt_policy p = sample_policy();
	p.tier_count = 3;
	p.tiers[0] = (struct zt_tier){800000, 1000};
	p.tiers[1] = (struct zt_tier){2000000, 5000};
	p.tiers[2] = (struct zt_tier){ZT_CAP_NONE, 9000};
	/* general, level 4: hifp = (30000 − 1000) × 0.55 = 15950.00, b = 14050.00;
	 * tier 1 ends at 8000.00 < T: nothing; [10000, 14050) × 0.50 = 2025.00 */
	struct zt_split_result r =
		split_ok(&p, ctx_of(4, true, ZT_CAT_GENERAL), cls_of(3000000, 0, 0, 0), NULL);
	cr_assert_eq(r.critical.segment_count, 1);
	cr_assert_eq(r.critical.segments[0].tier_from, 1000000);
	cr_assert_eq(r.critical.segments[0].ratio_bp, 5000);
	cr_assert_eq(r.hifmi_pay, 202500);
}

Test(split_critical, adjust_cap_none_lifts_the_policy_cap)
{
	struct zt_policy p = sample_policy();
	struct zt_accum before = {0};
	before.critical_base = 10000000;
	before.critical_paid = 29900000;
	/* general, level 4: hifp 15950.00, b = 14050.00, [100000, 114050) × 0.80
	 * = 11240.00, but the policy cap 300000.00 leaves 1000.00 */
	struct zt_split_result r =
		split_ok(&p, ctx_of(4, true, ZT_CAT_GENERAL), cls_of(3000000, 0, 0, 0), &before);
	cr_assert_eq(r.critical.raw, 1124000);
	cr_assert_eq(r.hifmi_pay, 100000);
	cr_assert_eq(r.accum_after.critical_paid, 30000000);

	/* poor, in county: hifp = (30000 − 500) × 0.60 = 17700.00; b = 12300.00;
	 * [100000, 112300) × (0.80 + 0.05) = 10455.00, cap none → all of it */
	r = split_ok(&p, ctx_of(4, true, ZT_CAT_POOR), cls_of(3000000, 0, 0, 0), &before);
	cr_assert_eq(r.critical.annual_cap, ZT_CAP_NONE);
	cr_assert_eq(r.hifp_pay, 1770000);
	cr_assert_eq(r.hifmi_pay, 1045500);
	cr_assert_eq(r.accum_after.critical_paid, 29900000 + 1045500);

	/* an adjust with no annual-cap of its own keeps the policy's */
	p.critical_adjust[ZT_CAT_POOR].has_annual_cap = false;
	r = split_ok(&p, ctx_of(4, true, ZT_CAT_POOR), cls_of(3000000, 0, 0, 0), &before);
	cr_assert_eq(r.hifmi_pay, 100000);
}

Test(split_critical, include_preselfpay_adds_it_to_the_base)
{
	struct zt_policy p = sample_policy();
	/* general, level 4, inscp 30000.00, pre 2000.00: hifp 15950.00;
	 * without: b = 14050.00 → [10000, 14050) × 0.60 = 2430.00
	 * with:    b = 16050.00 → [10000, 16050) × 0.60 = 3630.00 */
	struct zt_split_result r = split_ok(&p, ctx_of(4, true, ZT_CAT_GENERAL),
	                                    cls_of(3000000, 200000, 0, 0), NULL);
	cr_assert_eq(r.hifmi_pay, 243000);
	cr_assert_eq(r.critical.preselfpay_added, 0);
	p.critical_include_preselfpay = true;
	r = split_ok(&p, ctx_of(4, true, ZT_CAT_GENERAL), cls_of(3000000, 200000, 0, 0), NULL);
	cr_assert_eq(r.critical.preselfpay_added, 200000);
	cr_assert_eq(r.critical_base_added, 1605000);
	cr_assert_eq(r.hifmi_pay, 363000);
}

/* ---- §4 assistance -------------------------------------------------------- */

Test(split_assistance, include_preselfpay_adds_it_to_the_base)
{
	struct zt_policy p = sample_policy();
	p.assistance_include_preselfpay = true;
	/* §7 with pre in the base: b = 9800 − 8160 + 200 = 1840.00 × 0.70
	 * = 1288.00; psn0 = 10500 − 8160 − 1288 = 1052.00; target 1050.00;
	 * relief 2.00 */
	struct zt_split_result r = split_ok(&p, ctx_of(2, true, ZT_CAT_POOR), example_cls(), NULL);
	cr_assert_eq(r.assistance.preselfpay_added, 20000);
	cr_assert_eq(r.assistance.base, 184000);
	expect_pays(r, 816000, 0, 128800, 200, 0, 105000);
}

Test(split_assistance, a_category_not_listed_gets_nothing)
{
	struct zt_policy p = sample_policy();
	/* general, level 2: hifp = (9800 − 400) × 0.80 = 7520.00; b = 2280.00
	 * below T; no assistance, no cap: psn = 10500 − 7520 = 2980.00 */
	struct zt_split_result r =
		split_ok(&p, ctx_of(2, true, ZT_CAT_GENERAL), example_cls(), NULL);
	cr_assert_not(r.assistance.eligible);
	cr_assert_not(r.cap.applies);
	expect_pays(r, 752000, 0, 0, 0, 0, 298000);
}

Test(split_assistance, deductible_and_annual_cap)
{
	struct zt_policy p = sample_policy();
	p.assistance[ZT_CAT_LOWINC].deductible_fen = 100000;
	/* lowinc, level 2 (no adjust): hifp 7520.00; b = 2280.00;
	 * raw = (2280 − 1000) × 0.70 = 896.00 */
	struct zt_split_result r =
		split_ok(&p, ctx_of(2, true, ZT_CAT_LOWINC), example_cls(), NULL);
	cr_assert_eq(r.assistance.deductible, 100000);
	cr_assert_eq(r.maf_pay, 89600);

	/* 29500.00 of 30000.00 already paid: 500.00 left.
	 * psn0 = 10500 − 7520 − 500 = 2480.00; target 1050.00; relief is for
	 * the poor only, so the hospital bears the gap 1430.00 */
	struct zt_accum before = {0};
	before.assistance_paid = 2950000;
	r = split_ok(&p, ctx_of(2, true, ZT_CAT_LOWINC), example_cls(), &before);
	cr_assert_eq(r.assistance.raw, 89600);
	cr_assert_eq(r.accum_after.assistance_paid, 3000000);
	cr_assert_not(r.relief[0].eligible);
	expect_pays(r, 752000, 0, 50000, 0, 143000, 105000);
}

Test(split_assistance, a_negative_base_means_no_assistance)
{
	struct zt_policy p = sample_policy();
	p.critical_include_preselfpay = true;
	struct zt_accum before = {0};
	before.critical_base = 1000000;
	/* lowinc, level 1: inscp 1000.00, pre 10000.00.
	 * hifp = (1000 − 100) × 0.90 = 810.00;
	 * critical b = 1000 − 810 + 10000 = 10190.00, [10000, 20190) × 0.60
	 * = 6114.00;
	 * assistance b = 1000 − 810 − 6114 = −5924.00 → 0;
	 * psn0 = 11000 − 810 − 6114 = 4076.00; target 1100.00; the hospital
	 * bears 2976.00 */
	struct zt_split_result r =
		split_ok(&p, ctx_of(1, true, ZT_CAT_LOWINC), cls_of(100000, 1000000, 0, 0), &before);
	cr_assert_eq(r.hifmi_pay, 611400);
	cr_assert_eq(r.assistance.base, -592400);
	expect_pays(r, 81000, 611400, 0, 0, 297600, 110000);
}

/* ---- §5 personal cap, relief, remainder ------------------------------------ */

Test(split_cap, relief_covers_the_whole_gap)
{
	struct zt_policy p = sample_policy();
	/* §7: gap 142.00, relief ratio 1, no cap: nothing left for the hospital */
	struct zt_split_result r = split_ok(&p, ctx_of(2, true, ZT_CAT_POOR), example_cls(), NULL);
	cr_assert_eq(r.relief[0].raw, 14200);
	cr_assert_eq(r.cap.gap_left, 0);
	expect_pays(r, 816000, 0, 114800, 14200, 0, 105000);
}

Test(split_cap, relief_ratio_below_one_and_its_annual_cap)
{
	struct zt_policy p = sample_policy();
	p.relief[0].ratio_bp = 8000;
	/* gap 142.00 × 0.80 = 113.60; the hospital bears 28.40 */
	struct zt_split_result r = split_ok(&p, ctx_of(2, true, ZT_CAT_POOR), example_cls(), NULL);
	expect_pays(r, 816000, 0, 114800, 11360, 2840, 105000);

	/* cap 500.00 with 400.00 already paid: 100.00; the hospital 42.00 */
	p.relief[0].annual_cap_fen = 50000;
	struct zt_accum before = {0};
	before.relief_count = 1;
	before.relief_paid[0] = 40000;
	r = split_ok(&p, ctx_of(2, true, ZT_CAT_POOR), example_cls(), &before);
	cr_assert_eq(r.relief[0].raw, 11360);
	cr_assert_eq(r.accum_after.relief_paid[0], 50000);
	expect_pays(r, 816000, 0, 114800, 10000, 4200, 105000);
}

Test(split_cap, two_relief_funds_pay_in_file_order)
{
	struct zt_policy p = sample_policy();
	p.relief[0].ratio_bp = 5000;
	p.relief_count = 2;
	strcpy(p.relief[1].fund, "610104");
	p.relief[1].categories[ZT_CAT_POOR] = true;
	p.relief[1].in_county_only = false;
	p.relief[1].ratio_bp = 10000;
	p.relief[1].annual_cap_fen = 5000;
	/* gap 142.00: 610103 pays 71.00, leaving 71.00; 610104 pays min(71.00,
	 * cap 50.00) = 50.00; the hospital bears 21.00 */
	struct zt_split_result r = split_ok(&p, ctx_of(2, true, ZT_CAT_POOR), example_cls(), NULL);
	cr_assert_eq(r.relief_pay[0], 7100);
	cr_assert_eq(r.relief_pay[1], 5000);
	cr_assert_eq(r.relief[1].gap_before, 7100);
	cr_assert_eq(r.relief[1].gap_after, 2100);
	cr_assert_eq(r.accum_after.relief_count, 2);
	cr_assert_eq(r.accum_after.relief_paid[1], 5000);
	expect_pays(r, 816000, 0, 114800, 12100, 2100, 105000);
}

Test(split_cap, in_county_only_relief_does_not_pay_out_of_county)
{
	struct zt_policy p = sample_policy();
	p.has_cap_out_of_county = true;
	p.cap_out_of_county_bp = 500;
	p.relief_count = 2;
	strcpy(p.relief[1].fund, "610104");
	p.relief[1].categories[ZT_CAT_POOR] = true;
	p.relief[1].in_county_only = false;
	p.relief[1].ratio_bp = 5000;
	p.relief[1].annual_cap_fen = ZT_CAP_NONE;
	/* poor out of county: hifp 7520.00, maf 1596.00, psn0 1384.00;
	 * target 10500 × 0.05 = 525.00; gap 859.00; 610103 is in-county-only;
	 * 610104 pays 429.50; the rest stays with the patient: 954.50 */
	struct zt_split_result r = split_ok(&p, ctx_of(2, false, ZT_CAT_POOR), example_cls(), NULL);
	cr_assert_not(r.relief[0].eligible);
	cr_assert_eq(r.relief_pay[0], 0);
	cr_assert(r.relief[1].eligible);
	cr_assert_not(r.cap.remainder_to_hospital);
	expect_pays(r, 752000, 0, 159600, 42950, 0, 95450);
}

Test(split_cap, remainder_goes_to_the_hospital_in_county)
{
	struct zt_policy p = sample_policy();
	p.relief_count = 0;
	/* §7 without relief: the hospital bears the gap 142.00 */
	struct zt_split_result r = split_ok(&p, ctx_of(2, true, ZT_CAT_POOR), example_cls(), NULL);
	cr_assert(r.cap.remainder_to_hospital);
	expect_pays(r, 816000, 0, 114800, 0, 14200, 105000);

	/* remainder to the patient: the gap stays with them */
	p.remainder = ZT_REMAINDER_PATIENT;
	r = split_ok(&p, ctx_of(2, true, ZT_CAT_POOR), example_cls(), NULL);
	expect_pays(r, 816000, 0, 114800, 0, 0, 119200);
}

Test(split_cap, remainder_stays_with_the_patient_out_of_county)
{
	struct zt_policy p = sample_policy();
	p.relief_count = 0;
	p.has_cap_out_of_county = true;
	p.cap_out_of_county_bp = 500;
	/* out of county: psn0 1384.00, target 525.00, gap 859.00, no relief,
	 * and a hospital outside the county bears nothing: psn 1384.00 */
	struct zt_split_result r = split_ok(&p, ctx_of(2, false, ZT_CAT_POOR), example_cls(), NULL);
	cr_assert(r.cap.applies);
	cr_assert_eq(r.cap.gap, 85900);
	cr_assert_eq(r.cap.gap_left, 85900);
	expect_pays(r, 752000, 0, 159600, 0, 0, 138400);
}

Test(split_cap, no_cap_on_a_side_that_has_none)
{
	struct zt_policy p = sample_policy();
	p.relief[0].in_county_only = false;
	/* out of county, no out-of-county cap: relief does not pay even though
	 * it is not in-county-only; psn = psn0 = 1384.00 */
	struct zt_split_result r = split_ok(&p, ctx_of(2, false, ZT_CAT_POOR), example_cls(), NULL);
	cr_assert_not(r.cap.applies);
	cr_assert_not(r.relief[0].eligible);
	expect_pays(r, 752000, 0, 159600, 0, 0, 138400);
	cr_assert_eq(r.accum_after.relief_paid[0], 0);
}

Test(split_cap, a_category_not_capped_pays_psn0)
{
	struct zt_policy p = sample_policy();
	p.cap_categories[ZT_CAT_LOWINC] = false;
	/* lowinc in county: hifp 7520.00, maf = 2280 × 0.70 = 1596.00,
	 * psn = psn0 = 1384.00 */
	struct zt_split_result r =
		split_ok(&p, ctx_of(2, true, ZT_CAT_LOWINC), example_cls(), NULL);
	cr_assert_not(r.cap.applies);
	expect_pays(r, 752000, 0, 159600, 0, 0, 138400);
}

Test(split_cap, target_rounds_down)
{
	struct zt_policy p = sample_policy();
	/* all 丙: 10000.05 × 0.10 = 1000.005 → 1000.00, never 1000.01;
	 * relief pays 9000.05 */
	struct zt_split_result r =
		split_ok(&p, ctx_of(2, true, ZT_CAT_POOR), cls_of(0, 0, 1000005, 0), NULL);
	cr_assert_eq(r.cap.target, 100000);
	expect_pays(r, 0, 0, 0, 900005, 0, 100000);
}

/* ---- errors ------------------------------------------------------------- */

Test(split_errors, an_overflowing_accumulator_is_erange_and_out_is_untouched)
{
	struct zt_policy p = sample_policy();
	p.basic_annual_cap_fen = ZT_CAP_NONE;
	struct zt_accum before = {0};
	before.basic_paid = INT64_MAX - 10;
	struct zt_split_result r;
	memset(&r, 0xa5, sizeof r);
	struct zt_split_result untouched = r;
	struct zt_split_ctx ctx = ctx_of(2, true, ZT_CAT_POOR);
	struct zt_classified cls = example_cls();
	cr_assert_eq(zt_split(&r, &p, &ctx, &cls, &before), ZT_ERANGE);
	cr_assert(strstr(zt_error_last(), "overflow"), "%s", zt_error_last());
	cr_assert_eq(memcmp(&r, &untouched, sizeof r), 0);

	before.basic_paid = 0;
	before.critical_base = INT64_MAX - 10;
	cr_assert_eq(zt_split(&r, &p, &ctx, &cls, &before), ZT_ERANGE);
	cr_assert_eq(memcmp(&r, &untouched, sizeof r), 0);

	before.critical_base = 0;
	before.relief_paid[0] = INT64_MAX - 10;
	cr_assert_eq(zt_split(&r, &p, &ctx, &cls, &before), ZT_ERANGE);
	cr_assert_eq(memcmp(&r, &untouched, sizeof r), 0);
}

Test(split_errors, inputs_outside_the_invariants_are_refused)
{
	struct zt_policy p = sample_policy();
	struct zt_accum before = {0};
	struct zt_split_result r;
	struct zt_classified cls = example_cls();
	struct zt_split_ctx ctx = ctx_of(5, true, ZT_CAT_POOR);
	cr_assert_eq(zt_split(&r, &p, &ctx, &cls, &before), ZT_EINTERNAL);
	ctx = ctx_of(2, true, ZT_CAT_POOR);
	cls.inscp_scp_amt += 1; /* parts no longer add up to medfee */
	cr_assert_eq(zt_split(&r, &p, &ctx, &cls, &before), ZT_EINTERNAL);
	cls = example_cls();
	before.assistance_paid = -1;
	cr_assert_eq(zt_split(&r, &p, &ctx, &cls, &before), ZT_EINTERNAL);
}

/* ---- setldetail ----------------------------------------------------------- */

Test(split_shares, paying_funds_in_order_and_zero_funds_left_out)
{
	struct zt_policy p = sample_policy();
	struct zt_fund_share s[3 + ZT_RELIEF_MAX];

	/* §7: basic, assistance, relief; critical paid 0 and is left out */
	struct zt_split_result r = split_ok(&p, ctx_of(2, true, ZT_CAT_POOR), example_cls(), NULL);
	int n = zt_split_shares(s, &p, &r);
	cr_assert_eq(n, 3);
	cr_assert_eq(s[0].kind, ZT_FUND_BASIC);
	cr_assert_str_eq(s[0].fund_code, "390100");
	cr_assert_eq(s[0].amount, 816000);
	cr_assert_eq(s[1].kind, ZT_FUND_ASSISTANCE);
	cr_assert_str_eq(s[1].fund_code, "610100");
	cr_assert_eq(s[1].amount, 114800);
	cr_assert_eq(s[2].kind, ZT_FUND_RELIEF);
	cr_assert_eq(s[2].relief_index, 0);
	cr_assert_eq(s[2].fund_code, p.relief[0].fund, "the code points into the policy");
	cr_assert_eq(s[2].amount, 14200);

	/* all four kinds, relief funds in file order, a zero relief left out.
	 * poor, level 2, 10000.00 of base before, pre in the critical base:
	 *   hifp 8160.00; b = 1640 + 200 = 1840.00, [10000, 11840) × 0.65
	 *   = 1196.00; maf = (9800 − 8160 − 1196) × 0.70 = 310.80;
	 *   psn0 = 10500 − 8160 − 1196 − 310.80 = 833.20; cap 0.05: target
	 *   525.00, gap 308.20: 610103 pays half, 154.10; 610104 lists no
	 *   category; 610105 pays the other 154.10 */
	p.critical_include_preselfpay = true;
	p.cap_in_county_bp = 500;
	p.relief_count = 3;
	p.relief[0].ratio_bp = 5000;
	strcpy(p.relief[1].fund, "610104");
	p.relief[1].ratio_bp = 10000; /* lists no category: pays nothing */
	p.relief[1].annual_cap_fen = ZT_CAP_NONE;
	strcpy(p.relief[2].fund, "610105");
	p.relief[2].categories[ZT_CAT_POOR] = true;
	p.relief[2].ratio_bp = 10000;
	p.relief[2].annual_cap_fen = ZT_CAP_NONE;
	struct zt_accum before = {0};
	before.critical_base = 1000000;
	r = split_ok(&p, ctx_of(2, true, ZT_CAT_POOR), example_cls(), &before);
	n = zt_split_shares(s, &p, &r);
	cr_assert_eq(n, 5);
	const enum zt_fund_kind kinds[] = {ZT_FUND_BASIC, ZT_FUND_CRITICAL, ZT_FUND_ASSISTANCE,
	                                   ZT_FUND_RELIEF, ZT_FUND_RELIEF};
	const char *codes[] = {"390100", "390200", "610100", "610103", "610105"};
	zt_fen sum = 0;
	for (int i = 0; i < n; i++) {
		cr_assert_eq(s[i].kind, kinds[i]);
		cr_assert_str_eq(s[i].fund_code, codes[i]);
		cr_assert_gt(s[i].amount, 0);
		sum += s[i].amount;
	}
	cr_assert_eq(s[4].relief_index, 2);
	const zt_fen amounts[] = {816000, 119600, 31080, 15410, 15410};
	for (int i = 0; i < n; i++)
		cr_assert_eq(s[i].amount, amounts[i], "share %d: %lld", i, (long long)s[i].amount);
	cr_assert_eq(sum, r.fund_pay_sumamt);

	/* nothing paid: an empty setldetail */
	r = split_ok(&p, ctx_of(2, true, ZT_CAT_GENERAL), cls_of(0, 0, 50000, 0), NULL);
	cr_assert_eq(zt_split_shares(s, &p, &r), 0);
}

/* ---- property: random policies, random claims ----------------------------- */

/* splitmix64: small, seeded, the same sequence everywhere. */
static uint64_t rng_state;
static uint64_t rnd(void)
{
	uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}
static int64_t rnd_in(int64_t lo, int64_t hi) { return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1)); }
static bool coin(int percent) { return rnd_in(1, 100) <= percent; }
static zt_bp rnd_ratio(void) { return coin(20) ? (zt_bp)(rnd_in(0, 2) * 5000) : (zt_bp)rnd_in(0, 10000); }
static zt_fen rnd_cap(zt_fen max) { return coin(30) ? ZT_CAP_NONE : rnd_in(0, max); }

static int rnd_tiers(struct zt_tier *t)
{
	int n = (int)rnd_in(1, 5);
	zt_fen upto = 0;
	for (int i = 0; i < n; i++) {
		upto += rnd_in(1, 6000000);
		t[i] = (struct zt_tier){i == n - 1 ? ZT_CAP_NONE : upto, rnd_ratio()};
	}
	return n;
}

static struct zt_policy random_policy(void)
{
	struct zt_policy p;
	memset(&p, 0, sizeof p);
	strcpy(p.basic_fund, "390100");
	strcpy(p.critical_fund, "390200");
	strcpy(p.assistance_fund, "610100");
	p.b_selfpay_ratio_bp = rnd_ratio();
	p.basic_annual_cap_fen = rnd_cap(20000000);
	for (int l = 0; l < ZT_LEVELS; l++)
		p.levels[l] = (struct zt_level){rnd_in(0, 300000), rnd_ratio()};
	p.critical_threshold_fen = rnd_in(0, 2000000);
	p.critical_annual_cap_fen = rnd_cap(10000000);
	p.critical_include_preselfpay = coin(50);
	p.tier_count = rnd_tiers(p.tiers);
	p.assistance_include_preselfpay = coin(50);
	for (int c = 0; c < ZT_CAT_COUNT; c++) {
		if (coin(40))
			p.basic_adjust[c] = (struct zt_basic_adjust){
				true, (zt_bp)rnd_in(0, 100000), rnd_ratio(), coin(50)};
		struct zt_critical_adjust *ca = &p.critical_adjust[c];
		if (coin(40)) {
			ca->present = true;
			ca->has_threshold = coin(50);
			ca->threshold_fen = rnd_in(0, 2000000);
			ca->ratio_bonus_bp = rnd_ratio();
			ca->has_annual_cap = coin(50);
			ca->annual_cap_fen = rnd_cap(10000000);
			ca->in_county_only = coin(50);
			ca->tier_count = coin(50) ? rnd_tiers(ca->tiers) : 0;
		}
		if (coin(60))
			p.assistance[c] = (struct zt_assist_category){true, rnd_in(0, 100000),
			                                              rnd_ratio(), rnd_cap(3000000)};
		p.cap_categories[c] = coin(60);
	}
	p.has_cap_in_county = coin(70);
	p.cap_in_county_bp = rnd_ratio();
	p.has_cap_out_of_county = coin(50);
	p.cap_out_of_county_bp = rnd_ratio();
	p.relief_count = (int)rnd_in(0, 4);
	for (int i = 0; i < p.relief_count; i++) {
		static const char *const codes[] = {"610103", "610104", "610105", "610106"};
		strcpy(p.relief[i].fund, codes[i]);
		for (int c = 0; c < ZT_CAT_COUNT; c++)
			p.relief[i].categories[c] = coin(60);
		p.relief[i].in_county_only = coin(50);
		p.relief[i].ratio_bp = rnd_ratio();
		p.relief[i].annual_cap_fen = rnd_cap(500000);
	}
	p.remainder = coin(50) ? ZT_REMAINDER_HOSPITAL : ZT_REMAINDER_PATIENT;
	return p;
}

/* A claim made of items, so classification is exercised too. */
static struct zt_classified random_claim(const struct zt_policy *p)
{
	struct zt_item items[12];
	struct zt_claim c;
	memset(items, 0, sizeof items);
	memset(&c, 0, sizeof c);
	int n = (int)rnd_in(1, 12);
	zt_fen sum = 0;
	/* mostly ordinary bills, sometimes a very large one */
	zt_q4 price_max = coin(5) ? Q4(5000000) : Q4(20000);
	for (int i = 0; i < n; i++) {
		struct zt_item *it = &items[i];
		it->chrgitm_lv = (int)rnd_in(1, 3);
		it->pric = rnd_in(0, price_max);
		it->cnt = rnd_in(1, 40) * 2500;
		cr_assert_eq(zt_rhu128(&it->det_item_fee_sumamt, (__int128)it->pric * it->cnt, 1000000), 0);
		it->has_pric_uplmt = coin(25);
		it->pric_uplmt_amt = rnd_in(0, price_max);
		it->has_selfpay_prop = coin(30);
		it->selfpay_prop_bp = rnd_ratio();
		sum += it->det_item_fee_sumamt;
	}
	c.items = items;
	c.item_count = n;
	c.medfee_sumamt = sum;
	struct zt_classified k;
	char msg[ZT_MESSAGE_BYTES_MAX];
	cr_assert_eq(zt_classify(&k, p, &c, msg), ZT_REJ_NONE, "%s", msg);
	return k;
}

/* The cap in force for a claim, worked out independently of split.c. */
static zt_fen critical_cap(const struct zt_policy *p, const struct zt_split_ctx *ctx)
{
	const struct zt_critical_adjust *a = &p->critical_adjust[ctx->category];
	if (a->present && a->has_annual_cap && (ctx->in_county || !a->in_county_only))
		return a->annual_cap_fen;
	return p->critical_annual_cap_fen;
}

static zt_fen critical_threshold(const struct zt_policy *p, const struct zt_split_ctx *ctx)
{
	const struct zt_critical_adjust *a = &p->critical_adjust[ctx->category];
	if (a->present && a->has_threshold && (ctx->in_county || !a->in_county_only))
		return a->threshold_fen;
	return p->critical_threshold_fen;
}

static bool within(zt_fen paid, zt_fen cap) { return cap == ZT_CAP_NONE || paid <= cap; }

Test(split_property, random_claims_conserve_money_and_respect_every_cap, .timeout = 120)
{
	rng_state = 20170310;
	int claims = 0, paid_critical = 0, paid_relief = 0, paid_hospital = 0;
	while (claims < 20000) {
		struct zt_policy p = random_policy();
		/* one person per sequence: category and side fixed, so every cap
		 * in force is the same for the whole year */
		struct zt_split_ctx ctx = {(int)rnd_in(1, 4), coin(60), (zt_category)rnd_in(0, 3)};
		zt_fen basic_cap = p.basic_annual_cap_fen;
		zt_fen crit_cap = critical_cap(&p, &ctx);
		zt_fen assist_cap = p.assistance[ctx.category].present
		                            ? p.assistance[ctx.category].annual_cap_fen
		                            : 0;
		zt_fen threshold = critical_threshold(&p, &ctx);
		struct zt_accum acc = {0};
		zt_fen sum_hifp = 0, sum_hifmi = 0, sum_maf = 0, sum_relief[ZT_RELIEF_MAX] = {0};
		int len = (int)rnd_in(1, 40);
		for (int k = 0; k < len; k++, claims++) {
			struct zt_classified cls = random_claim(&p);
			struct zt_split_result r;
			int rc = zt_split(&r, &p, &ctx, &cls, &acc);
			cr_assert_eq(rc, 0, "claim %d: %s", claims, zt_error_last());

			cr_assert_eq(r.fund_pay_sumamt + r.hosp_part_amt + r.psn_part_amt,
			             cls.medfee_sumamt, "claim %d does not conserve money", claims);
			cr_assert_eq(r.fund_pay_sumamt, r.hifp_pay + r.hifmi_pay + r.maf_pay + r.oth_pay);
			zt_fen oth = 0;
			for (int i = 0; i < p.relief_count; i++) {
				cr_assert_geq(r.relief_pay[i], 0);
				oth += r.relief_pay[i];
				sum_relief[i] += r.relief_pay[i];
				cr_assert(within(sum_relief[i], p.relief[i].annual_cap_fen));
				cr_assert_eq(r.accum_after.relief_paid[i], sum_relief[i]);
			}
			cr_assert_eq(oth, r.oth_pay);
			cr_assert_geq(r.hifp_pay, 0);
			cr_assert_geq(r.hifmi_pay, 0);
			cr_assert_geq(r.maf_pay, 0);
			cr_assert_geq(r.hosp_part_amt, 0);
			cr_assert_geq(r.psn_part_amt, 0);
			cr_assert_leq(r.psn_part_amt, r.cap.psn0);
			if (!ctx.in_county)
				cr_assert_eq(r.hosp_part_amt, 0);
			if (r.cap.applies && ctx.in_county && p.remainder == ZT_REMAINDER_HOSPITAL)
				cr_assert_eq(r.psn_part_amt, zt_min(r.cap.psn0, r.cap.target));
			if (!r.cap.applies)
				cr_assert_eq(r.psn_part_amt, r.cap.psn0);

			/* nothing below the threshold */
			if (r.accum_after.critical_base <= threshold)
				cr_assert_eq(r.hifmi_pay, 0, "claim %d paid below the threshold", claims);
			else
				cr_assert_leq(r.hifmi_pay, r.accum_after.critical_base -
				                                   zt_max(threshold, acc.critical_base));

			sum_hifp += r.hifp_pay;
			sum_hifmi += r.hifmi_pay;
			sum_maf += r.maf_pay;
			cr_assert(within(sum_hifp, basic_cap), "claim %d: basic cap", claims);
			cr_assert(within(sum_hifmi, crit_cap), "claim %d: critical cap", claims);
			cr_assert(within(sum_maf, assist_cap), "claim %d: assistance cap", claims);
			cr_assert_eq(r.accum_after.basic_paid, sum_hifp);
			cr_assert_eq(r.accum_after.critical_paid, sum_hifmi);
			cr_assert_eq(r.accum_after.assistance_paid, sum_maf);
			cr_assert_eq(r.accum_after.critical_base, acc.critical_base + r.critical_base_added);

			paid_critical += r.hifmi_pay > 0;
			paid_relief += r.oth_pay > 0;
			paid_hospital += r.hosp_part_amt > 0;
			acc = r.accum_after;
		}
	}
	/* the random worlds must actually reach every fund */
	cr_assert_gt(paid_critical, 500);
	cr_assert_gt(paid_relief, 500);
	cr_assert_gt(paid_hospital, 500);
}

/* ==== rules v2 and claim v2 ================================================== */

Test(split_reject, v2_names_and_their_place_in_the_precedence)
{
	cr_assert_str_eq(zt_reject_name(ZT_REJ_NATIONAL_MISSING), "national-missing");
	cr_assert_str_eq(zt_reject_name(ZT_REJ_NATIONAL_UNEXPECTED), "national-unexpected");
	cr_assert_str_eq(zt_reject_name(ZT_REJ_NATIONAL_MISMATCH), "national-mismatch");
	cr_assert_str_eq(zt_reject_name(ZT_REJ_NO_CATALOG), "no-catalog");
	/* docs/spec/interfaces.md's order, no-catalog right after no-policy
	 * (rules-v2 §2), the national codes after amount-mismatch in their
	 * order (claim-v2-national §3) */
	const zt_reject order[] = {ZT_REJ_SCHEMA_INVALID, ZT_REJ_DUPLICATE_CLAIM_NO,
	                           ZT_REJ_UNKNOWN_HOSPITAL, ZT_REJ_UNKNOWN_PERSON, ZT_REJ_BAD_DATES,
	                           ZT_REJ_NO_POLICY, ZT_REJ_NO_CATALOG, ZT_REJ_AMOUNT_MISMATCH,
	                           ZT_REJ_NATIONAL_MISSING, ZT_REJ_NATIONAL_UNEXPECTED,
	                           ZT_REJ_NATIONAL_MISMATCH};
	for (size_t i = 1; i < sizeof order / sizeof *order; i++)
		cr_assert_lt(zt_reject_rank(order[i - 1]), zt_reject_rank(order[i]), "%s before %s",
		             zt_reject_name(order[i - 1]), zt_reject_name(order[i]));
	cr_assert_gt(zt_reject_rank(ZT_REJ_NONE), zt_reject_rank(ZT_REJ_NATIONAL_MISMATCH));
}

/* ---- zt_classify_items: effective values (rules-v2 §2) ----------------------- */

static struct zt_claim claim_of(struct zt_item *items, const struct item_spec *spec, int n,
                                zt_fen medfee)
{
	struct zt_claim c;
	memset(&c, 0, sizeof c);
	for (int i = 0; i < n; i++) {
		memset(&items[i], 0, sizeof items[i]);
		snprintf(items[i].feedetl_sn, sizeof items[i].feedetl_sn, "%d", i + 1);
		items[i].chrgitm_lv = spec[i].lv;
		items[i].pric = spec[i].pric;
		items[i].cnt = spec[i].cnt;
		items[i].det_item_fee_sumamt = spec[i].amt;
		items[i].has_pric_uplmt = spec[i].ceiling >= 0;
		items[i].pric_uplmt_amt = spec[i].ceiling >= 0 ? spec[i].ceiling : 0;
		items[i].has_selfpay_prop = spec[i].selfpay >= 0;
		items[i].selfpay_prop_bp = spec[i].selfpay >= 0 ? spec[i].selfpay : 0;
	}
	c.items = items;
	c.item_count = n;
	c.medfee_sumamt = medfee;
	return c;
}

Test(split_classify_items, null_is_exactly_zt_classify)
{
	struct zt_policy p = sample_policy();
	const struct item_spec spec[] = {
		{1, Q4(8000), Q4(1), 800000, -1, -1},
		{2, Q4(25), Q4(80), 200000, Q4(20), 1000},
		{3, Q4(500), Q4(1), 50000, Q4(400), -1},
		{2, 12345, 30000, 370, -1, -1},
	};
	struct zt_item items[4];
	struct zt_claim c = claim_of(items, spec, 4, 1050370);
	struct zt_classified a, b;
	char m1[ZT_MESSAGE_BYTES_MAX], m2[ZT_MESSAGE_BYTES_MAX];
	cr_assert_eq(zt_classify(&a, &p, &c, m1), ZT_REJ_NONE, "%s", m1);
	cr_assert_eq(zt_classify_items(&b, &p, &c, NULL, m2), ZT_REJ_NONE, "%s", m2);
	cr_assert_eq(memcmp(&a, &b, sizeof a), 0);
	/* and the effective values the claim itself carries give the same */
	struct zt_item_class eff[4];
	cr_assert_eq(zt_catalog_classify(eff, NULL, 2, 20170310, &c), 0);
	cr_assert_eq(zt_classify_items(&b, &p, &c, eff, m2), ZT_REJ_NONE);
	cr_assert_eq(memcmp(&a, &b, sizeof a), 0);
	/* a mismatch is found the same way */
	items[1].det_item_fee_sumamt += 1;
	cr_assert_eq(zt_classify(&a, &p, &c, m1), ZT_REJ_AMOUNT_MISMATCH);
	cr_assert_eq(zt_classify_items(&b, &p, &c, eff, m2), ZT_REJ_AMOUNT_MISMATCH);
	cr_assert_str_eq(m1, m2);
}

Test(split_classify_items, class_ceiling_and_ratio_come_from_the_effective_values)
{
	struct zt_policy p = sample_policy();
	/* the §7 claim as the hospital sent it */
	const struct item_spec spec[] = {
		{1, Q4(8000), Q4(1), 800000, -1, -1},
		{2, Q4(25), Q4(80), 200000, Q4(30), 1000},
		{3, Q4(500), Q4(1), 50000, -1, -1},
	};
	struct zt_item items[3];
	struct zt_claim c = claim_of(items, spec, 3, 1050000);
	struct zt_item saved[3];
	memcpy(saved, items, sizeof saved);
	/* the insurer's view: item 1 is 乙 without a ratio of its own (the
	 * policy's 0.10), item 2 has a ceiling of 20.00 and a ratio of 0, item
	 * 3 is 甲 */
	struct zt_item_class eff[3] = {
		{2, false, 0, false, 0, NULL, true},
		{2, true, 0, true, Q4(20), NULL, true},
		{1, false, 0, false, 0, NULL, true},
	};
	struct zt_classified k;
	char msg[ZT_MESSAGE_BYTES_MAX];
	cr_assert_eq(zt_classify_items(&k, &p, &c, eff, msg), ZT_REJ_NONE, "%s", msg);
	/* item 1: pre 800.00, inscp 7200.00; item 2: over (25 − 20) × 80 =
	 * 400.00, base 1600.00, pre 0; item 3: inscp 500.00 */
	cr_assert_eq(k.preselfpay_amt, 80000);
	cr_assert_eq(k.overlmt_selfpay, 40000);
	cr_assert_eq(k.inscp_scp_amt, 720000 + 160000 + 50000);
	cr_assert_eq(k.fulamt_ownpay_amt, 0);
	cr_assert_eq(k.medfee_sumamt, 1050000);
	cr_assert_eq(memcmp(saved, items, sizeof saved), 0, "the claim is never changed");
}

/* ---- claim v2: the supplementary split (claim-v2-national.md §4) ---------------- */

/* The sample policy's county part, on top of the national platform. */
static struct zt_policy supplementary_policy(void)
{
	struct zt_policy p = sample_policy();
	struct zt_policy s;
	memset(&s, 0, sizeof s);
	strcpy(s.id, "xx-2017-supplementary");
	strcpy(s.county, "510101");
	s.effective_from = 20170101;
	s.effective_to = 20171231;
	s.version = 2;
	s.mode = ZT_MODE_SUPPLEMENTARY;
	s.b_selfpay_ratio_bp = 1000;
	s.basic_annual_cap_fen = s.critical_annual_cap_fen = ZT_CAP_NONE;
	strcpy(s.national_basic_fund, "390100");
	strcpy(s.national_critical_fund, "390200");
	strcpy(s.national_assistance_fund, "610100");
	memcpy(s.cap_categories, p.cap_categories, sizeof s.cap_categories);
	s.has_cap_in_county = true;
	s.cap_in_county_bp = 1000;
	s.has_cap_out_of_county = true;
	s.cap_out_of_county_bp = 2000;
	s.relief_count = 1;
	s.relief[0] = p.relief[0];
	s.remainder = ZT_REMAINDER_HOSPITAL;
	return s;
}

static struct zt_national_amounts national_of(zt_fen hifp, zt_fen hifmi, zt_fen maf)
{
	return (struct zt_national_amounts){.hifp_pay = hifp, .hifmi_pay = hifmi, .maf_pay = maf};
}

static struct zt_split_result supp_ok(const struct zt_policy *p, struct zt_split_ctx ctx,
                                      struct zt_classified cls, struct zt_national_amounts nat,
                                      const struct zt_accum *before)
{
	struct zt_split_result r;
	struct zt_accum zero = {.relief_count = p->relief_count};
	int rc = zt_split_supplementary(&r, p, &ctx, &cls, &nat, before ? before : &zero);
	cr_assert_eq(rc, 0, "supplementary split failed: %s", zt_error_last());
	cr_assert_eq(r.fund_pay_sumamt + r.hosp_part_amt + r.psn_part_amt, cls.medfee_sumamt);
	return r;
}

Test(split_supplementary, the_worked_example_on_top_of_the_national_amounts)
{
	/* §7 settled nationally: hifp 8160.00, hifmi 0, maf 1148.00; the
	 * county's part: psn0 1192.00, target 1050.00, relief 142.00 */
	struct zt_policy p = supplementary_policy();
	struct zt_split_result r = supp_ok(&p, ctx_of(2, true, ZT_CAT_POOR), example_cls(),
	                                   national_of(816000, 0, 114800), NULL);
	expect_pays(r, 816000, 0, 114800, 14200, 0, 105000);
	cr_assert(r.supplementary);
	cr_assert(r.pool_prop_absent, "pool_prop_selfpay is absent");
	cr_assert_eq(r.cap.psn0, 119200);
	cr_assert_eq(r.cap.target, 105000);
	/* no bill fields given: zhitong's own classification, act_pay_dedc 0 */
	cr_assert_eq(r.cls.preselfpay_amt, 20000);
	cr_assert_eq(r.cls.inscp_scp_amt, 980000);
	cr_assert_eq(r.cls.fulamt_ownpay_amt, 50000);
	cr_assert_eq(r.act_pay_dedc, 0);
	/* setldetail: the relief fund only */
	struct zt_fund_share s[3 + ZT_RELIEF_MAX];
	cr_assert_eq(zt_split_shares(s, &p, &r), 1);
	cr_assert_eq(s[0].kind, ZT_FUND_RELIEF);
	cr_assert_str_eq(s[0].fund_code, "610103");
	cr_assert_eq(s[0].amount, 14200);
}

Test(split_supplementary, national_bill_fields_replace_the_own_classification)
{
	struct zt_policy p = supplementary_policy();
	struct zt_national_amounts nat = national_of(816000, 0, 114800);
	nat.has_bill = true;
	nat.fulamt_ownpay_amt = 60000;
	nat.overlmt_selfpay = 1000;
	nat.preselfpay_amt = 19000;
	nat.inscp_scp_amt = 970000;
	nat.act_pay_dedc = 20000;
	struct zt_split_result r = supp_ok(&p, ctx_of(2, true, ZT_CAT_POOR), example_cls(), nat, NULL);
	cr_assert_eq(r.cls.fulamt_ownpay_amt, 60000);
	cr_assert_eq(r.cls.overlmt_selfpay, 1000);
	cr_assert_eq(r.cls.preselfpay_amt, 19000);
	cr_assert_eq(r.cls.inscp_scp_amt, 970000);
	cr_assert_eq(r.act_pay_dedc, 20000);
	cr_assert_eq(r.cls.medfee_sumamt, 1050000);
	/* they move no money: the same amounts as without them */
	expect_pays(r, 816000, 0, 114800, 14200, 0, 105000);
}

Test(split_supplementary, only_the_relief_accumulators_move)
{
	struct zt_policy p = supplementary_policy();
	struct zt_accum before = {111, 222, 333, 444, 1, {5000}};
	struct zt_split_result r = supp_ok(&p, ctx_of(2, true, ZT_CAT_POOR), example_cls(),
	                                   national_of(816000, 10000, 114800), &before);
	cr_assert_eq(r.accum_after.basic_paid, 111);
	cr_assert_eq(r.accum_after.critical_base, 222);
	cr_assert_eq(r.accum_after.critical_paid, 333);
	cr_assert_eq(r.accum_after.assistance_paid, 444);
	cr_assert_eq(r.critical_base_added, 0);
	/* psn0 = 10500 − 8160 − 100 − 1148 = 1092.00; gap 42.00 */
	cr_assert_eq(r.relief_pay[0], 4200);
	cr_assert_eq(r.accum_after.relief_paid[0], 5000 + 4200);
	cr_assert_eq(r.relief[0].paid_before, 5000);
	cr_assert_eq(r.relief[0].paid_after, 9200);
}

Test(split_supplementary, a_relief_cap_binding_leaves_the_rest_to_the_hospital)
{
	struct zt_policy p = supplementary_policy();
	p.relief[0].annual_cap_fen = 2000000; /* 20,000.00 a year */
	struct zt_accum before = {0, 0, 0, 0, 1, {1995000}};
	/* gap 142.00, room 50.00: relief 50.00, the hospital 92.00 */
	struct zt_split_result r = supp_ok(&p, ctx_of(2, true, ZT_CAT_POOR), example_cls(),
	                                   national_of(816000, 0, 114800), &before);
	expect_pays(r, 816000, 0, 114800, 5000, 9200, 105000);
	cr_assert_eq(r.accum_after.relief_paid[0], 2000000);
}

Test(split_supplementary, a_fund_exhausted_pays_nothing)
{
	struct zt_policy p = supplementary_policy();
	p.relief[0].annual_cap_fen = 2000000;
	struct zt_accum before = {0, 0, 0, 0, 1, {2000000}};
	struct zt_split_result r = supp_ok(&p, ctx_of(2, true, ZT_CAT_POOR), example_cls(),
	                                   national_of(816000, 0, 114800), &before);
	expect_pays(r, 816000, 0, 114800, 0, 14200, 105000);
	cr_assert_eq(r.accum_after.relief_paid[0], 2000000);
	/* remainder to the patient: the patient bears it */
	p.remainder = ZT_REMAINDER_PATIENT;
	r = supp_ok(&p, ctx_of(2, true, ZT_CAT_POOR), example_cls(), national_of(816000, 0, 114800),
	            &before);
	expect_pays(r, 816000, 0, 114800, 0, 0, 119200);
}

Test(split_supplementary, out_of_county_the_county_relief_and_remainder_stay_home)
{
	struct zt_policy p = supplementary_policy();
	/* out of county: cap 0.20, target 2100.00 > psn0 1192.00: no gap */
	struct zt_split_result r = supp_ok(&p, ctx_of(4, false, ZT_CAT_POOR), example_cls(),
	                                   national_of(816000, 0, 114800), NULL);
	expect_pays(r, 816000, 0, 114800, 0, 0, 119200);
	/* a bigger psn0: gap 1000.00; the relief fund is in-county-only and the
	 * hospital outside the county is not bound: the patient pays it */
	r = supp_ok(&p, ctx_of(4, false, ZT_CAT_POOR), example_cls(), national_of(616000, 0, 114800),
	            NULL);
	expect_pays(r, 616000, 0, 114800, 0, 0, 319200);
	cr_assert_eq(r.cap.gap, 109200);
	/* a fund open to out-of-county claims pays it */
	p.relief[0].in_county_only = false;
	r = supp_ok(&p, ctx_of(4, false, ZT_CAT_POOR), example_cls(), national_of(616000, 0, 114800),
	            NULL);
	expect_pays(r, 616000, 0, 114800, 109200, 0, 210000);
}

Test(split_supplementary, categories_without_a_cap_pay_what_is_left)
{
	struct zt_policy p = supplementary_policy();
	struct zt_split_result r = supp_ok(&p, ctx_of(2, true, ZT_CAT_GENERAL), example_cls(),
	                                   national_of(700000, 0, 0), NULL);
	expect_pays(r, 700000, 0, 0, 0, 0, 350000);
	cr_assert_not(r.cap.applies);
	/* the national platform paid everything */
	r = supp_ok(&p, ctx_of(2, true, ZT_CAT_POOR), example_cls(), national_of(1000000, 30000, 20000),
	            NULL);
	expect_pays(r, 1000000, 30000, 20000, 0, 0, 0);
}

Test(split_supplementary, refuses_what_no_caller_may_pass)
{
	struct zt_policy full = sample_policy(), supp = supplementary_policy();
	struct zt_split_result r;
	struct zt_split_ctx ctx = ctx_of(2, true, ZT_CAT_POOR);
	struct zt_classified cls = example_cls();
	struct zt_accum zero = {.relief_count = 1};
	struct zt_national_amounts nat = national_of(816000, 0, 114800);
	cr_assert_eq(zt_split_supplementary(&r, &full, &ctx, &cls, &nat, &zero), ZT_EINTERNAL);
	cr_assert_eq(zt_split(&r, &supp, &ctx, &cls, &zero), ZT_EINTERNAL);
	cr_assert(strstr(zt_error_last(), "supplementary"), "%s", zt_error_last());
	nat = national_of(1000000, 50000, 1);
	cr_assert_eq(zt_split_supplementary(&r, &supp, &ctx, &cls, &nat, &zero), ZT_EINTERNAL);
	nat = national_of(816000, 0, 114800);
	nat.has_bill = true; /* bill fields of zero do not add up */
	cr_assert_eq(zt_split_supplementary(&r, &supp, &ctx, &cls, &nat, &zero), ZT_EINTERNAL);
	/* a relief accumulator that would overflow: ZT_ERANGE */
	nat = national_of(616000, 0, 114800);
	struct zt_accum huge = {0, 0, 0, 0, 1, {INT64_MAX - 10}};
	cr_assert_eq(zt_split_supplementary(&r, &supp, &ctx, &cls, &nat, &huge), ZT_ERANGE);
}

/* ---- claim-v2-national §3 -------------------------------------------------------- */

Test(national_check, missing_unexpected_and_the_arithmetic_of_a_mismatch)
{
	struct zt_policy full = sample_policy(), supp = supplementary_policy();
	char msg[ZT_MESSAGE_BYTES_MAX];
	struct zt_national_amounts nat = national_of(816000, 0, 114800);
	cr_assert_eq(zt_national_check(&full, NULL, 1050000, msg), ZT_REJ_NONE);
	cr_assert_eq(zt_national_check(&supp, &nat, 1050000, msg), ZT_REJ_NONE);
	cr_assert_eq(zt_national_check(&supp, NULL, 1050000, msg), ZT_REJ_NATIONAL_MISSING);
	cr_assert(strstr(msg, "xx-2017-supplementary"), "%s", msg);
	cr_assert_eq(zt_national_check(&full, &nat, 1050000, msg), ZT_REJ_NATIONAL_UNEXPECTED);
	cr_assert(strstr(msg, "xx-2017"), "%s", msg);
	/* the three exactly the bill: fine; a fen more: mismatch */
	nat = national_of(1000000, 40000, 10000);
	cr_assert_eq(zt_national_check(&supp, &nat, 1050000, msg), ZT_REJ_NONE);
	nat.maf_pay += 1;
	cr_assert_eq(zt_national_check(&supp, &nat, 1050000, msg), ZT_REJ_NATIONAL_MISMATCH);
	cr_assert(strstr(msg, "10500.01") && strstr(msg, "10500.00"), "%s", msg);
	/* bill fields: adding up, a fen off either way */
	nat = national_of(816000, 0, 114800);
	nat.has_bill = true;
	nat.fulamt_ownpay_amt = 50000;
	nat.preselfpay_amt = 20000;
	nat.inscp_scp_amt = 980000;
	nat.act_pay_dedc = 20000;
	cr_assert_eq(zt_national_check(&supp, &nat, 1050000, msg), ZT_REJ_NONE, "%s", msg);
	nat.overlmt_selfpay = 1;
	cr_assert_eq(zt_national_check(&supp, &nat, 1050000, msg), ZT_REJ_NATIONAL_MISMATCH);
	cr_assert(strstr(msg, "10500.01"), "%s", msg);
	nat.overlmt_selfpay = 0;
	nat.inscp_scp_amt -= 1;
	cr_assert_eq(zt_national_check(&supp, &nat, 1050000, msg), ZT_REJ_NATIONAL_MISMATCH);
	/* the bill fields are not tied to the items, nor act_pay_dedc to anything */
	nat.inscp_scp_amt += 1;
	nat.act_pay_dedc = 9999999;
	cr_assert_eq(zt_national_check(&supp, &nat, 1050000, msg), ZT_REJ_NONE);
	/* out of range: the reader's guarantee broken */
	nat = national_of(-1, 0, 0);
	cr_assert_eq(zt_national_check(&supp, &nat, 1050000, msg), ZT_REJ_SCHEMA_INVALID);
}

/* ---- property: random supplementary cases conserve ---------------------------------- */

Test(split_property, random_supplementary_cases_conserve_and_respect_relief_caps, .timeout = 120)
{
	rng_state = 20230707;
	int relief_paid = 0, hospital_paid = 0;
	for (int world = 0; world < 200; world++) {
		struct zt_policy full = random_policy();
		struct zt_policy p = supplementary_policy();
		/* the random policy's county part */
		memcpy(p.cap_categories, full.cap_categories, sizeof p.cap_categories);
		p.has_cap_in_county = full.has_cap_in_county;
		p.cap_in_county_bp = full.cap_in_county_bp;
		p.has_cap_out_of_county = full.has_cap_out_of_county;
		p.cap_out_of_county_bp = full.cap_out_of_county_bp;
		p.relief_count = full.relief_count;
		memcpy(p.relief, full.relief, sizeof p.relief);
		p.remainder = full.remainder;
		p.b_selfpay_ratio_bp = full.b_selfpay_ratio_bp;
		struct zt_accum acc = {(zt_fen)rnd_in(0, 100), 7, 8, 9, p.relief_count, {0}};
		struct zt_accum first = acc;
		for (int k = 0; k < 100; k++) {
			struct zt_classified cls = random_claim(&p);
			zt_fen m = cls.medfee_sumamt;
			struct zt_national_amounts nat = {0};
			nat.hifp_pay = rnd_in(0, m);
			nat.hifmi_pay = rnd_in(0, m - nat.hifp_pay);
			nat.maf_pay = coin(20) ? m - nat.hifp_pay - nat.hifmi_pay
			                       : rnd_in(0, m - nat.hifp_pay - nat.hifmi_pay);
			if ((nat.has_bill = coin(50))) {
				nat.fulamt_ownpay_amt = rnd_in(0, m);
				nat.overlmt_selfpay = rnd_in(0, m - nat.fulamt_ownpay_amt);
				nat.preselfpay_amt =
					rnd_in(0, m - nat.fulamt_ownpay_amt - nat.overlmt_selfpay);
				nat.inscp_scp_amt = m - nat.fulamt_ownpay_amt - nat.overlmt_selfpay -
				                    nat.preselfpay_amt;
				nat.act_pay_dedc = rnd_in(0, nat.inscp_scp_amt);
			}
			char msg[ZT_MESSAGE_BYTES_MAX];
			cr_assert_eq(zt_national_check(&p, &nat, m, msg), ZT_REJ_NONE, "%s", msg);
			struct zt_split_ctx ctx = ctx_of((int)rnd_in(1, 4), coin(70),
			                                 (zt_category)rnd_in(0, ZT_CAT_COUNT - 1));
			struct zt_split_result r;
			cr_assert_eq(zt_split_supplementary(&r, &p, &ctx, &cls, &nat, &acc), 0, "%s",
			             zt_error_last());
			cr_assert_eq(r.fund_pay_sumamt + r.hosp_part_amt + r.psn_part_amt, m);
			cr_assert_eq(r.cls.fulamt_ownpay_amt + r.cls.overlmt_selfpay + r.cls.preselfpay_amt +
			                     r.cls.inscp_scp_amt, m);
			cr_assert_eq(r.hifp_pay, nat.hifp_pay);
			cr_assert_eq(r.hifmi_pay, nat.hifmi_pay);
			cr_assert_eq(r.maf_pay, nat.maf_pay);
			cr_assert_geq(r.psn_part_amt, 0);
			cr_assert_geq(r.hosp_part_amt, 0);
			cr_assert_leq(r.psn_part_amt, r.cap.psn0);
			if (!ctx.in_county)
				cr_assert_eq(r.hosp_part_amt, 0);
			zt_fen oth = 0;
			for (int i = 0; i < p.relief_count; i++) {
				oth += r.relief_pay[i];
				cr_assert(within(r.accum_after.relief_paid[i], p.relief[i].annual_cap_fen) ||
				          r.relief_pay[i] == 0);
				cr_assert_eq(r.accum_after.relief_paid[i], acc.relief_paid[i] + r.relief_pay[i]);
			}
			cr_assert_eq(oth, r.oth_pay);
			cr_assert_eq(r.accum_after.basic_paid, first.basic_paid);
			cr_assert_eq(r.accum_after.critical_base, first.critical_base);
			cr_assert_eq(r.accum_after.critical_paid, first.critical_paid);
			cr_assert_eq(r.accum_after.assistance_paid, first.assistance_paid);
			struct zt_fund_share s[3 + ZT_RELIEF_MAX];
			int n = zt_split_shares(s, &p, &r);
			for (int i = 0; i < n; i++)
				cr_assert_eq(s[i].kind, ZT_FUND_RELIEF);
			relief_paid += r.oth_pay > 0;
			hospital_paid += r.hosp_part_amt > 0;
			acc = r.accum_after;
		}
	}
	/* the random cases must actually reach the relief funds and the
	 * remainder (about 1% and 1.5% of them do) */
	cr_assert_gt(relief_paid, 150);
	cr_assert_gt(hospital_paid, 150);
}

/* ---- the pure functions against worlds settled independently ----------------------------
 * tests/reference/split_ref.py computed each expected.xml from the
 * specification alone; here the engine's pure functions settle the same
 * claims: the category on the discharge date, the catalogue's
 * classification item by item, the national checks, the full or the
 * supplementary split. (The whole path through `claim submit`:
 * test_claims.c, vectors_v2.) */

static void check_world(const char *rel, int min_settled, int min_rejected)
{
	int rejected = 0;
	int settled = zt_test_world_check(zt_test_case(rel), &rejected);
	cr_assert_geq(settled, min_settled, "%s: %d settled", rel, settled);
	cr_assert_geq(rejected, min_rejected, "%s: %d rejected", rel, rejected);
}

Test(vectors_pure, the_four_v1_worlds) {
	for (int w = 1001; w <= 1004; w++) {
		char rel[64];
		snprintf(rel, sizeof rel, "vectors/world-%d", w);
		check_world(rel, 40, 0);
	}
}
Test(vectors_pure, world_2001_catalogue_and_periods) { check_world("vectors-v2/world-2001", 50, 1); }
Test(vectors_pure, world_2002_claims_v2_under_a_full_policy) { check_world("vectors-v2/world-2002", 50, 4); }
Test(vectors_pure, world_2003_a_catalogue_from_july) { check_world("vectors-v2/world-2003", 50, 1); }
Test(vectors_pure, world_2004_policy_v2_mode_full) { check_world("vectors-v2/world-2004", 50, 4); }
Test(vectors_pure, world_2101_supplementary) { check_world("vectors-v2/world-2101", 40, 10); }
Test(vectors_pure, world_2102_supplementary_with_a_catalogue_from_april) { check_world("vectors-v2/world-2102", 40, 10); }
