/* zhitong — the load generator (tools/bench/loadgen.c, issue 11 "Proof")
 * against a tiny libmicrohttpd server (tests/loadgen_server.c) that stalls,
 * slows down or fails on command: a server stall shows in the open-loop
 * latencies (and a closed loop would hide it), every request is counted
 * once, its body is its own, --find-max finds the server's capacity, the
 * fsync probe measures, and a token never goes on the command line.
 *
 * The tests run one at a time (main below): they measure time. Their bounds
 * are wide — a stall of 200 ms must show as ≥ 150 ms — so that a loaded
 * machine does not fail them, and a generator that hid the stall would. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "zhitong/error.h"
#include "zhitong/json.h"

#ifndef ZT_TEST_LOADGEN
#define ZT_TEST_LOADGEN "zhitong-loadgen"
#endif
#ifndef ZT_TEST_LOADGEN_SERVER
#define ZT_TEST_LOADGEN_SERVER "loadgen_server"
#endif

/* ---- the server ------------------------------------------------------------ */

struct server {
	pid_t pid;
	int in_fd; /* its stdin: closing it stops it */
	unsigned port;
	char url[64];
};

/* Starts loadgen_server with the NULL-terminated options. */
static struct server server_start(const char *first, ...)
{
	const char *argv[32] = {ZT_TEST_LOADGEN_SERVER};
	int argc = 1;
	va_list ap;
	va_start(ap, first);
	for (const char *a = first; a && argc < 30; a = va_arg(ap, const char *))
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	int in[2], out[2];
	cr_assert_eq(pipe(in), 0);
	cr_assert_eq(pipe(out), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[0]), close(in[1]), close(out[0]), close(out[1]);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	FILE *f = fdopen(out[0], "r");
	char line[32] = "";
	cr_assert(fgets(line, sizeof line, f), "loadgen_server printed no port");
	fclose(f);
	struct server s = {.pid = pid, .in_fd = in[1], .port = (unsigned)atoi(line)};
	cr_assert_gt(s.port, 0);
	snprintf(s.url, sizeof s.url, "http://127.0.0.1:%u/v1/claims", s.port);
	return s;
}

static void server_stop(struct server *s)
{
	close(s->in_fd);
	int st = 0;
	cr_assert_eq(waitpid(s->pid, &st, 0), s->pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "loadgen_server ended with %d", st);
}

/* ---- the generator's report ------------------------------------------------- */

struct report {
	struct run run;
	struct zt_json_doc *doc;
	const struct zt_json *root;
};

/* Runs zhitong-loadgen with `args` (a shell fragment) and --json. */
static struct report loadgen(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static struct report loadgen(const char *fmt, ...)
{
	char args[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof args, fmt, ap);
	va_end(ap);
	struct report r = {0};
	r.run = sh("%s --json %s", ZT_TEST_LOADGEN, args);
	struct zt_json_limits lim;
	zt_json_limits_default(&lim);
	int rc = zt_json_parse(&r.doc, r.run.out, strlen(r.run.out), &lim);
	cr_assert_eq(rc, 0, "not JSON (%s): %s\nstderr: %s", zt_error_last(), r.run.out, r.run.err);
	r.root = zt_json_root(r.doc);
	return r;
}

static void report_free(struct report *r)
{
	zt_json_doc_free(r->doc);
	run_free(&r->run);
}

/* A number at a dotted path ("latency_us.p99"). */
static double num(const struct zt_json *obj, const char *path)
{
	char key[64];
	const char *dot;
	while ((dot = strchr(path, '.'))) {
		snprintf(key, sizeof key, "%.*s", (int)(dot - path), path);
		obj = zt_json_find(obj, key);
		cr_assert(obj && obj->type == ZT_JSON_OBJECT, "no object '%s'", key);
		path = dot + 1;
	}
	const struct zt_json *v = zt_json_find(obj, path);
	cr_assert(v && v->type == ZT_JSON_NUMBER, "no number '%s'", path);
	return strtod(v->text, NULL);
}

static long long count(const struct zt_json *obj, const char *path)
{
	return (long long)num(obj, path);
}

/* ---- open loop: counts, bodies, rates ------------------------------------------ */

Test(loadgen_open, every_request_is_counted_once_with_its_own_body_and_the_token)
{
	const char *log = tmp_path("server.log");
	struct server s = server_start("--log", log, NULL);
	zt_test_write("claim.json", "{\"claim_no\": \"LG-{RUN}-{SEQ}\", \"psn_no\": \"{PSN}\", "
	                            "\"again\": \"{SEQ}\"}\n");
	zt_test_write("persons.txt", "P0000001\nP0000002\n\nP0000003\n");
	const char *token = zt_test_write("token", "zt_d0bkmt7mp2jfhnyqg0gd6cj6yjj4wkxxczrrn13n\n");
	struct report r = loadgen("--rate 400 --duration 2s --body '%s' --persons '%s' --run-id t2 "
	                          "--seq-start 1001 --token-file '%s' '%s'",
	                          tmp_path("claim.json"), tmp_path("persons.txt"), token, s.url);
	cr_assert_eq(r.run.code, 0, "%s", r.run.err);
	cr_assert_eq(count(r.root, "requests"), 800);
	cr_assert_eq(count(r.root, "sent"), 800);
	cr_assert_eq(count(r.root, "answered"), 800);
	cr_assert_eq(count(r.root, "ok"), 800);
	cr_assert_eq(count(r.root, "errors"), 0);
	cr_assert_eq(count(r.root, "status.200"), 800);
	double sent = num(r.root, "sent_per_s"), answered = num(r.root, "answered_per_s");
	cr_assert(sent > 380 && sent < 420, "sent %.1f/s, not 400", sent);
	cr_assert(answered > 370 && answered < 420, "answered %.1f/s, not 400", answered);
	cr_assert_eq(count(r.root, "latency_us.count"), 800);
	report_free(&r);
	server_stop(&s);

	/* the server saw each of the 800 once: its own claim number, {SEQ}
	 * the same twice in a body, the persons in turn, the token */
	char *text = zt_test_slurp(log);
	int n = 0;
	static char seen[2000];
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		n++;
		cr_assert(strstr(line, "method=POST"), "%s", line);
		cr_assert(strstr(line, "auth=Bearer%20zt_d0bkmt7mp2jfhnyqg0gd6cj6yjj4wkxxczrrn13n "),
		          "%s", line);
		char *claim = strstr(line, "\"LG-t2-");
		cr_assert(claim, "%s", line);
		int seq = atoi(claim + 7);
		cr_assert(seq >= 1001 && seq <= 1800, "%s", line);
		cr_assert_eq(seen[seq]++, 0, "claim number %d twice", seq);
		char again[48], psn[48];
		snprintf(again, sizeof again, "\"again\": \"%d\"", seq);
		cr_assert(strstr(line, again), "{SEQ} twice in the body: %s", line);
		snprintf(psn, sizeof psn, "\"psn_no\": \"P000000%d\"", (seq - 1001) % 3 + 1);
		cr_assert(strstr(line, psn), "persons in turn: %s", line);
	}
	cr_assert_eq(n, 800);
	free(text);
}

Test(loadgen_open, a_token_comes_from_the_environment)
{
	const char *log = tmp_path("server.log");
	struct server s = server_start("--log", log, NULL);
	/* not set: refused before anything is sent */
	struct run run = sh("env -u ZT_LG_TOKEN %s --rate 50 --duration 1s --token-env ZT_LG_TOKEN '%s'",
	                    ZT_TEST_LOADGEN, s.url);
	cr_assert_eq(run.code, 2);
	run_free(&run);
	run = sh("ZT_LG_TOKEN=zt_secret %s --rate 50 --duration 1s --token-env ZT_LG_TOKEN '%s'",
	         ZT_TEST_LOADGEN, s.url);
	cr_assert_eq(run.code, 0, "%s", run.err);
	run_free(&run);
	server_stop(&s);
	char *text = zt_test_slurp(log);
	cr_assert(strncmp(text, "n=1 method=GET auth=Bearer%20zt_secret body=\n", 45) == 0, "%s", text);
	cr_assert(strstr(text, "n=50 method=GET auth=Bearer%20zt_secret body=\n"), "%s", text);
	cr_assert_null(strstr(text, "n=51 "));
	free(text);
}

Test(loadgen_open, errors_are_counted_by_status_and_fail_the_run)
{
	struct server s = server_start("--fail-every", "10", NULL);
	struct report r = loadgen("--rate 500 --duration 1s '%s'", s.url);
	cr_assert_eq(r.run.code, 1, "errors make exit 1: %s", r.run.err);
	cr_assert_eq(count(r.root, "requests"), 500);
	cr_assert_eq(count(r.root, "answered"), 500);
	cr_assert_eq(count(r.root, "status.200"), 450);
	cr_assert_eq(count(r.root, "status.503"), 50);
	cr_assert_eq(count(r.root, "ok"), 450);
	cr_assert_eq(count(r.root, "errors"), 50);
	report_free(&r);
	server_stop(&s);
}

/* A request whose answer is late is an error (timeout), counted once,
 * and the others go on on other connections. */
Test(loadgen_open, late_answers_are_timeouts)
{
	struct server s = server_start("--thread-per-connection", "--delay-every", "10", "--delay",
	                               "1500", NULL);
	struct report r = loadgen("--rate 100 --duration 1s --timeout 400ms '%s'", s.url);
	cr_assert_eq(r.run.code, 1);
	cr_assert_eq(count(r.root, "requests"), 100);
	cr_assert_eq(count(r.root, "failures.timeout"), 10, "%s", r.run.out);
	cr_assert_eq(count(r.root, "answered"), 90);
	cr_assert_eq(count(r.root, "errors"), 10);
	report_free(&r);
	server_stop(&s);
}

/* ---- the point: a stall is not hidden ------------------------------------------ */

/* The fraction of latencies of at least `ms` milliseconds, from the CSV. */
static double fraction_at_least(const char *csv_path, double ms)
{
	char *text = zt_test_slurp(csv_path);
	cr_assert_not_null(text);
	cr_assert_eq(strncmp(text, "low_us,high_us,count,cumulative_fraction\n", 41), 0);
	unsigned long long total = 0, over = 0;
	double last = 0;
	for (char *line = strtok(text + 41, "\n"); line; line = strtok(NULL, "\n")) {
		double low, high, cum;
		unsigned long long c;
		cr_assert_eq(sscanf(line, "%lf,%lf,%llu,%lf", &low, &high, &c, &cum), 4, "%s", line);
		cr_assert_leq(low, high);
		total += c;
		if (low >= ms * 1000)
			over += c;
		last = cum;
	}
	cr_assert_float_eq(last, 1.0, 1e-9);
	free(text);
	return (double)over / (double)total;
}

/* The server stalls 200 ms every second. Requests due during a stall wait
 * up to 200 ms: a fifth of them all, so p99 is near 200 ms although most
 * requests are fast; the requests delayed by 100 ms or more are about a
 * tenth. */
Test(loadgen_stall, a_200_ms_stall_every_second_shows_in_the_open_loop_p99)
{
	struct server s = server_start("--stall-every", "1000", "--stall", "200", NULL);
	const char *csv = tmp_path("open.csv");
	struct report r = loadgen("--rate 500 --duration 4s --histogram '%s' '%s'", csv, s.url);
	cr_assert_eq(r.run.code, 0, "%s", r.run.err);
	cr_assert_eq(count(r.root, "requests"), 2000);
	cr_assert_eq(count(r.root, "answered"), 2000);
	double p50 = num(r.root, "latency_us.p50") / 1000, p99 = num(r.root, "latency_us.p99") / 1000,
	       max = num(r.root, "latency_us.max") / 1000;
	cr_assert(p99 >= 150, "p99 %.1f ms hides the stall", p99);
	cr_assert(max >= 180 && max < 600, "max %.1f ms", max);
	cr_assert(p50 < 50, "p50 %.1f ms: most requests are fast", p50);
	double slow = fraction_at_least(csv, 100);
	cr_assert(slow > 0.05 && slow < 0.2, "%.3f of the requests waited 100 ms or more", slow);
	/* the requests were sent on time all the same */
	cr_assert(num(r.root, "sent_per_s") > 480, "%s", r.run.out);
	report_free(&r);
	server_stop(&s);
}

/* The same server in a closed loop: four connections each wait out a stall
 * once and send nothing meanwhile, so few requests are slow — the
 * coordinated omission the open loop avoids. */
Test(loadgen_stall, a_closed_loop_would_hide_it)
{
	struct server s = server_start("--stall-every", "1000", "--stall", "200", NULL);
	const char *csv = tmp_path("closed.csv");
	struct report r = loadgen("--closed --connections 4 --duration 4s --histogram '%s' '%s'", csv,
	                          s.url);
	cr_assert_eq(r.run.code, 0, "%s", r.run.err);
	long long n = count(r.root, "answered");
	cr_assert_gt(n, 2000, "closed loop throughput: %lld in 4 s", n);
	cr_assert_eq(count(r.root, "requests"), n, "every request sent is answered");
	double slow = fraction_at_least(csv, 100);
	cr_assert(slow < 0.02, "%.3f slow: the closed loop should hide the stall", slow);
	report_free(&r);
	server_stop(&s);
}

Test(loadgen_stall, the_histogram_csv_adds_up_to_the_answers)
{
	struct server s = server_start(NULL);
	const char *csv = tmp_path("h.csv");
	struct report r = loadgen("--rate 300 --duration 1s --histogram '%s' '%s'", csv, s.url);
	cr_assert_eq(r.run.code, 0, "%s", r.run.err);
	char *text = zt_test_slurp(csv);
	unsigned long long total = 0;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		double lo, hi, cum;
		unsigned long long c;
		if (sscanf(line, "%lf,%lf,%llu,%lf", &lo, &hi, &c, &cum) == 4)
			total += c;
	}
	cr_assert_eq(total, 300);
	free(text);
	/* the percentiles are in order */
	double p[] = {num(r.root, "latency_us.p50"), num(r.root, "latency_us.p90"),
	              num(r.root, "latency_us.p99"), num(r.root, "latency_us.p999"),
	              num(r.root, "latency_us.max")};
	for (int i = 1; i < 5; i++)
		cr_assert_leq(p[i - 1], p[i]);
	report_free(&r);
	server_stop(&s);
}

/* ---- find-max ----------------------------------------------------------------------- */

/* A server that takes 2 ms a request serves about 450 a second on an idle
 * machine: the highest rate that holds p99 ≤ 50 ms is below 500 and well
 * above 200. On a loaded machine the server serves fewer, so the bounds are
 * also taken against what it served in a closed loop just before (the
 * baseline of the same run): find-max never finds more than the server
 * can serve, and not less than a third of it. */
Test(loadgen_find_max, finds_the_capacity_of_a_server_of_2_ms_a_request)
{
	struct server s = server_start("--service-us", "2000", NULL);
	struct report c = loadgen("--closed --connections 1 --duration 1s '%s'", s.url);
	cr_assert_eq(c.run.code, 0, "%s", c.run.err);
	double cap = (double)count(c.root, "answered");
	report_free(&c);
	cr_assert(cap > 0 && cap <= 560, "the 2 ms server served %.0f in 1 s", cap);
	struct report r = loadgen("--find-max --start-rate 100 --duration 1s --pause 300ms "
	                          "--p99-max 50ms --precision 0.1 '%s'",
	                          s.url);
	cr_assert_eq(r.run.code, 0, "%s\n%s", r.run.out, r.run.err);
	double max = num(r.root, "max_rate_per_s");
	double low = cap / 3 < 200 ? cap / 3 : 200;
	cr_assert(max >= low && max <= 560 && max <= cap * 1.3 + 20,
	          "max %.1f/s for a 2 ms server that served %.0f/s in a closed loop", max, cap);
	const struct zt_json *steps = zt_json_find(r.root, "steps");
	cr_assert(steps && steps->type == ZT_JSON_ARRAY && steps->count >= 3);
	bool failed = false;
	for (size_t i = 0; i < steps->count; i++) {
		const struct zt_json *st = steps->items[i];
		const struct zt_json *held = zt_json_find(st, "held");
		double rate = num(st, "rate_per_s");
		if (held->type == ZT_JSON_FALSE)
			failed = true;
		else
			cr_assert(rate <= max, "a step at %.1f held above the max", rate);
	}
	cr_assert(failed, "some step must fail");
	cr_assert_leq(num(r.root, "at_max.latency_us.p99"), 50000);
	report_free(&r);
	server_stop(&s);
}

/* ---- the fsync probe --------------------------------------------------------------- */

Test(loadgen_fsync, measures_write_and_fdatasync_and_leaves_nothing)
{
	const char *dir = zt_test_tmpdir();
	struct report r = loadgen("--fsync-probe '%s' --fsync-count 50", dir);
	cr_assert_eq(r.run.code, 0, "%s", r.run.err);
	cr_assert_eq(count(r.root, "fsync.overwrite_us.count"), 50);
	cr_assert_eq(count(r.root, "fsync.append_us.count"), 50);
	cr_assert_leq(num(r.root, "fsync.overwrite_us.p50"), num(r.root, "fsync.overwrite_us.p99"));
	cr_assert_gt(num(r.root, "fsync.overwrite_us.max"), 0);
	report_free(&r);
	DIR *d = opendir(dir);
	cr_assert(d);
	for (struct dirent *e; (e = readdir(d));)
		cr_assert_null(strstr(e->d_name, "zhitong-loadgen"), "left behind: %s", e->d_name);
	closedir(d);
	/* the text form, with a run */
	struct server s = server_start(NULL);
	struct run run = sh("%s --fsync-probe '%s' --fsync-count 20 --rate 100 --duration 1s '%s'",
	                    ZT_TEST_LOADGEN, dir, s.url);
	cr_assert_eq(run.code, 0, "%s", run.err);
	cr_assert(strstr(run.out, "fsync probe"), "%s", run.out);
	cr_assert(strstr(run.out, "overwrite   p50"), "%s", run.out);
	cr_assert(strstr(run.out, "open loop     100.0 requests/s"), "%s", run.out);
	cr_assert(strstr(run.out, "latency (ms)  p50"), "%s", run.out);
	run_free(&run);
	server_stop(&s);
}

/* ---- what is refused ------------------------------------------------------------------ */

Test(loadgen_usage, a_token_is_never_taken_on_the_command_line)
{
	const char *hdr[] = {"Authorization: Bearer zt_x", "authorization:Bearer zt_x",
	                     "AUTHORIZATION: x"};
	for (size_t i = 0; i < 3; i++) {
		struct run r = sh("%s --header '%s' http://127.0.0.1:1/", ZT_TEST_LOADGEN, hdr[i]);
		cr_assert_eq(r.code, 2);
		cr_assert(strstr(r.err, "--token-env VAR or --token-file FILE"), "%s", r.err);
		run_free(&r);
	}
	struct run r = sh("env -u ZT_NOT_SET %s --token-env ZT_NOT_SET http://127.0.0.1:1/",
	                  ZT_TEST_LOADGEN);
	cr_assert_eq(r.code, 2);
	cr_assert(strstr(r.err, "$ZT_NOT_SET is not set"), "%s", r.err);
	run_free(&r);
}

Test(loadgen_usage, bad_options_exit_2_and_an_unreachable_server_3)
{
	const char *bad[] = {"", "--rate 0 http://x/", "--rate -5 http://x/", "--duration 5h http://x/",
	                     "--closed --rate 10 http://x/", "https://127.0.0.1/",
	                     "ftp://127.0.0.1/", "--bogus http://x/", "--body /nonexistent http://x/",
	                     "--method PATCH http://127.0.0.1:1/"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct run r = sh("%s %s", ZT_TEST_LOADGEN, bad[i]);
		cr_assert_eq(r.code, 2, "'%s': %d %s", bad[i], r.code, r.err);
		cr_assert(strncmp(r.err, "zhitong-loadgen: ", 17) == 0, "%s", r.err);
		run_free(&r);
	}
	/* nothing listens on port 1 */
	struct run r = sh("%s --rate 10 --duration 1s http://127.0.0.1:1/", ZT_TEST_LOADGEN);
	cr_assert_eq(r.code, 3, "%s", r.err);
	run_free(&r);
	r = sh("%s --help", ZT_TEST_LOADGEN);
	cr_assert_eq(r.code, 0);
	cr_assert(strstr(r.out, "--find-max"));
	run_free(&r);
}

/* One test at a time whatever -j says: they measure time. */
int main(int argc, char *argv[])
{
	struct criterion_test_set *tests = criterion_initialize();
	int result = 0;
	if (criterion_handle_args(argc, argv, true)) {
		criterion_options.jobs = 1;
		result = !criterion_run_all_tests(tests);
	}
	criterion_finalize(tests);
	return result;
}
