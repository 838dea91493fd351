/* zhitong — a fund share's trace in the store's columns, for every engine (trace.h):
 * one row per share (settlement_fund, the trace columns of migration 009,
 * NULL where the kind has no such input) and one row per tier segment of a
 * critical-illness share (settlement_trace_segment). Which column holds
 * which field of which kind is one table, read and written alike. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "../db.h"

static const char SQL_SEGMENT_INSERT[] =
	"INSERT INTO settlement_trace_segment (settlement_id, seq, k, tier_from, tier_to, "
	"covered_from, covered_to, ratio_bp) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

/* Column numbers, from the first (ZT_DB_TRACE_COLUMN_NAMES). */
enum {
	C_KIND, C_INSCP, C_HIFP_PAY, C_PRESELFPAY_ADDED, C_BASE, C_BASE_BEFORE, C_BASE_AFTER,
	C_LEVEL_DEDUCTIBLE, C_LEVEL_RATIO, C_ADJUSTED, C_DEDUCTIBLE_FACTOR, C_RATIO_BONUS,
	C_DEDUCTIBLE, C_RATIO, C_ACT_PAY_DEDC, C_THRESHOLD, C_OWN_TIERS, C_RELIEF_NAME, C_CAP_RATIO,
	C_PSN0, C_TARGET, C_GAP_BEFORE, C_GAP_AFTER, C_RAW, C_ANNUAL_CAP, C_PAID_BEFORE,
	C_PAID_AFTER, C_PAY, C_COUNT
};
_Static_assert(C_COUNT == ZT_DB_TRACE_COLUMNS, "the trace columns");

enum type { FEN, BP, FLAG, CAP /* NULL: none */, TEXT };
struct field {
	int col;
	enum type type;
	size_t off;
	size_t size; /* TEXT */
};

#define F(c, t, member) {c, t, offsetof(struct zt_fund_trace, u.member), sizeof(((struct zt_fund_trace *)0)->u.member)}
#define END {-1, FEN, 0, 0}

static const struct field basic[] = {
	F(C_INSCP, FEN, basic.inscp), F(C_LEVEL_DEDUCTIBLE, FEN, basic.level_deductible),
	F(C_LEVEL_RATIO, BP, basic.level_ratio_bp), F(C_ADJUSTED, FLAG, basic.adjusted),
	F(C_DEDUCTIBLE_FACTOR, BP, basic.deductible_factor_bp),
	F(C_RATIO_BONUS, BP, basic.ratio_bonus_bp), F(C_DEDUCTIBLE, FEN, basic.deductible),
	F(C_RATIO, BP, basic.ratio_bp), F(C_ACT_PAY_DEDC, FEN, basic.act_pay_dedc),
	F(C_RAW, FEN, basic.raw), F(C_ANNUAL_CAP, CAP, basic.annual_cap),
	F(C_PAID_BEFORE, FEN, basic.paid_before), F(C_PAID_AFTER, FEN, basic.paid_after),
	F(C_PAY, FEN, basic.pay), END,
};
static const struct field critical[] = {
	F(C_INSCP, FEN, critical.inscp), F(C_HIFP_PAY, FEN, critical.hifp_pay),
	F(C_PRESELFPAY_ADDED, FEN, critical.preselfpay_added), F(C_BASE, FEN, critical.base),
	F(C_BASE_BEFORE, FEN, critical.before), F(C_BASE_AFTER, FEN, critical.after),
	F(C_ADJUSTED, FLAG, critical.adjusted), F(C_THRESHOLD, FEN, critical.threshold),
	F(C_RATIO_BONUS, BP, critical.ratio_bonus_bp), F(C_OWN_TIERS, FLAG, critical.own_tiers),
	F(C_RAW, FEN, critical.raw), F(C_ANNUAL_CAP, CAP, critical.annual_cap),
	F(C_PAID_BEFORE, FEN, critical.paid_before), F(C_PAID_AFTER, FEN, critical.paid_after),
	F(C_PAY, FEN, critical.pay), END,
};
static const struct field assistance[] = {
	F(C_BASE, FEN, assistance.base), F(C_PRESELFPAY_ADDED, FEN, assistance.preselfpay_added),
	F(C_DEDUCTIBLE, FEN, assistance.deductible), F(C_RATIO, BP, assistance.ratio_bp),
	F(C_RAW, FEN, assistance.raw), F(C_ANNUAL_CAP, CAP, assistance.annual_cap),
	F(C_PAID_BEFORE, FEN, assistance.paid_before), F(C_PAID_AFTER, FEN, assistance.paid_after),
	F(C_PAY, FEN, assistance.pay), END,
};
static const struct field relief[] = {
	F(C_RELIEF_NAME, TEXT, relief.name), F(C_CAP_RATIO, BP, relief.cap_bp),
	F(C_PSN0, FEN, relief.psn0), F(C_TARGET, FEN, relief.target),
	F(C_GAP_BEFORE, FEN, relief.fund.gap_before), F(C_RATIO, BP, relief.fund.ratio_bp),
	F(C_RAW, FEN, relief.fund.raw), F(C_ANNUAL_CAP, CAP, relief.fund.annual_cap),
	F(C_PAID_BEFORE, FEN, relief.fund.paid_before), F(C_PAID_AFTER, FEN, relief.fund.paid_after),
	F(C_PAY, FEN, relief.fund.pay), F(C_GAP_AFTER, FEN, relief.fund.gap_after), END,
};
static const struct field reversal[] = {
	F(C_PAID_BEFORE, FEN, reversal.paid_before), F(C_PAID_AFTER, FEN, reversal.paid_after), END,
};

static const struct field *const fields[ZT_TRACE_KINDS] = {
	[ZT_TRACE_BASIC] = basic,
	[ZT_TRACE_CRITICAL] = critical,
	[ZT_TRACE_ASSISTANCE] = assistance,
	[ZT_TRACE_RELIEF] = relief,
	[ZT_TRACE_REVERSAL] = reversal,
};

void zt_db_trace_bind(struct zt_db_stmt *p, int first, const struct zt_fund_trace *t)
{
	/* every column is NULL (cleared bindings) unless the kind has it */
	zt_db_bind_text(p, first + C_KIND, zt_trace_kind_names[t->kind]);
	for (const struct field *f = fields[t->kind]; f->col >= 0; f++) {
		const char *at = (const char *)t + f->off;
		int i = first + f->col;
		switch (f->type) {
		case FEN: zt_db_bind_int64(p, i, *(const zt_fen *)at); break;
		case BP: zt_db_bind_int(p, i, *(const zt_bp *)at); break;
		case FLAG: zt_db_bind_int(p, i, *(const bool *)at); break;
		case CAP:
			if (*(const zt_fen *)at != ZT_CAP_NONE)
				zt_db_bind_int64(p, i, *(const zt_fen *)at);
			break;
		case TEXT: zt_db_bind_text(p, i, at); break;
		}
	}
}

int zt_db_trace_read(struct zt_db_stmt *p, int first, struct zt_fund_trace *t)
{
	memset(t, 0, sizeof *t);
	int kind = zt_db_column_name(p, first + C_KIND, zt_trace_kind_names, ZT_TRACE_KINDS, -1);
	if (kind < 0)
		return zt_error_set(ZT_EINTERNAL, "a fund share has no trace (trace kind '%s'): run "
		                    "'zhitong verify'", zt_db_column_text(p, first + C_KIND));
	t->kind = (enum zt_trace_kind)kind;
	for (const struct field *f = fields[t->kind]; f->col >= 0; f++) {
		char *at = (char *)t + f->off;
		int i = first + f->col;
		switch (f->type) {
		case FEN: *(zt_fen *)at = zt_db_column_int64(p, i); break;
		case BP: *(zt_bp *)at = zt_db_column_int(p, i); break;
		case FLAG: *(bool *)at = zt_db_column_int(p, i) != 0; break;
		case CAP:
			*(zt_fen *)at = zt_db_column_null(p, i) ? ZT_CAP_NONE
			                                                         : zt_db_column_int64(p, i);
			break;
		case TEXT: snprintf(at, f->size, "%s", zt_db_column_text(p, i)); break;
		}
	}
	/* a share is written only when its fund pays: it was eligible */
	if (t->kind == ZT_TRACE_ASSISTANCE)
		t->u.assistance.eligible = true;
	if (t->kind == ZT_TRACE_RELIEF)
		t->u.relief.fund.eligible = true;
	return 0;
}

int zt_db_trace_segments_put(struct zt_db *q, int64_t row, int seq, const struct zt_fund_trace *t)
{
	if (t->kind != ZT_TRACE_CRITICAL)
		return 0;
	const struct zt_trace_critical *c = &t->u.critical;
	for (int k = 0; k < c->segment_count; k++) {
		const struct zt_trace_segment *g = &c->segments[k];
		struct zt_db_stmt *p;
		int rc = zt_db_prepare(q, SQL_SEGMENT_INSERT, &p);
		if (rc)
			return rc;
		zt_db_bind_int64(p, 1, row);
		zt_db_bind_int(p, 2, seq);
		zt_db_bind_int(p, 3, k + 1);
		zt_db_bind_int64(p, 4, g->tier_from);
		if (g->tier_to != ZT_CAP_NONE)
			zt_db_bind_int64(p, 5, g->tier_to);
		zt_db_bind_int64(p, 6, g->from);
		zt_db_bind_int64(p, 7, g->to);
		zt_db_bind_int(p, 8, g->ratio_bp);
		if ((rc = zt_db_run(q, p, "store trace segment")) != 0)
			return rc;
	}
	return 0;
}

void zt_db_trace_segment_read(struct zt_db_stmt *p, int first, struct zt_trace_critical *c)
{
	struct zt_trace_segment *g = &c->segments[c->segment_count++];
	g->tier_from = zt_db_column_int64(p, first);
	g->tier_to = zt_db_column_null(p, first + 1) ? ZT_CAP_NONE
	                                                              : zt_db_column_int64(p, first + 1);
	g->from = zt_db_column_int64(p, first + 2);
	g->to = zt_db_column_int64(p, first + 3);
	g->ratio_bp = zt_db_column_int(p, first + 4);
	c->weighted += (__int128)(g->to - g->from) * g->ratio_bp;
}

void zt_db_trace_complete(struct zt_fund_trace *t, int hospital_level, const char *category,
                       const char *of, const char *reason, const char *slot)
{
	t->hospital_level = hospital_level;
	for (int c = 0; c < ZT_CAT_COUNT; c++)
		if (strcmp(zt_category_names[c], category) == 0)
			t->category = (zt_category)c;
	if (t->kind == ZT_TRACE_REVERSAL) {
		struct zt_trace_reversal *r = &t->u.reversal;
		snprintf(r->of, sizeof r->of, "%s", of);
		snprintf(r->reason, sizeof r->reason, "%s", reason);
		snprintf(r->slot, sizeof r->slot, "%s", slot);
	}
}
