/* zhitong — the store's claim lookups (store.h "finding claims"): a
 * settlement by its setl_id, the reversal of a settlement, and the list of
 * settlements and reversals by person, hospital and discharge date. Every
 * statement is bound with sqlite3_bind_*; none is built from strings. They
 * run once per command, so each is prepared from the connection's cache. */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "store_int.h"
#include "zhitong/error.h"

static int db_fail(struct zt_store *s, const char *what)
{
	sqlite3 *db = zt_store_db(s);
	int ec = sqlite3_errcode(db);
	int code = (ec == SQLITE_BUSY || ec == SQLITE_LOCKED) ? ZT_EBUSY : ZT_EIO;
	return zt_error_set(code, "database: %s: %s", what, sqlite3_errmsg(db));
}

static const char *col_str(sqlite3_stmt *p, int col)
{
	const unsigned char *t = sqlite3_column_text(p, col);
	return t ? (const char *)t : "";
}

static const char SQL_BY_SETL_ID[] = "SELECT id FROM settlement WHERE setl_id = ?1";

int zt_store_find_setl_id(struct zt_store *s, const char *setl_id, int64_t *row_out)
{
	sqlite3_stmt *p;
	int rc = zt_store_stmt(s, SQL_BY_SETL_ID, &p);
	if (rc)
		return rc;
	sqlite3_bind_text(p, 1, setl_id, -1, SQLITE_STATIC);
	int step = sqlite3_step(p);
	if (step == SQLITE_ROW)
		*row_out = sqlite3_column_int64(p, 0);
	else if (step == SQLITE_DONE)
		rc = ZT_ENOTFOUND;
	else
		rc = db_fail(s, "find a settlement");
	sqlite3_reset(p);
	return rc;
}

static const char SQL_REVERSAL_OF[] = "SELECT id FROM settlement WHERE reverses = ?1";

int zt_store_reversal_of(struct zt_store *s, int64_t row, int64_t *row_out)
{
	sqlite3_stmt *p;
	int rc = zt_store_stmt(s, SQL_REVERSAL_OF, &p);
	if (rc)
		return rc;
	sqlite3_bind_int64(p, 1, row);
	int step = sqlite3_step(p);
	*row_out = step == SQLITE_ROW ? sqlite3_column_int64(p, 0) : 0;
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		rc = db_fail(s, "find a reversal");
	sqlite3_reset(p);
	return rc;
}

/* One list, three ways in: by the person (claim_by_person), by the
 * hospital (the claim table's own (fixmedins_code, claim_no, seq) index),
 * or by discharge dates alone (claim_by_discharge). ?1 person, ?2
 * hospital (NULL: any), ?3 and ?4 the discharge dates, inclusive. */
#define CLAIM_LIST_SELECT                                                                         \
	"SELECT s.setl_id, s.kind, COALESCE(o.setl_id, ''), s.fixmedins_code, c.claim_no, "     \
	"s.psn_no, c.adm_date, c.dscg_date, s.medfee_sumamt, s.fund_pay_sumamt, s.hosp_part_amt, " \
	"s.psn_part_amt, s.settled_at, s.actor, COALESCE(s.reason, '') "                          \
	"FROM claim c JOIN settlement s ON s.claim_id = c.id "                                     \
	"LEFT JOIN settlement o ON o.id = s.reverses WHERE "
#define CLAIM_LIST_ORDER " ORDER BY c.dscg_date, c.fixmedins_code, c.claim_no, s.id"

static const char SQL_LIST_PERSON[] =
	CLAIM_LIST_SELECT "c.psn_no = ?1 AND (?2 IS NULL OR c.fixmedins_code = ?2) "
	"AND c.dscg_date BETWEEN ?3 AND ?4" CLAIM_LIST_ORDER;
static const char SQL_LIST_HOSPITAL[] =
	CLAIM_LIST_SELECT "c.fixmedins_code = ?2 AND c.dscg_date BETWEEN ?3 AND ?4" CLAIM_LIST_ORDER;
static const char SQL_LIST_DAYS[] =
	CLAIM_LIST_SELECT "c.dscg_date BETWEEN ?3 AND ?4" CLAIM_LIST_ORDER;

int zt_store_claim_list(struct zt_store *s, const struct zt_claim_filter *f,
                        int (*cb)(void *ctx, const struct zt_claim_line *l), void *ctx)
{
	const char *sql = f->psn_no ? SQL_LIST_PERSON : f->hospital ? SQL_LIST_HOSPITAL : SQL_LIST_DAYS;
	sqlite3_stmt *p;
	int rc = zt_store_stmt(s, sql, &p);
	if (rc)
		return rc;
	if (f->psn_no)
		sqlite3_bind_text(p, 1, f->psn_no, -1, SQLITE_STATIC);
	if (f->hospital)
		sqlite3_bind_text(p, 2, f->hospital, -1, SQLITE_STATIC);
	sqlite3_bind_int64(p, 3, f->from);
	sqlite3_bind_int64(p, 4, f->to ? f->to : 99991231);
	int step;
	while ((step = sqlite3_step(p)) == SQLITE_ROW) {
		struct zt_claim_line l = {
			.setl_id = col_str(p, 0),
			.kind = col_str(p, 1),
			.reverses = col_str(p, 2),
			.fixmedins_code = col_str(p, 3),
			.claim_no = col_str(p, 4),
			.psn_no = col_str(p, 5),
			.adm_date = (zt_date)sqlite3_column_int64(p, 6),
			.dscg_date = (zt_date)sqlite3_column_int64(p, 7),
			.medfee_sumamt = sqlite3_column_int64(p, 8),
			.fund_pay_sumamt = sqlite3_column_int64(p, 9),
			.hosp_part_amt = sqlite3_column_int64(p, 10),
			.psn_part_amt = sqlite3_column_int64(p, 11),
			.settled_at = col_str(p, 12),
			.actor = col_str(p, 13),
			.reason = col_str(p, 14),
		};
		if ((rc = cb(ctx, &l)) != 0)
			break;
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = db_fail(s, "list claims");
	sqlite3_reset(p);
	return rc;
}
