/* zhitong — a batch's life by people (batch.h): create, approve, reject,
 * reopen; list and show. The rules are batch_rules.c's; this is the use
 * cases around them, each in its own transaction. */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "batch_int.h"
#include "zhitong/error.h"
#include "zhitong/store.h"
#include "zhitong/text.h"

int zt_batch_actor(char who[ZT_ACTOR_BYTES], const char **actor)
{
	int rc = zt_actor_normalize(who, *actor);
	if (rc == 0)
		*actor = who;
	return rc;
}

void zt_batch_hex(char out[ZT_BATCH_HEX_BYTES], const unsigned char *md)
{
	static const char digits[] = "0123456789abcdef";
	for (int i = 0; i < 32; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[64] = '\0';
}

/* Ends a use case's write transaction: commit on success (a failed commit
 * has rolled back), roll back otherwise. */
static int end_txn(struct zt_store *s, int rc)
{
	if (rc == 0)
		return s->ops->commit(s);
	s->ops->rollback(s);
	return rc;
}

/* ---- create ---------------------------------------------------------- */

/* A new draft batch of the fund with every share it takes, read back into
 * res->batch; res->batch.count 0 (nothing written: the caller rolls back)
 * when there is none. In the caller's transaction. */
static int create_in(struct zt_store *s, const struct zt_batch_create_req *req,
                     const char *actor, struct zt_batch_create_res *res)
{
	struct zt_batch b = {.through = req->through};
	int64_t count = 0;
	const char *pool, *counties;
	int rc = zt_config_pool_pick(req->cfg, req->pool, &pool);
	if (rc)
		return rc;
	counties = zt_config_pool_counties(req->cfg, pool);
	snprintf(b.pool, sizeof b.pool, "%s", pool);
	snprintf(b.counties, sizeof b.counties, "%s", counties ? counties : "");
	snprintf(b.fund_code, sizeof b.fund_code, "%s", req->fund_code);
	snprintf(b.created_by, sizeof b.created_by, "%s", actor);
	/* numbered under the write lock: nobody else can take the same number */
	rc = s->ops->batches.next_seq(s, req->fund_code, &b.seq);
	if (rc)
		return rc;
	if ((size_t)snprintf(b.id, sizeof b.id, "B%s-%06lld", req->fund_code, (long long)b.seq) >=
	    sizeof b.id)
		return zt_error_set(ZT_EINVAL, "fund code '%s' makes a batch id that is too long",
		                    req->fund_code);
	if ((rc = s->ops->batches.insert(s, &b)) || (rc = zt_batch_fill(s, &b, &count)) || !count)
		return rc;
	char detail[64];
	snprintf(detail, sizeof detail, "%lld records", (long long)count);
	const struct zt_batch_event e = {.actor = actor, .action = "create", .status_from = "",
	                                 .status_to = zt_batch_status_name(ZT_BATCH_DRAFT),
	                                 .detail = detail};
	if ((rc = s->ops->batches.add_event(s, b.id, &e)) ||
	    (rc = zt_batch_audit(s, b.id, "", e.status_to, &e, NULL)) ||
	    (rc = s->ops->batches.get(s, b.id, &res->batch)))
		return rc;
	/* the store checked the totals against the records (store.h) */
	assert(res->batch.count == count);
	snprintf(res->id, sizeof res->id, "%s", b.id);
	return 0;
}

int zt_batch_create(struct zt_store *s, const struct zt_batch_create_req *req,
                    struct zt_batch_create_res *res)
{
	struct zt_fund f;
	const char *actor = req->actor;
	char who[ZT_ACTOR_BYTES];
	memset(res, 0, sizeof *res);
	int rc = zt_batch_actor(who, &actor);
	if (rc)
		return rc;
	rc = s->ops->registry.get_fund(s, req->fund_code, &f);
	if (rc == ZT_ENOTFOUND)
		return zt_error_set(ZT_ENOTFOUND, "fund '%s' is not in the registry", req->fund_code);
	if (rc)
		return rc;
	/* One write transaction from the choice of shares to their insertion:
	 * a second create waits for it and then finds them taken. */
	if ((rc = s->ops->begin(s, ZT_TXN_WRITE)))
		return rc;
	rc = create_in(s, req, actor, res);
	if (rc == 0 && res->batch.count == 0) {
		s->ops->rollback(s); /* nothing to batch: no empty batch, no number used */
		memset(res, 0, sizeof *res);
		return 0;
	}
	if ((rc = end_txn(s, rc)))
		memset(res, 0, sizeof *res);
	return rc;
}

/* ---- approve, reject, reopen ---------------------------------------- */

/* The part of a step inside its transaction. */
typedef int (*step_fn)(struct zt_store *s, const struct zt_batch_step_req *req, const char *actor,
                       struct zt_batch_step_res *res);

/* A step of a batch's life: who acts normalised, the reason (if any) one
 * line, `in` in one write transaction, the batch read back. */
static int step_run(struct zt_store *s, const struct zt_batch_step_req *req,
                    struct zt_batch_step_res *res, step_fn in)
{
	const char *actor = req->actor;
	char who[ZT_ACTOR_BYTES];
	memset(res, 0, sizeof *res);
	int rc = zt_batch_actor(who, &actor);
	if (rc == 0 && req->reason)
		rc = zt_text_check("--reason", req->reason, strlen(req->reason), ZT_TEXT_CHARS_MAX,
		                   ZT_TEXT_LINE);
	if (rc || (rc = s->ops->begin(s, ZT_TXN_WRITE)))
		return rc;
	if ((rc = in(s, req, actor, res)) == 0)
		rc = s->ops->batches.get(s, req->id, &res->batch);
	if ((rc = end_txn(s, rc)))
		memset(res, 0, sizeof *res);
	return rc;
}

/* The batch of a step, which must be in `want`; in the caller's
 * transaction. */
static int step_batch(struct zt_store *s, const char *id, enum zt_batch_status want,
                      const char *what, struct zt_batch *b)
{
	int rc = s->ops->batches.get(s, id, b);
	if (rc == 0 && b->status != want)
		rc = zt_error_set(ZT_ECONFLICT, "batch '%s' is %s: %s", id,
		                  zt_batch_status_name(b->status), what);
	return rc;
}

static int approve_in(struct zt_store *s, const struct zt_batch_step_req *req, const char *actor,
                      struct zt_batch_step_res *res)
{
	struct zt_batch b;
	bool maker = false;
	const char *id = req->id;
	(void)res;
	int rc = step_batch(s, id, ZT_BATCH_DRAFT, "only a draft can be approved", &b);
	if (rc || (rc = zt_batch_is_maker(s, &b, actor, &maker)))
		return rc;
	if (maker)
		return zt_error_set(ZT_EFOUREYES, "maker-checker: '%s' made batch '%s' (created or "
		                    "reopened it) and cannot approve it: another person must", actor, id);
	if ((rc = zt_batch_move(s, id, ZT_BATCH_DRAFT, ZT_BATCH_APPROVED, actor, "approve", NULL)))
		return rc;
	return s->ops->batches.set_approved(s, id, actor);
}

int zt_batch_approve(struct zt_store *s, const struct zt_batch_step_req *req,
                     struct zt_batch_step_res *res)
{
	const struct zt_batch_step_req r = {req->id, req->actor, NULL}; /* no reason to it */
	return step_run(s, &r, res, approve_in);
}

static int reject_in(struct zt_store *s, const struct zt_batch_step_req *req, const char *actor,
                     struct zt_batch_step_res *res)
{
	struct zt_batch b;
	(void)res;
	int rc = step_batch(s, req->id, ZT_BATCH_DRAFT, "only a draft can be rejected", &b);
	if (rc)
		return rc;
	return zt_batch_move(s, req->id, ZT_BATCH_DRAFT, ZT_BATCH_REJECTED, actor, "reject",
	                     req->reason);
}

int zt_batch_reject(struct zt_store *s, const struct zt_batch_step_req *req,
                    struct zt_batch_step_res *res)
{
	char who[ZT_ACTOR_BYTES];
	const char *actor = req->actor;
	memset(res, 0, sizeof *res);
	int rc = zt_batch_actor(who, &actor);
	if (rc)
		return rc;
	if (!req->reason || !req->reason[0])
		return zt_error_set(ZT_EINVAL, "a rejection needs a reason (--reason TEXT)");
	return step_run(s, req, res, reject_in);
}

/* rejected -> draft with every share that has become billable. */
static int reopen_in(struct zt_store *s, const struct zt_batch_step_req *req, const char *actor,
                     struct zt_batch_step_res *res)
{
	struct zt_batch b, after;
	const char *reason = req->reason;
	int rc = step_batch(s, req->id, ZT_BATCH_REJECTED, "only a rejected batch is reopened", &b);
	if (rc || (rc = zt_batch_fill(s, &b, &res->added)))
		return rc;
	char detail[600];
	snprintf(detail, sizeof detail, "%lld records added%s%s", (long long)res->added,
	         reason && reason[0] ? ": " : "", reason ? reason : "");
	if ((rc = zt_batch_move(s, req->id, ZT_BATCH_REJECTED, ZT_BATCH_DRAFT, actor, "reopen",
	                        detail)))
		return rc;
	/* the store checked the new totals against the records (store.h) */
	if ((rc = s->ops->batches.get(s, req->id, &after)) == 0)
		assert(after.count == b.count + res->added);
	return rc;
}

int zt_batch_reopen(struct zt_store *s, const struct zt_batch_step_req *req,
                    struct zt_batch_step_res *res)
{
	return step_run(s, req, res, reopen_in);
}

/* ---- list, show ------------------------------------------------------ */

struct list_filter {
	const struct zt_batch_list_req *req;
	int (*row)(void *ctx, const struct zt_batch *b);
	void *ctx;
	int64_t count;
};

static int list_one(void *ctx, const struct zt_batch *b)
{
	struct list_filter *f = ctx;
	if (f->req->has_status && b->status != f->req->status)
		return 0;
	if (f->req->pool && strcmp(f->req->pool, b->pool) != 0)
		return 0;
	f->count++;
	return f->row(f->ctx, b);
}

int zt_batch_list(struct zt_store *s, const struct zt_batch_list_req *req,
                  int (*row)(void *ctx, const struct zt_batch *b), void *ctx, int64_t *count_out)
{
	struct list_filter f = {req, row, ctx, 0};
	int rc = s->ops->batches.list(s, req->fund_code, list_one, &f);
	if (count_out)
		*count_out = f.count;
	return rc;
}

int zt_batch_records_each(struct zt_store *s, const char *id, bool only_rejected,
                          int (*cb)(void *ctx, const struct zt_batch_record *r), void *ctx)
{
	struct zt_batch_cursor *cur;
	struct zt_batch_record r;
	int rc = s->ops->batches.records(s, id, only_rejected ? ZT_BATCH_RECORDS_REJECTED : 0, &cur),
	    step;
	if (rc)
		return rc;
	while ((step = s->ops->batches.next(cur, &r)) > 0)
		if ((rc = cb(ctx, &r)) != 0)
			break;
	s->ops->batches.records_close(cur);
	return rc ? rc : step < 0 ? step : 0;
}

/* What a shown batch owes (batch.h): shown once it is sent, when money is
 * owed back or went back. */
static void view_of(struct zt_batch_view *v)
{
	const struct zt_batch *b = &v->batch;
	v->owed_shown = b->status >= ZT_BATCH_SENT &&
	                zt_batch_owes(&v->owes, zt_batch_due(b), b->paid, b->returned) == 0 &&
	                (v->owes < 0 || b->returned);
	if (!v->owed_shown)
		v->owes = 0;
}

static int section(const struct zt_batch_show_visitor *v, enum zt_batch_part p)
{
	return v->section ? v->section(v->ctx, p) : 0;
}

static int noop_event(void *ctx, const struct zt_batch_event *e) { (void)ctx; (void)e; return 0; }
static int noop_send(void *ctx, const struct zt_batch_send_log *l) { (void)ctx; (void)l; return 0; }
static int noop_ret(void *ctx, const struct zt_batch_return *r) { (void)ctx; (void)r; return 0; }
static int noop_record(void *ctx, const struct zt_batch_record *r) { (void)ctx; (void)r; return 0; }

int zt_batch_show(struct zt_store *s, const struct zt_batch_show_req *req,
                  const struct zt_batch_show_visitor *v)
{
	struct zt_batch_view view = {0};
	const char *id = view.batch.id;
	int rc = s->ops->batches.get(s, req->id, &view.batch);
	if (rc)
		return rc;
	view_of(&view);
	if ((v->batch && (rc = v->batch(v->ctx, &view))) ||
	    (rc = section(v, ZT_BATCH_PART_HISTORY)) ||
	    (rc = s->ops->batches.events(s, id, v->event ? v->event : noop_event, v->ctx)) ||
	    (rc = section(v, ZT_BATCH_PART_SENDS)) ||
	    (rc = s->ops->batches.sends(s, id, v->send ? v->send : noop_send, v->ctx)))
		return rc;
	if (view.batch.returned &&
	    ((rc = section(v, ZT_BATCH_PART_RETURNS)) ||
	     (rc = s->ops->batches.returns(s, id, v->ret ? v->ret : noop_ret, v->ctx))))
		return rc;
	int (*record)(void *, const struct zt_batch_record *) = v->record ? v->record : noop_record;
	if (view.batch.rejected_count &&
	    ((rc = section(v, ZT_BATCH_PART_REJECTED)) ||
	     (rc = zt_batch_records_each(s, id, true, record, v->ctx))))
		return rc;
	if (req->records && ((rc = section(v, ZT_BATCH_PART_RECORDS)) ||
	                     (rc = zt_batch_records_each(s, id, false, record, v->ctx))))
		return rc;
	return 0;
}
