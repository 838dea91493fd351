/* zhitong-batch-bench — export and sign the payer file of a batch of
 * 1,000,000 records, against a target of 5 s and 64 MB (money-flow work,
 * "Benchmark").
 *
 * How the batch is made: a small synthetic world (gen.h) is settled by the
 * real engine (`zhitong claim submit`), then its settlements that pay the
 * fund are copied in SQL, straight into the database, until the fund has
 * N shares: real traces and real field sizes, in seconds rather than the
 * hours a million claims through the settle pipeline would take. The copies
 * carry no ledger transfers or accumulators, so `zhitong verify` on the
 * benchmark database reports them: it is a fixture, never a world.
 *
 * Then, each as a child process timed with wait4() (wall seconds, peak RSS):
 *   batch create --fund F        (one transaction, N memberships)
 *   batch export --key ed25519    writing + SHA-256 + fsync + rename + signing
 *   batch export --key sm2        the same bytes again, signed with SM2/SM3
 *   batch export of a 10-record batch (another world), to show that memory
 *   does not grow with the batch.
 *
 * This is a tool, not the engine: timings are doubles here. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "zhitong/gen.h"

#ifndef ZT_BENCH_ZHITONG
#define ZT_BENCH_ZHITONG "zhitong"
#endif

#define DEFAULT_RECORDS 1000000
#define DEFAULT_SEED_CLAIMS 2000
#define TARGET_SECONDS 5.0
#define TARGET_RSS_MB 64.0
#define FUND "390100" /* basic insurance: pays on nearly every claim */
/* A share's trace, in the columns of schema/sqlite/009-traces.sql. */
#define TRACE_COLUMNS                                                                          \
	"f.trace_kind, f.inscp, f.hifp_pay, f.preselfpay_added, f.base, f.base_before, "         \
	"f.base_after, f.level_deductible, f.level_ratio_bp, f.adjusted, f.deductible_factor_bp, " \
	"f.ratio_bonus_bp, f.deductible, f.ratio_bp, f.act_pay_dedc, f.threshold, f.own_tiers, "  \
	"f.relief_name, f.cap_ratio_bp, f.psn0, f.target, f.gap_before, f.gap_after, f.raw, "     \
	"f.annual_cap, f.paid_before, f.paid_after, f.pay"

static const char *zhitong = ZT_BENCH_ZHITONG;

struct step {
	const char *label;
	bool ok;
	double seconds;
	long rss_kb;  /* peak RSS (wait4): heap and stack, and file pages mapped */
	long anon_kb; /* peak anonymous RSS, sampled from /proc every few ms */
};

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: zhitong-batch-bench [--records N] [--seed-claims C] [--dir D] [--keep]\n"
	        "                           [--zhitong PATH]\n"
	        "  --records N       records in the batch (default %d)\n"
	        "  --seed-claims C   claims settled by the engine before copying (default %d)\n"
	        "  --dir D           work in D (created if missing) instead of a new directory\n"
	        "  --keep            keep the work directory afterwards\n"
	        "  --zhitong PATH    the engine program (default %s)\n"
	        "Prints wall seconds and peak RSS of batch create and of batch export + sign\n"
	        "(Ed25519 and SM2), and checks export + sign against %.0f s and %.0f MB.\n"
	        "Exit 0 when every step ran, 1 if one failed.\n",
	        DEFAULT_RECORDS, DEFAULT_SEED_CLAIMS, ZT_BENCH_ZHITONG, TARGET_SECONDS,
	        TARGET_RSS_MB);
}

/* RssAnon of a running process: its heap, stacks and other private
 * memory, without the file pages it has mapped (kB, 0 if unknown). */
static long anon_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = 0;
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof line, f))
		if (!strncmp(line, "RssAnon:", 8)) {
			kb = strtol(line + 8, NULL, 10);
			break;
		}
	fclose(f);
	return kb;
}

/* Runs argv with stdout to `out` (NULL: /dev/null), stderr to the log. */
static bool run(struct step *s, const char *log, const char *out, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static bool run(struct step *s, const char *log, const char *out, const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	double start = now_seconds();
	pid_t pid = fork();
	if (pid < 0) {
		perror("zhitong-batch-bench: fork");
		return false;
	}
	if (pid == 0) {
		int o = open(out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		int e = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
			_exit(127);
		/* the shell only splits words: every path here is ours */
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	int st = 0;
	struct rusage ru;
	long anon = 0;
	for (;;) {
		pid_t w = wait4(pid, &st, s ? WNOHANG : 0, &ru);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			perror("zhitong-batch-bench: wait4");
			return false;
		}
		if (w == 0) {
			long kb = anon_kb(pid);
			if (kb > anon)
				anon = kb;
			usleep(2000);
		}
	}
	if (s) {
		s->seconds = now_seconds() - start;
		s->rss_kb = ru.ru_maxrss;
		s->anon_kb = anon;
		s->ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "zhitong-batch-bench: failed: %s (see %s)\n", cmd, log);
		return false;
	}
	return true;
}

static bool settle_world(const char *dir, const char *db, const char *log, uint64_t claims)
{
	struct zt_gen_opts o = {.claims = claims, .seed = 7};
	if (zt_gen_world(&o, dir) != 0) {
		fprintf(stderr, "zhitong-batch-bench: cannot generate a world in %s\n", dir);
		return false;
	}
	return run(NULL, log, NULL, "'%s' --db '%s' init", zhitong, db) &&
	       run(NULL, log, NULL, "'%s' --db '%s' registry load '%s/registry.xml'", zhitong, db,
	           dir) &&
	       run(NULL, log, NULL, "'%s' --db '%s' rules load '%s/policy.xml'", zhitong, db, dir) &&
	       run(NULL, log, NULL, "'%s' --db '%s' claim submit '%s/claims.xml'", zhitong, db, dir);
}

static bool exec_sql(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "zhitong-batch-bench: sql: %s\n", msg ? msg : "?");
		sqlite3_free(msg);
		return false;
	}
	return true;
}

/* Copies the fund's settlements until it has `records` shares. Copy n of a
 * source row gets claim id / settlement id base + n and a claim number
 * suffixed "#copy", so every key stays unique. */
static bool replicate(const char *db_path, int64_t records, int64_t *have_out)
{
	sqlite3 *db = NULL;
	bool ok = false;
	char sql[8192];
	int64_t k = 0;
	if (sqlite3_open(db_path, &db) != SQLITE_OK)
		goto done;
	sqlite3_busy_timeout(db, 60000);
	if (!exec_sql(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF; "
	                  "CREATE TEMP TABLE src (rn INTEGER PRIMARY KEY, sid INTEGER, cid INTEGER, "
	                  "fseq INTEGER);"
	                  "INSERT INTO src (sid, cid, fseq) SELECT s.id, s.claim_id, f.seq "
	                  "FROM settlement s JOIN settlement_fund f ON f.settlement_id = s.id "
	                  "WHERE f.fund_code = '" FUND "' AND s.kind = 'settle' ORDER BY s.id;"))
		goto done;
	sqlite3_stmt *p = NULL;
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM src", -1, &p, NULL) == SQLITE_OK &&
	    sqlite3_step(p) == SQLITE_ROW)
		k = sqlite3_column_int64(p, 0);
	sqlite3_finalize(p);
	if (k <= 0) {
		fprintf(stderr, "zhitong-batch-bench: the world has no share of fund %s\n", FUND);
		goto done;
	}
	*have_out = k;
	if (records <= k) {
		ok = true;
		goto done;
	}
	/* n runs over k .. records-1: the first k records are the originals. */
	snprintf(sql, sizeof sql,
	         "BEGIN;"
	         "CREATE TEMP TABLE base AS SELECT (SELECT MAX(id) FROM claim) AS c,"
	         " (SELECT MAX(id) FROM settlement) AS s;"
	         "CREATE TEMP TABLE copies AS WITH RECURSIVE r(n) AS (SELECT %lld UNION ALL"
	         " SELECT n + 1 FROM r WHERE n < %lld) SELECT n, n %% %lld + 1 AS rn, n / %lld AS copy"
	         " FROM r;"
	         "INSERT INTO claim (id, fixmedins_code, claim_no, seq, psn_no, adm_date, dscg_date,"
	         " dscg_maindiag_code, medfee_sumamt, item_count, items, digest, received_at)"
	         " SELECT (SELECT c FROM base) + x.n, c.fixmedins_code, c.claim_no || '#' || x.copy,"
	         " c.seq, c.psn_no, c.adm_date, c.dscg_date, c.dscg_maindiag_code, c.medfee_sumamt,"
	         " c.item_count, c.items, c.digest, c.received_at"
	         " FROM copies x JOIN src ON src.rn = x.rn JOIN claim c ON c.id = src.cid;"
	         "INSERT INTO settlement SELECT (SELECT s FROM base) + x.n,"
	         " printf('S%%012d', (SELECT s FROM base) + x.n), (SELECT c FROM base) + x.n,"
	         " s.kind, NULL, NULL, s.actor, s.policy_row, s.year, s.psn_no, s.fixmedins_code,"
	         " s.category, s.hospital_level, s.in_county, s.medfee_sumamt, s.fulamt_ownpay_amt,"
	         " s.overlmt_selfpay, s.preselfpay_amt, s.inscp_scp_amt, s.act_pay_dedc,"
	         " s.pool_prop_bp, s.hifp_pay, s.hifmi_pay, s.maf_pay, s.oth_pay, s.fund_pay_sumamt,"
	         " s.hosp_part_amt, s.psn_part_amt, s.critical_base_added, s.settled_at"
	         " FROM copies x JOIN src ON src.rn = x.rn JOIN settlement s ON s.id = src.sid;"
	         "INSERT INTO settlement_fund SELECT (SELECT s FROM base) + x.n, f.seq, f.fund_code,"
	         " f.kind, f.amount, f.slot, " TRACE_COLUMNS " FROM copies x JOIN src ON src.rn = x.rn"
	         " JOIN settlement_fund f ON f.settlement_id = src.sid AND f.seq = src.fseq;"
	         "INSERT INTO settlement_trace_segment SELECT (SELECT s FROM base) + x.n, g.seq, g.k,"
	         " g.tier_from, g.tier_to, g.covered_from, g.covered_to, g.ratio_bp FROM copies x"
	         " JOIN src ON src.rn = x.rn JOIN settlement_trace_segment g"
	         " ON g.settlement_id = src.sid AND g.seq = src.fseq;"
	         "COMMIT;",
	         (long long)k, (long long)records - 1, (long long)k, (long long)k);
	ok = exec_sql(db, sql);
done:
	if (!ok && db && sqlite3_errcode(db) != SQLITE_OK)
		fprintf(stderr, "zhitong-batch-bench: %s: %s\n", db_path, sqlite3_errmsg(db));
	sqlite3_close(db);
	return ok;
}

static double mb(long kb) { return (double)kb / 1024.0; }

static void print_step(const struct step *s)
{
	printf("  %-48s %7.2f s %8.1f MB %8.1f MB%s\n", s->label, s->seconds, mb(s->rss_kb),
	       mb(s->anon_kb), s->ok ? "" : "  FAILED");
}

static long long file_bytes(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

int main(int argc, char **argv)
{
	int64_t records = DEFAULT_RECORDS;
	uint64_t seed_claims = DEFAULT_SEED_CLAIMS;
	const char *dir_opt = NULL;
	bool keep = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--records") && v) {
			records = strtoll(v, NULL, 10);
			i++;
		} else if (!strcmp(a, "--seed-claims") && v) {
			seed_claims = strtoull(v, NULL, 10);
			i++;
		} else if (!strcmp(a, "--dir") && v) {
			dir_opt = v;
			i++;
		} else if (!strcmp(a, "--zhitong") && v) {
			zhitong = v;
			i++;
		} else if (!strcmp(a, "--keep")) {
			keep = true;
		} else if (!strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (records < 1 || seed_claims < 1) {
		usage(stderr);
		return 2;
	}

	char dir[1024], big[PATH_MAX], small[PATH_MAX], db[PATH_MAX], sdb[PATH_MAX],
		log[PATH_MAX], idf[PATH_MAX], sidf[PATH_MAX];
	if (dir_opt && strlen(dir_opt) >= sizeof dir) {
		fprintf(stderr, "zhitong-batch-bench: --dir is too long\n");
		return 2;
	}
	if (dir_opt) {
		snprintf(dir, sizeof dir, "%s", dir_opt);
		mkdir(dir, 0755);
	} else {
		const char *tmp = getenv("TMPDIR");
		snprintf(dir, sizeof dir, "%s/zhitong-batch-bench-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
		if (!mkdtemp(dir)) {
			perror("zhitong-batch-bench: mkdtemp");
			return 1;
		}
	}
	snprintf(big, sizeof big, "%s/world", dir);
	snprintf(small, sizeof small, "%s/small", dir);
	snprintf(db, sizeof db, "%s/bench.db", dir);
	snprintf(sdb, sizeof sdb, "%s/small.db", dir);
	snprintf(log, sizeof log, "%s/bench.log", dir);
	snprintf(idf, sizeof idf, "%s/batch-id", dir);
	snprintf(sidf, sizeof sidf, "%s/small-batch-id", dir);
	unlink(db);
	unlink(sdb);
	fprintf(stderr, "zhitong-batch-bench: working in %s\n", dir);

	bool ok = true;
	int64_t have = 0;
	double t0 = now_seconds();
	ok = settle_world(big, db, log, seed_claims) && replicate(db, records, &have) &&
	     settle_world(small, sdb, log, 12);
	double setup = now_seconds() - t0;
	ok = ok && run(NULL, log, NULL,
	               "cd '%s' && openssl genpkey -algorithm ed25519 -out ed25519.pem && "
	               "openssl genpkey -algorithm SM2 -out sm2.pem && "
	               "openssl pkey -in ed25519.pem -pubout -out ed25519.pub && "
	               "openssl pkey -in sm2.pem -pubout -out sm2.pub",
	               dir);
	if (!ok) {
		fprintf(stderr, "zhitong-batch-bench: setup failed (log: %s)\n", log);
		return 1;
	}

	struct step create = {.label = "batch create (N memberships, one transaction)"},
		    ed = {.label = "batch export + sign, Ed25519"},
		    sm2 = {.label = "batch export + sign, SM2 (SM3)"},
		    small_ed = {.label = "batch export + sign, Ed25519, 10-record batch"},
		    verify = {.label = "batch verify (openssl-compatible check + file)"};
	char id[64] = "", sid[64] = "";
	ok = run(&create, log, idf, "exec '%s' --db '%s' batch create --fund " FUND " --by bench-maker",
	         zhitong, db);
	FILE *f = fopen(idf, "r");
	if (!f || !fgets(id, sizeof id, f))
		ok = false;
	if (f)
		fclose(f);
	id[strcspn(id, "\n")] = '\0';
	ok = ok && run(NULL, log, NULL, "'%s' --db '%s' batch approve %s --by bench-checker",
	               zhitong, db, id);
	ok = ok && run(&ed, log, NULL, "exec '%s' --db '%s' batch export %s --out '%s/batch.xml' --key "
	               "'%s/ed25519.pem'", zhitong, db, id, dir, dir);
	char bigfile[PATH_MAX + 16];
	snprintf(bigfile, sizeof bigfile, "%s/batch.xml", dir);
	long long bytes = file_bytes(bigfile);
	ok = ok && run(&sm2, log, NULL, "exec '%s' --db '%s' batch export %s --out '%s/batch-sm2.xml' "
	               "--key '%s/sm2.pem'", zhitong, db, id, dir, dir);
	ok = ok && run(&verify, log, NULL, "exec '%s' batch verify '%s/batch.xml' '%s/batch.xml.sig' "
	               "'%s/ed25519.pub'", zhitong, dir, dir, dir);
	/* the small batch: a world of 12 claims, about ten shares of the fund */
	ok = ok && run(NULL, log, sidf, "'%s' --db '%s' batch create --fund " FUND
	               " --by bench-maker", zhitong, sdb);
	f = fopen(sidf, "r");
	if (!f || !fgets(sid, sizeof sid, f))
		ok = false;
	if (f)
		fclose(f);
	sid[strcspn(sid, "\n")] = '\0';
	ok = ok && run(NULL, log, NULL, "'%s' --db '%s' batch approve %s --by bench-checker",
	               zhitong, sdb, sid);
	ok = ok && run(&small_ed, log, NULL, "exec '%s' --db '%s' batch export %s --out '%s/small.xml' "
	               "--key '%s/ed25519.pem'", zhitong, sdb, sid, dir, dir);

	printf("zhitong-batch-bench: fund %s, %lld records (%llu claims settled by the engine, "
	       "their %lld shares copied in SQL; setup %.1f s)\n", FUND, (long long)records,
	       (unsigned long long)seed_claims, (long long)have, setup);
	printf("  payer file: %.1f MB\n", (double)bytes / 1048576.0);
	printf("  %-48s %9s %11s %11s\n", "step", "wall", "peak RSS", "peak anon");
	print_step(&create);
	print_step(&ed);
	print_step(&sm2);
	print_step(&verify);
	print_step(&small_ed);
	for (int i = 0; i < 2; i++) {
		const struct step *s = i ? &sm2 : &ed;
		bool fast = s->seconds <= TARGET_SECONDS, lean = mb(s->rss_kb) <= TARGET_RSS_MB,
		     anon_lean = mb(s->anon_kb) <= TARGET_RSS_MB;
		printf("  target (%.0f s, %.0f MB) %-30s time %s, peak RSS %s, peak anonymous %s\n",
		       TARGET_SECONDS, TARGET_RSS_MB, s->label, fast ? "met" : "MISSED",
		       lean ? "met" : "MISSED", anon_lean ? "met" : "MISSED");
	}
	printf("  (peak RSS counts the pages of the file mapped to be signed: Ed25519 is\n"
	       "   one-shot over the whole message, and zt_sign_file maps it; page cache,\n"
	       "   not heap. SM2/SM3 streams.)\n");
	if (!keep && !dir_opt)
		run(NULL, "/dev/null", NULL, "rm -rf '%s'", dir);
	else
		printf("  kept: %s\n", dir);
	return ok ? 0 : 1;
}
