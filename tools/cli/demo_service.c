/* zhitong demo, its last step: the service as a desk meets it. Starts the
 * HTTP service (tools/service/) on a free loopback port over the demo's
 * database, submits a claim over HTTP as a hospital's system would
 * (libcurl; the equivalent curl command is printed), prints the answer and
 * stops the service.
 *
 * The token is a real store user's, as `zhitong serve` checks it
 * (serve_users.c): the demo adds an administrator and, by it, a desk of the
 * worked example's hospital with the use case of `zhitong user add`
 * (users.h), and the service authenticates against the store's users. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "cli.h"
#include "serve_users.h"
#include "zhitong/error.h"
#include "zhitong/users.h"

/* A claim of the desk's hospital, as its system would send it (XML, the
 * answer asked for in JSON). */
static const char demo_claim[] =
	"<claim xmlns=\"urn:zhitong:claim:1\">"
	"<fixmedins_code>H51010101</fixmedins_code><claim_no>ZY2017-000124</claim_no>"
	"<psn_no>P0000002</psn_no><adm_date>2017-04-01</adm_date><dscg_date>2017-04-08</dscg_date>"
	"<dscg_maindiag_code>I63.900</dscg_maindiag_code><medfee_sumamt>6000.00</medfee_sumamt>"
	"<items><item><feedetl_sn>1</feedetl_sn><med_list_codg>001201000010000-120100001</med_list_codg>"
	"<med_chrgitm_type>05</med_chrgitm_type><chrgitm_lv>01</chrgitm_lv><pric>6000</pric>"
	"<cnt>1</cnt><det_item_fee_sumamt>6000.00</det_item_fee_sumamt></item></items></claim>";

static size_t keep(char *p, size_t size, size_t n, void *ud)
{
	FILE *f = ud;
	return fwrite(p, size, n, f);
}

/* `zhitong user add demo-admin --role admin`, then `zhitong user add
 * demo-desk --role desk --hospital H51010101 --by demo-admin`: the desk's
 * token (shown once) into token. */
static int add_users(const char *db, char *token, size_t cap)
{
	struct zt_store *s = NULL;
	int rc = zt_store_open(&s, db, NULL);
	if (rc)
		return rc;
	struct zt_users_token_res res;
	const struct zt_users_add_req admin = {.name = "demo-admin", .role = "admin",
	                                       .actor = "demo-admin"};
	if ((rc = zt_users_add(s, &admin, &res)) == 0) {
		zt_token_clear(&res.token);
		const char *const hospitals[] = {"H51010101"};
		const struct zt_users_add_req desk = {.name = "demo-desk", .role = "desk",
		                                      .hospitals = hospitals, .hospital_count = 1,
		                                      .actor = "demo-admin"};
		if ((rc = zt_users_add(s, &desk, &res)) == 0) {
			snprintf(token, cap, "%s", res.token.text);
			zt_token_clear(&res.token);
		}
	}
	zt_store_close(s);
	return rc;
}

int demo_service(const struct cli *c, const char *dir)
{
	const char *db = c->db_path;
	char token[128];
	struct cli_users_auth *users = NULL;
	int rc = add_users(db, token, sizeof token);
	if (rc == 0)
		rc = cli_users_auth_open(&users, c);
	if (rc)
		return rc;
	char log[600];
	snprintf(log, sizeof log, "%s/requests.log", dir);
	struct zt_service_opts o;
	zt_service_opts_init(&o);
	o.listen = "127.0.0.1:0";
	o.log_path = log;
	struct zt_api app;
	struct zt_service *s = NULL;
	char *answer = NULL;
	size_t answer_len = 0;
	FILE *out = NULL;
	CURL *h = NULL;
	struct curl_slist *hl = NULL;
	if ((rc = zt_api_init(&app, db)) != 0) {
		cli_users_auth_free(users);
		return rc;
	}
	if ((rc = zt_service_new(&s, &o)) || (rc = zt_service_add_builtin_routes(s)) ||
	    (rc = zt_api_add_routes(&app, s)))
		goto done;
	zt_service_set_authenticator(s, cli_users_authenticate, users);
	if ((rc = zt_service_start(s)))
		goto done;
	unsigned port = zt_service_port(s);
	char url[64], bearer[200];
	snprintf(url, sizeof url, "http://127.0.0.1:%u/v1/claims", port);
	snprintf(bearer, sizeof bearer, "Authorization: Bearer %s", token);
	printf("\n服务：zhitong serve 监听 127.0.0.1:%u；医院窗口系统用库中用户的令牌提交一笔住院费用，\n"
	       "该用户相当于以下命令所建（令牌只显示一次）：\n"
	       "  zhitong --db D user add demo-admin --role admin\n"
	       "  zhitong --db D user add demo-desk --role desk --hospital H51010101 --by demo-admin\n\n"
	       "  curl -sS -X POST %s -H 'Authorization: Bearer %s' \\\n"
	       "       -H 'Content-Type: application/xml' -H 'Accept: application/json' \\\n"
	       "       -H 'X-Operator: 王芳' --data-binary @claim.xml\n\n",
	       port, url, token);
	fflush(stdout);
	if (!(out = open_memstream(&answer, &answer_len)) || !(h = curl_easy_init())) {
		rc = zt_error_set(ZT_ENOMEM, "out of memory");
		goto done;
	}
	hl = curl_slist_append(hl, bearer);
	hl = curl_slist_append(hl, "Content-Type: application/xml");
	hl = curl_slist_append(hl, "Accept: application/json");
	hl = curl_slist_append(hl, "X-Operator: 王芳");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, demo_claim);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)(sizeof demo_claim - 1));
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, keep);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
	CURLcode cc = curl_easy_perform(h);
	long status = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	fclose(out);
	out = NULL;
	if (cc != CURLE_OK) {
		rc = zt_error_set(ZT_EIO, "the demo's request failed: %s", curl_easy_strerror(cc));
		goto done;
	}
	printf("HTTP %ld\n%.*s\n", status, (int)answer_len, answer);
	if (status != 201)
		rc = zt_error_set(ZT_EIO, "the service answered %ld, not 201", status);
done:
	if (out)
		fclose(out);
	free(answer);
	curl_slist_free_all(hl);
	if (h)
		curl_easy_cleanup(h);
	if (s) {
		int src = zt_service_stop(s);
		if (src == 0)
			printf("（服务已停止；请求日志：%s）\n", log);
		rc = rc ? rc : src;
		zt_service_free(s);
	}
	zt_api_free(&app);
	cli_users_auth_free(users);
	memset(token, 0, sizeof token);
	return rc;
}
