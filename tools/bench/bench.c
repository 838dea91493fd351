/* zhitong-bench — how fast is the engine, measured against a floor.
 *
 * Generates a synthetic world (gen.h), then runs each step as a child
 * process and takes its wall time and peak RSS from wait4():
 *   setup    zhitong init / registry load / rules load   (not in the ratio)
 *   engine   zhitong claim submit claims.xml > /dev/null
 *   floor A  xmllint --stream --noout claims.xml          (just reading the XML)
 *   floor B  sqlite3 inserting, in one transaction, as many rows as the
 *            engine added to its database                  (just storing)
 * The floor A + B is what any engine reading that file and storing that
 * much must pay at least; the ratio engine / floor is the cost of
 * everything else (validation, the split, the ledger, fsyncs).
 *
 * This is a tool, not the engine: timings are doubles here. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "zhitong/error.h"
#include "zhitong/gen.h"

#ifndef ZT_BENCH_ZHITONG
#define ZT_BENCH_ZHITONG "zhitong"
#endif

#define DEFAULT_CLAIMS 100000
#define DEFAULT_CHECK_MEMORY_CLAIMS 10000

static const char *zhitong = ZT_BENCH_ZHITONG;

struct step {
	const char *label;
	bool ran, ok;
	double seconds;
	long rss_kb;
	int exit_code; /* 0..255, or 128+signal */
	uint64_t claims; /* for claims/s; 0 = not a per-claim step */
};

/* --chunk N, handed to claim submit as given (NULL: the program's default) */
static const char *chunk_opt;

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: zhitong-bench [--claims N] [--seed S] [--dir D] [--keep] [--check-memory]\n"
	        "                     [--zhitong PATH] [--stores sqlite[,pg]] [--pg TARGET]\n"
	        "                     [--chunk N]\n"
	        "  --claims N       claims in the generated world (default %d; with\n"
	        "                   --check-memory %d)\n"
	        "  --seed S         world seed (default 1)\n"
	        "  --dir D          work in D (created if missing; its registry.xml,\n"
	        "                   claims.xml, bench.db … are overwritten) instead of\n"
	        "                   a new directory under $TMPDIR or /tmp\n"
	        "  --keep           keep the world and the databases afterwards\n"
	        "  --check-memory   settle N and 10×N claims and print both peak RSS values\n"
	        "  --zhitong PATH   the engine program (default %s)\n"
	        "  --pg TARGET      settle the same world on PostgreSQL too, side by side:\n"
	        "                   TARGET (postgresql://…) names an empty database\n"
	        "                   (the password from the password file, never here)\n"
	        "  --stores LIST    the stores to settle on, side by side: sqlite (default)\n"
	        "                   or sqlite,pg (pg needs --pg; tools/dev bench --stores\n"
	        "                   sqlite,pg starts a throwaway durable server for it)\n"
	        "  --chunk N        pass --chunk N to claim submit (0: the whole file in\n"
	        "                   one transaction, as before issue 11; default: the\n"
	        "                   program's chunks, each its own commit)\n"
	        "Prints, per step, wall seconds, claims/s and peak RSS; then the floor\n"
	        "(xmllint --stream + sqlite3 inserting the same number of rows) and the\n"
	        "ratio engine / floor. Exit 0 when every step ran, 1 if one failed.\n",
	        DEFAULT_CLAIMS, DEFAULT_CHECK_MEMORY_CLAIMS, ZT_BENCH_ZHITONG);
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void path_in(char *out, size_t n, const char *dir, const char *name)
{
	int len = snprintf(out, n, "%s/%s", dir, name);
	if (len < 0 || (size_t)len >= n) {
		fprintf(stderr, "zhitong-bench: path too long: %s/%s\n", dir, name);
		exit(2);
	}
}

/* Records how a child ended: wall time, peak RSS, exit code. */
static void finish(struct step *s, pid_t pid, double start)
{
	int st = 0;
	struct rusage ru;
	memset(&ru, 0, sizeof ru);
	while (wait4(pid, &st, 0, &ru) < 0) {
		if (errno != EINTR) {
			perror("zhitong-bench: wait4");
			exit(1);
		}
	}
	s->seconds = now_seconds() - start;
	s->rss_kb = ru.ru_maxrss; /* kilobytes on Linux */
	s->exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	s->ran = true;
}

static void redirect(int fd, const char *path, int flags)
{
	if (!path)
		return;
	int f = open(path, flags, 0644);
	if (f < 0 || dup2(f, fd) < 0) {
		fprintf(stderr, "zhitong-bench: %s: %s\n", path, strerror(errno));
		_exit(126);
	}
	close(f);
}

/* Where the children's stderr goes, so the table is not interleaved with
 * their chatter; shown when a step fails. */
static char log_path[PATH_MAX];

static void show_log_tail(void)
{
	FILE *f = fopen(log_path, "r");
	if (!f)
		return;
	char buf[2048];
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	fseek(f, size > (long)sizeof buf - 1 ? size - (long)sizeof buf + 1 : 0, SEEK_SET);
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	if (n)
		fprintf(stderr, "zhitong-bench: its stderr ended with:\n%s%s", buf,
		        buf[n - 1] == '\n' ? "" : "\n");
}

/* Runs argv with stdin/stdout optionally redirected to files and stderr
 * appended to the log. Exit 127 from the child means the program could
 * not be started. */
static void run(struct step *s, char *const argv[], const char *in, const char *out)
{
	fflush(NULL);
	double start = now_seconds();
	pid_t pid = fork();
	if (pid < 0) {
		perror("zhitong-bench: fork");
		exit(1);
	}
	if (pid == 0) {
		redirect(0, in, O_RDONLY);
		redirect(1, out, O_WRONLY | O_CREAT | O_TRUNC);
		if (log_path[0])
			redirect(2, log_path, O_WRONLY | O_CREAT | O_APPEND);
		execvp(argv[0], argv);
		fprintf(stderr, "zhitong-bench: cannot run '%s': %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	finish(s, pid, start);
	s->ok = s->exit_code == 0;
	if (!s->ok) {
		fprintf(stderr, "zhitong-bench: step '%s' failed (exit %d):", s->label, s->exit_code);
		for (int i = 0; argv[i]; i++)
			fprintf(stderr, " %s", argv[i]);
		if (in)
			fprintf(stderr, " < %s", in);
		fprintf(stderr, "\n");
		if (log_path[0])
			show_log_tail();
	}
}

static void on_progress(void *ctx, uint64_t done, uint64_t total)
{
	(void)ctx;
	if (isatty(2))
		fprintf(stderr, "\rgenerating: %" PRIu64 " / %" PRIu64 " claims%s", done, total,
		        done == total ? "\n" : "");
}

/* zt_gen_world in a child process, so its time and RSS are its own. */
static void generate(struct step *s, uint64_t claims, uint64_t seed, int people, const char *dir)
{
	fflush(NULL);
	double start = now_seconds();
	pid_t pid = fork();
	if (pid < 0) {
		perror("zhitong-bench: fork");
		exit(1);
	}
	if (pid == 0) {
		struct zt_gen_opts o = {.claims = claims, .seed = seed, .people = people,
		                        .progress = on_progress};
		if (zt_gen_world(&o, dir) != 0) {
			fprintf(stderr, "zhitong-bench: generating the world: %s\n", zt_error_last());
			_exit(1);
		}
		_exit(0);
	}
	finish(s, pid, start);
	s->ok = s->exit_code == 0;
	s->claims = claims;
}

/* Rows in every table of the database (sqlite_master), or -1. */
static int64_t count_rows(const char *db_path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *tables = NULL, *count = NULL;
	int64_t total = -1;
	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		goto done;
	if (sqlite3_prepare_v2(db,
	                       "SELECT name FROM sqlite_master WHERE type = 'table' "
	                       "AND name NOT LIKE 'sqlite_%'",
	                       -1, &tables, NULL) != SQLITE_OK)
		goto done;
	int64_t sum = 0;
	int rc;
	while ((rc = sqlite3_step(tables)) == SQLITE_ROW) {
		/* Table names come from the database itself, quoted as identifiers. */
		char *sql = sqlite3_mprintf("SELECT count(*) FROM \"%w\"", (const char *)sqlite3_column_text(tables, 0));
		if (!sql)
			goto done;
		int prc = sqlite3_prepare_v2(db, sql, -1, &count, NULL);
		sqlite3_free(sql);
		if (prc != SQLITE_OK || sqlite3_step(count) != SQLITE_ROW)
			goto done;
		sum += sqlite3_column_int64(count, 0);
		sqlite3_finalize(count);
		count = NULL;
	}
	if (rc == SQLITE_DONE)
		total = sum;
done:
	if (total < 0)
		fprintf(stderr, "zhitong-bench: cannot count rows in %s: %s\n", db_path,
		        db ? sqlite3_errmsg(db) : "cannot open");
	sqlite3_finalize(count);
	sqlite3_finalize(tables);
	sqlite3_close(db);
	return total;
}

/* A SQL script inserting `rows` rows of realistic width (a settlement's
 * worth of codes and amounts) into a fresh table, in one transaction. */
static bool write_floor_sql(const char *path, int64_t rows)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "zhitong-bench: %s: %s\n", path, strerror(errno));
		return false;
	}
	static char buf[1 << 20];
	setvbuf(f, buf, _IOFBF, sizeof buf);
	fprintf(f, "CREATE TABLE t(id INTEGER PRIMARY KEY, fixmedins_code TEXT NOT NULL,\n"
	           "  claim_no TEXT NOT NULL, fund TEXT NOT NULL, amount_fen INTEGER NOT NULL,\n"
	           "  note TEXT NOT NULL);\nBEGIN;\n");
	for (int64_t i = 1; i <= rows; i++)
		fprintf(f,
		        "INSERT INTO t VALUES(%" PRId64 ",'H510101%03d','ZY2017-%06" PRId64
		        "','%s',%" PRId64 ",'settled %06" PRId64 "');\n",
		        i, (int)(i % 12) + 1, i / 20, i % 3 ? "390100" : "610100",
		        (i * 7919) % 10000000, i % 1000000);
	fprintf(f, "COMMIT;\n");
	bool ok = !ferror(f);
	if (fclose(f) != 0)
		ok = false;
	if (!ok)
		fprintf(stderr, "zhitong-bench: cannot write %s\n", path);
	return ok;
}

static const char *const world_files[] = {
	"registry.xml", "policy.xml", "claims.xml", "bench.db", "bench.db-wal", "bench.db-shm",
	"bench.db-journal", "floor.db", "floor.db-journal", "floor.sql", "bench.log", NULL};

static void remove_world(const char *dir)
{
	char p[PATH_MAX];
	for (int i = 0; world_files[i]; i++) {
		path_in(p, sizeof p, dir, world_files[i]);
		unlink(p);
	}
}

struct engine_run {
	struct step gen, init, registry, rules, submit;
	int64_t rows; /* rows the submit added, -1 unknown */
	off_t claims_bytes;
};

/* Generates a world into dir, loads it into a fresh database and settles
 * it. Returns false if a step failed (already reported). */
static bool settle_world(struct engine_run *e, uint64_t claims, uint64_t seed, int people,
                         const char *dir)
{
	char db[PATH_MAX], registry[PATH_MAX], policy[PATH_MAX], claims_xml[PATH_MAX];
	path_in(db, sizeof db, dir, "bench.db");
	path_in(registry, sizeof registry, dir, "registry.xml");
	path_in(policy, sizeof policy, dir, "policy.xml");
	path_in(claims_xml, sizeof claims_xml, dir, "claims.xml");
	e->rows = -1;
	e->gen.label = "gen (zt_gen_world)";
	e->init.label = "zhitong init";
	e->registry.label = "zhitong registry load";
	e->rules.label = "zhitong rules load";
	e->submit.label = "zhitong claim submit";

	remove_world(dir);
	path_in(log_path, sizeof log_path, dir, "bench.log");
	generate(&e->gen, claims, seed, people, dir);
	if (!e->gen.ok)
		return false;
	struct stat st;
	e->claims_bytes = stat(claims_xml, &st) == 0 ? st.st_size : 0;

	char *z = (char *)zhitong;
	run(&e->init, (char *[]){z, "--db", db, "init", NULL}, "/dev/null", "/dev/null");
	if (!e->init.ok)
		return false;
	run(&e->registry, (char *[]){z, "--db", db, "registry", "load", registry, NULL}, "/dev/null",
	    "/dev/null");
	if (!e->registry.ok)
		return false;
	run(&e->rules, (char *[]){z, "--db", db, "rules", "load", policy, NULL}, "/dev/null", "/dev/null");
	if (!e->rules.ok)
		return false;
	int64_t before = count_rows(db);
	run(&e->submit, (char *[]){z, "--db", db, "claim", "submit", claims_xml, chunk_opt ? "--chunk" : NULL,
	                    (char *)chunk_opt, NULL}, "/dev/null",
	    "/dev/null");
	e->submit.claims = claims;
	if (e->submit.exit_code == 1) {
		/* Exit 1 = some claims rejected: the run is still a measurement, but
		 * a generated world should settle whole, so say so. */
		fprintf(stderr, "zhitong-bench: warning: the engine rejected some generated claims\n");
		e->submit.ok = true;
	}
	if (!e->submit.ok)
		return false;
	int64_t after = count_rows(db);
	if (before >= 0 && after >= 0)
		e->rows = after - before;
	return true;
}

static double mib(long kb)
{
	return (double)kb / 1024.0;
}

static void print_step(const struct step *s)
{
	if (!s->ran) {
		printf("  %-34s %10s\n", s->label, "not run");
		return;
	}
	char rate[32] = "-";
	if (s->claims && s->seconds > 0)
		snprintf(rate, sizeof rate, "%.0f", (double)s->claims / s->seconds);
	printf("  %-34s %10.2f %12s %10.1f%s\n", s->label, s->seconds, rate, mib(s->rss_kb),
	       s->ok ? "" : "   FAILED");
}

static void print_machine(void)
{
	struct utsname u;
	char model[256] = "";
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (f) {
		char line[512];
		while (fgets(line, sizeof line, f)) {
			char *colon = strchr(line, ':');
			if (strncmp(line, "model name", 10) == 0 && colon) {
				snprintf(model, sizeof model, "%s", colon + 2);
				model[strcspn(model, "\n")] = '\0';
				break;
			}
		}
		fclose(f);
	}
	printf("machine: %ld CPUs%s%s, Linux %s\n", sysconf(_SC_NPROCESSORS_ONLN), model[0] ? ", " : "",
	       model, uname(&u) == 0 ? u.release : "?");
}

/* The working directory: --dir (created if missing) or a new temp dir. */
static bool make_workdir(char *out, size_t n, const char *dir, bool *created)
{
	*created = false;
	if (dir) {
		snprintf(out, n, "%s", dir);
		if (mkdir(out, 0777) == 0)
			*created = true;
		else if (errno != EEXIST) {
			fprintf(stderr, "zhitong-bench: cannot create %s: %s\n", out, strerror(errno));
			return false;
		}
		return true;
	}
	const char *tmp = getenv("TMPDIR");
	snprintf(out, n, "%s/zhitong-bench-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(out)) {
		fprintf(stderr, "zhitong-bench: mkdtemp %s: %s\n", out, strerror(errno));
		return false;
	}
	*created = true;
	return true;
}

static int check_memory(uint64_t n, uint64_t seed, const char *dir, bool keep)
{
	struct engine_run runs[2];
	uint64_t sizes[2] = {n, n * 10};
	const char *subs[2] = {"x1", "x10"};
	/* The same registry for both, so only the number of claims differs. */
	uint64_t p = n / 4 < 50 ? 50 : n / 4 > 200000 ? 200000 : n / 4;
	int people = (int)p;
	bool all_ok = true;
	print_machine();
	for (int i = 0; i < 2; i++) {
		char sub[PATH_MAX];
		path_in(sub, sizeof sub, dir, subs[i]);
		memset(&runs[i], 0, sizeof runs[i]);
		if (mkdir(sub, 0777) != 0 && errno != EEXIST) {
			fprintf(stderr, "zhitong-bench: cannot create %s: %s\n", sub, strerror(errno));
			return 1;
		}
		bool ok = settle_world(&runs[i], sizes[i], seed, people, sub);
		all_ok &= ok;
		printf("%" PRIu64 " claims, %d people (%.1f MiB of XML):\n", sizes[i], people,
		       (double)runs[i].claims_bytes / 1048576.0);
		printf("  %-34s %10s %12s %10s\n", "step", "seconds", "claims/s", "peak MiB");
		print_step(&runs[i].gen);
		print_step(&runs[i].submit);
		if (!keep) {
			remove_world(sub);
			rmdir(sub);
		}
		if (!ok)
			break;
	}
	if (all_ok) {
		long a = runs[0].submit.rss_kb, b = runs[1].submit.rss_kb;
		printf("engine peak RSS: %.1f MiB for %" PRIu64 " claims, %.1f MiB for %" PRIu64
		       " claims (×%.2f for 10× the claims)\n",
		       mib(a), sizes[0], mib(b), sizes[1], a > 0 ? (double)b / (double)a : 0.0);
	}
	return all_ok ? 0 : 1;
}

static bool parse_u64(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-')
		return false;
	*out = v;
	return true;
}

int main(int argc, char **argv)
{
	uint64_t claims = 0, seed = 1;
	const char *dir_opt = NULL, *pg = NULL;
	bool keep = false, memory = false, want_pg = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool has_value = i + 1 < argc;
		if (strcmp(a, "--claims") == 0 && has_value) {
			if (!parse_u64(argv[++i], &claims) || claims == 0) {
				fprintf(stderr, "zhitong-bench: --claims wants a positive number\n");
				return 2;
			}
		} else if (strcmp(a, "--seed") == 0 && has_value) {
			if (!parse_u64(argv[++i], &seed)) {
				fprintf(stderr, "zhitong-bench: --seed wants a number\n");
				return 2;
			}
		} else if (strcmp(a, "--dir") == 0 && has_value) {
			dir_opt = argv[++i];
		} else if (strcmp(a, "--zhitong") == 0 && has_value) {
			zhitong = argv[++i];
		} else if (strcmp(a, "--pg") == 0 && has_value) {
			pg = argv[++i];
		} else if (strcmp(a, "--stores") == 0 && has_value) {
			const char *v = argv[++i];
			if (strcmp(v, "sqlite") == 0)
				want_pg = false;
			else if (strcmp(v, "sqlite,pg") == 0 || strcmp(v, "pg,sqlite") == 0)
				want_pg = true;
			else {
				fprintf(stderr, "zhitong-bench: --stores wants sqlite or sqlite,pg\n");
				return 2;
			}
		} else if (strcmp(a, "--chunk") == 0 && has_value) {
			uint64_t n;
			if (!parse_u64(argv[++i], &n)) {
				fprintf(stderr, "zhitong-bench: --chunk wants a number of claims\n");
				return 2;
			}
			chunk_opt = argv[i];
		} else if (strcmp(a, "--keep") == 0) {
			keep = true;
		} else if (strcmp(a, "--check-memory") == 0) {
			memory = true;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "zhitong-bench: unknown or incomplete option '%s'\n", a);
			usage(stderr);
			return 2;
		}
	}
	if (claims == 0)
		claims = memory ? DEFAULT_CHECK_MEMORY_CLAIMS : DEFAULT_CLAIMS;
	if (want_pg && !pg) {
		fprintf(stderr, "zhitong-bench: --stores sqlite,pg needs --pg TARGET (an empty database;"
		                " tools/dev bench --stores sqlite,pg starts one)\n");
		return 2;
	}
	if (pg && memory) {
		fprintf(stderr, "zhitong-bench: --check-memory runs on SQLite only\n");
		return 2;
	}

	char dir[PATH_MAX];
	bool created;
	if (!make_workdir(dir, sizeof dir, dir_opt, &created))
		return 1;
	if (keep)
		fprintf(stderr, "zhitong-bench: working in %s (kept)\n", dir);

	int status;
	if (memory) {
		status = check_memory(claims, seed, dir, keep);
		goto done;
	}

	struct engine_run e;
	memset(&e, 0, sizeof e);
	bool engine_ok = settle_world(&e, claims, seed, 0, dir);

	char claims_xml[PATH_MAX], floor_db[PATH_MAX], floor_sql[PATH_MAX];
	path_in(claims_xml, sizeof claims_xml, dir, "claims.xml");
	path_in(floor_db, sizeof floor_db, dir, "floor.db");
	path_in(floor_sql, sizeof floor_sql, dir, "floor.sql");
	struct step floor_a = {.label = "floor A: xmllint --stream"};
	struct step floor_b = {.label = "floor B: sqlite3 inserts"};
	if (e.gen.ok) {
		run(&floor_a, (char *[]){"xmllint", "--stream", "--noout", claims_xml, NULL}, "/dev/null",
		    "/dev/null");
		floor_a.claims = claims;
	}
	if (e.rows >= 0 && write_floor_sql(floor_sql, e.rows)) {
		unlink(floor_db);
		run(&floor_b, (char *[]){"sqlite3", floor_db, NULL}, floor_sql, "/dev/null");
	} else if (e.gen.ok) {
		fprintf(stderr, "zhitong-bench: floor B skipped: the engine's row count is unknown\n");
	}

	printf("zhitong-bench: %" PRIu64 " claims, seed %" PRIu64 ", claims.xml %.1f MiB, engine %s\n",
	       claims, seed, (double)e.claims_bytes / 1048576.0, zhitong);
	print_machine();
	printf("  %-34s %10s %12s %10s\n", "step", "seconds", "claims/s", "peak MiB");
	print_step(&e.gen);
	print_step(&e.init);
	print_step(&e.registry);
	print_step(&e.rules);
	print_step(&e.submit);
	print_step(&floor_a);
	if (e.rows >= 0)
		printf("  %-34s %10" PRId64 "\n", "  rows the engine inserted", e.rows);
	print_step(&floor_b);
	if (engine_ok && floor_a.ok && floor_b.ok) {
		double floor = floor_a.seconds + floor_b.seconds;
		printf("  %-34s %10.2f %12.0f\n", "floor = A + B", floor,
		       floor > 0 ? (double)claims / floor : 0.0);
		printf("  %-34s %10.2f\n", "ratio engine / floor", floor > 0 ? e.submit.seconds / floor : 0.0);
		status = 0;
	} else {
		printf("  ratio engine / floor: not available (a step failed, see above)\n");
		status = 1;
	}
	if (pg && engine_ok) {
		/* the same world on PostgreSQL, after SQLite's run */
		char registry[PATH_MAX], policy[PATH_MAX];
		path_in(registry, sizeof registry, dir, "registry.xml");
		path_in(policy, sizeof policy, dir, "policy.xml");
		char *z = (char *)zhitong, *t = (char *)pg;
		struct step init = {.label = "postgresql: init"}, reg = {.label = "postgresql: registry load"},
		            rules = {.label = "postgresql: rules load"},
		            submit = {.label = "postgresql: claim submit"};
		run(&init, (char *[]){z, "--db", t, "init", NULL}, "/dev/null", "/dev/null");
		if (init.ok)
			run(&reg, (char *[]){z, "--db", t, "registry", "load", registry, NULL}, "/dev/null",
			    "/dev/null");
		if (reg.ok)
			run(&rules, (char *[]){z, "--db", t, "rules", "load", policy, NULL}, "/dev/null",
			    "/dev/null");
		if (rules.ok) {
			run(&submit, (char *[]){z, "--db", t, "claim", "submit", claims_xml,
			                    chunk_opt ? "--chunk" : NULL, (char *)chunk_opt, NULL},
			    "/dev/null", "/dev/null");
			submit.claims = claims;
			submit.ok = submit.ok || submit.exit_code == 1;
		}
		print_step(&init);
		print_step(&reg);
		print_step(&rules);
		print_step(&submit);
		if (submit.ok && submit.seconds > 0 && e.submit.seconds > 0) {
			double sq = (double)claims / e.submit.seconds, pq = (double)claims / submit.seconds;
			printf("bulk claims/s (zhitong claim submit, %" PRIu64 " claims): sqlite %.0f, "
			       "postgresql %.0f, postgresql / sqlite %.2f (target: at least 0.50)\n",
			       claims, sq, pq, pq / sq);
		} else
			status = 1;
	}
done:
	if (!keep) {
		remove_world(dir);
		if (created)
			rmdir(dir);
	}
	return status;
}
