/* zhitong — rules v2, written once over the store's driver (store.h
 * catalogs, and the registry's category periods): catalogues with their
 * entries, what a settlement took from one, a person's periods
 * (docs/spec/rules-v2.md §2, §3; schema/sqlite/011-rules-v2.sql,
 * schema/pg/003-rules-v2.sql). The rules (overlaps, supersedes, approval)
 * are the domain's: engine/src/catalog_store.c. */
#include <stdio.h>
#include <string.h>

#include "../db.h"

#define OPEN_END 99991231

static const char SQL_PUT[] =
	"INSERT INTO catalog (catalog_id, county, effective_from, effective_to, ends, status, "
	"supersedes, digest, entry_count, loaded_at, loaded_by, approved_at, approved_by) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) RETURNING id";
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

static void bind_opt_int(struct zt_db_stmt *p, int i, bool has, int64_t v)
{
	if (has)
		zt_db_bind_int64(p, i, v);
	else
		zt_db_bind_null(p, i);
}

static int put(struct zt_store *s, const struct zt_stored_catalog *c, int64_t *row_out,
               bool *was_new)
{
	struct zt_db *q = zt_db_of(s);
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
	struct zt_db_stmt *p;
	if ((rc = zt_db_prepare(q, SQL_PUT, &p)) != 0)
		return rc;
	zt_db_bind_text(p, 1, c->info.id);
	zt_db_bind_text(p, 2, c->info.county);
	zt_db_bind_int(p, 3, c->info.effective_from);
	zt_db_bind_int(p, 4, c->info.effective_to ? c->info.effective_to : OPEN_END);
	zt_db_bind_int(p, 5, c->ends ? c->ends : OPEN_END);
	zt_db_bind_text(p, 6, c->status == ZT_CATALOG_ACTIVE ? "active" : "pending");
	bind_opt_int(p, 7, c->supersedes != 0, c->supersedes);
	zt_db_bind_text(p, 8, c->digest);
	zt_db_bind_int64(p, 9, c->entry_count);
	zt_db_bind_text(p, 10, zt_db_now(q));
	zt_db_bind_text(p, 11, c->loaded_by);
	zt_db_bind_opt(p, 12, c->status == ZT_CATALOG_ACTIVE && c->approved_by[0] ? zt_db_now(q) : NULL);
	zt_db_bind_opt(p, 13, c->approved_by);
	if ((rc = zt_db_insert_id(q, p, "store catalogue", row_out)) != 0)
		return rc;
	*was_new = true;
	return 0;
}

static int put_entry(struct zt_store *s, int64_t row, int64_t seq, const struct zt_catalog_entry *e)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_ENTRY, &p);
	if (rc)
		return rc;
	zt_db_bind_int64(p, 1, row);
	zt_db_bind_int64(p, 2, seq);
	zt_db_bind_text(p, 3, e->code);
	zt_db_bind_text(p, 4, e->name ? e->name : "");
	zt_db_bind_int(p, 5, e->from);
	zt_db_bind_int(p, 6, e->to);
	zt_db_bind_int(p, 7, e->chrgitm_lv);
	bind_opt_int(p, 8, e->has_selfpay_prop, e->selfpay_prop_bp);
	for (int l = 0; l < ZT_LEVELS; l++)
		bind_opt_int(p, 9 + l, e->has_ceiling[l], e->ceiling[l]);
	return zt_db_run(q, p, "store catalogue entry");
}

static void read_catalog(struct zt_db_stmt *p, struct zt_stored_catalog *c)
{
	memset(c, 0, sizeof *c);
	c->row = zt_db_column_int64(p, 0);
	zt_db_column_copy(c->info.id, sizeof c->info.id, p, 1);
	zt_db_column_copy(c->info.county, sizeof c->info.county, p, 2);
	c->info.effective_from = zt_db_column_int(p, 3);
	int to = zt_db_column_int(p, 4), ends = zt_db_column_int(p, 5);
	c->info.effective_to = to == OPEN_END ? 0 : to;
	c->ends = ends == OPEN_END ? 0 : ends;
	c->status = strcmp(zt_db_column_text(p, 6), "active") == 0 ? ZT_CATALOG_ACTIVE : ZT_CATALOG_PENDING;
	c->supersedes = zt_db_column_int64(p, 7);
	zt_db_column_copy(c->digest, sizeof c->digest, p, 8);
	c->entry_count = zt_db_column_int64(p, 9);
	zt_db_column_copy(c->loaded_at, sizeof c->loaded_at, p, 10);
	zt_db_column_copy(c->loaded_by, sizeof c->loaded_by, p, 11);
	zt_db_column_copy(c->approved_at, sizeof c->approved_at, p, 12);
	zt_db_column_copy(c->approved_by, sizeof c->approved_by, p, 13);
}

static int get(struct zt_store *s, const char *catalog_id, struct zt_stored_catalog *out)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int r = zt_db_prepare(q, SQL_GET, &p);
	if (r)
		return r;
	zt_db_bind_text(p, 1, catalog_id);
	if ((r = zt_db_row(q, p, "read catalogue")) <= 0)
		return r == 0 ? ZT_ENOTFOUND : r;
	read_catalog(p, out);
	zt_db_done(p);
	return 0;
}

static int each(struct zt_store *s, const char *county,
                int (*cb)(void *ctx, const struct zt_stored_catalog *c), void *ctx)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, county ? SQL_EACH_COUNTY : SQL_EACH, &p), r;
	if (rc)
		return rc;
	if (county)
		zt_db_bind_text(p, 1, county);
	while ((r = zt_db_row(q, p, "read catalogues")) == 1) {
		struct zt_stored_catalog c;
		read_catalog(p, &c);
		if ((rc = cb(ctx, &c)) != 0)
			break;
	}
	zt_db_done(p);
	return rc ? rc : r;
}

static int entries(struct zt_store *s, int64_t row,
                   int (*cb)(void *ctx, const struct zt_catalog_entry *e), void *ctx)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_ENTRIES, &p), r;
	if (rc)
		return rc;
	zt_db_bind_int64(p, 1, row);
	while ((r = zt_db_row(q, p, "read catalogue entries")) == 1) {
		struct zt_catalog_entry e = {
			.code = zt_db_column_text(p, 0),
			.name = zt_db_column_text(p, 1),
			.from = zt_db_column_int(p, 2),
			.to = zt_db_column_int(p, 3),
			.chrgitm_lv = zt_db_column_int(p, 4),
			.has_selfpay_prop = !zt_db_column_null(p, 5),
			.selfpay_prop_bp = (zt_bp)zt_db_column_int(p, 5),
		};
		for (int l = 0; l < ZT_LEVELS; l++) {
			e.has_ceiling[l] = !zt_db_column_null(p, 6 + l);
			e.ceiling[l] = zt_db_column_int64(p, 6 + l);
		}
		if ((rc = cb(ctx, &e)) != 0)
			break;
	}
	zt_db_done(p);
	return rc ? rc : r;
}

static int set_ends(struct zt_store *s, int64_t row, zt_date ends)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_SET_ENDS, &p);
	if (rc)
		return rc;
	zt_db_bind_int64(p, 1, row);
	zt_db_bind_int(p, 2, ends ? ends : OPEN_END);
	return zt_db_run(q, p, "end catalogue");
}

static int approve(struct zt_store *s, int64_t row, const char *actor)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_APPROVE, &p);
	if (rc)
		return rc;
	zt_db_bind_int64(p, 1, row);
	zt_db_bind_text(p, 2, zt_db_now(q));
	zt_db_bind_text(p, 3, actor);
	if ((rc = zt_db_run(q, p, "approve catalogue")) != 0)
		return rc;
	return zt_db_changes(q) == 1
		       ? 0
		       : zt_error_set(ZT_ECONFLICT, "catalogue #%lld is not pending", (long long)row);
}

static int used(struct zt_store *s, int64_t row, zt_date from, int64_t *out)
{
	return zt_db_count_used(zt_db_of(s), SQL_USED, row, from, "count settlements of a catalogue", out);
}

static int settlement_put(struct zt_store *s, int64_t settlement_row, int64_t catalog_row, int n,
                          const struct zt_catalog_item_diff *items)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_SETTLEMENT_PUT, &p);
	if (rc)
		return rc;
	zt_db_bind_int64(p, 1, settlement_row);
	zt_db_bind_int64(p, 2, catalog_row);
	zt_db_bind_int(p, 3, n);
	if ((rc = zt_db_run(q, p, "store the catalogue of a settlement")) != 0)
		return rc;
	for (int i = 0; i < n; i++) {
		const struct zt_catalog_item_diff *d = &items[i];
		if ((rc = zt_db_prepare(q, SQL_ITEM_PUT, &p)) != 0)
			return rc;
		zt_db_bind_int64(p, 1, settlement_row);
		zt_db_bind_int(p, 2, d->item);
		zt_db_bind_text(p, 3, d->code);
		zt_db_bind_int(p, 4, d->sent_lv);
		zt_db_bind_int(p, 5, d->used_lv);
		bind_opt_int(p, 6, d->sent_has_ceiling, d->sent_ceiling);
		bind_opt_int(p, 7, d->used_has_ceiling, d->used_ceiling);
		zt_db_bind_int(p, 8, d->found);
		if ((rc = zt_db_run(q, p, "store an item the catalogue classed")) != 0)
			return rc;
	}
	return 0;
}

static int settlement_get(struct zt_store *s, int64_t settlement_row,
                          struct zt_settlement_catalog *out,
                          int (*cb)(void *ctx, const struct zt_catalog_item_diff *d), void *ctx)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int r = zt_db_prepare(q, SQL_SETTLEMENT_GET, &p);
	if (r)
		return r;
	zt_db_bind_int64(p, 1, settlement_row);
	if ((r = zt_db_row(q, p, "read the catalogue of a settlement")) <= 0)
		return r == 0 ? ZT_ENOTFOUND : r;
	out->catalog_row = zt_db_column_int64(p, 0);
	zt_db_column_copy(out->catalog_id, sizeof out->catalog_id, p, 1);
	out->differs = zt_db_column_int64(p, 2);
	zt_db_done(p);
	if (!cb)
		return 0;
	int rc = zt_db_prepare(q, SQL_ITEMS_GET, &p);
	if (rc)
		return rc;
	zt_db_bind_int64(p, 1, settlement_row);
	while ((r = zt_db_row(q, p, "read the items a catalogue classed")) == 1) {
		const struct zt_catalog_item_diff d = {
			.item = zt_db_column_int(p, 0),
			.code = zt_db_column_text(p, 1),
			.sent_lv = zt_db_column_int(p, 2),
			.used_lv = zt_db_column_int(p, 3),
			.sent_has_ceiling = !zt_db_column_null(p, 4),
			.sent_ceiling = zt_db_column_int64(p, 4),
			.used_has_ceiling = !zt_db_column_null(p, 5),
			.used_ceiling = zt_db_column_int64(p, 5),
			.found = zt_db_column_int(p, 6) != 0,
		};
		if ((rc = cb(ctx, &d)) != 0)
			break;
	}
	zt_db_done(p);
	return rc ? rc : r;
}

int zt_db_put_periods(struct zt_store *s, const char *psn_no, const struct zt_category_period *periods,
                      int n)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_PERIODS_DEL, &p);
	if (rc)
		return rc;
	zt_db_bind_text(p, 1, psn_no);
	if ((rc = zt_db_run(q, p, "replace category periods")) != 0)
		return rc;
	for (int i = 0; i < n; i++) {
		if ((unsigned)periods[i].value >= ZT_CAT_COUNT)
			return zt_error_set(ZT_EINTERNAL, "person '%s' has a period of no category", psn_no);
		if ((rc = zt_db_prepare(q, SQL_PERIOD_PUT, &p)) != 0)
			return rc;
		zt_db_bind_text(p, 1, psn_no);
		zt_db_bind_int(p, 2, i);
		zt_db_bind_text(p, 3, zt_category_names[periods[i].value]);
		zt_db_bind_int(p, 4, periods[i].from);
		zt_db_bind_int(p, 5, periods[i].to ? periods[i].to : OPEN_END);
		if ((rc = zt_db_run(q, p, "store a category period")) != 0)
			return rc;
	}
	return 0;
}

int zt_db_get_periods(struct zt_store *s, const char *psn_no,
                      struct zt_category_period out[ZT_CATEGORY_PERIODS_MAX], int *n)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_PERIODS_GET, &p), r;
	*n = 0;
	if (rc)
		return rc;
	zt_db_bind_text(p, 1, psn_no);
	while ((r = zt_db_row(q, p, "read category periods")) == 1) {
		if (*n >= ZT_CATEGORY_PERIODS_MAX) {
			zt_db_done(p);
			return zt_error_set(ZT_EINTERNAL, "person '%s' has more than %d periods", psn_no,
			                    ZT_CATEGORY_PERIODS_MAX);
		}
		int c = zt_db_column_name(p, 0, zt_category_names, ZT_CAT_COUNT, 0);
		int to = zt_db_column_int(p, 2);
		out[(*n)++] = (struct zt_category_period){(zt_category)c, zt_db_column_int(p, 1),
		                                          to == OPEN_END ? 0 : to};
	}
	zt_db_done(p);
	return r;
}

const struct zt_store_catalog_ops zt_db_catalog_ops = {
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
