/* zhitong — the registry, written once over the store's driver (store.h
 * registry): hospitals, people, funds, upserted by `registry load`. */
#include <stdio.h>
#include <string.h>

#include "../db.h"

static const char SQL_PUT_HOSPITAL[] =
	"INSERT INTO hospital (code, name, level, county) VALUES (?1, ?2, ?3, ?4) "
	"ON CONFLICT (code) DO UPDATE SET name = excluded.name, level = excluded.level, "
	"county = excluded.county";
static const char SQL_PUT_PERSON[] =
	"INSERT INTO person (psn_no, name, id_no, category, county) VALUES (?1, ?2, ?3, ?4, ?5) "
	"ON CONFLICT (psn_no) DO UPDATE SET name = excluded.name, id_no = excluded.id_no, "
	"category = excluded.category, county = excluded.county";
static const char SQL_PUT_FUND[] = "INSERT INTO fund (code, name) VALUES (?1, ?2) "
                                   "ON CONFLICT (code) DO UPDATE SET name = excluded.name";
/* a hospital with the pool of its county (pool_county; 018), "default"
 * for a county of no pool */
#define HOSPITAL_COLUMNS                                                                      \
	"SELECT h.code, h.name, h.level, h.county, COALESCE(pc.pool, 'default') FROM hospital h " \
	"LEFT JOIN pool_county pc ON pc.county = h.county "
static const char SQL_GET_HOSPITAL[] = HOSPITAL_COLUMNS "WHERE h.code = ?1";
static const char SQL_GET_PERSON[] =
	"SELECT name, id_no, category, county, CASE WHEN EXISTS (SELECT 1 FROM person_category c "
	"WHERE c.psn_no = person.psn_no) THEN 1 ELSE 0 END FROM person WHERE psn_no = ?1";
static const char SQL_PERSON_BY_ID_NO[] =
	"SELECT psn_no FROM person WHERE id_no = ?1 ORDER BY psn_no LIMIT 1";
static const char SQL_GET_FUND[] = "SELECT name FROM fund WHERE code = ?1";
static const char SQL_HOSPITALS[] = HOSPITAL_COLUMNS "ORDER BY h.code COLLATE BINARY";
static const char SQL_POOLS_EACH[] =
	"SELECT k, place, pool FROM (SELECT 0 AS k, county AS place, pool FROM pool_county "
	"UNION ALL SELECT 1, account, pool FROM pool_account) u ORDER BY k, place COLLATE BINARY";
static const char SQL_POOL_COUNTIES_DELETE[] = "DELETE FROM pool_county";
static const char SQL_POOL_ACCOUNTS_DELETE[] = "DELETE FROM pool_account";
static const char SQL_POOL_COUNTY_PUT[] = "INSERT INTO pool_county (county, pool) VALUES (?1, ?2)";
static const char SQL_POOL_ACCOUNT_PUT[] =
	"INSERT INTO pool_account (account, pool) VALUES (?1, ?2)";
static const char SQL_POOL_OF_ACCOUNT[] = "SELECT pool FROM pool_account WHERE account = ?1";

static int put_hospital(struct zt_store *s, const struct zt_hospital *h)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_PUT_HOSPITAL, &p);
	if (rc)
		return rc;
	zt_db_bind_text(p, 1, h->code);
	zt_db_bind_text(p, 2, h->name);
	zt_db_bind_int(p, 3, h->level);
	zt_db_bind_text(p, 4, h->county);
	return zt_db_run(q, p, "store hospital");
}

static int put_person(struct zt_store *s, const struct zt_person *x)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_PUT_PERSON, &p);
	if (rc)
		return rc;
	if ((unsigned)x->category >= ZT_CAT_COUNT)
		return zt_error_set(ZT_EINTERNAL, "person '%s' has no category", x->psn_no);
	zt_db_bind_text(p, 1, x->psn_no);
	zt_db_bind_text(p, 2, x->name);
	zt_db_bind_text(p, 3, x->id_no);
	zt_db_bind_text(p, 4, zt_category_names[x->category]);
	zt_db_bind_text(p, 5, x->county);
	return zt_db_run(q, p, "store person");
}

static int put_fund(struct zt_store *s, const struct zt_fund *f)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_PUT_FUND, &p);
	if (rc)
		return rc;
	zt_db_bind_text(p, 1, f->code);
	zt_db_bind_text(p, 2, f->name);
	return zt_db_run(q, p, "store fund");
}

static void read_hospital(struct zt_db_stmt *p, struct zt_hospital *h)
{
	zt_db_column_copy(h->code, sizeof h->code, p, 0);
	zt_db_column_copy(h->name, sizeof h->name, p, 1);
	h->level = zt_db_column_int(p, 2);
	zt_db_column_copy(h->county, sizeof h->county, p, 3);
	zt_db_column_copy(h->pool, sizeof h->pool, p, 4);
}

int zt_db_hospital_stmt(struct zt_db *q, const char *code, struct zt_db_stmt **out)
{
	int r = zt_db_prepare(q, SQL_GET_HOSPITAL, out);
	if (r == 0)
		zt_db_bind_text(*out, 1, code);
	return r;
}

int zt_db_person_stmt(struct zt_db *q, const char *psn_no, struct zt_db_stmt **out)
{
	int r = zt_db_prepare(q, SQL_GET_PERSON, out);
	if (r == 0)
		zt_db_bind_text(*out, 1, psn_no);
	return r;
}

static int get_hospital(struct zt_store *s, const char *code, struct zt_hospital *out)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int r = zt_db_hospital_stmt(q, code, &p);
	if (r)
		return r;
	if ((r = zt_db_row(q, p, "read hospital")) <= 0)
		return r == 0 ? ZT_ENOTFOUND : r;
	read_hospital(p, out);
	zt_db_done(p);
	return 0;
}

static int get_person(struct zt_store *s, const char *psn_no, struct zt_person *out)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int r = zt_db_person_stmt(q, psn_no, &p);
	if (r)
		return r;
	if ((r = zt_db_row(q, p, "read person")) <= 0)
		return r == 0 ? ZT_ENOTFOUND : r;
	snprintf(out->psn_no, sizeof out->psn_no, "%s", psn_no);
	zt_db_column_copy(out->name, sizeof out->name, p, 0);
	zt_db_column_copy(out->id_no, sizeof out->id_no, p, 1);
	int c = zt_db_column_name(p, 2, zt_category_names, ZT_CAT_COUNT, -1);
	out->category = c < 0 ? ZT_CAT_GENERAL : (zt_category)c;
	zt_db_column_copy(out->county, sizeof out->county, p, 3);
	bool periods = zt_db_column_int(p, 4) != 0;
	zt_db_done(p);
	out->version = 0;
	out->period_count = 0;
	if (c < 0)
		return zt_error_set(ZT_EINTERNAL, "person '%s' has an unknown category", psn_no);
	/* the periods' query only for a person who has some (most have none) */
	return periods ? zt_db_get_periods(s, psn_no, out->periods, &out->period_count) : 0;
}

static int find_person_by_id_no(struct zt_store *s, const char *id_no, struct zt_person *out)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	char psn_no[sizeof out->psn_no];
	int r = zt_db_prepare(q, SQL_PERSON_BY_ID_NO, &p);
	if (r)
		return r;
	zt_db_bind_text(p, 1, id_no);
	if ((r = zt_db_row(q, p, "find person")) <= 0)
		return r == 0 ? ZT_ENOTFOUND : r;
	zt_db_column_copy(psn_no, sizeof psn_no, p, 0);
	zt_db_done(p);
	return get_person(s, psn_no, out);
}

static int get_fund(struct zt_store *s, const char *code, struct zt_fund *out)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int r = zt_db_prepare(q, SQL_GET_FUND, &p);
	if (r)
		return r;
	zt_db_bind_text(p, 1, code);
	if ((r = zt_db_row(q, p, "read fund")) <= 0)
		return r == 0 ? ZT_ENOTFOUND : r;
	snprintf(out->code, sizeof out->code, "%s", code);
	zt_db_column_copy(out->name, sizeof out->name, p, 0);
	zt_db_done(p);
	return 0;
}

static int each_hospital(struct zt_store *s, int (*cb)(void *ctx, const struct zt_hospital *h),
                         void *ctx)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_HOSPITALS, &p), r;
	if (rc)
		return rc;
	while ((r = zt_db_row(q, p, "read hospitals")) == 1) {
		struct zt_hospital h;
		read_hospital(p, &h);
		if ((rc = cb(ctx, &h)) != 0)
			break;
	}
	zt_db_done(p);
	return rc ? rc : r;
}

/* ---- the pools as the configuration last said (pools.h) ---- */

static int pools_each(struct zt_store *s, int (*cb)(void *ctx, const struct zt_pool_place *x),
                      void *ctx)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_POOLS_EACH, &p), r;
	if (rc)
		return rc;
	while ((r = zt_db_row(q, p, "read pools")) == 1) {
		struct zt_pool_place x = {.account = zt_db_column_int(p, 0) != 0};
		zt_db_column_copy(x.key, sizeof x.key, p, 1);
		zt_db_column_copy(x.pool, sizeof x.pool, p, 2);
		if ((rc = cb(ctx, &x)) != 0)
			break;
	}
	zt_db_done(p);
	return rc ? rc : r;
}

static int pools_replace(struct zt_store *s, const struct zt_pool_place *v, size_t n)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_need_write(q, "pools");
	if (rc || (rc = zt_db_prepare(q, SQL_POOL_COUNTIES_DELETE, &p)) ||
	    (rc = zt_db_run(q, p, "forget pool counties")) ||
	    (rc = zt_db_prepare(q, SQL_POOL_ACCOUNTS_DELETE, &p)) ||
	    (rc = zt_db_run(q, p, "forget pool accounts")))
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if ((rc = zt_db_prepare(q, v[i].account ? SQL_POOL_ACCOUNT_PUT : SQL_POOL_COUNTY_PUT,
		                        &p)))
			break;
		zt_db_bind_text(p, 1, v[i].key);
		zt_db_bind_text(p, 2, v[i].pool);
		rc = zt_db_run(q, p, "store pool place");
	}
	return rc;
}

static int pool_of_account(struct zt_store *s, const char *account, char pool[ZT_POOL_ID_BYTES])
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int r = zt_db_prepare(q, SQL_POOL_OF_ACCOUNT, &p);
	if (r)
		return r;
	zt_db_bind_text(p, 1, account);
	if ((r = zt_db_row(q, p, "read pool of account")) <= 0)
		return r == 0 ? ZT_ENOTFOUND : r;
	zt_db_column_copy(pool, ZT_POOL_ID_BYTES, p, 0);
	zt_db_done(p);
	return 0;
}

const struct zt_store_registry_ops zt_db_registry_ops = {
	.put_hospital = put_hospital,
	.put_person = put_person,
	.put_fund = put_fund,
	.get_hospital = get_hospital,
	.get_person = get_person,
	.get_fund = get_fund,
	.find_person_by_id_no = find_person_by_id_no,
	.each_hospital = each_hospital,
	.put_periods = zt_db_put_periods, /* catalog.c */
	.get_periods = zt_db_get_periods,
	.pools_each = pools_each,
	.pools_replace = pools_replace,
	.pool_of_account = pool_of_account,
};
