/* zhitong — reads for the desk and the auditor (docs/spec/service.md
 * "Endpoints"):
 *
 *   GET /v1/persons?psn_no= | ?id_no= [&date=]   who is this at the desk (persons.h)
 *   GET /v1/verify                              every check of `verify` (verify.h)
 *   GET /v1/reports/hospital?fixmedins_code=&setl_date=[&detail=1]
 *                                               a hospital's day, 3201's shape (hospital_day.h)
 *   GET /v1/audit?after=&limit=                 the audit trail (audit_trail.h)
 *   GET /v1/audit/verify, GET /v1/audit/head    `audit verify`, `audit head` */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "zhitong/audit_trail.h"
#include "zhitong/config.h"
#include "zhitong/date.h"
#include "zhitong/hospital_day.h"
#include "zhitong/error.h"
#include "zhitong/persons.h"
#include "zhitong/render_settlement_json.h"
#include "zhitong/slip.h"
#include "zhitong/verify.h"

/* ---- persons ---------------------------------------------------------------------- */

static int get_persons(struct zt_request *r, void *ctx)
{
	static const char *const allowed[] = {"psn_no", "id_no", "date", NULL};
	if (zt_req_query_check(r, allowed) != 0)
		return zt_reply_error(r, 400, "invalid-query", "%s", zt_error_last());
	struct zt_person_lookup_req req = {.psn_no = zt_req_query(r, "psn_no"),
	                                   .id_no = zt_req_query(r, "id_no")};
	if (!req.psn_no == !req.id_no)
		return zt_reply_error(r, 400, "invalid-query", "give psn_no or id_no, one of them");
	const char *d = zt_req_query(r, "date");
	if (d && zt_parse_date(&req.date, d, strlen(d)) != 0)
		return zt_reply_error(r, 400, "invalid-query", "date: %s", zt_error_last());
	struct zt_person_lookup_res *res = malloc(sizeof *res);
	if (!res)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	struct zt_store *s = NULL;
	int rc = 0;
	if (api_store(r, ctx, true, &s) != 0)
		goto done;
	rc = zt_person_lookup(s, &req, res);
	zt_store_close(s);
	if (rc == ZT_ENOTFOUND) {
		rc = zt_reply_error(r, 404, "not-found", "there is no such person");
		goto done;
	}
	if (rc) {
		rc = api_fail(r, rc);
		goto done;
	}
	unsigned view = api_view(r);
	char masked[ZT_ID_NO_BYTES];
	zt_id_no_mask(masked, res->person.id_no);
	struct zt_json_writer *w = NULL;
	if ((rc = zt_json_writer_new(&w, false)) != 0)
		goto done;
	zt_json_write_object_begin(w);
	api_json_str(w, "psn_no", res->person.psn_no);
	if (view & ZT_VIEW_IDENTITY) {
		api_json_str(w, "psn_name", res->person.name);
	}
	/* never the full number: the desk holds it already */
	api_json_str(w, "certno", masked);
	api_json_str(w, "admdvs", res->person.county);
	zt_json_write_key(w, "date");
	zt_json_write_date(w, res->date);
	api_json_str(w, "category", zt_category_name(res->category));
	api_json_int(w, "year", res->year);
	zt_json_write_key(w, "totals");
	zt_json_write_object_begin(w);
	for (int i = 0; i < res->slot_count; i++) {
		api_json_amount(w, res->slots[i].slot, res->slots[i].amount);
	}
	zt_json_write_object_end(w);
	zt_json_write_object_end(w);
	rc = zt_reply_json(r, 200, w);
	zt_json_writer_free(w);
done:
	free(res);
	return rc;
}

/* ---- verify ------------------------------------------------------------------------- */

#define VIOLATIONS_SHOWN_MAX 1000

struct verify_out {
	struct zt_json_writer *checks, *violations, *warnings;
	int64_t shown, warned;
};

/* What verify reports without counting it a violation (a live settlement
 * on a national settlement the platform reversed: docs/national.md). */
static void on_warning(void *ctx, const char *message)
{
	struct verify_out *v = ctx;
	if (v->warned++ >= VIOLATIONS_SHOWN_MAX)
		return;
	zt_json_write_string(v->warnings, message);
}

static void on_violation(void *ctx, const char *check, const char *message)
{
	struct verify_out *v = ctx;
	if (v->shown++ >= VIOLATIONS_SHOWN_MAX)
		return;
	zt_json_write_object_begin(v->violations);
	api_json_str(v->violations, "check", check);
	api_json_str(v->violations, "message", message);
	zt_json_write_object_end(v->violations);
}

static void on_checked(void *ctx, const char *check, int64_t count)
{
	struct verify_out *v = ctx;
	zt_json_write_object_begin(v->checks);
	api_json_str(v->checks, "check", check);
	api_json_int(v->checks, "rows", count);
	zt_json_write_object_end(v->checks);
}

static int get_verify(struct zt_request *r, void *ctx)
{
	struct verify_out v = {0};
	struct zt_store *s = NULL;
	struct zt_json_writer *w = NULL;
	int64_t violations = 0;
	int rc = zt_json_writer_new(&v.checks, false);
	if (rc == 0)
		rc = zt_json_writer_new(&v.violations, false);
	if (rc == 0)
		rc = zt_json_writer_new(&v.warnings, false);
	if (rc == 0)
		rc = zt_json_writer_new(&w, false);
	if (rc)
		goto done;
	zt_json_write_array_begin(v.checks);
	zt_json_write_array_begin(v.violations);
	zt_json_write_array_begin(v.warnings);
	if (api_store(r, ctx, true, &s) != 0)
		goto done;
	const struct zt_verify_report rep = {&v, on_violation, on_checked, on_warning};
	rc = zt_verify(s, &rep, &violations);
	zt_store_close(s);
	if (rc) {
		rc = api_fail(r, rc);
		goto done;
	}
	zt_json_write_array_end(v.checks);
	zt_json_write_array_end(v.violations);
	zt_json_write_array_end(v.warnings);
	const char *ct, *vt, *wt;
	size_t cl, vl, wl;
	if ((rc = zt_json_writer_result(v.checks, &ct, &cl)) != 0 ||
	    (rc = zt_json_writer_result(v.violations, &vt, &vl)) != 0 ||
	    (rc = zt_json_writer_result(v.warnings, &wt, &wl)) != 0)
		goto done;
	/* the three lists are whole JSON values: spliced into the answer */
	size_t cap = cl + vl + wl + 160;
	char *body = malloc(cap);
	if (!body) {
		rc = zt_error_set(ZT_ENOMEM, "out of memory");
		goto done;
	}
	int n = snprintf(body, cap, "{\"violations\":%lld,\"checks\":%.*s,\"violation_list\":%.*s,"
	                 "\"warnings\":%.*s}",
	                 (long long)violations, (int)cl, ct, (int)vl, vt, (int)wl, wt);
	rc = zt_reply_take(r, 200, "application/json", body, (size_t)n);
done:
	zt_json_writer_free(v.checks);
	zt_json_writer_free(v.violations);
	zt_json_writer_free(v.warnings);
	zt_json_writer_free(w);
	return rc;
}

/* ---- a hospital's day (3201) ------------------------------------------------------ */

struct day_detail {
	struct zt_json_writer *w;
	unsigned view;
};

static int day_each(void *ctx, const struct zt_stored_settlement *st)
{
	struct day_detail *d = ctx;
	return zt_settlement_json(d->w, st, true, d->view);
}

/* Whether hospital `code` is of the caller's pools (its county's pool,
 * config.h): 0, or ZT_ENOTFOUND. A user of every pool reaches every
 * hospital; one not in the registry has nothing to show anyone. */
static int hospital_of_callers_pools(struct zt_request *r, struct zt_api *a, struct zt_store *s,
                                     const char *code)
{
	const struct zt_principal *p = zt_req_principal(r);
	if (!p || p->scope.pool_count == 0)
		return 0;
	struct zt_hospital hosp;
	int rc = s->ops->begin(s, ZT_TXN_READ);
	if (rc == 0) {
		rc = s->ops->registry.get_hospital(s, code, &hosp);
		s->ops->rollback(s);
	}
	if (rc)
		return rc == ZT_ENOTFOUND ? 0 : rc;
	return api_pool_in_scope(r, zt_config_pool_of_county(a->config, hosp.county)) ? 0
	                                                                            : ZT_ENOTFOUND;
}

static int get_hospital_report(struct zt_request *r, void *ctx)
{
	static const char *const allowed[] = {"fixmedins_code", "setl_date", "detail", NULL};
	if (zt_req_query_check(r, allowed) != 0)
		return zt_reply_error(r, 400, "invalid-query", "%s", zt_error_last());
	const char *h = zt_req_query(r, "fixmedins_code"), *d = zt_req_query(r, "setl_date"),
		   *detail = zt_req_query(r, "detail");
	zt_date day = 0;
	if (!h || !h[0] || !d)
		return zt_reply_error(r, 400, "invalid-query", "give fixmedins_code and setl_date");
	if (zt_parse_date(&day, d, strlen(d)) != 0)
		return zt_reply_error(r, 400, "invalid-query", "setl_date: %s", zt_error_last());
	if (detail && strcmp(detail, "0") != 0 && strcmp(detail, "1") != 0)
		return zt_reply_error(r, 400, "invalid-query", "detail is 0 or 1");
	/* a desk's other hospital: the answer of a hospital with nothing */
	if (!api_in_scope(r, ZT_OP_HOSPITAL_REPORT, h, NULL, 0))
		return zt_reply_error(r, 404, "not-found", "no such hospital");
	struct zt_hospital_day *day_out = malloc(sizeof *day_out);
	struct day_detail dd = {.view = api_view(r)};
	struct zt_json_writer *w = NULL;
	struct zt_store *s = NULL;
	int rc = day_out ? 0 : zt_error_set(ZT_ENOMEM, "out of memory");
	if (rc || (rc = zt_json_writer_new(&w, false)) != 0)
		goto done;
	dd.w = w;
	bool want = detail && strcmp(detail, "1") == 0;
	/* the settlements first, as they are read; the totals after them */
	zt_json_write_object_begin(w);
	if (want) {
		zt_json_write_key(w, "settlements");
		zt_json_write_array_begin(w);
	}
	if (api_store(r, ctx, true, &s) != 0)
		goto done;
	/* a hospital of another pool than the caller's (issue 13 §2): 404 */
	if ((rc = hospital_of_callers_pools(r, ctx, s, h)) != 0) {
		zt_store_close(s);
		rc = rc == ZT_ENOTFOUND ? zt_reply_error(r, 404, "not-found", "no such hospital")
		                        : api_fail(r, rc);
		goto done;
	}
	rc = zt_hospital_day(s, h, day, want ? day_each : NULL, &dd, day_out);
	zt_store_close(s);
	if (rc) {
		rc = api_fail(r, rc);
		goto done;
	}
	if (want)
		zt_json_write_array_end(w);
	const struct zt_hospital_day *o = day_out;
	api_json_str(w, "fixmedins_code", h);
	zt_json_write_key(w, "stmt_begndate");
	zt_json_write_date(w, day);
	zt_json_write_key(w, "stmt_enddate");
	zt_json_write_date(w, day);
	api_json_int(w, "fixmedins_setl_cnt", o->setl_cnt);
	api_json_int(w, "refd_setl_cnt", o->refd_cnt);
	api_json_amount(w, "medfee_sumamt", o->medfee_sumamt);
	api_json_amount(w, "fund_pay_sumamt", o->fund_pay_sumamt);
	api_json_amount(w, "hosp_part_amt", o->hosp_part_amt);
	api_json_amount(w, "psn_part_amt", o->psn_part_amt);
	zt_json_write_key(w, "funds");
	zt_json_write_array_begin(w);
	for (int i = 0; i < o->fund_count; i++) {
		zt_json_write_object_begin(w);
		api_json_str(w, "fund_pay_type", o->funds[i].fund_code);
		api_json_int(w, "fixmedins_setl_cnt", o->funds[i].count);
		api_json_amount(w, "fund_payamt", o->funds[i].fund_payamt);
		zt_json_write_object_end(w);
	}
	zt_json_write_array_end(w);
	zt_json_write_object_end(w);
	rc = zt_reply_json(r, 200, w);
done:
	zt_json_writer_free(w);
	free(day_out);
	return rc;
}

/* ---- the audit trail ---------------------------------------------------------------- */

#define AUDIT_LIMIT_DEFAULT 100
#define AUDIT_LIMIT_MAX 1000

static void write_hash(struct zt_json_writer *w, const char *key, const unsigned char *h)
{
	char hex[ZT_AUDIT_HASH_HEX_CHARS + 1];
	zt_audit_hash_hex(hex, h);
	api_json_str(w, key, hex);
}

static void write_opt(struct zt_json_writer *w, const char *key, const char *v)
{
	zt_json_write_key(w, key);
	if (v)
		zt_json_write_string(w, v);
	else
		zt_json_write_null(w);
}

struct audit_page {
	struct zt_json_writer *w;
	int64_t n, last;
};

static int audit_row(void *ctx, const struct zt_audit_record *rec)
{
	struct audit_page *p = ctx;
	struct zt_json_writer *w = p->w;
	zt_json_write_object_begin(w);
	api_json_int(w, "seq", rec->seq);
	write_opt(w, "time", rec->time);
	write_opt(w, "user", rec->user);
	write_opt(w, "operator", rec->operator_name);
	write_opt(w, "token_id", rec->token_id);
	write_opt(w, "client", rec->client);
	write_opt(w, "action", rec->action);
	write_opt(w, "object", rec->object);
	if (rec->has_digest)
		write_hash(w, "digest", rec->digest);
	else
		write_opt(w, "digest", NULL);
	write_opt(w, "detail", rec->detail);
	write_hash(w, "prev_hash", rec->prev_hash);
	write_hash(w, "hash", rec->hash);
	zt_json_write_object_end(w);
	p->n++;
	p->last = rec->seq;
	return 0;
}

static int query_count(int64_t *out, struct zt_request *r, const char *key, int64_t min,
                       int64_t max)
{
	const char *v = zt_req_query(r, key);
	if (!v)
		return 0;
	char *end = NULL;
	long long n = strtoll(v, &end, 10);
	if (!v[0] || *end || v[0] == '+' || v[0] == '-' || n < min || n > max)
		return zt_error_set(ZT_EINVAL, "%s is a whole number from %lld to %lld", key,
		                    (long long)min, (long long)max);
	*out = n;
	return 0;
}

static int get_audit(struct zt_request *r, void *ctx)
{
	static const char *const allowed[] = {"after", "limit", NULL};
	int64_t after = 0, limit = AUDIT_LIMIT_DEFAULT;
	if (zt_req_query_check(r, allowed) != 0 ||
	    query_count(&after, r, "after", 0, INT64_MAX) != 0 ||
	    query_count(&limit, r, "limit", 1, AUDIT_LIMIT_MAX) != 0)
		return zt_reply_error(r, 400, "invalid-query", "%s", zt_error_last());
	struct audit_page p = {0};
	struct zt_store *s = NULL;
	int rc = zt_json_writer_new(&p.w, false);
	if (rc)
		return rc;
	zt_json_write_object_begin(p.w);
	zt_json_write_key(p.w, "records");
	zt_json_write_array_begin(p.w);
	if (api_store(r, ctx, true, &s) != 0)
		goto done;
	/* a full page has a next one (perhaps empty) */
	const struct zt_audit_filter f = {.after_seq = after, .limit = limit};
	rc = zt_audit_trail_list(s, &f, audit_row, &p);
	zt_store_close(s);
	if (rc) {
		rc = api_fail(r, rc);
		goto done;
	}
	zt_json_write_array_end(p.w);
	zt_json_write_key(p.w, "next");
	if (p.n == limit) {
		char next[24];
		snprintf(next, sizeof next, "%lld", (long long)p.last);
		zt_json_write_string(p.w, next);
	} else {
		zt_json_write_null(p.w);
	}
	zt_json_write_object_end(p.w);
	rc = zt_reply_json(r, 200, p.w);
done:
	zt_json_writer_free(p.w);
	return rc;
}

static void write_head(struct zt_json_writer *w, const struct zt_audit_head *h)
{
	zt_json_write_object_begin(w);
	api_json_int(w, "seq", h->seq);
	write_hash(w, "hash", h->hash);
	write_opt(w, "time", h->time[0] ? h->time : NULL);
	zt_json_write_object_end(w);
}

/* 200 either way: {"intact": true, "records", "head"} or {"intact":
 * false, "fault", "seq" (the first record concerned), "message"}. */
static int get_audit_verify(struct zt_request *r, void *ctx)
{
	struct zt_audit_verdict *v = malloc(sizeof *v);
	struct zt_json_writer *w = NULL;
	struct zt_store *s = NULL;
	int rc = v ? zt_json_writer_new(&w, false) : zt_error_set(ZT_ENOMEM, "out of memory");
	if (rc || api_store(r, ctx, true, &s) != 0)
		goto done;
	rc = zt_audit_trail_verify(s, NULL, v);
	zt_store_close(s);
	if (rc && rc != ZT_EINVAL) {
		rc = api_fail(r, rc);
		goto done;
	}
	zt_json_write_object_begin(w);
	api_json_bool(w, "intact", rc == 0);
	api_json_int(w, "records", v->records);
	if (rc == 0) {
		zt_json_write_key(w, "head");
		write_head(w, &v->last);
	} else {
		api_json_str(w, "fault", zt_audit_fault_name(v->fault));
		api_json_int(w, "seq", v->seq);
		api_json_str(w, "message", v->message);
	}
	zt_json_write_object_end(w);
	rc = zt_reply_json(r, 200, w);
done:
	zt_json_writer_free(w);
	free(v);
	return rc;
}

/* The head to publish; 409 audit-broken when the chain is not intact. */
static int get_audit_head(struct zt_request *r, void *ctx)
{
	struct zt_audit_head h;
	struct zt_store *s = NULL;
	if (api_store(r, ctx, true, &s) != 0)
		return 0;
	int rc = zt_audit_trail_head(s, &h);
	zt_store_close(s);
	if (rc == ZT_EINVAL)
		return zt_reply_error(r, 409, "audit-broken", "%s", zt_error_last());
	if (rc)
		return api_fail(r, rc);
	struct zt_json_writer *w = NULL;
	if ((rc = zt_json_writer_new(&w, false)) != 0)
		return rc;
	write_head(w, &h);
	rc = zt_reply_json(r, 200, w);
	zt_json_writer_free(w);
	return rc;
}

int api_reports_routes(struct zt_api *a, struct zt_service *s)
{
	const struct zt_route routes[] = {
		{.method = "GET", .path = "/v1/persons", .op = ZT_OP_PERSON_LOOKUP,
		 .handler = get_persons, .ctx = a,
		 .summary = "who is this at the desk: by psn_no or id_no, the category on a date and "
		            "the year's totals"},
		{.method = "GET", .path = "/v1/verify", .op = ZT_OP_VERIFY, .handler = get_verify,
		 .ctx = a, .summary = "verify: every check, and the count of violations (0)"},
		{.method = "GET", .path = "/v1/reports/hospital", .op = ZT_OP_HOSPITAL_REPORT,
		 .handler = get_hospital_report, .ctx = a,
		 .summary = "a hospital's day by settlement date: count and sums in all and per fund "
		            "(the national platform's 3201), ?detail=1 each settlement"},
		{.method = "GET", .path = "/v1/audit", .op = ZT_OP_AUDIT_READ, .handler = get_audit,
		 .ctx = a, .summary = "the audit trail: records after a sequence number, a page at a time"},
		{.method = "GET", .path = "/v1/audit/verify", .op = ZT_OP_AUDIT_READ,
		 .handler = get_audit_verify, .ctx = a,
		 .summary = "audit verify: the chain intact, or the first record altered, removed or "
		            "reordered"},
		{.method = "GET", .path = "/v1/audit/head", .op = ZT_OP_AUDIT_READ,
		 .handler = get_audit_head, .ctx = a,
		 .summary = "audit head: the last record's sequence number and hash, to publish"},
	};
	for (size_t i = 0; i < sizeof routes / sizeof *routes; i++) {
		int rc = zt_service_add_route(s, &routes[i]);
		if (rc)
			return rc;
	}
	return 0;
}
