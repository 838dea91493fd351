/* zhitong — the web console's logins, sessions and CSRF tokens (issue 12;
 * docs/spec/service.md "Users, roles and tokens": a cookie only as the
 * console's session, HttpOnly and SameSite=Strict, with a CSRF token on
 * every change). `zhitong serve` started as a program on a free loopback
 * port over a database with users, driven with libcurl: passwords set with
 * `user password` (stdin, never argv), argon2id, the lockout, the cookie's
 * attributes (Secure behind a trusted TLS proxy), the CSRF token, logout,
 * a disabled user's session, the console's Content-Security-Policy, and
 * the tokens of systems working on beside it. The browser's side is
 * tests/console/ (Chromium, test_console_browser). */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "httputil.h"
#include "testutil.h"
#include "zhitong/error.h"
#include "zhitong/json.h"
#include "zhitong/users.h"

#define REGISTRY ZT_TEST_SOURCE_DIR "/rules/registry-510101.xml"
#define DESK_PW "desk-password-1"
#define AUD_PW "auditor-password-1"

static void setup(void)
{
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void teardown(void) { curl_global_cleanup(); }

TestSuite(console_auth, .init = setup, .fini = teardown, .timeout = 240);

static char *add_user(const char *db, const char *args)
{
	char *out = zt_test_db_ok(db, "user add %s", args);
	out[strcspn(out, "\n")] = '\0';
	return out;
}

/* `user password NAME --by BY` with `pw` on stdin: the exit status. */
static int set_password(const char *db, const char *name, const char *by, const char *pw)
{
	const char *f = tmp_path("pw.txt");
	FILE *fp = fopen(f, "w");
	cr_assert(fp);
	fprintf(fp, "%s\n", pw);
	fclose(fp);
	return zt_test_sh_code("'%s' --db '%s' user password %s --by %s <'%s' >/dev/null 2>&1",
	                       ZT_TEST_ZHITONG, db, name, by, f);
}

/* A database with the registry, an admin, a desk and an auditor with
 * passwords; *desk_token is the desk's bearer token. */
static const char *console_db(const char *name, char **desk_token)
{
	static char db[512];
	snprintf(db, sizeof db, "%s", tmp_path(name));
	free(zt_test_db_ok(db, "init"));
	free(zt_test_db_ok(db, "registry load '%s' --by setup", REGISTRY));
	free(add_user(db, "root --role admin --by setup"));
	*desk_token = add_user(db, "desk1 --role desk --hospital H51010101 --by root");
	free(add_user(db, "aud --role auditor --by root"));
	cr_assert_eq(set_password(db, "desk1", "root", DESK_PW), 0);
	cr_assert_eq(set_password(db, "aud", "root", AUD_PW), 0);
	return db;
}

static pid_t serve(const char *db, const char *config, unsigned *port)
{
	return zt_test_serve(db, config, tmp_path("serve.err"), port);
}

static void stop(pid_t pid)
{
	kill(pid, SIGTERM);
	int st = 0;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "serve's exit status %d", st);
}

static struct zt_http_resp login(unsigned port, const char *name, const char *pw,
                                 const char *extra)
{
	char body[256];
	snprintf(body, sizeof body, "{\"name\": \"%s\", \"password\": \"%s\"}", name, pw);
	return zt_http(&(struct zt_http_call){.port = port, .method = "POST",
	                                      .path = "/console/login", .body = body,
	                                      .content_type = "application/json",
	                                      .headers = {extra}});
}

/* The session id of a login's Set-Cookie, and its CSRF token from the body. */
struct session {
	char cookie[128]; /* "Cookie: zt_session=..." */
	char csrf_header[128];
	char set_cookie[256];
};

static struct session session_of(const struct zt_http_resp *r)
{
	struct session s = {0};
	cr_assert_eq(r->status, 200, "login: %ld %s", r->status, r->body);
	const char *sc = zt_http_header(r, "Set-Cookie");
	cr_assert(sc, "a login sets a cookie");
	snprintf(s.set_cookie, sizeof s.set_cookie, "%s", sc);
	regex_t re;
	regmatch_t m[2];
	cr_assert_eq(regcomp(&re, "^zt_session=([0-9a-f]{64});", REG_EXTENDED), 0);
	cr_assert_eq(regexec(&re, sc, 2, m, 0), 0, "the cookie '%s'", sc);
	regfree(&re);
	snprintf(s.cookie, sizeof s.cookie, "Cookie: zt_session=%.*s", (int)(m[1].rm_eo - m[1].rm_so),
	         sc + m[1].rm_so);
	struct zt_json_doc *d = NULL;
	cr_assert_eq(zt_json_parse(&d, r->body, r->len, NULL), 0);
	const struct zt_json *c = zt_json_find(zt_json_root(d), "csrf");
	cr_assert(c && c->text && strlen(c->text) == 64, "the login's CSRF token: %s", r->body);
	cr_assert(!strstr(r->body, s.cookie + strlen("Cookie: zt_session=")),
	          "the session id is never in the body");
	snprintf(s.csrf_header, sizeof s.csrf_header, "X-CSRF-Token: %s", c->text);
	zt_json_doc_free(d);
	return s;
}

static long status(struct zt_http_call c)
{
	struct zt_http_resp r = zt_http(&c);
	cr_assert_eq(r.rc, CURLE_OK, "curl: %s", r.error);
	long st = r.status;
	zt_http_free(&r);
	return st;
}

static void expect_code(const struct zt_http_resp *r, long st, const char *code)
{
	cr_expect_eq(r->status, st, "status %ld, not %ld: %s", r->status, st, r->body);
	char want[96];
	snprintf(want, sizeof want, "\"code\":\"%s\"", code);
	cr_expect(r->body && strstr(r->body, want), "'%s' lacks %s", r->body, want);
}

Test(console_auth, a_password_is_read_from_stdin_never_argv_and_stored_as_argon2id)
{
	char *tok;
	const char *db = console_db("pw.db", &tok);
	char *h = zt_test_rows(db, "SELECT password_hash FROM users WHERE name = 'desk1'");
	cr_expect(strncmp(h, "$argon2id$v=19$m=19456,t=2,p=1$", 31) == 0, "stored: %s", h);
	cr_expect(!strstr(h, DESK_PW), "never the password");
	free(h);
	/* two users with one password: two salts */
	cr_assert_eq(set_password(db, "aud", "root", DESK_PW), 0);
	long long same = zt_test_sql_int(db, "SELECT count(DISTINCT password_hash) FROM users "
	                                     "WHERE password_hash IS NOT NULL");
	cr_expect_eq(same, 2, "each hash has its own salt");
	/* the command line never takes it */
	struct run r = zt_test_db(db, "user password desk1 %s --by root", DESK_PW);
	cr_expect_eq(r.code, 2, "a password as an argument is a usage error: %s", r.err);
	run_free(&r);
	cr_expect_eq(set_password(db, "desk1", "root", "short"), 2, "under 10 characters");
	/* only an admin sets another's; a user their own */
	cr_expect_neq(set_password(db, "desk1", "aud", "another-password"), 0);
	cr_expect_eq(set_password(db, "aud", "aud", "my-own-password"), 0);
	char *audit = zt_test_db_ok(db, "audit list");
	cr_expect(strstr(audit, "user password"), "an audit record: %s", audit);
	cr_expect(!strstr(audit, DESK_PW));
	free(audit);
	free(tok);
}

Test(console_auth, login_session_cookie_csrf_and_logout)
{
	char *tok;
	const char *db = console_db("session.db", &tok);
	unsigned port;
	pid_t pid = serve(db, NULL, &port);

	struct zt_http_resp r = login(port, "desk1", "wrong-password-0", NULL);
	expect_code(&r, 401, "login-failed");
	cr_expect(!zt_http_header(&r, "Set-Cookie"));
	zt_http_free(&r);
	r = login(port, "nobody", DESK_PW, NULL);
	expect_code(&r, 401, "login-failed"); /* the same answer for an unknown name */
	zt_http_free(&r);

	r = login(port, "DESK1", DESK_PW, NULL); /* names are normalised */
	struct session s = session_of(&r);
	cr_expect(strstr(r.body, "\"role\":\"desk\"") && strstr(r.body, "\"H51010101\""), "%s",
	          r.body);
	zt_http_free(&r);
	cr_expect(strstr(s.set_cookie, "; HttpOnly"), "%s", s.set_cookie);
	cr_expect(strstr(s.set_cookie, "; SameSite=Strict"), "%s", s.set_cookie);
	cr_expect(strstr(s.set_cookie, "; Path=/"), "%s", s.set_cookie);
	cr_expect(!strstr(s.set_cookie, "Secure"), "plain HTTP on loopback: not Secure");

	/* reads with the cookie alone */
	cr_expect_eq(status((struct zt_http_call){.port = port, .path = "/v1/settlements?limit=1",
	                                          .headers = {s.cookie}}), 200);
	r = zt_http(&(struct zt_http_call){.port = port, .path = "/console/session",
	                                   .headers = {s.cookie}});
	cr_expect_eq(r.status, 200);
	cr_expect(strstr(r.body, s.csrf_header + strlen("X-CSRF-Token: ")), "the same CSRF token");
	zt_http_free(&r);
	/* the role still holds: a desk reads no audit trail, verify */
	cr_expect_eq(status((struct zt_http_call){.port = port, .path = "/v1/verify",
	                                          .headers = {s.cookie}}), 403);

	/* a change without the CSRF token, or with another: 403, nothing done */
	const char *reversal = "/v1/claims/H51010101/NO-SUCH/reversal";
	const char *body = "{\"setl_id\": \"S1\", \"reason\": \"x\"}";
	r = zt_http(&(struct zt_http_call){.port = port, .method = "POST", .path = reversal,
	                                   .body = body, .content_type = "application/json",
	                                   .headers = {s.cookie}});
	expect_code(&r, 403, "csrf-token-invalid");
	zt_http_free(&r);
	char wrong[128];
	snprintf(wrong, sizeof wrong, "%s", s.csrf_header);
	wrong[strlen(wrong) - 1] = wrong[strlen(wrong) - 1] == '0' ? '1' : '0';
	r = zt_http(&(struct zt_http_call){.port = port, .method = "POST", .path = reversal,
	                                   .body = body, .content_type = "application/json",
	                                   .headers = {s.cookie, wrong}});
	expect_code(&r, 403, "csrf-token-invalid");
	zt_http_free(&r);
	/* with it, the request reaches the endpoint (no such claim) */
	r = zt_http(&(struct zt_http_call){.port = port, .method = "POST", .path = reversal,
	                                   .body = body, .content_type = "application/json",
	                                   .headers = {s.cookie, s.csrf_header}});
	cr_expect(r.status != 403 && r.status != 401, "%ld %s", r.status, r.body);
	zt_http_free(&r);

	/* a systems' token works on beside it, without any CSRF token */
	cr_expect_eq(status((struct zt_http_call){.port = port, .path = "/v1/settlements?limit=1",
	                                          .token = tok}), 200);
	/* a token with a cookie: the token decides */
	cr_expect_eq(status((struct zt_http_call){.port = port, .path = "/v1/settlements?limit=1",
	                                          .token = "zt_0000000000000000000000000000000000000000",
	                                          .headers = {s.cookie}}), 401);

	/* logout needs the CSRF token too; then the cookie is dead */
	cr_expect_eq(status((struct zt_http_call){.port = port, .method = "POST",
	                                          .path = "/console/logout", .headers = {s.cookie}}),
	             403);
	r = zt_http(&(struct zt_http_call){.port = port, .method = "POST", .path = "/console/logout",
	                                   .headers = {s.cookie, s.csrf_header}});
	cr_expect_eq(r.status, 204);
	const char *gone = zt_http_header(&r, "Set-Cookie");
	cr_expect(gone && strstr(gone, "Max-Age=0"), "logout clears the cookie: %s", gone);
	zt_http_free(&r);
	r = zt_http(&(struct zt_http_call){.port = port, .path = "/v1/settlements?limit=1",
	                                   .headers = {s.cookie}});
	expect_code(&r, 401, "session-ended");
	zt_http_free(&r);
	/* a session id never issued */
	cr_expect_eq(status((struct zt_http_call){.port = port, .path = "/console/session",
	                                          .headers = {"Cookie: zt_session=00000000000000000000"
	                                                      "00000000000000000000000000000000000000000000"}}),
	             401);

	/* a login brings a new session and ends the one the browser had */
	r = login(port, "desk1", DESK_PW, NULL);
	struct session s1 = session_of(&r);
	zt_http_free(&r);
	r = login(port, "desk1", DESK_PW, s1.cookie);
	struct session s2 = session_of(&r);
	zt_http_free(&r);
	cr_expect_str_neq(s1.cookie, s2.cookie);
	cr_expect_eq(status((struct zt_http_call){.port = port, .path = "/console/session",
	                                          .headers = {s1.cookie}}), 401);
	cr_expect_eq(status((struct zt_http_call){.port = port, .path = "/console/session",
	                                          .headers = {s2.cookie}}), 200);

	/* a disabled user's session ends at once */
	r = login(port, "aud", AUD_PW, NULL);
	struct session a = session_of(&r);
	zt_http_free(&r);
	cr_expect_eq(status((struct zt_http_call){.port = port, .path = "/v1/verify",
	                                          .headers = {a.cookie}}), 200, "an auditor verifies");
	free(zt_test_db_ok(db, "user disable aud --by root"));
	cr_expect_eq(status((struct zt_http_call){.port = port, .path = "/v1/verify",
	                                          .headers = {a.cookie}}), 401);
	stop(pid);
	free(tok);
}

Test(console_auth, repeated_failures_lock_the_login)
{
	char *tok;
	const char *db = console_db("lock.db", &tok);
	unsigned port;
	pid_t pid = serve(db, NULL, &port);
	for (int i = 0; i < ZT_LOGIN_FAILURES_MAX; i++) {
		struct zt_http_resp r = login(port, "desk1", "not-the-password", NULL);
		if (i < ZT_LOGIN_FAILURES_MAX - 1)
			expect_code(&r, 401, "login-failed");
		else
			expect_code(&r, 403, "login-locked"); /* the failure that locks */
		zt_http_free(&r);
	}
	/* now even the right password is refused, with when to come back */
	struct zt_http_resp r = login(port, "desk1", DESK_PW, NULL);
	expect_code(&r, 403, "login-locked");
	const char *ra = zt_http_header(&r, "Retry-After");
	cr_expect(ra && atoi(ra) > 0 && atoi(ra) <= ZT_LOGIN_LOCK_S, "Retry-After: %s", ra);
	zt_http_free(&r);
	/* another user is not locked out by it */
	r = login(port, "aud", AUD_PW, NULL);
	cr_expect_eq(r.status, 200);
	zt_http_free(&r);
	/* the systems' token is not locked either */
	cr_expect_eq(status((struct zt_http_call){.port = port, .path = "/v1/settlements?limit=1",
	                                          .token = tok}), 200);
	char *audit = zt_test_db_ok(db, "audit list");
	cr_expect(strstr(audit, "user locked"), "an audit record: %s", audit);
	free(audit);
	/* an administrator's new password ends the lock */
	cr_assert_eq(set_password(db, "desk1", "root", "a-new-password-2"), 0);
	r = login(port, "desk1", "a-new-password-2", NULL);
	cr_expect_eq(r.status, 200, "%s", r.body);
	zt_http_free(&r);
	/* a success clears the count: four more failures do not lock */
	for (int i = 0; i < ZT_LOGIN_FAILURES_MAX - 1; i++) {
		r = login(port, "desk1", "not-the-password", NULL);
		expect_code(&r, 401, "login-failed");
		zt_http_free(&r);
	}
	r = login(port, "desk1", "a-new-password-2", NULL);
	cr_expect_eq(r.status, 200, "%s", r.body);
	zt_http_free(&r);
	stop(pid);
	free(tok);
}

Test(console_auth, the_cookie_is_secure_behind_a_trusted_tls_proxy)
{
	char *tok;
	const char *db = console_db("proxy.db", &tok);
	unsigned port;
	/* no trusted proxy: the header is not believed */
	pid_t pid = serve(db, NULL, &port);
	struct zt_http_resp r = login(port, "desk1", DESK_PW, "X-Forwarded-Proto: https");
	struct session s = session_of(&r);
	cr_expect(!strstr(s.set_cookie, "Secure"), "%s", s.set_cookie);
	zt_http_free(&r);
	stop(pid);
	const char *cfg = zt_test_write("proxy.conf", "[service]\ntrusted-proxy = 127.0.0.1\n");
	pid = serve(db, cfg, &port);
	r = login(port, "desk1", DESK_PW, "X-Forwarded-Proto: https");
	s = session_of(&r);
	cr_expect(strstr(s.set_cookie, "; Secure"), "%s", s.set_cookie);
	zt_http_free(&r);
	r = login(port, "desk1", DESK_PW, NULL); /* the proxy said plain HTTP */
	s = session_of(&r);
	cr_expect(!strstr(s.set_cookie, "Secure"), "%s", s.set_cookie);
	zt_http_free(&r);
	stop(pid);
	free(tok);
}

Test(console_auth, the_console_is_built_in_with_a_strict_content_security_policy)
{
	char *tok;
	const char *db = console_db("page.db", &tok);
	unsigned port;
	pid_t pid = serve(db, NULL, &port);
	struct zt_http_resp r = zt_http(&(struct zt_http_call){.port = port, .path = "/console"});
	cr_expect_eq(r.status, 308);
	cr_expect_str_eq(zt_http_header(&r, "Location"), "/console/");
	zt_http_free(&r);
	const char *paths[] = {"/console/", "/console/app.js", "/console/app.css"};
	const char *types[] = {"text/html", "text/javascript", "text/css"};
	for (size_t i = 0; i < 3; i++) {
		r = zt_http(&(struct zt_http_call){.port = port, .path = paths[i]});
		cr_expect_eq(r.status, 200, "%s", paths[i]);
		cr_expect(strstr(zt_http_header(&r, "Content-Type"), types[i]), "%s", paths[i]);
		const char *csp = zt_http_header(&r, "Content-Security-Policy");
		cr_assert(csp, "%s has a CSP", paths[i]);
		cr_expect(strstr(csp, "default-src 'none'") && strstr(csp, "script-src 'self'") &&
		                  strstr(csp, "frame-ancestors 'none'"),
		          "%s", csp);
		cr_expect(!strstr(csp, "unsafe-inline") && !strstr(csp, "unsafe-eval") &&
		                  !strstr(csp, "http"),
		          "%s", csp);
		if (i == 0) {
			/* no inline script, nothing from another origin */
			cr_expect(!strstr(r.body, "<script>") && !strstr(r.body, "onclick=") &&
			                  !strstr(r.body, "http://") && !strstr(r.body, "https://"),
			          "the page: %s", r.body);
			cr_expect(strstr(r.body, "lang=\"zh-CN\""));
		}
		zt_http_free(&r);
	}
	cr_expect_eq(status((struct zt_http_call){.port = port, .path = "/console/secret.txt"}), 404);
	/* the slips' check is public; without a [slip] key it says so */
	r = zt_http(&(struct zt_http_call){.port = port, .path = "/v1/slips/verify?code=K1-AAAA"});
	expect_code(&r, 503, "no-slip-key");
	zt_http_free(&r);
	r = zt_http(&(struct zt_http_call){.port = port, .path = "/v1/slips/verify"});
	expect_code(&r, 400, "invalid-query");
	zt_http_free(&r);
	cr_expect_eq(status((struct zt_http_call){.port = port, .path = "/console/session"}), 401);
	stop(pid);
	free(tok);
}
