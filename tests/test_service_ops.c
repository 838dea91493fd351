/* zhitong — the service's endpoints beyond the desk's claims (docs/spec/
 * service.md "Endpoints"): a hospital's day (3201), batches with
 * maker-checker across users, advances, bank statements and exceptions,
 * the reconciliation report, the audit trail, and Idempotency-Key kept in
 * the store. The server is started in-process on a free loopback port over
 * a sample database and driven with libcurl, with the test users of
 * httputil.h. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "api.h"
#include "httputil.h"
#include "testutil.h"
#include "zhitong/config.h"
#include "zhitong/error.h"
#include "zhitong/json.h"

#define DESK ZT_TEST_TOKEN_DESK
#define OTHER ZT_TEST_TOKEN_DESK_OTHER
#define FINANCE ZT_TEST_TOKEN_FINANCE
#define FINANCE2 ZT_TEST_TOKEN_FINANCE2
#define AUDITOR ZT_TEST_TOKEN_AUDITOR
#define ADMIN ZT_TEST_TOKEN_ADMIN
#define FUND_OTHER ZT_TEST_TOKEN_FUND
#define FUND_A ZT_TEST_TOKEN_FUND_BASIC
#define FUND_B ZT_TEST_TOKEN_FUND_BASIC2

static struct zt_service *srv;
static struct zt_api app;
static struct zt_config *cfg;
static unsigned port;
static const char *db;
static char db_path[600], files[512];

static void start(void)
{
	cr_assert_eq(zt_api_init(&app, db), 0);
	app.config = cfg;
	app.files_dir = files;
	struct zt_service_opts o;
	zt_test_service_opts(&o, true);
	o.connections_per_address_max = 200;
	port = zt_test_service_start(&srv, &app, &o);
}

static void stop(void)
{
	if (srv) {
		zt_service_stop(srv);
		zt_service_free(srv);
		srv = NULL;
		zt_api_free(&app);
	}
}

static void setup(void)
{
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	/* kept: the helpers' paths are static buffers, reused */
	snprintf(db_path, sizeof db_path, "%s", zt_test_sample_db("ops.db"));
	db = db_path;
	snprintf(files, sizeof files, "%s", tmp_path("files"));
	mkdir(files, 0700);
	char cmd[1200], ini[3000];
	snprintf(cmd, sizeof cmd, "openssl genpkey -algorithm ed25519 -out '%s' 2>/dev/null && "
	         "mkdir -p '%s' '%s'", tmp_path("k.pem"), tmp_path("outbox"), tmp_path("inbox"));
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	snprintf(ini, sizeof ini,
	         "[signing]\nkey = %s\n\n[fund 390100]\ngateway = folder\noutbox = %s\ninbox = %s\n\n",
	         tmp_path("k.pem"), tmp_path("outbox"), tmp_path("inbox"));
	char text[4000];
	cr_assert(snprintf(text, sizeof text, "%s%s", ini,
	                                 "[pool]\n"
	                                 "name = 某县健康扶贫资金专户\n"
	                                 "account = 6222020200112233445\n"
	                                 "bic = ICBKCNBJSCN\n"
	                                 "\n"
	                                 "[hospital H51010101]\n"
	                                 "account = 4402000000000000001\n"
	                                 "bic = ICBKCNBJSCN\n") > 0);
	const char *path = zt_test_write("zhitong.ini", text);
	cr_assert_eq(zt_config_load(&cfg, path), 0, "%s", zt_error_last());
	start();
}

static void teardown(void)
{
	stop();
	zt_config_free(cfg);
	cfg = NULL;
	curl_global_cleanup();
}

TestSuite(ops, .init = setup, .fini = teardown, .timeout = 240);

/* ---- helpers -------------------------------------------------------------------------- */

static struct zt_http_resp post(const char *path, const char *token, const char *body)
{
	return zt_http(&(struct zt_http_call){.port = port, .path = path, .token = token,
	                                      .content_type = "application/json", .body = body});
}

static struct zt_http_resp post_key(const char *path, const char *token, const char *body,
                                    const char *key_header)
{
	return zt_http(&(struct zt_http_call){.port = port, .path = path, .token = token,
	                                      .content_type = "application/json", .body = body,
	                                      .headers = {key_header}});
}

static struct zt_http_resp get(const char *path, const char *token)
{
	return zt_http(&(struct zt_http_call){.port = port, .path = path, .token = token});
}

static struct zt_json_doc *parse(const struct zt_http_resp *r) { return zt_http_json(r); }

static const char *text_of(const struct zt_json *o, const char *key)
{
	return zt_http_json_text(o, key);
}

static void expect_status(struct zt_http_resp *r, long status)
{
	cr_assert_eq(r->rc, CURLE_OK, "curl: %s", r->error);
	cr_assert_eq(r->status, status, "status %ld, not %ld: %s", r->status, status, r->body);
}

static void expect_error(struct zt_http_resp *r, long status, const char *code)
{
	expect_status(r, status);
	struct zt_json_doc *d = parse(r);
	cr_assert_str_eq(text_of(zt_json_root(d), "code"), code, "%s", r->body);
	zt_json_doc_free(d);
	zt_http_free(r);
}

/* A claim of the sample world at H51010101 settled through the service:
 * its setl_id into out. */
static void settle(const char *claim_no, const char *amount, char out[32])
{
	char b[2048];
	snprintf(b, sizeof b,
	         "{\"fixmedins_code\": \"H51010101\", \"claim_no\": \"%s\", \"psn_no\": \"P0000001\", "
	         "\"adm_date\": \"2017-01-01\", \"dscg_date\": \"2017-03-01\", "
	         "\"dscg_maindiag_code\": \"I63.900\", \"medfee_sumamt\": \"%s\", "
	         "\"items\": [{\"feedetl_sn\": \"1\", \"med_list_codg\": \"001201000010000-120100001\", "
	         "\"med_chrgitm_type\": \"05\", \"chrgitm_lv\": \"01\", \"pric\": \"%s\", \"cnt\": \"1\", "
	         "\"det_item_fee_sumamt\": \"%s\"}]}",
	         claim_no, amount, amount, amount);
	struct zt_http_resp r = post("/v1/claims", DESK, b);
	expect_status(&r, 201);
	struct zt_json_doc *d = parse(&r);
	snprintf(out, 32, "%s", text_of(zt_json_root(d), "setl_id"));
	zt_json_doc_free(d);
	zt_http_free(&r);
}

/* Two requests' bodies without the parts that tell them apart: the same
 * answer. */
static void expect_same_body(const char *a, const char *b) { cr_assert_str_eq(a, b); }

/* ---- a hospital's day ----------------------------------------------------------------------- */

Test(ops, the_hospital_day_counts_and_sums_settlements_and_reversals_per_fund)
{
	char s1[32], s2[32];
	settle("D-1", "8000.00", s1);
	settle("D-2", "500.00", s2);
	char body[128];
	snprintf(body, sizeof body, "{\"setl_id\": \"%s\", \"reason\": \"wrong\"}", s2);
	struct zt_http_resp r = post("/v1/claims/H51010101/D-2/reversal", DESK, body);
	expect_status(&r, 201);
	zt_http_free(&r);
	/* the day the server settled them on: what a settlement says */
	r = get("/v1/settlements?fixmedins_code=H51010101", DESK);
	expect_status(&r, 200);
	char day[11];
	const char *at = strstr(r.body, "\"setl_time\":\"");
	if (!at)
		at = strstr(r.body, "\"settled_at\":\"");
	cr_assert(at, "%s", r.body);
	snprintf(day, sizeof day, "%s", strchr(at, ':') + 2);
	zt_http_free(&r);
	char path[200];
	snprintf(path, sizeof path, "/v1/reports/hospital?fixmedins_code=H51010101&setl_date=%s", day);
	r = get(path, DESK);
	expect_status(&r, 200);
	struct zt_json_doc *d = parse(&r);
	const struct zt_json *o = zt_json_root(d);
	cr_assert_str_eq(text_of(o, "fixmedins_setl_cnt"), "3", "%s", r.body);
	cr_assert_str_eq(text_of(o, "refd_setl_cnt"), "1");
	/* 8000 + 500 - 500 */
	cr_assert_str_eq(text_of(o, "medfee_sumamt"), "8000.00", "%s", r.body);
	long long fund = zt_test_sql_int(db, "SELECT sum(fund_pay_sumamt) FROM settlement");
	char want[32];
	snprintf(want, sizeof want, "%lld.%02lld", fund / 100, fund % 100);
	cr_assert_str_eq(text_of(o, "fund_pay_sumamt"), want);
	/* per fund: the sum of the fund shares of the day */
	const struct zt_json *funds = zt_json_find(o, "funds");
	cr_assert(funds && funds->count >= 1, "%s", r.body);
	long long shares = zt_test_sql_int(db, "SELECT sum(amount) FROM settlement_fund "
	                                       "WHERE fund_code = '390100'");
	bool seen = false;
	for (size_t i = 0; i < funds->count; i++)
		if (strcmp(text_of(funds->items[i], "fund_pay_type"), "390100") == 0) {
			snprintf(want, sizeof want, "%lld.%02lld", shares / 100, shares % 100);
			cr_assert_str_eq(text_of(funds->items[i], "fund_payamt"), want, "%s", r.body);
			cr_assert_str_eq(text_of(funds->items[i], "fixmedins_setl_cnt"), "3");
			seen = true;
		}
	cr_assert(seen, "%s", r.body);
	cr_assert_null(zt_json_find(o, "settlements"));
	zt_json_doc_free(d);
	zt_http_free(&r);
	/* the next day has nothing */
	snprintf(path, sizeof path,
	         "/v1/reports/hospital?fixmedins_code=H51010101&setl_date=2017-01-01");
	r = get(path, FINANCE);
	expect_status(&r, 200);
	cr_assert(strstr(r.body, "\"fixmedins_setl_cnt\":0"), "%s", r.body);
	zt_http_free(&r);
	/* detail: each settlement; finance sees no diagnosis and no name */
	snprintf(path, sizeof path,
	         "/v1/reports/hospital?fixmedins_code=H51010101&setl_date=%s&detail=1", day);
	r = get(path, FINANCE);
	expect_status(&r, 200);
	cr_assert(strstr(r.body, s1) && strstr(r.body, s2), "%s", r.body);
	cr_assert_null(strstr(r.body, "I63.900"), "finance sees a diagnosis: %s", r.body);
	zt_http_free(&r);
	/* another hospital's desk: 404, the answer of a hospital with nothing */
	r = get(path, OTHER);
	expect_error(&r, 404, "not-found");
	snprintf(path, sizeof path,
	         "/v1/reports/hospital?fixmedins_code=H99999999&setl_date=%s", day);
	r = get(path, OTHER);
	expect_status(&r, 200);
	zt_http_free(&r);
	/* a fund administrator may not: 403 before anything */
	r = get(path, FUND_A);
	expect_error(&r, 403, "forbidden");
	r = get("/v1/reports/hospital?fixmedins_code=H51010101", DESK);
	expect_error(&r, 400, "invalid-query");
}

/* ---- batches ---------------------------------------------------------------------------------- */

static void batch_id_of(struct zt_http_resp *r, char out[64])
{
	struct zt_json_doc *d = parse(r);
	const struct zt_json *b = zt_json_find(zt_json_root(d), "batch");
	cr_assert(b && b->type == ZT_JSON_OBJECT, "%s", r->body);
	snprintf(out, 64, "%s", text_of(b, "id"));
	zt_json_doc_free(d);
}

/* The day is the pool's (UTC+8): a settlement stored at 16:30 UTC on
 * 2 December was made at 00:30 on 3 December, and counts on the 3rd. A
 * report that took the UTC date of settled_at counted it on the 2nd (and
 * this test failed whenever the suite ran between 16:00 and 24:00 UTC). */
Test(ops, the_hospital_day_is_the_day_in_the_pools_zone)
{
	char s1[32];
	settle("N-1", "800.00", s1);
	/* the instant set from outside the engine (settlements are immutable
	 * to it): the trigger that guards them dropped in this copy only */
	zt_test_tamper(db, "settlement_immutable_u",
	               "UPDATE settlement SET settled_at = '2026-12-02T16:30:00Z' "
	               "WHERE setl_id = '%s'", s1);
	struct zt_http_resp r =
	    get("/v1/reports/hospital?fixmedins_code=H51010101&setl_date=2026-12-03", DESK);
	expect_status(&r, 200);
	cr_assert(strstr(r.body, "\"fixmedins_setl_cnt\":1,"), "%s", r.body);
	cr_assert(strstr(r.body, "\"medfee_sumamt\":\"800.00\""), "%s", r.body);
	zt_http_free(&r);
	r = get("/v1/reports/hospital?fixmedins_code=H51010101&setl_date=2026-12-02", DESK);
	expect_status(&r, 200);
	cr_assert(strstr(r.body, "\"fixmedins_setl_cnt\":0,"), "%s", r.body);
	zt_http_free(&r);
	/* 15:59:59 UTC is still the 2nd's last second in the pool */
	zt_test_tamper(db, "settlement_immutable_u",
	               "UPDATE settlement SET settled_at = '2026-12-02T15:59:59Z' "
	               "WHERE setl_id = '%s'", s1);
	r = get("/v1/reports/hospital?fixmedins_code=H51010101&setl_date=2026-12-02", DESK);
	expect_status(&r, 200);
	cr_assert(strstr(r.body, "\"fixmedins_setl_cnt\":1,"), "%s", r.body);
	zt_http_free(&r);
}

Test(ops, batches_are_made_and_checked_by_two_fund_administrators)
{
	char s1[32];
	settle("B-1", "8000.00", s1);
	/* roles: a desk and an auditor change nothing, finance reads */
	struct zt_http_resp r = post("/v1/batches", DESK, "{\"fund_code\": \"390100\"}");
	expect_error(&r, 403, "forbidden");
	r = post("/v1/batches", AUDITOR, "{\"fund_code\": \"390100\"}");
	expect_error(&r, 403, "forbidden");
	/* another fund's administrator: the fund is not there for them */
	r = post("/v1/batches", FUND_OTHER, "{\"fund_code\": \"390100\"}");
	expect_error(&r, 404, "not-found");
	r = post("/v1/batches", FUND_A, "{\"fund\": \"390100\"}");
	expect_error(&r, 400, "invalid-request");
	/* the maker */
	r = post("/v1/batches", FUND_A, "{\"fund_code\": \"390100\"}");
	expect_status(&r, 201);
	char id[64];
	batch_id_of(&r, id);
	cr_assert(strstr(r.body, "\"status\":\"draft\""), "%s", r.body);
	zt_http_free(&r);
	/* nothing left to batch */
	r = post("/v1/batches", FUND_A, "{\"fund_code\": \"390100\"}");
	expect_status(&r, 200);
	cr_assert(strstr(r.body, "\"batch\":null"), "%s", r.body);
	zt_http_free(&r);
	char path[200], missing[200];
	snprintf(path, sizeof path, "/v1/batches/%s", id);
	snprintf(missing, sizeof missing, "/v1/batches/B390100-999999");
	/* reads: the fund's administrators, finance, the auditor */
	const char *readers[] = {FUND_A, FUND_B, FINANCE, AUDITOR};
	for (size_t i = 0; i < 4; i++) {
		r = get(path, readers[i]);
		expect_status(&r, 200);
		cr_assert(strstr(r.body, id) && strstr(r.body, "\"history\""), "%s", r.body);
		zt_http_free(&r);
	}
	r = get(path, DESK);
	expect_error(&r, 403, "forbidden");
	/* another fund's administrator: the same answer as a batch that is not there */
	struct zt_http_resp a = get(path, FUND_OTHER), b = get(missing, FUND_A);
	expect_status(&a, 404);
	expect_status(&b, 404);
	expect_same_body(a.body, b.body);
	zt_http_free(&a);
	zt_http_free(&b);
	/* the list: the caller's funds only */
	r = get("/v1/batches", FUND_A);
	expect_status(&r, 200);
	cr_assert(strstr(r.body, id), "%s", r.body);
	zt_http_free(&r);
	r = get("/v1/batches", FUND_OTHER);
	expect_status(&r, 200);
	cr_assert_str_eq(r.body, "{\"batches\":[]}");
	zt_http_free(&r);
	r = get("/v1/batches?status=nonsense", FUND_A);
	expect_error(&r, 400, "invalid-query");
	/* records: finance sees amounts, never names, ID numbers or diagnoses */
	snprintf(path, sizeof path, "/v1/batches/%s/records", id);
	r = get(path, FINANCE);
	expect_status(&r, 200);
	cr_assert(strstr(r.body, s1), "%s", r.body);
	cr_assert_null(strstr(r.body, "certno"), "%s", r.body);
	cr_assert_null(strstr(r.body, "I63.900"), "%s", r.body);
	cr_assert_null(strstr(r.body, "psn_name"), "%s", r.body);
	zt_http_free(&r);
	r = get(path, FUND_A);
	expect_status(&r, 200);
	cr_assert(strstr(r.body, "I63.900"), "the fund's reviewer reads the diagnosis: %s", r.body);
	zt_http_free(&r);
	/* maker-checker across users */
	snprintf(path, sizeof path, "/v1/batches/%s/approve", id);
	r = post(path, FUND_A, "{}");
	expect_error(&r, 409, "four-eyes");
	r = post(path, FINANCE, "{}");
	expect_error(&r, 403, "forbidden");
	r = post(path, FUND_OTHER, "{}");
	expect_error(&r, 404, "not-found");
	r = post(path, FUND_B, "{}");
	expect_status(&r, 200);
	cr_assert(strstr(r.body, "\"status\":\"approved\"") && strstr(r.body, "\"approved_by\":\"fundb2\""),
	          "%s", r.body);
	zt_http_free(&r);
	r = post(path, FUND_B, "{}");
	expect_error(&r, 409, "batch-state");
	snprintf(path, sizeof path, "/v1/batches/%s/reject", id);
	r = post(path, FUND_B, "{\"reason\": \"late\"}");
	expect_error(&r, 409, "batch-state");
	cr_assert_eq(zt_test_sql_int(db, "SELECT count(*) FROM batch_event WHERE actor = 'fundb2'"), 1);
}

Test(ops, a_rejected_batch_is_reopened_and_approved_by_another)
{
	char s1[32];
	settle("R-1", "8000.00", s1);
	struct zt_http_resp r = post("/v1/batches", FUND_A, "{\"fund_code\": \"390100\"}");
	expect_status(&r, 201);
	char id[64], path[200];
	batch_id_of(&r, id);
	zt_http_free(&r);
	snprintf(path, sizeof path, "/v1/batches/%s/reject", id);
	r = post(path, FUND_B, "{}");
	expect_error(&r, 400, "invalid-request");
	r = post(path, FUND_B, "{\"reason\": \"the period is wrong\"}");
	expect_status(&r, 200);
	cr_assert(strstr(r.body, "\"status\":\"rejected\""), "%s", r.body);
	zt_http_free(&r);
	snprintf(path, sizeof path, "/v1/batches/%s/reopen", id);
	r = post(path, FUND_B, "{}");
	expect_status(&r, 200);
	cr_assert(strstr(r.body, "\"status\":\"draft\"") && strstr(r.body, "\"added\":0"), "%s", r.body);
	zt_http_free(&r);
	/* whoever reopened it cannot approve it; the creator now can */
	snprintf(path, sizeof path, "/v1/batches/%s/approve", id);
	r = post(path, FUND_B, "{}");
	expect_error(&r, 409, "four-eyes");
	r = post(path, FUND_A, "{}");
	expect_error(&r, 409, "four-eyes");
}

Test(ops, an_approved_batch_is_exported_fetched_and_sent)
{
	char s1[32];
	settle("E-1", "8000.00", s1);
	struct zt_http_resp r = post("/v1/batches", FUND_A, "{\"fund_code\": \"390100\"}");
	expect_status(&r, 201);
	char id[64], path[200];
	batch_id_of(&r, id);
	zt_http_free(&r);
	/* a draft is not exported, nor sent */
	snprintf(path, sizeof path, "/v1/batches/%s/export", id);
	r = post(path, FUND_A, "{}");
	expect_error(&r, 409, "batch-state");
	snprintf(path, sizeof path, "/v1/batches/%s/send", id);
	r = post(path, FUND_A, "{}");
	expect_error(&r, 409, "batch-state");
	snprintf(path, sizeof path, "/v1/batches/%s/file", id);
	r = get(path, FUND_A);
	expect_error(&r, 404, "not-found");
	snprintf(path, sizeof path, "/v1/batches/%s/approve", id);
	r = post(path, FUND_B, "{}");
	expect_status(&r, 200);
	zt_http_free(&r);
	snprintf(path, sizeof path, "/v1/batches/%s/export", id);
	r = post(path, FUND_OTHER, "{}");
	expect_error(&r, 404, "not-found");
	r = post(path, FUND_A, "{}");
	expect_status(&r, 200);
	cr_assert(strstr(r.body, "\"status\":\"exported\"") && strstr(r.body, "\"file_sha256\":\""),
	          "%s", r.body);
	zt_http_free(&r);
	/* the file and its signature; stock openssl checks them */
	snprintf(path, sizeof path, "/v1/batches/%s/file", id);
	r = get(path, AUDITOR);
	expect_status(&r, 200);
	cr_assert(strstr(r.body, s1), "%s", r.body);
	const char *file = zt_test_write("fetched.xml", r.body);
	zt_http_free(&r);
	r = get(path, FINANCE);
	expect_error(&r, 403, "forbidden");
	r = get(path, FUND_OTHER);
	expect_error(&r, 404, "not-found");
	snprintf(path, sizeof path, "/v1/batches/%s/file.sig", id);
	r = get(path, FUND_B);
	expect_status(&r, 200);
	cr_assert_eq(r.len, 64, "an ed25519 signature: %zu bytes", r.len);
	FILE *f = fopen(tmp_path("fetched.sig"), "wb");
	cr_assert(f && fwrite(r.body, 1, r.len, f) == r.len && fclose(f) == 0);
	zt_http_free(&r);
	char cmd[2000];
	snprintf(cmd, sizeof cmd,
	         "openssl pkey -in '%s' -pubout -out '%s' 2>/dev/null && openssl pkeyutl -verify "
	         "-pubin -inkey '%s' -rawin -in '%s' -sigfile '%s' >/dev/null 2>&1",
	         tmp_path("k.pem"), tmp_path("k.pub"), tmp_path("k.pub"), file,
	         tmp_path("fetched.sig"));
	cr_assert_eq(system(cmd), 0, "the signature does not verify: %s", cmd);
	/* sent: 202, the batch's state tells the outcome (a drop folder: sent,
	 * the answer to come) */
	snprintf(path, sizeof path, "/v1/batches/%s/send", id);
	r = post(path, FUND_B, "{}");
	expect_status(&r, 202);
	cr_assert(strstr(r.body, "\"status\":\"sent\""), "%s", r.body);
	zt_http_free(&r);
}

/* ---- advances ----------------------------------------------------------------------------- */

Test(ops, a_single_advance_is_planned_approved_by_another_and_issued)
{
	struct zt_http_resp r =
		post("/v1/advance-plans", FINANCE, "{\"fixmedins_code\": \"H51010101\", \"amount\": \"20000.00\"}");
	expect_status(&r, 201);
	struct zt_json_doc *d = parse(&r);
	char plan[64], path[200];
	snprintf(plan, sizeof plan, "%s", text_of(zt_json_root(d), "plan_id"));
	cr_assert_str_eq(text_of(zt_json_root(d), "total"), "20000.00");
	cr_assert_str_eq(text_of(zt_json_root(d), "status"), "made");
	zt_json_doc_free(d);
	zt_http_free(&r);
	r = post("/v1/advance-plans", DESK, "{}");
	expect_error(&r, 403, "forbidden");
	r = post("/v1/advance-plans", AUDITOR, "{}");
	expect_error(&r, 403, "forbidden");
	r = post("/v1/advance-plans", FINANCE, "{\"fixmedins_code\": \"H51010101\"}");
	expect_error(&r, 400, "invalid-request");
	snprintf(path, sizeof path, "/v1/advance-plans/%s", plan);
	r = get(path, AUDITOR);
	expect_status(&r, 200);
	cr_assert(strstr(r.body, "\"basis\":\"request\""), "%s", r.body);
	zt_http_free(&r);
	r = get("/v1/advance-plans/PLAN-20000101-9999", FINANCE);
	expect_error(&r, 404, "not-found");
	/* not yet approved: nothing to issue, no file */
	snprintf(path, sizeof path, "/v1/advance-plans/%s/issue", plan);
	r = post(path, FINANCE2, "{}");
	expect_error(&r, 409, "plan-state");
	snprintf(path, sizeof path, "/v1/advance-plans/%s/approve", plan);
	r = post(path, FINANCE, "{}");
	expect_error(&r, 409, "four-eyes");
	r = post(path, FINANCE2, "{}");
	expect_status(&r, 200);
	cr_assert(strstr(r.body, "\"status\":\"approved\""), "%s", r.body);
	zt_http_free(&r);
	r = post(path, FINANCE2, "{}");
	expect_error(&r, 409, "plan-state");
	snprintf(path, sizeof path, "/v1/advance-plans/%s/pain001", plan);
	r = get(path, FINANCE);
	expect_error(&r, 404, "not-found");
	snprintf(path, sizeof path, "/v1/advance-plans/%s/issue", plan);
	r = post(path, FINANCE, "{}");
	expect_status(&r, 201);
	cr_assert(strstr(r.body, "\"total\":\"20000.00\"") && strstr(r.body, "H51010101"), "%s",
	          r.body);
	zt_http_free(&r);
	snprintf(path, sizeof path, "/v1/advance-plans/%s/pain001", plan);
	r = get(path, FINANCE);
	expect_status(&r, 200);
	cr_assert(strstr(r.body, "pain.001.001.03") && strstr(r.body, "20000.00"), "%s", r.body);
	zt_http_free(&r);
	r = get("/v1/advances", AUDITOR);
	expect_status(&r, 200);
	cr_assert(strstr(r.body, "\"amount\":\"20000.00\"") && strstr(r.body, "\"balance\":\"20000.00\""),
	          "%s", r.body);
	zt_http_free(&r);
	r = get("/v1/advances", DESK);
	expect_error(&r, 403, "forbidden");
	r = get("/v1/advance-plans", FINANCE2);
	expect_status(&r, 200);
	cr_assert(strstr(r.body, plan) && strstr(r.body, "\"status\":\"issued\""), "%s", r.body);
	zt_http_free(&r);
	r = get("/v1/advance-plans", FUND_A);
	expect_error(&r, 403, "forbidden");
}

/* ---- statements, exceptions, the report ---------------------------------------------------- */

/* tests/cases/camt053-recon/unknown-reference.xml booked today (the
 * pool's day: UTC+8). */
static char *statement_today(void)
{
	char *text = zt_test_slurp(ZT_TEST_CASES "/camt053-recon/unknown-reference.xml");
	cr_assert(text);
	time_t t = time(NULL) + 8 * 3600;
	struct tm tm;
	gmtime_r(&t, &tm);
	char today[11];
	strftime(today, sizeof today, "%Y-%m-%d", &tm);
	for (char *p = strstr(text, "2024-03-05"); p; p = strstr(p, "2024-03-05"))
		memcpy(p, today, 10);
	return text;
}

Test(ops, a_statement_is_imported_and_its_exceptions_resolved_with_a_note)
{
	char *stmt = statement_today();
	struct zt_http_call c = {.port = port, .path = "/v1/statements", .token = FINANCE,
	                         .content_type = "application/xml", .body = stmt};
	struct zt_http_resp r = zt_http(&c);
	expect_status(&r, 200);
	struct zt_json_doc *d = parse(&r);
	const struct zt_json *exc = zt_json_find(zt_json_root(d), "exceptions");
	cr_assert(exc && exc->count >= 2, "%s", r.body);
	char id[64];
	snprintf(id, sizeof id, "%s", text_of(exc->items[0], "id"));
	cr_assert_str_eq(text_of(exc->items[0], "kind"), "unknown");
	zt_json_doc_free(d);
	zt_http_free(&r);
	/* the same statement again stores nothing new */
	r = zt_http(&c);
	expect_status(&r, 200);
	cr_assert(strstr(r.body, "\"stored\":0"), "%s", r.body);
	zt_http_free(&r);
	c.token = AUDITOR;
	r = zt_http(&c);
	expect_error(&r, 403, "forbidden");
	c.token = FINANCE;
	c.body = "<Document>";
	r = zt_http(&c);
	cr_assert(r.status == 422 || r.status == 400, "%ld %s", r.status, r.body);
	zt_http_free(&r);
	free(stmt);
	r = get("/v1/exceptions", AUDITOR);
	expect_status(&r, 200);
	cr_assert(strstr(r.body, id), "%s", r.body);
	zt_http_free(&r);
	char path[200];
	snprintf(path, sizeof path, "/v1/exceptions/%s/resolve", id);
	r = post(path, FINANCE, "{\"as\": \"refund\"}");
	expect_error(&r, 400, "invalid-request");
	r = post(path, AUDITOR, "{\"as\": \"refund\", \"note\": \"sent back\"}");
	expect_error(&r, 403, "forbidden");
	r = post(path, FINANCE, "{\"as\": \"refund\", \"note\": \"sent back to the payer\"}");
	expect_status(&r, 200);
	cr_assert(strstr(r.body, "\"resolution\":\"refund\"") &&
	          strstr(r.body, "\"note\":\"sent back to the payer\""), "%s", r.body);
	zt_http_free(&r);
	r = post(path, FINANCE, "{\"as\": \"refund\", \"note\": \"again\"}");
	expect_error(&r, 409, "exception-state");
	r = post("/v1/exceptions/EXC-999999/resolve", FINANCE, "{\"as\": \"refund\", \"note\": \"x\"}");
	expect_error(&r, 404, "not-found");
	/* open ones only by default; all with open=0 */
	r = get("/v1/exceptions", FINANCE);
	expect_status(&r, 200);
	cr_assert_null(strstr(r.body, id), "%s", r.body);
	zt_http_free(&r);
	r = get("/v1/exceptions?open=0", FINANCE);
	expect_status(&r, 200);
	cr_assert(strstr(r.body, id), "%s", r.body);
	zt_http_free(&r);
	/* the report: JSON, CSV with a byte-order mark, HTML */
	r = get("/v1/reports/reconciliation", FINANCE);
	expect_status(&r, 200);
	cr_assert(strstr(r.body, "\"suspense\"") && strstr(r.body, "\"funds\""), "%s", r.body);
	zt_http_free(&r);
	r = zt_http(&(struct zt_http_call){.port = port, .path = "/v1/reports/reconciliation",
	                                   .token = AUDITOR, .accept = "text/csv"});
	expect_status(&r, 200);
	cr_assert(r.len > 3 && memcmp(r.body, "\xEF\xBB\xBF", 3) == 0, "no BOM: %s", r.body);
	zt_http_free(&r);
	r = zt_http(&(struct zt_http_call){.port = port, .path = "/v1/reports/reconciliation",
	                                   .token = FINANCE, .accept = "text/html"});
	expect_status(&r, 200);
	cr_assert(strstr(r.body, "<html"), "%s", r.body);
	zt_http_free(&r);
	r = get("/v1/reports/reconciliation", DESK);
	expect_error(&r, 403, "forbidden");
	r = get("/v1/reports/reconciliation?as_of=yesterday", FINANCE);
	expect_error(&r, 400, "invalid-query");
}

/* ---- the audit trail ---------------------------------------------------------------------------- */

Test(ops, the_audit_trail_is_listed_verified_and_headed_by_the_auditor)
{
	char s1[32], body[128];
	settle("A-1", "100.00", s1);
	snprintf(body, sizeof body, "{\"setl_id\": \"%s\", \"reason\": \"wrong\"}", s1);
	struct zt_http_resp r = post("/v1/claims/H51010101/A-1/reversal", DESK, body);
	expect_status(&r, 201);
	zt_http_free(&r);
	r = get("/v1/audit", AUDITOR);
	expect_status(&r, 200);
	long long n = zt_test_sql_int(db, "SELECT count(*) FROM audit");
	cr_assert_gt(n, 2);
	struct zt_json_doc *d = parse(&r);
	cr_assert_eq(zt_json_find(zt_json_root(d), "records")->count, (size_t)n, "%s", r.body);
	zt_json_doc_free(d);
	zt_http_free(&r);
	/* a page of one, then the next */
	r = get("/v1/audit?limit=1", AUDITOR);
	expect_status(&r, 200);
	cr_assert(strstr(r.body, "\"seq\":1,") && strstr(r.body, "\"next\":\"1\""), "%s", r.body);
	zt_http_free(&r);
	r = get("/v1/audit?after=1&limit=1", AUDITOR);
	expect_status(&r, 200);
	cr_assert(strstr(r.body, "\"seq\":2,"), "%s", r.body);
	zt_http_free(&r);
	r = get("/v1/audit?limit=0", AUDITOR);
	expect_error(&r, 400, "invalid-query");
	const char *others[] = {DESK, FINANCE, FUND_A, ADMIN};
	for (size_t i = 0; i < 4; i++) {
		r = get("/v1/audit", others[i]);
		expect_error(&r, 403, "forbidden");
		r = get("/v1/audit/verify", others[i]);
		expect_error(&r, 403, "forbidden");
	}
	r = get("/v1/audit/verify", AUDITOR);
	expect_status(&r, 200);
	cr_assert(strstr(r.body, "\"intact\":true"), "%s", r.body);
	zt_http_free(&r);
	r = get("/v1/audit/head", AUDITOR);
	expect_status(&r, 200);
	char want[40];
	snprintf(want, sizeof want, "\"seq\":%lld,", n);
	cr_assert(strstr(r.body, want), "%s", r.body);
	zt_http_free(&r);
	/* a record changed behind zhitong's back: named, and verify sees it */
	zt_test_tamper(db, "audit_immutable_u", "UPDATE audit SET subject = 'x' WHERE id = 2");
	r = get("/v1/audit/verify", AUDITOR);
	expect_status(&r, 200);
	cr_assert(strstr(r.body, "\"intact\":false") && strstr(r.body, "\"seq\":2,"), "%s", r.body);
	zt_http_free(&r);
	r = get("/v1/audit/head", AUDITOR);
	expect_error(&r, 409, "audit-broken");
	r = get("/v1/verify", AUDITOR);
	expect_status(&r, 200);
	cr_assert(strstr(r.body, "the audit trail's hash chain is intact") &&
	          strstr(r.body, "audit record 2"), "%s", r.body);
	cr_assert_null(strstr(r.body, "\"violations\":0"), "%s", r.body);
	zt_http_free(&r);
}

/* ---- Idempotency-Key ---------------------------------------------------------------------------- */

Test(ops, an_idempotency_key_is_kept_in_the_store_for_seven_days_across_a_restart)
{
	char s1[32];
	settle("I-1", "8000.00", s1);
	const char *key = "Idempotency-Key: create-1";
	struct zt_http_resp r = post_key("/v1/batches", FUND_A, "{\"fund_code\": \"390100\"}", key);
	expect_status(&r, 201);
	char *first = strdup(r.body);
	zt_http_free(&r);
	cr_assert_eq(zt_test_sql_int(db, "SELECT count(*) FROM idempotency"), 1);
	/* kept 7 days from its answer */
	long long kept = zt_test_sql_int(db, zt_test_on_pg()
	    ? "SELECT expires_s - CAST(EXTRACT(EPOCH FROM CAST(created_at AS timestamptz)) AS int8) "
	      "FROM idempotency"
	    : "SELECT expires_s - CAST(strftime('%s', created_at) AS INTEGER) FROM idempotency");
	cr_assert(kept >= 7 * 86400 - 120 && kept <= 7 * 86400 + 120, "kept %lld s", kept);
	/* the service restarts: the key is still there */
	stop();
	start();
	r = post_key("/v1/batches", FUND_A, "{\"fund_code\": \"390100\"}", key);
	expect_status(&r, 201);
	cr_assert_str_eq(r.body, first);
	cr_assert_str_eq(zt_http_header(&r, "Idempotency-Replayed"), "true");
	zt_http_free(&r);
	cr_assert_eq(zt_test_sql_int(db, "SELECT count(*) FROM batch"), 1);
	/* another body under the key: 409 */
	r = post_key("/v1/batches", FUND_A, "{\"fund_code\": \"390100\", \"through\": \"2017-12-31\"}",
	             key);
	expect_error(&r, 409, "idempotency-key-reused");
	/* another user, the same key: another key (and their own answer) */
	r = post_key("/v1/batches", FUND_B, "{\"fund_code\": \"390100\"}", key);
	expect_status(&r, 200);
	cr_assert(strstr(r.body, "\"batch\":null"), "%s", r.body);
	cr_assert_null(zt_http_header(&r, "Idempotency-Replayed"));
	zt_http_free(&r);
	/* another path, the same key: another key */
	char path[200];
	struct zt_json_doc *d = NULL;
	cr_assert_eq(zt_json_parse(&d, first, strlen(first), NULL), 0);
	snprintf(path, sizeof path, "/v1/batches/%s/approve",
	         text_of(zt_json_find(zt_json_root(d), "batch"), "id"));
	zt_json_doc_free(d);
	r = post_key(path, FUND_A, "{}", key);
	expect_error(&r, 409, "four-eyes");
	/* once expired the key is free: the request is done again */
	zt_test_sql(db, "UPDATE idempotency SET expires_s = 0");
	r = post_key("/v1/batches", FUND_A, "{\"fund_code\": \"390100\"}", key);
	expect_status(&r, 200);
	cr_assert(strstr(r.body, "\"batch\":null"), "%s", r.body);
	cr_assert_null(zt_http_header(&r, "Idempotency-Replayed"));
	zt_http_free(&r);
	free(first);
	r = post_key("/v1/batches", FUND_A, "{\"fund_code\": \"390100\"}", "Idempotency-Key: ");
	cr_assert(r.status == 400 || r.status == 201 || r.status == 200, "%ld", r.status);
	zt_http_free(&r);
}

/* A request held while it has its key: the test decides when it goes on. */
struct hold {
	pthread_mutex_t m;
	pthread_cond_t c;
	bool reached, release;
};

static void held(void *ctx)
{
	struct hold *h = ctx;
	pthread_mutex_lock(&h->m);
	h->reached = true;
	pthread_cond_broadcast(&h->c);
	while (!h->release)
		pthread_cond_wait(&h->c, &h->m);
	pthread_mutex_unlock(&h->m);
}

struct call {
	const char *path, *token, *body, *key;
	struct zt_http_resp r;
};

static void *call_thread(void *arg)
{
	struct call *c = arg;
	c->r = post_key(c->path, c->token, c->body, c->key);
	return NULL;
}

Test(ops, a_key_whose_first_request_still_runs_is_409_in_progress)
{
	char s1[32];
	settle("P-1", "8000.00", s1);
	struct hold h = {.m = PTHREAD_MUTEX_INITIALIZER, .c = PTHREAD_COND_INITIALIZER};
	app.idem_held = held;
	app.idem_held_ctx = &h;
	struct call first = {"/v1/batches", FUND_A, "{\"fund_code\": \"390100\"}",
	                     "Idempotency-Key: slow-1", {0}};
	pthread_t t;
	cr_assert_eq(pthread_create(&t, NULL, call_thread, &first), 0);
	pthread_mutex_lock(&h.m);
	while (!h.reached)
		pthread_cond_wait(&h.c, &h.m);
	pthread_mutex_unlock(&h.m);
	/* the first holds its key: the same key again is refused, done nothing */
	struct zt_http_resp r = post_key(first.path, FUND_A, first.body, first.key);
	expect_error(&r, 409, "idempotency-in-progress");
	cr_assert_eq(zt_test_sql_int(db, "SELECT count(*) FROM batch"), 0);
	pthread_mutex_lock(&h.m);
	h.release = true;
	pthread_cond_broadcast(&h.c);
	pthread_mutex_unlock(&h.m);
	pthread_join(t, NULL);
	app.idem_held = NULL;
	expect_status(&first.r, 201);
	/* now answered: the same answer */
	r = post_key(first.path, FUND_A, first.body, first.key);
	expect_status(&r, 201);
	cr_assert_str_eq(r.body, first.r.body);
	zt_http_free(&r);
	zt_http_free(&first.r);
	cr_assert_eq(zt_test_sql_int(db, "SELECT count(*) FROM batch"), 1);
}

Test(ops, a_5xx_answer_is_not_kept_under_its_key)
{
	struct zt_http_resp r =
		post("/v1/advance-plans", FINANCE, "{\"fixmedins_code\": \"H51010101\", \"amount\": \"100.00\"}");
	expect_status(&r, 201);
	struct zt_json_doc *d = parse(&r);
	char path[200];
	snprintf(path, sizeof path, "/v1/advance-plans/%s/approve", text_of(zt_json_root(d), "plan_id"));
	zt_http_free(&r);
	r = post(path, FINANCE2, "{}");
	expect_status(&r, 200);
	zt_http_free(&r);
	snprintf(path, sizeof path, "/v1/advance-plans/%s/issue", text_of(zt_json_root(d), "plan_id"));
	zt_json_doc_free(d);
	/* no files directory: 503, and the key stays free */
	app.files_dir = NULL;
	r = post_key(path, FINANCE, "{}", "Idempotency-Key: issue-1");
	expect_error(&r, 503, "not-configured");
	cr_assert_eq(zt_test_sql_int(db, "SELECT count(*) FROM idempotency"), 0);
	app.files_dir = files;
	r = post_key(path, FINANCE, "{}", "Idempotency-Key: issue-1");
	expect_status(&r, 201);
	cr_assert_null(zt_http_header(&r, "Idempotency-Replayed"));
	zt_http_free(&r);
	cr_assert_eq(zt_test_sql_int(db, "SELECT count(*) FROM idempotency WHERE status = 201"), 1);
}

/* ---- the demo --------------------------------------------------------------------------------- */

/* The demo's desk is a user of the store: its token is the one the service
 * checks against the store's users (no static token). */
Test(ops, the_demo_submits_with_the_token_of_a_store_user, .timeout = 240)
{
	char demo_db[600];
	snprintf(demo_db, sizeof demo_db, "%s/demo.db", zt_test_tmpdir());
	struct run r = zt_test_db(demo_db, "demo --claims 10");
	cr_assert_eq(r.code, 0, "%s%s", r.out, r.err);
	cr_assert(strstr(r.out, "HTTP 201"), "%s", r.out);
	cr_assert(strstr(r.out, "user add demo-desk --role desk --hospital H51010101"), "%s", r.out);
	/* the token printed is a zt_ token, not a demo's own */
	const char *bearer = strstr(r.out, "Bearer zt_");
	cr_assert(bearer, "%s", r.out);
	cr_assert_null(strstr(r.out, "zt_demo_"));
	cr_assert_eq(zt_test_sql_int(demo_db, "SELECT count(*) FROM users WHERE name = 'demo-desk' "
	                                      "AND roles = 1 AND hospitals = 'H51010101' AND "
	                                      "token_hash IS NOT NULL"), 1);
	/* and the settlement it made is the desk user's, with its operator */
	cr_assert_eq(zt_test_sql_int(demo_db, "SELECT count(*) FROM settlement WHERE "
	                                      "actor LIKE 'demo-desk%'"), 1);
	free(r.out);
	free(r.err);
}

/* ---- a rejected single XML claim ------------------------------------------------------------------ */

static struct zt_http_resp post_xml(const char *body)
{
	return zt_http(&(struct zt_http_call){.port = port, .path = "/v1/claims", .token = DESK,
	                                      .content_type = "application/xml", .body = body});
}

/* docs/spec/service.md "Errors": <error code="CODE">…</error>, with the
 * status of the rejection; a <claims> list, even of one, keeps the
 * documented <settlements> answer with its <rejection> (interfaces.md). */
Test(ops, a_rejected_single_xml_claim_is_an_xml_error_and_a_list_keeps_its_rejection)
{
	char xml[4096];
	zt_test_claim_xml(xml, sizeof xml, "X-1", "P9999999", "2017-03-01", "500.00");
	struct zt_http_resp r = post_xml(xml);
	expect_status(&r, 422);
	cr_assert(strstr(zt_http_header(&r, "Content-Type"), "xml"));
	cr_assert(strstr(r.body, "<error code=\"unknown-person\" fixmedins_code=\"H51010101\" "
	                         "claim_no=\"X-1\">"), "%s", r.body);
	cr_assert_null(strstr(r.body, "<settlements"), "%s", r.body);
	zt_http_free(&r);
	zt_test_claim_xml(xml, sizeof xml, "X-2", "P0000001", "2017-03-01", "500.00");
	r = post_xml(xml);
	expect_status(&r, 201);
	zt_http_free(&r);
	zt_test_claim_xml(xml, sizeof xml, "X-2", "P0000001", "2017-03-01", "600.00");
	r = post_xml(xml);
	expect_status(&r, 409);
	cr_assert(strstr(r.body, "<error code=\"duplicate-claim-no\""), "%s", r.body);
	zt_http_free(&r);
	/* the same rejection in a list of one: the claim's children inside
	 * <claims><claim>, which takes the list's namespace */
	zt_test_claim_xml(xml, sizeof xml, "X-3", "P9999999", "2017-03-01", "500.00");
	const char *open_tag = "<claim xmlns=\"urn:zhitong:claim:1\">";
	char *inner = strstr(xml, open_tag);
	cr_assert(inner);
	inner += strlen(open_tag);
	*strstr(inner, "</claim>") = '\0';
	char list[4600];
	snprintf(list, sizeof list,
	         "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<claims xmlns=\"urn:zhitong:claim:1\">"
	         "<claim>%s</claim></claims>\n",
	         inner);
	r = post_xml(list);
	expect_status(&r, 200);
	cr_assert(strstr(r.body, "<settlements") && strstr(r.body, "<rejection") &&
	          strstr(r.body, "unknown-person"), "%s", r.body);
	cr_assert_null(strstr(r.body, "<error"), "%s", r.body);
	zt_http_free(&r);
}

/* ---- zhitong verify walks the audit chain ---------------------------------------------------------- */

Test(ops, zhitong_verify_names_the_first_audit_record_altered)
{
	stop(); /* the command line alone on the database */
	char *out = zt_test_db_ok(db, "verify");
	cr_assert(strstr(out, "the audit trail's hash chain is intact"), "%s", out);
	free(out);
	zt_test_tamper(db, "audit_immutable_u", "UPDATE audit SET detail = 'rewritten' WHERE id = 2");
	struct run r = zt_test_db(db, "verify");
	cr_assert_eq(r.code, 1, "exit %d: %s%s", r.code, r.out, r.err);
	cr_assert(strstr(r.out, "audit record 2") || strstr(r.err, "audit record 2"), "%s%s", r.out,
	          r.err);
	free(r.out);
	free(r.err);
}
