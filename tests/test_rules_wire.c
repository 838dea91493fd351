/* zhitong — rules v2 wired end to end (issue 9; docs/spec/rules-v2.md §1–§3):
 * catalogues in the store and in the split, category periods on the
 * discharge date, supersede and approval of catalogues, settlements that
 * stay as made. Expected amounts are computed by hand in the comments from
 * rules/sample-510101-2017.xml (b-selfpay-ratio 0.10; basic level 1: 100.00
 * and 0.90, level 2: 400.00 and 0.80, level 3: 800.00 and 0.65; poor in
 * county: deductible × 0.5, ratio + 0.05), never from the engine's code. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "zhitong/store.h"

#define REGISTRY ZT_TEST_SOURCE_DIR "/rules/registry-510101.xml"
#define REGISTRY_V2 ZT_TEST_SOURCE_DIR "/rules/registry-510101-v2.xml"
#define POLICY ZT_TEST_SOURCE_DIR "/rules/sample-510101-2017.xml"

/* A database with the sample registry and policy. */
static const char *world(const char *name, bool v2)
{
	const char *db = tmp_path(name);
	free(zt_test_db_ok(db, "init"));
	free(zt_test_db_ok(db, "registry load '%s'", REGISTRY));
	if (v2)
		free(zt_test_db_ok(db, "registry load '%s'", REGISTRY_V2));
	free(zt_test_db_ok(db, "rules load '%s'", POLICY));
	return db;
}

/* A catalogue document with the given header and entries (XML text). */
static const char *catalogue(const char *file, const char *id, const char *county,
                             const char *from, const char *to, const char *entries)
{
	char *doc;
	cr_assert(asprintf(&doc, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	                         "<catalog xmlns=\"urn:zhitong:catalog:1\" id=\"%s\" county=\"%s\" "
	                         "effective-from=\"%s\"%s%s%s>\n%s</catalog>\n",
	                   id, county, from, to ? " effective-to=\"" : "", to ? to : "",
	                   to ? "\"" : "", entries) > 0);
	const char *p = zt_test_write(file, doc);
	free(doc);
	return p;
}

/* The test catalogue of county 510101 for 2017: C01 甲; C02P 乙 with its
 * own self-pay ratio 0.20 and ceilings 4.00 (level 1) and 5.00 (level 2);
 * C02N 乙 without ratio or ceiling; C03 丙. */
#define TEST_ENTRIES                                                                         \
	"<entry code=\"C01\" name=\"one\" chrgitm_lv=\"01\" from=\"2017-01-01\"/>\n"          \
	"<entry code=\"C02P\" name=\"two\" chrgitm_lv=\"02\" selfpay_prop=\"0.20\" "         \
	"from=\"2017-01-01\"><ceiling level=\"1\" pric=\"4.00\"/>"                            \
	"<ceiling level=\"2\" pric=\"5.00\"/></entry>\n"                                      \
	"<entry code=\"C02N\" name=\"three\" chrgitm_lv=\"02\" from=\"2017-01-01\"/>\n"       \
	"<entry code=\"C03\" name=\"four\" chrgitm_lv=\"03\" from=\"2017-01-01\"/>\n"
static const char *test_catalogue(void)
{
	return catalogue("cat.xml", "cat-t-2017", "510101", "2017-01-01", "2017-12-31", TEST_ENTRIES);
}

/* One item: code, class as sent, price, count, amount, and the optional
 * ceiling and self-pay ratio as sent ("" for none). */
struct item {
	const char *code, *lv, *pric, *cnt, *amount, *ceiling, *selfpay;
};

static const char *claim_file(const char *file, const char *hospital, const char *claim_no,
                              const char *psn_no, const char *dscg, const char *total,
                              const struct item *it, int n)
{
	char *items = strdup(""), *doc;
	for (int i = 0; i < n; i++) {
		char *next;
		cr_assert(asprintf(&next, "%s<item><feedetl_sn>%d</feedetl_sn><med_list_codg>%s"
		                          "</med_list_codg><med_chrgitm_type>09</med_chrgitm_type>"
		                          "<chrgitm_lv>%s</chrgitm_lv><pric>%s</pric><cnt>%s</cnt>"
		                          "<det_item_fee_sumamt>%s</det_item_fee_sumamt>%s%s%s%s%s%s"
		                          "</item>\n",
		                   items, i + 1, it[i].code, it[i].lv, it[i].pric, it[i].cnt,
		                   it[i].amount, it[i].ceiling[0] ? "<pric_uplmt_amt>" : "",
		                   it[i].ceiling, it[i].ceiling[0] ? "</pric_uplmt_amt>" : "",
		                   it[i].selfpay[0] ? "<selfpay_prop>" : "", it[i].selfpay,
		                   it[i].selfpay[0] ? "</selfpay_prop>" : "") > 0);
		free(items);
		items = next;
	}
	cr_assert(asprintf(&doc, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	                         "<claim xmlns=\"urn:zhitong:claim:1\"><fixmedins_code>%s"
	                         "</fixmedins_code><claim_no>%s</claim_no><psn_no>%s</psn_no>"
	                         "<adm_date>%s</adm_date><dscg_date>%s</dscg_date>"
	                         "<dscg_maindiag_code>I63.900</dscg_maindiag_code>"
	                         "<medfee_sumamt>%s</medfee_sumamt><items>%s</items></claim>\n",
	                   hospital, claim_no, psn_no, dscg, dscg, total, items) > 0);
	const char *p = zt_test_write(file, doc);
	free(items);
	free(doc);
	return p;
}

/* The five items of the classification claim (1650.00 in all). */
static const struct item FIVE[] = {
	{"C01", "03", "1000", "1", "1000.00", "", ""},          /* 丙 sent, 甲 in the catalogue */
	{"C02P", "01", "6.00", "50", "300.00", "9.00", "0.50"},   /* 甲 sent, 乙 0.20 with ceilings */
	{"C02N", "02", "10.00", "20", "200.00", "", "0.50"},      /* 乙, no ratio: the policy's */
	{"C03", "01", "100", "1", "100.00", "", ""},            /* 甲 sent, 丙 in the catalogue */
	{"NOPE", "01", "25", "2", "50.00", "", ""},             /* not in the catalogue: 丙 */
};

static const char *five(const char *hospital, const char *claim_no, const char *dscg)
{
	char file[64];
	snprintf(file, sizeof file, "%s.xml", claim_no);
	return claim_file(file, hospital, claim_no, "P0000006", dscg, "1650.00", FIVE, 5);
}

/* What a settlement answer says of one element or attribute. */
static void expect_has(const char *out, const char *want)
{
	cr_expect(strstr(out, want) != NULL, "no '%s' in:\n%s", want, out);
}

/* ---- the classification rule, each branch ------------------------------------------ */

/* Level 2 (H51010101), general person P0000006:
 *   C01 1000.00 → 甲: inscp 1000.00
 *   C02P 6.00 × 50 → 乙, ceiling 5.00: overlmt (6.00 − 5.00) × 50 = 50.00;
 *        250.00 × 0.20 = 50.00 preselfpay, 200.00 inscp (the claim's 9.00
 *        and 0.50 ignored)
 *   C02N 200.00 → 乙 without ratio: 0.10 of the policy: 20.00, inscp 180.00
 *   C03 100.00, NOPE 50.00 → 丙: fulamt 150.00
 *   inscp 1380.00; basic (1380.00 − 400.00) × 0.80 = 784.00; person 866.00
 *   differs: C01 (03→01), C02P (01→02, ceiling 9→5), C03, NOPE: 4 */
Test(rules_wire_classify, found_not_found_ratio_and_the_ceiling_of_a_level_2_hospital)
{
	const char *db = world("c2.db", false);
	free(zt_test_db_ok(db, "catalog load '%s'", test_catalogue()));
	char *out = zt_test_db_ok(db, "claim submit '%s'", five("H51010101", "K-2", "2017-03-10"));
	expect_has(out, "catalog=\"cat-t-2017\" catalog_differs=\"4\"");
	expect_has(out, "<fulamt_ownpay_amt>150.00</fulamt_ownpay_amt>");
	expect_has(out, "<overlmt_selfpay>50.00</overlmt_selfpay>");
	expect_has(out, "<preselfpay_amt>70.00</preselfpay_amt>");
	expect_has(out, "<inscp_scp_amt>1380.00</inscp_scp_amt>");
	expect_has(out, "<hifp_pay>784.00</hifp_pay>");
	expect_has(out, "<psn_part_amt>866.00</psn_part_amt>");
	free(out);
	out = zt_test_db_ok(db, "claim show --hospital H51010101 --claim-no K-2");
	expect_has(out, "catalogue cat-t-2017: 4 items classed otherwise than the hospital sent");
	expect_has(out, "item 1 C01: class 03 -> 01, ceiling none -> none");
	expect_has(out, "item 2 C02P: class 01 -> 02, ceiling 9.0000 -> 5.0000");
	expect_has(out, "item 4 C03: class 01 -> 03");
	expect_has(out, "item 5 NOPE: class 01 -> 03 (not in the catalogue), ceiling none -> none");
	cr_expect(strstr(out, "item 3 ") == NULL, "the ratio alone does not differ:\n%s", out);
	free(out);
	cr_expect_eq(zt_test_sql_int(db, "SELECT COUNT(*) FROM settlement_catalog_item"), 4);
	out = zt_test_db_ok(db, "verify");
	expect_has(out, "OK: 0 violations");
	free(out);
}

/* Level 1 (H51010111): C02P's ceiling is 4.00: overlmt 2.00 × 50 = 100.00,
 * 200.00 × 0.20 = 40.00 preselfpay, 160.00 inscp; inscp 1000.00 + 160.00 +
 * 180.00 = 1340.00; basic (1340.00 − 100.00) × 0.90 = 1116.00.
 * Level 3 (H51010121): no ceiling for level 3: 300.00 × 0.20 = 60.00,
 * inscp 240.00; inscp 1420.00; basic (1420.00 − 800.00) × 0.65 = 403.00. */
Test(rules_wire_classify, the_ceiling_is_the_one_of_the_hospitals_level_or_none)
{
	const char *db = world("c1.db", false);
	free(zt_test_db_ok(db, "catalog load '%s'", test_catalogue()));
	char *out = zt_test_db_ok(db, "claim submit '%s'", five("H51010111", "K-1", "2017-03-10"));
	expect_has(out, "<overlmt_selfpay>100.00</overlmt_selfpay>");
	expect_has(out, "<preselfpay_amt>60.00</preselfpay_amt>");
	expect_has(out, "<inscp_scp_amt>1340.00</inscp_scp_amt>");
	expect_has(out, "<hifp_pay>1116.00</hifp_pay>");
	free(out);
	out = zt_test_db_ok(db, "claim submit '%s'", five("H51010121", "K-3", "2017-04-10"));
	expect_has(out, "<overlmt_selfpay>0.00</overlmt_selfpay>");
	expect_has(out, "<preselfpay_amt>80.00</preselfpay_amt>");
	expect_has(out, "<inscp_scp_amt>1420.00</inscp_scp_amt>");
	expect_has(out, "<hifp_pay>403.00</hifp_pay>");
	free(out);
	out = zt_test_db_ok(db, "claim show --hospital H51010121 --claim-no K-3");
	/* at level 3 C02P's ceiling 9.00 sent becomes none */
	expect_has(out, "item 2 C02P: class 01 -> 02, ceiling 9.0000 -> none");
	free(out);
}

/* selfpay_prop 0 is a value: nothing self-paid first. C02Z 乙 with 0:
 * 200.00 inscp in full; C02N without: 0.10 of the policy. */
Test(rules_wire_classify, selfpay_prop_zero_present_or_absent)
{
	const char *db = world("sp.db", false);
	free(zt_test_db_ok(db, "catalog load '%s'",
	                   catalogue("z.xml", "cat-z", "510101", "2017-01-01", NULL,
	                             "<entry code=\"C02Z\" name=\"z\" chrgitm_lv=\"02\" "
	                             "selfpay_prop=\"0\" from=\"2017-01-01\"/>\n"
	                             "<entry code=\"C02N\" name=\"n\" chrgitm_lv=\"02\" "
	                             "from=\"2017-01-01\"/>\n")));
	const struct item it[] = {{"C02Z", "02", "10.00", "20", "200.00", "", "0.30"},
	                          {"C02N", "02", "10.00", "20", "200.00", "", ""}};
	/* inscp 200.00 + 180.00 = 380.00 < 400.00: no basic */
	char *out = zt_test_db_ok(db, "claim submit '%s'",
	                          claim_file("z1.xml", "H51010101", "Z-1", "P0000006", "2017-05-02",
	                                     "400.00", it, 2));
	expect_has(out, "<preselfpay_amt>20.00</preselfpay_amt>");
	expect_has(out, "<inscp_scp_amt>380.00</inscp_scp_amt>");
	expect_has(out, "catalog_differs=\"0\"");
	free(out);
}

/* No catalogue in force (another county's, or outside its dates): the
 * claim's own values, exactly v1 — byte for byte the answer of a database
 * without any catalogue. Own values: C01 丙 1000.00; C02P 甲 300.00 (6.00
 * under the 9.00 sent); C02N 乙 0.50: 100.00 + 100.00; C03, NOPE 甲: inscp
 * 550.00; basic (550.00 − 400.00) × 0.80 = 120.00. */
Test(rules_wire_classify, no_catalogue_in_force_is_v1_byte_for_byte)
{
	const char *plain = world("plain.db", false), *other = world("other.db", false);
	free(zt_test_db_ok(other, "catalog load '%s'",
	                   catalogue("o.xml", "cat-o", "510102", "2017-01-01", NULL, TEST_ENTRIES)));
	free(zt_test_db_ok(other, "catalog load '%s'",
	                   catalogue("n.xml", "cat-n", "510101", "2018-01-01", NULL, "")));
	const char *f = five("H51010101", "V-1", "2017-03-10");
	char *a = zt_test_db_ok(plain, "claim submit '%s'", f);
	char *b = zt_test_db_ok(other, "claim submit '%s'", f);
	cr_expect_str_eq(a, b);
	expect_has(a, "<fulamt_ownpay_amt>1000.00</fulamt_ownpay_amt>");
	expect_has(a, "<inscp_scp_amt>550.00</inscp_scp_amt>");
	expect_has(a, "<hifp_pay>120.00</hifp_pay>");
	cr_expect(strstr(a, "catalog=") == NULL);
	free(a);
	free(b);
	cr_expect_eq(zt_test_sql_int(other, "SELECT COUNT(*) FROM settlement_catalog"), 0);
}

/* [county C] catalog = required: no catalogue in force is no-catalog,
 * after no-policy; with one in force it settles. */
Test(rules_wire_classify, a_county_that_requires_a_catalogue_rejects_no_catalog)
{
	const char *db = world("req.db", false);
	const char *conf = zt_test_write("req.conf", "[county 510101]\ncatalog = required\n");
	struct run r = zt_test_db(db, "--config '%s' claim submit '%s'", conf,
	                          five("H51010101", "R-1", "2017-03-10"));
	cr_expect_eq(r.code, 1, "%s", r.err);
	expect_has(r.out, "code=\"no-catalog\"");
	expect_has(r.out, "no catalogue for county 510101 is in force on 2017-03-10");
	run_free(&r);
	/* a discharge no policy covers is no-policy first */
	r = zt_test_db(db, "--config '%s' claim submit '%s'", conf,
	               five("H51010101", "R-2", "2016-03-10"));
	expect_has(r.out, "code=\"no-policy\"");
	run_free(&r);
	free(zt_test_db_ok(db, "catalog load '%s'", test_catalogue()));
	char *out = zt_test_db_ok(db, "--config '%s' claim submit '%s'", conf,
	                          five("H51010101", "R-1", "2017-03-10"));
	expect_has(out, "<hifp_pay>784.00</hifp_pay>");
	free(out);
	/* a value other than required / optional is refused with its line */
	const char *bad = zt_test_write("bad.conf", "[county 510101]\ncatalog = yes\n");
	r = zt_test_db(db, "--config '%s' claim submit '%s'", bad, five("H51010101", "R-3", "2017-03-11"));
	cr_expect_eq(r.code, 2);
	expect_has(r.err, "bad.conf:2");
	run_free(&r);
}
