/* zhitong — finance over HTTP: advances and reconciliation (docs/spec/
 * service.md "Endpoints"; the commands of tools/cli/cmd_advance.c and
 * cmd_reconcile.c over the same use cases, advance.h and reconcile.h):
 *
 *   GET  /v1/advances                         advance list and each hospital's status
 *   GET  /v1/advance-plans                    every plan and its state
 *   POST /v1/advance-plans {"as_of"?} | {"fixmedins_code", "amount"}
 *                                             advance plan | a single advance: 201
 *   GET  /v1/advance-plans/{id}               the plan with its lines
 *   POST /v1/advance-plans/{id}/approve       maker-checker: 409 four-eyes
 *   POST /v1/advance-plans/{id}/issue {"execution_date"?}
 *                                             pays it: the pain.001 in the service's files
 *   GET  /v1/advance-plans/{id}/pain001       that file
 *   POST /v1/statements (camt.053)            reconcile import
 *   GET  /v1/exceptions[?open=0]              reconcile exceptions
 *   POST /v1/exceptions/{id}/resolve {"as", "note"}
 *   GET  /v1/reports/reconciliation?as_of=&pool=  reconcile report: JSON, CSV or HTML
 *
 * Finance sees amounts, hospitals and funds: nothing here carries a
 * diagnosis, an item or an ID number. Files the service writes (pain.001)
 * go to its files directory ([service] files, zt_api.files_dir). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"
#include "zhitong/advance.h"
#include "zhitong/date.h"
#include "zhitong/error.h"
#include "zhitong/recon_render.h"
#include "zhitong/reconcile.h"
#include "zhitong/source.h"

/* ---- advances --------------------------------------------------------------------- */

static void advance_json(struct zt_json_writer *w, const struct zt_advance *x)
{
	zt_json_write_object_begin(w);
	api_json_str(w, "advance_id", x->advance_id);
	api_json_str(w, "fixmedins_code", x->hospital);
	api_json_amount(w, "amount", x->amount);
	api_json_text_or_null(w, "plan_id", x->plan_id);
	api_json_text_or_null(w, "msg_id", x->msg_id);
	api_json_text_or_null(w, "made_by", x->made_by);
	api_json_text_or_null(w, "approved_by", x->approved_by);
	api_json_text_or_null(w, "issued_by", x->issued_by);
	api_json_text_or_null(w, "issued_at", x->issued_at);
	api_json_date_or_null(w, "execution_date", x->execution_date);
	zt_json_write_object_end(w);
}

/* The hospitals of the caller's pools (issue 13 §2): their advances and
 * status only. */
struct pool_hospitals {
	struct zt_request *r;
	const struct zt_config *cfg;
	struct zt_json_writer *w;
};

/* a hospital of no pool: to a user of every pool */
static bool county_in_scope(void *ctx, const char *county)
{
	const struct pool_hospitals *h = ctx;
	return api_pool_in_scope(h->r, zt_config_pool_of_county(h->cfg, county));
}

static int list_advance(void *ctx, const struct zt_advance *x)
{
	advance_json(ctx, x);
	return 0;
}

static int status_row(void *ctx, const struct zt_advance_status *st)
{
	struct pool_hospitals *h = ctx;
	struct zt_json_writer *w = h->w;
	if (!county_in_scope(h, st->county))
		return 0;
	zt_json_write_object_begin(w);
	api_json_str(w, "fixmedins_code", st->hospital);
	api_json_amount(w, "advanced", st->advanced);
	api_json_amount(w, "earned", st->earned);
	api_json_amount(w, "balance", st->balance);
	api_json_text_or_null(w, "advancing_since", st->advancing_since);
	zt_json_write_object_end(w);
	return 0;
}

static int get_advances(struct zt_request *r, void *ctx)
{
	struct zt_json_writer *w = NULL;
	struct zt_store *s = NULL;
	int rc = zt_json_writer_new(&w, false);
	if (rc)
		return rc;
	struct pool_hospitals h = {.r = r, .cfg = ((struct zt_api *)ctx)->config, .w = w};
	if (api_store(r, ctx, true, &s) != 0)
		goto done;
	zt_json_write_object_begin(w);
	zt_json_write_key(w, "advances");
	zt_json_write_array_begin(w);
	rc = zt_advance_list_admitted(s, county_in_scope, &h, list_advance, w);
	zt_json_write_array_end(w);
	zt_json_write_key(w, "hospitals");
	zt_json_write_array_begin(w);
	if (rc == 0)
		rc = zt_advance_status(s, status_row, &h);
	zt_json_write_array_end(w);
	zt_json_write_object_end(w);
	zt_store_close(s);
	rc = rc ? api_fail(r, rc) : zt_reply_json(r, 200, w);
done:
	zt_json_writer_free(w);
	return rc;
}

static void plan_json(struct zt_json_writer *w, const struct zt_advance_plan *p)
{
	zt_json_write_object_begin(w);
	api_json_str(w, "plan_id", p->plan_id);
	api_json_date_or_null(w, "as_of", p->as_of);
	api_json_date_or_null(w, "window_from", p->window_from);
	api_json_int(w, "target_days", p->target_days);
	api_json_amount(w, "min_topup", p->min_topup);
	api_json_amount(w, "total", p->total);
	api_json_text_or_null(w, "made_by", p->made_by);
	api_json_text_or_null(w, "made_at", p->made_at);
	api_json_text_or_null(w, "approved_by", p->approved_by);
	api_json_text_or_null(w, "approved_at", p->approved_at);
	api_json_text_or_null(w, "issued_msg_id", p->issued_msg_id);
	api_json_text_or_null(w, "issued_at", p->issued_at);
	api_json_str(w, "pool", p->pool);
	api_json_str(w, "status", p->issued_msg_id[0] ? "issued"
	                        : p->approved_by[0] ? "approved"
	                                            : "made");
	zt_json_write_key(w, "lines");
	zt_json_write_array_begin(w);
	for (size_t i = 0; i < p->line_count; i++) {
		const struct zt_advance_plan_line *l = &p->lines[i];
		zt_json_write_object_begin(w);
		api_json_str(w, "fixmedins_code", l->hospital);
		api_json_str(w, "basis", l->requested ? "request" : l->fixed_target ? "target" : "earnings");
		api_json_amount(w, "window_earned", l->window_earned);
		api_json_amount(w, "target", l->target);
		api_json_amount(w, "balance", l->balance);
		api_json_amount(w, "topup", l->topup);
		zt_json_write_object_end(w);
	}
	zt_json_write_array_end(w);
	zt_json_write_object_end(w);
}

static void plan_answer_json(struct zt_json_writer *w, const void *p) { plan_json(w, p); }

static int reply_plan(struct zt_request *r, unsigned status, const struct zt_advance_plan *p)
{
	return api_reply_with(r, status, plan_answer_json, p);
}

struct plan_listing {
	struct zt_request *r;
	struct zt_json_writer *w;
};

static int plan_row(void *ctx, const struct zt_advance_plan *p)
{
	struct plan_listing *l = ctx;
	if (api_pool_in_scope(l->r, p->pool))
		plan_json(l->w, p);
	return 0;
}

static int fill_plans(struct zt_store *s, struct zt_json_writer *w, void *ctx)
{
	struct plan_listing l = {ctx, w};
	return zt_advance_plans(s, plan_row, &l);
}

static int get_plans(struct zt_request *r, void *ctx)
{
	return api_reply_list(r, ctx, "plans", fill_plans, r);
}

/* A single advance goes to a hospital of the caller's pools: else answered
 * 404 (the answer of a hospital that is not there) and false. */
static bool hospital_pool_in_scope(struct zt_request *r, struct zt_api *a, struct zt_store *s,
                                   const char *code)
{
	struct zt_hospital hosp;
	int rc = s->ops->begin(s, ZT_TXN_READ);
	if (rc == 0) {
		rc = s->ops->registry.get_hospital(s, code, &hosp);
		s->ops->rollback(s);
	}
	if (rc && rc != ZT_ENOTFOUND) {
		api_fail(r, rc);
		return false;
	}
	const char *pool = rc == 0 ? zt_config_pool_of_county(a->config, hosp.county) : NULL;
	if (rc == 0 && (!pool || api_pool_in_scope(r, pool)))
		return true; /* no pool serves it: the use case says so */
	zt_reply_error(r, 404, "not-found", "hospital '%s' is not in the registry", code);
	return false;
}

static int post_plans(struct zt_request *r, void *ctx)
{
	struct zt_api *a = ctx;
	static const char *const members[] = {"as_of", "fixmedins_code", "amount", "pool", NULL};
	struct zt_json_doc *d = NULL;
	const struct zt_json *root = NULL;
	if (api_json_object_body(r, members, &d, &root) != 0)
		return 0;
	zt_date as_of = 0;
	const char *h = NULL, *want = NULL, *pool = NULL;
	zt_fen amount = 0;
	bool has_as_of = false, has_h = false, has_amount = false, has_pool = false;
	int rc = 0;
	zt_error_clear();
	if (root && (zt_json_get_date(&as_of, &has_as_of, root, "as_of") != 0 ||
	             zt_json_get_text(&h, &has_h, root, "fixmedins_code", ZT_CODE_CHARS_MAX) != 0 ||
	             zt_json_get_amount(&amount, &has_amount, root, "amount") != 0 ||
	             zt_json_get_text(&want, &has_pool, root, "pool", ZT_POOL_ID_BYTES - 1) != 0)) {
		rc = zt_reply_error(r, 400, "invalid-request", "%s", zt_error_last());
		goto out;
	}
	if (has_h != has_amount || (has_h && (has_as_of || has_pool))) {
		rc = zt_reply_error(r, 400, "invalid-request",
		                    "the body is {\"as_of\": \"YYYY-MM-DD\"?, \"pool\": \"…\"?} (a plan) or "
		                    "{\"fixmedins_code\": \"…\", \"amount\": \"…\"} (a single advance)");
		goto out;
	}
	char actor[ZT_ACTOR_BYTES];
	struct zt_store *s = NULL;
	if (!has_h && api_pool_pick(r, a->config, want, &pool) != 0)
		goto out;
	if (api_actor(r, actor) != 0 || api_store(r, a, false, &s) != 0)
		goto out;
	if (has_h && !hospital_pool_in_scope(r, a, s, h)) {
		zt_store_close(s);
		goto out;
	}
	struct zt_advance_plan p;
	memset(&p, 0, sizeof p);
	if (has_h)
		rc = zt_advance_request(s, &(struct zt_advance_request_req){.hospital = h,
		                        .amount = amount, .actor = actor, .cfg = a->config}, &p);
	else
		rc = zt_advance_plan(s, &(struct zt_advance_plan_req){.cfg = a->config, .pool = pool,
		                     .as_of = as_of, .actor = actor}, &p);
	zt_store_close(s);
	if (rc == ZT_ENOTFOUND)
		rc = zt_reply_error(r, 404, "not-found", "%s", zt_error_last());
	else if (rc)
		rc = api_fail(r, rc);
	else
		rc = reply_plan(r, 201, &p);
	zt_advance_plan_free(&p);
out:
	zt_json_doc_free(d);
	return rc;
}

/* The plan {id}: 0, or answered 404 (or the failure) and non-zero. */
static int plan_of(struct zt_request *r, struct zt_api *a, struct zt_advance_plan *p)
{
	struct zt_store *s = NULL;
	memset(p, 0, sizeof *p);
	if (api_store(r, a, true, &s) != 0)
		return 1;
	int rc = zt_advance_plan_get(s, zt_req_param(r, "id"), p);
	zt_store_close(s);
	if (rc == 0 && api_pool_in_scope(r, p->pool))
		return 0;
	if (rc == 0) {
		zt_advance_plan_free(p);
		rc = ZT_ENOTFOUND;
	}
	if (rc == ZT_ENOTFOUND)
		zt_reply_error(r, 404, "not-found", "no such advance plan");
	else
		api_fail(r, rc);
	return 1;
}

static int get_plan(struct zt_request *r, void *ctx)
{
	struct zt_advance_plan p;
	if (plan_of(r, ctx, &p) != 0)
		return 0;
	int rc = reply_plan(r, 200, &p);
	zt_advance_plan_free(&p);
	return rc;
}

static int post_plan_approve(struct zt_request *r, void *ctx)
{
	struct zt_advance_plan p;
	if (plan_of(r, ctx, &p) != 0)
		return 0;
	char actor[ZT_ACTOR_BYTES];
	struct zt_store *s = NULL;
	int rc = 0;
	if (api_actor(r, actor) != 0 || api_store(r, ctx, false, &s) != 0)
		goto out;
	rc = zt_advance_approve(s, &(struct zt_advance_approve_req){p.plan_id, actor});
	if (rc == 0) {
		zt_advance_plan_free(&p);
		rc = zt_advance_plan_get(s, zt_req_param(r, "id"), &p);
	}
	zt_store_close(s);
	/* the maker cannot approve (ZT_EFOUREYES: 409 four-eyes); any other
	 * conflict is the plan's state: approved, issued or stale */
	rc = rc ? api_fail_state(r, rc, "plan-state") : reply_plan(r, 200, &p);
out:
	zt_advance_plan_free(&p);
	return rc;
}

static int files_path(struct zt_request *r, struct zt_api *a, char *out, size_t cap,
                      const char *name)
{
	if (!a->files_dir || !a->files_dir[0]) {
		zt_reply_error(r, 503, "not-configured",
		               "the service has no files directory ([service] files)");
		return 1;
	}
	if ((size_t)snprintf(out, cap, "%s/%s", a->files_dir, name) >= cap) {
		zt_reply_error(r, 500, "internal-error", "the files directory's name is too long");
		return 1;
	}
	return 0;
}

static void issued_json(struct zt_json_writer *w, const void *ctx)
{
	const struct zt_advance_issued *out = ctx;
	zt_json_write_object_begin(w);
	api_json_str(w, "msg_id", out->msg_id);
	api_json_amount(w, "total", out->total);
	zt_json_write_key(w, "advances");
	zt_json_write_array_begin(w);
	for (size_t i = 0; i < out->count; i++)
		advance_json(w, &out->advances[i]);
	zt_json_write_array_end(w);
	zt_json_write_object_end(w);
}

static int post_plan_issue(struct zt_request *r, void *ctx)
{
	struct zt_api *a = ctx;
	static const char *const members[] = {"execution_date", NULL};
	struct zt_advance_plan p;
	if (plan_of(r, a, &p) != 0)
		return 0;
	struct zt_json_doc *d = NULL;
	const struct zt_json *root = NULL;
	int rc = 0;
	zt_date exec = 0;
	bool has_exec = false;
	struct zt_advance_issued out;
	memset(&out, 0, sizeof out);
	if (api_json_object_body(r, members, &d, &root) != 0)
		goto out;
	zt_error_clear();
	if (root && zt_json_get_date(&exec, &has_exec, root, "execution_date") != 0) {
		rc = zt_reply_error(r, 400, "invalid-request", "%s", zt_error_last());
		goto out;
	}
	char path[ZT_ADVANCE_PATH_BYTES], name[ZT_ID_BYTES + 32], actor[ZT_ACTOR_BYTES];
	snprintf(name, sizeof name, "advance-%s.xml", p.plan_id);
	struct zt_store *s = NULL;
	if (files_path(r, a, path, sizeof path, name) != 0 || api_actor(r, actor) != 0 ||
	    api_store(r, a, false, &s) != 0)
		goto out;
	const struct zt_advance_issue_req req = {.cfg = a->config,
	                                         .plan_id = p.plan_id,
	                                         .actor = actor,
	                                         .out_path = path,
	                                         .execution_date = has_exec ? exec : 0};
	rc = zt_advance_issue(s, &req, &out);
	zt_store_close(s);
	rc = rc ? api_fail_state(r, rc, "plan-state") : api_reply_with(r, 201, issued_json, &out);
out:
	zt_advance_issued_free(&out);
	zt_advance_plan_free(&p);
	zt_json_doc_free(d);
	return rc;
}

static int get_plan_pain001(struct zt_request *r, void *ctx)
{
	struct zt_api *a = ctx;
	struct zt_advance_plan p;
	if (plan_of(r, a, &p) != 0)
		return 0;
	char path[ZT_ADVANCE_PATH_BYTES], name[ZT_ID_BYTES + 32];
	snprintf(name, sizeof name, "advance-%s.xml", p.plan_id);
	bool issued = p.issued_msg_id[0] != '\0';
	zt_advance_plan_free(&p);
	if (!issued)
		return zt_reply_error(r, 404, "not-found", "the plan is not issued: it has no pain.001");
	if (files_path(r, a, path, sizeof path, name) != 0)
		return 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		if (fd >= 0)
			close(fd);
		return zt_reply_error(r, 404, "not-found", "the plan's pain.001 is not in the service's "
		                      "files");
	}
	return zt_reply_fd(r, 200, "application/xml", fd, (uint64_t)st.st_size);
}

/* ---- reconciliation ------------------------------------------------------------------ */

static void exception_json(struct zt_json_writer *w, const struct zt_recon_exception *x)
{
	zt_json_write_object_begin(w);
	api_json_str(w, "id", x->exc_id);
	api_json_str(w, "kind", zt_recon_kind_name(x->kind));
	api_json_text_or_null(w, "entry_ref", x->entry_ref);
	if (x->entry_row) {
		api_json_bool(w, "credit", x->credit);
		api_json_date_or_null(w, "booking_date", x->booking_date);
	}
	api_json_text_or_null(w, "batch_id", x->batch_id);
	api_json_text_or_null(w, "advance_id", x->advance_id);
	api_json_text_or_null(w, "return_id", x->return_id);
	api_json_amount(w, "amount", x->amount);
	api_json_date_or_null(w, "since", x->since);
	api_json_text_or_null(w, "detail", x->detail);
	api_json_text_or_null(w, "raised_at", x->raised_at);
	api_json_text_or_null(w, "raised_by", x->raised_by);
	api_json_bool(w, "resolved", x->resolved);
	if (x->resolved) {
		api_json_str(w, "resolution", zt_recon_resolution_name(x->resolution));
		api_json_text_or_null(w, "target", x->target);
		api_json_text_or_null(w, "note", x->note);
		api_json_text_or_null(w, "resolved_at", x->resolved_at);
		api_json_text_or_null(w, "resolved_by", x->resolved_by);
	}
	zt_json_write_object_end(w);
}

static void exception_answer_json(struct zt_json_writer *w, const void *x) { exception_json(w, x); }

static int post_statements(struct zt_request *r, void *ctx)
{
	struct zt_api *a = ctx;
	size_t len = 0;
	const char *body = zt_req_body(r, &len);
	char actor[ZT_ACTOR_BYTES];
	struct zt_store *s = NULL;
	if (api_actor(r, actor) != 0 || api_store(r, a, false, &s) != 0)
		return 0;
	struct zt_buffer_reader at;
	struct zt_source src = zt_source_buffer(&at, body, len, "the statement");
	struct zt_recon_import_result res;
	memset(&res, 0, sizeof res);
	const struct zt_principal *who = zt_req_principal(r);
	const struct zt_recon_import_req req = {.cfg = a->config, .statement = &src, .actor = actor,
	                                        .scope = who ? &who->scope : NULL};
	int rc = zt_recon_import(s, &req, &res);
	struct zt_json_writer *w = NULL;
	if (rc == ZT_ENOTFOUND) {
		/* another pool's account: as if it did not exist */
		rc = zt_reply_error(r, 404, "not-found", "no such account");
		goto out;
	}
	if (rc == ZT_ECONFLICT) {
		rc = zt_reply_error(r, 409, "statement-conflict", "%s", zt_error_last());
		goto out;
	}
	if (rc == ZT_EINVAL || rc == ZT_EMALFORMED) {
		rc = zt_reply_error(r, 422, "invalid-statement", "%s", zt_error_last());
		goto out;
	}
	if (rc) {
		rc = api_fail(r, rc);
		goto out;
	}
	if ((rc = zt_json_writer_new(&w, false)) != 0)
		goto out;
	zt_json_write_object_begin(w);
	api_json_str(w, "msg_id", res.msg_id);
	const struct {
		const char *k;
		int64_t v;
	} n[] = {{"reported", res.reported}, {"stored", res.stored}, {"known", res.known},
	         {"not_booked", res.not_booked}, {"matched", res.matched}, {"held", res.held},
	         {"rematched", res.rematched}};
	for (size_t i = 0; i < sizeof n / sizeof *n; i++) {
		api_json_int(w, n[i].k, n[i].v);
	}
	zt_json_write_key(w, "exceptions");
	zt_json_write_array_begin(w);
	for (size_t i = 0; i < res.exception_count && rc == 0; i++) {
		struct zt_recon_exception x;
		if ((rc = zt_recon_exception_get(s, res.exceptions[i], &x)) == 0)
			exception_json(w, &x);
	}
	zt_json_write_array_end(w);
	zt_json_write_object_end(w);
	rc = rc ? api_fail(r, rc) : zt_reply_json(r, 200, w);
out:
	zt_store_close(s);
	zt_json_writer_free(w);
	zt_recon_import_result_free(&res);
	return rc;
}

struct exc_listing {
	struct zt_request *r;
	const struct zt_config *cfg;
	const struct zt_recon_exceptions_req *req;
	struct zt_json_writer *w;
};

/* Whether an exception is of the caller's pools (issue 13 §2); one of no
 * known pool: to a user of every pool. */
static bool exception_in_scope(struct zt_request *r, const struct zt_config *cfg,
                               const struct zt_recon_exception *x)
{
	return api_pool_in_scope(r, zt_recon_exception_pool(cfg, x));
}

static int exc_row(void *ctx, const struct zt_recon_exception *x)
{
	struct exc_listing *l = ctx;
	if (exception_in_scope(l->r, l->cfg, x))
		exception_json(l->w, x);
	return 0;
}

static int fill_exceptions(struct zt_store *s, struct zt_json_writer *w, void *ctx)
{
	struct exc_listing *l = ctx;
	l->w = w;
	return zt_recon_exceptions(s, l->req, exc_row, l);
}

static int get_exceptions(struct zt_request *r, void *ctx)
{
	static const char *const allowed[] = {"open", NULL};
	if (zt_req_query_check(r, allowed) != 0)
		return zt_reply_error(r, 400, "invalid-query", "%s", zt_error_last());
	const char *open_q = zt_req_query(r, "open");
	if (open_q && strcmp(open_q, "0") != 0 && strcmp(open_q, "1") != 0)
		return zt_reply_error(r, 400, "invalid-query", "open is 0 or 1");
	struct zt_recon_exceptions_req req = {.open_only = !open_q || strcmp(open_q, "1") == 0};
	struct exc_listing l = {r, ((struct zt_api *)ctx)->config, &req, NULL};
	return api_reply_list(r, ctx, "exceptions", fill_exceptions, &l);
}

static int post_resolve(struct zt_request *r, void *ctx)
{
	struct zt_api *a = ctx;
	static const char *const members[] = {"as", "note", NULL};
	struct zt_json_doc *d = NULL;
	const struct zt_json *root = NULL;
	if (api_json_object_body(r, members, &d, &root) != 0)
		return 0;
	const char *as = NULL, *note = NULL;
	bool has_as = false, has_note = false;
	int rc = 0;
	zt_error_clear();
	if (!root || zt_json_get_text(&as, &has_as, root, "as", ZT_RECON_TARGET_BYTES) != 0 ||
	    zt_json_get_text(&note, &has_note, root, "note", ZT_TEXT_CHARS_MAX) != 0 || !has_as ||
	    !has_note) {
		rc = zt_reply_error(r, 400, "invalid-request",
		                    "the body is {\"as\": \"accept\" | \"match:ID\" | \"refund\" | "
		                    "\"write-off\" | \"ignore\", \"note\": \"…\"}%s%s",
		                    zt_error_last()[0] ? ": " : "", zt_error_last());
		goto out;
	}
	char actor[ZT_ACTOR_BYTES];
	struct zt_store *s = NULL;
	if (api_actor(r, actor) != 0 || api_store(r, a, false, &s) != 0)
		goto out;
	struct zt_recon_exception x;
	const struct zt_recon_resolve_req req = {a->config, zt_req_param(r, "id"), as, actor, note};
	/* another pool's exception is not there for the caller */
	rc = zt_recon_exception_get(s, req.exc_id, &x);
	if (rc == 0 && !exception_in_scope(r, a->config, &x))
		rc = ZT_ENOTFOUND;
	if (rc == 0)
		rc = zt_recon_resolve(s, &req, &x);
	zt_store_close(s);
	if (rc == ZT_ENOTFOUND)
		rc = zt_reply_error(r, 404, "not-found", "no such exception");
	else if (rc)
		rc = api_fail_state(r, rc, "exception-state");
	else
		rc = api_reply_with(r, 200, exception_answer_json, &x);
out:
	zt_json_doc_free(d);
	return rc;
}

static void report_json(struct zt_json_writer *w, const struct zt_recon_report *rep)
{
	zt_json_write_object_begin(w);
	api_json_date_or_null(w, "as_of", rep->as_of);
	api_json_text_or_null(w, "pools", rep->pools); /* null: every pool */
	api_json_amount(w, "suspense", rep->suspense);
	api_json_amount(w, "pool_bank", rep->pool_bank);
	zt_json_write_key(w, "funds");
	zt_json_write_array_begin(w);
	for (size_t i = 0; i < rep->fund_count; i++) {
		const struct zt_recon_fund_line *f = &rep->funds[i];
		zt_json_write_object_begin(w);
		api_json_str(w, "fund_code", f->fund_code);
		api_json_str(w, "fund_name", f->fund_name);
		const struct {
			const char *k;
			zt_fen v;
		} m[] = {{"billed", f->billed}, {"paid", f->paid}, {"written_off", f->written_off},
		         {"returned", f->returned}, {"outstanding", f->outstanding}, {"ledger", f->ledger}};
		for (size_t j = 0; j < sizeof m / sizeof *m; j++) {
			api_json_amount(w, m[j].k, m[j].v);
		}
		api_json_int(w, "open_batches", f->open_batches);
		api_json_date_or_null(w, "oldest_sent", f->oldest_sent);
		zt_json_write_object_end(w);
	}
	zt_json_write_array_end(w);
	zt_json_write_key(w, "hospitals");
	zt_json_write_array_begin(w);
	for (size_t i = 0; i < rep->hospital_count; i++) {
		const struct zt_recon_hospital_line *h = &rep->hospitals[i];
		zt_json_write_object_begin(w);
		api_json_str(w, "fixmedins_code", h->hospital);
		api_json_text_or_null(w, "name", h->name);
		const struct {
			const char *k;
			zt_fen v;
		} m[] = {{"advanced", h->advanced}, {"confirmed", h->confirmed}, {"earned", h->earned},
		         {"balance", h->balance}};
		for (size_t j = 0; j < sizeof m / sizeof *m; j++) {
			api_json_amount(w, m[j].k, m[j].v);
		}
		zt_json_write_object_end(w);
	}
	zt_json_write_array_end(w);
	zt_json_write_key(w, "exceptions");
	zt_json_write_array_begin(w);
	for (size_t i = 0; i < rep->exception_count; i++)
		exception_json(w, &rep->exceptions[i]);
	zt_json_write_array_end(w);
	zt_json_write_key(w, "overdue");
	zt_json_write_array_begin(w);
	for (size_t i = 0; i < rep->overdue_count; i++) {
		const struct zt_recon_overdue *o = &rep->overdue[i];
		zt_json_write_object_begin(w);
		api_json_str(w, "kind", zt_recon_kind_name(o->kind));
		api_json_text_or_null(w, "batch_id", o->batch_id);
		api_json_text_or_null(w, "advance_id", o->advance_id);
		api_json_text_or_null(w, "return_id", o->return_id);
		api_json_amount(w, "amount", o->amount);
		api_json_date_or_null(w, "since", o->since);
		zt_json_write_object_end(w);
	}
	zt_json_write_array_end(w);
	zt_json_write_object_end(w);
}

static int get_recon_report(struct zt_request *r, void *ctx)
{
	struct zt_api *a = ctx;
	static const char *const allowed[] = {"as_of", "pool", NULL};
	if (zt_req_query_check(r, allowed) != 0)
		return zt_reply_error(r, 400, "invalid-query", "%s", zt_error_last());
	/* ?pool=P: P's (404 for a pool not the caller's); without it, the
	 * caller's pools (issue 13 §2), every pool for a user of every pool */
	const char *pool_q = zt_req_query(r, "pool"), *pool = NULL;
	struct zt_recon_report_req req = {.cfg = a->config};
	if (pool_q) {
		if (api_pool_pick(r, a->config, pool_q, &pool) != 0)
			return 0;
		req.pools = &pool;
		req.pool_count = 1;
	} else if (zt_req_principal(r)) {
		const struct zt_scope *sc = &zt_req_principal(r)->scope;
		req.pools = (const char *const *)sc->pools;
		req.pool_count = sc->pool_count;
	}
	const char *d = zt_req_query(r, "as_of");
	zt_date as_of = 0;
	if (d && zt_parse_date(&as_of, d, strlen(d)) != 0)
		return zt_reply_error(r, 400, "invalid-query", "as_of: %s", zt_error_last());
	static const enum zt_format offered[] = {ZT_FORMAT_JSON, ZT_FORMAT_CSV, ZT_FORMAT_HTML};
	enum zt_format f = zt_req_negotiate(r, offered, 3);
	if (f == ZT_FORMAT_NONE)
		return zt_reply_not_acceptable(r, offered, 3);
	struct zt_store *s = NULL;
	if (api_store(r, a, true, &s) != 0)
		return 0;
	struct zt_recon_report rep;
	memset(&rep, 0, sizeof rep);
	req.as_of = as_of;
	int rc = zt_recon_report(s, &req, &rep);
	zt_store_close(s);
	if (rc) {
		rc = api_fail(r, rc);
		goto out;
	}
	if (f == ZT_FORMAT_JSON) {
		struct zt_json_writer *w = NULL;
		if ((rc = zt_json_writer_new(&w, false)) == 0) {
			report_json(w, &rep);
			rc = zt_reply_json(r, 200, w);
			zt_json_writer_free(w);
		}
		goto out;
	}
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (!m) {
		rc = zt_error_set(ZT_ENOMEM, "out of memory");
		goto out;
	}
	/* CSV is downloaded into spreadsheets: with a byte-order mark */
	if (f == ZT_FORMAT_CSV)
		zt_recon_render_report_csv(m, true, &rep);
	else
		zt_recon_render_report_html(m, &rep);
	if (fclose(m) != 0) {
		free(buf);
		rc = zt_error_set(ZT_ENOMEM, "out of memory");
		goto out;
	}
	rc = zt_reply_take(r, 200, zt_format_content_type(f), buf, len);
out:
	zt_recon_report_free(&rep);
	return rc;
}

int api_money_routes(struct zt_api *a, struct zt_service *s)
{
	const unsigned json = ZT_BODY(ZT_FORMAT_JSON);
	const struct zt_route routes[] = {
		{.method = "GET", .path = "/v1/advances", .op = ZT_OP_ADVANCE_READ,
		 .handler = get_advances, .ctx = a,
		 .summary = "advance list and status: every advance issued, each hospital's balance"},
		{.method = "GET", .path = "/v1/advance-plans", .op = ZT_OP_ADVANCE_READ,
		 .handler = get_plans, .ctx = a, .summary = "advance plans: every plan and its state"},
		{.method = "POST", .path = "/v1/advance-plans", .op = ZT_OP_ADVANCE_WRITE, .bodies = json,
		 .handler = post_plans, .ctx = a,
		 .summary = "advance plan ({\"as_of\"}) or a single advance ({\"fixmedins_code\", "
		            "\"amount\"}): a plan to approve"},
		{.method = "GET", .path = "/v1/advance-plans/{id}", .op = ZT_OP_ADVANCE_READ,
		 .handler = get_plan, .ctx = a, .summary = "advance show: a plan with its lines and state"},
		{.method = "POST", .path = "/v1/advance-plans/{id}/approve", .op = ZT_OP_ADVANCE_WRITE,
		 .bodies = json, .handler = post_plan_approve, .ctx = a,
		 .summary = "advance approve: not by its maker (409 four-eyes)"},
		{.method = "POST", .path = "/v1/advance-plans/{id}/issue", .op = ZT_OP_ADVANCE_WRITE,
		 .bodies = json, .handler = post_plan_issue, .ctx = a,
		 .summary = "advance issue: pays an approved plan, writes its pain.001"},
		{.method = "GET", .path = "/v1/advance-plans/{id}/pain001", .op = ZT_OP_ADVANCE_READ,
		 .handler = get_plan_pain001, .ctx = a, .summary = "the pain.001 of an issued plan"},
		{.method = "POST", .path = "/v1/statements", .op = ZT_OP_RECONCILE_WRITE,
		 .bodies = ZT_BODY(ZT_FORMAT_XML), .handler = post_statements, .ctx = a,
		 .summary = "reconcile import: a camt.053 statement; the summary and new exceptions"},
		{.method = "GET", .path = "/v1/exceptions", .op = ZT_OP_RECONCILE_READ,
		 .handler = get_exceptions, .ctx = a,
		 .summary = "reconcile exceptions: the open ones (?open=0: all)"},
		{.method = "POST", .path = "/v1/exceptions/{id}/resolve", .op = ZT_OP_RECONCILE_WRITE,
		 .bodies = json, .handler = post_resolve, .ctx = a,
		 .summary = "reconcile resolve: {\"as\", \"note\"}"},
		{.method = "GET", .path = "/v1/reports/reconciliation", .op = ZT_OP_FINANCE_REPORT,
		 .handler = get_recon_report, .ctx = a,
		 .summary = "reconcile report as of a day: JSON, CSV or HTML"},
	};
	return api_add_routes(a, s, routes, sizeof routes / sizeof *routes);
}
