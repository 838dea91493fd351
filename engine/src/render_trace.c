/* zhitong — the trace of a fund share rendered from its data (trace.h):
 * the XML element of settlement.xsd and the text lines of `claim show`.
 *
 * Both are written from one list of attributes, name and text, built from
 * the data in settlement.xsd's order, so the XML and the text always say the
 * same numbers. The XML is exactly what zhitong has always answered
 * (tests/cases/golden): attribute values escaped as libxml2's writer does
 * (& < > " and line breaks and tabs as references, every character beyond
 * ASCII as a hexadecimal character reference), an element without children
 * closed with "/>". It is written straight into a buffer: a payer file
 * renders a million of them. */
#include "zhitong/trace.h"

#include <stdio.h>
#include <string.h>

#include "zhitong/error.h"
#include "zhitong/json.h"

#define ATTRS_MAX 18
#define VALUE_BYTES ZT_UTF8_BYTES(ZT_TEXT_CHARS_MAX)

struct attr {
	const char *name;
	char value[VALUE_BYTES];
};

struct attrs {
	int n;
	struct attr a[ATTRS_MAX];
};

/* ---- the list ------------------------------------------------------------------- */

/* The next attribute's slot. */
static char *next(struct attrs *l, const char *name)
{
	struct attr *x = &l->a[l->n++];
	x->name = name;
	return x->value;
}

static void add(struct attrs *l, const char *name, const char *v)
{
	snprintf(next(l, name), VALUE_BYTES, "%s", v);
}

static void add_int(struct attrs *l, const char *name, int v)
{
	snprintf(next(l, name), VALUE_BYTES, "%d", v);
}

/* Digits of v, right-aligned ending at `end` (at least `width`); returns
 * where they start. Without printf: a payer file writes millions. */
static char *digits(char *end, unsigned long long v, int width)
{
	char *p = end;
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
		width--;
	} while (v || width > 0);
	return p;
}

/* As zt_format_amount: "-1234.50". */
static void amount(struct attrs *l, const char *name, zt_fen v)
{
	char tmp[32], *end = tmp + sizeof tmp - 1;
	*end = '\0';
	unsigned long long a = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	char *p = digits(end, a % 100, 2);
	*--p = '.';
	p = digits(p, a / 100, 1);
	if (v < 0)
		*--p = '-';
	memcpy(next(l, name), p, (size_t)(end - p) + 1);
}

static void cap(struct attrs *l, const char *name, zt_fen v)
{
	if (v == ZT_CAP_NONE)
		add(l, name, "none");
	else
		amount(l, name, v);
}

/* As zt_format_ratio: "0.8500". */
static void ratio(struct attrs *l, const char *name, zt_bp v)
{
	char b[ZT_FMT_BYTES];
	if (v < 0) { /* never stored; written as ever */
		add(l, name, zt_format_ratio(b, v));
		return;
	}
	char tmp[32], *end = tmp + sizeof tmp - 1;
	*end = '\0';
	char *p = digits(end, (unsigned)v % ZT_BP_ONE, 4);
	*--p = '.';
	p = digits(p, (unsigned)v / ZT_BP_ONE, 1);
	memcpy(next(l, name), p, (size_t)(end - p) + 1);
}

/* fen × bp = 10^-6 yuan: six decimals, exact. */
static void weighted(struct attrs *l, const char *name, __int128 v)
{
	bool neg = v < 0;
	unsigned __int128 a = neg ? (unsigned __int128)(-v) : (unsigned __int128)v;
	unsigned long long hi = (unsigned long long)(a / 1000000 / 1000000000000000000ULL);
	unsigned long long lo = (unsigned long long)(a / 1000000 % 1000000000000000000ULL);
	unsigned long long frac = (unsigned long long)(a % 1000000);
	if (hi)
		snprintf(next(l, name), VALUE_BYTES, "%s%llu%018llu.%06llu", neg ? "-" : "", hi, lo, frac);
	else
		snprintf(next(l, name), VALUE_BYTES, "%s%llu.%06llu", neg ? "-" : "", lo, frac);
}

/* What every fund's formula ends with. */
static void paid(struct attrs *l, zt_fen raw, zt_fen annual_cap, zt_fen before, zt_fen after,
                 zt_fen pay)
{
	amount(l, "raw", raw);
	cap(l, "annual-cap", annual_cap);
	amount(l, "paid-before", before);
	amount(l, "paid-after", after);
	amount(l, "pay", pay);
}

static void basic(struct attrs *l, const struct zt_fund_trace *t)
{
	const struct zt_trace_basic *x = &t->u.basic;
	amount(l, "inscp", x->inscp);
	add_int(l, "hospital-level", t->hospital_level);
	amount(l, "level-deductible", x->level_deductible);
	ratio(l, "level-ratio", x->level_ratio_bp);
	if (x->adjusted) {
		add(l, "adjust", zt_category_name(t->category));
		ratio(l, "deductible-factor", x->deductible_factor_bp);
		ratio(l, "ratio-bonus", x->ratio_bonus_bp);
	}
	amount(l, "deductible", x->deductible);
	ratio(l, "ratio", x->ratio_bp);
	amount(l, "act_pay_dedc", x->act_pay_dedc);
	paid(l, x->raw, x->annual_cap, x->paid_before, x->paid_after, x->pay);
}

static void critical(struct attrs *l, const struct zt_fund_trace *t)
{
	const struct zt_trace_critical *x = &t->u.critical;
	amount(l, "inscp", x->inscp);
	amount(l, "hifp_pay", x->hifp_pay);
	amount(l, "preselfpay-added", x->preselfpay_added);
	amount(l, "base", x->base);
	amount(l, "base-before", x->before);
	amount(l, "base-after", x->after);
	if (x->adjusted)
		add(l, "adjust", zt_category_name(t->category));
	amount(l, "threshold", x->threshold);
	ratio(l, "ratio-bonus", x->ratio_bonus_bp);
	add(l, "tiers", x->own_tiers ? "adjust" : "policy");
	weighted(l, "weighted", zt_trace_weighted(x));
	paid(l, x->raw, x->annual_cap, x->paid_before, x->paid_after, x->pay);
}

static void segment(struct attrs *l, const struct zt_trace_segment *g)
{
	amount(l, "tier-from", g->tier_from);
	cap(l, "tier-to", g->tier_to);
	amount(l, "from", g->from);
	amount(l, "to", g->to);
	ratio(l, "ratio", g->ratio_bp);
	weighted(l, "weighted", (__int128)(g->to - g->from) * g->ratio_bp);
}

static void assistance(struct attrs *l, const struct zt_fund_trace *t)
{
	const struct zt_trace_assistance *x = &t->u.assistance;
	add(l, "category", zt_category_name(t->category));
	amount(l, "base", x->base);
	amount(l, "preselfpay-added", x->preselfpay_added);
	amount(l, "deductible", x->deductible);
	ratio(l, "ratio", x->ratio_bp);
	paid(l, x->raw, x->annual_cap, x->paid_before, x->paid_after, x->pay);
}

static void relief(struct attrs *l, const struct zt_fund_trace *t)
{
	const struct zt_trace_relief_share *x = &t->u.relief;
	add(l, "name", x->name);
	ratio(l, "cap-ratio", x->cap_bp);
	amount(l, "psn0", x->psn0);
	amount(l, "target", x->target);
	amount(l, "gap-before", x->fund.gap_before);
	ratio(l, "ratio", x->fund.ratio_bp);
	paid(l, x->fund.raw, x->fund.annual_cap, x->fund.paid_before, x->fund.paid_after,
	     x->fund.pay);
	amount(l, "gap-after", x->fund.gap_after);
}

static void reversal(struct attrs *l, const struct zt_fund_trace *t)
{
	const struct zt_trace_reversal *x = &t->u.reversal;
	add(l, "of", x->of);
	add(l, "reason", x->reason);
	add(l, "slot", x->slot);
	amount(l, "paid-before", x->paid_before);
	amount(l, "paid-after", x->paid_after);
}

static int attrs_of(struct attrs *l, const struct zt_fund_trace *t)
{
	static void (*const by_kind[ZT_TRACE_KINDS])(struct attrs *, const struct zt_fund_trace *) = {
		basic, critical, assistance, relief, reversal};
	l->n = 0;
	if ((unsigned)t->kind >= ZT_TRACE_KINDS)
		return zt_error_set(ZT_EINTERNAL, "a trace of no kind (%d)", (int)t->kind);
	by_kind[t->kind](l, t);
	return 0;
}

static const char *value_of(const struct attrs *l, const char *name)
{
	for (int i = 0; i < l->n; i++)
		if (strcmp(l->a[i].name, name) == 0)
			return l->a[i].value;
	return "";
}

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

/* The UTF-8 sequence at s as a code point and its length (0: invalid). */
static size_t utf8(const unsigned char *s, unsigned *cp)
{
	size_t n = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC0 ? 2 : 0;
	if (n == 0 || s[0] >= 0xF8)
		return 0;
	*cp = s[0] & (0x3Fu >> (n - 1));
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		*cp = *cp << 6 | (s[i] & 0x3F);
	}
	return n;
}

/* A value as libxml2 writes an attribute's (xmlBufAttrSerializeTxtContent,
 * no output encoding): 0, or ZT_EINVAL for text that is not UTF-8. */
static int escaped(struct out *o, const char *v)
{
	for (const unsigned char *s = (const unsigned char *)v; *s;) {
		char ref[16];
		const char *rep = NULL;
		switch (*s) {
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '&': rep = "&amp;"; break;
		case '"': rep = "&quot;"; break;
		case '\n': rep = "&#10;"; break;
		case '\r': rep = "&#13;"; break;
		case '\t': rep = "&#9;"; break;
		}
		if (rep) {
			puts_(o, rep);
			s++;
		} else if (*s < 0x80) {
			put(o, (const char *)s++, 1);
		} else {
			unsigned cp;
			size_t n = utf8(s, &cp);
			if (n == 0)
				return zt_error_set(ZT_EINVAL, "a trace holds text that is not UTF-8");
			snprintf(ref, sizeof ref, "&#x%X;", cp);
			puts_(o, ref);
			s += n;
		}
	}
	return 0;
}

static int element(struct out *o, const char *name, const struct attrs *l)
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
	struct attrs l;
	int rc = attrs_of(&l, t);
	const char *name = rc ? "" : zt_trace_kind_names[t->kind];
	if (rc == 0)
		rc = element(&o, name, &l);
	int segments = t->kind == ZT_TRACE_CRITICAL ? t->u.critical.segment_count : 0;
	put(&o, segments ? ">" : "/>", segments ? 1 : 2);
	for (int i = 0; rc == 0 && i < segments; i++) {
		struct attrs g;
		g.n = 0;
		segment(&g, &t->u.critical.segments[i]);
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

/* ---- JSON ----------------------------------------------------------------------- */

static int json_members(struct zt_json_writer *w, const struct attrs *l)
{
	int rc = 0;
	for (int i = 0; rc == 0 && i < l->n; i++)
		if ((rc = zt_json_write_key(w, l->a[i].name)) == 0)
			rc = zt_json_write_string(w, l->a[i].value);
	return rc;
}

int zt_trace_json(struct zt_json_writer *w, const struct zt_fund_trace *t)
{
	struct attrs l;
	int rc = attrs_of(&l, t);
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
		struct attrs g;
		g.n = 0;
		segment(&g, &t->u.critical.segments[i]);
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

#define V(name) value_of(l, name)

static void text_basic(FILE *f, const struct attrs *l)
{
	fprintf(f, "      hospital level %s: deductible %s, ratio %s\n", V("hospital-level"),
	        V("level-deductible"), V("level-ratio"));
	if (V("adjust")[0])
		fprintf(f, "      adjust for %s: deductible x %s, ratio + %s\n", V("adjust"),
		        V("deductible-factor"), V("ratio-bonus"));
	fprintf(f, "      D = %s, R = %s; act_pay_dedc = min(D, inscp %s) = %s\n", V("deductible"),
	        V("ratio"), V("inscp"), V("act_pay_dedc"));
	fprintf(f, "      raw = (inscp - act_pay_dedc) x R = %s\n", V("raw"));
}

static void text_critical(FILE *f, const struct attrs *l, const struct zt_trace_critical *c)
{
	fprintf(f, "      base = inscp %s - hifp_pay %s + preselfpay %s = %s\n", V("inscp"),
	        V("hifp_pay"), V("preselfpay-added"), V("base"));
	fprintf(f, "      cumulative base %s -> %s; threshold %s%s%s, bonus %s, %s tiers\n",
	        V("base-before"), V("base-after"), V("threshold"), V("adjust")[0] ? " (adjust for " : "",
	        V("adjust")[0] ? ")" : "", V("ratio-bonus"), V("tiers"));
	for (int i = 0; i < c->segment_count; i++) {
		struct attrs g;
		g.n = 0;
		segment(&g, &c->segments[i]);
		fprintf(f, "      tier [%s, %s): covered [%s, %s) x %s = %s\n", value_of(&g, "tier-from"),
		        value_of(&g, "tier-to"), value_of(&g, "from"), value_of(&g, "to"),
		        value_of(&g, "ratio"), value_of(&g, "weighted"));
	}
	fprintf(f, "      raw = round(sum %s) = %s\n", V("weighted"), V("raw"));
}

int zt_trace_text(FILE *f, const struct zt_fund_trace *t)
{
	struct attrs all;
	const struct attrs *l = &all;
	int rc = attrs_of(&all, t);
	if (rc)
		return rc;
	switch (t->kind) {
	case ZT_TRACE_BASIC: text_basic(f, l); break;
	case ZT_TRACE_CRITICAL: text_critical(f, l, &t->u.critical); break;
	case ZT_TRACE_ASSISTANCE:
		fprintf(f, "      %s: base %s (preselfpay %s), deductible %s, ratio %s\n", V("category"),
		        V("base"), V("preselfpay-added"), V("deductible"), V("ratio"));
		fprintf(f, "      raw = max(0, base - deductible) x ratio = %s\n", V("raw"));
		break;
	case ZT_TRACE_RELIEF:
		fprintf(f, "      %s: personal cap %s: psn0 %s, target %s\n", V("name"), V("cap-ratio"),
		        V("psn0"), V("target"));
		fprintf(f, "      gap %s x ratio %s = raw %s; gap left %s\n", V("gap-before"), V("ratio"),
		        V("raw"), V("gap-after"));
		break;
	case ZT_TRACE_REVERSAL:
		fprintf(f, "      reverses %s (%s): %s %s -> %s\n", V("of"), V("reason"), V("slot"),
		        V("paid-before"), V("paid-after"));
		return 0;
	}
	fprintf(f, "      pay = min(raw %s, annual cap %s - paid this year %s) = %s; paid %s -> %s\n",
	        V("raw"), V("annual-cap"), V("paid-before"), V("pay"), V("paid-before"),
	        V("paid-after"));
	return 0;
}
