/* zhitong — the patient's slip: text, HTML (escaped), PDF. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static const char claim_xml[] =
	"<claim xmlns=\"urn:zhitong:claim:1\"><fixmedins_code>H51010101</fixmedins_code>"
	"<claim_no>ZY2017-000123</claim_no><psn_no>P0000001</psn_no><adm_date>2017-03-01</adm_date>"
	"<dscg_date>2017-03-10</dscg_date><dscg_maindiag_code>I63.900</dscg_maindiag_code>"
	"<medfee_sumamt>10500.00</medfee_sumamt><items>"
	"<item><feedetl_sn>1</feedetl_sn><med_list_codg>A</med_list_codg><med_chrgitm_type>05</med_chrgitm_type>"
	"<chrgitm_lv>01</chrgitm_lv><pric>8000</pric><cnt>1</cnt><det_item_fee_sumamt>8000.00</det_item_fee_sumamt></item>"
	"<item><feedetl_sn>2</feedetl_sn><med_list_codg>B</med_list_codg><med_chrgitm_type>09</med_chrgitm_type>"
	"<chrgitm_lv>02</chrgitm_lv><pric>25.0000</pric><cnt>80</cnt><det_item_fee_sumamt>2000.00</det_item_fee_sumamt>"
	"<pric_uplmt_amt>30.00</pric_uplmt_amt><selfpay_prop>0.10</selfpay_prop></item>"
	"<item><feedetl_sn>3</feedetl_sn><med_list_codg>C</med_list_codg><med_chrgitm_type>08</med_chrgitm_type>"
	"<chrgitm_lv>03</chrgitm_lv><pric>500</pric><cnt>1</cnt><det_item_fee_sumamt>500.00</det_item_fee_sumamt></item>"
	"</items></claim>";

/* The sample world with the worked example settled; the patient's name
 * replaced by `name` (already XML-escaped). */
static const char *settled(const char *name)
{
	static char db[600];
	snprintf(db, sizeof db, "%s/slip.db", zt_test_tmpdir());
	char *reg = zt_test_slurp(ZT_TEST_SOURCE_DIR "/rules/registry-510101.xml");
	cr_assert(reg);
	const char *p = strstr(reg, "name=\"张三\"");
	cr_assert(p, "the sample registry lost P0000001's name");
	char *fixed = malloc(strlen(reg) + strlen(name) + 16);
	sprintf(fixed, "%.*sname=\"%s\"%s", (int)(p - reg), reg, name, p + strlen("name=\"张三\""));
	const char *rpath = zt_test_write("registry.xml", fixed);
	free(fixed);
	free(reg);
	cr_assert_eq(zt_test_run(NULL, NULL, "--db %s init", db), 0);
	cr_assert_eq(zt_test_run(NULL, NULL, "--db %s registry load %s", db, rpath), 0);
	cr_assert_eq(zt_test_run(NULL, NULL, "--db %s rules load %s/rules/sample-510101-2017.xml", db,
	                         ZT_TEST_SOURCE_DIR), 0);
	cr_assert_eq(zt_test_run(NULL, NULL, "--db %s claim submit %s", db,
	                         zt_test_write("claim.xml", claim_xml)), 0);
	return db;
}

Test(slip, text_shows_each_fund_and_what_the_patient_pays)
{
	const char *db = settled("张三");
	char *out = NULL;
	cr_assert_eq(zt_test_run(&out, NULL, "--db %s slip --hospital H51010101 --claim-no ZY2017-000123",
	                         db), 0);
	cr_expect(strstr(out, "10500.00"), "%s", out);
	cr_expect(strstr(out, "8160.00"), "%s", out);
	cr_expect(strstr(out, "1148.00"), "%s", out);
	cr_expect(strstr(out, "142.00"), "%s", out);
	cr_expect(strstr(out, "You pay") && strstr(strstr(out, "You pay"), "1050.00"), "%s", out);
	/* the identity number is masked */
	cr_expect(strstr(out, "510101********1234"), "%s", out);
	cr_expect_null(strstr(out, "510101195001011234"), "the full id number is printed");
	/* critical illness paid nothing: no line for it */
	cr_expect_null(strstr(out, "Critical"), "%s", out);
	free(out);
}

Test(slip, html_escapes_what_the_registry_says)
{
	const char *db = settled("&lt;script&gt;alert(1)&lt;/script&gt;");
	char *out = NULL;
	cr_assert_eq(zt_test_run(&out, NULL,
	                         "--db %s slip --hospital H51010101 --claim-no ZY2017-000123 --format html",
	                         db), 0);
	cr_expect_null(strstr(out, "<script>"), "registry text reached the page unescaped:\n%s", out);
	cr_expect(strstr(out, "&lt;script&gt;"), "%s", out);
	cr_expect(strstr(out, "1050.00"), "%s", out);
	free(out);
}

Test(slip, pdf_is_a_complete_pdf_document)
{
	const char *db = settled("张三");
	char path[700];
	snprintf(path, sizeof path, "%s/slip.pdf", zt_test_tmpdir());
	cr_assert_eq(zt_test_run(NULL, NULL,
	                         "--db %s slip --hospital H51010101 --claim-no ZY2017-000123 --format pdf "
	                         "> %s; test -s %s", db, path, path), 0);
	FILE *f = fopen(path, "rb");
	cr_assert(f);
	char head[8] = {0}, tail[64] = {0};
	cr_assert_eq(fread(head, 1, 5, f), 5);
	cr_expect_str_eq(head, "%PDF-");
	fseek(f, -32, SEEK_END);
	size_t n = fread(tail, 1, 32, f);
	fclose(f);
	cr_expect(n > 0 && strstr(tail, "%%EOF"), "the PDF is not terminated");
}

Test(slip, a_claim_never_settled_has_no_slip)
{
	const char *db = settled("张三");
	char *err = NULL;
	cr_expect_eq(zt_test_run(NULL, &err, "--db %s slip --hospital H51010101 --claim-no ZY-NONE", db),
	             1);
	cr_expect(strstr(err, "not-settled") && strstr(err, "ZY-NONE"), "%s", err);
	free(err);
	cr_expect_eq(zt_test_run(NULL, &err, "--db %s slip --setl-id S999999999999", db), 1);
	cr_expect(strstr(err, "not-settled") && strstr(err, "S999999999999"), "%s", err);
	free(err);
}
