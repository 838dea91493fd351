/* zhitong — the slip's three renderings of one model (render/): text that
 * lines up at 32 and 48 columns and converts to GB18030, a self-contained
 * A5 HTML page as headless Chromium draws it, and a one-page A5 PDF whose
 * text, fonts and QR code are read back with poppler and zbar. What the
 * tests render is kept under tests/artifacts/ in the build tree. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <iconv.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <wchar.h>

#include "testutil.h"
#include "zhitong/error.h"
#include "zhitong/render.h"
#include "zhitong/slip.h"
#include "zhitong/slip_html.h"
#include "zhitong/slip_pdf.h"
#include "zhitong/slip_text.h"
#include "zhitong/slipcode.h"

/* ---- the slip -------------------------------------------------------------------- */

static const unsigned char pool_key[32] = "pool-510101-slip-key-0000000001";

/* A name with a character of CJK Extension B (U+21484), which Noto Sans
 * CJK lacks: only the fallback font has it. */
#define NAME_EXT_B "陈\xF0\xA1\x92\x84"

struct sample {
	struct zt_slip s;
	struct zt_slip_fund funds[ZT_SLIP_FUNDS_MAX];
	char code[ZT_SLIPCODE_BYTES];
	char qr[256];
};

/* Signs the slip as the pool would: the code over its content, the QR text. */
static void sign(struct sample *x)
{
	struct zt_slipcode_content c;
	struct zt_slipcode_fund f[ZT_SLIP_FUNDS_MAX];
	cr_assert_eq(zt_slip_code_content(&c, f, &x->s), 0);
	cr_assert_eq(zt_slipcode_compute(x->code, pool_key, sizeof pool_key, "K1", &c), 0, "%s",
	             zt_error_last());
	cr_assert_eq(zt_slipcode_qr_text(x->qr, sizeof x->qr, NULL, x->code), 0);
	x->s.verify_code = x->code;
	x->s.qr_text = x->qr;
}

/* The worked example of docs/spec/split.md §7 as a slip: a poor patient,
 * the relief split between two funds of the same kind, a deposit. */
static void sample(struct sample *x)
{
	static const struct zt_slip_fund funds[] = {
		{"390100", "城乡居民基本医疗保险基金", 816000, false, true, 1216000},
		{"610100", "医疗救助基金", 114800, false, true, 114800},
		{"610103", "健康扶贫基金", 7100, false, true, 7100},
		{"610104", "精准脱贫基金", 7100, false, true, 9100},
	};
	memset(x, 0, sizeof *x);
	memcpy(x->funds, funds, sizeof funds);
	struct zt_slip *s = &x->s;
	s->setl_id = "S510101-000001";
	s->claim_no = "ZY2017-000123";
	s->hospital_code = "H51010101";
	s->hospital_name = "成都市锦江区人民医院";
	s->ipt_no = "ZY0012345";
	s->dept_name = "神经内科";
	cr_assert_eq(zt_slip_person_init(&s->person, NAME_EXT_B, "P0000001", "11010519491231002X",
	                                 ZT_CAT_POOR, "城乡居民基本医疗保险", 20170301),
	             0, "%s", zt_error_last());
	s->adm_date = 20170301;
	s->dscg_date = 20170310;
	s->diag_code = "I63.900";
	s->charge_fen[4] = 800000; /* 05 治疗费 */
	s->charge_fen[7] = 50000;  /* 08 卫生材料费 */
	s->charge_fen[8] = 200000; /* 09 西药费 */
	s->medfee_sumamt_fen = 1050000;
	s->fulamt_ownpay_fen = 50000;
	s->preselfpay_fen = 20000;
	s->inscp_scp_fen = 980000;
	s->act_pay_dedc_fen = 20000;
	s->fund_count = 4;
	s->funds = x->funds;
	s->psn_part_fen = 105000;
	s->has_cap = true;
	s->cap_ratio_bp = 1000;
	s->cap_fen = 105000;
	s->has_year_psn_part = true;
	s->year_psn_part_fen = 155000;
	s->has_deposit = true;
	s->deposit_fen = 200000;
	s->settled_at_utc = "2017-03-10T08:00:00Z";
	s->utc_offset_s = 8 * 3600;
	s->zone_label = "北京时间";
	s->clerk = "王小明";
	sign(x);
}

static void make_void(struct sample *x)
{
	x->s.is_void = true;
	x->s.void_setl_id = "S510101-000002";
	x->s.void_at_utc = "2017-03-11T01:00:00Z";
}

/* ---- rendering -------------------------------------------------------------------- */

static char *text(const struct zt_slip *s, int width, enum zt_text_encoding enc, size_t *len)
{
	struct zt_strbuf b = {0};
	struct zt_slip_text_opts o = {width, enc};
	cr_assert_eq(zt_slip_render_text(zt_strbuf_write, &b, s, &o), 0, "%s", zt_error_last());
	if (len)
		*len = b.len;
	return b.data;
}

static char *html(const struct zt_slip *s)
{
	struct zt_strbuf b = {0};
	cr_assert_eq(zt_slip_render_html(zt_strbuf_write, &b, s), 0, "%s", zt_error_last());
	return b.data;
}

/* A path under tests/artifacts/ of the build tree, kept after the run. */
static const char *artifact(const char *name)
{
	static char buf[4][700];
	static int slot;
	char *out = buf[slot++ % 4];
	mkdir(ZT_TEST_ARTIFACTS, 0755);
	snprintf(out, sizeof buf[0], "%s/%s", ZT_TEST_ARTIFACTS, name);
	return out;
}

static void write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	cr_assert(f, "%s: %s", path, strerror(errno));
	cr_assert_eq(fwrite(data, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
}

static void pdf(const struct zt_slip *s, const char *path)
{
	FILE *f = fopen(path, "wb");
	cr_assert(f, "%s: %s", path, strerror(errno));
	cr_assert_eq(zt_slip_render_pdf(zt_file_write, f, s, NULL), 0, "%s", zt_error_last());
	cr_assert_eq(fclose(f), 0);
}

/* The PDF's text as poppler reads it back (caller frees). */
static char *pdf_text(const char *path)
{
	struct run r = sh("pdftotext -layout -enc UTF-8 '%s' -", path);
	cr_assert_eq(r.code, 0, "pdftotext (poppler-utils, tools/dev): %s", r.err);
	free(r.err);
	return r.out;
}

/* Some line of `t` holds both a and b, a before b. */
static bool line_has(const char *t, const char *a, const char *b)
{
	for (const char *p = t; p && *p;) {
		const char *end = strchr(p, '\n');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char *line = strndup(p, n);
		const char *pa = strstr(line, a);
		bool ok = pa && strstr(pa + strlen(a), b);
		free(line);
		if (ok)
			return true;
		p = end ? end + 1 : NULL;
	}
	return false;
}

/* ---- the text slip ------------------------------------------------------------------ */

/* Display columns as the C library counts them (wcswidth), apart from the
 * renderer's libunistring. */
static int columns(const char *s, size_t n)
{
	cr_assert(setlocale(LC_CTYPE, "C.UTF-8"));
	char *line = strndup(s, n);
	wchar_t w[1024];
	size_t k = mbstowcs(w, line, 1024);
	free(line);
	cr_assert_neq(k, (size_t)-1, "not UTF-8: %.*s", (int)n, s);
	int c = wcswidth(w, k);
	cr_assert_geq(c, 0, "unprintable: %.*s", (int)n, s);
	return c;
}

static bool ends_with_amount(const char *s, size_t n)
{
	/* "…1050.00" or "…10.00%" */
	if (n > 0 && s[n - 1] == '%')
		n--;
	return n >= 4 && s[n - 3] == '.' && s[n - 2] >= '0' && s[n - 2] <= '9' && s[n - 1] >= '0' &&
	       s[n - 1] <= '9' && s[n - 4] >= '0' && s[n - 4] <= '9';
}

/* Every line within `width`; every line that ends in an amount ends at the
 * right edge; returns the number of amount lines. */
static int check_lines(const char *t, int width)
{
	int amounts = 0;
	for (const char *p = t; *p;) {
		const char *end = strchr(p, '\n');
		cr_assert(end, "the last line has no newline");
		size_t n = (size_t)(end - p);
		int c = columns(p, n);
		cr_expect_leq(c, width, "%d columns (> %d): '%.*s'", c, width, (int)n, p);
		char *line = strndup(p, n);
		cr_expect_eq(zt_text_width(line), c, "libunistring and wcswidth disagree: '%s'", line);
		free(line);
		if (ends_with_amount(p, n)) {
			amounts++;
			cr_expect_eq(c, width, "amount not at the right edge: '%.*s'", (int)n, p);
		}
		p = end + 1;
	}
	return amounts;
}

Test(slip_text, lines_up_at_32_and_48_columns_with_chinese_and_latin_text)
{
	struct sample x;
	sample(&x);
	/* Latin among the Chinese, and names too long for a receipt line */
	x.s.hospital_name = "成都 West China 国际医院 International Hospital (Chengdu) 锦江院区";
	x.s.dept_name = "ICU 重症医学科 Intensive Care Unit";
	x.funds[2].name = "GF-2 健康扶贫 Relief Fund 二号 for the poorest households of Jinjiang";
	x.funds[3].name = "精准脱贫保险基金（县级统筹，含防贫保 Anti-poverty insurance）";
	sign(&x);
	const int widths[] = {ZT_SLIP_TEXT_COLS_58MM, ZT_SLIP_TEXT_COLS_80MM, 40, 80};
	for (size_t i = 0; i < sizeof widths / sizeof *widths; i++) {
		char *t = text(&x.s, widths[i], ZT_TEXT_UTF8, NULL);
		int amounts = check_lines(t, widths[i]);
		/* 3 charges + total, 5 parts, 4 funds + total, 4 shares + deposit
		 * + refund, 4 + 1 yearly */
		cr_expect_eq(amounts, 4 + 5 + 5 + 6 + 5, "at %d columns:\n%s", widths[i], t);
		cr_expect(strstr(t, "8160.00"), "%s", t);
		if (widths[i] == ZT_SLIP_TEXT_COLS_58MM) {
			/* a long label wraps and its amount stays on the first line */
			cr_expect(line_has(t, "GF-2", "71.00"), "%s", t);
			write_file(artifact("slip-58mm.txt"), t, strlen(t));
		}
		if (widths[i] == ZT_SLIP_TEXT_COLS_80MM)
			write_file(artifact("slip-80mm.txt"), t, strlen(t));
		free(t);
	}
}

Test(slip_text, every_label_is_chinese)
{
	struct sample x;
	sample(&x);
	make_void(&x);
	char *t = text(&x.s, 48, ZT_TEXT_UTF8, NULL);
	/* the data has upper-case codes only: any lower-case letter would be
	 * an English word of the renderer's */
	for (const char *p = t; *p; p++)
		cr_expect(!(*p >= 'a' && *p <= 'z'), "a Latin letter at '%.20s'", p);
	const char *labels[] = {"住院费用结算单", "医疗机构", "机构编码", "结算编号", "单据号",
	                        "患者信息", "姓名", "性别", "年龄", "人员编号", "身份证号",
	                        "人员类别", "险种", "住院号", "科室", "入院日期", "出院日期",
	                        "住院天数", "诊断编码", "费用明细", "医疗费总额", "费用构成",
	                        "全自费", "先行自付", "超限价自付", "政策范围内", "起付线",
	                        "基金支付", "基金支付合计", "个人负担", "医院承担", "个人支付",
	                        "占医疗费总额", "个人自付封顶", "预交金", "应退还", "本年累计",
	                        "结算时间", "经办人", "作废", "冲销结算号", "作废时间", "验证码"};
	for (size_t i = 0; i < sizeof labels / sizeof *labels; i++)
		cr_expect(strstr(t, labels[i]), "no '%s' in\n%s", labels[i], t);
	free(t);
}

Test(slip_text, shows_every_field_of_the_model)
{
	struct sample x;
	sample(&x);
	char *t = text(&x.s, 48, ZT_TEXT_UTF8, NULL);
	cr_expect(line_has(t, "姓名", NAME_EXT_B), "%s", t);
	cr_expect(line_has(t, "性别", "女"));
	cr_expect(line_has(t, "年龄", "67岁"));
	cr_expect(line_has(t, "身份证号", "110105********002X"));
	cr_expect_null(strstr(t, "11010519491231002X"), "the full identity number is printed");
	cr_expect(line_has(t, "人员类别", "脱贫人口"));
	cr_expect(line_has(t, "险种", "城乡居民基本医疗保险"));
	cr_expect(line_has(t, "住院号", "ZY0012345"));
	cr_expect(line_has(t, "科室", "神经内科"));
	cr_expect(line_has(t, "住院天数", "9天"));
	cr_expect(line_has(t, "诊断编码", "I63.900"));
	cr_expect(line_has(t, "治疗费", "8000.00"));
	cr_expect(line_has(t, "卫生材料费", "500.00"));
	cr_expect(line_has(t, "西药费", "2000.00"));
	cr_expect(line_has(t, "全自费", "500.00"));
	cr_expect(line_has(t, "先行自付", "200.00"));
	cr_expect(line_has(t, "超限价自付", "0.00"));
	cr_expect(line_has(t, "政策范围内", "9800.00"));
	cr_expect(line_has(t, "起付线", "200.00"));
	cr_expect(line_has(t, "基金支付合计", "9450.00"));
	cr_expect(line_has(t, "医院承担", "0.00"));
	cr_expect(line_has(t, "个人支付", "1050.00"));
	cr_expect(line_has(t, "占医疗费总额", "10.00%"));
	cr_expect(line_has(t, "个人自付封顶 10%", "1050.00"));
	cr_expect(line_has(t, "城乡居民基本医疗保险基金 390100", "12160.00"), "yearly total");
	cr_expect(line_has(t, "个人负担", "1550.00"), "the person's yearly share");
	cr_expect(line_has(t, "结算时间", "2017-03-10 16:00:00 +08:00 北京时间"), "%s", t);
	cr_expect(line_has(t, "经办人", "王小明"));
	cr_expect(line_has(t, "验证码", x.code));
	cr_expect_null(strstr(t, "作废"), "a standing settlement is not void");
	free(t);
}

Test(slip_text, gb18030_round_trips_through_iconv)
{
	struct sample x;
	sample(&x);
	size_t ulen, glen;
	char *u = text(&x.s, 32, ZT_TEXT_UTF8, &ulen);
	char *g = text(&x.s, 32, ZT_TEXT_GB18030, &glen);
	cr_expect(glen != ulen || memcmp(u, g, ulen) != 0, "nothing was converted");
	/* the Extension B character in its four-byte GB18030 form */
	iconv_t cd = iconv_open("GB18030", "UTF-8");
	cr_assert_neq(cd, (iconv_t)-1);
	char in[] = "\xF0\xA1\x92\x84", out[8];
	char *ip = in, *op = out;
	size_t il = 4, ol = sizeof out;
	cr_assert_neq(iconv(cd, &ip, &il, &op, &ol), (size_t)-1);
	iconv_close(cd);
	cr_expect_eq(sizeof out - ol, 4);
	cr_expect(memmem(g, glen, out, 4), "no GB18030 form of U+21484");
	/* back to UTF-8: the same bytes as the UTF-8 rendering */
	cd = iconv_open("UTF-8", "GB18030");
	cr_assert_neq(cd, (iconv_t)-1);
	char *back = malloc(glen * 2 + 16);
	ip = g;
	op = back;
	il = glen;
	ol = glen * 2 + 16;
	cr_assert_neq(iconv(cd, &ip, &il, &op, &ol), (size_t)-1, "not GB18030");
	iconv_close(cd);
	size_t blen = (size_t)(op - back);
	cr_expect_eq(blen, ulen);
	cr_expect_eq(memcmp(back, u, ulen), 0, "the round trip changed the slip");
	write_file(artifact("slip-58mm-gb18030.txt"), g, glen);
	free(back);
	free(u);
	free(g);
}

Test(slip_text, width_outside_32_to_160_columns_is_refused)
{
	struct sample x;
	sample(&x);
	struct zt_strbuf b = {0};
	struct zt_slip_text_opts o = {31, ZT_TEXT_UTF8};
	cr_expect_eq(zt_slip_render_text(zt_strbuf_write, &b, &x.s, &o), ZT_EINVAL);
	o.width_cols = 161;
	cr_expect_eq(zt_slip_render_text(zt_strbuf_write, &b, &x.s, &o), ZT_EINVAL);
	o = (struct zt_slip_text_opts){48, (enum zt_text_encoding)7};
	cr_expect_eq(zt_slip_render_text(zt_strbuf_write, &b, &x.s, &o), ZT_EINVAL);
	cr_expect_eq(b.len, 0, "something was written");
	/* the default is the 80 mm width */
	cr_assert_eq(zt_slip_render_text(zt_strbuf_write, &b, &x.s, NULL), 0);
	check_lines(b.data, ZT_SLIP_TEXT_COLS_80MM);
	cr_expect(strstr(b.data, "================================================\n"));
	zt_strbuf_free(&b);
}

/* ---- what every rendering shows ------------------------------------------------------ */

Test(slip_content, two_funds_of_the_same_kind_stay_two_lines_with_their_own_names)
{
	struct sample x;
	sample(&x);
	char *t = text(&x.s, 32, ZT_TEXT_UTF8, NULL);
	cr_expect(line_has(t, "健康扶贫基金 610103", "71.00"), "%s", t);
	cr_expect(line_has(t, "精准脱贫基金 610104", "71.00"), "%s", t);
	cr_expect_null(strstr(t, "142.00"), "two funds merged into one line:\n%s", t);
	free(t);
	char *h = html(&x.s);
	cr_expect(strstr(h, "<dt>健康扶贫基金<span class=\"code\">610103</span></dt><dd>71.00</dd>"),
	          "%s", h);
	cr_expect(strstr(h, "<dt>精准脱贫基金<span class=\"code\">610104</span></dt><dd>71.00</dd>"),
	          "%s", h);
	free(h);
	const char *path = artifact("slip-two-relief-funds.pdf");
	pdf(&x.s, path);
	char *p = pdf_text(path);
	cr_expect(line_has(p, "健康扶贫基金", "71.00"), "%s", p);
	cr_expect(line_has(p, "精准脱贫基金", "71.00"), "%s", p);
	free(p);
}

Test(slip_content, a_void_slip_shows_zuofei_with_the_reversal)
{
	struct sample x;
	sample(&x);
	make_void(&x);
	char *t = text(&x.s, 32, ZT_TEXT_UTF8, NULL);
	cr_expect(strstr(t, "【作废】"), "%s", t);
	cr_expect(line_has(t, "状态", "作废"));
	cr_expect(strstr(t, "S510101-000002"), "the reversal's setl_id");
	cr_expect(strstr(t, "作废时间：\n  2017-03-11 09:00:00 +08:00\n"), "%s", t);
	free(t);
	char *h = html(&x.s);
	cr_expect(strstr(h, "<p class=\"void-mark\">作废</p>"), "%s", h);
	cr_expect(strstr(h, "class=\"void-watermark\""));
	cr_expect(strstr(h, "<dd>S510101-000002</dd>"));
	free(h);
	const char *path = artifact("slip-void.pdf");
	pdf(&x.s, path);
	char *p = pdf_text(path);
	cr_expect(strstr(p, "作废"), "%s", p);
	cr_expect(line_has(p, "冲销结算号", "S510101-000002"), "%s", p);
	free(p);
	struct run r = sh("pdftoppm -png -r 100 -singlefile '%s' '%s'", path,
	                  artifact("slip-void-page"));
	cr_expect_eq(r.code, 0, "%s", r.err);
	run_free(&r);
}

Test(slip_content, deposit_refund_amount_due_or_no_deposit)
{
	struct sample x;
	sample(&x);
	char *t = text(&x.s, 48, ZT_TEXT_UTF8, NULL);
	cr_expect(line_has(t, "预交金", "2000.00"));
	cr_expect(line_has(t, "应退还", "950.00"), "%s", t);
	cr_expect_null(strstr(t, "应补缴"));
	free(t);
	x.s.deposit_fen = 50000;
	t = text(&x.s, 48, ZT_TEXT_UTF8, NULL);
	cr_expect(line_has(t, "预交金", "500.00"));
	cr_expect(line_has(t, "应补缴", "550.00"), "%s", t);
	cr_expect_null(strstr(t, "应退还"));
	free(t);
	char *h = html(&x.s);
	cr_expect(strstr(h, "<dt class=\"total\">应补缴</dt><dd class=\"total\">550.00</dd>"), "%s", h);
	free(h);
	x.s.deposit_fen = 105000;
	t = text(&x.s, 48, ZT_TEXT_UTF8, NULL);
	cr_expect(line_has(t, "应补缴", "0.00"), "settled exactly:\n%s", t);
	free(t);
	x.s.has_deposit = false;
	t = text(&x.s, 48, ZT_TEXT_UTF8, NULL);
	cr_expect_null(strstr(t, "预交金"), "%s", t);
	cr_expect_null(strstr(t, "应退还"));
	cr_expect_null(strstr(t, "应补缴"));
	free(t);
}

Test(slip_content, national_funds_first_under_the_national_settlement_number)
{
	struct sample x;
	sample(&x);
	x.funds[0].national = true;
	x.funds[0].has_year_total = false;
	x.funds[1].national = true;
	x.funds[1].has_year_total = false;
	x.s.national_setl_id = "2304-51010120170310000123";
	sign(&x);
	char *t = text(&x.s, 48, ZT_TEXT_UTF8, NULL);
	const char *nat = strstr(t, "〔国家医保信息平台结算〕"), *num = strstr(t, "2304-51010120170310000123"),
		   *basic = strstr(t, "城乡居民基本医疗保险基金 390100"),
		   *county = strstr(t, "〔本地救助基金〕"), *relief = strstr(t, "健康扶贫基金 610103");
	cr_assert(nat && num && basic && county && relief, "%s", t);
	cr_expect(nat < num && num < basic && basic < county && county < relief, "order:\n%s", t);
	cr_expect(line_has(t, "平台结算号", "2304-51010120170310000123"));
	/* the pool holds no national yearly totals: none is shown */
	cr_expect(!line_has(t, "城乡居民基本医疗保险基金 390100", "12160.00"), "%s", t);
	check_lines(t, 48);
	free(t);
	const char *path = artifact("slip-national.pdf");
	pdf(&x.s, path);
	char *p = pdf_text(path);
	cr_expect(strstr(p, "国家医保信息平台结算"), "%s", p);
	cr_expect(line_has(p, "平台结算号", "2304-51010120170310000123"), "%s", p);
	cr_expect(strstr(p, "本地救助基金"), "%s", p);
	free(p);
}

Test(slip_content, a_slip_that_does_not_add_up_or_carries_bad_text_is_refused_by_every_renderer)
{
	struct sample x;
	sample(&x);
	struct zt_slip bad[4];
	bad[0] = x.s;
	bad[0].charge_fen[0] = 1; /* the charges no longer add up */
	bad[1] = x.s;
	bad[1].psn_part_fen += 1; /* nor the shares */
	bad[2] = x.s;
	bad[2].person.name = "张\n三"; /* a newline would break the lines */
	bad[3] = x.s;
	bad[3].hospital_name = "\xE6\x88\x90\xE9"; /* cut in the middle of a character */
	for (int i = 0; i < 4; i++) {
		struct zt_strbuf b = {0};
		cr_expect_eq(zt_slip_render_text(zt_strbuf_write, &b, &bad[i], NULL), ZT_EINVAL, "%d", i);
		cr_expect_eq(zt_slip_render_html(zt_strbuf_write, &b, &bad[i]), ZT_EINVAL, "%d", i);
		cr_expect_eq(zt_slip_render_pdf(zt_strbuf_write, &b, &bad[i], NULL), ZT_EINVAL, "%d", i);
		cr_expect_eq(b.len, 0, "slip %d: something was written", i);
		zt_strbuf_free(&b);
	}
}

/* The text a reader of the HTML page sees: outside tags, without the style
 * sheet and the QR code's SVG (caller frees). */
static char *html_visible_text(const char *h)
{
	char *out = malloc(strlen(h) + 1), *o = out;
	cr_assert(out);
	for (const char *p = h; *p;) {
		const char *skip_to = NULL;
		if (strncmp(p, "<style", 6) == 0)
			skip_to = "</style>";
		else if (strncmp(p, "<svg", 4) == 0)
			skip_to = "</svg>";
		if (skip_to) {
			const char *end = strstr(p, skip_to);
			cr_assert(end, "unclosed %s", skip_to);
			p = end + strlen(skip_to);
		} else if (*p == '<') {
			const char *end = strchr(p, '>');
			cr_assert(end, "unclosed tag at '%.20s'", p);
			p = end + 1;
			*o++ = '\n';
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	return out;
}

/* Issue 10: "in Chinese only (no English words on it)". The sample's data
 * holds upper-case codes only, so a lower-case Latin letter anywhere a
 * reader sees is a word of the renderer's: on the HTML page (its title
 * included) and on the PDF page as poppler reads it. */
Test(slip_content, the_html_and_pdf_pages_show_no_english_word)
{
	struct sample x;
	sample(&x);
	make_void(&x);
	char *h = html(&x.s);
	char *seen = html_visible_text(h);
	cr_expect(strstr(seen, "住院费用结算单") && strstr(seen, "作废") && strstr(seen, "验证码"),
	          "%s", seen);
	for (const char *p = seen; *p; p++)
		cr_expect(!(*p >= 'a' && *p <= 'z'), "a Latin letter on the HTML page at '%.30s'", p);
	free(seen);
	free(h);
	const char *path = artifact("slip-void-words.pdf");
	pdf(&x.s, path);
	char *t = pdf_text(path);
	cr_expect(strstr(t, "住院费用结算单") && strstr(t, "作废") && strstr(t, "验证码"), "%s", t);
	for (const char *p = t; *p; p++)
		cr_expect(!(*p >= 'a' && *p <= 'z'), "a Latin letter on the PDF page at '%.30s'", p);
	free(t);
}

static int failing_write(void *ctx, const void *data, size_t len)
{
	int *calls = ctx;
	return ++*calls >= 3 ? zt_error_set(ZT_EIO, "disk full") : 0;
}

Test(slip_content, a_failing_write_stops_the_rendering_with_its_error)
{
	struct sample x;
	sample(&x);
	int calls = 0;
	cr_expect_eq(zt_slip_render_html(failing_write, &calls, &x.s), ZT_EIO);
	cr_expect_eq(calls, 3, "writing went on after the error");
	calls = 0;
	cr_expect_eq(zt_slip_render_pdf(failing_write, &calls, &x.s, NULL), ZT_EIO);
	calls = 2;
	cr_expect_eq(zt_slip_render_text(failing_write, &calls, &x.s, NULL), ZT_EIO);
}

/* ---- HTML ------------------------------------------------------------------------------ */

Test(slip_html, self_contained_printable_a5_with_every_text_escaped)
{
	struct sample x;
	sample(&x);
	x.s.person.name = "<script>alert('x')</script>";
	x.s.hospital_name = "\"医院\" & <b>诊所</b>";
	x.funds[2].name = "<img src=x onerror=alert(1)>基金";
	x.s.clerk = "a'b\"c";
	sign(&x);
	char *h = html(&x.s);
	cr_expect_null(strstr(h, "<script"), "%s", h);
	cr_expect_null(strstr(h, "<img"));
	cr_expect_null(strstr(h, "<b>"));
	cr_expect(strstr(h, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"), "%s", h);
	cr_expect(strstr(h, "&quot;医院&quot; &amp; &lt;b&gt;诊所&lt;/b&gt;"));
	cr_expect(strstr(h, "&lt;img src=x onerror=alert(1)&gt;基金"));
	cr_expect(strstr(h, "a&#39;b&quot;c"));
	/* nothing loaded from elsewhere, nothing run */
	const char *never[] = {"src=\"", "href=", "url(", "@import", "<link", "<iframe", "<object",
	                       "javascript:", "<script"};
	for (size_t i = 0; i < sizeof never / sizeof *never; i++)
		cr_expect_null(strstr(h, never[i]), "'%s' in the page", never[i]);
	cr_expect(strstr(h, "Content-Security-Policy\" content=\"default-src 'none'"));
	cr_expect(strstr(h, "@page{size:A5 portrait"));
	cr_expect(strstr(h, "<html lang=\"zh-CN\">"));
	cr_expect(strstr(h, "<meta charset=\"utf-8\">"));
	/* the QR code inline, as one SVG path */
	const char *svg = strstr(h, "<svg class=\"qr\"");
	cr_assert(svg, "%s", h);
	cr_expect(strstr(svg, "<path fill=\"#000\" d=\"M"));
	cr_expect(strstr(svg, "</svg>"));
	free(h);
}

static unsigned be32(const unsigned char *p)
{
	return (unsigned)p[0] << 24 | (unsigned)p[1] << 16 | (unsigned)p[2] << 8 | p[3];
}

/* The QR code in a picture, decoded by zbar, verified against the slip. */
static void qr_is_genuine(const char *png, const struct sample *x)
{
	struct run r = sh("zbarimg -q --raw '%s'", png);
	cr_assert_eq(r.code, 0, "zbarimg (zbar-tools, tools/dev) found no QR code in %s: %s", png,
	             r.err);
	char *nl = strchr(r.out, '\n');
	if (nl)
		*nl = '\0';
	cr_expect_str_eq(r.out, x->qr);
	struct zt_slipcode code;
	struct zt_slipcode_content c;
	struct zt_slipcode_fund f[ZT_SLIP_FUNDS_MAX];
	cr_assert_eq(zt_slipcode_parse(&code, zt_slipcode_in_qr(r.out)), 0, "%s", zt_error_last());
	cr_assert_eq(zt_slip_code_content(&c, f, &x->s), 0);
	cr_expect_eq(zt_slipcode_check(&code, pool_key, sizeof pool_key, &c), 0, "%s",
	             zt_error_last());
	/* and not for another person */
	c.psn_no = "P0000002";
	cr_expect_eq(zt_slipcode_check(&code, pool_key, sizeof pool_key, &c), ZT_EINVAL);
	run_free(&r);
}

Test(slip_html, headless_chromium_draws_the_page_at_a5_with_a_readable_qr_code)
{
	struct sample x;
	sample(&x);
	make_void(&x);
	char *h = html(&x.s);
	const char *page = artifact("slip.html"), *png = artifact("slip-html.png");
	write_file(page, h, strlen(h));
	free(h);
	remove(png);
	/* A5 at 96 px per inch: 148 mm × 210 mm is 560 × 794 px */
	struct run r = sh("timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic "
	                  "--no-first-run --disable-background-networking --disable-component-update "
	                  "--disable-sync --hide-scrollbars --force-device-scale-factor=1 "
	                  "--user-data-dir='%s' --screenshot='%s' --window-size=560,794 'file://%s'",
	                  tmp_path("chromium-profile"), png, page);
	cr_assert_eq(r.code, 0, "chromium (tools/dev) failed: %s", r.err);
	run_free(&r);
	fprintf(stderr, "slip_html: page %s, screenshot %s\n", page, png);
	FILE *f = fopen(png, "rb");
	cr_assert(f, "no screenshot %s", png);
	unsigned char head[24];
	cr_assert_eq(fread(head, 1, sizeof head, f), sizeof head);
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	fclose(f);
	cr_expect_eq(memcmp(head, "\x89PNG\r\n\x1a\n", 8), 0, "not a PNG");
	cr_expect_eq(memcmp(head + 12, "IHDR", 4), 0);
	cr_expect_eq(be32(head + 16), 560u, "width");
	cr_expect_eq(be32(head + 20), 794u, "height");
	cr_expect_gt(size, 20000, "a blank page (%ld bytes)", size);
	qr_is_genuine(png, &x);
}

/* ---- PDF ------------------------------------------------------------------------------ */

Test(slip_pdf, the_text_read_back_holds_every_field_of_the_model)
{
	struct sample x;
	sample(&x);
	const char *path = artifact("slip.pdf");
	pdf(&x.s, path);
	char *t = pdf_text(path);
	const char *pairs[][2] = {
		{"医疗机构", "成都市锦江区人民医院"},
		{"机构编码", "H51010101"},
		{"结算编号", "S510101-000001"},
		{"单据号", "ZY2017-000123"},
		{"姓名", NAME_EXT_B},
		{"性别", "女"},
		{"年龄", "67岁"},
		{"人员编号", "P0000001"},
		{"身份证号", "110105********002X"},
		{"人员类别", "脱贫人口"},
		{"险种", "城乡居民基本医疗保险"},
		{"住院号", "ZY0012345"},
		{"科室", "神经内科"},
		{"入院日期", "2017-03-01"},
		{"出院日期", "2017-03-10"},
		{"住院天数", "9天"},
		{"诊断编码", "I63.900"},
		{"治疗费", "8000.00"},
		{"卫生材料费", "500.00"},
		{"西药费", "2000.00"},
		{"医疗费总额", "10500.00"},
		{"全自费", "500.00"},
		{"先行自付", "200.00"},
		{"超限价自付", "0.00"},
		{"政策范围内", "9800.00"},
		{"起付线", "200.00"},
		{"城乡居民基本医疗保险基金", "8160.00"},
		{"390100", "8160.00"},
		{"医疗救助基金", "1148.00"},
		{"610100", "1148.00"},
		{"健康扶贫基金", "71.00"},
		{"精准脱贫基金", "71.00"},
		{"基金支付合计", "9450.00"},
		{"医院承担", "0.00"},
		{"个人支付", "1050.00"},
		{"占医疗费总额", "10.00%"},
		{"个人自付封顶 10%", "1050.00"},
		{"预交金", "2000.00"},
		{"应退还", "950.00"},
		{"城乡居民基本医疗保险基金", "12160.00"},
		{"精准脱贫基金", "91.00"},
		{"个人负担", "1550.00"},
		{"结算时间", "2017-03-10 16:00:00 +08:00 北京时间"},
		{"经办人", "王小明"},
		{"验证码", x.code},
	};
	for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++)
		cr_expect(line_has(t, pairs[i][0], pairs[i][1]), "no line with '%s' … '%s' in\n%s",
		          pairs[i][0], pairs[i][1], t);
	cr_expect(strstr(t, "住院费用结算单"));
	cr_expect_null(strstr(t, "作废"));
	cr_expect_null(strstr(t, "11010519491231002X"), "the full identity number is printed");
	free(t);
}

Test(slip_pdf, every_font_is_embedded_the_main_one_and_the_fallback)
{
	struct sample x;
	sample(&x);
	const char *path = artifact("slip-fonts.pdf");
	pdf(&x.s, path);
	struct run r = sh("pdffonts '%s'", path);
	cr_assert_eq(r.code, 0, "%s", r.err);
	int fonts = 0;
	bool main_font = false, fallback = false;
	/* columns as the dashed line under the header draws them: name, type,
	 * encoding, emb, sub, uni, object ID */
	const char *dash = strstr(r.out, "\n---");
	cr_assert(dash, "%s", r.out);
	dash++;
	int col[8], ncol = 0;
	for (int i = 0; dash[i] && dash[i] != '\n'; i++)
		if (dash[i] == '-' && (i == 0 || dash[i - 1] == ' ') && ncol < 8)
			col[ncol++] = i;
	cr_assert_geq(ncol, 6, "%s", r.out);
	for (const char *p = strchr(dash, '\n'); p && p[1]; p = strchr(p + 1, '\n')) {
		const char *line = p + 1;
		char name[128], emb[4] = {0}, sub[4] = {0};
		cr_assert_eq(sscanf(line, "%127s", name), 1, "%s", r.out);
		memcpy(emb, line + col[3], 3);
		memcpy(sub, line + col[4], 3);
		fonts++;
		cr_expect_str_eq(emb, "yes", "%s is not embedded:\n%s", name, r.out);
		cr_expect_str_eq(sub, "yes", "%s is not a subset:\n%s", name, r.out);
		main_font = main_font || strstr(name, "NotoSansCJK");
		fallback = fallback || strstr(name, "HanaMinB");
	}
	cr_expect_gt(fonts, 0, "%s", r.out);
	cr_expect(main_font, "no Noto Sans CJK:\n%s", r.out);
	cr_expect(fallback, "no HanaMinB for U+21484:\n%s", r.out);
	run_free(&r);
}

Test(slip_pdf, one_a5_page_kept_as_png_with_a_qr_code_that_verifies)
{
	struct sample x;
	sample(&x);
	const char *path = artifact("slip-page.pdf"), *png = artifact("slip-page.png");
	pdf(&x.s, path);
	struct run r = sh("pdfinfo '%s'", path);
	cr_assert_eq(r.code, 0, "%s", r.err);
	cr_expect(strstr(r.out, "Pages:           1\n"), "%s", r.out);
	cr_expect(strstr(r.out, "Page size:       419.528 x 595.276 pts"), "not A5:\n%s", r.out);
	cr_expect(strstr(r.out, "Title:           住院费用结算单"), "%s", r.out);
	run_free(&r);
	char base[700];
	snprintf(base, sizeof base, "%.*s", (int)(strlen(png) - 4), png);
	r = sh("pdftoppm -png -r 100 -singlefile '%s' '%s'", path, base);
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	fprintf(stderr, "slip_pdf: page %s\n", png);
	struct stat st;
	cr_assert_eq(stat(png, &st), 0, "no %s", png);
	cr_expect_gt(st.st_size, 20000);
	qr_is_genuine(png, &x);
}

Test(slip_pdf, names_from_extension_b_print)
{
	struct sample x;
	sample(&x);
	/* U+20000 and U+2A6A5, the first and the last of Extension B's
	 * better-known characters */
	x.s.person.name = "\xF0\xA0\x80\x80\xF0\xAA\x9A\xA5";
	x.s.dept_name = "\xF0\xA1\x92\x84科";
	const char *path = artifact("slip-ext-b.pdf");
	pdf(&x.s, path);
	char *t = pdf_text(path);
	cr_expect(line_has(t, "姓名", "\xF0\xA0\x80\x80\xF0\xAA\x9A\xA5"), "%s", t);
	cr_expect(line_has(t, "科室", "\xF0\xA1\x92\x84科"), "%s", t);
	cr_expect_null(strstr(t, "?"), "a question mark for a character:\n%s", t);
	free(t);
}

Test(slip_pdf, a_character_no_font_has_is_refused_not_printed_as_a_box)
{
	struct sample x;
	sample(&x);
	x.s.person.name = "张\xF4\x8F\xBF\xBD"; /* U+10FFFD, private use: no font has it */
	struct zt_strbuf b = {0};
	cr_expect_eq(zt_slip_render_pdf(zt_strbuf_write, &b, &x.s, NULL), ZT_EINVAL);
	cr_expect(strstr(zt_error_last(), "no installed font"), "%s", zt_error_last());
	cr_expect_eq(b.len, 0, "a PDF was written");
	zt_strbuf_free(&b);
}

Test(slip_pdf, many_funds_still_fit_one_page)
{
	struct sample x;
	sample(&x);
	static char names[ZT_SLIP_FUNDS_MAX][64], codes[ZT_SLIP_FUNDS_MAX][8];
	zt_fen left = x.s.psn_part_fen;
	for (int i = 4; i < ZT_SLIP_FUNDS_MAX; i++) {
		snprintf(names[i], sizeof names[i], "县级扶贫救助基金第%d号", i);
		snprintf(codes[i], sizeof codes[i], "6199%02d", i);
		x.funds[i] = (struct zt_slip_fund){codes[i], names[i], 1000, false, true, 1000};
		left -= 1000;
	}
	x.s.fund_count = ZT_SLIP_FUNDS_MAX;
	x.s.psn_part_fen = left;
	x.s.has_cap = false;
	x.s.year_psn_part_fen = left;
	sign(&x);
	const char *path = artifact("slip-many-funds.pdf");
	pdf(&x.s, path);
	struct run r = sh("pdfinfo '%s'", path);
	cr_expect(strstr(r.out, "Pages:           1\n"), "%s", r.out);
	run_free(&r);
	char *t = pdf_text(path);
	cr_expect(line_has(t, "县级扶贫救助基金第31号", "10.00"), "%s", t);
	cr_expect(line_has(t, "验证码", x.code), "the footer is on the page:\n%s", t);
	free(t);
}
