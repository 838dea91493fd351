/* zhitong — the checks of `zhitong verify` in PostgreSQL's dialect (verify.h,
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

#include "pg_int.h"

/* The triggers the migrations create (schema/pg/001-schema.sql): facts stay
 * immutable only while they are there and enabled. */
#define GUARDS                                                                                  \
	"'claim_immutable_u', 'claim_immutable_d', 'settlement_immutable_u',"                    \
	" 'settlement_immutable_d', 'settlement_fund_immutable_u', 'settlement_fund_immutable_d',"\
	" 'settlement_trace_segment_immutable_u', 'settlement_trace_segment_immutable_d',"       \
	" 'transfer_immutable_u', 'transfer_immutable_d', 'audit_immutable_u', 'audit_immutable_d',"\
	" 'policy_immutable_u', 'policy_immutable_d', 'audit_last_id',"                          \
	" 'advance_plan_immutable_u', 'advance_plan_immutable_d', 'advance_plan_line_immutable_u',"\
	" 'advance_plan_line_immutable_d', 'advance_approval_immutable_u',"                      \
	" 'advance_approval_immutable_d', 'advance_immutable_u', 'advance_immutable_d',"         \
	" 'batch_share_immutable_u', 'batch_share_immutable_d', 'batch_immutable_d',"            \
	" 'batch_event_immutable_u', 'batch_event_immutable_d', 'batch_send_immutable_u',"       \
	" 'batch_send_immutable_d', 'batch_reject_immutable_u', 'batch_reject_immutable_d',"     \
	" 'bank_import_immutable_d', 'bank_import_immutable_u', 'bank_entry_immutable_u',"       \
	" 'bank_entry_immutable_d', 'recon_exception_immutable_u', 'recon_exception_immutable_d',"\
	" 'recon_resolution_immutable_u', 'recon_resolution_immutable_d', 'recon_match_immutable_u',"\
	" 'recon_match_immutable_d', 'recon_alloc_immutable_u', 'recon_alloc_immutable_d',"     \
	" 'batch_return_immutable_u', 'batch_return_immutable_d',"                              \
	" 'policy_version_guard_u', 'policy_version_immutable_d'"

/* ---- the queries --------------------------------------------------------------- */

/* The gaps in the ids of `table`, as "first to last" missing: rows are
 * numbered 1, 2, 3 … as they are written, and nothing deletes one. */
#define ID_GAPS(table, one, many)                                                                \
	"SELECT CASE WHEN id = prev + 2 THEN format('" one " %s is missing', prev + 1)"           \
	" ELSE format('" many " %s to %s are missing', prev + 1, id - 1) END"                     \
	" FROM (SELECT id, LAG(id, 1, 0) OVER (ORDER BY id) AS prev FROM " table ") g"             \
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

const struct zt_db_check pg_checks[ZT_VERIFY_CHECKS] = {
	[ZT_VERIFY_CONSERVATION] = {
	 "SELECT count(*) FROM settlement",
	 "SELECT format('%s: fund_pay_sumamt %s + hosp_part_amt %s + psn_part_amt %s != medfee_sumamt %s (fen)',"
	 " setl_id, fund_pay_sumamt, hosp_part_amt, psn_part_amt, medfee_sumamt)"
	 " FROM settlement WHERE fund_pay_sumamt + hosp_part_amt + psn_part_amt != medfee_sumamt"
	 " UNION ALL SELECT format('%s: hifp+hifmi+maf+oth %s != fund_pay_sumamt %s', setl_id,"
	 " hifp_pay + hifmi_pay + maf_pay + oth_pay, fund_pay_sumamt) FROM settlement"
	 " WHERE hifp_pay + hifmi_pay + maf_pay + oth_pay != fund_pay_sumamt"
	 " UNION ALL SELECT format('%s: classification %s does not add up to medfee_sumamt %s', setl_id,"
	 " fulamt_ownpay_amt + overlmt_selfpay + preselfpay_amt + inscp_scp_amt, medfee_sumamt)"
	 " FROM settlement WHERE fulamt_ownpay_amt + overlmt_selfpay + preselfpay_amt + inscp_scp_amt"
	 " != medfee_sumamt"},
	[ZT_VERIFY_SHARES_SUM] = {
	 "SELECT count(*) FROM settlement_fund",
	 "SELECT format('%s: funds in setldetail sum to %s, fund_pay_sumamt is %s (basic %s/%s, critical"
	 " %s/%s, assistance %s/%s, relief %s/%s)', s.setl_id, COALESCE(SUM(f.amount), 0), s.fund_pay_sumamt,"
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
	 "SELECT format('%s reverses %s but its amounts are not the exact negation', r.setl_id, o.setl_id)"
	 " FROM settlement r JOIN settlement o ON o.id = r.reverses WHERE r.medfee_sumamt != -o.medfee_sumamt"
	 " OR r.hifp_pay != -o.hifp_pay OR r.hifmi_pay != -o.hifmi_pay OR r.maf_pay != -o.maf_pay"
	 " OR r.oth_pay != -o.oth_pay OR r.hosp_part_amt != -o.hosp_part_amt"
	 " OR r.psn_part_amt != -o.psn_part_amt OR r.critical_base_added != -o.critical_base_added"
	 " OR r.claim_id != o.claim_id OR o.kind != 'settle'"},
	/* the sums in parts (store_int.h): every balance fits in int64, their
	 * running sums need not */
	[ZT_VERIFY_LEDGER_BALANCES] = {
	 "SELECT count(*) FROM account",
	 "SELECT format('the balances of all accounts sum to %s fen, not 0', q * " PG_G " + r)"
	 " FROM (SELECT " PG_Q("h", "l") " AS q, " PG_R("l") " AS r FROM (SELECT "
	 PG_SUM_HI("balance") " AS h, " PG_SUM_LO("balance") " AS l FROM account) s) t"
	 " WHERE q != 0 OR r != 0"},
	[ZT_VERIFY_ACCOUNT_TRANSFERS] = {
	 "SELECT count(*) FROM transfer",
	 "WITH legs AS (SELECT debit AS name, amount AS v FROM transfer"
	 " UNION ALL SELECT credit, -amount FROM transfer),"
	 " sums AS (SELECT name, " PG_SUM_HI("v") " AS h, " PG_SUM_LO("v") " AS l FROM legs"
	 " GROUP BY name),"
	 " x AS (SELECT name, " PG_Q("h", "l") " AS q, " PG_R("l") " AS r FROM sums)"
	 " SELECT format('account %s: balance %s, transfers sum to %s', a.name, a.balance,"
	 " COALESCE(x.q * " PG_G " + x.r, 0))"
	 " FROM account a LEFT JOIN x ON x.name = a.name"
	 " WHERE " PG_Q("a.balance / " PG_G, "a.balance % " PG_G) " IS DISTINCT FROM COALESCE(x.q, 0)"
	 " OR " PG_R("a.balance % " PG_G) " IS DISTINCT FROM COALESCE(x.r, 0)"
	 " UNION ALL SELECT format('account %s: transfers sum to %s but it has no balance row', x.name,"
	 " x.q * " PG_G " + x.r)"
	 " FROM x WHERE (x.q != 0 OR x.r != 0) AND NOT EXISTS (SELECT 1 FROM account a"
	 " WHERE a.name = x.name)"},
	/* A column of money is int8 and holds whole fen: one whose type was
	 * changed by hand (to numeric, to a floating-point type) is found, and
	 * so is any value with a fraction in it. */
	[ZT_VERIFY_WHOLE_FEN] = {
	 "SELECT (SELECT count(*) FROM account) + (SELECT count(*) FROM accum)"
	 " + (SELECT count(*) FROM transfer) + (SELECT count(*) FROM settlement)"
	 " + (SELECT count(*) FROM settlement_fund) + (SELECT count(*) FROM batch)"
	 " + (SELECT count(*) FROM advance) + (SELECT count(*) FROM advance_plan)"
	 " + (SELECT count(*) FROM bank_entry) + (SELECT count(*) FROM recon_alloc)"
	 " + (SELECT count(*) FROM batch_return)",
	 "SELECT format('column %s.%s is %s, not int8: money is whole fen', table_name, column_name,"
	 " data_type) FROM information_schema.columns WHERE table_schema = current_schema()"
	 " AND data_type <> 'bigint' AND (table_name, column_name) IN (('account', 'balance'),"
	 " ('accum', 'amount'), ('transfer', 'amount'), ('settlement', 'medfee_sumamt'),"
	 " ('settlement', 'fulamt_ownpay_amt'), ('settlement', 'overlmt_selfpay'),"
	 " ('settlement', 'preselfpay_amt'), ('settlement', 'inscp_scp_amt'),"
	 " ('settlement', 'act_pay_dedc'), ('settlement', 'hifp_pay'), ('settlement', 'hifmi_pay'),"
	 " ('settlement', 'maf_pay'), ('settlement', 'oth_pay'), ('settlement', 'fund_pay_sumamt'),"
	 " ('settlement', 'hosp_part_amt'), ('settlement', 'psn_part_amt'),"
	 " ('settlement', 'critical_base_added'), ('settlement_fund', 'amount'), ('batch', 'total'),"
	 " ('batch', 'info_total'), ('batch', 'paid'), ('batch', 'returned'),"
	 " ('batch', 'accepted_total'), ('advance', 'amount'), ('advance_plan', 'total'),"
	 " ('advance_plan_line', 'window_earned'), ('advance_plan_line', 'target'),"
	 " ('advance_plan_line', 'balance'), ('advance_plan_line', 'topup'), ('bank_entry', 'amount'),"
	 " ('recon_alloc', 'amount'), ('recon_alloc', 'written_off'), ('batch_return', 'amount'),"
	 " ('recon_exception', 'amount'))"
	 " UNION ALL SELECT format('account %s: balance %s is not whole fen', name, balance)"
	 " FROM account WHERE balance::numeric % 1 <> 0"
	 " UNION ALL SELECT format('person %s %s %s: accumulator %s is not whole fen', psn_no, year,"
	 " slot, amount) FROM accum WHERE amount::numeric % 1 <> 0"
	 " UNION ALL SELECT format('transfer #%s: amount %s is not whole fen', id, amount)"
	 " FROM transfer WHERE amount::numeric % 1 <> 0"},
	[ZT_VERIFY_SETTLEMENTS_POSTED] = {
	 "SELECT count(*) FROM settlement",
	 "WITH t AS (SELECT settlement_id, SUM(CASE WHEN debit LIKE 'fund:%' OR credit LIKE 'fund:%'"
	 " OR debit LIKE 'national-platform:%' OR credit LIKE 'national-platform:%'"
	 " THEN amount ELSE 0 END) AS funds, SUM(amount) AS total FROM transfer"
	 " WHERE settlement_id IS NOT NULL GROUP BY settlement_id)"
	 " SELECT format('%s: ledger moves %s for the funds and %s in all; the settlement says %s and %s',"
	 " s.setl_id, COALESCE(t.funds, 0), COALESCE(t.total, 0), abs(s.fund_pay_sumamt), abs(s.medfee_sumamt))"
	 " FROM settlement s LEFT JOIN t ON t.settlement_id = s.id"
	 " WHERE COALESCE(t.funds, 0) != abs(s.fund_pay_sumamt) OR COALESCE(t.total, 0) != abs(s.medfee_sumamt)"},
	[ZT_VERIFY_ACCUMULATORS] = {
	 "SELECT count(*) FROM accum",
	 "WITH sums AS (SELECT psn_no, year, slot, SUM(v) AS v FROM ("
	 "  SELECT s.psn_no, s.year, f.slot, f.amount AS v FROM settlement_fund f"
	 "  JOIN settlement s ON s.id = f.settlement_id"
	 "  UNION ALL SELECT psn_no, year, 'crit_base', critical_base_added FROM settlement) u"
	 "  GROUP BY psn_no, year, slot)"
	 " SELECT format('person %s %s %s: accumulator %s, settlements less reversals sum to %s',"
	 " a.psn_no, a.year, a.slot, a.amount, COALESCE(x.v, 0)) FROM accum a"
	 " LEFT JOIN sums x ON x.psn_no = a.psn_no AND x.year = a.year AND x.slot = a.slot"
	 " WHERE a.amount != COALESCE(x.v, 0)"
	 " UNION ALL SELECT format('person %s %s %s: settlements sum to %s but no accumulator is stored',"
	 " x.psn_no, x.year, x.slot, x.v) FROM sums x WHERE x.v != 0 AND NOT EXISTS (SELECT 1 FROM accum a"
	 " WHERE a.psn_no = x.psn_no AND a.year = x.year AND a.slot = x.slot)"},
	[ZT_VERIFY_ONE_LIVE_SETTLEMENT] = {
	 "SELECT count(*) FROM claim",
	 "SELECT format('claim %s/%s has %s settlements that are not reversed', c.fixmedins_code,"
	 " c.claim_no, count(*)) FROM settlement s JOIN claim c ON c.id = s.claim_id"
	 " WHERE s.kind = 'settle' AND NOT EXISTS (SELECT 1 FROM settlement r WHERE r.reverses = s.id)"
	 " GROUP BY c.fixmedins_code, c.claim_no HAVING count(*) > 1"},
	[ZT_VERIFY_SETTLEMENT_CLAIM] = {
	 "SELECT count(*) FROM settlement",
	 "SELECT format('%s: its claim (row %s) is gone', s.setl_id, s.claim_id) FROM settlement s"
	 " WHERE NOT EXISTS (SELECT 1 FROM claim c WHERE c.id = s.claim_id)"
	 " UNION ALL SELECT format('%s: medfee_sumamt %s, its claim %s/%s says %s', s.setl_id,"
	 " s.medfee_sumamt, c.fixmedins_code, c.claim_no, c.medfee_sumamt) FROM settlement s"
	 " JOIN claim c ON c.id = s.claim_id"
	 " WHERE s.medfee_sumamt != CASE s.kind WHEN 'settle' THEN c.medfee_sumamt ELSE -c.medfee_sumamt END"
	 " UNION ALL SELECT format('%s: person %s of hospital %s, its claim %s/%s is of person %s',"
	 " s.setl_id, s.psn_no, s.fixmedins_code, c.fixmedins_code, c.claim_no, c.psn_no)"
	 " FROM settlement s JOIN claim c ON c.id = s.claim_id"
	 " WHERE s.psn_no != c.psn_no OR s.fixmedins_code != c.fixmedins_code"
	 " UNION ALL SELECT format('%s: year %s, its claim was discharged on %s', s.setl_id, s.year,"
	 " c.dscg_date) FROM settlement s JOIN claim c ON c.id = s.claim_id"
	 " WHERE s.year != c.dscg_date / 10000"
	 " UNION ALL SELECT format('%s: its setl_id does not name its row %s', s.setl_id, s.id)"
	 " FROM settlement s WHERE s.setl_id != 'S' || lpad(s.id::text, 12, '0')"},
	[ZT_VERIFY_SETTLEMENT_REFS] = {
	 "SELECT count(*) FROM settlement",
	 "SELECT format('%s: hospital ''%s'' is not in the registry', s.setl_id, s.fixmedins_code)"
	 " FROM settlement s WHERE NOT EXISTS (SELECT 1 FROM hospital h WHERE h.code = s.fixmedins_code)"
	 " UNION ALL SELECT format('%s: person ''%s'' is not in the registry', s.setl_id, s.psn_no)"
	 " FROM settlement s WHERE NOT EXISTS (SELECT 1 FROM person p WHERE p.psn_no = s.psn_no)"
	 " UNION ALL SELECT format('%s: its policy (row %s) is gone', s.setl_id, s.policy_row)"
	 " FROM settlement s WHERE NOT EXISTS (SELECT 1 FROM policy p WHERE p.id = s.policy_row)"
	 " UNION ALL SELECT format('%s reverses settlement row %s, which is gone', s.setl_id, s.reverses)"
	 " FROM settlement s WHERE s.reverses IS NOT NULL"
	 " AND NOT EXISTS (SELECT 1 FROM settlement o WHERE o.id = s.reverses)"
	 " UNION ALL SELECT format('a fund share of %s fen (settlement row %s, share %s) has no"
	 " settlement', f.amount, f.settlement_id, f.seq) FROM settlement_fund f"
	 " WHERE NOT EXISTS (SELECT 1 FROM settlement s WHERE s.id = f.settlement_id)"
	 " UNION ALL SELECT format('%s: fund ''%s'' is not in the registry', s.setl_id, f.fund_code)"
	 " FROM settlement_fund f JOIN settlement s ON s.id = f.settlement_id"
	 " WHERE NOT EXISTS (SELECT 1 FROM fund x WHERE x.code = f.fund_code)"
	 " UNION ALL SELECT format('transfer %s (%s) names settlement row %s, which is gone', t.id,"
	 " t.ref, t.settlement_id) FROM transfer t WHERE t.settlement_id IS NOT NULL"
	 " AND NOT EXISTS (SELECT 1 FROM settlement s WHERE s.id = t.settlement_id)"},
	[ZT_VERIFY_SHARE_SLOTS] = {
	 "SELECT count(*) FROM settlement_fund",
	 "SELECT format('%s: share %s of fund %s (%s) moves accumulator ''%s''', s.setl_id, f.seq,"
	 " f.fund_code, f.kind, f.slot) FROM settlement_fund f JOIN settlement s ON s.id = f.settlement_id"
	 " WHERE f.slot != CASE f.kind WHEN 'basic' THEN 'basic' WHEN 'critical' THEN 'crit_paid'"
	 " WHEN 'assistance' THEN 'assist' ELSE 'relief:' || f.fund_code END"},
	[ZT_VERIFY_SHARE_TRACES] = {
	 "SELECT count(*) FROM settlement_fund",
	 "SELECT format('%s: share %s (%s) has no trace of its own (its trace is %s)', s.setl_id,"
	 " f.seq, f.kind, COALESCE(f.trace_kind, 'missing')) FROM settlement_fund f"
	 " JOIN settlement s ON s.id = f.settlement_id WHERE f.trace_kind IS DISTINCT FROM"
	 " (CASE WHEN s.kind = 'reverse' THEN 'reversal' ELSE f.kind END)"
	 " UNION ALL SELECT format('%s: share %s pays %s fen, its trace says %s', s.setl_id, f.seq,"
	 " f.amount, COALESCE(f.pay::text, 'nothing')) FROM settlement_fund f JOIN settlement s"
	 " ON s.id = f.settlement_id WHERE f.trace_kind <> 'reversal' AND f.pay IS DISTINCT FROM f.amount"
	 " UNION ALL SELECT format('%s: share %s moves %s by %s fen, its trace from %s to %s',"
	 " s.setl_id, f.seq, f.slot, f.amount, COALESCE(f.paid_before::text, '?'),"
	 " COALESCE(f.paid_after::text, '?')) FROM settlement_fund f JOIN settlement s"
	 " ON s.id = f.settlement_id WHERE f.paid_after IS DISTINCT FROM f.paid_before + f.amount"
	 " UNION ALL SELECT format('%s: share %s (critical) has no tier segment', s.setl_id, f.seq)"
	 " FROM settlement_fund f JOIN settlement s ON s.id = f.settlement_id"
	 " WHERE f.trace_kind = 'critical' AND NOT EXISTS (SELECT 1 FROM settlement_trace_segment g"
	 " WHERE g.settlement_id = f.settlement_id AND g.seq = f.seq)"
	 " UNION ALL SELECT format('tier segment %s of share #%s/%s belongs to no critical share',"
	 " g.k, g.settlement_id, g.seq) FROM settlement_trace_segment g LEFT JOIN settlement_fund f"
	 " ON f.settlement_id = g.settlement_id AND f.seq = g.seq"
	 " WHERE f.trace_kind IS DISTINCT FROM 'critical'"},
	[ZT_VERIFY_SETTLED_ONCE] = {
	 "SELECT count(*) FROM claim",
	 "SELECT format('claim %s/%s (row %s) has %s settlements', c.fixmedins_code, c.claim_no, c.id,"
	 " (SELECT count(*) FROM settlement s WHERE s.claim_id = c.id AND s.kind = 'settle'))"
	 " FROM claim c WHERE (SELECT count(*) FROM settlement s WHERE s.claim_id = c.id"
	 " AND s.kind = 'settle') != 1"
	 " UNION ALL SELECT format('claim %s/%s: its submissions are numbered %s to %s, %s of them',"
	 " fixmedins_code, claim_no, min(seq), max(seq), count(*)) FROM claim"
	 " GROUP BY fixmedins_code, claim_no HAVING min(seq) != 1 OR max(seq) != count(*)"
	 " UNION ALL SELECT format('claim %s/%s was settled again (submission %s) without a reversal"
	 " of submission %s', c.fixmedins_code, c.claim_no, c.seq + 1, c.seq) FROM claim c"
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
	 "SELECT format('policy %s (row %s): its stored XML no longer has its SHA-256 %s', policy_id,"
	 " id, digest) FROM policy WHERE encode(sha256(convert_to(source_xml, 'UTF8')), 'hex') IS DISTINCT FROM digest"},
	[ZT_VERIFY_AUDIT_GAPS] = {
	 "SELECT count(*) FROM audit",
	 ID_GAPS("audit", "audit record", "audit records")
	 " UNION ALL SELECT format('audit record %s (%s) is dated before record %s (%s)', id, at,"
	 " prev_id, prev_at) FROM (SELECT id, at, LAG(id) OVER (ORDER BY id) AS prev_id,"
	 " LAG(at) OVER (ORDER BY id) AS prev_at FROM audit) g WHERE at < prev_at"
	 " UNION ALL SELECT 'the count of audit records written (meta audit.last-id) is missing'"
	 " WHERE NOT EXISTS (SELECT 1 FROM meta WHERE key = 'audit.last-id')"
	 " UNION ALL SELECT CASE WHEN n = m + 1 THEN format('audit record %s was written and is gone',"
	 " n) WHEN n > m THEN format('audit records %s to %s were written and are gone', m + 1, n)"
	 " WHEN m = n + 1 THEN format('audit record %s was not written by zhitong (its count stops"
	 " at %s)', m, n) ELSE format('audit records %s to %s were not written by zhitong (its count"
	 " stops at %s)', n + 1, m, n) END FROM (SELECT value::int8 AS n,"
	 " (SELECT COALESCE(MAX(id), 0) FROM audit) AS m FROM meta WHERE key = 'audit.last-id') c"
	 " WHERE n != m"},
	[ZT_VERIFY_AUDITED] = {
	 "SELECT (SELECT count(*) FROM settlement WHERE kind = 'reverse')"
	 " + (SELECT count(*) FROM policy) + (SELECT count(*) FROM advance_plan)"
	 " + (SELECT count(*) FROM advance_approval) + (SELECT count(DISTINCT msg_id) FROM advance)",
	 "SELECT format('policy %s (row %s) has no audit record of its loading', p.policy_id, p.id)"
	 " FROM policy p WHERE NOT EXISTS (SELECT 1 FROM audit a WHERE a.action = 'rules load'"
	 " AND a.detail = p.policy_id)"
	 " UNION ALL SELECT format('reversal %s has no audit record', s.setl_id) FROM settlement s"
	 " WHERE s.kind = 'reverse' AND NOT EXISTS (SELECT 1 FROM audit a WHERE"
	 " a.action = 'claim reverse' AND strpos(a.detail, s.setl_id || ' reverses ') = 1)"
	 " UNION ALL SELECT format('advance plan %s has no audit record', p.plan_id) FROM advance_plan p"
	 " WHERE NOT EXISTS (SELECT 1 FROM audit a WHERE a.action = 'advance plan'"
	 " AND a.subject = p.plan_id)"
	 " UNION ALL SELECT format('the approval of advance plan %s has no audit record', p.plan_id)"
	 " FROM advance_approval v JOIN advance_plan p ON p.id = v.plan_row"
	 " WHERE NOT EXISTS (SELECT 1 FROM audit a WHERE a.action = 'advance approve'"
	 " AND a.subject = p.plan_id)"
	 " UNION ALL SELECT format('the issue of %s (%s advances) has no audit record', x.msg_id,"
	 " count(*)) FROM advance x WHERE NOT EXISTS (SELECT 1 FROM audit a"
	 " WHERE a.action = 'advance issue' AND a.subject = x.msg_id) GROUP BY x.msg_id"},
	[ZT_VERIFY_REFERENCES] = {
	 "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()",
	 /* Foreign keys may have been bypassed (session_replication_role =
	  * replica): zt_dangling_references (schema/pg/001) lists every row
	  * whose foreign key finds nothing. The core's own references are
	  * checked above, with their meaning. */
	 "SELECT d FROM zt_dangling_references() AS d"},
	[ZT_VERIFY_GUARDS] = {
	 "SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
	 " JOIN pg_namespace n ON n.oid = c.relnamespace"
	 " WHERE n.nspname = current_schema() AND NOT t.tgisinternal",
	 "SELECT format('trigger %s is missing or disabled: what it protects can be changed unseen',"
	 " g.name) FROM unnest(ARRAY[" GUARDS "]) AS g(name) WHERE NOT EXISTS (SELECT 1"
	 " FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n"
	 " ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND t.tgname = g.name"
	 " AND t.tgenabled <> 'D')"},
	[ZT_VERIFY_ADVANCE_TRANSFER] = {
	 "SELECT count(*) FROM advance",
	 /* Advance transfers are few: collect them in one pass rather than
	  * look each ref up in a table that has no index on ref. */
	 "WITH t AS MATERIALIZED (SELECT ref, debit, credit, amount FROM transfer"
	 " WHERE kind = 'advance')"
	 " SELECT format('advance %s: %s fen to %s, but the ledger has %s advance transfers with its"
	 " reference, moving %s fen (debit %s, credit %s)', a.advance_id, a.amount, a.hospital,"
	 " count(t.ref), COALESCE(SUM(t.amount), 0), COALESCE(MAX(t.debit), '-'),"
	 " COALESCE(MAX(t.credit), '-'))"
	 " FROM advance a LEFT JOIN t ON t.ref = a.advance_id GROUP BY a.id"
	 " HAVING count(t.ref) != 1 OR SUM(t.amount) != a.amount"
	 " OR MAX(t.debit) != 'hospital:' || a.hospital OR MAX(t.credit) != 'pool:bank'"},
	[ZT_VERIFY_ADVANCE_TRANSFERS_OWNED] = {
	 "SELECT count(*) FROM transfer WHERE kind = 'advance'",
	 "SELECT format('transfer #%s (debit %s, credit %s, %s fen, ref %s) is of kind advance but"
	 " no advance has that id', t.id, t.debit, t.credit, t.amount, t.ref) FROM transfer t"
	 " WHERE t.kind = 'advance' AND NOT EXISTS (SELECT 1 FROM advance a WHERE a.advance_id = t.ref)"},
	[ZT_VERIFY_PLAN_ISSUED_ONCE] = {
	 "SELECT count(*) FROM advance_plan",
	 "SELECT format('plan %s was issued in %s messages', p.plan_id, count(DISTINCT a.msg_id))"
	 " FROM advance a JOIN advance_plan p ON p.id = a.plan_row GROUP BY a.plan_row, p.plan_id"
	 " HAVING count(DISTINCT a.msg_id) > 1"
	 " UNION ALL SELECT format('plan %s: advance %s pays %s %s fen, the plan line says %s',"
	 " p.plan_id, a.advance_id, a.hospital, a.amount, COALESCE(l.topup, 0)) FROM advance a"
	 " JOIN advance_plan p ON p.id = a.plan_row LEFT JOIN advance_plan_line l"
	 " ON l.plan_row = a.plan_row AND l.hospital = a.hospital"
	 " WHERE l.topup IS NULL OR l.topup != a.amount"
	 " UNION ALL SELECT format('plan %s was issued but %s (top-up %s fen) was not paid',"
	 " p.plan_id, l.hospital, l.topup) FROM advance_plan_line l JOIN advance_plan p"
	 " ON p.id = l.plan_row WHERE l.topup > 0"
	 " AND EXISTS (SELECT 1 FROM advance a WHERE a.plan_row = l.plan_row)"
	 " AND NOT EXISTS (SELECT 1 FROM advance a WHERE a.plan_row = l.plan_row"
	 " AND a.hospital = l.hospital)"
	 " UNION ALL SELECT format('plan %s was issued without an approval', p.plan_id)"
	 " FROM advance_plan p WHERE EXISTS (SELECT 1 FROM advance a WHERE a.plan_row = p.id)"
	 " AND NOT EXISTS (SELECT 1 FROM advance_approval v WHERE v.plan_row = p.id)"},
	[ZT_VERIFY_PLAN_LINES] = {
	 "SELECT count(*) FROM advance_plan_line",
	 "SELECT format('plan %s, %s: target %s, balance %s, top-up %s fen: %s', p.plan_id,"
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
	 " UNION ALL SELECT format('plan %s asks a single advance of %s fen to %s but has %s lines',"
	 " p.plan_id, l.topup, l.hospital, (SELECT count(*) FROM advance_plan_line o"
	 " WHERE o.plan_row = l.plan_row)) FROM advance_plan_line l JOIN advance_plan p"
	 " ON p.id = l.plan_row WHERE l.basis = 'request' AND (l.topup <= 0 OR (SELECT count(*)"
	 " FROM advance_plan_line o WHERE o.plan_row = l.plan_row) != 1)"
	 " UNION ALL SELECT format('plan %s: total %s fen, its lines sum to %s', p.plan_id, p.total,"
	 " COALESCE(SUM(l.topup), 0)) FROM advance_plan p LEFT JOIN advance_plan_line l"
	 " ON l.plan_row = p.id GROUP BY p.id HAVING p.total != COALESCE(SUM(l.topup), 0)"},
	[ZT_VERIFY_ADVANCE_MAKER] = {
	 "SELECT (SELECT count(*) FROM advance_approval) + (SELECT count(*) FROM advance)",
	 "SELECT format('plan %s was approved by its maker %s', p.plan_id, p.made_by)"
	 " FROM advance_plan p JOIN advance_approval v ON v.plan_row = p.id"
	 " WHERE v.approved_by = p.made_by"
	 " UNION ALL SELECT format('advance %s was approved by its maker %s', advance_id, made_by)"
	 " FROM advance WHERE approved_by = made_by"
	 " UNION ALL SELECT format('advance %s of plan %s names maker %s and approver %s; the plan"
	 " says %s and %s', a.advance_id, p.plan_id, a.made_by, a.approved_by, p.made_by,"
	 " COALESCE(v.approved_by, '(none)')) FROM advance a JOIN advance_plan p ON p.id = a.plan_row"
	 " LEFT JOIN advance_approval v ON v.plan_row = p.id"
	 " WHERE a.made_by != p.made_by OR v.approved_by IS NULL OR a.approved_by != v.approved_by"},
	[ZT_VERIFY_SHARE_ONE_BATCH] = {
	 "SELECT count(*) FROM batch_share",
	 /* The primary key makes a second row impossible; a share billed to a
	  * fund that does not owe it is the failure left to look for. */
	 "SELECT format('share %s/%s is in %s batches', s.setl_id, b.seq, count(*))"
	 " FROM batch_share b JOIN settlement s ON s.id = b.settlement_id"
	 " GROUP BY b.settlement_id, b.seq, s.setl_id HAVING count(*) > 1"
	 " UNION ALL SELECT format('share %s/%s of fund %s is in batch %s of fund %s', s.setl_id,"
	 " b.seq, f.fund_code, x.id, x.fund_code) FROM batch_share b"
	 " JOIN batch x ON x.id = b.batch_id JOIN settlement s ON s.id = b.settlement_id"
	 " JOIN settlement_fund f ON f.settlement_id = b.settlement_id AND f.seq = b.seq"
	 " WHERE f.fund_code <> x.fund_code"},
	[ZT_VERIFY_BATCH_SHARES_EXIST] = {
	 "SELECT count(*) FROM batch_share",
	 "SELECT format('batch %s holds share #%s/%s, which is no settlement share', b.batch_id,"
	 " b.settlement_id, b.seq) FROM batch_share b LEFT JOIN settlement_fund f"
	 " ON f.settlement_id = b.settlement_id AND f.seq = b.seq WHERE f.settlement_id IS NULL"
	 " UNION ALL SELECT format('batch %s rejects share #%s/%s, which is not in it', j.batch_id,"
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
	 " SELECT format('batch %s: stored %s records, total %s fen (%s, %s fen for information);"
	 " its records: %s, %s fen (%s, %s fen)', x.id, x.count, x.total, x.info_count, x.info_total,"
	 " COALESCE(r.n, 0), COALESCE(r.t, 0), COALESCE(r.ni, 0), COALESCE(r.ti, 0))"
	 " FROM batch x LEFT JOIN r ON r.batch_id = x.id WHERE x.count != COALESCE(r.n, 0)"
	 " OR x.total != COALESCE(r.t, 0) OR x.info_count != COALESCE(r.ni, 0)"
	 " OR x.info_total != COALESCE(r.ti, 0) OR x.count = 0"
	 " UNION ALL SELECT format('batch %s: accepted total %s fen, but its total less the records"
	 " the payer rejected is %s fen', x.id, x.accepted_total, x.total - " REJECTED_SUM("x.id") ")"
	 " FROM batch x WHERE x.accepted_total IS NOT NULL"
	 " AND x.accepted_total != x.total - " REJECTED_SUM("x.id")},
	[ZT_VERIFY_BATCH_INFO_RECORDS] = {
	 "SELECT count(*) FROM batch_share WHERE payable = 0",
	 "SELECT format('batch %s leaves %s/%s out of its total, but it reverses no record the payer"
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
	 " SELECT format('batch %s: event #%s (%s) goes from %s, but the batch was %s', batch_id, id,"
	 " action, COALESCE(status_from, 'nothing'), COALESCE(prev, 'nothing')) FROM e"
	 " WHERE status_from IS DISTINCT FROM prev"
	 " UNION ALL SELECT format('batch %s: event #%s (%s) from %s to %s is no allowed move',"
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
	 " UNION ALL SELECT format('batch %s is %s, but its last recorded change leaves it %s',"
	 " x.id, x.status, COALESCE(e.status_to, 'unrecorded')) FROM batch x LEFT JOIN e"
	 " ON e.batch_id = x.id AND e.last = 1 WHERE e.status_to IS DISTINCT FROM x.status"},
	[ZT_VERIFY_BATCH_BOUNDS] = {
	 "SELECT count(*) FROM batch",
	 "SELECT format('batch %s: accepted %s fen of a total of %s fen', id, accepted_total, total)"
	 " FROM batch WHERE accepted_total > total"
	 " UNION ALL SELECT format('batch %s: paid %s fen of a total of %s fen', id, paid, total)"
	 " FROM batch WHERE paid > GREATEST(total, 0)"
	 " UNION ALL SELECT format('batch %s: %s fen returned to its fund, more than the %s fen it"
	 " owed back', id, returned, GREATEST(paid - " DUE_OF("batch") ", 0)) FROM batch"
	 " WHERE returned > GREATEST(paid - " DUE_OF("batch") ", 0)"},
	[ZT_VERIFY_BATCH_RETURNS] = {
	 "SELECT count(*) FROM batch_return",
	 "WITH r AS (SELECT batch_id, SUM(amount) AS v FROM batch_return GROUP BY batch_id)"
	 " SELECT format('batch %s: returned %s fen, its returns sum to %s', b.id, b.returned,"
	 " COALESCE(r.v, 0)) FROM batch b LEFT JOIN r ON r.batch_id = b.id"
	 " WHERE b.returned != COALESCE(r.v, 0)"
	 " UNION ALL SELECT format('repayment %s of batch %s (%s fen to fund %s): the ledger has %s"
	 " repay transfers of %s fen from %s to %s', r.return_id, r.batch_id, r.amount, b.fund_code,"
	 " COALESCE(t.n, 0), COALESCE(t.v, 0), COALESCE(t.c, '-'), COALESCE(t.d, '-'))"
	 " FROM batch_return r JOIN batch b ON b.id = r.batch_id LEFT JOIN (SELECT ref, count(*) AS n,"
	 " SUM(amount) AS v, MIN(debit) AS d, MIN(credit) AS c FROM transfer WHERE kind = 'repay'"
	 " GROUP BY ref) t ON t.ref = r.return_id WHERE r.kind = 'repay' AND (COALESCE(t.n, 0) != 1"
	 " OR t.v != r.amount OR t.d != 'fund:' || b.fund_code OR t.c != 'pool:bank')"
	 " UNION ALL SELECT format('transfer #%s (repay, %s fen) refers to %s, which is no"
	 " repayment', t.id, t.amount, t.ref) FROM transfer t WHERE t.kind = 'repay'"
	 " AND NOT EXISTS (SELECT 1 FROM batch_return r WHERE r.return_id = t.ref)"
	 " UNION ALL SELECT format('bank entry %s: %s fen netted back to %s in the ledger, %s fen in"
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
	 " p AS (SELECT fund, side, " PG_SUM_HI("v") " AS h, " PG_SUM_LO("v") " AS l FROM t"
	 " GROUP BY fund, side),"
	 " c AS (SELECT fund, side, " PG_Q("h", "l") " AS q, " PG_R("l") " AS r FROM p),"
	 " x AS (SELECT f.code, COALESCE(c1.q, 0) AS q1, COALESCE(c1.r, 0) AS r1,"
	 " COALESCE(c2.q, 0) AS q2, COALESCE(c2.r, 0) AS r2, COALESCE(c3.q, 0) AS q3,"
	 " COALESCE(c3.r, 0) AS r3 FROM fund f LEFT JOIN c c1 ON c1.fund = f.code AND c1.side = 1"
	 " LEFT JOIN c c2 ON c2.fund = f.code AND c2.side = 2"
	 " LEFT JOIN c c3 ON c3.fund = f.code AND c3.side = 3)"
	 " SELECT format('fund %s: billed - paid - written off + returned = %s fen outstanding,"
	 " but its batches are owed %s and its ledger account says %s', code,"
	 " q1 * " PG_G " + r1, q2 * " PG_G " + r2, q3 * " PG_G " + r3) FROM x"
	 " WHERE q1 != q2 OR r1 != r2 OR q1 != q3 OR r1 != r3"},
	[ZT_VERIFY_ENTRY_MATCHED_ONCE] = {
	 "SELECT count(*) FROM bank_entry",
	 "SELECT format('bank entry %s is matched %s times', e.ref, count(*)) FROM recon_match m"
	 " JOIN bank_entry e ON e.id = m.entry_id GROUP BY m.entry_id, e.ref HAVING count(*) > 1"
	 " UNION ALL SELECT format('advance %s is confirmed %s times', advance_id, count(*))"
	 " FROM recon_match WHERE advance_id IS NOT NULL GROUP BY advance_id HAVING count(*) > 1"
	 " UNION ALL SELECT format('repayment %s is confirmed %s times', return_id, count(*))"
	 " FROM recon_match WHERE return_id IS NOT NULL GROUP BY return_id HAVING count(*) > 1"
	 " UNION ALL SELECT format('bank entry %s confirms %s and pays batches too', e.ref,"
	 " COALESCE(m.advance_id, m.return_id)) FROM recon_match m JOIN bank_entry e"
	 " ON e.id = m.entry_id WHERE (m.advance_id IS NOT NULL OR m.return_id IS NOT NULL)"
	 " AND EXISTS (SELECT 1 FROM recon_alloc a WHERE a.match_id = m.id)"
	 " UNION ALL SELECT format('bank entry %s confirms advance %s and repayment %s', e.ref,"
	 " m.advance_id, m.return_id) FROM recon_match m JOIN bank_entry e ON e.id = m.entry_id"
	 " WHERE m.advance_id IS NOT NULL AND m.return_id IS NOT NULL"
	 " UNION ALL SELECT format('bank entry %s is matched, but %s about it is %s', e.ref,"
	 " x.exc_id, CASE WHEN r.exception_id IS NULL THEN 'still open' ELSE 'resolved as '"
	 " || r.resolution END) FROM recon_match m JOIN bank_entry e ON e.id = m.entry_id"
	 " JOIN recon_exception x ON x.entry_id = m.entry_id LEFT JOIN recon_resolution r"
	 " ON r.exception_id = x.id WHERE m.exception_id IS DISTINCT FROM x.id"
	 /* what the payer netted (money owed back to it) comes off what it paid */
	 " UNION ALL SELECT format('bank entry %s pays %s fen net, more than its %s fen', e.ref,"
	 " SUM(a.amount) - COALESCE((SELECT SUM(r.amount) FROM batch_return r"
	 " WHERE r.entry_id = e.id), 0), e.amount) FROM recon_match m JOIN bank_entry e"
	 " ON e.id = m.entry_id JOIN recon_alloc a ON a.match_id = m.id GROUP BY m.id, e.id"
	 " HAVING SUM(a.amount) - COALESCE((SELECT SUM(r.amount) FROM batch_return r"
	 " WHERE r.entry_id = e.id), 0) > e.amount"
	 " UNION ALL SELECT format('bank entry %s nets %s fen back to funds but is no matched credit',"
	 " e.ref, SUM(r.amount)) FROM batch_return r JOIN bank_entry e ON e.id = r.entry_id"
	 " WHERE e.credit = 0 OR NOT EXISTS (SELECT 1 FROM recon_match m WHERE m.entry_id = e.id"
	 " AND m.advance_id IS NULL AND m.return_id IS NULL) GROUP BY e.id"
	 " UNION ALL SELECT format('bank entry %s: a %s confirms advance %s of %s fen with %s fen',"
	 " e.ref, CASE e.credit WHEN 1 THEN 'credit' ELSE 'debit' END, m.advance_id, v.amount,"
	 " e.amount) FROM recon_match m JOIN bank_entry e ON e.id = m.entry_id JOIN advance v"
	 " ON v.advance_id = m.advance_id WHERE e.credit = 1 OR e.amount != v.amount"
	 " UNION ALL SELECT format('bank entry %s: a %s confirms repayment %s of %s fen with %s fen',"
	 " e.ref, CASE e.credit WHEN 1 THEN 'credit' ELSE 'debit' END, m.return_id, r.amount,"
	 " e.amount) FROM recon_match m JOIN bank_entry e ON e.id = m.entry_id JOIN batch_return r"
	 " ON r.return_id = m.return_id WHERE e.credit = 1 OR e.amount != r.amount"},
	[ZT_VERIFY_BATCH_PAID] = {
	 "SELECT count(*) FROM batch",
	 "WITH al AS (SELECT batch_id, SUM(amount + written_off) AS v FROM recon_alloc"
	 " GROUP BY batch_id)"
	 " SELECT format('batch %s: paid %s fen, matched %s fen', b.id, b.paid, COALESCE(al.v, 0))"
	 " FROM batch b LEFT JOIN al ON al.batch_id = b.id WHERE b.paid != COALESCE(al.v, 0)"
	 " UNION ALL SELECT format('a match pays batch %s of fund %s, which is %s', b.id, b.fund_code,"
	 " b.status) FROM recon_alloc a JOIN batch b ON b.id = a.batch_id"
	 " WHERE b.status NOT IN ('paid', 'part-paid') GROUP BY b.id"},
	/* paid: settled (it owes nothing, and is owed nothing back); part-paid:
	 * money moved, not settled; before: no money moved */
	[ZT_VERIFY_BATCH_STATUS_PAID] = {
	 "SELECT count(*) FROM batch WHERE status IN ('accepted', 'paid', 'part-paid') OR paid != 0"
	 " OR returned != 0",
	 "SELECT format('batch %s is %s with %s fen paid and %s returned of %s', id, status, paid,"
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
	 " SELECT format('bank entry %s (%s %s fen): the ledger moves pool:bank by %s fen, expected %s',"
	 " st.ref, CASE st.credit WHEN 1 THEN 'credit' ELSE 'debit' END, st.amount,"
	 " COALESCE(fx.pool, 0), CASE WHEN st.confirms THEN 0 WHEN st.credit = 1 THEN st.amount"
	 " ELSE -st.amount END) FROM st LEFT JOIN fx ON fx.ref = st.ref"
	 " WHERE COALESCE(fx.pool, 0) != CASE WHEN st.confirms THEN 0 WHEN st.credit = 1 THEN st.amount"
	 " ELSE -st.amount END"
	 " UNION ALL SELECT format('bank entry %s: suspense:bank holds %s fen of it, expected %s',"
	 " st.ref, COALESCE(fx.suspense, 0), CASE WHEN NOT st.unexplained THEN 0 WHEN st.credit = 1"
	 " THEN -st.amount ELSE st.amount END) FROM st LEFT JOIN fx ON fx.ref = st.ref"
	 " WHERE COALESCE(fx.suspense, 0) != CASE WHEN NOT st.unexplained THEN 0 WHEN st.credit = 1"
	 " THEN -st.amount ELSE st.amount END"
	 " UNION ALL SELECT format('bank entry %s pays batches %s fen but the funds were paid %s',"
	 " st.ref, st.allocated, COALESCE(fx.funds, 0)) FROM st LEFT JOIN fx ON fx.ref = st.ref"
	 " WHERE st.allocated != COALESCE(fx.funds, 0)"},
	[ZT_VERIFY_RECON_TRANSFERS] = {
	 "SELECT count(*) FROM transfer WHERE kind IN ('payment', 'suspense', 'refund', 'write-off',"
	 " 'confirm')",
	 RECON_TRANSFERS
	 " SELECT format('transfer #%s (%s, %s -> %s, %s fen) refers to %s, which is no bank entry%s',"
	 " t.id, t.kind, t.debit, t.credit, t.amount, t.ref, CASE t.kind WHEN 'write-off'"
	 " THEN ' or exception' ELSE '' END) FROM t"
	 " WHERE NOT EXISTS (SELECT 1 FROM bank_entry e WHERE e.ref = t.ref)"
	 " AND NOT (t.kind = 'write-off' AND EXISTS (SELECT 1 FROM recon_exception x"
	 " WHERE x.exc_id = t.ref))"
	 " UNION ALL SELECT format('fund %s: write-offs of %s fen in the ledger, %s fen in the"
	 " matches', substr(w.fund, 6), w.v, COALESCE(m.v, 0)) FROM (SELECT credit AS fund,"
	 " SUM(amount) AS v FROM t WHERE kind = 'write-off' AND credit LIKE 'fund:%' GROUP BY credit) w"
	 " LEFT JOIN (SELECT 'fund:' || b.fund_code AS fund, SUM(a.written_off) AS v FROM recon_alloc a"
	 " JOIN batch b ON b.id = a.batch_id GROUP BY b.fund_code) m ON m.fund = w.fund"
	 " WHERE w.v != COALESCE(m.v, 0)"
	 " UNION ALL SELECT format('fund %s: matches write off %s fen, the ledger %s fen',"
	 " substr(m.fund, 6), m.v, COALESCE(w.v, 0)) FROM (SELECT 'fund:' || b.fund_code AS fund,"
	 " SUM(a.written_off) AS v FROM recon_alloc a JOIN batch b ON b.id = a.batch_id"
	 " GROUP BY b.fund_code) m LEFT JOIN (SELECT credit AS fund, SUM(amount) AS v FROM t"
	 " WHERE kind = 'write-off' AND credit LIKE 'fund:%' GROUP BY credit) w ON w.fund = m.fund"
	 " WHERE m.v != COALESCE(w.v, 0)"},
	[ZT_VERIFY_EXCEPTIONS_RESOLVED] = {
	 "SELECT count(*) FROM recon_exception",
	 "SELECT format('%s is resolved %s times', x.exc_id, count(*)) FROM recon_resolution r"
	 " JOIN recon_exception x ON x.id = r.exception_id GROUP BY r.exception_id, x.exc_id"
	 " HAVING count(*) > 1"
	 " UNION ALL SELECT format('%s is resolved as %s but nothing was matched', x.exc_id,"
	 " r.resolution) FROM recon_resolution r JOIN recon_exception x ON x.id = r.exception_id"
	 " WHERE r.resolution IN ('accept', 'match') AND NOT EXISTS (SELECT 1 FROM recon_match m"
	 " WHERE m.exception_id = x.id)"
	 " UNION ALL SELECT format('a match carries out %s, which is %s', x.exc_id,"
	 " COALESCE('resolved as ' || r.resolution, 'not resolved')) FROM recon_match m"
	 " JOIN recon_exception x ON x.id = m.exception_id LEFT JOIN recon_resolution r"
	 " ON r.exception_id = x.id WHERE r.resolution IS NULL"
	 " OR r.resolution NOT IN ('accept', 'match', 'write-off')"
	 " UNION ALL SELECT format('%s (%s, no bank entry) is resolved as %s', x.exc_id, x.kind,"
	 " r.resolution) FROM recon_resolution r JOIN recon_exception x ON x.id = r.exception_id"
	 " WHERE x.entry_id IS NULL AND r.resolution NOT IN ('ignore', 'write-off', 'settled')"},
	[ZT_VERIFY_SUSPENSE] = {
	 "SELECT count(*) FROM account WHERE name = 'suspense:bank'",
	 "WITH open AS (SELECT COALESCE(SUM(CASE WHEN e.credit = 1 THEN -e.amount ELSE e.amount END),"
	 " 0) AS v FROM bank_entry e WHERE NOT EXISTS (SELECT 1 FROM recon_match m"
	 " WHERE m.entry_id = e.id) AND NOT EXISTS (SELECT 1 FROM recon_exception x"
	 " JOIN recon_resolution r ON r.exception_id = x.id WHERE x.entry_id = e.id))"
	 " SELECT format('suspense:bank is %s fen; the entries neither matched nor resolved make %s',"
	 " COALESCE((SELECT balance FROM account WHERE name = 'suspense:bank'), 0), open.v) FROM open"
	 " WHERE COALESCE((SELECT balance FROM account WHERE name = 'suspense:bank'), 0) != open.v"},
	[ZT_VERIFY_RULES_IN_FORCE] = {
	 "SELECT (SELECT count(*) FROM settlement) + (SELECT count(*) FROM policy)"
	 " + (SELECT count(*) FROM catalog) + (SELECT count(*) FROM person_category)",
	 "SELECT format('policy %s (row %s) has no version state', p.policy_id, p.id) FROM policy"
	 " p WHERE NOT EXISTS (SELECT 1 FROM policy_version v WHERE v.policy = p.id) UNION ALL"
	 " SELECT format('policy %s (row %s) ends on %s, outside its dates', p.policy_id, p.id,"
	 " v.ends) FROM policy p JOIN policy_version v ON v.policy = p.id WHERE v.ends <"
	 " p.effective_from OR v.ends > p.effective_to UNION ALL SELECT format('settlement %s used"
	 " policy %s (%s, %s to %s), not in force on %s', s.setl_id, p.policy_id, v.status,"
	 " p.effective_from, v.ends, c.dscg_date) FROM settlement s JOIN claim c ON c.id ="
	 " s.claim_id JOIN policy p ON p.id = s.policy_row JOIN policy_version v ON v.policy ="
	 " p.id WHERE s.kind = 'settle' AND NOT EXISTS (SELECT 1 FROM settlement r WHERE"
	 " r.reverses = s.id) AND (v.status <> 'active' OR c.dscg_date < p.effective_from OR"
	 " c.dscg_date > v.ends) UNION ALL SELECT format('policies %s and %s of county %s are both"
	 " in use on %s', a.policy_id, b.policy_id, a.county, CASE WHEN a.effective_from >"
	 " b.effective_from THEN a.effective_from ELSE b.effective_from END) FROM policy a JOIN"
	 " policy_version va ON va.policy = a.id JOIN policy b ON b.county = a.county AND b.id >"
	 " a.id JOIN policy_version vb ON vb.policy = b.id WHERE va.status = 'active' AND"
	 " vb.status = 'active' AND a.effective_from <= vb.ends AND b.effective_from <= va.ends"
	 " UNION ALL SELECT format('settlement %s used catalogue %s (%s, %s to %s), not in force"
	 " on %s for county %s', s.setl_id, k.catalog_id, k.status, k.effective_from, k.ends,"
	 " c.dscg_date, p.county) FROM settlement_catalog sc JOIN settlement s ON s.id ="
	 " sc.settlement JOIN claim c ON c.id = s.claim_id JOIN policy p ON p.id = s.policy_row"
	 " JOIN catalog k ON k.id = sc.catalog WHERE s.kind = 'settle' AND NOT EXISTS (SELECT 1"
	 " FROM settlement r WHERE r.reverses = s.id) AND (k.status <> 'active' OR c.dscg_date <"
	 " k.effective_from OR c.dscg_date > k.ends OR k.county <> p.county) UNION ALL SELECT"
	 " format('catalogues %s and %s of county %s are both in force on %s', a.catalog_id,"
	 " b.catalog_id, a.county, CASE WHEN a.effective_from > b.effective_from THEN"
	 " a.effective_from ELSE b.effective_from END) FROM catalog a JOIN catalog b ON b.county ="
	 " a.county AND b.id > a.id WHERE a.status = 'active' AND b.status = 'active' AND"
	 " a.effective_from <= b.ends AND b.effective_from <= a.ends UNION ALL SELECT format('the"
	 " category periods %s and %s of person %s overlap', a.seq, b.seq, a.psn_no) FROM"
	 " person_category a JOIN person_category b ON b.psn_no = a.psn_no AND b.seq > a.seq WHERE"
	 " a.from_date <= b.to_date AND b.from_date <= a.to_date UNION ALL SELECT format('policy"
	 " %s (row %s) was approved by its loader %s', p.policy_id, p.id, p.loaded_by) FROM policy"
	 " p JOIN policy_version v ON v.policy = p.id WHERE v.approved_by = p.loaded_by UNION ALL"
	 " SELECT format('catalogue %s was approved by its loader %s', k.catalog_id, k.loaded_by)"
	 " FROM catalog k WHERE k.approved_by = k.loaded_by"},
};
