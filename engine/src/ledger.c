/* zhitong — the ledger's rules (ledger.h; docs/spec/money-flow.md
 * "Ledger"): what a settlement posts, and reading an account by days of
 * the pool. The store writes and sums the transfers (store.h ledger). */
#include "zhitong/ledger.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zhitong/alloc.h"
#include "zhitong/error.h"
#include "zhitong/store.h"

zt_fen zt_transfer_effect(const struct zt_transfer *t, const char *account)
{
	if (strcmp(t->debit, account) == 0)
		return t->amount;
	if (strcmp(t->credit, account) == 0)
		return -t->amount;
	return 0;
}

int zt_ledger_balance(struct zt_store *s, const char *account, zt_fen *out)
{
	zt_fen v = 0;
	bool exists = false;
	int rc = s->ops->ledger.balance(s, account, &v, &exists);
	if (rc)
		return rc;
	if (!exists && v == 0)
		return zt_error_set(ZT_ENOTFOUND, "account '%s': no transfer has ever touched it", account);
	*out = v;
	return 0;
}

/* The first instant of pool-local day d as a store timestamp, for
 * comparison with a transfer's time (docs/spec/rules-v2.md §5); "" (before
 * everything) for day 0. */
static void day_text(char out[ZT_FMT_BYTES], zt_date d)
{
	if (d > 0)
		zt_timestamp_day_start(out, d);
	else
		out[0] = '\0';
}

int zt_ledger_opening_balance(struct zt_store *s, const char *account, zt_date since,
                              zt_fen *out)
{
	char day[ZT_FMT_BYTES];
	day_text(day, since);
	return s->ops->ledger.balance_before(s, account, day, out);
}

int zt_ledger_transfers(struct zt_store *s, const char *account, zt_date since,
                        zt_transfer_cb cb, void *ctx)
{
	char day[ZT_FMT_BYTES];
	day_text(day, since);
	return s->ops->ledger.transfers(s, account, day, cb, ctx);
}

/* ---- each pool its own books ---------------------------------------------- */

void zt_ledger_pool_account(char out[ZT_ACCOUNT_NAME_BYTES], const char *base, const char *pool)
{
	if (!pool || !pool[0] || strcmp(pool, ZT_POOL_DEFAULT) == 0)
		snprintf(out, ZT_ACCOUNT_NAME_BYTES, "%s", base);
	else
		snprintf(out, ZT_ACCOUNT_NAME_BYTES, "%s@%s", base, pool);
}

/* A pool's own accounts: fund:<digits>, and four fixed names. */
static bool pool_base(const char *s, size_t n)
{
	static const char *const fixed[] = {ZT_ACCOUNT_POOL_BANK, "suspense:bank", "refund:bank",
	                                    "write-off:pool"};
	for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
		if (strlen(fixed[i]) == n && memcmp(s, fixed[i], n) == 0)
			return true;
	if (n <= 5 || memcmp(s, "fund:", 5) != 0)
		return false;
	for (size_t i = 5; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

bool zt_ledger_account_pool(const char *account, char pool[ZT_POOL_ID_BYTES])
{
	const char *at = strchr(account, '@');
	size_t n = at ? (size_t)(at - account) : strlen(account);
	if (!pool_base(account, n))
		return false;
	if (at && (!at[1] || strlen(at + 1) >= ZT_POOL_ID_BYTES))
		return false;
	if (pool)
		snprintf(pool, ZT_POOL_ID_BYTES, "%s", at ? at + 1 : ZT_POOL_DEFAULT);
	return true;
}

void zt_ledger_transfer_pool(const struct zt_transfer *t, char pool[ZT_POOL_ID_BYTES])
{
	if (t->pool && t->pool[0])
		snprintf(pool, ZT_POOL_ID_BYTES, "%s", t->pool);
	else if (!zt_ledger_account_pool(t->debit, pool) && !zt_ledger_account_pool(t->credit, pool))
		snprintf(pool, ZT_POOL_ID_BYTES, "%s", ZT_POOL_DEFAULT);
}

/* `account` as pool `pool` names it: a pool's own account of the pool
 * default (fund:F) is the pool's (fund:F@P); any other, itself. */
static const char *account_of_pool(char out[ZT_ACCOUNT_NAME_BYTES], const char *account,
                                   const char *pool)
{
	if (!pool || !account || strchr(account, '@') || !zt_ledger_account_pool(account, NULL))
		return account;
	zt_ledger_pool_account(out, account, pool);
	return out;
}

/* ---- one pool's books: every transfer of it, summed per account ----------- */

struct pool_leg {
	char *name;
	__int128 v;
};

struct pool_books {
	const char *pool;
	struct pool_leg *v;
	size_t n, cap;
};

static int pool_books_add(struct pool_books *b, const char *name, __int128 v)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		void *p = zt_realloc(b->v, cap * sizeof *b->v);
		if (!p)
			return zt_error_set(ZT_ENOMEM, "out of memory");
		b->v = p;
		b->cap = cap;
	}
	char *copy = strdup(name);
	if (!copy)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	b->v[b->n++] = (struct pool_leg){copy, v};
	return 0;
}

static int pool_books_leg(void *ctx, const char *debit, const char *credit, const char *pool,
                          zt_fen sum)
{
	struct pool_books *b = ctx;
	const struct zt_transfer t = {.debit = debit, .credit = credit, .pool = pool};
	char of[ZT_POOL_ID_BYTES];
	zt_ledger_transfer_pool(&t, of);
	if (strcmp(of, b->pool) != 0)
		return 0;
	int rc = pool_books_add(b, debit, sum);
	return rc ? rc : pool_books_add(b, credit, -(__int128)sum);
}

static int leg_cmp(const void *a, const void *b)
{
	return strcmp(((const struct pool_leg *)a)->name, ((const struct pool_leg *)b)->name);
}

static void pool_books_free(struct pool_books *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->v[i].name);
	free(b->v);
}

/* Pool req->pool's accounts in name order (bytewise), each once with its
 * balance of that pool's transfers: to cb, or the one of `only`. */
static int pool_balances(struct zt_store *s, const char *pool, const char *only,
                         int (*cb)(void *ctx, const char *account, zt_fen balance), void *ctx,
                         bool *found)
{
	struct pool_books b = {.pool = pool};
	int rc = s->ops->ledger.legs(s, pool_books_leg, &b);
	if (rc == 0 && b.n > 1)
		qsort(b.v, b.n, sizeof *b.v, leg_cmp);
	*found = false;
	for (size_t i = 0; rc == 0 && i < b.n;) {
		size_t j = i;
		__int128 v = 0;
		for (; j < b.n && strcmp(b.v[j].name, b.v[i].name) == 0; j++)
			v += b.v[j].v;
		if (v > INT64_MAX || v < INT64_MIN)
			rc = zt_error_set(ZT_ERANGE, "the balance of '%s' in pool %s is beyond int64",
			                  b.v[i].name, pool);
		else if (!only || strcmp(only, b.v[i].name) == 0) {
			*found = true;
			rc = cb(ctx, b.v[i].name, (zt_fen)v);
		}
		i = j;
	}
	pool_books_free(&b);
	return rc;
}

/* ---- use cases ---------------------------------------------------------- */

struct balances_walk {
	const struct zt_ledger_balances_req *req;
	struct zt_ledger_balances_res *res;
};

static int balances_row(void *ctx, const char *account, zt_fen balance)
{
	struct balances_walk *w = ctx;
	w->res->count++;
	if (__builtin_add_overflow(w->res->sum, balance, &w->res->sum))
		w->res->sum_overflows = true;
	return w->req->row ? w->req->row(w->req->ctx, account, balance) : 0;
}

int zt_ledger_balances(struct zt_store *s, const struct zt_ledger_balances_req *req,
                       struct zt_ledger_balances_res *out)
{
	*out = (struct zt_ledger_balances_res){0};
	struct balances_walk w = {req, out};
	if (req->pool) {
		char name[ZT_ACCOUNT_NAME_BYTES];
		const char *only = account_of_pool(name, req->account, req->pool);
		zt_fen one = 0;
		bool found;
		int rc = only ? zt_ledger_balance(s, only, &one) : 0; /* not-found as ever */
		if (rc == 0 && req->begin)
			rc = req->begin(req->ctx);
		if (rc == 0)
			rc = pool_balances(s, req->pool, only, balances_row, &w, &found);
		if (rc == 0 && only && !found) /* touched, but never by this pool */
			rc = balances_row(&w, only, 0);
		return rc;
	}
	zt_fen one = 0;
	int rc = req->account ? zt_ledger_balance(s, req->account, &one) : 0;
	if (rc == 0 && req->begin)
		rc = req->begin(req->ctx);
	if (rc)
		return rc;
	if (req->account)
		return balances_row(&w, req->account, one);
	return s->ops->ledger.balances(s, balances_row, &w);
}

struct history_walk {
	const struct zt_ledger_history_req *req;
	struct zt_ledger_history_res *res;
	const char *account;
	/* a pool's transfers: those before `before` make the opening */
	char before[ZT_FMT_BYTES];
	bool begun;
};

static int history_row(void *ctx, const struct zt_transfer *t)
{
	struct history_walk *w = ctx;
	if (w->req->pool) {
		char of[ZT_POOL_ID_BYTES];
		zt_ledger_transfer_pool(t, of);
		if (strcmp(of, w->req->pool) != 0)
			return 0;
		if (w->before[0] && strcmp(t->at, w->before) < 0) {
			if (__builtin_add_overflow(w->res->opening, zt_transfer_effect(t, w->account),
			                           &w->res->opening))
				return zt_error_set(ZT_ERANGE, "opening balance of '%s' overflows", w->account);
			w->res->closing = w->res->opening;
			return 0;
		}
		if (!w->begun) {
			w->begun = true;
			int rc = w->req->begin ? w->req->begin(w->req->ctx, w->res->opening) : 0;
			if (rc)
				return rc;
		}
	}
	if (__builtin_add_overflow(w->res->closing, zt_transfer_effect(t, w->account),
	                           &w->res->closing))
		return zt_error_set(ZT_ERANGE, "running balance of '%s' overflows", w->account);
	w->res->count++;
	return w->req->row ? w->req->row(w->req->ctx, t, w->res->closing) : 0;
}

int zt_ledger_history(struct zt_store *s, const struct zt_ledger_history_req *req,
                      struct zt_ledger_history_res *out)
{
	*out = (struct zt_ledger_history_res){0};
	char name[ZT_ACCOUNT_NAME_BYTES];
	struct history_walk w = {req, out, account_of_pool(name, req->account, req->pool), "", false};
	zt_fen now;
	if (req->pool) {
		/* one pool's transfers: the opening is theirs before `since`, read
		 * in the same walk */
		int rc = zt_ledger_balance(s, w.account, &now);
		if (rc)
			return rc;
		day_text(w.before, req->since);
		if ((rc = zt_ledger_transfers(s, w.account, 0, history_row, &w)) == 0 && !w.begun &&
		    req->begin)
			rc = req->begin(req->ctx, out->opening);
		return rc;
	}
	/* Same answer as `ledger balance`: an unknown account is not-found. */
	int rc = zt_ledger_balance(s, w.account, &now);
	if (rc || (rc = zt_ledger_opening_balance(s, w.account, req->since, &out->opening)))
		return rc;
	out->closing = out->opening;
	if (req->begin && (rc = req->begin(req->ctx, out->opening)))
		return rc;
	return zt_ledger_transfers(s, w.account, req->since, history_row, &w);
}

/* ---- what a settlement posts ---------------------------------------------- */

/* One leg, the right way round for a settlement (sign > 0) or a reversal. */
static void leg(struct zt_posting *t, int sign, const char *from, const char *to, zt_fen amount,
                const char *kind)
{
	*t = (struct zt_posting){sign > 0 ? from : to, sign > 0 ? to : from, amount, kind, NULL};
}

int zt_ledger_settlement_postings(struct zt_posting *out, struct zt_settlement_accounts *names,
                                  int sign, const char *hospital, const char *pool,
                                  const char *const *fund_codes,
                                  const zt_fen *amounts, int n, zt_fen hosp_part, zt_fen psn_part)
{
	assert(n >= 0 && n <= 3 + ZT_RELIEF_MAX && hosp_part >= 0 && psn_part >= 0);
	snprintf(names->hospital, sizeof names->hospital, "hospital:%s", hospital);
	snprintf(names->claims, sizeof names->claims, "claims:%s", hospital);
	snprintf(names->burden, sizeof names->burden, "hospital-burden:%s", hospital);
	snprintf(names->patient, sizeof names->patient, "patient:%s", hospital);
	const char *kind = sign > 0 ? "settle" : "reverse";
	int k = 0;
	for (int i = 0; i < n; i++) {
		char base[40];
		snprintf(base, sizeof base, "fund:%s", fund_codes[i]);
		zt_ledger_pool_account(names->funds[i], base, pool);
		leg(&out[k++], sign, names->funds[i], names->hospital, amounts[i], kind);
	}
	if (hosp_part > 0)
		leg(&out[k++], sign, names->burden, names->claims, hosp_part, kind);
	if (psn_part > 0)
		leg(&out[k++], sign, names->patient, names->claims, psn_part, kind);
	return k;
}
