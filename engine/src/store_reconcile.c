/* zhitong — the store's reconciliation part (docs/spec/money-flow.md
 * "Reconciliation"; see reconcile.h and schema/sqlite/004-reconcile.sql).
 * Every SQL statement of the reconciliation is in this file.
 *
 * An import may match 100,000 entries in one transaction, so the
 * statements live in a struct zt_recon_db for the length of one operation
 * and are prepared once each. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "zhitong/error.h"
#include "zhitong/reconcile.h"

/* A stored UTC timestamp as its pool-local day (store_sqlite.c): "2024-02-29T16:30:00Z"
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
	"COALESCE(r.actor, ''), COALESCE(x.return_id, '') FROM recon_exception x "               \
	"LEFT JOIN bank_entry e ON e.id = x.entry_id "                                           \
	"LEFT JOIN recon_resolution r ON r.exception_id = x.id "

/* The first time a batch went to the payer. */
#define SENT_AT(b)                                                                             \
	"(SELECT MIN(ev.at) FROM batch_event ev WHERE ev.batch_id = " b " AND ev.status_to = 'sent')"

/* What a batch is due: its accepted total once the payer answered, else its
 * total (zt_batch_due, batch.h). */
#define BATCH_DUE(b)                                                                           \
	"CASE WHEN " b ".accepted_total IS NULL THEN " b ".total ELSE " b ".accepted_total END"
/* What it still owes (zt_batch_owes): < 0 when the pool owes the fund. */
#define BATCH_OWES(b) "(" BATCH_DUE(b) ") - " b ".paid + " b ".returned"

enum stmt {
	S_IMPORT_START,
	S_IMPORT_FINISH,
	S_ACCOUNT,
	S_ENTRY_INSERT,
	S_ENTRY_BY_REF,
	S_ENTRY_GET,
	S_OPEN_ENTRIES,
	S_BATCH,
	S_ADVANCE_CONFIRMED,
	S_MATCH_INSERT,
	S_ALLOC_INSERT,
	S_EXC_NEXT,
	S_EXC_INSERT,
	S_EXC_GET,
	S_EXC_ALL,
	S_DUE_EXISTS,
	S_RES_INSERT,
	S_SETTLE_DUE,
	S_DUE_OPEN,
	S_DUE_BATCHES,
	S_DUE_ADVANCES,
	S_DUE_RETURNS,
	S_REPORT_FUNDS,
	S_CONFIRMED,
	S_REPORT_OPEN,
	S_REPORT_DAYS,
	S_COUNT
};

static const char *const stmt_sql[S_COUNT] = {
	[S_IMPORT_START] = "INSERT INTO bank_import (file, file_sha256, version, msg_id, at, actor) "
	                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[S_IMPORT_FINISH] = "UPDATE bank_import SET reported = ?2, stored = ?3, known = ?4, "
	                    "not_booked = ?5 WHERE id = ?1",
	[S_ACCOUNT] = "SELECT account FROM bank_entry ORDER BY id LIMIT 1",
	[S_ENTRY_INSERT] =
		"INSERT INTO bank_entry (ref, import_id, stmt_id, account, digest, credit, amount, "
		"currency, booking_date, value_date, reversal, end_to_end_id, remittance, tx_ref) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) "
		"ON CONFLICT (ref) DO NOTHING",
	[S_ENTRY_BY_REF] = "SELECT id, credit, amount, currency FROM bank_entry WHERE ref = ?1",
	[S_ENTRY_GET] = "SELECT " ENTRY_COLUMNS "FROM bank_entry e WHERE e.id = ?1",
	[S_OPEN_ENTRIES] = "SELECT " ENTRY_COLUMNS "FROM bank_entry e WHERE e.id < ?1 AND "
	                   ENTRY_IS_OPEN "ORDER BY e.id",
	/* read for every credit: no sub-select for the sent day, which only
	 * the overdue listing (S_DUE_BATCHES) needs */
	[S_BATCH] = "SELECT b.id, b.fund_code, b.status, " BATCH_DUE("b") ", b.paid, "
	            "COALESCE(" SQL_DAY("b.exported_at") ", 0), 0, b.returned, "
	            "b.accepted_total IS NOT NULL FROM batch b WHERE b.id = ?1",
	[S_ADVANCE_CONFIRMED] = "SELECT EXISTS (SELECT 1 FROM recon_match WHERE advance_id = ?1)",
	[S_MATCH_INSERT] = "INSERT INTO recon_match (entry_id, advance_id, exception_id, at, actor, "
	                   "return_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[S_ALLOC_INSERT] = "INSERT INTO recon_alloc (match_id, batch_id, amount, written_off) "
	                   "VALUES (?1, ?2, ?3, ?4)",
	[S_EXC_NEXT] = "SELECT COALESCE(MAX(id), 0) + 1 FROM recon_exception",
	[S_EXC_INSERT] = "INSERT INTO recon_exception (id, exc_id, kind, entry_id, batch_id, "
	                 "advance_id, amount, since, detail, raised_at, raised_by, return_id) "
	                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
	[S_EXC_GET] = "SELECT " EXCEPTION_COLUMNS "WHERE x.exc_id = ?1",
	[S_EXC_ALL] = "SELECT " EXCEPTION_COLUMNS "WHERE ?1 = 0 OR r.exception_id IS NULL "
	              "ORDER BY x.id",
	[S_DUE_EXISTS] = "SELECT EXISTS (SELECT 1 FROM recon_exception WHERE entry_id IS NULL "
	                 "AND kind = ?1 AND COALESCE(batch_id, '') = COALESCE(?2, '') "
	                 "AND COALESCE(advance_id, '') = COALESCE(?3, '') "
	                 "AND COALESCE(return_id, '') = COALESCE(?4, ''))",
	[S_RES_INSERT] = "INSERT INTO recon_resolution (exception_id, resolution, target, note, at, "
	                 "actor) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[S_SETTLE_DUE] =
		"INSERT INTO recon_resolution (exception_id, resolution, target, note, at, actor) "
		"SELECT x.id, 'settled', NULL, ?4, ?5, ?6 FROM recon_exception x "
		"WHERE x.entry_id IS NULL AND (?1 IS NULL OR x.kind = ?1) "
		"AND ((?2 IS NOT NULL AND x.batch_id = ?2 AND x.return_id IS NULL) "
		"OR (?3 IS NOT NULL AND x.advance_id = ?3) OR (?7 IS NOT NULL AND x.return_id = ?7)) "
		"AND NOT EXISTS (SELECT 1 FROM recon_resolution r WHERE r.exception_id = x.id)",
	[S_DUE_OPEN] = "SELECT EXISTS (SELECT 1 FROM recon_exception x WHERE x.entry_id IS NULL "
	               "AND NOT EXISTS (SELECT 1 FROM recon_resolution r WHERE r.exception_id = x.id))",
	[S_DUE_BATCHES] =
		"SELECT * FROM (SELECT b.id, b.fund_code, b.status, " BATCH_DUE("b") " AS due, b.paid, "
		"COALESCE(" SQL_DAY("b.exported_at") ", 0), COALESCE(" SQL_DAY(SENT_AT("b.id"))
		", 0) AS sent, b.returned, b.accepted_total IS NOT NULL, " BATCH_OWES("b") " AS owes "
		"FROM batch b WHERE b.status IN ('sent', 'accepted', 'part-paid')) "
		"WHERE sent > 0 AND sent <= ?1 AND owes > 0 ORDER BY sent, id",
	[S_DUE_ADVANCES] =
		"SELECT a.id, a.advance_id, a.hospital, a.amount, a.issued_at, a.execution_date "
		"FROM advance a WHERE a.execution_date <= ?1 AND NOT EXISTS (SELECT 1 FROM recon_match m "
		"WHERE m.advance_id = a.advance_id) ORDER BY a.id",
	[S_DUE_RETURNS] =
		"SELECT r.return_id, r.batch_id, b.fund_code, r.amount, r.at, r.execution_date "
		"FROM batch_return r JOIN batch b ON b.id = r.batch_id WHERE r.kind = 'repay' "
		"AND r.execution_date <= ?1 AND NOT EXISTS (SELECT 1 FROM recon_match m "
		"WHERE m.return_id = r.return_id) ORDER BY r.id",
	/* returned: what the pool paid back (repaid or netted); a batch is open
	 * while it owes, or is owed, anything */
	[S_REPORT_FUNDS] =
		"WITH al AS (SELECT batch_id, SUM(amount) AS paid, SUM(written_off) AS wo "
		"  FROM recon_alloc GROUP BY batch_id), "
		"bb AS (SELECT b.fund_code, " BATCH_DUE("b") " AS due, COALESCE(al.paid, 0) AS paid, "
		"  COALESCE(al.wo, 0) AS wo, b.returned AS returned, " SENT_AT("b.id") " AS sent_at "
		"  FROM batch b LEFT JOIN al ON al.batch_id = b.id "
		"  WHERE b.status IN ('sent', 'accepted', 'part-paid', 'paid')) "
		"SELECT f.code, f.name, COALESCE(SUM(bb.due), 0), COALESCE(SUM(bb.paid), 0), "
		"COALESCE(SUM(bb.wo), 0), "
		"COALESCE(SUM(CASE WHEN bb.due - bb.paid - bb.wo + bb.returned != 0 THEN 1 ELSE 0 END), 0), "
		"COALESCE(MIN(CASE WHEN bb.due - bb.paid - bb.wo + bb.returned != 0 THEN "
		SQL_DAY("bb.sent_at") " END), 0), "
		"COALESCE((SELECT balance FROM account WHERE name = 'fund:' || f.code), 0), "
		"COALESCE(SUM(bb.returned), 0) "
		"FROM fund f LEFT JOIN bb ON bb.fund_code = f.code GROUP BY f.code ORDER BY f.code",
	[S_CONFIRMED] = "SELECT COALESCE(SUM(a.amount), 0) FROM advance a JOIN recon_match m "
	                "ON m.advance_id = a.advance_id WHERE a.hospital = ?1",
	[S_REPORT_OPEN] = "SELECT e.ref, e.credit, e.amount, e.booking_date, e.remittance "
	                  "FROM bank_entry e WHERE " ENTRY_IS_OPEN "ORDER BY e.id",
	[S_REPORT_DAYS] =
		"WITH billed AS (SELECT " SQL_DAY(SENT_AT("b.id")) " AS day, SUM(" BATCH_DUE("b") ") AS v "
		"  FROM batch b WHERE b.status IN ('sent', 'accepted', 'part-paid', 'paid') GROUP BY 1), "
		"paid AS (SELECT e.booking_date AS day, SUM(a.amount) AS v FROM recon_alloc a "
		"  JOIN recon_match m ON m.id = a.match_id JOIN bank_entry e ON e.id = m.entry_id "
		"  GROUP BY 1), "
		"days AS (SELECT day FROM billed WHERE day IS NOT NULL UNION SELECT day FROM paid) "
		"SELECT d.day, COALESCE(b.v, 0), COALESCE(p.v, 0) FROM days d "
		"LEFT JOIN billed b ON b.day = d.day LEFT JOIN paid p ON p.day = d.day ORDER BY d.day",
};

struct zt_recon_db {
	struct zt_store *s;
	sqlite3 *db;
};

/* ---- helpers --------------------------------------------------------- */

static int db_fail(struct zt_recon_db *d, const char *what)
{
	int ec = sqlite3_errcode(d->db);
	int code = (ec == SQLITE_BUSY || ec == SQLITE_LOCKED) ? ZT_EBUSY : ZT_EIO;
	if (ec == SQLITE_CONSTRAINT)
		code = ZT_EINTERNAL; /* a guard of the schema fired: a bug */
	if (ec == SQLITE_ERROR && strcmp(sqlite3_errmsg(d->db), "integer overflow") == 0)
		code = ZT_ERANGE; /* SUM() past int64: refused, never rounded */
	return zt_error_set(code, "database: %s: %s", what, sqlite3_errmsg(d->db));
}

/* Statements come from the connection's cache (store_sqlite.c), reset and
 * with their bindings cleared: prepared once per connection. */
static sqlite3_stmt *st(struct zt_recon_db *d, enum stmt id)
{
	sqlite3_stmt *p = NULL;
	if (zt_store_stmt(d->s, stmt_sql[id], &p) != 0) {
		db_fail(d, "prepare");
		return NULL;
	}
	return p;
}

static void bind_text(sqlite3_stmt *p, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(p, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(p, i);
}

/* "" binds NULL: the optional references of the schema. */
static void bind_opt(sqlite3_stmt *p, int i, const char *v)
{
	bind_text(p, i, v && v[0] ? v : NULL);
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

/* Runs a statement that returns no rows. */
static int run(struct zt_recon_db *d, sqlite3_stmt *p, const char *what)
{
	if (!p)
		return ZT_EIO;
	int rc = sqlite3_step(p) == SQLITE_DONE ? 0 : db_fail(d, what);
	sqlite3_reset(p);
	return rc;
}

/* Steps a statement expected to give one row: 1 with the row, 0 without. */
static int one_row(struct zt_recon_db *d, sqlite3_stmt *p, const char *what)
{
	if (!p)
		return ZT_EIO;
	int step = sqlite3_step(p);
	if (step == SQLITE_ROW)
		return 1;
	int rc = step == SQLITE_DONE ? 0 : db_fail(d, what);
	sqlite3_reset(p);
	return rc;
}

static int need_txn(struct zt_recon_db *d, const char *what)
{
	if (!zt_store_in_txn(d->s))
		return zt_error_set(ZT_EINTERNAL, "%s outside a transaction", what);
	return 0;
}

/* ---- session --------------------------------------------------------- */

int zt_store_recon_open(struct zt_store *s, struct zt_recon_db **out)
{
	struct zt_recon_db *d = calloc(1, sizeof *d);
	if (!d)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	d->s = s;
	d->db = zt_store_db(s);
	*out = d;
	return 0;
}

void zt_store_recon_close(struct zt_recon_db *d)
{
	if (!d)
		return;
	/* the statements stay in the connection's cache; none may stay open
	 * holding a read snapshot */
	for (int i = 0; i < S_COUNT; i++) {
		sqlite3_stmt *p = NULL;
		if (zt_store_stmt_peek(d->s, stmt_sql[i], &p) == 0 && p)
			sqlite3_reset(p);
	}
	free(d);
}

/* ---- imports and entries ----------------------------------------------- */

int zt_store_recon_import_start(struct zt_recon_db *d, const char *file, const char *file_sha256,
                                int version, const char *msg_id, const char *actor,
                                int64_t *row_out)
{
	int rc = need_txn(d, "statement import");
	sqlite3_stmt *p = rc ? NULL : st(d, S_IMPORT_START);
	if (rc || !p)
		return rc ? rc : ZT_EIO;
	bind_text(p, 1, file);
	bind_text(p, 2, file_sha256);
	sqlite3_bind_int(p, 3, version);
	bind_text(p, 4, msg_id);
	bind_text(p, 5, zt_store_now(d->s));
	bind_text(p, 6, actor);
	if ((rc = run(d, p, "record import")) == 0)
		*row_out = sqlite3_last_insert_rowid(d->db);
	return rc;
}

int zt_store_recon_import_finish(struct zt_recon_db *d, int64_t row, int64_t reported,
                                 int64_t stored, int64_t known, int64_t not_booked)
{
	sqlite3_stmt *p = st(d, S_IMPORT_FINISH);
	if (!p)
		return ZT_EIO;
	sqlite3_bind_int64(p, 1, row);
	sqlite3_bind_int64(p, 2, reported);
	sqlite3_bind_int64(p, 3, stored);
	sqlite3_bind_int64(p, 4, known);
	sqlite3_bind_int64(p, 5, not_booked);
	return run(d, p, "record import counts");
}

int zt_store_recon_account(struct zt_recon_db *d, char out[64])
{
	sqlite3_stmt *p = st(d, S_ACCOUNT);
	out[0] = '\0';
	int r = one_row(d, p, "read statement account");
	if (r <= 0)
		return r;
	copy_col(out, 64, p, 0);
	sqlite3_reset(p);
	return 0;
}

int zt_store_recon_entry_put(struct zt_recon_db *d, int64_t import_row,
                             const struct zt_recon_entry *e, int64_t *row_out, bool *was_new)
{
	sqlite3_stmt *p = st(d, S_ENTRY_INSERT);
	if (!p)
		return ZT_EIO;
	bind_text(p, 1, e->ref);
	sqlite3_bind_int64(p, 2, import_row);
	bind_text(p, 3, e->stmt_id);
	bind_text(p, 4, e->account);
	bind_text(p, 5, e->digest);
	sqlite3_bind_int(p, 6, e->credit);
	sqlite3_bind_int64(p, 7, e->amount);
	bind_text(p, 8, e->currency);
	sqlite3_bind_int(p, 9, e->booking_date);
	sqlite3_bind_int(p, 10, e->value_date);
	sqlite3_bind_int(p, 11, e->reversal);
	bind_text(p, 12, e->end_to_end_id);
	bind_text(p, 13, e->remittance);
	bind_text(p, 14, e->tx_ref);
	int rc = run(d, p, "store bank entry");
	if (rc)
		return rc;
	if (sqlite3_changes(d->db) == 1) {
		*row_out = sqlite3_last_insert_rowid(d->db);
		*was_new = true;
		return 0;
	}
	*was_new = false;
	p = st(d, S_ENTRY_BY_REF);
	if (!p)
		return ZT_EIO;
	bind_text(p, 1, e->ref);
	int r = one_row(d, p, "read bank entry");
	if (r <= 0)
		return r < 0 ? r : zt_error_set(ZT_EINTERNAL, "bank entry '%s' vanished", e->ref);
	*row_out = sqlite3_column_int64(p, 0);
	bool credit = sqlite3_column_int(p, 1) != 0;
	zt_fen amount = sqlite3_column_int64(p, 2);
	char currency[8];
	copy_col(currency, sizeof currency, p, 3);
	sqlite3_reset(p);
	/* The same reference with another amount or direction is not the same
	 * entry seen again: refuse rather than choose one. */
	if (credit != e->credit || amount != e->amount || strcmp(currency, e->currency) != 0) {
		char a[ZT_FMT_BYTES], b[ZT_FMT_BYTES];
		return zt_error_set(ZT_ECONFLICT,
		                    "bank reference '%s' was imported before as a %s of %s %s; this "
		                    "statement has a %s of %s %s",
		                    e->ref, credit ? "credit" : "debit", zt_format_amount(a, amount),
		                    currency, e->credit ? "credit" : "debit",
		                    zt_format_amount(b, e->amount), e->currency);
	}
	return 0;
}

static void read_entry(sqlite3_stmt *p, struct zt_recon_entry *e)
{
	memset(e, 0, sizeof *e);
	e->row = sqlite3_column_int64(p, 0);
	copy_col(e->ref, sizeof e->ref, p, 1);
	copy_col(e->stmt_id, sizeof e->stmt_id, p, 2);
	copy_col(e->account, sizeof e->account, p, 3);
	copy_col(e->digest, sizeof e->digest, p, 4);
	e->credit = sqlite3_column_int(p, 5) != 0;
	e->amount = sqlite3_column_int64(p, 6);
	copy_col(e->currency, sizeof e->currency, p, 7);
	e->booking_date = sqlite3_column_int(p, 8);
	e->value_date = sqlite3_column_int(p, 9);
	e->reversal = sqlite3_column_int(p, 10) != 0;
	copy_col(e->end_to_end_id, sizeof e->end_to_end_id, p, 11);
	copy_col(e->remittance, sizeof e->remittance, p, 12);
	copy_col(e->tx_ref, sizeof e->tx_ref, p, 13);
}

int zt_store_recon_entry_get(struct zt_recon_db *d, int64_t row, struct zt_recon_entry *out)
{
	sqlite3_stmt *p = st(d, S_ENTRY_GET);
	if (!p)
		return ZT_EIO;
	sqlite3_bind_int64(p, 1, row);
	int r = one_row(d, p, "read bank entry");
	if (r < 0)
		return r;
	if (r == 0)
		return zt_error_set(ZT_ENOTFOUND, "there is no bank entry #%lld", (long long)row);
	read_entry(p, out);
	sqlite3_reset(p);
	return 0;
}

/* Reads every row of `p` into a growing array (so that callbacks run with
 * no statement open and may write). */
struct rows {
	void *items;
	size_t n, cap, size;
};

static void *rows_push(struct rows *r)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		void *q = realloc(r->items, cap * r->size);
		if (!q) {
			zt_error_set(ZT_ENOMEM, "out of memory");
			return NULL;
		}
		r->items = q;
		r->cap = cap;
	}
	return (char *)r->items + r->size * r->n++;
}

int zt_store_recon_open_entries(struct zt_recon_db *d, int64_t before_row,
                                int (*cb)(void *ctx, const struct zt_recon_entry *e), void *ctx)
{
	struct rows r = {.size = sizeof(struct zt_recon_entry)};
	sqlite3_stmt *p = st(d, S_OPEN_ENTRIES);
	int rc = 0, step;
	if (!p)
		return ZT_EIO;
	sqlite3_bind_int64(p, 1, before_row);
	while ((step = sqlite3_step(p)) == SQLITE_ROW) {
		struct zt_recon_entry *e = rows_push(&r);
		if (!e) {
			rc = ZT_ENOMEM;
			goto done;
		}
		read_entry(p, e);
	}
	if (step != SQLITE_DONE) {
		rc = db_fail(d, "read open entries");
		goto done;
	}
	sqlite3_reset(p);
	for (size_t i = 0; i < r.n && rc == 0; i++)
		rc = cb(ctx, (struct zt_recon_entry *)r.items + i);
done:
	sqlite3_reset(p);
	free(r.items);
	return rc;
}

/* ---- batches and advances ------------------------------------------------ */

static void read_batch(sqlite3_stmt *p, struct zt_recon_batch *b)
{
	memset(b, 0, sizeof *b);
	copy_col(b->id, sizeof b->id, p, 0);
	copy_col(b->fund_code, sizeof b->fund_code, p, 1);
	if (zt_batch_status_parse(&b->status, col_text(p, 2)) != 0)
		b->status = ZT_BATCH_DRAFT; /* the schema's CHECK makes this unreachable */
	b->due = sqlite3_column_int64(p, 3);
	b->paid = sqlite3_column_int64(p, 4);
	b->exported = sqlite3_column_int(p, 5);
	b->sent = sqlite3_column_int(p, 6);
	b->returned = sqlite3_column_int64(p, 7);
	b->answered = sqlite3_column_int(p, 8) != 0;
}

int zt_store_recon_batch(struct zt_recon_db *d, const char *id, struct zt_recon_batch *out)
{
	sqlite3_stmt *p = st(d, S_BATCH);
	if (!p)
		return ZT_EIO;
	bind_text(p, 1, id);
	int r = one_row(d, p, "read batch");
	if (r <= 0)
		return r < 0 ? r : ZT_ENOTFOUND;
	read_batch(p, out);
	sqlite3_reset(p);
	return 0;
}

int zt_store_recon_advance_confirmed(struct zt_recon_db *d, const char *advance_id, bool *out)
{
	sqlite3_stmt *p = st(d, S_ADVANCE_CONFIRMED);
	if (!p)
		return ZT_EIO;
	bind_text(p, 1, advance_id);
	int r = one_row(d, p, "read advance confirmation");
	if (r <= 0)
		return r < 0 ? r : zt_error_set(ZT_EINTERNAL, "EXISTS gave no row");
	*out = sqlite3_column_int(p, 0) != 0;
	sqlite3_reset(p);
	return 0;
}

/* ---- matches --------------------------------------------------------------- */

int zt_store_recon_match_put(struct zt_recon_db *d, int64_t entry_row, const char *advance_id,
                             const char *return_id, int64_t exception_row, const char *actor,
                             int64_t *row_out)
{
	int rc = need_txn(d, "match");
	sqlite3_stmt *p = rc ? NULL : st(d, S_MATCH_INSERT);
	if (rc || !p)
		return rc ? rc : ZT_EIO;
	if (entry_row > 0)
		sqlite3_bind_int64(p, 1, entry_row);
	bind_opt(p, 2, advance_id);
	if (exception_row > 0)
		sqlite3_bind_int64(p, 3, exception_row);
	bind_text(p, 4, zt_store_now(d->s));
	bind_text(p, 5, actor);
	bind_opt(p, 6, return_id);
	if ((rc = run(d, p, "record match")) == 0)
		*row_out = sqlite3_last_insert_rowid(d->db);
	return rc;
}

int zt_store_recon_alloc_put(struct zt_recon_db *d, int64_t match_row, const char *batch_id,
                             zt_fen amount, zt_fen written_off)
{
	sqlite3_stmt *p = st(d, S_ALLOC_INSERT);
	if (!p)
		return ZT_EIO;
	sqlite3_bind_int64(p, 1, match_row);
	bind_text(p, 2, batch_id);
	sqlite3_bind_int64(p, 3, amount);
	sqlite3_bind_int64(p, 4, written_off);
	return run(d, p, "record match part");
}

/* ---- exceptions ------------------------------------------------------------ */

int zt_store_recon_exception_put(struct zt_recon_db *d, struct zt_recon_exception *x)
{
	int rc = need_txn(d, "exception");
	sqlite3_stmt *p = rc ? NULL : st(d, S_EXC_NEXT);
	if (rc || !p)
		return rc ? rc : ZT_EIO;
	int r = one_row(d, p, "number exception");
	if (r <= 0)
		return r < 0 ? r : zt_error_set(ZT_EINTERNAL, "MAX gave no row");
	/* BEGIN IMMEDIATE holds the write lock: the next number is ours. */
	x->row = sqlite3_column_int64(p, 0);
	sqlite3_reset(p);
	snprintf(x->exc_id, sizeof x->exc_id, "EXC-%06lld", (long long)x->row);
	if (!(p = st(d, S_EXC_INSERT)))
		return ZT_EIO;
	sqlite3_bind_int64(p, 1, x->row);
	bind_text(p, 2, x->exc_id);
	bind_text(p, 3, zt_recon_kind_name(x->kind));
	if (x->entry_row > 0)
		sqlite3_bind_int64(p, 4, x->entry_row);
	bind_opt(p, 5, x->batch_id);
	bind_opt(p, 6, x->advance_id);
	sqlite3_bind_int64(p, 7, x->amount);
	sqlite3_bind_int(p, 8, x->since);
	bind_text(p, 9, x->detail);
	snprintf(x->raised_at, sizeof x->raised_at, "%s", zt_store_now(d->s));
	bind_text(p, 10, x->raised_at);
	bind_text(p, 11, x->raised_by);
	bind_opt(p, 12, x->return_id);
	return run(d, p, "record exception");
}

static void read_exception(sqlite3_stmt *p, struct zt_recon_exception *x)
{
	memset(x, 0, sizeof *x);
	x->row = sqlite3_column_int64(p, 0);
	copy_col(x->exc_id, sizeof x->exc_id, p, 1);
	if (zt_recon_kind_parse(&x->kind, col_text(p, 2)) != 0)
		x->kind = ZT_RECON_UNKNOWN; /* the schema's CHECK makes this unreachable */
	x->entry_row = sqlite3_column_int64(p, 3);
	copy_col(x->entry_ref, sizeof x->entry_ref, p, 4);
	x->credit = sqlite3_column_int(p, 5) != 0;
	x->booking_date = sqlite3_column_int(p, 6);
	copy_col(x->batch_id, sizeof x->batch_id, p, 7);
	copy_col(x->advance_id, sizeof x->advance_id, p, 8);
	x->amount = sqlite3_column_int64(p, 9);
	x->since = sqlite3_column_int(p, 10);
	copy_col(x->detail, sizeof x->detail, p, 11);
	copy_col(x->raised_at, sizeof x->raised_at, p, 12);
	copy_col(x->raised_by, sizeof x->raised_by, p, 13);
	x->resolved = sqlite3_column_type(p, 14) != SQLITE_NULL;
	if (x->resolved) {
		static const enum zt_recon_resolution all[] = {ZT_RECON_ACCEPT, ZT_RECON_MATCH,
		                                               ZT_RECON_REFUND, ZT_RECON_WRITE_OFF,
		                                               ZT_RECON_IGNORE, ZT_RECON_SETTLED};
		for (size_t i = 0; i < sizeof all / sizeof *all; i++)
			if (strcmp(col_text(p, 14), zt_recon_resolution_name(all[i])) == 0)
				x->resolution = all[i];
	}
	copy_col(x->target, sizeof x->target, p, 15);
	copy_col(x->note, sizeof x->note, p, 16);
	copy_col(x->resolved_at, sizeof x->resolved_at, p, 17);
	copy_col(x->resolved_by, sizeof x->resolved_by, p, 18);
	copy_col(x->return_id, sizeof x->return_id, p, 19);
}

int zt_store_recon_exception_get(struct zt_recon_db *d, const char *exc_id,
                                 struct zt_recon_exception *out)
{
	sqlite3_stmt *p = st(d, S_EXC_GET);
	if (!p)
		return ZT_EIO;
	bind_text(p, 1, exc_id);
	int r = one_row(d, p, "read exception");
	if (r < 0)
		return r;
	if (r == 0)
		return zt_error_set(ZT_ENOTFOUND, "there is no exception '%s'", exc_id);
	read_exception(p, out);
	sqlite3_reset(p);
	return 0;
}

int zt_store_recon_due_exists(struct zt_recon_db *d, enum zt_recon_kind kind,
                              const char *batch_id, const char *advance_id, const char *return_id,
                              bool *out)
{
	sqlite3_stmt *p = st(d, S_DUE_EXISTS);
	if (!p)
		return ZT_EIO;
	bind_text(p, 1, zt_recon_kind_name(kind));
	bind_opt(p, 2, batch_id);
	bind_opt(p, 3, advance_id);
	bind_opt(p, 4, return_id);
	int r = one_row(d, p, "read exceptions");
	if (r <= 0)
		return r < 0 ? r : zt_error_set(ZT_EINTERNAL, "EXISTS gave no row");
	*out = sqlite3_column_int(p, 0) != 0;
	sqlite3_reset(p);
	return 0;
}

int zt_store_recon_resolution_put(struct zt_recon_db *d, int64_t exception_row,
                                  enum zt_recon_resolution res, const char *target,
                                  const char *note, const char *actor)
{
	int rc = need_txn(d, "resolution");
	sqlite3_stmt *p = rc ? NULL : st(d, S_RES_INSERT);
	if (rc || !p)
		return rc ? rc : ZT_EIO;
	sqlite3_bind_int64(p, 1, exception_row);
	bind_text(p, 2, zt_recon_resolution_name(res));
	bind_opt(p, 3, target);
	bind_text(p, 4, note);
	bind_text(p, 5, zt_store_now(d->s));
	bind_text(p, 6, actor);
	return run(d, p, "record resolution");
}

int zt_store_recon_settle_due(struct zt_recon_db *d, int kind, const char *batch_id,
                              const char *advance_id, const char *return_id, const char *note,
                              const char *actor, int64_t *closed_out)
{
	sqlite3_stmt *p = st(d, S_SETTLE_DUE);
	if (!p)
		return ZT_EIO;
	bind_text(p, 1, kind < 0 ? NULL : zt_recon_kind_name((enum zt_recon_kind)kind));
	bind_opt(p, 2, batch_id);
	bind_opt(p, 3, advance_id);
	bind_text(p, 4, note);
	bind_text(p, 5, zt_store_now(d->s));
	bind_text(p, 6, actor);
	bind_opt(p, 7, return_id);
	int rc = run(d, p, "close exceptions");
	if (rc == 0 && closed_out)
		*closed_out = sqlite3_changes(d->db);
	return rc;
}

int zt_store_recon_due_open(struct zt_recon_db *d, bool *out)
{
	sqlite3_stmt *p = st(d, S_DUE_OPEN);
	if (!p)
		return ZT_EIO;
	int r = one_row(d, p, "read open exceptions");
	if (r <= 0)
		return r < 0 ? r : zt_error_set(ZT_EINTERNAL, "EXISTS gave no row");
	*out = sqlite3_column_int(p, 0) != 0;
	sqlite3_reset(p);
	return 0;
}

int zt_store_recon_exceptions(struct zt_recon_db *d, bool open_only,
                              int (*cb)(void *ctx, const struct zt_recon_exception *x),
                              void *ctx)
{
	sqlite3_stmt *p = st(d, S_EXC_ALL);
	int rc = 0, step;
	if (!p)
		return ZT_EIO;
	sqlite3_bind_int(p, 1, open_only);
	struct zt_recon_exception *x = malloc(sizeof *x);
	if (!x)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	while ((step = sqlite3_step(p)) == SQLITE_ROW) {
		read_exception(p, x);
		if ((rc = cb(ctx, x)))
			goto done;
	}
	if (step != SQLITE_DONE)
		rc = db_fail(d, "read exceptions");
done:
	sqlite3_reset(p);
	free(x);
	return rc;
}

/* ---- what is due ----------------------------------------------------------- */

int zt_store_recon_due_batches(struct zt_recon_db *d, zt_date sent_by,
                               int (*cb)(void *ctx, const struct zt_recon_batch *b), void *ctx)
{
	struct rows r = {.size = sizeof(struct zt_recon_batch)};
	sqlite3_stmt *p = st(d, S_DUE_BATCHES);
	int rc = 0, step;
	if (!p)
		return ZT_EIO;
	sqlite3_bind_int(p, 1, sent_by);
	while ((step = sqlite3_step(p)) == SQLITE_ROW) {
		struct zt_recon_batch *b = rows_push(&r);
		if (!b) {
			rc = ZT_ENOMEM;
			goto done;
		}
		read_batch(p, b);
	}
	if (step != SQLITE_DONE) {
		rc = db_fail(d, "read due batches");
		goto done;
	}
	sqlite3_reset(p);
	for (size_t i = 0; i < r.n && rc == 0; i++)
		rc = cb(ctx, (struct zt_recon_batch *)r.items + i);
done:
	sqlite3_reset(p);
	free(r.items);
	return rc;
}

int zt_store_recon_due_advances(struct zt_recon_db *d, zt_date executed_by,
                                int (*cb)(void *ctx, const struct zt_advance *a), void *ctx)
{
	struct rows r = {.size = sizeof(struct zt_advance)};
	sqlite3_stmt *p = st(d, S_DUE_ADVANCES);
	int rc = 0, step;
	if (!p)
		return ZT_EIO;
	sqlite3_bind_int(p, 1, executed_by);
	while ((step = sqlite3_step(p)) == SQLITE_ROW) {
		struct zt_advance *a = rows_push(&r);
		if (!a) {
			rc = ZT_ENOMEM;
			goto done;
		}
		memset(a, 0, sizeof *a);
		a->row = sqlite3_column_int64(p, 0);
		copy_col(a->advance_id, sizeof a->advance_id, p, 1);
		copy_col(a->hospital, sizeof a->hospital, p, 2);
		a->amount = sqlite3_column_int64(p, 3);
		copy_col(a->issued_at, sizeof a->issued_at, p, 4);
		a->execution_date = sqlite3_column_int(p, 5);
	}
	if (step != SQLITE_DONE) {
		rc = db_fail(d, "read due advances");
		goto done;
	}
	sqlite3_reset(p);
	for (size_t i = 0; i < r.n && rc == 0; i++)
		rc = cb(ctx, (struct zt_advance *)r.items + i);
done:
	sqlite3_reset(p);
	free(r.items);
	return rc;
}

int zt_store_recon_due_returns(struct zt_recon_db *d, zt_date executed_by,
                               int (*cb)(void *ctx, const struct zt_batch_return *r), void *ctx)
{
	struct rows r = {.size = sizeof(struct zt_batch_return)};
	sqlite3_stmt *p = st(d, S_DUE_RETURNS);
	int rc = 0, step;
	if (!p)
		return ZT_EIO;
	sqlite3_bind_int(p, 1, executed_by);
	while ((step = sqlite3_step(p)) == SQLITE_ROW) {
		struct zt_batch_return *x = rows_push(&r);
		if (!x) {
			rc = ZT_ENOMEM;
			goto done;
		}
		memset(x, 0, sizeof *x);
		copy_col(x->return_id, sizeof x->return_id, p, 0);
		copy_col(x->batch_id, sizeof x->batch_id, p, 1);
		copy_col(x->fund_code, sizeof x->fund_code, p, 2);
		x->amount = sqlite3_column_int64(p, 3);
		copy_col(x->at, sizeof x->at, p, 4);
		x->execution_date = sqlite3_column_int(p, 5);
	}
	if (step != SQLITE_DONE) {
		rc = db_fail(d, "read due repayments");
		goto done;
	}
	sqlite3_reset(p);
	for (size_t i = 0; i < r.n && rc == 0; i++)
		rc = cb(ctx, (struct zt_batch_return *)r.items + i);
done:
	sqlite3_reset(p);
	free(r.items);
	return rc;
}

/* ---- report ---------------------------------------------------------------- */

int zt_store_recon_report_funds(struct zt_recon_db *d,
                                int (*cb)(void *ctx, const struct zt_recon_fund_line *f),
                                void *ctx)
{
	sqlite3_stmt *p = st(d, S_REPORT_FUNDS);
	int rc = 0, step;
	if (!p)
		return ZT_EIO;
	struct zt_recon_fund_line f;
	while ((step = sqlite3_step(p)) == SQLITE_ROW) {
		memset(&f, 0, sizeof f);
		copy_col(f.fund_code, sizeof f.fund_code, p, 0);
		copy_col(f.fund_name, sizeof f.fund_name, p, 1);
		f.billed = sqlite3_column_int64(p, 2);
		f.paid = sqlite3_column_int64(p, 3);
		f.written_off = sqlite3_column_int64(p, 4);
		f.open_batches = sqlite3_column_int64(p, 5);
		f.oldest_sent = sqlite3_column_int(p, 6);
		f.ledger = sqlite3_column_int64(p, 7);
		f.returned = sqlite3_column_int64(p, 8);
		if (__builtin_sub_overflow(f.billed, f.paid, &f.outstanding) ||
		    __builtin_sub_overflow(f.outstanding, f.written_off, &f.outstanding) ||
		    __builtin_add_overflow(f.outstanding, f.returned, &f.outstanding)) {
			rc = zt_error_set(ZT_ERANGE, "fund %s: what is outstanding would overflow",
			                  f.fund_code);
			goto done;
		}
		if ((rc = cb(ctx, &f)))
			goto done;
	}
	if (step != SQLITE_DONE)
		rc = db_fail(d, "report funds");
done:
	sqlite3_reset(p);
	return rc;
}

int zt_store_recon_confirmed(struct zt_recon_db *d, const char *hospital, zt_fen *out)
{
	sqlite3_stmt *p = st(d, S_CONFIRMED);
	if (!p)
		return ZT_EIO;
	bind_text(p, 1, hospital);
	int r = one_row(d, p, "report confirmed advances");
	if (r <= 0)
		return r < 0 ? r : zt_error_set(ZT_EINTERNAL, "SUM gave no row");
	*out = sqlite3_column_int64(p, 0);
	sqlite3_reset(p);
	return 0;
}

int zt_store_recon_report_open(struct zt_recon_db *d,
                               int (*cb)(void *ctx, const struct zt_recon_open_line *o),
                               void *ctx)
{
	sqlite3_stmt *p = st(d, S_REPORT_OPEN);
	int rc = 0, step;
	if (!p)
		return ZT_EIO;
	struct zt_recon_open_line o;
	while ((step = sqlite3_step(p)) == SQLITE_ROW) {
		memset(&o, 0, sizeof o);
		copy_col(o.ref, sizeof o.ref, p, 0);
		o.credit = sqlite3_column_int(p, 1) != 0;
		o.amount = sqlite3_column_int64(p, 2);
		o.booking_date = sqlite3_column_int(p, 3);
		copy_col(o.remittance, sizeof o.remittance, p, 4);
		if ((rc = cb(ctx, &o)))
			goto done;
	}
	if (step != SQLITE_DONE)
		rc = db_fail(d, "report open entries");
done:
	sqlite3_reset(p);
	return rc;
}

int zt_store_recon_report_days(struct zt_recon_db *d,
                               int (*cb)(void *ctx, const struct zt_recon_day *day), void *ctx)
{
	sqlite3_stmt *p = st(d, S_REPORT_DAYS);
	int rc = 0, step;
	if (!p)
		return ZT_EIO;
	struct zt_recon_day day;
	while ((step = sqlite3_step(p)) == SQLITE_ROW) {
		day.day = sqlite3_column_int(p, 0);
		day.billed = sqlite3_column_int64(p, 1);
		day.paid = sqlite3_column_int64(p, 2);
		if ((rc = cb(ctx, &day)))
			goto done;
	}
	if (step != SQLITE_DONE)
		rc = db_fail(d, "report days");
done:
	sqlite3_reset(p);
	return rc;
}

/* ---- verify ---------------------------------------------------------------- */

/* The transfers of the reconciliation, read once (the ledger has no index
 * on ref: settling claims is the hot path and an index would cost each of
 * its transfers). */
#define RECON_TRANSFERS                                                                        \
	"WITH t AS MATERIALIZED (SELECT id, debit, credit, amount, kind, ref FROM transfer"      \
	" WHERE kind IN ('payment', 'suspense', 'refund', 'write-off', 'confirm', 'netted'))"

static const struct zt_verify_check recon_checks[] = {
	{"each bank entry matches at most one thing",
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
	{"each batch's paid is what was matched to it",
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
	{"each batch's status agrees with what it was paid",
	 "SELECT count(*) FROM batch WHERE status IN ('accepted', 'paid', 'part-paid') OR paid != 0"
	 " OR returned != 0",
	 "SELECT printf('batch %s is %s with %d fen paid and %d returned of %d', id, status, paid,"
	 " returned, " BATCH_DUE("batch") ") FROM batch"
	 " WHERE (status = 'paid' AND paid - returned != " BATCH_DUE("batch") ")"
	 " OR (status = 'part-paid' AND ((paid = 0 AND returned = 0)"
	 " OR paid - returned = " BATCH_DUE("batch") "))"
	 " OR (status NOT IN ('paid', 'part-paid') AND (paid != 0 OR returned != 0))"},
	{"each bank entry is booked once, and its payments reach its batches' funds",
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
	{"every reconciliation transfer has its bank entry or decision",
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
	{"exceptions are resolved at most once, and as they say",
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
	{"suspense:bank holds exactly the unexplained entries",
	 "SELECT count(*) FROM account WHERE name = 'suspense:bank'",
	 "WITH open AS (SELECT COALESCE(SUM(CASE WHEN e.credit = 1 THEN -e.amount ELSE e.amount END),"
	 " 0) AS v FROM bank_entry e WHERE NOT EXISTS (SELECT 1 FROM recon_match m"
	 " WHERE m.entry_id = e.id) AND NOT EXISTS (SELECT 1 FROM recon_exception x"
	 " JOIN recon_resolution r ON r.exception_id = x.id WHERE x.entry_id = e.id))"
	 " SELECT printf('suspense:bank is %d fen; the entries neither matched nor resolved make %d',"
	 " COALESCE((SELECT balance FROM account WHERE name = 'suspense:bank'), 0), open.v) FROM open"
	 " WHERE COALESCE((SELECT balance FROM account WHERE name = 'suspense:bank'), 0) != open.v"},
};

const struct zt_verify_check *zt_verify_checks_reconcile(size_t *n)
{
	*n = sizeof recon_checks / sizeof *recon_checks;
	return recon_checks;
}
