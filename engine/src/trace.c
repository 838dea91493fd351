/* zhitong — the trace of each fund share as data (trace.h): taken from the
 * split's result, one struct per share. */
#include "zhitong/trace.h"

#include <stdio.h>
#include <string.h>

const char *const zt_trace_kind_names[ZT_TRACE_KINDS] = {
	[ZT_TRACE_BASIC] = "basic",       [ZT_TRACE_CRITICAL] = "critical",
	[ZT_TRACE_ASSISTANCE] = "assistance", [ZT_TRACE_RELIEF] = "relief",
	[ZT_TRACE_REVERSAL] = "reversal",
};

void zt_trace_of_share(struct zt_fund_trace *out, const struct zt_policy *p,
                       const struct zt_split_ctx *ctx, const struct zt_split_result *r,
                       const struct zt_fund_share *sh)
{
	memset(out, 0, sizeof *out);
	out->hospital_level = ctx->hospital_level;
	out->category = ctx->category;
	switch (sh->kind) {
	case ZT_FUND_BASIC:
		out->kind = ZT_TRACE_BASIC;
		out->u.basic = r->basic;
		break;
	case ZT_FUND_CRITICAL:
		out->kind = ZT_TRACE_CRITICAL;
		out->u.critical = r->critical;
		break;
	case ZT_FUND_ASSISTANCE:
		out->kind = ZT_TRACE_ASSISTANCE;
		out->u.assistance = r->assistance;
		break;
	case ZT_FUND_RELIEF: {
		struct zt_trace_relief_share *x = &out->u.relief;
		out->kind = ZT_TRACE_RELIEF;
		snprintf(x->name, sizeof x->name, "%s", p->relief[sh->relief_index].name);
		x->cap_bp = r->cap.cap_bp;
		x->psn0 = r->cap.psn0;
		x->target = r->cap.target;
		x->fund = r->relief[sh->relief_index];
		break;
	}
	}
}

void zt_trace_of_reversal(struct zt_fund_trace *out, const char *of, const char *reason,
                          const char *slot, zt_fen paid_before, zt_fen paid_after)
{
	memset(out, 0, sizeof *out);
	out->kind = ZT_TRACE_REVERSAL;
	struct zt_trace_reversal *x = &out->u.reversal;
	snprintf(x->of, sizeof x->of, "%s", of);
	snprintf(x->reason, sizeof x->reason, "%s", reason);
	snprintf(x->slot, sizeof x->slot, "%s", slot);
	x->paid_before = paid_before;
	x->paid_after = paid_after;
}

__int128 zt_trace_weighted(const struct zt_trace_critical *c)
{
	__int128 w = 0;
	for (int i = 0; i < c->segment_count; i++)
		w += (__int128)(c->segments[i].to - c->segments[i].from) * c->segments[i].ratio_bp;
	return w;
}
