/* zhitong — `zhitong slip`, the command line: text (widths), HTML (escaped),
 * PDF, not-settled, a registry's identity number that cannot be read. The
 * slip's assembly is tested on the use case (test_uc_claims.c), its
 * renderers on their own (test_slip_render.c). */
#define _GNU_SOURCE /* memmem */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "zhitong/error.h"
#include "zhitong/money.h"
#include "zhitong/slipcode.h"

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

/* A new store `db` with registry `rpath` and policy `ppath` loaded and the
 * worked example settled. */
static void settle_in(const char *db, const char *rpath, const char *ppath)
{
	cr_assert_eq(zt_test_run(NULL, NULL, "--db %s init", db), 0);
	cr_assert_eq(zt_test_run(NULL, NULL, "--db %s registry load %s", db, rpath), 0);
	cr_assert_eq(zt_test_run(NULL, NULL, "--db %s rules load %s", db, ppath), 0);
	cr_assert_eq(zt_test_run(NULL, NULL, "--db %s claim submit %s", db,
	                         zt_test_write("claim.xml", claim_xml)), 0);
}

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
	char ppath[700];
	snprintf(ppath, sizeof ppath, "%s/rules/sample-510101-2017.xml", ZT_TEST_SOURCE_DIR);
	settle_in(db, rpath, ppath);
	return db;
}

static const char *settled(const char *name) { return settled_as(name, NULL); }

/* `text` with its one `from` replaced by `to` (caller frees). */
static char *replaced(const char *text, const char *from, const char *to)
{
	const char *p = strstr(text, from);
	cr_assert(p, "'%s' is no longer in the sample", from);
	char *out = malloc(strlen(text) + strlen(to) + 1);
	cr_assert(out);
	sprintf(out, "%.*s%s%s", (int)(p - text), text, to, p + strlen(from));
	return out;
}

/* The worked example settled under a policy with two relief funds for the
 * same category (poor), both paying: 610103 half the gap above the cap,
 * 610104 the rest (docs/spec/split.md §5, in file order). */
static const char *settled_two_relief(void)
{
	static char db[600];
	snprintf(db, sizeof db, "%s/slip-two-relief.db", zt_test_tmpdir());
	char *reg = zt_test_slurp(ZT_TEST_SOURCE_DIR "/rules/registry-510101.xml");
	char *pol = zt_test_slurp(ZT_TEST_SOURCE_DIR "/rules/sample-510101-2017.xml");
	cr_assert(reg && pol);
	char *reg2 = replaced(reg, "<fund code=\"610103\" name=\"卫生扶贫救助基金\"/>",
	                      "<fund code=\"610103\" name=\"卫生扶贫救助基金\"/>\n"
	                      "  <fund code=\"610104\" name=\"健康扶贫补充救助基金\"/>");
	char *pol2 = replaced(pol, "categories=\"poor\" in-county-only=\"true\" ratio=\"1\"",
	                      "categories=\"poor\" in-county-only=\"true\" ratio=\"0.5\"");
	char *pol3 = replaced(pol2, "<remainder to=\"hospital\"/>",
	                      "<relief fund=\"610104\" name=\"健康扶贫补充救助基金\" categories=\"poor\" "
	                      "in-county-only=\"true\" ratio=\"1\" annual-cap=\"none\"/>\n"
	                      "  <remainder to=\"hospital\"/>");
	char rpath[700], ppath[700];
	snprintf(rpath, sizeof rpath, "%s", zt_test_write("registry-two-relief.xml", reg2));
	snprintf(ppath, sizeof ppath, "%s", zt_test_write("policy-two-relief.xml", pol3));
	free(reg);
	free(pol);
	free(reg2);
	free(pol2);
	free(pol3);
	settle_in(db, rpath, ppath);
	return db;
}

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

/* Issue 10: "two funds with the same category stay two lines" — from the
 * store, through zt_slip_build, in all three renderings. */
Test(slip, two_relief_funds_for_the_same_category_stay_two_lines_in_every_rendering)
{
	const char *db = settled_two_relief();
	/* the names: at 32 columns a fund's code may wrap to the next line */
	const char *a = "卫生扶贫救助基金", *b = "健康扶贫补充救助基金";
	const int widths[] = {32, 48};
	for (size_t i = 0; i < sizeof widths / sizeof *widths; i++) {
		char *out = NULL;
		cr_assert_eq(zt_test_run(&out, NULL, "--db %s slip --setl-id S000000000001 --width %d",
		                         db, widths[i]), 0);
		/* each its own line (a wrapped name keeps its amount on its first
		 * line), each 71.00; the 142.00 of the two merged nowhere */
		const char *la = strstr(out, a), *lb = strstr(out, b);
		cr_assert(la && lb, "at %d columns:\n%s", widths[i], out);
		cr_expect(strstr(la, "610103") && strstr(lb, "610104"), "%s", out);
		const char *first = la < lb ? la : lb, *second = la < lb ? lb : la;
		cr_expect(memchr(first, '\n', (size_t)(second - first)), "one line for two funds:\n%s",
		          out);
		const char *ea = strchr(la, '\n'), *eb = strchr(lb, '\n');
		cr_expect(ea && strstr(la, "71.00") && strstr(la, "71.00") < ea, "%s", out);
		cr_expect(eb && strstr(lb, "71.00") && strstr(lb, "71.00") < eb, "%s", out);
		cr_expect_null(strstr(out, "142.00"), "two funds merged:\n%s", out);
		cr_expect(strstr(out, "基金支付合计") && strstr(strstr(out, "基金支付合计"), "9450.00"),
		          "%s", out);
		free(out);
	}
	char *h = NULL;
	cr_assert_eq(zt_test_run(&h, NULL, "--db %s slip --setl-id S000000000001 --format html", db),
	             0);
	cr_expect(strstr(h, "<dt>卫生扶贫救助基金<span class=\"code\">610103</span></dt><dd>71.00</dd>"),
	          "%s", h);
	cr_expect(strstr(h, "<dt>健康扶贫补充救助基金<span class=\"code\">610104</span></dt>"
	                    "<dd>71.00</dd>"), "%s", h);
	cr_expect_null(strstr(h, "142.00"), "%s", h);
	free(h);
	const char *pdf = tmp_path("two-relief.pdf");
	cr_assert_eq(zt_test_run(NULL, NULL, "--db %s slip --setl-id S000000000001 --format pdf "
	                         "--out %s", db, pdf), 0);
	struct run r = sh("pdftotext -layout '%s' -", pdf);
	cr_assert_eq(r.code, 0, "pdftotext (poppler-utils, tools/dev): %s", r.err);
	const char *pa = strstr(r.out, "卫生扶贫救助基金"), *pb = strstr(r.out, "健康扶贫补充救助基金");
	cr_assert(pa && pb, "%s", r.out);
	cr_expect(strstr(pa, "71.00") && strstr(pa, "71.00") < strchr(pa, '\n'), "%s", r.out);
	cr_expect(strstr(pb, "71.00") && strstr(pb, "71.00") < strchr(pb, '\n'), "%s", r.out);
	cr_expect_null(strstr(r.out, "142.00"), "%s", r.out);
	run_free(&r);
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

/* ---- the verification code: [slip] key and `slip verify` (docs/slip.md) ---- */

/* A configuration `name` with `text`. */
static const char *config(const char *name, const char *text)
{
	return zt_test_write(name, text);
}

static char *verify_ok(const char *db, const char *cfg, const char *code)
{
	char *out = NULL, *err = NULL;
	int rc = zt_test_run(&out, &err, "--db %s --config %s slip verify '%s'", db, cfg, code);
	cr_expect_eq(rc, 0, "slip verify '%s' exited %d: %s%s", code, rc, out, err);
	free(err);
	return out;
}

static void verify_fails(const char *db, const char *cfg, const char *code, const char *says)
{
	char *out = NULL, *err = NULL;
	int rc = zt_test_run(&out, &err, "--db %s --config %s slip verify '%s'", db, cfg, code);
	cr_expect_eq(rc, 1, "slip verify '%s' exited %d: %s%s", code, rc, out, err);
	cr_expect(strstr(out, says), "'%s' does not say %s:\n%s", code, says, out);
	cr_expect_null(strstr(out, "结果        真实"), "%s", out);
	free(out);
	free(err);
}

Test(slip_verify, the_printed_code_is_genuine_with_the_amounts_typed_or_scanned)
{
	const char *db = settled("张三丰");
	char text[600], code[64];
	snprintf(text, sizeof text, "[slip]\nkey = %s\nkey-id = K1\n", zt_test_slip_key("k1.key"));
	const char *cfg = config("pool.conf", text);
	zt_test_slip_code(code, db, cfg, "S000000000001");
	cr_expect_eq(strncmp(code, "K1-", 3), 0, "%s", code);
	char *out = verify_ok(db, cfg, code);
	cr_expect(strstr(out, "结果        真实"), "%s", out);
	cr_expect(strstr(out, "状态        有效"), "%s", out);
	cr_expect(strstr(out, "S000000000001"), "%s", out);
	cr_expect(strstr(out, "ZY2017-000123"), "%s", out);
	cr_expect(strstr(out, "医疗费总额") && strstr(strstr(out, "医疗费总额"), "10500.00"), "%s",
	          out);
	cr_expect(strstr(out, "城乡居民基本医疗保险基金 390100") &&
	          strstr(strstr(out, "城乡居民基本医疗保险基金 390100"), "8160.00"), "%s", out);
	cr_expect(strstr(out, "个人支付") && strstr(strstr(out, "个人支付"), "1050.00"), "%s", out);
	/* the person is named masked: the code is all a reader has */
	cr_expect(strstr(out, "张**"), "%s", out);
	cr_expect_null(strstr(out, "张三丰"), "%s", out);
	/* no English word in what people read */
	cr_expect_null(strstr(out, "genuine"), "%s", out);
	free(out);
	/* typed in lower case without dashes, with spaces, O for 0; the QR text */
	char typed[64], spaced[80], qr[96];
	size_t k = 0;
	for (const char *p = code; *p; p++)
		if (*p != '-')
			typed[k++] = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
	typed[k] = '\0';
	snprintf(spaced, sizeof spaced, "  %s  ", code);
	for (char *p = spaced; *p; p++)
		if (*p == '-')
			*p = ' ';
	snprintf(qr, sizeof qr, "zhitong:slip:2:%s", code);
	const char *forms[] = {typed, spaced, qr};
	for (size_t i = 0; i < sizeof forms / sizeof *forms; i++) {
		out = verify_ok(db, cfg, forms[i]);
		cr_expect(strstr(out, "真实"), "%s: %s", forms[i], out);
		free(out);
	}
	/* with the settlement named, and a reversal's id naming it too */
	char *o2 = NULL;
	cr_expect_eq(zt_test_run(&o2, NULL, "--db %s --config %s slip verify %s --setl-id S000000000001",
	                         db, cfg, code), 0, "%s", o2);
	free(o2);
	cr_expect_eq(zt_test_run(&o2, NULL, "--db %s --config %s slip verify %s --setl-id S000000000009",
	                         db, cfg, code), 1, "%s", o2);
	cr_expect(o2 && strstr(o2, "不真实"), "%s", o2);
	free(o2);
}

/* A code made with the pool's own key over what a changed slip would say:
 * none of them is the stored settlement's. */
Test(slip_verify, a_changed_amount_person_fund_or_settlement_is_not_genuine)
{
	const char *db = settled("张三");
	const char *kpath = zt_test_slip_key("k1.key");
	char text[600];
	snprintf(text, sizeof text, "[slip]\nkey = %s\n", kpath);
	const char *cfg = config("pool.conf", text);
	unsigned char key[ZT_SLIPCODE_KEY_BYTES_MAX];
	size_t key_len;
	cr_assert_eq(zt_slipcode_key_read(key, &key_len, kpath), 0, "%s", zt_error_last());
	struct zt_slipcode_fund f[] = {{"390100", 816000}, {"610100", 114800}, {"610103", 14200}};
	const struct zt_slipcode_content real = {.setl_id = "S000000000001",
	                                         .hospital_code = "H51010101",
	                                         .claim_no = "ZY2017-000123",
	                                         .psn_no = "P0000001",
	                                         .medfee_sumamt_fen = 1050000,
	                                         .fund_count = 3,
	                                         .funds = f,
	                                         .psn_part_fen = 105000};
	/* the content as the slip has it: the same code as printed */
	char code[ZT_SLIPCODE_BYTES], printed[64];
	zt_test_slip_code(printed, db, cfg, "S000000000001");
	cr_assert_eq(zt_slipcode_compute(code, key, key_len, "K1", &real), 0, "%s", zt_error_last());
	cr_assert_str_eq(code, printed, "the test's content must be the slip's");
	struct zt_slipcode_content c;
	struct zt_slipcode_fund g[3];
	for (int v = 0; v < 7; v++) {
		c = real;
		memcpy(g, f, sizeof g);
		c.funds = g;
		switch (v) {
		case 0: c.psn_part_fen += 1; break;              /* the patient pays a fen more */
		case 1: g[0].paid_fen -= 100; break;            /* a fund's amount */
		case 2: c.medfee_sumamt_fen = 1000000; break;    /* the total */
		case 3: c.psn_no = "P0000002"; break;           /* another person */
		case 4: c.setl_id = "S000000000002"; break;     /* another settlement */
		case 5: g[2].code = "610102"; break;            /* another fund */
		case 6: c.fund_count = 2; break;                /* a fund left out */
		}
		cr_assert_eq(zt_slipcode_compute(code, key, key_len, "K1", &c), 0);
		verify_fails(db, cfg, code, "不真实");
	}
}

Test(slip_verify, what_is_stored_changed_behind_the_code_is_not_genuine)
{
	const char *db = settled("张三");
	char text[600], code[64];
	snprintf(text, sizeof text, "[slip]\nkey = %s\n", zt_test_slip_key("k1.key"));
	const char *cfg = config("pool.conf", text);
	zt_test_slip_code(code, db, cfg, "S000000000001");
	char *out = verify_ok(db, cfg, code);
	free(out);
	/* someone edits the stored amount behind the engine's back */
	zt_test_sql(db, "DROP TRIGGER settlement_fund_immutable_u; "
	                "UPDATE settlement_fund SET amount = amount + 100 WHERE seq = 1");
	verify_fails(db, cfg, code, "不真实");
}

Test(slip_verify, a_code_of_another_pool_or_an_unknown_key_is_not_genuine)
{
	const char *db = settled("张三");
	char text[600], code[64];
	snprintf(text, sizeof text, "[slip]\nkey = %s\n", zt_test_slip_key("ours.key"));
	const char *ours = config("ours.conf", text);
	snprintf(text, sizeof text, "[slip]\nkey = %s\n", zt_test_slip_key("theirs.key"));
	const char *theirs = config("theirs.conf", text);
	/* the same settlement's code under another pool's key, same key id */
	zt_test_slip_code(code, db, theirs, "S000000000001");
	verify_fails(db, ours, code, "没有与此验证码相符的结算");
	/* a key id the pool never had */
	snprintf(text, sizeof text, "[slip]\nkey = %s\nkey-id = Z9\n", zt_test_slip_key("z9.key"));
	zt_test_slip_code(code, db, config("z9.conf", text), "S000000000001");
	verify_fails(db, ours, code, "密钥编号 Z9 不是本统筹区的");
	/* not a code at all */
	const char *junk[] = {"hello", "K1-7GQ4", "K1-7GQ4-Z0PA-3MXE-TT9W-C5RB-XXXX", ""};
	for (size_t i = 0; i < sizeof junk / sizeof *junk; i++)
		verify_fails(db, ours, junk[i], "无法识别");
}

Test(slip_verify, a_reversed_settlement_is_genuine_and_reported_void)
{
	const char *db = settled("张三");
	char text[600], code[64];
	snprintf(text, sizeof text, "[slip]\nkey = %s\n", zt_test_slip_key("k1.key"));
	const char *cfg = config("pool.conf", text);
	zt_test_slip_code(code, db, cfg, "S000000000001");
	cr_assert_eq(zt_test_run(NULL, NULL, "--db %s claim reverse --hospital H51010101 "
	                         "--claim-no ZY2017-000123 --reason 重复结算 --by clerk2", db), 0);
	char *out = verify_ok(db, cfg, code);
	cr_expect(strstr(out, "结果        真实"), "%s", out);
	cr_expect(strstr(out, "已作废"), "%s", out);
	cr_expect(strstr(out, "冲销结算号  S000000000002"), "%s", out);
	cr_expect(strstr(out, "作废原因    重复结算"), "%s", out);
	cr_expect_null(strstr(out, "状态        有效"), "%s", out);
	free(out);
	/* settled afresh: the new settlement's slip has a code of its own, which stands */
	cr_assert_eq(zt_test_run(NULL, NULL, "--db %s claim submit %s", db,
	                         zt_test_write("claim.xml", claim_xml)), 0);
	char code2[64];
	zt_test_slip_code(code2, db, cfg, "S000000000003");
	cr_expect_str_neq(code, code2);
	out = verify_ok(db, cfg, code2);
	cr_expect(strstr(out, "状态        有效") && strstr(out, "S000000000003"), "%s", out);
	free(out);
}

Test(slip_verify, a_rotated_key_still_verifies_old_slips)
{
	const char *db = settled("张三");
	const char *k1 = zt_test_slip_key("k1.key"), *k2 = zt_test_slip_key("k2.key");
	char text[800], old[64], now[64];
	snprintf(text, sizeof text, "[slip]\nkey = %s\nkey-id = K1\n", k1);
	zt_test_slip_code(old, db, config("2026.conf", text), "S000000000001");
	/* the next year: K2 signs, K1 is kept to check */
	snprintf(text, sizeof text,
	         "[slip]\nkey = %s\nkey-id = K2\n\n[slip-key K1]\nkey = %s   # retired\n", k2, k1);
	const char *rotated = config("2027.conf", text);
	zt_test_slip_code(now, db, rotated, "S000000000001");
	cr_expect_eq(strncmp(now, "K2-", 3), 0, "%s", now);
	char *out = verify_ok(db, rotated, old);
	cr_expect(strstr(out, "真实"), "%s", out);
	free(out);
	out = verify_ok(db, rotated, now);
	free(out);
	/* K1 dropped: its slips are no longer this pool's */
	snprintf(text, sizeof text, "[slip]\nkey = %s\nkey-id = K2\n", k2);
	verify_fails(db, config("2028.conf", text), old, "密钥编号 K1");
	/* K1's file given as K2: the code's key id is in what is signed */
	snprintf(text, sizeof text, "[slip]\nkey = %s\nkey-id = K2\n", k1);
	verify_fails(db, config("swapped.conf", text), now, "不真实");
}

Test(slip_verify, keys_that_cannot_be_used_are_refused_with_the_setting)
{
	const char *db = settled("张三");
	const char *k = zt_test_slip_key("k.key");
	char *err = NULL;
	/* no key: the slip prints without a code, verify refuses */
	char *out = NULL;
	cr_assert_eq(zt_test_run(&out, NULL, "--db %s slip --setl-id S000000000001", db), 0);
	cr_expect_null(strstr(out, "验证码"), "%s", out);
	free(out);
	cr_expect_eq(zt_test_run(NULL, &err, "--db %s slip verify K1-0000-0000-0000-0000-0000", db), 2);
	cr_expect(strstr(err, "[slip] key"), "%s", err);
	free(err);
	char open_key[400], short_key[400];
	snprintf(open_key, sizeof open_key, "%s", tmp_path("open.key"));
	snprintf(short_key, sizeof short_key, "%s", tmp_path("short.key"));
	struct run r = sh("head -c 32 /dev/urandom > '%s' && chmod 644 '%s'", open_key, open_key);
	run_free(&r);
	r = sh("head -c 16 /dev/urandom > '%s' && chmod 600 '%s'", short_key, short_key);
	run_free(&r);
	struct {
		const char *fmt, *says;
	} bad[] = {
		{"[slip]\nkey = @\nkey-id = KI\n", "outside"},
		{"[slip]\nkey = @\nkey-id = K12\n", "not 1 or 2"},
		{"[slip]\nkey-id = K1\n# @\n", "need a key"},
		{"[slip]\nkey = @\nverify-url = ftp://x/\n", "verify-url"},
		{"[slip]\nkey = @\n[slip-key K1]\nkey = /dev/null\n", "given twice"},
		{"[slip]\nkey = @\n[slip-key K2]\nfile = x\n", "unknown setting 'file'"},
		{"[slip]\nkey = @\n[slip-key]\nkey = x\n", "needs a name"},
		{"[slip]\nkey = /no/such/file\n# @\n", "/no/such/file"},
	};
	char text[600];
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		const char *at = strchr(bad[i].fmt, '@');
		snprintf(text, sizeof text, "%.*s%s%s", (int)(at - bad[i].fmt), bad[i].fmt, k, at + 1);
		const char *cfg = config("bad.conf", text);
		cr_expect_eq(zt_test_run(NULL, &err, "--db %s --config %s slip --setl-id S000000000001",
		                         db, cfg), 2, "%s", text);
		cr_expect(strstr(err, bad[i].says), "%s: %s", text, err);
		free(err);
	}
	snprintf(text, sizeof text, "[slip]\nkey = %s\n", open_key);
	cr_expect_eq(zt_test_run(NULL, &err, "--db %s --config %s slip --setl-id S000000000001", db,
	                         config("open.conf", text)), 2);
	cr_expect(strstr(err, "chmod 600"), "%s", err);
	free(err);
	snprintf(text, sizeof text, "[slip]\nkey = %s\n", short_key);
	cr_expect_eq(zt_test_run(NULL, &err, "--db %s --config %s slip --setl-id S000000000001", db,
	                         config("short.conf", text)), 2);
	cr_expect(strstr(err, "16 bytes"), "%s", err);
	free(err);
	/* nine keys are one too many */
	size_t n = (size_t)snprintf(text, sizeof text, "[slip]\nkey = %s\n", k);
	const char *ids[] = {"A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8"};
	for (size_t i = 0; i < 8; i++)
		n += (size_t)snprintf(text + n, sizeof text - n, "[slip-key %s]\nkey = %s\n", ids[i], k);
	cr_expect_eq(zt_test_run(NULL, &err, "--db %s --config %s slip --setl-id S000000000001", db,
	                         config("nine.conf", text)), 2);
	cr_expect(strstr(err, "more than 8 slip keys"), "%s", err);
	free(err);
}

/* The QR code of the printed PDF, read back by zbar from a rendered page,
 * verifies with `slip verify`; so does the HTML's, drawn by Chromium (at
 * 192 dpi: the verify URL makes the code denser than zbar reads at 96). */
Test(slip_verify, the_qr_code_of_the_pdf_and_html_read_back_verifies)
{
	const char *db = settled("陈𡒄");
	char text[600];
	snprintf(text, sizeof text,
	         "[slip]\nkey = %s\nverify-url = https://pool.example/slip/verify?code=\n",
	         zt_test_slip_key("k1.key"));
	const char *cfg = config("pool.conf", text);
	const char *pdf = tmp_path("slip.pdf"), *png = tmp_path("slip-page");
	cr_assert_eq(zt_test_run(NULL, NULL, "--db %s --config %s slip --setl-id S000000000001 "
	                         "--format pdf --out %s", db, cfg, pdf), 0);
	struct run r = sh("pdftoppm -png -r 100 -singlefile '%s' '%s' && zbarimg -q --raw '%s.png'",
	                  pdf, png, png);
	cr_assert_eq(r.code, 0, "pdftoppm/zbarimg (poppler-utils, zbar-tools: tools/dev): %s", r.err);
	r.out[strcspn(r.out, "\n")] = '\0';
	cr_expect_eq(strncmp(r.out, "https://pool.example/slip/verify?code=K1-", 41), 0, "%s", r.out);
	char *out = verify_ok(db, cfg, r.out);
	cr_expect(strstr(out, "结果        真实"), "%s", out);
	free(out);
	run_free(&r);
	/* the name from CJK Extension B is printed (HanaMinB), every font embedded */
	r = sh("pdftotext -layout '%s' -", pdf);
	cr_assert_eq(r.code, 0, "%s", r.err);
	cr_expect(strstr(r.out, "陈𡒄"), "%s", r.out);
	cr_expect_null(strstr(r.out, "?"), "%s", r.out);
	run_free(&r);
	r = sh("pdffonts '%s' | tail -n +3 | awk '{print $(NF-4)}' | sort -u", pdf);
	cr_assert_eq(r.code, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "yes\n", "a font not embedded: %s", r.out);
	run_free(&r);
	const char *html = tmp_path("slip.html"), *shot = tmp_path("slip-html.png");
	cr_assert_eq(zt_test_run(NULL, NULL, "--db %s --config %s slip --setl-id S000000000001 "
	                         "--format html --out %s", db, cfg, html), 0);
	r = sh("timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic "
	       "--no-first-run --disable-background-networking --disable-component-update "
	       "--disable-sync --hide-scrollbars --force-device-scale-factor=2 "
	       "--user-data-dir='%s' --screenshot='%s' --window-size=560,794 'file://%s' "
	       ">/dev/null 2>&1 && zbarimg -q --raw '%s'",
	       tmp_path("chromium-profile"), shot, html, shot);
	cr_assert_eq(r.code, 0, "chromium/zbarimg (tools/dev installs them): %s", r.err);
	r.out[strcspn(r.out, "\n")] = '\0';
	out = verify_ok(db, cfg, r.out);
	cr_expect(strstr(out, "真实"), "%s", out);
	free(out);
	run_free(&r);
}

/* ---- --encoding: GB18030 for thermal printers (docs/slip.md "Text") ---- */

/* The GB18030 slip is the UTF-8 slip, byte for byte once converted back by
 * iconv(1): a name from CJK Extension B, the code and the 58 mm layout
 * included. */
Test(slip, gb18030_slip_converts_back_to_the_utf8_slip)
{
	const char *db = settled("陈𡒄");
	char text[600];
	snprintf(text, sizeof text, "[slip]\nkey = %s\n", zt_test_slip_key("k1.key"));
	const char *cfg = config("pool.conf", text);
	const char *utf8 = tmp_path("slip-utf8.txt"), *gb = tmp_path("slip-gb18030.txt");
	const char *utf8_named = tmp_path("slip-utf8-named.txt");
	cr_assert_eq(zt_test_run(NULL, NULL, "--db %s --config %s slip --setl-id S000000000001 "
	                         "--width 32 --out %s", db, cfg, utf8), 0);
	cr_assert_eq(zt_test_run(NULL, NULL, "--db %s --config %s slip --setl-id S000000000001 "
	                         "--width 32 --encoding utf-8 --out %s", db, cfg, utf8_named), 0);
	cr_expect(zt_test_same_file(utf8, utf8_named), "--encoding utf-8 is not the default");
	cr_assert_eq(zt_test_run(NULL, NULL, "--db %s --config %s slip --setl-id S000000000001 "
	                         "--width 32 --encoding GB18030 --out %s", db, cfg, gb), 0);
	size_t ulen = 0, glen = 0;
	char *u = zt_test_slurp_n(utf8, &ulen), *g = zt_test_slurp_n(gb, &glen);
	cr_assert(u && g);
	cr_expect(strstr(u, "陈𡒄") && strstr(u, "验证码"), "%s", u);
	/* not the UTF-8 bytes: 陈 is B3 C2 in GB18030 (as in GB 2312), U+21484
	 * four bytes (95 36 97 38: GB18030's linear mapping beyond the BMP) */
	cr_expect_null(memmem(g, glen, "陈", strlen("陈")), "the GB18030 slip holds UTF-8");
	cr_expect(memmem(g, glen, "\xB3\xC2\x95\x36\x97\x38", 6), "no GB18030 form of 陈𡒄");
	cr_expect(glen < ulen, "GB18030 (%zu bytes) is not shorter than UTF-8 (%zu)", glen, ulen);
	struct run r = sh("iconv -f GB18030 -t UTF-8 '%s'", gb);
	cr_assert_eq(r.code, 0, "iconv cannot read the GB18030 slip back: %s", r.err);
	cr_expect_eq(strlen(r.out), ulen);
	zt_test_same_text(r.out, u, "the GB18030 slip read back");
	run_free(&r);
	free(u);
	free(g);
	/* to stdout as well */
	char *out = NULL;
	cr_assert_eq(zt_test_run(&out, NULL, "--db %s --config %s slip --setl-id S000000000001 "
	                         "--width 32 --encoding gb18030", db, cfg), 0);
	cr_expect(memmem(out, strlen(out), "\xB3\xC2", 2), "no GB18030 form of 陈 on stdout");
	free(out);
}

Test(slip, an_unknown_encoding_or_one_for_html_pdf_or_verify_is_a_usage_error)
{
	const char *db = settled("张三");
	const char *pdf = tmp_path("refused.pdf");
	char pdf_args[1200];
	snprintf(pdf_args, sizeof pdf_args,
	         "--setl-id S000000000001 --format pdf --encoding gb18030 --out %s", pdf);
	const char *bad[] = {"--setl-id S000000000001 --encoding latin1",
	                     "--setl-id S000000000001 --encoding gbk",
	                     "--setl-id S000000000001 --encoding ''",
	                     "--setl-id S000000000001 --format html --encoding gb18030",
	                     pdf_args,
	                     "verify K1-K85S-EBXC-4WA7-PQ26-XHAT --encoding gb18030"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char *out = NULL, *err = NULL;
		cr_expect_eq(zt_test_run(&out, &err, "--db %s slip %s", db, bad[i]), 2, "%s", bad[i]);
		cr_expect(strstr(err, "usage") && (i == 5 || strstr(err, "--encoding")), "%s: %s",
		          bad[i], err);
		cr_expect_str_eq(out, "", "%s", bad[i]);
		free(out);
		free(err);
	}
	cr_expect_eq(zt_test_sh_code("test -e '%s'", pdf), 1, "a refused slip wrote its file");
	char *help = NULL;
	cr_assert_eq(zt_test_run(&help, NULL, "slip --help"), 0);
	cr_expect(strstr(help, "--encoding utf-8|gb18030"), "%s", help);
	free(help);
}

/* ---- what a claim v2 says of the stay (docs/spec/claim-v2-national.md §1) ---- */

/* The worked example as a claim v2 under `claim_no` with `extra` after its
 * items. */
static const char *claim_v2(const char *claim_no, const char *extra)
{
	static char buf[4][4000];
	static int next;
	char *b = buf[next++ % 4];
	const char *items = strstr(claim_xml, "</items></claim>");
	const char *no = strstr(claim_xml, "ZY2017-000123");
	const char *ns = strstr(claim_xml, "urn:zhitong:claim:1");
	cr_assert(items && no && ns);
	snprintf(b, 4000, "%.*surn:zhitong:claim:2%.*s%s%.*s</items>%s</claim>", (int)(ns - claim_xml),
	         claim_xml, (int)(no - ns - strlen("urn:zhitong:claim:1")),
	         ns + strlen("urn:zhitong:claim:1"), claim_no,
	         (int)(items - no - strlen("ZY2017-000123")), no + strlen("ZY2017-000123"), extra);
	return b;
}

Test(slip_stay, inpatient_number_department_and_deposit_of_a_claim_v2_are_on_the_slip)
{
	const char *db = settled("张三");
	struct {
		const char *claim_no, *extra;
		const char *want[4], *not[4];
	} cases[] = {
		{"ZY-V2-1",
		 "<ipt_no>ZY-0042</ipt_no><dept_name>神经内科一病区</dept_name><deposit>3000.00</deposit>",
		 {"住院号：ZY-0042", "科室：神经内科一病区", "预交金", "应退还"},
		 {"应补缴"}},
		/* a deposit below what the patient pays: the rest is due */
		{"ZY-V2-2", "<deposit>500.00</deposit>", {"预交金", "应补缴"}, {"住院号", "科室", "应退还"}},
		/* a deposit of nothing is a deposit */
		{"ZY-V2-3", "<ipt_no>ZY-0043</ipt_no><deposit>0.00</deposit>",
		 {"住院号：ZY-0043", "预交金", "应补缴"}, {"科室", "应退还"}},
		/* a claim v2 that says nothing of the stay: nothing shown */
		{"ZY-V2-4", "", {"个人支付"}, {"住院号", "科室", "预交金", "应补缴"}},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *out = NULL, *err = NULL;
		int rc = zt_test_run(&out, &err, "--db %s claim submit %s", db,
		                     zt_test_write("v2.xml", claim_v2(cases[i].claim_no, cases[i].extra)));
		cr_assert_eq(rc, 0, "%s: %s%s", cases[i].claim_no, out, err);
		free(out);
		free(err);
		out = NULL;
		cr_assert_eq(zt_test_run(&out, NULL, "--db %s slip --hospital H51010101 --claim-no %s", db,
		                         cases[i].claim_no), 0);
		for (int k = 0; k < 4 && cases[i].want[k]; k++)
			cr_expect(strstr(out, cases[i].want[k]), "%s: no %s in\n%s", cases[i].claim_no,
			          cases[i].want[k], out);
		for (int k = 0; k < 4 && cases[i].not[k]; k++)
			cr_expect_null(strstr(out, cases[i].not[k]), "%s: %s in\n%s", cases[i].claim_no,
			               cases[i].not[k], out);
		free(out);
	}
	/* the deposit's balance: 3000.00 against 1050.00 paid, 500.00 against 1050.00 */
	char *out = NULL;
	cr_assert_eq(zt_test_run(&out, NULL, "--db %s slip --hospital H51010101 --claim-no ZY-V2-1", db),
	             0);
	const char *p = strstr(out, "个人支付");
	cr_assert(p, "%s", out);
	char paid[32];
	sscanf(p + strlen("个人支付"), " %31s", paid);
	free(out);
	zt_fen psn;
	cr_assert_eq(zt_parse_amount(&psn, paid, strlen(paid)), 0, "%s", paid);
	char want[64], amount[ZT_FMT_BYTES];
	snprintf(want, sizeof want, "%s", zt_format_amount(amount, 300000 - psn));
	cr_assert_eq(zt_test_run(&out, NULL, "--db %s slip --hospital H51010101 --claim-no ZY-V2-1", db),
	             0);
	p = strstr(out, "应退还");
	cr_expect(p && strstr(p, want) && strstr(p, want) < strchr(p, '\n'), "应退还 %s:\n%s", want,
	          out);
	free(out);
	/* in the HTML and the PDF too */
	cr_assert_eq(zt_test_run(&out, NULL, "--db %s slip --hospital H51010101 --claim-no ZY-V2-1 "
	                         "--format html", db), 0);
	cr_expect(strstr(out, "ZY-0042") && strstr(out, "神经内科一病区") && strstr(out, "3000.00"),
	          "%s", out);
	free(out);
	const char *pdf = tmp_path("stay.pdf");
	cr_assert_eq(zt_test_run(NULL, NULL, "--db %s slip --hospital H51010101 --claim-no ZY-V2-1 "
	                         "--format pdf --out %s", db, pdf), 0);
	struct run r = sh("pdftotext -layout '%s' -", pdf);
	cr_assert_eq(r.code, 0, "pdftotext (poppler-utils, tools/dev): %s", r.err);
	cr_expect(strstr(r.out, "ZY-0042") && strstr(r.out, "神经内科一病区") && strstr(r.out, "预交金"),
	          "%s", r.out);
	run_free(&r);
}
