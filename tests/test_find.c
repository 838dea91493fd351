/* zhitong — finding things: claim list (by person, hospital and discharge
 * date), claim show --setl-id, claim quote --format text for the desk,
 * slip --setl-id and the void slip of a reversed settlement. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"

#define REGISTRY ZT_TEST_SOURCE_DIR "/rules/registry-510101.xml"
#define POLICY ZT_TEST_SOURCE_DIR "/rules/sample-510101-2017.xml"
#define MIXED ZT_TEST_CASES "/claims/mixed-settled-and-rejected.xml"

static char db[700];

/* zhitong --db DB ARGS (testutil.h) */
#define zt(...) zt_test_db(db, __VA_ARGS__)

#define ok(...) zt_test_db_ok(db, __VA_ARGS__)

static void expect_in(const char *hay, const char *needle)
{
	cr_expect(hay && strstr(hay, needle), "expected '%s' in:\n%s", needle, hay ? hay : "(null)");
}

static void expect_not_in(const char *hay, const char *needle)
{
	cr_expect(hay && !strstr(hay, needle), "did not expect '%s' in:\n%s", needle,
	          hay ? hay : "(null)");
}

/* One claim of one class-A item. */
static void claim(const char *hospital, const char *claim_no, const char *psn, const char *dscg,
                  const char *amount)
{
	char name[128], xml[4096];
	snprintf(name, sizeof name, "claim-%s-%s.xml", claim_no, amount);
	snprintf(xml, sizeof xml,
	         "<claim xmlns=\"urn:zhitong:claim:1\"><fixmedins_code>%s</fixmedins_code>"
	         "<claim_no>%s</claim_no><psn_no>%s</psn_no><adm_date>2017-01-01</adm_date>"
	         "<dscg_date>%s</dscg_date><dscg_maindiag_code>I63.900</dscg_maindiag_code>"
	         "<medfee_sumamt>%s</medfee_sumamt><items><item><feedetl_sn>1</feedetl_sn>"
	         "<med_list_codg>001201000010000-120100001</med_list_codg>"
	         "<med_chrgitm_type>05</med_chrgitm_type><chrgitm_lv>01</chrgitm_lv>"
	         "<pric>%s</pric><cnt>1</cnt><det_item_fee_sumamt>%s</det_item_fee_sumamt>"
	         "</item></items></claim>",
	         hospital, claim_no, psn, dscg, amount, amount, amount);
	free(ok("claim submit '%s'", zt_test_write(name, xml)));
}

/* Five claims of two people at two hospitals over three months; C-2
 * reversed (S000000000006) and settled again (S000000000007). */
static void world(void)
{
	snprintf(db, sizeof db, "%s/find.db", zt_test_tmpdir());
	free(ok("init"));
	free(ok("registry load '%s'", REGISTRY));
	free(ok("rules load '%s'", POLICY));
	claim("H51010101", "C-1", "P0000002", "2017-03-10", "1000.00"); /* S000000000001 */
	claim("H51010102", "C-2", "P0000002", "2017-04-10", "2000.00"); /* S000000000002 */
	claim("H51010101", "C-3", "P0000003", "2017-04-10", "3000.00"); /* S000000000003 */
	claim("H51010102", "C-4", "P0000003", "2017-05-01", "4000.00"); /* S000000000004 */
	claim("H51010101", "C-5", "P0000002", "2017-05-20", "5000.00"); /* S000000000005 */
	free(ok("claim reverse --hospital H51010102 --claim-no C-2 --reason 'wrong ward' --by desk"));
	claim("H51010102", "C-2", "P0000002", "2017-04-10", "2100.00"); /* S000000000007 */
}

TestSuite(claim_list, .init = world, .timeout = 120);

/* The setl_ids of a listing, in order. */
static char *ids(const char *args)
{
	char *out = ok("claim list %s --format csv", args);
	static char buf[600];
	buf[0] = '\0';
	for (char *line = strchr(out, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
		char id[32] = "";
		sscanf(line + 1, "%31[^,]", id);
		strcat(buf, id);
		strcat(buf, " ");
	}
	free(out);
	return buf;
}

Test(claim_list, everything_by_discharge_date_with_reversals)
{
	cr_expect_str_eq(ids(""), "S000000000001 S000000000003 S000000000002 S000000000006 "
	                          "S000000000007 S000000000004 S000000000005 ");
	char *out = ok("claim list");
	expect_in(out, "2017-04-10  S000000000006    冲销     H51010102    C-2");
	expect_in(out, "冲销 S000000000002：wrong ward");
	expect_in(out, "结算 6 笔，冲销 1 笔\n");
	free(out);
	out = ok("claim list --format csv");
	expect_in(out, "S000000000006,reverse,S000000000002,H51010102,C-2,P0000002,2017-01-01,"
	               "2017-04-10,-2000.00,");
	expect_in(out, ",desk,wrong ward\n");
	free(out);
}

Test(claim_list, each_filter_and_their_combinations)
{
	cr_expect_str_eq(ids("--person P0000003"), "S000000000003 S000000000004 ");
	cr_expect_str_eq(ids("--hospital H51010102"),
	                 "S000000000002 S000000000006 S000000000007 S000000000004 ");
	cr_expect_str_eq(ids("--from 2017-04-10"), "S000000000003 S000000000002 S000000000006 "
	                                           "S000000000007 S000000000004 S000000000005 ");
	cr_expect_str_eq(ids("--to 2017-04-10"), "S000000000001 S000000000003 S000000000002 "
	                                         "S000000000006 S000000000007 ");
	cr_expect_str_eq(ids("--from 2017-04-10 --to 2017-04-10"),
	                 "S000000000003 S000000000002 S000000000006 S000000000007 ");
	cr_expect_str_eq(ids("--person P0000002 --hospital H51010101"),
	                 "S000000000001 S000000000005 ");
	cr_expect_str_eq(ids("--person P0000002 --from 2017-04-01 --to 2017-04-30"),
	                 "S000000000002 S000000000006 S000000000007 ");
	cr_expect_str_eq(ids("--hospital H51010101 --from 2017-04-01"), "S000000000003 S000000000005 ");
	cr_expect_str_eq(ids("--person P0000002 --hospital H51010102 --from 2017-05-01"), "");
	cr_expect_str_eq(ids("--person P0000099"), "");
	cr_expect_str_eq(ids("--from 2018-01-01"), "");
	char *out = ok("claim list --person P0000099");
	expect_in(out, "结算 0 笔，冲销 0 笔\n");
	free(out);
}

Test(claim_list, bad_filters_are_bad_usage)
{
	const char *bad[] = {"--from 2017-02-30", "--to 20170410", "--from 2017-05-01 --to 2017-04-01",
	                     "--format xml", "--person ''", "extra"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct run r = zt("claim list %s", bad[i]);
		cr_expect_eq(r.code, 2, "%s", bad[i]);
		expect_in(r.err, "zhitong: usage: ");
		run_free(&r);
	}
	char *help = ok("claim list --help");
	expect_in(help, "discharge date");
	free(help);
}

Test(claim_show, by_setl_id_a_settlement_a_reversed_one_and_a_reversal)
{
	char *out = ok("claim show --setl-id S000000000001");
	expect_in(out, "S000000000001  结算  单据 C-1  医院 H51010101");
	expect_not_in(out, "冲销");
	free(out);
	/* a settlement that was reversed comes with its reversal */
	out = ok("claim show --setl-id S000000000002");
	expect_in(out, "S000000000002  结算  单据 C-2  医院 H51010102");
	expect_in(out, "S000000000006  冲销 S000000000002");
	expect_in(out, "原因：wrong ward");
	expect_not_in(out, "S000000000007");
	free(out);
	/* the reversal alone */
	out = ok("claim show --setl-id S000000000006");
	expect_in(out, "S000000000006  冲销 S000000000002");
	expect_not_in(out, "S000000000002  结算");
	free(out);
	/* XML: the same settlements as the answer gave */
	out = ok("claim show --setl-id S000000000002 --format xml");
	expect_in(out, "<settlement setl_id=\"S000000000002\"");
	expect_in(out, "<settlement setl_id=\"S000000000006\"");
	expect_in(out, "reverses=\"S000000000002\"");
	free(out);
	/* by claim number: the whole history */
	out = ok("claim show --hospital H51010102 --claim-no C-2");
	expect_in(out, "S000000000002");
	expect_in(out, "S000000000006");
	expect_in(out, "S000000000007");
	free(out);
}

Test(claim_show, an_unknown_setl_id_and_bad_usage)
{
	struct run r = zt("claim show --setl-id S999999999999");
	cr_expect_eq(r.code, 1);
	expect_in(r.err, "not-settled: there is no settlement or reversal 'S999999999999'");
	cr_expect_str_eq(r.out, "");
	run_free(&r);
	r = zt("claim show --setl-id S000000000001 --hospital H51010101");
	cr_expect_eq(r.code, 2, "--setl-id or the claim number, not both");
	run_free(&r);
	r = zt("claim show");
	cr_expect_eq(r.code, 2);
	run_free(&r);
}

TestSuite(claim_show, .init = world, .timeout = 120);

/* ---- the desk's quote ------------------------------------------------------ */

static void small_world(void)
{
	snprintf(db, sizeof db, "%s/quote.db", zt_test_tmpdir());
	free(ok("init"));
	free(ok("registry load '%s'", REGISTRY));
	free(ok("rules load '%s'", POLICY));
}

TestSuite(claim_quote, .init = small_world, .timeout = 60);

Test(claim_quote, text_gives_each_share_and_what_the_patient_pays)
{
	struct run r = zt("claim quote '%s/claims/worked-example.xml' --format text", ZT_TEST_CASES);
	cr_assert_eq(r.code, 0, "%s", r.err);
	expect_in(r.out, "试算  单据 ZY2017-000123  医院 H51010101  人员 P0000001  出院 2017-03-10");
	expect_in(r.out, "医疗费总额");
	expect_in(r.out, "10500.00\n");
	expect_in(r.out, "390100 基本医保");
	expect_in(r.out, "8160.00\n");
	expect_in(r.out, "610100 医疗救助");
	expect_in(r.out, "1148.00\n");
	expect_in(r.out, "610103 卫生扶贫救助基金");
	expect_in(r.out, "142.00\n");
	expect_in(r.out, "医院承担");
	const char *pays = strstr(r.out, "个人支付");
	cr_assert(pays, "%s", r.out);
	expect_in(pays, "1050.00\n");
	expect_in(r.out, "共 1 笔：试算 1 笔，已结算 0 笔，拒绝 0 笔；未保存任何数据");
	expect_not_in(r.out, "<");
	run_free(&r);
	/* nothing stored */
	char *out = ok("claim list --format csv");
	cr_expect_eq(strchr(out, '\n')[1], '\0', "%s", out);
	free(out);
}

Test(claim_quote, text_gives_rejections_with_code_and_message)
{
	struct run r = zt("claim quote '%s' --format text", MIXED);
	cr_expect_eq(r.code, 1, "some rejected: %s", r.err);
	expect_in(r.out, "试算  单据 MIX-1  医院 H51010101");
	expect_in(r.out, "拒绝  单据 ");
	expect_in(r.out, "：unknown-hospital：");
	expect_in(r.out, "：amount-mismatch：");
	expect_in(r.out, "：schema-invalid：");
	expect_in(r.out, "共 6 笔：试算 3 笔，已结算 0 笔，拒绝 3 笔；未保存任何数据");
	run_free(&r);
	/* a claim already settled is said to be so */
	free(ok("claim submit '%s/claims/worked-example.xml'", ZT_TEST_CASES));
	r = zt("claim quote '%s/claims/worked-example.xml' --format text", ZT_TEST_CASES);
	cr_expect_eq(r.code, 0);
	expect_in(r.out, "已结算  单据 ZY2017-000123  医院 H51010101");
	expect_in(r.out, "结算号 S000000000001");
	run_free(&r);
	/* a file refused whole prints no text at all */
	r = zt("claim quote '%s/claims/not-well-formed-truncated.xml' --format text", ZT_TEST_CASES);
	cr_expect_eq(r.code, 2);
	cr_expect_str_eq(r.out, "");
	run_free(&r);
	/* XML stays the default; text is for quotes only */
	r = zt("claim quote '%s/claims/worked-example.xml'", ZT_TEST_CASES);
	expect_in(r.out, "<settlements");
	run_free(&r);
	r = zt("claim submit '%s/claims/worked-example.xml' --format text", ZT_TEST_CASES);
	cr_expect_eq(r.code, 2);
	run_free(&r);
}

/* ---- slips ------------------------------------------------------------------ */

TestSuite(slip_find, .init = world, .timeout = 120);

Test(slip_find, by_setl_id_and_the_void_slip_of_a_reversed_settlement)
{
	/* a live settlement: no void mark */
	char *out = ok("slip --setl-id S000000000001");
	expect_in(out, "结算编号：S000000000001\n");
	expect_not_in(out, "作废");
	free(out);
	/* the reversed one, by its id or by the reversal's id */
	const char *ids_[] = {"S000000000002", "S000000000006"};
	for (int i = 0; i < 2; i++) {
		out = ok("slip --setl-id %s", ids_[i]);
		expect_in(out, "结算编号：S000000000002\n");
		expect_in(out, "【作废】");
		expect_in(out, "冲销结算号：S000000000006\n");
		expect_in(out, "作废原因：wrong ward\n");
		free(out);
	}
	out = ok("slip --setl-id S000000000002 --format html");
	expect_in(out, "S000000000006");
	expect_in(out, "作废");
	expect_in(out, "wrong ward");
	free(out);
	/* by claim number: the latest settlement, the corrected one, is live */
	out = ok("slip --hospital H51010102 --claim-no C-2");
	expect_in(out, "结算编号：S000000000007\n");
	expect_not_in(out, "作废");
	free(out);
	/* a PDF of a void slip is a PDF */
	const char *pdf = tmp_path("void.pdf");
	free(ok("slip --setl-id S000000000002 --format pdf --out '%s'", pdf));
	char *bytes = zt_test_slurp(pdf);
	cr_assert(bytes);
	cr_expect(strncmp(bytes, "%PDF-", 5) == 0);
	free(bytes);
	struct stat st;
	cr_assert_eq(stat(pdf, &st), 0);
	cr_expect_eq(st.st_mode & 0777, 0600, "a slip names the patient");
}

Test(slip_find, a_claim_only_reversed_is_printed_void)
{
	free(ok("claim reverse --hospital H51010101 --claim-no C-1 --reason 'duplicate' --by desk"));
	char *out = ok("slip --hospital H51010101 --claim-no C-1");
	expect_in(out, "【作废】");
	expect_in(out, "冲销结算号：S000000000008\n");
	expect_in(out, "作废原因：duplicate\n");
	free(out);
	struct run r = zt("slip --setl-id S000000000001 --hospital H51010101");
	cr_expect_eq(r.code, 2);
	run_free(&r);
}
