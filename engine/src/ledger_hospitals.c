/* zhitong — the hospitals' accounts read from the ledger in one ordered
 * pass (ledger_int.h): advanced, earned (in a window too), balance and
 * since when it has been below zero. Used by the advances (plan,
 * status) and the reconciliation report. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_int.h"
#include "zhitong/alloc.h"
#include "zhitong/error.h"
#include "zhitong/ledger.h"
#include "zhitong/store.h"

/* ---- one pass over the hospitals' ledger ------------------------------- */

void ledger_pass_free(struct ledger_pass *p)
{
	free(p->v);
	memset(p, 0, sizeof *p);
}

static int collect_hospital(void *ctx, const struct zt_hospital *h)
{
	struct ledger_pass *p = ctx;
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		struct hosp *nv = zt_realloc(p->v, cap * sizeof *nv);
		if (!nv)
			return zt_error_set(ZT_ENOMEM, "out of memory");
		p->v = nv;
		p->cap = cap;
	}
	struct hosp *x = &p->v[p->n++];
	memset(x, 0, sizeof *x);
	x->h = *h;
	return 0;
}

static int cmp_code(const void *key, const void *elem)
{
	return strcmp(key, ((const struct hosp *)elem)->h.code);
}

/* The store lists hospitals in bytewise code order, which is strcmp's. */
struct hosp *find_hospital(const struct ledger_pass *p, const char *code)
{
	return p->n ? bsearch(code, p->v, p->n, sizeof *p->v, cmp_code) : NULL;
}

static bool in_window(const struct ledger_pass *p, const char *at)
{
	return p->from[0] && strcmp(at, p->from) >= 0 && strcmp(at, p->until) < 0;
}

/* One leg of transfer t on hospital x: `debited` says which side. */
static int apply_leg(const struct ledger_pass *p, struct hosp *x, const struct zt_transfer *t,
                     bool debited)
{
	const char *other = debited ? t->credit : t->debit;
	zt_fen before = x->balance, after;
	if (__builtin_add_overflow(before, debited ? t->amount : -t->amount, &after))
		return zt_error_set(ZT_ERANGE, "balance of hospital:%s overflows", x->h.code);
	x->balance = after;
	/* advancing_since: the moment of the last crossing below zero, as long
	 * as the balance has not come back up since. */
	if (before >= 0 && after < 0)
		snprintf(x->since, sizeof x->since, "%s", t->at);
	else if (after >= 0)
		x->since[0] = '\0';

	int rc = 0;
	if (strncmp(other, FUND_PREFIX, FUND_PREFIX_LEN) == 0) {
		/* A fund's share settled to the hospital (credit) or taken back
		 * by a reversal (debit): what it has earned. */
		zt_fen e = debited ? -t->amount : t->amount;
		rc = zt_add(&x->earned, x->earned, e);
		if (rc == 0 && in_window(p, t->at))
			rc = zt_add(&x->window_earned, x->window_earned, e);
	} else if (debited && strcmp(t->kind, "advance") == 0) {
		rc = zt_add(&x->advanced, x->advanced, t->amount);
	}
	return rc;
}

static int on_hospital_transfer(void *ctx, const struct zt_transfer *t)
{
	struct ledger_pass *p = ctx;
	int rc = 0;
	if (strncmp(t->debit, HOSPITAL_PREFIX, HOSPITAL_PREFIX_LEN) == 0) {
		struct hosp *x = find_hospital(p, t->debit + HOSPITAL_PREFIX_LEN);
		if (x)
			rc = apply_leg(p, x, t, true);
	}
	if (rc == 0 && strncmp(t->credit, HOSPITAL_PREFIX, HOSPITAL_PREFIX_LEN) == 0) {
		struct hosp *x = find_hospital(p, t->credit + HOSPITAL_PREFIX_LEN);
		if (x)
			rc = apply_leg(p, x, t, false);
	}
	return rc;
}

/* Every hospital of the registry with its totals from the ledger. */
int ledger_pass_run(struct zt_store *s, struct ledger_pass *p)
{
	int rc = s->ops->registry.each_hospital(s, collect_hospital, p);
	if (rc == 0)
		rc = s->ops->ledger.scan(s, HOSPITAL_PREFIX, on_hospital_transfer, p);
	return rc;
}

