/* zhitong — a store copied into another, and two stores compared table by
 * table (store.h zt_store_copy, zt_store_compare; `zhitong store copy`).
 *
 * Written once over the driver (db.h), for any two engines: the tables
 * and their columns come from each engine's catalogue (the one part in
 * each dialect), the rows are read and written through prepared
 * statements of their own whose text names only those catalogue names,
 * quoted. Every table but meta (the engine's own: its schema version, the
 * writer row; the audit count the target's triggers keep) is copied with
 * every column, ids included: the rows keep their numbers, the audit
 * chain its records and hashes. A column the target has and the source
 * has not is the target's to fill (PostgreSQL's batch.rowid, the order of
 * the batches: SQLite's rowid, which the rows are copied in). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../db.h"

/* the tables of a store, in the order they were made; copied in the order
 * of the target's foreign keys (order_by_keys) */
static const char SQL_TABLES_SQLITE[] =
	"SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite!_%' ESCAPE '!' "
	"ORDER BY rowid";
static const char SQL_TABLES_PG[] =
	"SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
	"WHERE n.nspname = current_schema() AND c.relkind = 'r' ORDER BY c.oid";
/* a table's columns and whether each is text or bytes */
static const char SQL_COLUMNS_SQLITE[] =
	"SELECT name, upper(type) FROM pragma_table_info(?1) ORDER BY cid";
static const char SQL_COLUMNS_PG[] =
	"SELECT column_name, CASE data_type WHEN 'text' THEN 'TEXT' WHEN 'bytea' THEN 'BLOB' "
	"ELSE upper(data_type) END FROM information_schema.columns "
	"WHERE table_schema = current_schema() AND table_name = ?1 ORDER BY ordinal_position";

/* the tables a table's foreign keys name */
static const char SQL_REFS_SQLITE[] = "SELECT DISTINCT \"table\" FROM pragma_foreign_key_list(?1)";
static const char SQL_REFS_PG[] =
	"SELECT DISTINCT f.relname FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid "
	"JOIN pg_class f ON f.oid = k.confrelid JOIN pg_namespace n ON n.oid = t.relnamespace "
	"WHERE k.contype = 'f' AND n.nspname = current_schema() AND t.relname = ?1";

#define COLUMNS_MAX 96
#define NAME_BYTES 64
#define TABLES_MAX 128
#define DIFFS_SHOWN 10 /* messages per table; all are counted */
#define FLUSH_ROWS 500

struct columns {
	int n;
	char name[COLUMNS_MAX][NAME_BYTES];
	bool text[COLUMNS_MAX], blob[COLUMNS_MAX];
};

struct tables {
	int n;
	char name[TABLES_MAX][NAME_BYTES];
};

static int list_tables(struct zt_db *q, struct tables *out)
{
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, zt_db_sql(q, SQL_TABLES_SQLITE, SQL_TABLES_PG), &p), r;
	out->n = 0;
	if (rc)
		return rc;
	while ((r = zt_db_row(q, p, "list tables")) == 1) {
		const char *t = zt_db_column_text(p, 0);
		if (strcmp(t, "meta") == 0)
			continue;
		if (out->n == TABLES_MAX || strlen(t) >= NAME_BYTES) {
			zt_db_done(p);
			return zt_error_set(ZT_EINTERNAL, "store copy: more tables than %d or a name too long",
			                    TABLES_MAX);
		}
		snprintf(out->name[out->n++], NAME_BYTES, "%s", t);
	}
	return r;
}

static int table_index(const struct tables *t, const char *name)
{
	for (int i = 0; i < t->n; i++)
		if (strcmp(t->name[i], name) == 0)
			return i;
	return -1;
}

/* The tables reordered so that a table comes after those its foreign keys
 * in `keys` (the target's: it enforces them) name; otherwise in their order. */
static int order_by_keys(struct zt_db *keys, struct tables *t)
{
	bool(*refs)[TABLES_MAX] = calloc(TABLES_MAX, sizeof *refs); /* refs[i][k]: i names k */
	if (!refs)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	for (int i = 0; i < t->n; i++) {
		struct zt_db_stmt *p;
		int rc = zt_db_prepare(keys, zt_db_sql(keys, SQL_REFS_SQLITE, SQL_REFS_PG), &p), r;
		if (rc) {
			free(refs);
			return rc;
		}
		zt_db_bind_text(p, 1, t->name[i]);
		while ((r = zt_db_row(keys, p, "list foreign keys")) == 1) {
			int k = table_index(t, zt_db_column_text(p, 0));
			if (k >= 0 && k != i)
				refs[i][k] = true;
		}
		if (r < 0) {
			free(refs);
			return r;
		}
	}
	struct tables *out = malloc(sizeof *out);
	bool done[TABLES_MAX] = {0};
	if (!out) {
		free(refs);
		return zt_error_set(ZT_ENOMEM, "out of memory");
	}
	out->n = 0;
	while (out->n < t->n) {
		int next = -1;
		for (int i = 0; i < t->n && next < 0; i++) {
			bool ready = !done[i];
			for (int k = 0; ready && k < t->n; k++)
				ready = !refs[i][k] || done[k];
			if (ready)
				next = i;
		}
		if (next < 0) {
			free(out);
			free(refs);
			return zt_error_set(ZT_EINTERNAL, "store copy: the tables' foreign keys go round");
		}
		done[next] = true;
		snprintf(out->name[out->n++], NAME_BYTES, "%s", t->name[next]);
	}
	*t = *out;
	free(out);
	free(refs);
	return 0;
}

static int list_columns(struct zt_db *q, const char *table, struct columns *out)
{
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, zt_db_sql(q, SQL_COLUMNS_SQLITE, SQL_COLUMNS_PG), &p), r;
	out->n = 0;
	if (rc)
		return rc;
	zt_db_bind_text(p, 1, table);
	while ((r = zt_db_row(q, p, "list columns")) == 1) {
		const char *c = zt_db_column_text(p, 0), *type = zt_db_column_text(p, 1);
		if (out->n == COLUMNS_MAX || strlen(c) >= NAME_BYTES) {
			zt_db_done(p);
			return zt_error_set(ZT_EINTERNAL, "store copy: table '%s' has more columns than %d "
			                    "or a name too long", table, COLUMNS_MAX);
		}
		out->text[out->n] = strcmp(type, "TEXT") == 0;
		out->blob[out->n] = strcmp(type, "BLOB") == 0;
		snprintf(out->name[out->n++], NAME_BYTES, "%s", c);
	}
	return r;
}

static int column_of(const struct columns *c, const char *name)
{
	for (int i = 0; i < c->n; i++)
		if (strcmp(c->name[i], name) == 0)
			return i;
	return -1;
}

/* A growing SQL text. */
struct text {
	char *s;
	size_t n, cap;
	bool failed;
};

static void add(struct text *t, const char *s)
{
	size_t l = strlen(s);
	if (t->failed)
		return;
	if (t->n + l + 1 > t->cap) {
		size_t cap = (t->n + l + 1) * 2;
		char *n = realloc(t->s, cap);
		if (!n) {
			t->failed = true;
			return;
		}
		t->s = n;
		t->cap = cap;
	}
	memcpy(t->s + t->n, s, l + 1);
	t->n += l;
}

/* An identifier from a catalogue, quoted ("" for a quote in it). */
static void add_name(struct text *t, const char *name)
{
	add(t, "\"");
	for (const char *c = name; *c; c++)
		add(t, *c == '"' ? "\"\"" : (char[2]){*c, 0});
	add(t, "\"");
}

/* SELECT the columns `use` of `a` (indices into a) FROM table, in an
 * order both engines give alike: by rowid where the other store keeps
 * the order in a column of that name, else by every column (id first),
 * bytes for text (COLLATE BINARY, db.h), NULLs first. */
static char *select_sql(const char *table, const struct columns *a, const int *use, int n,
                        bool by_rowid)
{
	struct text t = {0};
	add(&t, "SELECT ");
	for (int i = 0; i < n; i++) {
		if (i)
			add(&t, ", ");
		add_name(&t, a->name[use[i]]);
	}
	add(&t, " FROM ");
	add_name(&t, table);
	add(&t, " ORDER BY ");
	if (by_rowid)
		add(&t, "rowid");
	else {
		int id = column_of(a, "id");
		for (int k = -1, first = 1; k < n; k++) {
			int i = k < 0 ? id : use[k];
			if (i < 0 || (k >= 0 && i == id))
				continue;
			if (!first)
				add(&t, ", ");
			first = 0;
			add_name(&t, a->name[i]);
			add(&t, a->text[i] ? " COLLATE BINARY NULLS FIRST" : " NULLS FIRST");
		}
	}
	if (t.failed) {
		free(t.s);
		return NULL;
	}
	return t.s;
}

/* The columns of `from` (indices) that are copied or compared: those `to`
 * has too. A column only `from` has is refused (it would be lost). The
 * order is kept by rowid when `to` has a column rowid that `from` has not. */
static int common_columns(const char *table, const struct columns *from, const struct columns *to,
                          int *use, int *n, bool *by_rowid, bool refuse_lost)
{
	*n = 0;
	for (int i = 0; i < from->n; i++) {
		if (column_of(to, from->name[i]) >= 0)
			use[(*n)++] = i;
		else if (refuse_lost)
			return zt_error_set(ZT_EINVAL, "store copy: column '%s.%s' has no place in the "
			                    "target (its schema is not the source's)", table, from->name[i]);
	}
	*by_rowid = column_of(to, "rowid") >= 0 && column_of(from, "rowid") < 0;
	return 0;
}

/* Whether `to` holds any row of `table`. */
static int has_rows(struct zt_db *q, const char *table, bool *out)
{
	struct text t = {0};
	add(&t, "SELECT 1 FROM ");
	add_name(&t, table);
	add(&t, " LIMIT 1");
	if (t.failed) {
		free(t.s);
		return zt_error_set(ZT_ENOMEM, "out of memory");
	}
	struct zt_db_stmt *p;
	int rc = zt_db_prepare_own(q, t.s, &p);
	if (rc == 0) {
		int r = zt_db_row(q, p, "count rows");
		*out = r == 1;
		rc = r < 0 ? r : 0;
		zt_db_finalize(p);
	}
	free(t.s);
	return rc;
}

static int copy_table(struct zt_db *from, struct zt_db *to, const char *table, int64_t *rows)
{
	struct columns *a = malloc(sizeof *a), *b = malloc(sizeof *b);
	struct text ins = {0};
	char *sel = NULL;
	struct zt_db_stmt *src = NULL, *dst = NULL;
	unsigned char *blob = NULL;
	int use[COLUMNS_MAX], n;
	bool by_rowid;
	*rows = 0;
	int rc = a && b ? 0 : zt_error_set(ZT_ENOMEM, "out of memory");
	if (rc == 0 && (rc = list_columns(from, table, a)) == 0 && (rc = list_columns(to, table, b)) == 0 &&
	    b->n == 0)
		rc = zt_error_set(ZT_EINVAL, "store copy: the target has no table '%s' (run init)", table);
	if (rc == 0)
		rc = common_columns(table, a, b, use, &n, &by_rowid, true);
	if (rc)
		goto out;
	if (!(sel = select_sql(table, a, use, n, by_rowid))) {
		rc = zt_error_set(ZT_ENOMEM, "out of memory");
		goto out;
	}
	add(&ins, "INSERT INTO ");
	add_name(&ins, table);
	add(&ins, " (");
	for (int i = 0; i < n; i++) {
		if (i)
			add(&ins, ", ");
		add_name(&ins, a->name[use[i]]);
	}
	add(&ins, ") VALUES (");
	for (int i = 0; i < n; i++) {
		char num[16];
		snprintf(num, sizeof num, "%s?%d", i ? ", " : "", i + 1);
		add(&ins, num);
	}
	add(&ins, ")");
	if (ins.failed) {
		rc = zt_error_set(ZT_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = zt_db_prepare_own(from, sel, &src)) != 0 || (rc = zt_db_prepare_own(to, ins.s, &dst)) != 0)
		goto out;
	int r;
	size_t blob_cap = 0;
	/* the rows sent without waiting (db.h defer), their results read every
	 * FLUSH_ROWS rows: a failure is the table's */
	zt_db_defer(to, true);
	to->audit_known = false; /* audit rows copied in by id, not by agg/audit.c */
	while ((r = zt_db_row(from, src, "read rows")) == 1) {
		for (int i = 0; i < n; i++) {
			if (zt_db_column_null(src, i))
				zt_db_bind_null(dst, i + 1);
			else if (a->blob[use[i]]) {
				size_t len = (size_t)zt_db_column_bytes(src, i);
				if (len > blob_cap) {
					unsigned char *nb = realloc(blob, len);
					if (!nb) {
						rc = zt_error_set(ZT_ENOMEM, "out of memory");
						break;
					}
					blob = nb;
					blob_cap = len;
				}
				int got = zt_db_column_blob(src, i, blob, (int)len);
				zt_db_bind_blob(dst, i + 1, blob, (size_t)got);
			} else
				zt_db_bind_text(dst, i + 1, zt_db_column_text(src, i));
		}
		if (rc || (rc = zt_db_run(to, dst, table)) != 0 ||
		    (++*rows % FLUSH_ROWS == 0 && (rc = zt_db_flush(to)) != 0)) {
			zt_db_done(src);
			break;
		}
	}
	zt_db_defer(to, false);
	int frc = zt_db_flush(to);
	if (rc == 0)
		rc = r < 0 ? r : frc;
out:
	zt_db_finalize(src);
	zt_db_finalize(dst);
	free(blob);
	free(ins.s);
	free(sel);
	free(a);
	free(b);
	return rc;
}

int zt_store_copy(struct zt_store *from_s, struct zt_store *to_s,
                  void (*progress)(void *ctx, const char *table, int64_t rows), void *ctx)
{
	struct zt_db *from = zt_db_of(from_s), *to = zt_db_of(to_s);
	struct tables *ft = malloc(sizeof *ft), *tt = malloc(sizeof *tt);
	if (!ft || !tt) {
		free(ft);
		free(tt);
		return zt_error_set(ZT_ENOMEM, "out of memory");
	}
	int rc = from_s->ops->begin(from_s, ZT_TXN_READ);
	if (rc == 0 && (rc = to_s->ops->begin(to_s, ZT_TXN_WRITE)) != 0)
		from_s->ops->rollback(from_s);
	if (rc) {
		free(ft);
		free(tt);
		return rc;
	}
	if ((rc = list_tables(from, ft)) == 0 && (rc = list_tables(to, tt)) == 0)
		rc = order_by_keys(to, ft);
	/* the target is empty: every table of it, whatever the source has */
	for (int i = 0; rc == 0 && i < tt->n; i++) {
		bool rows = false;
		if ((rc = has_rows(to, tt->name[i], &rows)) == 0 && rows)
			rc = zt_error_set(ZT_ECONFLICT, "store copy: the target is not empty (table '%s' "
			                  "has rows): copy into a new database, migrated with init",
			                  tt->name[i]);
	}
	for (int i = 0; rc == 0 && i < ft->n; i++) {
		int64_t rows;
		if ((rc = copy_table(from, to, ft->name[i], &rows)) == 0 && progress)
			progress(ctx, ft->name[i], rows);
	}
	from_s->ops->rollback(from_s); /* it only read */
	if (rc == 0)
		rc = to_s->ops->commit(to_s);
	else
		to_s->ops->rollback(to_s);
	free(ft);
	free(tt);
	return rc;
}

/* ---- comparing ------------------------------------------------------------------ */

struct differ {
	void (*cb)(void *ctx, const char *table, const char *message);
	void *ctx;
	int64_t count, shown;
};

static void differ(struct differ *d, const char *table, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void differ(struct differ *d, const char *table, const char *fmt, ...)
{
	d->count++;
	if (d->shown++ >= DIFFS_SHOWN || !d->cb)
		return;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	d->cb(d->ctx, table, msg);
}

/* A column's value of the current row: equal in both? */
static bool same_value(struct zt_db_stmt *p, struct zt_db_stmt *q, int i, bool blob,
                       unsigned char *x, unsigned char *y, int cap)
{
	bool np = zt_db_column_null(p, i), nq = zt_db_column_null(q, i);
	if (np || nq)
		return np == nq;
	if (!blob)
		return strcmp(zt_db_column_text(p, i), zt_db_column_text(q, i)) == 0;
	int lp = zt_db_column_bytes(p, i), lq = zt_db_column_bytes(q, i);
	if (lp != lq || lp > cap)
		return false; /* longer than any blob of the schema: counted as a difference */
	return zt_db_column_blob(p, i, x, cap) == lp && zt_db_column_blob(q, i, y, cap) == lq &&
	       memcmp(x, y, (size_t)lp) == 0;
}

#define BLOB_CAP 4096

static int compare_table(struct zt_db *qa, struct zt_db *qb, const char *table, struct differ *d,
                         int64_t *rows)
{
	struct columns *a = malloc(sizeof *a), *b = malloc(sizeof *b);
	unsigned char *x = malloc(BLOB_CAP), *y = malloc(BLOB_CAP);
	char *sa = NULL, *sb = NULL;
	struct zt_db_stmt *pa = NULL, *pb = NULL;
	int use[COLUMNS_MAX], use_b[COLUMNS_MAX], n;
	bool by_rowid;
	*rows = 0;
	int rc = a && b && x && y ? 0 : zt_error_set(ZT_ENOMEM, "out of memory");
	if (rc == 0 && (rc = list_columns(qa, table, a)) == 0)
		rc = list_columns(qb, table, b);
	if (rc)
		goto out;
	if (b->n == 0) {
		differ(d, table, "table '%s' is missing", table);
		goto out;
	}
	if ((rc = common_columns(table, a, b, use, &n, &by_rowid, false)) != 0)
		goto out;
	for (int i = 0; i < a->n; i++)
		if (column_of(b, a->name[i]) < 0)
			differ(d, table, "column '%s.%s' is missing", table, a->name[i]);
	for (int i = 0; i < n; i++)
		use_b[i] = column_of(b, a->name[use[i]]);
	/* the same order on both sides: by rowid where one keeps it in a column */
	bool rowid = by_rowid || (column_of(a, "rowid") >= 0 && column_of(b, "rowid") < 0);
	if (!(sa = select_sql(table, a, use, n, rowid)) || !(sb = select_sql(table, b, use_b, n, rowid))) {
		rc = zt_error_set(ZT_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = zt_db_prepare_own(qa, sa, &pa)) != 0 || (rc = zt_db_prepare_own(qb, sb, &pb)) != 0)
		goto out;
	for (;;) {
		int ra = zt_db_row(qa, pa, "read rows"), rb = zt_db_row(qb, pb, "read rows");
		if (ra < 0 || rb < 0) {
			rc = ra < 0 ? ra : rb;
			break;
		}
		if (ra == 0 || rb == 0) {
			if (ra != rb)
				differ(d, table, "%s has more rows than the other (%lld compared)",
				       ra ? "the source" : "the target", (long long)*rows);
			break;
		}
		(*rows)++;
		for (int i = 0; i < n; i++)
			if (!same_value(pa, pb, i, a->blob[use[i]] || b->blob[use_b[i]], x, y, BLOB_CAP))
				differ(d, table, "row %lld (in order): column '%s' differs: '%s' against '%s'",
				       (long long)*rows, a->name[use[i]],
				       a->blob[use[i]] ? "(bytes)" : zt_db_column_text(pa, i),
				       b->blob[use_b[i]] ? "(bytes)" : zt_db_column_text(pb, i));
	}
	zt_db_done(pa);
	zt_db_done(pb);
out:
	zt_db_finalize(pa);
	zt_db_finalize(pb);
	free(sa);
	free(sb);
	free(a);
	free(b);
	free(x);
	free(y);
	return rc;
}

int zt_store_compare(struct zt_store *sa, struct zt_store *sb,
                     void (*cb)(void *ctx, const char *table, const char *message),
                     void (*compared)(void *ctx, const char *table, int64_t rows), void *ctx,
                     int64_t *differences)
{
	struct zt_db *qa = zt_db_of(sa), *qb = zt_db_of(sb);
	struct tables *ta = malloc(sizeof *ta), *tb = malloc(sizeof *tb);
	struct differ d = {cb, ctx, 0, 0};
	*differences = 0;
	if (!ta || !tb) {
		free(ta);
		free(tb);
		return zt_error_set(ZT_ENOMEM, "out of memory");
	}
	int rc = sa->ops->begin(sa, ZT_TXN_READ);
	if (rc == 0 && (rc = sb->ops->begin(sb, ZT_TXN_READ)) != 0)
		sa->ops->rollback(sa);
	if (rc) {
		free(ta);
		free(tb);
		return rc;
	}
	if ((rc = list_tables(qa, ta)) == 0)
		rc = list_tables(qb, tb);
	for (int i = 0; rc == 0 && i < tb->n; i++) {
		bool there = false;
		for (int k = 0; k < ta->n; k++)
			there |= strcmp(ta->name[k], tb->name[i]) == 0;
		if (!there)
			differ(&d, tb->name[i], "table '%s' is only in the target", tb->name[i]);
	}
	for (int i = 0; rc == 0 && i < ta->n; i++) {
		int64_t rows;
		d.shown = 0;
		if ((rc = compare_table(qa, qb, ta->name[i], &d, &rows)) == 0 && compared)
			compared(ctx, ta->name[i], rows);
	}
	sa->ops->rollback(sa);
	sb->ops->rollback(sb);
	free(ta);
	free(tb);
	*differences = d.count;
	return rc;
}
