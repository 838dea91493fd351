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

/* The gaps in the ids of `table`, as "first to last" missing: rows are
 * numbered 1, 2, 3 … as they are written, and nothing deletes one. */
#define ID_GAPS(table, one, many)                                                                \
	"SELECT CASE WHEN id = prev + 2 THEN printf('" one " %d is missing', prev + 1)"           \
	" ELSE printf('" many " %d to %d are missing', prev + 1, id - 1) END"                     \
	" FROM (SELECT id, LAG(id, 1, 0) OVER (ORDER BY id) AS prev FROM " table ")"             \
	" WHERE id != prev + 1"
/* What a batch is due (the rule of zt_batch_due). */
#define DUE_OF(b) "(CASE WHEN " b ".accepted_total IS NULL THEN " b ".total ELSE " b ".accepted_total END)"
#define BATCH_DUE(b)                                                                           \
	"CASE WHEN " b ".accepted_total IS NULL THEN " b ".total ELSE " b ".accepted_total END"
/* What the payer's rejections take off a batch's total (the rule of
 * zt_batch_rejection_takes_off, recomputed): each payable claim it
 * rejected, and the payable reversal, in the same batch, of a claim it
 * rejected. `x` is the batch id. */
#define REJECTED_FROM                                                                        \
	" FROM batch_share b JOIN settlement_fund f ON f.settlement_id = b.settlement_id"       \
	" AND f.seq = b.seq JOIN settlement s ON s.id = b.settlement_id"
#define REJECTED_WHERE(x)                                                                    \
	" WHERE b.batch_id = " x " AND b.payable = 1 AND ((f.amount > 0 AND EXISTS"              \
	" (SELECT 1 FROM batch_reject j WHERE j.settlement_id = b.settlement_id AND j.seq = b.seq))" \
	" OR (s.kind = 'reverse' AND EXISTS (SELECT 1 FROM batch_reject j"                       \
	" WHERE j.settlement_id = s.reverses AND j.seq = b.seq AND j.batch_id = " x ")))"
#define REJECTED_SUM(x) "COALESCE((SELECT SUM(f.amount)" REJECTED_FROM REJECTED_WHERE(x) "), 0)"
/* The transfers of the reconciliation, read once (the ledger has no index
 * on ref: settling claims is the hot path and an index would cost each of
 * its transfers). */
#define RECON_TRANSFERS                                                                        \
	"WITH t AS MATERIALIZED (SELECT id, debit, credit, amount, kind, ref FROM transfer"      \
	" WHERE kind IN ('payment', 'suspense', 'refund', 'write-off', 'confirm', 'netted'))"

/* A national amount of settlement s (claim_v2 v joined), signed as s. */
#define NATIONAL(col) " + COALESCE(MAX(v." col "), 0) * CASE s.kind WHEN 'settle' THEN 1 ELSE -1 END"

const struct zt_db_check sq_checks[ZT_VERIFY_CHECKS] = {
	[ZT_VERIFY_CONSERVATION] = {
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
	[ZT_VERIFY_SHARES_SUM] = {
	 "SELECT count(*) FROM settlement_fund",
	 "SELECT printf('%s: funds in setldetail sum to %d, fund_pay_sumamt is %d (basic %d/%d, critical"
	 " %d/%d, assistance %d/%d, relief %d/%d)', s.setl_id, COALESCE(SUM(f.amount), 0), s.fund_pay_sumamt,"
	 " COALESCE(SUM(CASE f.kind WHEN 'basic' THEN f.amount END), 0), s.hifp_pay,"
	 " COALESCE(SUM(CASE f.kind WHEN 'critical' THEN f.amount END), 0), s.hifmi_pay,"
	 " COALESCE(SUM(CASE f.kind WHEN 'assistance' THEN f.amount END), 0), s.maf_pay,"
	 " COALESCE(SUM(CASE f.kind WHEN 'relief' THEN f.amount END), 0), s.oth_pay)"
	 /* settled on top of the national platform: the national amounts are
	  * the claim's <national>, no shares (docs/spec/claim-v2-national.md §4) */
	 " FROM settlement s LEFT JOIN settlement_fund f ON f.settlement_id = s.id"
	 " LEFT JOIN claim_v2 v ON v.claim_id = s.claim_id AND v.national_use IS NOT NULL GROUP BY s.id"
	 " HAVING COALESCE(SUM(CASE f.kind WHEN 'basic' THEN f.amount END), 0)" NATIONAL("hifp_pay")
	 " != s.hifp_pay"
	 " OR COALESCE(SUM(CASE f.kind WHEN 'critical' THEN f.amount END), 0)" NATIONAL("hifmi_pay")
	 " != s.hifmi_pay"
	 " OR COALESCE(SUM(CASE f.kind WHEN 'assistance' THEN f.amount END), 0)" NATIONAL("maf_pay")
	 " != s.maf_pay"
	 " OR COALESCE(SUM(CASE f.kind WHEN 'relief' THEN f.amount END), 0) != s.oth_pay"},
	[ZT_VERIFY_REVERSALS_MIRROR] = {
	 "SELECT count(*) FROM settlement WHERE kind = 'reverse'",
	 "SELECT printf('%s reverses %s but its amounts are not the exact negation', r.setl_id, o.setl_id)"
	 " FROM settlement r JOIN settlement o ON o.id = r.reverses WHERE r.medfee_sumamt != -o.medfee_sumamt"
	 " OR r.hifp_pay != -o.hifp_pay OR r.hifmi_pay != -o.hifmi_pay OR r.maf_pay != -o.maf_pay"
	 " OR r.oth_pay != -o.oth_pay OR r.hosp_part_amt != -o.hosp_part_amt"
	 " OR r.psn_part_amt != -o.psn_part_amt OR r.critical_base_added != -o.critical_base_added"
	 " OR r.claim_id != o.claim_id OR o.kind != 'settle'"},
	/* the sums in parts (store_int.h): every balance fits in int64, their
	 * running sums need not */
	[ZT_VERIFY_LEDGER_BALANCES] = {
	 "SELECT count(*) FROM account",
	 "SELECT printf('the balances of all accounts sum to %d fen, not 0', q * " SQ_G " + r)"
	 " FROM (SELECT " SQ_Q("h", "l") " AS q, " SQ_R("l") " AS r FROM (SELECT "
	 SQ_SUM_HI("balance") " AS h, " SQ_SUM_LO("balance") " AS l FROM account))"
	 " WHERE q != 0 OR r != 0"},
	[ZT_VERIFY_ACCOUNT_TRANSFERS] = {
	 "SELECT count(*) FROM transfer",
	 "WITH legs AS (SELECT debit AS name, amount AS v FROM transfer"
	 " UNION ALL SELECT credit, -amount FROM transfer),"
	 " sums AS (SELECT name, " SQ_SUM_HI("v") " AS h, " SQ_SUM_LO("v") " AS l FROM legs"
	 " GROUP BY name),"
	 " x AS (SELECT name, " SQ_Q("h", "l") " AS q, " SQ_R("l") " AS r FROM sums)"
	 " SELECT printf('account %s: balance %s, transfers sum to %d', a.name, a.balance,"
	 " COALESCE(x.q * " SQ_G " + x.r, 0))"
	 " FROM account a LEFT JOIN x ON x.name = a.name"
	 " WHERE " SQ_Q("a.balance / " SQ_G, "a.balance % " SQ_G) " IS NOT COALESCE(x.q, 0)"
	 " OR " SQ_R("a.balance % " SQ_G) " IS NOT COALESCE(x.r, 0)"
	 " UNION ALL SELECT printf('account %s: transfers sum to %d but it has no balance row', x.name,"
	 " x.q * " SQ_G " + x.r)"
	 " FROM x WHERE (x.q != 0 OR x.r != 0) AND NOT EXISTS (SELECT 1 FROM account a"
	 " WHERE a.name = x.name)"},
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
	[ZT_VERIFY_SETTLEMENTS_POSTED] = {
	 "SELECT count(*) FROM settlement",
	 "WITH t AS (SELECT settlement_id, SUM(CASE WHEN debit LIKE 'fund:%' OR credit LIKE 'fund:%'"
	 " OR debit LIKE 'national-platform:%' OR credit LIKE 'national-platform:%'"
	 " THEN amount ELSE 0 END) AS funds, SUM(amount) AS total FROM transfer"
	 " WHERE settlement_id IS NOT NULL GROUP BY settlement_id)"
	 " SELECT printf('%s: ledger moves %d for the funds and %d in all; the settlement says %d and %d',"
	 " s.setl_id, COALESCE(t.funds, 0), COALESCE(t.total, 0), abs(s.fund_pay_sumamt), abs(s.medfee_sumamt))"
	 " FROM settlement s LEFT JOIN t ON t.settlement_id = s.id"
	 " WHERE COALESCE(t.funds, 0) != abs(s.fund_pay_sumamt) OR COALESCE(t.total, 0) != abs(s.medfee_sumamt)"},
	[ZT_VERIFY_ACCUMULATORS] = {
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
	[ZT_VERIFY_ONE_LIVE_SETTLEMENT] = {
	 "SELECT count(*) FROM claim",
	 "SELECT printf('claim %s/%s has %d settlements that are not reversed', c.fixmedins_code,"
	 " c.claim_no, count(*)) FROM settlement s JOIN claim c ON c.id = s.claim_id"
	 " WHERE s.kind = 'settle' AND NOT EXISTS (SELECT 1 FROM settlement r WHERE r.reverses = s.id)"
	 " GROUP BY c.fixmedins_code, c.claim_no HAVING count(*) > 1"},
	[ZT_VERIFY_SETTLEMENT_CLAIM] = {
	 "SELECT count(*) FROM settlement",
	 "SELECT printf('%s: its claim (row %d) is gone', s.setl_id, s.claim_id) FROM settlement s"
	 " WHERE NOT EXISTS (SELECT 1 FROM claim c WHERE c.id = s.claim_id)"
	 " UNION ALL SELECT printf('%s: medfee_sumamt %d, its claim %s/%s says %d', s.setl_id,"
	 " s.medfee_sumamt, c.fixmedins_code, c.claim_no, c.medfee_sumamt) FROM settlement s"
	 " JOIN claim c ON c.id = s.claim_id"
	 " WHERE s.medfee_sumamt != CASE s.kind WHEN 'settle' THEN c.medfee_sumamt ELSE -c.medfee_sumamt END"
	 " UNION ALL SELECT printf('%s: person %s of hospital %s, its claim %s/%s is of person %s',"
	 " s.setl_id, s.psn_no, s.fixmedins_code, c.fixmedins_code, c.claim_no, c.psn_no)"
	 " FROM settlement s JOIN claim c ON c.id = s.claim_id"
	 " WHERE s.psn_no != c.psn_no OR s.fixmedins_code != c.fixmedins_code"
	 " UNION ALL SELECT printf('%s: year %d, its claim was discharged on %d', s.setl_id, s.year,"
	 " c.dscg_date) FROM settlement s JOIN claim c ON c.id = s.claim_id"
	 " WHERE s.year != c.dscg_date / 10000"
	 " UNION ALL SELECT printf('%s: its setl_id does not name its row %d', s.setl_id, s.id)"
	 " FROM settlement s WHERE s.setl_id != printf('S%012d', s.id)"},
	[ZT_VERIFY_SETTLEMENT_REFS] = {
	 "SELECT count(*) FROM settlement",
	 "SELECT printf('%s: hospital ''%s'' is not in the registry', s.setl_id, s.fixmedins_code)"
	 " FROM settlement s WHERE NOT EXISTS (SELECT 1 FROM hospital h WHERE h.code = s.fixmedins_code)"
	 " UNION ALL SELECT printf('%s: person ''%s'' is not in the registry', s.setl_id, s.psn_no)"
	 " FROM settlement s WHERE NOT EXISTS (SELECT 1 FROM person p WHERE p.psn_no = s.psn_no)"
	 " UNION ALL SELECT printf('%s: its policy (row %d) is gone', s.setl_id, s.policy_row)"
	 " FROM settlement s WHERE NOT EXISTS (SELECT 1 FROM policy p WHERE p.id = s.policy_row)"
	 " UNION ALL SELECT printf('%s reverses settlement row %d, which is gone', s.setl_id, s.reverses)"
	 " FROM settlement s WHERE s.reverses IS NOT NULL"
	 " AND NOT EXISTS (SELECT 1 FROM settlement o WHERE o.id = s.reverses)"
	 " UNION ALL SELECT printf('a fund share of %d fen (settlement row %d, share %d) has no"
	 " settlement', f.amount, f.settlement_id, f.seq) FROM settlement_fund f"
	 " WHERE NOT EXISTS (SELECT 1 FROM settlement s WHERE s.id = f.settlement_id)"
	 " UNION ALL SELECT printf('%s: fund ''%s'' is not in the registry', s.setl_id, f.fund_code)"
	 " FROM settlement_fund f JOIN settlement s ON s.id = f.settlement_id"
	 " WHERE NOT EXISTS (SELECT 1 FROM fund x WHERE x.code = f.fund_code)"
	 " UNION ALL SELECT printf('transfer %d (%s) names settlement row %d, which is gone', t.id,"
	 " t.ref, t.settlement_id) FROM transfer t WHERE t.settlement_id IS NOT NULL"
	 " AND NOT EXISTS (SELECT 1 FROM settlement s WHERE s.id = t.settlement_id)"},
	[ZT_VERIFY_SHARE_SLOTS] = {
	 "SELECT count(*) FROM settlement_fund",
	 "SELECT printf('%s: share %d of fund %s (%s) moves accumulator ''%s''', s.setl_id, f.seq,"
	 " f.fund_code, f.kind, f.slot) FROM settlement_fund f JOIN settlement s ON s.id = f.settlement_id"
	 " WHERE f.slot != CASE f.kind WHEN 'basic' THEN 'basic' WHEN 'critical' THEN 'crit_paid'"
	 " WHEN 'assistance' THEN 'assist' ELSE 'relief:' || f.fund_code END"},
	[ZT_VERIFY_SHARE_TRACES] = {
	 "SELECT count(*) FROM settlement_fund",
	 "SELECT printf('%s: share %d (%s) has no trace of its own (its trace is %s)', s.setl_id,"
	 " f.seq, f.kind, COALESCE(f.trace_kind, 'missing')) FROM settlement_fund f"
	 " JOIN settlement s ON s.id = f.settlement_id WHERE f.trace_kind IS NOT"
	 " (CASE WHEN s.kind = 'reverse' THEN 'reversal' ELSE f.kind END)"
	 " UNION ALL SELECT printf('%s: share %d pays %d fen, its trace says %s', s.setl_id, f.seq,"
	 " f.amount, COALESCE(f.pay, 'nothing')) FROM settlement_fund f JOIN settlement s"
	 " ON s.id = f.settlement_id WHERE f.trace_kind <> 'reversal' AND f.pay IS NOT f.amount"
	 " UNION ALL SELECT printf('%s: share %d moves %s by %d fen, its trace from %s to %s',"
	 " s.setl_id, f.seq, f.slot, f.amount, COALESCE(f.paid_before, '?'),"
	 " COALESCE(f.paid_after, '?')) FROM settlement_fund f JOIN settlement s"
	 " ON s.id = f.settlement_id WHERE f.paid_after IS NOT f.paid_before + f.amount"
	 " UNION ALL SELECT printf('%s: share %d (critical) has no tier segment', s.setl_id, f.seq)"
	 " FROM settlement_fund f JOIN settlement s ON s.id = f.settlement_id"
	 " WHERE f.trace_kind = 'critical' AND NOT EXISTS (SELECT 1 FROM settlement_trace_segment g"
	 " WHERE g.settlement_id = f.settlement_id AND g.seq = f.seq)"
	 " UNION ALL SELECT printf('tier segment %d of share #%d/%d belongs to no critical share',"
	 " g.k, g.settlement_id, g.seq) FROM settlement_trace_segment g LEFT JOIN settlement_fund f"
	 " ON f.settlement_id = g.settlement_id AND f.seq = g.seq"
	 " WHERE f.trace_kind IS NOT 'critical'"},
	[ZT_VERIFY_SETTLED_ONCE] = {
	 "SELECT count(*) FROM claim",
	 "SELECT printf('claim %s/%s (row %d) has %d settlements', c.fixmedins_code, c.claim_no, c.id,"
	 " (SELECT count(*) FROM settlement s WHERE s.claim_id = c.id AND s.kind = 'settle'))"
	 " FROM claim c WHERE (SELECT count(*) FROM settlement s WHERE s.claim_id = c.id"
	 " AND s.kind = 'settle') != 1"
	 " UNION ALL SELECT printf('claim %s/%s: its submissions are numbered %d to %d, %d of them',"
	 " fixmedins_code, claim_no, min(seq), max(seq), count(*)) FROM claim"
	 " GROUP BY fixmedins_code, claim_no HAVING min(seq) != 1 OR max(seq) != count(*)"
	 " UNION ALL SELECT printf('claim %s/%s was settled again (submission %d) without a reversal"
	 " of submission %d', c.fixmedins_code, c.claim_no, c.seq + 1, c.seq) FROM claim c"
	 " WHERE EXISTS (SELECT 1 FROM claim n WHERE n.fixmedins_code = c.fixmedins_code"
	 " AND n.claim_no = c.claim_no AND n.seq = c.seq + 1) AND NOT EXISTS (SELECT 1 FROM"
	 " settlement s JOIN settlement r ON r.reverses = s.id WHERE s.claim_id = c.id)"},
	[ZT_VERIFY_NO_GAPS] = {
	 "SELECT (SELECT count(*) FROM claim) + (SELECT count(*) FROM settlement)"
	 " + (SELECT count(*) FROM transfer)",
	 ID_GAPS("claim", "claim row", "claim rows")
	 " UNION ALL " ID_GAPS("settlement", "settlement row", "settlement rows")
	 " UNION ALL " ID_GAPS("transfer", "transfer", "transfers")},
	[ZT_VERIFY_POLICY_DIGESTS] = {
	 "SELECT count(*) FROM policy",
	 "SELECT printf('policy %s (row %d): its stored XML no longer has its SHA-256 %s', policy_id,"
	 " id, digest) FROM policy WHERE zt_sha256_hex(source_xml) IS NOT digest"},
	[ZT_VERIFY_AUDIT_GAPS] = {
	 "SELECT count(*) FROM audit",
	 ID_GAPS("audit", "audit record", "audit records")
	 " UNION ALL SELECT printf('audit record %d (%s) is dated before record %d (%s)', id, at,"
	 " prev_id, prev_at) FROM (SELECT id, at, LAG(id) OVER (ORDER BY id) AS prev_id,"
	 " LAG(at) OVER (ORDER BY id) AS prev_at FROM audit) WHERE at < prev_at"
	 " UNION ALL SELECT 'the count of audit records written (meta audit.last-id) is missing'"
	 " WHERE NOT EXISTS (SELECT 1 FROM meta WHERE key = 'audit.last-id')"
	 " UNION ALL SELECT CASE WHEN n = m + 1 THEN printf('audit record %d was written and is gone',"
	 " n) WHEN n > m THEN printf('audit records %d to %d were written and are gone', m + 1, n)"
	 " WHEN m = n + 1 THEN printf('audit record %d was not written by zhitong (its count stops"
	 " at %d)', m, n) ELSE printf('audit records %d to %d were not written by zhitong (its count"
	 " stops at %d)', n + 1, m, n) END FROM (SELECT CAST(value AS INTEGER) AS n,"
	 " (SELECT COALESCE(MAX(id), 0) FROM audit) AS m FROM meta WHERE key = 'audit.last-id')"
	 " WHERE n != m"},
	[ZT_VERIFY_AUDITED] = {
	 "SELECT (SELECT count(*) FROM settlement WHERE kind = 'reverse')"
	 " + (SELECT count(*) FROM policy) + (SELECT count(*) FROM advance_plan)"
	 " + (SELECT count(*) FROM advance_approval) + (SELECT count(DISTINCT msg_id) FROM advance)",
	 "SELECT printf('policy %s (row %d) has no audit record of its loading', p.policy_id, p.id)"
	 " FROM policy p WHERE NOT EXISTS (SELECT 1 FROM audit a WHERE a.action = 'rules load'"
	 " AND a.detail = p.policy_id)"
	 " UNION ALL SELECT printf('reversal %s has no audit record', s.setl_id) FROM settlement s"
	 " WHERE s.kind = 'reverse' AND NOT EXISTS (SELECT 1 FROM audit a WHERE"
	 " a.action = 'claim reverse' AND instr(a.detail, s.setl_id || ' reverses ') = 1)"
	 " UNION ALL SELECT printf('advance plan %s has no audit record', p.plan_id) FROM advance_plan p"
	 " WHERE NOT EXISTS (SELECT 1 FROM audit a WHERE a.action = 'advance plan'"
	 " AND a.subject = p.plan_id)"
	 " UNION ALL SELECT printf('the approval of advance plan %s has no audit record', p.plan_id)"
	 " FROM advance_approval v JOIN advance_plan p ON p.id = v.plan_row"
	 " WHERE NOT EXISTS (SELECT 1 FROM audit a WHERE a.action = 'advance approve'"
	 " AND a.subject = p.plan_id)"
	 " UNION ALL SELECT printf('the issue of %s (%d advances) has no audit record', x.msg_id,"
	 " count(*)) FROM advance x WHERE NOT EXISTS (SELECT 1 FROM audit a"
	 " WHERE a.action = 'advance issue' AND a.subject = x.msg_id) GROUP BY x.msg_id"},
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
	[ZT_VERIFY_ADVANCE_TRANSFER] = {
	 "SELECT count(*) FROM advance",
	 /* Advance transfers are few: collect them in one pass rather than
	  * look each ref up in a table that has no index on ref. */
	 "WITH t AS MATERIALIZED (SELECT ref, debit, credit, amount FROM transfer"
	 " WHERE kind = 'advance')"
	 " SELECT printf('advance %s: %d fen to %s, but the ledger has %d advance transfers with its"
	 " reference, moving %d fen (debit %s, credit %s)', a.advance_id, a.amount, a.hospital,"
	 " count(t.ref), COALESCE(SUM(t.amount), 0), COALESCE(MAX(t.debit), '-'),"
	 " COALESCE(MAX(t.credit), '-'))"
	 " FROM advance a LEFT JOIN t ON t.ref = a.advance_id GROUP BY a.id"
	 " HAVING count(t.ref) != 1 OR SUM(t.amount) != a.amount"
	 " OR MAX(t.debit) != 'hospital:' || a.hospital OR MAX(t.credit) != 'pool:bank'"},
	[ZT_VERIFY_ADVANCE_TRANSFERS_OWNED] = {
	 "SELECT count(*) FROM transfer WHERE kind = 'advance'",
	 "SELECT printf('transfer #%d (debit %s, credit %s, %d fen, ref %s) is of kind advance but"
	 " no advance has that id', t.id, t.debit, t.credit, t.amount, t.ref) FROM transfer t"
	 " WHERE t.kind = 'advance' AND NOT EXISTS (SELECT 1 FROM advance a WHERE a.advance_id = t.ref)"},
	[ZT_VERIFY_PLAN_ISSUED_ONCE] = {
	 "SELECT count(*) FROM advance_plan",
	 "SELECT printf('plan %s was issued in %d messages', p.plan_id, count(DISTINCT a.msg_id))"
	 " FROM advance a JOIN advance_plan p ON p.id = a.plan_row GROUP BY a.plan_row"
	 " HAVING count(DISTINCT a.msg_id) > 1"
	 " UNION ALL SELECT printf('plan %s: advance %s pays %s %d fen, the plan line says %d',"
	 " p.plan_id, a.advance_id, a.hospital, a.amount, COALESCE(l.topup, 0)) FROM advance a"
	 " JOIN advance_plan p ON p.id = a.plan_row LEFT JOIN advance_plan_line l"
	 " ON l.plan_row = a.plan_row AND l.hospital = a.hospital"
	 " WHERE l.topup IS NULL OR l.topup != a.amount"
	 " UNION ALL SELECT printf('plan %s was issued but %s (top-up %d fen) was not paid',"
	 " p.plan_id, l.hospital, l.topup) FROM advance_plan_line l JOIN advance_plan p"
	 " ON p.id = l.plan_row WHERE l.topup > 0"
	 " AND EXISTS (SELECT 1 FROM advance a WHERE a.plan_row = l.plan_row)"
	 " AND NOT EXISTS (SELECT 1 FROM advance a WHERE a.plan_row = l.plan_row"
	 " AND a.hospital = l.hospital)"
	 " UNION ALL SELECT printf('plan %s was issued without an approval', p.plan_id)"
	 " FROM advance_plan p WHERE EXISTS (SELECT 1 FROM advance a WHERE a.plan_row = p.id)"
	 " AND NOT EXISTS (SELECT 1 FROM advance_approval v WHERE v.plan_row = p.id)"},
	[ZT_VERIFY_PLAN_LINES] = {
	 "SELECT count(*) FROM advance_plan_line",
	 "SELECT printf('plan %s, %s: target %d, balance %d, top-up %d fen: %s', p.plan_id,"
	 " l.hospital, l.target, l.balance, l.topup, CASE"
	 " WHEN l.target < 0 OR l.topup < 0 THEN 'negative'"
	 " WHEN l.topup > 0 AND l.topup != l.target - l.balance THEN 'top-up is not target - balance'"
	 " ELSE 'top-up 0 although the hospital is short' END)"
	 " FROM advance_plan_line l JOIN advance_plan p ON p.id = l.plan_row"
	 " WHERE l.basis != 'request' AND (l.target < 0 OR l.topup < 0"
	 " OR (l.topup > 0 AND l.topup != l.target - l.balance)"
	 " OR (l.topup = 0 AND l.target > l.balance"
	 " AND (l.balance < 0 OR l.target - l.balance >= p.min_topup)))"
	 /* A single advance (docs/advances.md): one line, a positive amount. */
	 " UNION ALL SELECT printf('plan %s asks a single advance of %d fen to %s but has %d lines',"
	 " p.plan_id, l.topup, l.hospital, (SELECT count(*) FROM advance_plan_line o"
	 " WHERE o.plan_row = l.plan_row)) FROM advance_plan_line l JOIN advance_plan p"
	 " ON p.id = l.plan_row WHERE l.basis = 'request' AND (l.topup <= 0 OR (SELECT count(*)"
	 " FROM advance_plan_line o WHERE o.plan_row = l.plan_row) != 1)"
	 " UNION ALL SELECT printf('plan %s: total %d fen, its lines sum to %d', p.plan_id, p.total,"
	 " COALESCE(SUM(l.topup), 0)) FROM advance_plan p LEFT JOIN advance_plan_line l"
	 " ON l.plan_row = p.id GROUP BY p.id HAVING p.total != COALESCE(SUM(l.topup), 0)"},
	[ZT_VERIFY_ADVANCE_MAKER] = {
	 "SELECT (SELECT count(*) FROM advance_approval) + (SELECT count(*) FROM advance)",
	 "SELECT printf('plan %s was approved by its maker %s', p.plan_id, p.made_by)"
	 " FROM advance_plan p JOIN advance_approval v ON v.plan_row = p.id"
	 " WHERE v.approved_by = p.made_by"
	 " UNION ALL SELECT printf('advance %s was approved by its maker %s', advance_id, made_by)"
	 " FROM advance WHERE approved_by = made_by"
	 " UNION ALL SELECT printf('advance %s of plan %s names maker %s and approver %s; the plan"
	 " says %s and %s', a.advance_id, p.plan_id, a.made_by, a.approved_by, p.made_by,"
	 " COALESCE(v.approved_by, '(none)')) FROM advance a JOIN advance_plan p ON p.id = a.plan_row"
	 " LEFT JOIN advance_approval v ON v.plan_row = p.id"
	 " WHERE a.made_by != p.made_by OR v.approved_by IS NULL OR a.approved_by != v.approved_by"},
	[ZT_VERIFY_SHARE_ONE_BATCH] = {
	 "SELECT count(*) FROM batch_share",
	 /* The primary key makes a second row impossible; a share billed to a
	  * fund that does not owe it is the failure left to look for. */
	 "SELECT printf('share %s/%d is in %d batches', s.setl_id, b.seq, count(*))"
	 " FROM batch_share b JOIN settlement s ON s.id = b.settlement_id"
	 " GROUP BY b.settlement_id, b.seq HAVING count(*) > 1"
	 " UNION ALL SELECT printf('share %s/%d of fund %s is in batch %s of fund %s', s.setl_id,"
	 " b.seq, f.fund_code, x.id, x.fund_code) FROM batch_share b"
	 " JOIN batch x ON x.id = b.batch_id JOIN settlement s ON s.id = b.settlement_id"
	 " JOIN settlement_fund f ON f.settlement_id = b.settlement_id AND f.seq = b.seq"
	 " WHERE f.fund_code <> x.fund_code"},
	[ZT_VERIFY_BATCH_SHARES_EXIST] = {
	 "SELECT count(*) FROM batch_share",
	 "SELECT printf('batch %s holds share #%d/%d, which is no settlement share', b.batch_id,"
	 " b.settlement_id, b.seq) FROM batch_share b LEFT JOIN settlement_fund f"
	 " ON f.settlement_id = b.settlement_id AND f.seq = b.seq WHERE f.settlement_id IS NULL"
	 " UNION ALL SELECT printf('batch %s rejects share #%d/%d, which is not in it', j.batch_id,"
	 " j.settlement_id, j.seq) FROM batch_reject j LEFT JOIN batch_share b"
	 " ON b.settlement_id = j.settlement_id AND b.seq = j.seq"
	 " WHERE b.batch_id IS NULL OR b.batch_id <> j.batch_id"},
	[ZT_VERIFY_BATCH_TOTALS] = {
	 "SELECT count(*) FROM batch",
	 "WITH r AS (SELECT b.batch_id, count(*) AS n,"
	 " SUM(CASE WHEN b.payable = 1 THEN f.amount ELSE 0 END) AS t, SUM(1 - b.payable) AS ni,"
	 " SUM(CASE WHEN b.payable = 0 THEN f.amount ELSE 0 END) AS ti FROM batch_share b"
	 " JOIN settlement_fund f ON f.settlement_id = b.settlement_id AND f.seq = b.seq"
	 " GROUP BY b.batch_id)"
	 " SELECT printf('batch %s: stored %d records, total %d fen (%d, %d fen for information);"
	 " its records: %d, %d fen (%d, %d fen)', x.id, x.count, x.total, x.info_count, x.info_total,"
	 " COALESCE(r.n, 0), COALESCE(r.t, 0), COALESCE(r.ni, 0), COALESCE(r.ti, 0))"
	 " FROM batch x LEFT JOIN r ON r.batch_id = x.id WHERE x.count != COALESCE(r.n, 0)"
	 " OR x.total != COALESCE(r.t, 0) OR x.info_count != COALESCE(r.ni, 0)"
	 " OR x.info_total != COALESCE(r.ti, 0) OR x.count = 0"
	 " UNION ALL SELECT printf('batch %s: accepted total %d fen, but its total less the records"
	 " the payer rejected is %d fen', x.id, x.accepted_total, x.total - " REJECTED_SUM("x.id") ")"
	 " FROM batch x WHERE x.accepted_total IS NOT NULL"
	 " AND x.accepted_total != x.total - " REJECTED_SUM("x.id")},
	[ZT_VERIFY_BATCH_INFO_RECORDS] = {
	 "SELECT count(*) FROM batch_share WHERE payable = 0",
	 "SELECT printf('batch %s leaves %s/%d out of its total, but it reverses no record the payer"
	 " rejected', b.batch_id, s.setl_id, b.seq) FROM batch_share b"
	 " JOIN settlement s ON s.id = b.settlement_id WHERE b.payable = 0 AND (s.kind <> 'reverse'"
	 " OR NOT EXISTS (SELECT 1 FROM batch_reject j WHERE j.settlement_id = s.reverses"
	 " AND j.seq = b.seq))"},
	[ZT_VERIFY_BATCH_EVENTS] = {
	 "SELECT count(*) FROM batch_event",
	 "WITH e AS (SELECT batch_id, id, action, status_from, status_to,"
	 " LAG(status_to) OVER (PARTITION BY batch_id ORDER BY id) AS prev,"
	 " ROW_NUMBER() OVER (PARTITION BY batch_id ORDER BY id) AS k,"
	 " ROW_NUMBER() OVER (PARTITION BY batch_id ORDER BY id DESC) AS last FROM batch_event)"
	 " SELECT printf('batch %s: event #%d (%s) goes from %s, but the batch was %s', batch_id, id,"
	 " action, COALESCE(status_from, 'nothing'), COALESCE(prev, 'nothing')) FROM e"
	 " WHERE status_from IS NOT prev"
	 " UNION ALL SELECT printf('batch %s: event #%d (%s) from %s to %s is no allowed move',"
	 " batch_id, id, action, COALESCE(status_from, 'nothing'), status_to) FROM e"
	 " WHERE COALESCE(status_from, '') || '>' || status_to NOT IN ('>draft', 'draft>approved',"
	 " 'draft>rejected', 'rejected>draft', 'approved>exported', 'exported>sent', 'sent>sent',"
	 " 'sent>exported', 'sent>accepted', 'sent>part-paid', 'sent>paid', 'accepted>part-paid',"
	 " 'accepted>paid',"
	 " 'part-paid>part-paid', 'part-paid>paid')"
	 " AND NOT (action = 'export' AND status_from = status_to)"
	 /* the payer's answer after a payment: settled, or not (short, or owed back) */
	 " AND NOT (action = 'accept' AND status_from IN ('part-paid', 'paid')"
	 " AND status_to IN ('part-paid', 'paid'))"
	 " UNION ALL SELECT printf('batch %s is %s, but its last recorded change leaves it %s',"
	 " x.id, x.status, COALESCE(e.status_to, 'unrecorded')) FROM batch x LEFT JOIN e"
	 " ON e.batch_id = x.id AND e.last = 1 WHERE e.status_to IS NOT x.status"},
	[ZT_VERIFY_BATCH_BOUNDS] = {
	 "SELECT count(*) FROM batch",
	 "SELECT printf('batch %s: accepted %d fen of a total of %d fen', id, accepted_total, total)"
	 " FROM batch WHERE accepted_total > total"
	 " UNION ALL SELECT printf('batch %s: paid %d fen of a total of %d fen', id, paid, total)"
	 " FROM batch WHERE paid > max(total, 0)"
	 " UNION ALL SELECT printf('batch %s: %d fen returned to its fund, more than the %d fen it"
	 " owed back', id, returned, max(paid - " DUE_OF("batch") ", 0)) FROM batch"
	 " WHERE returned > max(paid - " DUE_OF("batch") ", 0)"},
	[ZT_VERIFY_BATCH_RETURNS] = {
	 "SELECT count(*) FROM batch_return",
	 "WITH r AS (SELECT batch_id, SUM(amount) AS v FROM batch_return GROUP BY batch_id)"
	 " SELECT printf('batch %s: returned %d fen, its returns sum to %d', b.id, b.returned,"
	 " COALESCE(r.v, 0)) FROM batch b LEFT JOIN r ON r.batch_id = b.id"
	 " WHERE b.returned != COALESCE(r.v, 0)"
	 " UNION ALL SELECT printf('repayment %s of batch %s (%d fen to fund %s): the ledger has %d"
	 " repay transfers of %d fen from %s to %s', r.return_id, r.batch_id, r.amount, b.fund_code,"
	 " COALESCE(t.n, 0), COALESCE(t.v, 0), COALESCE(t.c, '-'), COALESCE(t.d, '-'))"
	 " FROM batch_return r JOIN batch b ON b.id = r.batch_id LEFT JOIN (SELECT ref, count(*) AS n,"
	 " SUM(amount) AS v, MIN(debit) AS d, MIN(credit) AS c FROM transfer WHERE kind = 'repay'"
	 " GROUP BY ref) t ON t.ref = r.return_id WHERE r.kind = 'repay' AND (COALESCE(t.n, 0) != 1"
	 " OR t.v != r.amount OR t.d != 'fund:' || b.fund_code OR t.c != 'pool:bank')"
	 " UNION ALL SELECT printf('transfer #%d (repay, %d fen) refers to %s, which is no"
	 " repayment', t.id, t.amount, t.ref) FROM transfer t WHERE t.kind = 'repay'"
	 " AND NOT EXISTS (SELECT 1 FROM batch_return r WHERE r.return_id = t.ref)"
	 " UNION ALL SELECT printf('bank entry %s: %d fen netted back to %s in the ledger, %d fen in"
	 " its returns', COALESCE(n.ref, t.ref), COALESCE(t.v, 0), COALESCE(n.fund, t.fund),"
	 " COALESCE(n.v, 0)) FROM (SELECT e.ref, 'fund:' || b.fund_code AS fund, SUM(r.amount) AS v"
	 " FROM batch_return r JOIN bank_entry e ON e.id = r.entry_id JOIN batch b"
	 " ON b.id = r.batch_id GROUP BY e.ref, b.fund_code) n FULL JOIN (SELECT ref, debit AS fund,"
	 " SUM(amount) AS v FROM transfer WHERE kind = 'netted' GROUP BY ref, debit) t"
	 " ON t.ref = n.ref AND t.fund = n.fund WHERE COALESCE(n.v, 0) != COALESCE(t.v, 0)"},
	/* docs/batches.md "Money owed back": per fund, what it was billed less
	 * what it paid, what was written off, plus what the pool paid back (1),
	 * is what its batches say they are owed (2), and what its ledger
	 * account says (3: fund:F less its shares not billed). Each side is a
	 * sum of signed terms, in parts (store_int.h): over years the shares of
	 * a fund can sum past int64 when what is owed does not. */
	[ZT_VERIFY_FUND_BALANCE] = {
	 "SELECT count(*) FROM fund",
	 "WITH bb AS (SELECT fund_code AS fund, " DUE_OF("b") " AS due, b.paid, b.returned FROM batch b"
	 " WHERE b.status IN ('sent', 'accepted', 'part-paid', 'paid')),"
	 " t (fund, side, v) AS (SELECT fund, 1, due FROM bb"
	 " UNION ALL SELECT b.fund_code, 1, -a.amount - a.written_off FROM recon_alloc a"
	 " JOIN batch b ON b.id = a.batch_id"
	 " UNION ALL SELECT b.fund_code, 1, r.amount FROM batch_return r JOIN batch b"
	 " ON b.id = r.batch_id"
	 " UNION ALL SELECT fund, 2, due FROM bb UNION ALL SELECT fund, 2, -paid FROM bb"
	 " UNION ALL SELECT fund, 2, returned FROM bb"
	 " UNION ALL SELECT substr(name, 6), 3, balance FROM account WHERE name LIKE 'fund:%'"
	 " UNION ALL SELECT fund_code, 3, -amount FROM settlement_fund"
	 " UNION ALL SELECT fund, 3, due FROM bb),"
	 " p AS (SELECT fund, side, " SQ_SUM_HI("v") " AS h, " SQ_SUM_LO("v") " AS l FROM t"
	 " GROUP BY fund, side),"
	 " c AS (SELECT fund, side, " SQ_Q("h", "l") " AS q, " SQ_R("l") " AS r FROM p),"
	 " x AS (SELECT f.code, COALESCE(c1.q, 0) AS q1, COALESCE(c1.r, 0) AS r1,"
	 " COALESCE(c2.q, 0) AS q2, COALESCE(c2.r, 0) AS r2, COALESCE(c3.q, 0) AS q3,"
	 " COALESCE(c3.r, 0) AS r3 FROM fund f LEFT JOIN c c1 ON c1.fund = f.code AND c1.side = 1"
	 " LEFT JOIN c c2 ON c2.fund = f.code AND c2.side = 2"
	 " LEFT JOIN c c3 ON c3.fund = f.code AND c3.side = 3)"
	 " SELECT printf('fund %s: billed - paid - written off + returned = %d fen outstanding,"
	 " but its batches are owed %d and its ledger account says %d', code,"
	 " q1 * " SQ_G " + r1, q2 * " SQ_G " + r2, q3 * " SQ_G " + r3) FROM x"
	 " WHERE q1 != q2 OR r1 != r2 OR q1 != q3 OR r1 != r3"},
	[ZT_VERIFY_ENTRY_MATCHED_ONCE] = {
	 "SELECT count(*) FROM bank_entry",
	 "SELECT printf('bank entry %s is matched %d times', e.ref, count(*)) FROM recon_match m"
	 " JOIN bank_entry e ON e.id = m.entry_id GROUP BY m.entry_id HAVING count(*) > 1"
	 " UNION ALL SELECT printf('advance %s is confirmed %d times', advance_id, count(*))"
	 " FROM recon_match WHERE advance_id IS NOT NULL GROUP BY advance_id HAVING count(*) > 1"
	 " UNION ALL SELECT printf('repayment %s is confirmed %d times', return_id, count(*))"
	 " FROM recon_match WHERE return_id IS NOT NULL GROUP BY return_id HAVING count(*) > 1"
	 " UNION ALL SELECT printf('bank entry %s confirms %s and pays batches too', e.ref,"
	 " COALESCE(m.advance_id, m.return_id)) FROM recon_match m JOIN bank_entry e"
	 " ON e.id = m.entry_id WHERE (m.advance_id IS NOT NULL OR m.return_id IS NOT NULL)"
	 " AND EXISTS (SELECT 1 FROM recon_alloc a WHERE a.match_id = m.id)"
	 " UNION ALL SELECT printf('bank entry %s confirms advance %s and repayment %s', e.ref,"
	 " m.advance_id, m.return_id) FROM recon_match m JOIN bank_entry e ON e.id = m.entry_id"
	 " WHERE m.advance_id IS NOT NULL AND m.return_id IS NOT NULL"
	 " UNION ALL SELECT printf('bank entry %s is matched, but %s about it is %s', e.ref,"
	 " x.exc_id, CASE WHEN r.exception_id IS NULL THEN 'still open' ELSE 'resolved as '"
	 " || r.resolution END) FROM recon_match m JOIN bank_entry e ON e.id = m.entry_id"
	 " JOIN recon_exception x ON x.entry_id = m.entry_id LEFT JOIN recon_resolution r"
	 " ON r.exception_id = x.id WHERE m.exception_id IS NOT x.id"
	 /* what the payer netted (money owed back to it) comes off what it paid */
	 " UNION ALL SELECT printf('bank entry %s pays %d fen net, more than its %d fen', e.ref,"
	 " SUM(a.amount) - COALESCE((SELECT SUM(r.amount) FROM batch_return r"
	 " WHERE r.entry_id = e.id), 0), e.amount) FROM recon_match m JOIN bank_entry e"
	 " ON e.id = m.entry_id JOIN recon_alloc a ON a.match_id = m.id GROUP BY m.id"
	 " HAVING SUM(a.amount) - COALESCE((SELECT SUM(r.amount) FROM batch_return r"
	 " WHERE r.entry_id = e.id), 0) > e.amount"
	 " UNION ALL SELECT printf('bank entry %s nets %d fen back to funds but is no matched credit',"
	 " e.ref, SUM(r.amount)) FROM batch_return r JOIN bank_entry e ON e.id = r.entry_id"
	 " WHERE e.credit = 0 OR NOT EXISTS (SELECT 1 FROM recon_match m WHERE m.entry_id = e.id"
	 " AND m.advance_id IS NULL AND m.return_id IS NULL) GROUP BY e.id"
	 " UNION ALL SELECT printf('bank entry %s: a %s confirms advance %s of %d fen with %d fen',"
	 " e.ref, CASE e.credit WHEN 1 THEN 'credit' ELSE 'debit' END, m.advance_id, v.amount,"
	 " e.amount) FROM recon_match m JOIN bank_entry e ON e.id = m.entry_id JOIN advance v"
	 " ON v.advance_id = m.advance_id WHERE e.credit = 1 OR e.amount != v.amount"
	 " UNION ALL SELECT printf('bank entry %s: a %s confirms repayment %s of %d fen with %d fen',"
	 " e.ref, CASE e.credit WHEN 1 THEN 'credit' ELSE 'debit' END, m.return_id, r.amount,"
	 " e.amount) FROM recon_match m JOIN bank_entry e ON e.id = m.entry_id JOIN batch_return r"
	 " ON r.return_id = m.return_id WHERE e.credit = 1 OR e.amount != r.amount"},
	[ZT_VERIFY_BATCH_PAID] = {
	 "SELECT count(*) FROM batch",
	 "WITH al AS (SELECT batch_id, SUM(amount + written_off) AS v FROM recon_alloc"
	 " GROUP BY batch_id)"
	 " SELECT printf('batch %s: paid %d fen, matched %d fen', b.id, b.paid, COALESCE(al.v, 0))"
	 " FROM batch b LEFT JOIN al ON al.batch_id = b.id WHERE b.paid != COALESCE(al.v, 0)"
	 " UNION ALL SELECT printf('a match pays batch %s of fund %s, which is %s', b.id, b.fund_code,"
	 " b.status) FROM recon_alloc a JOIN batch b ON b.id = a.batch_id"
	 " WHERE b.status NOT IN ('paid', 'part-paid') GROUP BY b.id"},
	/* paid: settled (it owes nothing, and is owed nothing back); part-paid:
	 * money moved, not settled; before: no money moved */
	[ZT_VERIFY_BATCH_STATUS_PAID] = {
	 "SELECT count(*) FROM batch WHERE status IN ('accepted', 'paid', 'part-paid') OR paid != 0"
	 " OR returned != 0",
	 "SELECT printf('batch %s is %s with %d fen paid and %d returned of %d', id, status, paid,"
	 " returned, " BATCH_DUE("batch") ") FROM batch"
	 " WHERE (status = 'paid' AND paid - returned != " BATCH_DUE("batch") ")"
	 " OR (status = 'part-paid' AND ((paid = 0 AND returned = 0)"
	 " OR paid - returned = " BATCH_DUE("batch") "))"
	 " OR (status NOT IN ('paid', 'part-paid') AND (paid != 0 OR returned != 0))"},
	[ZT_VERIFY_ENTRY_BOOKED] = {
	 "SELECT count(*) FROM bank_entry",
	 RECON_TRANSFERS
	 ", fx AS (SELECT ref, SUM(CASE WHEN debit = 'pool:bank' THEN amount WHEN credit = 'pool:bank'"
	 " THEN -amount ELSE 0 END) AS pool, SUM(CASE WHEN debit = 'suspense:bank' THEN amount"
	 " WHEN credit = 'suspense:bank' THEN -amount ELSE 0 END) AS suspense,"
	 " SUM(CASE WHEN kind = 'payment' AND credit LIKE 'fund:%' THEN amount ELSE 0 END) AS funds"
	 " FROM t GROUP BY ref),"
	 " st AS (SELECT e.id, e.ref, e.credit, e.amount,"
	 " EXISTS (SELECT 1 FROM recon_match m WHERE m.entry_id = e.id AND (m.advance_id IS NOT NULL"
	 " OR m.return_id IS NOT NULL)) AS confirms,"
	 " (NOT EXISTS (SELECT 1 FROM recon_match m WHERE m.entry_id = e.id)"
	 " AND NOT EXISTS (SELECT 1 FROM recon_exception x JOIN recon_resolution r"
	 " ON r.exception_id = x.id WHERE x.entry_id = e.id)) AS unexplained,"
	 " COALESCE((SELECT SUM(a.amount) FROM recon_match m JOIN recon_alloc a ON a.match_id = m.id"
	 " WHERE m.entry_id = e.id), 0) AS allocated FROM bank_entry e)"
	 " SELECT printf('bank entry %s (%s %d fen): the ledger moves pool:bank by %d fen, expected %d',"
	 " st.ref, CASE st.credit WHEN 1 THEN 'credit' ELSE 'debit' END, st.amount,"
	 " COALESCE(fx.pool, 0), CASE WHEN st.confirms THEN 0 WHEN st.credit THEN st.amount"
	 " ELSE -st.amount END) FROM st LEFT JOIN fx ON fx.ref = st.ref"
	 " WHERE COALESCE(fx.pool, 0) != CASE WHEN st.confirms THEN 0 WHEN st.credit THEN st.amount"
	 " ELSE -st.amount END"
	 " UNION ALL SELECT printf('bank entry %s: suspense:bank holds %d fen of it, expected %d',"
	 " st.ref, COALESCE(fx.suspense, 0), CASE WHEN NOT st.unexplained THEN 0 WHEN st.credit"
	 " THEN -st.amount ELSE st.amount END) FROM st LEFT JOIN fx ON fx.ref = st.ref"
	 " WHERE COALESCE(fx.suspense, 0) != CASE WHEN NOT st.unexplained THEN 0 WHEN st.credit"
	 " THEN -st.amount ELSE st.amount END"
	 " UNION ALL SELECT printf('bank entry %s pays batches %d fen but the funds were paid %d',"
	 " st.ref, st.allocated, COALESCE(fx.funds, 0)) FROM st LEFT JOIN fx ON fx.ref = st.ref"
	 " WHERE st.allocated != COALESCE(fx.funds, 0)"},
	[ZT_VERIFY_RECON_TRANSFERS] = {
	 "SELECT count(*) FROM transfer WHERE kind IN ('payment', 'suspense', 'refund', 'write-off',"
	 " 'confirm')",
	 RECON_TRANSFERS
	 " SELECT printf('transfer #%d (%s, %s -> %s, %d fen) refers to %s, which is no bank entry%s',"
	 " t.id, t.kind, t.debit, t.credit, t.amount, t.ref, CASE t.kind WHEN 'write-off'"
	 " THEN ' or exception' ELSE '' END) FROM t"
	 " WHERE NOT EXISTS (SELECT 1 FROM bank_entry e WHERE e.ref = t.ref)"
	 " AND NOT (t.kind = 'write-off' AND EXISTS (SELECT 1 FROM recon_exception x"
	 " WHERE x.exc_id = t.ref))"
	 " UNION ALL SELECT printf('fund %s: write-offs of %d fen in the ledger, %d fen in the"
	 " matches', substr(w.fund, 6), w.v, COALESCE(m.v, 0)) FROM (SELECT credit AS fund,"
	 " SUM(amount) AS v FROM t WHERE kind = 'write-off' AND credit LIKE 'fund:%' GROUP BY credit) w"
	 " LEFT JOIN (SELECT 'fund:' || b.fund_code AS fund, SUM(a.written_off) AS v FROM recon_alloc a"
	 " JOIN batch b ON b.id = a.batch_id GROUP BY b.fund_code) m ON m.fund = w.fund"
	 " WHERE w.v != COALESCE(m.v, 0)"
	 " UNION ALL SELECT printf('fund %s: matches write off %d fen, the ledger %d fen',"
	 " substr(m.fund, 6), m.v, COALESCE(w.v, 0)) FROM (SELECT 'fund:' || b.fund_code AS fund,"
	 " SUM(a.written_off) AS v FROM recon_alloc a JOIN batch b ON b.id = a.batch_id"
	 " GROUP BY b.fund_code) m LEFT JOIN (SELECT credit AS fund, SUM(amount) AS v FROM t"
	 " WHERE kind = 'write-off' AND credit LIKE 'fund:%' GROUP BY credit) w ON w.fund = m.fund"
	 " WHERE m.v != COALESCE(w.v, 0)"},
	[ZT_VERIFY_EXCEPTIONS_RESOLVED] = {
	 "SELECT count(*) FROM recon_exception",
	 "SELECT printf('%s is resolved %d times', x.exc_id, count(*)) FROM recon_resolution r"
	 " JOIN recon_exception x ON x.id = r.exception_id GROUP BY r.exception_id"
	 " HAVING count(*) > 1"
	 " UNION ALL SELECT printf('%s is resolved as %s but nothing was matched', x.exc_id,"
	 " r.resolution) FROM recon_resolution r JOIN recon_exception x ON x.id = r.exception_id"
	 " WHERE r.resolution IN ('accept', 'match') AND NOT EXISTS (SELECT 1 FROM recon_match m"
	 " WHERE m.exception_id = x.id)"
	 " UNION ALL SELECT printf('a match carries out %s, which is %s', x.exc_id,"
	 " COALESCE('resolved as ' || r.resolution, 'not resolved')) FROM recon_match m"
	 " JOIN recon_exception x ON x.id = m.exception_id LEFT JOIN recon_resolution r"
	 " ON r.exception_id = x.id WHERE r.resolution IS NULL"
	 " OR r.resolution NOT IN ('accept', 'match', 'write-off')"
	 " UNION ALL SELECT printf('%s (%s, no bank entry) is resolved as %s', x.exc_id, x.kind,"
	 " r.resolution) FROM recon_resolution r JOIN recon_exception x ON x.id = r.exception_id"
	 " WHERE x.entry_id IS NULL AND r.resolution NOT IN ('ignore', 'write-off', 'settled')"},
	[ZT_VERIFY_SUSPENSE] = {
	 "SELECT count(*) FROM account WHERE name = 'suspense:bank'",
	 "WITH open AS (SELECT COALESCE(SUM(CASE WHEN e.credit = 1 THEN -e.amount ELSE e.amount END),"
	 " 0) AS v FROM bank_entry e WHERE NOT EXISTS (SELECT 1 FROM recon_match m"
	 " WHERE m.entry_id = e.id) AND NOT EXISTS (SELECT 1 FROM recon_exception x"
	 " JOIN recon_resolution r ON r.exception_id = x.id WHERE x.entry_id = e.id))"
	 " SELECT printf('suspense:bank is %d fen; the entries neither matched nor resolved make %d',"
	 " COALESCE((SELECT balance FROM account WHERE name = 'suspense:bank'), 0), open.v) FROM open"
	 " WHERE COALESCE((SELECT balance FROM account WHERE name = 'suspense:bank'), 0) != open.v"},
	[ZT_VERIFY_RULES_IN_FORCE] = {
	 "SELECT (SELECT count(*) FROM settlement) + (SELECT count(*) FROM policy)"
	 " + (SELECT count(*) FROM catalog) + (SELECT count(*) FROM person_category)",
	 "SELECT printf('policy %s (row %d) has no version state', p.policy_id, p.id) FROM policy"
	 " p WHERE NOT EXISTS (SELECT 1 FROM policy_version v WHERE v.policy = p.id) UNION ALL"
	 " SELECT printf('policy %s (row %d) ends on %d, outside its dates', p.policy_id, p.id,"
	 " v.ends) FROM policy p JOIN policy_version v ON v.policy = p.id WHERE v.ends <"
	 " p.effective_from OR v.ends > p.effective_to UNION ALL SELECT printf('settlement %s used"
	 " policy %s (%s, %d to %d), not in force on %d', s.setl_id, p.policy_id, v.status,"
	 " p.effective_from, v.ends, c.dscg_date) FROM settlement s JOIN claim c ON c.id ="
	 " s.claim_id JOIN policy p ON p.id = s.policy_row JOIN policy_version v ON v.policy ="
	 " p.id WHERE s.kind = 'settle' AND NOT EXISTS (SELECT 1 FROM settlement r WHERE"
	 " r.reverses = s.id) AND (v.status <> 'active' OR c.dscg_date < p.effective_from OR"
	 " c.dscg_date > v.ends) UNION ALL SELECT printf('policies %s and %s of county %s are both"
	 " in use on %d', a.policy_id, b.policy_id, a.county, CASE WHEN a.effective_from >"
	 " b.effective_from THEN a.effective_from ELSE b.effective_from END) FROM policy a JOIN"
	 " policy_version va ON va.policy = a.id JOIN policy b ON b.county = a.county AND b.id >"
	 " a.id JOIN policy_version vb ON vb.policy = b.id WHERE va.status = 'active' AND"
	 " vb.status = 'active' AND a.effective_from <= vb.ends AND b.effective_from <= va.ends"
	 " UNION ALL SELECT printf('settlement %s used catalogue %s (%s, %d to %d), not in force"
	 " on %d for county %s', s.setl_id, k.catalog_id, k.status, k.effective_from, k.ends,"
	 " c.dscg_date, p.county) FROM settlement_catalog sc JOIN settlement s ON s.id ="
	 " sc.settlement JOIN claim c ON c.id = s.claim_id JOIN policy p ON p.id = s.policy_row"
	 " JOIN catalog k ON k.id = sc.catalog WHERE s.kind = 'settle' AND NOT EXISTS (SELECT 1"
	 " FROM settlement r WHERE r.reverses = s.id) AND (k.status <> 'active' OR c.dscg_date <"
	 " k.effective_from OR c.dscg_date > k.ends OR k.county <> p.county) UNION ALL SELECT"
	 " printf('catalogues %s and %s of county %s are both in force on %d', a.catalog_id,"
	 " b.catalog_id, a.county, CASE WHEN a.effective_from > b.effective_from THEN"
	 " a.effective_from ELSE b.effective_from END) FROM catalog a JOIN catalog b ON b.county ="
	 " a.county AND b.id > a.id WHERE a.status = 'active' AND b.status = 'active' AND"
	 " a.effective_from <= b.ends AND b.effective_from <= a.ends UNION ALL SELECT printf('the"
	 " category periods %s and %s of person %s overlap', a.seq, b.seq, a.psn_no) FROM"
	 " person_category a JOIN person_category b ON b.psn_no = a.psn_no AND b.seq > a.seq WHERE"
	 " a.from_date <= b.to_date AND b.from_date <= a.to_date UNION ALL SELECT printf('policy"
	 " %s (row %d) was approved by its loader %s', p.policy_id, p.id, p.loaded_by) FROM policy"
	 " p JOIN policy_version v ON v.policy = p.id WHERE v.approved_by = p.loaded_by UNION ALL"
	 " SELECT printf('catalogue %s was approved by its loader %s', k.catalog_id, k.loaded_by)"
	 " FROM catalog k WHERE k.approved_by = k.loaded_by"},
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
