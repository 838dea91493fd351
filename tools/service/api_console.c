/* zhitong — the web console (issue 12; docs/spec/service.md "Users, roles
 * and tokens"): its pages, built into the program, and its sessions.
 *
 *   GET  /console, /console/        the page (tools/service/console/index.html)
 *   GET  /console/{asset}           app.js, app.css: nothing else, nothing fetched
 *                                   from elsewhere at run time
 *   POST /console/login             {"name", "password"}: a session cookie
 *                                   (HttpOnly, SameSite=Strict, Secure under TLS
 *                                   or behind a trusted TLS proxy) and its CSRF token
 *   GET  /console/session           who is logged in, the role, the scope, the CSRF token
 *   POST /console/logout            ends the session (with its CSRF token)
 *
 * The console's pages call the /v1 endpoints with the session's cookie
 * (the core checks it and the CSRF token: server.c). Every page answer
 * carries a strict Content-Security-Policy: scripts and styles from this
 * origin only, no inline script, no frame around the console. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "session.h"
#include "zhitong/date.h"
#include "zhitong/error.h"
#include "zhitong/users.h"

extern const unsigned char zt_console_index_html[], zt_console_app_js[], zt_console_app_css[];
extern const size_t zt_console_index_html_len, zt_console_app_js_len, zt_console_app_css_len;

#define CONSOLE_CSP                                                                               \
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "          \
	"connect-src 'self'; frame-src 'self'; form-action 'self'; frame-ancestors 'none'; "        \
	"base-uri 'none'"

static int page_headers(struct zt_request *r)
{
	int rc = zt_reply_header(r, "Content-Security-Policy", CONSOLE_CSP);
	if (rc == 0)
		rc = zt_reply_header(r, "X-Frame-Options", "DENY");
	if (rc == 0)
		rc = zt_reply_header(r, "Referrer-Policy", "no-referrer");
	return rc;
}

static int get_root(struct zt_request *r, void *ctx)
{
	(void)ctx;
	int rc = zt_reply_header(r, "Location", "/console/");
	return rc ? rc : zt_reply_bytes(r, 308, "text/plain; charset=utf-8", "/console/\n", 10);
}

static int get_index(struct zt_request *r, void *ctx)
{
	(void)ctx;
	int rc = page_headers(r);
	return rc ? rc : zt_reply_bytes(r, 200, "text/html; charset=utf-8", zt_console_index_html,
	                                zt_console_index_html_len);
}

static int get_asset(struct zt_request *r, void *ctx)
{
	(void)ctx;
	const char *name = zt_req_param(r, "asset");
	int rc = page_headers(r);
	if (rc)
		return rc;
	if (strcmp(name, "app.js") == 0)
		return zt_reply_bytes(r, 200, "text/javascript; charset=utf-8", zt_console_app_js,
		                      zt_console_app_js_len);
	if (strcmp(name, "app.css") == 0)
		return zt_reply_bytes(r, 200, "text/css; charset=utf-8", zt_console_app_css,
		                      zt_console_app_css_len);
	if (strcmp(name, "index.html") == 0)
		return get_index(r, ctx);
	return zt_reply_error(r, 404, "not-found", "no such resource");
}

/* The cookie's attributes: Secure when the browser reached us over TLS. */
static int set_cookie(struct zt_request *r, const char *value, bool expire)
{
	char c[ZT_SESSION_ID_CHARS + 128];
	snprintf(c, sizeof c, "%s=%s; Path=/; HttpOnly; SameSite=Strict%s%s",
	         ZT_SERVICE_SESSION_COOKIE, value, expire ? "; Max-Age=0" : "",
	         zt_req_secure(r) ? "; Secure" : "");
	return zt_reply_header(r, "Set-Cookie", c);
}

static int write_who(struct zt_json_writer *w, const char *user, unsigned roles,
                     const struct zt_scope *sc, const char *csrf)
{
	const char *role = zt_user_role_name(roles);
	int rc = zt_json_write_object_begin(w);
	if (rc == 0 && (rc = zt_json_write_key(w, "user")) == 0)
		rc = zt_json_write_string(w, user);
	if (rc == 0 && (rc = zt_json_write_key(w, "role")) == 0)
		rc = zt_json_write_string(w, role ? role : "");
	if (rc == 0 && (rc = zt_json_write_key(w, "hospitals")) == 0 &&
	    (rc = zt_json_write_array_begin(w)) == 0) {
		for (size_t i = 0; rc == 0 && i < sc->hospital_count; i++)
			rc = zt_json_write_string(w, sc->hospitals[i]);
		if (rc == 0)
			rc = zt_json_write_array_end(w);
	}
	if (rc == 0 && (rc = zt_json_write_key(w, "funds")) == 0 &&
	    (rc = zt_json_write_array_begin(w)) == 0) {
		for (size_t i = 0; rc == 0 && i < sc->fund_count; i++)
			rc = zt_json_write_string(w, sc->funds[i]);
		if (rc == 0)
			rc = zt_json_write_array_end(w);
	}
	/* what the role may do, by the access table's names ("claim-read"):
	 * the console shows the pages and buttons of these only (the
	 * endpoints decide, 403, whatever it shows) */
	if (rc == 0 && (rc = zt_json_write_key(w, "may")) == 0 &&
	    (rc = zt_json_write_array_begin(w)) == 0) {
		for (int op = 0; rc == 0 && op < ZT_OP_COUNT; op++)
			if (zt_access_allows(roles, (enum zt_op)op))
				rc = zt_json_write_string(w, zt_op_info((enum zt_op)op)->name);
		if (rc == 0)
			rc = zt_json_write_array_end(w);
	}
	/* the pool's today: the console's "today" and its 30 days */
	if (rc == 0 && (rc = zt_json_write_key(w, "today")) == 0)
		rc = zt_json_write_date(w, zt_date_today());
	if (rc == 0 && (rc = zt_json_write_key(w, "csrf")) == 0)
		rc = csrf ? zt_json_write_string(w, csrf) : zt_json_write_null(w);
	if (rc == 0)
		rc = zt_json_write_object_end(w);
	return rc;
}

static int post_login(struct zt_request *r, void *ctx)
{
	struct zt_api *a = ctx;
	size_t len;
	const char *body = zt_req_body(r, &len);
	struct zt_json_doc *d = NULL;
	const char *name = NULL, *pw = NULL;
	bool has_name = false, has_pw = false;
	static const char *const allowed[] = {"name", "password", NULL};
	if (zt_json_parse(&d, body, len, NULL) != 0)
		return zt_reply_error(r, 400, "malformed-json", "%s", zt_error_last());
	const struct zt_json *root = zt_json_root(d);
	if (zt_json_check_members(root, allowed) != 0 ||
	    zt_json_get_text(&name, &has_name, root, "name", ZT_ACTOR_CHARS_MAX) != 0 ||
	    zt_json_get_text(&pw, &has_pw, root, "password", ZT_PASSWORD_BYTES_MAX) != 0 ||
	    !has_name || !has_pw) {
		zt_json_doc_free(d);
		return zt_reply_error(r, 400, "invalid-request",
		                      "a login is {\"name\": ..., \"password\": ...}");
	}
	struct zt_store *s;
	if (api_store(r, a, false, &s) != 0) {
		zt_json_doc_free(d);
		return 0;
	}
	struct zt_users_principal p;
	int64_t until = 0, now = zt_date_now();
	int rc = zt_users_login(s, name, pw, now, &p, &until);
	zt_store_close(s);
	zt_json_doc_free(d); /* the password with it */
	if (rc == ZT_ECONFLICT || (rc == ZT_ENOTFOUND && until)) {
		char at[ZT_FMT_BYTES], ra[24];
		snprintf(ra, sizeof ra, "%lld", (long long)(until > now ? until - now : 1));
		zt_reply_header(r, "Retry-After", ra);
		zt_timestamp_utc(at, until);
		return zt_reply_error(r, 403, "login-locked",
		                      "too many failed logins: locked until %s", at);
	}
	if (rc == ZT_ENOTFOUND)
		return zt_reply_error(r, 401, "login-failed", "wrong name or password");
	if (rc)
		return api_fail(r, rc);
	/* a new session every time, never the one the browser brought
	 * (session fixation): that one ends here */
	const char *old = zt_req_cookie(r, ZT_SERVICE_SESSION_COOKIE);
	if (old)
		zt_sessions_end(a->sessions, old);
	char sid[ZT_SESSION_ID_CHARS + 1], csrf[ZT_SESSION_CSRF_CHARS + 1];
	rc = zt_sessions_create(a->sessions, p.user, now, sid, csrf);
	struct zt_json_writer *w = NULL;
	if (rc == 0)
		rc = set_cookie(r, sid, false);
	explicit_bzero(sid, sizeof sid);
	if (rc == 0)
		rc = zt_json_writer_new(&w, false);
	if (rc == 0)
		rc = write_who(w, p.user, p.roles, &p.scope, csrf);
	explicit_bzero(csrf, sizeof csrf);
	zt_scope_free(&p.scope);
	if (rc == 0)
		rc = zt_reply_json(r, 200, w);
	zt_json_writer_free(w);
	return rc;
}

static int get_session(struct zt_request *r, void *ctx)
{
	struct zt_api *a = ctx;
	const struct zt_principal *p = zt_req_principal(r);
	char user[ZT_ACTOR_BYTES], csrf[ZT_SESSION_CSRF_CHARS + 1];
	bool has_csrf = zt_req_by_session(r) &&
	                zt_sessions_lookup(a->sessions, zt_req_cookie(r, ZT_SERVICE_SESSION_COOKIE),
	                                   zt_date_now(), user, csrf) == 0;
	struct zt_json_writer *w = NULL;
	int rc = zt_json_writer_new(&w, false);
	if (rc == 0)
		rc = write_who(w, p->user, p->roles, &p->scope, has_csrf ? csrf : NULL);
	explicit_bzero(csrf, sizeof csrf);
	if (rc == 0)
		rc = zt_reply_json(r, 200, w);
	zt_json_writer_free(w);
	return rc;
}

static int post_logout(struct zt_request *r, void *ctx)
{
	struct zt_api *a = ctx;
	if (!zt_req_by_session(r))
		return zt_reply_error(r, 400, "not-a-session", "only a console session logs out");
	zt_sessions_end(a->sessions, zt_req_cookie(r, ZT_SERVICE_SESSION_COOKIE));
	int rc = set_cookie(r, "", true);
	return rc ? rc : zt_reply_bytes(r, 204, NULL, "", 0);
}

int api_console_routes(struct zt_api *a, struct zt_service *s)
{
	if (!a->sessions)
		return 0; /* no console without sessions */
	const struct zt_route routes[] = {
		{.method = "GET", .path = "/console", .flags = ZT_ROUTE_PUBLIC, .handler = get_root,
		 .ctx = a, .summary = "the web console: to /console/"},
		{.method = "GET", .path = "/console/", .flags = ZT_ROUTE_PUBLIC, .handler = get_index,
		 .ctx = a, .summary = "the web console's page"},
		{.method = "GET", .path = "/console/{asset}", .flags = ZT_ROUTE_PUBLIC,
		 .handler = get_asset, .ctx = a, .summary = "the web console's script and style"},
		{.method = "POST", .path = "/console/login", .flags = ZT_ROUTE_PUBLIC,
		 .bodies = ZT_BODY(ZT_FORMAT_JSON), .body_bytes_max = 4096, .handler = post_login,
		 .ctx = a, .summary = "a console login: name and password; a session cookie"},
		{.method = "GET", .path = "/console/session", .flags = ZT_ROUTE_ANY_ROLE,
		 .handler = get_session, .ctx = a,
		 .summary = "who is logged in: user, role, scope, the session's CSRF token"},
		{.method = "POST", .path = "/console/logout", .flags = ZT_ROUTE_ANY_ROLE,
		 .handler = post_logout, .ctx = a, .summary = "ends the console session"},
	};
	for (size_t i = 0; i < sizeof routes / sizeof *routes; i++) {
		int rc = zt_service_add_route(s, &routes[i]);
		if (rc)
			return rc;
	}
	return 0;
}
