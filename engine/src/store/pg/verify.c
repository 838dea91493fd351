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

/* The dialect of verify_sql.h. */
#define ZT_SQL_G PG_G
#define ZT_SQL_SUM_HI(e) PG_SUM_HI(e)
#define ZT_SQL_SUM_LO(e) PG_SUM_LO(e)
#define ZT_SQL_Q(h, l) PG_Q(h, l)
#define ZT_SQL_R(l) PG_R(l)
#define ZT_SQL_SETL_ID(id) "('S' || lpad(CAST(" id " AS TEXT), 12, '0'))"
#define ZT_SQL_SHA256_HEX(t) "encode(sha256(convert_to(" t ", 'UTF8')), 'hex')"
#define ZT_SQL_STRPOS(s, sub) "strpos(" s ", " sub ")"
#define ZT_SQL_MAX0(e) "GREATEST(" e ", 0)"
#include "../agg/verify_sql.h"

const struct zt_db_check pg_checks[ZT_VERIFY_CHECKS] = {
#include "../agg/verify_checks.inc"
	/* the checks of this dialect */
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
};
