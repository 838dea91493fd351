/* zhitong — the ledger as text and CSV (see ledger_render.h). */
#include "zhitong/ledger_render.h"

#include <stdio.h>

#include "zhitong/date.h"
#include "zhitong/money.h"

int zt_ledger_render_balances_begin(void *out)
{
	struct zt_ledger_out *o = out;
	if (o->csv) {
		zt_csv_init(&o->w, o->f, o->bom);
		zt_csv_header(&o->w, "account,balance");
	} else {
		if (o->pool)
			fprintf(o->f, "资金池 %s 的账目\n", o->pool);
		fprintf(o->f, "%-40s %18s\n", "account", "balance");
	}
	return 0;
}

int zt_ledger_render_balance_row(void *out, const char *account, zt_fen balance)
{
	struct zt_ledger_out *o = out;
	char b[ZT_FMT_BYTES];
	zt_format_amount(b, balance);
	if (o->csv) {
		const char *row[] = {account, b};
		zt_csv_row(&o->w, row, 2);
	} else {
		fprintf(o->f, "%-40s %18s\n", account, b);
	}
	return 0;
}

void zt_ledger_render_balances_end(struct zt_ledger_out *o, const struct zt_ledger_balances_res *r,
                                   bool every_account)
{
	char b[ZT_FMT_BYTES];
	if (o->csv || !every_account)
		return;
	/* The books balance: every transfer debits and credits the same
	 * amount, so this is 0 unless they were tampered with (verify says
	 * where). */
	fprintf(o->f, "%-40s %18s\n", o->pool ? "(sum of the pool's balances)" : "(sum of all balances)",
	        r->sum_overflows ? "overflow" : zt_format_amount(b, r->sum));
}

int zt_ledger_render_history_begin(void *out, zt_fen opening)
{
	struct zt_ledger_out *o = out;
	if (o->csv) {
		zt_csv_init(&o->w, o->f, o->bom);
		zt_csv_header(&o->w, "id,at,debit,credit,amount,kind,ref,balance");
		return 0;
	}
	char b[ZT_FMT_BYTES], d[ZT_FMT_BYTES];
	if (o->pool)
		fprintf(o->f, "资金池 %s 的账目\n", o->pool);
	if (o->since)
		fprintf(o->f, "%s since %s: opening balance %s\n", o->account,
		        zt_format_date(d, o->since), zt_format_amount(b, opening));
	else
		fprintf(o->f, "%s: all transfers\n", o->account);
	fprintf(o->f, "%8s  %-26s  %-24s  %-24s %14s  %-8s %-22s %16s\n", "id", "at", "debit",
	        "credit", "amount", "kind", "ref", "balance");
	return 0;
}

int zt_ledger_render_history_row(void *out, const struct zt_transfer *t, zt_fen balance_after)
{
	struct zt_ledger_out *o = out;
	char amt[ZT_FMT_BYTES], bal[ZT_FMT_BYTES], id[24];
	zt_format_amount(amt, t->amount);
	zt_format_amount(bal, balance_after);
	snprintf(id, sizeof id, "%lld", (long long)t->id);
	if (o->csv) {
		const char *row[] = {id, t->at, t->debit, t->credit, amt, t->kind, t->ref, bal};
		zt_csv_row(&o->w, row, sizeof row / sizeof *row);
	} else {
		char when[ZT_FMT_BYTES]; /* in the pool's time zone */
		fprintf(o->f, "%8s  %-26s  %-24s  %-24s %14s  %-8s %-22s %16s\n", id,
		        zt_timestamp_local(when, t->at), t->debit, t->credit, amt, t->kind, t->ref, bal);
	}
	return 0;
}

void zt_ledger_render_history_end(struct zt_ledger_out *o, const struct zt_ledger_history_res *r)
{
	char b[ZT_FMT_BYTES];
	if (!o->csv)
		fprintf(o->f, "%lld transfer%s; balance %s\n", (long long)r->count,
		        r->count == 1 ? "" : "s", zt_format_amount(b, r->closing));
}
