/* zhitong — SIGKILL at random instants (issue 15 point 1, its first part;
 * README "Proof under stress").
 *
 * A claim file is submitted through the CLI (`zhitong claim submit`, its
 * own process) and killed with SIGKILL at a seeded random instant, several
 * times in a row on the same database; after every kill `zhitong verify`
 * is clean and the database holds whole chunks of the file (it settles in
 * transactions of --chunk claims, issue 11 §4: between none and all of
 * it, never a claim half-written); then finishing the work (submitting the
 * file once more, to the end) answers byte for byte what a run never
 * interrupted answered, and leaves the same database (its .dump, the
 * timestamps masked). Seeded: $ZT_KILL_SEED (default 1) replays a failure;
 * $ZT_KILL_ROUNDS rounds (default 8; `tools/dev kill` runs many more). */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "httputil.h"
#include "stress.h"
#include "zhitong/advance.h"
#include "zhitong/config.h"
#include "zhitong/store.h"
#include "testutil.h"

#define WORLD ZT_TEST_CASES "/vectors/world-1002"

static long env_long(const char *name, long dflt)
{
	const char *v = getenv(name);
	return v && *v ? strtol(v, NULL, 10) : dflt;
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Starts `zhitong --db DB claim submit FILE`, stdout to `out`. */
static pid_t start_submit(const char *db, const char *file, const char *out)
{
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int nul = open("/dev/null", O_RDWR);
		if (fd < 0 || nul < 0)
			_exit(127);
		dup2(nul, 0);
		dup2(fd, 1);
		dup2(nul, 2);
		execl(ZT_TEST_ZHITONG, "zhitong", "--db", db, "claim", "submit", file, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* Runs the submission to its end; returns its exit code. */
static int finish(const char *db, const char *file, const char *out)
{
	int st;
	pid_t pid = start_submit(db, file, out);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st), "the submission did not exit");
	return WEXITSTATUS(st);
}

Test(kill, a_submission_killed_anywhere_finishes_with_the_same_answer, .timeout = 1200)
{
	const char *dir = zt_test_tmpdir();
	char base[700], db[700], out[700];
	snprintf(base, sizeof base, "%s/base.db", dir);
	snprintf(db, sizeof db, "%s/run.db", dir);
	snprintf(out, sizeof out, "%s/answer.xml", dir);
	free(zt_test_ok("--db '%s' init", base));
	free(zt_test_ok("--db '%s' registry load '%s/registry.xml'", base, WORLD));
	free(zt_test_ok("--db '%s' rules load '%s/policy.xml'", base, WORLD));
	const char *claims = WORLD "/claims.xml";
	long base_claims = zt_test_sql_int(base, "SELECT count(*) FROM claim");

	/* the run never interrupted: its answer, its database, its duration */
	zt_stress_copy(base, db);
	double t0 = now_s();
	int code = finish(db, claims, out);
	double took = now_s() - t0;
	cr_assert(code == 0 || code == 1, "the clean run exited %d", code);
	char *clean = zt_test_slurp(out);
	char *clean_db = zt_stress_answer(db);
	long all = zt_test_sql_int(db, "SELECT count(*) FROM claim");
	cr_assert_gt(all, base_claims);

	unsigned seed = (unsigned)env_long("ZT_KILL_SEED", 1);
	long rounds = env_long("ZT_KILL_ROUNDS", 8);
	srand(seed);
	long kills = 0, midway = 0;
	for (long r = 0; r < rounds; r++) {
		zt_stress_copy(base, db);
		int in_a_row = 1 + rand() % 3;
		for (int k = 0; k < in_a_row; k++) {
			/* an instant within 1.2 times the clean run's duration */
			useconds_t delay = (useconds_t)((double)rand() / RAND_MAX * took * 1.2 * 1e6);
			pid_t pid = start_submit(db, claims, out);
			usleep(delay);
			kill(pid, SIGKILL);
			int st;
			cr_assert_eq(waitpid(pid, &st, 0), pid);
			kills++;
			if (WIFSIGNALED(st))
				midway++;
			char what[160];
			snprintf(what, sizeof what, "seed %u round %ld kill %d after %u us", seed, r, k + 1,
			         (unsigned)delay);
			zt_stress_verify(db, what);
			long n = zt_test_sql_int(db, "SELECT count(*) FROM claim");
			cr_assert(n >= base_claims && n <= all, "%s: %ld claims stored, not %ld to %ld",
			          what, n, base_claims, all);
		}
		code = finish(db, claims, out);
		cr_assert(code == 0 || code == 1, "seed %u round %ld: finishing exited %d", seed, r, code);
		char *answer = zt_test_slurp(out);
		cr_assert_str_eq(answer, clean, "seed %u round %ld: finishing answered otherwise", seed, r);
		free(answer);
		char *now = zt_stress_answer(db);
		cr_assert_str_eq(now, clean_db, "seed %u round %ld: another database", seed, r);
		free(now);
		zt_stress_verify(db, "finished");
	}
	cr_log_info("seed %u: %ld rounds, %ld kills (%ld in mid-run), the clean run %.3f s", seed,
	            rounds, kills, midway, took);
	free(clean);
	free(clean_db);
}

/* ---- the money operations (issue 15 point 1, its second part) ------------
 *
 * batch create, batch export (the file and its signature), reconcile import
 * of a statement and advance issue (the pain.001), each run in a child of
 * this process through the use case (stress.h) and killed with SIGKILL at a
 * seeded random instant, once to three times in a row on the same
 * database. After every kill `zhitong verify` (the ledger, the
 * settlements, the audit chain) is clean and a file is there whole or not
 * at all (a batch file never without its signature). Then the operation is
 * run again to its end: the database is the clean run's (its dump with
 * times and the audit hashes that take them in masked), and the files are
 * there, whole and verified — a batch file's signature with the stock
 * openssl, a payment file by the same content as the clean run's but for
 * its times. */

struct kill_op {
	const char *name;
	int world;
	int (*run)(struct zt_stress_op *o);
	/* how the one finishing the work tells that it was done: a count that
	 * is not 0 once the operation committed (running it again then would be
	 * another operation: a second export of the same batch is recorded as
	 * one) */
	const char *done_sql;
	/* committed but its file is not there: how the work is finished (NULL:
	 * the operation again) */
	int (*finish)(struct zt_stress_op *o);
};

static const char *statement_path;

static int run_import(struct zt_stress_op *o)
{
	return zt_stress_recon_import(o->w, o->db, statement_path);
}

/* advance issue --rewrite: the plan was issued and its file is not there
 * (the one finishing the work knows the issue was killed). */
static int run_advance_rewrite(struct zt_stress_op *o)
{
	struct zt_store *s = NULL;
	struct zt_config *cfg = NULL;
	struct zt_advance_issued r;
	memset(&r, 0, sizeof r);
	int rc = zt_config_load(&cfg, o->w->cfg);
	if (rc == 0)
		rc = zt_store_open(&s, o->db, NULL);
	if (rc == 0)
		rc = zt_advance_issue(s,
		                      &(struct zt_advance_issue_req){.cfg = cfg,
		                                                     .plan_id = o->plan_id,
		                                                     .actor = "erin",
		                                                     .out_path = o->out,
		                                                     .rewrite = true},
		                      &r);
	zt_advance_issued_free(&r);
	zt_store_close(s);
	zt_config_free(cfg);
	return rc;
}

/* Runs the operation in a child; returns its pid (the child exits with
 * 0 on success, 1 on a refusal). */
static pid_t start_op(struct zt_stress_op *o)
{
	fflush(NULL);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR);
		if (nul >= 0) {
			dup2(nul, 1);
			dup2(nul, 2);
		}
		_exit(o->run(o) == 0 ? 0 : 1);
	}
	return pid;
}

static int op_to_end(struct zt_stress_op *o)
{
	int st;
	pid_t pid = start_op(o);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st), "%s: the operation did not exit", o->name);
	return WEXITSTATUS(st);
}

static bool exists(const char *path) { return access(path, F_OK) == 0; }

/* Done, as the one finishing the work sees it: committed, and its file
 * there (an advance's payment file is published after the commit: a kill
 * between the two leaves it to the next issue, which writes it). */
static bool op_done(const struct zt_stress_op *o, const char *done_sql)
{
	return zt_test_sql_int(o->db, done_sql) != 0 && (!o->out[0] || exists(o->out));
}

/* A file's text with every time ('YYYY-MM-DDTHH:MM:SS…' up to '<')
 * written as 'T': what two runs of one payment file share. */
static char *timeless(const char *path)
{
	char *t = zt_test_slurp(path);
	cr_assert(t, "%s: cannot read", path);
	char *o = t;
	for (const char *p = t; *p;) {
		if (p[0] >= '0' && p[0] <= '9' && strlen(p) > 19 && p[4] == '-' && p[7] == '-' &&
		    p[10] == 'T' && p[13] == ':' && p[16] == ':') {
			*o++ = 'T';
			while (*p && *p != '<')
				p++;
			continue;
		}
		*o++ = *p++;
	}
	*o = '\0';
	return t;
}

/* The files after a kill (whole or absent) and after the end (there and
 * good). */
static void files_ok(struct zt_stress_op *o, const char *pub, const char *clean_out, bool ended,
                     const char *what)
{
	if (!o->out[0])
		return;
	char sig[900];
	snprintf(sig, sizeof sig, "%s.sig", o->out);
	bool signed_file = strcmp(o->name, "batch export") == 0;
	if (!ended && !exists(o->out))
		return;
	cr_assert(exists(o->out), "%s: no file at the end", what);
	struct run x = sh("xmllint --noout '%s'", o->out);
	cr_assert_eq(x.code, 0, "%s: the file is not whole: %s", what, x.err);
	run_free(&x);
	if (signed_file) {
		cr_assert(exists(sig), "%s: a batch file without its signature", what);
		struct run v = sh("openssl pkeyutl -verify -pubin -inkey '%s' -rawin -in '%s' "
		                  "-sigfile '%s'",
		                  pub, o->out, sig);
		cr_assert_eq(v.code, 0, "%s: the signature does not verify: %s%s", what, v.out, v.err);
		run_free(&v);
	}
	if (clean_out) {
		char *now = timeless(o->out);
		cr_assert_str_eq(now, clean_out, "%s: another file than the clean run's", what);
		free(now);
	}
}

Test(kill, each_money_operation_killed_anywhere_ends_whole, .timeout = 1200)
{
	static const struct kill_op ops[] = {
	    {"batch create", 0, zt_stress_run_batch_create, "SELECT count(*) FROM batch", NULL},
	    {"batch export", ZT_STRESS_BATCH_APPROVED, zt_stress_run_batch_export,
	     "SELECT count(*) FROM batch_event WHERE action = 'export'", NULL},
	    {"reconcile import", ZT_STRESS_BATCH_ACCEPTED, run_import,
	     "SELECT count(*) FROM bank_import", NULL},
	    {"advance issue", ZT_STRESS_PLAN_APPROVED, zt_stress_run_advance,
	     "SELECT count(*) FROM advance", run_advance_rewrite},
	};
	unsigned seed = (unsigned)env_long("ZT_KILL_SEED", 1);
	long rounds = env_long("ZT_KILL_ROUNDS", 8);
	srand(seed);
	long kills = 0, midway = 0, runs = 0;
	for (size_t i = 0; i < sizeof ops / sizeof *ops; i++) {
		struct zt_stress_world w;
		struct zt_stress_op o;
		/* each operation on a world of its own, in this test's directory */
		struct run c = sh("cd '%s' && rm -f world.db* run.db* out.xml* B1.*", zt_test_tmpdir());
		run_free(&c);
		zt_stress_op_init(&o, &w, ops[i].world, ops[i].name, ops[i].run);
		statement_path = zt_stress_statement(&w);
		bool writes_file = strcmp(o.name, "batch export") == 0 ||
		                   strcmp(o.name, "advance issue") == 0;
		if (!writes_file)
			o.out[0] = '\0';
		char pub[900];
		snprintf(pub, sizeof pub, "%s/k.pub", w.dir);
		struct run p = sh("openssl pkey -in '%s' -pubout -out '%s'", w.key, pub);
		cr_assert_eq(p.code, 0, "%s", p.err);
		run_free(&p);

		/* the run never interrupted */
		zt_stress_copy(w.db, o.db);
		zt_stress_op_clear_out(&o);
		double t0 = now_s();
		int code = op_to_end(&o);
		double took = now_s() - t0;
		cr_assert_eq(code, 0, "%s: the clean run failed", o.name);
		char *clean_db = zt_stress_answer(o.db);
		char *clean_out = o.out[0] ? timeless(o.out) : NULL;
		files_ok(&o, pub, NULL, true, o.name);

		for (long r = 0; r < rounds; r++) {
			zt_stress_copy(w.db, o.db);
			zt_stress_op_clear_out(&o);
			int in_a_row = 1 + rand() % 3;
			for (int k = 0; k < in_a_row; k++) {
				useconds_t delay =
				    (useconds_t)((double)rand() / RAND_MAX * took * 1.2 * 1e6);
				if (op_done(&o, ops[i].done_sql))
					break; /* done before it was killed: no retry */
				pid_t pid = start_op(&o);
				usleep(delay);
				kill(pid, SIGKILL);
				int st;
				cr_assert_eq(waitpid(pid, &st, 0), pid);
				kills++;
				if (WIFSIGNALED(st))
					midway++;
				char what[200];
				snprintf(what, sizeof what, "%s: seed %u round %ld kill %d after %u us",
				         o.name, seed, r, k + 1, (unsigned)delay);
				zt_stress_verify(o.db, what);
				files_ok(&o, pub, NULL, false, what);
			}
			/* to the end: once more, or it was done (a refusal that says so) */
			char what[200];
			snprintf(what, sizeof what, "%s: seed %u round %ld, finished", o.name, seed, r);
			if (!op_done(&o, ops[i].done_sql)) {
				if (ops[i].finish && zt_test_sql_int(o.db, ops[i].done_sql) != 0)
					o.run = ops[i].finish;
				code = op_to_end(&o);
				o.run = ops[i].run;
				cr_assert_eq(code, 0, "%s: the operation was refused", what);
			}
			runs++;
			char *now = zt_stress_answer(o.db);
			if (strcmp(now, clean_db) != 0) {
				char a[900], b[900];
				snprintf(a, sizeof a, "%s/clean.sql", w.dir);
				snprintf(b, sizeof b, "%s/now.sql", w.dir);
				FILE *fa = fopen(a, "w"), *fb = fopen(b, "w");
				fputs(clean_db, fa);
				fputs(now, fb);
				fclose(fa);
				fclose(fb);
				struct run d = sh("diff '%s' '%s' | head -20", a, b);
				cr_log_error("%s", d.out);
				run_free(&d);
			}
			cr_assert_str_eq(now, clean_db, "%s: another database than the clean run's", what);
			free(now);
			zt_stress_verify(o.db, what);
			files_ok(&o, pub, clean_out, true, what);
		}
		free(clean_db);
		free(clean_out);
	}
	cr_log_info("seed %u: 4 operations, %ld rounds, %ld kills (%ld in mid-run)", seed, runs,
	            kills, midway);
}

/* ---- the service (issue 15 point 1, its third part) ------------------------
 *
 * `zhitong serve` takes a burst of single claims from four desks at once
 * (one desk user per hospital of a vector world, each thread sending the
 * claims of its own people in the file's order, so each person's claims
 * settle in one order whatever the interleaving) and is killed with SIGKILL
 * at a seeded random instant. After the kill `verify` is clean (the
 * ledger, the settlements, the audit chain); the service is started again
 * and every claim sent once more: a claim answered before the kill answers
 * 200 with the same settlement (what was answered was durable), and every
 * answer is the one a run never interrupted gave — the settlement ids
 * aside, which follow the order of commits across desks. */

#define DESKS 4
#define SERVICE_CLAIMS_MAX 64

struct svc_claim {
	char body[16384];
	char hospital[32];
	char psn_no[32];
	int desk;
};

struct svc_world {
	struct svc_claim claim[SERVICE_CLAIMS_MAX];
	int count;
	char token[16][64];
	char hospital[16][32];
	int hospitals;
};

struct svc_answers {
	long status[SERVICE_CLAIMS_MAX];
	char *body[SERVICE_CLAIMS_MAX];
};

static const char *between(char *out, size_t cap, const char *s, const char *open,
                           const char *close)
{
	const char *a = strstr(s, open), *b = a ? strstr(a, close) : NULL;
	cr_assert(a && b, "no %s in a claim", open);
	a += strlen(open);
	snprintf(out, cap, "%.*s", (int)(b - a), a);
	return out;
}

static void svc_world_claims(struct svc_world *w)
{
	char *text = zt_test_slurp(WORLD "/claims.xml");
	cr_assert(text);
	char persons[SERVICE_CLAIMS_MAX][32];
	int npersons = 0;
	for (const char *p = text; (p = strstr(p, "<claim>")) != NULL;) {
		const char *end = strstr(p, "</claim>");
		cr_assert(end && w->count < SERVICE_CLAIMS_MAX);
		struct svc_claim *c = &w->claim[w->count++];
		int n = snprintf(c->body, sizeof c->body, "<claim xmlns=\"urn:zhitong:claim:1\">%.*s",
		                 (int)(end + strlen("</claim>") - p - strlen("<claim>")),
		                 p + strlen("<claim>"));
		cr_assert(n > 0 && (size_t)n < sizeof c->body);
		between(c->hospital, sizeof c->hospital, c->body, "<fixmedins_code>", "</fixmedins_code>");
		between(c->psn_no, sizeof c->psn_no, c->body, "<psn_no>", "</psn_no>");
		int k = 0;
		while (k < npersons && strcmp(persons[k], c->psn_no) != 0)
			k++;
		if (k == npersons)
			snprintf(persons[npersons++], sizeof persons[0], "%s", c->psn_no);
		c->desk = k % DESKS;
		p = end;
	}
	free(text);
}

static const char *desk_token(const struct svc_world *w, const char *hospital)
{
	for (int i = 0; i < w->hospitals; i++)
		if (strcmp(w->hospital[i], hospital) == 0)
			return w->token[i];
	cr_assert_fail("no desk for %s", hospital);
	return NULL;
}

/* The base database: the world, an admin, a desk user per hospital. */
static void svc_world_db(struct svc_world *w, const char *db)
{
	free(zt_test_ok("--db '%s' init", db));
	free(zt_test_ok("--db '%s' registry load '%s/registry.xml' --by setup", db, WORLD));
	free(zt_test_ok("--db '%s' rules load '%s/policy.xml' --by setup", db, WORLD));
	free(zt_test_ok("--db '%s' user add root --role admin --by setup", db));
	for (int i = 0; i < w->count; i++) {
		int k = 0;
		while (k < w->hospitals && strcmp(w->hospital[k], w->claim[i].hospital) != 0)
			k++;
		if (k < w->hospitals)
			continue;
		cr_assert(w->hospitals < 16);
		snprintf(w->hospital[k], sizeof w->hospital[k], "%s", w->claim[i].hospital);
		char *tok = zt_test_ok("--db '%s' user add desk%d --role desk --hospital %s --by root", db,
		                       k, w->claim[i].hospital);
		cr_assert_eq(sscanf(tok, "%63s", w->token[k]), 1);
		free(tok);
		w->hospitals++;
	}
}

static pid_t svc_start(const char *db, const char *err_path, unsigned *port)
{
	unlink(err_path);
	return zt_test_serve(db, NULL, err_path, port);
}

/* An answer as two runs share it: setl_id="S…" written as setl_id="S". */
static char *svc_mask(const char *body, size_t len)
{
	char *o = malloc(len + 1), *q = o;
	cr_assert(o);
	for (size_t i = 0; i < len;) {
		if (len - i > 10 && memcmp(body + i, "setl_id=\"S", 10) == 0) {
			memcpy(q, "setl_id=\"S", 10);
			q += 10;
			i += 10;
			while (i < len && body[i] >= '0' && body[i] <= '9')
				i++;
			continue;
		}
		*q++ = body[i++];
	}
	*q = '\0';
	return o;
}

struct svc_desk {
	const struct svc_world *w;
	struct svc_answers *a;
	unsigned port;
	int desk;
};

static void *svc_desk_run(void *arg)
{
	struct svc_desk *d = arg;
	for (int i = 0; i < d->w->count; i++) {
		const struct svc_claim *c = &d->w->claim[i];
		if (c->desk != d->desk)
			continue;
		struct zt_http_resp r = zt_http(&(struct zt_http_call){
		    .port = d->port, .method = "POST", .path = "/v1/claims",
		    .token = desk_token(d->w, c->hospital), .body = c->body,
		    .content_type = "application/xml", .accept = "application/xml"});
		d->a->status[i] = r.rc == CURLE_OK ? r.status : 0;
		d->a->body[i] = r.rc == CURLE_OK ? svc_mask(r.body ? r.body : "", r.len) : NULL;
		zt_http_free(&r);
		if (d->a->status[i] == 0)
			break; /* the service is gone */
	}
	return NULL;
}

struct svc_burst {
	pthread_t t[DESKS];
	struct svc_desk d[DESKS];
};

static void svc_burst_start(struct svc_burst *b, const struct svc_world *w, struct svc_answers *a,
                            unsigned port)
{
	memset(a, 0, sizeof *a);
	for (int k = 0; k < DESKS; k++) {
		b->d[k] = (struct svc_desk){w, a, port, k};
		cr_assert_eq(pthread_create(&b->t[k], NULL, svc_desk_run, &b->d[k]), 0);
	}
}

static void svc_burst_join(struct svc_burst *b)
{
	for (int k = 0; k < DESKS; k++)
		pthread_join(b->t[k], NULL);
}

static void svc_answers_free(struct svc_answers *a, int n)
{
	for (int i = 0; i < n; i++)
		free(a->body[i]);
}

static void svc_stop(pid_t pid, int sig)
{
	kill(pid, sig);
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	if (sig == SIGTERM)
		cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the service stopped with %d", st);
}

Test(kill, the_service_killed_in_a_burst_of_desks_loses_no_answered_claim, .timeout = 1200)
{
	static struct svc_world w;
	memset(&w, 0, sizeof w);
	svc_world_claims(&w);
	const char *dir = zt_test_tmpdir();
	char base[700], db[700], err[700];
	snprintf(base, sizeof base, "%s/svc-base.db", dir);
	snprintf(db, sizeof db, "%s/svc.db", dir);
	snprintf(err, sizeof err, "%s/svc.err", dir);
	svc_world_db(&w, base);

	/* the burst never interrupted */
	static struct svc_answers clean, before, after;
	zt_stress_copy(base, db);
	unsigned port;
	pid_t pid = svc_start(db, err, &port);
	struct svc_burst b;
	double t0 = now_s();
	svc_burst_start(&b, &w, &clean, port);
	svc_burst_join(&b);
	double took = now_s() - t0;
	svc_stop(pid, SIGTERM);
	int settled = 0;
	for (int i = 0; i < w.count; i++) {
		cr_assert(clean.status[i] == 201 || clean.status[i] == 422, "claim %d: %ld %s", i,
		          clean.status[i], clean.body[i] ? clean.body[i] : "");
		settled += clean.status[i] == 201;
	}
	cr_assert_gt(settled, 0);
	zt_stress_verify(db, "the clean burst");

	unsigned seed = (unsigned)env_long("ZT_KILL_SEED", 1);
	long rounds = env_long("ZT_KILL_ROUNDS", 8);
	srand(seed);
	long midway = 0, answered_total = 0;
	for (long r = 0; r < rounds; r++) {
		zt_stress_copy(base, db);
		pid = svc_start(db, err, &port);
		useconds_t delay = (useconds_t)((double)rand() / RAND_MAX * took * 1.2 * 1e6);
		svc_burst_start(&b, &w, &before, port);
		usleep(delay);
		svc_stop(pid, SIGKILL);
		svc_burst_join(&b);
		char what[160];
		snprintf(what, sizeof what, "seed %u round %ld: killed after %u us", seed, r,
		         (unsigned)delay);
		zt_stress_verify(db, what);
		int answered = 0;
		for (int i = 0; i < w.count; i++)
			answered += before.status[i] != 0;
		answered_total += answered;
		midway += answered < w.count;
		/* again, to the end */
		pid = svc_start(db, err, &port);
		svc_burst_start(&b, &w, &after, port);
		svc_burst_join(&b);
		svc_stop(pid, SIGTERM);
		for (int i = 0; i < w.count; i++) {
			cr_assert(after.body[i], "%s: claim %d got no answer after the restart", what, i);
			cr_assert_str_eq(after.body[i], clean.body[i],
			                 "%s: claim %d answered otherwise than the clean run", what, i);
			if (before.status[i] == 201)
				cr_assert_eq(after.status[i], 200,
				             "%s: claim %d was answered 201 before the kill and is not stored",
				             what, i);
			else if (clean.status[i] == 422)
				cr_assert_eq(after.status[i], 422, "%s: claim %d", what, i);
			else
				cr_assert(after.status[i] == 200 || after.status[i] == 201, "%s: claim %d: %ld",
				          what, i, after.status[i]);
		}
		zt_stress_verify(db, what);
		svc_answers_free(&before, w.count);
		svc_answers_free(&after, w.count);
	}
	svc_answers_free(&clean, w.count);
	cr_log_info("seed %u: %ld rounds (%ld killed mid-burst), %ld claims answered before a kill, "
	            "the clean burst %.3f s",
	            seed, rounds, midway, answered_total, took);
}
