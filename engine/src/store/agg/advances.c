/* zhitong — advance plans, approvals and advances for every engine
 * (store.h advances; advance.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../db.h"

static const char SQL_PLAN_LAST[] = "SELECT COALESCE(MAX(id), 0) FROM advance_plan";
static const char SQL_LAST[] = "SELECT COALESCE(MAX(id), 0) FROM advance";
static const char SQL_PLAN_INSERT[] =
	"INSERT INTO advance_plan (id, plan_id, as_of, target_days, window_from, min_topup, "
	"advance_seen, total, made_by, made_at, pool) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
	"?11)";
static const char SQL_LINE_INSERT[] =
	"INSERT INTO advance_plan_line (plan_row, hospital, basis, window_earned, target, balance, "
	"topup) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
static const char SQL_PLAN_IDS[] = "SELECT plan_id FROM advance_plan ORDER BY id";
static const char SQL_PLAN_GET[] =
	"SELECT p.id, p.plan_id, p.as_of, p.target_days, p.window_from, p.min_topup, "
	"p.advance_seen, p.total, p.made_by, p.made_at, COALESCE(v.approved_by, ''), "
	"COALESCE(v.approved_at, ''), "
	"COALESCE((SELECT a.msg_id FROM advance a WHERE a.plan_row = p.id ORDER BY a.id LIMIT 1), ''), "
	"COALESCE((SELECT a.issued_at FROM advance a WHERE a.plan_row = p.id ORDER BY a.id LIMIT 1), ''), "
	"(SELECT count(*) FROM advance_plan_line l WHERE l.plan_row = p.id), p.pool "
	"FROM advance_plan p LEFT JOIN advance_approval v ON v.plan_row = p.id WHERE p.plan_id = ?1";
static const char SQL_LINES[] = "SELECT hospital, basis, window_earned, target, balance, topup "
                                "FROM advance_plan_line WHERE plan_row = ?1 ORDER BY hospital COLLATE BINARY";
static const char SQL_APPROVAL_INSERT[] =
	"INSERT INTO advance_approval (plan_row, approved_by, approved_at) VALUES (?1, ?2, ?3)";
#define ADVANCE_COLUMNS                                                                         \
	"SELECT a.id, a.advance_id, a.hospital, a.amount, COALESCE(a.plan_row, 0), "            \
	"COALESCE(p.plan_id, ''), a.msg_id, a.made_by, a.approved_by, a.issued_by, a.issued_at, " \
	"a.execution_date, a.file FROM advance a LEFT JOIN advance_plan p ON p.id = a.plan_row "
static const char SQL_NEWER[] =
	ADVANCE_COLUMNS "JOIN advance_plan_line l ON l.plan_row = ?1 AND l.hospital = a.hospital "
	"AND l.topup > 0 WHERE a.id > ?2 ORDER BY a.id LIMIT 1";
static const char SQL_GET[] = ADVANCE_COLUMNS "WHERE a.advance_id = ?1";
static const char SQL_ALL[] = ADVANCE_COLUMNS "ORDER BY a.id";
static const char SQL_INSERT[] =
	"INSERT INTO advance (id, advance_id, hospital, amount, plan_row, msg_id, made_by, "
	"approved_by, issued_by, issued_at, execution_date, file) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";

/* How a line's target was set, as stored: a request, a fixed target, or days
 * of earnings. */
static const char *const bases[] = {"request", "target", "days"};

static int last_id(struct zt_db *q, const char *sql, int64_t *out)
{
	struct zt_db_stmt *p;
	int r = zt_db_prepare(q, sql, &p);
	if (r == 0 && (r = zt_db_row(q, p, "read the last row")) == 1) {
		*out = zt_db_column_int64(p, 0);
		zt_db_done(p);
		return 0;
	}
	return r ? r : zt_error_set(ZT_EINTERNAL, "MAX gave no row");
}

static int plan_last_row(struct zt_store *s, int64_t *out)
{
	return last_id(zt_db_of(s), SQL_PLAN_LAST, out);
}

static int last_row(struct zt_store *s, int64_t *out) { return last_id(zt_db_of(s), SQL_LAST, out); }

static int put_line(struct zt_db *q, int64_t plan_row, const struct zt_advance_plan_line *l)
{
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_LINE_INSERT, &p);
	if (rc)
		return rc;
	zt_db_bind_int64(p, 1, plan_row);
	zt_db_bind_text(p, 2, l->hospital);
	zt_db_bind_text(p, 3, bases[l->requested ? 0 : l->fixed_target ? 1 : 2]);
	zt_db_bind_int64(p, 4, l->window_earned);
	zt_db_bind_int64(p, 5, l->target);
	zt_db_bind_int64(p, 6, l->balance);
	zt_db_bind_int64(p, 7, l->topup);
	return zt_db_run(q, p, "store advance plan line");
}

static int plan_put(struct zt_store *s, const struct zt_advance_plan *pl)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_need_write(q, "advance plan");
	if (rc || (rc = zt_db_prepare(q, SQL_PLAN_INSERT, &p)) != 0)
		return rc;
	zt_db_bind_int64(p, 1, pl->row);
	zt_db_bind_text(p, 2, pl->plan_id);
	zt_db_bind_int(p, 3, pl->as_of);
	zt_db_bind_int(p, 4, pl->target_days);
	zt_db_bind_int(p, 5, pl->window_from);
	zt_db_bind_int64(p, 6, pl->min_topup);
	zt_db_bind_int64(p, 7, pl->advance_seen);
	zt_db_bind_int64(p, 8, pl->total);
	zt_db_bind_text(p, 9, pl->made_by);
	zt_db_bind_text(p, 10, pl->made_at);
	zt_db_bind_text(p, 11, pl->pool[0] ? pl->pool : ZT_POOL_DEFAULT);
	if ((rc = zt_db_run(q, p, "store advance plan")) != 0)
		return rc;
	zt_fen total = 0;
	for (size_t i = 0; i < pl->line_count && rc == 0; i++) {
		if (pl->lines[i].topup < 0 || __builtin_add_overflow(total, pl->lines[i].topup, &total))
			return zt_error_set(ZT_EINTERNAL, "plan %s: a top-up is out of range", pl->plan_id);
		rc = put_line(q, pl->row, &pl->lines[i]);
	}
	/* a plan's total is the sum of its top-ups */
	if (rc == 0 && total != pl->total)
		rc = zt_error_set(ZT_EINTERNAL, "plan %s: total %lld, its lines sum to %lld", pl->plan_id,
		                  (long long)pl->total, (long long)total);
	return rc;
}

static void read_plan(struct zt_db_stmt *p, struct zt_advance_plan *out)
{
	out->row = zt_db_column_int64(p, 0);
	zt_db_column_copy(out->plan_id, sizeof out->plan_id, p, 1);
	out->as_of = zt_db_column_int(p, 2);
	out->target_days = zt_db_column_int(p, 3);
	out->window_from = zt_db_column_int(p, 4);
	out->min_topup = zt_db_column_int64(p, 5);
	out->advance_seen = zt_db_column_int64(p, 6);
	out->total = zt_db_column_int64(p, 7);
	zt_db_column_copy(out->made_by, sizeof out->made_by, p, 8);
	zt_db_column_copy(out->made_at, sizeof out->made_at, p, 9);
	zt_db_column_copy(out->approved_by, sizeof out->approved_by, p, 10);
	zt_db_column_copy(out->approved_at, sizeof out->approved_at, p, 11);
	zt_db_column_copy(out->issued_msg_id, sizeof out->issued_msg_id, p, 12);
	zt_db_column_copy(out->issued_at, sizeof out->issued_at, p, 13);
	zt_db_column_copy(out->pool, sizeof out->pool, p, 15);
}

static int read_lines(struct zt_db *q, struct zt_advance_plan *out, size_t n)
{
	out->lines = calloc(n > 0 ? n : 1, sizeof *out->lines);
	if (!out->lines)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	struct zt_db_stmt *p;
	int r = zt_db_prepare(q, SQL_LINES, &p);
	if (r)
		return r;
	zt_db_bind_int64(p, 1, out->row);
	while (out->line_count < n && (r = zt_db_row(q, p, "read advance plan lines")) == 1) {
		struct zt_advance_plan_line *l = &out->lines[out->line_count++];
		zt_db_column_copy(l->hospital, sizeof l->hospital, p, 0);
		int basis = zt_db_column_name(p, 1, bases, 3, 2);
		l->requested = basis == 0;
		l->fixed_target = basis == 1;
		l->window_earned = zt_db_column_int64(p, 2);
		l->target = zt_db_column_int64(p, 3);
		l->balance = zt_db_column_int64(p, 4);
		l->topup = zt_db_column_int64(p, 5);
	}
	zt_db_done(p);
	return r < 0 ? r : 0;
}

static int plan_get(struct zt_store *s, const char *plan_id, struct zt_advance_plan *out)
{
	struct zt_db *q = zt_db_of(s);
	memset(out, 0, sizeof *out);
	struct zt_db_stmt *p;
	int r = zt_db_prepare(q, SQL_PLAN_GET, &p);
	if (r)
		return r;
	zt_db_bind_text(p, 1, plan_id);
	if ((r = zt_db_row(q, p, "read advance plan")) <= 0)
		return r == 0 ? zt_error_set(ZT_ENOTFOUND, "advance plan '%s' not found", plan_id) : r;
	read_plan(p, out);
	int64_t n = zt_db_column_int64(p, 14);
	zt_db_done(p);
	if ((r = read_lines(q, out, n > 0 ? (size_t)n : 0)) != 0) {
		free(out->lines);
		out->lines = NULL;
		out->line_count = 0;
	}
	return r;
}

static int plan_ids(struct zt_store *s, int (*cb)(void *ctx, const char *plan_id), void *ctx)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int r = zt_db_prepare(q, SQL_PLAN_IDS, &p), rc = 0;
	if (r)
		return r;
	while ((r = zt_db_row(q, p, "read advance plans")) == 1)
		if ((rc = cb(ctx, zt_db_column_text(p, 0))) != 0) {
			zt_db_done(p);
			return rc;
		}
	return r;
}

static int approval_put(struct zt_store *s, int64_t plan_row, const char *actor)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_APPROVAL_INSERT, &p);
	if (rc)
		return rc;
	zt_db_bind_int64(p, 1, plan_row);
	zt_db_bind_text(p, 2, actor);
	zt_db_bind_text(p, 3, zt_db_now(q));
	return zt_db_run(q, p, "store approval");
}

static void read_advance(struct zt_db_stmt *p, struct zt_advance *a)
{
	memset(a, 0, sizeof *a);
	a->row = zt_db_column_int64(p, 0);
	zt_db_column_copy(a->advance_id, sizeof a->advance_id, p, 1);
	zt_db_column_copy(a->hospital, sizeof a->hospital, p, 2);
	a->amount = zt_db_column_int64(p, 3);
	a->plan_row = zt_db_column_int64(p, 4);
	zt_db_column_copy(a->plan_id, sizeof a->plan_id, p, 5);
	zt_db_column_copy(a->msg_id, sizeof a->msg_id, p, 6);
	zt_db_column_copy(a->made_by, sizeof a->made_by, p, 7);
	zt_db_column_copy(a->approved_by, sizeof a->approved_by, p, 8);
	zt_db_column_copy(a->issued_by, sizeof a->issued_by, p, 9);
	zt_db_column_copy(a->issued_at, sizeof a->issued_at, p, 10);
	a->execution_date = zt_db_column_int(p, 11);
	zt_db_column_copy(a->file, sizeof a->file, p, 12);
}

/* One advance from a bound query: 0, or ZT_ENOTFOUND without a message. */
static int one_advance(struct zt_db *q, struct zt_db_stmt *p, struct zt_advance *out)
{
	int r = zt_db_row(q, p, "read advance");
	if (r <= 0)
		return r == 0 ? ZT_ENOTFOUND : r;
	read_advance(p, out);
	zt_db_done(p);
	return 0;
}

static int newer(struct zt_store *s, int64_t plan_row, int64_t after_row, struct zt_advance *out)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_NEWER, &p);
	if (rc)
		return rc;
	zt_db_bind_int64(p, 1, plan_row);
	zt_db_bind_int64(p, 2, after_row);
	return one_advance(q, p, out);
}

static int get(struct zt_store *s, const char *advance_id, struct zt_advance *out)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_GET, &p);
	if (rc)
		return rc;
	zt_db_bind_text(p, 1, advance_id);
	if ((rc = one_advance(q, p, out)) == ZT_ENOTFOUND)
		zt_error_set(rc, "advance '%s' not found", advance_id);
	return rc;
}

static int put(struct zt_store *s, const struct zt_advance *a)
{
	struct zt_db *q = zt_db_of(s);
	int rc = zt_db_need_write(q, "advance");
	if (rc)
		return rc;
	/* Every advance is paid from an approved plan (a single one too). */
	if (a->plan_row <= 0 || a->amount <= 0)
		return zt_error_set(ZT_EINTERNAL, "advance of %lld fen to %s without a plan",
		                    (long long)a->amount, a->hospital);
	struct zt_db_stmt *p;
	if ((rc = zt_db_prepare(q, SQL_INSERT, &p)) != 0)
		return rc;
	zt_db_bind_int64(p, 1, a->row);
	zt_db_bind_text(p, 2, a->advance_id);
	zt_db_bind_text(p, 3, a->hospital);
	zt_db_bind_int64(p, 4, a->amount);
	zt_db_bind_int64(p, 5, a->plan_row);
	zt_db_bind_text(p, 6, a->msg_id);
	zt_db_bind_text(p, 7, a->made_by);
	zt_db_bind_text(p, 8, a->approved_by);
	zt_db_bind_text(p, 9, a->issued_by);
	zt_db_bind_text(p, 10, a->issued_at);
	zt_db_bind_int(p, 11, a->execution_date);
	zt_db_bind_text(p, 12, a->file);
	return zt_db_run(q, p, "store advance");
}

static int each(struct zt_store *s, int (*cb)(void *ctx, const struct zt_advance *a), void *ctx)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_ALL, &p), r;
	if (rc)
		return rc;
	struct zt_advance a;
	while ((r = zt_db_row(q, p, "read advances")) == 1) {
		read_advance(p, &a);
		if ((rc = cb(ctx, &a)) != 0)
			break;
	}
	zt_db_done(p);
	return rc ? rc : r;
}

const struct zt_store_advance_ops zt_db_advance_ops = {
	.plan_last_row = plan_last_row,
	.last_row = last_row,
	.plan_put = plan_put,
	.plan_get = plan_get,
	.plan_ids = plan_ids,
	.approval_put = approval_put,
	.newer = newer,
	.put = put,
	.get = get,
	.each = each,
};
