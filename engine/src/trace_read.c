/* zhitong — reading a trace fragment zhitong wrote before traces were data
 * (trace.h zt_trace_parse_xml): the element of settlement.xsd back into the
 * struct, every value with the strict parsers of money.h. Only the SQLite
 * store's migration 9 uses it, for the rows stored before. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "zhitong/error.h"
#include "zhitong/trace.h"
#include "zhitong/xml.h"

enum type { FEN, CAP, BP, TEXT };
struct field {
	const char *attr;
	enum type type;
	size_t off, size;
	bool optional; /* written only when the category's adjust applied */
};

#define F(a, t, member) {a, t, offsetof(struct zt_fund_trace, u.member), sizeof(((struct zt_fund_trace *)0)->u.member), false}
#define OPT(a, t, member) {a, t, offsetof(struct zt_fund_trace, u.member), sizeof(((struct zt_fund_trace *)0)->u.member), true}
#define PAID(k)                                                                                 \
	F("raw", FEN, k.raw), F("annual-cap", CAP, k.annual_cap),                                \
	F("paid-before", FEN, k.paid_before), F("paid-after", FEN, k.paid_after), F("pay", FEN, k.pay)
#define END {NULL, FEN, 0, 0, false}

static const struct field basic[] = {
	F("inscp", FEN, basic.inscp), F("level-deductible", FEN, basic.level_deductible),
	F("level-ratio", BP, basic.level_ratio_bp), OPT("deductible-factor", BP, basic.deductible_factor_bp),
	OPT("ratio-bonus", BP, basic.ratio_bonus_bp), F("deductible", FEN, basic.deductible),
	F("ratio", BP, basic.ratio_bp), F("act_pay_dedc", FEN, basic.act_pay_dedc), PAID(basic), END,
};
static const struct field critical[] = {
	F("inscp", FEN, critical.inscp), F("hifp_pay", FEN, critical.hifp_pay),
	F("preselfpay-added", FEN, critical.preselfpay_added), F("base", FEN, critical.base),
	F("base-before", FEN, critical.before), F("base-after", FEN, critical.after),
	F("threshold", FEN, critical.threshold), F("ratio-bonus", BP, critical.ratio_bonus_bp),
	PAID(critical), END,
};
static const struct field assistance[] = {
	F("base", FEN, assistance.base), F("preselfpay-added", FEN, assistance.preselfpay_added),
	F("deductible", FEN, assistance.deductible), F("ratio", BP, assistance.ratio_bp),
	PAID(assistance), END,
};
static const struct field relief[] = {
	F("name", TEXT, relief.name), F("cap-ratio", BP, relief.cap_bp), F("psn0", FEN, relief.psn0),
	F("target", FEN, relief.target), F("gap-before", FEN, relief.fund.gap_before),
	F("ratio", BP, relief.fund.ratio_bp), PAID(relief.fund), F("gap-after", FEN, relief.fund.gap_after),
	END,
};
static const struct field reversal[] = {
	F("of", TEXT, reversal.of), F("reason", TEXT, reversal.reason), F("slot", TEXT, reversal.slot),
	F("paid-before", FEN, reversal.paid_before), F("paid-after", FEN, reversal.paid_after), END,
};
static const struct field *const fields[ZT_TRACE_KINDS] = {basic, critical, assistance, relief,
                                                          reversal};

static int value(struct zt_fund_trace *t, const xmlNode *n, const struct field *f)
{
	const char *v = zt_xml_attr(n, f->attr);
	if (!v && f->optional)
		return 0;
	if (!v)
		return zt_error_set(ZT_EINVAL, "trace <%s>: attribute %s is missing", (const char *)n->name,
		                    f->attr);
	char *at = (char *)t + f->off;
	size_t len = strlen(v);
	switch (f->type) {
	case FEN: return zt_parse_amount((zt_fen *)at, v, len);
	case CAP: return zt_parse_cap((zt_fen *)at, v, len);
	case BP: return zt_parse_factor((zt_bp *)at, v, len);
	case TEXT:
		if (len >= f->size)
			return zt_error_set(ZT_EINVAL, "trace <%s>: %s is too long", (const char *)n->name,
			                    f->attr);
		memcpy(at, v, len + 1);
		return 0;
	}
	return zt_error_set(ZT_EINTERNAL, "trace <%s>: %s: a field of no type", (const char *)n->name, f->attr);
}

static int segments(struct zt_trace_critical *c, const xmlNode *n)
{
	for (const xmlNode *g = n->children; g; g = g->next) {
		if (g->type != XML_ELEMENT_NODE)
			continue;
		if (strcmp((const char *)g->name, "segment") != 0 || c->segment_count >= ZT_TIERS_MAX)
			return zt_error_set(ZT_EINVAL, "trace <critical>: <%s> is no tier segment",
			                    (const char *)g->name);
		struct zt_trace_segment *s = &c->segments[c->segment_count++];
		/* zt_xml_attr's text lasts until its next call: one at a time */
		static const char *const names[] = {"tier-from", "tier-to", "from", "to", "ratio"};
		zt_fen *const fen[] = {&s->tier_from, &s->tier_to, &s->from, &s->to, NULL};
		for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
			const char *v = zt_xml_attr(g, names[i]);
			if (!v)
				return zt_error_set(ZT_EINVAL, "trace <critical>: a segment has no %s", names[i]);
			size_t len = strlen(v);
			int rc = i == 4 ? zt_parse_factor(&s->ratio_bp, v, len)
			         : i == 1 ? zt_parse_cap(fen[i], v, len)
			                  : zt_parse_amount(fen[i], v, len);
			if (rc)
				return rc;
		}
	}
	c->weighted = zt_trace_weighted(c);
	return 0;
}

/* What the element says beyond its kind's plain fields. */
static int extras(struct zt_fund_trace *t, const xmlNode *n)
{
	const char *tiers;
	switch (t->kind) {
	case ZT_TRACE_BASIC: t->u.basic.adjusted = zt_xml_attr(n, "adjust") != NULL; return 0;
	case ZT_TRACE_CRITICAL:
		t->u.critical.adjusted = zt_xml_attr(n, "adjust") != NULL;
		tiers = zt_xml_attr(n, "tiers");
		t->u.critical.own_tiers = tiers && strcmp(tiers, "adjust") == 0;
		return segments(&t->u.critical, n);
	case ZT_TRACE_ASSISTANCE: t->u.assistance.eligible = true; return 0;
	case ZT_TRACE_RELIEF: t->u.relief.fund.eligible = true; return 0;
	case ZT_TRACE_REVERSAL: return 0;
	}
	return 0;
}

int zt_trace_parse_xml(struct zt_fund_trace *out, const char *xml, size_t len,
                       int hospital_level, zt_category category)
{
	memset(out, 0, sizeof *out);
	xmlDocPtr doc = NULL;
	int rc = zt_xml_parse_own(&doc, xml, len, "trace");
	if (rc)
		return rc;
	const xmlNode *n = xmlDocGetRootElement(doc);
	int kind = -1;
	for (int k = 0; n && k < ZT_TRACE_KINDS; k++)
		if (strcmp((const char *)n->name, zt_trace_kind_names[k]) == 0)
			kind = k;
	if (kind < 0) {
		rc = zt_error_set(ZT_EINVAL, "<%s> is no trace", n ? (const char *)n->name : "");
		goto done;
	}
	out->kind = (enum zt_trace_kind)kind;
	out->hospital_level = hospital_level;
	out->category = category;
	for (const struct field *f = fields[kind]; rc == 0 && f->attr; f++)
		rc = value(out, n, f);
	if (rc == 0)
		rc = extras(out, n);
done:
	xmlFreeDoc(doc);
	return rc;
}

/* An element's attributes against a list: the same names with the same
 * values, in the same order. */
static int same_attrs(const xmlNode *n, const struct zt_trace_attrs *l)
{
	int i = 0;
	for (const xmlAttr *a = n->properties; a; a = a->next, i++) {
		const char *v = a->children ? (const char *)a->children->content : "";
		if (i >= l->n || strcmp((const char *)a->name, l->a[i].name) != 0 ||
		    strcmp(v, l->a[i].value) != 0)
			return zt_error_set(ZT_EINTERNAL, "<%s %s=\"%s\">: the data says %s=\"%s\"",
			                    (const char *)n->name, (const char *)a->name, v,
			                    i < l->n ? l->a[i].name : "(nothing)",
			                    i < l->n ? l->a[i].value : "");
	}
	if (i != l->n)
		return zt_error_set(ZT_EINTERNAL, "<%s> lacks %s=\"%s\"", (const char *)n->name,
		                    l->a[i].name, l->a[i].value);
	return 0;
}

int zt_trace_check_xml(const char *xml, size_t len, const struct zt_fund_trace *t)
{
	struct zt_trace_attrs l;
	int rc = zt_trace_attrs(&l, t);
	xmlDocPtr doc = NULL;
	if (rc || (rc = zt_xml_parse_own(&doc, xml, len, "trace")) != 0)
		return rc;
	const xmlNode *n = xmlDocGetRootElement(doc);
	if (!n || strcmp((const char *)n->name, zt_trace_kind_names[t->kind]) != 0)
		rc = zt_error_set(ZT_EINTERNAL, "<%s> where the data says <%s>",
		                  n ? (const char *)n->name : "", zt_trace_kind_names[t->kind]);
	if (rc == 0)
		rc = same_attrs(n, &l);
	int want = t->kind == ZT_TRACE_CRITICAL ? t->u.critical.segment_count : 0, seen = 0;
	for (const xmlNode *c = n ? n->children : NULL; rc == 0 && c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (seen >= want || strcmp((const char *)c->name, "segment") != 0) {
			rc = zt_error_set(ZT_EINTERNAL, "<%s> where the data has no more",
			                  (const char *)c->name);
			break;
		}
		zt_trace_segment_attrs(&l, &t->u.critical.segments[seen++]);
		rc = same_attrs(c, &l);
	}
	if (rc == 0 && seen != want)
		rc = zt_error_set(ZT_EINTERNAL, "%d segments where the data has %d", seen, want);
	xmlFreeDoc(doc);
	return rc;
}
