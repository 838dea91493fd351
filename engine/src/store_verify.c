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
	/* the sums in parts (store_int.h): every balance fits in int64, their
	 * running sums need not */
	{"ledger balances",
	 "SELECT count(*) FROM account",
	 "SELECT printf('the balances of all accounts sum to %d fen, not 0', q * " ZT_SQL_G " + r)"
	 " FROM (SELECT " ZT_SQL_Q("h", "l") " AS q, " ZT_SQL_R("l") " AS r FROM (SELECT "
	 ZT_SQL_SUM_HI("balance") " AS h, " ZT_SQL_SUM_LO("balance") " AS l FROM account))"
	 " WHERE q != 0 OR r != 0"},
	{"account balances equal their transfers",
	 "SELECT count(*) FROM transfer",
	 "WITH legs AS (SELECT debit AS name, amount AS v FROM transfer"
	 " UNION ALL SELECT credit, -amount FROM transfer),"
	 " sums AS (SELECT name, " ZT_SQL_SUM_HI("v") " AS h, " ZT_SQL_SUM_LO("v") " AS l FROM legs"
	 " GROUP BY name),"
	 " x AS (SELECT name, " ZT_SQL_Q("h", "l") " AS q, " ZT_SQL_R("l") " AS r FROM sums)"
	 " SELECT printf('account %s: balance %s, transfers sum to %d', a.name, a.balance,"
	 " COALESCE(x.q * " ZT_SQL_G " + x.r, 0))"
	 " FROM account a LEFT JOIN x ON x.name = a.name"
	 " WHERE " ZT_SQL_Q("a.balance / " ZT_SQL_G, "a.balance % " ZT_SQL_G) " IS NOT COALESCE(x.q, 0)"
	 " OR " ZT_SQL_R("a.balance % " ZT_SQL_G) " IS NOT COALESCE(x.r, 0)"
	 " UNION ALL SELECT printf('account %s: transfers sum to %d but it has no balance row', x.name,"
	 " x.q * " ZT_SQL_G " + x.r)"
	 " FROM x WHERE (x.q != 0 OR x.r != 0) AND NOT EXISTS (SELECT 1 FROM account a"
	 " WHERE a.name = x.name)"},
	/* SQLite keeps what a column is given: a REAL in a money column is an
	 * int64 overflow that became floating point (SQLite's `+` and SUM do
	 * that), or a value written by hand. Money is whole fen, always. */
	{"money is stored as whole fen",
	 "SELECT (SELECT count(*) FROM account) + (SELECT count(*) FROM accum)"
	 " + (SELECT count(*) FROM transfer) + (SELECT count(*) FROM settlement)"
	 " + (SELECT count(*) FROM settlement_fund) + (SELECT count(*) FROM batch)"
	 " + (SELECT count(*) FROM advance) + (SELECT count(*) FROM advance_plan)"
	 " + (SELECT count(*) FROM bank_entry) + (SELECT count(*) FROM recon_alloc)"
	 " + (SELECT count(*) FROM batch_return)",
	 "SELECT printf('account %s: balance %s is a %s, not whole fen', name, balance,"
	 " typeof(balance)) FROM account WHERE typeof(balance) <> 'integer'"
	 " UNION ALL SELECT printf('person %s %d %s: accumulator %s is a %s, not whole fen', psn_no,"
	 " year, slot, amount, typeof(amount)) FROM accum WHERE typeof(amount) <> 'integer'"
	 " UNION ALL SELECT printf('transfer #%d: amount %s is a %s', id, amount, typeof(amount))"
	 " FROM transfer WHERE typeof(amount) <> 'integer'"
	 " UNION ALL SELECT printf('%s: an amount is not whole fen', setl_id) FROM settlement"
	 " WHERE typeof(medfee_sumamt) <> 'integer' OR typeof(fulamt_ownpay_amt) <> 'integer'"
	 " OR typeof(overlmt_selfpay) <> 'integer' OR typeof(preselfpay_amt) <> 'integer'"
	 " OR typeof(inscp_scp_amt) <> 'integer' OR typeof(act_pay_dedc) <> 'integer'"
	 " OR typeof(hifp_pay) <> 'integer' OR typeof(hifmi_pay) <> 'integer'"
	 " OR typeof(maf_pay) <> 'integer' OR typeof(oth_pay) <> 'integer'"
	 " OR typeof(fund_pay_sumamt) <> 'integer' OR typeof(hosp_part_amt) <> 'integer'"
	 " OR typeof(psn_part_amt) <> 'integer' OR typeof(critical_base_added) <> 'integer'"
	 " UNION ALL SELECT printf('share #%d/%d: amount %s is a %s', settlement_id, seq, amount,"
	 " typeof(amount)) FROM settlement_fund WHERE typeof(amount) <> 'integer'"
	 " UNION ALL SELECT printf('batch %s: an amount is not whole fen (total %s, not payable %s,"
	 " accepted %s, paid %s, returned %s)', id, total, info_total, accepted_total, paid,"
	 " returned) FROM batch WHERE typeof(total) <> 'integer' OR typeof(info_total) <> 'integer'"
	 " OR typeof(paid) <> 'integer' OR typeof(returned) <> 'integer'"
	 " OR typeof(accepted_total) NOT IN ('integer', 'null')"
	 " UNION ALL SELECT printf('advance %s: amount %s is a %s', advance_id, amount,"
	 " typeof(amount)) FROM advance WHERE typeof(amount) <> 'integer'"
	 " UNION ALL SELECT printf('plan %s: total %s is a %s', plan_id, total, typeof(total))"
	 " FROM advance_plan WHERE typeof(total) <> 'integer'"
	 " UNION ALL SELECT printf('plan #%d, hospital %s: an amount is not whole fen', plan_row,"
	 " hospital) FROM advance_plan_line WHERE typeof(window_earned) <> 'integer'"
	 " OR typeof(target) <> 'integer' OR typeof(balance) <> 'integer'"
	 " OR typeof(topup) <> 'integer'"
	 " UNION ALL SELECT printf('bank entry %s: amount %s is a %s', ref, amount, typeof(amount))"
	 " FROM bank_entry WHERE typeof(amount) <> 'integer'"
	 " UNION ALL SELECT printf('a match of batch %s: an amount is not whole fen', batch_id)"
	 " FROM recon_alloc WHERE typeof(amount) <> 'integer' OR typeof(written_off) <> 'integer'"
	 " UNION ALL SELECT printf('return #%d of batch %s: amount %s is a %s', id, batch_id, amount,"
	 " typeof(amount)) FROM batch_return WHERE typeof(amount) <> 'integer'"
	 " UNION ALL SELECT printf('exception %s: amount %s is a %s', exc_id, amount, typeof(amount))"
	 " FROM recon_exception WHERE typeof(amount) <> 'integer'"},
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
