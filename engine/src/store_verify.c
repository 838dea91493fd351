/* zhitong — invariant checks over stored data (`zhitong verify`).
 *
 * Each check is one SQL query that returns the violating rows, so a clean
 * database returns nothing and every row printed is a finding. The checks
 * recompute from the facts (settlements, funds, transfers) and compare with
 * the caches (accum, account); they re-derive what the engine derived
 * (a claim's digest, its items' sums); and they never rely on the schema's
 * own guards: foreign keys may have been off, triggers dropped and CHECK
 * constraints ignored by whoever edited the file by hand. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <sqlite3.h>

#include "zhitong/claim.h"
#include "zhitong/error.h"
#include "store_int.h"

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

static void copy_text(char *dst, size_t cap, sqlite3_value *v)
{
	const unsigned char *t = sqlite3_value_text(v);
	snprintf(dst, cap, "%s", t ? (const char *)t : "");
}

/* zt_claim_problem(fixmedins_code, claim_no, psn_no, adm_date, dscg_date,
 * dscg_maindiag_code, medfee_sumamt, item_count, items, digest): NULL for
 * a claim whose stored row is what the engine wrote, else the first thing
 * wrong, in words: its items are not canonical lines, their number is not
 * item_count, an item's amount is not rhu(price × quantity, 10^6), the
 * items do not add up to medfee_sumamt, or the row no longer has the
 * SHA-256 of the canonical claim it was stored with (claim.h). */
static void sql_claim_problem(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	struct zt_claim *c = sqlite3_user_data(ctx);
	char msg[ZT_MESSAGE_BYTES_MAX], a1[ZT_FMT_BYTES], a2[ZT_FMT_BYTES];
	char *again = NULL;
	zt_claim_reset(c);
	copy_text(c->fixmedins_code, sizeof c->fixmedins_code, argv[0]);
	copy_text(c->claim_no, sizeof c->claim_no, argv[1]);
	copy_text(c->psn_no, sizeof c->psn_no, argv[2]);
	c->adm_date = sqlite3_value_int(argv[3]);
	c->dscg_date = sqlite3_value_int(argv[4]);
	copy_text(c->dscg_maindiag_code, sizeof c->dscg_maindiag_code, argv[5]);
	c->medfee_sumamt = sqlite3_value_int64(argv[6]);
	int64_t item_count = sqlite3_value_int64(argv[7]);
	const char *items = (const char *)sqlite3_value_text(argv[8]);
	msg[0] = '\0';
	if (!items)
		snprintf(msg, sizeof msg, "it has no items");
	else if (zt_claim_items_parse(c, items, msg, sizeof msg) != 0)
		; /* msg says which line */
	else if (c->item_count != item_count)
		snprintf(msg, sizeof msg, "%d item lines, item_count says %lld", c->item_count,
		         (long long)item_count);
	if (msg[0])
		goto done;
	zt_fen sum = 0;
	for (int i = 0; i < c->item_count; i++) {
		const struct zt_item *it = &c->items[i];
		int64_t want;
		if (it->pric < 0 || it->cnt < 0 ||
		    zt_rhu128(&want, (__int128)it->pric * it->cnt, 1000000) != 0 ||
		    want != it->det_item_fee_sumamt) {
			snprintf(msg, sizeof msg, "item %d ('%s'): amount %s is not price × quantity", i + 1,
			         it->feedetl_sn, zt_format_amount(a1, it->det_item_fee_sumamt));
			goto done;
		}
		if (__builtin_add_overflow(sum, it->det_item_fee_sumamt, &sum)) {
			snprintf(msg, sizeof msg, "its items add up to more than can be counted");
			goto done;
		}
	}
	if (sum != c->medfee_sumamt) {
		snprintf(msg, sizeof msg, "its items add up to %s, medfee_sumamt is %s",
		         zt_format_amount(a1, sum), zt_format_amount(a2, c->medfee_sumamt));
		goto done;
	}
	/* The stored text is the canonical text of the items it holds. */
	again = zt_claim_items_text(c);
	if (!again) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	unsigned char digest[ZT_DIGEST_BYTES];
	if (strcmp(again, items) != 0)
		snprintf(msg, sizeof msg, "its items are not in canonical form");
	else if (zt_claim_digest(digest, c, again) != 0)
		snprintf(msg, sizeof msg, "its digest cannot be computed");
	else if (sqlite3_value_bytes(argv[9]) != ZT_DIGEST_BYTES ||
	         memcmp(sqlite3_value_blob(argv[9]), digest, ZT_DIGEST_BYTES) != 0)
		snprintf(msg, sizeof msg, "its stored fields no longer match its digest (SHA-256 of "
		         "the canonical claim)");
done:
	free(again);
	if (msg[0])
		sqlite3_result_text(ctx, msg, -1, SQLITE_TRANSIENT);
	else
		sqlite3_result_null(ctx);
}

/* The triggers the migrations create (schema/sqlite/NNN-*.sql): facts stay
 * immutable only while they are there. */
static const char *const guards[] = {
	"claim_immutable_u", "claim_immutable_d", "settlement_immutable_u",
	"settlement_immutable_d", "settlement_fund_immutable_u", "settlement_fund_immutable_d",
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

/* The gaps in the ids of `table`, as "first to last" missing: rows are
 * numbered 1, 2, 3 … as they are written, and nothing deletes one. */
#define ID_GAPS(table, one, many)                                                                \
	"SELECT CASE WHEN id = prev + 2 THEN printf('" one " %d is missing', prev + 1)"           \
	" ELSE printf('" many " %d to %d are missing', prev + 1, id - 1) END"                     \
	" FROM (SELECT id, LAG(id, 1, 0) OVER (ORDER BY id) AS prev FROM " table ")"             \
	" WHERE id != prev + 1"

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
	{"claims match their digest and their items",
	 "SELECT count(*) FROM claim",
	 "SELECT printf('claim %s/%s (row %d): %s', fixmedins_code, claim_no, id, p) FROM (SELECT id,"
	 " fixmedins_code, claim_no, zt_claim_problem(fixmedins_code, claim_no, psn_no, adm_date,"
	 " dscg_date, dscg_maindiag_code, medfee_sumamt, item_count, items, digest) AS p FROM claim)"
	 " WHERE p IS NOT NULL"},
	{"settlements agree with their claim",
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
	{"settlements refer to stored rows",
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
	{"fund shares move their own accumulator",
	 "SELECT count(*) FROM settlement_fund",
	 "SELECT printf('%s: share %d of fund %s (%s) moves accumulator ''%s''', s.setl_id, f.seq,"
	 " f.fund_code, f.kind, f.slot) FROM settlement_fund f JOIN settlement s ON s.id = f.settlement_id"
	 " WHERE f.slot != CASE f.kind WHEN 'basic' THEN 'basic' WHEN 'critical' THEN 'crit_paid'"
	 " WHEN 'assistance' THEN 'assist' ELSE 'relief:' || f.fund_code END"},
	{"every claim is settled once; a number is reused only after a reversal",
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
	{"claims, settlements and transfers run without gaps",
	 "SELECT (SELECT count(*) FROM claim) + (SELECT count(*) FROM settlement)"
	 " + (SELECT count(*) FROM transfer)",
	 ID_GAPS("claim", "claim row", "claim rows")
	 " UNION ALL " ID_GAPS("settlement", "settlement row", "settlement rows")
	 " UNION ALL " ID_GAPS("transfer", "transfer", "transfers")},
	{"policies match their digest",
	 "SELECT count(*) FROM policy",
	 "SELECT printf('policy %s (row %d): its stored XML no longer has its SHA-256 %s', policy_id,"
	 " id, digest) FROM policy WHERE zt_sha256_hex(source_xml) IS NOT digest"},
	{"the audit trail has no gap",
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
	{"what was done is in the audit trail",
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
	{"every other reference resolves",
	 "SELECT count(*) FROM sqlite_schema WHERE type = 'table'",
	 /* Foreign keys may have been off: SQLite lists every dangling one.
	  * The core's own references are checked above, with their meaning. */
	 "SELECT printf('%s%s: %s refers to a row of %s that is gone', f.\"table\","
	 " CASE WHEN f.rowid IS NULL THEN '' ELSE printf(' row %d', f.rowid) END,"
	 " (SELECT group_concat(k.\"from\", ', ') FROM pragma_foreign_key_list(f.\"table\") k"
	 " WHERE k.id = f.fkid), f.parent) FROM pragma_foreign_key_check f"
	 " WHERE f.\"table\" NOT IN ('claim', 'settlement', 'settlement_fund', 'transfer')"},
	{"the schema's guards are in place",
	 "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'",
	 "WITH RECURSIVE g(i, name) AS (SELECT 0, zt_guard(0) UNION ALL SELECT i + 1, zt_guard(i + 1)"
	 " FROM g WHERE zt_guard(i + 1) IS NOT NULL)"
	 " SELECT printf('trigger %s is missing: what it protects can be changed unseen', g.name)"
	 " FROM g WHERE NOT EXISTS (SELECT 1 FROM sqlite_schema t WHERE t.type = 'trigger'"
	 " AND t.name = g.name)"},
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
	struct zt_claim claim;
	zt_claim_init(&claim);
	if (sqlite3_create_function_v2(db, "zt_claim_problem", 10, SQLITE_UTF8, &claim,
	                               sql_claim_problem, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function_v2(db, "zt_sha256_hex", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
	                               NULL, sql_sha256_hex, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function_v2(db, "zt_guard", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
	                               sql_guard, NULL, NULL, NULL) != SQLITE_OK)
		return zt_error_set(ZT_EIO, "verify: %s", sqlite3_errmsg(db));
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
	/* The claim buffer is this call's: the function goes with it. */
	sqlite3_create_function_v2(db, "zt_claim_problem", 10, SQLITE_UTF8, NULL, NULL, NULL, NULL,
	                           NULL);
	zt_claim_free(&claim);
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
