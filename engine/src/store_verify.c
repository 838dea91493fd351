/* zhitong — invariant checks over stored data (`zhitong verify`).
 *
 * Each check is one SQL query that returns the violating rows, so a clean
 * database returns nothing and every row printed is a finding. The checks
 * recompute from the facts (settlements, funds, transfers) and compare with
 * the caches (accum, account). */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "zhitong/error.h"
#include "store_int.h"


static const struct zt_verify_check core_checks[] = {
	{"settlement conservation",
	 "SELECT count(*) FROM settlement",
	 "SELECT printf('%s: fund_pay_sumamt %d + hosp_part_amt %d + psn_part_amt %d != medfee_sumamt %d (fen)',"
	 " setl_id, fund_pay_sumamt, hosp_part_amt, psn_part_amt, medfee_sumamt)"
	 " FROM settlement WHERE fund_pay_sumamt + hosp_part_amt + psn_part_amt != medfee_sumamt"
	 " UNION ALL SELECT printf('%s: hifp+hifmi+maf+oth %d != fund_pay_sumamt %d', setl_id,"
	 " hifp_pay + hifmi_pay + maf_pay + oth_pay, fund_pay_sumamt) FROM settlement"
	 " WHERE hifp_pay + hifmi_pay + maf_pay + oth_pay != fund_pay_sumamt"
	 " UNION ALL SELECT printf('%s: classification %d does not add up to medfee_sumamt %d', setl_id,"
	 " fulamt_ownpay_amt + overlmt_selfpay + preselfpay_amt + inscp_scp_amt, medfee_sumamt)"
	 " FROM settlement WHERE fulamt_ownpay_amt + overlmt_selfpay + preselfpay_amt + inscp_scp_amt"
	 " != medfee_sumamt"},
	{"settlement funds sum up",
	 "SELECT count(*) FROM settlement_fund",
	 "SELECT printf('%s: funds in setldetail sum to %d, fund_pay_sumamt is %d (basic %d/%d, critical"
	 " %d/%d, assistance %d/%d, relief %d/%d)', s.setl_id, COALESCE(SUM(f.amount), 0), s.fund_pay_sumamt,"
	 " COALESCE(SUM(CASE f.kind WHEN 'basic' THEN f.amount END), 0), s.hifp_pay,"
	 " COALESCE(SUM(CASE f.kind WHEN 'critical' THEN f.amount END), 0), s.hifmi_pay,"
	 " COALESCE(SUM(CASE f.kind WHEN 'assistance' THEN f.amount END), 0), s.maf_pay,"
	 " COALESCE(SUM(CASE f.kind WHEN 'relief' THEN f.amount END), 0), s.oth_pay)"
	 " FROM settlement s LEFT JOIN settlement_fund f ON f.settlement_id = s.id GROUP BY s.id"
	 " HAVING COALESCE(SUM(CASE f.kind WHEN 'basic' THEN f.amount END), 0) != s.hifp_pay"
	 " OR COALESCE(SUM(CASE f.kind WHEN 'critical' THEN f.amount END), 0) != s.hifmi_pay"
	 " OR COALESCE(SUM(CASE f.kind WHEN 'assistance' THEN f.amount END), 0) != s.maf_pay"
	 " OR COALESCE(SUM(CASE f.kind WHEN 'relief' THEN f.amount END), 0) != s.oth_pay"},
	{"reversals mirror their settlement",
	 "SELECT count(*) FROM settlement WHERE kind = 'reverse'",
	 "SELECT printf('%s reverses %s but its amounts are not the exact negation', r.setl_id, o.setl_id)"
	 " FROM settlement r JOIN settlement o ON o.id = r.reverses WHERE r.medfee_sumamt != -o.medfee_sumamt"
	 " OR r.hifp_pay != -o.hifp_pay OR r.hifmi_pay != -o.hifmi_pay OR r.maf_pay != -o.maf_pay"
	 " OR r.oth_pay != -o.oth_pay OR r.hosp_part_amt != -o.hosp_part_amt"
	 " OR r.psn_part_amt != -o.psn_part_amt OR r.critical_base_added != -o.critical_base_added"
	 " OR r.claim_id != o.claim_id OR o.kind != 'settle'"},
	{"ledger balances",
	 "SELECT count(*) FROM account",
	 "SELECT printf('the balances of all accounts sum to %d fen, not 0', SUM(balance)) FROM account"
	 " HAVING SUM(balance) != 0"},
	{"account balances equal their transfers",
	 "SELECT count(*) FROM transfer",
	 "WITH legs AS (SELECT debit AS name, amount AS v FROM transfer"
	 " UNION ALL SELECT credit, -amount FROM transfer),"
	 " sums AS (SELECT name, SUM(v) AS v FROM legs GROUP BY name)"
	 " SELECT printf('account %s: balance %d, transfers sum to %d', a.name, a.balance, COALESCE(x.v, 0))"
	 " FROM account a LEFT JOIN sums x ON x.name = a.name WHERE a.balance != COALESCE(x.v, 0)"
	 " UNION ALL SELECT printf('account %s: transfers sum to %d but it has no balance row', x.name, x.v)"
	 " FROM sums x WHERE x.v != 0 AND NOT EXISTS (SELECT 1 FROM account a WHERE a.name = x.name)"},
	{"settlements are in the ledger",
	 "SELECT count(*) FROM settlement",
	 "WITH t AS (SELECT settlement_id, SUM(CASE WHEN debit LIKE 'fund:%' OR credit LIKE 'fund:%'"
	 " THEN amount ELSE 0 END) AS funds, SUM(amount) AS total FROM transfer"
	 " WHERE settlement_id IS NOT NULL GROUP BY settlement_id)"
	 " SELECT printf('%s: ledger moves %d for the funds and %d in all; the settlement says %d and %d',"
	 " s.setl_id, COALESCE(t.funds, 0), COALESCE(t.total, 0), abs(s.fund_pay_sumamt), abs(s.medfee_sumamt))"
	 " FROM settlement s LEFT JOIN t ON t.settlement_id = s.id"
	 " WHERE COALESCE(t.funds, 0) != abs(s.fund_pay_sumamt) OR COALESCE(t.total, 0) != abs(s.medfee_sumamt)"},
	{"accumulators equal the sums of settlements",
	 "SELECT count(*) FROM accum",
	 "WITH sums AS (SELECT psn_no, year, slot, SUM(v) AS v FROM ("
	 "  SELECT s.psn_no, s.year, f.slot, f.amount AS v FROM settlement_fund f"
	 "  JOIN settlement s ON s.id = f.settlement_id"
	 "  UNION ALL SELECT psn_no, year, 'crit_base', critical_base_added FROM settlement)"
	 "  GROUP BY psn_no, year, slot)"
	 " SELECT printf('person %s %d %s: accumulator %d, settlements less reversals sum to %d',"
	 " a.psn_no, a.year, a.slot, a.amount, COALESCE(x.v, 0)) FROM accum a"
	 " LEFT JOIN sums x ON x.psn_no = a.psn_no AND x.year = a.year AND x.slot = a.slot"
	 " WHERE a.amount != COALESCE(x.v, 0)"
	 " UNION ALL SELECT printf('person %s %d %s: settlements sum to %d but no accumulator is stored',"
	 " x.psn_no, x.year, x.slot, x.v) FROM sums x WHERE x.v != 0 AND NOT EXISTS (SELECT 1 FROM accum a"
	 " WHERE a.psn_no = x.psn_no AND a.year = x.year AND a.slot = x.slot)"},
	{"a claim number has at most one live settlement",
	 "SELECT count(*) FROM claim",
	 "SELECT printf('claim %s/%s has %d settlements that are not reversed', c.fixmedins_code,"
	 " c.claim_no, count(*)) FROM settlement s JOIN claim c ON c.id = s.claim_id"
	 " WHERE s.kind = 'settle' AND NOT EXISTS (SELECT 1 FROM settlement r WHERE r.reverses = s.id)"
	 " GROUP BY c.fixmedins_code, c.claim_no HAVING count(*) > 1"},
};

static int run_checks(sqlite3 *db, const struct zt_verify_check *checks, size_t n,
                      const struct zt_verify_report *r, int64_t *found)
{
	for (size_t i = 0; i < n; i++) {
		sqlite3_stmt *p = NULL;
		if (sqlite3_prepare_v2(db, checks[i].count_sql, -1, &p, NULL) != SQLITE_OK)
			return zt_error_set(ZT_EIO, "verify '%s': %s", checks[i].name, sqlite3_errmsg(db));
		int64_t count = sqlite3_step(p) == SQLITE_ROW ? sqlite3_column_int64(p, 0) : 0;
		sqlite3_finalize(p);
		if (sqlite3_prepare_v2(db, checks[i].sql, -1, &p, NULL) != SQLITE_OK)
			return zt_error_set(ZT_EIO, "verify '%s': %s", checks[i].name, sqlite3_errmsg(db));
		int step;
		while ((step = sqlite3_step(p)) == SQLITE_ROW) {
			(*found)++;
			if (r->violation)
				r->violation(r->ctx, checks[i].name, (const char *)sqlite3_column_text(p, 0));
		}
		sqlite3_finalize(p);
		if (step != SQLITE_DONE)
			return zt_error_set(ZT_EIO, "verify '%s': %s", checks[i].name, sqlite3_errmsg(db));
		if (r->checked)
			r->checked(r->ctx, checks[i].name, count);
	}
	return 0;
}

int zt_store_verify(struct zt_store *s, const struct zt_verify_report *r, int64_t *violations)
{
	sqlite3 *db = zt_store_db(s);
	int64_t found = 0;
	size_t na = 0, nb = 0, nr = 0;
	const struct zt_verify_check *adv = zt_verify_checks_advances(&na);
	const struct zt_verify_check *bat = zt_verify_checks_batches(&nb);
	const struct zt_verify_check *rec = zt_verify_checks_reconcile(&nr);
	/* One read transaction: every check sees the same snapshot. */
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	int rc = run_checks(db, core_checks, sizeof core_checks / sizeof *core_checks, r, &found);
	if (rc == 0)
		rc = run_checks(db, adv, na, r, &found);
	if (rc == 0)
		rc = run_checks(db, bat, nb, r, &found);
	if (rc == 0)
		rc = run_checks(db, rec, nr, r, &found);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	*violations = found;
	return rc;
}

int zt_store_counts(struct zt_store *s, void (*cb)(void *ctx, const char *table, int64_t rows),
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
	sqlite3 *db = zt_store_db(s);
	for (size_t i = 0; i < sizeof tables / sizeof *tables; i++) {
		sqlite3_stmt *p = NULL;
		if (sqlite3_prepare_v2(db, sql[i], -1, &p, NULL) != SQLITE_OK)
			return zt_error_set(ZT_EIO, "count %s: %s", tables[i], sqlite3_errmsg(db));
		int64_t n = sqlite3_step(p) == SQLITE_ROW ? sqlite3_column_int64(p, 0) : 0;
		sqlite3_finalize(p);
		cb(ctx, tables[i], n);
	}
	return 0;
}
