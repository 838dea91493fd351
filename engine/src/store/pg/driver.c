/* zhitong — the driver of db.h over libpq: the aggregates of agg/ reach
 * PostgreSQL through these, and the helpers of util.c do the work (the
 * rewriting of ?N to $N too, once per statement). */
#include <stdlib.h>

#include "pg_int.h"

_Static_assert(offsetof(struct pg, zdb) == offsetof(struct zt_db_store, db),
               "the shared part right after the store");

static inline struct pg_stmt *st(struct zt_db_stmt *p) { return (struct pg_stmt *)p; }

static int prepare(struct zt_db *db, const char *sql, struct zt_db_stmt **out)
{
	struct pg_stmt *p;
	int rc = pg_stmt(pg_of_db(db), sql, &p);
	*out = rc ? NULL : &p->base;
	return rc;
}

static int prepare_own(struct zt_db *db, const char *sql, struct zt_db_stmt **out)
{
	struct pg_stmt *p;
	int rc = pg_stmt_own(pg_of_db(db), sql, &p);
	*out = rc ? NULL : &p->base;
	return rc;
}

static void finalize(struct zt_db_stmt *p) { pg_finalize(st(p)); }

static void done(struct zt_db_stmt *p) { pg_done(st(p)); }

static void bind_int64(struct zt_db_stmt *p, int i, int64_t v) { pg_bind_int64(st(p), i, v); }

static void bind_text(struct zt_db_stmt *p, int i, const char *v) { pg_bind_text(st(p), i, v); }

static void bind_blob(struct zt_db_stmt *p, int i, const void *v, size_t len) { pg_bind_blob(st(p), i, v, len); }

static int row(struct zt_db *db, struct zt_db_stmt *p, const char *what)
{
	return pg_row(pg_of_db(db), st(p), what);
}

static int run(struct zt_db *db, struct zt_db_stmt *p, const char *what)
{
	return pg_run(pg_of_db(db), st(p), what);
}

static int run_as(struct zt_db *db, struct zt_db_stmt *p, const char *what, bool conflict)
{
	return pg_run_as(pg_of_db(db), st(p), what, conflict);
}

static int64_t changes(struct zt_db *db) { return pg_changes(pg_of_db(db)); }

static bool column_null(struct zt_db_stmt *p, int i) { return pg_col_null(st(p), i); }

static int64_t column_int64(struct zt_db_stmt *p, int i) { return pg_col_int64(st(p), i); }

static const char *column_text(struct zt_db_stmt *p, int i) { return pg_col_text(st(p), i); }

static int column_blob(struct zt_db_stmt *p, int i, unsigned char *out, int cap)
{
	return pg_col_blob(st(p), i, out, cap);
}

/* bytea is read as hex text (\\x…): two characters a byte */
static int column_bytes(struct zt_db_stmt *p, int i)
{
	struct pg_stmt *s = st(p);
	int n = pg_col_bytes(s, i);
	return s->res && PQftype(s->res, i) == 17 /* bytea */ && n >= 2 ? (n - 2) / 2 : n;
}

static int exec(struct zt_db *db, const char *sql) { return pg_exec(pg_of_db(db), sql); }

static int error_as(struct zt_db *db, const char *what, bool conflict)
{
	return pg_error_as(pg_of_db(db), what, conflict);
}

static int need_write(struct zt_db *db, const char *what) { return pg_need_write(pg_of_db(db), what); }

static const char *now(struct zt_db *db) { return pg_now(pg_of_db(db)); }

static void defer(struct zt_db *db, bool on) { pg_of_db(db)->defer = on; }

static int flush(struct zt_db *db) { return pg_flush(pg_of_db(db)); }

/* the claim's writes left queued in a lazy transaction (txn.c) */
static int flush_late(struct zt_db *db)
{
	struct pg *q = pg_of_db(db);
	/* left in libpq's buffer: sent with the next read, one wake-up of the
	 * server a claim (sending them now cost a second one, and measured no
	 * faster on a loaded machine) */
	return q->lazy ? 0 : pg_flush(q);
}

static int prefetch(struct zt_db *db, struct zt_db_stmt *const *p, int n)
{
	return pg_prefetch(pg_of_db(db), (struct pg_stmt *const *)p, n);
}

static int read_ahead(struct zt_db *db, struct zt_db_stmt *const *p, int n, int *sent)
{
	return pg_read_ahead(pg_of_db(db), (struct pg_stmt *const *)p, n, sent);
}

static int prefetch_past(struct zt_db *db, struct zt_db_stmt *const *p, int n)
{
	return pg_prefetch_past(pg_of_db(db), (struct pg_stmt *const *)p, n);
}

const struct zt_db_driver pg_driver = {
	ZT_DB_DRIVER_OPS,
	.prefetch = prefetch,
	.prefetch_past = prefetch_past,
	.read_ahead = read_ahead,
	.flush_late = flush_late,
};
