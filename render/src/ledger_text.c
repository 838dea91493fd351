/* zhitong — the ledger as text and CSV (see ledger_render.h). The text is
 * the finance staff's: Chinese headings, columns padded by display width
 * (text_table.h), accounts and kinds under their ledger names; the CSV
 * keeps its English header for machines. */
#include "zhitong/ledger_render.h"

#include <stdio.h>

#include "text_table.h"
#include "zhitong/date.h"
#include "zhitong/money.h"

#define ACCOUNT_COLS 40
#define BALANCE_COLS 18

static void balance_line(FILE *f, const char *account, const char *balance)
{
	zt_table_cell(f, account, ACCOUNT_COLS, false);
	fputc(' ', f);
	zt_table_cell(f, balance, BALANCE_COLS, true);
	fputc('\n', f);
}

int zt_ledger_render_balances_begin(void *out)
{
	struct zt_ledger_out *o = out;
	if (o->csv) {
		zt_csv_init(&o->w, o->f, o->bom);
		zt_csv_header(&o->w, "account,balance");
	} else {
		if (o->pool)
			fprintf(o->f, "资金池 %s 的账目\n", o->pool);
		balance_line(o->f, "账户", "余额（元）");
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
		balance_line(o->f, account, b);
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
	balance_line(o->f, o->pool ? "（本资金池余额合计）" : "（全部账户余额合计）",
	             r->sum_overflows ? "溢出" : zt_format_amount(b, r->sum));
}

/* A transfer's line: eight columns, the widths of before. */
static void history_line(FILE *f, const char *const c[8])
{
	static const int cols[8] = {8, 26, 24, 24, 14, 8, 22, 16};
	static const char *const gap[8] = {"", "  ", "  ", "  ", " ", "  ", " ", " "};
	static const bool right[8] = {true, false, false, false, true, false, false, true};
	for (int i = 0; i < 8; i++) {
		fputs(gap[i], f);
		zt_table_cell(f, c[i], cols[i], right[i]);
	}
	fputc('\n', f);
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
		fprintf(o->f, "%s 自 %s 起：期初余额 %s 元\n", o->account, zt_format_date(d, o->since),
		        zt_format_amount(b, opening));
	else
		fprintf(o->f, "%s：全部转账\n", o->account);
	const char *head[8] = {"序号", "时间", "借方", "贷方", "金额", "类别", "业务号", "余额"};
	history_line(o->f, head);
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
		const char *row[8] = {id,      zt_timestamp_local(when, t->at), t->debit, t->credit, amt,
		                      t->kind, t->ref,                          bal};
		history_line(o->f, row);
	}
	return 0;
}

void zt_ledger_render_history_end(struct zt_ledger_out *o, const struct zt_ledger_history_res *r)
{
	char b[ZT_FMT_BYTES];
	if (!o->csv)
		fprintf(o->f, "共 %lld 笔转账；余额 %s 元\n", (long long)r->count,
		        zt_format_amount(b, r->closing));
}
