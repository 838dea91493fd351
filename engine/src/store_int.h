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
const struct zt_verify_check *zt_verify_checks_advances(size_t *n); /* store_advances.c */
const struct zt_verify_check *zt_verify_checks_batches(size_t *n);  /* store_batches.c */
const struct zt_verify_check *zt_verify_checks_reconcile(size_t *n); /* store_reconcile.c */

#endif
