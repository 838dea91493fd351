/* zhitong — reading policies (docs/spec/interfaces.md "Policy", docs/spec/split.md).
 *
 * Data-driven: every tests/cases/policy/bad-*.xml must be refused, with a
 * message naming the file and a line; the comment
 *   <!-- expect: LINE: TEXT -->
 * in the file pins the line and a piece of the message (TEXT alone when
 * the failure has no line of its own). Every good-*.xml must load. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "zhitong/error.h"
#include "zhitong/policy.h"

#define SAMPLE ZT_TEST_SOURCE_DIR "/rules/sample-510101-2017.xml"

static struct zt_policy load(const char *path)
{
	struct zt_policy p;
	int rc = zt_policy_parse_file(&p, path);
	cr_assert_eq(rc, 0, "%s: %s", path, zt_error_last());
	return p;
}

static struct zt_policy load_case(const char *name)
{
	char rel[512];
	snprintf(rel, sizeof rel, "policy/%s", name);
	return load(zt_test_case(rel));
}

/* ---- the sample policy, field by field ----------------------------- */

Test(policy_sample, header_and_items)
{
	struct zt_policy p = load(SAMPLE);
	cr_assert_str_eq(p.id, "xx-2017");
	cr_assert_str_eq(p.county, "510101");
	cr_assert_gt(strlen(p.name), 0);
	cr_assert_eq(p.effective_from, 20170101);
	cr_assert_eq(p.effective_to, 20171231);
	cr_assert_eq(p.b_selfpay_ratio_bp, 1000);
}

Test(policy_sample, basic_levels_in_fen_and_bp)
{
	struct zt_policy p = load(SAMPLE);
	cr_assert_str_eq(p.basic_fund, "390100");
	cr_assert_eq(p.basic_annual_cap_fen, 15000000);
	static const struct zt_level want[ZT_LEVELS] = {
		{10000, 9000}, {40000, 8000}, {80000, 6500}, {100000, 5500}};
	for (int l = 0; l < ZT_LEVELS; l++) {
		cr_expect_eq(p.levels[l].deductible_fen, want[l].deductible_fen, "level %d", l + 1);
		cr_expect_eq(p.levels[l].ratio_bp, want[l].ratio_bp, "level %d", l + 1);
	}
}

Test(policy_sample, basic_adjust_for_poor_only)
{
	struct zt_policy p = load(SAMPLE);
	const struct zt_basic_adjust *a = &p.basic_adjust[ZT_CAT_POOR];
	cr_assert(a->present);
	cr_assert_eq(a->deductible_factor_bp, 5000);
	cr_assert_eq(a->ratio_bonus_bp, 500);
	cr_assert(a->in_county_only);
	cr_assert_not(p.basic_adjust[ZT_CAT_GENERAL].present);
	cr_assert_not(p.basic_adjust[ZT_CAT_LOWINC].present);
	cr_assert_not(p.basic_adjust[ZT_CAT_DESTITUTE].present);
}

Test(policy_sample, critical_tiers_and_poor_adjust)
{
	struct zt_policy p = load(SAMPLE);
	cr_assert_str_eq(p.critical_fund, "390200");
	cr_assert_eq(p.critical_threshold_fen, 1000000);
	cr_assert_eq(p.critical_annual_cap_fen, 30000000);
	cr_assert_not(p.critical_include_preselfpay);
	cr_assert_eq(p.tier_count, 3);
	cr_assert_eq(p.tiers[0].upto_fen, 5000000);
	cr_assert_eq(p.tiers[0].ratio_bp, 6000);
	cr_assert_eq(p.tiers[1].upto_fen, 10000000);
	cr_assert_eq(p.tiers[1].ratio_bp, 7000);
	cr_assert_eq(p.tiers[2].upto_fen, ZT_CAP_NONE);
	cr_assert_eq(p.tiers[2].ratio_bp, 8000);

	const struct zt_critical_adjust *a = &p.critical_adjust[ZT_CAT_POOR];
	cr_assert(a->present);
	cr_assert(a->has_threshold);
	cr_assert_eq(a->threshold_fen, 500000);
	cr_assert_eq(a->ratio_bonus_bp, 500);
	cr_assert(a->has_annual_cap);
	cr_assert_eq(a->annual_cap_fen, ZT_CAP_NONE);
	cr_assert_not(a->in_county_only);
	cr_assert_eq(a->tier_count, 0, "no own tiers: the policy's apply");
	cr_assert_not(p.critical_adjust[ZT_CAT_GENERAL].present);
	cr_assert_not(p.critical_adjust[ZT_CAT_LOWINC].present);
}

Test(policy_sample, assistance_by_category)
{
	struct zt_policy p = load(SAMPLE);
	cr_assert_str_eq(p.assistance_fund, "610100");
	cr_assert_not(p.assistance_include_preselfpay);
	cr_assert_not(p.assistance[ZT_CAT_GENERAL].present);
	const struct zt_assist_category *d = &p.assistance[ZT_CAT_DESTITUTE];
	cr_assert(d->present);
	cr_assert_eq(d->deductible_fen, 0);
	cr_assert_eq(d->ratio_bp, 10000);
	cr_assert_eq(d->annual_cap_fen, ZT_CAP_NONE);
	for (int c = ZT_CAT_POOR; c <= ZT_CAT_LOWINC; c++) {
		cr_assert(p.assistance[c].present);
		cr_assert_eq(p.assistance[c].ratio_bp, 7000);
		cr_assert_eq(p.assistance[c].annual_cap_fen, 3000000);
	}
}

Test(policy_sample, personal_cap_relief_and_remainder)
{
	struct zt_policy p = load(SAMPLE);
	cr_assert_not(p.cap_categories[ZT_CAT_GENERAL]);
	cr_assert(p.cap_categories[ZT_CAT_POOR]);
	cr_assert(p.cap_categories[ZT_CAT_LOWINC]);
	cr_assert(p.cap_categories[ZT_CAT_DESTITUTE]);
	cr_assert(p.has_cap_in_county);
	cr_assert_eq(p.cap_in_county_bp, 1000);
	cr_assert_not(p.has_cap_out_of_county);

	cr_assert_eq(p.relief_count, 1);
	const struct zt_relief *r = &p.relief[0];
	cr_assert_str_eq(r->fund, "610103");
	cr_assert_str_eq(r->name, "卫生扶贫救助基金");
	cr_assert(r->categories[ZT_CAT_POOR]);
	cr_assert_not(r->categories[ZT_CAT_LOWINC]);
	cr_assert_not(r->categories[ZT_CAT_DESTITUTE]);
	cr_assert_not(r->categories[ZT_CAT_GENERAL]);
	cr_assert(r->in_county_only);
	cr_assert_eq(r->ratio_bp, 10000);
	cr_assert_eq(r->annual_cap_fen, ZT_CAP_NONE);
	cr_assert_eq(p.remainder, ZT_REMAINDER_HOSPITAL);
}

Test(policy_sample, names_its_funds_in_split_order)
{
	struct zt_policy p = load(SAMPLE);
	const char *codes[3 + ZT_RELIEF_MAX];
	cr_assert_eq(zt_policy_funds(&p, codes), 4);
	cr_assert_str_eq(codes[0], "390100");
	cr_assert_str_eq(codes[1], "390200");
	cr_assert_str_eq(codes[2], "610100");
	cr_assert_str_eq(codes[3], "610103");
}

/* ---- defaults ------------------------------------------------------ */

Test(policy_defaults, absent_optional_parts_mean_no_cap_and_patient)
{
	struct zt_policy p = load_case("good-minimal.xml");
	cr_assert_eq(p.effective_to, 0, "no effective-to: open-ended");
	cr_assert_eq(p.b_selfpay_ratio_bp, 0);
	cr_assert_eq(p.basic_annual_cap_fen, ZT_CAP_NONE);
	cr_assert_eq(p.levels[3].deductible_fen, 100000, "levels are read by code, not order");
	cr_assert_eq(p.levels[0].ratio_bp, 9000);
	cr_assert_eq(p.critical_annual_cap_fen, ZT_CAP_NONE);
	cr_assert_not(p.critical_include_preselfpay);
	cr_assert_not(p.assistance_include_preselfpay);
	cr_assert_eq(p.tier_count, 1);
	cr_assert_eq(p.tiers[0].upto_fen, ZT_CAP_NONE);
	for (int c = 0; c < ZT_CAT_COUNT; c++) {
		cr_assert_not(p.basic_adjust[c].present);
		cr_assert_not(p.critical_adjust[c].present);
		cr_assert_not(p.assistance[c].present, "assistance may list no category");
		cr_assert_not(p.cap_categories[c], "no <personal-cap>: no cap");
	}
	cr_assert_not(p.has_cap_in_county);
	cr_assert_not(p.has_cap_out_of_county);
	cr_assert_eq(p.relief_count, 0);
	cr_assert_eq(p.remainder, ZT_REMAINDER_PATIENT);
}

Test(policy_defaults, adjust_defaults_and_values_with_white_space)
{
	struct zt_policy p = load_case("good-defaults.xml");
	cr_assert_str_eq(p.id, "defaults");
	cr_assert_str_eq(p.name, "默认值 测试", "white space collapses as in xs:token");
	cr_assert_eq(p.effective_from, 20200229);
	cr_assert_eq(p.effective_to, 20200229, "a one-day policy is allowed");
	cr_assert_eq(p.b_selfpay_ratio_bp, 2000);
	cr_assert_eq(p.basic_annual_cap_fen, ZT_CAP_NONE);
	cr_assert_eq(p.levels[0].ratio_bp, 10000);
	cr_assert_eq(p.levels[1].deductible_fen, 40000);
	cr_assert_eq(p.levels[3].deductible_fen, INT64_C(9999999999999999));

	const struct zt_basic_adjust *b = &p.basic_adjust[ZT_CAT_LOWINC];
	cr_assert(b->present);
	cr_assert_eq(b->deductible_factor_bp, 10000, "deductible-factor defaults to 1");
	cr_assert_eq(b->ratio_bonus_bp, 0);
	cr_assert_not(b->in_county_only);
	b = &p.basic_adjust[ZT_CAT_DESTITUTE];
	cr_assert_eq(b->deductible_factor_bp, 100000);
	cr_assert_eq(b->ratio_bonus_bp, 10000);

	cr_assert_eq(p.critical_threshold_fen, 0);
	cr_assert_eq(p.critical_annual_cap_fen, 0, "0.00 is a cap, not none");
	cr_assert(p.critical_include_preselfpay);
	const struct zt_critical_adjust *c = &p.critical_adjust[ZT_CAT_GENERAL];
	cr_assert(c->present);
	cr_assert_not(c->has_threshold);
	cr_assert_not(c->has_annual_cap);
	cr_assert_eq(c->ratio_bonus_bp, 0);
	cr_assert_not(c->in_county_only);
	cr_assert_eq(c->tier_count, 0);
	c = &p.critical_adjust[ZT_CAT_LOWINC];
	cr_assert(c->in_county_only);
	cr_assert_eq(c->tier_count, 3);
	cr_assert_eq(c->tiers[0].upto_fen, 2000000);
	cr_assert_eq(c->tiers[1].upto_fen, 4000000);
	cr_assert_eq(c->tiers[2].upto_fen, ZT_CAP_NONE);
	cr_assert_eq(c->tiers[2].ratio_bp, 7000);

	cr_assert(p.assistance_include_preselfpay);
	const struct zt_assist_category *a = &p.assistance[ZT_CAT_GENERAL];
	cr_assert(a->present);
	cr_assert_eq(a->deductible_fen, 0);
	cr_assert_eq(a->ratio_bp, 1000);
	cr_assert_eq(a->annual_cap_fen, ZT_CAP_NONE);

	cr_assert(p.cap_categories[ZT_CAT_LOWINC]);
	cr_assert(p.cap_categories[ZT_CAT_GENERAL]);
	cr_assert_not(p.cap_categories[ZT_CAT_POOR]);
	cr_assert_not(p.has_cap_in_county);
	cr_assert(p.has_cap_out_of_county);
	cr_assert_eq(p.cap_out_of_county_bp, 2000);

	cr_assert_eq(p.relief_count, 2);
	cr_assert_str_eq(p.relief[0].fund, "610103");
	cr_assert_str_eq(p.relief[0].name, "");
	cr_assert(p.relief[0].in_county_only, "relief in-county-only defaults to true");
	cr_assert_eq(p.relief[0].ratio_bp, 10000);
	cr_assert_eq(p.relief[0].annual_cap_fen, ZT_CAP_NONE);
	cr_assert_str_eq(p.relief[1].name, "第二基金");
	cr_assert_not(p.relief[1].in_county_only);
	cr_assert_eq(p.relief[1].ratio_bp, 5000);
	cr_assert_eq(p.relief[1].annual_cap_fen, 200000);
	cr_assert_eq(p.remainder, ZT_REMAINDER_PATIENT);

	const char *codes[3 + ZT_RELIEF_MAX];
	cr_assert_eq(zt_policy_funds(&p, codes), 5);
	cr_assert_str_eq(codes[4], "610104");
}

Test(policy_defaults, the_limits_themselves_are_allowed)
{
	struct zt_policy p = load_case("good-limits.xml");
	cr_assert_eq(p.tier_count, ZT_TIERS_MAX);
	cr_assert_eq(p.tiers[ZT_TIERS_MAX - 2].upto_fen, 1500000);
	cr_assert_eq(p.relief_count, ZT_RELIEF_MAX);
	cr_assert_str_eq(p.relief[ZT_RELIEF_MAX - 1].fund, "610215");
	cr_assert_eq(strlen(p.id), 50);
	cr_assert_eq(strlen(p.name), 50 * 3, "50 three-byte characters fit the buffer");
	const char *codes[3 + ZT_RELIEF_MAX];
	cr_assert_eq(zt_policy_funds(&p, codes), 3 + ZT_RELIEF_MAX);
}

/* ---- the four vector policies -------------------------------------- */

Test(policy_vectors, all_four_load)
{
	for (int w = 1001; w <= 1004; w++) {
		char rel[64];
		snprintf(rel, sizeof rel, "vectors/world-%d/policy.xml", w);
		struct zt_policy p = load(zt_test_case(rel));
		cr_expect_str_eq(p.county, "510199", "world-%d", w);
		cr_expect_eq(p.effective_from, 20180101);
		cr_expect_eq(p.effective_to, 20181231);
	}
}

Test(policy_vectors, own_tiers_of_an_adjust_replace_the_policys)
{
	struct zt_policy p = load(zt_test_case("vectors/world-1003/policy.xml"));
	cr_assert_eq(p.tier_count, 4);
	cr_assert_eq(p.tiers[2].upto_fen, 15000000);
	const struct zt_critical_adjust *a = &p.critical_adjust[ZT_CAT_POOR];
	cr_assert(a->present);
	cr_assert_eq(a->tier_count, 2);
	cr_assert_eq(a->tiers[0].upto_fen, 4000000);
	cr_assert_eq(a->tiers[0].ratio_bp, 6500);
	cr_assert_eq(a->tiers[1].upto_fen, ZT_CAP_NONE);
	cr_assert_eq(a->tiers[1].ratio_bp, 7500);
	cr_assert_eq(p.relief_count, 1);
	cr_assert_not(p.relief[0].in_county_only);
	cr_assert_eq(p.relief[0].ratio_bp, 8000);
}

Test(policy_vectors, three_relief_funds_in_file_order)
{
	struct zt_policy p = load(zt_test_case("vectors/world-1004/policy.xml"));
	cr_assert_eq(p.relief_count, 3);
	cr_assert_str_eq(p.relief[0].fund, "610103");
	cr_assert_not(p.relief[0].in_county_only);
	cr_assert_str_eq(p.relief[1].fund, "610104");
	cr_assert(p.relief[1].in_county_only);
	cr_assert_str_eq(p.relief[2].fund, "610105");
	cr_assert(p.has_cap_in_county);
	cr_assert_eq(p.cap_in_county_bp, 1000);
	cr_assert(p.has_cap_out_of_county);
	cr_assert_eq(p.cap_out_of_county_bp, 1500);
	cr_assert_not(p.basic_adjust[ZT_CAT_POOR].present);
	cr_assert_eq(p.critical_adjust[ZT_CAT_POOR].threshold_fen, 0);
	cr_assert(p.critical_adjust[ZT_CAT_POOR].has_threshold);
}

/* ---- refusals ------------------------------------------------------ */

/* Reads "<!-- expect: LINE: TEXT -->" (line -1 when only TEXT is given). */
#define expectation zt_test_expectation

/* The message starts "PATH:DIGITS:" — the file and a line. */
static bool names_file_and_line(const char *msg, const char *path)
{
	size_t n = strlen(path);
	if (strncmp(msg, path, n) != 0 || msg[n] != ':')
		return false;
	const char *d = msg + n + 1;
	if (*d < '0' || *d > '9')
		return false;
	while (*d >= '0' && *d <= '9')
		d++;
	return *d == ':';
}

Test(policy_load, refuses_every_bad_case_naming_file_and_line)
{
	DIR *dir = opendir(ZT_TEST_CASES "/policy");
	cr_assert_not_null(dir);
	int count = 0;
	struct dirent *e;
	while ((e = readdir(dir)) != NULL) {
		if (strncmp(e->d_name, "bad-", 4) != 0)
			continue;
		char path[1024];
		snprintf(path, sizeof path, "%s/policy/%s", ZT_TEST_CASES, e->d_name);
		struct zt_policy p, before;
		memset(&p, 0xA5, sizeof p);
		memcpy(&before, &p, sizeof p);
		int rc = zt_policy_parse_file(&p, path);
		count++;
		cr_expect_neq(rc, 0, "%s was accepted", e->d_name);
		if (rc == 0)
			continue;
		const char *msg = zt_error_last();
		cr_log_info("%s: %s", e->d_name, msg);
		cr_expect(memcmp(&p, &before, sizeof p) == 0, "%s: the output was touched", e->d_name);
		char *doc = zt_test_slurp(path);
		cr_assert_not_null(doc);
		long line = -1;
		char text[256];
		if (expectation(doc, &line, text, sizeof text)) {
			if (line >= 0) {
				char prefix[1100];
				snprintf(prefix, sizeof prefix, "%s:%ld:", path, line);
				cr_expect(strncmp(msg, prefix, strlen(prefix)) == 0,
				          "%s: message should start '%s': %s", e->d_name, prefix, msg);
			} else {
				cr_expect(strstr(msg, path) != NULL, "%s: file not named: %s", e->d_name,
				          msg);
			}
			cr_expect(strstr(msg, text) != NULL, "%s: message should say '%s': %s",
			          e->d_name, text, msg);
		} else {
			cr_expect(names_file_and_line(msg, path), "%s: no file:line: %s", e->d_name, msg);
		}
		free(doc);
	}
	closedir(dir);
	cr_assert_geq(count, 50, "the bad cases were not found");
}

Test(policy_load, every_good_case_loads)
{
	DIR *dir = opendir(ZT_TEST_CASES "/policy");
	cr_assert_not_null(dir);
	int count = 0;
	struct dirent *e;
	while ((e = readdir(dir)) != NULL) {
		if (strncmp(e->d_name, "good-", 5) != 0)
			continue;
		load_case(e->d_name);
		count++;
	}
	closedir(dir);
	cr_assert_geq(count, 3);
}

Test(policy_load, names_the_file_given_for_a_document_in_memory)
{
	static const char doc[] =
		"<policy xmlns='urn:zhitong:policy:1' id='m' name='m' county='510101'\n"
		"        effective-from='2017-01-01'>\n"
		"  <items b-selfpay-ratio='0.1'/>\n"
		"  <basic fund='390100'>\n"
		"    <level code='1' deductible='1.00' ratio='0.9'/>\n"
		"    <level code='2' deductible='1.00' ratio='0.9'/>\n"
		"    <level code='3' deductible='1.00' ratio='0.9'/>\n"
		"    <level code='4' deductible='1.00' ratio='0.9'/>\n"
		"  </basic>\n"
		"  <critical fund='390200' threshold='1.00'>\n"
		"    <tier upto='60000.00' ratio='0.5'/>\n"
		"    <tier upto='50000.00' ratio='0.5'/>\n"
		"    <tier ratio='0.5'/>\n"
		"  </critical>\n"
		"  <assistance fund='610100'/>\n"
		"</policy>\n";
	struct zt_policy p;
	cr_assert_eq(zt_policy_parse(&p, doc, sizeof doc - 1, "rules/x.xml"), ZT_EINVAL);
	cr_assert_str_eq(zt_error_last(),
	                 "rules/x.xml:12: <tier upto>: tiers must increase (50000.00 after 60000.00)");
}

Test(policy_load, a_missing_file_is_refused_naming_it)
{
	struct zt_policy p;
	cr_assert_lt(zt_policy_parse_file(&p, "/nonexistent/policy.xml"), 0);
	cr_assert(strstr(zt_error_last(), "/nonexistent/policy.xml") != NULL);
}

Test(policy_category, names_round_trip_and_unknown_is_refused)
{
	for (int c = 0; c < ZT_CAT_COUNT; c++) {
		const char *name = zt_category_name((zt_category)c);
		cr_assert_eq(zt_category_parse(name, strlen(name)), c);
	}
	cr_assert_str_eq(zt_category_name(ZT_CAT_POOR), "poor");
	cr_assert_eq(zt_category_parse("poor", 4), ZT_CAT_POOR);
	cr_assert_eq(zt_category_parse("poorer", 6), -1);
	cr_assert_eq(zt_category_parse("poorer", 4), ZT_CAT_POOR, "only n bytes are read");
	cr_assert_eq(zt_category_parse("Poor", 4), -1);
	cr_assert_eq(zt_category_parse("", 0), -1);
	cr_assert_str_eq(zt_category_name(ZT_CAT_COUNT), "?");
}

/* ---- policy v2 (docs/spec/claim-v2-national.md §2) -------------------------------- */

#define SUPPLEMENTARY ZT_TEST_SOURCE_DIR "/rules/sample-510102-2017-supplementary.xml"

Test(policy_v2, the_sample_supplementary_policy)
{
	struct zt_policy p = load(SUPPLEMENTARY);
	cr_assert_eq(p.version, 2);
	cr_assert_eq(p.mode, ZT_MODE_SUPPLEMENTARY);
	cr_assert_str_eq(p.county, "510102");
	cr_assert_str_eq(p.national_basic_fund, "390100");
	cr_assert_str_eq(p.national_critical_fund, "390200");
	cr_assert_str_eq(p.national_assistance_fund, "610100");
	cr_assert_str_eq(p.basic_fund, "", "no basic part of its own");
	cr_assert_eq(p.tier_count, 0);
	cr_assert_eq(p.b_selfpay_ratio_bp, 1000);
	cr_assert(p.cap_categories[ZT_CAT_POOR] && p.cap_categories[ZT_CAT_DESTITUTE]);
	cr_assert_eq(p.cap_in_county_bp, 1000);
	cr_assert_eq(p.cap_out_of_county_bp, 2000);
	cr_assert_eq(p.relief_count, 1);
	cr_assert_eq(p.relief[0].annual_cap_fen, 2000000);
	cr_assert_eq(p.remainder, ZT_REMAINDER_HOSPITAL);
	/* the national funds must be registered like any other */
	const char *codes[3 + ZT_RELIEF_MAX];
	cr_assert_eq(zt_policy_funds(&p, codes), 4);
	cr_assert_str_eq(codes[0], "390100");
	cr_assert_str_eq(codes[1], "390200");
	cr_assert_str_eq(codes[2], "610100");
	cr_assert_str_eq(codes[3], "610103");
	cr_assert_str_eq(zt_policy_mode_name(p.mode), "supplementary");
}

Test(policy_v2, a_v1_policy_reads_as_version_1_full)
{
	struct zt_policy p = load(SAMPLE);
	cr_assert_eq(p.version, 1);
	cr_assert_eq(p.mode, ZT_MODE_FULL);
	cr_assert_str_eq(p.national_basic_fund, "");
	cr_assert_str_eq(zt_policy_mode_name(p.mode), "full");
}

Test(policy_v2, a_full_v2_policy_is_the_v1_policy)
{
	/* the sample in the v2 namespace, with and without mode="full" */
	char *v1 = zt_test_slurp(SAMPLE);
	cr_assert_not_null(v1);
	char *at = strstr(v1, "urn:zhitong:policy:1");
	cr_assert_not_null(at);
	at[strlen("urn:zhitong:policy:")] = '2';
	struct zt_policy a = load(SAMPLE), b, c;
	cr_assert_eq(zt_policy_parse(&b, v1, strlen(v1), "v2.xml"), 0, "%s", zt_error_last());
	char *with_mode = malloc(strlen(v1) + 32);
	char *root = strstr(v1, "<policy ");
	snprintf(with_mode, strlen(v1) + 32, "%.*s<policy mode=\"full\" %s", (int)(root - v1), v1,
	         root + strlen("<policy "));
	cr_assert_eq(zt_policy_parse(&c, with_mode, strlen(with_mode), "v2.xml"), 0, "%s",
	             zt_error_last());
	cr_assert_eq(b.version, 2);
	cr_assert_eq(c.version, 2);
	b.version = c.version = 1;
	cr_assert_eq(memcmp(&a, &b, sizeof a), 0, "v2 without mode reads as v1");
	cr_assert_eq(memcmp(&a, &c, sizeof a), 0, "v2 with mode=\"full\" reads as v1");
	free(with_mode);
	free(v1);
}

Test(policy_v2, rules_check_accepts_both_and_load_stores_both)
{
	char *out = NULL, *err = NULL;
	int rc = zt_test_run(&out, &err, "rules check '%s'", SUPPLEMENTARY);
	cr_assert_eq(rc, 0, "%s", err);
	cr_assert(strstr(out, "policy 'yy-2017-supplementary' for county 510102, 2017-01-01 to "
	                      "2017-12-31 (supplementary): valid"), "%s", out);
	free(out);
	free(err);
	rc = zt_test_run(&out, &err, "rules check '%s'", SAMPLE);
	cr_assert_eq(rc, 0, "%s", err);
	cr_assert(strstr(out, "to 2017-12-31: valid"), "v1 answers unchanged: %s", out);
	free(out);
	free(err);
	rc = zt_test_run(&out, &err, "rules check '%s'",
	                 zt_test_case("policy/bad-v2-supplementary-with-basic.xml"));
	cr_assert_eq(rc, 2);
	cr_assert(strstr(err, "a supplementary policy has no <basic>"), "%s", err);
	free(out);
	free(err);
	/* load: a full v2 policy loads, and a supplementary one (docs/national.md) */
	const char *db = tmp_path("p.db");
	cr_assert_eq(zt_test_run(&out, &err, "--db '%s' init", db), 0);
	free(out);
	free(err);
	cr_assert_eq(zt_test_run(&out, &err, "--db '%s' registry load '%s'", db,
	                         ZT_TEST_SOURCE_DIR "/rules/registry-510101.xml"), 0, "%s", err);
	free(out);
	free(err);
	rc = zt_test_run(&out, &err, "--db '%s' rules load '%s'", db, SUPPLEMENTARY);
	cr_assert_eq(rc, 0, "%s", err);
	cr_assert(strstr(err, "policy 'yy-2017-supplementary' for county 510102"), "%s", err);
	free(out);
	free(err);
	/* a full policy of the same county and year: one mode a county-year */
	rc = zt_test_run(&out, &err, "--db '%s' rules load '%s'", db,
	                 zt_test_case("policy/good-v2-full.xml"));
	cr_assert_eq(rc, 2, "%s", err);
	cr_assert(strstr(err, "in one calendar year have one mode"), "%s", err);
	free(out);
	free(err);
	const char *db2 = tmp_path("p2.db");
	cr_assert_eq(zt_test_run(&out, &err, "--db '%s' init", db2), 0);
	free(out);
	free(err);
	cr_assert_eq(zt_test_run(&out, &err, "--db '%s' registry load '%s'", db2,
	                         ZT_TEST_SOURCE_DIR "/rules/registry-510101.xml"), 0, "%s", err);
	free(out);
	free(err);
	rc = zt_test_run(&out, &err, "--db '%s' rules load '%s'", db2,
	                 zt_test_case("policy/good-v2-full.xml"));
	cr_assert_eq(rc, 0, "%s", err);
	free(out);
	free(err);
}

/* ---- amendments (docs/spec/rules-v2.md §4) ------------------------------------------ */

#include "zhitong/amend.h"

Test(amend, replace_only_what_no_settlement_used)
{
	cr_assert_eq(zt_amend_replace_check("policy", "xx-2017", 0), 0);
	cr_assert_eq(zt_amend_replace_check("policy", "xx-2017", 1), ZT_ECONFLICT);
	cr_assert(strstr(zt_error_last(), "policy 'xx-2017' cannot be replaced: 1 settlement used it"),
	          "%s", zt_error_last());
	cr_assert_eq(zt_amend_replace_check("catalogue", "cat-1", 1234), ZT_ECONFLICT);
	cr_assert(strstr(zt_error_last(), "catalogue 'cat-1' cannot be replaced: 1234 settlements"),
	          "%s", zt_error_last());
}

Test(amend, supersede_dates_and_the_day_before)
{
	zt_date end = 0;
	/* from the day after the old one began to its last day */
	cr_assert_eq(zt_amend_supersede_check(&end, "policy", "a", 20170101, 20171231, 20170102, 0), 0);
	cr_assert_eq(end, 20170101);
	cr_assert_eq(zt_amend_supersede_check(&end, "policy", "a", 20170101, 20171231, 20170701, 0), 0);
	cr_assert_eq(end, 20170630);
	cr_assert_eq(zt_amend_supersede_check(&end, "policy", "a", 20170101, 20171231, 20171231, 0), 0);
	cr_assert_eq(end, 20171230);
	cr_assert_eq(zt_amend_supersede_check(&end, "policy", "a", 20160101, 0, 20170101, 0), 0,
	             "an open-ended old version");
	cr_assert_eq(end, 20161231, "the day before crosses the year");
	cr_assert_eq(zt_amend_supersede_check(&end, "policy", "a", 20160101, 0, 20160301, 0), 0);
	cr_assert_eq(end, 20160229, "a leap year");
	/* not after the old one's effective-from, not after its effective-to */
	end = 0;
	cr_assert_eq(zt_amend_supersede_check(&end, "policy", "a", 20170101, 20171231, 20170101, 0),
	             ZT_EINVAL);
	cr_assert(strstr(zt_error_last(), "must lie after the effective-from of policy 'a' "
	                                  "(2017-01-01)"), "%s", zt_error_last());
	cr_assert_eq(zt_amend_supersede_check(&end, "policy", "a", 20170101, 20171231, 20161231, 0),
	             ZT_EINVAL);
	cr_assert_eq(zt_amend_supersede_check(&end, "policy", "a", 20170101, 20171231, 20180101, 0),
	             ZT_EINVAL);
	cr_assert(strstr(zt_error_last(), "lies after the effective-to of policy 'a' (2017-12-31)"),
	          "%s", zt_error_last());
	cr_assert_eq(zt_amend_supersede_check(&end, "policy", "a", 20170101, 20171231, 20170231, 0),
	             ZT_EINVAL, "not a calendar date");
	cr_assert_eq(end, 0, "nothing returned on a refusal");
	/* settlements on or after the new effective-from stand in the way */
	cr_assert_eq(zt_amend_supersede_check(&end, "catalogue", "cat-1", 20170101, 20171231, 20170701,
	                                      3), ZT_ECONFLICT);
	cr_assert(strstr(zt_error_last(), "catalogue 'cat-1' cannot be superseded from 2017-07-01: 3 "
	                                  "settlements discharged on or after that day used it"),
	          "%s", zt_error_last());
}

Test(amend, one_mode_per_county_and_calendar_year)
{
	struct zt_policy_span spans[] = {
		{"full-2017", "510101", 20170101, 20171231, ZT_MODE_FULL},
		{"supp-2018", "510101", 20180101, 0, ZT_MODE_SUPPLEMENTARY},     /* at a year boundary */
		{"full-2017b", "510102", 20170101, 20170630, ZT_MODE_FULL},
		{"full-2017c", "510102", 20170701, 20171231, ZT_MODE_FULL},      /* same mode, same year */
		{"supp-2017", "510103", 20170101, 20171231, ZT_MODE_SUPPLEMENTARY}, /* another county */
	};
	cr_assert_eq(zt_policy_modes_check(spans, 5), 0, "%s", zt_error_last());
	/* a switch inside a year */
	struct zt_policy_span inside[] = {
		{"full-h1", "510101", 20170101, 20170630, ZT_MODE_FULL},
		{"supp-h2", "510101", 20170701, 20171231, ZT_MODE_SUPPLEMENTARY},
	};
	cr_assert_eq(zt_policy_modes_check(inside, 2), ZT_ECONFLICT);
	cr_assert(strstr(zt_error_last(), "county 510101 would have a full policy ('full-h1') and a "
	                                  "supplementary one ('supp-h2') in 2017"), "%s",
	          zt_error_last());
	/* an open-ended full policy reaches every later year */
	struct zt_policy_span open[] = {
		{"full", "510101", 20150301, 0, ZT_MODE_FULL},
		{"supp", "510101", 20190101, 20191231, ZT_MODE_SUPPLEMENTARY},
	};
	cr_assert_eq(zt_policy_modes_check(open, 2), ZT_ECONFLICT);
	cr_assert(strstr(zt_error_last(), "in 2019"), "%s", zt_error_last());
	/* ended the last day of the year before: fine */
	open[0].to = 20181231;
	cr_assert_eq(zt_policy_modes_check(open, 2), 0);
	/* ending on January 1 touches the year */
	open[0].to = 20190101;
	cr_assert_eq(zt_policy_modes_check(open, 2), ZT_ECONFLICT);
	cr_assert_eq(zt_policy_modes_check(NULL, 0), 0);
}
