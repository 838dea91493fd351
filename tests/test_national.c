/* zhitong — settling the county's part on top of the national platform
 * (issue 14; docs/spec/claim-v2-national.md, docs/national.md), end to end
 * through the command line: the mode of a county's year, the rejection
 * codes of §3 in their place, the supplementary split on worlds whose
 * answers are computed here by hand (not by the engine's code), reversal,
 * the money flow (batches, advances), a national settlement used twice,
 * the national platform's reversed list, and random supplementary worlds
 * that conserve and verify clean — on SQLite and on PostgreSQL; and what
 * is read of such a stay: its slip verified genuine, settled and void
 * (zt_slip_verify and `slip verify`), the national part in `claim show`
 * and the desk's quote, the service's JSON (zt_settlement_json). */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "zhitong/access.h"
#include "zhitong/claims.h"
#include "zhitong/config.h"
#include "zhitong/error.h"
#include "zhitong/json.h"
#include "zhitong/render_settlement_json.h"
#include "zhitong/slip.h"
#include "zhitong/store.h"

#define SUPPLEMENTARY ZT_TEST_SOURCE_DIR "/rules/sample-510102-2017-supplementary.xml"
#define FULL ZT_TEST_SOURCE_DIR "/rules/sample-510101-2017.xml"

/* Our own registry: county 510102 settles on top of the national
 * platform (the sample supplementary policy: personal cap 10% in county,
 * 20% out of county for poor, lowinc, destitute; relief 610103 for poor
 * and destitute, in county only, ratio 1, 20000.00 a year; the remainder
 * to the hospital). H51010101 is in 510101: out of county. */
static const char REGISTRY[] =
	"<registry xmlns=\"urn:zhitong:registry:1\">\n"
	"  <fund code=\"390100\" name=\"城乡居民基本医疗保险基金\"/>\n"
	"  <fund code=\"390200\" name=\"城乡居民大病医疗保险基金\"/>\n"
	"  <fund code=\"610100\" name=\"医疗救助基金\"/>\n"
	"  <fund code=\"610103\" name=\"卫生扶贫救助基金\"/>\n"
	"  <hospital code=\"H51010201\" name=\"yy区人民医院\" level=\"2\" county=\"510102\"/>\n"
	"  <hospital code=\"H51010101\" name=\"xx区人民医院\" level=\"2\" county=\"510101\"/>\n"
	"  <person psn_no=\"P1\" name=\"赵小燕\" id_no=\"510102194004100938\" category=\"poor\" "
	"county=\"510102\"/>\n"
	"  <person psn_no=\"P2\" name=\"黄长青\" id_no=\"51010119690913692X\" category=\"lowinc\" "
	"county=\"510102\"/>\n"
	"  <person psn_no=\"P3\" name=\"马光荣\" id_no=\"510102195508148956\" category=\"general\" "
	"county=\"510102\"/>\n"
	"  <person psn_no=\"P4\" name=\"郭海燕\" id_no=\"510101197206091643\" category=\"destitute\" "
	"county=\"510102\"/>\n"
	"  <person psn_no=\"P5\" name=\"张三\" id_no=\"510101195001011234\" category=\"poor\" "
	"county=\"510101\"/>\n"
	"</registry>\n";

/* One claim: a single 甲 item of `amount` (yuan, two decimals), `v2`
 * decides the namespace, `national` (may be "") goes inside. */
static char *claim(bool v2, const char *hospital, const char *no, const char *psn,
                   const char *dscg, const char *amount, const char *national)
{
	char *x = NULL;
	cr_assert(asprintf(&x,
	                   "<claim xmlns=\"urn:zhitong:claim:%d\"><fixmedins_code>%s</fixmedins_code>"
	                   "<claim_no>%s</claim_no><psn_no>%s</psn_no><adm_date>2017-03-01</adm_date>"
	                   "<dscg_date>%s</dscg_date><dscg_maindiag_code>I10.x00</dscg_maindiag_code>"
	                   "<medfee_sumamt>%s</medfee_sumamt>%s<items><item><feedetl_sn>1</feedetl_sn>"
	                   "<med_list_codg>X1</med_list_codg><med_chrgitm_type>01</med_chrgitm_type>"
	                   "<chrgitm_lv>01</chrgitm_lv><pric>%s</pric><cnt>1</cnt>"
	                   "<det_item_fee_sumamt>%s</det_item_fee_sumamt></item></items></claim>\n",
	                   v2 ? 2 : 1, hospital, no, psn, dscg, amount, national, amount,
	                   amount) > 0);
	return x;
}

static char *nat(const char *id, const char *hifp, const char *hifmi, const char *maf,
                 const char *bill)
{
	char *x = NULL;
	cr_assert(asprintf(&x, "<national setl_id=\"%s\"><hifp_pay>%s</hifp_pay><hifmi_pay>%s"
	                       "</hifmi_pay><maf_pay>%s</maf_pay>%s</national>",
	                   id, hifp, hifmi, maf, bill ? bill : "") > 0);
	return x;
}

/* Submits one claim (file under `name`); its answer, exit `want`. */
static char *submit(const char *db, int want, const char *name, char *claim_xml)
{
	const char *f = zt_test_write(name, claim_xml);
	free(claim_xml);
	struct run r = zt_test_db(db, "claim submit '%s' --by desk --today 2018-01-10", f);
	cr_assert_eq(r.code, want, "%s: exit %d\n%s\n%s", name, r.code, r.err, r.out);
	free(r.err);
	return r.out;
}

static char *nclaim(const char *hospital, const char *no, const char *psn, const char *amount,
                    const char *id, const char *hifp, const char *hifmi, const char *maf,
                    const char *bill)
{
	char *n = nat(id, hifp, hifmi, maf, bill);
	char *c = claim(true, hospital, no, psn, "2017-03-05", amount, n);
	free(n);
	return c;
}

static void has(const char *out, const char *want)
{
	cr_assert(strstr(out, want), "'%s' not in:\n%s", want, out);
}

static void verify_clean(const char *db)
{
	char *out = zt_test_db_ok(db, "verify");
	has(out, "OK: 0 violations");
	cr_assert(!strstr(out, "WARNING"), "%s", out);
	free(out);
}

/* A database path of its own: tmp_path's buffer is shared with
 * zt_test_write's files. */
static const char *db_path(const char *name)
{
	static char paths[8][512];
	static int next;
	char *p = paths[next++ % 8];
	snprintf(p, sizeof paths[0], "%s", tmp_path(name));
	return p;
}

static const char *world(const char *db)
{
	free(zt_test_db_ok(db, "init"));
	free(zt_test_db_ok(db, "registry load '%s'", zt_test_write("reg.xml", REGISTRY)));
	free(zt_test_db_ok(db, "rules load '%s'", SUPPLEMENTARY));
	return db;
}

/* ---- the mode of a county's year (§2) ------------------------------------------------ */

/* The sample policy `path` for `county` from `from` to `to` under id `id`. */
static const char *policy(const char *path, const char *id, const char *county, const char *from,
                          const char *to)
{
	char *xml = zt_test_slurp(path), *out = NULL;
	const char *keys[] = {" id=\"", " county=\"", " effective-from=\"", " effective-to=\""};
	const char *vals[] = {id, county, from, to};
	for (int k = 0; k < 4; k++) {
		char *p = strstr(xml, keys[k]);
		cr_assert(p, "%s", keys[k]);
		p += strlen(keys[k]);
		char *q = strchr(p, '"');
		char *next = NULL;
		cr_assert(asprintf(&next, "%.*s%s%s", (int)(p - xml), xml, vals[k], q) > 0);
		free(xml);
		xml = next;
	}
	char name[80];
	snprintf(name, sizeof name, "%s.xml", id);
	const char *f = zt_test_write(name, xml);
	free(xml);
	(void)out;
	return f;
}

Test(national_mode, a_county_changes_mode_at_a_year_boundary_never_inside_a_year)
{
	const char *db = db_path("m.db");
	free(zt_test_db_ok(db, "init"));
	free(zt_test_db_ok(db, "registry load '%s'", ZT_TEST_SOURCE_DIR "/rules/registry-510101.xml"));
	/* full in 2017, supplementary from 2018: loads */
	free(zt_test_db_ok(db, "rules load '%s'", policy(FULL, "f17", "510101", "2017-01-01",
	                                                  "2017-12-31")));
	char *out = NULL, *err = NULL;
	cr_assert_eq(zt_test_run(&out, &err, "--db '%s' rules load '%s'", db,
	                         policy(SUPPLEMENTARY, "s18", "510101", "2018-01-01", "2018-12-31")),
	             0, "%s", err);
	has(err, "policy 's18' for county 510101");
	free(out);
	free(err);
	/* and back to full in 2019 */
	free(zt_test_db_ok(db, "rules load '%s'", policy(FULL, "f19a", "510101", "2019-01-01",
	                                                  "2019-06-30")));
	/* the same mode twice in a year: fine */
	free(zt_test_db_ok(db, "rules load '%s'", policy(FULL, "f19b", "510101", "2019-07-01",
	                                                  "2019-09-30")));
	/* supplementary inside 2019, after full: refused, nothing stored */
	struct run r = zt_test_db(db, "rules load '%s'", policy(SUPPLEMENTARY, "s19", "510101",
	                                                         "2019-10-01", "2019-12-31"));
	cr_assert_eq(r.code, 2, "%s", r.err);
	has(r.err, "county 510101 would have a ");
	has(r.err, "('s19')");
	has(r.err, "in 2019: all the policies of a county in one calendar year have one mode");
	run_free(&r);
	/* an open-ended supplementary policy from mid-2020 after a full 2020 half: refused */
	free(zt_test_db_ok(db, "rules load '%s'", policy(FULL, "f20", "510101", "2020-01-01",
	                                                  "2020-03-31")));
	r = zt_test_db(db, "rules load '%s'", policy(SUPPLEMENTARY, "s20", "510101", "2020-04-01",
	                                             "2099-12-31"));
	cr_assert_eq(r.code, 2, "%s", r.err);
	has(r.err, "in 2020: all the policies of a county in one calendar year have one mode");
	run_free(&r);
	/* another county is free to differ in the same year */
	free(zt_test_db_ok(db, "rules load '%s'", policy(SUPPLEMENTARY, "s19y", "510102",
	                                                  "2019-10-01", "2019-12-31")));
	/* a supplementary year followed mid-year by full: refused too */
	r = zt_test_db(db, "rules load '%s'", policy(FULL, "f18b", "510101", "2018-12-31",
	                                             "2018-12-31"));
	cr_assert_neq(r.code, 0, "%s", r.out);
	run_free(&r);
	out = zt_test_db_ok(db, "verify");
	has(out, "OK: 0 violations");
	free(out);
}

/* ---- the rejection codes of §3 and their precedence -------------------------------------- */

Test(national_reject, each_code_in_its_place)
{
	const char *db = world(db_path("r.db"));
	/* county 510101 full, with the sample policy: a claim with <national> */
	free(zt_test_db_ok(db, "rules load '%s'", FULL));
	char *out;
	/* national-missing: a v1 claim, and a v2 claim without <national> */
	out = submit(db, 1, "m1.xml", claim(false, "H51010201", "M1", "P1", "2017-03-05", "100.00",
	                                   ""));
	has(out, "code=\"national-missing\"");
	free(out);
	out = submit(db, 1, "m2.xml", claim(true, "H51010201", "M2", "P1", "2017-03-05", "100.00",
	                                   ""));
	has(out, "code=\"national-missing\"");
	has(out, "urn:zhitong:settlement:2");
	free(out);
	/* national-unexpected: a full county's claim carrying one */
	out = submit(db, 1, "u1.xml", nclaim("H51010101", "U1", "P5", "100.00", "N-U1", "50.00",
	                                     "0.00", "0.00", NULL));
	has(out, "code=\"national-unexpected\"");
	free(out);
	/* national-mismatch: the national funds pay more than the bill */
	out = submit(db, 1, "x1.xml", nclaim("H51010201", "X1", "P1", "100.00", "N-X1", "60.00",
	                                     "30.00", "10.01", NULL));
	has(out, "code=\"national-mismatch\"");
	has(out, "is more than medfee_sumamt (100.00)");
	free(out);
	/* … exactly the bill is fine */
	out = submit(db, 0, "x2.xml", nclaim("H51010201", "X2", "P3", "100.00", "N-X2", "60.00",
	                                     "30.00", "10.00", NULL));
	has(out, "<psn_part_amt>0.00</psn_part_amt>");
	free(out);
	/* … the bill fields not adding up to the bill */
	out = submit(db, 1, "x3.xml",
	             nclaim("H51010201", "X3", "P1", "100.00", "N-X3", "60.00", "0.00", "0.00",
	                    "<fulamt_ownpay_amt>10.00</fulamt_ownpay_amt><overlmt_selfpay>0.00"
	                    "</overlmt_selfpay><preselfpay_amt>0.00</preselfpay_amt><inscp_scp_amt>"
	                    "80.00</inscp_scp_amt><act_pay_dedc>0.00</act_pay_dedc>"));
	has(out, "code=\"national-mismatch\"");
	has(out, "is not medfee_sumamt (100.00)");
	free(out);
	/* precedence: amount-mismatch before national-missing and national-mismatch */
	char *c = claim(true, "H51010201", "P1", "P1", "2017-03-05", "100.00", "");
	char *bad = strstr(c, "<det_item_fee_sumamt>100.00");
	memcpy(bad + strlen("<det_item_fee_sumamt>"), "100.01", 6);
	out = submit(db, 1, "p1.xml", c);
	has(out, "code=\"amount-mismatch\"");
	free(out);
	c = nclaim("H51010201", "P2", "P1", "100.00", "N-P2", "200.00", "0.00", "0.00", NULL);
	bad = strstr(c, "<det_item_fee_sumamt>100.00");
	memcpy(bad + strlen("<det_item_fee_sumamt>"), "100.01", 6);
	out = submit(db, 1, "p2.xml", c);
	has(out, "code=\"amount-mismatch\"");
	free(out);
	/* no-policy and bad-dates before any national code */
	out = submit(db, 1, "p3.xml", claim(true, "H51010201", "P3", "P1", "2016-03-05", "100.00",
	                                    ""));
	has(out, "code=\"bad-dates\""); /* admitted after discharge (adm 2017-03-01) */
	free(out);
	c = claim(true, "H51010201", "P4", "P1", "2016-03-05", "100.00", "");
	char *adm = strstr(c, "2017-03-01");
	memcpy(adm, "2016-03-01", 10);
	out = submit(db, 1, "p4.xml", c);
	has(out, "code=\"no-policy\"");
	free(out);
	/* unknown person before national-missing */
	out = submit(db, 1, "p5.xml", claim(true, "H51010201", "P5", "P9", "2017-03-05", "100.00", ""));
	has(out, "code=\"unknown-person\"");
	free(out);
	/* nothing of the rejected claims was stored */
	out = zt_test_db_ok(db, "claim list --format csv");
	has(out, ",X2,");
	cr_assert(!strstr(out, ",M1,") && !strstr(out, ",X1,") && !strstr(out, ",X3,"), "%s", out);
	free(out);
	verify_clean(db);
}

/* ---- worlds computed by hand ------------------------------------------------------------ */

/* World A, P1 poor in county (cap 10%, relief 610103 ratio 1 up to 20000.00
 * a year, remainder to the hospital), by hand:
 *   A1 10000.00, national 6000 + 0 + 1000: psn0 3000, target 1000, gap 2000,
 *      relief 2000 (paid 0 → 2000): psn 1000, hosp 0, funds 9000
 *   A2 100000.00, national 50000 + 10000 + 0: psn0 40000, target 10000, gap
 *      30000, relief min(30000, 20000 − 2000) = 18000 (exhausted), hosp 12000,
 *      psn 10000, funds 78000; bill fields given: shown as given
 *   A3 5000.00, national 3000: psn0 2000, target 500, gap 1500, relief 0
 *      (exhausted), hosp 1500, psn 500, no setldetail
 * P2 lowinc in county: A4 8000.00, national 5000: psn0 3000, target 800, gap
 *      2200, no relief for lowinc: hosp 2200, psn 800
 * P4 destitute out of county (H51010101, cap 20%): A5 20000.00, national
 *      12000 + 0 + 2000: psn0 6000, target 4000, gap 2000, relief in county
 *      only, remainder stays with the patient out of county: psn 6000
 * P3 general: A6 3000.00, national 1500: no cap, psn 1500. */
static void world_a(const char *db)
{
	char *out;
	out = submit(db, 0, "a1.xml", nclaim("H51010201", "A1", "P1", "10000.00", "2304-A1",
	                                     "6000.00", "0.00", "1000.00", NULL));
	has(out, "<national setl_id=\"2304-A1\"/>");
	cr_assert(!strstr(out, "pool_prop_selfpay"), "%s", out);
	has(out, "<fulamt_ownpay_amt>0.00</fulamt_ownpay_amt>");
	has(out, "<inscp_scp_amt>10000.00</inscp_scp_amt>"); /* own classification: all 甲 */
	has(out, "<act_pay_dedc>0.00</act_pay_dedc>");
	has(out, "<hifp_pay>6000.00</hifp_pay>");
	has(out, "<maf_pay>1000.00</maf_pay>");
	has(out, "<oth_pay>2000.00</oth_pay>");
	has(out, "<fund_pay_sumamt>9000.00</fund_pay_sumamt>");
	has(out, "<hosp_part_amt>0.00</hosp_part_amt>");
	has(out, "<psn_part_amt>1000.00</psn_part_amt>");
	has(out, "fund_pay_type=\"610103\" fund_payamt=\"2000.00\"");
	cr_assert(!strstr(out, "fund_pay_type=\"390100\""), "national amounts are no shares: %s", out);
	free(out);
	out = submit(db, 0, "a2.xml",
	             nclaim("H51010201", "A2", "P1", "100000.00", "2304-A2", "50000.00", "10000.00",
	                    "0.00",
	                    "<fulamt_ownpay_amt>5000.00</fulamt_ownpay_amt><overlmt_selfpay>0.00"
	                    "</overlmt_selfpay><preselfpay_amt>1000.00</preselfpay_amt>"
	                    "<inscp_scp_amt>94000.00</inscp_scp_amt><act_pay_dedc>800.00"
	                    "</act_pay_dedc>"));
	has(out, "<fulamt_ownpay_amt>5000.00</fulamt_ownpay_amt>");
	has(out, "<preselfpay_amt>1000.00</preselfpay_amt>");
	has(out, "<inscp_scp_amt>94000.00</inscp_scp_amt>");
	has(out, "<act_pay_dedc>800.00</act_pay_dedc>");
	has(out, "<oth_pay>18000.00</oth_pay>");
	has(out, "<hosp_part_amt>12000.00</hosp_part_amt>");
	has(out, "<psn_part_amt>10000.00</psn_part_amt>");
	has(out, "<fund_pay_sumamt>78000.00</fund_pay_sumamt>");
	free(out);
	out = submit(db, 0, "a3.xml", nclaim("H51010201", "A3", "P1", "5000.00", "2304-A3",
	                                     "3000.00", "0.00", "0.00", NULL));
	has(out, "<oth_pay>0.00</oth_pay>");
	has(out, "<hosp_part_amt>1500.00</hosp_part_amt>");
	has(out, "<psn_part_amt>500.00</psn_part_amt>");
	has(out, "<setldetail/>");
	free(out);
	out = submit(db, 0, "a4.xml", nclaim("H51010201", "A4", "P2", "8000.00", "2304-A4",
	                                     "5000.00", "0.00", "0.00", NULL));
	has(out, "<oth_pay>0.00</oth_pay>");
	has(out, "<hosp_part_amt>2200.00</hosp_part_amt>");
	has(out, "<psn_part_amt>800.00</psn_part_amt>");
	free(out);
	out = submit(db, 0, "a5.xml", nclaim("H51010101", "A5", "P4", "20000.00", "2304-A5",
	                                     "12000.00", "0.00", "2000.00", NULL));
	has(out, "<oth_pay>0.00</oth_pay>");
	has(out, "<hosp_part_amt>0.00</hosp_part_amt>");
	has(out, "<psn_part_amt>6000.00</psn_part_amt>");
	free(out);
	out = submit(db, 0, "a6.xml", nclaim("H51010201", "A6", "P3", "3000.00", "2304-A6",
	                                     "1500.00", "0.00", "0.00", NULL));
	has(out, "<psn_part_amt>1500.00</psn_part_amt>");
	free(out);
	verify_clean(db);
}

/* The ledger: national-platform:<fund> → claims:<H>, never hospital:<H>. */
static void balance_is(const char *db, const char *account, const char *want)
{
	char *out = zt_test_db_ok(db, "ledger balance '%s'", account);
	has(out, want);
	free(out);
}

static void world_a_money(const char *db)
{
	/* national: 6000 + 50000 + 3000 + 5000 + 12000 + 1500 basic, 10000
	 * critical, 1000 + 2000 assistance */
	balance_is(db, "national-platform:390100", "77500.00");
	balance_is(db, "national-platform:390200", "10000.00");
	balance_is(db, "national-platform:610100", "3000.00");
	/* the relief fund: 2000 + 18000 owed to the pool, earned by H51010201 */
	balance_is(db, "fund:610103", "20000.00");
	balance_is(db, "hospital:H51010201", "-20000.00");
	/* batches: the national funds have nothing to batch; 610103 its two shares */
	char *out = zt_test_db_ok(db, "batch create --fund 390100 --by clerk");
	cr_assert_str_eq(out, "");
	free(out);
	out = zt_test_db_ok(db, "batch create --fund 610100 --by clerk");
	cr_assert_str_eq(out, "");
	free(out);
	out = zt_test_db_ok(db, "batch create --fund 610103 --by clerk");
	has(out, "B610103-");
	free(out);
	out = zt_test_db_ok(db, "batch list --format csv");
	has(out, ",610103,draft,2,20000.00,0.00");
	cr_assert(!strstr(out, ",390100,"), "%s", out);
	free(out);
	/* advances: earned is the relief funds' only */
	out = zt_test_db_ok(db, "advance status --format csv");
	has(out, "H51010201,0.00,20000.00,-20000.00");
	free(out);
	verify_clean(db);
}

Test(national_world, world_a_by_hand_money_flow_and_reversal)
{
	const char *db = world(db_path("a.db"));
	world_a(db);
	world_a_money(db);
	/* reversal: every amount negated, only the relief accumulator given back */
	char *out = zt_test_db_ok(db, "claim reverse --hospital H51010201 --claim-no A2 "
	                              "--reason 'wrong stay' --by desk");
	has(out, "urn:zhitong:settlement:2");
	has(out, "<national setl_id=\"2304-A2\"/>");
	has(out, "<hifp_pay>-50000.00</hifp_pay>");
	has(out, "<hifmi_pay>-10000.00</hifmi_pay>");
	has(out, "<oth_pay>-18000.00</oth_pay>");
	has(out, "fund_pay_type=\"610103\" fund_payamt=\"-18000.00\"");
	free(out);
	balance_is(db, "national-platform:390100", "27500.00");
	balance_is(db, "national-platform:390200", "0.00");
	/* the relief fund has 18000 again for P1: a new claim uses it */
	out = submit(db, 0, "a7.xml", nclaim("H51010201", "A7", "P1", "40000.00", "2304-A7",
	                                     "20000.00", "0.00", "0.00", NULL));
	/* psn0 20000, target 4000, gap 16000 ≤ 18000 left: relief 16000 */
	has(out, "<oth_pay>16000.00</oth_pay>");
	has(out, "<psn_part_amt>4000.00</psn_part_amt>");
	free(out);
	/* no basic, critical or assistance accumulator was ever moved */
	out = zt_test_db_ok(db, "claim show --hospital H51010201 --claim-no A7");
	has(out, "本年已付 2000.00 → 18000.00");
	free(out);
	/* show and the slip say the national settlement */
	out = zt_test_db_ok(db, "claim show --hospital H51010201 --claim-no A1 --format xml");
	has(out, "<national setl_id=\"2304-A1\"/>");
	free(out);
	out = zt_test_db_ok(db, "slip --hospital H51010201 --claim-no A1");
	has(out, "2304-A1");
	char *basic = strstr(out, "城乡居民基本医疗保险基金"), *relief = strstr(out, "卫生扶贫救助基金");
	char *assist = strstr(out, "医疗救助基金 610100");
	cr_assert(basic && relief && assist, "%s", out);
	cr_assert(basic < assist && assist < relief, "national funds first, then the county's: %s",
	          out);
	cr_assert(strstr(out, "6000.00") && strstr(out, "1000.00") && strstr(out, "2000.00"), "%s",
	          out);
	free(out);
	/* quote: the answer, nothing stored */
	char *q = nclaim("H51010201", "Q1", "P1", "10000.00", "2304-Q1", "6000.00", "0.00", "1000.00",
	                 NULL);
	const char *f = zt_test_write("q.xml", q);
	free(q);
	out = zt_test_db_ok(db, "claim quote '%s' --today 2018-01-10", f);
	has(out, "<oth_pay>2000.00</oth_pay>");
	free(out);
	struct run r = zt_test_db(db, "claim show --hospital H51010201 --claim-no Q1");
	cr_assert_eq(r.code, 1);
	run_free(&r);
	verify_clean(db);
}

/* World B, P4 destitute in county, relief for destitute: two stays
 *   B1 30000.00, national 20000 + 1000 + 2000: psn0 7000, target 3000, gap
 *      4000, relief 4000: psn 3000
 *   B2 300000.00, national 200000 + 50000 + 10000: psn0 40000, target 30000,
 *      gap 10000, relief min(10000, 20000 − 4000) = 10000: psn 30000
 *   B3 200000.00, national 150000 + 0 + 0: psn0 50000, target 20000, gap
 *      30000, relief 20000 − 14000 = 6000 (exhausted), hosp 24000, psn 20000 */
Test(national_world, world_b_caps_binding_and_a_fund_exhausted)
{
	const char *db = world(db_path("b.db"));
	char *out = submit(db, 0, "b1.xml", nclaim("H51010201", "B1", "P4", "30000.00", "2304-B1",
	                                           "20000.00", "1000.00", "2000.00", NULL));
	has(out, "<oth_pay>4000.00</oth_pay>");
	has(out, "<psn_part_amt>3000.00</psn_part_amt>");
	free(out);
	out = submit(db, 0, "b2.xml", nclaim("H51010201", "B2", "P4", "300000.00", "2304-B2",
	                                     "200000.00", "50000.00", "10000.00", NULL));
	has(out, "<oth_pay>10000.00</oth_pay>");
	has(out, "<psn_part_amt>30000.00</psn_part_amt>");
	free(out);
	out = submit(db, 0, "b3.xml", nclaim("H51010201", "B3", "P4", "200000.00", "2304-B3",
	                                     "150000.00", "0.00", "0.00", NULL));
	has(out, "<oth_pay>6000.00</oth_pay>");
	has(out, "<hosp_part_amt>24000.00</hosp_part_amt>");
	has(out, "<psn_part_amt>20000.00</psn_part_amt>");
	has(out, "paid-before=\"14000.00\"");
	free(out);
	verify_clean(db);
}

/* ---- one national settlement pays one stay once ---------------------------------------- */

Test(national_twice, a_national_settlement_number_used_twice_is_refused)
{
	const char *db = world(db_path("t.db"));
	char *out = submit(db, 0, "t1.xml", nclaim("H51010201", "T1", "P1", "1000.00", "2304-T",
	                                           "600.00", "0.00", "0.00", NULL));
	free(out);
	/* the same claim again: its stored answer, no rejection */
	out = submit(db, 0, "t1b.xml", nclaim("H51010201", "T1", "P1", "1000.00", "2304-T",
	                                      "600.00", "0.00", "0.00", NULL));
	has(out, "setl_id=\"S000000000001\"");
	free(out);
	/* another claim, another hospital's or person's, on the same national settlement */
	out = submit(db, 1, "t2.xml", nclaim("H51010201", "T2", "P2", "1000.00", "2304-T",
	                                     "600.00", "0.00", "0.00", NULL));
	has(out, "code=\"national-mismatch\"");
	has(out, "the national settlement '2304-T' already stands under settlement S000000000001 "
	         "of claim 'T1'");
	free(out);
	out = submit(db, 1, "t3.xml", nclaim("H51010101", "T3", "P4", "2000.00", "2304-T",
	                                     "100.00", "0.00", "0.00", NULL));
	has(out, "code=\"national-mismatch\"");
	free(out);
	/* twice in one file: the second is refused */
	char *c1 = nclaim("H51010201", "T4", "P3", "10.00", "2304-U", "5.00", "0.00", "0.00", NULL);
	char *c2 = nclaim("H51010201", "T5", "P3", "10.00", "2304-U", "5.00", "0.00", "0.00", NULL);
	/* the claims' own elements without their namespace declarations */
	char *fixed = NULL;
	cr_assert(asprintf(&fixed, "<claims xmlns=\"urn:zhitong:claim:2\"><claim>%s<claim>%s</claims>",
	                   strchr(c1, '>') + 1, strchr(c2, '>') + 1) > 0);
	free(c1);
	free(c2);
	out = submit(db, 1, "t45.xml", fixed);
	has(out, "code=\"national-mismatch\"");
	cr_assert(strstr(out, "claim_no=\"T4\"") && strstr(out, "<oth_pay>"), "%s", out);
	free(out);
	/* reversed here, the national settlement may carry a corrected claim */
	free(zt_test_db_ok(db, "claim reverse --hospital H51010201 --claim-no T1 --reason x --by d"));
	out = submit(db, 0, "t2b.xml", nclaim("H51010201", "T2", "P2", "1000.00", "2304-T",
	                                      "600.00", "0.00", "0.00", NULL));
	free(out);
	verify_clean(db);
}

/* ---- the national platform's reversed list ---------------------------------------------- */

Test(national_reversed, imported_listed_warned_until_reversed)
{
	const char *db = world(db_path("n.db"));
	world_a(db);
	struct run r = zt_test_db(db, "claim list --national-reversed");
	cr_assert_eq(r.code, 0, "%s", r.err);
	has(r.out, "0 settlements to reverse");
	run_free(&r);
	/* columns in any order, other columns ignored, a BOM, CRLF */
	const char *csv = zt_test_write("rev.csv", "\xEF\xBB\xBFpsn_no,reversed_on,setl_id\r\n"
	                                           "P1,2017-04-01,2304-A1\r\n"
	                                           "P2,2017-04-02,2304-A4\r\n"
	                                           "X,2017-04-03,2304-NOT-OURS\r\n");
	r = zt_test_db(db, "claim national-reversed import '%s' --by finance", csv);
	cr_assert_eq(r.code, 0, "%s", r.err);
	has(r.err, "3 national settlements reversed on the platform, 3 recorded now, 0 known before; "
	           "2 live settlements here stand on one");
	run_free(&r);
	/* again: nothing new */
	r = zt_test_db(db, "claim national-reversed import '%s'", csv);
	cr_assert_eq(r.code, 0, "%s", r.err);
	has(r.err, "0 recorded now, 3 known before");
	run_free(&r);
	r = zt_test_db(db, "claim list --national-reversed --format csv");
	cr_assert_eq(r.code, 1, "%s", r.err);
	has(r.out, "national_setl_id,reversed_on,setl_id,fixmedins_code,claim_no,psn_no,dscg_date,"
	           "medfee_sumamt,oth_pay,hosp_part_amt\n");
	has(r.out, "2304-A1,2017-04-01,S000000000001,H51010201,A1,P1,2017-03-05,10000.00,2000.00,0.00");
	has(r.out, "2304-A4,2017-04-02,");
	cr_assert(!strstr(r.out, "NOT-OURS"), "%s", r.out);
	run_free(&r);
	/* verify warns, and still passes */
	r = zt_test_db(db, "verify");
	cr_assert_eq(r.code, 0, "%s", r.out);
	has(r.out, "WARNING    S000000000001 (claim H51010201/A1) stands on national settlement "
	           "2304-A1, which the national platform reversed on 2017-04-01");
	has(r.out, "OK: 0 violations");
	run_free(&r);
	/* reversed here: no longer listed, no warning */
	free(zt_test_db_ok(db, "claim reverse --hospital H51010201 --claim-no A1 --reason "
	                       "'reversed on the national platform' --by desk"));
	free(zt_test_db_ok(db, "claim reverse --hospital H51010201 --claim-no A4 --reason x --by d"));
	r = zt_test_db(db, "claim list --national-reversed");
	cr_assert_eq(r.code, 0, "%s", r.out);
	has(r.out, "0 settlements to reverse");
	run_free(&r);
	verify_clean(db);
	/* a file that is not the list: refused whole, nothing stored */
	const char *bad[] = {"setl_id\n2304-Z\n", "setl_id,reversed_on\n2304-Z,2017-13-01\n",
	                     "setl_id,reversed_on\n2304 Z,2017-04-01\n",
	                     "setl_id,reversed_on\n2304-Y,2017-04-01\n2304-Z\n",
	                     "setl_id,reversed_on\n\"2304-Z,2017-04-01\n", ""};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char name[32];
		snprintf(name, sizeof name, "bad%zu.csv", i);
		r = zt_test_db(db, "claim national-reversed import '%s'", zt_test_write(name, bad[i]));
		cr_assert_eq(r.code, 2, "%s: %s", bad[i], r.err);
		run_free(&r);
	}
	r = zt_test_db(db, "claim national-reversed import '%s'", csv);
	has(r.err, "0 recorded now, 3 known before");
	run_free(&r);
}

/* ---- what people and systems read of a stay on the national platform ------------------- */

/* The line of `out` holding `label`, which must also hold `value` after
 * the label (an amount right-aligned on the label's own line). */
static void line_has(const char *out, const char *label, const char *value)
{
	const char *p = strstr(out, label);
	cr_assert(p, "'%s' not in:\n%s", label, out);
	const char *end = strchr(p, '\n');
	size_t n = end ? (size_t)(end - p) : strlen(p);
	const char *v = memmem(p + strlen(label), n - strlen(label), value, strlen(value));
	cr_assert(v, "the line of '%s' does not say '%s': '%.*s'", label, value, (int)n, p);
}

/* Two stays on the national platform: A1 (P1, 6000.00 + 0.00 + 1000.00,
 * relief 2000.00, psn 1000.00: world_a) and S2 (P4 destitute in county,
 * 30000.00, national 20000.00 + 1000.00 + 2000.00: psn0 7000, target 3000,
 * relief 4000.00, psn 3000.00: world B's B1). */
static const char *two_stays(const char *name)
{
	const char *db = world(db_path(name));
	free(submit(db, 0, "s1.xml", nclaim("H51010201", "A1", "P1", "10000.00", "2304-A1",
	                                    "6000.00", "0.00", "1000.00", NULL)));
	free(submit(db, 0, "s2.xml", nclaim("H51010201", "S2", "P4", "30000.00", "2304-S2",
	                                    "20000.00", "1000.00", "2000.00", NULL)));
	return db;
}

/* A pool configuration with a slip key of 32 random bytes (chmod 600). */
static const char *slip_config(const char *name)
{
	char key[16], conf[16], text[1200];
	snprintf(key, sizeof key, "%s.key", name);
	snprintf(conf, sizeof conf, "%s.conf", name);
	snprintf(text, sizeof text, "[slip]\nkey = %s\nkey-id = K1\n", zt_test_slip_key(key));
	return zt_test_write(conf, text);
}

/* `slip verify CODE` through the command line: genuine (exit 0), and what
 * it says. */
static char *cli_genuine(const char *db, const char *cfg, const char *code)
{
	struct run r = zt_test_dbc(db, cfg, "slip verify '%s'", code);
	cr_assert_eq(r.code, 0, "slip verify '%s' exited %d:\n%s%s", code, r.code, r.out, r.err);
	free(r.err);
	has(r.out, "真实：与统筹区存档的结算一致");
	return r.out;
}

/* The use case: zt_slip_verify with the pool's key read from `cfg`. */
static void uc_genuine(const char *db, const char *cfg, const char *code, const char *setl_id,
                       const char *national_setl_id, bool is_void)
{
	struct zt_config *conf = NULL;
	struct zt_slip_keys *keys = calloc(1, sizeof *keys);
	cr_assert(keys);
	cr_assert_eq(zt_config_load(&conf, cfg), 0, "%s", zt_error_last());
	cr_assert_eq(zt_slip_keys_load(keys, conf), 0, "%s", zt_error_last());
	zt_config_free(conf);
	struct zt_store *s = NULL;
	cr_assert_eq(zt_store_open(&s, db, NULL), 0, "%s", zt_error_last());
	/* looked for among every settlement, and named */
	for (int named = 0; named < 2; named++) {
		const struct zt_slip_verify_req req = {.code = code, .keys = keys,
		                                       .setl_id = named ? setl_id : NULL};
		struct zt_slip_verify_res res;
		cr_assert_eq(zt_slip_verify(s, &req, &res), 0, "%s", zt_error_last());
		cr_expect_eq(res.verdict, ZT_SLIP_GENUINE, "%s (named %d): verdict %d", code, named,
		             res.verdict);
		if (res.verdict == ZT_SLIP_GENUINE) {
			cr_expect_str_eq(res.slip.setl_id, setl_id);
			cr_expect(res.slip.national_setl_id &&
			          strcmp(res.slip.national_setl_id, national_setl_id) == 0);
			cr_expect_eq(res.slip.is_void, is_void);
			cr_expect(res.slip.fund_count > 0 && res.slip.funds[0].national,
			          "the national funds first");
		}
		zt_slip_verify_res_free(&res);
	}
	zt_store_close(s);
	zt_slip_keys_wipe(keys);
	free(keys);
}

Test(national_slip, verify_says_genuine_for_a_stay_on_the_national_platform_and_its_void_slip)
{
	const char *db = two_stays("sv.db");
	const char *cfg = slip_config("sv");
	char c1[64], c2[64];
	zt_test_slip_code(c1, db, cfg, "S000000000001");
	zt_test_slip_code(c2, db, cfg, "S000000000002");
	cr_assert_str_neq(c1, c2);
	/* the command line: genuine, valid, with the national amounts */
	char *out = cli_genuine(db, cfg, c1);
	has(out, "有效");
	line_has(out, "城乡居民基本医疗保险基金", "6000.00");
	line_has(out, "医疗救助基金", "1000.00");
	line_has(out, "卫生扶贫救助基金", "2000.00");
	free(out);
	out = cli_genuine(db, cfg, c2);
	line_has(out, "城乡居民大病医疗保险基金", "1000.00");
	line_has(out, "卫生扶贫救助基金", "4000.00");
	free(out);
	uc_genuine(db, cfg, c1, "S000000000001", "2304-A1", false);
	uc_genuine(db, cfg, c2, "S000000000002", "2304-S2", false);
	/* reversed: the slip printed before is still genuine, and says 作废 */
	free(zt_test_db_ok(db, "claim reverse --hospital H51010201 --claim-no A1 --reason 'wrong stay' "
	                       "--by desk"));
	out = cli_genuine(db, cfg, c1);
	has(out, "已作废");
	free(out);
	uc_genuine(db, cfg, c1, "S000000000001", "2304-A1", true);
	/* the void slip prints the same code; the reversal's setl_id names it */
	char again[64];
	zt_test_slip_code(again, db, cfg, "S000000000003");
	cr_expect_str_eq(again, c1);
	struct run r = zt_test_dbc(db, cfg, "slip verify '%s' --setl-id S000000000003", c1);
	cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
	has(r.out, "已作废");
	run_free(&r);
	/* and another settlement's code is not this one's */
	r = zt_test_dbc(db, cfg, "slip verify '%s' --setl-id S000000000002", c1);
	cr_expect_eq(r.code, 1, "%s%s", r.out, r.err);
	run_free(&r);
}

Test(national_show, claim_show_and_quote_show_the_national_part_in_chinese)
{
	const char *db = two_stays("sh.db");
	char *out = zt_test_db_ok(db, "claim show --hospital H51010201 --claim-no S2");
	line_has(out, "国家医保信息平台结算", "平台结算号 2304-S2");
	line_has(out, "390100 基本医保统筹基金", "20000.00");
	line_has(out, "390200 大病保险", "1000.00");
	line_has(out, "610100 医疗救助", "2000.00");
	line_has(out, "610103 卫生扶贫救助基金", "4000.00"); /* its name in the policy */
	line_has(out, "医院承担", "0.00");
	line_has(out, "个人支付", "3000.00");
	const char *nat = strstr(out, "国家医保信息平台结算"), *county = strstr(out, "本地救助基金"),
		   *psn = strstr(out, "个人支付");
	cr_assert(nat && county && psn && nat < county && county < psn,
	          "the national part, then the county's funds, then the patient: %s", out);
	cr_assert_null(strstr(out, "pool_prop_selfpay"), "absent on the national platform: %s", out);
	free(out);
	/* a reversal shows the national part negated */
	free(zt_test_db_ok(db, "claim reverse --hospital H51010201 --claim-no A1 --reason x --by d"));
	out = zt_test_db_ok(db, "claim show --setl-id S000000000003");
	line_has(out, "平台结算号", "2304-A1");
	line_has(out, "390100 基本医保统筹基金", "-6000.00");
	line_has(out, "610100 医疗救助", "-1000.00");
	line_has(out, "610103 扶贫救助基金", "-2000.00");
	line_has(out, "个人支付", "-1000.00");
	free(out);
	/* the desk's quote: the same amounts */
	char *q = nclaim("H51010201", "Q1", "P4", "30000.00", "2304-Q1", "20000.00", "1000.00",
	                 "2000.00", NULL);
	const char *f = zt_test_write("q.xml", q);
	free(q);
	out = zt_test_db_ok(db, "claim quote '%s' --format text --today 2018-01-10", f);
	line_has(out, "国家平台结算号", "2304-Q1");
	line_has(out, "390100 基本医保统筹基金（国家平台）", "20000.00");
	line_has(out, "390200 大病保险（国家平台）", "1000.00");
	line_has(out, "610100 医疗救助（国家平台）", "2000.00");
	/* P4's relief has 16000.00 left after S2: psn0 7000, target 3000 */
	line_has(out, "610103 卫生扶贫救助基金", "4000.00");
	line_has(out, "个人支付", "3000.00");
	const char *n1 = strstr(out, "（国家平台）"), *c1 = strstr(out, "610103");
	cr_assert(n1 && c1 && n1 < c1, "national funds before the county's: %s", out);
	free(out);
}

/* The settlement as the service's JSON (render_settlement_json.h), from
 * the use case zt_claims_show. */
struct json_seen {
	int n;
	char *text[4];
};

static int json_of(void *ctx, const struct zt_stored_settlement *st)
{
	struct json_seen *x = ctx;
	struct zt_json_writer *w = NULL;
	cr_assert_eq(zt_json_writer_new(&w, false), 0);
	cr_assert_eq(zt_settlement_json(w, st, true, ZT_VIEW_AMOUNTS | ZT_VIEW_IDENTITY), 0, "%s",
	             zt_error_last());
	const char *t;
	size_t len;
	cr_assert_eq(zt_json_writer_result(w, &t, &len), 0);
	cr_assert(x->n < 4);
	x->text[x->n++] = strndup(t, len);
	zt_json_writer_free(w);
	return 0;
}

static const char *member_text(const struct zt_json *o, const char *key)
{
	const struct zt_json *v = o ? zt_json_member(o, key) : NULL;
	return v && v->text ? v->text : "";
}

Test(national_json, a_settlement_on_the_national_platform_carries_national_and_no_pool_prop)
{
	const char *db = two_stays("js.db");
	free(zt_test_db_ok(db, "claim reverse --hospital H51010201 --claim-no S2 --reason x --by d"));
	struct zt_store *s = NULL;
	cr_assert_eq(zt_store_open(&s, db, NULL), 0, "%s", zt_error_last());
	struct json_seen x = {0};
	const struct zt_claims_show_req req = {.hospital = "H51010201", .claim_no = "S2"};
	cr_assert_eq(zt_claims_show(s, &req, json_of, &x), 0, "%s", zt_error_last());
	zt_store_close(s);
	cr_assert_eq(x.n, 2, "the settlement and its reversal");
	const char *want[2][3] = {{"20000.00", "1000.00", "2000.00"},
	                          {"-20000.00", "-1000.00", "-2000.00"}};
	for (int i = 0; i < 2; i++) {
		struct zt_json_doc *d = NULL;
		cr_assert_eq(zt_json_parse(&d, x.text[i], strlen(x.text[i]), NULL), 0, "%s",
		             x.text[i]);
		const struct zt_json *root = zt_json_root(d), *n = zt_json_member(root, "national");
		cr_assert(n, "no national: %s", x.text[i]);
		cr_expect_str_eq(member_text(n, "setl_id"), "2304-S2");
		cr_expect_str_eq(member_text(n, "hifp_pay"), want[i][0]);
		cr_expect_str_eq(member_text(n, "hifmi_pay"), want[i][1]);
		cr_expect_str_eq(member_text(n, "maf_pay"), want[i][2]);
		const struct zt_json *nf = zt_json_member(n, "national_funds");
		cr_expect_str_eq(member_text(nf, "basic"), "390100");
		cr_expect_str_eq(member_text(nf, "critical"), "390200");
		cr_expect_str_eq(member_text(nf, "assistance"), "610100");
		const struct zt_json *si = zt_json_member(root, "setlinfo");
		cr_expect(si && !zt_json_find(si, "pool_prop_selfpay"), "%s", x.text[i]);
		cr_expect_str_eq(member_text(si, "hifp_pay"), want[i][0]);
		zt_json_doc_free(d);
		free(x.text[i]);
	}
}

/* ---- random supplementary worlds conserve and verify clean -------------------------------- */

static void random_world(const char *db, int seed, int claims)
{
	char dir[64];
	snprintf(dir, sizeof dir, "w%d", seed);
	const char *out_dir = tmp_path(dir);
	free(zt_test_ok("gen --national --claims %d --seed %d --out '%s'", claims, seed, out_dir));
	free(zt_test_db_ok(db, "init"));
	free(zt_test_db_ok(db, "registry load '%s/registry.xml'", out_dir));
	free(zt_test_db_ok(db, "rules load '%s/policy.xml'", out_dir));
	struct run r = zt_test_db(db, "claim submit '%s/claims.xml' --by desk", out_dir);
	cr_assert(r.code == 0 || r.code == 1, "%s", r.err);
	/* every answer a settlement conserving, or a national rejection */
	for (const char *p = r.out; (p = strstr(p, " code=\"")); p++)
		cr_assert(strncmp(p, " code=\"national-mismatch\"", 25) == 0, "%.80s", p);
	cr_assert(strstr(r.out, "<national setl_id="), "seed %d: nothing settled", seed);
	run_free(&r);
	/* reverse the first two settled claims, take the relief money back */
	r = zt_test_db(db, "claim list --format csv");
	char *line = strchr(r.out, '\n');
	for (int k = 0; k < 2 && line && line[1]; k++, line = strchr(line + 1, '\n')) {
		char hosp[32], no[48];
		if (sscanf(line + 1, "%*[^,],%*[^,],,%31[^,],%47[^,],", hosp, no) == 2)
			free(zt_test_db_ok(db, "claim reverse --hospital %s --claim-no %s --reason x "
			                       "--by d", hosp, no));
	}
	run_free(&r);
	verify_clean(db);
}

Test(national_property, random_supplementary_worlds_conserve_and_verify_clean, .timeout = 300)
{
	for (int seed = 1; seed <= 4; seed++) {
		char name[32];
		snprintf(name, sizeof name, "g%d.db", seed);
		random_world(db_path(name), seed, 150);
	}
}

/* ---- the same on PostgreSQL --------------------------------------------------------------- */

Test(national_pg, world_a_and_a_random_world_on_postgresql, .timeout = 300)
{
	char target[1200];
	zt_test_pg_create(target, sizeof target, "national", NULL);
	world(target);
	world_a(target);
	world_a_money(target);
	char *out = submit(target, 1, "pg2.xml", nclaim("H51010201", "A9", "P2", "1000.00",
	                                                "2304-A1", "600.00", "0.00", "0.00", NULL));
	has(out, "already stands under settlement S000000000001");
	free(out);
	free(zt_test_db_ok(target, "claim reverse --hospital H51010201 --claim-no A2 --reason x "
	                           "--by d"));
	const char *csv = zt_test_write("pgrev.csv", "setl_id,reversed_on\n2304-A3,2017-05-01\n");
	free(zt_test_db_ok(target, "claim national-reversed import '%s'", csv));
	struct run r = zt_test_db(target, "claim list --national-reversed");
	cr_assert_eq(r.code, 1, "%s", r.err);
	has(r.out, "2304-A3");
	run_free(&r);
	free(zt_test_db_ok(target, "claim reverse --hospital H51010201 --claim-no A3 --reason x "
	                           "--by d"));
	verify_clean(target);
	char t2[1200];
	zt_test_pg_create(t2, sizeof t2, "national_gen", NULL);
	random_world(t2, 7, 80);
}
