/* zhitong — bulk work through the service (issue 11 §4, docs/service.md
 * "Desks and bulk work"): a list of more claims than a chunk is read whole
 * first — malformed, 400 and nothing stored — then settled in chunks
 * through the group commit, every claim answered in order. The group's
 * semantics (desks between chunks, a failing request alone) are proven in
 * process by test_group_commit; this is the endpoint over it. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "httputil.h"
#include "testutil.h"
#include "zhitong/error.h"

static struct zt_service *srv;
static struct zt_api app;
static unsigned port;
static const char *db;

static void setup(void)
{
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	db = zt_test_sample_db("bulk.db");
	cr_assert_eq(zt_api_init(&app, db), 0);
	struct zt_service_opts o;
	zt_test_service_opts(&o, false);
	port = zt_test_service_start(&srv, &app, &o);
}

static void teardown(void)
{
	zt_service_stop(srv);
	zt_service_free(srv);
	zt_api_free(&app);
	curl_global_cleanup();
}

TestSuite(bulk_api, .init = setup, .fini = teardown, .timeout = 300);

/* A JSON list of n claims of the sample world at H51010101, persons in turn. */
static char *json_list(int n, const char *prefix)
{
	size_t cap = (size_t)n * 600 + 16, len = 0;
	char *o = malloc(cap);
	o[len++] = '[';
	for (int i = 0; i < n; i++)
		len += (size_t)snprintf(
			o + len, cap - len,
			"%s{\"fixmedins_code\": \"H51010101\", \"claim_no\": \"%s-%04d\", "
			"\"psn_no\": \"P000000%d\", \"adm_date\": \"2017-01-01\", "
			"\"dscg_date\": \"2017-03-01\", \"dscg_maindiag_code\": \"I63.900\", "
			"\"medfee_sumamt\": \"900.00\", \"items\": [{\"feedetl_sn\": \"1\", "
			"\"med_list_codg\": \"001201000010000-120100001\", \"med_chrgitm_type\": \"05\", "
			"\"chrgitm_lv\": \"01\", \"pric\": \"900.00\", \"cnt\": \"1\", "
			"\"det_item_fee_sumamt\": \"900.00\"}]}",
			i ? ", " : "", prefix, i, 1 + i % 3);
	len += (size_t)snprintf(o + len, cap - len, "]");
	return o;
}

static struct zt_http_resp post_claims(const char *body)
{
	return zt_http(&(struct zt_http_call){.port = port, .path = "/v1/claims",
	                                      .token = ZT_TEST_TOKEN_DESK,
	                                      .content_type = "application/json", .body = body});
}

static int count_of(const char *text, const char *needle)
{
	int n = 0;
	for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

Test(bulk_api, a_malformed_bulk_list_is_refused_whole)
{
	char *body = json_list(450, "M");
	body[strlen(body) - 30] = '\0'; /* the last claim cut short */
	struct zt_http_resp r = post_claims(body);
	cr_assert_eq(r.rc, CURLE_OK, "%s", r.error);
	cr_expect_eq(r.status, 400, "%ld: %s", r.status, r.body);
	cr_expect(strstr(r.body, "malformed-json"), "%s", r.body);
	zt_http_free(&r);
	cr_expect_eq(zt_test_sql_int(db, "SELECT count(*) FROM claim"), 0, "nothing stored");
	free(body);
}

Test(bulk_api, a_bulk_list_is_settled_in_chunks_every_claim_answered_in_order)
{
	char *body = json_list(450, "K");
	struct zt_http_resp r = post_claims(body);
	cr_assert_eq(r.rc, CURLE_OK, "%s", r.error);
	cr_assert_eq(r.status, 200, "%ld: %.400s", r.status, r.body);
	cr_expect_eq(count_of(r.body, "\"status\":\"settled\""), 450, "%.400s", r.body);
	const char *first = strstr(r.body, "K-0000"), *last = strstr(r.body, "K-0449");
	cr_expect(first && last && first < last, "in input order");
	zt_http_free(&r);
	cr_expect_eq(zt_test_sql_int(db, "SELECT count(*) FROM settlement"), 450);
	/* the same list again: the stored settlements, nothing new */
	r = post_claims(body);
	cr_expect_eq(r.status, 200);
	cr_expect_eq(count_of(r.body, "\"status\":\"replayed\""), 450);
	zt_http_free(&r);
	cr_expect_eq(zt_test_sql_int(db, "SELECT count(*) FROM settlement"), 450);
	free(zt_test_db_ok(db, "verify"));
	free(body);
}
