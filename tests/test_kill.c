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
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stress.h"
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
