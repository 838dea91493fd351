/* zhitong — is this slip genuine? (docs/spec/service.md "Endpoints":
 * GET /v1/slips/verify?code=CODE, no auth, for anyone holding a slip;
 * docs/slip.md "Checking a slip"). The pool's slip keys come from the
 * configuration ([slip] key, [slip-key ID]: zt_api.slip_keys); the same
 * keys put the code on the slips GET /v1/settlements/{setl_id}/slip gives.
 *
 *   200 {"genuine": true, "setl_id", "fixmedins_code", "medfee_sumamt",
 *        "psn_part_amt", "void"} — no name, no person number
 *   404 {"code": "not-genuine"} — not a code, another pool's, or no
 *        settlement gives it
 *   503 {"code": "no-slip-key"} — this service has no slip key
 * Rate-limited per address by the core, as every route. */
#include <string.h>

#include "api.h"
#include "zhitong/error.h"
#include "zhitong/slip.h"

static int get_verify(struct zt_request *r, void *ctx)
{
	struct zt_api *a = ctx;
	static const char *const allowed[] = {"code", "setl_id", NULL};
	if (zt_req_query_check(r, allowed) != 0)
		return zt_reply_error(r, 400, "invalid-query", "%s", zt_error_last());
	const char *code = zt_req_query(r, "code");
	if (!code || !code[0])
		return zt_reply_error(r, 400, "invalid-query", "give the slip's code: ?code=CODE");
	if (!a->slip_keys || a->slip_keys->count == 0)
		return zt_reply_error(r, 503, "no-slip-key",
		                      "this service has no slip key ([slip] key in its configuration)");
	const char *setl_id = zt_req_query(r, "setl_id");
	const struct zt_slip_verify_req req = {.code = code,
	                                       .setl_id = setl_id && setl_id[0] ? setl_id : NULL,
	                                       .keys = a->slip_keys};
	struct zt_store *s;
	if (api_store(r, a, true, &s) != 0)
		return 0;
	struct zt_slip_verify_res res;
	int rc = zt_slip_verify(s, &req, &res);
	zt_store_close(s);
	if (rc) {
		zt_slip_verify_res_free(&res);
		return api_fail(r, rc);
	}
	if (res.verdict != ZT_SLIP_GENUINE) {
		zt_slip_verify_res_free(&res);
		return zt_reply_error(r, 404, "not-genuine",
		                      "no settlement of this pool gives this code");
	}
	struct zt_json_writer *w = NULL;
	const struct zt_slip *sl = &res.slip;
	rc = zt_json_writer_new(&w, false);
	if (rc == 0)
		rc = zt_json_write_object_begin(w);
	if (rc == 0 && (rc = zt_json_write_key(w, "genuine")) == 0)
		rc = zt_json_write_bool(w, true);
	if (rc == 0 && (rc = zt_json_write_key(w, "setl_id")) == 0)
		rc = zt_json_write_string(w, sl->setl_id);
	if (rc == 0 && (rc = zt_json_write_key(w, "fixmedins_code")) == 0)
		rc = zt_json_write_string(w, sl->hospital_code);
	if (rc == 0 && (rc = zt_json_write_key(w, "medfee_sumamt")) == 0)
		rc = zt_json_write_amount(w, sl->medfee_sumamt_fen);
	if (rc == 0 && (rc = zt_json_write_key(w, "psn_part_amt")) == 0)
		rc = zt_json_write_amount(w, sl->psn_part_fen);
	if (rc == 0 && (rc = zt_json_write_key(w, "void")) == 0)
		rc = zt_json_write_bool(w, sl->is_void);
	if (rc == 0)
		rc = zt_json_write_object_end(w);
	zt_slip_verify_res_free(&res);
	if (rc == 0)
		rc = zt_reply_json(r, 200, w);
	zt_json_writer_free(w);
	return rc;
}

int api_slips_routes(struct zt_api *a, struct zt_service *s)
{
	const struct zt_route r = {
		.method = "GET", .path = "/v1/slips/verify", .flags = ZT_ROUTE_PUBLIC,
		.handler = get_verify, .ctx = a,
		.summary = "is this slip genuine: its code (no auth; no name in the answer)"};
	return zt_service_add_route(s, &r);
}
