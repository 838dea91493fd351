/* zhitong tests — an HTTP client for the service (libcurl) and the test
 * users: fixed tokens, each a principal with roles and a scope, through
 * the service's static authenticator (tools/service/auth_static.h). */
#ifndef ZT_TEST_HTTPUTIL_H
#define ZT_TEST_HTTPUTIL_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>

#include "auth_static.h"

/* The test users: a desk of the sample hospital H51010101, a desk of
 * another hospital, a fund administrator, finance, an auditor, an admin. */
#define ZT_TEST_TOKEN_DESK "zt_test_desk_0123456789abcdef"
#define ZT_TEST_TOKEN_DESK_OTHER "zt_test_desk_other_0123456789ab"
#define ZT_TEST_TOKEN_FUND "zt_test_fund_0123456789abcdef"
#define ZT_TEST_TOKEN_FINANCE "zt_test_finance_0123456789abcd"
#define ZT_TEST_TOKEN_AUDITOR "zt_test_auditor_0123456789abcd"
#define ZT_TEST_TOKEN_ADMIN "zt_test_admin_0123456789abcdef"
/* Two administrators of the basic fund 390100 and a second finance user:
 * maker and checker. */
#define ZT_TEST_TOKEN_FUND_BASIC "zt_test_fundb1_0123456789abcdef"
#define ZT_TEST_TOKEN_FUND_BASIC2 "zt_test_fundb2_0123456789abcdef"
#define ZT_TEST_TOKEN_FINANCE2 "zt_test_finance2_0123456789abc"
/* Users whose scope names the pool "A" (issue 13 §2): finance and an
 * administrator of the basic fund 390100. */
#define ZT_TEST_TOKEN_FINANCE_POOL_A "zt_test_finance_pool_a_0123456"
#define ZT_TEST_TOKEN_FUND_POOL_A "zt_test_fund_pool_a_0123456789"
extern const struct zt_static_auth zt_test_users;

struct zt_http_resp {
	long status;
	char *body;
	size_t len;
	char headers[8192];
	size_t hlen;
	CURLcode rc;
	char error[CURL_ERROR_SIZE];
};

struct zt_http_call {
	unsigned port;
	const char *method, *path, *token, *body, *content_type, *accept;
	size_t body_len; /* 0: strlen(body) */
	const char *headers[6];
	const char *scheme;             /* "http" (default) or "https" */
	const char *cainfo, *cert, *key; /* https: the CA, a client certificate */
	bool chunked;                   /* the body sent chunked, not sized */
	long timeout_ms;                /* 0: 60 s */
	CURL *handle;                   /* reused (keep-alive), or NULL */
};

/* One request to 127.0.0.1:port; never asserts (the caller does). */
struct zt_http_resp zt_http(const struct zt_http_call *c);
void zt_http_free(struct zt_http_resp *r);
/* A header's value (case-insensitive name), or NULL; static buffer. */
const char *zt_http_header(const struct zt_http_resp *r, const char *name);

struct zt_json;
struct zt_json_doc;
/* The answer's body as JSON: the test fails if it is not (caller frees). */
struct zt_json_doc *zt_http_json(const struct zt_http_resp *r);
/* A member's text of an object ("" for null or absent). */
const char *zt_http_json_text(const struct zt_json *o, const char *key);

/* The service in this process, for the endpoint tests: options on a free
 * loopback port with the log in the test's directory (`unlimited`: the
 * rate limits out of the way); then the server with the built-in routes,
 * the API's and the test users, started: its port. */
struct zt_api;
struct zt_service;
struct zt_service_opts;
void zt_test_service_opts(struct zt_service_opts *o, bool unlimited);
unsigned zt_test_service_start(struct zt_service **srv, struct zt_api *app,
                               const struct zt_service_opts *o);

#endif
