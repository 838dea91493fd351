/* zhitong — the driver's helpers common to every engine (db.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zhitong/text.h"
#include "../db.h"

int zt_db_insert_id(struct zt_db *db, struct zt_db_stmt *p, const char *what, int64_t *row_out)
{
	int r = zt_db_row(db, p, what);
	*row_out = 0;
	if (r == 1) {
		*row_out = zt_db_column_int64(p, 0);
		zt_db_done(p);
		return 0;
	}
	return r;
}

int zt_db_insert_row(struct zt_db *db, struct zt_db_stmt *p, const char *what, int64_t *row_out)
{
	if (db->pg)
		return zt_db_insert_id(db, p, what, row_out);
	*row_out = 0;
	int rc = zt_db_run(db, p, what);
	if (rc || zt_db_changes(db) == 0) /* ON CONFLICT DO NOTHING: nothing */
		return rc;
	struct zt_db_stmt *r;
	if ((rc = zt_db_prepare(db, "SELECT last_insert_rowid()", &r)) != 0)
		return rc;
	int step = zt_db_row(db, r, what);
	if (step == 1) {
		*row_out = zt_db_column_int64(r, 0);
		zt_db_done(r);
		return 0;
	}
	return step < 0 ? step : zt_error_set(ZT_EINTERNAL, "%s: the new row has no number", what);
}

/* A batch export copies ten strings a record: without printf. */
void zt_db_column_copy(char *dst, size_t cap, struct zt_db_stmt *p, int i)
{
	zt_text_put(dst, cap, zt_db_column_text(p, i));
}

int zt_db_count_used(struct zt_db *db, const char *sql, int64_t row, zt_date from,
                     const char *what, int64_t *out)
{
	struct zt_db_stmt *p;
	int r = zt_db_prepare(db, sql, &p);
	if (r)
		return r;
	zt_db_bind_int64(p, 1, row);
	zt_db_bind_int(p, 2, from);
	if ((r = zt_db_row(db, p, what)) <= 0)
		return r == 0 ? zt_error_set(ZT_EINTERNAL, "%s: no count", what) : r;
	*out = zt_db_column_int64(p, 0);
	zt_db_done(p);
	return 0;
}

int zt_db_column_name(struct zt_db_stmt *p, int i, const char *const *names, int n, int otherwise)
{
	const char *v = zt_db_column_text(p, i);
	for (int k = 0; k < n; k++)
		if (strcmp(names[k], v) == 0)
			return k;
	return otherwise;
}

void *zt_db_rows_push(struct zt_db_rows *r)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		void *n = realloc(r->items, cap * r->size);
		if (!n) {
			zt_error_set(ZT_ENOMEM, "out of memory");
			return NULL;
		}
		r->items = n;
		r->cap = cap;
	}
	return (char *)r->items + r->size * r->n++;
}

bool zt_db_join_sum(int64_t *out, int64_t hi, int64_t lo)
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
