/* zhitong — the store's batches (docs/spec/money-flow.md "Batches"; see batch.h and
 * schema/sqlite/003-batches.sql). Every SQL statement of the batches is in
 * this file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "zhitong/batch.h"
#include "zhitong/error.h"

/* ---- sums ------------------------------------------------------------ */

/* SQLite's SUM() of integers fails on an int64 overflow and its `+` turns
 * to floating point, so a sum of fen that may be large is read in two
 * parts that cannot overflow (store_int.h: the sums of the billions and of
 * the remainders) and joined in C, checked. */
#define SUM_HI(e) ZT_SQL_SUM_HI(e)
#define SUM_LO(e) ZT_SQL_SUM_LO(e)

#define join_sum zt_sql_join_sum

zt_fen zt_batch_due(const struct zt_batch *b) { return b->answered ? b->accepted_total : b->total; }

int zt_batch_owes(zt_fen *out, zt_fen due, zt_fen paid, zt_fen returned)
{
	zt_fen v;
	/* never INT64_MIN either: what is owed back is -owes */
	if (__builtin_sub_overflow(due, paid, &v) || __builtin_add_overflow(v, returned, out) ||
	    *out == INT64_MIN)
		return zt_error_set(ZT_ERANGE, "what the batch owes would overflow");
	return 0;
}

/* ---- statements ------------------------------------------------------ */

/* The shares a batch of fund ?1 takes, through discharge date ?2 (NULL:
 * any), for batch ?3:
 *  - not in any batch yet (batch_share is keyed by the share, so even a
 *    bug here could not put one in two batches: the INSERT would fail);
 *  - a reversal only once the batch holding the share it reverses has the
 *    payer's answer (or is this very batch, or there is none: then both go
 *    together), so that whether the payer accepted the original is known;
 *  - a reversal of a share the payer rejected is carried but not payable.
 * The discharge date decides --through, not the settlement date: it is what
 * payers bill by, and a claim and its reversal share it, so they are never
 * split by the date.
 * INDEXED BY: a claim row carries its items (about a kilobyte each), and a
 * batch needs only the discharge date and the claim number of up to
 * millions of claims, which the covering index holds (003-batches.sql). */
static const char sql_add_shares[] =
	"INSERT INTO batch_share (settlement_id, seq, batch_id, payable) "
	"SELECT f.settlement_id, f.seq, ?3, "
	"  CASE WHEN s.kind = 'reverse' AND EXISTS (SELECT 1 FROM batch_reject j "
	"    WHERE j.settlement_id = s.reverses AND j.seq = f.seq) THEN 0 ELSE 1 END "
	"FROM settlement_fund f JOIN settlement s ON s.id = f.settlement_id "
	"JOIN claim c INDEXED BY claim_for_batch ON c.id = s.claim_id "
	"WHERE f.fund_code = ?1 AND (?2 IS NULL OR c.dscg_date <= ?2) "
	"AND NOT EXISTS (SELECT 1 FROM batch_share b WHERE b.settlement_id = f.settlement_id "
	"  AND b.seq = f.seq) "
	"AND (s.kind = 'settle' OR NOT EXISTS (SELECT 1 FROM batch_share ob "
	"  JOIN batch ox ON ox.id = ob.batch_id WHERE ob.settlement_id = s.reverses "
	"  AND ob.seq = f.seq AND ox.id <> ?3 "
	"  AND ox.status NOT IN ('accepted', 'paid', 'part-paid'))) "
	"ORDER BY f.settlement_id, f.seq";

/* A batch's count, total (payable records), not-payable records and their
 * sum, and period; the sums in parts (SUM_HI / SUM_LO). */
#define SHARE_AMOUNT(payable) "CASE WHEN b.payable = " payable " THEN f.amount END"
static const char sql_count[] =
	"SELECT count(*), " SUM_HI(SHARE_AMOUNT("1")) ", " SUM_LO(SHARE_AMOUNT("1")) ", "
	"COALESCE(SUM(1 - b.payable), 0), " SUM_HI(SHARE_AMOUNT("0")) ", " SUM_LO(SHARE_AMOUNT("0"))
	", COALESCE(MIN(c.dscg_date), 0), COALESCE(MAX(c.dscg_date), 0) "
	"FROM batch_share b JOIN settlement_fund f ON f.settlement_id = b.settlement_id "
	"AND f.seq = b.seq JOIN settlement s ON s.id = b.settlement_id "
	"JOIN claim c INDEXED BY claim_for_batch ON c.id = s.claim_id WHERE b.batch_id = ?1";
static const char sql_set_count[] =
	"UPDATE batch SET count = ?2, total = ?3, info_count = ?4, info_total = ?5, "
	"period_from = ?6, period_to = ?7 WHERE id = ?1";

/* What the payer's rejections take off a batch's total (docs/batches.md):
 * each payable claim (a positive record) it rejected, and the payable
 * reversal, in the same batch, of a claim it rejected (the two cancel out;
 * without the claim the payer would be credited for what it never
 * accepted). A reversal it rejects takes nothing off: it is a credit to the
 * payer, and an answer can only lower what the payer owes, never raise it.
 * So what is taken off is never negative: accepted total <= total.
 * `x` is the batch id. */
#define REJECTED_FROM                                                                        \
	" FROM batch_share b JOIN settlement_fund f ON f.settlement_id = b.settlement_id"       \
	" AND f.seq = b.seq JOIN settlement s ON s.id = b.settlement_id"
#define REJECTED_WHERE(x)                                                                    \
	" WHERE b.batch_id = " x " AND b.payable = 1 AND ((f.amount > 0 AND EXISTS"              \
	" (SELECT 1 FROM batch_reject j WHERE j.settlement_id = b.settlement_id AND j.seq = b.seq))" \
	" OR (s.kind = 'reverse' AND EXISTS (SELECT 1 FROM batch_reject j"                       \
	" WHERE j.settlement_id = s.reverses AND j.seq = b.seq AND j.batch_id = " x ")))"
#define REJECTED_SUM(x) "COALESCE((SELECT SUM(f.amount)" REJECTED_FROM REJECTED_WHERE(x) "), 0)"
static const char sql_rejected[] =
	"SELECT " SUM_HI("f.amount") ", " SUM_LO("f.amount") REJECTED_FROM REJECTED_WHERE("?1");

#define BATCH_COLUMNS \
	"b.id, b.fund_code, fu.name, b.seq, b.status, COALESCE(b.through, 0), b.period_from, " \
	"b.period_to, b.count, b.total, b.info_count, b.info_total, b.created_at, b.created_by, " \
	"COALESCE(b.approved_at, ''), COALESCE(b.approved_by, ''), COALESCE(b.exported_at, ''), " \
	"COALESCE(b.file_path, ''), COALESCE(b.file_sha256, ''), COALESCE(b.digest, ''), " \
	"COALESCE(b.key_type, ''), COALESCE(b.receipt, ''), b.accepted_total IS NOT NULL, " \
	"COALESCE(b.accepted_total, 0), (SELECT count(*) FROM batch_reject j WHERE j.batch_id = b.id), " \
	"b.paid, b.returned FROM batch b JOIN fund fu ON fu.code = b.fund_code "

static const char sql_get[] = "SELECT " BATCH_COLUMNS "WHERE b.id = ?1";
static const char sql_list[] =
	"SELECT " BATCH_COLUMNS "WHERE ?1 IS NULL OR b.fund_code = ?1 ORDER BY b.rowid";

static const char sql_records[] =
	"SELECT s.setl_id, b.seq, s.kind, COALESCE(o.setl_id, ''), s.fixmedins_code, c.claim_no, "
	"s.psn_no, c.dscg_date, f.amount, b.payable, f.kind, f.trace, COALESCE(j.reason, '') "
	"FROM batch_share b JOIN settlement_fund f ON f.settlement_id = b.settlement_id "
	"AND f.seq = b.seq JOIN settlement s ON s.id = b.settlement_id "
	"JOIN claim c INDEXED BY claim_for_batch ON c.id = s.claim_id LEFT JOIN settlement o ON o.id = s.reverses "
	"LEFT JOIN batch_reject j ON j.settlement_id = b.settlement_id AND j.seq = b.seq "
	"WHERE b.batch_id = ?1 AND (?2 = 0 OR j.reason IS NOT NULL) "
	"ORDER BY b.batch_id, b.settlement_id, b.seq";

/* ---- helpers --------------------------------------------------------- */

static int db_fail(struct zt_store *s, const char *what)
{
	sqlite3 *db = zt_store_db(s);
	int ec = sqlite3_errcode(db);
	int code = (ec == SQLITE_BUSY || ec == SQLITE_LOCKED) ? ZT_EBUSY : ZT_EIO;
	if (ec == SQLITE_CONSTRAINT)
		code = ZT_EINTERNAL; /* a guard of the schema fired: a bug */
	if (ec == SQLITE_ERROR && strcmp(sqlite3_errmsg(db), "integer overflow") == 0)
		code = ZT_ERANGE; /* SUM() past int64: refused, never rounded */
	return zt_error_set(code, "database: %s: %s", what, sqlite3_errmsg(db));
}

/* Statements come from the connection's cache (prepared once per process,
 * not once per call: reconciliation records payments by the thousand);
 * `done()` hands one back. A cursor, held open across calls, prepares its
 * own (prep_own) and finalizes it. */
static int prep(struct zt_store *s, sqlite3_stmt **out, const char *sql)
{
	if (zt_store_stmt(s, sql, out) != 0) {
		*out = NULL;
		return db_fail(s, "prepare");
	}
	return 0;
}

static int prep_own(struct zt_store *s, sqlite3_stmt **out, const char *sql)
{
	if (sqlite3_prepare_v2(zt_store_db(s), sql, -1, out, NULL) != SQLITE_OK) {
		*out = NULL;
		return db_fail(s, "prepare");
	}
	return 0;
}

static void done(sqlite3_stmt *p)
{
	if (p)
		sqlite3_reset(p);
}

static void bind_text(sqlite3_stmt *p, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(p, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(p, i);
}

static const char *col_text(sqlite3_stmt *p, int i)
{
	const unsigned char *t = sqlite3_column_text(p, i);
	return t ? (const char *)t : "";
}

static void copy_col(char *dst, size_t cap, sqlite3_stmt *p, int i)
{
	snprintf(dst, cap, "%s", col_text(p, i));
}

/* Runs a statement that returns no rows; finalizes it. */
static int run_once(struct zt_store *s, sqlite3_stmt *p, const char *what)
{
	int rc = sqlite3_step(p) == SQLITE_DONE ? 0 : db_fail(s, what);
	done(p);
	return rc;
}

static int need_txn(struct zt_store *s, const char *what)
{
	if (!zt_store_in_txn(s))
		return zt_error_set(ZT_EINTERNAL, "%s outside a transaction", what);
	return 0;
}

static const char *const status_names[] = {
	[ZT_BATCH_DRAFT] = "draft",       [ZT_BATCH_APPROVED] = "approved",
	[ZT_BATCH_REJECTED] = "rejected", [ZT_BATCH_EXPORTED] = "exported",
	[ZT_BATCH_SENT] = "sent",         [ZT_BATCH_ACCEPTED] = "accepted",
	[ZT_BATCH_PAID] = "paid",         [ZT_BATCH_PART_PAID] = "part-paid",
};

const char *zt_batch_status_name(enum zt_batch_status st)
{
	if ((unsigned)st >= sizeof status_names / sizeof *status_names)
		return "?";
	return status_names[st];
}

int zt_batch_status_parse(enum zt_batch_status *out, const char *name)
{
	for (size_t i = 0; i < sizeof status_names / sizeof *status_names; i++)
		if (strcmp(status_names[i], name) == 0) {
			*out = (enum zt_batch_status)i;
			return 0;
		}
	return zt_error_set(ZT_EINVAL, "'%s' is no batch status (draft approved rejected exported "
	                    "sent accepted paid part-paid)", name);
}

const char *zt_batch_outcome_name(enum zt_batch_outcome o)
{
	switch (o) {
	case ZT_BATCH_OUT_ACCEPTED: return "accepted";
	case ZT_BATCH_OUT_REJECTED: return "rejected";
	case ZT_BATCH_OUT_REFUSED: return "refused";
	case ZT_BATCH_OUT_PENDING: return "pending";
	case ZT_BATCH_OUT_FAILED: return "failed";
	}
	return "failed";
}

static int add_event(struct zt_store *s, const char *id, const char *actor, const char *action,
                     const char *from, const char *to, const char *detail)
{
	sqlite3_stmt *p;
	int rc = prep(s, &p, "INSERT INTO batch_event (batch_id, at, actor, action, status_from, "
	                     "status_to, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
	if (rc)
		return rc;
	bind_text(p, 1, id);
	bind_text(p, 2, zt_store_now(s));
	bind_text(p, 3, actor);
	bind_text(p, 4, action);
	bind_text(p, 5, from);
	bind_text(p, 6, to);
	bind_text(p, 7, detail && detail[0] ? detail : NULL);
	return run_once(s, p, "record batch event");
}

/* Recomputes the count, totals and period of batch `id` from its records.
 * A total beyond int64 is refused (ZT_ERANGE): the caller rolls back. */
static int recount(struct zt_store *s, const char *id, const char *fund_code)
{
	sqlite3_stmt *p;
	int rc = prep(s, &p, sql_count);
	if (rc)
		return rc;
	bind_text(p, 1, id);
	if (sqlite3_step(p) != SQLITE_ROW) {
		rc = db_fail(s, "count batch");
		done(p);
		return rc;
	}
	int64_t count = sqlite3_column_int64(p, 0), info_count = sqlite3_column_int64(p, 3);
	zt_fen total = 0, info_total = 0;
	bool fits = join_sum(&total, sqlite3_column_int64(p, 1), sqlite3_column_int64(p, 2)) &&
	            join_sum(&info_total, sqlite3_column_int64(p, 4), sqlite3_column_int64(p, 5));
	int from = sqlite3_column_int(p, 6), to = sqlite3_column_int(p, 7);
	done(p);
	if (!fits) {
		char m[ZT_FMT_BYTES];
		return zt_error_set(ZT_ERANGE, "batch '%s': the total of the %lld shares of fund %s "
		                    "would overflow: it is beyond %s", id, (long long)count, fund_code,
		                    zt_format_amount(m, INT64_MAX));
	}
	if ((rc = prep(s, &p, sql_set_count)))
		return rc;
	bind_text(p, 1, id);
	sqlite3_bind_int64(p, 2, count);
	sqlite3_bind_int64(p, 3, total);
	sqlite3_bind_int64(p, 4, info_count);
	sqlite3_bind_int64(p, 5, info_total);
	sqlite3_bind_int(p, 6, from);
	sqlite3_bind_int(p, 7, to);
	return run_once(s, p, "count batch");
}

/* Adds the eligible shares of the batch's fund to `id` and recomputes its
 * count, total and period; *added_out is how many were added. */
static int add_shares(struct zt_store *s, const char *id, const char *fund_code, zt_date through,
                      int64_t *added_out)
{
	sqlite3_stmt *p;
	int rc = prep(s, &p, sql_add_shares);
	if (rc)
		return rc;
	bind_text(p, 1, fund_code);
	if (through)
		sqlite3_bind_int(p, 2, through);
	bind_text(p, 3, id);
	if ((rc = run_once(s, p, "add shares to batch")))
		return rc;
	*added_out = sqlite3_changes64(zt_store_db(s));
	return recount(s, id, fund_code);
}

/* ---- create, reopen -------------------------------------------------- */

int zt_store_batch_create(struct zt_store *s, const char *fund_code, zt_date through,
                          const char *actor, char id_out[ZT_BATCH_ID_BYTES], int64_t *count_out)
{
	sqlite3_stmt *p = NULL;
	int64_t seq = 0;
	char id[ZT_BATCH_ID_BYTES];
	int rc = need_txn(s, "batch create");
	if (rc)
		return rc;
	id_out[0] = '\0';
	*count_out = 0;
	/* Under the write lock: nobody else can take the same number. */
	if ((rc = prep(s, &p, "SELECT COALESCE(MAX(seq), 0) + 1 FROM batch WHERE fund_code = ?1")))
		return rc;
	bind_text(p, 1, fund_code);
	if (sqlite3_step(p) == SQLITE_ROW)
		seq = sqlite3_column_int64(p, 0);
	done(p);
	if (seq <= 0)
		return db_fail(s, "number batch");
	if ((size_t)snprintf(id, sizeof id, "B%s-%06lld", fund_code, (long long)seq) >= sizeof id)
		return zt_error_set(ZT_EINVAL, "fund code '%s' makes a batch id that is too long",
		                    fund_code);
	if ((rc = prep(s, &p, "INSERT INTO batch (id, fund_code, seq, status, through, period_from, "
	                      "period_to, count, total, created_at, created_by) "
	                      "VALUES (?1, ?2, ?3, 'draft', ?4, 0, 0, 0, 0, ?5, ?6)")))
		return rc;
	bind_text(p, 1, id);
	bind_text(p, 2, fund_code);
	sqlite3_bind_int64(p, 3, seq);
	if (through)
		sqlite3_bind_int(p, 4, through);
	bind_text(p, 5, zt_store_now(s));
	bind_text(p, 6, actor);
	if ((rc = run_once(s, p, "create batch")))
		return rc;
	int64_t n = 0;
	if ((rc = add_shares(s, id, fund_code, through, &n)))
		return rc;
	if (n == 0)
		return 0; /* the caller rolls the empty batch back */
	char detail[64];
	snprintf(detail, sizeof detail, "%lld records", (long long)n);
	if ((rc = add_event(s, id, actor, "create", NULL, "draft", detail)))
		return rc;
	snprintf(id_out, ZT_BATCH_ID_BYTES, "%s", id);
	*count_out = n;
	return 0;
}

int zt_store_batch_reopen(struct zt_store *s, const char *id, const char *actor,
                          const char *reason, int64_t *added_out)
{
	struct zt_batch b;
	int rc = need_txn(s, "batch reopen");
	if (rc || (rc = zt_store_batch_get(s, id, &b)))
		return rc;
	if (b.status != ZT_BATCH_REJECTED)
		return zt_error_set(ZT_ECONFLICT, "batch '%s' is %s: only a rejected batch is reopened",
		                    id, zt_batch_status_name(b.status));
	if ((rc = add_shares(s, id, b.fund_code, b.through, added_out)))
		return rc;
	char detail[600];
	snprintf(detail, sizeof detail, "%lld records added%s%s", (long long)*added_out,
	         reason && reason[0] ? ": " : "", reason ? reason : "");
	return zt_store_batch_set_status(s, id, ZT_BATCH_REJECTED, ZT_BATCH_DRAFT, actor, "reopen",
	                                 detail);
}

/* ---- reading ----------------------------------------------------------- */

static void read_batch(sqlite3_stmt *p, struct zt_batch *b)
{
	memset(b, 0, sizeof *b);
	copy_col(b->id, sizeof b->id, p, 0);
	copy_col(b->fund_code, sizeof b->fund_code, p, 1);
	copy_col(b->fund_name, sizeof b->fund_name, p, 2);
	b->seq = sqlite3_column_int64(p, 3);
	enum zt_batch_status st = ZT_BATCH_DRAFT;
	(void)zt_batch_status_parse(&st, col_text(p, 4)); /* the schema's CHECK holds it */
	b->status = st;
	b->through = sqlite3_column_int(p, 5);
	b->period_from = sqlite3_column_int(p, 6);
	b->period_to = sqlite3_column_int(p, 7);
	b->count = sqlite3_column_int64(p, 8);
	b->total = sqlite3_column_int64(p, 9);
	b->info_count = sqlite3_column_int64(p, 10);
	b->info_total = sqlite3_column_int64(p, 11);
	copy_col(b->created_at, sizeof b->created_at, p, 12);
	copy_col(b->created_by, sizeof b->created_by, p, 13);
	copy_col(b->approved_at, sizeof b->approved_at, p, 14);
	copy_col(b->approved_by, sizeof b->approved_by, p, 15);
	copy_col(b->exported_at, sizeof b->exported_at, p, 16);
	copy_col(b->file_path, sizeof b->file_path, p, 17);
	copy_col(b->file_sha256, sizeof b->file_sha256, p, 18);
	copy_col(b->digest, sizeof b->digest, p, 19);
	copy_col(b->key_type, sizeof b->key_type, p, 20);
	copy_col(b->receipt, sizeof b->receipt, p, 21);
	b->answered = sqlite3_column_int(p, 22) != 0;
	b->accepted_total = sqlite3_column_int64(p, 23);
	b->rejected_count = sqlite3_column_int64(p, 24);
	b->paid = sqlite3_column_int64(p, 25);
	b->returned = sqlite3_column_int64(p, 26);
}

int zt_store_batch_get(struct zt_store *s, const char *id, struct zt_batch *out)
{
	sqlite3_stmt *p;
	int rc = prep(s, &p, sql_get);
	if (rc)
		return rc;
	bind_text(p, 1, id);
	int step = sqlite3_step(p);
	if (step == SQLITE_ROW)
		read_batch(p, out);
	else if (step == SQLITE_DONE)
		rc = zt_error_set(ZT_ENOTFOUND, "there is no batch '%s'", id);
	else
		rc = db_fail(s, "read batch");
	done(p);
	return rc;
}

int zt_store_batch_list(struct zt_store *s, const char *fund_code,
                        int (*cb)(void *ctx, const struct zt_batch *b), void *ctx)
{
	sqlite3_stmt *p;
	int rc = prep(s, &p, sql_list), step;
	if (rc)
		return rc;
	bind_text(p, 1, fund_code);
	struct zt_batch b;
	while ((step = sqlite3_step(p)) == SQLITE_ROW) {
		read_batch(p, &b);
		if ((rc = cb(ctx, &b)))
			goto done;
	}
	if (step != SQLITE_DONE)
		rc = db_fail(s, "list batches");
done:
	done(p);
	return rc;
}

/* ---- status ------------------------------------------------------------ */

int zt_store_batch_set_status(struct zt_store *s, const char *id, enum zt_batch_status from,
                              enum zt_batch_status to, const char *actor, const char *action,
                              const char *detail)
{
	sqlite3_stmt *p;
	int rc = need_txn(s, "batch status change");
	if (rc || (rc = prep(s, &p, "UPDATE batch SET status = ?3 WHERE id = ?1 AND status = ?2")))
		return rc;
	bind_text(p, 1, id);
	bind_text(p, 2, zt_batch_status_name(from));
	bind_text(p, 3, zt_batch_status_name(to));
	if ((rc = run_once(s, p, "change batch status")))
		return rc;
	if (sqlite3_changes(zt_store_db(s)) != 1) {
		struct zt_batch b;
		if ((rc = zt_store_batch_get(s, id, &b)))
			return rc;
		return zt_error_set(ZT_ECONFLICT, "batch '%s' is %s, not %s", id,
		                    zt_batch_status_name(b.status), zt_batch_status_name(from));
	}
	return add_event(s, id, actor, action, zt_batch_status_name(from), zt_batch_status_name(to),
	                 detail);
}

int zt_store_batch_is_maker(struct zt_store *s, const char *id, const char *actor, bool *out)
{
	sqlite3_stmt *p;
	int rc = prep(s, &p, "SELECT EXISTS (SELECT 1 FROM batch WHERE id = ?1 AND created_by = ?2) "
	                     "OR EXISTS (SELECT 1 FROM batch_event WHERE batch_id = ?1 "
	                     "AND action = 'reopen' AND actor = ?2)");
	if (rc)
		return rc;
	bind_text(p, 1, id);
	bind_text(p, 2, actor);
	if (sqlite3_step(p) == SQLITE_ROW)
		*out = sqlite3_column_int(p, 0) != 0;
	else
		rc = db_fail(s, "read batch makers");
	done(p);
	return rc;
}

int zt_store_batch_set_approved(struct zt_store *s, const char *id, const char *actor)
{
	int rc = zt_store_batch_set_status(s, id, ZT_BATCH_DRAFT, ZT_BATCH_APPROVED, actor, "approve",
	                                   NULL);
	sqlite3_stmt *p;
	if (rc || (rc = prep(s, &p, "UPDATE batch SET approved_at = ?2, approved_by = ?3 WHERE id = ?1")))
		return rc;
	bind_text(p, 1, id);
	bind_text(p, 2, zt_store_now(s));
	bind_text(p, 3, actor);
	return run_once(s, p, "approve batch");
}

int zt_store_batch_set_exported(struct zt_store *s, const char *id, const char *file_path,
                                const char *file_sha256, const char *digest,
                                const char *key_type, const char *actor)
{
	struct zt_batch b;
	sqlite3_stmt *p;
	int rc = need_txn(s, "batch export");
	if (rc || (rc = zt_store_batch_get(s, id, &b)))
		return rc;
	char detail[ZT_BATCH_PATH_BYTES + 64];
	snprintf(detail, sizeof detail, "%s (%s)", file_path, key_type);
	if (b.status == ZT_BATCH_APPROVED)
		rc = zt_store_batch_set_status(s, id, ZT_BATCH_APPROVED, ZT_BATCH_EXPORTED, actor,
		                               "export", detail);
	else
		rc = zt_store_batch_set_status(s, id, b.status, b.status, actor, "export", detail);
	if (rc || (rc = prep(s, &p, "UPDATE batch SET exported_at = COALESCE(exported_at, ?2), "
	                            "file_path = ?3, file_sha256 = ?4, digest = COALESCE(digest, ?5), "
	                            "key_type = ?6 WHERE id = ?1")))
		return rc;
	bind_text(p, 1, id);
	bind_text(p, 2, zt_store_now(s));
	bind_text(p, 3, file_path);
	bind_text(p, 4, file_sha256);
	bind_text(p, 5, digest);
	bind_text(p, 6, key_type);
	return run_once(s, p, "record export");
}

int zt_store_batch_add_send(struct zt_store *s, const char *id, const char *actor,
                            const struct zt_batch_answer *a)
{
	sqlite3_stmt *p;
	int rc = need_txn(s, "batch send");
	if (rc || (rc = prep(s, &p, "INSERT INTO batch_send (batch_id, at, actor, gateway, outcome, "
	                            "attempts, http_status, receipt, rejected, message) "
	                            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")))
		return rc;
	bind_text(p, 1, id);
	bind_text(p, 2, zt_store_now(s));
	bind_text(p, 3, actor);
	bind_text(p, 4, a->gateway ? a->gateway : "manual");
	bind_text(p, 5, zt_batch_outcome_name(a->outcome));
	sqlite3_bind_int(p, 6, a->attempts);
	sqlite3_bind_int(p, 7, a->http_status);
	bind_text(p, 8, a->receipt && a->receipt[0] ? a->receipt : NULL);
	sqlite3_bind_int64(p, 9, a->outcome == ZT_BATCH_OUT_REJECTED ? (int64_t)a->reject_count : 0);
	bind_text(p, 10, a->message ? a->message : "");
	return run_once(s, p, "record send");
}

/* "S000000000012/2" -> ("S000000000012", 2); 0 or ZT_EINVAL. */
static int split_record_id(const char *rid, char setl_id[32], int *seq)
{
	const char *slash = strrchr(rid, '/');
	if (!slash || slash == rid || (size_t)(slash - rid) >= 32 || !slash[1])
		return ZT_EINVAL;
	int v = 0;
	for (const char *c = slash + 1; *c; c++) {
		if (*c < '0' || *c > '9' || v > 100000)
			return ZT_EINVAL;
		v = v * 10 + (*c - '0');
	}
	memcpy(setl_id, rid, (size_t)(slash - rid));
	setl_id[slash - rid] = '\0';
	*seq = v;
	return 0;
}

int zt_store_batch_reject_records(struct zt_store *s, const char *id,
                                  const struct zt_batch_reject *rejects, size_t n)
{
	sqlite3_stmt *find = NULL, *ins = NULL;
	int rc = need_txn(s, "recording rejected records");
	if (rc)
		return rc;
	if ((rc = prep(s, &find, "SELECT b.settlement_id FROM batch_share b JOIN settlement s "
	                         "ON s.id = b.settlement_id WHERE s.setl_id = ?1 AND b.seq = ?2 "
	                         "AND b.batch_id = ?3")) ||
	    (rc = prep(s, &ins, "INSERT INTO batch_reject (settlement_id, seq, batch_id, reason, at) "
	                        "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING")))
		goto done;
	for (size_t i = 0; i < n; i++) {
		char setl_id[32];
		int seq;
		if (split_record_id(rejects[i].record_id, setl_id, &seq) != 0) {
			rc = zt_error_set(ZT_ECONFLICT, "the payer rejects record '%s', which is not a "
			                  "record id of batch '%s'", rejects[i].record_id, id);
			goto done;
		}
		sqlite3_reset(find);
		bind_text(find, 1, setl_id);
		sqlite3_bind_int(find, 2, seq);
		bind_text(find, 3, id);
		int step = sqlite3_step(find);
		if (step == SQLITE_DONE) {
			rc = zt_error_set(ZT_ECONFLICT, "the payer rejects record '%s', which is not in "
			                  "batch '%s'", rejects[i].record_id, id);
			goto done;
		}
		if (step != SQLITE_ROW) {
			rc = db_fail(s, "find rejected record");
			goto done;
		}
		int64_t sid = sqlite3_column_int64(find, 0);
		sqlite3_reset(ins);
		sqlite3_bind_int64(ins, 1, sid);
		sqlite3_bind_int(ins, 2, seq);
		bind_text(ins, 3, id);
		bind_text(ins, 4, rejects[i].reason && rejects[i].reason[0] ? rejects[i].reason
		                                                            : "no reason given");
		bind_text(ins, 5, zt_store_now(s));
		if (sqlite3_step(ins) != SQLITE_DONE) {
			rc = db_fail(s, "record rejected record");
			goto done;
		}
		if (sqlite3_changes(zt_store_db(s)) != 1) {
			rc = zt_error_set(ZT_ECONFLICT, "the payer's answer names record '%s' of batch '%s' "
			                  "twice", rejects[i].record_id, id);
			goto done;
		}
	}
done:
	done(find);
	done(ins);
	return rc;
}

int zt_store_batch_set_accepted(struct zt_store *s, const char *id, const char *receipt,
                                const char *actor)
{
	struct zt_batch b;
	sqlite3_stmt *p;
	char t[ZT_FMT_BYTES];
	int rc = need_txn(s, "recording the payer's answer");
	if (rc || (rc = zt_store_batch_get(s, id, &b)))
		return rc;
	if (b.answered)
		return zt_error_set(ZT_ECONFLICT, "batch '%s' has the payer's answer already (receipt "
		                    "%s, accepted %s)", id, b.receipt[0] ? b.receipt : "-",
		                    zt_format_amount(t, b.accepted_total));
	if (b.status != ZT_BATCH_SENT && b.status != ZT_BATCH_PART_PAID && b.status != ZT_BATCH_PAID)
		return zt_error_set(ZT_ECONFLICT, "batch '%s' is %s: no answer is expected for it", id,
		                    zt_batch_status_name(b.status));
	/* What the rejections take off, in C: never negative, never beyond. */
	if ((rc = prep(s, &p, sql_rejected)))
		return rc;
	bind_text(p, 1, id);
	if (sqlite3_step(p) != SQLITE_ROW) {
		rc = db_fail(s, "sum rejected records");
		done(p);
		return rc;
	}
	zt_fen removed = 0, accepted;
	bool fits = join_sum(&removed, sqlite3_column_int64(p, 0), sqlite3_column_int64(p, 1));
	done(p);
	if (!fits || __builtin_sub_overflow(b.total, removed, &accepted))
		return zt_error_set(ZT_ERANGE, "batch '%s': the records the payer rejected sum beyond "
		                    "what can be counted", id);
	if (removed < 0)
		return zt_error_set(ZT_EINTERNAL, "batch '%s': the payer's rejections would raise its "
		                    "total by %lld fen", id, (long long)-removed);
	/* sent: the payer's answer; after a payment, what the batch then owes
	 * says whether it is settled (paid) or not (part-paid: short, or money
	 * owed back when the payer paid for records it then rejected). */
	enum zt_batch_status to = ZT_BATCH_ACCEPTED;
	if (b.status != ZT_BATCH_SENT) {
		zt_fen owes;
		if ((rc = zt_batch_owes(&owes, accepted, b.paid, b.returned)))
			return rc;
		to = owes == 0 ? ZT_BATCH_PAID : ZT_BATCH_PART_PAID;
	}
	if ((rc = zt_store_batch_set_status(s, id, b.status, to, actor, "accept", receipt)) ||
	    (rc = prep(s, &p, "UPDATE batch SET receipt = ?2, accepted_total = ?3 WHERE id = ?1")))
		return rc;
	bind_text(p, 1, id);
	bind_text(p, 2, receipt && receipt[0] ? receipt : NULL);
	sqlite3_bind_int64(p, 3, accepted);
	return run_once(s, p, "accept batch");
}

int zt_store_batch_add_payment(struct zt_store *s, const char *id, zt_fen amount_fen,
                               const char *actor, const char *ref)
{
	struct zt_batch b;
	int rc = need_txn(s, "batch payment");
	if (rc || (rc = zt_store_batch_get(s, id, &b)))
		return rc;
	return zt_store_batch_pay_known(s, id, b.status, zt_batch_due(&b), b.paid, b.returned,
	                                amount_fen, actor, ref);
}

int zt_store_batch_pay_known(struct zt_store *s, const char *id, enum zt_batch_status status,
                             zt_fen due, zt_fen paid_before, zt_fen returned, zt_fen amount_fen,
                             const char *actor, const char *ref)
{
	sqlite3_stmt *p;
	char y1[ZT_FMT_BYTES], y2[ZT_FMT_BYTES];
	int rc = need_txn(s, "batch payment");
	if (rc)
		return rc;
	/* A payer may pay before its answer reaches us (drop folder): a sent
	 * batch is due its whole total until the answer says otherwise. */
	if (status != ZT_BATCH_SENT && status != ZT_BATCH_ACCEPTED && status != ZT_BATCH_PART_PAID)
		return zt_error_set(ZT_ECONFLICT, "batch '%s' is %s: a payment is matched to a sent or "
		                    "accepted batch", id, zt_batch_status_name(status));
	zt_fen paid, owes;
	if (amount_fen <= 0 || __builtin_add_overflow(paid_before, amount_fen, &paid))
		return zt_error_set(ZT_ERANGE, "batch '%s': payment of %lld fen is out of range", id,
		                    (long long)amount_fen);
	if ((rc = zt_batch_owes(&owes, due, paid_before, returned)))
		return rc;
	/* Never paid beyond what it billed: the rules of reconciliation stop
	 * an over-payment before it gets here; this is the last guard. */
	if (amount_fen > owes)
		return zt_error_set(ZT_ECONFLICT, "batch '%s' owes %s: a payment of %s would pay it "
		                    "more than it billed", id, zt_format_amount(y1, owes > 0 ? owes : 0),
		                    zt_format_amount(y2, amount_fen));
	enum zt_batch_status to = amount_fen == owes ? ZT_BATCH_PAID : ZT_BATCH_PART_PAID;
	/* status and paid in one statement (reconciliation pays batches by the
	 * thousand); the caller read the batch in this transaction, and the
	 * update checks that what it read still holds. */
	if ((rc = prep(s, &p, "UPDATE batch SET status = ?3, paid = ?4 "
	                      "WHERE id = ?1 AND status = ?2 AND paid = ?5 AND returned = ?6")))
		return rc;
	bind_text(p, 1, id);
	bind_text(p, 2, zt_batch_status_name(status));
	bind_text(p, 3, zt_batch_status_name(to));
	sqlite3_bind_int64(p, 4, paid);
	sqlite3_bind_int64(p, 5, paid_before);
	sqlite3_bind_int64(p, 6, returned);
	if ((rc = run_once(s, p, "record payment")))
		return rc;
	if (sqlite3_changes(zt_store_db(s)) != 1)
		return zt_error_set(ZT_ECONFLICT, "batch '%s' is no longer %s with %lld fen paid", id,
		                    zt_batch_status_name(status), (long long)paid_before);
	char detail[200];
	snprintf(detail, sizeof detail, "%lld fen%s%s", (long long)amount_fen, ref ? " by " : "",
	         ref ? ref : "");
	return add_event(s, id, actor, "payment", zt_batch_status_name(status),
	                 zt_batch_status_name(to), detail);
}

/* ---- money owed back ---------------------------------------------------- */

#define RETURN_COLUMNS                                                                         \
	"r.id, r.batch_id, b.fund_code, r.kind = 'netted', COALESCE(r.return_id, ''), r.amount, "  \
	"COALESCE(r.entry_id, 0), COALESCE(e.ref, ''), COALESCE(r.msg_id, ''), COALESCE(r.file, ''), " \
	"COALESCE(r.execution_date, 0), r.actor, r.at, "                                           \
	"EXISTS (SELECT 1 FROM recon_match m WHERE m.return_id = r.return_id) "                    \
	"FROM batch_return r JOIN batch b ON b.id = r.batch_id "                                   \
	"LEFT JOIN bank_entry e ON e.id = r.entry_id "

static const char sql_return_get[] = "SELECT " RETURN_COLUMNS "WHERE r.return_id = ?1";
static const char sql_returns[] = "SELECT " RETURN_COLUMNS "WHERE r.batch_id = ?1 ORDER BY r.id";

static void read_return(sqlite3_stmt *p, struct zt_batch_return *r)
{
	memset(r, 0, sizeof *r);
	r->row = sqlite3_column_int64(p, 0);
	copy_col(r->batch_id, sizeof r->batch_id, p, 1);
	copy_col(r->fund_code, sizeof r->fund_code, p, 2);
	r->netted = sqlite3_column_int(p, 3) != 0;
	copy_col(r->return_id, sizeof r->return_id, p, 4);
	r->amount = sqlite3_column_int64(p, 5);
	r->entry_row = sqlite3_column_int64(p, 6);
	copy_col(r->entry_ref, sizeof r->entry_ref, p, 7);
	copy_col(r->msg_id, sizeof r->msg_id, p, 8);
	copy_col(r->file, sizeof r->file, p, 9);
	r->execution_date = sqlite3_column_int(p, 10);
	copy_col(r->actor, sizeof r->actor, p, 11);
	copy_col(r->at, sizeof r->at, p, 12);
	r->confirmed = sqlite3_column_int(p, 13) != 0;
}

int zt_store_batch_return_get(struct zt_store *s, const char *return_id,
                              struct zt_batch_return *out)
{
	sqlite3_stmt *p;
	int rc = prep(s, &p, sql_return_get);
	if (rc)
		return rc;
	bind_text(p, 1, return_id);
	int step = sqlite3_step(p);
	if (step == SQLITE_ROW)
		read_return(p, out);
	else
		rc = step == SQLITE_DONE ? ZT_ENOTFOUND : db_fail(s, "read return");
	done(p);
	return rc;
}

int zt_store_batch_returns(struct zt_store *s, const char *id,
                           int (*cb)(void *ctx, const struct zt_batch_return *r), void *ctx)
{
	sqlite3_stmt *p;
	int rc = prep(s, &p, sql_returns), step;
	if (rc)
		return rc;
	bind_text(p, 1, id);
	struct zt_batch_return r;
	while ((step = sqlite3_step(p)) == SQLITE_ROW) {
		read_return(p, &r);
		if ((rc = cb(ctx, &r)))
			goto done;
	}
	if (step != SQLITE_DONE)
		rc = db_fail(s, "read returns");
done:
	done(p);
	return rc;
}

int zt_store_batch_repay_count(struct zt_store *s, const char *id, int64_t *out)
{
	sqlite3_stmt *p;
	int rc = prep(s, &p, "SELECT count(*) FROM batch_return WHERE batch_id = ?1 AND kind = 'repay'");
	if (rc)
		return rc;
	bind_text(p, 1, id);
	if (sqlite3_step(p) == SQLITE_ROW)
		*out = sqlite3_column_int64(p, 0);
	else
		rc = db_fail(s, "count repayments");
	done(p);
	return rc;
}

int zt_store_batch_add_return(struct zt_store *s, struct zt_batch_return *r)
{
	struct zt_batch b;
	sqlite3_stmt *p;
	char y1[ZT_FMT_BYTES], y2[ZT_FMT_BYTES];
	int rc = need_txn(s, "batch return");
	if (rc || (rc = zt_store_batch_get(s, r->batch_id, &b)))
		return rc;
	/* Money goes back once the payer has said what it accepts. */
	if (!b.answered || (b.status != ZT_BATCH_ACCEPTED && b.status != ZT_BATCH_PART_PAID))
		return zt_error_set(ZT_ECONFLICT, "batch '%s' is %s%s: money is paid back for a batch "
		                    "the payer has answered that owes the fund", b.id,
		                    zt_batch_status_name(b.status),
		                    b.answered ? "" : " without the payer's answer");
	zt_fen owes, returned;
	if ((rc = zt_batch_owes(&owes, zt_batch_due(&b), b.paid, b.returned)))
		return rc;
	if (r->amount <= 0 || __builtin_add_overflow(b.returned, r->amount, &returned))
		return zt_error_set(ZT_ERANGE, "batch '%s': a return of %lld fen is out of range", b.id,
		                    (long long)r->amount);
	/* Never more than the pool owes: owes is negative by what it owes. */
	if (owes >= 0 || r->amount > -owes)
		return zt_error_set(ZT_ECONFLICT, "batch '%s' is owed back %s: %s is more", b.id,
		                    zt_format_amount(y1, owes < 0 ? -owes : 0),
		                    zt_format_amount(y2, r->amount));
	enum zt_batch_status to = r->amount == -owes ? ZT_BATCH_PAID : ZT_BATCH_PART_PAID;
	snprintf(r->fund_code, sizeof r->fund_code, "%s", b.fund_code);
	snprintf(r->at, sizeof r->at, "%s", zt_store_now(s));
	if ((rc = prep(s, &p, "INSERT INTO batch_return (batch_id, kind, return_id, amount, entry_id, "
	                      "msg_id, file, execution_date, actor, at) "
	                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")))
		return rc;
	bind_text(p, 1, b.id);
	bind_text(p, 2, r->netted ? "netted" : "repay");
	if (!r->netted) {
		bind_text(p, 3, r->return_id);
		bind_text(p, 6, r->msg_id);
		bind_text(p, 7, r->file);
		sqlite3_bind_int(p, 8, r->execution_date);
	} else {
		sqlite3_bind_int64(p, 5, r->entry_row);
	}
	sqlite3_bind_int64(p, 4, r->amount);
	bind_text(p, 9, r->actor);
	bind_text(p, 10, r->at);
	if ((rc = run_once(s, p, "record return")))
		return rc;
	r->row = sqlite3_last_insert_rowid(zt_store_db(s));
	if ((rc = prep(s, &p, "UPDATE batch SET status = ?3, returned = ?4 "
	                      "WHERE id = ?1 AND status = ?2 AND returned = ?5")))
		return rc;
	bind_text(p, 1, b.id);
	bind_text(p, 2, zt_batch_status_name(b.status));
	bind_text(p, 3, zt_batch_status_name(to));
	sqlite3_bind_int64(p, 4, returned);
	sqlite3_bind_int64(p, 5, b.returned);
	if ((rc = run_once(s, p, "record return")))
		return rc;
	if (sqlite3_changes(zt_store_db(s)) != 1)
		return zt_error_set(ZT_ECONFLICT, "batch '%s' changed during the return", b.id);
	char detail[200];
	snprintf(detail, sizeof detail, "%lld fen %s %s", (long long)r->amount,
	         r->netted ? "netted by bank entry" : "repaid by", r->netted ? r->entry_ref : r->return_id);
	return add_event(s, b.id, r->actor, r->netted ? "netted" : "repay",
	                 zt_batch_status_name(b.status), zt_batch_status_name(to), detail);
}

/* ---- cursors ----------------------------------------------------------- */

struct zt_batch_cursor {
	struct zt_store *s;
	sqlite3_stmt *p;
};

int zt_store_batch_records(struct zt_store *s, const char *id, bool only_rejected,
                           struct zt_batch_cursor **out)
{
	struct zt_batch_cursor *c = calloc(1, sizeof *c);
	if (!c)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	c->s = s;
	int rc = prep_own(s, &c->p, sql_records);
	if (rc) {
		free(c);
		return rc;
	}
	/* SQLITE_TRANSIENT: the id may be the caller's stack buffer. */
	sqlite3_bind_text(c->p, 1, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(c->p, 2, only_rejected);
	*out = c;
	return 0;
}

int zt_batch_cursor_next(struct zt_batch_cursor *c, struct zt_batch_record *r)
{
	int step = sqlite3_step(c->p);
	if (step == SQLITE_DONE)
		return 0;
	if (step != SQLITE_ROW)
		return db_fail(c->s, "read batch records");
	sqlite3_stmt *p = c->p;
	r->setl_id = col_text(p, 0);
	r->seq = sqlite3_column_int(p, 1);
	r->kind = col_text(p, 2);
	r->reverses = col_text(p, 3);
	r->fixmedins_code = col_text(p, 4);
	r->claim_no = col_text(p, 5);
	r->psn_no = col_text(p, 6);
	r->dscg_date = sqlite3_column_int(p, 7);
	r->amount = sqlite3_column_int64(p, 8);
	r->payable = sqlite3_column_int(p, 9) != 0;
	r->fund_kind = col_text(p, 10);
	r->trace = col_text(p, 11);
	r->reject_reason = col_text(p, 12);
	return 1;
}

void zt_batch_cursor_free(struct zt_batch_cursor *c)
{
	if (!c)
		return;
	sqlite3_finalize(c->p); /* the cursor's own statement */
	free(c);
}

int zt_store_batch_events(struct zt_store *s, const char *id,
                          int (*cb)(void *ctx, const struct zt_batch_event *e), void *ctx)
{
	sqlite3_stmt *p;
	int rc = prep(s, &p, "SELECT at, actor, action, COALESCE(status_from, ''), status_to, "
	                     "COALESCE(detail, '') FROM batch_event WHERE batch_id = ?1 ORDER BY id"),
	    step;
	if (rc)
		return rc;
	bind_text(p, 1, id);
	while ((step = sqlite3_step(p)) == SQLITE_ROW) {
		struct zt_batch_event e = {col_text(p, 0), col_text(p, 1), col_text(p, 2),
		                           col_text(p, 3), col_text(p, 4), col_text(p, 5)};
		if ((rc = cb(ctx, &e)))
			goto done;
	}
	if (step != SQLITE_DONE)
		rc = db_fail(s, "read batch events");
done:
	done(p);
	return rc;
}

int zt_store_batch_sends(struct zt_store *s, const char *id,
                         int (*cb)(void *ctx, const struct zt_batch_send_log *l), void *ctx)
{
	sqlite3_stmt *p;
	int rc = prep(s, &p, "SELECT at, actor, gateway, outcome, COALESCE(receipt, ''), message, "
	                     "attempts, http_status, rejected FROM batch_send WHERE batch_id = ?1 "
	                     "ORDER BY id"),
	    step;
	if (rc)
		return rc;
	bind_text(p, 1, id);
	while ((step = sqlite3_step(p)) == SQLITE_ROW) {
		struct zt_batch_send_log l = {
			.at = col_text(p, 0), .actor = col_text(p, 1), .gateway = col_text(p, 2),
			.outcome = col_text(p, 3), .receipt = col_text(p, 4), .message = col_text(p, 5),
			.attempts = sqlite3_column_int(p, 6), .http_status = sqlite3_column_int(p, 7),
			.rejected = sqlite3_column_int64(p, 8)};
		if ((rc = cb(ctx, &l)))
			goto done;
	}
	if (step != SQLITE_DONE)
		rc = db_fail(s, "read batch sends");
done:
	done(p);
	return rc;
}

/* ---- verify ------------------------------------------------------------ */

/* What a batch is due (the rule of zt_batch_due). */
#define DUE_OF(b) "(CASE WHEN " b ".accepted_total IS NULL THEN " b ".total ELSE " b ".accepted_total END)"

static const struct zt_verify_check batch_checks[] = {
	{"each claim share is in at most one batch",
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
	{"every share of a batch exists",
	 "SELECT count(*) FROM batch_share",
	 "SELECT printf('batch %s holds share #%d/%d, which is no settlement share', b.batch_id,"
	 " b.settlement_id, b.seq) FROM batch_share b LEFT JOIN settlement_fund f"
	 " ON f.settlement_id = b.settlement_id AND f.seq = b.seq WHERE f.settlement_id IS NULL"
	 " UNION ALL SELECT printf('batch %s rejects share #%d/%d, which is not in it', j.batch_id,"
	 " j.settlement_id, j.seq) FROM batch_reject j LEFT JOIN batch_share b"
	 " ON b.settlement_id = j.settlement_id AND b.seq = j.seq"
	 " WHERE b.batch_id IS NULL OR b.batch_id <> j.batch_id"},
	{"each batch total equals the sum of its records",
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
	{"a record left out of a total reverses a record the payer rejected",
	 "SELECT count(*) FROM batch_share WHERE payable = 0",
	 "SELECT printf('batch %s leaves %s/%d out of its total, but it reverses no record the payer"
	 " rejected', b.batch_id, s.setl_id, b.seq) FROM batch_share b"
	 " JOIN settlement s ON s.id = b.settlement_id WHERE b.payable = 0 AND (s.kind <> 'reverse'"
	 " OR NOT EXISTS (SELECT 1 FROM batch_reject j WHERE j.settlement_id = s.reverses"
	 " AND j.seq = b.seq))"},
	{"batch status changes are recorded",
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
	{"no batch is accepted or paid beyond what it billed",
	 "SELECT count(*) FROM batch",
	 "SELECT printf('batch %s: accepted %d fen of a total of %d fen', id, accepted_total, total)"
	 " FROM batch WHERE accepted_total > total"
	 " UNION ALL SELECT printf('batch %s: paid %d fen of a total of %d fen', id, paid, total)"
	 " FROM batch WHERE paid > max(total, 0)"
	 " UNION ALL SELECT printf('batch %s: %d fen returned to its fund, more than the %d fen it"
	 " owed back', id, returned, max(paid - " DUE_OF("batch") ", 0)) FROM batch"
	 " WHERE returned > max(paid - " DUE_OF("batch") ", 0)"},
	{"money returned to a fund is its returns, each booked once",
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
	{"each fund's billed, paid, written off and returned add up",
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
	 " p AS (SELECT fund, side, " ZT_SQL_SUM_HI("v") " AS h, " ZT_SQL_SUM_LO("v") " AS l FROM t"
	 " GROUP BY fund, side),"
	 " c AS (SELECT fund, side, " ZT_SQL_Q("h", "l") " AS q, " ZT_SQL_R("l") " AS r FROM p),"
	 " x AS (SELECT f.code, COALESCE(c1.q, 0) AS q1, COALESCE(c1.r, 0) AS r1,"
	 " COALESCE(c2.q, 0) AS q2, COALESCE(c2.r, 0) AS r2, COALESCE(c3.q, 0) AS q3,"
	 " COALESCE(c3.r, 0) AS r3 FROM fund f LEFT JOIN c c1 ON c1.fund = f.code AND c1.side = 1"
	 " LEFT JOIN c c2 ON c2.fund = f.code AND c2.side = 2"
	 " LEFT JOIN c c3 ON c3.fund = f.code AND c3.side = 3)"
	 " SELECT printf('fund %s: billed - paid - written off + returned = %d fen outstanding,"
	 " but its batches are owed %d and its ledger account says %d', code,"
	 " q1 * " ZT_SQL_G " + r1, q2 * " ZT_SQL_G " + r2, q3 * " ZT_SQL_G " + r3) FROM x"
	 " WHERE q1 != q2 OR r1 != r2 OR q1 != q3 OR r1 != r3"},
};

const struct zt_verify_check *zt_verify_checks_batches(size_t *n)
{
	*n = sizeof batch_checks / sizeof *batch_checks;
	return batch_checks;
}
