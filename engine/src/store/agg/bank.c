/* zhitong — bank statements and reconciliation, for every engine (store.h
 * bank; reconcile.h; schema/sqlite/004-reconcile.sql). An import may match
 * 100,000 entries in one transaction: every statement comes from the
 * connection's cache, prepared once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../db.h"

/* A stored UTC timestamp as its pool-local day (open.c): "2024-02-29T16:30:00Z"
 * is 20240301 in Asia/Shanghai. */
#define SQL_DAY(col) "zt_local_day(" col ")"

#define ENTRY_COLUMNS                                                                          \
	"e.id, e.ref, e.stmt_id, e.account, e.digest, e.credit, e.amount, e.currency, "         \
	"e.booking_date, e.value_date, e.reversal, e.end_to_end_id, e.remittance, e.tx_ref "
/* An entry is open when nothing matched it and no exception is about it. */
#define ENTRY_IS_OPEN                                                                          \
	"NOT EXISTS (SELECT 1 FROM recon_match m WHERE m.entry_id = e.id) "                     \
	"AND NOT EXISTS (SELECT 1 FROM recon_exception x WHERE x.entry_id = e.id) "
#define EXCEPTION_COLUMNS                                                                      \
	"x.id, x.exc_id, x.kind, COALESCE(x.entry_id, 0), COALESCE(e.ref, ''), "                 \
	"COALESCE(e.credit, 0), COALESCE(e.booking_date, 0), COALESCE(x.batch_id, ''), "         \
	"COALESCE(x.advance_id, ''), x.amount, x.since, x.detail, x.raised_at, x.raised_by, "    \
	"r.resolution, COALESCE(r.target, ''), COALESCE(r.note, ''), COALESCE(r.at, ''), "       \
	"COALESCE(r.actor, ''), COALESCE(x.return_id, ''), COALESCE(e.account, ''), "           \
	"COALESCE((SELECT bp.pool FROM batch bp WHERE bp.id = x.batch_id), "                      \
	"(SELECT ap.pool FROM advance av JOIN advance_plan ap ON ap.id = av.plan_row "            \
	"WHERE av.advance_id = x.advance_id), '') FROM recon_exception x "                         \
	"LEFT JOIN bank_entry e ON e.id = x.entry_id "                                           \
	"LEFT JOIN recon_resolution r ON r.exception_id = x.id "
/* The first time a batch went to the payer. */
#define SENT_AT(b)                                                                             \
	"(SELECT MIN(ev.at) FROM batch_event ev WHERE ev.batch_id = " b " AND ev.status_to = 'sent')"
/* What a batch is due, for the report's sums (the rule of zt_batch_due). */
#define BATCH_DUE(b)                                                                           \
	"CASE WHEN " b ".accepted_total IS NULL THEN " b ".total ELSE " b ".accepted_total END"
#define BATCH_COLUMNS(sent)                                                                    \
	"SELECT b.id, b.fund_code, b.status, b.total, COALESCE(b.accepted_total, 0), b.paid, "  \
	"COALESCE(" SQL_DAY("b.exported_at") ", 0), " sent ", b.returned, "                     \
	"b.accepted_total IS NOT NULL, b.pool FROM batch b "

/* The inserts whose new row is read: RETURNING id for PostgreSQL only
 * (agg/db.c zt_db_insert_row; SQLite fills an ephemeral table for a
 * RETURNING on every run). */
#define SQL_IMPORT_START(returning)                                                         \
	"INSERT INTO bank_import (file, file_sha256, version, msg_id, at, actor) "             \
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6)" returning
static const char SQL_IMPORT_FINISH[] =
	"UPDATE bank_import SET reported = ?2, stored = ?3, known = ?4, not_booked = ?5 WHERE id = ?1";
static const char SQL_ACCOUNT[] = "SELECT account FROM bank_entry ORDER BY id LIMIT 1";
#define SQL_ENTRY_INSERT(returning)                                                         \
	"INSERT INTO bank_entry (ref, import_id, stmt_id, account, digest, credit, amount, "     \
	"currency, booking_date, value_date, reversal, end_to_end_id, remittance, tx_ref) "     \
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) "                 \
	"ON CONFLICT (ref) DO NOTHING" returning
static const char SQL_ENTRY_BY_REF[] = "SELECT id, credit, amount, currency FROM bank_entry WHERE ref = ?1";
static const char SQL_ENTRY_GET[] = "SELECT " ENTRY_COLUMNS "FROM bank_entry e WHERE e.id = ?1";
static const char SQL_OPEN_ENTRIES[] =
	"SELECT " ENTRY_COLUMNS "FROM bank_entry e WHERE e.id < ?1 AND " ENTRY_IS_OPEN "ORDER BY e.id";
/* read for every credit: no sub-select for the sent day */
static const char SQL_BATCH[] = BATCH_COLUMNS("0") "WHERE b.id = ?1";
static const char SQL_SENT_BATCHES[] =
	"SELECT * FROM (" BATCH_COLUMNS("COALESCE(" SQL_DAY(SENT_AT("b.id")) ", 0) AS sent") ") "
	"x WHERE sent > 0 AND sent <= ?1 ORDER BY sent, id";
static const char SQL_ADVANCE_CONFIRMED[] =
	"SELECT EXISTS (SELECT 1 FROM recon_match WHERE advance_id = ?1)";
#define SQL_MATCH_INSERT(returning)                                                         \
	"INSERT INTO recon_match (entry_id, advance_id, exception_id, at, actor, return_id) "   \
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6)" returning
#define SQL_INSERT_ROW(q, insert) zt_db_sql(q, insert(""), insert(" RETURNING id"))
static const char SQL_ALLOC_INSERT[] =
	"INSERT INTO recon_alloc (match_id, batch_id, amount, written_off) VALUES (?1, ?2, ?3, ?4)";
static const char SQL_EXC_NEXT[] = "SELECT COALESCE(MAX(id), 0) + 1 FROM recon_exception";
static const char SQL_EXC_INSERT[] =
	"INSERT INTO recon_exception (id, exc_id, kind, entry_id, batch_id, advance_id, amount, "
	"since, detail, raised_at, raised_by, return_id) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";
static const char SQL_EXC_GET[] = "SELECT " EXCEPTION_COLUMNS "WHERE x.exc_id = ?1";
static const char SQL_EXC_ALL[] =
	"SELECT " EXCEPTION_COLUMNS "WHERE ?1 = 0 OR r.exception_id IS NULL ORDER BY x.id";
static const char SQL_DUE_EXISTS[] =
	"SELECT EXISTS (SELECT 1 FROM recon_exception WHERE entry_id IS NULL AND kind = ?1 "
	"AND COALESCE(batch_id, '') = COALESCE(?2, '') AND COALESCE(advance_id, '') = COALESCE(?3, '') "
	"AND COALESCE(return_id, '') = COALESCE(?4, ''))";
static const char SQL_RES_INSERT[] =
	"INSERT INTO recon_resolution (exception_id, resolution, target, note, at, actor) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char SQL_SETTLE_DUE[] =
	"INSERT INTO recon_resolution (exception_id, resolution, target, note, at, actor) "
	"SELECT x.id, 'settled', NULL, ?4, ?5, ?6 FROM recon_exception x "
	"WHERE x.entry_id IS NULL AND (CAST(?1 AS TEXT) IS NULL OR x.kind = ?1) "
	"AND ((CAST(?2 AS TEXT) IS NOT NULL AND x.batch_id = ?2 AND x.return_id IS NULL) "
	"OR (CAST(?3 AS TEXT) IS NOT NULL AND x.advance_id = ?3) OR (CAST(?7 AS TEXT) IS NOT NULL AND x.return_id = ?7)) "
	"AND NOT EXISTS (SELECT 1 FROM recon_resolution r WHERE r.exception_id = x.id)";
static const char SQL_DUE_OPEN[] =
	"SELECT EXISTS (SELECT 1 FROM recon_exception x WHERE x.entry_id IS NULL "
	"AND NOT EXISTS (SELECT 1 FROM recon_resolution r WHERE r.exception_id = x.id))";
static const char SQL_DUE_ADVANCES[] =
	"SELECT a.id, a.advance_id, a.hospital, a.amount, a.issued_at, a.execution_date "
	"FROM advance a WHERE a.execution_date <= ?1 AND NOT EXISTS (SELECT 1 FROM recon_match m "
	"WHERE m.advance_id = a.advance_id) ORDER BY a.id";
static const char SQL_DUE_RETURNS[] =
	"SELECT r.return_id, r.batch_id, b.fund_code, r.amount, r.at, r.execution_date "
	"FROM batch_return r JOIN batch b ON b.id = r.batch_id WHERE r.kind = 'repay' "
	"AND r.execution_date <= ?1 AND NOT EXISTS (SELECT 1 FROM recon_match m "
	"WHERE m.return_id = r.return_id) ORDER BY r.id";
/* returned: what the pool paid back (repaid or netted); a batch is open
 * while it owes, or is owed, anything */
static const char SQL_REPORT_FUNDS[] =
	"WITH al AS (SELECT batch_id, SUM(amount) AS paid, SUM(written_off) AS wo "
	"  FROM recon_alloc GROUP BY batch_id), "
	"bb AS (SELECT b.fund_code, b.pool, " BATCH_DUE("b") " AS due, COALESCE(al.paid, 0) AS paid, "
	"  COALESCE(al.wo, 0) AS wo, b.returned AS returned, " SENT_AT("b.id") " AS sent_at "
	"  FROM batch b LEFT JOIN al ON al.batch_id = b.id "
	"  WHERE b.status IN ('sent', 'accepted', 'part-paid', 'paid')) "
	"SELECT f.code, f.name, COALESCE(SUM(bb.due), 0), COALESCE(SUM(bb.paid), 0), "
	"COALESCE(SUM(bb.wo), 0), "
	"COALESCE(SUM(CASE WHEN bb.due - bb.paid - bb.wo + bb.returned != 0 THEN 1 ELSE 0 END), 0), "
	"COALESCE(MIN(CASE WHEN bb.due - bb.paid - bb.wo + bb.returned != 0 THEN "
	SQL_DAY("bb.sent_at") " END), 0), "
	"COALESCE((SELECT balance FROM account WHERE name = 'fund:' || f.code), 0), "
	"COALESCE(SUM(bb.returned), 0), COALESCE(bb.pool, '') "
	"FROM fund f LEFT JOIN bb ON bb.fund_code = f.code GROUP BY f.code, bb.pool "
	"ORDER BY f.code COLLATE BINARY";
static const char SQL_CONFIRMED[] = "SELECT COALESCE(SUM(a.amount), 0) FROM advance a JOIN "
                                    "recon_match m ON m.advance_id = a.advance_id WHERE a.hospital = ?1";
static const char SQL_REPORT_OPEN[] = "SELECT e.ref, e.credit, e.amount, e.booking_date, "
                                      "e.remittance, e.account FROM bank_entry e WHERE "
                                      ENTRY_IS_OPEN "ORDER BY e.id";
/* per day and pool (of the batch billed, of the batch paid) */
static const char SQL_REPORT_DAYS[] =
	"WITH billed AS (SELECT " SQL_DAY(SENT_AT("b.id")) " AS day, b.pool AS pool, "
	"  SUM(" BATCH_DUE("b") ") AS v "
	"  FROM batch b WHERE b.status IN ('sent', 'accepted', 'part-paid', 'paid') GROUP BY 1, 2), "
	"paid AS (SELECT e.booking_date AS day, pb.pool AS pool, SUM(a.amount) AS v "
	"  FROM recon_alloc a JOIN recon_match m ON m.id = a.match_id "
	"  JOIN bank_entry e ON e.id = m.entry_id JOIN batch pb ON pb.id = a.batch_id "
	"  GROUP BY 1, 2), "
	"days AS (SELECT day, pool FROM billed WHERE day IS NOT NULL "
	"  UNION SELECT day, pool FROM paid) "
	"SELECT d.day, COALESCE(b.v, 0), COALESCE(p.v, 0), d.pool FROM days d "
	"LEFT JOIN billed b ON b.day = d.day AND b.pool = d.pool "
	"LEFT JOIN paid p ON p.day = d.day AND p.pool = d.pool "
	"ORDER BY d.day";

/* A one-row, one-boolean query (EXISTS …) with its parameters bound. */
static int one_bool(struct zt_db *q, struct zt_db_stmt *p, const char *what, bool *out)
{
	int r = zt_db_row(q, p, what);
	if (r != 1)
		return r ? r : zt_error_set(ZT_EINTERNAL, "%s: EXISTS gave no row", what);
	*out = zt_db_column_int(p, 0) != 0;
	zt_db_done(p);
	return 0;
}

/* Reads every row of `p` into rows->items (of rows->size each), so that
 * the callbacks run afterwards with no statement open and may write. On
 * failure the rows are freed. */
static int read_rows(struct zt_db *q, struct zt_db_stmt *p, const char *what,
                     void (*read)(struct zt_db_stmt *p, void *item), struct zt_db_rows *rows)
{
	int r;
	while ((r = zt_db_row(q, p, what)) == 1) {
		void *x = zt_db_rows_push(rows);
		if (!x) {
			zt_db_done(p);
			r = ZT_ENOMEM;
			break;
		}
		read(p, x);
	}
	if (r) {
		free(rows->items);
		rows->items = NULL;
		rows->n = 0;
	}
	return r;
}

/* ---- imports and entries ------------------------------------------------------------ */

static int import_start(struct zt_store *s, const char *file, const char *file_sha256,
                        int version, const char *msg_id, const char *actor, int64_t *row_out)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_need_write(q, "statement import");
	if (rc || (rc = zt_db_prepare(q, SQL_INSERT_ROW(q, SQL_IMPORT_START), &p)) != 0)
		return rc;
	zt_db_bind_text(p, 1, file);
	zt_db_bind_text(p, 2, file_sha256);
	zt_db_bind_int(p, 3, version);
	zt_db_bind_text(p, 4, msg_id);
	zt_db_bind_text(p, 5, zt_db_now(q));
	zt_db_bind_text(p, 6, actor);
	return zt_db_insert_row(q, p, "record import", row_out);
}

static int import_finish(struct zt_store *s, int64_t row, int64_t reported, int64_t stored,
                         int64_t known, int64_t not_booked)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_IMPORT_FINISH, &p);
	if (rc)
		return rc;
	zt_db_bind_int64(p, 1, row);
	zt_db_bind_int64(p, 2, reported);
	zt_db_bind_int64(p, 3, stored);
	zt_db_bind_int64(p, 4, known);
	zt_db_bind_int64(p, 5, not_booked);
	return zt_db_run(q, p, "record import counts");
}

static int account(struct zt_store *s, char out[64])
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	out[0] = '\0';
	int r = zt_db_prepare(q, SQL_ACCOUNT, &p);
	if (r || (r = zt_db_row(q, p, "read statement account")) <= 0)
		return r;
	zt_db_column_copy(out, 64, p, 0);
	zt_db_done(p);
	return 0;
}

/* The entry stored under e->ref: the same one seen again, or ZT_ECONFLICT. */
static int entry_known(struct zt_db *q, const struct zt_recon_entry *e, int64_t *row_out)
{
	struct zt_db_stmt *p;
	int r = zt_db_prepare(q, SQL_ENTRY_BY_REF, &p);
	if (r)
		return r;
	zt_db_bind_text(p, 1, e->ref);
	if ((r = zt_db_row(q, p, "read bank entry")) <= 0)
		return r < 0 ? r : zt_error_set(ZT_EINTERNAL, "bank entry '%s' vanished", e->ref);
	*row_out = zt_db_column_int64(p, 0);
	bool credit = zt_db_column_int(p, 1) != 0;
	zt_fen amount = zt_db_column_int64(p, 2);
	char currency[8];
	zt_db_column_copy(currency, sizeof currency, p, 3);
	zt_db_done(p);
	/* The same reference with another amount or direction is not the same
	 * entry seen again: refuse rather than choose one. */
	if (credit == e->credit && amount == e->amount && strcmp(currency, e->currency) == 0)
		return 0;
	char a[ZT_FMT_BYTES], b[ZT_FMT_BYTES];
	return zt_error_set(ZT_ECONFLICT, "bank reference '%s' was imported before as a %s of %s %s; "
	                    "this statement has a %s of %s %s", e->ref, credit ? "credit" : "debit",
	                    zt_format_amount(a, amount), currency, e->credit ? "credit" : "debit",
	                    zt_format_amount(b, e->amount), e->currency);
}

static int entry_put(struct zt_store *s, int64_t import_row, const struct zt_recon_entry *e,
                     int64_t *row_out, bool *was_new)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_INSERT_ROW(q, SQL_ENTRY_INSERT), &p);
	if (rc)
		return rc;
	zt_db_bind_text(p, 1, e->ref);
	zt_db_bind_int64(p, 2, import_row);
	zt_db_bind_text(p, 3, e->stmt_id);
	zt_db_bind_text(p, 4, e->account);
	zt_db_bind_text(p, 5, e->digest);
	zt_db_bind_int(p, 6, e->credit);
	zt_db_bind_int64(p, 7, e->amount);
	zt_db_bind_text(p, 8, e->currency);
	zt_db_bind_int(p, 9, e->booking_date);
	zt_db_bind_int(p, 10, e->value_date);
	zt_db_bind_int(p, 11, e->reversal);
	zt_db_bind_text(p, 12, e->end_to_end_id);
	zt_db_bind_text(p, 13, e->remittance);
	zt_db_bind_text(p, 14, e->tx_ref);
	if ((rc = zt_db_insert_row(q, p, "store bank entry", row_out)) != 0)
		return rc;
	*was_new = *row_out != 0; /* 0: ON CONFLICT DO NOTHING inserted nothing */
	if (*was_new)
		return 0;
	return entry_known(q, e, row_out);
}

static void read_entry(struct zt_db_stmt *p, void *item)
{
	struct zt_recon_entry *e = item;
	memset(e, 0, sizeof *e);
	e->row = zt_db_column_int64(p, 0);
	zt_db_column_copy(e->ref, sizeof e->ref, p, 1);
	zt_db_column_copy(e->stmt_id, sizeof e->stmt_id, p, 2);
	zt_db_column_copy(e->account, sizeof e->account, p, 3);
	zt_db_column_copy(e->digest, sizeof e->digest, p, 4);
	e->credit = zt_db_column_int(p, 5) != 0;
	e->amount = zt_db_column_int64(p, 6);
	zt_db_column_copy(e->currency, sizeof e->currency, p, 7);
	e->booking_date = zt_db_column_int(p, 8);
	e->value_date = zt_db_column_int(p, 9);
	e->reversal = zt_db_column_int(p, 10) != 0;
	zt_db_column_copy(e->end_to_end_id, sizeof e->end_to_end_id, p, 11);
	zt_db_column_copy(e->remittance, sizeof e->remittance, p, 12);
	zt_db_column_copy(e->tx_ref, sizeof e->tx_ref, p, 13);
}

static int entry_get(struct zt_store *s, int64_t row, struct zt_recon_entry *out)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int r = zt_db_prepare(q, SQL_ENTRY_GET, &p);
	if (r)
		return r;
	zt_db_bind_int64(p, 1, row);
	if ((r = zt_db_row(q, p, "read bank entry")) <= 0)
		return r ? r : zt_error_set(ZT_ENOTFOUND, "there is no bank entry #%lld", (long long)row);
	read_entry(p, out);
	zt_db_done(p);
	return 0;
}

static int open_entries(struct zt_store *s, int64_t before_row,
                        int (*cb)(void *ctx, const struct zt_recon_entry *e), void *ctx)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_OPEN_ENTRIES, &p);
	if (rc)
		return rc;
	zt_db_bind_int64(p, 1, before_row);
	struct zt_db_rows rows = {.size = sizeof(struct zt_recon_entry)};
	if ((rc = read_rows(q, p, "read open entries", read_entry, &rows)) != 0)
		return rc;
	const struct zt_recon_entry *e = rows.items;
	for (size_t i = 0; rc == 0 && i < rows.n; i++)
		rc = cb(ctx, &e[i]);
	free(rows.items);
	return rc;
}

/* ---- batches and advances ------------------------------------------------------------ */

static void read_batch(struct zt_db_stmt *p, void *item)
{
	struct zt_recon_batch *b = item;
	memset(b, 0, sizeof *b);
	zt_db_column_copy(b->id, sizeof b->id, p, 0);
	zt_db_column_copy(b->fund_code, sizeof b->fund_code, p, 1);
	b->status = (enum zt_batch_status)zt_db_column_name(p, 2, zt_batch_status_names, ZT_BATCH_STATUSES,
	                                              ZT_BATCH_DRAFT);
	b->total = zt_db_column_int64(p, 3);
	b->accepted_total = zt_db_column_int64(p, 4);
	b->paid = zt_db_column_int64(p, 5);
	b->exported = zt_db_column_int(p, 6);
	b->sent = zt_db_column_int(p, 7);
	b->returned = zt_db_column_int64(p, 8);
	b->answered = zt_db_column_int(p, 9) != 0;
	zt_db_column_copy(b->pool, sizeof b->pool, p, 10);
}

static int batch(struct zt_store *s, const char *id, struct zt_recon_batch *out)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int r = zt_db_prepare(q, SQL_BATCH, &p);
	if (r)
		return r;
	zt_db_bind_text(p, 1, id);
	if ((r = zt_db_row(q, p, "read batch")) <= 0)
		return r < 0 ? r : ZT_ENOTFOUND;
	read_batch(p, out);
	zt_db_done(p);
	return 0;
}

static int sent_batches(struct zt_store *s, zt_date sent_by,
                        int (*cb)(void *ctx, const struct zt_recon_batch *b), void *ctx)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_SENT_BATCHES, &p);
	if (rc)
		return rc;
	zt_db_bind_int(p, 1, sent_by);
	struct zt_db_rows rows = {.size = sizeof(struct zt_recon_batch)};
	if ((rc = read_rows(q, p, "read sent batches", read_batch, &rows)) != 0)
		return rc;
	const struct zt_recon_batch *b = rows.items;
	for (size_t i = 0; rc == 0 && i < rows.n; i++)
		rc = cb(ctx, &b[i]);
	free(rows.items);
	return rc;
}

static int advance_confirmed(struct zt_store *s, const char *advance_id, bool *out)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_ADVANCE_CONFIRMED, &p);
	if (rc)
		return rc;
	zt_db_bind_text(p, 1, advance_id);
	return one_bool(q, p, "read advance confirmation", out);
}

static void read_due_advance(struct zt_db_stmt *p, void *item)
{
	struct zt_advance *a = item;
	memset(a, 0, sizeof *a);
	a->row = zt_db_column_int64(p, 0);
	zt_db_column_copy(a->advance_id, sizeof a->advance_id, p, 1);
	zt_db_column_copy(a->hospital, sizeof a->hospital, p, 2);
	a->amount = zt_db_column_int64(p, 3);
	zt_db_column_copy(a->issued_at, sizeof a->issued_at, p, 4);
	a->execution_date = zt_db_column_int(p, 5);
}

static int due_advances(struct zt_store *s, zt_date executed_by,
                        int (*cb)(void *ctx, const struct zt_advance *a), void *ctx)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_DUE_ADVANCES, &p);
	if (rc)
		return rc;
	zt_db_bind_int(p, 1, executed_by);
	struct zt_db_rows rows = {.size = sizeof(struct zt_advance)};
	if ((rc = read_rows(q, p, "read due advances", read_due_advance, &rows)) != 0)
		return rc;
	const struct zt_advance *a = rows.items;
	for (size_t i = 0; rc == 0 && i < rows.n; i++)
		rc = cb(ctx, &a[i]);
	free(rows.items);
	return rc;
}

static void read_due_return(struct zt_db_stmt *p, void *item)
{
	struct zt_batch_return *x = item;
	memset(x, 0, sizeof *x);
	zt_db_column_copy(x->return_id, sizeof x->return_id, p, 0);
	zt_db_column_copy(x->batch_id, sizeof x->batch_id, p, 1);
	zt_db_column_copy(x->fund_code, sizeof x->fund_code, p, 2);
	x->amount = zt_db_column_int64(p, 3);
	zt_db_column_copy(x->at, sizeof x->at, p, 4);
	x->execution_date = zt_db_column_int(p, 5);
}

static int due_returns(struct zt_store *s, zt_date executed_by,
                       int (*cb)(void *ctx, const struct zt_batch_return *r), void *ctx)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_DUE_RETURNS, &p);
	if (rc)
		return rc;
	zt_db_bind_int(p, 1, executed_by);
	struct zt_db_rows rows = {.size = sizeof(struct zt_batch_return)};
	if ((rc = read_rows(q, p, "read due repayments", read_due_return, &rows)) != 0)
		return rc;
	const struct zt_batch_return *x = rows.items;
	for (size_t i = 0; rc == 0 && i < rows.n; i++)
		rc = cb(ctx, &x[i]);
	free(rows.items);
	return rc;
}

/* ---- matches ------------------------------------------------------------------------ */

static int match_put(struct zt_store *s, int64_t entry_row, const char *advance_id,
                     const char *return_id, int64_t exception_row, const char *actor,
                     int64_t *row_out)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_need_write(q, "match");
	if (rc || (rc = zt_db_prepare(q, SQL_INSERT_ROW(q, SQL_MATCH_INSERT), &p)) != 0)
		return rc;
	if (entry_row > 0)
		zt_db_bind_int64(p, 1, entry_row);
	zt_db_bind_opt(p, 2, advance_id);
	if (exception_row > 0)
		zt_db_bind_int64(p, 3, exception_row);
	zt_db_bind_text(p, 4, zt_db_now(q));
	zt_db_bind_text(p, 5, actor);
	zt_db_bind_opt(p, 6, return_id);
	return zt_db_insert_row(q, p, "record match", row_out);
}

static int alloc_put(struct zt_store *s, int64_t match_row, const char *batch_id, zt_fen amount,
                     zt_fen written_off)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_ALLOC_INSERT, &p);
	if (rc)
		return rc;
	zt_db_bind_int64(p, 1, match_row);
	zt_db_bind_text(p, 2, batch_id);
	zt_db_bind_int64(p, 3, amount);
	zt_db_bind_int64(p, 4, written_off);
	return zt_db_run(q, p, "record match part");
}

/* ---- exceptions ----------------------------------------------------------------------- */

static int exception_put(struct zt_store *s, struct zt_recon_exception *x)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int r = zt_db_need_write(q, "exception");
	if (r || (r = zt_db_prepare(q, SQL_EXC_NEXT, &p)) != 0)
		return r;
	if ((r = zt_db_row(q, p, "number exception")) != 1)
		return r ? r : zt_error_set(ZT_EINTERNAL, "MAX gave no row");
	/* the write lock is held: the next number is ours (G1, G7) */
	x->row = zt_db_column_int64(p, 0);
	zt_db_done(p);
	snprintf(x->exc_id, sizeof x->exc_id, "EXC-%06lld", (long long)x->row);
	snprintf(x->raised_at, sizeof x->raised_at, "%s", zt_db_now(q));
	if ((r = zt_db_prepare(q, SQL_EXC_INSERT, &p)) != 0)
		return r;
	zt_db_bind_int64(p, 1, x->row);
	zt_db_bind_text(p, 2, x->exc_id);
	zt_db_bind_text(p, 3, zt_recon_kind_names[x->kind]);
	if (x->entry_row > 0)
		zt_db_bind_int64(p, 4, x->entry_row);
	zt_db_bind_opt(p, 5, x->batch_id);
	zt_db_bind_opt(p, 6, x->advance_id);
	zt_db_bind_int64(p, 7, x->amount);
	zt_db_bind_int(p, 8, x->since);
	zt_db_bind_text(p, 9, x->detail);
	zt_db_bind_text(p, 10, x->raised_at);
	zt_db_bind_text(p, 11, x->raised_by);
	zt_db_bind_opt(p, 12, x->return_id);
	return zt_db_run(q, p, "record exception");
}

static void read_exception(struct zt_db_stmt *p, struct zt_recon_exception *x)
{
	memset(x, 0, sizeof *x);
	x->row = zt_db_column_int64(p, 0);
	zt_db_column_copy(x->exc_id, sizeof x->exc_id, p, 1);
	x->kind = (enum zt_recon_kind)zt_db_column_name(p, 2, zt_recon_kind_names, ZT_RECON_KINDS,
	                                          ZT_RECON_UNKNOWN);
	x->entry_row = zt_db_column_int64(p, 3);
	zt_db_column_copy(x->entry_ref, sizeof x->entry_ref, p, 4);
	x->credit = zt_db_column_int(p, 5) != 0;
	x->booking_date = zt_db_column_int(p, 6);
	zt_db_column_copy(x->batch_id, sizeof x->batch_id, p, 7);
	zt_db_column_copy(x->advance_id, sizeof x->advance_id, p, 8);
	x->amount = zt_db_column_int64(p, 9);
	x->since = zt_db_column_int(p, 10);
	zt_db_column_copy(x->detail, sizeof x->detail, p, 11);
	zt_db_column_copy(x->raised_at, sizeof x->raised_at, p, 12);
	zt_db_column_copy(x->raised_by, sizeof x->raised_by, p, 13);
	x->resolved = !zt_db_column_null(p, 14);
	if (x->resolved)
		x->resolution = (enum zt_recon_resolution)zt_db_column_name(
			p, 14, zt_recon_resolution_names, ZT_RECON_RESOLUTIONS, ZT_RECON_ACCEPT);
	zt_db_column_copy(x->target, sizeof x->target, p, 15);
	zt_db_column_copy(x->note, sizeof x->note, p, 16);
	zt_db_column_copy(x->resolved_at, sizeof x->resolved_at, p, 17);
	zt_db_column_copy(x->resolved_by, sizeof x->resolved_by, p, 18);
	zt_db_column_copy(x->return_id, sizeof x->return_id, p, 19);
	zt_db_column_copy(x->account, sizeof x->account, p, 20);
	zt_db_column_copy(x->subject_pool, sizeof x->subject_pool, p, 21);
}

static int exception_get(struct zt_store *s, const char *exc_id, struct zt_recon_exception *out)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int r = zt_db_prepare(q, SQL_EXC_GET, &p);
	if (r)
		return r;
	zt_db_bind_text(p, 1, exc_id);
	if ((r = zt_db_row(q, p, "read exception")) <= 0)
		return r ? r : zt_error_set(ZT_ENOTFOUND, "there is no exception '%s'", exc_id);
	read_exception(p, out);
	zt_db_done(p);
	return 0;
}

static int due_exists(struct zt_store *s, enum zt_recon_kind kind, const char *batch_id,
                      const char *advance_id, const char *return_id, bool *out)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_DUE_EXISTS, &p);
	if (rc)
		return rc;
	zt_db_bind_text(p, 1, zt_recon_kind_names[kind]);
	zt_db_bind_opt(p, 2, batch_id);
	zt_db_bind_opt(p, 3, advance_id);
	zt_db_bind_opt(p, 4, return_id);
	return one_bool(q, p, "read exceptions", out);
}

static int resolution_put(struct zt_store *s, int64_t exception_row, enum zt_recon_resolution r,
                          const char *target, const char *note, const char *actor)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_need_write(q, "resolution");
	if (rc || (rc = zt_db_prepare(q, SQL_RES_INSERT, &p)) != 0)
		return rc;
	zt_db_bind_int64(p, 1, exception_row);
	zt_db_bind_text(p, 2, zt_recon_resolution_names[r]);
	zt_db_bind_opt(p, 3, target);
	zt_db_bind_text(p, 4, note);
	zt_db_bind_text(p, 5, zt_db_now(q));
	zt_db_bind_text(p, 6, actor);
	return zt_db_run(q, p, "record resolution");
}

static int settle_due(struct zt_store *s, int kind, const char *batch_id, const char *advance_id,
                      const char *return_id, const char *note, const char *actor,
                      int64_t *closed_out)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_SETTLE_DUE, &p);
	if (rc)
		return rc;
	zt_db_bind_text(p, 1, kind < 0 ? NULL : zt_recon_kind_names[kind]);
	zt_db_bind_opt(p, 2, batch_id);
	zt_db_bind_opt(p, 3, advance_id);
	zt_db_bind_text(p, 4, note);
	zt_db_bind_text(p, 5, zt_db_now(q));
	zt_db_bind_text(p, 6, actor);
	zt_db_bind_opt(p, 7, return_id);
	if ((rc = zt_db_run(q, p, "close exceptions")) == 0 && closed_out)
		*closed_out = zt_db_changes(q);
	return rc;
}

static int due_open(struct zt_store *s, bool *out)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_DUE_OPEN, &p);
	return rc ? rc : one_bool(q, p, "read open exceptions", out);
}

static int exceptions(struct zt_store *s, bool open_only,
                      int (*cb)(void *ctx, const struct zt_recon_exception *x), void *ctx)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_EXC_ALL, &p), r;
	if (rc)
		return rc;
	zt_db_bind_int(p, 1, open_only);
	struct zt_recon_exception *x = malloc(sizeof *x);
	if (!x)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	while ((r = zt_db_row(q, p, "read exceptions")) == 1) {
		read_exception(p, x);
		if ((rc = cb(ctx, x)) != 0)
			break;
	}
	zt_db_done(p);
	free(x);
	return rc ? rc : r;
}

/* ---- report --------------------------------------------------------------------------- */

static int report_funds(struct zt_store *s,
                        int (*cb)(void *ctx, const struct zt_recon_fund_line *f), void *ctx)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_REPORT_FUNDS, &p), r;
	if (rc)
		return rc;
	struct zt_recon_fund_line f;
	while ((r = zt_db_row(q, p, "report funds")) == 1) {
		memset(&f, 0, sizeof f);
		zt_db_column_copy(f.fund_code, sizeof f.fund_code, p, 0);
		zt_db_column_copy(f.fund_name, sizeof f.fund_name, p, 1);
		f.billed = zt_db_column_int64(p, 2);
		f.paid = zt_db_column_int64(p, 3);
		f.written_off = zt_db_column_int64(p, 4);
		f.open_batches = zt_db_column_int64(p, 5);
		f.oldest_sent = zt_db_column_int(p, 6);
		f.ledger = zt_db_column_int64(p, 7);
		f.returned = zt_db_column_int64(p, 8);
		zt_db_column_copy(f.pool, sizeof f.pool, p, 9);
		if ((rc = cb(ctx, &f)) != 0)
			break;
	}
	zt_db_done(p);
	return rc ? rc : r;
}

static int confirmed(struct zt_store *s, const char *hospital, zt_fen *out)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int r = zt_db_prepare(q, SQL_CONFIRMED, &p);
	if (r)
		return r;
	zt_db_bind_text(p, 1, hospital);
	if ((r = zt_db_row(q, p, "report confirmed advances")) != 1)
		return r ? r : zt_error_set(ZT_EINTERNAL, "SUM gave no row");
	*out = zt_db_column_int64(p, 0);
	zt_db_done(p);
	return 0;
}

static int report_open(struct zt_store *s,
                       int (*cb)(void *ctx, const struct zt_recon_open_line *o), void *ctx)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_REPORT_OPEN, &p), r;
	if (rc)
		return rc;
	struct zt_recon_open_line o;
	while ((r = zt_db_row(q, p, "report open entries")) == 1) {
		memset(&o, 0, sizeof o);
		zt_db_column_copy(o.ref, sizeof o.ref, p, 0);
		o.credit = zt_db_column_int(p, 1) != 0;
		o.amount = zt_db_column_int64(p, 2);
		o.booking_date = zt_db_column_int(p, 3);
		zt_db_column_copy(o.remittance, sizeof o.remittance, p, 4);
		zt_db_column_copy(o.account, sizeof o.account, p, 5);
		if ((rc = cb(ctx, &o)) != 0)
			break;
	}
	zt_db_done(p);
	return rc ? rc : r;
}

static int report_days(struct zt_store *s, int (*cb)(void *ctx, const struct zt_recon_day *d),
                       void *ctx)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_REPORT_DAYS, &p), r;
	if (rc)
		return rc;
	while ((r = zt_db_row(q, p, "report days")) == 1) {
		struct zt_recon_day d = {.day = zt_db_column_int(p, 0),
		                         .billed = zt_db_column_int64(p, 1),
		                         .paid = zt_db_column_int64(p, 2)};
		zt_db_column_copy(d.pool, sizeof d.pool, p, 3);
		if ((rc = cb(ctx, &d)) != 0)
			break;
	}
	zt_db_done(p);
	return rc ? rc : r;
}

const struct zt_store_bank_ops zt_db_bank_ops = {
	.import_start = import_start,
	.import_finish = import_finish,
	.account = account,
	.entry_put = entry_put,
	.entry_get = entry_get,
	.open_entries = open_entries,
	.batch = batch,
	.advance_confirmed = advance_confirmed,
	.match_put = match_put,
	.alloc_put = alloc_put,
	.exception_put = exception_put,
	.exception_get = exception_get,
	.due_exists = due_exists,
	.resolution_put = resolution_put,
	.settle_due = settle_due,
	.due_open = due_open,
	.exceptions = exceptions,
	.sent_batches = sent_batches,
	.due_advances = due_advances,
	.due_returns = due_returns,
	.report_funds = report_funds,
	.confirmed = confirmed,
	.report_open = report_open,
	.report_days = report_days,
};
