/* zhitong — `zhitong serve` on PostgreSQL survives losing its connections
 * (issue 13 §1, §5; docs/operations.md "A failover"):
 *
 *   - its server backends ended (pg_terminate_backend) while idle: no
 *     request fails; ended again and again under load: a request answers
 *     201, 200 (the same claim, stored before) or 503 store-unavailable
 *     with Retry-After — never anything else — and each desk's retry of a
 *     503 with the same claim settles it once: every claim stored exactly
 *     once, verify and audit verify clean;
 *   - its server stopped: 503 with Retry-After and the Chinese message,
 *     /healthz 503 store-unreachable; started again: serve carries on
 *     without a restart, the refused claim sent again settles once, and
 *     its stderr tells the loss and the reconnection (no password).
 *
 * An Idempotency-Key whose 5xx answer could not free it (the store gone
 * after the key was taken) is freed by the next request that reaches the
 * store: the retry with that key runs, never 409 idempotency-in-progress.
 *
 * And the store itself (the library): a connection lost while idle is
 * made again at BEGIN, nothing fails; lost before COMMIT, the commit
 * answers ZT_EUNAVAILABLE saying its outcome is unknown, and the next
 * transaction runs on a new connection that knows nothing of the old one.
 *
 * The first tests use databases of their own on the fixture's server
 * (tests/pg/); the second starts a server of its own (tests/pg/pg-harness),
 * since it stops it. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api.h"
#include "httputil.h"
#include "service.h"
#include "testutil.h"
#include "zhitong/error.h"
#include "zhitong/store.h"

#define REGISTRY ZT_TEST_SOURCE_DIR "/rules/registry-510101.xml"
#define POLICY ZT_TEST_SOURCE_DIR "/rules/sample-510101-2017.xml"
#define HARNESS ZT_TEST_SOURCE_DIR "/tests/pg/pg-harness"

#define DESKS 4
#define CLAIMS_PER_DESK_MAX 400
#define KILLS 6

/* init, the sample registry and policy, a desk user: its token */
static char *world(const char *target)
{
	char *out = NULL, *err = NULL;
	cr_assert_eq(zt_test_run(&out, &err, "--db '%s' init", target), 0, "%s", err);
	free(out);
	free(err);
	free(zt_test_ok("--db '%s' registry load '%s'", target, REGISTRY));
	free(zt_test_ok("--db '%s' rules load '%s'", target, POLICY));
	return zt_test_desk_token(target);
}

static const char *config(void)
{
	return zt_test_write("zhitong.conf", "[service]\n"
	                                     "user-rate-per-s = 1000000\nuser-burst = 1000000\n"
	                                     "address-rate-per-s = 1000000\naddress-burst = 1000000\n");
}

/* One class-A item of 300 yuan for person P0000001 under claim number no. */
static char *claim(const char *no)
{
	char *b = NULL;
	cr_assert(asprintf(&b,
	                   "{\"fixmedins_code\": \"H51010101\", \"claim_no\": \"%s\", \"psn_no\": "
	                   "\"P0000001\", \"adm_date\": \"2017-01-01\", \"dscg_date\": \"2017-03-01\", "
	                   "\"dscg_maindiag_code\": \"I63.900\", \"medfee_sumamt\": \"300.00\", "
	                   "\"items\": [{\"feedetl_sn\": \"1\", \"med_list_codg\": "
	                   "\"001201000010000-120100001\", \"med_chrgitm_type\": \"05\", "
	                   "\"chrgitm_lv\": \"01\", \"pric\": \"300.00\", \"cnt\": \"1\", "
	                   "\"det_item_fee_sumamt\": \"300.00\"}]}",
	                   no) > 0);
	return b;
}

static struct zt_http_resp post_claim(unsigned port, const char *token, const char *no)
{
	char *body = claim(no);
	struct zt_http_call c = {.port = port, .method = "POST", .path = "/v1/claims",
	                         .token = token, .body = body, .content_type = "application/json",
	                         .timeout_ms = 30000};
	struct zt_http_resp r = zt_http(&c);
	free(body);
	return r;
}

static long claim_status(unsigned port, const char *token, const char *no)
{
	struct zt_http_resp r = post_claim(port, token, no);
	long st = r.status;
	cr_expect(st == 201 || st == 503, "claim %s: %ld %s %s", no, st, r.error, r.body ? r.body : "");
	zt_http_free(&r);
	return st;
}

static long healthz(unsigned port, char *body, size_t cap)
{
	struct zt_http_call c = {.port = port, .method = "GET", .path = "/healthz"};
	struct zt_http_resp r = zt_http(&c);
	snprintf(body, cap, "%s", r.body ? r.body : "");
	long st = r.status;
	zt_http_free(&r);
	return st;
}

/* The 503 of a lost store: Retry-After, the code and the Chinese message. */
static void expect_unavailable(const struct zt_http_resp *r, const char *what)
{
	cr_assert_eq(r->status, 503, "%s: %ld %s", what, r->status, r->body ? r->body : r->error);
	cr_assert(zt_http_header(r, "Retry-After"), "%s: no Retry-After", what);
	cr_assert(r->body && strstr(r->body, "\"code\":\"store-unavailable\""), "%s: %s", what, r->body);
	cr_assert(strstr(r->body, "数据库暂时无法连接"), "%s: %s", what, r->body);
}

/* The settlements of claims numbered PREFIX…: how many rows, and how many
 * claim numbers appear more than once. */
static void stored(const char *target, const char *prefix, int *rows, int *twice)
{
	struct run r = sh("'%s' --db '%s' claim list --hospital H51010101 --format csv | "
	                  "grep -o ',%s[0-9-]*,' | sort > '%s' && wc -l < '%s' && uniq -d '%s' | wc -l",
	                  ZT_TEST_ZHITONG, target, prefix, tmp_path("nos.txt"), tmp_path("nos.txt"),
	                  tmp_path("nos.txt"));
	cr_assert_eq(r.code, 0, "%s", r.err);
	cr_assert_eq(sscanf(r.out, "%d %d", rows, twice), 2, "%s", r.out);
	run_free(&r);
}

static void verified(const char *target)
{
	char *out = zt_test_ok("--db '%s' verify", target);
	cr_assert(strstr(out, "OK: 0 violations"), "%s", out);
	free(out);
	free(zt_test_ok("--db '%s' audit verify", target));
}

/* What a failed assertion leaves running, ended (.fini): serve (whose
 * stdout would keep the test's pipe open) and the test's own server. */
static pid_t serve_pid;
static const char *server_dir;

static void stop_serve(pid_t pid)
{
	kill(pid, SIGTERM);
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	serve_pid = 0;
}

static void cleanup(void)
{
	if (serve_pid > 0) {
		kill(serve_pid, SIGKILL);
		waitpid(serve_pid, NULL, 0);
		serve_pid = 0;
	}
	if (server_dir) {
		struct run r = sh("bash '%s' stop '%s'", HARNESS, server_dir);
		run_free(&r);
		server_dir = NULL;
	}
}

/* serve's stderr: the loss and the reconnection told, never a password */
static void told(const char *err_path, const char *password)
{
	char *err = zt_test_slurp(err_path);
	cr_assert(err, "%s", err_path);
	cr_assert(strstr(err, "连接中断"), "no loss told:\n%s", err);
	cr_assert(strstr(err, "已重新连接"), "no reconnection told:\n%s", err);
	if (password && password[0])
		cr_assert(!strstr(err, password), "the password on stderr:\n%s", err);
	free(err);
}

/* The password of role zhitong in a libpq password file. */
static void password_of(char *out, size_t cap, const char *passfile)
{
	out[0] = '\0';
	char *text = zt_test_slurp(passfile);
	cr_assert(text, "%s", passfile);
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		char *last = strrchr(line, ':');
		if (last && strstr(line, ":zhitong:"))
			snprintf(out, cap, "%s", last + 1);
	}
	free(text);
}

/* ---- backends ended --------------------------------------------------------- */

static char dbname[128];

/* Ends every backend of the test's database: how many. */
static int terminate(void)
{
	char admin[1200], sql[400], *err = NULL;
	zt_test_pg_target(admin, sizeof admin, "postgres", true);
	snprintf(sql, sizeof sql,
	         "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '%s'"
	         " AND pid <> pg_backend_pid()",
	         dbname);
	struct run r = sh("psql -X -At -d '%s' -c \"%s\" | grep -c t || true", admin, sql);
	free(err);
	int n = atoi(r.out);
	run_free(&r);
	return n;
}

struct desk {
	int id;
	unsigned port;
	const char *token;
	int sent;         /* claims answered 201 or 200 */
	int refused;      /* 503s, each retried */
	int replayed;     /* 200: stored by an attempt answered 503 */
	char bad[512];    /* an answer that is none of 201, 200, 503 */
};

static atomic_bool killing_done;

/* Claims one after another while the backends are being ended (and at
 * least 4), each sent again after a 503 until it is answered. */
static void *desk_run(void *arg)
{
	struct desk *d = arg;
	for (int i = 0; i < CLAIMS_PER_DESK_MAX && !d->bad[0] && (i < 4 || !atomic_load(&killing_done));
	     i++) {
		char no[32];
		snprintf(no, sizeof no, "RL-%d-%03d", d->id, i);
		bool refused_before = false;
		for (int attempt = 0;; attempt++) {
			struct zt_http_resp r = post_claim(d->port, d->token, no);
			long st = r.status;
			if (st == 503 && attempt < 200 && zt_http_header(&r, "Retry-After") &&
			    r.body && strstr(r.body, "store-unavailable")) {
				d->refused++;
				refused_before = true;
				zt_http_free(&r);
				usleep(50000);
				continue;
			}
			if (st == 200 && refused_before && r.body && strstr(r.body, no))
				d->replayed++;
			else if (st != 201)
				snprintf(d->bad, sizeof d->bad, "claim %s attempt %d: %ld %.200s %.200s", no,
				         attempt, st, r.error, r.body ? r.body : "");
			if (!d->bad[0])
				d->sent++;
			zt_http_free(&r);
			break;
		}
	}
	return NULL;
}

Test(pg_reconnect, backends_ended_idle_and_under_load, .timeout = 300, .fini = cleanup)
{
	char target[1200];
	zt_test_pg_create(target, sizeof target, "reconnect", NULL);
	zt_test_pg_dbname(dbname, sizeof dbname, target);
	char *token = world(target);
	unsigned port;
	const char *err_path = tmp_path("serve.err");
	pid_t pid = serve_pid = zt_test_serve(target, config(), err_path, &port);

	cr_assert_eq(claim_status(port, token, "RI-0"), 201);
	/* idle: the authenticator's connection and the group commit's */
	int ended = terminate();
	cr_assert_geq(ended, 2, "serve's backends: %d", ended);
	usleep(100000);
	/* found lost at the next statement or BEGIN, before anything was
	 * done: made again at once, nothing fails */
	for (int i = 1; i <= 3; i++) {
		char no[16];
		snprintf(no, sizeof no, "RI-%d", i);
		cr_assert_eq(claim_status(port, token, no), 201, "%s after the backends ended", no);
	}
	char body[1024];
	cr_assert_eq(healthz(port, body, sizeof body), 200, "%s", body);

	/* under load: the backends ended again and again */
	curl_global_init(CURL_GLOBAL_DEFAULT);
	static struct desk desks[DESKS];
	pthread_t th[DESKS];
	atomic_store(&killing_done, false);
	for (int k = 0; k < DESKS; k++) {
		desks[k] = (struct desk){.id = k, .port = port, .token = token};
		cr_assert_eq(pthread_create(&th[k], NULL, desk_run, &desks[k]), 0);
	}
	/* KILLS times, each when serve has connections again (the desks'
	 * requests made them), at most 20 s in all */
	int kills = 0;
	for (int round = 0; round < 400 && kills < KILLS; round++) {
		usleep(50000);
		kills += terminate() > 0;
	}
	atomic_store(&killing_done, true);
	int refused = 0, replayed = 0, sent = 0;
	for (int k = 0; k < DESKS; k++) {
		pthread_join(th[k], NULL);
		cr_assert_eq(desks[k].bad[0], '\0', "desk %d: %s", k, desks[k].bad);
		refused += desks[k].refused;
		replayed += desks[k].replayed;
		sent += desks[k].sent;
	}
	cr_assert_eq(kills, KILLS, "the backends were ended %d times", kills);
	cr_log_info("%d claims; backends ended %d times under load: %d answers 503 (retried), "
	            "%d replayed", sent, kills, refused, replayed);
	cr_assert_eq(healthz(port, body, sizeof body), 200, "%s", body);
	stop_serve(pid);

	int rows, twice;
	stored(target, "RL-", &rows, &twice);
	cr_assert_eq(rows, sent, "every claim answered stored, once");
	cr_assert_eq(twice, 0, "a claim stored twice");
	stored(target, "RI-", &rows, &twice);
	cr_assert_eq(rows, 4);
	verified(target);
	char pw[256];
	password_of(pw, sizeof pw, zt_test_pg("PGPASSFILE"));
	told(err_path, pw);
	free(token);
}

/* A PostgreSQL server of the test's own (tests/pg/pg-harness in a
 * directory `name` of the test's; stopped by cleanup): its directory, its
 * target in target. */
static const char *own_server(const char *name, char *target, size_t cap)
{
	const char *dir = tmp_path(name);
	server_dir = dir;
	struct run r = sh("bash '%s' start '%s'", HARNESS, dir);
	cr_assert_eq(r.code, 0, "pg-harness start: %s", r.err);
	snprintf(target, cap, "%s", r.out);
	target[strcspn(target, "\n")] = '\0';
	run_free(&r);
	return dir;
}

/* ---- the server stopped and started ------------------------------------------ */

Test(pg_reconnect, server_stopped_and_started, .timeout = 300, .fini = cleanup)
{
	char target[1200];
	const char *dir = own_server("pg", target, sizeof target);
	char *token = world(target);
	unsigned port;
	const char *err_path = tmp_path("serve.err");
	pid_t pid = serve_pid = zt_test_serve(target, config(), err_path, &port);
	cr_assert_eq(claim_status(port, token, "RS-1"), 201);

	struct run r = sh("bash '%s' halt '%s'", HARNESS, dir);
	cr_assert_eq(r.code, 0, "pg-harness halt: %s", r.err);
	run_free(&r);
	struct zt_http_resp a = post_claim(port, token, "RS-2");
	expect_unavailable(&a, "a claim while the server is stopped");
	zt_http_free(&a);
	char body[1024];
	cr_assert_eq(healthz(port, body, sizeof body), 503, "%s", body);
	cr_assert(strstr(body, "store-unreachable"), "%s", body);

	r = sh("bash '%s' resume '%s'", HARNESS, dir);
	cr_assert_eq(r.code, 0, "pg-harness resume: %s", r.err);
	run_free(&r);
	/* the desk sends the refused claim again: within the back-off (at
	 * most 2 s between attempts) serve carries on, no restart */
	long st = 0;
	for (int i = 0; i < 50 && (st = claim_status(port, token, "RS-2")) == 503; i++)
		usleep(200000);
	cr_assert_eq(st, 201, "RS-2 after the server came back: %ld", st);
	cr_assert_eq(claim_status(port, token, "RS-3"), 201);
	cr_assert_eq(healthz(port, body, sizeof body), 200, "%s", body);
	cr_assert_eq(kill(pid, 0), 0, "serve ended");
	stop_serve(pid);

	int rows, twice;
	stored(target, "RS-", &rows, &twice);
	cr_assert_eq(rows, 3);
	cr_assert_eq(twice, 0);
	verified(target);
	char pass[1200], pw[256];
	snprintf(pass, sizeof pass, "%s/pgpass", dir);
	password_of(pw, sizeof pw, pass);
	told(err_path, pw);
	free(token);
}

/* ---- the store itself --------------------------------------------------------------- */

/* Ends every backend of dbname and waits until they are gone. */
static void terminate_wait(void)
{
	cr_assert_geq(terminate(), 1, "no backend of %s to end", dbname);
	char admin[1200];
	zt_test_pg_target(admin, sizeof admin, "postgres", true);
	for (int i = 0; i < 100; i++) {
		struct run r = sh("psql -X -At -d '%s' -c \"SELECT count(*) FROM pg_stat_activity"
		                  " WHERE datname = '%s' AND pid <> pg_backend_pid()\"",
		                  admin, dbname);
		int n = atoi(r.out);
		run_free(&r);
		if (n == 0)
			return;
		usleep(20000);
	}
	cr_assert_fail("the backends of %s did not end", dbname);
}

static char told_lines[4096];

static void keep_line(void *ctx, const char *line)
{
	(void)ctx;
	size_t n = strlen(told_lines);
	snprintf(told_lines + n, sizeof told_lines - n, "%s\n", line);
}

/* takes key (a scope of 64 hex digits made of c) in a write transaction */
static int take(struct zt_store *s, char c, bool *taken)
{
	char scope[65], sha[65];
	memset(scope, c, 64);
	scope[64] = '\0';
	memset(sha, 'a', 64);
	sha[64] = '\0';
	struct zt_stored_idem kept = {0};
	int rc = s->ops->idempotency.take(s, scope, sha, 1000, 999999, taken, &kept);
	free(kept.answer);
	return rc;
}

Test(pg_reconnect, store_lost_idle_and_before_commit, .timeout = 120)
{
	char target[1200];
	zt_test_pg_create(target, sizeof target, "store", NULL);
	zt_test_pg_dbname(dbname, sizeof dbname, target);
	struct zt_store *s = NULL;
	struct zt_store_options o = {.create = true, .log = keep_line};
	cr_assert_eq(zt_store_open(&s, target, &o), 0, "%s", zt_error_last());
	cr_assert_eq(s->ops->migrate(s, NULL, NULL), 0, "%s", zt_error_last());
	bool taken = false;
	cr_assert_eq(s->ops->begin(s, ZT_TXN_WRITE), 0, "%s", zt_error_last());
	cr_assert_eq(take(s, '1', &taken), 0, "%s", zt_error_last());
	cr_assert(taken);
	cr_assert_eq(s->ops->commit(s), 0, "%s", zt_error_last());

	/* lost while idle: made again at BEGIN, nothing fails */
	terminate_wait();
	cr_assert_eq(s->ops->begin(s, ZT_TXN_WRITE), 0, "%s", zt_error_last());
	cr_assert_eq(take(s, '2', &taken), 0, "%s", zt_error_last());
	cr_assert(taken);
	cr_assert_eq(s->ops->commit(s), 0, "%s", zt_error_last());
	cr_assert(strstr(told_lines, "连接中断") && strstr(told_lines, "已重新连接"), "%s", told_lines);

	/* lost inside a transaction, found by its COMMIT: the outcome unknown */
	cr_assert_eq(s->ops->begin(s, ZT_TXN_WRITE), 0, "%s", zt_error_last());
	cr_assert_eq(take(s, '3', &taken), 0, "%s", zt_error_last());
	cr_assert(taken);
	terminate_wait();
	int rc = s->ops->commit(s);
	cr_assert_eq(rc, ZT_EUNAVAILABLE, "commit: %d %s", rc, zt_error_last());
	cr_assert(strstr(zt_error_last(), "unknown"), "%s", zt_error_last());

	/* the next transaction on a new connection (the statements prepared
	 * again): key 3 was not committed, keys 1 and 2 were */
	cr_assert_eq(s->ops->begin(s, ZT_TXN_WRITE), 0, "%s", zt_error_last());
	cr_assert_eq(take(s, '3', &taken), 0, "%s", zt_error_last());
	cr_assert(taken, "key 3 was committed by a transaction whose backend ended");
	cr_assert_eq(take(s, '1', &taken), 0, "%s", zt_error_last());
	cr_assert_not(taken, "key 1 lost");
	cr_assert_eq(take(s, '2', &taken), 0, "%s", zt_error_last());
	cr_assert_not(taken, "key 2 lost");
	cr_assert_eq(s->ops->commit(s), 0, "%s", zt_error_last());
	/* a read outside a transaction after a loss: made again too */
	terminate_wait();
	cr_assert_eq(s->ops->check_version(s), 0, "%s", zt_error_last());
	zt_store_close(s);
}

/* ---- an Idempotency-Key left held by a lost store ------------------------------------- */

static void halt_now(void *ctx)
{
	struct run r = sh("bash '%s' halt '%s'", HARNESS, (const char *)ctx);
	cr_assert_eq(r.code, 0, "pg-harness halt: %s", r.err);
	run_free(&r);
}

static struct zt_http_resp post_batch(unsigned port, const char *key)
{
	struct zt_http_call c = {.port = port, .method = "POST", .path = "/v1/batches",
	                         .token = ZT_TEST_TOKEN_FUND_BASIC, .body = "{\"fund_code\": \"390100\"}",
	                         .content_type = "application/json", .headers = {key}};
	return zt_http(&c);
}

Test(pg_reconnect, idempotency_key_freed_once_the_store_answers, .timeout = 120, .fini = cleanup)
{
	char target[1200];
	const char *dir = own_server("pgk", target, sizeof target);
	free(world(target));

	static struct zt_api app;
	cr_assert_eq(zt_api_init(&app, target), 0, "%s", zt_error_last());
	struct zt_service *srv = NULL;
	struct zt_service_opts o;
	zt_test_service_opts(&o, true);
	unsigned port = zt_test_service_start(&srv, &app, &o);
	/* the key taken, then the server stopped before the handler runs */
	app.idem_held = halt_now;
	app.idem_held_ctx = (void *)dir;
	struct zt_http_resp a = post_batch(port, "Idempotency-Key: lost-1");
	app.idem_held = NULL;
	expect_unavailable(&a, "the handler with the store gone");
	zt_http_free(&a);

	struct run r = sh("bash '%s' resume '%s'", HARNESS, dir);
	cr_assert_eq(r.code, 0, "pg-harness resume: %s", r.err);
	run_free(&r);
	/* the same key again: it runs (a 2xx, kept from now on), not 409 */
	a = post_batch(port, "Idempotency-Key: lost-1");
	cr_assert(a.status >= 200 && a.status < 300, "the retry: %ld %s", a.status,
	          a.body ? a.body : a.error);
	cr_assert_null(zt_http_header(&a, "Idempotency-Replayed"));
	char *first = strdup(a.body ? a.body : "");
	zt_http_free(&a);
	a = post_batch(port, "Idempotency-Key: lost-1");
	cr_assert_eq(a.status, 200 <= a.status && a.status < 300 ? a.status : 0, "%ld", a.status);
	cr_assert(zt_http_header(&a, "Idempotency-Replayed"), "the answer kept: %s", a.body);
	cr_assert_str_eq(a.body ? a.body : "", first);
	zt_http_free(&a);
	free(first);
	zt_service_stop(srv);
	zt_service_free(srv);
	zt_api_free(&app);
}
