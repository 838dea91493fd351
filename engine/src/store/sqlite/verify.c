/* zhitong — the checks of `zhitong verify` in SQLite's dialect (verify.h,
 * store.h verify; agg/verify.c runs them). Each check is one query that returns the violating rows
 * (a one-line message each), so a clean database returns nothing and every
 * row printed is a finding, and one that counts what it looked at. They
 * recompute from the facts (settlements, shares, transfers) and compare with
 * the caches (accum, account); they never rely on the schema's own guards:
 * foreign keys may have been off, triggers dropped and CHECK constraints
 * ignored by whoever edited the file by hand. Which checks there are, and
 * what each proves, is verify.h's list; this file implements each. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "sqlite_int.h"



/* ---- functions the checks call --------------------------------------------- */

/* zt_sha256_hex(text): lowercase hex SHA-256 of the text's bytes. */
static void sql_sha256_hex(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	const unsigned char *t = sqlite3_value_text(argv[0]);
	if (!t) {
		sqlite3_result_null(ctx);
		return;
	}
	unsigned char md[32];
	unsigned int n = 0;
	char hex[65];
	if (EVP_Digest(t, (size_t)sqlite3_value_bytes(argv[0]), md, &n, EVP_sha256(), NULL) != 1 ||
	    n != 32) {
		sqlite3_result_error(ctx, "sha256 failed", -1);
		return;
	}
	for (unsigned i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	sqlite3_result_text(ctx, hex, 64, SQLITE_TRANSIENT);
}

/* The triggers the migrations create (schema/sqlite/NNN-*.sql): facts stay
 * immutable only while they are there. */
static const char *const guards[] = {
	"claim_immutable_u", "claim_immutable_d", "settlement_immutable_u",
	"settlement_immutable_d", "settlement_fund_immutable_u", "settlement_fund_immutable_d",
	"settlement_trace_segment_immutable_u", "settlement_trace_segment_immutable_d",
	"transfer_immutable_u", "transfer_immutable_d", "audit_immutable_u", "audit_immutable_d",
	"policy_immutable_u", "policy_immutable_d", "audit_last_id",
	"advance_plan_immutable_u", "advance_plan_immutable_d", "advance_plan_line_immutable_u",
	"advance_plan_line_immutable_d", "advance_approval_immutable_u",
	"advance_approval_immutable_d", "advance_immutable_u", "advance_immutable_d",
	"batch_share_immutable_u", "batch_share_immutable_d", "batch_immutable_d",
	"batch_event_immutable_u", "batch_event_immutable_d", "batch_send_immutable_u",
	"batch_send_immutable_d", "batch_reject_immutable_u", "batch_reject_immutable_d",
	"bank_import_immutable_d", "bank_import_immutable_u", "bank_entry_immutable_u",
	"bank_entry_immutable_d", "recon_exception_immutable_u", "recon_exception_immutable_d",
	"recon_resolution_immutable_u", "recon_resolution_immutable_d", "recon_match_immutable_u",
	"recon_match_immutable_d", "recon_alloc_immutable_u", "recon_alloc_immutable_d",
	"batch_return_immutable_u", "batch_return_immutable_d", "account_balance_integer_i",
	"account_balance_integer_u", "accum_amount_integer_i", "accum_amount_integer_u",
	"batch_money_integer_i", "batch_money_integer_u",
	"policy_version_guard_u", "policy_version_immutable_d",
};

/* zt_guard(i): the name of guard i, NULL past the list (a table of names
 * without a temporary table: verify runs on a read-only connection). */
static void sql_guard(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	int64_t i = sqlite3_value_int64(argv[0]);
	if (i >= 0 && i < (int64_t)(sizeof guards / sizeof *guards))
		sqlite3_result_text(ctx, guards[i], -1, SQLITE_STATIC);
	else
		sqlite3_result_null(ctx);
}

/* ---- the queries --------------------------------------------------------------- */

/* The dialect of verify_sql.h. */
#define ZT_SQL_G SQ_G
#define ZT_SQL_SUM_HI(e) SQ_SUM_HI(e)
#define ZT_SQL_SUM_LO(e) SQ_SUM_LO(e)
#define ZT_SQL_Q(h, l) SQ_Q(h, l)
#define ZT_SQL_R(l) SQ_R(l)
#define ZT_SQL_SETL_ID(id) "printf('S%012d', " id ")"
#define ZT_SQL_SHA256_HEX(t) "zt_sha256_hex(" t ")"
#define ZT_SQL_STRPOS(s, sub) "instr(" s ", " sub ")"
#define ZT_SQL_MAX0(e) "max(" e ", 0)"
#include "../agg/verify_sql.h"

const struct zt_db_check sq_checks[ZT_VERIFY_CHECKS] = {
#include "../agg/verify_checks.inc"
	/* the checks of this dialect */
	/* SQLite keeps what a column is given: a REAL in a money column is an
	 * int64 overflow that became floating point (SQLite's `+` and SUM do
	 * that), or a value written by hand. Money is whole fen, always. */
	[ZT_VERIFY_WHOLE_FEN] = {
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
	[ZT_VERIFY_REFERENCES] = {
	 "SELECT count(*) FROM sqlite_schema WHERE type = 'table'",
	 /* Foreign keys may have been off: SQLite lists every dangling one.
	  * The core's own references are checked above, with their meaning. */
	 "SELECT printf('%s%s: %s refers to a row of %s that is gone', f.\"table\","
	 " CASE WHEN f.rowid IS NULL THEN '' ELSE printf(' row %d', f.rowid) END,"
	 " (SELECT group_concat(k.\"from\", ', ') FROM pragma_foreign_key_list(f.\"table\") k"
	 " WHERE k.id = f.fkid), f.parent) FROM pragma_foreign_key_check f"
	 " WHERE f.\"table\" NOT IN ('claim', 'settlement', 'settlement_fund', 'transfer')"},
	[ZT_VERIFY_GUARDS] = {
	 "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'",
	 "WITH RECURSIVE g(i, name) AS (SELECT 0, zt_guard(0) UNION ALL SELECT i + 1, zt_guard(i + 1)"
	 " FROM g WHERE zt_guard(i + 1) IS NOT NULL)"
	 " SELECT printf('trigger %s is missing: what it protects can be changed unseen', g.name)"
	 " FROM g WHERE NOT EXISTS (SELECT 1 FROM sqlite_schema t WHERE t.type = 'trigger'"
	 " AND t.name = g.name)"},
};

/* verify's own SQL functions, registered before each run */
int sq_checks_set_up(struct zt_db *db)
{
	struct sq *q = sq_of_db(db);
	if (sqlite3_create_function_v2(q->db, "zt_sha256_hex", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
	                               NULL, sql_sha256_hex, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function_v2(q->db, "zt_guard", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
	                               sql_guard, NULL, NULL, NULL) != SQLITE_OK)
		return sq_error(q, "verify");
	return 0;
}
