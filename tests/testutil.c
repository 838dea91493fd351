/* zhitong — shared helpers for the Criterion tests (see testutil.h). */
#define _GNU_SOURCE
#include "testutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include "zhitong/error.h"
#include "zhitong/render_settlement.h"
#include "zhitong/settle.h"
#include "zhitong/slip_text.h"

static char tmpdir[256];

const char *zt_test_tmpdir(void)
{
	if (!tmpdir[0]) {
		snprintf(tmpdir, sizeof tmpdir, "/tmp/zt-test-XXXXXX");
		cr_assert(mkdtemp(tmpdir) != NULL, "mkdtemp failed");
	}
	return tmpdir;
}

static char *rotate(void)
{
	static char bufs[8][1024];
	static int next;
	return bufs[next++ % 8];
}

const char *zt_test_write(const char *name, const char *text)
{
	char *path = rotate();
	snprintf(path, 1024, "%s/%s", zt_test_tmpdir(), name);
	FILE *f = fopen(path, "wb");
	cr_assert(f != NULL, "cannot write %s", path);
	fwrite(text, 1, strlen(text), f);
	fclose(f);
	return path;
}

const char *zt_test_case(const char *rel)
{
	char *path = rotate();
	snprintf(path, 1024, "%s/%s", ZT_TEST_CASES, rel);
	return path;
}

char *zt_test_slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	size_t r;
	while ((r = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += r;
		if (cap - len < 2) {
			cap *= 2;
			buf = realloc(buf, cap);
		}
	}
	buf[len] = '\0';
	fclose(f);
	return buf;
}

static int run_with(const char *prefix, char **out, char **err, const char *fmt, va_list ap)
{
	char args[8192];
	vsnprintf(args, sizeof args, fmt, ap);
	const char *dir = zt_test_tmpdir();
	char outp[512], errp[512], cmd[10400];
	snprintf(outp, sizeof outp, "%s/.stdout", dir);
	snprintf(errp, sizeof errp, "%s/.stderr", dir);
	snprintf(cmd, sizeof cmd, "%s%s %s </dev/null >%s 2>%s", prefix, ZT_TEST_ZHITONG, args, outp,
	         errp);
	int st = system(cmd);
	int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
	char *o = zt_test_slurp(outp), *e = zt_test_slurp(errp);
	if (out)
		*out = o;
	else
		free(o);
	if (err)
		*err = e;
	else
		free(e);
	return code;
}

int zt_test_run_peak(long *peak_kb, char **out, char **err, const char *fmt, ...)
{
	char args[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof args, fmt, ap);
	va_end(ap);
	const char *dir = zt_test_tmpdir();
	char outp[512], errp[512], cmd[10400];
	snprintf(outp, sizeof outp, "%s/.stdout", dir);
	snprintf(errp, sizeof errp, "%s/.stderr", dir);
	/* exec: the shell becomes the program, so wait4() measures it alone */
	snprintf(cmd, sizeof cmd, "exec %s %s </dev/null >%s 2>%s", ZT_TEST_ZHITONG, args, outp, errp);
	pid_t pid = fork();
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	int st = 0;
	struct rusage ru;
	memset(&ru, 0, sizeof ru);
	if (pid < 0 || wait4(pid, &st, 0, &ru) != pid)
		return -1;
	*peak_kb = ru.ru_maxrss;
	int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
	char *o = zt_test_slurp(outp), *e = zt_test_slurp(errp);
	if (out)
		*out = o;
	else
		free(o);
	if (err)
		*err = e;
	else
		free(e);
	return code;
}

int zt_test_run(char **out, char **err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int code = run_with("", out, err, fmt, ap);
	va_end(ap);
	return code;
}

static char *run_expecting(int want, const char *fmt, va_list ap)
{
	char args[8192];
	vsnprintf(args, sizeof args, fmt, ap);
	char *out = NULL, *err = NULL;
	int code = zt_test_run(&out, &err, "%s", args);
	cr_assert_eq(code, want, "zhitong %s: exit %d, not %d\n%s%s", args, code, want, out, err);
	free(err);
	return out;
}

char *zt_test_ok(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *out = run_expecting(0, fmt, ap);
	va_end(ap);
	return out;
}

char *zt_test_exit(int want, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *out = run_expecting(want, fmt, ap);
	va_end(ap);
	return out;
}

/* zhitong [--db DB] [--config CFG] ARGS: the one body under zt_test_cmd,
 * zt_test_db and zt_test_dbc (and their _ok forms). */
static struct run run_dbc(const char *db, const char *cfg, const char *fmt, va_list ap)
{
	char args[6000], opts[1600] = "";
	vsnprintf(args, sizeof args, fmt, ap);
	if (db)
		snprintf(opts, sizeof opts, "--db '%s' ", db);
	if (cfg)
		snprintf(opts + strlen(opts), sizeof opts - strlen(opts), "--config '%s' ", cfg);
	struct run r;
	r.code = zt_test_run(&r.out, &r.err, "%s%s", opts, args);
	return r;
}

static char *ok_dbc(const char *db, const char *cfg, const char *fmt, va_list ap)
{
	char args[6000];
	va_list again;
	va_copy(again, ap);
	vsnprintf(args, sizeof args, fmt, again);
	va_end(again);
	struct run r = run_dbc(db, cfg, fmt, ap);
	cr_assert_eq(r.code, 0, "zhitong %s: exit %d\nstderr: %s\nstdout: %s", args, r.code, r.err,
	             r.out);
	free(r.err);
	return r.out;
}

#define DBC_RUN(db, cfg)                              \
	va_list ap;                                       \
	va_start(ap, fmt);                                \
	struct run r = run_dbc(db, cfg, fmt, ap);         \
	va_end(ap);                                       \
	return r
#define DBC_OK(db, cfg)                               \
	va_list ap;                                       \
	va_start(ap, fmt);                                \
	char *out = ok_dbc(db, cfg, fmt, ap);             \
	va_end(ap);                                       \
	return out

struct run zt_test_cmd(const char *fmt, ...) { DBC_RUN(NULL, NULL); }
struct run zt_test_db(const char *db, const char *fmt, ...) { DBC_RUN(db, NULL); }
char *zt_test_db_ok(const char *db, const char *fmt, ...) { DBC_OK(db, NULL); }
struct run zt_test_dbc(const char *db, const char *cfg, const char *fmt, ...) { DBC_RUN(db, cfg); }
char *zt_test_dbc_ok(const char *db, const char *cfg, const char *fmt, ...) { DBC_OK(db, cfg); }

char *zt_test_slurp_n(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	cr_assert(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

bool zt_test_same_file(const char *a, const char *b)
{
	size_t la = 0, lb = 0;
	char *x = zt_test_slurp_n(a, &la), *y = zt_test_slurp_n(b, &lb);
	bool same = x && y && la == lb && memcmp(x, y, la) == 0;
	free(x);
	free(y);
	return same;
}

void zt_test_same_text(const char *got, const char *want, const char *what)
{
	if (strcmp(got, want) == 0)
		return;
	const char *g = got, *w = want;
	while (*g && *g == *w) {
		g++;
		w++;
	}
	while (g > got && g[-1] != '\n') {
		g--;
		w--;
	}
	cr_assert_fail("%s: first difference:\n  got:  %.*s\n  want: %.*s", what,
	               (int)strcspn(g, "\n"), g, (int)strcspn(w, "\n"), w);
}

int zt_test_run_on(const char *day, char **out, char **err, const char *fmt, ...)
{
	char prefix[400];
	/* libfaketime is preloaded: under AddressSanitizer its runtime is
	 * then not the first library, which it accepts when told so. The
	 * monotonic clock (busy timeouts) stays real. */
	snprintf(prefix, sizeof prefix,
	         "ASAN_OPTIONS=\"${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0\" "
	         "FAKETIME_DONT_FAKE_MONOTONIC=1 faketime -f '@%.10s 12:00:00' ", day);
	va_list ap;
	va_start(ap, fmt);
	int code = run_with(prefix, out, err, fmt, ap);
	va_end(ap);
	return code;
}

void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

const char *tmp_path(const char *name)
{
	char *p = rotate();
	snprintf(p, 1024, "%s/%s", zt_test_tmpdir(), name);
	return p;
}

struct run sh(const char *fmt, ...)
{
	char cmd[8000], full[8000 + 1400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	char o[600], e[600];
	snprintf(o, sizeof o, "%s/.sh.out", zt_test_tmpdir());
	snprintf(e, sizeof e, "%s/.sh.err", zt_test_tmpdir());
	snprintf(full, sizeof full, "( %s ) </dev/null >'%s' 2>'%s'", cmd, o, e);
	int st = system(full);
	struct run r = {WIFEXITED(st) ? WEXITSTATUS(st) : 128, zt_test_slurp(o), zt_test_slurp(e)};
	return r;
}

bool zt_test_on_pg(void)
{
	const char *e = getenv("ZT_TEST_STORE");
	return e && !strcmp(e, "postgresql");
}

static bool is_pg_target(const char *db)
{
	return !strncmp(db, "postgresql:", 11) || !strncmp(db, "postgres:", 9);
}

/* zt_test_rows on PostgreSQL: the same text (columns joined by '|', NULL
 * as "NULL", one line a row). */
static char *pg_rows(const char *db, const char *sql, bool write)
{
	PGconn *c = PQconnectdb(db);
	cr_assert_eq(PQstatus(c), CONNECTION_OK, "open %s: %s", db, PQerrorMessage(c));
	PGresult *r = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(r);
	cr_assert(st == PGRES_TUPLES_OK || (write && st == PGRES_COMMAND_OK), "%s: %s", sql,
	          PQresultErrorMessage(r));
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	buf[0] = '\0';
	for (int row = 0; st == PGRES_TUPLES_OK && row < PQntuples(r); row++) {
		for (int i = 0; i < PQnfields(r); i++) {
			const char *v = PQgetisnull(r, row, i) ? "NULL" : PQgetvalue(r, row, i);
			size_t need = len + strlen(v) + 4;
			if (need > cap) {
				cap = need * 2;
				buf = realloc(buf, cap);
			}
			len += (size_t)sprintf(buf + len, "%s%s", i ? "|" : "", v);
		}
		if (len + 2 > cap)
			buf = realloc(buf, cap *= 2);
		buf[len++] = '\n';
		buf[len] = '\0';
	}
	PQclear(r);
	PQfinish(c);
	return buf;
}

void zt_test_sql(const char *db, const char *fmt, ...)
{
	char sql[8000];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sql, sizeof sql, fmt, ap);
	va_end(ap);
	if (is_pg_target(db)) {
		free(pg_rows(db, sql, true));
		return;
	}
	sqlite3 *h = NULL;
	cr_assert_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK, "open %s", db);
	sqlite3_busy_timeout(h, 30000);
	char *msg = NULL;
	int rc = sqlite3_exec(h, sql, NULL, NULL, &msg);
	cr_assert_eq(rc, SQLITE_OK, "%s: %s", sql, msg ? msg : "");
	sqlite3_close(h);
}

void zt_test_tamper(const char *db, const char *trigger, const char *fmt, ...)
{
	char sql[7000], full[8000];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sql, sizeof sql, fmt, ap);
	va_end(ap);
	if (!is_pg_target(db)) {
		snprintf(full, sizeof full, "DROP TRIGGER IF EXISTS %s; %s", trigger, sql);
		zt_test_sql(db, "%s", full);
		return;
	}
	char name[64], admin[1200];
	zt_test_pg_dbname(name, sizeof name, db);
	zt_test_pg_target(admin, sizeof admin, name, true);
	snprintf(full, sizeof full, "SET session_replication_role = replica; %s", sql);
	free(pg_rows(admin, full, true));
}

char *zt_test_rows(const char *db, const char *fmt, ...)
{
	char sql[8000];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sql, sizeof sql, fmt, ap);
	va_end(ap);
	if (is_pg_target(db))
		return pg_rows(db, sql, false);
	sqlite3 *h = NULL;
	cr_assert_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK, "open %s", db);
	sqlite3_busy_timeout(h, 30000);
	sqlite3_stmt *p = NULL;
	cr_assert_eq(sqlite3_prepare_v2(h, sql, -1, &p, NULL), SQLITE_OK, "%s: %s", sql,
	             sqlite3_errmsg(h));
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	buf[0] = '\0';
	int step;
	while ((step = sqlite3_step(p)) == SQLITE_ROW) {
		for (int i = 0; i < sqlite3_column_count(p); i++) {
			const char *v = (const char *)sqlite3_column_text(p, i);
			size_t need = len + (v ? strlen(v) : 4) + 4;
			if (need > cap) {
				cap = need * 2;
				buf = realloc(buf, cap);
			}
			len += (size_t)sprintf(buf + len, "%s%s", i ? "|" : "", v ? v : "NULL");
		}
		if (len + 2 > cap)
			buf = realloc(buf, cap *= 2);
		buf[len++] = '\n';
		buf[len] = '\0';
	}
	cr_assert_eq(step, SQLITE_DONE, "%s: %s", sql, sqlite3_errmsg(h));
	sqlite3_finalize(p);
	sqlite3_close(h);
	return buf;
}

long long zt_test_sql_int(const char *db, const char *sql)
{
	char *v = zt_test_rows(db, "%s", sql);
	long long n = atoll(v);
	free(v);
	return n;
}

const char *zt_test_camt(const char *name, const char *msg_id, const char *date,
                         const struct zt_test_entry *e, size_t n)
{
	size_t cap = 4096 + n * 1024, len = 0;
	char *x = malloc(cap);
	cr_assert(x);
	len += (size_t)snprintf(x + len, cap - len,
	        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	        "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\"><BkToCstmrStmt>"
	        "<GrpHdr><MsgId>%s</MsgId><CreDtTm>%sT18:00:00+08:00</CreDtTm></GrpHdr><Stmt>"
	        "<Id>%s-1</Id><CreDtTm>%sT18:00:00+08:00</CreDtTm>"
	        "<Acct><Id><Othr><Id>6222020200112233445</Id></Othr></Id><Ccy>CNY</Ccy></Acct>"
	        "<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"CNY\">0.00</Amt>"
	        "<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>%s</Dt></Dt></Bal>"
	        "<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"CNY\">0.00</Amt>"
	        "<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>%s</Dt></Dt></Bal>\n",
	        msg_id, date, msg_id, date, date, date);
	for (size_t i = 0; i < n; i++) {
		const char *d = e[i].credit ? "CRDT" : "DBIT";
		len += (size_t)snprintf(x + len, cap - len,
		        "<Ntry><Amt Ccy=\"CNY\">%s</Amt><CdtDbtInd>%s</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>"
		        "<BookgDt><Dt>%s</Dt></BookgDt><ValDt><Dt>%s</Dt></ValDt>"
		        "<AcctSvcrRef>%s</AcctSvcrRef><BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd>"
		        "<SubFmlyCd>DMCT</SubFmlyCd></Fmly></Domn></BkTxCd><NtryDtls><TxDtls>"
		        "<Refs><EndToEndId>%s</EndToEndId></Refs><Amt Ccy=\"CNY\">%s</Amt>"
		        "<CdtDbtInd>%s</CdtDbtInd>%s%s%s</TxDtls></NtryDtls></Ntry>\n",
		        e[i].amount, d, date, date, e[i].ref, e[i].e2e ? e[i].e2e : "NOTPROVIDED",
		        e[i].amount, d, e[i].remittance ? "<RmtInf><Ustrd>" : "",
		        e[i].remittance ? e[i].remittance : "", e[i].remittance ? "</Ustrd></RmtInf>" : "");
		cr_assert(len < cap, "statement too long");
	}
	len += (size_t)snprintf(x + len, cap - len, "</Stmt></BkToCstmrStmt></Document>\n");
	cr_assert(len < cap);
	const char *path = zt_test_write(name, x);
	free(x);
	return path;
}

void zt_test_read_claims(struct zt_test_claims *out, enum zt_claim_format format, const char *text,
                         size_t len)
{
	memset(out, 0, sizeof *out);
	struct zt_buffer_reader at;
	struct zt_source src = zt_source_buffer(&at, text, len, "test input");
	struct zt_claim_stream *cs = NULL;
	cr_assert_eq(zt_claim_stream_open(&cs, &src, format), 0, "%s", zt_error_last());
	const struct zt_claim_msg *m;
	size_t cap = 0;
	while ((m = zt_claim_stream_next(cs)) != NULL) {
		if (out->n == cap) {
			cap = cap ? cap * 2 : 8;
			out->c = realloc(out->c, cap * sizeof *out->c);
			cr_assert(out->c);
		}
		struct zt_test_read_claim *c = &out->c[out->n++];
		memset(c, 0, sizeof *c);
		c->rejected = m->rejected;
		snprintf(c->code, sizeof c->code, "%s", m->rejected ? zt_reject_name(m->code) : "");
		snprintf(c->message, sizeof c->message, "%s", m->message);
		snprintf(c->hospital, sizeof c->hospital, "%s", m->hospital);
		snprintf(c->claim_no, sizeof c->claim_no, "%s", m->claim_no);
		if (!m->rejected) {
			cr_assert_eq(zt_claim_digest(c->digest, &m->claim, NULL), 0);
			c->claim = m->claim;
			c->claim.items = NULL;
			c->claim.item_cap = 0;
		}
	}
	out->status = zt_claim_stream_status(cs);
	if (out->status)
		snprintf(out->status_msg, sizeof out->status_msg, "%s", zt_error_last());
	out->version = zt_claim_stream_version(cs);
	zt_claim_stream_close(cs);
}

void zt_test_claims_free(struct zt_test_claims *g)
{
	free(g->c);
	memset(g, 0, sizeof *g);
}

const char *zt_test_hex(const unsigned char digest[ZT_DIGEST_BYTES])
{
	char *p = rotate();
	for (int i = 0; i < ZT_DIGEST_BYTES; i++)
		snprintf(p + 2 * i, 3, "%02X", digest[i]);
	return p;
}

/* ---- the PostgreSQL server of the fixture `pg` ------------------------------------ */

const char *zt_test_pg(const char *key)
{
	static char slots[8][1024];
	static int next;
	char *env = zt_test_slurp(ZT_TEST_PG_ENV);
	if (!env)
		return NULL;
	const char *found = NULL;
	size_t klen = strlen(key);
	for (char *line = strtok(env, "\n"); line; line = strtok(NULL, "\n"))
		if (strncmp(line, key, klen) == 0 && line[klen] == '=') {
			char *slot = slots[next++ % 8];
			snprintf(slot, sizeof slots[0], "%s", line + klen + 1);
			found = slot;
			break;
		}
	free(env);
	return found;
}

void zt_test_pg_target(char *out, size_t cap, const char *db, bool admin)
{
	const char *base = zt_test_pg(admin ? "ZHITONG_TEST_PG_ADMIN" : "ZHITONG_TEST_PG");
	cr_assert(base, "no PostgreSQL server: the test needs the fixture 'pg' (%s)", ZT_TEST_PG_ENV);
	const char *query = strchr(base, '?');
	cr_assert(query, "a target without parameters: %s", base);
	snprintf(out, cap, "postgresql:///%s%s", db, query);
}

void zt_test_pg_dbname(char *out, size_t cap, const char *target)
{
	const char *db = strstr(target, ":///");
	cr_assert(db, "not a test target: %s", target);
	db += 4;
	snprintf(out, cap, "%.*s", (int)strcspn(db, "?"), db);
}

int zt_test_pg_exec(const char *target, const char *sql, char **err)
{
	PGconn *c = PQconnectdb(target);
	int rc = -1;
	if (PQstatus(c) == CONNECTION_OK) {
		PGresult *r = PQexec(c, sql);
		ExecStatusType st = PQresultStatus(r);
		rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0 : -1;
		PQclear(r);
	}
	if (err)
		*err = strdup(PQerrorMessage(c));
	PQfinish(c);
	return rc;
}

/* The databases of the use-case and service tests on PostgreSQL
 * (zt_test_db_target, zt_test_sample_db, zt_test_store), dropped when the
 * process that made them exits (a test program makes dozens: a cluster
 * that kept them all grows by a gigabyte and takes minutes to remove at
 * pg_stop). Only by that process: a forked test inherits the list.
 * ZT_TEST_PG_KEEP=1 keeps them to look at. */
static struct {
	char name[64];
	pid_t pid;
} made_dbs[256];
static int made_count;

static void drop_made_dbs(void)
{
	const char *keep = getenv("ZT_TEST_PG_KEEP");
	if (keep && !strcmp(keep, "1"))
		return;
	char admin[1200], sql[200];
	bool any = false;
	for (int i = 0; i < made_count; i++)
		any = any || made_dbs[i].pid == getpid();
	if (!any)
		return;
	const char *base = zt_test_pg("ZHITONG_TEST_PG_ADMIN");
	const char *query = base ? strchr(base, '?') : NULL;
	if (!query)
		return;
	snprintf(admin, sizeof admin, "postgresql:///postgres%s", query);
	PGconn *c = PQconnectdb(admin);
	for (int i = 0; i < made_count && PQstatus(c) == CONNECTION_OK; i++) {
		if (made_dbs[i].pid != getpid())
			continue;
		snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %.63s WITH (FORCE)", made_dbs[i].name);
		PQclear(PQexec(c, sql));
	}
	PQfinish(c);
}

void zt_test_pg_create(char *out, size_t cap, const char *name, const char *template_db)
{
	static int made;
	char db[64], admin[1200], sql[300], *err = NULL;
	int n = snprintf(db, sizeof db, "zt_%d_%d_", (int)getpid(), made++);
	for (const char *c = name; *c && n < 60; c++)
		db[n++] = (char)((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ? *c : '_');
	db[n] = '\0';
	zt_test_pg_target(admin, sizeof admin, "postgres", true);
	if (template_db)
		snprintf(sql, sizeof sql, "CREATE DATABASE %s OWNER zhitong TEMPLATE %s", db, template_db);
	else
		snprintf(sql, sizeof sql, "CREATE DATABASE %s OWNER zhitong", db);
	/* a template being copied by another test at the same moment: again */
	int rc = -1;
	for (int i = 0; i < 50 && rc != 0; i++) {
		free(err);
		err = NULL;
		if ((rc = zt_test_pg_exec(admin, sql, &err)) != 0)
			usleep(100000);
	}
	cr_assert_eq(rc, 0, "%s: %s", sql, err ? err : "");
	free(err);
	zt_test_pg_target(out, cap, db, false);
}

void zt_test_pg_sample(char *out, size_t cap, const char *name)
{
	zt_test_pg_create(out, cap, name, NULL);
	free(zt_test_ok("--db '%s' init", out));
	free(zt_test_ok("--db '%s' registry load '%s/rules/registry-510101.xml'", out,
	                ZT_TEST_SOURCE_DIR));
	free(zt_test_ok("--db '%s' rules load '%s/rules/sample-510101-2017.xml'", out,
	                ZT_TEST_SOURCE_DIR));
}

char *zt_test_desk_token(const char *db)
{
	free(zt_test_ok("--db '%s' user add root --role admin --by root", db));
	char *out = zt_test_ok("--db '%s' user add desk1 --role desk --hospital H51010101 --by root", db);
	size_t n = strlen(out);
	while (n && out[n - 1] == '\n')
		out[--n] = '\0';
	char *nl = strrchr(out, '\n'); /* the token: the last line */
	char *token = strdup(nl ? nl + 1 : out);
	free(out);
	cr_assert_gt(strlen(token), 10, "no token from user add");
	return token;
}

/* zt_test_pg_create of a database dropped when this process exits. */
static void pg_create_dropped(char *out, size_t cap, const char *name)
{
	zt_test_pg_create(out, cap, name, NULL);
	if (made_count < (int)(sizeof made_dbs / sizeof *made_dbs)) {
		static bool registered;
		if (!registered)
			registered = atexit(drop_made_dbs) == 0;
		zt_test_pg_dbname(made_dbs[made_count].name, sizeof made_dbs[0].name, out);
		made_dbs[made_count++].pid = getpid();
	}
}

/* ---- the engine's use cases, called directly ------------------------------ */

#include "zhitong/policy.h"
#include "zhitong/registry.h"
#include "zhitong/settle.h"
#include "zhitong/source.h"
#include "zhitong/store.h"
#include "zhitong/verify.h"

static char last_store[1024];

const char *zt_test_store_target(void)
{
	cr_assert(last_store[0], "no zt_test_store yet");
	return last_store;
}

void zt_test_db_target(char *out, size_t cap, const char *name)
{
	if (zt_test_on_pg())
		pg_create_dropped(out, cap, name);
	else
		snprintf(out, cap, "%s/%s", zt_test_tmpdir(), name);
}

struct zt_store *zt_test_store(const char *name)
{
	struct zt_store *s = NULL;
	struct zt_store_options o = {.create = true};
	struct zt_init_res init;
	zt_test_db_target(last_store, sizeof last_store, name);
	cr_assert_eq(zt_store_open(&s, last_store, &o), 0, "%s", zt_error_last());
	cr_assert_eq(zt_init(s, &init), 0, "%s", zt_error_last());
	return s;
}

void zt_test_load_sample(struct zt_store *s)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/rules/registry-510101.xml", ZT_TEST_SOURCE_DIR);
	FILE *f = fopen(path, "rb");
	cr_assert(f, "%s", path);
	struct zt_source src = zt_source_file(f, path);
	struct zt_registry_load_res reg;
	cr_assert_eq(zt_registry_load(s, &(struct zt_registry_load_req){&src, "loader"}, &reg), 0,
	             "%s", zt_error_last());
	fclose(f);
	snprintf(path, sizeof path, "%s/rules/sample-510101-2017.xml", ZT_TEST_SOURCE_DIR);
	char *xml = zt_test_slurp(path);
	struct zt_rules_res pol;
	const struct zt_rules_req req = {.xml = xml, .len = strlen(xml), .name = path,
	                                 .actor = "loader"};
	cr_assert_eq(zt_rules_load(s, &req, &pol), 0, "%s", zt_error_last());
	free(xml);
}

const char *zt_test_claim_xml(char *buf, size_t cap, const char *claim_no, const char *psn_no,
                              const char *dscg, const char *amount)
{
	snprintf(buf, cap,
	         "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	         "<claim xmlns=\"urn:zhitong:claim:1\">\n"
	         "  <fixmedins_code>H51010101</fixmedins_code>\n"
	         "  <claim_no>%s</claim_no>\n"
	         "  <psn_no>%s</psn_no>\n"
	         "  <adm_date>2017-01-01</adm_date>\n"
	         "  <dscg_date>%s</dscg_date>\n"
	         "  <dscg_maindiag_code>I63.900</dscg_maindiag_code>\n"
	         "  <medfee_sumamt>%s</medfee_sumamt>\n"
	         "  <items><item><feedetl_sn>1</feedetl_sn>"
	         "<med_list_codg>001201000010000-120100001</med_list_codg>"
	         "<med_chrgitm_type>05</med_chrgitm_type><chrgitm_lv>01</chrgitm_lv>"
	         "<pric>%s</pric><cnt>1</cnt><det_item_fee_sumamt>%s</det_item_fee_sumamt>"
	         "</item></items>\n"
	         "</claim>\n",
	         claim_no, psn_no, dscg, amount, amount, amount);
	return buf;
}

void zt_test_settle(struct zt_store *s, const char *claim_no, const char *psn_no,
                    const char *dscg, const char *amount)
{
	zt_test_settle_at(s, "H51010101", claim_no, psn_no, dscg, amount);
}

void zt_test_settle_at(struct zt_store *s, const char *hospital, const char *claim_no,
                       const char *psn_no, const char *dscg, const char *amount)
{
	char xml[4096];
	zt_test_claim_xml(xml, sizeof xml, claim_no, psn_no, dscg, amount);
	char *h = strstr(xml, "H51010101");
	cr_assert(h && strlen(hospital) == 9, "hospital '%s'", hospital);
	memcpy(h, hospital, 9);
	struct zt_settle_opts o = {.actor = "desk"};
	struct zt_settle_stats st;
	cr_assert_eq(zt_parse_date(&o.today, "2017-12-31", 10), 0);
	cr_assert_eq(zt_test_settle_buffer(s, xml, strlen(xml), ZT_CLAIM_FORMAT_XML, &o, NULL, &st),
	             0, "%s", zt_error_last());
	cr_assert_eq(st.rejected, 0, "claim %s was rejected", claim_no);
}

/* ---- the settle use case, in process ------------------------------------------ */

static int settle_source_xml(struct zt_store *s, const struct zt_source *src,
                             enum zt_claim_format format, const struct zt_settle_opts *o,
                             FILE *out, struct zt_settle_stats *st)
{
	struct zt_settle_sink sink;
	struct zt_settlement_xml_sink xml;
	zt_settlement_xml_sink(&sink, &xml, out, o->quote);
	int rc = zt_settle_source(s, src, format, o, &sink, st);
	zt_settlement_xml_sink_free(&xml);
	return rc;
}

int zt_test_settle_file(struct zt_store *s, const char *path, const struct zt_settle_opts *o,
                        FILE *out, struct zt_settle_stats *st)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return zt_error_set(ZT_ENOTFOUND, "cannot open '%s'", path);
	struct zt_source src = zt_source_file(f, path);
	int rc = settle_source_xml(s, &src, ZT_CLAIM_FORMAT_XML, o, out, st);
	fclose(f);
	return rc;
}

int zt_test_settle_buffer(struct zt_store *s, const char *data, size_t len,
                          enum zt_claim_format format, const struct zt_settle_opts *o, FILE *out,
                          struct zt_settle_stats *st)
{
	struct zt_buffer_reader at;
	struct zt_source src = zt_source_buffer(&at, data, len, "the request body");
	return settle_source_xml(s, &src, format, o, out, st);
}

int zt_test_text_cols(const char *utf8) { return zt_text_width(utf8); }

const char *zt_test_sample_db(const char *name)
{
	char *db = rotate();
	zt_test_db_target(db, 1024, name);
	free(zt_test_ok("--db '%s' init", db));
	free(zt_test_ok("--db '%s' registry load '%s/rules/registry-510101.xml'", db,
	                ZT_TEST_SOURCE_DIR));
	free(zt_test_ok("--db '%s' rules load '%s/rules/sample-510101-2017.xml'", db,
	                ZT_TEST_SOURCE_DIR));
	return db;
}

int zt_test_sh_code(const char *fmt, ...)
{
	char cmd[8192], full[8300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	snprintf(full, sizeof full, "(%s) </dev/null >/dev/null 2>&1", cmd);
	int st = system(full);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

bool zt_test_expectation(const char *doc, long *line, char *text, size_t text_size)
{
	const char *e = strstr(doc, "<!-- expect: ");
	if (!e)
		return false;
	e += strlen("<!-- expect: ");
	const char *end = strstr(e, " -->");
	if (!end)
		return false;
	char *after;
	*line = strtol(e, &after, 10);
	if (after != e && *after == ':') {
		e = after + 1;
		while (e < end && *e == ' ')
			e++;
	} else {
		*line = -1;
	}
	snprintf(text, text_size, "%.*s", (int)(end - e), e);
	return true;
}

/* ---- a server child ------------------------------------------------------- */

unsigned zt_test_served_port(pid_t pid, const char *err_path)
{
	static const char said[] = "serving on http://127.0.0.1:";
	for (int i = 0; i < 1200; i++) {
		char *e = zt_test_slurp(err_path);
		const char *at = e ? strstr(e, said) : NULL;
		if (at) {
			unsigned port = (unsigned)atoi(at + strlen(said));
			free(e);
			return port;
		}
		free(e);
		usleep(50 * 1000);
	}
	kill(pid, SIGKILL);
	cr_assert_fail("the server never said where it serves (%s)", err_path);
	return 0;
}

pid_t zt_test_serve(const char *db, const char *config, const char *err_path, unsigned *port)
{
	unlink(err_path);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		char cmd[4096];
		snprintf(cmd, sizeof cmd, "exec '%s' --db '%s' %s%s%s serve --listen 127.0.0.1:0 "
		         "--log /dev/null 2>'%s' </dev/null", ZT_TEST_ZHITONG, db,
		         config ? "--config '" : "", config ? config : "", config ? "'" : "", err_path);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	*port = zt_test_served_port(pid, err_path);
	return pid;
}

/* ---- pain.001 and schemas ---------------------------------------------------- */

#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "zhitong/iso20022.h"
#include "zhitong/xml.h"

xmlDocPtr zt_test_pain_load(const char *path)
{
	char *text = NULL;
	size_t len = 0;
	xmlDocPtr doc = NULL;
	cr_assert_eq(zt_read_file(&text, &len, path, ZT_DOC_BYTES_MAX), 0, "%s", zt_error_last());
	int rc = zt_xml_parse_doc(&doc, text, len, path, ZT_SCHEMA_PAIN001_03);
	free(text);
	cr_assert_eq(rc, 0, "embedded XSD: %s", zt_error_last());
	return doc;
}

char *zt_test_pain_xp(xmlDocPtr doc, const char *expr)
{
	xmlXPathContextPtr c = xmlXPathNewContext(doc);
	xmlXPathRegisterNs(c, BAD_CAST "p", BAD_CAST "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03");
	xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST expr, c);
	cr_assert(o != NULL, "xpath %s", expr);
	xmlChar *s = xmlXPathCastToString(o);
	xmlXPathFreeObject(o);
	xmlXPathFreeContext(c);
	char *r = strdup((const char *)s);
	xmlFree(s);
	return r;
}

void zt_test_pain_expect(xmlDocPtr doc, const char *expr, const char *want)
{
	char *got = zt_test_pain_xp(doc, expr);
	cr_expect_str_eq(got, want, "%s", expr);
	free(got);
}

bool zt_test_xmllint_valid(const char *xsd, const char *file)
{
	char cmd[4096];
	snprintf(cmd, sizeof cmd, "xmllint --noout --schema '%s' '%s' >/dev/null 2>&1", xsd, file);
	int st = system(cmd);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* ---- a server the test runs ---------------------------------------------------- */

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>

/* The port in what the server printed so far (0: none yet). */
static int port_in(char *buf)
{
	int port = 0;
	for (char *line = buf, *nl; !port && (nl = strchr(line, '\n')); line = nl + 1) {
		*nl = '\0';
		const char *colon = strrchr(line, ':');
		if (!strncmp(line, "ACCEPT", 6) && colon)
			port = atoi(colon + 1);
		else if (line[0] >= '0' && line[0] <= '9')
			port = atoi(line);
		*nl = '\n';
	}
	return port;
}

void zt_test_server_start(struct zt_test_server *s, const char *const *argv)
{
	int in[2], out[2];
	cr_assert_eq(pipe2(in, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
	pid_t pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		dup2(in[0], STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	s->pid = pid;
	s->stdin_fd = in[1];
	/* raw reads: stdio buffering would hide lines from poll() */
	char buf[1024];
	size_t len = 0;
	s->port = 0;
	while (!s->port) {
		struct pollfd pfd = {.fd = out[0], .events = POLLIN};
		cr_assert_eq(poll(&pfd, 1, 10000), 1, "%s did not start", argv[0]);
		ssize_t n = read(out[0], buf + len, sizeof buf - 1 - len);
		cr_assert_gt(n, 0, "%s printed no port", argv[0]);
		len += (size_t)n;
		buf[len] = '\0';
		s->port = port_in(buf);
		cr_assert(s->port || len < sizeof buf - 1, "%s printed no port", argv[0]);
	}
	close(out[0]);
}

void zt_test_payer_start(struct zt_test_server *s, const char *program, const char *dir,
                         const char *cert, const char *script, const char *log,
                         const char *save_dir, va_list ap)
{
	char crt[700], key[700];
	snprintf(crt, sizeof crt, "%s/%s.crt", dir, cert);
	snprintf(key, sizeof key, "%s/%s.key", dir, cert);
	const char *argv[24] = {program, "--cert", crt, "--key", key, "--script", script,
	                        "--log", log, "--save", save_dir, "--lifetime", "50"};
	int argc = 13;
	for (const char *a; (a = va_arg(ap, const char *)) && argc < 23;)
		argv[argc++] = a;
	argv[argc] = NULL;
	mkdir(save_dir, 0755);
	cr_assert(access(argv[0], X_OK) == 0, "no payer server at %s", argv[0]);
	zt_test_server_start(s, argv);
}

void zt_test_server_stop(struct zt_test_server *s)
{
	if (s->pid <= 0)
		return;
	close(s->stdin_fd);
	for (int i = 0; i < 250; i++) {
		if (i == 50)
			kill(s->pid, SIGTERM);
		if (waitpid(s->pid, NULL, WNOHANG) == s->pid) {
			s->pid = -1;
			return;
		}
		usleep(20000);
	}
	kill(s->pid, SIGKILL);
	waitpid(s->pid, NULL, 0);
	s->pid = -1;
}

/* ---- the slip's verification code --------------------------------------------- */

const char *zt_test_slip_key(const char *name)
{
	static char paths[16][1024];
	static int next;
	char *path = paths[next++ % 16];
	snprintf(path, 1024, "%s", tmp_path(name));
	struct run r = sh("head -c 32 /dev/urandom > '%s' && chmod 600 '%s'", path, path);
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	return path;
}

void zt_test_slip_code(char out[64], const char *db, const char *cfg, const char *setl_id)
{
	char *t = zt_test_dbc_ok(db, cfg, "slip --setl-id %s", setl_id);
	const char *p = strstr(t, "验证码：");
	cr_assert(p, "no code on the slip:\n%s", t);
	p += strlen("验证码：");
	while (*p == '\n' || *p == ' ')
		p++;
	size_t n = strcspn(p, "\n");
	cr_assert(n > 20 && n < 64, "%s", t);
	snprintf(out, 64, "%.*s", (int)n, p);
	free(t);
}

/* ---- claims of one person ------------------------------------------------------ */

const char *zt_test_claims_of_one_person(const char *name, const char *prefix, int n)
{
	char *one = zt_test_slurp(ZT_TEST_CASES "/claims/worked-example.xml");
	cr_assert(one);
	char *body = strstr(one, "<claim xmlns=\"urn:zhitong:claim:1\">");
	cr_assert(body);
	body += strlen("<claim xmlns=\"urn:zhitong:claim:1\">");
	char *end = strstr(body, "</claim>");
	cr_assert(end);
	*end = '\0';
	size_t cap = (size_t)n * (strlen(body) + 64) + 200, len = 0;
	char *x = malloc(cap);
	cr_assert(x);
	len += (size_t)snprintf(x, cap, "<claims xmlns=\"urn:zhitong:claim:1\">\n");
	for (int i = 0; i < n; i++) {
		char no[16];
		snprintf(no, sizeof no, "%s-%04d", prefix, i + 1);
		char *claim = strdup(body), *at = strstr(claim, "ZY2017-000123");
		cr_assert(at && strlen(no) == 13, "claim numbers of 13 characters: %s", no);
		memcpy(at, no, 13);
		len += (size_t)snprintf(x + len, cap - len, "<claim>%s</claim>\n", claim);
		free(claim);
	}
	snprintf(x + len, cap - len, "</claims>\n");
	const char *path = zt_test_write(name, x);
	free(x);
	free(one);
	return path;
}

/* ---- test certificates ------------------------------------------------------------ */

void zt_test_cert_root(const char *dir, const char *name)
{
	cr_assert_eq(zt_test_sh_code("cd '%s' && openssl req -x509 -new -newkey ec -pkeyopt "
	                             "ec_paramgen_curve:P-256 -nodes -keyout %s.key -out %s.crt "
	                             "-subj /CN=%s -days 2",
	                             dir, name, name, name),
	             0, "cannot make the CA %s", name);
}

void zt_test_cert_leaf(const char *dir, const char *name, const char *ca, const char *san,
                       const char *eku)
{
	char ext[1024];
	snprintf(ext, sizeof ext, "%s/%s.ext", dir, name);
	FILE *f = fopen(ext, "w");
	cr_assert(f, "%s", ext);
	fprintf(f, "%s%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=%s\n",
	        san ? "subjectAltName=" : "", san ? san : "", eku);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(zt_test_sh_code("cd '%s' && openssl req -new -newkey ec -pkeyopt "
	                             "ec_paramgen_curve:P-256 -nodes -keyout %s.key -out %s.csr "
	                             "-subj /CN=%s && openssl x509 -req -in %s.csr -CA %s.crt -CAkey "
	                             "%s.key -CAcreateserial -days 2 -out %s.crt -extfile %s.ext",
	                             dir, name, name, name, name, ca, ca, name, name),
	             0, "cannot make certificate %s", name);
}
