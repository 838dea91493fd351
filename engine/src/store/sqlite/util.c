/* zhitong — the SQLite store's helpers (sqlite_int.h): the statement
 * cache, binding, reading, errors. Every file of the SQLite store uses
 * these and no others. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite_int.h"

/* ---- the statement cache ----------------------------------------------------- */

static size_t slot_of(const char *sql)
{
	/* the address of a static string: its low bits carry little */
	uintptr_t k = (uintptr_t)sql;
	k ^= k >> 17;
	k *= UINT64_C(0x9E3779B97F4A7C15);
	return (size_t)(k >> 40) & (SQ_CACHE_SLOTS - 1);
}

int sq_slot(struct sq *q, const char *sql, size_t *slot)
{
	size_t i = slot_of(sql);
	while (q->cache[i].sql && q->cache[i].sql != sql)
		i = (i + 1) & (SQ_CACHE_SLOTS - 1);
	*slot = i;
	if (q->cache[i].sql) {
		sqlite3_reset(q->cache[i].stmt);
		sqlite3_clear_bindings(q->cache[i].stmt);
		return 0;
	}
	/* half full at most: probing stays short, and the table never fills */
	if (q->cache_count >= SQ_CACHE_SLOTS / 2)
		return zt_error_set(ZT_EINTERNAL, "database '%s': the statement cache is full", q->path);
	sqlite3_stmt *p = NULL;
	if (sqlite3_prepare_v3(q->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &p, NULL) != SQLITE_OK)
		return sq_error(q, "prepare");
	q->cache[i].sql = sql;
	q->cache[i].stmt = p;
	q->cache[i].d = (struct sq_dstmt){{&sq_driver}, p};
	q->cache_count++;
	return 0;
}

int sq_stmt(struct sq *q, const char *sql, sqlite3_stmt **out)
{
	size_t i;
	int rc = sq_slot(q, sql, &i);
	*out = rc ? NULL : q->cache[i].stmt;
	return rc;
}

int sq_stmt_own(struct sq *q, const char *sql, sqlite3_stmt **out)
{
	if (sqlite3_prepare_v2(q->db, sql, -1, out, NULL) != SQLITE_OK) {
		*out = NULL;
		return sq_error(q, "prepare");
	}
	return 0;
}

void sq_done(sqlite3_stmt *p)
{
	if (p)
		sqlite3_reset(p);
}

void sq_reset_all(struct sq *q)
{
	for (size_t i = 0; i < SQ_CACHE_SLOTS; i++)
		if (q->cache[i].stmt)
			sqlite3_reset(q->cache[i].stmt);
}

/* ---- errors ---------------------------------------------------------------- */

int sq_error_as(struct sq *q, const char *what, bool conflict)
{
	int ec = sqlite3_errcode(q->db), code = ZT_EIO;
	const char *msg = sqlite3_errmsg(q->db);
	if (ec == SQLITE_BUSY || ec == SQLITE_LOCKED)
		code = ZT_EBUSY;
	else if (ec == SQLITE_CONSTRAINT)
		code = conflict ? ZT_ECONFLICT : ZT_EINTERNAL; /* a guard of the schema fired */
	else if (ec == SQLITE_ERROR && strcmp(msg, "integer overflow") == 0)
		code = ZT_ERANGE; /* SUM() past int64: refused, never rounded */
	return zt_error_set(code, "database '%s': %s: %s", q->path, what, msg);
}

int sq_error(struct sq *q, const char *what) { return sq_error_as(q, what, false); }

int sq_run(struct sq *q, sqlite3_stmt *p, const char *what)
{
	int rc = sqlite3_step(p) == SQLITE_DONE ? 0 : sq_error(q, what);
	sqlite3_reset(p);
	return rc;
}

int sq_row(struct sq *q, sqlite3_stmt *p, const char *what)
{
	int step = sqlite3_step(p);
	if (step == SQLITE_ROW)
		return 1;
	int rc = step == SQLITE_DONE ? 0 : sq_error(q, what);
	sqlite3_reset(p);
	return rc;
}

int sq_exec(struct sq *q, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(q->db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	int ec = sqlite3_errcode(q->db);
	int rc = zt_error_set(ec == SQLITE_BUSY || ec == SQLITE_LOCKED ? ZT_EBUSY : ZT_EIO,
	                      "database '%s': %s", q->path, msg ? msg : "error");
	sqlite3_free(msg);
	return rc;
}

int sq_need_write(struct sq *q, const char *what)
{
	if (q->txn != SQ_TXN_WRITE)
		return zt_error_set(ZT_EINTERNAL, "%s outside a write transaction", what);
	return 0;
}

const char *sq_now(struct sq *q)
{
	if (q->txn == SQ_NO_TXN || !q->now[0])
		zt_timestamp_utc(q->now, zt_date_now());
	return q->now;
}

/* ---- binding and reading ---------------------------------------------------- */

void sq_bind_text(sqlite3_stmt *p, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(p, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(p, i);
}

void sq_bind_opt(sqlite3_stmt *p, int i, const char *v) { sq_bind_text(p, i, v && v[0] ? v : NULL); }

const char *sq_col_text(sqlite3_stmt *p, int i)
{
	const unsigned char *t = sqlite3_column_text(p, i);
	return t ? (const char *)t : "";
}

void sq_col_copy(char *dst, size_t cap, sqlite3_stmt *p, int i)
{
	snprintf(dst, cap, "%s", sq_col_text(p, i));
}

int sq_col_name(sqlite3_stmt *p, int i, const char *const *names, int n, int otherwise)
{
	const char *v = sq_col_text(p, i);
	for (int k = 0; k < n; k++)
		if (strcmp(names[k], v) == 0)
			return k;
	return otherwise;
}
