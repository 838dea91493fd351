/* zhitong — the ledger, for every engine (store.h ledger; ledger.h):
 * transfers, and the balances kept per account, overflow-checked before
 * anything is written (G5). */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../db.h"

static const char SQL_TRANSFER_INSERT[] =
	"INSERT INTO transfer (debit, credit, amount, kind, ref, settlement_id, at, id) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
/* The new balance, computed (overflow-checked) in C before anything is
 * written (G5). */
static const char SQL_ACCOUNT_PUT[] = "INSERT INTO account (name, balance) VALUES (?1, ?2) "
                                      "ON CONFLICT (name) DO UPDATE SET balance = excluded.balance";
/* SQLite may hold a REAL where an integer belongs (written by hand); a
 * PostgreSQL int8 is always whole fen */
static const char SQL_ACCOUNT_GET_SQLITE[] =
	"SELECT balance, typeof(balance) = 'integer' FROM account WHERE name = ?1";
static const char SQL_ACCOUNT_GET_PG[] = "SELECT balance, 1 FROM account WHERE name = ?1";
static const char SQL_BALANCES[] = "SELECT name, balance FROM account ORDER BY name COLLATE BINARY";
/* summed in parts: the debits and credits of years may pass int64 on the
 * way to a balance that fits (db.h) */
#define LEG "CASE WHEN debit = ?1 THEN amount ELSE -amount END"
static const char SQL_BALANCE_BEFORE[] =
	"SELECT " ZT_DB_SUM_HI(LEG) ", " ZT_DB_SUM_LO(LEG) " FROM transfer "
	"WHERE (debit = ?1 OR credit = ?1) AND at < ?2";
#define TRANSFER_COLUMNS                                                                     \
	"SELECT id, at, debit, credit, amount, kind, ref, COALESCE(settlement_id, 0), "          \
	"COALESCE((SELECT s.pool FROM settlement s WHERE s.id = transfer.settlement_id), '') "
/* the transfers summed by debit, credit and the pool of their settlement
 * ('' for none): each pool's books (ledger.h) */
static const char SQL_LEGS[] =
	"SELECT t.debit, t.credit, COALESCE(s.pool, ''), CAST(SUM(t.amount) AS BIGINT) "
	"FROM transfer t LEFT JOIN settlement s ON s.id = t.settlement_id "
	"GROUP BY t.debit, t.credit, COALESCE(s.pool, '')";
static const char SQL_TRANSFERS[] =
	TRANSFER_COLUMNS "FROM transfer WHERE (debit = ?1 OR credit = ?1) AND at >= ?2 ORDER BY id";
/* "starts with", whatever the characters of the prefix (LIKE would read
 * its % and _) */
static const char SQL_SCAN[] =
	TRANSFER_COLUMNS "FROM transfer WHERE substr(debit, 1, length(CAST(?1 AS TEXT))) = ?1 "
	"OR substr(credit, 1, length(CAST(?1 AS TEXT))) = ?1 ORDER BY id";

/* ---- the transaction's balances ----------------------------------------------- */

/* The stored balance of `account` (0 if it has none). A balance that is
 * not an integer (written by hand, or by a zhitong before the overflow
 * checks) is refused: `verify` names it. */
static int stored_balance(struct zt_db *q, const char *account, zt_fen *out, bool *exists)
{
	struct zt_db_stmt *p;
	int r = zt_db_prepare(q, zt_db_sql(q, SQL_ACCOUNT_GET_SQLITE, SQL_ACCOUNT_GET_PG), &p);
	if (r)
		return r;
	zt_db_bind_text(p, 1, account);
	if ((r = zt_db_row(q, p, "read balance")) < 0)
		return r;
	*out = r ? zt_db_column_int64(p, 0) : 0;
	bool integer = r == 0 || zt_db_column_int(p, 1) != 0;
	if (exists)
		*exists = r == 1;
	zt_db_done(p);
	if (!integer)
		return zt_error_set(ZT_EINTERNAL, "account '%s' holds a balance that is not a whole "
		                    "number of fen: run 'zhitong verify'", account);
	return 0;
}

static struct zt_db_delta *delta(struct zt_db *q, size_t i) { return (struct zt_db_delta *)q->deltas.items + i; }

/* This transaction's delta of `account` (*out), made with the stored
 * balance as its base on first use. */
static int find_delta(struct zt_db *q, const char *account, struct zt_db_delta **out)
{
	for (size_t i = 0; i < q->deltas.n; i++)
		if (strcmp(delta(q, i)->name, account) == 0) {
			*out = delta(q, i);
			return 0;
		}
	zt_fen base;
	int rc = stored_balance(q, account, &base, NULL);
	char *name = rc ? NULL : strdup(account);
	if (rc || !name)
		return rc ? rc : zt_error_set(ZT_ENOMEM, "out of memory");
	struct zt_db_delta *d = zt_db_rows_push(&q->deltas);
	if (!d) {
		free(name);
		return ZT_ENOMEM;
	}
	*d = (struct zt_db_delta){name, base, base};
	*out = d;
	return 0;
}

int zt_db_ledger_flush(struct zt_db *q)
{
	for (size_t i = 0; i < q->deltas.n; i++) {
		const struct zt_db_delta *d = delta(q, i);
		if (d->balance == d->base)
			continue;
		struct zt_db_stmt *p;
		int rc = zt_db_prepare(q, SQL_ACCOUNT_PUT, &p);
		if (rc)
			return rc;
		zt_db_bind_text(p, 1, d->name);
		zt_db_bind_int64(p, 2, d->balance);
		if ((rc = zt_db_run(q, p, "update account balance")) != 0)
			return rc;
	}
	if (!q->keep_balances) {
		zt_db_ledger_clear(q);
		return 0;
	}
	/* kept for the next transaction: what is stored now (db.h) */
	for (size_t i = 0; i < q->deltas.n; i++)
		delta(q, i)->base = delta(q, i)->balance;
	return 0;
}

void zt_db_ledger_clear(struct zt_db *q)
{
	for (size_t i = 0; i < q->deltas.n; i++)
		free(delta(q, i)->name);
	q->deltas.n = 0;
	q->audit_known = false; /* db.h */
}

int zt_db_ledger_mark(struct zt_db *q)
{
	if (q->sp_cap < q->deltas.n) {
		size_t cap = q->deltas.n * 2;
		zt_fen *n = realloc(q->sp_balances, cap * sizeof *n);
		if (!n)
			return zt_error_set(ZT_ENOMEM, "out of memory");
		q->sp_balances = n;
		q->sp_cap = cap;
	}
	for (size_t i = 0; i < q->deltas.n; i++)
		q->sp_balances[i] = delta(q, i)->balance;
	q->sp_delta_count = q->deltas.n;
	return 0;
}

void zt_db_ledger_restore(struct zt_db *q)
{
	for (size_t i = q->sp_delta_count; i < q->deltas.n; i++)
		free(delta(q, i)->name);
	q->deltas.n = q->sp_delta_count;
	for (size_t i = 0; i < q->deltas.n; i++)
		delta(q, i)->balance = q->sp_balances[i];
}

/* The balance `d` would have after moving by `amount`, or ZT_ERANGE naming
 * the account when it would leave the range of a balance (int64 fen). */
static int balance_after(zt_fen *out, const struct zt_db_delta *d, zt_fen amount)
{
	if (!__builtin_add_overflow(d->balance, amount, out))
		return 0;
	char b[ZT_FMT_BYTES], a[ZT_FMT_BYTES], m[ZT_FMT_BYTES];
	/* amount is a transfer's (> 0) or its negation: never INT64_MIN */
	return zt_error_set(ZT_ERANGE, "ledger: the balance of account '%s' would overflow: %s %s "
	                    "%s is beyond %s%s", d->name, zt_format_amount(b, d->balance),
	                    amount < 0 ? "less" : "plus", zt_format_amount(a, amount < 0 ? -amount : amount),
	                    amount < 0 ? "-" : "", zt_format_amount(m, INT64_MAX));
}

/* Transfers move money, they never make or lose any: what the transaction
 * moved sums to zero over its accounts. */
static bool balanced(struct zt_db *q)
{
	__int128 sum = 0;
	for (size_t i = 0; i < q->deltas.n; i++)
		sum += (__int128)delta(q, i)->balance - delta(q, i)->base;
	return sum == 0;
}

int zt_db_ledger_post(struct zt_db *q, const struct zt_posting *t, int64_t settlement_row)
{
	int rc = zt_db_need_write(q, "transfer");
	if (rc)
		return rc;
	if (t->amount <= 0 || strcmp(t->debit, t->credit) == 0)
		return zt_error_set(ZT_EINTERNAL, "transfer %s -> %s of %lld is not allowed", t->debit,
		                    t->credit, (long long)t->amount);
	/* Both balances are checked before anything is written. */
	struct zt_db_delta *debit, *credit;
	zt_fen after_debit, after_credit;
	/* the credit's delta may move the array: the debit's is found again */
	if ((rc = find_delta(q, t->credit, &credit)) || (rc = find_delta(q, t->debit, &debit)) ||
	    (rc = find_delta(q, t->credit, &credit)) ||
	    (rc = balance_after(&after_debit, debit, t->amount)) ||
	    (rc = balance_after(&after_credit, credit, -t->amount)))
		return rc;
	struct zt_db_stmt *p;
	if ((rc = zt_db_prepare(q, SQL_TRANSFER_INSERT, &p)) != 0)
		return rc;
	zt_db_bind_text(p, 1, t->debit);
	zt_db_bind_text(p, 2, t->credit);
	zt_db_bind_int64(p, 3, t->amount);
	zt_db_bind_text(p, 4, t->kind);
	zt_db_bind_text(p, 5, t->ref);
	if (settlement_row > 0)
		zt_db_bind_int64(p, 6, settlement_row);
	zt_db_bind_text(p, 7, zt_db_now(q));
	if (q->next_transfer_id) /* numbered by the engine (db.h), else by the database */
		zt_db_bind_int64(p, 8, q->next_transfer_id);
	if ((rc = zt_db_run(q, p, "store transfer")))
		return rc;
	if (q->next_transfer_id)
		q->next_transfer_id++;
	debit->balance = after_debit;
	credit->balance = after_credit;
	assert(balanced(q));
	return 0;
}

/* ---- the operations ---------------------------------------------------------- */

static int post(struct zt_store *s, const struct zt_posting *t, int64_t settlement_row)
{
	return zt_db_ledger_post(zt_db_of(s), t, settlement_row);
}

static int balance(struct zt_store *s, const char *account, zt_fen *out, bool *exists)
{
	struct zt_db *q = zt_db_of(s);
	int rc = stored_balance(q, account, out, exists);
	/* this transaction's changes, not yet written; a balance kept from
	 * before (keep_balances) may be stale outside a write transaction */
	for (size_t i = 0; rc == 0 && i < q->deltas.n; i++)
		if (strcmp(delta(q, i)->name, account) == 0 && delta(q, i)->balance != delta(q, i)->base) {
			*out = delta(q, i)->balance;
			*exists = true;
		}
	return rc;
}

static int balances(struct zt_store *s, int (*cb)(void *ctx, const char *account, zt_fen balance),
                    void *ctx)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_BALANCES, &p), r;
	if (rc)
		return rc;
	while ((r = zt_db_row(q, p, "read balances")) == 1)
		if ((rc = cb(ctx, zt_db_column_text(p, 0), zt_db_column_int64(p, 1))) != 0)
			break;
	zt_db_done(p);
	return rc ? rc : r;
}

static int balance_before(struct zt_store *s, const char *account, const char *before_at,
                          zt_fen *out)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_BALANCE_BEFORE, &p);
	if (rc)
		return rc;
	zt_db_bind_text(p, 1, account);
	zt_db_bind_text(p, 2, before_at);
	if ((rc = zt_db_row(q, p, "read opening balance")) != 1)
		return rc ? rc : zt_error_set(ZT_EINTERNAL, "SUM gave no row");
	int64_t hi = zt_db_column_int64(p, 0), lo = zt_db_column_int64(p, 1);
	zt_db_done(p);
	if (!zt_db_join_sum(out, hi, lo))
		return zt_error_set(ZT_ERANGE, "the opening balance of '%s' is beyond int64", account);
	return 0;
}

static int walk(struct zt_db *q, struct zt_db_stmt *p, zt_transfer_cb cb, void *ctx)
{
	int rc = 0, r;
	while ((r = zt_db_row(q, p, "read transfers")) == 1) {
		struct zt_transfer t = {
			.id = zt_db_column_int64(p, 0),
			.at = zt_db_column_text(p, 1),
			.debit = zt_db_column_text(p, 2),
			.credit = zt_db_column_text(p, 3),
			.amount = zt_db_column_int64(p, 4),
			.kind = zt_db_column_text(p, 5),
			.ref = zt_db_column_text(p, 6),
			.settlement_row = zt_db_column_int64(p, 7),
			.pool = zt_db_column_text(p, 8),
		};
		if ((rc = cb(ctx, &t)) != 0)
			break;
	}
	zt_db_done(p);
	return rc ? rc : r;
}

static int legs(struct zt_store *s,
                int (*cb)(void *ctx, const char *debit, const char *credit, const char *pool,
                          zt_fen sum),
                void *ctx)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_LEGS, &p), r;
	if (rc)
		return rc;
	while ((r = zt_db_row(q, p, "read the ledger's legs")) == 1)
		if ((rc = cb(ctx, zt_db_column_text(p, 0), zt_db_column_text(p, 1),
		             zt_db_column_text(p, 2), zt_db_column_int64(p, 3))) != 0)
			break;
	zt_db_done(p);
	return rc ? rc : r;
}

static int transfers(struct zt_store *s, const char *account, const char *since_at,
                     zt_transfer_cb cb, void *ctx)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_TRANSFERS, &p);
	if (rc)
		return rc;
	zt_db_bind_text(p, 1, account);
	zt_db_bind_text(p, 2, since_at ? since_at : "");
	return walk(q, p, cb, ctx);
}

static int scan(struct zt_store *s, const char *prefix, zt_transfer_cb cb, void *ctx)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_SCAN, &p);
	if (rc)
		return rc;
	zt_db_bind_text(p, 1, prefix);
	return walk(q, p, cb, ctx);
}

const struct zt_store_ledger_ops zt_db_ledger_ops = {
	.post = post,
	.balance = balance,
	.balances = balances,
	.balance_before = balance_before,
	.transfers = transfers,
	.legs = legs,
	.scan = scan,
};

int zt_db_savepoint_mark(struct zt_db *q)
{
	int rc = zt_db_ledger_mark(q);
	q->sp_next_settlement_id = q->next_settlement_id;
	q->sp_next_claim_id = q->next_claim_id;
	q->sp_next_transfer_id = q->next_transfer_id;
	q->sp_accum_count = q->accums.n;
	q->sp_audit_known = q->audit_known;
	q->sp_audit_seq = q->audit_seq;
	memcpy(q->sp_audit_hash, q->audit_hash, sizeof q->sp_audit_hash);
	return rc;
}

void zt_db_savepoint_restore(struct zt_db *q)
{
	zt_db_ledger_restore(q);
	if (q->accums.n > q->sp_accum_count)
		q->accums.n = q->sp_accum_count;
	q->next_settlement_id = q->sp_next_settlement_id;
	q->next_claim_id = q->sp_next_claim_id;
	q->next_transfer_id = q->sp_next_transfer_id;
	q->audit_known = q->sp_audit_known;
	q->audit_seq = q->sp_audit_seq;
	memcpy(q->audit_hash, q->sp_audit_hash, sizeof q->audit_hash);
}
