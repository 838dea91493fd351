/* zhitong — private to the store module (store_*.c): every SQL statement of
 * the engine lives in a store_*.c file; nothing else includes sqlite3.h. */
#ifndef ZHITONG_STORE_INT_H
#define ZHITONG_STORE_INT_H

#include <sqlite3.h>

#include "zhitong/store.h"

/* The connection behind a store handle. */
sqlite3 *zt_store_db(struct zt_store *s);
/* A prepared statement for `sql` from the connection's cache, reset and
 * with its bindings cleared; the store owns it (reset it when done, never
 * finalize it). `sql` must be a string with static storage: its address is
 * the key. Not for a statement held open across calls (a cursor). */
int zt_store_stmt(struct zt_store *s, const char *sql, sqlite3_stmt **out);
/* The cached statement for `sql` as it is (not reset), or ZT_ENOTFOUND. */
int zt_store_stmt_peek(struct zt_store *s, const char *sql, sqlite3_stmt **out);
/* Whether zt_store_begin() is in force. */
bool zt_store_in_txn(const struct zt_store *s);

/* An invariant check of `zhitong verify`: `sql` returns one row (a
 * one-line message) per violation; `count_sql` counts what was looked at.
 * Each part of the store contributes its own list. */
struct zt_verify_check {
	const char *name;
	const char *count_sql;
	const char *sql;
};
/* Sums of fen that `verify` compares without overflowing: SQLite's SUM()
 * of integers fails past int64, and `+` turns to floating point, yet sums
 * of legitimate amounts (every debit of an account over the years) can go
 * past int64 even when what they are compared with fits. A sum is taken in
 * two parts, the billions and the remainders of its terms (ZT_SQL_SUM_HI /
 * _LO: no overflow below nine billion terms), and compared in the
 * canonical form q × 10^9 + r with 0 <= r < 10^9 (ZT_SQL_Q / _R of the two
 * parts; of a single value x: ZT_SQL_Q(x / 10^9, x % 10^9)). */
#define ZT_SQL_G "1000000000"
#define ZT_SQL_SUM_HI(e) "COALESCE(SUM((" e ") / " ZT_SQL_G "), 0)"
#define ZT_SQL_SUM_LO(e) "COALESCE(SUM((" e ") % " ZT_SQL_G "), 0)"
#define ZT_SQL_Q(h, l) "((" h ") + (" l ") / " ZT_SQL_G " - ((" l ") % " ZT_SQL_G " < 0))"
#define ZT_SQL_R(l) "((" l ") % " ZT_SQL_G " + ((" l ") % " ZT_SQL_G " < 0) * " ZT_SQL_G ")"
/* The sum read as ZT_SQL_SUM_HI, ZT_SQL_SUM_LO: hi × 10^9 + lo, or false
 * when it does not fit in int64. */
static inline bool zt_sql_join_sum(int64_t *out, int64_t hi, int64_t lo)
{
	const int64_t g = 1000000000;
	/* carry, then give both parts the sign of the whole, so that hi × 10^9
	 * overflows only when the whole does */
	if (__builtin_add_overflow(hi, lo / g, &hi))
		return false;
	lo %= g;
	if (hi > 0 && lo < 0) {
		hi--;
		lo += g;
	} else if (hi < 0 && lo > 0) {
		hi++;
		lo -= g;
	}
	int64_t v;
	return !__builtin_mul_overflow(hi, g, &v) && !__builtin_add_overflow(v, lo, out);
}

const struct zt_verify_check *zt_verify_checks_advances(size_t *n); /* store_advances.c */
const struct zt_verify_check *zt_verify_checks_batches(size_t *n);  /* store_batches.c */
const struct zt_verify_check *zt_verify_checks_reconcile(size_t *n); /* store_reconcile.c */

#endif
