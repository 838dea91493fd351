/* zhitong — a fund share's trace rendered (render_trace.h): the XML
 * element of settlement.xsd, the JSON object of the service and the text
 * lines of `claim show`, all three from the engine's one list of named
 * values (trace.h zt_trace_attrs), so they always say the same numbers.
 * The XML is exactly what zhitong has always answered
 * (tests/cases/golden): attribute values escaped as libxml2's writer does
 * (& < > " and line breaks and tabs as references, every character beyond
 * ASCII as a hexadecimal character reference), an element without children
 * closed with "/>". It is written straight into a buffer: a payer file
 * renders a million of them. */
#include "zhitong/render_trace.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "zhitong/error.h"
#include "zhitong/json.h"
#include "zhitong/xml.h"

/* ---- XML ------------------------------------------------------------------------ */

struct out {
	char *p;
	size_t n, cap;
	bool full;
};

static void put(struct out *o, const char *s, size_t len)
{
	if (o->full || o->n + len >= o->cap) {
		o->full = true;
		return;
	}
	memcpy(o->p + o->n, s, len);
	o->n += len;
}

static void puts_(struct out *o, const char *s) { put(o, s, strlen(s)); }

/* A value as libxml2 writes an attribute's (xml.h zt_xml_attr_escape):
 * 0, or ZT_EINVAL for text that is not UTF-8. */
static int escaped(struct out *o, const char *v)
{
	if (o->full)
		return 0;
	int rc = zt_xml_attr_escape(o->p, o->cap, &o->n, v, true);
	if (rc == ZT_ERANGE) {
		o->full = true; /* said once, at the end */
		return 0;
	}
	return rc;
}

static int element(struct out *o, const char *name, const struct zt_trace_attrs *l)
{
	put(o, "<", 1);
	puts_(o, name);
	for (int i = 0; i < l->n; i++) {
		put(o, " ", 1);
		puts_(o, l->a[i].name);
		put(o, "=\"", 2);
		int rc = escaped(o, l->a[i].value);
		if (rc)
			return rc;
		put(o, "\"", 1);
	}
	return 0;
}

int zt_trace_xml(char *buf, size_t cap, const struct zt_fund_trace *t)
{
	struct out o = {buf, 0, cap, false};
	struct zt_trace_attrs l;
	int rc = zt_trace_attrs(&l, t);
	const char *name = rc ? "" : zt_trace_kind_names[t->kind];
	if (rc == 0)
		rc = element(&o, name, &l);
	int segments = t->kind == ZT_TRACE_CRITICAL ? t->u.critical.segment_count : 0;
	put(&o, segments ? ">" : "/>", segments ? 1 : 2);
	for (int i = 0; rc == 0 && i < segments; i++) {
		struct zt_trace_attrs g;
		zt_trace_segment_attrs(&g, &t->u.critical.segments[i]);
		if ((rc = element(&o, "segment", &g)) == 0)
			puts_(&o, "/>");
	}
	if (segments) {
		puts_(&o, "</");
		puts_(&o, name);
		puts_(&o, ">");
	}
	if (rc)
		return rc;
	if (o.full)
		return zt_error_set(ZT_ERANGE, "a trace does not fit in %zu bytes", cap);
	buf[o.n] = '\0';
	return (int)o.n;
}

int zt_trace_xml_fund(char *buf, size_t cap, const char *fund_code, const char *amount,
                      const struct zt_fund_trace *t)
{
	struct out o = {buf, 0, cap, false};
	puts_(&o, "<fund fund_pay_type=\"");
	int rc = escaped(&o, fund_code);
	puts_(&o, "\" fund_payamt=\"");
	if (rc == 0)
		rc = escaped(&o, amount);
	puts_(&o, "\">");
	if (rc)
		return rc;
	if (o.full)
		return zt_error_set(ZT_ERANGE, "a trace does not fit in %zu bytes", cap);
	int n = zt_trace_xml(buf + o.n, cap - o.n, t);
	if (n < 0)
		return n;
	o.n += (size_t)n;
	puts_(&o, "</fund>");
	if (o.full)
		return zt_error_set(ZT_ERANGE, "a trace does not fit in %zu bytes", cap);
	buf[o.n] = '\0';
	return (int)o.n;
}

/* ---- JSON ----------------------------------------------------------------------- */

static int json_members(struct zt_json_writer *w, const struct zt_trace_attrs *l)
{
	int rc = 0;
	for (int i = 0; rc == 0 && i < l->n; i++)
		if ((rc = zt_json_write_key(w, l->a[i].name)) == 0)
			rc = zt_json_write_string(w, l->a[i].value);
	return rc;
}

int zt_trace_json(struct zt_json_writer *w, const struct zt_fund_trace *t)
{
	struct zt_trace_attrs l;
	int rc = zt_trace_attrs(&l, t);
	if (rc == 0)
		rc = zt_json_write_object_begin(w);
	if (rc == 0 && (rc = zt_json_write_key(w, "kind")) == 0)
		rc = zt_json_write_string(w, zt_trace_kind_names[t->kind]);
	if (rc == 0)
		rc = json_members(w, &l);
	int segments = t->kind == ZT_TRACE_CRITICAL ? t->u.critical.segment_count : 0;
	if (rc == 0 && segments && (rc = zt_json_write_key(w, "segments")) == 0)
		rc = zt_json_write_array_begin(w);
	for (int i = 0; rc == 0 && i < segments; i++) {
		struct zt_trace_attrs g;
		zt_trace_segment_attrs(&g, &t->u.critical.segments[i]);
		if ((rc = zt_json_write_object_begin(w)) == 0 && (rc = json_members(w, &g)) == 0)
			rc = zt_json_write_object_end(w);
	}
	if (rc == 0 && segments)
		rc = zt_json_write_array_end(w);
	if (rc == 0)
		rc = zt_json_write_object_end(w);
	return rc;
}

/* ---- text ----------------------------------------------------------------------- */

#define V(name) zt_trace_attr(l, name)

/* An attribute for people: "none" (no cap) is 无. */
static const char *cn_value(const char *v)
{
	return strcmp(v, "none") == 0 ? "无" : v;
}

static void text_basic(FILE *f, const struct zt_trace_attrs *l)
{
	fprintf(f, "      医院等级 %s：起付线 %s，报销比例 %s\n", V("hospital-level"),
	        V("level-deductible"), V("level-ratio"));
	if (V("adjust")[0])
		fprintf(f, "      %s 调整：起付线 × %s，比例 + %s\n", V("adjust"),
		        V("deductible-factor"), V("ratio-bonus"));
	fprintf(f, "      起付线 D = %s，比例 R = %s；act_pay_dedc 实际支付起付线 = min(D, 政策范围内 %s) = %s\n",
	        V("deductible"), V("ratio"), V("inscp"), V("act_pay_dedc"));
	fprintf(f, "      计算额 = (政策范围内 - act_pay_dedc) × R = %s\n", V("raw"));
}

static void text_critical(FILE *f, const struct zt_trace_attrs *l, const struct zt_trace_critical *c)
{
	fprintf(f, "      基数 = 政策范围内 %s - hifp_pay %s + 先行自付 %s = %s\n", V("inscp"),
	        V("hifp_pay"), V("preselfpay-added"), V("base"));
	fprintf(f, "      年度累计基数 %s → %s；起付标准 %s%s%s%s，比例加成 %s，共 %s 段\n",
	        V("base-before"), V("base-after"), V("threshold"), V("adjust")[0] ? "（" : "",
	        V("adjust"), V("adjust")[0] ? " 调整）" : "", V("ratio-bonus"), V("tiers"));
	for (int i = 0; i < c->segment_count; i++) {
		struct zt_trace_attrs g;
		zt_trace_segment_attrs(&g, &c->segments[i]);
		fprintf(f, "      分段 [%s, %s)：本次 [%s, %s) × %s = %s\n", zt_trace_attr(&g, "tier-from"),
		        zt_trace_attr(&g, "tier-to"), zt_trace_attr(&g, "from"), zt_trace_attr(&g, "to"),
		        zt_trace_attr(&g, "ratio"), zt_trace_attr(&g, "weighted"));
	}
	fprintf(f, "      计算额 = 四舍五入(合计 %s) = %s\n", V("weighted"), V("raw"));
}

/* The trace in Chinese for people (claim show): each step of the fund's
 * computation with its figures; the national field names stay beside
 * their Chinese names. */
int zt_trace_text(FILE *f, const struct zt_fund_trace *t)
{
	struct zt_trace_attrs all;
	const struct zt_trace_attrs *l = &all;
	int rc = zt_trace_attrs(&all, t);
	if (rc)
		return rc;
	switch (t->kind) {
	case ZT_TRACE_BASIC: text_basic(f, l); break;
	case ZT_TRACE_CRITICAL: text_critical(f, l, &t->u.critical); break;
	case ZT_TRACE_ASSISTANCE:
		fprintf(f, "      %s：基数 %s（先行自付 %s），起付线 %s，比例 %s\n", V("category"),
		        V("base"), V("preselfpay-added"), V("deductible"), V("ratio"));
		fprintf(f, "      计算额 = max(0, 基数 - 起付线) × 比例 = %s\n", V("raw"));
		break;
	case ZT_TRACE_RELIEF:
		fprintf(f, "      %s：个人负担上限 %s：psn0 %s，目标 %s\n", V("name"), V("cap-ratio"),
		        V("psn0"), V("target"));
		fprintf(f, "      缺口 %s × 比例 %s = 计算额 %s；剩余缺口 %s\n", V("gap-before"), V("ratio"),
		        V("raw"), V("gap-after"));
		break;
	case ZT_TRACE_REVERSAL:
		fprintf(f, "      冲销 %s（%s）：%s 本年已付 %s → %s\n", V("of"), V("reason"), V("slot"),
		        V("paid-before"), V("paid-after"));
		return 0;
	}
	fprintf(f, "      支付 = min(计算额 %s, 年度限额 %s - 本年已付 %s) = %s；本年已付 %s → %s\n",
	        V("raw"), cn_value(V("annual-cap")), V("paid-before"), V("pay"), V("paid-before"),
	        V("paid-after"));
	return 0;
}
