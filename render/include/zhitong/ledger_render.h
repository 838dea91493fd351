/* zhitong — the ledger rendered (render/src/ledger_text.c): what the
 * ledger's use cases (ledger.h) return, as the text tables and the CSV
 * (csv.h) of `zhitong ledger`, for the CLI and the HTTP service alike.
 * Pure: rows in, bytes out to a FILE. */
#ifndef ZHITONG_LEDGER_RENDER_H
#define ZHITONG_LEDGER_RENDER_H

#include <stdbool.h>
#include <stdio.h>

#include "zhitong/csv.h"
#include "zhitong/ledger.h"

/* Where the rows go and how: the context of the callbacks below. */
struct zt_ledger_out {
	bool csv, bom;
	struct zt_csv w;
	FILE *f;
	const char *account; /* transfers: the account listed */
	zt_date since;       /* transfers: from this day (0: all) */
	const char *pool;    /* one pool's books (NULL: the database's) */
};

/* `ledger balance`: set req->begin, req->row to these, req->ctx to the
 * zt_ledger_out; after the use case, the end (text: the sum of every
 * balance, when every account was listed). */
int zt_ledger_render_balances_begin(void *out);
int zt_ledger_render_balance_row(void *out, const char *account, zt_fen balance);
void zt_ledger_render_balances_end(struct zt_ledger_out *o, const struct zt_ledger_balances_res *r,
                                   bool every_account);

/* `ledger transfers`: the same for an account's history. */
int zt_ledger_render_history_begin(void *out, zt_fen opening);
int zt_ledger_render_history_row(void *out, const struct zt_transfer *t, zt_fen balance_after);
void zt_ledger_render_history_end(struct zt_ledger_out *o, const struct zt_ledger_history_res *r);

#endif
