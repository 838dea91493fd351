/* zhitong — the store's ledger reads and advances (ledger.h, advance.h;
 * docs/spec/money-flow.md "Ledger", "Advances"). Every statement is bound with
 * sqlite3_bind_*; none is built from strings. These run a few times per
 * command (not per claim), so each is prepared where it is used. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store_int.h"
#include "zhitong/advance.h"
#include "zhitong/error.h"
#include "zhitong/ledger.h"

static int db_fail(sqlite3 *db, const char *what)
{
	int ec = sqlite3_errcode(db);
	int code = (ec == SQLITE_BUSY || ec == SQLITE_LOCKED) ? ZT_EBUSY : ZT_EIO;
	if (ec == SQLITE_CONSTRAINT)
		code = ZT_EINTERNAL; /* a CHECK guarding an invariant fired: a bug */
	return zt_error_set(code, "database: %s: %s", what, sqlite3_errmsg(db));
}

static int prep(struct zt_store *s, sqlite3_stmt **out, const char *sql, const char *what)
{
	sqlite3 *db = zt_store_db(s);
	if (sqlite3_prepare_v2(db, sql, -1, out, NULL) != SQLITE_OK) {
		*out = NULL;
		return db_fail(db, what);
	}
	return 0;
}

static void bind_text(sqlite3_stmt *p, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(p, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(p, i);
}

static void copy_col(char *dst, size_t cap, sqlite3_stmt *p, int col)
{
	const unsigned char *t = sqlite3_column_text(p, col);
	snprintf(dst, cap, "%s", t ? (const char *)t : "");
}

static const char *col_str(sqlite3_stmt *p, int col)
{
	const unsigned char *t = sqlite3_column_text(p, col);
	return t ? (const char *)t : "";
}

/* Runs a statement that returns no rows, then finalizes it. */
static int run_once(struct zt_store *s, sqlite3_stmt *p, const char *what)
{
	int rc = sqlite3_step(p) == SQLITE_DONE ? 0 : db_fail(zt_store_db(s), what);
	sqlite3_finalize(p);
	return rc;
}

/* One integer from a one-row query (finalizes). */
static int one_int(struct zt_store *s, sqlite3_stmt *p, int64_t *out, const char *what)
{
	int rc = 0;
	if (sqlite3_step(p) == SQLITE_ROW)
		*out = sqlite3_column_int64(p, 0);
	else
		rc = db_fail(zt_store_db(s), what);
	sqlite3_finalize(p);
	return rc;
}

/* ==== ledger ============================================================== */

zt_fen zt_transfer_effect(const struct zt_transfer *t, const char *account)
{
	if (strcmp(t->debit, account) == 0)
		return t->amount;
	if (strcmp(t->credit, account) == 0)
		return -t->amount;
	return 0;
}

int zt_ledger_balances(struct zt_store *s,
                       int (*cb)(void *ctx, const char *account, zt_fen balance), void *ctx)
{
	sqlite3_stmt *p;
	int rc = prep(s, &p, "SELECT name, balance FROM account ORDER BY name", "read balances");
	if (rc)
		return rc;
	int step;
	while ((step = sqlite3_step(p)) == SQLITE_ROW)
		if ((rc = cb(ctx, col_str(p, 0), sqlite3_column_int64(p, 1))) != 0)
			goto done;
	if (step != SQLITE_DONE)
		rc = db_fail(zt_store_db(s), "read balances");
done:
	sqlite3_finalize(p);
	return rc;
}

int zt_ledger_balance(struct zt_store *s, const char *account, zt_fen *out)
{
	sqlite3_stmt *p;
	int rc = prep(s, &p, "SELECT EXISTS (SELECT 1 FROM account WHERE name = ?1)", "read balance");
	if (rc)
		return rc;
	bind_text(p, 1, account);
	int64_t exists = 0;
	if ((rc = one_int(s, p, &exists, "read balance")) != 0)
		return rc;
	zt_fen v = 0;
	/* zt_store_account_balance adds what an open transaction has moved. */
	if ((rc = zt_store_account_balance(s, account, &v)) != 0)
		return rc;
	if (!exists && v == 0)
		return zt_error_set(ZT_ENOTFOUND, "account '%s': no transfer has ever touched it", account);
	*out = v;
	return 0;
}

/* The first instant of pool-local day d as a store timestamp, for
 * comparison with transfer.at (docs/spec/rules-v2.md §5); "" (before
 * everything) for day 0. */
static void day_text(char out[ZT_FMT_BYTES], zt_date d)
{
	if (d > 0)
		zt_timestamp_day_start(out, d);
	else
		out[0] = '\0';
}

int zt_ledger_opening_balance(struct zt_store *s, const char *account, zt_date since,
                              zt_fen *out)
{
	char day[ZT_FMT_BYTES];
	day_text(day, since);
	sqlite3_stmt *p;
	/* summed in parts: the debits and credits of years may pass int64
	 * on the way to a balance that fits (store_int.h) */
#define OPENING_LEG "CASE WHEN debit = ?1 THEN amount ELSE -amount END"
	int rc = prep(s, &p,
	              "SELECT " ZT_SQL_SUM_HI(OPENING_LEG) ", " ZT_SQL_SUM_LO(OPENING_LEG) " "
	              "FROM transfer WHERE (debit = ?1 OR credit = ?1) AND at < ?2",
	              "read opening balance");
	if (rc)
		return rc;
	bind_text(p, 1, account);
	bind_text(p, 2, day);
	int step = sqlite3_step(p);
	int64_t hi = step == SQLITE_ROW ? sqlite3_column_int64(p, 0) : 0;
	int64_t lo = step == SQLITE_ROW ? sqlite3_column_int64(p, 1) : 0;
	rc = step == SQLITE_ROW ? 0 : db_fail(zt_store_db(s), "read opening balance");
	sqlite3_finalize(p);
	if (rc == 0 && !zt_sql_join_sum(out, hi, lo))
		rc = zt_error_set(ZT_ERANGE, "the opening balance of '%s' is beyond int64", account);
	return rc;
}

static int walk(struct zt_store *s, sqlite3_stmt *p, zt_transfer_cb cb, void *ctx)
{
	int rc = 0, step;
	while ((step = sqlite3_step(p)) == SQLITE_ROW) {
		struct zt_transfer t = {
			.id = sqlite3_column_int64(p, 0),
			.at = col_str(p, 1),
			.debit = col_str(p, 2),
			.credit = col_str(p, 3),
			.amount = sqlite3_column_int64(p, 4),
			.kind = col_str(p, 5),
			.ref = col_str(p, 6),
			.settlement_row = sqlite3_column_int64(p, 7),
		};
		if ((rc = cb(ctx, &t)) != 0)
			break;
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = db_fail(zt_store_db(s), "read transfers");
	sqlite3_finalize(p);
	return rc;
}

int zt_ledger_transfers(struct zt_store *s, const char *account, zt_date since,
                        zt_transfer_cb cb, void *ctx)
{
	char day[ZT_FMT_BYTES];
	day_text(day, since);
	sqlite3_stmt *p;
	int rc = prep(s, &p,
	              "SELECT id, at, debit, credit, amount, kind, ref, COALESCE(settlement_id, 0) "
	              "FROM transfer WHERE (debit = ?1 OR credit = ?1) AND at >= ?2 ORDER BY id",
	              "read transfers");
	if (rc)
		return rc;
	bind_text(p, 1, account);
	bind_text(p, 2, day);
	return walk(s, p, cb, ctx);
}

int zt_ledger_scan(struct zt_store *s, const char *prefix, zt_transfer_cb cb, void *ctx)
{
	sqlite3_stmt *p;
	/* instr() = 1 is "starts with", whatever the characters of the prefix. */
	int rc = prep(s, &p,
	              "SELECT id, at, debit, credit, amount, kind, ref, COALESCE(settlement_id, 0) "
	              "FROM transfer WHERE instr(debit, ?1) = 1 OR instr(credit, ?1) = 1 ORDER BY id",
	              "read transfers");
	if (rc)
		return rc;
	bind_text(p, 1, prefix);
	return walk(s, p, cb, ctx);
}

/* ==== advances ============================================================ */

int zt_store_each_hospital(struct zt_store *s,
                           int (*cb)(void *ctx, const struct zt_hospital *h), void *ctx)
{
	sqlite3_stmt *p;
	int rc = prep(s, &p, "SELECT code, name, level, county FROM hospital ORDER BY code",
	              "read hospitals");
	if (rc)
		return rc;
	int step;
	while ((step = sqlite3_step(p)) == SQLITE_ROW) {
		struct zt_hospital h;
		copy_col(h.code, sizeof h.code, p, 0);
		copy_col(h.name, sizeof h.name, p, 1);
		h.level = sqlite3_column_int(p, 2);
		copy_col(h.county, sizeof h.county, p, 3);
		if ((rc = cb(ctx, &h)) != 0)
			goto done;
	}
	if (step != SQLITE_DONE)
		rc = db_fail(zt_store_db(s), "read hospitals");
done:
	sqlite3_finalize(p);
	return rc;
}

int zt_store_advance_plan_last_row(struct zt_store *s, int64_t *out)
{
	sqlite3_stmt *p;
	int rc = prep(s, &p, "SELECT COALESCE(MAX(id), 0) FROM advance_plan", "read plans");
	return rc ? rc : one_int(s, p, out, "read plans");
}

int zt_store_advance_last_row(struct zt_store *s, int64_t *out)
{
	sqlite3_stmt *p;
	int rc = prep(s, &p, "SELECT COALESCE(MAX(id), 0) FROM advance", "read advances");
	return rc ? rc : one_int(s, p, out, "read advances");
}

int zt_store_advance_plan_put(struct zt_store *s, const struct zt_advance_plan *pl)
{
	if (!zt_store_in_txn(s))
		return zt_error_set(ZT_EINTERNAL, "advance plan outside a transaction");
	sqlite3_stmt *p;
	int rc = prep(s, &p,
	              "INSERT INTO advance_plan (id, plan_id, as_of, target_days, window_from, "
	              "min_topup, advance_seen, total, made_by, made_at) "
	              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	              "store advance plan");
	if (rc)
		return rc;
	sqlite3_bind_int64(p, 1, pl->row);
	bind_text(p, 2, pl->plan_id);
	sqlite3_bind_int(p, 3, pl->as_of);
	sqlite3_bind_int(p, 4, pl->target_days);
	sqlite3_bind_int(p, 5, pl->window_from);
	sqlite3_bind_int64(p, 6, pl->min_topup);
	sqlite3_bind_int64(p, 7, pl->advance_seen);
	sqlite3_bind_int64(p, 8, pl->total);
	bind_text(p, 9, pl->made_by);
	bind_text(p, 10, pl->made_at);
	if ((rc = run_once(s, p, "store advance plan")) != 0)
		return rc;
	if ((rc = prep(s, &p,
	               "INSERT INTO advance_plan_line (plan_row, hospital, basis, window_earned, "
	               "target, balance, topup) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	               "store advance plan line")) != 0)
		return rc;
	for (size_t i = 0; i < pl->line_count && rc == 0; i++) {
		const struct zt_advance_plan_line *l = &pl->lines[i];
		sqlite3_reset(p);
		sqlite3_bind_int64(p, 1, pl->row);
		bind_text(p, 2, l->hospital);
		bind_text(p, 3, l->requested ? "request" : l->fixed_target ? "target" : "days");
		sqlite3_bind_int64(p, 4, l->window_earned);
		sqlite3_bind_int64(p, 5, l->target);
		sqlite3_bind_int64(p, 6, l->balance);
		sqlite3_bind_int64(p, 7, l->topup);
		if (sqlite3_step(p) != SQLITE_DONE)
			rc = db_fail(zt_store_db(s), "store advance plan line");
	}
	sqlite3_finalize(p);
	return rc;
}

int zt_store_advance_plan_load(struct zt_store *s, const char *plan_id,
                               struct zt_advance_plan *out)
{
	memset(out, 0, sizeof *out);
	sqlite3_stmt *p = NULL;
	int rc = prep(s, &p,
	              "SELECT p.id, p.plan_id, p.as_of, p.target_days, p.window_from, p.min_topup, "
	              "p.advance_seen, p.total, p.made_by, p.made_at, COALESCE(v.approved_by, ''), "
	              "COALESCE(v.approved_at, ''), "
	              "COALESCE((SELECT a.msg_id FROM advance a WHERE a.plan_row = p.id ORDER BY a.id "
	              "LIMIT 1), ''), "
	              "COALESCE((SELECT a.issued_at FROM advance a WHERE a.plan_row = p.id ORDER BY "
	              "a.id LIMIT 1), ''), "
	              "(SELECT count(*) FROM advance_plan_line l WHERE l.plan_row = p.id) "
	              "FROM advance_plan p LEFT JOIN advance_approval v ON v.plan_row = p.id "
	              "WHERE p.plan_id = ?1",
	              "read advance plan");
	if (rc)
		return rc;
	bind_text(p, 1, plan_id);
	int step = sqlite3_step(p);
	if (step != SQLITE_ROW) {
		rc = step == SQLITE_DONE
		         ? zt_error_set(ZT_ENOTFOUND, "advance plan '%s' not found", plan_id)
		         : db_fail(zt_store_db(s), "read advance plan");
		goto done;
	}
	out->row = sqlite3_column_int64(p, 0);
	copy_col(out->plan_id, sizeof out->plan_id, p, 1);
	out->as_of = sqlite3_column_int(p, 2);
	out->target_days = sqlite3_column_int(p, 3);
	out->window_from = sqlite3_column_int(p, 4);
	out->min_topup = sqlite3_column_int64(p, 5);
	out->advance_seen = sqlite3_column_int64(p, 6);
	out->total = sqlite3_column_int64(p, 7);
	copy_col(out->made_by, sizeof out->made_by, p, 8);
	copy_col(out->made_at, sizeof out->made_at, p, 9);
	copy_col(out->approved_by, sizeof out->approved_by, p, 10);
	copy_col(out->approved_at, sizeof out->approved_at, p, 11);
	copy_col(out->issued_msg_id, sizeof out->issued_msg_id, p, 12);
	copy_col(out->issued_at, sizeof out->issued_at, p, 13);
	int64_t n = sqlite3_column_int64(p, 14);
	sqlite3_finalize(p);
	p = NULL;

	out->lines = calloc(n > 0 ? (size_t)n : 1, sizeof *out->lines);
	if (!out->lines) {
		rc = zt_error_set(ZT_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = prep(s, &p,
	               "SELECT hospital, basis, window_earned, target, balance, topup "
	               "FROM advance_plan_line WHERE plan_row = ?1 ORDER BY hospital",
	               "read advance plan lines")) != 0)
		goto done;
	sqlite3_bind_int64(p, 1, out->row);
	while ((step = sqlite3_step(p)) == SQLITE_ROW && out->line_count < (size_t)n) {
		struct zt_advance_plan_line *l = &out->lines[out->line_count++];
		copy_col(l->hospital, sizeof l->hospital, p, 0);
		l->fixed_target = strcmp(col_str(p, 1), "target") == 0;
		l->requested = strcmp(col_str(p, 1), "request") == 0;
		l->window_earned = sqlite3_column_int64(p, 2);
		l->target = sqlite3_column_int64(p, 3);
		l->balance = sqlite3_column_int64(p, 4);
		l->topup = sqlite3_column_int64(p, 5);
	}
	if (step != SQLITE_DONE && step != SQLITE_ROW)
		rc = db_fail(zt_store_db(s), "read advance plan lines");
done:
	sqlite3_finalize(p);
	if (rc)
		zt_advance_plan_free(out);
	return rc;
}

int zt_store_advance_approval_put(struct zt_store *s, int64_t plan_row, const char *actor)
{
	sqlite3_stmt *p;
	int rc = prep(s, &p,
	              "INSERT INTO advance_approval (plan_row, approved_by, approved_at) "
	              "VALUES (?1, ?2, ?3)",
	              "store approval");
	if (rc)
		return rc;
	sqlite3_bind_int64(p, 1, plan_row);
	bind_text(p, 2, actor);
	bind_text(p, 3, zt_store_now(s));
	return run_once(s, p, "store approval");
}

#define ADVANCE_COLUMNS                                                                         \
	"a.id, a.advance_id, a.hospital, a.amount, COALESCE(a.plan_row, 0), "                   \
	"COALESCE(p.plan_id, ''), a.msg_id, a.made_by, a.approved_by, a.issued_by, a.issued_at, " \
	"a.execution_date, a.file "

static void read_advance(sqlite3_stmt *p, struct zt_advance *a)
{
	memset(a, 0, sizeof *a);
	a->row = sqlite3_column_int64(p, 0);
	copy_col(a->advance_id, sizeof a->advance_id, p, 1);
	copy_col(a->hospital, sizeof a->hospital, p, 2);
	a->amount = sqlite3_column_int64(p, 3);
	a->plan_row = sqlite3_column_int64(p, 4);
	copy_col(a->plan_id, sizeof a->plan_id, p, 5);
	copy_col(a->msg_id, sizeof a->msg_id, p, 6);
	copy_col(a->made_by, sizeof a->made_by, p, 7);
	copy_col(a->approved_by, sizeof a->approved_by, p, 8);
	copy_col(a->issued_by, sizeof a->issued_by, p, 9);
	copy_col(a->issued_at, sizeof a->issued_at, p, 10);
	a->execution_date = sqlite3_column_int(p, 11);
	copy_col(a->file, sizeof a->file, p, 12);
}

/* One advance from a query, or ZT_ENOTFOUND without a message. */
static int one_advance(struct zt_store *s, sqlite3_stmt *p, struct zt_advance *out)
{
	int step = sqlite3_step(p), rc = 0;
	if (step == SQLITE_ROW)
		read_advance(p, out);
	else
		rc = step == SQLITE_DONE ? ZT_ENOTFOUND : db_fail(zt_store_db(s), "read advance");
	sqlite3_finalize(p);
	return rc;
}

int zt_store_advance_newer(struct zt_store *s, int64_t plan_row, int64_t after_row,
                           struct zt_advance *out)
{
	sqlite3_stmt *p;
	int rc = prep(s, &p,
	              "SELECT " ADVANCE_COLUMNS "FROM advance a "
	              "LEFT JOIN advance_plan p ON p.id = a.plan_row "
	              "JOIN advance_plan_line l ON l.plan_row = ?1 AND l.hospital = a.hospital "
	              "AND l.topup > 0 WHERE a.id > ?2 ORDER BY a.id LIMIT 1",
	              "read advances");
	if (rc)
		return rc;
	sqlite3_bind_int64(p, 1, plan_row);
	sqlite3_bind_int64(p, 2, after_row);
	return one_advance(s, p, out);
}

int zt_store_advance_put(struct zt_store *s, const struct zt_advance *a)
{
	if (!zt_store_in_txn(s))
		return zt_error_set(ZT_EINTERNAL, "advance outside a transaction");
	/* Every advance is paid from an approved plan (a single one too). */
	if (a->plan_row <= 0)
		return zt_error_set(ZT_EINTERNAL, "advance to %s without a plan", a->hospital);
	sqlite3_stmt *p;
	int rc = prep(s, &p,
	              "INSERT INTO advance (id, advance_id, hospital, amount, plan_row, msg_id, "
	              "made_by, approved_by, issued_by, issued_at, execution_date, file) "
	              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
	              "store advance");
	if (rc)
		return rc;
	sqlite3_bind_int64(p, 1, a->row);
	bind_text(p, 2, a->advance_id);
	bind_text(p, 3, a->hospital);
	sqlite3_bind_int64(p, 4, a->amount);
	sqlite3_bind_int64(p, 5, a->plan_row);
	bind_text(p, 6, a->msg_id);
	bind_text(p, 7, a->made_by);
	bind_text(p, 8, a->approved_by);
	bind_text(p, 9, a->issued_by);
	bind_text(p, 10, a->issued_at);
	sqlite3_bind_int(p, 11, a->execution_date);
	bind_text(p, 12, a->file);
	return run_once(s, p, "store advance");
}

int zt_store_advance_get(struct zt_store *s, const char *advance_id, struct zt_advance *out)
{
	/* Reconciliation looks up an advance for every debit of a statement:
	 * the statement comes from the connection's cache. */
	static const char sql[] = "SELECT " ADVANCE_COLUMNS "FROM advance a "
	                          "LEFT JOIN advance_plan p ON p.id = a.plan_row WHERE a.advance_id = ?1";
	sqlite3_stmt *p;
	if (zt_store_stmt(s, sql, &p) != 0)
		return db_fail(zt_store_db(s), "read advance");
	bind_text(p, 1, advance_id);
	int step = sqlite3_step(p), rc = 0;
	if (step == SQLITE_ROW)
		read_advance(p, out);
	else
		rc = step == SQLITE_DONE ? ZT_ENOTFOUND : db_fail(zt_store_db(s), "read advance");
	sqlite3_reset(p);
	if (rc == ZT_ENOTFOUND)
		zt_error_set(rc, "advance '%s' not found", advance_id);
	return rc;
}

int zt_store_advances(struct zt_store *s, int (*cb)(void *ctx, const struct zt_advance *a),
                      void *ctx)
{
	sqlite3_stmt *p;
	int rc = prep(s, &p,
	              "SELECT " ADVANCE_COLUMNS "FROM advance a "
	              "LEFT JOIN advance_plan p ON p.id = a.plan_row ORDER BY a.id",
	              "read advances");
	if (rc)
		return rc;
	int step;
	while ((step = sqlite3_step(p)) == SQLITE_ROW) {
		struct zt_advance a;
		read_advance(p, &a);
		if ((rc = cb(ctx, &a)) != 0)
			goto done;
	}
	if (step != SQLITE_DONE)
		rc = db_fail(zt_store_db(s), "read advances");
done:
	sqlite3_finalize(p);
	return rc;
}

/* ==== verify ============================================================== */

static const struct zt_verify_check advance_checks[] = {
	{"each advance has exactly one transfer of its amount",
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
	{"every advance transfer belongs to an advance",
	 "SELECT count(*) FROM transfer WHERE kind = 'advance'",
	 "SELECT printf('transfer #%d (debit %s, credit %s, %d fen, ref %s) is of kind advance but"
	 " no advance has that id', t.id, t.debit, t.credit, t.amount, t.ref) FROM transfer t"
	 " WHERE t.kind = 'advance' AND NOT EXISTS (SELECT 1 FROM advance a WHERE a.advance_id = t.ref)"},
	{"a plan is issued at most once, whole, as approved",
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
	{"plan lines are never negative and follow the top-up rule",
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
	{"the maker of an advance is not its approver",
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
};

const struct zt_verify_check *zt_verify_checks_advances(size_t *n)
{
	*n = sizeof advance_checks / sizeof *advance_checks;
	return advance_checks;
}
