/* zhitong — batches, for every engine (store.h batches; batch.h;
 * schema/sqlite/003-batches.sql). The store keeps what the domain decided
 * (batch_rules.c): which shares, which status, what the payer's answer and
 * the payments make of a batch; it compares-and-sets, and batch_share is
 * keyed by the share, so a share is in one batch, ever (G3). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../db.h"

static const char SQL_NEXT_SEQ[] = "SELECT COALESCE(MAX(seq), 0) + 1 FROM batch WHERE fund_code = ?1";
static const char SQL_INSERT[] =
	"INSERT INTO batch (id, fund_code, seq, status, through, period_from, period_to, count, "
	"total, created_at, created_by, pool, counties) "
	"VALUES (?1, ?2, ?3, 'draft', ?4, 0, 0, 0, 0, ?5, ?6, ?7, ?8)";
static const char SQL_EVENT[] =
	"INSERT INTO batch_event (batch_id, at, actor, action, status_from, status_to, detail) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
/* Every share of fund ?1 in no batch yet, discharged on or before ?2 (NULL:
 * any), with the batch holding the share it reverses. The claim's
 * discharge date and number come from the covering index claim_for_batch
 * (003-batches.sql): a claim row carries its items (about a kilobyte
 * each), and a batch needs only these two facts of up to millions of
 * claims. SQLite is told (INDEXED BY); PostgreSQL's planner finds it. */
#define CLAIM_FOR_BATCH "INDEXED BY claim_for_batch "
#define SQL_CANDIDATES_TEXT(indexed_by) \
	"SELECT f.settlement_id, f.seq, s.kind = 'reverse', f.amount, c.dscg_date, " \
	"COALESCE(ob.batch_id, ''), COALESCE(ox.status, ''), " \
	"EXISTS (SELECT 1 FROM batch_reject j WHERE j.settlement_id = s.reverses AND j.seq = f.seq), " \
	"s.pool " \
	"FROM settlement_fund f JOIN settlement s ON s.id = f.settlement_id " \
	"JOIN claim c " indexed_by "ON c.id = s.claim_id " \
	"LEFT JOIN batch_share ob ON ob.settlement_id = s.reverses AND ob.seq = f.seq " \
	"LEFT JOIN batch ox ON ox.id = ob.batch_id " \
	"WHERE f.fund_code = ?1 AND (CAST(?2 AS BIGINT) IS NULL OR c.dscg_date <= ?2) " \
	"AND NOT EXISTS (SELECT 1 FROM batch_share b WHERE b.settlement_id = f.settlement_id " \
	"AND b.seq = f.seq) ORDER BY f.settlement_id, f.seq"
static const char SQL_CANDIDATES_SQLITE[] = SQL_CANDIDATES_TEXT(CLAIM_FOR_BATCH);
static const char SQL_CANDIDATES_PG[] = SQL_CANDIDATES_TEXT("");
static const char SQL_ADD_SHARE[] =
	"INSERT INTO batch_share (settlement_id, seq, batch_id, payable) VALUES (?1, ?2, ?3, ?4)";
/* A batch's count, total (payable records), not-payable records and their
 * sum, and period; the sums in parts (db.h). */
#define SHARE_AMOUNT(payable) "CASE WHEN b.payable = " payable " THEN f.amount END"
#define SQL_COUNT_TEXT(indexed_by) \
	"SELECT count(*), " ZT_DB_SUM_HI(SHARE_AMOUNT("1")) ", " ZT_DB_SUM_LO(SHARE_AMOUNT("1")) ", " \
	"COALESCE(SUM(1 - b.payable), 0), " ZT_DB_SUM_HI(SHARE_AMOUNT("0")) ", " \
	ZT_DB_SUM_LO(SHARE_AMOUNT("0")) ", COALESCE(MIN(c.dscg_date), 0), COALESCE(MAX(c.dscg_date), 0) " \
	"FROM batch_share b JOIN settlement_fund f ON f.settlement_id = b.settlement_id " \
	"AND f.seq = b.seq JOIN settlement s ON s.id = b.settlement_id " \
	"JOIN claim c " indexed_by "ON c.id = s.claim_id WHERE b.batch_id = ?1"
static const char SQL_COUNT_SQLITE[] = SQL_COUNT_TEXT(CLAIM_FOR_BATCH);
static const char SQL_COUNT_PG[] = SQL_COUNT_TEXT("");
static const char SQL_SET_TOTALS[] =
	"UPDATE batch SET count = ?2, total = ?3, info_count = ?4, info_total = ?5, "
	"period_from = ?6, period_to = ?7 WHERE id = ?1";
#define BATCH_COLUMNS                                                                             \
	"SELECT b.id, b.fund_code, fu.name, b.seq, b.status, COALESCE(b.through, 0), "           \
	"b.period_from, b.period_to, b.count, b.total, b.info_count, b.info_total, b.created_at, " \
	"b.created_by, COALESCE(b.approved_at, ''), COALESCE(b.approved_by, ''), "              \
	"COALESCE(b.exported_at, ''), COALESCE(b.file_path, ''), COALESCE(b.file_sha256, ''), "  \
	"COALESCE(b.digest, ''), COALESCE(b.key_type, ''), COALESCE(b.receipt, ''), "           \
	"b.accepted_total IS NOT NULL, COALESCE(b.accepted_total, 0), "                          \
	"(SELECT count(*) FROM batch_reject j WHERE j.batch_id = b.id), b.paid, b.returned, "   \
	"b.pool, COALESCE(b.counties, '') "                                                      \
	"FROM batch b JOIN fund fu ON fu.code = b.fund_code "
static const char SQL_GET[] = BATCH_COLUMNS "WHERE b.id = ?1";
static const char SQL_LIST[] = BATCH_COLUMNS "WHERE CAST(?1 AS TEXT) IS NULL OR b.fund_code = ?1 ORDER BY b.rowid";
static const char SQL_STATUS_CAS[] = "UPDATE batch SET status = ?3 WHERE id = ?1 AND status = ?2";
static const char SQL_STATUS_GET[] = "SELECT status FROM batch WHERE id = ?1";
static const char SQL_APPROVED[] = "UPDATE batch SET approved_at = ?2, approved_by = ?3 WHERE id = ?1";
static const char SQL_EXPORTED[] =
	"UPDATE batch SET exported_at = COALESCE(exported_at, ?2), file_path = ?3, file_sha256 = ?4, "
	"digest = COALESCE(digest, ?5), key_type = ?6 WHERE id = ?1";
static const char SQL_SEND[] =
	"INSERT INTO batch_send (batch_id, at, actor, gateway, outcome, attempts, http_status, "
	"receipt, rejected, message) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
static const char SQL_FIND_RECORD[] =
	"SELECT b.settlement_id FROM batch_share b JOIN settlement s ON s.id = b.settlement_id "
	"WHERE s.setl_id = ?1 AND b.seq = ?2 AND b.batch_id = ?3";
static const char SQL_REJECT[] =
	"INSERT INTO batch_reject (settlement_id, seq, batch_id, reason, at) "
	"VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING";
#define OWN_REJECT                                                                                \
	"EXISTS (SELECT 1 FROM batch_reject j WHERE j.settlement_id = b.settlement_id "           \
	"AND j.seq = b.seq)"
#define ORIG_REJECT                                                                               \
	"(s.kind = 'reverse' AND EXISTS (SELECT 1 FROM batch_reject j WHERE "                    \
	"j.settlement_id = s.reverses AND j.seq = b.seq AND j.batch_id = ?1))"
static const char SQL_REJECTED[] =
	"SELECT s.setl_id, b.seq, f.amount, b.payable, s.kind = 'reverse', " OWN_REJECT ", "
	ORIG_REJECT " FROM batch_share b JOIN settlement_fund f ON f.settlement_id = b.settlement_id "
	"AND f.seq = b.seq JOIN settlement s ON s.id = b.settlement_id WHERE b.batch_id = ?1 "
	"AND (" OWN_REJECT " OR " ORIG_REJECT ") ORDER BY b.settlement_id, b.seq";
static const char SQL_ANSWER[] = "UPDATE batch SET receipt = ?2, accepted_total = ?3 "
                                 "WHERE id = ?1 AND accepted_total IS NULL";
static const char SQL_PAID_CAS[] = "UPDATE batch SET status = ?3, paid = ?4 "
                                   "WHERE id = ?1 AND status = ?2 AND paid = ?5 AND returned = ?6";
static const char SQL_RETURN_INSERT[] =
	"INSERT INTO batch_return (batch_id, kind, return_id, amount, entry_id, msg_id, file, "
	"execution_date, actor, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) RETURNING id";
static const char SQL_RETURNED_CAS[] = "UPDATE batch SET status = ?3, returned = ?4 "
                                       "WHERE id = ?1 AND status = ?2 AND returned = ?5";
#define RETURN_COLUMNS                                                                            \
	"SELECT r.id, r.batch_id, b.fund_code, r.kind = 'netted', COALESCE(r.return_id, ''), "   \
	"r.amount, COALESCE(r.entry_id, 0), COALESCE(e.ref, ''), COALESCE(r.msg_id, ''), "       \
	"COALESCE(r.file, ''), COALESCE(r.execution_date, 0), r.actor, r.at, "                   \
	"EXISTS (SELECT 1 FROM recon_match m WHERE m.return_id = r.return_id) "                   \
	"FROM batch_return r JOIN batch b ON b.id = r.batch_id "                                 \
	"LEFT JOIN bank_entry e ON e.id = r.entry_id "
static const char SQL_RETURN_GET[] = RETURN_COLUMNS "WHERE r.return_id = ?1";
static const char SQL_RETURNS[] = RETURN_COLUMNS "WHERE r.batch_id = ?1 ORDER BY r.id";
static const char SQL_REPAY_COUNT[] =
	"SELECT count(*) FROM batch_return WHERE batch_id = ?1 AND kind = 'repay'";
static const char SQL_EVENTS[] =
	"SELECT at, actor, action, COALESCE(status_from, ''), status_to, COALESCE(detail, '') "
	"FROM batch_event WHERE batch_id = ?1 ORDER BY id";
static const char SQL_SENDS[] =
	"SELECT at, actor, gateway, outcome, COALESCE(receipt, ''), message, attempts, "
	"http_status, rejected FROM batch_send WHERE batch_id = ?1 ORDER BY id";

static const char *status(enum zt_batch_status st)
{
	return (unsigned)st < ZT_BATCH_STATUSES ? zt_batch_status_names[st] : "?";
}

/* ---- create and fill ------------------------------------------------------------ */

static int next_seq(struct zt_store *s, const char *fund_code, int64_t *out)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int r = zt_db_need_write(q, "batch number");
	if (r || (r = zt_db_prepare(q, SQL_NEXT_SEQ, &p)) != 0)
		return r;
	zt_db_bind_text(p, 1, fund_code);
	if ((r = zt_db_row(q, p, "number batch")) != 1)
		return r ? r : zt_error_set(ZT_EINTERNAL, "MAX gave no row");
	*out = zt_db_column_int64(p, 0);
	zt_db_done(p);
	return 0;
}

static int insert(struct zt_store *s, const struct zt_batch *b)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_need_write(q, "batch create");
	if (rc || (rc = zt_db_prepare(q, SQL_INSERT, &p)) != 0)
		return rc;
	zt_db_bind_text(p, 1, b->id);
	zt_db_bind_text(p, 2, b->fund_code);
	zt_db_bind_int64(p, 3, b->seq);
	if (b->through)
		zt_db_bind_int(p, 4, b->through);
	zt_db_bind_text(p, 5, zt_db_now(q));
	zt_db_bind_text(p, 6, b->created_by);
	zt_db_bind_text(p, 7, b->pool[0] ? b->pool : ZT_POOL_DEFAULT);
	if (b->counties[0])
		zt_db_bind_text(p, 8, b->counties);
	return zt_db_run(q, p, "create batch");
}

static int event(struct zt_db *q, const char *id, const char *actor, const char *action,
                 const char *from, const char *to, const char *detail)
{
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_EVENT, &p);
	if (rc)
		return rc;
	zt_db_bind_text(p, 1, id);
	zt_db_bind_text(p, 2, zt_db_now(q));
	zt_db_bind_text(p, 3, actor);
	zt_db_bind_text(p, 4, action);
	zt_db_bind_opt(p, 5, from);
	zt_db_bind_text(p, 6, to);
	zt_db_bind_opt(p, 7, detail);
	return zt_db_run(q, p, "record batch event");
}

static int add_event(struct zt_store *s, const char *id, const struct zt_batch_event *e)
{
	struct zt_db *q = zt_db_of(s);
	int rc = zt_db_need_write(q, "batch event");
	return rc ? rc : event(q, id, e->actor, e->action, e->status_from, e->status_to, e->detail);
}

static int candidates(struct zt_store *s, const char *fund_code, zt_date through,
                      int (*cb)(void *ctx, const struct zt_batch_candidate *c), void *ctx)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, zt_db_sql(q, SQL_CANDIDATES_SQLITE, SQL_CANDIDATES_PG), &p), r;
	if (rc)
		return rc;
	zt_db_bind_text(p, 1, fund_code);
	if (through)
		zt_db_bind_int(p, 2, through);
	while ((r = zt_db_row(q, p, "read shares to batch")) == 1) {
		struct zt_batch_candidate c = {
			.settlement_row = zt_db_column_int64(p, 0),
			.seq = zt_db_column_int(p, 1),
			.reversal = zt_db_column_int(p, 2) != 0,
			.amount = zt_db_column_int64(p, 3),
			.dscg_date = zt_db_column_int(p, 4),
			.orig_batch_id = zt_db_column_text(p, 5),
			.orig_batch_status = (enum zt_batch_status)zt_db_column_name(
				p, 6, zt_batch_status_names, ZT_BATCH_STATUSES, ZT_BATCH_DRAFT),
			.orig_rejected = zt_db_column_int(p, 7) != 0,
			.pool = zt_db_column_text(p, 8),
		};
		if ((rc = cb(ctx, &c)) != 0)
			break;
	}
	zt_db_done(p);
	return rc ? rc : r;
}

static int add_share(struct zt_store *s, const char *id, int64_t settlement_row, int seq,
                     bool payable)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_ADD_SHARE, &p);
	if (rc)
		return rc;
	zt_db_bind_int64(p, 1, settlement_row);
	zt_db_bind_int(p, 2, seq);
	zt_db_bind_text(p, 3, id);
	zt_db_bind_int(p, 4, payable);
	return zt_db_run_as(q, p, "add a share to a batch", true);
}

/* What the batch's records add up to in the store (G5: past int64 is
 * ZT_ERANGE). */
static int count_records(struct zt_db *q, const char *id, struct zt_batch_totals *t)
{
	struct zt_db_stmt *p;
	int r = zt_db_prepare(q, zt_db_sql(q, SQL_COUNT_SQLITE, SQL_COUNT_PG), &p);
	if (r)
		return r;
	zt_db_bind_text(p, 1, id);
	if ((r = zt_db_row(q, p, "count batch")) != 1)
		return r ? r : zt_error_set(ZT_EINTERNAL, "count gave no row");
	t->count = zt_db_column_int64(p, 0);
	t->info_count = zt_db_column_int64(p, 3);
	bool fits = zt_db_join_sum(&t->total, zt_db_column_int64(p, 1), zt_db_column_int64(p, 2)) &&
	            zt_db_join_sum(&t->info_total, zt_db_column_int64(p, 4), zt_db_column_int64(p, 5));
	t->period_from = zt_db_column_int(p, 6);
	t->period_to = zt_db_column_int(p, 7);
	zt_db_done(p);
	if (!fits) {
		char m[ZT_FMT_BYTES];
		return zt_error_set(ZT_ERANGE, "batch '%s': the total of its %lld shares would overflow: "
		                    "it is beyond %s", id, (long long)t->count,
		                    zt_format_amount(m, INT64_MAX));
	}
	return 0;
}

static int set_totals(struct zt_store *s, const char *id, const struct zt_batch_totals *t)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_batch_totals have;
	int rc = zt_db_need_write(q, "batch totals");
	if (rc || (rc = count_records(q, id, &have)) != 0)
		return rc;
	/* a batch's total is the sum of its records, whoever counted */
	if (have.count != t->count || have.total != t->total || have.info_count != t->info_count ||
	    have.info_total != t->info_total || have.period_from != t->period_from ||
	    have.period_to != t->period_to)
		return zt_error_set(ZT_EINTERNAL, "batch '%s': %lld records of %lld fen were counted, "
		                    "its records are %lld of %lld fen", id, (long long)t->count,
		                    (long long)t->total, (long long)have.count, (long long)have.total);
	struct zt_db_stmt *p;
	if ((rc = zt_db_prepare(q, SQL_SET_TOTALS, &p)) != 0)
		return rc;
	zt_db_bind_text(p, 1, id);
	zt_db_bind_int64(p, 2, t->count);
	zt_db_bind_int64(p, 3, t->total);
	zt_db_bind_int64(p, 4, t->info_count);
	zt_db_bind_int64(p, 5, t->info_total);
	zt_db_bind_int(p, 6, t->period_from);
	zt_db_bind_int(p, 7, t->period_to);
	return zt_db_run(q, p, "count batch");
}

/* ---- reading -------------------------------------------------------------------- */

static void read_batch(struct zt_db_stmt *p, struct zt_batch *b)
{
	memset(b, 0, sizeof *b);
	zt_db_column_copy(b->id, sizeof b->id, p, 0);
	zt_db_column_copy(b->fund_code, sizeof b->fund_code, p, 1);
	zt_db_column_copy(b->fund_name, sizeof b->fund_name, p, 2);
	b->seq = zt_db_column_int64(p, 3);
	b->status = (enum zt_batch_status)zt_db_column_name(p, 4, zt_batch_status_names, ZT_BATCH_STATUSES,
	                                              ZT_BATCH_DRAFT);
	b->through = zt_db_column_int(p, 5);
	b->period_from = zt_db_column_int(p, 6);
	b->period_to = zt_db_column_int(p, 7);
	b->count = zt_db_column_int64(p, 8);
	b->total = zt_db_column_int64(p, 9);
	b->info_count = zt_db_column_int64(p, 10);
	b->info_total = zt_db_column_int64(p, 11);
	zt_db_column_copy(b->created_at, sizeof b->created_at, p, 12);
	zt_db_column_copy(b->created_by, sizeof b->created_by, p, 13);
	zt_db_column_copy(b->approved_at, sizeof b->approved_at, p, 14);
	zt_db_column_copy(b->approved_by, sizeof b->approved_by, p, 15);
	zt_db_column_copy(b->exported_at, sizeof b->exported_at, p, 16);
	zt_db_column_copy(b->file_path, sizeof b->file_path, p, 17);
	zt_db_column_copy(b->file_sha256, sizeof b->file_sha256, p, 18);
	zt_db_column_copy(b->digest, sizeof b->digest, p, 19);
	zt_db_column_copy(b->key_type, sizeof b->key_type, p, 20);
	zt_db_column_copy(b->receipt, sizeof b->receipt, p, 21);
	b->answered = zt_db_column_int(p, 22) != 0;
	b->accepted_total = zt_db_column_int64(p, 23);
	b->rejected_count = zt_db_column_int64(p, 24);
	b->paid = zt_db_column_int64(p, 25);
	b->returned = zt_db_column_int64(p, 26);
	zt_db_column_copy(b->pool, sizeof b->pool, p, 27);
	zt_db_column_copy(b->counties, sizeof b->counties, p, 28);
}

static int get(struct zt_store *s, const char *id, struct zt_batch *out)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int r = zt_db_prepare(q, SQL_GET, &p);
	if (r)
		return r;
	zt_db_bind_text(p, 1, id);
	if ((r = zt_db_row(q, p, "read batch")) <= 0)
		return r == 0 ? zt_error_set(ZT_ENOTFOUND, "there is no batch '%s'", id) : r;
	read_batch(p, out);
	zt_db_done(p);
	return 0;
}

static int list(struct zt_store *s, const char *fund_code,
                int (*cb)(void *ctx, const struct zt_batch *b), void *ctx)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_LIST, &p), r;
	if (rc)
		return rc;
	zt_db_bind_text(p, 1, fund_code);
	struct zt_batch b;
	while ((r = zt_db_row(q, p, "list batches")) == 1) {
		read_batch(p, &b);
		if ((rc = cb(ctx, &b)) != 0)
			break;
	}
	zt_db_done(p);
	return rc ? rc : r;
}

/* ---- status, approval, export, sends ---------------------------------------------- */

/* ZT_ECONFLICT naming the status batch `id` is in, when it is not `from`. */
static int not_in(struct zt_db *q, const char *id, enum zt_batch_status from)
{
	struct zt_db_stmt *p;
	int r = zt_db_prepare(q, SQL_STATUS_GET, &p);
	if (r)
		return r;
	zt_db_bind_text(p, 1, id);
	if ((r = zt_db_row(q, p, "read batch")) <= 0)
		return r == 0 ? zt_error_set(ZT_ENOTFOUND, "there is no batch '%s'", id) : r;
	char now[16];
	zt_db_column_copy(now, sizeof now, p, 0);
	zt_db_done(p);
	return zt_error_set(ZT_ECONFLICT, "batch '%s' is %s, not %s", id, now, status(from));
}

static int set_status(struct zt_store *s, const char *id, enum zt_batch_status from,
                      enum zt_batch_status to, const struct zt_batch_event *e)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_need_write(q, "batch status change");
	if (rc || (rc = zt_db_prepare(q, SQL_STATUS_CAS, &p)) != 0)
		return rc;
	zt_db_bind_text(p, 1, id);
	zt_db_bind_text(p, 2, status(from));
	zt_db_bind_text(p, 3, status(to));
	if ((rc = zt_db_run(q, p, "change batch status")) != 0)
		return rc;
	if (zt_db_changes(q) != 1)
		return not_in(q, id, from);
	return event(q, id, e->actor, e->action, status(from), status(to), e->detail);
}

static int set_approved(struct zt_store *s, const char *id, const char *actor)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_need_write(q, "batch approval");
	if (rc || (rc = zt_db_prepare(q, SQL_APPROVED, &p)) != 0)
		return rc;
	zt_db_bind_text(p, 1, id);
	zt_db_bind_text(p, 2, zt_db_now(q));
	zt_db_bind_text(p, 3, actor);
	return zt_db_run(q, p, "approve batch");
}

static int set_exported(struct zt_store *s, const char *id, const char *file_path,
                        const char *file_sha256, const char *digest, const char *key_type)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_need_write(q, "batch export");
	if (rc || (rc = zt_db_prepare(q, SQL_EXPORTED, &p)) != 0)
		return rc;
	zt_db_bind_text(p, 1, id);
	zt_db_bind_text(p, 2, zt_db_now(q));
	zt_db_bind_text(p, 3, file_path);
	zt_db_bind_text(p, 4, file_sha256);
	zt_db_bind_text(p, 5, digest);
	zt_db_bind_text(p, 6, key_type);
	return zt_db_run(q, p, "record export");
}

static int add_send(struct zt_store *s, const char *id, const struct zt_batch_send_log *l)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_need_write(q, "batch send");
	if (rc || (rc = zt_db_prepare(q, SQL_SEND, &p)) != 0)
		return rc;
	zt_db_bind_text(p, 1, id);
	zt_db_bind_text(p, 2, zt_db_now(q));
	zt_db_bind_text(p, 3, l->actor);
	zt_db_bind_text(p, 4, l->gateway);
	zt_db_bind_text(p, 5, l->outcome);
	zt_db_bind_int(p, 6, l->attempts);
	zt_db_bind_int(p, 7, l->http_status);
	zt_db_bind_opt(p, 8, l->receipt);
	zt_db_bind_int64(p, 9, l->rejected);
	zt_db_bind_text(p, 10, l->message ? l->message : "");
	return zt_db_run(q, p, "record send");
}

/* ---- the payer's answer ----------------------------------------------------------- */

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

/* The settlement row of record `rid` of batch `id`, or ZT_ECONFLICT. */
static int find_record(struct zt_db *q, const char *id, const char *rid, int64_t *row, int *seq)
{
	char setl_id[32];
	if (split_record_id(rid, setl_id, seq) != 0)
		return zt_error_set(ZT_ECONFLICT, "the payer rejects record '%s', which is not a record "
		                    "id of batch '%s'", rid, id);
	struct zt_db_stmt *p;
	int r = zt_db_prepare(q, SQL_FIND_RECORD, &p);
	if (r)
		return r;
	zt_db_bind_text(p, 1, setl_id);
	zt_db_bind_int(p, 2, *seq);
	zt_db_bind_text(p, 3, id);
	if ((r = zt_db_row(q, p, "find rejected record")) <= 0)
		return r ? r : zt_error_set(ZT_ECONFLICT, "the payer rejects record '%s', which is not "
		                            "in batch '%s'", rid, id);
	*row = zt_db_column_int64(p, 0);
	zt_db_done(p);
	return 0;
}

static int reject_records(struct zt_store *s, const char *id,
                          const struct zt_batch_reject *rejects, size_t n)
{
	struct zt_db *q = zt_db_of(s);
	int rc = zt_db_need_write(q, "recording rejected records");
	for (size_t i = 0; i < n && rc == 0; i++) {
		int64_t row = 0;
		int seq = 0;
		struct zt_db_stmt *p;
		if ((rc = find_record(q, id, rejects[i].record_id, &row, &seq)) != 0 ||
		    (rc = zt_db_prepare(q, SQL_REJECT, &p)) != 0)
			break;
		zt_db_bind_int64(p, 1, row);
		zt_db_bind_int(p, 2, seq);
		zt_db_bind_text(p, 3, id);
		zt_db_bind_text(p, 4, rejects[i].reason && rejects[i].reason[0] ? rejects[i].reason
		                                                             : "no reason given");
		zt_db_bind_text(p, 5, zt_db_now(q));
		if ((rc = zt_db_run(q, p, "record rejected record")) == 0 && zt_db_changes(q) != 1)
			rc = zt_error_set(ZT_ECONFLICT, "the payer's answer names record '%s' of batch "
			                  "'%s' twice", rejects[i].record_id, id);
	}
	return rc;
}

static int rejected_records(struct zt_store *s, const char *id,
                            int (*cb)(void *ctx, const struct zt_batch_rejected *r), void *ctx)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_REJECTED, &p), r;
	if (rc)
		return rc;
	zt_db_bind_text(p, 1, id);
	while ((r = zt_db_row(q, p, "read rejected records")) == 1) {
		struct zt_batch_rejected x = {
			.setl_id = zt_db_column_text(p, 0), .seq = zt_db_column_int(p, 1),
			.amount = zt_db_column_int64(p, 2), .payable = zt_db_column_int(p, 3) != 0,
			.reversal = zt_db_column_int(p, 4) != 0, .rejected = zt_db_column_int(p, 5) != 0,
			.reverses_rejected = zt_db_column_int(p, 6) != 0,
		};
		if ((rc = cb(ctx, &x)) != 0)
			break;
	}
	zt_db_done(p);
	return rc ? rc : r;
}

static int set_answer(struct zt_store *s, const char *id, const char *receipt,
                      zt_fen accepted_total)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_need_write(q, "recording the payer's answer");
	if (rc || (rc = zt_db_prepare(q, SQL_ANSWER, &p)) != 0)
		return rc;
	zt_db_bind_text(p, 1, id);
	zt_db_bind_opt(p, 2, receipt);
	zt_db_bind_int64(p, 3, accepted_total);
	if ((rc = zt_db_run(q, p, "accept batch")) == 0 && zt_db_changes(q) != 1)
		rc = zt_error_set(ZT_ECONFLICT, "batch '%s' has the payer's answer already", id);
	return rc;
}

static int set_paid(struct zt_store *s, const char *id, enum zt_batch_status from,
                    enum zt_batch_status to, zt_fen paid_before, zt_fen paid, zt_fen returned,
                    const struct zt_batch_event *e)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_need_write(q, "batch payment");
	if (rc || (rc = zt_db_prepare(q, SQL_PAID_CAS, &p)) != 0)
		return rc;
	zt_db_bind_text(p, 1, id);
	zt_db_bind_text(p, 2, status(from));
	zt_db_bind_text(p, 3, status(to));
	zt_db_bind_int64(p, 4, paid);
	zt_db_bind_int64(p, 5, paid_before);
	zt_db_bind_int64(p, 6, returned);
	if ((rc = zt_db_run(q, p, "record payment")) != 0)
		return rc;
	if (zt_db_changes(q) != 1)
		return zt_error_set(ZT_ECONFLICT, "batch '%s' is no longer %s with %lld fen paid", id,
		                    status(from), (long long)paid_before);
	return event(q, id, e->actor, e->action, status(from), status(to), e->detail);
}

static int insert_return(struct zt_db *q, struct zt_batch_return *r)
{
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_RETURN_INSERT, &p);
	if (rc)
		return rc;
	snprintf(r->at, sizeof r->at, "%s", zt_db_now(q));
	zt_db_bind_text(p, 1, r->batch_id);
	zt_db_bind_text(p, 2, r->netted ? "netted" : "repay");
	if (!r->netted) {
		zt_db_bind_text(p, 3, r->return_id);
		zt_db_bind_text(p, 6, r->msg_id);
		zt_db_bind_text(p, 7, r->file);
		zt_db_bind_int(p, 8, r->execution_date);
	} else {
		zt_db_bind_int64(p, 5, r->entry_row);
	}
	zt_db_bind_int64(p, 4, r->amount);
	zt_db_bind_text(p, 9, r->actor);
	zt_db_bind_text(p, 10, r->at);
	return zt_db_insert_id(q, p, "record return", &r->row);
}

static int add_return(struct zt_store *s, struct zt_batch_return *r, enum zt_batch_status from,
                      enum zt_batch_status to, zt_fen returned_before, zt_fen returned,
                      const struct zt_batch_event *e)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_need_write(q, "batch return");
	if (rc || (rc = insert_return(q, r)) != 0 || (rc = zt_db_prepare(q, SQL_RETURNED_CAS, &p)) != 0)
		return rc;
	zt_db_bind_text(p, 1, r->batch_id);
	zt_db_bind_text(p, 2, status(from));
	zt_db_bind_text(p, 3, status(to));
	zt_db_bind_int64(p, 4, returned);
	zt_db_bind_int64(p, 5, returned_before);
	if ((rc = zt_db_run(q, p, "record return")) != 0)
		return rc;
	if (zt_db_changes(q) != 1)
		return zt_error_set(ZT_ECONFLICT, "batch '%s' changed during the return", r->batch_id);
	return event(q, r->batch_id, e->actor, e->action, status(from), status(to), e->detail);
}

/* ---- money owed back ---------------------------------------------------------------- */

static void read_return(struct zt_db_stmt *p, struct zt_batch_return *r)
{
	memset(r, 0, sizeof *r);
	r->row = zt_db_column_int64(p, 0);
	zt_db_column_copy(r->batch_id, sizeof r->batch_id, p, 1);
	zt_db_column_copy(r->fund_code, sizeof r->fund_code, p, 2);
	r->netted = zt_db_column_int(p, 3) != 0;
	zt_db_column_copy(r->return_id, sizeof r->return_id, p, 4);
	r->amount = zt_db_column_int64(p, 5);
	r->entry_row = zt_db_column_int64(p, 6);
	zt_db_column_copy(r->entry_ref, sizeof r->entry_ref, p, 7);
	zt_db_column_copy(r->msg_id, sizeof r->msg_id, p, 8);
	zt_db_column_copy(r->file, sizeof r->file, p, 9);
	r->execution_date = zt_db_column_int(p, 10);
	zt_db_column_copy(r->actor, sizeof r->actor, p, 11);
	zt_db_column_copy(r->at, sizeof r->at, p, 12);
	r->confirmed = zt_db_column_int(p, 13) != 0;
}

static int return_get(struct zt_store *s, const char *return_id, struct zt_batch_return *out)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int r = zt_db_prepare(q, SQL_RETURN_GET, &p);
	if (r)
		return r;
	zt_db_bind_text(p, 1, return_id);
	if ((r = zt_db_row(q, p, "read return")) <= 0)
		return r == 0 ? ZT_ENOTFOUND : r;
	read_return(p, out);
	zt_db_done(p);
	return 0;
}

static int returns(struct zt_store *s, const char *id,
                   int (*cb)(void *ctx, const struct zt_batch_return *r), void *ctx)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_RETURNS, &p), r;
	if (rc)
		return rc;
	zt_db_bind_text(p, 1, id);
	struct zt_batch_return x;
	while ((r = zt_db_row(q, p, "read returns")) == 1) {
		read_return(p, &x);
		if ((rc = cb(ctx, &x)) != 0)
			break;
	}
	zt_db_done(p);
	return rc ? rc : r;
}

static int repay_count(struct zt_store *s, const char *id, int64_t *out)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int r = zt_db_prepare(q, SQL_REPAY_COUNT, &p);
	if (r)
		return r;
	zt_db_bind_text(p, 1, id);
	if ((r = zt_db_row(q, p, "count repayments")) != 1)
		return r ? r : zt_error_set(ZT_EINTERNAL, "count gave no row");
	*out = zt_db_column_int64(p, 0);
	zt_db_done(p);
	return 0;
}

/* ---- the trail ---------------------------------------------------------------------- */

static int events(struct zt_store *s, const char *id,
                  int (*cb)(void *ctx, const struct zt_batch_event *e), void *ctx)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_EVENTS, &p), r;
	if (rc)
		return rc;
	zt_db_bind_text(p, 1, id);
	while ((r = zt_db_row(q, p, "read batch events")) == 1) {
		struct zt_batch_event e = {zt_db_column_text(p, 0), zt_db_column_text(p, 1), zt_db_column_text(p, 2),
		                           zt_db_column_text(p, 3), zt_db_column_text(p, 4), zt_db_column_text(p, 5)};
		if ((rc = cb(ctx, &e)) != 0)
			break;
	}
	zt_db_done(p);
	return rc ? rc : r;
}

static int sends(struct zt_store *s, const char *id,
                 int (*cb)(void *ctx, const struct zt_batch_send_log *l), void *ctx)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_SENDS, &p), r;
	if (rc)
		return rc;
	zt_db_bind_text(p, 1, id);
	while ((r = zt_db_row(q, p, "read batch sends")) == 1) {
		struct zt_batch_send_log l = {
			.at = zt_db_column_text(p, 0), .actor = zt_db_column_text(p, 1), .gateway = zt_db_column_text(p, 2),
			.outcome = zt_db_column_text(p, 3), .receipt = zt_db_column_text(p, 4),
			.message = zt_db_column_text(p, 5), .attempts = zt_db_column_int(p, 6),
			.http_status = zt_db_column_int(p, 7), .rejected = zt_db_column_int64(p, 8)};
		if ((rc = cb(ctx, &l)) != 0)
			break;
	}
	zt_db_done(p);
	return rc ? rc : r;
}

const struct zt_store_batch_ops zt_db_batch_ops = {
	.next_seq = next_seq,
	.insert = insert,
	.add_event = add_event,
	.candidates = candidates,
	.add_share = add_share,
	.set_totals = set_totals,
	.get = get,
	.list = list,
	.set_status = set_status,
	.set_approved = set_approved,
	.set_exported = set_exported,
	.add_send = add_send,
	.reject_records = reject_records,
	.rejected_records = rejected_records,
	.set_answer = set_answer,
	.set_paid = set_paid,
	.add_return = add_return,
	.repay_count = repay_count,
	.return_get = return_get,
	.returns = returns,
	.records = zt_db_batch_records,
	.next = zt_db_batch_next,
	.records_close = zt_db_batch_records_close,
	.events = events,
	.sends = sends,
};
