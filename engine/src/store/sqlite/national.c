/* zhitong — claim v2 and the national platform in the SQLite store
 * (store.h claims: v2_put, national_live, v2_each, national_reversed_put,
 * national_reversed_live; docs/spec/claim-v2-national.md, docs/national.md).
 * Schema: schema/sqlite/010-national.sql. */
#include <stdio.h>
#include <string.h>

#include "sqlite_int.h"

/* The live settlement of a claim: not reversed. */
#define LIVE "s.kind = 'settle' AND NOT EXISTS (SELECT 1 FROM settlement r WHERE r.reverses = s.id)"

static const char SQL_PUT[] =
	"INSERT INTO claim_v2 (claim_id, ipt_no, dept_name, deposit, national_setl_id, hifp_pay, "
	"hifmi_pay, maf_pay, fulamt_ownpay_amt, overlmt_selfpay, preselfpay_amt, inscp_scp_amt, "
	"act_pay_dedc, national_use, basic_fund, critical_fund, assistance_fund) "
	"SELECT s.claim_id, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
	"CASE WHEN ?14 IS NULL THEN NULL ELSE 1 + (SELECT count(*) FROM claim_v2 x "
	"WHERE x.national_setl_id = ?5 AND x.national_use IS NOT NULL) END, ?14, ?15, ?16 "
	"FROM settlement s WHERE s.id = ?1";
static const char SQL_LIVE[] =
	"SELECT s.id FROM claim_v2 v JOIN settlement s ON s.claim_id = v.claim_id "
	"WHERE v.national_setl_id = ?1 AND v.national_use IS NOT NULL AND " LIVE " ORDER BY s.id LIMIT 1";
static const char SQL_FILL[] =
	"SELECT COALESCE(v.national_setl_id, ''), COALESCE(v.basic_fund, ''), "
	"COALESCE(v.critical_fund, ''), COALESCE(v.assistance_fund, ''), v.national_use IS NOT NULL "
	"FROM claim_v2 v WHERE v.claim_id = ?1";
static const char SQL_EACH[] =
	"SELECT claim_id, ipt_no, dept_name, deposit, national_setl_id, hifp_pay, hifmi_pay, maf_pay, "
	"fulamt_ownpay_amt, overlmt_selfpay, preselfpay_amt, inscp_scp_amt, act_pay_dedc "
	"FROM claim_v2 ORDER BY claim_id";
static const char SQL_REVERSED_PUT[] =
	"INSERT INTO national_reversed (national_setl_id, reversed_on, file, imported_at, "
	"imported_by) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (national_setl_id) DO NOTHING";
static const char SQL_REVERSED_LIVE[] =
	"SELECT n.national_setl_id, n.reversed_on, s.setl_id, s.fixmedins_code, c.claim_no, s.psn_no, "
	"c.dscg_date, s.medfee_sumamt, s.oth_pay, s.hosp_part_amt "
	"FROM national_reversed n JOIN claim_v2 v ON v.national_setl_id = n.national_setl_id "
	"AND v.national_use IS NOT NULL JOIN settlement s ON s.claim_id = v.claim_id "
	"JOIN claim c ON c.id = s.claim_id WHERE " LIVE " ORDER BY n.national_setl_id, s.id";

static void bind_fen_opt(sqlite3_stmt *p, int i, bool has, zt_fen v)
{
	if (has)
		sqlite3_bind_int64(p, i, v);
	else
		sqlite3_bind_null(p, i);
}

int sq_v2_put(struct zt_store *s, int64_t settlement_row, const struct zt_claim *c,
              const struct zt_national_funds *funds)
{
	struct sq *q = sq_of(s);
	if (c->version != 2)
		return 0;
	sqlite3_stmt *p;
	int rc = sq_need_write(q, "claim v2");
	if (rc || (rc = sq_stmt(q, SQL_PUT, &p)) != 0)
		return rc;
	const struct zt_claim_national *n = &c->national;
	bool nat = c->has_national, bill = nat && n->has_bill_fields;
	sqlite3_bind_int64(p, 1, settlement_row);
	sq_bind_text(p, 2, c->ipt_no);
	sq_bind_text(p, 3, c->dept_name);
	bind_fen_opt(p, 4, c->has_deposit, c->deposit);
	sq_bind_text(p, 5, nat ? n->setl_id : NULL);
	bind_fen_opt(p, 6, nat, n->hifp_pay);
	bind_fen_opt(p, 7, nat, n->hifmi_pay);
	bind_fen_opt(p, 8, nat, n->maf_pay);
	bind_fen_opt(p, 9, bill, n->fulamt_ownpay_amt);
	bind_fen_opt(p, 10, bill, n->overlmt_selfpay);
	bind_fen_opt(p, 11, bill, n->preselfpay_amt);
	bind_fen_opt(p, 12, bill, n->inscp_scp_amt);
	bind_fen_opt(p, 13, bill, n->act_pay_dedc);
	sq_bind_text(p, 14, nat && funds ? funds->basic : NULL);
	sq_bind_text(p, 15, nat && funds ? funds->critical : NULL);
	sq_bind_text(p, 16, nat && funds ? funds->assistance : NULL);
	rc = sqlite3_step(p);
	if (rc == SQLITE_DONE) {
		int changes = sqlite3_changes(q->db);
		sq_done(p);
		return changes == 1 ? 0
		                    : zt_error_set(ZT_EINTERNAL, "claim v2 of settlement #%lld: no "
		                                   "such settlement", (long long)settlement_row);
	}
	int err = sqlite3_extended_errcode(q->db) == SQLITE_CONSTRAINT_UNIQUE
	                  ? zt_error_set(ZT_ECONFLICT, "the national settlement '%s' already stands "
	                                 "under another claim's live settlement", n->setl_id)
	                  : sq_error(q, "store claim v2");
	sq_done(p);
	return err;
}

int sq_national_live(struct zt_store *s, const char *national_setl_id, int64_t *row_out)
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *p;
	int rc = sq_stmt(q, SQL_LIVE, &p);
	if (rc)
		return rc;
	sq_bind_text(p, 1, national_setl_id);
	if ((rc = sq_row(q, p, "find the national settlement's use")) <= 0)
		return rc == 0 ? ZT_ENOTFOUND : rc;
	*row_out = sqlite3_column_int64(p, 0);
	sq_done(p);
	return 0;
}

int sq_national_fill(struct sq *q, struct zt_stored_settlement *out)
{
	sqlite3_stmt *p;
	int rc = sq_stmt(q, SQL_FILL, &p);
	if (rc)
		return rc;
	sqlite3_bind_int64(p, 1, out->claim_row);
	out->claim_version = 1;
	out->national_setl_id[0] = '\0';
	memset(&out->national_funds, 0, sizeof out->national_funds);
	if ((rc = sq_row(q, p, "read claim v2")) <= 0)
		return rc;
	out->claim_version = 2;
	if (sqlite3_column_int(p, 4)) {
		sq_col_copy(out->national_setl_id, sizeof out->national_setl_id, p, 0);
		sq_col_copy(out->national_funds.basic, sizeof out->national_funds.basic, p, 1);
		sq_col_copy(out->national_funds.critical, sizeof out->national_funds.critical, p, 2);
		sq_col_copy(out->national_funds.assistance, sizeof out->national_funds.assistance, p, 3);
	}
	sq_done(p);
	return 0;
}

int sq_v2_each(struct zt_store *s, int (*cb)(void *ctx, int64_t claim_row, const struct zt_claim *c),
               void *ctx)
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *p;
	int rc = sq_stmt(q, SQL_EACH, &p), r;
	if (rc)
		return rc;
	struct zt_claim c;
	while ((r = sq_row(q, p, "read claims v2")) == 1) {
		memset(&c, 0, sizeof c);
		c.version = 2;
		sq_col_copy(c.ipt_no, sizeof c.ipt_no, p, 1);
		sq_col_copy(c.dept_name, sizeof c.dept_name, p, 2);
		c.has_deposit = sqlite3_column_type(p, 3) != SQLITE_NULL;
		c.deposit = sqlite3_column_int64(p, 3);
		c.has_national = sqlite3_column_type(p, 4) != SQLITE_NULL;
		struct zt_claim_national *n = &c.national;
		sq_col_copy(n->setl_id, sizeof n->setl_id, p, 4);
		n->hifp_pay = sqlite3_column_int64(p, 5);
		n->hifmi_pay = sqlite3_column_int64(p, 6);
		n->maf_pay = sqlite3_column_int64(p, 7);
		n->has_bill_fields = sqlite3_column_type(p, 8) != SQLITE_NULL;
		zt_fen *bill[] = {&n->fulamt_ownpay_amt, &n->overlmt_selfpay, &n->preselfpay_amt,
		                  &n->inscp_scp_amt, &n->act_pay_dedc};
		for (int i = 0; i < 5; i++)
			*bill[i] = sqlite3_column_int64(p, 8 + i);
		if ((rc = cb(ctx, sqlite3_column_int64(p, 0), &c)) != 0)
			break;
	}
	sq_done(p);
	return rc ? rc : r;
}

int sq_national_reversed_put(struct zt_store *s, const char *national_setl_id, zt_date reversed_on,
                             const char *file, const char *actor, bool *was_new)
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *p;
	int rc = sq_need_write(q, "national reversal");
	if (rc || (rc = sq_stmt(q, SQL_REVERSED_PUT, &p)) != 0)
		return rc;
	sq_bind_text(p, 1, national_setl_id);
	sqlite3_bind_int(p, 2, reversed_on);
	sq_bind_text(p, 3, file);
	sq_bind_text(p, 4, sq_now(q));
	sq_bind_text(p, 5, actor);
	if ((rc = sq_run(q, p, "store a national reversal")) != 0)
		return rc;
	*was_new = sqlite3_changes(q->db) == 1;
	return 0;
}

int sq_national_reversed_live(struct zt_store *s,
                              int (*cb)(void *ctx, const struct zt_national_reversed_line *l),
                              void *ctx)
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *p;
	int rc = sq_stmt(q, SQL_REVERSED_LIVE, &p), r;
	if (rc)
		return rc;
	while ((r = sq_row(q, p, "read the national reversals")) == 1) {
		const struct zt_national_reversed_line l = {
			.national_setl_id = sq_col_text(p, 0), .reversed_on = sqlite3_column_int(p, 1),
			.setl_id = sq_col_text(p, 2), .fixmedins_code = sq_col_text(p, 3),
			.claim_no = sq_col_text(p, 4), .psn_no = sq_col_text(p, 5),
			.dscg_date = sqlite3_column_int(p, 6), .medfee_sumamt = sqlite3_column_int64(p, 7),
			.oth_pay = sqlite3_column_int64(p, 8), .hosp_part_amt = sqlite3_column_int64(p, 9),
		};
		if ((rc = cb(ctx, &l)) != 0)
			break;
	}
	sq_done(p);
	return rc ? rc : r;
}
