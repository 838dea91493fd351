/* zhitong — `zhitong slip`, the command line: text (widths), HTML (escaped),
 * PDF, not-settled, a registry's identity number that cannot be read. The
 * slip's assembly is tested on the use case (test_uc_claims.c), its
 * renderers on their own (test_slip_render.c). */
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
 * replaced by `name` (already XML-escaped) and, unless NULL, the identity
 * number by `id_no`. */
static const char *settled_as(const char *name, const char *id_no)
{
	static char db[600];
	snprintf(db, sizeof db, "%s/slip.db", zt_test_tmpdir());
	char *reg = zt_test_slurp(ZT_TEST_SOURCE_DIR "/rules/registry-510101.xml");
	cr_assert(reg);
	const char *p = strstr(reg, "name=\"张三\"");
	cr_assert(p, "the sample registry lost P0000001's name");
	char *fixed = malloc(strlen(reg) + strlen(name) + 16);
	sprintf(fixed, "%.*sname=\"%s\"%s", (int)(p - reg), reg, name, p + strlen("name=\"张三\""));
	char *id = id_no ? strstr(fixed, "510101195001011234") : NULL;
	if (id_no) {
		cr_assert(id && strlen(id_no) == 18, "the sample registry lost P0000001's id_no");
		memcpy(id, id_no, 18);
	}
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

static const char *settled(const char *name) { return settled_as(name, NULL); }

Test(slip, text_shows_each_fund_and_what_the_patient_pays)
{
	const char *db = settled("张三");
	char *out = NULL;
	cr_assert_eq(zt_test_run(&out, NULL, "--db %s slip --hospital H51010101 --claim-no ZY2017-000123",
	                         db), 0);
	cr_expect(strstr(out, "医疗费总额") && strstr(strstr(out, "医疗费总额"), "10500.00"), "%s", out);
	/* each fund on its own line, under its registered name */
	cr_expect(strstr(out, "城乡居民基本医疗保险基金 390100") &&
	          strstr(strstr(out, "城乡居民基本医疗保险基金 390100"), "8160.00"), "%s", out);
	cr_expect(strstr(out, "医疗救助基金 610100"), "%s", out);
	cr_expect(strstr(out, "1148.00") && strstr(out, "142.00"), "%s", out);
	cr_expect(strstr(out, "个人支付") && strstr(strstr(out, "个人支付"), "1050.00"), "%s", out);
	/* the identity number is masked */
	cr_expect(strstr(out, "510101********1234"), "%s", out);
	cr_expect_null(strstr(out, "510101195001011234"), "the full id number is printed");
	/* critical illness paid nothing: no line for it */
	cr_expect_null(strstr(out, "大病"), "%s", out);
	/* 80 mm paper by default: no line wider than 48 columns */
	for (char *line = out; *line;) {
		size_t n = strcspn(line, "\n");
		char buf[400];
		snprintf(buf, sizeof buf, "%.*s", (int)n, line);
		cr_expect(zt_test_text_cols(buf) <= 48, "wider than 48 columns: '%s'", buf);
		line += n + (line[n] ? 1 : 0);
	}
	free(out);
}

Test(slip, width_fits_a_58mm_printer_and_is_checked)
{
	const char *db = settled("张三");
	char *out = NULL, *err = NULL;
	cr_assert_eq(zt_test_run(&out, NULL, "--db %s slip --setl-id S000000000001 --width 32", db), 0);
	for (char *line = out; *line;) {
		size_t n = strcspn(line, "\n");
		char buf[400];
		snprintf(buf, sizeof buf, "%.*s", (int)n, line);
		cr_expect(zt_test_text_cols(buf) <= 32, "wider than 32 columns: '%s'", buf);
		line += n + (line[n] ? 1 : 0);
	}
	cr_expect(strstr(out, "10500.00"), "%s", out);
	free(out);
	const char *bad[] = {"--width 31", "--width 161", "--width x", "--width 48 --format html"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		cr_expect_eq(zt_test_run(NULL, &err, "--db %s slip --setl-id S000000000001 %s", db,
		                         bad[i]), 2, "%s", bad[i]);
		cr_expect(strstr(err, "--width"), "%s: %s", bad[i], err);
		free(err);
	}
}

Test(slip, an_identity_number_the_registry_got_wrong_is_printed_masked_without_sex_and_age)
{
	/* the sample's P0000001 has a wrong check character (…1234, not …1233) */
	const char *db = settled("张三");
	char *out = NULL;
	cr_assert_eq(zt_test_run(&out, NULL, "--db %s slip --setl-id S000000000001", db), 0);
	cr_expect(strstr(out, "身份证号：510101********1234"), "%s", out);
	cr_expect_null(strstr(out, "性别"), "%s", out);
	cr_expect_null(strstr(out, "年龄"), "%s", out);
	free(out);
	/* the right number: sex and age (at admission) from it */
	db = settled_as("张三", "510101195001011233");
	cr_assert_eq(zt_test_run(&out, NULL, "--db %s slip --setl-id S000000000001", db), 0);
	cr_expect(strstr(out, "身份证号：510101********1233"), "%s", out);
	cr_expect(strstr(out, "性别：男"), "%s", out);
	cr_expect(strstr(out, "年龄：67岁"), "%s", out);
	free(out);
	/* digits 7-14 that are no date: masked, still printed */
	db = settled_as("张三", "510101195013321230");
	cr_assert_eq(zt_test_run(&out, NULL, "--db %s slip --setl-id S000000000001 --format html", db),
	             0);
	cr_expect(strstr(out, "510101********1230"), "%s", out);
	cr_expect_null(strstr(out, "19501332"), "%s", out);
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
