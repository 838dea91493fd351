/* zhitong-recon-bench — import and match a camt.053 statement of 100,000
 * entries, against a target of 2 s (issue "Money flow II", "Benchmark").
 *
 * The world: a small synthetic world (gen.h) settled by the real engine,
 * then batches and advances written straight into the database in SQL —
 * accepted batches with their trail of events (create, approve, export,
 * send, accept), advances with their ledger transfers — as many as the
 * statement needs, in seconds rather than the hours that settling and
 * exporting 80,000 real batches would take. The batches hold no shares, so
 * `zhitong verify` on the benchmark database reports them: it is a
 * fixture, never a world.
 *
 * The statement (camt.053.001.08, one file) pays the batches every way the
 * rules know, in these proportions of --entries:
 *   60 %  a credit paying one batch in full
 *   20 %  two instalments of one batch (the first halves, later the rest)
 *    5 %  a credit paying two batches together
 *   10 %  a debit confirming an advance
 *  2.5 %  an over-payment (exception amount)
 *  2.5 %  a credit naming a batch that does not exist (exception unknown)
 *
 * Timed, each as a child process with wait4() (wall seconds, peak RSS):
 *   reconcile import FILE        everything stored, matched and booked
 *   reconcile import FILE again  every entry known: nothing stored
 * and the outcome is checked in SQL (paid batches, confirmed advances,
 * exceptions, ledger), so a fast wrong answer does not pass.
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
#include "zhitong/money.h"

#ifndef ZT_BENCH_ZHITONG
#define ZT_BENCH_ZHITONG "zhitong"
#endif

#define DEFAULT_ENTRIES 100000
#define TARGET_SECONDS 2.0
#define POOL_ACCOUNT "6222020200112233445"

static const char *zhitong = ZT_BENCH_ZHITONG;

struct step {
	const char *label;
	bool ok;
	double seconds;
	long rss_kb;
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
	        "usage: zhitong-recon-bench [--entries N] [--dir D] [--keep] [--setup-only] [--zhitong PATH]\n"
	        "  --entries N      statement entries (default %d, at least 40)\n"
	        "  --dir D          work in D (created if missing) instead of a new directory\n"
	        "  --keep           keep the work directory afterwards\n"
	        "  --setup-only     build the database and the statement, keep them, and stop\n"
	        "                   before the import (to profile the import by hand)\n"
	        "  --zhitong PATH   the engine program (default %s)\n"
	        "Prints wall seconds and peak RSS of `reconcile import` (all new, then all known)\n"
	        "and checks the first against %.0f s. Exit 0 when every step ran and the outcome\n"
	        "is right, 1 otherwise.\n",
	        DEFAULT_ENTRIES, ZT_BENCH_ZHITONG, TARGET_SECONDS);
}

/* Runs a shell command with stdout to `out` (NULL: /dev/null), stderr to the
 * log; exit statuses in ok_mask (bit n: n is fine) count as success. */
static bool run(struct step *s, const char *log, unsigned ok_mask, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static bool run(struct step *s, const char *log, unsigned ok_mask, const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	double start = now_seconds();
	pid_t pid = fork();
	if (pid < 0) {
		perror("zhitong-recon-bench: fork");
		return false;
	}
	if (pid == 0) {
		int o = open("/dev/null", O_WRONLY | O_CLOEXEC);
		int e = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
			_exit(127);
		/* the shell only splits words: every path here is ours */
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	int st = 0;
	struct rusage ru;
	while (wait4(pid, &st, 0, &ru) < 0)
		if (errno != EINTR) {
			perror("zhitong-recon-bench: wait4");
			return false;
		}
	bool ok = WIFEXITED(st) && WEXITSTATUS(st) < 32 && (ok_mask >> WEXITSTATUS(st)) & 1;
	if (s) {
		s->seconds = now_seconds() - start;
		s->rss_kb = ru.ru_maxrss;
		s->ok = ok;
	}
	if (!ok)
		fprintf(stderr, "zhitong-recon-bench: failed (exit %d): %s (see %s)\n",
		        WIFEXITED(st) ? WEXITSTATUS(st) : -1, cmd, log);
	return ok;
}

static bool exec_sql(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "zhitong-recon-bench: sql: %s\n", msg ? msg : "?");
		sqlite3_free(msg);
		return false;
	}
	return true;
}

static int64_t query_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *p = NULL;
	int64_t v = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &p, NULL) == SQLITE_OK && sqlite3_step(p) == SQLITE_ROW)
		v = sqlite3_column_int64(p, 0);
	sqlite3_finalize(p);
	return v;
}

struct plan {
	int64_t full, instalments, pairs, advances, over, unknown; /* entries of each sort */
	int64_t batches;                                           /* batches needed */
};

static struct plan make_plan(int64_t entries)
{
	struct plan p;
	p.instalments = entries / 10;   /* batches: 2 entries each = 20 % */
	p.pairs = entries / 20;         /* entries: 2 batches each  = 5 %  */
	p.advances = entries / 10;
	p.over = entries / 40;
	p.unknown = entries / 40;
	p.full = entries - 2 * p.instalments - p.pairs - p.advances - p.over - p.unknown;
	p.batches = p.full + p.instalments + 2 * p.pairs + p.over;
	return p;
}

/* Accepted batches and issued advances, straight into the database. */
static bool make_fixture(const char *db_path, const struct plan *pl, const char *now,
                         const char *today8, int today)
{
	sqlite3 *db = NULL;
	char sql[8192];
	bool ok = false;
	if (sqlite3_open(db_path, &db) != SQLITE_OK)
		goto done;
	sqlite3_busy_timeout(db, 60000);
	snprintf(sql, sizeof sql,
	         "PRAGMA synchronous = OFF; BEGIN;"
	         "CREATE TEMP TABLE funds AS SELECT row_number() OVER (ORDER BY code) - 1 AS k, code"
	         " FROM fund;"
	         "CREATE TEMP TABLE hosp AS SELECT row_number() OVER (ORDER BY code) - 1 AS k, code"
	         " FROM hospital;"
	         "CREATE TEMP TABLE nb AS WITH RECURSIVE r(n) AS (SELECT 0 UNION ALL SELECT n + 1"
	         " FROM r WHERE n < %lld) SELECT n FROM r;"
	         "INSERT INTO batch (id, fund_code, seq, status, period_from, period_to, count, total,"
	         " created_at, created_by, approved_at, approved_by, exported_at, file_path,"
	         " file_sha256, digest, key_type, receipt, accepted_total)"
	         " SELECT printf('B%%s-%%06d', f.code, n / (SELECT count(*) FROM funds) + 1), f.code,"
	         " n / (SELECT count(*) FROM funds) + 1, 'accepted', 20170101, 20171231, 0,"
	         " 100000 + (n * 7919) %% 9000000, '%s', 'bench', '%s', 'bench-checker', '%s',"
	         " 'bench.xml', '', '', 'ed25519', 'R-bench', 100000 + (n * 7919) %% 9000000"
	         " FROM nb JOIN funds f ON f.k = n %% (SELECT count(*) FROM funds) ORDER BY n;"
	         "INSERT INTO batch_event (batch_id, at, actor, action, status_from, status_to)"
	         " SELECT id, '%s', 'bench', a.action, a.f, a.t FROM batch,"
	         " (SELECT 1 AS o, 'create' AS action, NULL AS f, 'draft' AS t UNION ALL"
	         "  SELECT 2, 'approve', 'draft', 'approved' UNION ALL"
	         "  SELECT 3, 'export', 'approved', 'exported' UNION ALL"
	         "  SELECT 4, 'send', 'exported', 'sent' UNION ALL"
	         "  SELECT 5, 'accept', 'sent', 'accepted') a"
	         " WHERE batch.created_by = 'bench' ORDER BY batch.rowid, a.o;"
	         "CREATE TEMP TABLE na AS WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1"
	         " FROM r WHERE n < %lld) SELECT n FROM r;"
	         "INSERT INTO advance (advance_id, hospital, amount, msg_id, made_by, approved_by,"
	         " issued_by, issued_at, execution_date, file)"
	         " SELECT printf('ADV-%s-%%06d', n), h.code, 500000 + (n * 104729) %% 5000000,"
	         " printf('ADV-%s-%%06d', n), 'bench-maker', 'bench-checker', 'bench', '%s', %d,"
	         " 'bench.xml' FROM na JOIN hosp h ON h.k = n %% (SELECT count(*) FROM hosp) ORDER BY n;"
	         "INSERT INTO transfer (debit, credit, amount, kind, ref, at)"
	         " SELECT 'hospital:' || hospital, 'pool:bank', amount, 'advance', advance_id, issued_at"
	         " FROM advance WHERE made_by = 'bench-maker' ORDER BY id;"
	         "DELETE FROM account;"
	         "INSERT INTO account (name, balance) SELECT name, SUM(v) FROM (SELECT debit AS name,"
	         " amount AS v FROM transfer UNION ALL SELECT credit, -amount FROM transfer)"
	         " GROUP BY name;"
	         "COMMIT;",
	         (long long)pl->batches - 1, now, now, now, now, (long long)pl->advances, today8,
	         today8, now, today);
	ok = exec_sql(db, sql);
done:
	if (!ok && db && sqlite3_errcode(db) != SQLITE_OK)
		fprintf(stderr, "zhitong-recon-bench: %s: %s\n", db_path, sqlite3_errmsg(db));
	sqlite3_close(db);
	return ok;
}

struct item {
	char id[40];
	int64_t amount;
};

static struct item *load_items(sqlite3 *db, const char *sql, int64_t n)
{
	struct item *v = calloc((size_t)n, sizeof *v);
	sqlite3_stmt *p = NULL;
	int64_t k = 0;
	if (!v || sqlite3_prepare_v2(db, sql, -1, &p, NULL) != SQLITE_OK)
		goto fail;
	while (k < n && sqlite3_step(p) == SQLITE_ROW) {
		snprintf(v[k].id, sizeof v[k].id, "%s", (const char *)sqlite3_column_text(p, 0));
		v[k].amount = sqlite3_column_int64(p, 1);
		k++;
	}
	sqlite3_finalize(p);
	if (k == n)
		return v;
fail:
	fprintf(stderr, "zhitong-recon-bench: read %lld of %lld rows: %s\n", (long long)k,
	        (long long)n, sqlite3_errmsg(db));
	sqlite3_finalize(p);
	free(v);
	return NULL;
}

static void entry(FILE *f, int64_t *seq, bool credit, int64_t amount, const char *day,
                  const char *e2e, const char *ustrd)
{
	char y[ZT_FMT_BYTES];
	fprintf(f,
	        "<Ntry><Amt Ccy=\"CNY\">%s</Amt><CdtDbtInd>%s</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>"
	        "<BookgDt><Dt>%s</Dt></BookgDt><AcctSvcrRef>BENCH%010lld</AcctSvcrRef><BkTxCd/>"
	        "<NtryDtls><TxDtls><Refs><EndToEndId>%s</EndToEndId></Refs>",
	        zt_format_amount(y, amount), credit ? "CRDT" : "DBIT", day, (long long)++*seq, e2e);
	if (ustrd)
		fprintf(f, "<RmtInf><Ustrd>%s</Ustrd></RmtInf>", ustrd);
	fputs("</TxDtls></NtryDtls></Ntry>\n", f);
}

/* The statement: see the proportions at the top. */
static bool write_statement(const char *path, const char *db_path, const struct plan *pl,
                            const char *day)
{
	sqlite3 *db = NULL;
	struct item *b = NULL, *a = NULL;
	FILE *f = NULL;
	bool ok = false;
	char text[200];
	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		goto done;
	b = load_items(db, "SELECT id, accepted_total FROM batch WHERE created_by = 'bench' "
	                   "ORDER BY rowid", pl->batches);
	a = load_items(db, "SELECT advance_id, amount FROM advance WHERE made_by = 'bench-maker' "
	                   "ORDER BY id", pl->advances);
	if (!b || !a || !(f = fopen(path, "w")))
		goto done;
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	           "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\">"
	           "<BkToCstmrStmt><GrpHdr><MsgId>BENCH-STATEMENT</MsgId>"
	           "<CreDtTm>%sT18:00:00Z</CreDtTm></GrpHdr><Stmt><Id>BENCH-1</Id>"
	           "<Acct><Id><Othr><Id>" POOL_ACCOUNT "</Id></Othr></Id><Ccy>CNY</Ccy></Acct>"
	           "<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"CNY\">0.00</Amt>"
	           "<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>%s</Dt></Dt></Bal>\n",
	           day, day);
	int64_t seq = 0, k = 0;
	for (int64_t i = 0; i < pl->full; i++, k++) {
		snprintf(text, sizeof text, "结算款 %s", b[k].id);
		entry(f, &seq, true, b[k].amount, day, "NOTPROVIDED", text);
	}
	int64_t inst = k;
	for (int64_t i = 0; i < pl->instalments; i++, k++) {
		snprintf(text, sizeof text, "%s 第一期", b[k].id);
		entry(f, &seq, true, b[k].amount / 2, day, "NOTPROVIDED", text);
	}
	for (int64_t i = 0; i < pl->pairs; i++, k += 2) {
		snprintf(text, sizeof text, "%s %s", b[k].id, b[k + 1].id);
		entry(f, &seq, true, b[k].amount + b[k + 1].amount, day, "NOTPROVIDED", text);
	}
	for (int64_t i = 0; i < pl->advances; i++)
		entry(f, &seq, false, a[i].amount, day, a[i].id, NULL);
	for (int64_t i = 0; i < pl->over; i++, k++)
		entry(f, &seq, true, b[k].amount + 100, day, b[k].id, NULL);
	for (int64_t i = 0; i < pl->unknown; i++) {
		snprintf(text, sizeof text, "B999999-%06lld", (long long)i + 1);
		entry(f, &seq, true, 12345, day, "NOTPROVIDED", text);
	}
	for (int64_t i = 0; i < pl->instalments; i++) {
		snprintf(text, sizeof text, "%s 第二期", b[inst + i].id);
		entry(f, &seq, true, b[inst + i].amount - b[inst + i].amount / 2, day, "NOTPROVIDED",
		      text);
	}
	fputs("</Stmt></BkToCstmrStmt></Document>\n", f);
	ok = ferror(f) == 0;
done:
	if (f && fclose(f) != 0)
		ok = false;
	if (!ok)
		fprintf(stderr, "zhitong-recon-bench: cannot write %s\n", path);
	free(a);
	free(b);
	sqlite3_close(db);
	return ok;
}

/* What a right answer looks like, in SQL. */
static bool check_outcome(const char *db_path, const struct plan *pl, int64_t entries)
{
	sqlite3 *db = NULL;
	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return false;
	struct {
		const char *what, *sql;
		int64_t want;
	} c[] = {
		{"bank entries", "SELECT count(*) FROM bank_entry", entries},
		{"paid batches", "SELECT count(*) FROM batch WHERE status = 'paid' AND paid = total",
		 pl->full + pl->instalments + 2 * pl->pairs},
		{"part-paid batches", "SELECT count(*) FROM batch WHERE status = 'part-paid'", 0},
		{"confirmed advances", "SELECT count(*) FROM recon_match WHERE advance_id IS NOT NULL",
		 pl->advances},
		{"exceptions (amount)", "SELECT count(*) FROM recon_exception WHERE kind = 'amount'",
		 pl->over},
		{"exceptions (unknown)", "SELECT count(*) FROM recon_exception WHERE kind = 'unknown'",
		 pl->unknown},
		{"ledger sums to 0", "SELECT SUM(balance) FROM account", 0},
		{"funds paid = batches paid",
		 "SELECT (SELECT SUM(amount) FROM transfer WHERE kind = 'payment') - (SELECT SUM(paid)"
		 " FROM batch)",
		 0},
	};
	bool ok = true;
	for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
		int64_t got = query_int(db, c[i].sql);
		printf("  %-28s %10lld%s\n", c[i].what, (long long)got,
		       got == c[i].want ? "" : "  WRONG");
		if (got != c[i].want) {
			fprintf(stderr, "zhitong-recon-bench: %s: %lld, expected %lld\n", c[i].what,
			        (long long)got, (long long)c[i].want);
			ok = false;
		}
	}
	sqlite3_close(db);
	return ok;
}

static double mb(long kb) { return (double)kb / 1024.0; }

static long long file_bytes(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

int main(int argc, char **argv)
{
	int64_t entries = DEFAULT_ENTRIES;
	const char *dir_opt = NULL;
	bool keep = false, setup_only = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--entries") && v) {
			entries = strtoll(v, NULL, 10);
			i++;
		} else if (!strcmp(a, "--dir") && v) {
			dir_opt = v;
			i++;
		} else if (!strcmp(a, "--zhitong") && v) {
			zhitong = v;
			i++;
		} else if (!strcmp(a, "--keep")) {
			keep = true;
		} else if (!strcmp(a, "--setup-only")) {
			setup_only = true;
		} else if (!strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (entries < 40 || entries > 10000000) {
		usage(stderr);
		return 2;
	}
	char dir[1024], world[PATH_MAX], db[PATH_MAX], log[PATH_MAX], stmt[PATH_MAX], cfg[PATH_MAX];
	if (dir_opt && strlen(dir_opt) >= sizeof dir) {
		fprintf(stderr, "zhitong-recon-bench: --dir is too long\n");
		return 2;
	}
	if (dir_opt) {
		snprintf(dir, sizeof dir, "%s", dir_opt);
		mkdir(dir, 0755);
	} else {
		const char *tmp = getenv("TMPDIR");
		snprintf(dir, sizeof dir, "%s/zhitong-recon-bench-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
		if (!mkdtemp(dir)) {
			perror("zhitong-recon-bench: mkdtemp");
			return 1;
		}
	}
	snprintf(world, sizeof world, "%s/world", dir);
	snprintf(db, sizeof db, "%s/bench.db", dir);
	snprintf(log, sizeof log, "%s/bench.log", dir);
	snprintf(stmt, sizeof stmt, "%s/statement.xml", dir);
	snprintf(cfg, sizeof cfg, "%s/zhitong.ini", dir);
	unlink(db);
	fprintf(stderr, "zhitong-recon-bench: working in %s\n", dir);

	/* today, UTC: the statement books everything on the day it is made */
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	char now[32], day[16], day8[16];
	strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
	strftime(day, sizeof day, "%Y-%m-%d", &tm);
	strftime(day8, sizeof day8, "%Y%m%d", &tm);

	struct plan pl = make_plan(entries);
	struct step imp = {"reconcile import (all new)", false, 0, 0};
	struct step again = {"reconcile import (all known)", false, 0, 0};
	bool ok = false;
	FILE *c = fopen(cfg, "w");
	if (!c || fprintf(c, "[pool]\naccount = " POOL_ACCOUNT "\n") < 0 || fclose(c) != 0) {
		fprintf(stderr, "zhitong-recon-bench: cannot write %s\n", cfg);
		goto done;
	}
	struct zt_gen_opts o = {.claims = 50, .seed = 11};
	if (zt_gen_world(&o, world) != 0) {
		fprintf(stderr, "zhitong-recon-bench: cannot generate a world in %s\n", world);
		goto done;
	}
	if (!run(NULL, log, 1, "'%s' --db '%s' init", zhitong, db) ||
	    !run(NULL, log, 1, "'%s' --db '%s' registry load '%s/registry.xml'", zhitong, db, world) ||
	    !run(NULL, log, 1, "'%s' --db '%s' rules load '%s/policy.xml'", zhitong, db, world) ||
	    !run(NULL, log, 1, "'%s' --db '%s' claim submit '%s/claims.xml'", zhitong, db, world))
		goto done;
	fprintf(stderr, "zhitong-recon-bench: %lld batches and %lld advances\n",
	        (long long)pl.batches, (long long)pl.advances);
	if (!make_fixture(db, &pl, now, day8, atoi(day8)) || !write_statement(stmt, db, &pl, day))
		goto done;
	fprintf(stderr, "zhitong-recon-bench: statement of %lld entries, %.1f MB\n",
	        (long long)entries, (double)file_bytes(stmt) / 1048576.0);
	if (setup_only) {
		fprintf(stderr, "zhitong-recon-bench: set up in %s; stopping before the import\n", dir);
		keep = true;
		ok = true;
		goto done;
	}
	/* exit 1: the import raised exceptions, as it must */
	if (!run(&imp, log, 1u << 1, "'%s' --db '%s' --config '%s' reconcile import '%s' --by bench",
	         zhitong, db, cfg, stmt) ||
	    !run(&again, log, 1u << 0, "'%s' --db '%s' --config '%s' reconcile import '%s' --by bench",
	         zhitong, db, cfg, stmt))
		goto done;
	printf("zhitong-recon-bench: %lld statement entries (%.1f MB), %lld batches, %lld advances\n",
	       (long long)entries, (double)file_bytes(stmt) / 1048576.0, (long long)pl.batches,
	       (long long)pl.advances);
	printf("  %-30s %7.2f s %8.1f MB peak RSS\n", imp.label, imp.seconds, mb(imp.rss_kb));
	printf("  %-30s %7.2f s %8.1f MB peak RSS\n", again.label, again.seconds, mb(again.rss_kb));
	ok = check_outcome(db, &pl, entries);
	printf("  target: import and match %lld entries in %.1f s: %s (%.2f s)\n", (long long)entries,
	       TARGET_SECONDS, imp.seconds <= TARGET_SECONDS ? "met" : "NOT met", imp.seconds);
done:
	if (!keep && ok) {
		char cmd[PATH_MAX + 32];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "zhitong-recon-bench: could not remove %s\n", dir);
	} else {
		fprintf(stderr, "zhitong-recon-bench: kept %s\n", dir);
	}
	return ok ? 0 : 1;
}
