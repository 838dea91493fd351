/* zhitong tests — see httputil.h. */
#include "httputil.h"

#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api.h"
#include "service.h"
#include "testutil.h"
#include "zhitong/access.h"
#include "zhitong/error.h"
#include "zhitong/json.h"

static const struct zt_static_user users[] = {
	{ZT_TEST_TOKEN_DESK, "desk1", ZT_USER_DESK, "H51010101", NULL, NULL},
	{ZT_TEST_TOKEN_DESK_OTHER, "desk9", ZT_USER_DESK, "H99999999", NULL, NULL},
	{ZT_TEST_TOKEN_FUND, "fund1", ZT_USER_FUND_ADMIN, NULL, "510000", NULL},
	{ZT_TEST_TOKEN_FINANCE, "finance1", ZT_USER_FINANCE, NULL, NULL, NULL},
	{ZT_TEST_TOKEN_AUDITOR, "auditor1", ZT_USER_AUDITOR, NULL, NULL, NULL},
	{ZT_TEST_TOKEN_ADMIN, "admin1", ZT_USER_ADMIN, NULL, NULL, NULL},
	{ZT_TEST_TOKEN_FUND_BASIC, "fundb1", ZT_USER_FUND_ADMIN, NULL, "390100", NULL},
	{ZT_TEST_TOKEN_FUND_BASIC2, "fundb2", ZT_USER_FUND_ADMIN, NULL, "390100", NULL},
	{ZT_TEST_TOKEN_FINANCE2, "finance2", ZT_USER_FINANCE, NULL, NULL, NULL},
	{ZT_TEST_TOKEN_FINANCE_POOL_A, "financea", ZT_USER_FINANCE, NULL, NULL, "A"},
	{ZT_TEST_TOKEN_FUND_POOL_A, "funda", ZT_USER_FUND_ADMIN, NULL, "390100", "A"},
};
const struct zt_static_auth zt_test_users = {users, sizeof users / sizeof *users};

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct zt_http_resp *r = ud;
	char *nb = realloc(r->body, r->len + size * n + 1);
	if (!nb)
		return 0;
	r->body = nb;
	memcpy(r->body + r->len, p, size * n);
	r->len += size * n;
	r->body[r->len] = '\0';
	return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct zt_http_resp *r = ud;
	size_t k = size * n;
	if (r->hlen + k < sizeof r->headers) {
		memcpy(r->headers + r->hlen, p, k);
		r->hlen += k;
		r->headers[r->hlen] = '\0';
	}
	return k;
}

struct upload {
	const char *data;
	size_t len, off;
};

static size_t on_read(char *p, size_t size, size_t n, void *ud)
{
	struct upload *u = ud;
	size_t k = size * n;
	if (k > u->len - u->off)
		k = u->len - u->off;
	memcpy(p, u->data + u->off, k);
	u->off += k;
	return k;
}

static struct curl_slist *request_headers(const struct zt_http_call *c)
{
	struct curl_slist *hl = NULL;
	char line[1024];
	if (c->token) {
		snprintf(line, sizeof line, "Authorization: Bearer %s", c->token);
		hl = curl_slist_append(hl, line);
	}
	if (c->content_type) {
		snprintf(line, sizeof line, "Content-Type: %s", c->content_type);
		hl = curl_slist_append(hl, line);
	}
	if (c->accept) {
		snprintf(line, sizeof line, "Accept: %s", c->accept);
		hl = curl_slist_append(hl, line);
	}
	for (size_t i = 0; i < 6 && c->headers[i]; i++)
		hl = curl_slist_append(hl, c->headers[i]);
	hl = curl_slist_append(hl, "Expect:");
	if (c->body && c->chunked)
		hl = curl_slist_append(hl, "Transfer-Encoding: chunked");
	return hl;
}

struct zt_http_resp zt_http(const struct zt_http_call *c)
{
	struct zt_http_resp r = {0};
	CURL *h = c->handle ? c->handle : curl_easy_init();
	if (c->handle)
		curl_easy_reset(h);
	char url[2048];
	snprintf(url, sizeof url, "%s://127.0.0.1:%u%s", c->scheme ? c->scheme : "http", c->port,
	         c->path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms ? c->timeout_ms : 60000L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, r.error);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &r);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &r);
	struct curl_slist *hl = request_headers(c);
	struct upload up = {c->body, c->body ? (c->body_len ? c->body_len : strlen(c->body)) : 0, 0};
	if (c->body) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		if (c->chunked) {
			curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
			curl_easy_setopt(h, CURLOPT_READDATA, &up);
		} else {
			curl_easy_setopt(h, CURLOPT_POSTFIELDS, c->body);
			curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)up.len);
		}
	}
	if (c->method)
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, c->method);
	if (c->cainfo)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->cainfo);
	if (c->cert) {
		curl_easy_setopt(h, CURLOPT_SSLCERT, c->cert);
		curl_easy_setopt(h, CURLOPT_SSLKEY, c->key);
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	r.rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
	curl_slist_free_all(hl);
	if (!c->handle)
		curl_easy_cleanup(h);
	if (!r.body)
		r.body = calloc(1, 1);
	return r;
}

void zt_http_free(struct zt_http_resp *r)
{
	free(r->body);
	r->body = NULL;
}

const char *zt_http_header(const struct zt_http_resp *r, const char *name)
{
	static __thread char v[512];
	size_t n = strlen(name);
	for (const char *l = r->headers; *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : "") {
		if (strncasecmp(l, name, n) == 0 && l[n] == ':') {
			const char *s = l + n + 1;
			while (*s == ' ')
				s++;
			size_t k = strcspn(s, "\r\n");
			snprintf(v, sizeof v, "%.*s", (int)k, s);
			return v;
		}
	}
	return NULL;
}

struct zt_json_doc *zt_http_json(const struct zt_http_resp *r)
{
	struct zt_json_doc *d = NULL;
	cr_assert_eq(zt_json_parse(&d, r->body, r->len, NULL), 0, "%s: %s", zt_error_last(), r->body);
	return d;
}

const char *zt_http_json_text(const struct zt_json *o, const char *key)
{
	const struct zt_json *m = zt_json_find(o, key);
	return m && m->text ? m->text : "";
}

void zt_test_service_opts(struct zt_service_opts *o, bool unlimited)
{
	zt_service_opts_init(o);
	o->listen = "127.0.0.1:0";
	o->log_path = tmp_path("requests.log");
	if (unlimited) {
		o->user_rate_per_s = o->address_rate_per_s = 100000;
		o->user_burst = o->address_burst = 100000;
	}
}

unsigned zt_test_service_start(struct zt_service **srv, struct zt_api *app,
                               const struct zt_service_opts *o)
{
	cr_assert_eq(zt_service_new(srv, o), 0, "%s", zt_error_last());
	zt_service_set_authenticator(*srv, zt_static_authenticate, (void *)&zt_test_users);
	cr_assert_eq(zt_service_add_builtin_routes(*srv), 0);
	cr_assert_eq(zt_api_add_routes(app, *srv), 0, "%s", zt_error_last());
	cr_assert_eq(zt_service_start(*srv), 0, "%s", zt_error_last());
	return zt_service_port(*srv);
}
