/* zhitong — the verdict on a slip's code as text (slip_verify.h). */
#include "zhitong/slip_verify.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "zhitong/date.h"
#include "zhitong/error.h"
#include "zhitong/money.h"
#include "zhitong/slip_text.h"

/* Labels take 12 columns, amounts end at column 44. */
#define LABEL_COLS 12
#define LINE_COLS 44

struct out {
	zt_write_fn write;
	void *ctx;
	int rc;
};

static void put(struct out *o, const char *s)
{
	if (!o->rc && s[0])
		o->rc = o->write(o->ctx, s, strlen(s));
}

static void pad(struct out *o, int cols)
{
	for (; cols > 0; cols--)
		put(o, " ");
}

static void field(struct out *o, const char *label, const char *value)
{
	put(o, label);
	int w = zt_text_width(label);
	pad(o, LABEL_COLS - (w < 0 ? 0 : w));
	put(o, value);
	put(o, "\n");
}

static void amount(struct out *o, const char *label, const char *note, zt_fen v)
{
	char a[ZT_FMT_BYTES];
	zt_format_amount(a, v);
	put(o, label);
	int w = zt_text_width(label);
	if (note) {
		put(o, " ");
		put(o, note);
		w += 1 + zt_text_width(note);
	}
	int room = LINE_COLS - w - (int)strlen(a);
	pad(o, room < 1 ? 1 : room);
	put(o, a);
	put(o, "\n");
}

const char *zt_slip_verdict_zh(enum zt_slip_verdict v)
{
	switch (v) {
	case ZT_SLIP_GENUINE:
		return "真实";
	case ZT_SLIP_NOT_A_CODE:
		return "无法识别";
	case ZT_SLIP_UNKNOWN_KEY:
	case ZT_SLIP_NOT_GENUINE:
		break;
	}
	return "不真实";
}

/* A name with every character after the first as "*": 张三丰 → 张**. */
static void mask_name(char *out, size_t cap, const char *name)
{
	size_t n = 0, i = 0;
	if (name[0]) {
		i = 1;
		while (name[i] && ((unsigned char)name[i] & 0xC0) == 0x80)
			i++;
	}
	if (i >= cap)
		i = 0;
	memcpy(out, name, i);
	n = i;
	for (; name[i]; i++)
		if (((unsigned char)name[i] & 0xC0) != 0x80 && n + 2 < cap)
			out[n++] = '*';
	out[n] = '\0';
}

static void genuine(struct out *o, const struct zt_slip *s)
{
	char buf[ZT_FMT_BYTES * 4], t[ZT_FMT_BYTES];
	if (s->is_void) {
		field(o, "状态", "已作废：此结算已被冲销，本单不再作为收费凭据");
		field(o, "冲销结算号", s->void_setl_id);
		field(o, "作废时间", zt_slip_local_time(t, s->void_at_utc, s->utc_offset_s));
		if (s->void_reason && s->void_reason[0])
			field(o, "作废原因", s->void_reason);
	} else {
		field(o, "状态", "有效");
	}
	field(o, "结算编号", s->setl_id);
	snprintf(buf, sizeof buf, "%s（%s）", s->hospital_name, s->hospital_code);
	field(o, "医疗机构", buf);
	field(o, "单据号", s->claim_no);
	mask_name(buf, sizeof buf, s->person.name);
	field(o, "姓名", buf);
	field(o, "身份证号", s->person.id_masked);
	char a[ZT_FMT_BYTES], d[ZT_FMT_BYTES];
	snprintf(buf, sizeof buf, "%s 至 %s", zt_format_date(a, s->adm_date),
	         zt_format_date(d, s->dscg_date));
	field(o, "住院日期", buf);
	field(o, "结算时间", zt_slip_local_time(t, s->settled_at_utc, s->utc_offset_s));
	put(o, "\n");
	amount(o, "医疗费总额", NULL, s->medfee_sumamt_fen);
	for (int i = 0; i < s->fund_count; i++)
		amount(o, s->funds[i].name, s->funds[i].code, s->funds[i].paid_fen);
	amount(o, "医院承担", NULL, s->hosp_part_fen);
	amount(o, "个人支付", NULL, s->psn_part_fen);
}

int zt_slip_verify_render_text(zt_write_fn write, void *ctx, const struct zt_slip_verify_res *r)
{
	struct out o = {.write = write, .ctx = ctx};
	char buf[256];
	put(&o, "【结算单验证】\n");
	switch (r->verdict) {
	case ZT_SLIP_GENUINE:
		field(&o, "验证码", r->code);
		field(&o, "结果", "真实：与统筹区存档的结算一致");
		genuine(&o, &r->slip);
		break;
	case ZT_SLIP_NOT_A_CODE:
		field(&o, "结果", "无法识别：这不是结算单验证码");
		put(&o, "验证码是密钥编号加 20 位字母数字，每 4 位一组，\n"
		        "例如 K1-7GQ4-Z0PA-3MXE-TT9W-C5RB。请核对后重新输入。\n");
		break;
	case ZT_SLIP_UNKNOWN_KEY:
		field(&o, "结果", "不真实：本统筹区没有签发过此验证码");
		snprintf(buf, sizeof buf, "密钥编号 %s 不是本统筹区的。", r->key_id);
		put(&o, buf);
		put(&o, "请向出具结算单的医院或医保经办机构核实。\n");
		break;
	case ZT_SLIP_NOT_GENUINE:
		field(&o, "结果", "不真实：没有与此验证码相符的结算");
		put(&o, "这张结算单可能被改动过，或不是本统筹区出具的。\n"
		        "请向出具结算单的医院或医保经办机构核实。\n");
		break;
	}
	return o.rc;
}
