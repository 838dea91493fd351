/* zhitong — claim v2 and the national platform, written once over the
 * store's driver (store.h claims: v2_put, national_live, v2_each,
 * national_reversed_put, national_reversed_live; docs/spec/claim-v2-national.md,
 * docs/national.md). Schema: schema/sqlite/010-national.sql, schema/pg/002-national.sql. */
#include <stdio.h>
#include <string.h>

#include "../db.h"
/* The live settlement of a claim: not reversed. */
#define LIVE "s.kind = 'settle' AND NOT EXISTS (SELECT 1 FROM settlement r WHERE r.reverses = s.id)"

static const char SQL_PUT[] =
	"INSERT INTO claim_v2 (claim_id, ipt_no, dept_name, deposit, national_setl_id, hifp_pay, "
	"hifmi_pay, maf_pay, fulamt_ownpay_amt, overlmt_selfpay, preselfpay_amt, inscp_scp_amt, "
	"act_pay_dedc, national_use, basic_fund, critical_fund, assistance_fund) "
	"SELECT s.claim_id, CAST(?2 AS TEXT), CAST(?3 AS TEXT), CAST(?4 AS BIGINT), CAST(?5 AS TEXT), "
	"CAST(?6 AS BIGINT), CAST(?7 AS BIGINT), CAST(?8 AS BIGINT), CAST(?9 AS BIGINT), "
	"CAST(?10 AS BIGINT), CAST(?11 AS BIGINT), CAST(?12 AS BIGINT), CAST(?13 AS BIGINT), "
	"CASE WHEN CAST(?14 AS TEXT) IS NULL THEN NULL ELSE 1 + (SELECT count(*) FROM claim_v2 x "
	"WHERE x.national_setl_id = CAST(?5 AS TEXT) AND x.national_use IS NOT NULL) END, "
	"CAST(?14 AS TEXT), CAST(?15 AS TEXT), CAST(?16 AS TEXT) "
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

static void bind_fen_opt(struct zt_db_stmt *p, int i, bool has, zt_fen v)
{
	if (has)
		zt_db_bind_int64(p, i, v);
	else
		zt_db_bind_null(p, i);
}

int zt_db_v2_put(struct zt_store *s, int64_t settlement_row, const struct zt_claim *c,
              const struct zt_national_funds *funds)
{
	struct zt_db *q = zt_db_of(s);
	if (c->version != 2)
		return 0;
	struct zt_db_stmt *p;
	int rc = zt_db_need_write(q, "claim v2");
	if (rc || (rc = zt_db_prepare(q, SQL_PUT, &p)) != 0)
		return rc;
	const struct zt_claim_national *n = &c->national;
	bool nat = c->has_national, bill = nat && n->has_bill_fields;
	zt_db_bind_int64(p, 1, settlement_row);
	zt_db_bind_text(p, 2, c->ipt_no);
	zt_db_bind_text(p, 3, c->dept_name);
	bind_fen_opt(p, 4, c->has_deposit, c->deposit);
	zt_db_bind_text(p, 5, nat ? n->setl_id : NULL);
	bind_fen_opt(p, 6, nat, n->hifp_pay);
	bind_fen_opt(p, 7, nat, n->hifmi_pay);
	bind_fen_opt(p, 8, nat, n->maf_pay);
	bind_fen_opt(p, 9, bill, n->fulamt_ownpay_amt);
	bind_fen_opt(p, 10, bill, n->overlmt_selfpay);
	bind_fen_opt(p, 11, bill, n->preselfpay_amt);
	bind_fen_opt(p, 12, bill, n->inscp_scp_amt);
	bind_fen_opt(p, 13, bill, n->act_pay_dedc);
	zt_db_bind_text(p, 14, nat && funds ? funds->basic : NULL);
	zt_db_bind_text(p, 15, nat && funds ? funds->critical : NULL);
	zt_db_bind_text(p, 16, nat && funds ? funds->assistance : NULL);
	if ((rc = zt_db_run_as(q, p, "store claim v2", true)) != 0)
		return rc == ZT_ECONFLICT ? zt_error_set(ZT_ECONFLICT, "the national settlement '%s' "
		                                         "already stands under another claim's live "
		                                         "settlement", n->setl_id)
		                          : rc;
	return zt_db_changes(q) == 1 ? 0
	                              : zt_error_set(ZT_EINTERNAL, "claim v2 of settlement #%lld: no "
	                                             "such settlement", (long long)settlement_row);
}

int zt_db_national_live(struct zt_store *s, const char *national_setl_id, int64_t *row_out)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_LIVE, &p);
	if (rc)
		return rc;
	zt_db_bind_text(p, 1, national_setl_id);
	if ((rc = zt_db_row(q, p, "find the national settlement's use")) <= 0)
		return rc == 0 ? ZT_ENOTFOUND : rc;
	*row_out = zt_db_column_int64(p, 0);
	zt_db_done(p);
	return 0;
}

int zt_db_national_fill(struct zt_db *q, struct zt_stored_settlement *out)
{
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_FILL, &p);
	if (rc)
		return rc;
	zt_db_bind_int64(p, 1, out->claim_row);
	out->claim_version = 1;
	out->national_setl_id[0] = '\0';
	memset(&out->national_funds, 0, sizeof out->national_funds);
	if ((rc = zt_db_row(q, p, "read claim v2")) <= 0)
		return rc;
	out->claim_version = 2;
	if (zt_db_column_int(p, 4)) {
		zt_db_column_copy(out->national_setl_id, sizeof out->national_setl_id, p, 0);
		zt_db_column_copy(out->national_funds.basic, sizeof out->national_funds.basic, p, 1);
		zt_db_column_copy(out->national_funds.critical, sizeof out->national_funds.critical, p, 2);
		zt_db_column_copy(out->national_funds.assistance, sizeof out->national_funds.assistance, p, 3);
	}
	zt_db_done(p);
	return 0;
}

int zt_db_v2_each(struct zt_store *s, int (*cb)(void *ctx, int64_t claim_row, const struct zt_claim *c),
               void *ctx)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_EACH, &p), r;
	if (rc)
		return rc;
	struct zt_claim c;
	while ((r = zt_db_row(q, p, "read claims v2")) == 1) {
		memset(&c, 0, sizeof c);
		c.version = 2;
		zt_db_column_copy(c.ipt_no, sizeof c.ipt_no, p, 1);
		zt_db_column_copy(c.dept_name, sizeof c.dept_name, p, 2);
		c.has_deposit = !zt_db_column_null(p, 3);
		c.deposit = zt_db_column_int64(p, 3);
		c.has_national = !zt_db_column_null(p, 4);
		struct zt_claim_national *n = &c.national;
		zt_db_column_copy(n->setl_id, sizeof n->setl_id, p, 4);
		n->hifp_pay = zt_db_column_int64(p, 5);
		n->hifmi_pay = zt_db_column_int64(p, 6);
		n->maf_pay = zt_db_column_int64(p, 7);
		n->has_bill_fields = !zt_db_column_null(p, 8);
		zt_fen *bill[] = {&n->fulamt_ownpay_amt, &n->overlmt_selfpay, &n->preselfpay_amt,
		                  &n->inscp_scp_amt, &n->act_pay_dedc};
		for (int i = 0; i < 5; i++)
			*bill[i] = zt_db_column_int64(p, 8 + i);
		if ((rc = cb(ctx, zt_db_column_int64(p, 0), &c)) != 0)
			break;
	}
	zt_db_done(p);
	return rc ? rc : r;
}

int zt_db_national_reversed_put(struct zt_store *s, const char *national_setl_id, zt_date reversed_on,
                             const char *file, const char *actor, bool *was_new)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_need_write(q, "national reversal");
	if (rc || (rc = zt_db_prepare(q, SQL_REVERSED_PUT, &p)) != 0)
		return rc;
	zt_db_bind_text(p, 1, national_setl_id);
	zt_db_bind_int(p, 2, reversed_on);
	zt_db_bind_text(p, 3, file);
	zt_db_bind_text(p, 4, zt_db_now(q));
	zt_db_bind_text(p, 5, actor);
	if ((rc = zt_db_run(q, p, "store a national reversal")) != 0)
		return rc;
	*was_new = zt_db_changes(q) == 1;
	return 0;
}

int zt_db_national_reversed_live(struct zt_store *s,
                              int (*cb)(void *ctx, const struct zt_national_reversed_line *l),
                              void *ctx)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_REVERSED_LIVE, &p), r;
	if (rc)
		return rc;
	while ((r = zt_db_row(q, p, "read the national reversals")) == 1) {
		const struct zt_national_reversed_line l = {
			.national_setl_id = zt_db_column_text(p, 0), .reversed_on = zt_db_column_int(p, 1),
			.setl_id = zt_db_column_text(p, 2), .fixmedins_code = zt_db_column_text(p, 3),
			.claim_no = zt_db_column_text(p, 4), .psn_no = zt_db_column_text(p, 5),
			.dscg_date = zt_db_column_int(p, 6), .medfee_sumamt = zt_db_column_int64(p, 7),
			.oth_pay = zt_db_column_int64(p, 8), .hosp_part_amt = zt_db_column_int64(p, 9),
		};
		if ((rc = cb(ctx, &l)) != 0)
			break;
	}
	zt_db_done(p);
	return rc ? rc : r;
}
