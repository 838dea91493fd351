/* zhitong — the driver of db.h over SQLite: the aggregates of agg/ reach
 * SQLite through these, and the helpers of util.c do the work. */
#include <stdlib.h>
#include <string.h>

#include "sqlite_int.h"

_Static_assert(offsetof(struct sq, zdb) == offsetof(struct zt_db_store, db),
               "the shared part right after the store");

static inline sqlite3_stmt *st(struct zt_db_stmt *p) { return ((struct sq_dstmt *)p)->p; }

static int prepare(struct zt_db *db, const char *sql, struct zt_db_stmt **out)
{
	struct sq *q = sq_of_db(db);
	size_t i;
	int rc = sq_slot(q, sql, &i);
	*out = rc ? NULL : &q->cache[i].d.base;
	return rc;
}

static int prepare_own(struct zt_db *db, const char *sql, struct zt_db_stmt **out)
{
	*out = NULL;
	struct sq_dstmt *d = malloc(sizeof *d);
	if (!d)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	int rc = sq_stmt_own(sq_of_db(db), sql, &d->p);
	if (rc) {
		free(d);
		return rc;
	}
	d->base.drv = &sq_driver;
	*out = &d->base;
	return 0;
}

static void finalize(struct zt_db_stmt *p)
{
	sqlite3_finalize(st(p));
	free(p);
}

static void done(struct zt_db_stmt *p) { sqlite3_reset(st(p)); }

static void bind_int64(struct zt_db_stmt *p, int i, int64_t v) { sqlite3_bind_int64(st(p), i, v); }

static void bind_text(struct zt_db_stmt *p, int i, const char *v) { sq_bind_text(st(p), i, v); }

static void bind_blob(struct zt_db_stmt *p, int i, const void *v, size_t len)
{
	sqlite3_bind_blob(st(p), i, v, (int)len, SQLITE_STATIC);
}

static int row(struct zt_db *db, struct zt_db_stmt *p, const char *what)
{
	return sq_row(sq_of_db(db), st(p), what);
}

static int run(struct zt_db *db, struct zt_db_stmt *p, const char *what)
{
	return sq_run(sq_of_db(db), st(p), what);
}

/* A failed statement of SQLite undoes itself alone: the transaction goes on. */
static int run_as(struct zt_db *db, struct zt_db_stmt *p, const char *what, bool conflict)
{
	struct sq *q = sq_of_db(db);
	int rc = sqlite3_step(st(p)) == SQLITE_DONE ? 0 : sq_error_as(q, what, conflict);
	sqlite3_reset(st(p));
	return rc;
}

static int64_t changes(struct zt_db *db) { return sqlite3_changes(sq_of_db(db)->db); }

static bool column_null(struct zt_db_stmt *p, int i) { return sqlite3_column_type(st(p), i) == SQLITE_NULL; }

static int64_t column_int64(struct zt_db_stmt *p, int i) { return sqlite3_column_int64(st(p), i); }

static const char *column_text(struct zt_db_stmt *p, int i) { return sq_col_text(st(p), i); }

static int column_blob(struct zt_db_stmt *p, int i, unsigned char *out, int cap)
{
	const void *v = sqlite3_column_blob(st(p), i);
	int n = sqlite3_column_bytes(st(p), i);
	if (!v || n < 0)
		return 0;
	if (n > cap)
		n = cap;
	memcpy(out, v, (size_t)n);
	return n;
}

static int column_bytes(struct zt_db_stmt *p, int i) { return sqlite3_column_bytes(st(p), i); }

static int exec(struct zt_db *db, const char *sql) { return sq_exec(sq_of_db(db), sql); }

static int error_as(struct zt_db *db, const char *what, bool conflict)
{
	return sq_error_as(sq_of_db(db), what, conflict);
}

static int need_write(struct zt_db *db, const char *what) { return sq_need_write(sq_of_db(db), what); }

static const char *now(struct zt_db *db) { return sq_now(sq_of_db(db)); }

static void defer(struct zt_db *db, bool on)
{
	(void)db;
	(void)on;
}

static int flush(struct zt_db *db)
{
	(void)db;
	return 0;
}

const struct zt_db_driver sq_driver = {
	ZT_DB_DRIVER_OPS,
};
