/* zhitong — reads for the desk and the auditor (docs/spec/service.md
 * "Endpoints"):
 *
 *   GET /v1/persons?psn_no= | ?id_no= [&date=]   who is this at the desk (persons.h)
 *   GET /v1/verify                              every check of `verify` (verify.h) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "zhitong/date.h"
#include "zhitong/error.h"
#include "zhitong/persons.h"
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
	zt_json_write_key(w, "psn_no");
	zt_json_write_string(w, res->person.psn_no);
	if (view & ZT_VIEW_IDENTITY) {
		zt_json_write_key(w, "psn_name");
		zt_json_write_string(w, res->person.name);
	}
	/* never the full number: the desk holds it already */
	zt_json_write_key(w, "certno");
	zt_json_write_string(w, masked);
	zt_json_write_key(w, "admdvs");
	zt_json_write_string(w, res->person.county);
	zt_json_write_key(w, "date");
	zt_json_write_date(w, res->date);
	zt_json_write_key(w, "category");
	zt_json_write_string(w, zt_category_name(res->category));
	zt_json_write_key(w, "year");
	zt_json_write_int(w, res->year);
	zt_json_write_key(w, "totals");
	zt_json_write_object_begin(w);
	for (int i = 0; i < res->slot_count; i++) {
		zt_json_write_key(w, res->slots[i].slot);
		zt_json_write_amount(w, res->slots[i].amount);
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
	zt_json_write_key(v->violations, "check");
	zt_json_write_string(v->violations, check);
	zt_json_write_key(v->violations, "message");
	zt_json_write_string(v->violations, message);
	zt_json_write_object_end(v->violations);
}

static void on_checked(void *ctx, const char *check, int64_t count)
{
	struct verify_out *v = ctx;
	zt_json_write_object_begin(v->checks);
	zt_json_write_key(v->checks, "check");
	zt_json_write_string(v->checks, check);
	zt_json_write_key(v->checks, "rows");
	zt_json_write_int(v->checks, count);
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

int api_reports_routes(struct zt_api *a, struct zt_service *s)
{
	const struct zt_route routes[] = {
		{.method = "GET", .path = "/v1/persons", .op = ZT_OP_PERSON_LOOKUP,
		 .handler = get_persons, .ctx = a,
		 .summary = "who is this at the desk: by psn_no or id_no, the category on a date and "
		            "the year's totals"},
		{.method = "GET", .path = "/v1/verify", .op = ZT_OP_VERIFY, .handler = get_verify,
		 .ctx = a, .summary = "verify: every check, and the count of violations (0)"},
	};
	for (size_t i = 0; i < sizeof routes / sizeof *routes; i++) {
		int rc = zt_service_add_route(s, &routes[i]);
		if (rc)
			return rc;
	}
	return 0;
}
