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
#define TEST_ENTRIES_FROM(d)                                                                \
	"<entry code=\"C01\" name=\"one\" chrgitm_lv=\"01\" from=\"" d "\"/>\n"               \
	"<entry code=\"C02P\" name=\"two\" chrgitm_lv=\"02\" selfpay_prop=\"0.20\" "          \
	"from=\"" d "\"><ceiling level=\"1\" pric=\"4.00\"/>"                                 \
	"<ceiling level=\"2\" pric=\"5.00\"/></entry>\n"                                       \
	"<entry code=\"C02N\" name=\"three\" chrgitm_lv=\"02\" from=\"" d "\"/>\n"            \
	"<entry code=\"C03\" name=\"four\" chrgitm_lv=\"03\" from=\"" d "\"/>\n"
#define TEST_ENTRIES TEST_ENTRIES_FROM("2017-01-01")
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
	expect_has(out, "目录 cat-t-2017：4 项按目录重新分类（与医院上传不同）");
	expect_has(out, "第 1 项 C01：等级 03 → 01，限价 无 → 无");
	expect_has(out, "第 2 项 C02P：等级 01 → 02，限价 9.0000 → 5.0000");
	expect_has(out, "第 4 项 C03：等级 01 → 03");
	expect_has(out, "第 5 项 NOPE：等级 01 → 03（目录中无此项），限价 无 → 无");
	cr_expect(strstr(out, "第 3 项") == NULL, "the ratio alone does not differ:\n%s", out);
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
	expect_has(out, "第 2 项 C02P：等级 01 → 02，限价 9.0000 → 无");
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

/* ---- category periods on the discharge date (§3) -------------------------------------- */

/* One 甲 item of 1000.00 at H51010101 (level 2, in county), no catalogue:
 *   general: (1000.00 − 400.00) × 0.80 = 480.00
 *   poor:    (1000.00 − 200.00) × 0.85 = 680.00 */
static const char *one_item(const char *claim_no, const char *psn_no, const char *dscg)
{
	static const struct item it[] = {{"C01", "01", "1000", "1", "1000.00", "", ""}};
	char file[64];
	snprintf(file, sizeof file, "%s.xml", claim_no);
	return claim_file(file, "H51010101", claim_no, psn_no, dscg, "1000.00", it, 1);
}

static void expect_settled(const char *db, const char *claim_no, const char *psn_no,
                           const char *dscg, const char *hifp, const char *category)
{
	char *out = zt_test_db_ok(db, "claim submit '%s'", one_item(claim_no, psn_no, dscg));
	char want[64];
	snprintf(want, sizeof want, "<hifp_pay>%s</hifp_pay>", hifp);
	expect_has(out, want);
	free(out);
	char sql[160];
	snprintf(sql, sizeof sql, "SELECT s.category FROM settlement s JOIN claim c ON c.id = "
	         "s.claim_id WHERE c.claim_no = '%s'", claim_no);
	char *rows = zt_test_rows(db, "%s", sql);
	char line[32];
	snprintf(line, sizeof line, "%s\n", category);
	cr_expect_str_eq(rows, line, "claim %s", claim_no);
	free(rows);
}

/* P0000005: poor 2014-01-01 to 2017-08-31, then the attribute (general);
 * P0000002: general, poor from 2017-06-01 on (open-ended). */
Test(rules_wire_periods, the_period_holds_on_its_first_and_last_day)
{
	const char *db = world("per.db", true);
	expect_settled(db, "P5-LAST", "P0000005", "2017-08-31", "680.00", "poor");
	expect_settled(db, "P5-AFTER", "P0000005", "2017-09-01", "480.00", "general");
	expect_settled(db, "P2-BEFORE", "P0000002", "2017-05-31", "480.00", "general");
	expect_settled(db, "P2-FIRST", "P0000002", "2017-06-01", "680.00", "poor");
	/* a person without periods: the attribute */
	expect_settled(db, "P6", "P0000006", "2017-06-01", "480.00", "general");
	cr_expect_eq(zt_test_sql_int(db, "SELECT COUNT(*) FROM person_category"), 4);
	char *out = zt_test_db_ok(db, "verify");
	expect_has(out, "OK: 0 violations");
	free(out);
}

/* A later registry load replaces the periods but never a settlement. */
Test(rules_wire_periods, a_registry_reload_leaves_past_settlements_as_made)
{
	const char *db = world("reload.db", true);
	expect_settled(db, "P2-FIRST", "P0000002", "2017-06-01", "680.00", "poor");
	char *before = zt_test_db_ok(db, "claim show --hospital H51010101 --claim-no P2-FIRST");
	char *rows_before = zt_test_rows(db, "SELECT * FROM settlement ORDER BY id");
	/* v1 again: P0000002 is general with no periods */
	free(zt_test_db_ok(db, "registry load '%s'", REGISTRY));
	cr_expect_eq(zt_test_sql_int(db, "SELECT COUNT(*) FROM person_category WHERE psn_no = "
	                                 "'P0000002'"), 0);
	char *after = zt_test_db_ok(db, "claim show --hospital H51010101 --claim-no P2-FIRST");
	char *rows_after = zt_test_rows(db, "SELECT * FROM settlement ORDER BY id");
	cr_expect_str_eq(after, before);
	cr_expect_str_eq(rows_after, rows_before);
	expect_has(after, "（poor，县内）");
	/* the same claim sent again is the same answer, not a new split */
	char *again = zt_test_db_ok(db, "claim submit '%s'", one_item("P2-FIRST", "P0000002",
	                                                             "2017-06-01"));
	expect_has(again, "<hifp_pay>680.00</hifp_pay>");
	/* a new claim is settled under the new facts */
	expect_settled(db, "P2-NEXT", "P0000002", "2017-06-02", "480.00", "general");
	char *out = zt_test_db_ok(db, "verify");
	expect_has(out, "OK: 0 violations");
	free(out);
	free(again);
	free(before);
	free(after);
	free(rows_before);
	free(rows_after);
}

/* ---- catalogues: overlaps, supersede, approval ----------------------------------------- */

Test(rules_wire_catalog, overlapping_catalogues_and_entries_are_refused_whole)
{
	const char *db = world("ov.db", false);
	free(zt_test_db_ok(db, "catalog load '%s'", test_catalogue()));
	/* the identical document again: nothing changes */
	char *out = zt_test_db_ok(db, "catalog load '%s'", test_catalogue());
	expect_has(out, "loaded already");
	free(out);
	struct run r = zt_test_db(db, "catalog load '%s'",
	                          catalogue("b.xml", "cat-b", "510101", "2017-07-01", NULL,
	                                    TEST_ENTRIES_FROM("2017-07-01")));
	cr_expect_eq(r.code, 2);
	expect_has(r.err, "overlaps catalogue 'cat-t-2017' (2017-01-01 to 2017-12-31)");
	run_free(&r);
	/* another id under a loaded one's name */
	r = zt_test_db(db, "catalog load '%s'",
	               catalogue("c.xml", "cat-t-2017", "510101", "2018-01-01", NULL,
	                         TEST_ENTRIES_FROM("2018-01-01")));
	cr_expect_eq(r.code, 2);
	expect_has(r.err, "loaded already with other contents");
	run_free(&r);
	/* two entries of one code that overlap: the file, its line */
	r = zt_test_db(db, "catalog load '%s'",
	               catalogue("d.xml", "cat-d", "510101", "2018-01-01", NULL,
	                         "<entry code=\"X\" name=\"x\" chrgitm_lv=\"01\" from=\"2018-01-01\" "
	                         "to=\"2018-06-30\"/>\n<entry code=\"X\" name=\"x\" chrgitm_lv=\"02\" "
	                         "from=\"2018-06-30\"/>\n"));
	cr_expect_eq(r.code, 2);
	expect_has(r.err, "d.xml:");
	run_free(&r);
	/* another county's catalogue may share the dates */
	free(zt_test_db_ok(db, "catalog load '%s'",
	                   catalogue("e.xml", "cat-e", "510102", "2017-01-01", NULL, TEST_ENTRIES)));
	cr_expect_eq(zt_test_sql_int(db, "SELECT COUNT(*) FROM catalog"), 2);
	cr_expect_eq(zt_test_sql_int(db, "SELECT COUNT(*) FROM catalog_entry"), 8);
}

/* A claim of the five items on `dscg` under whatever is in force: the
 * catalogue attribute it reports ("" none). */
static char *settle_five(const char *db, const char *claim_no, const char *dscg)
{
	return zt_test_db_ok(db, "claim submit '%s'", five("H51010101", claim_no, dscg));
}

Test(rules_wire_catalog, supersede_ends_the_old_one_the_day_before)
{
	const char *db = world("sup.db", false);
	free(zt_test_db_ok(db, "catalog load '%s'", test_catalogue()));
	char *out = settle_five(db, "S-MAY", "2017-05-01"); /* before the new one: no obstacle */
	expect_has(out, "catalog=\"cat-t-2017\"");
	free(out);
	out = zt_test_db_ok(db, "catalog load '%s' --supersedes cat-t-2017",
	                    catalogue("h2.xml", "cat-t-2017h2", "510101", "2017-07-01", "2017-12-31",
	                              "<entry code=\"C01\" name=\"one\" chrgitm_lv=\"03\" "
	                              "from=\"2017-07-01\"/>\n"));
	expect_has(out, "catalogue 'cat-t-2017' now ends on 2017-06-30");
	free(out);
	out = settle_five(db, "S-JUN30", "2017-06-30");
	expect_has(out, "catalog=\"cat-t-2017\"");
	free(out);
	out = settle_five(db, "S-JUL1", "2017-07-01");
	expect_has(out, "catalog=\"cat-t-2017h2\"");
	free(out);
	out = zt_test_db_ok(db, "catalog list");
	expect_has(out, "2017-12-31 2017-06-30");
	free(out);
}

Test(rules_wire_catalog, supersede_is_refused_while_settlements_stand_in_the_way)
{
	const char *db = world("sup2.db", false);
	free(zt_test_db_ok(db, "catalog load '%s'", test_catalogue()));
	free(settle_five(db, "S-AUG", "2017-08-01"));
	free(settle_five(db, "S-SEP", "2017-09-01"));
	const char *newer = catalogue("h2.xml", "cat-h2", "510101", "2017-07-01", NULL,
	                                TEST_ENTRIES_FROM("2017-07-01"));
	struct run r = zt_test_db(db, "catalog load '%s' --supersedes cat-t-2017", newer);
	cr_expect_eq(r.code, 2);
	expect_has(r.err, "cannot be superseded from 2017-07-01: 2 settlements discharged on or "
	                  "after that day used it");
	run_free(&r);
	cr_expect_eq(zt_test_sql_int(db, "SELECT COUNT(*) FROM catalog"), 1);
	free(zt_test_db_ok(db, "claim reverse --hospital H51010101 --claim-no S-AUG --reason test"));
	r = zt_test_db(db, "catalog load '%s' --supersedes cat-t-2017", newer);
	expect_has(r.err, ": 1 settlement discharged on or after that day used it (reverse it first)");
	run_free(&r);
	free(zt_test_db_ok(db, "claim reverse --hospital H51010101 --claim-no S-SEP --reason test"));
	free(zt_test_db_ok(db, "catalog load '%s' --supersedes cat-t-2017", newer));
	/* a start not after the old one's is no supersede */
	r = zt_test_db(db, "catalog load '%s' --supersedes cat-h2",
	               catalogue("h3.xml", "cat-h3", "510101", "2017-07-01", NULL,
	                         TEST_ENTRIES_FROM("2017-07-01")));
	cr_expect_eq(r.code, 2);
	expect_has(r.err, "must lie after the effective-from");
	run_free(&r);
	char *out = zt_test_db_ok(db, "verify");
	expect_has(out, "OK: 0 violations");
	free(out);
}

Test(rules_wire_catalog, approval_by_a_second_person_before_any_use)
{
	const char *db = world("appr.db", false);
	const char *conf = zt_test_write("appr.conf", "[rules]\napproval = required\n");
	char *out = zt_test_db_ok(db, "--config '%s' catalog load '%s' --by alice", conf,
	                          test_catalogue());
	expect_has(out, "pending approval");
	free(out);
	/* pending: never used */
	out = settle_five(db, "A-1", "2017-03-10");
	cr_expect(strstr(out, "catalog=") == NULL, "%s", out);
	free(out);
	struct run r = zt_test_db(db, "catalog approve cat-t-2017 --by alice");
	cr_expect_eq(r.code, 2);
	expect_has(r.err, "maker-checker: catalogue 'cat-t-2017' was loaded by alice");
	run_free(&r);
	free(zt_test_db_ok(db, "catalog approve cat-t-2017 --by bob"));
	out = settle_five(db, "A-2", "2017-03-11");
	expect_has(out, "catalog=\"cat-t-2017\"");
	free(out);
	r = zt_test_db(db, "catalog approve cat-t-2017 --by carol");
	cr_expect_eq(r.code, 2);
	expect_has(r.err, "is not pending");
	run_free(&r);
	/* a pending supersede keeps the old dates; its checks are made again
	 * at the approval */
	out = zt_test_db_ok(db, "--config '%s' catalog load '%s' --supersedes cat-t-2017 --by alice",
	                    conf, catalogue("h2.xml", "cat-h2", "510101", "2017-07-01", NULL,
	                                    TEST_ENTRIES_FROM("2017-07-01")));
	expect_has(out, "pending approval");
	free(out);
	out = settle_five(db, "A-3", "2017-08-01");
	expect_has(out, "catalog=\"cat-t-2017\"");
	free(out);
	r = zt_test_db(db, "catalog approve cat-h2 --by bob");
	cr_expect_eq(r.code, 2);
	expect_has(r.err, "1 settlement discharged on or after that day used it");
	run_free(&r);
	free(zt_test_db_ok(db, "claim reverse --hospital H51010101 --claim-no A-3 --reason test"));
	out = zt_test_db_ok(db, "catalog approve cat-h2 --by bob");
	expect_has(out, "catalogue 'cat-t-2017' now ends on 2017-06-30");
	free(out);
	cr_expect_eq(zt_test_sql_int(db, "SELECT COUNT(*) FROM audit WHERE action LIKE 'catalog %'"), 4);
}

/* ---- random worlds with catalogues and periods ----------------------------------------- */

/* Worlds of `zhitong gen --catalog --periods`: codes missing from the
 * catalogue, hospitals sending another class, ceilings per level, people
 * whose category changes in the year. Every claim is settled under the
 * catalogue, money is conserved and verify is clean; the categories used
 * are the periods' on the discharge date. */
Test(rules_wire_worlds, random_worlds_with_catalogues_settle_conserved_and_verify_clean,
     .timeout = 300)
{
	for (int seed = 1; seed <= 3; seed++) {
		char dir[64], db[80];
		snprintf(dir, sizeof dir, "w%d", seed);
		const char *d = tmp_path(dir);
		snprintf(db, sizeof db, "%s/d.db", d);
		free(zt_test_ok("gen --claims 400 --seed %d --out '%s' --catalog --periods", seed, d));
		free(zt_test_db_ok(db, "init"));
		free(zt_test_db_ok(db, "registry load '%s/registry.xml'", d));
		free(zt_test_db_ok(db, "rules load '%s/policy.xml'", d));
		free(zt_test_db_ok(db, "catalog load '%s/catalog.xml'", d));
		struct run r = zt_test_db(db, "claim submit '%s/claims.xml'", d);
		cr_assert(r.code == 0 || r.code == 1, "%s", r.err);
		long long settled = zt_test_sql_int(db, "SELECT COUNT(*) FROM settlement");
		cr_expect_gt(settled, 300);
		cr_expect_eq(zt_test_sql_int(db, "SELECT COUNT(*) FROM settlement_catalog"), settled);
		/* the items the catalogue classed otherwise are there, and counted */
		cr_expect_gt(zt_test_sql_int(db, "SELECT COUNT(*) FROM settlement_catalog_item"), 0);
		cr_expect_eq(zt_test_sql_int(db, "SELECT COUNT(*) FROM settlement_catalog_item"),
		             zt_test_sql_int(db, "SELECT COALESCE(SUM(differs), 0) FROM "
		                                 "settlement_catalog"));
		cr_expect_gt(zt_test_sql_int(db, "SELECT COUNT(*) FROM settlement_catalog_item "
		                                 "WHERE found = 0"), 0, "codes missing");
		/* conservation, one settlement at a time, and the category of the
		 * period holding the discharge date where one does */
		cr_expect_eq(zt_test_sql_int(db, "SELECT COUNT(*) FROM settlement WHERE fund_pay_sumamt"
		                                 " + hosp_part_amt + psn_part_amt <> medfee_sumamt"), 0);
		cr_expect_eq(zt_test_sql_int(db, "SELECT COUNT(*) FROM settlement s JOIN claim c ON "
		                                 "c.id = s.claim_id JOIN person_category pc ON "
		                                 "pc.psn_no = c.psn_no AND c.dscg_date BETWEEN "
		                                 "pc.from_date AND pc.to_date WHERE s.category <> "
		                                 "pc.category"), 0);
		cr_expect_gt(zt_test_sql_int(db, "SELECT COUNT(*) FROM settlement s JOIN claim c ON "
		                                 "c.id = s.claim_id JOIN person_category pc ON "
		                                 "pc.psn_no = c.psn_no AND c.dscg_date BETWEEN "
		                                 "pc.from_date AND pc.to_date"), 0);
		char *out = zt_test_db_ok(db, "verify");
		expect_has(out, "OK: 0 violations");
		free(out);
		run_free(&r);
	}
}
