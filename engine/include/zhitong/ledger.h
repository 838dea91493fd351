/* zhitong — reading the ledger (every transfer a debit and a credit) (docs/spec/money-flow.md "Ledger").
 *
 * Every movement of money is a transfer: a debit account, a credit
 * account, a positive amount in fen, a kind, a reference and a unique id.
 * The domain decides what a movement posts (the zt_ledger_* builders
 * below: a settlement's legs); the store writes each transfer with
 * ledger.post (store.h), which moves both balances overflow-checked, and
 * never changes one; a correction is a new transfer. Balances are
 * debit-positive: an account's balance is the sum of its debits minus the
 * sum of its credits, so the balances of all accounts sum to 0.
 *
 * Callbacks below run while a read statement is open: they may print or
 * collect, but must not write to the same store. A non-zero return from a
 * callback stops the walk and is returned as is. */
#ifndef ZHITONG_LEDGER_H
#define ZHITONG_LEDGER_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h" /* ZT_POOL_ID_BYTES */
#include "limits.h"
#include "money.h"

struct zt_store; /* store.h */

/* The pool's bank account as the books see it. */
#define ZT_ACCOUNT_POOL_BANK "pool:bank"

/* ---- each pool its own books (issue 13 §2) ----
 * The accounts of a pool — fund:<code>, pool:bank, suspense:bank,
 * refund:bank, write-off:pool — are named as before for the pool
 * "default" and `<name>@<pool>` for any other pool P (fund:390100@city,
 * pool:bank@city): a pool id is [A-Za-z0-9_-] and a fund code digits, so
 * the form cannot be another account's. The hospitals' accounts
 * (hospital:H, hospital-burden:H, patient:H, claims:H) and the national
 * platform's keep one name: a transfer on them is of the pool of its
 * settlement (a hospital moved to another county has transfers of both).
 * A transfer is of one pool: its settlement's, else its pool account's. */
#define ZT_ACCOUNT_NAME_BYTES 80
/* `base` (one of the names above) of pool `pool` (NULL or "": default). */
void zt_ledger_pool_account(char out[ZT_ACCOUNT_NAME_BYTES], const char *base, const char *pool);
/* Whether `account` is a pool's own account (one of the names above, of
 * any pool); its pool into `pool` (may be NULL) if it is. */
bool zt_ledger_account_pool(const char *account, char pool[ZT_POOL_ID_BYTES]);

/* One transfer; the strings are valid during the callback only. */
struct zt_transfer {
	int64_t id;
	const char *at;     /* "2024-03-01T09:30:00Z", UTC */
	const char *debit;
	const char *credit;
	zt_fen amount;      /* > 0 */
	const char *kind;   /* settle reverse advance … */
	const char *ref;    /* setl_id, advance id, … */
	int64_t settlement_row; /* 0 when not a settlement's */
	const char *pool;   /* its settlement's pool ("" when not a settlement's) */
};

/* The pool of a transfer (ledger.h above): its settlement's, else that of
 * its debit or credit account that is a pool's own, else default. */
void zt_ledger_transfer_pool(const struct zt_transfer *t, char pool[ZT_POOL_ID_BYTES]);

typedef int (*zt_transfer_cb)(void *ctx, const struct zt_transfer *t);

/* The signed effect of `t` on `account`: +amount if debited, -amount if
 * credited, 0 if it does not touch the account. */
zt_fen zt_transfer_effect(const struct zt_transfer *t, const char *account);

/* One account's balance; ZT_ENOTFOUND (message set) if no transfer has
 * ever touched it — so a misspelt name is not silently 0.00. */
int zt_ledger_balance(struct zt_store *s, const char *account, zt_fen *out);

/* The balance of `account` from its transfers made before day `since`
 * (a day of the pool's time zone; 0: nothing is before, the opening is 0). With
 * zt_ledger_transfers(…, since, …) it gives a running balance that ends at
 * the account's balance. */
int zt_ledger_opening_balance(struct zt_store *s, const char *account, zt_date since,
                              zt_fen *out);

/* The transfers that debit or credit `account`, made on or after day
 * `since` (0: all), in id order (the order they were written). */
int zt_ledger_transfers(struct zt_store *s, const char *account, zt_date since,
                        zt_transfer_cb cb, void *ctx);

/* ---- use cases (ledger.c): what `zhitong ledger` reads ------------------ */

/* `ledger balance`: one account's balance (`account`; ZT_ENOTFOUND if no
 * transfer ever touched it), or every account's, in name order. `begin`
 * (may be NULL) is called once the account is known, before the first
 * row; `row` once per account. The result has the count and the sum of
 * what was listed: 0 for every account, since every transfer debits and
 * credits the same amount (unless the books were tampered with: verify). */
struct zt_ledger_balances_req {
	const char *account; /* NULL: every account */
	int (*begin)(void *ctx);
	int (*row)(void *ctx, const char *account, zt_fen balance);
	void *ctx;
	/* NULL: the database's books; a pool: its books only — each account
	 * with the sum of that pool's transfers (a pool's own account of
	 * another pool is not listed; `account` names one as of any pool, the
	 * pool's own name taken: fund:F is fund:F@P) */
	const char *pool;
};
struct zt_ledger_balances_res {
	int64_t count;
	zt_fen sum;
	bool sum_overflows; /* the sum is past int64 (sum is then meaningless) */
};
int zt_ledger_balances(struct zt_store *s, const struct zt_ledger_balances_req *req,
                       struct zt_ledger_balances_res *out);

/* `ledger transfers`: an account's history from day `since` (pool-local;
 * 0: all) with the running balance after each transfer. ZT_ENOTFOUND for
 * an account no transfer ever touched; `begin` (may be NULL) gets the
 * opening balance (of the transfers before `since`) before the first row.
 * The result: the number of transfers listed and the closing balance,
 * which is the account's balance. ZT_ERANGE if the running balance
 * overflows. */
struct zt_ledger_history_req {
	const char *account;
	zt_date since;
	int (*begin)(void *ctx, zt_fen opening);
	int (*row)(void *ctx, const struct zt_transfer *t, zt_fen balance_after);
	void *ctx;
	const char *pool; /* NULL: every transfer; a pool: its transfers (as balances_req) */
};
struct zt_ledger_history_res {
	int64_t count;
	zt_fen opening, closing;
};
int zt_ledger_history(struct zt_store *s, const struct zt_ledger_history_req *req,
                      struct zt_ledger_history_res *out);

/* ---- what a settlement posts (docs/spec/money-flow.md "Ledger") ----------- */

/* The legs of a settlement (sign +1) of hospital `hospital` or of its
 * reversal (-1) in pool `pool` (NULL: default): each fund's share
 * fund:<code>[@pool] → hospital:<H> (the fund now
 * owes the pool; the hospital has earned that part of its advance), the
 * hospital's burden hospital-burden:<H> → claims:<H> and the patient's share
 * patient:<H> → claims:<H>; a reversal the opposite. They move, together,
 * |medfee_sumamt|. `names` holds the account names the postings point
 * into (keep it as long as them). Returns the number of postings
 * (≤ ZT_SETTLEMENT_POSTINGS_MAX). */
#define ZT_SETTLEMENT_POSTINGS_MAX (3 + ZT_RELIEF_MAX + 2)
struct zt_posting;
struct zt_settlement_accounts {
	char hospital[80], claims[80], burden[80], patient[80];
	char funds[3 + ZT_RELIEF_MAX][ZT_ACCOUNT_NAME_BYTES];
};
int zt_ledger_settlement_postings(struct zt_posting *out, struct zt_settlement_accounts *names,
                                  int sign, const char *hospital, const char *pool,
                                  const char *const *fund_codes,
                                  const zt_fen *amounts, int n, zt_fen hosp_part, zt_fen psn_part);

#endif
