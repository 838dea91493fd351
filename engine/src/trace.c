/* zhitong — writes the calculation trace of each fund share (see trace.h).
 * Every input of the fund's formula is an attribute, so an auditor can redo
 * the sum with a pencil; settlement.xsd documents each one. */
#include "trace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlwriter.h>

#include "zhitong/error.h"

struct tw {
	xmlBufferPtr buf;
	xmlTextWriterPtr w;
	int rc;
};

static int tw_open(struct tw *t, const char *element)
{
	t->rc = 0;
	t->buf = xmlBufferCreate();
	t->w = t->buf ? xmlNewTextWriterMemory(t->buf, 0) : NULL;
	if (!t->w || xmlTextWriterStartElement(t->w, BAD_CAST element) < 0) {
		if (t->w)
			xmlFreeTextWriter(t->w);
		if (t->buf)
			xmlBufferFree(t->buf);
		return zt_error_set(ZT_ENOMEM, "out of memory writing a trace");
	}
	return 0;
}

static void attr(struct tw *t, const char *name, const char *value)
{
	if (t->rc == 0 && xmlTextWriterWriteAttribute(t->w, BAD_CAST name, BAD_CAST value) < 0)
		t->rc = ZT_ENOMEM;
}

static void amount(struct tw *t, const char *name, zt_fen v)
{
	char b[ZT_FMT_BYTES];
	attr(t, name, zt_format_amount(b, v));
}

static void cap(struct tw *t, const char *name, zt_fen v)
{
	char b[ZT_FMT_BYTES];
	attr(t, name, v == ZT_CAP_NONE ? "none" : zt_format_amount(b, v));
}

static void ratio(struct tw *t, const char *name, zt_bp v)
{
	char b[ZT_FMT_BYTES];
	attr(t, name, zt_format_ratio(b, v));
}

/* fen × bp = 10^-6 yuan: six decimals, exact. */
static void weighted(struct tw *t, const char *name, __int128 v)
{
	char b[64];
	bool neg = v < 0;
	unsigned __int128 a = neg ? (unsigned __int128)(-v) : (unsigned __int128)v;
	unsigned long long whole_hi = (unsigned long long)(a / 1000000 / 1000000000000000000ULL);
	unsigned long long whole_lo = (unsigned long long)(a / 1000000 % 1000000000000000000ULL);
	unsigned long long frac = (unsigned long long)(a % 1000000);
	if (whole_hi)
		snprintf(b, sizeof b, "%s%llu%018llu.%06llu", neg ? "-" : "", whole_hi, whole_lo, frac);
	else
		snprintf(b, sizeof b, "%s%llu.%06llu", neg ? "-" : "", whole_lo, frac);
	attr(t, name, b);
}

static char *tw_close(struct tw *t)
{
	if (t->rc == 0 && xmlTextWriterEndElement(t->w) < 0)
		t->rc = ZT_ENOMEM;
	xmlFreeTextWriter(t->w); /* flushes into buf */
	char *s = NULL;
	if (t->rc == 0) {
		s = strdup((const char *)xmlBufferContent(t->buf));
		if (!s)
			t->rc = ZT_ENOMEM;
	}
	xmlBufferFree(t->buf);
	if (t->rc)
		zt_error_set(ZT_ENOMEM, "out of memory writing a trace");
	return s;
}

static void start_child(struct tw *t, const char *element)
{
	if (t->rc == 0 && xmlTextWriterStartElement(t->w, BAD_CAST element) < 0)
		t->rc = ZT_ENOMEM;
}

static void end_child(struct tw *t)
{
	if (t->rc == 0 && xmlTextWriterEndElement(t->w) < 0)
		t->rc = ZT_ENOMEM;
}

char *zt_trace_fund(const struct zt_policy *p, const struct zt_split_ctx *ctx,
                    const struct zt_split_result *r, const struct zt_fund_share *sh)
{
	struct tw t;
	char b[16];
	switch (sh->kind) {
	case ZT_FUND_BASIC: {
		const struct zt_trace_basic *x = &r->basic;
		if (tw_open(&t, "basic"))
			return NULL;
		amount(&t, "inscp", x->inscp);
		snprintf(b, sizeof b, "%d", ctx->hospital_level);
		attr(&t, "hospital-level", b);
		amount(&t, "level-deductible", x->level_deductible);
		ratio(&t, "level-ratio", x->level_ratio_bp);
		if (x->adjusted) {
			attr(&t, "adjust", zt_category_name(ctx->category));
			ratio(&t, "deductible-factor", x->deductible_factor_bp);
			ratio(&t, "ratio-bonus", x->ratio_bonus_bp);
		}
		amount(&t, "deductible", x->deductible);
		ratio(&t, "ratio", x->ratio_bp);
		amount(&t, "act_pay_dedc", x->act_pay_dedc);
		amount(&t, "raw", x->raw);
		cap(&t, "annual-cap", x->annual_cap);
		amount(&t, "paid-before", x->paid_before);
		amount(&t, "paid-after", x->paid_after);
		amount(&t, "pay", x->pay);
		return tw_close(&t);
	}
	case ZT_FUND_CRITICAL: {
		const struct zt_trace_critical *x = &r->critical;
		if (tw_open(&t, "critical"))
			return NULL;
		amount(&t, "inscp", x->inscp);
		amount(&t, "hifp_pay", x->hifp_pay);
		amount(&t, "preselfpay-added", x->preselfpay_added);
		amount(&t, "base", x->base);
		amount(&t, "base-before", x->before);
		amount(&t, "base-after", x->after);
		if (x->adjusted)
			attr(&t, "adjust", zt_category_name(ctx->category));
		amount(&t, "threshold", x->threshold);
		ratio(&t, "ratio-bonus", x->ratio_bonus_bp);
		attr(&t, "tiers", x->own_tiers ? "adjust" : "policy");
		weighted(&t, "weighted", x->weighted);
		amount(&t, "raw", x->raw);
		cap(&t, "annual-cap", x->annual_cap);
		amount(&t, "paid-before", x->paid_before);
		amount(&t, "paid-after", x->paid_after);
		amount(&t, "pay", x->pay);
		for (int i = 0; i < x->segment_count; i++) {
			const struct zt_trace_segment *g = &x->segments[i];
			start_child(&t, "segment");
			amount(&t, "tier-from", g->tier_from);
			cap(&t, "tier-to", g->tier_to);
			amount(&t, "from", g->from);
			amount(&t, "to", g->to);
			ratio(&t, "ratio", g->ratio_bp);
			weighted(&t, "weighted", (__int128)(g->to - g->from) * g->ratio_bp);
			end_child(&t);
		}
		return tw_close(&t);
	}
	case ZT_FUND_ASSISTANCE: {
		const struct zt_trace_assistance *x = &r->assistance;
		if (tw_open(&t, "assistance"))
			return NULL;
		attr(&t, "category", zt_category_name(ctx->category));
		amount(&t, "base", x->base);
		amount(&t, "preselfpay-added", x->preselfpay_added);
		amount(&t, "deductible", x->deductible);
		ratio(&t, "ratio", x->ratio_bp);
		amount(&t, "raw", x->raw);
		cap(&t, "annual-cap", x->annual_cap);
		amount(&t, "paid-before", x->paid_before);
		amount(&t, "paid-after", x->paid_after);
		amount(&t, "pay", x->pay);
		return tw_close(&t);
	}
	case ZT_FUND_RELIEF: {
		const struct zt_trace_relief *x = &r->relief[sh->relief_index];
		if (tw_open(&t, "relief"))
			return NULL;
		attr(&t, "name", p->relief[sh->relief_index].name);
		ratio(&t, "cap-ratio", r->cap.cap_bp);
		amount(&t, "psn0", r->cap.psn0);
		amount(&t, "target", r->cap.target);
		amount(&t, "gap-before", x->gap_before);
		ratio(&t, "ratio", x->ratio_bp);
		amount(&t, "raw", x->raw);
		cap(&t, "annual-cap", x->annual_cap);
		amount(&t, "paid-before", x->paid_before);
		amount(&t, "paid-after", x->paid_after);
		amount(&t, "pay", x->pay);
		amount(&t, "gap-after", x->gap_after);
		return tw_close(&t);
	}
	}
	zt_error_set(ZT_EINTERNAL, "unknown fund kind");
	return NULL;
}

char *zt_trace_reversal(const char *of, const char *reason, const char *slot, zt_fen before,
                        zt_fen after)
{
	struct tw t;
	if (tw_open(&t, "reversal"))
		return NULL;
	attr(&t, "of", of);
	attr(&t, "reason", reason);
	attr(&t, "slot", slot);
	amount(&t, "paid-before", before);
	amount(&t, "paid-after", after);
	return tw_close(&t);
}
