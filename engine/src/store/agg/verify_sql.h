/* zhitong — the SQL of `zhitong verify`'s checks, written once for both
 * stores (verify.h; store/sqlite/verify.c and store/pg/verify.c include
 * this file and verify_checks.inc). It is SQL that SQLite (3.39 or later:
 * format(), IS DISTINCT FROM) and PostgreSQL both accept; what the two
 * dialects write differently is a macro the including file defines first:
 *   ZT_SQL_G, ZT_SQL_SUM_HI(e), ZT_SQL_SUM_LO(e), ZT_SQL_Q(h, l),
 *   ZT_SQL_R(l)            sums of money past int64: a sum of quotients by
 *                          G and a sum of remainders, then normalised
 *   ZT_SQL_SETL_ID(id)     the setl_id of settlement row `id` ("S" and 12
 *                          digits)
 *   ZT_SQL_SHA256_HEX(t)   the lowercase hex SHA-256 of a text's bytes
 *   ZT_SQL_STRPOS(s, sub)  where `sub` begins in `s` (1-based), 0 if not
 *   ZT_SQL_MAX0(e)         the greater of `e` and 0
 * The checks whose SQL must differ — the type of a money column, dangling
 * references, the guards — are in each store's file. */
#ifndef ZHITONG_STORE_VERIFY_SQL_H
#define ZHITONG_STORE_VERIFY_SQL_H

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

/* Each pool its own books (ledger.h): account `base` of pool `pool` (an
 * SQL expression), fund `code`'s account of pool `pool`, the pool of a
 * pool's own account (after its '@', else default), whether an account is
 * a pool's own (not a hospital's nor the national platform's). */
#define POOL_ACCT(base, pool)                                                                  \
	"(CASE WHEN " pool " = 'default' THEN '" base "' ELSE '" base "@' || " pool " END)"
#define FUND_ACCT(code, pool)                                                                  \
	"(CASE WHEN " pool " = 'default' THEN 'fund:' || " code " ELSE 'fund:' || " code          \
	" || '@' || " pool " END)"
#define ACCT_POOL(name)                                                                        \
	"(CASE WHEN " ZT_SQL_STRPOS(name, "'@'") " > 0 THEN substr(" name ", "                    \
	ZT_SQL_STRPOS(name, "'@'") " + 1) ELSE 'default' END)"
#define ACCT_FUND(name)                                                                        \
	"(CASE WHEN " ZT_SQL_STRPOS(name, "'@'") " > 0 THEN substr(" name ", 6, "                 \
	ZT_SQL_STRPOS(name, "'@'") " - 6) ELSE substr(" name ", 6) END)"
#define IS_POOL_ACCT(name)                                                                     \
	"(" name " LIKE 'fund:%' OR " name " LIKE 'pool:bank%' OR " name " LIKE 'suspense:bank%'"  \
	" OR " name " LIKE 'refund:bank%' OR " name " LIKE 'write-off:pool%')"

/* A national amount of settlement s (claim_v2 v joined), signed as s. */
#define NATIONAL(col) " + COALESCE(MAX(v." col "), 0) * CASE s.kind WHEN 'settle' THEN 1 ELSE -1 END"

#endif
