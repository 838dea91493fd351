/* zhitong — a fund share's trace as named values (trace.h
 * zt_trace_attrs): settlement.xsd's attributes, in its order, each with the
 * text every rendering shows. The renderers (render/src/trace.c: XML, JSON,
 * text) are written from this one list, so they always say the same
 * numbers; SQLite's migration 009 checks an old fragment against it. The
 * numbers are written without printf: a payer file renders a million. */
#include "zhitong/trace.h"

#include <stdio.h>
#include <string.h>

#include "zhitong/error.h"
#include "zhitong/money.h"
#include "zhitong/text.h"

#define VALUE_BYTES ZT_TRACE_VALUE_BYTES

/* ---- the list ------------------------------------------------------------------- */

/* The next attribute's slot. */
static char *next(struct zt_trace_attrs *l, const char *name)
{
	struct zt_trace_attr *x = &l->a[l->n++];
	x->name = name;
	return x->value;
}

static void add(struct zt_trace_attrs *l, const char *name, const char *v)
{
	zt_text_put(next(l, name), VALUE_BYTES, v);
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

/* As "%d". */
static void add_int(struct zt_trace_attrs *l, const char *name, int v)
{
	char tmp[16], *end = tmp + sizeof tmp - 1;
	*end = '\0';
	char *p = digits(end, v < 0 ? 0U - (unsigned)v : (unsigned)v, 1);
	if (v < 0)
		*--p = '-';
	memcpy(next(l, name), p, (size_t)(end - p) + 1);
}

_Static_assert(VALUE_BYTES >= ZT_FMT_BYTES, "a value holds a formatted amount");

static void amount(struct zt_trace_attrs *l, const char *name, zt_fen v)
{
	zt_format_amount(next(l, name), v);
}

static void cap(struct zt_trace_attrs *l, const char *name, zt_fen v)
{
	if (v == ZT_CAP_NONE)
		add(l, name, "none");
	else
		amount(l, name, v);
}

static void ratio(struct zt_trace_attrs *l, const char *name, zt_bp v)
{
	zt_format_ratio(next(l, name), v);
}

/* fen × bp = 10^-6 yuan: six decimals, exact. */
static void weighted(struct zt_trace_attrs *l, const char *name, __int128 v)
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
static void paid(struct zt_trace_attrs *l, zt_fen raw, zt_fen annual_cap, zt_fen before, zt_fen after,
                 zt_fen pay)
{
	amount(l, "raw", raw);
	cap(l, "annual-cap", annual_cap);
	amount(l, "paid-before", before);
	amount(l, "paid-after", after);
	amount(l, "pay", pay);
}

static void basic(struct zt_trace_attrs *l, const struct zt_fund_trace *t)
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

static void critical(struct zt_trace_attrs *l, const struct zt_fund_trace *t)
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

void zt_trace_segment_attrs(struct zt_trace_attrs *l, const struct zt_trace_segment *g)
{
	l->n = 0;
	amount(l, "tier-from", g->tier_from);
	cap(l, "tier-to", g->tier_to);
	amount(l, "from", g->from);
	amount(l, "to", g->to);
	ratio(l, "ratio", g->ratio_bp);
	weighted(l, "weighted", (__int128)(g->to - g->from) * g->ratio_bp);
}

static void assistance(struct zt_trace_attrs *l, const struct zt_fund_trace *t)
{
	const struct zt_trace_assistance *x = &t->u.assistance;
	add(l, "category", zt_category_name(t->category));
	amount(l, "base", x->base);
	amount(l, "preselfpay-added", x->preselfpay_added);
	amount(l, "deductible", x->deductible);
	ratio(l, "ratio", x->ratio_bp);
	paid(l, x->raw, x->annual_cap, x->paid_before, x->paid_after, x->pay);
}

static void relief(struct zt_trace_attrs *l, const struct zt_fund_trace *t)
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

static void reversal(struct zt_trace_attrs *l, const struct zt_fund_trace *t)
{
	const struct zt_trace_reversal *x = &t->u.reversal;
	add(l, "of", x->of);
	add(l, "reason", x->reason);
	add(l, "slot", x->slot);
	amount(l, "paid-before", x->paid_before);
	amount(l, "paid-after", x->paid_after);
}

int zt_trace_attrs(struct zt_trace_attrs *l, const struct zt_fund_trace *t)
{
	static void (*const by_kind[ZT_TRACE_KINDS])(struct zt_trace_attrs *, const struct zt_fund_trace *) = {
		basic, critical, assistance, relief, reversal};
	l->n = 0;
	if ((unsigned)t->kind >= ZT_TRACE_KINDS)
		return zt_error_set(ZT_EINTERNAL, "a trace of no kind (%d)", (int)t->kind);
	by_kind[t->kind](l, t);
	return 0;
}

const char *zt_trace_attr(const struct zt_trace_attrs *l, const char *name)
{
	for (int i = 0; i < l->n; i++)
		if (strcmp(l->a[i].name, name) == 0)
			return l->a[i].value;
	return "";
}
