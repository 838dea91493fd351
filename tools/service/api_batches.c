/* zhitong — the batches of fund administrators over HTTP (docs/spec/
 * service.md "Endpoints"; the commands of tools/cli/cmd_batch.c over the
 * same use cases, batch.h):
 *
 *   GET  /v1/batches[?fund_code=&status=&pool=]  batch list
 *   POST /v1/batches {"fund_code", "through", "pool"}  batch create: 201, or 200 {"batch": null}
 *   GET  /v1/batches/{id}                        batch show: the batch and its history
 *   GET  /v1/batches/{id}/records                its records
 *   POST /v1/batches/{id}/approve                maker-checker: 409 four-eyes
 *   POST /v1/batches/{id}/reject {"reason"}
 *   POST /v1/batches/{id}/reopen {"reason"?}
 *   POST /v1/batches/{id}/export              the signed payer file into the service's files
 *   POST /v1/batches/{id}/send                202: the batch's state tells the outcome
 *   GET  /v1/batches/{id}/file, …/file.sig    the exported payer file and its signature
 *
 * A batch of a fund outside a fund administrator's funds, or of a pool
 * outside the caller's pools (issue 13 §2), is 404, the
 * answer of a batch that does not exist; a step on a batch in another
 * state is 409 batch-state. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"
#include "zhitong/render_trace.h"
#include "zhitong/batch.h"
#include "zhitong/date.h"
#include "zhitong/config.h"
#include "zhitong/error.h"
#include "zhitong/payer_port.h"

/* ---- JSON of a batch ------------------------------------------------------------------ */

void api_batch_json(struct zt_json_writer *w, const struct zt_batch *b)
{
	zt_json_write_object_begin(w);
	api_json_str(w, "id", b->id);
	api_json_str(w, "fund_code", b->fund_code);
	api_json_str(w, "fund_name", b->fund_name);
	api_json_str(w, "status", zt_batch_status_name(b->status));
	api_json_date_or_null(w, "through", b->through);
	api_json_date_or_null(w, "period_from", b->period_from);
	api_json_date_or_null(w, "period_to", b->period_to);
	api_json_int(w, "count", b->count);
	api_json_amount(w, "total", b->total);
	api_json_int(w, "info_count", b->info_count);
	api_json_amount(w, "info_total", b->info_total);
	api_json_text_or_null(w, "created_at", b->created_at);
	api_json_text_or_null(w, "created_by", b->created_by);
	api_json_text_or_null(w, "approved_at", b->approved_at);
	api_json_text_or_null(w, "approved_by", b->approved_by);
	api_json_text_or_null(w, "exported_at", b->exported_at);
	api_json_text_or_null(w, "file_sha256", b->file_sha256);
	api_json_text_or_null(w, "digest", b->digest);
	api_json_text_or_null(w, "receipt", b->receipt);
	zt_json_write_key(w, "accepted_total");
	if (b->answered)
		zt_json_write_amount(w, b->accepted_total);
	else
		zt_json_write_null(w);
	api_json_int(w, "rejected_count", b->rejected_count);
	api_json_amount(w, "paid", b->paid);
	api_json_amount(w, "returned", b->returned);
	api_json_str(w, "pool", b->pool);
	zt_json_write_object_end(w);
}

/* ---- scope ---------------------------------------------------------------------------- */

static bool fund_in_scope(struct zt_request *r, enum zt_op op, const char *fund)
{
	const char *const funds[] = {fund};
	return api_in_scope(r, op, NULL, funds, 1);
}

/* The batch `id` read back after a step, in a read transaction of `s`. */
static int batch_read(struct zt_store *s, const char *id, struct zt_batch *b)
{
	int rc = s->ops->begin(s, ZT_TXN_READ);
	if (rc)
		return rc;
	if ((rc = s->ops->batches.get(s, id, b)) == 0)
		return s->ops->commit(s);
	s->ops->rollback(s);
	return rc;
}

/* The batch {id} if it is there and the caller's: 0; else answered 404
 * (the same answer either way) or the failure, and non-zero. */
static int batch_of(struct zt_request *r, struct zt_api *a, enum zt_op op, struct zt_batch *b)
{
	const char *id = zt_req_param(r, "id");
	struct zt_store *s = NULL;
	if (api_store(r, a, true, &s) != 0)
		return 1;
	int rc = batch_read(s, id, b);
	zt_store_close(s);
	if (rc == 0 && fund_in_scope(r, op, b->fund_code) && api_pool_in_scope(r, b->pool))
		return 0;
	if (rc == 0 || rc == ZT_ENOTFOUND)
		zt_reply_error(r, 404, "not-found", "no such batch");
	else
		api_fail(r, rc);
	return 1;
}

/* What a step answers: {"batch": … or null} and what the step adds. */
struct batch_answer {
	const struct zt_batch *batch;              /* NULL: "batch": null */
	const int64_t *added;                      /* reopen */
	const struct zt_batch_export_info *export; /* export */
	const struct zt_batch_send_res *send;      /* send */
};

static void batch_answer_json(struct zt_json_writer *w, const void *ctx)
{
	const struct batch_answer *x = ctx;
	zt_json_write_object_begin(w);
	zt_json_write_key(w, "batch");
	if (x->batch)
		api_batch_json(w, x->batch);
	else
		zt_json_write_null(w);
	if (x->added)
		api_json_int(w, "added", *x->added);
	if (x->export) {
		api_json_int(w, "count", x->export->count);
		api_json_amount(w, "total", x->export->total);
		api_json_str(w, "digest", x->export->digest);
		api_json_str(w, "file_sha256", x->export->file_sha256);
	}
	if (x->send) {
		api_json_str(w, "outcome", zt_batch_outcome_name(x->send->outcome));
		api_json_text_or_null(w, "gateway", x->send->gateway);
		api_json_text_or_null(w, "message", x->send->message);
	}
	zt_json_write_object_end(w);
}

static int reply_batch(struct zt_request *r, unsigned status, const struct batch_answer *x)
{
	return api_reply_with(r, status, batch_answer_json, x);
}

/* ---- list --------------------------------------------------------------------------- */

struct listing {
	struct zt_request *r;
	const struct zt_batch_list_req *req;
	struct zt_json_writer *w;
};

static int list_row(void *ctx, const struct zt_batch *b)
{
	struct listing *l = ctx;
	if (fund_in_scope(l->r, ZT_OP_BATCH_READ, b->fund_code) && api_pool_in_scope(l->r, b->pool))
		api_batch_json(l->w, b);
	return 0;
}

static int fill_batches(struct zt_store *s, struct zt_json_writer *w, void *ctx)
{
	struct listing *l = ctx;
	int64_t n = 0;
	l->w = w;
	return zt_batch_list(s, l->req, list_row, l, &n);
}

static int get_batches(struct zt_request *r, void *ctx)
{
	static const char *const allowed[] = {"fund_code", "status", "pool", NULL};
	if (zt_req_query_check(r, allowed) != 0)
		return zt_reply_error(r, 400, "invalid-query", "%s", zt_error_last());
	struct zt_batch_list_req req = {.fund_code = zt_req_query(r, "fund_code"),
	                                .pool = zt_req_query(r, "pool")};
	const char *st = zt_req_query(r, "status");
	if (st) {
		if (zt_batch_status_parse(&req.status, st) != 0)
			return zt_reply_error(r, 400, "invalid-query", "status: %s", zt_error_last());
		req.has_status = true;
	}
	struct listing l = {.r = r, .req = &req};
	return api_reply_list(r, ctx, "batches", fill_batches, &l);
}

/* ---- create ------------------------------------------------------------------------------ */

static int post_batches(struct zt_request *r, void *ctx)
{
	static const char *const members[] = {"fund_code", "through", "pool", NULL};
	struct zt_json_doc *d = NULL;
	const struct zt_json *root = NULL;
	if (api_json_object_body(r, members, &d, &root) != 0)
		return 0;
	const char *fund = NULL, *want = NULL, *pool = NULL;
	bool has_fund = false, has_through = false, has_pool = false;
	zt_date through = 0;
	zt_error_clear();
	if (!root || zt_json_get_text(&fund, &has_fund, root, "fund_code", ZT_CODE_CHARS_MAX) != 0 ||
	    zt_json_get_date(&through, &has_through, root, "through") != 0 ||
	    zt_json_get_text(&want, &has_pool, root, "pool", ZT_POOL_ID_BYTES - 1) != 0 || !has_fund) {
		zt_reply_error(r, 400, "invalid-request",
		               "the body is {\"fund_code\": \"…\", \"through\": \"YYYY-MM-DD\"?, "
		               "\"pool\": \"…\"?}%s%s",
		               zt_error_last()[0] ? ": " : "", zt_error_last());
		zt_json_doc_free(d);
		return 0;
	}
	int rc = 0;
	char actor[ZT_ACTOR_BYTES];
	struct zt_store *s = NULL;
	if (!fund_in_scope(r, ZT_OP_BATCH_WRITE, fund)) {
		rc = zt_reply_error(r, 404, "not-found", "no such fund");
		goto done;
	}
	if (api_pool_pick(r, ((struct zt_api *)ctx)->config, has_pool ? want : NULL, &pool) != 0)
		goto done;
	if (api_actor(r, actor) != 0 || api_store(r, ctx, false, &s) != 0)
		goto done;
	struct zt_batch_create_res res;
	const struct zt_batch_create_req req = {.cfg = ((struct zt_api *)ctx)->config,
	                                        .pool = pool, .fund_code = fund,
	                                        .through = has_through ? through : 0,
	                                        .actor = actor};
	rc = zt_batch_create(s, &req, &res);
	zt_store_close(s);
	if (rc == ZT_ENOTFOUND) {
		rc = zt_reply_error(r, 404, "not-found", "no such fund");
		goto done;
	}
	if (rc)
		rc = api_fail(r, rc);
	else
		rc = reply_batch(r, res.id[0] ? 201 : 200,
		                 &(struct batch_answer){.batch = res.id[0] ? &res.batch : NULL});
done:
	zt_json_doc_free(d);
	return rc;
}

/* ---- show, records ------------------------------------------------------------------------- */

struct show {
	struct zt_json_writer *w;
	unsigned view;
};

static int show_batch(void *ctx, const struct zt_batch_view *v)
{
	struct show *x = ctx;
	zt_json_write_key(x->w, "batch");
	api_batch_json(x->w, &v->batch);
	zt_json_write_key(x->w, "owes");
	if (v->owed_shown)
		zt_json_write_amount(x->w, v->owes);
	else
		zt_json_write_null(x->w);
	zt_json_write_key(x->w, "history");
	zt_json_write_array_begin(x->w);
	return 0;
}

static int show_event(void *ctx, const struct zt_batch_event *e)
{
	struct show *x = ctx;
	zt_json_write_object_begin(x->w);
	api_json_text_or_null(x->w, "at", e->at);
	api_json_text_or_null(x->w, "actor", e->actor);
	api_json_text_or_null(x->w, "action", e->action);
	api_json_text_or_null(x->w, "status_from", e->status_from);
	api_json_text_or_null(x->w, "status_to", e->status_to);
	api_json_text_or_null(x->w, "detail", e->detail);
	zt_json_write_object_end(x->w);
	return 0;
}

static int get_batch(struct zt_request *r, void *ctx)
{
	struct zt_batch b;
	if (batch_of(r, ctx, ZT_OP_BATCH_READ, &b) != 0)
		return 0;
	struct show x = {0};
	struct zt_store *s = NULL;
	int rc = zt_json_writer_new(&x.w, false);
	if (rc)
		return rc;
	zt_json_write_object_begin(x.w);
	if (api_store(r, ctx, true, &s) == 0) {
		const struct zt_batch_show_visitor v = {.ctx = &x, .batch = show_batch,
		                                         .event = show_event};
		const struct zt_batch_show_req req = {.id = b.id};
		rc = zt_batch_show(s, &req, &v);
		zt_store_close(s);
		if (rc)
			rc = api_fail(r, rc);
		else {
			zt_json_write_array_end(x.w);
			zt_json_write_object_end(x.w);
			rc = zt_reply_json(r, 200, x.w);
		}
	}
	zt_json_writer_free(x.w);
	return rc;
}

static int record_row(void *ctx, const struct zt_batch_record *rec)
{
	struct show *x = ctx;
	struct zt_json_writer *w = x->w;
	zt_json_write_object_begin(w);
	api_json_str(w, "setl_id", rec->setl_id);
	api_json_int(w, "seq", rec->seq);
	api_json_str(w, "refd_setl_flag", strcmp(rec->kind, "reverse") == 0 ? "1" : "0");
	api_json_text_or_null(w, "reverses", rec->reverses);
	api_json_str(w, "fixmedins_code", rec->fixmedins_code);
	api_json_str(w, "claim_no", rec->claim_no);
	api_json_str(w, "psn_no", rec->psn_no);
	api_json_date_or_null(w, "dscg_date", rec->dscg_date);
	api_json_amount(w, "fund_payamt", rec->amount);
	api_json_bool(w, "payable", rec->payable);
	api_json_text_or_null(w, "fund_kind", rec->fund_kind);
	api_json_text_or_null(w, "reject_reason", rec->reject_reason);
	/* what a payer's reviewer reads: never to a role without the view */
	if (x->view & ZT_VIEW_IDENTITY) {
		api_json_text_or_null(w, "psn_name", rec->psn_name);
		api_json_text_or_null(w, "certno", rec->id_no);
	}
	if (x->view & ZT_VIEW_CLINICAL) {
		api_json_date_or_null(w, "adm_date", rec->adm_date);
		api_json_text_or_null(w, "dscg_maindiag_code", rec->dscg_maindiag_code);
	}
	api_json_amount(w, "medfee_sumamt", rec->medfee_sumamt);
	zt_json_write_object_end(w);
	return 0;
}

struct records {
	const char *id;
	bool rejected;
	struct show show;
};

static int fill_records(struct zt_store *s, struct zt_json_writer *w, void *ctx)
{
	struct records *x = ctx;
	x->show.w = w;
	return zt_batch_records_each(s, x->id, x->rejected, record_row, &x->show);
}

static int get_batch_records(struct zt_request *r, void *ctx)
{
	static const char *const allowed[] = {"rejected", NULL};
	if (zt_req_query_check(r, allowed) != 0)
		return zt_reply_error(r, 400, "invalid-query", "%s", zt_error_last());
	const char *rej = zt_req_query(r, "rejected");
	if (rej && strcmp(rej, "0") != 0 && strcmp(rej, "1") != 0)
		return zt_reply_error(r, 400, "invalid-query", "rejected is 0 or 1");
	struct zt_batch b;
	if (batch_of(r, ctx, ZT_OP_BATCH_READ, &b) != 0)
		return 0;
	struct records x = {.id = b.id, .rejected = rej && strcmp(rej, "1") == 0,
	                    .show = {.view = api_view(r)}};
	return api_reply_list(r, ctx, "records", fill_records, &x);
}

/* ---- steps ----------------------------------------------------------------------------- */

enum step { STEP_APPROVE, STEP_REJECT, STEP_REOPEN };

static int batch_step(struct zt_request *r, struct zt_api *a, enum step which)
{
	static const char *const members[] = {"reason", NULL};
	struct zt_batch b;
	if (batch_of(r, a, ZT_OP_BATCH_WRITE, &b) != 0)
		return 0;
	struct zt_json_doc *d = NULL;
	const struct zt_json *root = NULL;
	if (api_json_object_body(r, members, &d, &root) != 0)
		return 0;
	const char *reason = NULL;
	bool has_reason = false;
	int rc = 0;
	struct zt_store *s = NULL;
	zt_error_clear();
	if (root && zt_json_get_text(&reason, &has_reason, root, "reason",
	                          ZT_TEXT_CHARS_MAX) != 0) {
		rc = zt_reply_error(r, 400, "invalid-request", "%s", zt_error_last());
		goto done;
	}
	if (which == STEP_REJECT && !has_reason) {
		rc = zt_reply_error(r, 400, "invalid-request",
		                    "a rejection gives its reason: {\"reason\": \"…\"}");
		goto done;
	}
	char actor[ZT_ACTOR_BYTES];
	if (api_actor(r, actor) != 0 || api_store(r, a, false, &s) != 0)
		goto done;
	struct zt_batch_step_res res;
	const struct zt_batch_step_req req = {b.id, actor, has_reason ? reason : NULL};
	rc = which == STEP_APPROVE  ? zt_batch_approve(s, &req, &res)
	     : which == STEP_REJECT ? zt_batch_reject(s, &req, &res)
	                            : zt_batch_reopen(s, &req, &res);
	zt_store_close(s);
	/* the maker-checker refusal is ZT_EFOUREYES (409 four-eyes); every
	 * other conflict of a step is the batch's state */
	if (rc)
		rc = api_fail_state(r, rc, "batch-state");
	else
		rc = reply_batch(r, 200, &(struct batch_answer){
		                 .batch = &res.batch, .added = which == STEP_REOPEN ? &res.added : NULL});
done:
	zt_json_doc_free(d);
	return rc;
}

static int post_approve(struct zt_request *r, void *ctx) { return batch_step(r, ctx, STEP_APPROVE); }
static int post_reject(struct zt_request *r, void *ctx) { return batch_step(r, ctx, STEP_REJECT); }
static int post_reopen(struct zt_request *r, void *ctx) { return batch_step(r, ctx, STEP_REOPEN); }

/* ---- export, send, the file ----------------------------------------------------------- */

static const char *signing(const struct zt_api *a, const char *key)
{
	const char *v = a->config ? zt_config_get(a->config, "signing", key) : NULL;
	return v && v[0] ? v : NULL;
}

static int post_export(struct zt_request *r, void *ctx)
{
	struct zt_api *a = ctx;
	struct zt_batch b;
	if (batch_of(r, a, ZT_OP_BATCH_WRITE, &b) != 0)
		return 0;
	const char *key = signing(a, "key");
	if (!a->files_dir || !a->files_dir[0] || !key)
		return zt_reply_error(r, 503, "not-configured",
		                      "the service has no files directory ([service] files) or no "
		                      "signing key ([signing] key)");
	char out[ZT_BATCH_PATH_BYTES], actor[ZT_ACTOR_BYTES];
	if ((size_t)snprintf(out, sizeof out, "%s/%s.xml", a->files_dir, b.id) >= sizeof out)
		return zt_reply_error(r, 500, "internal-error", "the files directory's name is too long");
	struct zt_store *s = NULL;
	if (api_actor(r, actor) != 0 || api_store(r, a, false, &s) != 0)
		return 0;
	struct zt_batch_export_info info;
	const struct zt_batch_export_req req = {.id = b.id, .out_path = out, .key_path = key,
	                                        .actor = actor, .config = a->config,
	                                        .trace_xml = zt_trace_xml};
	int rc = zt_batch_export(s, &req, &info);
	if (rc == 0)
		rc = batch_read(s, b.id, &b);
	zt_store_close(s);
	if (rc)
		return api_fail_state(r, rc, "batch-state");
	return reply_batch(r, 200, &(struct batch_answer){.batch = &b, .export = &info});
}

static int post_send(struct zt_request *r, void *ctx)
{
	struct zt_api *a = ctx;
	struct zt_batch b;
	if (batch_of(r, a, ZT_OP_BATCH_WRITE, &b) != 0)
		return 0;
	const char *key = signing(a, "public-key");
	key = key ? key : signing(a, "key");
	char actor[ZT_ACTOR_BYTES];
	struct zt_store *s = NULL;
	if (api_actor(r, actor) != 0 || api_store(r, a, false, &s) != 0)
		return 0;
	struct zt_gateway_port gp;
	struct zt_batch_send_res res;
	memset(&res, 0, sizeof res);
	zt_gateway_port_init(&gp, a->config);
	const struct zt_batch_send_req req = {b.id, NULL, key, actor};
	int rc = zt_batch_send(s, &req, &gp.port, &res);
	zt_gateway_port_free(&gp);
	/* what was recorded — the payer's answer, or a hand-over that did not
	 * reach it — is in the batch's state: 202 either way */
	bool recorded = rc == 0 || res.recorded;
	int grc = recorded ? batch_read(s, b.id, &b) : 0;
	zt_store_close(s);
	if (!recorded)
		return api_fail_state(r, rc, "batch-state");
	if (grc)
		return api_fail(r, grc);
	return reply_batch(r, 202, &(struct batch_answer){.batch = &b, .send = &res});
}

static int batch_file(struct zt_request *r, struct zt_api *a, bool sig)
{
	/* the payer file names people, their ID numbers and diagnoses: not for
	 * a role that may not see them (finance), decided before any lookup */
	const unsigned need = ZT_VIEW_IDENTITY | ZT_VIEW_CLINICAL;
	if ((api_view(r) & need) != need)
		return zt_reply_error(r, 403, "forbidden", "the payer file holds names, ID numbers and "
		                      "diagnoses, which this role does not see");
	struct zt_batch b;
	if (batch_of(r, a, ZT_OP_BATCH_READ, &b) != 0)
		return 0;
	if (!b.file_path[0])
		return zt_reply_error(r, 404, "not-found", "batch '%s' is not exported", b.id);
	char path[ZT_BATCH_PATH_BYTES + 8];
	snprintf(path, sizeof path, "%s%s", b.file_path, sig ? ".sig" : "");
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		return zt_reply_error(r, 404, "not-found", "the exported file of batch '%s' is gone",
		                      b.id);
	}
	return zt_reply_fd(r, 200, sig ? "application/octet-stream" : "application/xml", fd,
	                   (uint64_t)st.st_size);
}

static int get_file(struct zt_request *r, void *ctx) { return batch_file(r, ctx, false); }
static int get_file_sig(struct zt_request *r, void *ctx) { return batch_file(r, ctx, true); }

int api_batches_routes(struct zt_api *a, struct zt_service *s)
{
	const unsigned json = ZT_BODY(ZT_FORMAT_JSON);
	const struct zt_route routes[] = {
		{.method = "GET", .path = "/v1/batches", .op = ZT_OP_BATCH_READ, .handler = get_batches,
		 .ctx = a, .summary = "batch list: the caller's funds' batches, by fund and status"},
		{.method = "POST", .path = "/v1/batches", .op = ZT_OP_BATCH_WRITE, .bodies = json,
		 .handler = post_batches, .ctx = a,
		 .summary = "batch create: every waiting share of a fund in a new draft batch "
		            "(200 {\"batch\": null} with nothing to batch)"},
		{.method = "GET", .path = "/v1/batches/{id}", .op = ZT_OP_BATCH_READ,
		 .handler = get_batch, .ctx = a, .summary = "batch show: the batch, what it owes, its history"},
		{.method = "GET", .path = "/v1/batches/{id}/records", .op = ZT_OP_BATCH_READ,
		 .handler = get_batch_records, .ctx = a,
		 .summary = "the batch's records (?rejected=1: those the payer rejected)"},
		{.method = "POST", .path = "/v1/batches/{id}/approve", .op = ZT_OP_BATCH_WRITE,
		 .bodies = json, .handler = post_approve, .ctx = a,
		 .summary = "batch approve: not by whoever created or reopened it (409 four-eyes)"},
		{.method = "POST", .path = "/v1/batches/{id}/reject", .op = ZT_OP_BATCH_WRITE,
		 .bodies = json, .handler = post_reject, .ctx = a,
		 .summary = "batch reject, with the checker's reason"},
		{.method = "POST", .path = "/v1/batches/{id}/reopen", .op = ZT_OP_BATCH_WRITE,
		 .bodies = json, .handler = post_reopen, .ctx = a,
		 .summary = "batch reopen: a rejected batch a draft again, with every share now billable"},
		{.method = "POST", .path = "/v1/batches/{id}/export", .op = ZT_OP_BATCH_WRITE,
		 .bodies = json, .handler = post_export, .ctx = a,
		 .summary = "batch export: the signed payer file of an approved batch"},
		{.method = "POST", .path = "/v1/batches/{id}/send", .op = ZT_OP_BATCH_WRITE,
		 .bodies = json, .handler = post_send, .ctx = a,
		 .summary = "batch send: hands the exported file to the fund's payer; 202, the "
		            "batch's state tells the outcome"},
		{.method = "GET", .path = "/v1/batches/{id}/file", .op = ZT_OP_BATCH_READ,
		 .handler = get_file, .ctx = a, .summary = "the exported payer file"},
		{.method = "GET", .path = "/v1/batches/{id}/file.sig", .op = ZT_OP_BATCH_READ,
		 .handler = get_file_sig, .ctx = a, .summary = "the payer file's detached signature"},
	};
	return api_add_routes(a, s, routes, sizeof routes / sizeof *routes);
}
