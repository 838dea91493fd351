/* zhitong — the service's endpoints over the use cases (docs/spec/service.md
 * "Endpoints", "Bodies", "Users, roles and tokens"): the server started
 * in-process on a free loopback port over a sample database, driven with
 * libcurl as a hospital's system would, with the test users of httputil.h. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "httputil.h"
#include "testutil.h"
#include "zhitong/error.h"
#include "zhitong/config.h"
#include "zhitong/json.h"
#include "zhitong/slip.h"

#define DESK ZT_TEST_TOKEN_DESK
#define OTHER ZT_TEST_TOKEN_DESK_OTHER
#define FINANCE ZT_TEST_TOKEN_FINANCE
#define AUDITOR ZT_TEST_TOKEN_AUDITOR
#define ADMIN ZT_TEST_TOKEN_ADMIN
#define FUND ZT_TEST_TOKEN_FUND

static struct zt_service *srv;
static struct zt_api app;
static unsigned port;
static const char *db;

static void start_with(size_t body_bytes_max)
{
	db = zt_test_sample_db("api.db");
	cr_assert_eq(zt_api_init(&app, db), 0);
	struct zt_service_opts o;
	zt_test_service_opts(&o, true);
	o.connections_per_address_max = 200;
	if (body_bytes_max)
		o.body_bytes_max = body_bytes_max;
	port = zt_test_service_start(&srv, &app, &o);
}

static void setup(void)
{
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	start_with(0);
}

static void teardown(void)
{
	if (srv) {
		zt_service_stop(srv);
		zt_service_free(srv);
		srv = NULL;
		zt_api_free(&app);
	}
	curl_global_cleanup();
}

TestSuite(api, .init = setup, .fini = teardown, .timeout = 240);

/* ---- helpers ----------------------------------------------------------------- */

static struct zt_http_resp post(const char *path, const char *token, const char *ct,
                                const char *body)
{
	return zt_http(&(struct zt_http_call){.port = port, .path = path, .token = token,
	                                      .content_type = ct, .body = body});
}

static struct zt_http_resp get(const char *path, const char *token)
{
	return zt_http(&(struct zt_http_call){.port = port, .path = path, .token = token});
}

/* A JSON claim of the sample world at H (one class-A item of `amount`). */
static char *json_claim(const char *h, const char *claim_no, const char *psn, const char *amount)
{
	static __thread char b[8][2048];
	static __thread int k;
	char *o = b[k++ % 8];
	snprintf(o, 2048,
	         "{\"fixmedins_code\": \"%s\", \"claim_no\": \"%s\", \"psn_no\": \"%s\", "
	         "\"adm_date\": \"2017-01-01\", \"dscg_date\": \"2017-03-01\", "
	         "\"dscg_maindiag_code\": \"I63.900\", \"medfee_sumamt\": %s, "
	         "\"items\": [{\"feedetl_sn\": \"1\", \"med_list_codg\": \"001201000010000-120100001\", "
	         "\"med_chrgitm_type\": \"05\", \"chrgitm_lv\": \"01\", \"pric\": %s, \"cnt\": \"1\", "
	         "\"det_item_fee_sumamt\": %s}]}",
	         h, claim_no, psn, amount, amount, amount);
	return o;
}

static struct zt_json_doc *parse(const struct zt_http_resp *r) { return zt_http_json(r); }

static const char *text_of(const struct zt_json *o, const char *key)
{
	return zt_http_json_text(o, key);
}

static void expect_error(const struct zt_http_resp *r, long status, const char *code)
{
	cr_assert_eq(r->rc, CURLE_OK, "curl: %s", r->error);
	cr_assert_eq(r->status, status, "status %ld, not %ld: %s", r->status, status, r->body);
	struct zt_json_doc *d = parse(r);
	cr_assert_str_eq(text_of(zt_json_root(d), "code"), code, "%s", r->body);
	zt_json_doc_free(d);
}

static long long settlements(void)
{
	return zt_test_sql_int(db, "SELECT count(*) FROM settlement");
}

/* ---- submit ------------------------------------------------------------------------ */

Test(api, a_json_claim_settles_201_and_again_returns_the_same_settlement_200)
{
	const char *c = json_claim("H51010101", "ZY-1", "P0000001", "\"8000.00\"");
	struct zt_http_resp r = post("/v1/claims", DESK, "application/json", c);
	cr_assert_eq(r.status, 201, "%s", r.body);
	cr_assert_str_eq(zt_http_header(&r, "Content-Type"), "application/json");
	struct zt_json_doc *d = parse(&r);
	const struct zt_json *s = zt_json_root(d);
	char setl_id[32];
	snprintf(setl_id, sizeof setl_id, "%s", text_of(s, "setl_id"));
	cr_assert(setl_id[0] == 'S', "%s", r.body);
	/* setl_time: RFC 3339 with the pool's offset (Asia/Shanghai by default),
	 * the stored UTC instant plus eight hours */
	const char *when = text_of(s, "setl_time");
	cr_assert(strlen(when) == 25 && when[10] == 'T' && strcmp(when + 19, "+08:00") == 0, "%s",
	          when);
	char *stored = zt_test_rows(db, "SELECT settled_at FROM settlement ORDER BY id LIMIT 1");
	int hs = atoi(stored + 11), hw = atoi(when + 11);
	cr_assert_eq((hs + 8) % 24, hw, "stored %s, answered %s", stored, when);
	cr_assert_eq(strncmp(stored + 13, when + 13, 6), 0, "minutes and seconds: %s %s", stored, when);
	free(stored);
	char loc[64];
	snprintf(loc, sizeof loc, "/v1/settlements/%s", setl_id);
	cr_assert_str_eq(zt_http_header(&r, "Location"), loc);
	cr_assert_str_eq(text_of(zt_json_find(s, "setlinfo"), "medfee_sumamt"), "8000.00");
	const struct zt_json *detail = zt_json_find(s, "setldetail");
	cr_assert(detail && detail->count >= 1, "%s", r.body);
	cr_assert(zt_json_find(detail->items[0], "trace"), "each fund with its trace");
	cr_assert(text_of(zt_json_find(detail->items[0], "trace"), "kind")[0]);
	zt_json_doc_free(d);
	char *first = strdup(r.body);
	zt_http_free(&r);
	/* the same claim again: 200, byte for byte the same settlement */
	r = post("/v1/claims", DESK, "application/json", c);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_str_eq(r.body, first);
	zt_http_free(&r);
	free(first);
	cr_assert_eq(settlements(), 1);
	/* the X-Operator is recorded with the user */
	r = zt_http(&(struct zt_http_call){.port = port, .path = "/v1/claims", .token = DESK,
	                                   .content_type = "application/json",
	                                   .body = json_claim("H51010101", "ZY-2", "P0000002",
	                                                      "\"100.00\""),
	                                   .headers = {"X-Operator: 张三"}});
	cr_assert_eq(r.status, 201, "%s", r.body);
	zt_http_free(&r);
	char *actor = zt_test_rows(db, "SELECT actor FROM settlement ORDER BY id DESC LIMIT 1");
	cr_assert(strstr(actor, "desk1/张三"), "%s", actor);
	free(actor);
}

Test(api, an_xml_claim_is_answered_in_xml_and_json_on_request)
{
	char xml[4096];
	zt_test_claim_xml(xml, sizeof xml, "ZY-X", "P0000001", "2017-03-01", "500.00");
	struct zt_http_resp r = post("/v1/claims", DESK, "application/xml", xml);
	cr_assert_eq(r.status, 201, "%s", r.body);
	cr_assert(strstr(zt_http_header(&r, "Content-Type"), "xml"));
	cr_assert(strstr(r.body, "<settlement setl_id=\"S"), "%s", r.body);
	zt_http_free(&r);
	r = zt_http(&(struct zt_http_call){.port = port, .path = "/v1/claims", .token = DESK,
	                                   .content_type = "application/xml", .body = xml,
	                                   .accept = "application/json"});
	cr_assert_eq(r.status, 200, "%s", r.body);
	struct zt_json_doc *d = parse(&r);
	cr_assert_str_eq(text_of(zt_json_find(zt_json_root(d), "setlinfo"), "medfee_sumamt"), "500.00");
	zt_json_doc_free(d);
	zt_http_free(&r);
}

Test(api, rejections_of_a_single_claim_have_their_status_and_code)
{
	struct zt_http_resp r =
		post("/v1/claims", DESK, "application/json", json_claim("H51010101", "ZY-1", "P0000001", "\"100.00\""));
	cr_assert_eq(r.status, 201, "%s", r.body);
	zt_http_free(&r);
	/* another claim under the same number */
	r = post("/v1/claims", DESK, "application/json", json_claim("H51010101", "ZY-1", "P0000001", "\"200.00\""));
	expect_error(&r, 409, "duplicate-claim-no");
	struct zt_json_doc *d = parse(&r);
	cr_assert_str_eq(text_of(zt_json_root(d), "claim_no"), "ZY-1");
	cr_assert_str_eq(text_of(zt_json_root(d), "fixmedins_code"), "H51010101");
	zt_json_doc_free(d);
	zt_http_free(&r);
	/* a person nobody knows */
	r = post("/v1/claims", DESK, "application/json", json_claim("H51010101", "ZY-2", "P9999999", "\"200.00\""));
	expect_error(&r, 422, "unknown-person");
	zt_http_free(&r);
	/* an amount that does not add up */
	char *c = strdup(json_claim("H51010101", "ZY-3", "P0000001", "\"200.00\""));
	memcpy(strstr(c, "\"medfee_sumamt\": \"200.00\""), "\"medfee_sumamt\": \"201.00\"", 25);
	r = post("/v1/claims", DESK, "application/json", c);
	expect_error(&r, 422, "amount-mismatch");
	zt_http_free(&r);
	free(c);
	/* a hospital outside the desk's scope: 403, checked before anything */
	r = post("/v1/claims", DESK, "application/json", json_claim("H51010102", "ZY-4", "P0000001", "\"200.00\""));
	expect_error(&r, 403, "hospital-not-permitted");
	zt_http_free(&r);
	r = post("/v1/claims", OTHER, "application/json", json_claim("H51010101", "ZY-5", "P0000001", "\"200.00\""));
	expect_error(&r, 403, "hospital-not-permitted");
	zt_http_free(&r);
	cr_assert_eq(settlements(), 1);
}

Test(api, a_list_answers_one_result_per_claim_in_order)
{
	char body[16384];
	snprintf(body, sizeof body, "[%s, %s, %s, {\"claim_no\": 1}, %s]",
	         json_claim("H51010101", "L-1", "P0000001", "\"100.00\""),
	         json_claim("H99999999", "L-2", "P0000001", "\"100.00\""),
	         json_claim("H51010101", "L-3", "P0000002", "\"300.00\""),
	         json_claim("H51010101", "L-1", "P0000001", "\"100.00\""));
	struct zt_http_resp r = post("/v1/claims", DESK, "application/json", body);
	cr_assert_eq(r.status, 200, "%s", r.body);
	struct zt_json_doc *d = parse(&r);
	const struct zt_json *a = zt_json_root(d);
	cr_assert_eq(a->count, 5, "%s", r.body);
	const char *want[] = {"settled", "rejected", "settled", "rejected", "replayed"};
	for (int i = 0; i < 5; i++)
		cr_expect_str_eq(text_of(a->items[i], "status"), want[i], "%d: %s", i, r.body);
	cr_expect_str_eq(text_of(zt_json_find(a->items[1], "error"), "code"), "hospital-not-permitted");
	cr_expect_str_eq(text_of(zt_json_find(a->items[3], "error"), "code"), "schema-invalid");
	cr_expect_str_eq(text_of(zt_json_find(a->items[0], "settlement"), "setl_id"),
	                 text_of(zt_json_find(a->items[4], "settlement"), "setl_id"));
	zt_json_doc_free(d);
	zt_http_free(&r);
	/* a list of one is a list */
	snprintf(body, sizeof body, "[%s]", json_claim("H51010101", "L-9", "P0000003", "\"50.00\""));
	r = post("/v1/claims", DESK, "application/json", body);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert(r.body[0] == '[', "%s", r.body);
	zt_http_free(&r);
	cr_assert_eq(settlements(), 3);
}

Test(api, malformed_bodies_store_nothing)
{
	const char *bad_json[] = {"{", "[{\"claim_no\": \"x\",}]", "{\"a\": 1, \"a\": 2}", "nul"};
	for (size_t i = 0; i < sizeof bad_json / sizeof *bad_json; i++) {
		struct zt_http_resp r = post("/v1/claims", DESK, "application/json", bad_json[i]);
		cr_expect(r.status == 400 || r.status == 422, "%s: %ld %s", bad_json[i], r.status, r.body);
		zt_http_free(&r);
	}
	struct zt_http_resp r = post("/v1/claims", DESK, "application/json", "[1,");
	expect_error(&r, 400, "malformed-json");
	zt_http_free(&r);
	r = post("/v1/claims", DESK, "application/xml", "<claims xmlns=\"urn:zhitong:claim:1\"><claim>");
	expect_error(&r, 400, "malformed-xml");
	zt_http_free(&r);
	/* a list whose tail is broken: refused whole, its good claims too */
	char body[8192];
	snprintf(body, sizeof body, "[%s, {\"claim_no\": ",
	         json_claim("H51010101", "M-1", "P0000001", "\"100.00\""));
	r = post("/v1/claims", DESK, "application/json", body);
	expect_error(&r, 400, "malformed-json");
	zt_http_free(&r);
	r = post("/v1/claims", DESK, "text/csv", "a,b");
	expect_error(&r, 415, "unsupported-media-type");
	zt_http_free(&r);
	cr_assert_eq(settlements(), 0);
}

Test(api, a_body_over_the_limit_is_413_before_it_is_read)
{
	teardown();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	start_with(1024);
	char *big = malloc(4096);
	snprintf(big, 4096, "[%s, %s, %s]", json_claim("H51010101", "B-1", "P0000001", "\"1.00\""),
	         json_claim("H51010101", "B-2", "P0000001", "\"1.00\""),
	         json_claim("H51010101", "B-3", "P0000001", "\"1.00\""));
	struct zt_http_resp r = post("/v1/claims", DESK, "application/json", big);
	expect_error(&r, 413, "body-too-large");
	zt_http_free(&r);
	free(big);
	cr_assert_eq(settlements(), 0);
}

/* docs/spec/service.md: amounts as JSON strings or numbers, read from
 * their text, never through a binary floating-point number. */
Test(api, json_amounts_are_exact_as_strings_and_as_numbers)
{
	/* 9007199254740993 fen: 2^53 + 1, which a double cannot hold */
	const char *amounts[][2] = {
		{"90071992547409.93", "90071992547409.93"},
		{"\"90071992547409.93\"", "90071992547409.93"},
		{"0.3", "0.30"},           /* 0.1 + 0.2 is 0.30000000000000004 in a double */
		{"8000.5", "8000.50"},     /* fewer than two decimals */
		{"\"0.07\"", "0.07"},
		{"1.15", "1.15"},          /* 1.15 is 1.149999… in a double */
	};
	for (size_t i = 0; i < sizeof amounts / sizeof *amounts; i++) {
		struct zt_http_resp r = post("/v1/quotes", DESK, "application/json",
		                             json_claim("H51010101", "Q-1", "P0000001", amounts[i][0]));
		cr_assert_eq(r.status, 200, "%s: %s", amounts[i][0], r.body);
		struct zt_json_doc *d = parse(&r);
		const struct zt_json *s = zt_json_root(d);
		cr_expect_str_eq(text_of(zt_json_find(s, "setlinfo"), "medfee_sumamt"), amounts[i][1],
		                 "%s: %s", amounts[i][0], r.body);
		cr_expect(!zt_json_find(s, "setl_id"), "a quote has no setl_id");
		zt_json_doc_free(d);
		zt_http_free(&r);
	}
	/* an exponent is refused */
	struct zt_http_resp r = post("/v1/quotes", DESK, "application/json",
	                             json_claim("H51010101", "Q-2", "P0000001", "8e3"));
	cr_expect(r.status == 422 || r.status == 400, "%ld %s", r.status, r.body);
	zt_http_free(&r);
	/* a settled amount a double would change comes back exact */
	r = post("/v1/claims", DESK, "application/json",
	         json_claim("H51010101", "Q-3", "P0000002", "90071992547409.93"));
	cr_assert_eq(r.status, 201, "%s", r.body);
	cr_expect(strstr(r.body, "\"medfee_sumamt\":\"90071992547409.93\""), "%s", r.body);
	zt_http_free(&r);
	cr_assert_eq(zt_test_sql_int(db, "SELECT medfee_sumamt FROM settlement"), 9007199254740993LL);
	cr_assert_eq(settlements(), 1, "quotes store nothing");
}

/* ---- tokens, roles, scope ------------------------------------------------------------ */

Test(api, tokens_roles_and_scope_answer_401_403_404)
{
	const char *c = json_claim("H51010101", "T-1", "P0000001", "\"100.00\"");
	struct zt_http_resp r = post("/v1/claims", NULL, "application/json", c);
	expect_error(&r, 401, "unauthorized");
	cr_assert(zt_http_header(&r, "WWW-Authenticate"));
	zt_http_free(&r);
	r = post("/v1/claims", "zt_no_such_token_0123456789", "application/json", c);
	expect_error(&r, 401, "unauthorized");
	zt_http_free(&r);
	/* roles that may not submit: 403 before anything is read */
	const char *others[] = {FINANCE, AUDITOR, ADMIN, FUND};
	for (size_t i = 0; i < 4; i++) {
		r = post("/v1/claims", others[i], "application/json", c);
		expect_error(&r, 403, "forbidden");
		zt_http_free(&r);
	}
	cr_assert_eq(settlements(), 0);
	r = post("/v1/claims", DESK, "application/json", c);
	cr_assert_eq(r.status, 201, "%s", r.body);
	struct zt_json_doc *d = parse(&r);
	char path[128], setl[32];
	snprintf(setl, sizeof setl, "%s", text_of(zt_json_root(d), "setl_id"));
	zt_json_doc_free(d);
	zt_http_free(&r);
	/* another hospital's desk: 404 with the body of a claim that is not there */
	r = get("/v1/claims/H51010101/T-1", OTHER);
	expect_error(&r, 404, "not-found");
	char *mine = strdup(r.body);
	zt_http_free(&r);
	r = get("/v1/claims/H51010101/NO-SUCH", OTHER);
	expect_error(&r, 404, "not-found");
	zt_http_free(&r);
	r = get("/v1/claims/H99999999/T-1", OTHER);
	expect_error(&r, 404, "not-found");
	zt_http_free(&r);
	free(mine);
	snprintf(path, sizeof path, "/v1/settlements/%s", setl);
	r = get(path, OTHER);
	expect_error(&r, 404, "not-found");
	zt_http_free(&r);
	r = get("/v1/settlements/S999999999999", OTHER);
	expect_error(&r, 404, "not-found");
	zt_http_free(&r);
	/* the desk, finance and the auditor read it; finance never sees the person's number */
	r = get(path, DESK);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert(strstr(r.body, "\"psn_no\":\"P0000001\""), "%s", r.body);
	zt_http_free(&r);
	r = get(path, AUDITOR);
	cr_assert_eq(r.status, 200, "%s", r.body);
	zt_http_free(&r);
	r = get(path, FINANCE);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_null(strstr(r.body, "P0000001"), "%s", r.body);
	cr_assert(strstr(r.body, "\"psn_no\":\"****0001\""), "%s", r.body);
	zt_http_free(&r);
	/* an administrator reads no claim */
	r = get(path, ADMIN);
	expect_error(&r, 403, "forbidden");
	zt_http_free(&r);
}

/* ---- show, search, slip -------------------------------------------------------------- */

/* The setl_ids a search answers the caller, every page of `limit`
 * followed, one per line (as zt_test_rows prints them). */
static void search_all(char *out, size_t cap, const char *token, int limit)
{
	char path[256];
	snprintf(path, sizeof path, "/v1/settlements?limit=%d", limit);
	size_t len = 0;
	out[0] = '\0';
	for (int pages = 0;; pages++) {
		cr_assert_lt(pages, 100);
		struct zt_http_resp r = get(path, token);
		cr_assert_eq(r.status, 200, "%s", r.body);
		struct zt_json_doc *d = parse(&r);
		const struct zt_json *l = zt_json_find(zt_json_root(d), "settlements");
		cr_assert_leq(l->count, (size_t)limit);
		for (size_t i = 0; i < l->count; i++)
			len += (size_t)snprintf(out + len, cap - len, "%s\n", text_of(l->items[i], "setl_id"));
		const struct zt_json *next = zt_json_find(zt_json_root(d), "next");
		bool more = next && next->text;
		if (more)
			snprintf(path, sizeof path, "/v1/settlements?limit=%d&after=%s", limit, next->text);
		zt_json_doc_free(d);
		zt_http_free(&r);
		if (!more)
			break;
	}
}

Test(api, a_fund_administrator_searches_the_settlements_its_funds_paid)
{
	/* small bills the basic fund's deductible leaves to the person, and
	 * large ones it shares; a reversal of one of each */
	const char *amounts[] = {"\"80.00\"", "\"9000.00\"", "\"60.00\"", "\"12000.00\"",
	                         "\"7000.00\""};
	char cn[16];
	for (int i = 0; i < 5; i++) {
		snprintf(cn, sizeof cn, "F-%d", i);
		struct zt_http_resp r = post("/v1/claims", DESK, "application/json",
		                             json_claim("H51010101", cn, "P0000003", amounts[i]));
		cr_assert_eq(r.status, 201, "%s", r.body);
		zt_http_free(&r);
	}
	for (int i = 0; i < 2; i++) {
		snprintf(cn, sizeof cn, "F-%d", i);
		char path[128], setl_id[32], body[128];
		snprintf(path, sizeof path, "/v1/claims/H51010101/%s", cn);
		struct zt_http_resp r = get(path, DESK);
		struct zt_json_doc *d = parse(&r);
		snprintf(setl_id, sizeof setl_id, "%s",
		         text_of(zt_json_find(zt_json_root(d), "settlements")->items[0], "setl_id"));
		zt_json_doc_free(d);
		zt_http_free(&r);
		snprintf(path, sizeof path, "/v1/claims/H51010101/%s/reversal", cn);
		snprintf(body, sizeof body, "{\"setl_id\": \"%s\", \"reason\": \"wrong bed\"}", setl_id);
		r = post(path, DESK, "application/json", body);
		cr_assert_eq(r.status, 201, "%s", r.body);
		zt_http_free(&r);
	}
	/* what the basic fund paid, by the store's own rows */
	char *want = zt_test_rows(db, "SELECT DISTINCT s.setl_id FROM settlement s JOIN "
	                              "settlement_fund f ON f.settlement_id = s.id WHERE "
	                              "f.fund_code = '390100' ORDER BY s.setl_id");
	char *all = zt_test_rows(db, "SELECT setl_id FROM settlement ORDER BY setl_id");
	cr_assert(strlen(want) > 0 && strcmp(want, all) != 0,
	          "the test needs settlements of the fund and others: %s / %s", want, all);
	static char got[8192];
	for (int limit = 1; limit <= 3; limit++) {
		search_all(got, sizeof got, ZT_TEST_TOKEN_FUND_BASIC, limit);
		cr_expect_str_eq(got, want, "pages of %d", limit);
	}
	/* a fund that paid none of them finds none; an auditor finds all */
	search_all(got, sizeof got, FUND, 2);
	cr_expect_str_eq(got, "");
	search_all(got, sizeof got, AUDITOR, 4);
	cr_expect_str_eq(got, all);
	free(want);
	free(all);
}

Test(api, show_search_with_cursor_and_slip)
{
	char cn[16];
	for (int i = 0; i < 5; i++) {
		snprintf(cn, sizeof cn, "S-%d", i);
		struct zt_http_resp r = post("/v1/claims", DESK, "application/json",
		                             json_claim("H51010101", cn, i % 2 ? "P0000001" : "P0000002", "\"100.00\""));
		cr_assert_eq(r.status, 201, "%s", r.body);
		zt_http_free(&r);
	}
	struct zt_http_resp r = get("/v1/claims/H51010101/S-0", DESK);
	cr_assert_eq(r.status, 200, "%s", r.body);
	struct zt_json_doc *d = parse(&r);
	cr_assert_eq(zt_json_find(zt_json_root(d), "settlements")->count, 1);
	zt_json_doc_free(d);
	zt_http_free(&r);
	/* pages of two, in setl_id order, to the end */
	char path[256] = "/v1/settlements?fixmedins_code=H51010101&limit=2";
	char seen[8][32];
	int n = 0, pages = 0;
	for (;;) {
		r = get(path, DESK);
		cr_assert_eq(r.status, 200, "%s", r.body);
		d = parse(&r);
		const struct zt_json *l = zt_json_find(zt_json_root(d), "settlements");
		for (size_t i = 0; i < l->count; i++) {
			snprintf(seen[n++], 32, "%s", text_of(l->items[i], "setl_id"));
			/* setl_time as in the settlement itself: the pool's offset */
			const char *when = text_of(l->items[i], "setl_time");
			cr_assert(strlen(when) == 25 && strcmp(when + 19, "+08:00") == 0, "%s", when);
			char one[64];
			snprintf(one, sizeof one, "/v1/settlements/%s", seen[n - 1]);
			struct zt_http_resp o = get(one, DESK);
			struct zt_json_doc *od = parse(&o);
			cr_assert_str_eq(text_of(zt_json_root(od), "setl_time"), when);
			zt_json_doc_free(od);
			zt_http_free(&o);
		}
		pages++;
		const struct zt_json *next = zt_json_find(zt_json_root(d), "next");
		bool more = next && next->text;
		if (more)
			snprintf(path, sizeof path, "/v1/settlements?fixmedins_code=H51010101&limit=2&after=%s",
			         next->text);
		zt_json_doc_free(d);
		zt_http_free(&r);
		if (!more)
			break;
	}
	cr_assert_eq(n, 5);
	cr_assert_eq(pages, 3);
	for (int i = 1; i < n; i++)
		cr_assert_lt(strcmp(seen[i - 1], seen[i]), 0, "ordered by setl_id");
	/* a cursor is bound to its filters */
	char bad[256];
	snprintf(bad, sizeof bad, "/v1/settlements?psn_no=P0000001&limit=2&after=%s.0000000000000000", seen[1]);
	r = get(bad, DESK);
	expect_error(&r, 400, "invalid-cursor");
	zt_http_free(&r);
	r = get("/v1/settlements?psn_no=P0000001", DESK);
	d = parse(&r);
	cr_assert_eq(zt_json_find(zt_json_root(d), "settlements")->count, 2);
	zt_json_doc_free(d);
	zt_http_free(&r);
	/* another hospital's desk finds nothing */
	r = get("/v1/settlements?fixmedins_code=H51010101", OTHER);
	d = parse(&r);
	cr_assert_eq(zt_json_find(zt_json_root(d), "settlements")->count, 0);
	zt_json_doc_free(d);
	zt_http_free(&r);
	r = get("/v1/settlements?limit=0", DESK);
	expect_error(&r, 400, "invalid-query");
	zt_http_free(&r);
	r = get("/v1/settlements?whatever=1", DESK);
	expect_error(&r, 400, "invalid-query");
	zt_http_free(&r);
	/* the slip, by Accept */
	snprintf(path, sizeof path, "/v1/settlements/%s/slip", seen[0]);
	const char *types[][2] = {{"text/plain", "text/plain"}, {"text/html", "text/html"},
	                          {"application/pdf", "application/pdf"}};
	for (size_t i = 0; i < 3; i++) {
		r = zt_http(&(struct zt_http_call){.port = port, .path = path, .token = DESK,
		                                   .accept = types[i][0]});
		cr_assert_eq(r.status, 200, "%s: %s", types[i][0], r.body);
		cr_assert(strstr(zt_http_header(&r, "Content-Type"), types[i][1]));
		cr_assert_gt(r.len, 100);
		zt_http_free(&r);
	}
	r = get(path, OTHER);
	expect_error(&r, 404, "not-found");
	zt_http_free(&r);
	r = get(path, FINANCE);
	expect_error(&r, 403, "forbidden");
	zt_http_free(&r);
}

/* A claim's history carries its fee lines, in the claim's names, to those
 * who see items; finance never does (docs/spec/service.md "Roles"). */
Test(api, a_claims_history_carries_its_items_for_those_who_see_items)
{
	const char *body =
	        "{\"fixmedins_code\": \"H51010101\", \"claim_no\": \"IT-1\", \"psn_no\": \"P0000001\", "
	        "\"adm_date\": \"2017-01-01\", \"dscg_date\": \"2017-03-01\", "
	        "\"dscg_maindiag_code\": \"I63.900\", \"medfee_sumamt\": \"312.50\", "
	        "\"items\": [{\"feedetl_sn\": \"7\", \"med_list_codg\": \"001201000010000-120100001\", "
	        "\"med_chrgitm_type\": \"05\", \"chrgitm_lv\": \"1\", \"pric\": \"100\", \"cnt\": \"2.5\", "
	        "\"det_item_fee_sumamt\": \"250.00\"}, "
	        "{\"feedetl_sn\": \"8\", \"med_list_codg\": \"XB01AC-A001-E001-01\", "
	        "\"med_chrgitm_type\": \"09\", \"chrgitm_lv\": \"02\", \"pric\": \"62.5\", \"cnt\": \"1\", "
	        "\"det_item_fee_sumamt\": 62.5, \"selfpay_prop\": \"0.1\"}]}";
	struct zt_http_resp r = post("/v1/claims", DESK, "application/json", body);
	cr_assert_eq(r.status, 201, "%s", r.body);
	struct zt_json_doc *d = parse(&r);
	char setl[32];
	snprintf(setl, sizeof setl, "%s", text_of(zt_json_root(d), "setl_id"));
	zt_json_doc_free(d);
	zt_http_free(&r);
	const char *who[] = {DESK, AUDITOR};
	for (size_t k = 0; k < 2; k++) {
		r = get("/v1/claims/H51010101/IT-1", who[k]);
		cr_assert_eq(r.status, 200, "%s", r.body);
		d = parse(&r);
		const struct zt_json *items = zt_json_find(zt_json_root(d), "items");
		cr_assert(items, "%s", r.body);
		cr_assert_eq(items->count, 2, "%s", r.body);
		const struct zt_json *a = items->items[0], *b = items->items[1];
		cr_assert_str_eq(text_of(a, "feedetl_sn"), "7");
		cr_assert_str_eq(text_of(a, "med_list_codg"), "001201000010000-120100001");
		cr_assert_str_eq(text_of(a, "med_chrgitm_type"), "05");
		cr_assert_str_eq(text_of(a, "chrgitm_lv"), "01");
		cr_assert_str_eq(text_of(a, "pric"), "100.0000");
		cr_assert_str_eq(text_of(a, "cnt"), "2.5000");
		cr_assert_str_eq(text_of(a, "det_item_fee_sumamt"), "250.00");
		cr_assert_null(zt_json_find(a, "selfpay_prop"), "%s", r.body);
		cr_assert_str_eq(text_of(b, "feedetl_sn"), "8");
		cr_assert_str_eq(text_of(b, "chrgitm_lv"), "02");
		cr_assert_str_eq(text_of(b, "det_item_fee_sumamt"), "62.50");
		cr_assert_str_eq(text_of(b, "selfpay_prop"), "0.1000");
		/* the settlements are as before */
		cr_assert_eq(zt_json_find(zt_json_root(d), "settlements")->count, 1);
		zt_json_doc_free(d);
		zt_http_free(&r);
	}
	/* finance: amounts, never items */
	r = get("/v1/claims/H51010101/IT-1", FINANCE);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_null(strstr(r.body, "\"items\""), "%s", r.body);
	cr_assert_null(strstr(r.body, "001201000010000"), "%s", r.body);
	zt_http_free(&r);
	/* one settlement keeps its own shape */
	char path[64];
	snprintf(path, sizeof path, "/v1/settlements/%s", setl);
	r = get(path, DESK);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_null(strstr(r.body, "\"items\""), "%s", r.body);
	zt_http_free(&r);
}

/* ---- reversal -------------------------------------------------------------------------- */

static char *reversal_body(const char *setl_id)
{
	static char b[256];
	snprintf(b, sizeof b, "{\"setl_id\": \"%s\", \"reason\": \"wrong ward\"}", setl_id);
	return b;
}

Test(api, a_reversal_by_setl_id_retried_late_never_reverses_the_corrected_claim)
{
	/* XML v1 claims, answered in JSON: verify below (see submit_one) */
	char c[4096], c2[4096];
	zt_test_claim_xml(c, sizeof c, "R-1", "P0000001", "2017-03-01", "1000.00");
	zt_test_claim_xml(c2, sizeof c2, "R-1", "P0000001", "2017-03-01", "900.00");
	struct zt_http_resp r = zt_http(&(struct zt_http_call){.port = port, .path = "/v1/claims",
	                                   .token = DESK, .content_type = "application/xml",
	                                   .body = c, .accept = "application/json"});
	cr_assert_eq(r.status, 201, "%s", r.body);
	struct zt_json_doc *d = parse(&r);
	char first[32];
	snprintf(first, sizeof first, "%s", text_of(zt_json_root(d), "setl_id"));
	zt_json_doc_free(d);
	zt_http_free(&r);
	const char *rev = "/v1/claims/H51010101/R-1/reversal";
	r = post(rev, DESK, "application/json", reversal_body(first));
	cr_assert_eq(r.status, 201, "%s", r.body);
	d = parse(&r);
	cr_assert_str_eq(text_of(zt_json_root(d), "reverses"), first);
	cr_assert_str_eq(text_of(zt_json_find(zt_json_root(d), "setlinfo"), "medfee_sumamt"), "-1000.00");
	char reversal[32];
	snprintf(reversal, sizeof reversal, "%s", text_of(zt_json_root(d), "setl_id"));
	zt_json_doc_free(d);
	zt_http_free(&r);
	/* the retry: 200, the same reversal */
	r = post(rev, DESK, "application/json", reversal_body(first));
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert(strstr(r.body, reversal), "%s", r.body);
	zt_http_free(&r);
	/* the corrected claim is settled under the same number */
	r = zt_http(&(struct zt_http_call){.port = port, .path = "/v1/claims", .token = DESK,
	                                   .content_type = "application/xml", .body = c2,
	                                   .accept = "application/json"});
	cr_assert_eq(r.status, 201, "%s", r.body);
	d = parse(&r);
	char corrected[32];
	snprintf(corrected, sizeof corrected, "%s", text_of(zt_json_root(d), "setl_id"));
	zt_json_doc_free(d);
	zt_http_free(&r);
	/* the late retry changes nothing */
	long long before = settlements();
	r = post(rev, DESK, "application/json", reversal_body(first));
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert(strstr(r.body, reversal), "%s", r.body);
	zt_http_free(&r);
	cr_assert_eq(settlements(), before);
	/* a setl_id that is not the claim's live settlement */
	r = post(rev, DESK, "application/json", reversal_body("S999999999999"));
	expect_error(&r, 409, "not-settled");
	zt_http_free(&r);
	/* the corrected one by its own id */
	r = post(rev, DESK, "application/json", reversal_body(corrected));
	cr_assert_eq(r.status, 201, "%s", r.body);
	zt_http_free(&r);
	/* bad bodies, another hospital, another role */
	r = post(rev, DESK, "application/json", "{\"setl_id\": \"S1\"}");
	expect_error(&r, 400, "invalid-request");
	zt_http_free(&r);
	r = post(rev, DESK, "application/json", "{");
	expect_error(&r, 400, "malformed-json");
	zt_http_free(&r);
	r = post(rev, OTHER, "application/json", reversal_body(corrected));
	expect_error(&r, 404, "not-found");
	zt_http_free(&r);
	r = post(rev, AUDITOR, "application/json", reversal_body(corrected));
	expect_error(&r, 403, "forbidden");
	zt_http_free(&r);
	/* the claim's history: two settlements, two reversals */
	r = get("/v1/claims/H51010101/R-1", AUDITOR);
	cr_assert_eq(r.status, 200, "%s", r.body);
	d = parse(&r);
	cr_assert_eq(zt_json_find(zt_json_root(d), "settlements")->count, 4);
	zt_json_doc_free(d);
	zt_http_free(&r);
	char *out = zt_test_db_ok(db, "verify");
	free(out);
}

Test(api, idempotency_keys_same_body_same_answer_other_body_409)
{
	struct zt_http_resp r = post("/v1/claims", DESK, "application/json",
	                             json_claim("H51010101", "I-1", "P0000001", "\"100.00\""));
	cr_assert_eq(r.status, 201);
	struct zt_json_doc *d = parse(&r);
	char setl[32];
	snprintf(setl, sizeof setl, "%s", text_of(zt_json_root(d), "setl_id"));
	zt_json_doc_free(d);
	zt_http_free(&r);
	struct zt_http_call c = {.port = port, .path = "/v1/claims/H51010101/I-1/reversal",
	                         .token = DESK, .content_type = "application/json",
	                         .body = reversal_body(setl), .headers = {"Idempotency-Key: k-1"}};
	r = zt_http(&c);
	cr_assert_eq(r.status, 201, "%s", r.body);
	char *first = strdup(r.body);
	zt_http_free(&r);
	/* the same key and body: the same answer (201 again), done once */
	r = zt_http(&c);
	cr_assert_eq(r.status, 201, "%s", r.body);
	cr_assert_str_eq(r.body, first);
	cr_assert_str_eq(zt_http_header(&r, "Idempotency-Replayed"), "true");
	zt_http_free(&r);
	free(first);
	/* the same key with another body */
	c.body = "{\"setl_id\": \"S000000000001\", \"reason\": \"another\"}";
	r = zt_http(&c);
	expect_error(&r, 409, "idempotency-key-reused");
	zt_http_free(&r);
	/* another user's same key is another key */
	c.token = OTHER;
	r = zt_http(&c);
	expect_error(&r, 404, "not-found");
	zt_http_free(&r);
	cr_assert_eq(settlements(), 2);
}

/* ---- the slip's code over HTTP (issue 10 item 3: "the service will expose the same") ---- */

/* With the pool's slip key the slip the desk prints carries a code that
 * GET /v1/slips/verify, public, answers genuine with the amounts and no
 * name; a code changed by one character is not; once the claim is
 * reversed the same code is genuine and void. */
Test(api, a_slips_code_verifies_over_http_and_says_when_it_was_reversed)
{
	const char *kpath = zt_test_slip_key("slip.key");
	char conf[800];
	int n = snprintf(conf, sizeof conf, "[slip]\nkey = %s\nkey-id = K7\n", kpath);
	struct zt_config *cfg = NULL;
	cr_assert_eq(zt_config_parse(&cfg, "pool.conf", conf, (size_t)n), 0, "%s", zt_error_last());
	static struct zt_slip_keys keys;
	cr_assert_eq(zt_slip_keys_load(&keys, cfg), 0, "%s", zt_error_last());
	zt_config_free(cfg);
	app.slip_keys = &keys;
	struct zt_http_resp r = post("/v1/claims", DESK, "application/json",
	                             json_claim("H51010101", "SV-1", "P0000001", "\"1000.00\""));
	cr_assert_eq(r.status, 201, "%s", r.body);
	struct zt_json_doc *d = parse(&r);
	char setl[32], psn_part[32];
	snprintf(setl, sizeof setl, "%s", text_of(zt_json_root(d), "setl_id"));
	snprintf(psn_part, sizeof psn_part, "%s",
	         text_of(zt_json_find(zt_json_root(d), "setlinfo"), "psn_part_amt"));
	zt_json_doc_free(d);
	zt_http_free(&r);
	cr_assert(psn_part[0]);
	/* the code as printed on the text slip */
	char path[160], code[64];
	snprintf(path, sizeof path, "/v1/settlements/%s/slip", setl);
	r = zt_http(&(struct zt_http_call){.port = port, .path = path, .token = DESK,
	                                   .accept = "text/plain"});
	cr_assert_eq(r.status, 200, "%s", r.body);
	const char *p = strstr(r.body, "验证码：");
	cr_assert(p, "no code on the slip:\n%s", r.body);
	p += strlen("验证码：");
	while (*p == '\n' || *p == ' ')
		p++;
	snprintf(code, sizeof code, "%.*s", (int)strcspn(p, "\n"), p);
	zt_http_free(&r);
	cr_assert_eq(strncmp(code, "K7-", 3), 0, "%s", code);
	/* genuine, without a token: the amounts, no name, no person number */
	char q[256];
	snprintf(q, sizeof q, "/v1/slips/verify?code=%s", code);
	r = zt_http(&(struct zt_http_call){.port = port, .path = q});
	cr_assert_eq(r.status, 200, "%s", r.body);
	d = parse(&r);
	const struct zt_json *o = zt_json_root(d);
	cr_expect_eq(zt_json_find(o, "genuine")->type, ZT_JSON_TRUE, "%s", r.body);
	cr_expect_str_eq(text_of(o, "setl_id"), setl);
	cr_expect_str_eq(text_of(o, "fixmedins_code"), "H51010101");
	cr_expect_str_eq(text_of(o, "medfee_sumamt"), "1000.00");
	cr_expect_str_eq(text_of(o, "psn_part_amt"), psn_part);
	cr_expect_eq(zt_json_find(o, "void")->type, ZT_JSON_FALSE, "%s", r.body);
	cr_expect_null(strstr(r.body, "P0000001"), "%s", r.body);
	zt_json_doc_free(d);
	zt_http_free(&r);
	/* one character changed (the last, within the alphabet): not genuine */
	char forged[64];
	snprintf(forged, sizeof forged, "%s", code);
	char *last = forged + strlen(forged) - 1;
	*last = *last == '0' ? '1' : '0';
	snprintf(q, sizeof q, "/v1/slips/verify?code=%s", forged);
	r = zt_http(&(struct zt_http_call){.port = port, .path = q});
	expect_error(&r, 404, "not-genuine");
	zt_http_free(&r);
	/* reversed: the same code genuine, and void */
	r = post("/v1/claims/H51010101/SV-1/reversal", DESK, "application/json", reversal_body(setl));
	cr_assert_eq(r.status, 201, "%s", r.body);
	zt_http_free(&r);
	snprintf(q, sizeof q, "/v1/slips/verify?code=%s&setl_id=%s", code, setl);
	r = zt_http(&(struct zt_http_call){.port = port, .path = q});
	cr_assert_eq(r.status, 200, "%s", r.body);
	d = parse(&r);
	cr_expect_eq(zt_json_find(zt_json_root(d), "void")->type, ZT_JSON_TRUE, "%s", r.body);
	zt_json_doc_free(d);
	zt_http_free(&r);
	app.slip_keys = NULL;
	zt_slip_keys_wipe(&keys);
}

/* ---- at once ------------------------------------------------------------------------------ */

struct one {
	int i;
	long status;
};

/* Half XML v1, half JSON (claim v2): verify re-derives the digest of both
 * (a claim v2's own fields are kept in claim_v2). */
static void *submit_one(void *arg)
{
	struct one *o = arg;
	char cn[16], xml[4096];
	snprintf(cn, sizeof cn, "C-%02d", o->i);
	zt_test_claim_xml(xml, sizeof xml, cn, "P0000001", "2017-03-01", "1000.00");
	bool json = o->i % 2 == 0;
	struct zt_http_resp r =
		json ? post("/v1/claims", DESK, "application/json",
		            json_claim("H51010101", cn, "P0000001", "\"1000.00\""))
		     : post("/v1/claims", DESK, "application/xml", xml);
	o->status = r.status;
	zt_http_free(&r);
	return NULL;
}

Test(api, thirty_two_desks_at_once_for_one_person_end_exact_and_verify_clean)
{
	enum { N = 32 };
	pthread_t t[N];
	struct one o[N];
	for (int i = 0; i < N; i++) {
		o[i] = (struct one){.i = i};
		cr_assert_eq(pthread_create(&t[i], NULL, submit_one, &o[i]), 0);
	}
	for (int i = 0; i < N; i++) {
		pthread_join(t[i], NULL);
		cr_expect_eq(o[i].status, 201, "claim %d: %ld", i, o[i].status);
	}
	cr_assert_eq(settlements(), N);
	/* the accumulators are exactly what the 32 settlements paid: none
	 * lost, none counted twice */
	long long basic = zt_test_sql_int(db, "SELECT sum(hifp_pay) FROM settlement");
	cr_assert_gt(basic, 0);
	char *slots = zt_test_rows(db, "SELECT slot, amount FROM accum WHERE psn_no = 'P0000001'");
	cr_assert_eq(zt_test_sql_int(db, "SELECT amount FROM accum WHERE psn_no = 'P0000001' "
	                                 "AND slot = 'basic'"),
	             basic, "%s", slots);
	free(slots);
	char *out = zt_test_db_ok(db, "verify");
	free(out);
	/* each claim settled exactly once, in one order: the same answer again */
	struct one again = {.i = 7};
	submit_one(&again);
	cr_assert_eq(again.status, 200);
	cr_assert_eq(settlements(), N);
}

/* ---- the OpenAPI document --------------------------------------------------------------- */

/* "METHOD PATH" of every operation of an OpenAPI document, sorted, one a line. */
static char *operations(const struct zt_json *doc)
{
	const struct zt_json *paths = zt_json_find(doc, "paths");
	cr_assert(paths && paths->type == ZT_JSON_OBJECT);
	char *lines[512];
	size_t n = 0;
	for (size_t i = 0; i < paths->count; i++) {
		const struct zt_json *ops = paths->members[i].value;
		for (size_t j = 0; j < ops->count && n < 512; j++) {
			char *l = malloc(512);
			snprintf(l, 512, "%s %s", ops->members[j].key, paths->members[i].key);
			lines[n++] = l;
		}
	}
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(lines[j - 1], lines[j]) > 0; j--) {
			char *t = lines[j];
			lines[j] = lines[j - 1];
			lines[j - 1] = t;
		}
	char *out = calloc(1, 512 * (n + 1));
	for (size_t i = 0; i < n; i++) {
		strcat(out, lines[i]);
		strcat(out, "\n");
		free(lines[i]);
	}
	return out;
}

Test(api, docs_openapi_json_names_exactly_the_running_servers_routes)
{
	char *text = zt_test_slurp(ZT_TEST_SOURCE_DIR "/docs/openapi.json");
	cr_assert(text, "docs/openapi.json");
	struct zt_json_doc *mine = NULL;
	cr_assert_eq(zt_json_parse(&mine, text, strlen(text), NULL), 0, "%s", zt_error_last());
	cr_assert_str_eq(text_of(zt_json_root(mine), "openapi"), "3.0.3");
	struct zt_http_resp r = get("/v1/openapi.json", AUDITOR);
	cr_assert_eq(r.status, 200, "%s", r.body);
	struct zt_json_doc *served = parse(&r);
	char *a = operations(zt_json_root(mine)), *b = operations(zt_json_root(served));
	cr_assert_str_eq(a, b, "docs/openapi.json:\n%s\nthe server:\n%s", a, b);
	/* and each documented operation says the roles the server enforces */
	const struct zt_json *sp = zt_json_find(zt_json_root(served), "paths");
	const struct zt_json *dp = zt_json_find(zt_json_root(mine), "paths");
	for (size_t i = 0; i < sp->count; i++) {
		const struct zt_json *ops = sp->members[i].value;
		for (size_t j = 0; j < ops->count; j++) {
			const struct zt_json *s_roles = zt_json_find(ops->members[j].value, "x-zhitong-roles");
			const struct zt_json *d_roles = zt_json_find(
				zt_json_find(zt_json_find(dp, sp->members[i].key), ops->members[j].key),
				"x-zhitong-roles");
			if (!s_roles)
				continue; /* public */
			cr_assert(d_roles, "%s %s: no x-zhitong-roles", ops->members[j].key, sp->members[i].key);
			cr_assert_eq(s_roles->count, d_roles->count, "%s %s", ops->members[j].key,
			             sp->members[i].key);
			for (size_t k = 0; k < s_roles->count; k++)
				cr_assert_str_eq(s_roles->items[k]->text, d_roles->items[k]->text);
		}
	}
	free(a);
	free(b);
	zt_json_doc_free(served);
	zt_json_doc_free(mine);
	zt_http_free(&r);
	free(text);
}

/* ---- persons, verify ----------------------------------------------------------------------- */

Test(api, a_person_by_psn_no_or_id_no_with_the_category_and_the_years_totals)
{
	char xml[4096];
	zt_test_claim_xml(xml, sizeof xml, "P-1", "P0000001", "2017-03-01", "5000.00");
	struct zt_http_resp r = post("/v1/claims", DESK, "application/xml", xml);
	cr_assert_eq(r.status, 201, "%s", r.body);
	zt_http_free(&r);
	long long basic = zt_test_sql_int(db, "SELECT hifp_pay FROM settlement");
	const char *paths[] = {"/v1/persons?psn_no=P0000001&date=2017-06-30",
	                       "/v1/persons?id_no=510101195001011234&date=2017-06-30"};
	for (size_t i = 0; i < 2; i++) {
		r = get(paths[i], DESK);
		cr_assert_eq(r.status, 200, "%s", r.body);
		struct zt_json_doc *d = parse(&r);
		const struct zt_json *p = zt_json_root(d);
		cr_expect_str_eq(text_of(p, "psn_no"), "P0000001");
		cr_expect_str_eq(text_of(p, "category"), "poor");
		cr_expect_str_eq(text_of(p, "admdvs"), "510101");
		cr_expect_null(strstr(r.body, "510101195001011234"), "never the full ID number: %s", r.body);
		char want[32];
		snprintf(want, sizeof want, "%lld.%02lld", basic / 100, basic % 100);
		cr_expect_str_eq(text_of(zt_json_find(p, "totals"), "basic"), want, "%s", r.body);
		zt_json_doc_free(d);
		zt_http_free(&r);
	}
	/* another year: nothing paid yet */
	r = get("/v1/persons?psn_no=P0000001&date=2018-01-02", DESK);
	cr_assert_eq(r.status, 200, "%s", r.body);
	struct zt_json_doc *d = parse(&r);
	cr_expect_eq(zt_json_find(zt_json_root(d), "totals")->count, 0, "%s", r.body);
	zt_json_doc_free(d);
	zt_http_free(&r);
	r = get("/v1/persons?psn_no=P9999999", DESK);
	expect_error(&r, 404, "not-found");
	zt_http_free(&r);
	r = get("/v1/persons?id_no=510101195001019999", DESK);
	expect_error(&r, 404, "not-found");
	zt_http_free(&r);
	r = get("/v1/persons?psn_no=P0000001&id_no=510101195001011234", DESK);
	expect_error(&r, 400, "invalid-query");
	zt_http_free(&r);
	r = get("/v1/persons?psn_no=P0000001", FINANCE);
	expect_error(&r, 403, "forbidden");
	zt_http_free(&r);
}

Test(api, verify_over_http_is_the_auditors)
{
	char xml[4096];
	zt_test_claim_xml(xml, sizeof xml, "V-1", "P0000001", "2017-03-01", "5000.00");
	struct zt_http_resp r = post("/v1/claims", DESK, "application/xml", xml);
	cr_assert_eq(r.status, 201, "%s", r.body);
	zt_http_free(&r);
	r = get("/v1/verify", AUDITOR);
	cr_assert_eq(r.status, 200, "%s", r.body);
	struct zt_json_doc *d = parse(&r);
	cr_assert_str_eq(text_of(zt_json_root(d), "violations"), "0", "%s", r.body);
	cr_assert_gt(zt_json_find(zt_json_root(d), "checks")->count, 10);
	zt_json_doc_free(d);
	zt_http_free(&r);
	/* nobody else may */
	const char *roles[] = {DESK, FINANCE, ADMIN, FUND};
	for (size_t i = 0; i < 4; i++) {
		r = get("/v1/verify", roles[i]);
		expect_error(&r, 403, "forbidden");
		zt_http_free(&r);
	}
}

/* The service hands settle the configuration it was started with, as
 * 'claim submit' does: [county C] catalog = required rejects no-catalog
 * (docs/spec/rules-v2.md §2) when no catalogue of the county is in force;
 * without the configuration the same claim settles. */
Test(api, the_configuration_reaches_settle_as_on_the_command_line)
{
	static const char conf[] = "[county 510101]\ncatalog = required\n";
	struct zt_config *cfg = NULL;
	cr_assert_eq(zt_config_parse(&cfg, "test.conf", conf, sizeof conf - 1), 0, "%s",
	             zt_error_last());
	app.config = cfg;
	struct zt_http_resp r = post("/v1/claims", DESK, "application/json",
	                             json_claim("H51010101", "ZY-C1", "P0000001", "\"100.00\""));
	expect_error(&r, 422, "no-catalog");
	zt_http_free(&r);
	cr_assert_eq(settlements(), 0);
	app.config = NULL;
	r = post("/v1/claims", DESK, "application/json",
	         json_claim("H51010101", "ZY-C1", "P0000001", "\"100.00\""));
	cr_assert_eq(r.status, 201, "%s", r.body);
	zt_http_free(&r);
	cr_assert_eq(settlements(), 1);
	zt_config_free(cfg);
}

/* ---- a settlement on top of the national platform (docs/spec/claim-v2-national.md) ---- */

/* The sample database with county 510102's supplementary policy of 2017
 * loaded beside 510101's full one: P0000025 (poor, 510102) settles on
 * top of the national platform, P0000001 (510101) in full. */
static void setup_national(void)
{
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	db = zt_test_sample_db("api-national.db");
	free(zt_test_ok("--db '%s' rules load '%s/rules/sample-510102-2017-supplementary.xml'", db,
	                ZT_TEST_SOURCE_DIR));
	cr_assert_eq(zt_api_init(&app, db), 0);
	struct zt_service_opts o;
	zt_test_service_opts(&o, true);
	port = zt_test_service_start(&srv, &app, &o);
}

TestSuite(api_national, .init = setup_national, .fini = teardown, .timeout = 240);

/* A JSON claim of 10000.00 with the national platform's 6000.00 + 500.00
 * + 1000.00 under national settlement `nat`. */
static const char *national_claim(const char *claim_no, const char *nat)
{
	static __thread char b[2048];
	snprintf(b, sizeof b,
	         "{\"fixmedins_code\": \"H51010101\", \"claim_no\": \"%s\", \"psn_no\": \"P0000025\", "
	         "\"adm_date\": \"2017-02-20\", \"dscg_date\": \"2017-03-01\", "
	         "\"dscg_maindiag_code\": \"I63.900\", \"medfee_sumamt\": \"10000.00\", "
	         "\"national\": {\"setl_id\": \"%s\", \"hifp_pay\": \"6000.00\", "
	         "\"hifmi_pay\": \"500.00\", \"maf_pay\": \"1000.00\"}, "
	         "\"items\": [{\"feedetl_sn\": \"1\", \"med_list_codg\": \"001201000010000-120100001\", "
	         "\"med_chrgitm_type\": \"05\", \"chrgitm_lv\": \"01\", \"pric\": \"10000.00\", "
	         "\"cnt\": \"1\", \"det_item_fee_sumamt\": \"10000.00\"}]}",
	         claim_no, nat);
	return b;
}

/* `s` is a settlement standing on national settlement `nat` with the
 * amounts of national_claim (negated when `sign` is -1). */
static void expect_national(const struct zt_json *s, const char *nat, int sign, const char *body)
{
	const struct zt_json *n = zt_json_find(s, "national");
	cr_assert(n, "no national member: %s", body);
	cr_expect_str_eq(text_of(n, "setl_id"), nat, "%s", body);
	cr_expect_str_eq(text_of(n, "hifp_pay"), sign > 0 ? "6000.00" : "-6000.00", "%s", body);
	cr_expect_str_eq(text_of(n, "hifmi_pay"), sign > 0 ? "500.00" : "-500.00", "%s", body);
	cr_expect_str_eq(text_of(n, "maf_pay"), sign > 0 ? "1000.00" : "-1000.00", "%s", body);
	const struct zt_json *f = zt_json_find(n, "national_funds");
	cr_expect_str_eq(text_of(f, "basic"), "390100", "%s", body);
	cr_expect_str_eq(text_of(f, "critical"), "390200", "%s", body);
	cr_expect_str_eq(text_of(f, "assistance"), "610100", "%s", body);
	const struct zt_json *info = zt_json_find(s, "setlinfo");
	cr_assert(info, "%s", body);
	cr_expect(!zt_json_find(info, "pool_prop_selfpay"), "settlement v2 leaves it out: %s", body);
	cr_expect_str_eq(text_of(info, "hifp_pay"), sign > 0 ? "6000.00" : "-6000.00", "%s", body);
}

Test(api_national, submit_quote_and_show_carry_national_and_no_pool_prop_selfpay)
{
	/* submit: 201 */
	struct zt_http_resp r = post("/v1/claims", DESK, "application/json",
	                             national_claim("N-1", "2304-N1"));
	cr_assert_eq(r.status, 201, "%s", r.body);
	struct zt_json_doc *d = parse(&r);
	expect_national(zt_json_root(d), "2304-N1", 1, r.body);
	char setl_id[32];
	snprintf(setl_id, sizeof setl_id, "%s", text_of(zt_json_root(d), "setl_id"));
	zt_json_doc_free(d);
	zt_http_free(&r);
	/* quote: the same, without setl_id, nothing stored */
	r = post("/v1/quotes", DESK, "application/json", national_claim("N-2", "2304-N2"));
	cr_assert_eq(r.status, 200, "%s", r.body);
	d = parse(&r);
	expect_national(zt_json_root(d), "2304-N2", 1, r.body);
	cr_expect(!zt_json_find(zt_json_root(d), "setl_id"), "%s", r.body);
	zt_json_doc_free(d);
	zt_http_free(&r);
	/* reversal, then the claim's history: both stand on 2304-N1 */
	char path[128], body[160];
	snprintf(path, sizeof path, "/v1/claims/H51010101/N-1/reversal");
	snprintf(body, sizeof body, "{\"setl_id\": \"%s\", \"reason\": \"wrong stay\"}", setl_id);
	r = post(path, DESK, "application/json", body);
	cr_assert_eq(r.status, 201, "%s", r.body);
	d = parse(&r);
	expect_national(zt_json_root(d), "2304-N1", -1, r.body);
	zt_json_doc_free(d);
	zt_http_free(&r);
	r = get("/v1/claims/H51010101/N-1", DESK);
	cr_assert_eq(r.status, 200, "%s", r.body);
	d = parse(&r);
	const struct zt_json *all = zt_json_find(zt_json_root(d), "settlements");
	cr_assert(all && all->count == 2, "%s", r.body);
	expect_national(all->items[0], "2304-N1", 1, r.body);
	expect_national(all->items[1], "2304-N1", -1, r.body);
	zt_json_doc_free(d);
	zt_http_free(&r);
	/* a claim settled in full keeps pool_prop_selfpay and has no national */
	r = post("/v1/claims", DESK, "application/json",
	         json_claim("H51010101", "F-1", "P0000001", "\"8000.00\""));
	cr_assert_eq(r.status, 201, "%s", r.body);
	d = parse(&r);
	cr_expect(!zt_json_find(zt_json_root(d), "national"), "%s", r.body);
	cr_expect(zt_json_find(zt_json_find(zt_json_root(d), "setlinfo"), "pool_prop_selfpay"), "%s",
	          r.body);
	zt_json_doc_free(d);
	zt_http_free(&r);
}
