/* zhitong — advances as text and CSV (see advance_render.h). */
#include "zhitong/advance_render.h"

#include <stdio.h>

#include "zhitong/date.h"
#include "zhitong/money.h"

void zt_advance_out_init(struct zt_advance_out *o, FILE *f, bool csv, bool bom)
{
	*o = (struct zt_advance_out){.f = f, .csv = csv};
	if (csv)
		zt_csv_init(&o->w, f, bom);
}

static const char *basis_name(const struct zt_advance_plan_line *l)
{
	return l->requested ? "request" : l->fixed_target ? "target" : "days";
}

void zt_advance_render_plan(struct zt_advance_out *o, const struct zt_advance_plan *p, bool with_state)
{
	char b1[ZT_FMT_BYTES], b2[ZT_FMT_BYTES], b3[ZT_FMT_BYTES], b4[ZT_FMT_BYTES];
	FILE *f = o->f;
	/* A single advance has no earnings window and no target: "" / "-". */
	if (o->csv) {
		zt_csv_header(&o->w, "plan_id,hospital,basis,window_earned,target,balance,topup");
		for (size_t i = 0; i < p->line_count; i++) {
			const struct zt_advance_plan_line *l = &p->lines[i];
			const char *row[] = {p->plan_id, l->hospital, basis_name(l),
			                     l->requested ? "" : zt_format_amount(b1, l->window_earned),
			                     l->requested ? "" : zt_format_amount(b2, l->target),
			                     zt_format_amount(b3, l->balance), zt_format_amount(b4, l->topup)};
			zt_csv_row(&o->w, row, sizeof row / sizeof *row);
		}
		return;
	}
	size_t paid = 0;
	char when[ZT_FMT_BYTES]; /* in the pool's time zone */
	bool single = p->line_count == 1 && p->lines[0].requested;
	fprintf(f, "%s\n", p->plan_id);
	if (single)
		fprintf(f, "a single advance, asked for by %s at %s\n", p->made_by,
		        zt_timestamp_local(when, p->made_at));
	else
		fprintf(f, "as of %s, made by %s at %s; float: the fund shares earned %s to %s (%d "
		        "days)\nunless a target is set; minimum top-up %s\n",
		        zt_format_date(b1, p->as_of), p->made_by, zt_timestamp_local(when, p->made_at),
		        zt_format_date(b2, p->window_from), zt_format_date(b3, p->as_of), p->target_days,
		        zt_format_amount(b4, p->min_topup));
	fprintf(f, "%-20s %-7s %16s %16s %16s %16s\n", "hospital", "basis", "window earned",
	        "target", "balance", "top-up");
	for (size_t i = 0; i < p->line_count; i++) {
		const struct zt_advance_plan_line *l = &p->lines[i];
		fprintf(f, "%-20s %-7s %16s %16s %16s %16s\n", l->hospital, basis_name(l),
		        l->requested ? "-" : zt_format_amount(b1, l->window_earned),
		        l->requested ? "-" : zt_format_amount(b2, l->target),
		        zt_format_amount(b3, l->balance), zt_format_amount(b4, l->topup));
		paid += l->topup > 0;
	}
	fprintf(f, "total top-up %s to %zu hospital%s\n", zt_format_amount(b1, p->total), paid,
	        paid == 1 ? "" : "s");
	if (!with_state)
		return;
	if (p->approved_by[0])
		fprintf(f, "approved by %s at %s\n", p->approved_by,
		        zt_timestamp_local(when, p->approved_at));
	else
		fprintf(f, "not approved\n");
	if (p->issued_msg_id[0])
		fprintf(f, "issued at %s (message %s)\n", zt_timestamp_local(when, p->issued_at),
		        p->issued_msg_id);
	else
		fprintf(f, "not issued\n");
}

void zt_advance_render_status_header(struct zt_advance_out *o)
{
	if (o->csv)
		zt_csv_header(&o->w, "hospital,advanced,earned,balance,advancing_since");
	else
		fprintf(o->f, "%-20s %16s %16s %16s  %s\n", "hospital", "advanced", "earned", "balance",
		        "advancing since");
}

int zt_advance_render_status_row(void *ctx, const struct zt_advance_status *st)
{
	struct zt_advance_out *o = ctx;
	char b1[ZT_FMT_BYTES], b2[ZT_FMT_BYTES], b3[ZT_FMT_BYTES];
	zt_format_amount(b1, st->advanced);
	zt_format_amount(b2, st->earned);
	zt_format_amount(b3, st->balance);
	if (o->csv) {
		const char *row[] = {st->hospital, b1, b2, b3, st->advancing_since};
		zt_csv_row(&o->w, row, sizeof row / sizeof *row);
	} else {
		char when[ZT_FMT_BYTES];
		fprintf(o->f, "%-20s %16s %16s %16s  %s\n", st->hospital, b1, b2, b3,
		        st->advancing_since[0] ? zt_timestamp_local(when, st->advancing_since) : "-");
	}
	return 0;
}

void zt_advance_render_list_header(struct zt_advance_out *o)
{
	if (o->csv)
		zt_csv_header(&o->w, "advance_id,hospital,amount,plan_id,msg_id,made_by,approved_by,"
		                     "issued_by,issued_at,execution_date,file");
	else
		fprintf(o->f, "%-22s %-12s %14s  %-20s %-10s %-10s %-10s %-26s  %s\n", "advance",
		        "hospital", "amount", "plan", "made by", "approved", "issued by", "issued at",
		        "file");
}

int zt_advance_render_list_row(void *ctx, const struct zt_advance *x)
{
	struct zt_advance_out *o = ctx;
	char b[ZT_FMT_BYTES], d[ZT_FMT_BYTES];
	zt_format_amount(b, x->amount);
	zt_format_date(d, x->execution_date);
	if (o->csv) {
		const char *f[] = {x->advance_id, x->hospital,    b,           x->plan_id,
		                   x->msg_id,     x->made_by,     x->approved_by, x->issued_by,
		                   x->issued_at,  d,              x->file};
		zt_csv_row(&o->w, f, sizeof f / sizeof *f);
	} else {
		char when[ZT_FMT_BYTES];
		fprintf(o->f, "%-22s %-12s %14s  %-20s %-10s %-10s %-10s %-26s  %s\n", x->advance_id,
		        x->hospital, b, x->plan_id[0] ? x->plan_id : "-", x->made_by, x->approved_by,
		        x->issued_by, zt_timestamp_local(when, x->issued_at), x->file);
	}
	return 0;
}
