/* zhitong — the insurer's catalogue (docs/spec/rules-v2.md §2): reading it
 * with every format rule, looking up by (code, date), and the
 * classification rule, branch by branch.
 *
 * Data-driven: every tests/cases/catalog/bad-*.xml must be refused with a
 * message naming the file and the line its "<!-- expect: LINE: TEXT -->"
 * comment gives, and holding TEXT (the field); every good-*.xml must read. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "zhitong/catalog.h"
#include "zhitong/error.h"
#include "zhitong/gen.h"
#include "zhitong/policy.h"
#include "zhitong/split.h"

#define SAMPLE ZT_TEST_SOURCE_DIR "/rules/catalog-510101-2017.xml"
#define SAMPLE_POLICY ZT_TEST_SOURCE_DIR "/rules/sample-510101-2017.xml"
#define Q4(units) ((zt_q4)(units) * 10000)

static struct zt_catalog *load(const char *path)
{
	struct zt_catalog *c = NULL;
	int rc = zt_catalog_parse_file(&c, path);
	cr_assert_eq(rc, 0, "%s: %s", path, zt_error_last());
	return c;
}

static struct zt_catalog *parse(const char *xml)
{
	struct zt_catalog *c = NULL;
	int rc = zt_catalog_parse(&c, xml, strlen(xml), "cat.xml");
	cr_assert_eq(rc, 0, "%s", zt_error_last());
	return c;
}

/* ---- every format rule ----------------------------------------------------- */

#define expectation zt_test_expectation

static void check_refused(const char *path, const char *name, int rc, const char *msg)
{
	cr_expect_neq(rc, 0, "%s was accepted", name);
	if (rc == 0)
		return;
	char *doc = zt_test_slurp(path);
	long line = -1;
	char text[512];
	cr_assert(expectation(doc, &line, text, sizeof text), "%s has no expect comment", name);
	if (line >= 0) {
		char prefix[1200];
		snprintf(prefix, sizeof prefix, "%s:%ld:", path, line);
		cr_expect(strstr(msg, prefix) != NULL, "%s: message should hold '%s': %s", name, prefix,
		          msg);
	} else {
		cr_expect(strstr(msg, path) != NULL, "%s: file not named: %s", name, msg);
	}
	cr_expect(strstr(msg, text) != NULL, "%s: message should say '%s': %s", name, text, msg);
	free(doc);
}

Test(catalog_read, refuses_every_bad_case_naming_file_line_and_field)
{
	DIR *dir = opendir(ZT_TEST_CASES "/catalog");
	cr_assert_not_null(dir);
	int count = 0;
	struct dirent *e;
	while ((e = readdir(dir)) != NULL) {
		if (strncmp(e->d_name, "bad-", 4) != 0)
			continue;
		char path[1024];
		snprintf(path, sizeof path, "%s/catalog/%s", ZT_TEST_CASES, e->d_name);
		struct zt_catalog *c = NULL;
		int rc = zt_catalog_parse_file(&c, path);
		cr_expect_null(c, "%s: a refused file returns no catalogue", e->d_name);
		check_refused(path, e->d_name, rc, zt_error_last());
		/* the same document from memory */
		char *doc = zt_test_slurp(path);
		rc = zt_catalog_parse(&c, doc, strlen(doc), path);
		check_refused(path, e->d_name, rc, zt_error_last());
		free(doc);
		count++;
	}
	closedir(dir);
	cr_assert_geq(count, 40, "the bad cases were not found");
}

Test(catalog_read, the_good_cases_read)
{
	const char *names[] = {"good-minimal.xml", "good-limits.xml"};
	for (size_t i = 0; i < 2; i++) {
		char rel[64];
		snprintf(rel, sizeof rel, "catalog/%s", names[i]);
		struct zt_catalog *c = load(zt_test_case(rel));
		cr_assert(zt_catalog_info(c)->effective_to == 0, "open-ended");
		zt_catalog_free(c);
	}
	struct zt_catalog *c = load(zt_test_case("catalog/good-limits.xml"));
	cr_assert_eq(zt_catalog_count(c), 4);
	char code[51];
	memset(code, 'X', 50);
	code[50] = '\0';
	const struct zt_catalog_entry *e = zt_catalog_find(c, code, 20170101);
	cr_assert_not_null(e);
	cr_assert_eq(e->chrgitm_lv, 2, "'2' is 02");
	cr_assert(e->has_selfpay_prop);
	cr_assert_eq(e->selfpay_prop_bp, 10000);
	cr_assert_eq(e->ceiling[3], INT64_C(999999999999999999));
	cr_assert(e->has_ceiling[2]);
	cr_assert_eq(e->ceiling[2], 0, "a ceiling of 0 is a ceiling");
	cr_assert_eq(e->ceiling[1], 1);
	cr_assert_eq(e->ceiling[0], Q4(12));
	cr_assert_eq(zt_catalog_find(c, code, 20170102)->chrgitm_lv, 3);
	e = zt_catalog_find(c, code, 20991231);
	cr_assert_eq(e->chrgitm_lv, 1, "'1' is 01, open to the end of an open catalogue");
	cr_assert_str_eq(e->name, "药 名", "names fold their spaces as xs:token does");
	e = zt_catalog_find(c, "B", 99991231);
	cr_assert_not_null(e, "white space around a code is not part of it");
	cr_assert(e->has_selfpay_prop);
	cr_assert_eq(e->selfpay_prop_bp, 0, "0 is a value");
	cr_assert_null(zt_catalog_find(c, "B", 99991230));
	zt_catalog_free(c);
}

Test(catalog_read, a_file_that_is_not_there_or_not_a_file)
{
	struct zt_catalog *c = NULL;
	cr_assert_eq(zt_catalog_parse_file(&c, "/nonexistent/catalog.xml"), ZT_ENOTFOUND);
	cr_assert_eq(zt_catalog_parse_file(&c, ZT_TEST_CASES), ZT_ENOTFOUND);
	cr_assert_null(c);
}

/* ---- the sample, and lookups ------------------------------------------------- */

Test(catalog_sample, covers_the_worked_example_and_is_valid)
{
	struct zt_catalog *c = load(SAMPLE);
	const struct zt_catalog_info *i = zt_catalog_info(c);
	cr_assert_str_eq(i->id, "cat-510101-2017");
	cr_assert_str_eq(i->county, "510101");
	cr_assert_eq(i->effective_from, 20170101);
	cr_assert_eq(i->effective_to, 20171231);
	const char *codes[] = {"001201000010000-120100001", "XB01ACA056A001010100000", "ZZ0001"};
	const int classes[] = {1, 2, 3};
	for (int k = 0; k < 3; k++) {
		const struct zt_catalog_entry *e = zt_catalog_find(c, codes[k], 20170310);
		cr_assert_not_null(e, "%s", codes[k]);
		cr_assert_eq(e->chrgitm_lv, classes[k]);
	}
	const struct zt_catalog_entry *e = zt_catalog_find(c, codes[1], 20170310);
	cr_assert(e->has_selfpay_prop);
	cr_assert_eq(e->selfpay_prop_bp, 1000);
	cr_assert(e->has_ceiling[0] && e->has_ceiling[1] && !e->has_ceiling[2] && !e->has_ceiling[3]);
	cr_assert_eq(e->ceiling[1], Q4(28));
	cr_assert_gt(e->line, 0);
	/* sorted by code, then from */
	for (size_t k = 1; k < zt_catalog_count(c); k++) {
		const struct zt_catalog_entry *a = zt_catalog_entry_at(c, k - 1), *b = zt_catalog_entry_at(c, k);
		int d = strcmp(a->code, b->code);
		cr_assert(d < 0 || (d == 0 && a->from < b->from));
	}
	zt_catalog_free(c);

	char *out = NULL, *err = NULL;
	int rc = zt_test_run(&out, &err, "catalog check '%s'", SAMPLE);
	cr_assert_eq(rc, 0, "%s", err);
	cr_assert(strstr(out, "catalogue 'cat-510101-2017' for county 510101, 2017-01-01 to 2017-12-31"),
	          "%s", out);
	cr_assert(strstr(out, ": valid"), "%s", out);
	free(out);
	free(err);
}

Test(catalog_lookup, dates_decide_first_and_last_day_included)
{
	struct zt_catalog *c = load(SAMPLE);
	const char *herceptin = "XL01XCT107B002010100000", *stent = "C14010305300000000000";
	/* a class that changes on July 1 */
	cr_assert_eq(zt_catalog_find(c, herceptin, 20170101)->chrgitm_lv, 3);
	cr_assert_eq(zt_catalog_find(c, herceptin, 20170630)->chrgitm_lv, 3);
	cr_assert_eq(zt_catalog_find(c, herceptin, 20170701)->chrgitm_lv, 2);
	/* an entry without `to` ends with its catalogue */
	cr_assert_eq(zt_catalog_find(c, herceptin, 20171231)->chrgitm_lv, 2);
	cr_assert_null(zt_catalog_find(c, herceptin, 20180101));
	cr_assert_null(zt_catalog_find(c, herceptin, 20161231));
	/* a gap: in force to March 31 and from May 1 */
	cr_assert_not_null(zt_catalog_find(c, stent, 20170331));
	cr_assert_null(zt_catalog_find(c, stent, 20170401));
	cr_assert_null(zt_catalog_find(c, stent, 20170430));
	cr_assert_not_null(zt_catalog_find(c, stent, 20170501));
	cr_assert_eq(zt_catalog_find(c, stent, 20170501)->ceiling[2], Q4(5500));
	/* unknown codes, and codes that differ only in case or by a prefix */
	cr_assert_null(zt_catalog_find(c, "ZZ0002", 20170310));
	cr_assert_null(zt_catalog_find(c, "zz0001", 20170310));
	cr_assert_null(zt_catalog_find(c, "ZZ000", 20170310));
	cr_assert_null(zt_catalog_find(c, "", 20170310));
	cr_assert(zt_catalog_in_force(c, 20170101) && zt_catalog_in_force(c, 20171231));
	cr_assert(!zt_catalog_in_force(c, 20161231) && !zt_catalog_in_force(c, 20180101));
	zt_catalog_free(c);
}

Test(catalog_lookup, every_entry_of_a_large_catalogue_is_found)
{
	/* a generated world's catalogue, padded to 20,000 entries */
	const char *dir = tmp_path("world");
	struct zt_gen_opts o = {.claims = 10, .seed = 4, .catalog = true, .catalog_entries = 20000};
	cr_assert_eq(zt_gen_world(&o, dir), 0, "%s", zt_error_last());
	char path[1100];
	snprintf(path, sizeof path, "%s/catalog.xml", dir);
	struct zt_catalog *c = load(path);
	cr_assert_geq(zt_catalog_count(c), 20000);
	for (size_t k = 0; k < zt_catalog_count(c); k++) {
		const struct zt_catalog_entry *e = zt_catalog_entry_at(c, k);
		cr_assert_eq(zt_catalog_find(c, e->code, e->from), e, "%s", e->code);
		zt_date end = zt_catalog_entry_end(c, e);
		cr_assert_eq(zt_catalog_find(c, e->code, end ? end : 20171231), e, "%s", e->code);
	}
	zt_catalog_free(c);
}

/* ---- building from elsewhere (a store) ---------------------------------------- */

Test(catalog_build, the_rules_hold_for_a_catalogue_built_entry_by_entry)
{
	struct zt_catalog *c = NULL;
	struct zt_catalog_info info = {"cat-x", "510101", 20170101, 20171231};
	struct zt_catalog_info bad = info;
	bad.effective_to = 20161231;
	cr_assert_eq(zt_catalog_new(&c, &bad), ZT_EINVAL);
	strcpy(bad.id, "a b");
	bad.effective_to = 0;
	cr_assert_eq(zt_catalog_new(&c, &bad), ZT_EINVAL);
	cr_assert_eq(zt_catalog_new(&c, &info), 0);
	struct zt_catalog_entry e = {.code = "A", .name = "a", .from = 20170101, .chrgitm_lv = 1};
	cr_assert_eq(zt_catalog_add(c, &e), 0);
	struct zt_catalog_entry x = e;
	x.has_selfpay_prop = true;
	cr_assert_eq(zt_catalog_add(c, &x), ZT_EINVAL);
	cr_assert(strstr(zt_error_last(), "02 entries only"), "%s", zt_error_last());
	x = e;
	x.from = 20161231;
	cr_assert_eq(zt_catalog_add(c, &x), ZT_EINVAL);
	x = e;
	x.to = 20180101;
	cr_assert_eq(zt_catalog_add(c, &x), ZT_EINVAL);
	x = e;
	x.chrgitm_lv = 4;
	cr_assert_eq(zt_catalog_add(c, &x), ZT_EINVAL);
	/* the copy is the catalogue's: the caller's strings may go */
	char code[8] = "A";
	x = e;
	x.code = code;
	x.from = 20170601; /* overlaps the first, open to the catalogue's end */
	cr_assert_eq(zt_catalog_add(c, &x), 0);
	strcpy(code, "Z");
	cr_assert_eq(zt_catalog_finish(c, NULL), ZT_EINVAL);
	cr_assert(strstr(zt_error_last(), "catalogue 'cat-x': entry 'A' (2017-06-01 to 2017-12-31) "
	                                  "overlaps the entry (2017-01-01 to 2017-12-31)"),
	          "%s", zt_error_last());
	zt_catalog_free(c);
}

/* ---- the classification rule, branch by branch ----------------------------------- */

struct item_spec {
	const char *code;
	int lv;
	zt_q4 pric, cnt;
	zt_q4 ceiling; /* -1: none */
	zt_bp selfpay; /* -1: none */
};

static struct zt_claim claim_of(struct zt_item *items, const struct item_spec *s, int n)
{
	struct zt_claim c;
	memset(&c, 0, sizeof c);
	zt_fen sum = 0;
	for (int i = 0; i < n; i++) {
		struct zt_item *it = &items[i];
		memset(it, 0, sizeof *it);
		snprintf(it->feedetl_sn, sizeof it->feedetl_sn, "%d", i + 1);
		snprintf(it->med_list_codg, sizeof it->med_list_codg, "%s", s[i].code);
		strcpy(it->med_chrgitm_type, "09");
		it->chrgitm_lv = s[i].lv;
		it->pric = s[i].pric;
		it->cnt = s[i].cnt;
		cr_assert_eq(zt_rhu128(&it->det_item_fee_sumamt, (__int128)it->pric * it->cnt, 1000000), 0);
		it->has_pric_uplmt = s[i].ceiling >= 0;
		it->pric_uplmt_amt = s[i].ceiling >= 0 ? s[i].ceiling : 0;
		it->has_selfpay_prop = s[i].selfpay >= 0;
		it->selfpay_prop_bp = s[i].selfpay >= 0 ? s[i].selfpay : 0;
		sum += it->det_item_fee_sumamt;
	}
	c.items = items;
	c.item_count = n;
	c.item_cap = n;
	c.medfee_sumamt = sum;
	c.dscg_date = 20170310;
	return c;
}

static const char one_code[] =
	"<catalog xmlns='urn:zhitong:catalog:1' id='c' county='510101' effective-from='2017-01-01'"
	" effective-to='2017-12-31'>\n"
	"  <entry code='D2' name='乙药' chrgitm_lv='02' selfpay_prop='0.20' from='2017-01-01'>\n"
	"    <ceiling level='1' pric='9.00'/><ceiling level='3' pric='11.00'/>\n"
	"  </entry>\n"
	"  <entry code='D0' name='乙药零' chrgitm_lv='2' selfpay_prop='0' from='2017-01-01'/>\n"
	"  <entry code='DN' name='乙药无' chrgitm_lv='02' from='2017-01-01'/>\n"
	"  <entry code='S1' name='甲项' chrgitm_lv='1' from='2017-01-01' to='2017-02-28'/>\n"
	"  <entry code='S1' name='甲项' chrgitm_lv='01' from='2017-04-01'/>\n"
	"</catalog>\n";

Test(catalog_classify, no_catalogue_in_force_the_claims_own_values)
{
	const struct item_spec s[] = {{"D2", 2, Q4(10), Q4(1), Q4(12), 1000},
	                              {"NOPE", 1, Q4(5), Q4(2), -1, -1}};
	struct zt_item items[2];
	struct zt_claim c = claim_of(items, s, 2);
	struct zt_item_class out[2];
	cr_assert_eq(zt_catalog_classify(out, NULL, 2, 20170310, &c), 0);
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(out[i].chrgitm_lv, items[i].chrgitm_lv);
		cr_assert_eq(out[i].has_pric_uplmt, items[i].has_pric_uplmt);
		cr_assert_eq(out[i].pric_uplmt_amt, items[i].pric_uplmt_amt);
		cr_assert_eq(out[i].has_selfpay_prop, items[i].has_selfpay_prop);
		cr_assert_eq(out[i].selfpay_prop_bp, items[i].selfpay_prop_bp);
		cr_assert_null(out[i].entry);
		cr_assert_not(out[i].differs);
	}
	/* a catalogue whose dates do not hold the discharge date is not in force */
	struct zt_catalog *cat = parse(one_code);
	cr_assert_eq(zt_catalog_classify(out, cat, 2, 20180105, &c), 0);
	cr_assert_eq(out[0].chrgitm_lv, 2);
	cr_assert_eq(out[0].pric_uplmt_amt, Q4(12));
	cr_assert_eq(out[1].chrgitm_lv, 1, "not found, but no catalogue in force: the claim's own");
	zt_catalog_free(cat);
}

Test(catalog_classify, found_class_ratio_and_the_ceiling_of_the_hospitals_level)
{
	struct zt_catalog *cat = parse(one_code);
	/* sent as 01 with a ceiling of 12.00 and a ratio of 0.10 */
	const struct item_spec s[] = {{"D2", 1, Q4(10), Q4(1), Q4(12), 1000}};
	struct zt_item items[1];
	struct zt_claim c = claim_of(items, s, 1);
	struct zt_item_class out[1];
	const bool has[5] = {false, true, false, true, false};
	const zt_q4 ceiling[5] = {0, Q4(9), 0, Q4(11), 0};
	for (int level = 1; level <= 4; level++) {
		cr_assert_eq(zt_catalog_classify(out, cat, level, 20170310, &c), 1, "level %d", level);
		cr_assert_eq(out[0].chrgitm_lv, 2, "the entry's class, not the hospital's");
		cr_assert(out[0].has_selfpay_prop);
		cr_assert_eq(out[0].selfpay_prop_bp, 2000, "the entry's ratio");
		cr_assert_eq(out[0].has_pric_uplmt, has[level], "level %d", level);
		cr_assert_eq(out[0].pric_uplmt_amt, ceiling[level], "level %d", level);
		cr_assert_not_null(out[0].entry);
		cr_assert_str_eq(out[0].entry->code, "D2");
		cr_assert(out[0].differs);
	}
	/* a ceiling the claim sent is ignored at a level without one */
	cr_assert_eq(items[0].pric_uplmt_amt, Q4(12), "the claim is not changed");
	zt_catalog_free(cat);
}

Test(catalog_classify, selfpay_prop_present_zero_or_absent)
{
	struct zt_catalog *cat = parse(one_code);
	struct zt_policy p;
	cr_assert_eq(zt_policy_parse_file(&p, SAMPLE_POLICY), 0, "%s", zt_error_last());
	/* three 乙 items of 100.00, each sent with a ratio of 0.50 */
	const struct item_spec s[] = {{"D2", 2, Q4(100), Q4(1), -1, 5000},
	                              {"D0", 2, Q4(100), Q4(1), -1, 5000},
	                              {"DN", 2, Q4(100), Q4(1), -1, 5000}};
	struct zt_item items[3];
	struct zt_claim c = claim_of(items, s, 3);
	struct zt_item_class out[3];
	cr_assert_eq(zt_catalog_classify(out, cat, 2, 20170310, &c), 0,
	             "a ratio is neither class nor ceiling: nothing differs");
	cr_assert(out[0].has_selfpay_prop && out[0].selfpay_prop_bp == 2000);
	cr_assert(out[1].has_selfpay_prop && out[1].selfpay_prop_bp == 0, "0 is a value");
	cr_assert_not(out[2].has_selfpay_prop, "absent: the policy's b-selfpay-ratio applies");
	struct zt_classified k;
	char msg[ZT_MESSAGE_BYTES_MAX];
	cr_assert_eq(zt_classify_items(&k, &p, &c, out, msg), ZT_REJ_NONE, "%s", msg);
	/* pre = 20.00 + 0 + 10.00 (the sample's 0.10), not 3 × 50.00 */
	cr_assert_eq(k.preselfpay_amt, 2000 + 0 + 1000);
	cr_assert_eq(k.inscp_scp_amt, 30000 - 3000);
	zt_catalog_free(cat);
}

Test(catalog_classify, not_found_is_fully_self_paid_without_a_ceiling)
{
	struct zt_catalog *cat = parse(one_code);
	const struct item_spec s[] = {{"UNKNOWN", 1, Q4(50), Q4(2), Q4(40), -1},
	                              {"S1", 1, Q4(10), Q4(1), -1, -1}, /* in the gap, March */
	                              {"D2", 3, Q4(1), Q4(1), -1, -1}};
	struct zt_item items[3];
	struct zt_claim c = claim_of(items, s, 3);
	struct zt_item_class out[3];
	cr_assert_eq(zt_catalog_classify(out, cat, 2, 20170310, &c), 3);
	cr_assert_eq(out[0].chrgitm_lv, 3);
	cr_assert_not(out[0].has_pric_uplmt, "the claim's ceiling is not used");
	cr_assert_not(out[0].has_selfpay_prop);
	cr_assert_null(out[0].entry);
	cr_assert(out[0].differs, "01 with a ceiling, now 03 without");
	cr_assert_eq(out[1].chrgitm_lv, 3, "a gap between two entries is not found");
	cr_assert_null(out[1].entry);
	/* the entries around the gap, first and last day */
	cr_assert_eq(zt_catalog_classify(out, cat, 2, 20170228, &c), 2);
	cr_assert_eq(out[1].chrgitm_lv, 1);
	cr_assert_not(out[1].differs);
	cr_assert_eq(zt_catalog_classify(out, cat, 2, 20170301, &c), 3);
	cr_assert_eq(out[1].chrgitm_lv, 3);
	cr_assert_eq(zt_catalog_classify(out, cat, 2, 20170401, &c), 2);
	cr_assert_eq(out[1].chrgitm_lv, 1);
	struct zt_policy p;
	cr_assert_eq(zt_policy_parse_file(&p, SAMPLE_POLICY), 0);
	struct zt_classified k;
	char msg[ZT_MESSAGE_BYTES_MAX];
	cr_assert_eq(zt_catalog_classify(out, cat, 2, 20170310, &c), 3);
	cr_assert_eq(zt_classify_items(&k, &p, &c, out, msg), ZT_REJ_NONE, "%s", msg);
	/* 100.00 + 10.00 fully self-paid, no over-limit part; 1.00 of 乙 at
	 * level 2 without a ceiling there: pre 0.20 */
	cr_assert_eq(k.fulamt_ownpay_amt, 10000 + 1000);
	cr_assert_eq(k.overlmt_selfpay, 0);
	cr_assert_eq(k.preselfpay_amt, 20);
	zt_catalog_free(cat);
}

Test(catalog_classify, what_differs_class_ceiling_presence_or_value_after_one_digit_forms)
{
	struct zt_catalog *cat = parse(one_code);
	/* sent as the claim reader gives them: "2" and "02" are both 2 */
	const struct item_spec s[] = {
		{"D2", 2, Q4(10), Q4(1), Q4(9), -1},  /* same class, same ceiling at level 1 */
		{"D2", 2, Q4(10), Q4(1), Q4(8), -1},  /* another ceiling value */
		{"D2", 2, Q4(10), Q4(1), -1, -1},     /* no ceiling where the catalogue has one */
		{"DN", 2, Q4(10), Q4(1), Q4(8), -1},  /* a ceiling where the catalogue has none */
		{"D0", 1, Q4(10), Q4(1), -1, 0},      /* another class */
		{"D0", 2, Q4(10), Q4(1), -1, 9000},   /* another ratio only: not a difference */
	};
	struct zt_item items[6];
	struct zt_claim c = claim_of(items, s, 6);
	struct zt_item saved[6];
	memcpy(saved, items, sizeof saved);
	struct zt_item_class out[6];
	cr_assert_eq(zt_catalog_classify(out, cat, 1, 20170310, &c), 4);
	const bool differs[] = {false, true, true, true, true, false};
	for (int i = 0; i < 6; i++)
		cr_expect_eq(out[i].differs, differs[i], "item %d", i + 1);
	cr_assert_eq(memcmp(saved, items, sizeof saved), 0, "the claim is never changed");
	zt_catalog_free(cat);
}

Test(catalog_classify, the_worked_example_under_the_sample_catalogue)
{
	struct zt_catalog *cat = load(SAMPLE);
	struct zt_policy p;
	cr_assert_eq(zt_policy_parse_file(&p, SAMPLE_POLICY), 0);
	const struct item_spec s[] = {{"001201000010000-120100001", 1, Q4(8000), Q4(1), -1, -1},
	                              {"XB01ACA056A001010100000", 2, Q4(25), Q4(80), Q4(30), 1000},
	                              {"ZZ0001", 3, Q4(500), Q4(1), -1, -1}};
	struct zt_item items[3];
	struct zt_claim c = claim_of(items, s, 3);
	struct zt_item_class out[3];
	/* county hospital: the catalogue's ceiling is 28.00, the hospital sent 30.00 */
	cr_assert_eq(zt_catalog_classify(out, cat, 2, 20170310, &c), 1);
	cr_assert(out[1].differs);
	cr_assert_eq(out[1].pric_uplmt_amt, Q4(28));
	struct zt_classified k;
	char msg[ZT_MESSAGE_BYTES_MAX];
	cr_assert_eq(zt_classify_items(&k, &p, &c, out, msg), ZT_REJ_NONE, "%s", msg);
	/* the same amounts as docs/spec/split.md §7: 25.00 is under either ceiling */
	cr_assert_eq(k.preselfpay_amt, 20000);
	cr_assert_eq(k.inscp_scp_amt, 980000);
	cr_assert_eq(k.fulamt_ownpay_amt, 50000);
	cr_assert_eq(k.overlmt_selfpay, 0);
	/* township: 30.00 there too, nothing differs; city: no ceiling, it differs */
	cr_assert_eq(zt_catalog_classify(out, cat, 1, 20170310, &c), 0);
	cr_assert_eq(zt_catalog_classify(out, cat, 3, 20170310, &c), 1);
	cr_assert_not(out[1].has_pric_uplmt);
	zt_catalog_free(cat);
}

/* ---- the command ---------------------------------------------------------------- */

Test(catalog_cli, check_needs_no_database_and_names_the_line)
{
	char *out = NULL, *err = NULL;
	const char *bad = zt_test_case("catalog/bad-selfpay-on-01.xml");
	int rc = zt_test_run(&out, &err, "--db /nonexistent/x.db catalog check '%s'", bad);
	cr_assert_eq(rc, 2);
	char want[1200];
	snprintf(want, sizeof want, "zhitong: schema-invalid: %s:4: <entry selfpay_prop>:", bad);
	cr_assert(strstr(err, want), "%s", err);
	cr_assert_str_eq(out, "");
	free(out);
	free(err);
	rc = zt_test_run(&out, &err, "catalog check /nonexistent/catalog.xml");
	cr_assert_eq(rc, 2, "%s", err);
	free(out);
	free(err);
	rc = zt_test_run(&out, &err, "catalog");
	cr_assert_eq(rc, 2);
	cr_assert(strstr(err, "catalog check FILE.xml"), "%s", err);
	free(out);
	free(err);
	rc = zt_test_run(&out, &err, "--db /nonexistent/x.db catalog load /nonexistent/x.xml --by a");
	cr_assert_eq(rc, 2, "a catalogue that cannot be read: %s", err);
	free(out);
	free(err);
	rc = zt_test_run(&out, &err, "help");
	cr_assert_eq(rc, 0);
	cr_assert(strstr(out, "catalog check"), "%s", out);
	cr_assert(strstr(out, "catalog load"), "%s", out);
	free(out);
	free(err);
}
