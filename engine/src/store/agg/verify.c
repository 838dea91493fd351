/* zhitong — running the checks of `zhitong verify`, for every engine
 * (verify.h, store.h verify). The checks themselves are each engine's, in
 * its dialect (db.h struct zt_db_check: sqlite/verify.c, pg/verify.c);
 * running them, reading the stored claims and counting the tables are
 * written here once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../db.h"
#include "zhitong/verify.h"

static const char SQL_CLAIMS[] = "SELECT " ZT_DB_CLAIM_COLUMNS " FROM claim ORDER BY id";

static int count(struct zt_db *q, const char *sql, int64_t *out)
{
	struct zt_db_stmt *p;
	int r = zt_db_prepare(q, sql, &p);
	if (r == 0 && (r = zt_db_row(q, p, "verify")) == 1) {
		*out = zt_db_column_int64(p, 0);
		zt_db_done(p);
		return 0;
	}
	return r ? r : zt_error_set(ZT_EINTERNAL, "verify: a count gave no row");
}

static int run(struct zt_store *s, enum zt_verify_check_id id, const struct zt_verify_report *r,
               int64_t *checked, int64_t *violations)
{
	struct zt_db *q = zt_db_of(s);
	if ((unsigned)id >= ZT_VERIFY_CHECKS || !q->checks || !q->checks[id].sql)
		return zt_error_set(ZT_EINVAL, "verify: check %d is not the store's", (int)id);
	const char *name = zt_verify_checks[id].name;
	struct zt_db_stmt *p;
	int rc = q->checks_set_up ? q->checks_set_up(q) : 0, step;
	if (rc || (rc = count(q, q->checks[id].count_sql, checked)) != 0)
		return rc;
	/* a statement of its own: these run once */
	if ((rc = zt_db_prepare_own(q, q->checks[id].sql, &p)) != 0)
		return rc;
	char what[120];
	snprintf(what, sizeof what, "verify '%s'", name);
	while ((step = zt_db_row(q, p, what)) == 1) {
		(*violations)++;
		if (r->violation)
			r->violation(r->ctx, name, zt_db_column_text(p, 0));
	}
	zt_db_finalize(p);
	return step < 0 ? step : 0;
}

static int claims(struct zt_store *s, int (*cb)(void *ctx, const struct zt_stored_claim *c),
                  void *ctx)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare_own(q, SQL_CLAIMS, &p), step;
	if (rc)
		return rc;
	unsigned char digest[ZT_DB_DIGEST_CAP];
	while ((step = zt_db_row(q, p, "read claims")) == 1) {
		struct zt_stored_claim c = zt_db_claim_of(p, digest);
		if ((rc = cb(ctx, &c)) != 0)
			break;
	}
	zt_db_finalize(p);
	return rc ? rc : (step < 0 ? step : 0);
}

static int counts(struct zt_store *s, void (*cb)(void *ctx, const char *table, int64_t rows),
                  void *ctx)
{
	static const char *const tables[] = {"hospital", "person", "fund", "policy", "claim",
	                                     "settlement", "settlement_fund", "accum", "transfer",
	                                     "account", "audit"};
	static const char *const sql[] = {
		"SELECT count(*) FROM hospital", "SELECT count(*) FROM person",
		"SELECT count(*) FROM fund", "SELECT count(*) FROM policy",
		"SELECT count(*) FROM claim", "SELECT count(*) FROM settlement",
		"SELECT count(*) FROM settlement_fund", "SELECT count(*) FROM accum",
		"SELECT count(*) FROM transfer", "SELECT count(*) FROM account",
		"SELECT count(*) FROM audit"};
	struct zt_db *q = zt_db_of(s);
	for (size_t i = 0; i < sizeof tables / sizeof *tables; i++) {
		int64_t n = 0;
		int rc = count(q, sql[i], &n);
		if (rc)
			return rc;
		cb(ctx, tables[i], n);
	}
	return 0;
}

const struct zt_store_verify_ops zt_db_verify_ops = {.run = run, .claims = claims, .counts = counts};
