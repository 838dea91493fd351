/* zhitong — the HTTP service core (docs/spec/service.md "Starting it", "Users, roles
 * and tokens", "Bodies"): its pure parts one by one, then the server itself,
 * started in this test's process on a free loopback port (port 0, read
 * back) with test routes and a test authenticator, and talked to with
 * libcurl, raw sockets and the openssl command; `zhitong serve` end to end. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "httputil.h"
#include "ratelimit.h"
#include "service.h"
#include "service_int.h"
#include "testutil.h"
#include "zhitong/error.h"
#include "zhitong/json.h"

/* ===================================================================
 * The pure parts
 * =================================================================== */

static int dummy(struct zt_request *r, void *ctx) { return 0; }

Test(service_routes, templates_match_and_keep_their_parameters_raw)
{
	struct zt_routes t = {0};
	const struct zt_route rs[] = {
		{.method = "GET", .path = "/v1/claims/{fixmedins_code}/{claim_no}", .handler = dummy},
		{.method = "POST", .path = "/v1/claims", .handler = dummy},
		{.method = "POST", .path = "/v1/claims/{fixmedins_code}/{claim_no}/reversal", .handler = dummy},
		{.method = "GET", .path = "/v1/batches/{id}/file", .handler = dummy},
		{.method = "POST", .path = "/v1/batches/{id}/{action}", .handler = dummy},
		{.method = "GET", .path = "/v1/batches/{id}/{action}", .handler = dummy},
		{.method = "GET", .path = "/", .handler = dummy},
	};
	for (size_t i = 0; i < sizeof rs / sizeof *rs; i++)
		cr_assert_eq(zt_routes_add(&t, &rs[i]), 0, "%s", zt_error_last());
	const struct zt_route_entry *e = NULL;
	struct zt_route_param p[ZT_ROUTE_SEGMENTS_MAX];
	size_t np = 0;
	char allow[64];
	cr_assert_eq(zt_routes_match(&t, "GET", "/v1/claims/H51010101/ZY%2F2017-1", &e, p, &np, allow,
	                             sizeof allow), 0);
	cr_assert_eq(e->index, 0);
	cr_assert_eq(np, 2);
	cr_assert_str_eq(p[0].name, "fixmedins_code");
	cr_assert_eq(p[0].raw_len, 9);
	cr_assert_str_eq(p[1].name, "claim_no");
	cr_assert_eq(strncmp(p[1].raw, "ZY%2F2017-1", p[1].raw_len), 0, "still encoded: routed whole");
	cr_assert_eq(zt_routes_match(&t, "POST", "/v1/claims/H1/C1/reversal", &e, p, &np, allow, sizeof allow), 0);
	cr_assert_eq(e->index, 2);
	/* a literal beats a parameter in the same place */
	cr_assert_eq(zt_routes_match(&t, "GET", "/v1/batches/B1/file", &e, p, &np, allow, sizeof allow), 0);
	cr_assert_str_eq(e->r.path, "/v1/batches/{id}/file");
	cr_assert_eq(zt_routes_match(&t, "GET", "/v1/batches/B1/other", &e, p, &np, allow, sizeof allow), 0);
	cr_assert_str_eq(e->r.path, "/v1/batches/{id}/{action}");
	cr_assert_eq(zt_routes_match(&t, "GET", "/", &e, p, &np, allow, sizeof allow), 0);
	cr_assert_eq(np, 0);
	/* not there */
	const char *missing[] = {"/v1/claim", "/v1/claims/H1", "/v1/claims/H1/C1/x", "/v1/claims//C1",
	                         "/v1/claims/H1/", "/v1/claims/", "//v1/claims", "", "v1/claims"};
	for (size_t i = 0; i < sizeof missing / sizeof *missing; i++)
		cr_assert_eq(zt_routes_match(&t, "GET", missing[i], &e, p, &np, allow, sizeof allow),
		             ZT_ENOTFOUND, "'%s' matched", missing[i]);
	/* there under other methods only: 405, with each method once */
	cr_assert_eq(zt_routes_match(&t, "DELETE", "/v1/batches/B1/file", &e, p, &np, allow, sizeof allow),
	             ZT_ECONFLICT);
	cr_assert_str_eq(allow, "GET, POST");
	cr_assert_eq(zt_routes_match(&t, "GET", "/v1/claims", &e, p, &np, allow, sizeof allow), ZT_ECONFLICT);
	cr_assert_str_eq(allow, "POST");
	zt_routes_free(&t);
}

Test(service_routes, malformed_or_repeated_templates_are_refused_at_start)
{
	struct zt_routes t = {0};
	const char *bad[] = {"v1/x", "/v1//x", "/v1/x//", "/v1/{}", "/v1/{a", "/v1/a}", "/v1/{A}",
	                     "/v1/x{a}", "/v1/{a}/{a}", "/v1/a b", "/v1/%41"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct zt_route r = {.method = "GET", .path = bad[i], .handler = dummy};
		cr_assert_eq(zt_routes_add(&t, &r), ZT_EINVAL, "'%s' was taken", bad[i]);
	}
	struct zt_route r = {.method = "GET", .path = "/v1/x", .handler = dummy};
	cr_assert_eq(zt_routes_add(&t, &r), 0);
	cr_assert_eq(zt_routes_add(&t, &r), ZT_EINVAL);
	cr_assert(strstr(zt_error_last(), "added twice"));
	struct zt_route nohandler = {.method = "GET", .path = "/v1/y"};
	cr_assert_eq(zt_routes_add(&t, &nohandler), ZT_EINVAL);
	zt_routes_free(&t);
}

/* A trailing '/' is a template of its own (the console's "/console/"): it
 * matches that path only, not the one without the slash, and the other way. */
Test(service_routes, a_trailing_slash_is_its_own_template)
{
	struct zt_routes t = {0};
	struct zt_route a = {.method = "GET", .path = "/console/", .handler = dummy};
	struct zt_route b = {.method = "GET", .path = "/console", .handler = dummy};
	struct zt_route c = {.method = "GET", .path = "/console/{asset}", .handler = dummy};
	cr_assert_eq(zt_routes_add(&t, &a), 0, "%s", zt_error_last());
	cr_assert_eq(zt_routes_add(&t, &b), 0);
	cr_assert_eq(zt_routes_add(&t, &c), 0);
	const struct zt_route_entry *e;
	struct zt_route_param p[ZT_ROUTE_SEGMENTS_MAX];
	size_t np;
	char allow[64];
	cr_assert_eq(zt_routes_match(&t, "GET", "/console/", &e, p, &np, allow, sizeof allow), 0);
	cr_assert_str_eq(e->r.path, "/console/");
	cr_assert_eq(zt_routes_match(&t, "GET", "/console", &e, p, &np, allow, sizeof allow), 0);
	cr_assert_str_eq(e->r.path, "/console");
	cr_assert_eq(zt_routes_match(&t, "GET", "/console/app.js", &e, p, &np, allow, sizeof allow), 0);
	cr_assert_str_eq(e->r.path, "/console/{asset}");
	cr_assert_eq(zt_routes_match(&t, "GET", "/console//", &e, p, &np, allow, sizeof allow),
	             ZT_ENOTFOUND);
	cr_assert_eq(zt_routes_match(&t, "GET", "/console/app.js/", &e, p, &np, allow, sizeof allow),
	             ZT_ENOTFOUND);
	zt_routes_free(&t);
}

Test(service_http, percent_decoding_is_strict)
{
	char out[32];
	cr_assert_eq(zt_percent_decode(out, sizeof out, "ZY%2F1%20a", 10), 0);
	cr_assert_str_eq(out, "ZY/1 a");
	cr_assert_eq(zt_percent_decode(out, sizeof out, "%E5%BC%A0", 9), 0);
	cr_assert_str_eq(out, "张");
	const char *bad[] = {"%", "%4", "%G1", "a%2", "%00", "%FF", "%C0%80", "%ED%A0%80", "%E5%BC"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		cr_assert_eq(zt_percent_decode(out, sizeof out, bad[i], strlen(bad[i])), ZT_EINVAL,
		             "'%s' decoded", bad[i]);
	cr_assert_eq(zt_percent_decode(out, 4, "abcd", 4), ZT_EINVAL, "longer than the room");
}

Test(service_http, bearer_tokens_come_only_as_bearer_zt_tokens)
{
	char t[64];
	cr_assert_eq(zt_bearer_parse(t, sizeof t, "Bearer zt_abcDEF012-._~+/=="), 0);
	cr_assert_str_eq(t, "zt_abcDEF012-._~+/==");
	cr_assert_eq(zt_bearer_parse(t, sizeof t, "bearer   zt_x1  "), 0, "the scheme is case-insensitive");
	cr_assert_str_eq(t, "zt_x1");
	cr_assert_eq(zt_bearer_parse(t, sizeof t, NULL), ZT_ENOTFOUND);
	cr_assert_eq(zt_bearer_parse(t, sizeof t, "  "), ZT_ENOTFOUND);
	const char *bad[] = {"Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Bearerzt_x", "Bearer abc",
	                     "Bearer zt_", "Bearer zt_a b", "Bearer zt_a,zt_b", "Bearer zt_a\"",
	                     "Bearer zt_a=b"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		cr_assert_eq(zt_bearer_parse(t, sizeof t, bad[i]), ZT_EINVAL, "'%s' taken", bad[i]);
	char small[8];
	cr_assert_eq(zt_bearer_parse(small, sizeof small, "Bearer zt_12345678"), ZT_EINVAL);
}

Test(service_http, content_types_and_their_charset)
{
	enum zt_format f;
	bool utf8;
	struct {
		const char *ct;
		enum zt_format f;
		bool utf8;
	} cases[] = {
		{"application/json", ZT_FORMAT_JSON, true},
		{"Application/JSON; charset=UTF-8", ZT_FORMAT_JSON, true},
		{"application/json;charset=\"utf-8\"", ZT_FORMAT_JSON, true},
		{"application/json; charset=latin1", ZT_FORMAT_JSON, false},
		{"application/json; charset=iso-8859-1", ZT_FORMAT_JSON, false},
		{"application/xml; charset=GBK", ZT_FORMAT_XML, false},
		{"text/xml", ZT_FORMAT_XML, true},
		{"application/xml; foo=bar; charset=utf-8", ZT_FORMAT_XML, true},
		{"application/jsonx", ZT_FORMAT_NONE, true},
		{"multipart/form-data; boundary=x", ZT_FORMAT_NONE, true},
		{NULL, ZT_FORMAT_NONE, true},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		zt_content_type_parse(&f, &utf8, cases[i].ct);
		cr_assert_eq(f, cases[i].f, "'%s'", cases[i].ct);
		cr_assert_eq(utf8, cases[i].utf8, "'%s'", cases[i].ct);
	}
}

Test(service_http, accept_picks_by_q_and_specificity_with_the_request_format_as_default)
{
	const enum zt_format jx[] = {ZT_FORMAT_JSON, ZT_FORMAT_XML};
	const enum zt_format slip[] = {ZT_FORMAT_TEXT, ZT_FORMAT_HTML, ZT_FORMAT_PDF};
	cr_assert_eq(zt_accept_pick(NULL, jx, 2, ZT_FORMAT_NONE), ZT_FORMAT_JSON, "JSON for a GET");
	cr_assert_eq(zt_accept_pick(NULL, jx, 2, ZT_FORMAT_XML), ZT_FORMAT_XML, "the request's format");
	cr_assert_eq(zt_accept_pick("*/*", jx, 2, ZT_FORMAT_XML), ZT_FORMAT_XML);
	cr_assert_eq(zt_accept_pick("application/xml", jx, 2, ZT_FORMAT_NONE), ZT_FORMAT_XML);
	cr_assert_eq(zt_accept_pick("text/xml", jx, 2, ZT_FORMAT_JSON), ZT_FORMAT_XML);
	cr_assert_eq(zt_accept_pick("application/json;q=0.5, application/xml;q=0.9", jx, 2,
	                            ZT_FORMAT_JSON), ZT_FORMAT_XML);
	cr_assert_eq(zt_accept_pick("application/*;q=0.2, application/json", jx, 2, ZT_FORMAT_XML),
	             ZT_FORMAT_JSON);
	/* the most specific range decides: json excluded though the wildcard takes all */
	cr_assert_eq(zt_accept_pick("*/*, application/json;q=0", jx, 2, ZT_FORMAT_JSON), ZT_FORMAT_XML);
	cr_assert_eq(zt_accept_pick("application/pdf", jx, 2, ZT_FORMAT_JSON), ZT_FORMAT_NONE, "406");
	cr_assert_eq(zt_accept_pick("application/json;q=0", jx, 2, ZT_FORMAT_JSON), ZT_FORMAT_NONE);
	cr_assert_eq(zt_accept_pick("text/html;q=0.8, application/pdf, text/*;q=0.9", slip, 3,
	                            ZT_FORMAT_NONE), ZT_FORMAT_PDF);
	cr_assert_eq(zt_accept_pick("text/*", slip, 3, ZT_FORMAT_NONE), ZT_FORMAT_TEXT);
	cr_assert_eq(zt_accept_pick("TEXT/HTML", slip, 3, ZT_FORMAT_NONE), ZT_FORMAT_HTML);
	/* malformed q: the range is ignored */
	cr_assert_eq(zt_accept_pick("application/xml;q=2, application/json;q=0.1", jx, 2,
	                            ZT_FORMAT_NONE), ZT_FORMAT_JSON);
	cr_assert_eq(zt_accept_pick("application/xml;q=0.1234", jx, 2, ZT_FORMAT_NONE), ZT_FORMAT_NONE);
	cr_assert_eq(zt_accept_pick("garbage, ,;", jx, 2, ZT_FORMAT_JSON), ZT_FORMAT_NONE);
}

Test(service_http, an_operator_is_a_name)
{
	cr_assert(zt_operator_valid("张三"));
	cr_assert(zt_operator_valid("Desk 3 Li"));
	cr_assert(!zt_operator_valid(""));
	cr_assert(!zt_operator_valid(" 张三"));
	cr_assert(!zt_operator_valid("张三 "));
	cr_assert(!zt_operator_valid("a\tb"));
	cr_assert(!zt_operator_valid("a\x7f"));
	cr_assert(!zt_operator_valid("a\xC2\x85" "b"), "a C1 control (NEL)");
	cr_assert(!zt_operator_valid("caf\xE9"));
	/* an operator is a person's name: ZT_ACTOR_CHARS_MAX characters */
	char forty[200] = "", fortyone[200];
	for (int i = 0; i < ZT_ACTOR_CHARS_MAX; i++)
		strcat(forty, "张");
	cr_assert(zt_operator_valid(forty));
	snprintf(fortyone, sizeof fortyone, "%s张", forty);
	cr_assert(!zt_operator_valid(fortyone));
}

Test(service_netaddr, trusted_proxies_parse_as_cidrs)
{
	struct zt_cidrs l;
	cr_assert_eq(zt_cidrs_parse(&l, "127.0.0.1 ::1, 10.0.0.0/8  fd00::/8,192.168.1.0/24"), 0,
	             "%s", zt_error_last());
	cr_assert_eq(l.n, 5);
	struct {
		const char *a;
		bool in;
	} cases[] = {
		{"127.0.0.1", true}, {"127.0.0.2", false}, {"::1", true},
		{"10.255.1.2", true}, {"11.0.0.1", false}, {"fd12:3456::1", true},
		{"fe80::1", false}, {"192.168.1.77", true}, {"192.168.2.1", false},
		{"::ffff:10.1.2.3", true}, /* IPv4-mapped: its IPv4 self */
		{"::ffff:8.8.8.8", false},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		uint8_t a[16];
		bool v4;
		cr_assert(zt_addr_parse(a, &v4, cases[i].a, strlen(cases[i].a)), "%s", cases[i].a);
		cr_assert_eq(zt_cidrs_contain(&l, a, v4), cases[i].in, "%s", cases[i].a);
	}
	zt_cidrs_free(&l);
	cr_assert_eq(zt_cidrs_parse(&l, "0.0.0.0/0"), 0);
	zt_cidrs_free(&l);
	cr_assert_eq(zt_cidrs_parse(&l, "10.0.0.0/9 2001:db8::/33"), 0, "prefixes off byte bounds");
	uint8_t a[16];
	bool v4;
	zt_addr_parse(a, &v4, "10.127.255.255", 14);
	cr_assert(zt_cidrs_contain(&l, a, v4));
	zt_addr_parse(a, &v4, "10.128.0.0", 10);
	cr_assert(!zt_cidrs_contain(&l, a, v4));
	zt_cidrs_free(&l);
	const char *bad[] = {"10.1.0.0/8", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/08",
	                     "example.org", "10.0.0", "1.2.3.4/x", "fd00::1/8"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		cr_assert_eq(zt_cidrs_parse(&l, bad[i]), ZT_EINVAL, "'%s' taken", bad[i]);
	cr_assert_eq(zt_cidrs_parse(&l, "10.1.0.0/8"), ZT_EINVAL);
	cr_assert(strstr(zt_error_last(), "(10.0.0.0/8?)"), "%s", zt_error_last());
}

Test(service_netaddr, the_client_is_the_rightmost_untrusted_address)
{
	struct zt_cidrs l;
	cr_assert_eq(zt_cidrs_parse(&l, "127.0.0.1 10.0.0.0/8 ::1"), 0);
	char out[64];
	struct {
		const char *peer, *xff, *want;
	} cases[] = {
		/* an untrusted peer: its own address, whatever it claims */
		{"203.0.113.9", "1.2.3.4", "203.0.113.9"},
		{"203.0.113.9", NULL, "203.0.113.9"},
		/* a trusted peer: walk from the right past trusted hops */
		{"127.0.0.1", "198.51.100.7", "198.51.100.7"},
		{"127.0.0.1", "1.1.1.1, 198.51.100.7, 10.0.0.5", "198.51.100.7"},
		{"127.0.0.1", "spoofed, 198.51.100.7", "198.51.100.7"},
		{"::1", "2001:db8::7", "2001:db8::7"},
		{"127.0.0.1", "[2001:db8::7]:443", "2001:db8::7"},
		{"127.0.0.1", "198.51.100.7:5555", "198.51.100.7"},
		{"127.0.0.1", "::ffff:198.51.100.7", "198.51.100.7"},
		/* every hop trusted: the leftmost */
		{"127.0.0.1", "10.0.0.9, 10.0.0.5", "10.0.0.9"},
		/* garbage: never a guess past it; the nearest trusted hop */
		{"127.0.0.1", "198.51.100.7, garbage, 10.0.0.5", "10.0.0.5"},
		{"127.0.0.1", "garbage", "127.0.0.1"},
		{"127.0.0.1", "", "127.0.0.1"},
		{"127.0.0.1", " , ", "127.0.0.1"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		zt_client_address(out, sizeof out, cases[i].peer, cases[i].xff, &l);
		cr_assert_str_eq(out, cases[i].want, "peer %s, X-Forwarded-For '%s'", cases[i].peer,
		                 cases[i].xff ? cases[i].xff : "(none)");
	}
	zt_cidrs_free(&l);
	/* no trusted proxy: X-Forwarded-For never counts */
	cr_assert_eq(zt_cidrs_parse(&l, NULL), 0);
	zt_client_address(out, sizeof out, "127.0.0.1", "198.51.100.7", &l);
	cr_assert_str_eq(out, "127.0.0.1");
}

Test(service_netaddr, listen_addresses)
{
	uint8_t a[16];
	bool v4;
	unsigned port;
	cr_assert_eq(zt_listen_parse(a, &v4, &port, "127.0.0.1:8440"), 0);
	cr_assert(v4 && port == 8440 && zt_addr_is_loopback(a, v4));
	cr_assert_eq(zt_listen_parse(a, &v4, &port, "[::1]:0"), 0);
	cr_assert(!v4 && port == 0 && zt_addr_is_loopback(a, v4));
	cr_assert_eq(zt_listen_parse(a, &v4, &port, "0.0.0.0:443"), 0);
	cr_assert(!zt_addr_is_loopback(a, v4));
	cr_assert_eq(zt_listen_parse(a, &v4, &port, "127.9.9.9:1"), 0);
	cr_assert(zt_addr_is_loopback(a, v4));
	const char *bad[] = {"127.0.0.1", "localhost:80", "::1:80", "[::1]", "1.2.3.4:65536",
	                     "1.2.3.4:-1", ":80", "[1.2.3.4:80"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		cr_assert_eq(zt_listen_parse(a, &v4, &port, bad[i]), ZT_EINVAL, "'%s' taken", bad[i]);
}

/* ---- Prometheus text: every line a comment or `name{labels} value` ---- */

static void assert_prometheus(const char *text)
{
	regex_t sample, help, type;
	cr_assert_eq(regcomp(&sample,
	                     "^[a-zA-Z_:][a-zA-Z0-9_:]*(\\{([a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\]|\\\\.)*\",?)*\\})? "
	                     "(-?[0-9]+(\\.[0-9]+)?|\\+Inf|NaN)$",
	                     REG_EXTENDED | REG_NOSUB), 0);
	cr_assert_eq(regcomp(&help, "^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .+$", REG_EXTENDED | REG_NOSUB), 0);
	cr_assert_eq(regcomp(&type, "^# TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|histogram|summary|untyped)$",
	                     REG_EXTENDED | REG_NOSUB), 0);
	char *copy = strdup(text), *save = NULL;
	size_t len = strlen(text);
	cr_assert(len > 0 && text[len - 1] == '\n', "ends with a newline");
	int lines = 0;
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save), lines++) {
		bool ok = l[0] == '#' ? regexec(&help, l, 0, NULL, 0) == 0 || regexec(&type, l, 0, NULL, 0) == 0
		                      : regexec(&sample, l, 0, NULL, 0) == 0;
		cr_assert(ok, "not Prometheus text: '%s'", l);
	}
	cr_assert_gt(lines, 3);
	free(copy);
	regfree(&sample);
	regfree(&help);
	regfree(&type);
}

/* The value of the sample `series` (the whole text before the space). */
static long long sample_value(const char *text, const char *series)
{
	size_t n = strlen(series);
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (strncmp(l, series, n) == 0 && l[n] == ' ')
			return atoll(l + n + 1);
	return -1;
}

Test(service_metrics, counts_and_histograms_render_as_prometheus_text)
{
	struct zt_routes t = {0};
	struct zt_route r = {.method = "GET", .path = "/v1/settlements/{setl_id}", .handler = dummy};
	cr_assert_eq(zt_routes_add(&t, &r), 0);
	struct zt_metrics m = {0};
	cr_assert_eq(zt_metrics_init(&m, &t), 0);
	zt_metrics_observe(&m, 0, 200, 800);       /* 0.8 ms */
	zt_metrics_observe(&m, 0, 200, 1500);      /* 1.5 ms */
	zt_metrics_observe(&m, 0, 404, 30000000);  /* 30 s: beyond the last bucket */
	zt_metrics_observe(&m, 1, 404, 100);       /* unmatched */
	zt_metrics_observe(&m, 0, 418, 100);       /* a status of no interest: "other" */
	char *text = NULL;
	size_t len = 0;
	cr_assert_eq(zt_metrics_render(&m, &text, &len), 0);
	cr_assert_eq(strlen(text), len);
	assert_prometheus(text);
	const char *lbl = "{method=\"GET\",route=\"/v1/settlements/{setl_id}\"";
	char s[256];
	snprintf(s, sizeof s, "zhitong_http_requests_total%s,status=\"200\"}", lbl);
	cr_assert_eq(sample_value(text, s), 2);
	snprintf(s, sizeof s, "zhitong_http_requests_total%s,status=\"other\"}", lbl);
	cr_assert_eq(sample_value(text, s), 1);
	cr_assert_eq(sample_value(text, "zhitong_http_requests_total{method=\"\",route=\"unmatched\",status=\"404\"}"), 1);
	snprintf(s, sizeof s, "zhitong_http_request_duration_seconds_bucket%s,le=\"0.001000\"}", lbl);
	cr_assert_eq(sample_value(text, s), 2, "cumulative: 0.1 ms and 0.8 ms");
	snprintf(s, sizeof s, "zhitong_http_request_duration_seconds_bucket%s,le=\"0.002000\"}", lbl);
	cr_assert_eq(sample_value(text, s), 3);
	snprintf(s, sizeof s, "zhitong_http_request_duration_seconds_bucket%s,le=\"10.000000\"}", lbl);
	cr_assert_eq(sample_value(text, s), 3);
	snprintf(s, sizeof s, "zhitong_http_request_duration_seconds_bucket%s,le=\"+Inf\"}", lbl);
	cr_assert_eq(sample_value(text, s), 4);
	snprintf(s, sizeof s, "zhitong_http_request_duration_seconds_count%s}", lbl);
	cr_assert_eq(sample_value(text, s), 4);
	snprintf(s, sizeof s, "zhitong_http_request_duration_seconds_sum%s} 30.002400", lbl);
	cr_assert(strstr(text, s), "the sum in seconds, exactly: %s", text);
	free(text);
	zt_metrics_free(&m);
	zt_routes_free(&t);
}

/* ===================================================================
 * The server, in this process
 * =================================================================== */

static atomic_int handler_calls;

static int test_authenticate(void *ctx, const char *token, struct zt_principal *out)
{
	static const struct {
		const char *token, *user;
		unsigned roles;
	} users[] = {
		{"zt_desk_0123456789abcdef", "desk1", ZT_USER_DESK},
		{"zt_desk2_0123456789abcde", "desk2", ZT_USER_DESK},
		{"zt_admin_0123456789abcde", "admin1", ZT_USER_ADMIN},
		{"zt_audit_0123456789abcde", "auditor1", ZT_USER_AUDITOR},
		{"zt_fund_0123456789abcdef", "fund1", ZT_USER_FUND_ADMIN},
	};
	if (strcmp(token, "zt_store_is_down") == 0)
		return zt_error_set(ZT_EIO, "user store unreachable");
	for (size_t i = 0; i < sizeof users / sizeof *users; i++)
		if (strcmp(users[i].token, token) == 0) {
			snprintf(out->user, sizeof out->user, "%s", users[i].user);
			out->roles = users[i].roles;
			snprintf(out->token_id, sizeof out->token_id, "t%zu", i);
			if (zt_scope_add_hospital(&out->scope, "H51010101")) /* freed by the core */
				return ZT_ENOMEM;
			return 0;
		}
	return ZT_ENOTFOUND;
}

#define DESK "zt_desk_0123456789abcdef"
#define DESK2 "zt_desk2_0123456789abcde"
#define ADMIN "zt_admin_0123456789abcde"
#define AUDITOR "zt_audit_0123456789abcde"

static void put_text(struct zt_json_writer *w, const char *key, const char *v)
{
	zt_json_write_key(w, key);
	if (v)
		zt_json_write_string(w, v);
	else
		zt_json_write_null(w);
}

/* POST /test/echo: what the handler sees. */
static int echo(struct zt_request *r, void *ctx)
{
	atomic_fetch_add(&handler_calls, 1);
	size_t len = 0;
	zt_req_body(r, &len);
	const struct zt_principal *p = zt_req_principal(r);
	struct zt_json_writer *w = NULL;
	zt_json_writer_new(&w, false);
	zt_json_write_object_begin(w);
	put_text(w, "method", zt_req_method(r));
	put_text(w, "route", zt_req_route(r));
	put_text(w, "user", p ? p->user : NULL);
	put_text(w, "scope", p && p->scope.hospital_count ? p->scope.hospitals[0] : NULL);
	put_text(w, "operator", zt_req_operator(r));
	put_text(w, "client", zt_req_client_address(r));
	put_text(w, "cert", zt_req_client_cert(r));
	put_text(w, "format", zt_req_body_format(r) == ZT_FORMAT_JSON  ? "json"
	                      : zt_req_body_format(r) == ZT_FORMAT_XML ? "xml"
	                                                               : "none");
	zt_json_write_key(w, "body_bytes");
	zt_json_write_int(w, (int64_t)len);
	put_text(w, "id", zt_req_id(r));
	zt_json_write_object_end(w);
	int rc = zt_reply_json(r, 200, w);
	zt_json_writer_free(w);
	return rc;
}

/* GET /test/items/{fixmedins_code}/{claim_no}?psn_no=: a lookup. */
static int item(struct zt_request *r, void *ctx)
{
	atomic_fetch_add(&handler_calls, 1);
	static const char *const allowed[] = {"psn_no", NULL};
	if (zt_req_query_check(r, allowed) != 0)
		return zt_reply_error(r, 400, "invalid-query", "%s", zt_error_last());
	struct zt_json_writer *w = NULL;
	zt_json_writer_new(&w, false);
	zt_json_write_object_begin(w);
	put_text(w, "fixmedins_code", zt_req_param(r, "fixmedins_code"));
	put_text(w, "claim_no", zt_req_param(r, "claim_no"));
	put_text(w, "psn_no", zt_req_query(r, "psn_no"));
	zt_json_write_object_end(w);
	int rc = zt_reply_json(r, 200, w);
	zt_json_writer_free(w);
	return rc;
}

/* POST /test/slow?ms=N */
static int slow(struct zt_request *r, void *ctx)
{
	const char *ms = zt_req_query(r, "ms");
	int n = ms ? atoi(ms) : 1500;
	usleep((useconds_t)n * 1000);
	char body[64];
	snprintf(body, sizeof body, "{\"slept_ms\":%d}", n);
	return zt_reply(r, 200, ZT_FORMAT_JSON, body, strlen(body));
}

/* GET|POST /test/negotiate: JSON, XML or text, as Accept says. */
static int negotiate(struct zt_request *r, void *ctx)
{
	static const enum zt_format offered[] = {ZT_FORMAT_JSON, ZT_FORMAT_XML, ZT_FORMAT_TEXT};
	switch (zt_req_negotiate(r, offered, 3)) {
	case ZT_FORMAT_JSON: return zt_reply(r, 200, ZT_FORMAT_JSON, "{\"f\":\"json\"}", 12);
	case ZT_FORMAT_XML: return zt_reply(r, 200, ZT_FORMAT_XML, "<f>xml</f>", 10);
	case ZT_FORMAT_TEXT: return zt_reply(r, 200, ZT_FORMAT_TEXT, "text\n", 5);
	default: return zt_reply_not_acceptable(r, offered, 3);
	}
}

/* POST /test/amount: a JSON body's amount, read exactly. */
static int amount(struct zt_request *r, void *ctx)
{
	size_t len;
	const char *body = zt_req_body(r, &len);
	struct zt_json_doc *d = NULL;
	if (zt_json_parse(&d, body, len, NULL) != 0)
		return zt_reply_error(r, 400, "malformed-json", "%s", zt_error_last());
	static const char *const allowed[] = {"medfee_sumamt", "pric", NULL};
	zt_fen fen = 0;
	zt_q4 pric = 0;
	bool has_pric = false;
	int rc = zt_json_check_members(zt_json_root(d), allowed);
	if (!rc)
		rc = zt_json_get_amount(&fen, NULL, zt_json_root(d), "medfee_sumamt");
	if (!rc)
		rc = zt_json_get_q4(&pric, &has_pric, zt_json_root(d), "pric");
	zt_json_doc_free(d);
	if (rc)
		return zt_reply_error(r, 400, "schema-invalid", "%s", zt_error_last());
	struct zt_json_writer *w = NULL;
	zt_json_writer_new(&w, false);
	zt_json_write_object_begin(w);
	zt_json_write_key(w, "medfee_sumamt");
	zt_json_write_amount(w, fen);
	zt_json_write_key(w, "fen");
	zt_json_write_int(w, fen);
	if (has_pric) {
		zt_json_write_key(w, "pric");
		zt_json_write_q4(w, pric);
	}
	zt_json_write_object_end(w);
	rc = zt_reply_json(r, 200, w);
	zt_json_writer_free(w);
	return rc;
}

static int failing(struct zt_request *r, void *ctx)
{
	return zt_error_set(ZT_EIO, "disk on fire under person 510101199001011234");
}

static int public_page(struct zt_request *r, void *ctx)
{
	return zt_reply(r, 200, ZT_FORMAT_TEXT, "public\n", 7);
}

static const struct zt_route test_routes[] = {
	{.method = "POST", .path = "/test/echo", .op = ZT_OP_CLAIM_SUBMIT,
	 .bodies = ZT_BODY(ZT_FORMAT_JSON) | ZT_BODY(ZT_FORMAT_XML), .body_bytes_max = 1024,
	 .handler = echo},
	{.method = "GET", .path = "/test/echo", .flags = ZT_ROUTE_ANY_ROLE, .handler = echo},
	{.method = "GET", .path = "/test/items/{fixmedins_code}/{claim_no}", .op = ZT_OP_CLAIM_SUBMIT,
	 .handler = item},
	{.method = "POST", .path = "/test/slow", .op = ZT_OP_CLAIM_SUBMIT, .bodies = ZT_BODY(ZT_FORMAT_JSON),
	 .handler = slow},
	{.method = "GET", .path = "/test/negotiate", .op = ZT_OP_CLAIM_SUBMIT, .handler = negotiate},
	{.method = "POST", .path = "/test/negotiate", .op = ZT_OP_CLAIM_SUBMIT,
	 .bodies = ZT_BODY(ZT_FORMAT_JSON) | ZT_BODY(ZT_FORMAT_XML), .handler = negotiate},
	{.method = "POST", .path = "/test/amount", .op = ZT_OP_CLAIM_SUBMIT, .bodies = ZT_BODY(ZT_FORMAT_JSON),
	 .handler = amount},
	{.method = "GET", .path = "/test/fail", .op = ZT_OP_CLAIM_SUBMIT, .handler = failing},
	{.method = "GET", .path = "/test/public", .flags = ZT_ROUTE_PUBLIC, .handler = public_page},
};

static struct zt_service *srv;
static unsigned port;
static char log_file[600];

/* Options for a test: loopback, any port, rate limits high, a log file. */
static void test_opts(struct zt_service_opts *o)
{
	zt_service_opts_init(o);
	o->listen = "127.0.0.1:0";
	o->user_rate_per_s = o->address_rate_per_s = 100000;
	o->user_burst = o->address_burst = 100000;
	o->idle_timeout_s = 10;
	snprintf(log_file, sizeof log_file, "%s", tmp_path("requests.log"));
	o->log_path = log_file;
}

static struct zt_service *build(const struct zt_service_opts *o)
{
	struct zt_service *s = NULL;
	cr_assert_eq(zt_service_new(&s, o), 0, "%s", zt_error_last());
	zt_service_set_authenticator(s, test_authenticate, NULL);
	cr_assert_eq(zt_service_add_builtin_routes(s), 0, "%s", zt_error_last());
	for (size_t i = 0; i < sizeof test_routes / sizeof *test_routes; i++)
		cr_assert_eq(zt_service_add_route(s, &test_routes[i]), 0, "%s", zt_error_last());
	return s;
}

static void start(const struct zt_service_opts *o)
{
	srv = build(o);
	cr_assert_eq(zt_service_start(srv), 0, "%s", zt_error_last());
	port = zt_service_port(srv);
	cr_assert_gt(port, 0);
}

static void start_default(void)
{
	struct zt_service_opts o;
	test_opts(&o);
	start(&o);
}

static void stop(void)
{
	if (srv) {
		cr_assert_eq(zt_service_stop(srv), 0, "%s", zt_error_last());
		zt_service_free(srv);
		srv = NULL;
	}
}

static void setup(void)
{
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	atomic_store(&handler_calls, 0);
}

static void teardown(void)
{
	stop();
	curl_global_cleanup();
}

/* ---- a libcurl client (httputil.h) ---------------------------------- */

/* One request; port 0 is the test's server. */
static struct zt_http_resp call(const struct zt_http_call *c)
{
	struct zt_http_call x = *c;
	if (!x.port)
		x.port = port;
	if (!x.timeout_ms)
		x.timeout_ms = 20000;
	return zt_http(&x);
}

static struct zt_http_resp get(const char *path, const char *token)
{
	return call(&(struct zt_http_call){.path = path, .token = token});
}

static struct zt_http_resp post_json(const char *path, const char *token, const char *body)
{
	return call(&(struct zt_http_call){.path = path, .token = token, .body = body,
	                           .content_type = "application/json"});
}

/* The error body's code, checking the shape {"code", "message"}. */
static void assert_error(const struct zt_http_resp *r, long status, const char *code)
{
	cr_assert_eq(r->rc, CURLE_OK, "curl: %s", r->error);
	cr_assert_eq(r->status, status, "status %ld, not %ld: %s", r->status, status, r->body);
	const char *ct = zt_http_header(r, "Content-Type");
	cr_assert(ct && strcmp(ct, "application/json") == 0, "errors are JSON, not %s", ct ? ct : "?");
	struct zt_json_doc *d = NULL;
	cr_assert_eq(zt_json_parse(&d, r->body, r->len, NULL), 0, "%s: %s", zt_error_last(), r->body);
	static const char *const shape[] = {"code", "message", "fixmedins_code", "claim_no", NULL};
	cr_assert_eq(zt_json_check_members(zt_json_root(d), shape), 0, "%s", zt_error_last());
	const char *got = NULL, *msg = NULL;
	cr_assert_eq(zt_json_get_text(&got, NULL, zt_json_root(d), "code", 0), 0);
	cr_assert_eq(zt_json_get_text(&msg, NULL, zt_json_root(d), "message", 0), 0);
	cr_assert_str_eq(got, code, "%s", r->body);
	zt_json_doc_free(d);
	cr_assert(zt_http_header(r, "X-Request-Id"), "every answer has X-Request-Id");
}

/* A member of a JSON body as text ("" for null). */
static char *member(const struct zt_http_resp *r, const char *key)
{
	static char v[512];
	struct zt_json_doc *d = NULL;
	cr_assert_eq(zt_json_parse(&d, r->body, r->len, NULL), 0, "%s: %s", zt_error_last(), r->body);
	const struct zt_json *m = zt_json_find(zt_json_root(d), key);
	cr_assert(m, "no '%s' in %s", key, r->body);
	snprintf(v, sizeof v, "%s", m->text ? m->text : "");
	zt_json_doc_free(d);
	return v;
}

/* ---- raw sockets ---------------------------------------------------- */

static int raw_connect(unsigned p)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_geq(fd, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)p)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0, "connect: %s", strerror(errno));
	return fd;
}

static void raw_send(int fd, const char *s)
{
	size_t n = strlen(s);
	cr_assert_eq(send(fd, s, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* Reads what arrives within ms: the bytes read (0 at end of stream), or
 * -1 if nothing came in time. */
static ssize_t raw_recv(int fd, char *buf, size_t cap, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	if (poll(&p, 1, ms) <= 0)
		return -1;
	ssize_t n = recv(fd, buf, cap - 1, 0);
	if (n < 0)
		n = 0; /* reset: closed */
	buf[n] = '\0';
	return n;
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

TestSuite(service, .init = setup, .fini = teardown, .timeout = 60);

/* ---- routes, methods, errors ----------------------------------------- */

Test(service, healthz_is_200_without_a_token_with_a_request_id)
{
	start_default();
	struct zt_http_resp a = get("/healthz", NULL), b = get("/healthz", NULL);
	cr_assert_eq(a.status, 200);
	cr_assert_str_eq(a.body, "{\"status\":\"ok\"}");
	cr_assert_str_eq(zt_http_header(&a, "Content-Type"), "application/json");
	char id[64];
	snprintf(id, sizeof id, "%s", zt_http_header(&a, "X-Request-Id"));
	cr_assert_eq(strlen(id), 16);
	cr_assert_str_neq(id, zt_http_header(&b, "X-Request-Id"), "each request its own id");
	cr_assert_str_eq(zt_http_header(&a, "Cache-Control"), "no-store");
	zt_http_free(&a);
	zt_http_free(&b);
}

Test(service, an_unknown_route_is_404_json_even_when_something_else_was_asked)
{
	start_default();
	const char *paths[] = {"/nope", "/healthz/", "/v1/claims", "/test/items/H1", "/test/items/H1/C1/x",
	                       "/TEST/echo", "/test/%65cho"};
	for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
		struct zt_http_resp r = call(&(struct zt_http_call){.path = paths[i], .token = DESK, .accept = "application/pdf"});
		assert_error(&r, 404, "not-found");
		zt_http_free(&r);
	}
}

Test(service, a_wrong_method_is_405_with_allow)
{
	start_default();
	struct zt_http_resp r = call(&(struct zt_http_call){.method = "POST", .path = "/healthz"});
	assert_error(&r, 405, "method-not-allowed");
	cr_assert_str_eq(zt_http_header(&r, "Allow"), "GET");
	zt_http_free(&r);
	r = call(&(struct zt_http_call){.method = "DELETE", .path = "/test/echo", .token = DESK});
	assert_error(&r, 405, "method-not-allowed");
	cr_assert_str_eq(zt_http_header(&r, "Allow"), "POST, GET");
	zt_http_free(&r);
	r = call(&(struct zt_http_call){.method = "PUT", .path = "/test/items/H1/C1", .token = DESK});
	assert_error(&r, 405, "method-not-allowed");
	cr_assert_str_eq(zt_http_header(&r, "Allow"), "GET");
	zt_http_free(&r);
	cr_assert_eq(atomic_load(&handler_calls), 0);
}

Test(service, a_refusal_without_a_body_keeps_the_connection)
{
	start_default();
	CURL *h = curl_easy_init();
	struct zt_http_resp a = call(&(struct zt_http_call){.path = "/nope", .handle = h});
	assert_error(&a, 404, "not-found");
	struct zt_http_resp b = call(&(struct zt_http_call){.path = "/test/echo", .handle = h});
	assert_error(&b, 401, "unauthorized");
	struct zt_http_resp c = call(&(struct zt_http_call){.path = "/healthz", .handle = h});
	cr_assert_eq(c.status, 200);
	long connects = -1;
	curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects);
	cr_assert_eq(connects, 0, "the third request reused the first connection");
	curl_easy_cleanup(h);
	zt_http_free(&a);
	zt_http_free(&b);
	zt_http_free(&c);
}

Test(service, a_handler_that_fails_gives_500_without_its_message)
{
	start_default();
	struct zt_http_resp r = get("/test/fail", DESK);
	assert_error(&r, 500, "internal-error");
	cr_assert_null(strstr(r.body, "disk on fire"), "the handler's message stays inside");
	cr_assert(strstr(r.body, zt_http_header(&r, "X-Request-Id")), "the request id, to find the log line");
	zt_http_free(&r);
	stop();
	char *log = zt_test_slurp(log_file);
	cr_assert(strstr(log, "route=/test/fail status=500"), "%s", log);
	cr_assert(strstr(log, "note=handler-error"), "%s", log);
	cr_assert_null(strstr(log, "510101199001011234"));
	free(log);
}

/* ---- tokens and roles --------------------------------------------------- */

Test(service, a_missing_or_refused_token_is_401_with_www_authenticate)
{
	start_default();
	struct zt_http_resp r = get("/test/echo", NULL);
	assert_error(&r, 401, "unauthorized");
	cr_assert_str_eq(zt_http_header(&r, "WWW-Authenticate"), "Bearer realm=\"zhitong\"");
	zt_http_free(&r);
	const char *bad[] = {"Authorization: Basic dXNlcjpwYXNz", "Authorization: Bearer nope",
	                     "Authorization: Bearer zt_unknown", "Authorization: Bearer",
	                     "Authorization: Bearer zt_desk_0123456789abcdef extra"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		r = call(&(struct zt_http_call){.path = "/test/echo", .headers = {bad[i]}});
		assert_error(&r, 401, "unauthorized");
		cr_assert_str_eq(zt_http_header(&r, "WWW-Authenticate"), "Bearer realm=\"zhitong\", error=\"invalid_token\"",
		                 "%s", bad[i]);
		zt_http_free(&r);
	}
	/* never a query parameter, even a good token */
	r = get("/test/echo?access_token=" DESK, NULL);
	assert_error(&r, 401, "unauthorized");
	cr_assert(strstr(r.body, "never in the query"), "%s", r.body);
	zt_http_free(&r);
	r = get("/test/echo?access_token=" DESK, DESK);
	assert_error(&r, 401, "unauthorized");
	zt_http_free(&r);
	cr_assert_eq(atomic_load(&handler_calls), 0);
	/* a good one */
	r = get("/test/echo", DESK);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_str_eq(member(&r, "user"), "desk1");
	cr_assert_str_eq(member(&r, "scope"), "H51010101");
	zt_http_free(&r);
	/* a public route needs none */
	r = get("/test/public", NULL);
	cr_assert_eq(r.status, 200);
	zt_http_free(&r);
}

Test(service, an_authenticator_that_fails_is_500)
{
	start_default();
	struct zt_http_resp r = get("/test/echo", "zt_store_is_down");
	assert_error(&r, 500, "internal-error");
	zt_http_free(&r);
}

Test(service, a_role_not_allowed_is_403_before_any_lookup)
{
	start_default();
	struct zt_http_resp r = get("/test/items/H51010101/ZY-1", ADMIN);
	assert_error(&r, 403, "forbidden");
	zt_http_free(&r);
	r = get("/test/items/H99999999/NO-SUCH", AUDITOR);
	assert_error(&r, 403, "forbidden");
	zt_http_free(&r);
	/* the same body whether the object exists or not: the handler never ran */
	cr_assert_eq(atomic_load(&handler_calls), 0);
	r = call(&(struct zt_http_call){.path = "/metrics", .token = DESK});
	assert_error(&r, 403, "forbidden");
	zt_http_free(&r);
	r = get("/test/items/H51010101/ZY-1", DESK);
	cr_assert_eq(r.status, 200);
	cr_assert_eq(atomic_load(&handler_calls), 1);
	zt_http_free(&r);
}

/* ---- parameters, operator ------------------------------------------------- */

Test(service, path_and_query_parameters_are_decoded_after_routing)
{
	start_default();
	struct zt_http_resp r = get("/test/items/H51010101/ZY%2F2017%20%E5%BC%A0?psn_no=P+1%2B2", DESK);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_str_eq(member(&r, "fixmedins_code"), "H51010101");
	cr_assert_str_eq(member(&r, "claim_no"), "ZY/2017 张", "%%2F stayed in its segment");
	cr_assert_str_eq(member(&r, "psn_no"), "P 1+2");
	zt_http_free(&r);
	r = get("/test/items/H1/C1?psn_no=", DESK);
	cr_assert_str_eq(member(&r, "psn_no"), "");
	zt_http_free(&r);
	struct {
		const char *path, *code;
	} bad[] = {
		{"/test/items/H1/C%00", "invalid-path"},
		{"/test/items/H1/C%FF", "invalid-path"},
		{"/test/items/H1/C%2", "invalid-path"},
		{"/test/items/H1/C1?psn_no=%C0%80", "invalid-query"},
		{"/test/items/H1/C1?psn_no=a&psn_no=b", "invalid-query"},
		{"/test/items/H1/C1?ps%6E_no=a&psn_no=b", "invalid-query"},
		{"/test/items/H1/C1?sort=x", "invalid-query"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		r = get(bad[i].path, DESK);
		assert_error(&r, 400, bad[i].code);
		zt_http_free(&r);
	}
}

/* limits.h ZT_SERVICE_QUERY_PARAMS_MAX: 32 parameters are taken, 33 are not */
Test(service, a_query_of_query_params_max_parameters)
{
	start_default();
	for (int over = 0; over <= 1; over++) {
		char path[2000] = "/test/echo?";
		for (int i = 0; i < ZT_SERVICE_QUERY_PARAMS_MAX + over; i++)
			snprintf(path + strlen(path), sizeof path - strlen(path), "%sq%d=%d", i ? "&" : "", i, i);
		struct zt_http_resp r = get(path, DESK);
		if (over)
			assert_error(&r, 400, "invalid-query");
		else
			cr_assert_eq(r.status, 200, "%s", r.body);
		zt_http_free(&r);
	}
}

Test(service, x_operator_is_captured_when_it_is_a_name)
{
	start_default();
	struct zt_http_resp r = call(&(struct zt_http_call){.path = "/test/echo", .token = DESK,
	                                    .headers = {"X-Operator: 张三"}});
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_str_eq(member(&r, "operator"), "张三");
	zt_http_free(&r);
	r = get("/test/echo", DESK);
	cr_assert_str_eq(member(&r, "operator"), "", "absent: null");
	zt_http_free(&r);
	char long_name[300] = "X-Operator: ";
	for (int i = 0; i < 51; i++)
		strcat(long_name, "张");
	const char *bad[] = {"X-Operator: caf\xE9", long_name, "X-Operator: a\x01" "b"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		r = call(&(struct zt_http_call){.path = "/test/echo", .token = DESK, .headers = {bad[i]}});
		assert_error(&r, 400, "invalid-operator");
		zt_http_free(&r);
	}
}

/* ---- bodies --------------------------------------------------------------- */

Test(service, a_body_within_its_limit_is_read_whole_with_length_or_chunked)
{
	start_default();
	char body[1025];
	memset(body, ' ', 1024);
	memcpy(body, "{\"a\": 1}", 8);
	body[1024] = '\0';
	struct zt_http_resp r = post_json("/test/echo", DESK, body);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_str_eq(member(&r, "body_bytes"), "1024");
	cr_assert_str_eq(member(&r, "format"), "json");
	zt_http_free(&r);
	r = call(&(struct zt_http_call){.path = "/test/echo", .token = DESK, .body = body,
	                        .content_type = "application/xml; charset=UTF-8", .chunked = true});
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_str_eq(member(&r, "body_bytes"), "1024");
	cr_assert_str_eq(member(&r, "format"), "xml");
	zt_http_free(&r);
}

Test(service, a_content_length_over_the_limit_is_413_before_the_body_is_sent)
{
	start_default();
	/* the headers alone, announcing 100 MB: the answer comes at once */
	int fd = raw_connect(port);
	raw_send(fd, "POST /test/echo HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " DESK "\r\n"
	             "Content-Type: application/json\r\nContent-Length: 100000000\r\n\r\n");
	char buf[4096];
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ssize_t n = raw_recv(fd, buf, sizeof buf, 5000);
	cr_assert_gt(n, 0, "an answer before any byte of the body");
	cr_assert_lt(seconds_since(&t0), 2.0);
	cr_assert(strncmp(buf, "HTTP/1.1 413 ", 13) == 0, "%s", buf);
	cr_assert(strstr(buf, "\"code\":\"body-too-large\""), "%s", buf);
	cr_assert(strcasestr(buf, "Connection: close"), "%s", buf);
	close(fd);
	/* just over: 1025 bytes for a route of 1024 */
	char body[1026];
	memset(body, ' ', 1025);
	body[0] = '{', body[1] = '}', body[1025] = '\0';
	struct zt_http_resp r = post_json("/test/echo", DESK, body);
	assert_error(&r, 413, "body-too-large");
	zt_http_free(&r);
	cr_assert_eq(atomic_load(&handler_calls), 0, "the handler never saw a body over the limit");
	/* a route that takes no body */
	r = call(&(struct zt_http_call){.method = "GET", .path = "/test/negotiate", .token = DESK, .body = "{}",
	                        .content_type = "application/json"});
	assert_error(&r, 413, "body-too-large");
	zt_http_free(&r);
}

Test(service, a_chunked_body_is_counted_as_it_arrives)
{
	start_default();
	const char *head = "POST /test/echo HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " DESK "\r\n"
	                   "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
	char chunk[600];
	snprintf(chunk, sizeof chunk, "200\r\n%0512d\r\n", 0);
	/* 1.5 KiB for a limit of 1 KiB: counted, dropped, answered 413 */
	int fd = raw_connect(port);
	raw_send(fd, head);
	for (int i = 0; i < 3; i++)
		raw_send(fd, chunk);
	raw_send(fd, "0\r\n\r\n");
	char buf[4096];
	cr_assert_gt(raw_recv(fd, buf, sizeof buf, 5000), 0);
	cr_assert(strncmp(buf, "HTTP/1.1 413 ", 13) == 0, "%s", buf);
	close(fd);
	cr_assert_eq(atomic_load(&handler_calls), 0);
	/* a body that never ends: the connection is closed, the server does
	 * not read on */
	fd = raw_connect(port);
	raw_send(fd, head);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	bool closed = false;
	size_t sent = 0;
	while (!closed && seconds_since(&t0) < 20) {
		ssize_t k = send(fd, chunk, strlen(chunk), MSG_NOSIGNAL | MSG_DONTWAIT);
		if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			closed = true;
		else if (k > 0)
			sent += (size_t)k;
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, k < 0 ? 10 : 0) > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR))) {
			char b[256];
			if (recv(fd, b, sizeof b, MSG_DONTWAIT) <= 0)
				closed = true;
		}
	}
	cr_assert(closed, "still open after %zu bytes", sent);
	close(fd);
	cr_assert_eq(atomic_load(&handler_calls), 0);
}

Test(service, a_charset_other_than_utf8_is_415)
{
	start_default();
	const char *bad[] = {"application/json; charset=latin1", "application/json; charset=ISO-8859-1",
	                     "application/xml; charset=\"gbk\"", "text/plain", "application/x-www-form-urlencoded"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct zt_http_resp r = call(&(struct zt_http_call){.path = "/test/echo", .token = DESK, .body = "{}",
		                                    .content_type = bad[i], .accept = "application/xml"});
		assert_error(&r, 415, "unsupported-media-type");
		zt_http_free(&r);
	}
	/* a format the route does not take */
	struct zt_http_resp r = call(&(struct zt_http_call){.path = "/test/amount", .token = DESK, .body = "<a/>",
	                                    .content_type = "application/xml"});
	assert_error(&r, 415, "unsupported-media-type");
	zt_http_free(&r);
	const char *good[] = {"application/json; charset=UTF-8", "application/json;charset=\"utf-8\"",
	                      "Application/Json"};
	for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
		r = call(&(struct zt_http_call){.path = "/test/echo", .token = DESK, .body = "{}",
		                        .content_type = good[i]});
		cr_assert_eq(r.status, 200, "%s: %s", good[i], r.body);
		zt_http_free(&r);
	}
}

Test(service, json_amounts_over_http_are_read_exactly)
{
	start_default();
	struct {
		const char *body, *want;
	} ok[] = {
		{"{\"medfee_sumamt\": 12345678901234.56}", "12345678901234.56"},
		{"{\"medfee_sumamt\": \"12345678901234.56\"}", "12345678901234.56"},
		{"{\"medfee_sumamt\": 99999999999999.99}", "99999999999999.99"},
		{"{\"medfee_sumamt\": 0.07}", "0.07"},
		{"{\"medfee_sumamt\": 0.29}", "0.29"},
		{"{\"medfee_sumamt\": 8000.5}", "8000.50"},
	};
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
		struct zt_http_resp r = post_json("/test/amount", DESK, ok[i].body);
		cr_assert_eq(r.status, 200, "%s: %s", ok[i].body, r.body);
		cr_assert_str_eq(member(&r, "medfee_sumamt"), ok[i].want);
		zt_http_free(&r);
	}
	struct zt_http_resp r = post_json("/test/amount", DESK, "{\"medfee_sumamt\": \"1.00\", \"pric\": 1.005}");
	cr_assert_str_eq(member(&r, "pric"), "1.0050");
	zt_http_free(&r);
	const char *bad[] = {"{\"medfee_sumamt\": 1.005}", "{\"medfee_sumamt\": 1e3}",
	                     "{\"medfee_sumamt\": -0}", "{\"medfee_sumamt\": 9007199254740993.00}",
	                     "{\"medfee_sumamt\": \"10500.5\"}", "{\"medfee_sumamt\": 1, \"x\": 2}"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		r = post_json("/test/amount", DESK, bad[i]);
		assert_error(&r, 400, "schema-invalid");
		zt_http_free(&r);
	}
	const char *malformed[] = {"{\"medfee_sumamt\": 1, \"medfee_sumamt\": 2}", "{", "[01]"};
	for (size_t i = 0; i < sizeof malformed / sizeof *malformed; i++) {
		r = post_json("/test/amount", DESK, malformed[i]);
		assert_error(&r, 400, "malformed-json");
		zt_http_free(&r);
	}
}

Test(service, the_answer_follows_accept_and_defaults_to_the_request)
{
	start_default();
	struct {
		const char *method, *accept, *ct, *want;
	} cases[] = {
		{"GET", NULL, NULL, "application/json"},
		{"GET", "*/*", NULL, "application/json"},
		{"GET", "application/xml", NULL, "application/xml; charset=utf-8"},
		{"GET", "text/plain;q=0.9, application/xml;q=0.5", NULL, "text/plain; charset=utf-8"},
		{"POST", NULL, "application/xml", "application/xml; charset=utf-8"},
		{"POST", "*/*", "application/xml", "application/xml; charset=utf-8"},
		{"POST", "application/json", "application/xml", "application/json"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		bool post = strcmp(cases[i].method, "POST") == 0;
		struct zt_http_resp r = call(&(struct zt_http_call){.path = "/test/negotiate", .token = DESK,
		                                    .accept = cases[i].accept, .body = post ? "<a/>" : NULL,
		                                    .content_type = cases[i].ct});
		cr_assert_eq(r.status, 200, "%s", r.body);
		cr_assert_str_eq(zt_http_header(&r, "Content-Type"), cases[i].want, "case %zu", i);
		zt_http_free(&r);
	}
	struct zt_http_resp r = call(&(struct zt_http_call){.path = "/test/negotiate", .token = DESK, .accept = "image/png"});
	assert_error(&r, 406, "not-acceptable");
	cr_assert(strstr(r.body, "application/json, application/xml, text/plain"), "%s", r.body);
	zt_http_free(&r);
}

/* ---- limits on connections and rates ---------------------------------------- */

Test(service, the_rate_per_user_is_429_with_retry_after)
{
	struct zt_service_opts o;
	test_opts(&o);
	o.user_rate_per_s = 1;
	o.user_burst = 3;
	start(&o);
	for (int i = 0; i < 3; i++) {
		struct zt_http_resp r = get("/test/echo", DESK);
		cr_assert_eq(r.status, 200, "request %d of the burst", i);
		zt_http_free(&r);
	}
	struct zt_http_resp r = get("/test/echo", DESK);
	assert_error(&r, 429, "rate-limited");
	cr_assert_str_eq(zt_http_header(&r, "Retry-After"), "1");
	zt_http_free(&r);
	/* another user is not held up by desk1 */
	r = get("/test/echo", DESK2);
	cr_assert_eq(r.status, 200);
	zt_http_free(&r);
	usleep(1100 * 1000);
	r = get("/test/echo", DESK);
	cr_assert_eq(r.status, 200, "a token again after a second");
	zt_http_free(&r);
}

Test(service, the_rate_per_address_covers_public_routes_and_ignores_untrusted_forwarding)
{
	struct zt_service_opts o;
	test_opts(&o);
	o.address_rate_per_s = 1;
	o.address_burst = 2;
	start(&o);
	char xff[64];
	for (int i = 0; i < 2; i++) {
		snprintf(xff, sizeof xff, "X-Forwarded-For: 198.51.100.%d", i);
		struct zt_http_resp r = call(&(struct zt_http_call){.path = "/test/public", .headers = {xff}});
		cr_assert_eq(r.status, 200);
		zt_http_free(&r);
	}
	/* a new X-Forwarded-For from an untrusted peer changes nothing */
	struct zt_http_resp r = call(&(struct zt_http_call){.path = "/test/public", .headers = {"X-Forwarded-For: 203.0.113.1"}});
	assert_error(&r, 429, "rate-limited");
	cr_assert_str_eq(zt_http_header(&r, "Retry-After"), "1");
	zt_http_free(&r);
	r = get("/healthz", NULL);
	assert_error(&r, 429, "rate-limited");
	zt_http_free(&r);
}

Test(service, an_idle_connection_is_closed_after_the_timeout)
{
	struct zt_service_opts o;
	test_opts(&o);
	o.idle_timeout_s = 1;
	start(&o);
	int fd = raw_connect(port);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	char buf[256];
	ssize_t n = raw_recv(fd, buf, sizeof buf, 8000);
	double took = seconds_since(&t0);
	cr_assert_eq(n, 0, "closed without a word (got %zd)", n);
	cr_assert_geq(took, 0.9, "not before the timeout (%.2f s)", took);
	cr_assert_lt(took, 5.0, "soon after the timeout (%.2f s)", took);
	close(fd);
	/* a half-sent request times out the same */
	fd = raw_connect(port);
	raw_send(fd, "GET /healthz HTTP/1.1\r\nHost: t\r\n");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	n = raw_recv(fd, buf, sizeof buf, 8000);
	cr_assert(n == 0 || (n > 0 && strncmp(buf, "HTTP/1.1 408", 12) == 0),
	          "closed (or told 408), got %zd: %s", n, n > 0 ? buf : "");
	cr_assert_lt(seconds_since(&t0), 5.0);
	close(fd);
}

Test(service, the_connections_per_address_are_limited)
{
	struct zt_service_opts o;
	test_opts(&o);
	o.connections_per_address_max = 2;
	start(&o);
	int a = raw_connect(port), b = raw_connect(port);
	usleep(200 * 1000); /* both accepted */
	int c = raw_connect(port);
	char buf[256];
	cr_assert_eq(raw_recv(c, buf, sizeof buf, 3000), 0, "the third is closed at once");
	cr_assert_eq(raw_recv(a, buf, sizeof buf, 200), -1, "the first two stay open");
	cr_assert_eq(raw_recv(b, buf, sizeof buf, 200), -1);
	/* and serve */
	raw_send(a, "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
	cr_assert_gt(raw_recv(a, buf, sizeof buf, 3000), 0);
	cr_assert(strncmp(buf, "HTTP/1.1 200 ", 13) == 0, "%s", buf);
	close(c);
	close(b);
	/* once one is gone, a new one is taken */
	bool served = false;
	for (int i = 0; i < 50 && !served; i++) {
		usleep(50 * 1000);
		struct zt_http_resp r = get("/healthz", NULL);
		served = r.status == 200;
		zt_http_free(&r);
	}
	cr_assert(served);
	close(a);
}

/* ---- proxies ---------------------------------------------------------------- */

static char *client_seen(const char *xff)
{
	static char v[64];
	char h[256];
	snprintf(h, sizeof h, "X-Forwarded-For: %s", xff);
	struct zt_http_resp r = call(&(struct zt_http_call){.path = "/test/echo", .token = DESK, .headers = {h}});
	cr_assert_eq(r.status, 200, "%s", r.body);
	snprintf(v, sizeof v, "%s", member(&r, "client"));
	zt_http_free(&r);
	return v;
}

Test(service, x_forwarded_for_counts_only_from_a_trusted_proxy)
{
	struct zt_service_opts o;
	test_opts(&o);
	o.trusted_proxies = "127.0.0.1 10.0.0.0/8";
	start(&o);
	cr_assert_str_eq(client_seen("198.51.100.7"), "198.51.100.7");
	cr_assert_str_eq(client_seen("1.1.1.1, 198.51.100.7, 10.1.2.3"), "198.51.100.7",
	                 "rightmost untrusted; the left is the client's own claim");
	cr_assert_str_eq(client_seen("2001:db8::5"), "2001:db8::5");
	stop();
	/* loopback is no trusted proxy here: the peer is the client */
	test_opts(&o);
	o.trusted_proxies = "10.0.0.0/8";
	start(&o);
	cr_assert_str_eq(client_seen("198.51.100.7"), "127.0.0.1");
	stop();
	test_opts(&o);
	start(&o);
	cr_assert_str_eq(client_seen("198.51.100.7"), "127.0.0.1", "none trusted by default");
}

/* ---- the log and the metrics -------------------------------------------- */

Test(service, the_log_line_holds_the_route_template_never_the_path_nor_the_token)
{
	start_default();
	struct zt_http_resp r = call(&(struct zt_http_call){
		.path = "/test/items/H51010101/ZY-510101199001011234?psn_no=510101199001011234",
		.token = DESK, .headers = {"X-Operator: 张三"}});
	cr_assert_eq(r.status, 200, "%s", r.body);
	char id[32];
	snprintf(id, sizeof id, "%s", zt_http_header(&r, "X-Request-Id"));
	zt_http_free(&r);
	r = get("/test/items/H1/x?psn_no=P1", ADMIN);
	zt_http_free(&r);
	r = get("/no/such/510101199001011234", DESK);
	zt_http_free(&r);
	/* an operator holding an ID number is masked in the log */
	r = call(&(struct zt_http_call){.path = "/test/echo", .token = DESK,
	                        .headers = {"X-Operator: 510101199001011234"}});
	zt_http_free(&r);
	stop();
	char *log = zt_test_slurp(log_file);
	cr_assert(log, "no log");
	int lines = 0;
	for (char *p = log; *p; p++)
		lines += *p == '\n';
	cr_assert_eq(lines, 4, "one line per request:\n%s", log);
	char want[256];
	snprintf(want, sizeof want,
	         "req=%s user=\"desk1\" operator=\"张三\" method=GET "
	         "route=/test/items/{fixmedins_code}/{claim_no} status=200 ms=",
	         id);
	cr_assert(strstr(log, want), "%s\nnot in\n%s", want, log);
	cr_assert(strstr(log, "user=\"admin1\" operator=- method=GET route=/test/items/{fixmedins_code}/{claim_no} status=403"),
	          "%s", log);
	cr_assert(strstr(log, "method=GET route=- status=404"), "%s", log);
	cr_assert(strstr(log, "operator=\"***\""), "%s", log);
	cr_assert_null(strstr(log, "510101199001011234"), "an ID number in the log:\n%s", log);
	cr_assert_null(strstr(log, "ZY-"), "a path value in the log");
	cr_assert_null(strstr(log, "psn_no"), "the query in the log");
	cr_assert_null(strstr(log, "zt_desk"), "a token in the log");
	cr_assert_null(strstr(log, "0123456789abcdef"), "a token in the log");
	free(log);
}

Test(service, metrics_parse_and_count)
{
	start_default();
	for (int i = 0; i < 3; i++) {
		struct zt_http_resp r = get("/healthz", NULL);
		zt_http_free(&r);
	}
	struct zt_http_resp r = get("/nope", NULL);
	zt_http_free(&r);
	r = get("/test/items/H1/C1", ADMIN);
	zt_http_free(&r);
	r = get("/metrics", AUDITOR);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_str_eq(zt_http_header(&r, "Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
	assert_prometheus(r.body);
	cr_assert_eq(sample_value(r.body, "zhitong_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"}"), 3);
	cr_assert_eq(sample_value(r.body, "zhitong_http_requests_total{method=\"\",route=\"unmatched\",status=\"404\"}"), 1);
	cr_assert_eq(sample_value(r.body, "zhitong_http_requests_total{method=\"GET\",route=\"/test/items/{fixmedins_code}/{claim_no}\",status=\"403\"}"), 1);
	cr_assert_eq(sample_value(r.body, "zhitong_http_request_duration_seconds_count{method=\"GET\",route=\"/healthz\"}"), 3);
	cr_assert_eq(sample_value(r.body, "zhitong_http_requests_in_flight"), 1, "this request itself");
	cr_assert_null(strstr(r.body, "C1"), "no path values in labels");
	zt_http_free(&r);
	/* A request is counted when its answer is handed over, before its
	 * client can read it: the /metrics above is in the next one, every
	 * time (tools/service/server.c account()). */
	for (int i = 1; i <= 20; i++) {
		r = get("/metrics", ADMIN);
		cr_assert_eq(r.status, 200);
		long long seen = sample_value(r.body, "zhitong_http_requests_total{method=\"GET\",route=\"/metrics\",status=\"200\"}");
		cr_assert_eq(seen, i, "%lld /metrics counted of %d answered before", seen, i);
		cr_assert_eq(sample_value(r.body, "zhitong_http_requests_in_flight"), 1);
		zt_http_free(&r);
	}
}

Test(service, own_counters_appear_in_metrics)
{
	struct zt_service_opts o;
	test_opts(&o);
	srv = build(&o);
	size_t settled;
	cr_assert_eq(zt_service_add_counter(srv, "zhitong_claims_settled_total", "Claims settled.", &settled), 0);
	size_t bad;
	cr_assert_eq(zt_service_add_counter(srv, "Bad-Name", "x", &bad), ZT_EINVAL);
	cr_assert_eq(zt_service_start(srv), 0);
	port = zt_service_port(srv);
	zt_service_count(srv, settled, 41);
	zt_service_count(srv, settled, 1);
	struct zt_http_resp r = get("/metrics", AUDITOR);
	assert_prometheus(r.body);
	cr_assert_eq(sample_value(r.body, "zhitong_claims_settled_total"), 42);
	cr_assert(strstr(r.body, "# TYPE zhitong_claims_settled_total counter\n"));
	zt_http_free(&r);
}

Test(service, openapi_lists_the_routes_that_exist)
{
	start_default();
	struct zt_http_resp r = get("/v1/openapi.json", NULL);
	assert_error(&r, 401, "unauthorized");
	zt_http_free(&r);
	r = get("/v1/openapi.json", DESK);
	cr_assert_eq(r.status, 200);
	struct zt_json_doc *d = NULL;
	cr_assert_eq(zt_json_parse(&d, r.body, r.len, NULL), 0, "%s", zt_error_last());
	const struct zt_json *root = zt_json_root(d);
	cr_assert_str_eq(zt_json_find(root, "openapi")->text, "3.0.3");
	const struct zt_json *paths = zt_json_find(root, "paths");
	const char *want[][2] = {{"/healthz", "get"}, {"/metrics", "get"}, {"/v1/openapi.json", "get"},
	                         {"/test/echo", "post"}, {"/test/echo", "get"},
	                         {"/test/items/{fixmedins_code}/{claim_no}", "get"}};
	for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
		const struct zt_json *p = zt_json_find(paths, want[i][0]);
		cr_assert(p, "no path %s", want[i][0]);
		cr_assert(zt_json_find(p, want[i][1]), "no %s %s", want[i][1], want[i][0]);
	}
	size_t routes = 0;
	for (size_t i = 0; i < paths->count; i++)
		routes += paths->members[i].value->count;
	cr_assert_eq(routes, 3 + sizeof test_routes / sizeof *test_routes, "every route, once");
	const struct zt_json *item_get =
		zt_json_find(zt_json_find(paths, "/test/items/{fixmedins_code}/{claim_no}"), "get");
	cr_assert_eq(zt_json_find(item_get, "parameters")->count, 2);
	cr_assert_str_eq(zt_json_find(item_get, "x-zhitong-roles")->items[0]->text, "desk");
	cr_assert_str_eq(zt_json_find(item_get, "x-zhitong-op")->text, "claim-submit", "the route's op, access.h");
	cr_assert_eq(zt_json_find(zt_json_find(zt_json_find(paths, "/healthz"), "get"), "security")->count, 0,
	             "healthz needs no token");
	zt_json_doc_free(d);
	zt_http_free(&r);
}

/* ---- plain HTTP off loopback ------------------------------------------------ */

Test(service, plain_http_off_loopback_is_refused_unless_insecure_http)
{
	struct zt_service_opts o;
	test_opts(&o);
	struct zt_service *s = NULL;
	const char *off[] = {"0.0.0.0:0", "[::]:0", "192.0.2.1:8440"};
	for (size_t i = 0; i < sizeof off / sizeof *off; i++) {
		o.listen = off[i];
		cr_assert_eq(zt_service_new(&s, &o), ZT_EINVAL, "%s taken", off[i]);
		cr_assert(strstr(zt_error_last(), "plain HTTP on"), "%s", zt_error_last());
	}
	o.listen = "0.0.0.0:0";
	o.insecure_http = true;
	start(&o);
	struct zt_http_resp r = get("/healthz", NULL);
	cr_assert_eq(r.status, 200);
	zt_http_free(&r);
	stop();
	/* a metrics listener is loopback only, whatever */
	test_opts(&o);
	o.metrics_listen = "0.0.0.0:0";
	cr_assert_eq(zt_service_new(&s, &o), ZT_EINVAL);
	cr_assert(strstr(zt_error_last(), "must be on loopback"));
	/* half a TLS set-up, or a client CA without TLS */
	test_opts(&o);
	o.tls_cert = "/nonexistent.pem";
	cr_assert_eq(zt_service_new(&s, &o), ZT_EINVAL);
	test_opts(&o);
	o.client_ca = "/nonexistent.pem";
	cr_assert_eq(zt_service_new(&s, &o), ZT_EINVAL);
	test_opts(&o);
	o.trusted_proxies = "10.0.0.1/8";
	cr_assert_eq(zt_service_new(&s, &o), ZT_EINVAL);
}

/* ---- TLS --------------------------------------------------------------------- */

/* a shell command's exit code (testutil.h) */
#define sh_ok zt_test_sh_code

static char tls_dir[512];

/* A self-signed server certificate for 127.0.0.1, a client CA, a client
 * certificate it issued, and one from another CA. */
static void make_certs(void)
{
	snprintf(tls_dir, sizeof tls_dir, "%s", zt_test_tmpdir());
	const char *ec = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
	cr_assert_eq(sh_ok("cd '%s' && openssl req -x509 %s -keyout server.key -out server.crt "
	                   "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -days 2",
	                   tls_dir, ec), 0);
	for (int i = 0; i < 2; i++)
		cr_assert_eq(sh_ok("cd '%s' && openssl req -x509 %s -keyout ca%d.key -out ca%d.crt "
		                   "-subj /CN=test-ca-%d -days 2",
		                   tls_dir, ec, i, i, i), 0);
	zt_test_write("client.ext", "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n");
	for (int i = 0; i < 2; i++)
		cr_assert_eq(sh_ok("cd '%s' && openssl req -new %s -keyout client%d.key -out client%d.csr "
		                   "-subj '/CN=H5101010%d/O=County Hospital' && openssl x509 -req -in client%d.csr "
		                   "-CA ca%d.crt -CAkey ca%d.key -CAcreateserial -days 2 -out client%d.crt "
		                   "-extfile client.ext",
		                   tls_dir, ec, i, i, i, i, i, i, i), 0);
	cr_assert_eq(sh_ok("chmod 600 '%s'/*.key", tls_dir), 0);
}

Test(service_tls, https_with_tls_1_2_and_1_3_and_never_1_1)
{
	make_certs();
	struct zt_service_opts o;
	test_opts(&o);
	char crt[600], key[600];
	snprintf(crt, sizeof crt, "%s/server.crt", tls_dir);
	snprintf(key, sizeof key, "%s/server.key", tls_dir);
	o.tls_cert = crt;
	o.tls_key = key;
	start(&o);
	struct zt_http_resp r = call(&(struct zt_http_call){.scheme = "https", .path = "/healthz", .cainfo = crt});
	cr_assert_eq(r.rc, CURLE_OK, "%s", r.error);
	cr_assert_eq(r.status, 200);
	zt_http_free(&r);
	r = call(&(struct zt_http_call){.scheme = "https", .path = "/test/echo", .token = DESK, .cainfo = crt});
	cr_assert_eq(r.status, 200);
	cr_assert_str_eq(member(&r, "cert"), "", "no client CA: no client certificate");
	zt_http_free(&r);
	/* plain HTTP to the TLS port gets nothing */
	r = get("/healthz", NULL);
	cr_assert_neq(r.status, 200);
	zt_http_free(&r);
#define SC "echo | timeout 10 openssl s_client -connect 127.0.0.1:%u %s 2>&1"
	struct run v12 = sh(SC, port, "-tls1_2");
	cr_assert(strstr(v12.out, "Protocol  : TLSv1.2") || strstr(v12.out, "TLSv1.2"), "%s", v12.out);
	run_free(&v12);
	struct run v13 = sh(SC, port, "-tls1_3");
	cr_assert(strstr(v13.out, "TLSv1.3"), "%s", v13.out);
	run_free(&v13);
	/* TLS 1.1 with every cipher the client has (security level 0, so the
	 * client side is no obstacle): the server refuses the handshake */
	struct run v11 = sh(SC, port, "-tls1_1 -cipher DEFAULT:@SECLEVEL=0");
	cr_assert_neq(v11.code, 0, "TLS 1.1 was taken:\n%s", v11.out);
	cr_assert(strstr(v11.out, "Cipher is (NONE)"), "TLS 1.1 was taken:\n%s", v11.out);
	run_free(&v11);
	struct run v10 = sh(SC, port, "-tls1 -cipher DEFAULT:@SECLEVEL=0");
	cr_assert_neq(v10.code, 0, "TLS 1.0 was taken:\n%s", v10.out);
	cr_assert(strstr(v10.out, "Cipher is (NONE)"), "TLS 1.0 was taken:\n%s", v10.out);
	run_free(&v10);
	/* the same client command does speak TLS 1.1 to a server that allows it
	 * (s_server stops at the end of its stdin: a sleep keeps it open) */
	struct run ctl = sh("cd '%s' && (sleep 10 | timeout 10 openssl s_server -accept 127.0.0.1:0 -cert server.crt "
	                    "-key server.key -tls1_1 -cipher DEFAULT:@SECLEVEL=0 -naccept 1 > s_server.out 2>&1 &) "
	                    "&& for i in $(seq 50); do grep -q ACCEPT s_server.out && break; sleep 0.1; done "
	                    "&& p=$(sed -n 's/^ACCEPT .*:\\([0-9]*\\)$/\\1/p' s_server.out) "
	                    "&& echo | timeout 10 openssl s_client -connect 127.0.0.1:$p -tls1_1 "
	                    "-cipher DEFAULT:@SECLEVEL=0 2>&1",
	                    tls_dir);
	cr_assert(strstr(ctl.out, "Protocol  : TLSv1.1") && !strstr(ctl.out, "Cipher is (NONE)"),
	          "the control handshake failed:\n%s%s", ctl.out, ctl.err);
	run_free(&ctl);
}

Test(service_tls, a_client_certificate_is_required_with_client_ca_and_seen_by_handlers)
{
	make_certs();
	struct zt_service_opts o;
	test_opts(&o);
	char crt[600], key[600], ca[600], c0[600], k0[600], c1[600], k1[600];
	snprintf(crt, sizeof crt, "%s/server.crt", tls_dir);
	snprintf(key, sizeof key, "%s/server.key", tls_dir);
	snprintf(ca, sizeof ca, "%s/ca0.crt", tls_dir);
	snprintf(c0, sizeof c0, "%s/client0.crt", tls_dir);
	snprintf(k0, sizeof k0, "%s/client0.key", tls_dir);
	snprintf(c1, sizeof c1, "%s/client1.crt", tls_dir);
	snprintf(k1, sizeof k1, "%s/client1.key", tls_dir);
	o.tls_cert = crt;
	o.tls_key = key;
	o.client_ca = ca;
	start(&o);
	struct zt_http_resp r = call(&(struct zt_http_call){.scheme = "https", .path = "/test/echo", .token = DESK, .cainfo = crt});
	assert_error(&r, 403, "client-certificate-required");
	zt_http_free(&r);
	r = call(&(struct zt_http_call){.scheme = "https", .path = "/healthz", .cainfo = crt});
	assert_error(&r, 403, "client-certificate-required");
	zt_http_free(&r);
	/* issued by another CA */
	r = call(&(struct zt_http_call){.scheme = "https", .path = "/test/echo", .token = DESK, .cainfo = crt,
	                        .cert = c1, .key = k1});
	if (r.rc == CURLE_OK)
		assert_error(&r, 403, "client-certificate-required");
	zt_http_free(&r);
	r = call(&(struct zt_http_call){.scheme = "https", .path = "/test/echo", .token = DESK, .cainfo = crt,
	                        .cert = c0, .key = k0});
	cr_assert_eq(r.rc, CURLE_OK, "%s", r.error);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_str_eq(member(&r, "cert"), "O=County Hospital,CN=H51010100");
	zt_http_free(&r);
	cr_assert_eq(atomic_load(&handler_calls), 1);
}

Test(service_tls, a_private_key_readable_by_everyone_is_refused)
{
	make_certs();
	cr_assert_eq(sh_ok("chmod 644 '%s/server.key'", tls_dir), 0);
	struct zt_service_opts o;
	test_opts(&o);
	char crt[600], key[600];
	snprintf(crt, sizeof crt, "%s/server.crt", tls_dir);
	snprintf(key, sizeof key, "%s/server.key", tls_dir);
	o.tls_cert = crt;
	o.tls_key = key;
	struct zt_service *s = NULL;
	cr_assert_eq(zt_service_new(&s, &o), ZT_EINVAL);
	cr_assert(strstr(zt_error_last(), "can be read by everyone"), "%s", zt_error_last());
}

/* ===================================================================
 * A clean stop: SIGTERM to a process serving a slow request
 * =================================================================== */

struct slow_call {
	unsigned port;
	struct zt_http_resp r;
};

static void *slow_request(void *arg)
{
	struct slow_call *s = arg;
	s->r = call(&(struct zt_http_call){.path = "/test/slow?ms=1500", .token = DESK, .body = "{}",
	                           .content_type = "application/json", .port = s->port});
	return NULL;
}

/* Forks a child that serves with zt_service_run (as `zhitong serve` does)
 * and returns the port it listens on. */
static pid_t serve_child(unsigned *child_port, const char *stderr_path)
{
	struct zt_service_opts o;
	test_opts(&o); /* log_file is set here, for the parent to read */
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		FILE *e = freopen(stderr_path, "w", stderr);
		(void)e;
		setvbuf(stderr, NULL, _IONBF, 0);
		struct zt_service *s = build(&o);
		int rc = zt_service_run(s);
		zt_service_free(s);
		_exit(rc == 0 ? 0 : 3);
	}
	*child_port = zt_test_served_port(pid, stderr_path);
	return pid;
}

Test(service_stop, sigterm_lets_the_request_in_flight_finish_then_exits_0)
{
	const char *err = tmp_path("child.err");
	unsigned p = 0;
	pid_t pid = serve_child(&p, err);
	struct slow_call sc = {.port = p};
	pthread_t th;
	pthread_create(&th, NULL, slow_request, &sc);
	usleep(400 * 1000); /* the request is in the handler now */
	cr_assert_eq(kill(pid, SIGTERM), 0);
	pthread_join(th, NULL);

	cr_assert_eq(sc.r.rc, CURLE_OK, "%s", sc.r.error);
	cr_assert_eq(sc.r.status, 200, "%s", sc.r.body);
	cr_assert_str_eq(sc.r.body, "{\"slept_ms\":1500}");
	const char *conn = zt_http_header(&sc.r, "Connection");
	cr_assert(conn && strcmp(conn, "close") == 0, "no more requests on it:\n%s", sc.r.headers);
	zt_http_free(&sc.r);
	int st = 0;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exit status %d", st);
	char *e = zt_test_slurp(err);
	cr_assert(strstr(e, "stopping; 1 requests in flight"), "%s", e);
	cr_assert(strstr(e, "zhitong: stopped"), "%s", e);
	free(e);
	/* and nothing listens there any more */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)p)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_neq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	close(fd);
	/* its log line was written before the exit */
	char *log = zt_test_slurp(log_file);
	cr_assert(log && strstr(log, "route=/test/slow status=200"), "%s", log ? log : "(no log)");
	free(log);
}

Test(service_stop, sigint_with_nothing_in_flight_stops_at_once)
{
	const char *err = tmp_path("child.err");
	unsigned p = 0;
	pid_t pid = serve_child(&p, err);
	struct zt_http_resp r = call(&(struct zt_http_call){.path = "/healthz", .port = p});
	cr_assert_eq(r.status, 200);
	zt_http_free(&r);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_assert_eq(kill(pid, SIGINT), 0);
	int st = 0;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exit status %d", st);
	cr_assert_lt(seconds_since(&t0), 3.0);
}

/* ===================================================================
 * zhitong serve, the program
 * =================================================================== */

static pid_t serve_program(const char *args, const char *err_path, unsigned *p, unsigned *mp)
{
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		char cmd[2048];
		snprintf(cmd, sizeof cmd, "exec %s %s 2>'%s' </dev/null", ZT_TEST_ZHITONG, args, err_path);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100; i++) {
		char *e = zt_test_slurp(err_path);
		const char *at = e ? strstr(e, "serving on http://127.0.0.1:") : NULL;
		const char *m = e ? strstr(e, "metrics on http://127.0.0.1:") : NULL;
		if (at && (!mp || m)) {
			*p = (unsigned)atoi(at + strlen("serving on http://127.0.0.1:"));
			if (mp)
				*mp = (unsigned)atoi(m + strlen("metrics on http://127.0.0.1:"));
			free(e);
			return pid;
		}
		free(e);
		usleep(50 * 1000);
	}
	kill(pid, SIGKILL);
	cr_assert_fail("zhitong serve never said where it serves");
	return pid;
}

Test(service_cli, zhitong_serve_answers_and_stops_on_sigterm)
{
	const char *err = tmp_path("serve.err");
	const char *log = tmp_path("serve.log");
	char args[1024];
	snprintf(args, sizeof args, "serve --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 --log '%s'", log);
	unsigned p = 0, mp = 0;
	pid_t pid = serve_program(args, err, &p, &mp);
	struct zt_http_resp r = call(&(struct zt_http_call){.path = "/healthz", .port = p});
	cr_assert_eq(r.status, 200);
	zt_http_free(&r);
	r = call(&(struct zt_http_call){.path = "/v1/openapi.json", .port = p, .token = DESK});
	assert_error(&r, 401, "unauthorized"); /* no users yet */
	zt_http_free(&r);
	r = call(&(struct zt_http_call){.path = "/metrics", .port = mp});
	cr_assert_eq(r.status, 200, "%s", r.body);
	assert_prometheus(r.body);
	cr_assert_eq(sample_value(r.body, "zhitong_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"}"), 1);
	cr_assert_eq(sample_value(r.body, "zhitong_http_requests_total{method=\"GET\",route=\"/v1/openapi.json\",status=\"401\"}"), 1);
	zt_http_free(&r);
	r = call(&(struct zt_http_call){.path = "/test/echo", .port = mp});
	assert_error(&r, 404, "not-found");
	zt_http_free(&r);
	cr_assert_eq(kill(pid, SIGTERM), 0);
	int st = 0;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exit status %d", st);
	char *l = zt_test_slurp(log);
	cr_assert(strstr(l, "route=/healthz status=200"), "%s", l);
	cr_assert(strstr(l, "route=/v1/openapi.json status=401"), "%s", l);
	cr_assert_null(strstr(l, "/metrics"), "the metrics listener is not logged");
	free(l);
}

Test(service_cli, zhitong_serve_refuses_plain_http_off_loopback_and_bad_settings)
{
	char *out = NULL, *e = NULL;
	int code = zt_test_run(&out, &e, "serve --listen 0.0.0.0:0");
	cr_assert_eq(code, 2, "%s", e);
	cr_assert(strstr(e, "zhitong: serve: plain HTTP on '0.0.0.0:0' is refused outside loopback"), "%s", e);
	free(out);
	free(e);
	code = zt_test_run(&out, &e, "serve --listen nowhere");
	cr_assert_eq(code, 2);
	cr_assert(strstr(e, "listen address 'nowhere'"), "%s", e);
	free(out);
	free(e);
	code = zt_test_run(&out, &e, "serve --tls-cert /nonexistent.pem");
	cr_assert_eq(code, 2, "%s", e);
	free(out);
	free(e);
	const char *conf = zt_test_write("bad.conf", "[service]\ntrusted-proxy = 127.0.0.1 10.1.0.0/8\n");
	code = zt_test_run(&out, &e, "--config '%s' serve", conf);
	cr_assert_eq(code, 2, "%s", e);
	cr_assert(strstr(e, "bad.conf: [service] trusted proxy '10.1.0.0/8' has bits set past /8"), "%s", e);
	free(out);
	free(e);
	conf = zt_test_write("bad2.conf", "[service]\nidle-timeout-s = 0\n");
	code = zt_test_run(&out, &e, "--config '%s' serve", conf);
	cr_assert_eq(code, 2, "%s", e);
	cr_assert(strstr(e, "[service] idle-timeout-s must be a whole number from 1 to 3600"), "%s", e);
	free(out);
	free(e);
	conf = zt_test_write("bad3.conf", "[service]\nlisten-address = 127.0.0.1:1\n");
	code = zt_test_run(&out, &e, "--config '%s' serve", conf);
	cr_assert_eq(code, 2, "%s", e);
	cr_assert(strstr(e, "unknown setting 'listen-address' in [service]"), "%s", e);
	free(out);
	free(e);
}

Test(service_cli, zhitong_serve_reads_its_service_section)
{
	const char *err = tmp_path("serve.err");
	const char *log = tmp_path("from-config.log");
	char conf_text[1024];
	snprintf(conf_text, sizeof conf_text,
	         "[service]\nlisten = 127.0.0.1:0\nlog = %s\ntrusted-proxy = 127.0.0.1 ::1 10.0.0.0/8\n"
	         "address-rate-per-s = 1\naddress-burst = 2\n", log);
	const char *conf = zt_test_write("serve.conf", conf_text);
	chmod(conf, 0600);
	char args[1024];
	snprintf(args, sizeof args, "--config '%s' serve", conf);
	unsigned p = 0;
	pid_t pid = serve_program(args, err, &p, NULL);
	long st200 = 0, st429 = 0;
	for (int i = 0; i < 3; i++) {
		/* each from another client behind the trusted proxy: no limit hit */
		char h[64];
		snprintf(h, sizeof h, "X-Forwarded-For: 198.51.100.%d", i);
		struct zt_http_resp r = call(&(struct zt_http_call){.path = "/healthz", .port = p, .headers = {h}});
		st200 += r.status == 200;
		zt_http_free(&r);
	}
	for (int i = 0; i < 3; i++) {
		struct zt_http_resp r = call(&(struct zt_http_call){.path = "/healthz", .port = p,
		                                    .headers = {"X-Forwarded-For: 203.0.113.50"}});
		st429 += r.status == 429;
		zt_http_free(&r);
	}
	cr_assert_eq(st200, 3, "three clients, one request each");
	cr_assert_eq(st429, 1, "the same client a third time");
	kill(pid, SIGTERM);
	int st = 0;
	waitpid(pid, &st, 0);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	char *l = zt_test_slurp(log);
	cr_assert(strstr(l, "client=198.51.100.2"), "%s", l);
	cr_assert(strstr(l, "status=429 ms="), "%s", l);
	free(l);
}
