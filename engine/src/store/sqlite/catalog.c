/* zhitong — rules v2 in the SQLite store (store.h catalogs, and the
 * registry's category periods): catalogues with their entries, what a
 * settlement took from one, a person's periods (docs/spec/rules-v2.md §2,
 * §3; schema/sqlite/011-rules-v2.sql). The rules (overlaps, supersedes,
 * approval) are the domain's: engine/src/catalog_store.c. */
#include <stdio.h>
#include <string.h>

#include "sqlite_int.h"

#define OPEN_END 99991231

static const char SQL_PUT[] =
	"INSERT INTO catalog (catalog_id, county, effective_from, effective_to, ends, status, "
	"supersedes, digest, entry_count, loaded_at, loaded_by, approved_at, approved_by) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";
static const char SQL_ENTRY[] =
	"INSERT INTO catalog_entry (catalog, seq, code, name, from_date, to_date, chrgitm_lv, "
	"selfpay_prop_bp, ceiling1, ceiling2, ceiling3, ceiling4) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";
#define CATALOG_COLUMNS                                                                   \
	"id, catalog_id, county, effective_from, effective_to, ends, status, "            \
	"COALESCE(supersedes, 0), digest, entry_count, loaded_at, loaded_by, approved_at, " \
	"approved_by"
static const char SQL_GET[] = "SELECT " CATALOG_COLUMNS " FROM catalog WHERE catalog_id = ?1";
static const char SQL_EACH[] = "SELECT " CATALOG_COLUMNS " FROM catalog ORDER BY id";
static const char SQL_EACH_COUNTY[] =
	"SELECT " CATALOG_COLUMNS " FROM catalog WHERE county = ?1 ORDER BY id";
static const char SQL_ENTRIES[] =
	"SELECT code, name, from_date, to_date, chrgitm_lv, selfpay_prop_bp, ceiling1, ceiling2, "
	"ceiling3, ceiling4 FROM catalog_entry WHERE catalog = ?1 ORDER BY seq";
static const char SQL_SET_ENDS[] = "UPDATE catalog SET ends = ?2 WHERE id = ?1";
static const char SQL_APPROVE[] =
	"UPDATE catalog SET status = 'active', approved_at = ?2, approved_by = ?3 "
	"WHERE id = ?1 AND status = 'pending'";
static const char SQL_USED[] =
	"SELECT COUNT(*) FROM settlement_catalog sc JOIN settlement st ON st.id = sc.settlement "
	"JOIN claim c ON c.id = st.claim_id WHERE sc.catalog = ?1 AND c.dscg_date >= ?2 "
	"AND NOT EXISTS (SELECT 1 FROM settlement r WHERE r.reverses = st.id)";
static const char SQL_SETTLEMENT_PUT[] =
	"INSERT INTO settlement_catalog (settlement, catalog, differs) VALUES (?1, ?2, ?3)";
static const char SQL_ITEM_PUT[] =
	"INSERT INTO settlement_catalog_item (settlement, item, code, sent_lv, used_lv, "
	"sent_ceiling, used_ceiling, found) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
static const char SQL_SETTLEMENT_GET[] =
	"SELECT sc.catalog, c.catalog_id, sc.differs FROM settlement_catalog sc "
	"JOIN catalog c ON c.id = sc.catalog WHERE sc.settlement = ?1";
static const char SQL_ITEMS_GET[] =
	"SELECT item, code, sent_lv, used_lv, sent_ceiling, used_ceiling, found "
	"FROM settlement_catalog_item WHERE settlement = ?1 ORDER BY item";
static const char SQL_PERIODS_DEL[] = "DELETE FROM person_category WHERE psn_no = ?1";
static const char SQL_PERIOD_PUT[] =
	"INSERT INTO person_category (psn_no, seq, category, from_date, to_date) "
	"VALUES (?1, ?2, ?3, ?4, ?5)";
static const char SQL_PERIODS_GET[] =
	"SELECT category, from_date, to_date FROM person_category WHERE psn_no = ?1 ORDER BY seq";

static void bind_opt_int(sqlite3_stmt *p, int i, bool has, int64_t v)
{
	if (has)
		sqlite3_bind_int64(p, i, v);
	else
		sqlite3_bind_null(p, i);
}

static int put(struct zt_store *s, const struct zt_stored_catalog *c, int64_t *row_out,
               bool *was_new)
{
	struct sq *q = sq_of(s);
	struct zt_stored_catalog old;
	*was_new = false;
	*row_out = 0;
	int rc = s->ops->catalogs.get(s, c->info.id, &old);
	if (rc == 0) {
		if (strcmp(old.digest, c->digest) != 0)
			return zt_error_set(ZT_ECONFLICT, "catalogue '%s' is loaded already with other "
			                    "contents: give the new one another id", c->info.id);
		*row_out = old.row;
		return 0;
	}
	if (rc != ZT_ENOTFOUND)
		return rc;
	sqlite3_stmt *p;
	if ((rc = sq_stmt(q, SQL_PUT, &p)) != 0)
		return rc;
	sq_bind_text(p, 1, c->info.id);
	sq_bind_text(p, 2, c->info.county);
	sqlite3_bind_int(p, 3, c->info.effective_from);
	sqlite3_bind_int(p, 4, c->info.effective_to ? c->info.effective_to : OPEN_END);
	sqlite3_bind_int(p, 5, c->ends ? c->ends : OPEN_END);
	sq_bind_text(p, 6, c->status == ZT_CATALOG_ACTIVE ? "active" : "pending");
	bind_opt_int(p, 7, c->supersedes != 0, c->supersedes);
	sq_bind_text(p, 8, c->digest);
	sqlite3_bind_int64(p, 9, c->entry_count);
	sq_bind_text(p, 10, sq_now(q));
	sq_bind_text(p, 11, c->loaded_by);
	sq_bind_opt(p, 12, c->status == ZT_CATALOG_ACTIVE && c->approved_by[0] ? sq_now(q) : NULL);
	sq_bind_opt(p, 13, c->approved_by);
	if ((rc = sq_run(q, p, "store catalogue")) != 0)
		return rc;
	*row_out = sqlite3_last_insert_rowid(q->db);
	*was_new = true;
	return 0;
}

static int put_entry(struct zt_store *s, int64_t row, int64_t seq, const struct zt_catalog_entry *e)
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *p;
	int rc = sq_stmt(q, SQL_ENTRY, &p);
	if (rc)
		return rc;
	sqlite3_bind_int64(p, 1, row);
	sqlite3_bind_int64(p, 2, seq);
	sq_bind_text(p, 3, e->code);
	sq_bind_text(p, 4, e->name ? e->name : "");
	sqlite3_bind_int(p, 5, e->from);
	sqlite3_bind_int(p, 6, e->to);
	sqlite3_bind_int(p, 7, e->chrgitm_lv);
	bind_opt_int(p, 8, e->has_selfpay_prop, e->selfpay_prop_bp);
	for (int l = 0; l < ZT_LEVELS; l++)
		bind_opt_int(p, 9 + l, e->has_ceiling[l], e->ceiling[l]);
	return sq_run(q, p, "store catalogue entry");
}

static void read_catalog(sqlite3_stmt *p, struct zt_stored_catalog *c)
{
	memset(c, 0, sizeof *c);
	c->row = sqlite3_column_int64(p, 0);
	sq_col_copy(c->info.id, sizeof c->info.id, p, 1);
	sq_col_copy(c->info.county, sizeof c->info.county, p, 2);
	c->info.effective_from = sqlite3_column_int(p, 3);
	int to = sqlite3_column_int(p, 4), ends = sqlite3_column_int(p, 5);
	c->info.effective_to = to == OPEN_END ? 0 : to;
	c->ends = ends == OPEN_END ? 0 : ends;
	c->status = strcmp(sq_col_text(p, 6), "active") == 0 ? ZT_CATALOG_ACTIVE : ZT_CATALOG_PENDING;
	c->supersedes = sqlite3_column_int64(p, 7);
	sq_col_copy(c->digest, sizeof c->digest, p, 8);
	c->entry_count = sqlite3_column_int64(p, 9);
	sq_col_copy(c->loaded_at, sizeof c->loaded_at, p, 10);
	sq_col_copy(c->loaded_by, sizeof c->loaded_by, p, 11);
	sq_col_copy(c->approved_at, sizeof c->approved_at, p, 12);
	sq_col_copy(c->approved_by, sizeof c->approved_by, p, 13);
}

static int get(struct zt_store *s, const char *catalog_id, struct zt_stored_catalog *out)
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *p;
	int r = sq_stmt(q, SQL_GET, &p);
	if (r)
		return r;
	sq_bind_text(p, 1, catalog_id);
	if ((r = sq_row(q, p, "read catalogue")) <= 0)
		return r == 0 ? ZT_ENOTFOUND : r;
	read_catalog(p, out);
	sq_done(p);
	return 0;
}

static int each(struct zt_store *s, const char *county,
                int (*cb)(void *ctx, const struct zt_stored_catalog *c), void *ctx)
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *p;
	int rc = sq_stmt(q, county ? SQL_EACH_COUNTY : SQL_EACH, &p), r;
	if (rc)
		return rc;
	if (county)
		sq_bind_text(p, 1, county);
	while ((r = sq_row(q, p, "read catalogues")) == 1) {
		struct zt_stored_catalog c;
		read_catalog(p, &c);
		if ((rc = cb(ctx, &c)) != 0)
			break;
	}
	sq_done(p);
	return rc ? rc : r;
}

static int entries(struct zt_store *s, int64_t row,
                   int (*cb)(void *ctx, const struct zt_catalog_entry *e), void *ctx)
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *p;
	int rc = sq_stmt(q, SQL_ENTRIES, &p), r;
	if (rc)
		return rc;
	sqlite3_bind_int64(p, 1, row);
	while ((r = sq_row(q, p, "read catalogue entries")) == 1) {
		struct zt_catalog_entry e = {
			.code = sq_col_text(p, 0),
			.name = sq_col_text(p, 1),
			.from = sqlite3_column_int(p, 2),
			.to = sqlite3_column_int(p, 3),
			.chrgitm_lv = sqlite3_column_int(p, 4),
			.has_selfpay_prop = sqlite3_column_type(p, 5) != SQLITE_NULL,
			.selfpay_prop_bp = (zt_bp)sqlite3_column_int(p, 5),
		};
		for (int l = 0; l < ZT_LEVELS; l++) {
			e.has_ceiling[l] = sqlite3_column_type(p, 6 + l) != SQLITE_NULL;
			e.ceiling[l] = sqlite3_column_int64(p, 6 + l);
		}
		if ((rc = cb(ctx, &e)) != 0)
			break;
	}
	sq_done(p);
	return rc ? rc : r;
}

static int set_ends(struct zt_store *s, int64_t row, zt_date ends)
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *p;
	int rc = sq_stmt(q, SQL_SET_ENDS, &p);
	if (rc)
		return rc;
	sqlite3_bind_int64(p, 1, row);
	sqlite3_bind_int(p, 2, ends ? ends : OPEN_END);
	return sq_run(q, p, "end catalogue");
}

static int approve(struct zt_store *s, int64_t row, const char *actor)
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *p;
	int rc = sq_stmt(q, SQL_APPROVE, &p);
	if (rc)
		return rc;
	sqlite3_bind_int64(p, 1, row);
	sq_bind_text(p, 2, sq_now(q));
	sq_bind_text(p, 3, actor);
	if ((rc = sq_run(q, p, "approve catalogue")) != 0)
		return rc;
	return sqlite3_changes(q->db) == 1
		       ? 0
		       : zt_error_set(ZT_ECONFLICT, "catalogue #%lld is not pending", (long long)row);
}

static int used(struct zt_store *s, int64_t row, zt_date from, int64_t *out)
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *p;
	int r = sq_stmt(q, SQL_USED, &p);
	if (r)
		return r;
	sqlite3_bind_int64(p, 1, row);
	sqlite3_bind_int(p, 2, from);
	if ((r = sq_row(q, p, "count settlements of a catalogue")) <= 0)
		return r == 0 ? zt_error_set(ZT_EINTERNAL, "no count") : r;
	*out = sqlite3_column_int64(p, 0);
	sq_done(p);
	return 0;
}

static int settlement_put(struct zt_store *s, int64_t settlement_row, int64_t catalog_row, int n,
                          const struct zt_catalog_item_diff *items)
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *p;
	int rc = sq_stmt(q, SQL_SETTLEMENT_PUT, &p);
	if (rc)
		return rc;
	sqlite3_bind_int64(p, 1, settlement_row);
	sqlite3_bind_int64(p, 2, catalog_row);
	sqlite3_bind_int(p, 3, n);
	if ((rc = sq_run(q, p, "store the catalogue of a settlement")) != 0)
		return rc;
	for (int i = 0; i < n; i++) {
		const struct zt_catalog_item_diff *d = &items[i];
		if ((rc = sq_stmt(q, SQL_ITEM_PUT, &p)) != 0)
			return rc;
		sqlite3_bind_int64(p, 1, settlement_row);
		sqlite3_bind_int(p, 2, d->item);
		sq_bind_text(p, 3, d->code);
		sqlite3_bind_int(p, 4, d->sent_lv);
		sqlite3_bind_int(p, 5, d->used_lv);
		bind_opt_int(p, 6, d->sent_has_ceiling, d->sent_ceiling);
		bind_opt_int(p, 7, d->used_has_ceiling, d->used_ceiling);
		sqlite3_bind_int(p, 8, d->found);
		if ((rc = sq_run(q, p, "store an item the catalogue classed")) != 0)
			return rc;
	}
	return 0;
}

static int settlement_get(struct zt_store *s, int64_t settlement_row,
                          struct zt_settlement_catalog *out,
                          int (*cb)(void *ctx, const struct zt_catalog_item_diff *d), void *ctx)
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *p;
	int r = sq_stmt(q, SQL_SETTLEMENT_GET, &p);
	if (r)
		return r;
	sqlite3_bind_int64(p, 1, settlement_row);
	if ((r = sq_row(q, p, "read the catalogue of a settlement")) <= 0)
		return r == 0 ? ZT_ENOTFOUND : r;
	out->catalog_row = sqlite3_column_int64(p, 0);
	sq_col_copy(out->catalog_id, sizeof out->catalog_id, p, 1);
	out->differs = sqlite3_column_int64(p, 2);
	sq_done(p);
	if (!cb)
		return 0;
	int rc = sq_stmt(q, SQL_ITEMS_GET, &p);
	if (rc)
		return rc;
	sqlite3_bind_int64(p, 1, settlement_row);
	while ((r = sq_row(q, p, "read the items a catalogue classed")) == 1) {
		const struct zt_catalog_item_diff d = {
			.item = sqlite3_column_int(p, 0),
			.code = sq_col_text(p, 1),
			.sent_lv = sqlite3_column_int(p, 2),
			.used_lv = sqlite3_column_int(p, 3),
			.sent_has_ceiling = sqlite3_column_type(p, 4) != SQLITE_NULL,
			.sent_ceiling = sqlite3_column_int64(p, 4),
			.used_has_ceiling = sqlite3_column_type(p, 5) != SQLITE_NULL,
			.used_ceiling = sqlite3_column_int64(p, 5),
			.found = sqlite3_column_int(p, 6) != 0,
		};
		if ((rc = cb(ctx, &d)) != 0)
			break;
	}
	sq_done(p);
	return rc ? rc : r;
}

int sq_put_periods(struct zt_store *s, const char *psn_no, const struct zt_category_period *periods,
                   int n)
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *p;
	int rc = sq_stmt(q, SQL_PERIODS_DEL, &p);
	if (rc)
		return rc;
	sq_bind_text(p, 1, psn_no);
	if ((rc = sq_run(q, p, "replace category periods")) != 0)
		return rc;
	for (int i = 0; i < n; i++) {
		if ((unsigned)periods[i].value >= ZT_CAT_COUNT)
			return zt_error_set(ZT_EINTERNAL, "person '%s' has a period of no category", psn_no);
		if ((rc = sq_stmt(q, SQL_PERIOD_PUT, &p)) != 0)
			return rc;
		sq_bind_text(p, 1, psn_no);
		sqlite3_bind_int(p, 2, i);
		sq_bind_text(p, 3, zt_category_names[periods[i].value]);
		sqlite3_bind_int(p, 4, periods[i].from);
		sqlite3_bind_int(p, 5, periods[i].to ? periods[i].to : OPEN_END);
		if ((rc = sq_run(q, p, "store a category period")) != 0)
			return rc;
	}
	return 0;
}

int sq_get_periods(struct zt_store *s, const char *psn_no,
                   struct zt_category_period out[ZT_CATEGORY_PERIODS_MAX], int *n)
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *p;
	int rc = sq_stmt(q, SQL_PERIODS_GET, &p), r;
	*n = 0;
	if (rc)
		return rc;
	sq_bind_text(p, 1, psn_no);
	while ((r = sq_row(q, p, "read category periods")) == 1) {
		if (*n >= ZT_CATEGORY_PERIODS_MAX) {
			sq_done(p);
			return zt_error_set(ZT_EINTERNAL, "person '%s' has more than %d periods", psn_no,
			                    ZT_CATEGORY_PERIODS_MAX);
		}
		int c = sq_col_name(p, 0, zt_category_names, ZT_CAT_COUNT, 0);
		int to = sqlite3_column_int(p, 2);
		out[(*n)++] = (struct zt_category_period){(zt_category)c, sqlite3_column_int(p, 1),
		                                          to == OPEN_END ? 0 : to};
	}
	sq_done(p);
	return r;
}

const struct zt_store_catalog_ops sq_catalog_ops = {
	.put = put,
	.put_entry = put_entry,
	.get = get,
	.each = each,
	.entries = entries,
	.set_ends = set_ends,
	.approve = approve,
	.used = used,
	.settlement_put = settlement_put,
	.settlement_get = settlement_get,
};
