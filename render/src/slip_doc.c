/* zhitong — the slip's rows, shared by every renderer (see slip_doc.h). */
#include "slip_doc.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <unistr.h>

#include "zhitong/error.h"

/* ---- texts ------------------------------------------------------------------ */

/* Valid UTF-8 without control characters (a newline or an escape in a
 * name would break the text slip's lines or a terminal). */
static int text_ok(const char *s, const char *what)
{
	if (!s)
		return 0;
	size_t n = strlen(s);
	if (u8_check((const uint8_t *)s, n) != NULL)
		return zt_error_set(ZT_EINVAL, "slip: %s is not valid UTF-8", what);
	const uint8_t *p = (const uint8_t *)s, *end = p + n;
	while (p < end) {
		ucs4_t c;
		p += u8_mbtouc(&c, p, (size_t)(end - p));
		if (c < 0x20 || (c >= 0x7F && c < 0xA0) || c == 0x2028 || c == 0x2029)
			return zt_error_set(ZT_EINVAL, "slip: %s has a control character (U+%04X)", what,
			                    (unsigned)c);
	}
	return 0;
}

static int texts_ok(const struct zt_slip *s)
{
	const struct {
		const char *s, *what;
	} t[] = {
		{s->setl_id, "setl_id"},
		{s->claim_no, "claim_no"},
		{s->hospital_code, "the hospital's code"},
		{s->hospital_name, "the hospital's name"},
		{s->ipt_no, "ipt_no"},
		{s->dept_name, "dept_name"},
		{s->person.name, "the person's name"},
		{s->person.psn_no, "psn_no"},
		{s->person.id_masked, "the identity number"},
		{s->person.insurance, "the insurance"},
		{s->diag_code, "the diagnosis code"},
		{s->national_setl_id, "the national setl_id"},
		{s->settled_at_utc, "the settlement time"},
		{s->zone_label, "the time zone"},
		{s->clerk, "the clerk"},
		{s->void_setl_id, "the reversal's setl_id"},
		{s->void_at_utc, "the reversal's time"},
		{s->void_reason, "the reversal's reason"},
		{s->verify_code, "the verification code"},
		{s->qr_text, "the QR text"},
	};
	int rc;
	for (size_t i = 0; i < sizeof t / sizeof *t; i++)
		if ((rc = text_ok(t[i].s, t[i].what)))
			return rc;
	for (int i = 0; i < s->fund_count; i++)
		if ((rc = text_ok(s->funds[i].code, "a fund's code")) ||
		    (rc = text_ok(s->funds[i].name, "a fund's name")))
			return rc;
	return 0;
}

/* ---- building ---------------------------------------------------------------- */

struct build {
	struct slip_doc *d;
	int rc;
};

static const char *keep(struct build *b, const char *s)
{
	if (b->rc)
		return "";
	const char *p = zt_slip_arena_strdup(&b->d->arena, s);
	if (!p) {
		b->rc = ZT_ENOMEM;
		return "";
	}
	return p;
}

static const char *amount(struct build *b, zt_fen v)
{
	char a[ZT_FMT_BYTES];
	return keep(b, zt_format_amount(a, v));
}

static void section(struct build *b, const char *title, bool pairs, bool amounts)
{
	struct slip_doc *d = b->d;
	assert(d->section_count < DOC_SECTIONS_MAX);
	d->sections[d->section_count++] =
		(struct doc_section){.title = title, .pairs = pairs, .amounts = amounts, .first = d->row_count};
}

static void row(struct build *b, enum doc_row_kind kind, const char *label, const char *value,
                const char *note)
{
	struct slip_doc *d = b->d;
	assert(d->row_count < DOC_ROWS_MAX && d->section_count > 0);
	d->rows[d->row_count++] = (struct doc_row){kind, label, value, note};
	d->sections[d->section_count - 1].count++;
}

static void field(struct build *b, const char *label, const char *value)
{
	if (value && *value)
		row(b, DOC_FIELD, label, value, NULL);
}

static void header_and_person(struct build *b, const struct zt_slip *s)
{
	char t[ZT_FMT_BYTES];
	section(b, NULL, true, false);
	field(b, "医疗机构", s->hospital_name);
	field(b, "机构编码", s->hospital_code);
	field(b, "结算编号", s->setl_id);
	field(b, "单据号", s->claim_no);

	section(b, "患者信息", true, false);
	field(b, "姓名", s->person.name);
	if (!s->person.id_unreadable) { /* else: from a number that cannot be read */
		field(b, "性别", zt_sex_name(s->person.sex));
		field(b, "年龄", keep(b, zt_age_text(t, &s->person.age)));
	}
	field(b, "人员编号", s->person.psn_no);
	field(b, "身份证号", s->person.id_masked);
	field(b, "人员类别", zt_category_name_zh(s->person.category));
	field(b, "险种", s->person.insurance);
	field(b, "住院号", s->ipt_no);
	field(b, "科室", s->dept_name);
	field(b, "入院日期", keep(b, zt_format_date(t, s->adm_date)));
	field(b, "出院日期", keep(b, zt_format_date(t, s->dscg_date)));
	snprintf(t, sizeof t, "%lld天", (long long)zt_slip_days(s->adm_date, s->dscg_date));
	field(b, "住院天数", keep(b, t));
	field(b, "诊断编码", s->diag_code);
}

static void bill(struct build *b, const struct zt_slip *s)
{
	section(b, "费用明细", true, true);
	for (int i = 0; i < ZT_CHARGE_TYPE_COUNT; i++)
		if (s->charge_fen[i] != 0)
			row(b, DOC_AMOUNT, zt_charge_type_name(i + 1), amount(b, s->charge_fen[i]), NULL);
	row(b, DOC_TOTAL, "医疗费总额", amount(b, s->medfee_sumamt_fen), NULL);

	section(b, "费用构成", true, true);
	row(b, DOC_AMOUNT, "全自费", amount(b, s->fulamt_ownpay_fen), NULL);
	row(b, DOC_AMOUNT, "先行自付", amount(b, s->preselfpay_fen), NULL);
	row(b, DOC_AMOUNT, "超限价自付", amount(b, s->overlmt_selfpay_fen), NULL);
	row(b, DOC_AMOUNT, "政策范围内", amount(b, s->inscp_scp_fen), NULL);
	row(b, DOC_AMOUNT, "起付线", amount(b, s->act_pay_dedc_fen), NULL);
}

static void funds(struct build *b, const struct zt_slip *s)
{
	zt_fen paid = 0;
	bool national = s->national_setl_id && *s->national_setl_id, county_head = false;
	section(b, "基金支付", false, true);
	if (national) {
		row(b, DOC_SUBHEAD, "国家医保信息平台结算", NULL, NULL);
		row(b, DOC_FIELD, "平台结算号", s->national_setl_id, NULL);
	}
	for (int i = 0; i < s->fund_count; i++) {
		const struct zt_slip_fund *f = &s->funds[i];
		if (national && !f->national && !county_head) {
			row(b, DOC_SUBHEAD, "本地救助基金", NULL, NULL);
			county_head = true;
		}
		row(b, DOC_AMOUNT, f->name, amount(b, f->paid_fen), f->code);
		paid += f->paid_fen; /* zt_slip_check: no overflow */
	}
	row(b, DOC_TOTAL, "基金支付合计", amount(b, paid), NULL);
}

static void shares(struct build *b, const struct zt_slip *s)
{
	char t[ZT_FMT_BYTES], v[ZT_FMT_BYTES + 32];
	section(b, "个人负担", false, true);
	row(b, DOC_AMOUNT, "医院承担", amount(b, s->hosp_part_fen), NULL);
	row(b, DOC_TOTAL, "个人支付", amount(b, s->psn_part_fen), NULL);
	row(b, DOC_AMOUNT, "占医疗费总额",
	    keep(b, zt_slip_percent(t, s->psn_part_fen, s->medfee_sumamt_fen)), NULL);
	if (s->has_cap) {
		snprintf(v, sizeof v, "个人自付封顶 %s", zt_slip_ratio_percent(t, s->cap_ratio_bp));
		row(b, DOC_AMOUNT, keep(b, v), amount(b, s->cap_fen), NULL);
	}
	if (s->has_deposit) {
		zt_fen refund, due;
		zt_slip_deposit_balance(s, &refund, &due);
		row(b, DOC_AMOUNT, "预交金", amount(b, s->deposit_fen), NULL);
		if (refund > 0)
			row(b, DOC_TOTAL, "应退还", amount(b, refund), NULL);
		else
			row(b, DOC_TOTAL, "应补缴", amount(b, due), NULL);
	}

	bool any = s->has_year_psn_part;
	for (int i = 0; i < s->fund_count; i++)
		any = any || s->funds[i].has_year_total;
	if (!any)
		return;
	section(b, "本年累计（含本次）", false, true);
	for (int i = 0; i < s->fund_count; i++)
		if (s->funds[i].has_year_total)
			row(b, DOC_AMOUNT, s->funds[i].name, amount(b, s->funds[i].year_total_fen),
			    s->funds[i].code);
	if (s->has_year_psn_part)
		row(b, DOC_AMOUNT, "个人负担", amount(b, s->year_psn_part_fen), NULL);
}

static void footer(struct build *b, const struct zt_slip *s)
{
	char t[ZT_FMT_BYTES], v[ZT_FMT_BYTES + 64];
	b->d->footer = b->d->section_count;
	section(b, NULL, false, false);
	snprintf(v, sizeof v, "%s%s%s", zt_slip_local_time(t, s->settled_at_utc, s->utc_offset_s),
	         s->zone_label && *s->zone_label ? " " : "", s->zone_label ? s->zone_label : "");
	field(b, "结算时间", keep(b, v));
	field(b, "经办人", s->clerk);
	if (s->is_void) {
		field(b, "状态", "作废");
		field(b, "冲销结算号", s->void_setl_id);
		if (s->void_at_utc && *s->void_at_utc)
			field(b, "作废时间", keep(b, zt_slip_local_time(t, s->void_at_utc, s->utc_offset_s)));
		field(b, "作废原因", s->void_reason);
	}
	if (s->verify_code && *s->verify_code) {
		field(b, "验证码", s->verify_code);
		row(b, DOC_NOTE, DOC_VERIFY_NOTE, NULL, NULL);
	}
}

int slip_doc_build(struct slip_doc *d, const struct zt_slip *s)
{
	memset(d, 0, sizeof *d);
	int rc = zt_slip_check(s);
	if (rc || (rc = texts_ok(s)))
		return rc;
	struct build b = {d, 0};
	d->title = "住院费用结算单";
	d->is_void = s->is_void;
	d->void_mark = s->is_void ? "作废" : NULL;
	d->qr_text = s->qr_text && *s->qr_text ? s->qr_text : NULL;
	header_and_person(&b, s);
	bill(&b, s);
	funds(&b, s);
	shares(&b, s);
	footer(&b, s);
	return b.rc;
}

void slip_doc_free(struct slip_doc *d)
{
	zt_slip_arena_free(&d->arena);
}
