/* zhitong — the ledger's rules (ledger.h; docs/spec/money-flow.md
 * "Ledger"): what a settlement posts, and reading an account by days of
 * the pool. The store writes and sums the transfers (store.h ledger). */
#include "zhitong/ledger.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

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
};

static int history_row(void *ctx, const struct zt_transfer *t)
{
	struct history_walk *w = ctx;
	if (__builtin_add_overflow(w->res->closing, zt_transfer_effect(t, w->req->account),
	                           &w->res->closing))
		return zt_error_set(ZT_ERANGE, "running balance of '%s' overflows", w->req->account);
	w->res->count++;
	return w->req->row ? w->req->row(w->req->ctx, t, w->res->closing) : 0;
}

int zt_ledger_history(struct zt_store *s, const struct zt_ledger_history_req *req,
                      struct zt_ledger_history_res *out)
{
	*out = (struct zt_ledger_history_res){0};
	struct history_walk w = {req, out};
	zt_fen now;
	/* Same answer as `ledger balance`: an unknown account is not-found. */
	int rc = zt_ledger_balance(s, req->account, &now);
	if (rc || (rc = zt_ledger_opening_balance(s, req->account, req->since, &out->opening)))
		return rc;
	out->closing = out->opening;
	if (req->begin && (rc = req->begin(req->ctx, out->opening)))
		return rc;
	return zt_ledger_transfers(s, req->account, req->since, history_row, &w);
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
