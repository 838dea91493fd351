/* zhitong — `reconcile report`: what is billed, paid, open and overdue,
 * collected as data, reading only (see reconcile.h); render/ writes it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reconcile_int.h"
#include "zhitong/alloc.h"
#include "zhitong/error.h"
#include "zhitong/ledger.h"
#include "zhitong/store.h"

/* ---- report ------------------------------------------------------------------ */

struct grow {
	void **items;
	size_t *n;
	size_t cap, size;
};

static void *grow_push(struct grow *g)
{
	if (*g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 16;
		void *q = zt_realloc(*g->items, cap * g->size);
		if (!q) {
			zt_error_set(ZT_ENOMEM, "out of memory");
			return NULL;
		}
		*g->items = q;
		g->cap = cap;
	}
	return (char *)*g->items + g->size * (*g->n)++;
}

struct report_ctx {
	struct zt_store *s;
	struct zt_recon_report *r;
	const struct zt_recon_report_req *req;
	struct grow funds, hospitals, exceptions, open, days, overdue;
};

/* Whether the report covers `pool` (NULL: of no known pool, only in a
 * report of every pool). */
static bool covers(const struct report_ctx *c, const char *pool)
{
	if (c->req->pool_count == 0)
		return true;
	for (size_t i = 0; pool && i < c->req->pool_count; i++)
		if (strcmp(c->req->pools[i], pool) == 0)
			return true;
	return false;
}

/* The balance of account `base` over the pools the report covers (each
 * pool its own books: ledger.h): the pools it names, else every pool's
 * (base and base@P of any P: the database's). */
struct every_pool {
	const char *base;
	size_t n;
	zt_fen sum;
};

static int every_pool_row(void *ctx, const char *account, zt_fen balance)
{
	struct every_pool *e = ctx;
	if (strncmp(account, e->base, e->n) != 0 || (account[e->n] && account[e->n] != '@'))
		return 0;
	if (__builtin_add_overflow(e->sum, balance, &e->sum))
		return zt_error_set(ZT_ERANGE, "the balances of %s over the pools overflow", e->base);
	return 0;
}

static int pools_balance(const struct report_ctx *c, const char *base, zt_fen *out)
{
	*out = 0;
	if (c->req->pool_count == 0) {
		struct every_pool e = {base, strlen(base), 0};
		int rc = c->s->ops->ledger.balances(c->s, every_pool_row, &e);
		*out = e.sum;
		return rc;
	}
	for (size_t i = 0; i < c->req->pool_count; i++) {
		char name[ZT_ACCOUNT_NAME_BYTES];
		zt_fen v = 0;
		bool exists;
		zt_ledger_pool_account(name, base, c->req->pools[i]);
		int rc = c->s->ops->ledger.balance(c->s, name, &v, &exists);
		if (rc)
			return rc;
		if (__builtin_add_overflow(*out, v, out))
			return zt_error_set(ZT_ERANGE, "the balances of %s over the pools overflow", base);
	}
	return 0;
}

/* The only pool when one is configured, else NULL: everything is its own. */
static const char *only_pool(const struct report_ctx *c)
{
	return zt_config_pool_count(c->req->cfg) == 1 ? zt_config_pool_id(c->req->cfg, 0) : NULL;
}

/* The pool of a hospital: its county's (registry), NULL if unknown. */
static int hospital_pool(struct report_ctx *c, const char *hospital, const char **out)
{
	struct zt_hospital reg;
	int rc = c->s->ops->registry.get_hospital(c->s, hospital, &reg);
	*out = rc == 0 ? zt_config_pool_of_county(c->req->cfg, reg.county) : only_pool(c);
	return rc == ZT_ENOTFOUND ? 0 : rc;
}

/* Adds one pool's line of a fund to the fund's (the store's lines are
 * per fund and pool, a fund's consecutive). */
static int fund_add(struct zt_recon_fund_line *p, const struct zt_recon_fund_line *f)
{
	if (__builtin_add_overflow(p->billed, f->billed, &p->billed) ||
	    __builtin_add_overflow(p->paid, f->paid, &p->paid) ||
	    __builtin_add_overflow(p->written_off, f->written_off, &p->written_off) ||
	    __builtin_add_overflow(p->returned, f->returned, &p->returned) ||
	    __builtin_add_overflow(p->open_batches, f->open_batches, &p->open_batches))
		return zt_error_set(ZT_ERANGE, "fund %s: the sums would overflow", p->fund_code);
	if (f->oldest_sent && (!p->oldest_sent || f->oldest_sent < p->oldest_sent))
		p->oldest_sent = f->oldest_sent;
	return 0;
}

static int rep_fund(void *vctx, const struct zt_recon_fund_line *f)
{
	struct report_ctx *c = vctx;
	struct zt_recon_fund_line *p = c->r->fund_count ? &c->r->funds[c->r->fund_count - 1] : NULL;
	if (!p || strcmp(p->fund_code, f->fund_code) != 0) {
		/* every fund has its line, whatever pools its batches are of */
		if (!(p = grow_push(&c->funds)))
			return ZT_ENOMEM;
		*p = *f;
		p->pool[0] = 0;
		p->billed = p->paid = p->written_off = p->returned = p->open_batches = 0;
		p->oldest_sent = 0;
	}
	int rc = 0;
	if (!f->pool[0] || covers(c, f->pool))
		rc = fund_add(p, f);
	/* billed - paid - written off + returned: < 0 is owed back */
	if (rc == 0 && (__builtin_sub_overflow(p->billed, p->paid, &p->outstanding) ||
	                __builtin_sub_overflow(p->outstanding, p->written_off, &p->outstanding) ||
	                __builtin_add_overflow(p->outstanding, p->returned, &p->outstanding)))
		return zt_error_set(ZT_ERANGE, "fund %s: what is outstanding would overflow",
		                    p->fund_code);
	return rc;
}

static int rep_hospital(void *vctx, const struct zt_advance_status *h)
{
	struct report_ctx *c = vctx;
	if (!covers(c, zt_config_pool_of_county(c->req->cfg, h->county)))
		return 0;
	struct zt_recon_hospital_line *p = grow_push(&c->hospitals);
	if (!p)
		return ZT_ENOMEM;
	memset(p, 0, sizeof *p);
	snprintf(p->hospital, sizeof p->hospital, "%s", h->hospital);
	p->advanced = h->advanced;
	p->earned = h->earned;
	p->balance = h->balance;
	return 0;
}

/* Appends a copy of `item` to g's array. */
static int push_copy(struct grow *g, const void *item)
{
	void *p = grow_push(g);
	if (!p)
		return ZT_ENOMEM;
	memcpy(p, item, g->size);
	return 0;
}

static int rep_exception(void *vctx, const struct zt_recon_exception *x)
{
	struct report_ctx *c = vctx;
	if (!covers(c, zt_recon_exception_pool(c->req->cfg, x)))
		return 0;
	return push_copy(&c->exceptions, x);
}

static int rep_open(void *vctx, const struct zt_recon_open_line *o)
{
	struct report_ctx *c = vctx;
	const char *pool = zt_config_pool_of_account(c->req->cfg, o->account);
	if (!covers(c, pool ? pool : only_pool(c)))
		return 0;
	return push_copy(&c->open, o);
}

static int rep_day(void *vctx, const struct zt_recon_day *d)
{
	struct report_ctx *c = vctx;
	if (!covers(c, d->pool))
		return 0;
	struct zt_recon_day *p = c->r->day_count ? &c->r->days[c->r->day_count - 1] : NULL;
	if (p && p->day == d->day) {
		if (__builtin_add_overflow(p->billed, d->billed, &p->billed) ||
		    __builtin_add_overflow(p->paid, d->paid, &p->paid))
			return zt_error_set(ZT_ERANGE, "the day's sums would overflow");
		return 0;
	}
	int rc = push_copy(&c->days, d);
	if (rc == 0)
		c->r->days[c->r->day_count - 1].pool[0] = 0;
	return rc;
}

/* What zt_recon_match would raise on as_of, read only: each batch,
 * advance or repayment overdue that has no exception of that kind yet. */
static int rep_overdue(struct report_ctx *c, const struct zt_recon_overdue *o)
{
	bool exists;
	int rc = recon_overdue_raised(c->s, o, &exists);
	return rc || exists ? rc : push_copy(&c->overdue, o);
}

static int rep_due_batch(void *vctx, const struct zt_recon_batch *sent)
{
	struct report_ctx *c = vctx;
	struct zt_recon_overdue o;
	bool due;
	if (!covers(c, sent->pool))
		return 0;
	int rc = recon_overdue_batch(&c->r->cfg, sent, &o, &due);
	return rc || !due ? rc : rep_overdue(c, &o);
}

static int rep_due_advance(void *vctx, const struct zt_advance *a)
{
	struct report_ctx *c = vctx;
	struct zt_recon_overdue o;
	const char *pool = NULL;
	int rc = c->req->pool_count ? hospital_pool(c, a->hospital, &pool) : 0;
	if (rc || !covers(c, pool))
		return rc;
	recon_overdue_advance(&c->r->cfg, a, &o);
	return rep_overdue(c, &o);
}

static int rep_due_return(void *vctx, const struct zt_batch_return *r)
{
	struct report_ctx *c = vctx;
	struct zt_recon_overdue o;
	if (c->req->pool_count) {
		struct zt_recon_batch b;
		int rc = c->s->ops->bank.batch(c->s, r->batch_id, &b);
		if (rc || !covers(c, b.pool))
			return rc;
	}
	recon_overdue_return(&c->r->cfg, r, &o);
	return rep_overdue(c, &o);
}

int zt_recon_report(struct zt_store *s, const struct zt_recon_report_req *req,
                    struct zt_recon_report *out)
{
	memset(out, 0, sizeof *out);
	int rc;
	if ((rc = zt_date_as_of(&out->as_of, req->as_of, "--as-of")))
		return rc;
	if ((rc = zt_recon_config_load(&out->cfg, req->cfg)))
		return rc;
	for (size_t i = 0; i < req->pool_count; i++) {
		const char *id;
		if ((rc = zt_config_pool_pick(req->cfg, req->pools[i], &id)) != 0)
			return rc;
		size_t used = strlen(out->pools);
		snprintf(out->pools + used, sizeof out->pools - used, "%s%s", used ? ", " : "", id);
	}
	struct report_ctx c = {
		.s = s,
		.r = out,
		.req = req,
		.funds = {(void **)&out->funds, &out->fund_count, 0, sizeof *out->funds},
		.hospitals = {(void **)&out->hospitals, &out->hospital_count, 0, sizeof *out->hospitals},
		.exceptions = {(void **)&out->exceptions, &out->exception_count, 0,
		               sizeof *out->exceptions},
		.open = {(void **)&out->open, &out->open_count, 0, sizeof *out->open},
		.days = {(void **)&out->days, &out->day_count, 0, sizeof *out->days},
		.overdue = {(void **)&out->overdue, &out->overdue_count, 0, sizeof *out->overdue},
	};
	zt_date cutoff = zt_date_add(out->as_of, -out->cfg.expected_within_days - 1);
	if ((rc = c.s->ops->bank.report_funds(c.s, rep_fund, &c)) ||
	    (rc = zt_advance_status(s, rep_hospital, &c)) ||
	    (rc = c.s->ops->bank.exceptions(c.s, true, rep_exception, &c)) ||
	    (rc = c.s->ops->bank.report_open(c.s, rep_open, &c)) ||
	    (rc = c.s->ops->bank.report_days(c.s, rep_day, &c)) ||
	    (rc = c.s->ops->bank.sent_batches(c.s, cutoff, rep_due_batch, &c)) ||
	    (rc = c.s->ops->bank.due_advances(c.s, cutoff, rep_due_advance, &c)) ||
	    (rc = c.s->ops->bank.due_returns(c.s, cutoff, rep_due_return, &c)) ||
	    (rc = pools_balance(&c, ZT_ACCOUNT_SUSPENSE, &out->suspense)) ||
	    (rc = pools_balance(&c, ZT_ACCOUNT_POOL_BANK, &out->pool_bank)))
		goto done;
	/* a fund's ledger: its accounts of the pools covered (fund:F@P) */
	for (size_t i = 0; i < out->fund_count && rc == 0; i++) {
		char base[40];
		snprintf(base, sizeof base, "fund:%s", out->funds[i].fund_code);
		rc = pools_balance(&c, base, &out->funds[i].ledger);
	}
	if (rc)
		goto done;
	for (size_t i = 0; i < out->hospital_count && rc == 0; i++) {
		struct zt_recon_hospital_line *h = &out->hospitals[i];
		struct zt_hospital reg;
		rc = c.s->ops->bank.confirmed(c.s, h->hospital, &h->confirmed);
		/* the name finance reads (issue 10): the registry's, when it has one */
		if (rc == 0 && (rc = s->ops->registry.get_hospital(s, h->hospital, &reg)) == 0)
			snprintf(h->name, sizeof h->name, "%s", reg.name);
		else if (rc == ZT_ENOTFOUND)
			rc = 0;
	}
done:
	if (rc)
		zt_recon_report_free(out);
	return rc;
}

void zt_recon_report_free(struct zt_recon_report *r)
{
	free(r->funds);
	free(r->hospitals);
	free(r->exceptions);
	free(r->open);
	free(r->days);
	free(r->overdue);
	memset(r, 0, sizeof *r);
}
