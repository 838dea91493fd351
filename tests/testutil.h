/* zhitong — shared helpers for the Criterion tests. */
#ifndef ZT_TESTUTIL_H
#define ZT_TESTUTIL_H

#include <stdbool.h>
#include <sys/types.h>
#include <stddef.h>
#include <stdio.h>

#include "zhitong/claim_stream.h"

/* A fresh temporary directory for this test (removed by the OS's tmp
 * cleaner; tests run in their own processes). Returns its path. */
const char *zt_test_tmpdir(void);
/* Writes `text` to DIR/name and returns the full path (static buffer
 * rotated among 8 slots). */
const char *zt_test_write(const char *name, const char *text);
/* Path of a file under tests/cases (static buffer rotated among 8). */
const char *zt_test_case(const char *rel);
/* Runs the built zhitong program with `args` (a shell fragment, e.g.
 * "--db X claim submit F"), stdin from /dev/null; captures stdout and
 * stderr into malloc'd strings (caller frees) and returns the exit code. */
int zt_test_run(char **out, char **err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The same with the clock at noon (UTC) of `day` (YYYY-MM-DD) for that
 * process (libfaketime, `faketime`): for what is seen days later — a batch
 * overdue, a report as of next month — now that a day after today is
 * refused as --as-of. */
int zt_test_run_on(const char *day, char **out, char **err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* zt_test_run that requires exit 0 (the failure names the command and its
 * stderr) and returns stdout (caller frees). */
char *zt_test_ok(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same with the exit status `want` (1: some input was rejected). */
char *zt_test_exit(int want, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* zt_test_run, measuring the program's peak resident memory (its own
 * ru_maxrss from wait4, in KiB) into *peak_kb. */
int zt_test_run_peak(long *peak_kb, char **out, char **err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Reads a whole file into a malloc'd string. */
char *zt_test_slurp(const char *path);

/* A command's outcome: exit code and captured output (malloc'd). */
struct run {
	int code;
	char *out;
	char *err;
};
void run_free(struct run *r);
/* Any shell command, stdin from /dev/null, stdout and stderr captured
 * apart. */
struct run sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* zhitong --db DB ARGS: its outcome (caller frees out and err); and the
 * same requiring exit 0 (the failure shows the command, stderr and
 * stdout), returning stdout (caller frees). */
struct run zt_test_db(const char *db, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *zt_test_db_ok(const char *db, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* zhitong ARGS (no global option): its outcome. */
struct run zt_test_cmd(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* zhitong --db DB --config CFG ARGS (either may be NULL: left out), and the
 * same requiring exit 0. */
struct run zt_test_dbc(const char *db, const char *cfg, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
char *zt_test_dbc_ok(const char *db, const char *cfg, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A whole file and its length (NULL if it cannot be opened; caller frees),
 * for files that may hold NUL bytes; whether two files hold the same bytes. */
char *zt_test_slurp_n(const char *path, size_t *len);
bool zt_test_same_file(const char *a, const char *b);
/* Asserts two long texts are equal, showing the first line that differs. */
void zt_test_same_text(const char *got, const char *want, const char *what);
/* A shell command's exit code (128 if it did not exit), stdin from
 * /dev/null, its output discarded. */
int zt_test_sh_code(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A case file's "<!-- expect: LINE: TEXT -->" (line -1 when only TEXT is
 * given): false when it has none. */
bool zt_test_expectation(const char *doc, long *line, char *text, size_t text_size);
/* DIR/name in this test's directory (static buffer rotated among 8). */
const char *tmp_path(const char *name);

/* The store the use-case and service tests run on: true when
 * $ZT_TEST_STORE is "postgresql" (the CTest copies NAME_pg of the programs
 * tests/CMakeLists.txt lists, with the fixture `pg`): then
 * zt_test_sample_db and zt_test_store make a PostgreSQL database of the
 * fixture's server and return (open) its target, and zt_test_sql,
 * zt_test_rows and zt_test_sql_int run on a target through libpq. A test
 * of what only SQLite has skips itself there (cr_skip_test). */
bool zt_test_on_pg(void);
/* A new, empty database for the test: DIR/name on SQLite, a new database
 * of the fixture's server on PostgreSQL; its target in out. */
void zt_test_db_target(char *out, size_t cap, const char *name);
/* Changes a fact behind the engine's back (what verify must find): on
 * SQLite with `trigger` (the guard of the table) dropped first, on
 * PostgreSQL as the fixture's superuser with triggers off for the session
 * (session_replication_role = replica). */
void zt_test_tamper(const char *db, const char *trigger, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The target of the database the last zt_test_store made. */
const char *zt_test_store_target(void);

/* ---- the throwaway PostgreSQL server of the CTest fixture `pg` (tests/pg/) ----
 * A test that uses it declares FIXTURES_REQUIRED pg (tests/CMakeLists.txt). */

/* The value of KEY (ZHITONG_TEST_PG, ZHITONG_TEST_PG_ADMIN, PGHOST …) in the
 * server's environment file, or NULL when no server runs (static buffer
 * rotated among 8). */
const char *zt_test_pg(const char *key);
/* The target of database `db` on that server, as the engine's role
 * (admin false) or as its superuser zhitong_admin. */
void zt_test_pg_target(char *out, size_t cap, const char *db, bool admin);
/* A new database, owned by the engine's role: empty, or a copy of database
 * `template` (NULL: empty); its name made unique from `name`, its target
 * (as the engine's role) in out. Asserts the server runs. */
void zt_test_pg_create(char *out, size_t cap, const char *name, const char *template_db);
/* zt_test_pg_create of an empty database, then `init`, the sample
 * registry (rules/registry-510101.xml) and policy (sample-510101-2017.xml)
 * loaded on it by the command line. */
void zt_test_pg_sample(char *out, size_t cap, const char *name);
/* On the sample world of `db`: an admin `root` and a desk user `desk1` of
 * H51010101 added by the command line; desk1's token (malloc'd). */
char *zt_test_desk_token(const char *db);
/* The database name of a target made by zt_test_pg_target. */
void zt_test_pg_dbname(char *out, size_t cap, const char *target);
/* SQL text (one or more statements) on `target` with libpq: 0 when every
 * statement ran, -1 otherwise (the message in *err if err, malloc'd). */
int zt_test_pg_exec(const char *target, const char *sql, char **err);

/* SQL straight on a database file with the sqlite3 C API, as someone
 * editing it by hand would (foreign keys off, the default): asserts that
 * it runs. */
void zt_test_sql(const char *db, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The rows of a query, columns joined by '|', one line per row (caller
 * frees). */
char *zt_test_rows(const char *db, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The first column of the first row as an integer (0 if none). */
long long zt_test_sql_int(const char *db, const char *sql);

/* One booked entry of a bank statement written by zt_test_camt. */
struct zt_test_entry {
	int credit;             /* 1 CRDT, 0 DBIT */
	const char *amount;     /* "8160.00" */
	const char *ref;        /* AcctSvcrRef, unique */
	const char *e2e;        /* EndToEndId, NULL: NOTPROVIDED */
	const char *remittance; /* Ustrd, NULL: none */
};
/* Writes a camt.053.001.08 statement of the pool account 6222020200112233445
 * (CNY) named `name` in the test's directory, every entry booked on `date`
 * (YYYY-MM-DD); returns its path (static buffer rotated among 8). */
const char *zt_test_camt(const char *name, const char *msg_id, const char *date,
                         const struct zt_test_entry *e, size_t n);

/* What a claim stream (zhitong/claim_stream.h) read from `len` bytes of
 * `text`: each claim's outcome in order, its digest (when read) and its
 * header fields (items are not kept: item_count only). */
struct zt_test_read_claim {
	bool rejected;
	char code[32];
	char message[ZT_MESSAGE_BYTES_MAX];
	char hospital[ZT_UTF8_BYTES(ZT_CODE_CHARS_MAX)];
	char claim_no[ZT_UTF8_BYTES(ZT_CLAIM_NO_CHARS_MAX)];
	unsigned char digest[ZT_DIGEST_BYTES];
	struct zt_claim claim; /* items NULL */
};
struct zt_test_claims {
	int status;            /* zt_claim_stream_status */
	char status_msg[ZT_MESSAGE_BYTES_MAX];
	int version;
	size_t n;
	struct zt_test_read_claim *c;
};
void zt_test_read_claims(struct zt_test_claims *out, enum zt_claim_format format, const char *text,
                         size_t len);
void zt_test_claims_free(struct zt_test_claims *g);
/* The digest as 64 hex digits (static buffer rotated among 8). */
const char *zt_test_hex(const unsigned char digest[ZT_DIGEST_BYTES]);

/* ---- the engine's use cases, called directly ------------------------------ */

struct zt_store;
/* A fresh store DIR/name in this test's directory, created and brought to
 * the current schema (zt_init); asserts. Close it with zt_store_close. */
struct zt_store *zt_test_store(const char *name);
/* Loads the sample registry and policy of rules/ through the use cases
 * (zt_registry_load, zt_rules_load); asserts. */
void zt_test_load_sample(struct zt_store *s);
/* A claim v1 of one class-A item of `amount` yuan at H51010101 (the sample
 * world), admitted 2017-01-01, discharged `dscg` (YYYY-MM-DD), into buf. */
const char *zt_test_claim_xml(char *buf, size_t cap, const char *claim_no, const char *psn_no,
                              const char *dscg, const char *amount);
/* Settles that claim through zt_settle_source as of 2017-12-31; asserts
 * it is settled. */
void zt_test_settle(struct zt_store *s, const char *claim_no, const char *psn_no,
                    const char *dscg, const char *amount);
/* The same claim at `hospital` (a code of 9 characters, as H51010101). */
void zt_test_settle_at(struct zt_store *s, const char *hospital, const char *claim_no,
                       const char *psn_no, const char *dscg, const char *amount);

/* Display columns of UTF-8 text as a terminal shows it (CJK two): the
 * render modules' own count (zt_text_width). */
int zt_test_text_cols(const char *utf8);

/* A new database DIR/name with the sample registry and policy of rules/
 * loaded (through the program); returns its path (static, rotated). */
const char *zt_test_sample_db(const char *name);

/* The port a server child (pid) says it serves on, in its stderr file
 * ("serving on http://127.0.0.1:PORT"): polled for up to 60 s, then the
 * child is killed and the test fails. */
unsigned zt_test_served_port(pid_t pid, const char *err_path);
/* `zhitong --db DB [--config CONFIG] serve` on a free loopback port (its
 * stderr in err_path, no request log): its pid; *port where it serves. */
pid_t zt_test_serve(const char *db, const char *config, const char *err_path, unsigned *port);

/* ---- the settle use case, in process ------------------------------------------
 * Settles (quotes, with o->quote) the claims of the file at `path` (XML)
 * or of `len` bytes of `data` in `format` through zt_settle_source, the
 * answer rendered as the settlement XML (render_settlement.h) to `out`
 * (NULL: no answer) once committed: what `claim submit` does, in the test's
 * process. */
struct zt_settle_opts;
struct zt_settle_stats;
int zt_test_settle_file(struct zt_store *s, const char *path, const struct zt_settle_opts *o,
                        FILE *out, struct zt_settle_stats *st);
int zt_test_settle_buffer(struct zt_store *s, const char *data, size_t len,
                          enum zt_claim_format format, const struct zt_settle_opts *o, FILE *out,
                          struct zt_settle_stats *st);


/* The pool's and hospital H51010101's accounts as the test worlds'
 * configurations give them: an INI fragment, ending with a line break. */
#define ZT_TEST_POOL_INI                            \
	"[pool]\n"                                   \
	"name = 某县健康扶贫资金专户\n"            \
	"account = 6222020200112233445\n"          \
	"bic = ICBKCNBJSCN\n"                      \
	"\n"                                       \
	"[hospital H51010101]\n"                   \
	"account = 4402000000000000001\n"

/* A file DIR/name of n claims of the worked example's person (tests/cases/
 * claims/worked-example.xml), numbered PREFIX-0001 … (PREFIX of 8
 * characters: claim numbers of 13), all in 2017: the yearly caps come into
 * play. Returns its path (zt_test_write's). */
const char *zt_test_claims_of_one_person(const char *name, const char *prefix, int n);

/* ---- the slip's verification code (docs/slip.md) ---------------------------- */

/* A private key file DIR/name of 32 random bytes (mode 0600), for [slip]
 * key; its path (a static buffer rotated among 16). */
const char *zt_test_slip_key(const char *name);
/* The verification code printed on the slip of `setl_id` (`zhitong slip
 * --setl-id`, text) under configuration `cfg`, into out. */
void zt_test_slip_code(char out[64], const char *db, const char *cfg, const char *setl_id);

/* ---- a server the test runs (test_batch.c, test_gateway.c) ------------------ */

#include <stdarg.h>
#include <sys/types.h>

struct zt_test_server {
	pid_t pid;     /* -1: none */
	int stdin_fd;  /* its stdin: closed, payer_server stops */
	int port;
};
#define ZT_TEST_SERVER_NONE {.pid = -1, .stdin_fd = -1, .port = 0}
/* Runs argv (execvp) with a pipe on its stdin and waits (poll, ten
 * seconds) for the port it prints on stdout: a line of digits
 * (payer_server) or "ACCEPT host:port" (openssl s_server). */
void zt_test_server_start(struct zt_test_server *s, const char *const *argv);
/* payer_server (`program`) with DIR/CERT.crt and DIR/CERT.key, `script`,
 * its log `log`, what it receives saved under `save_dir` (made), a
 * lifetime of 50 s, and the NULL-terminated extra arguments in `ap`. */
void zt_test_payer_start(struct zt_test_server *s, const char *program, const char *dir,
                         const char *cert, const char *script, const char *log,
                         const char *save_dir, va_list ap);
/* Ends it: end of file on its stdin, SIGTERM after a second (openssl
 * s_server ignores the first), SIGKILL after five. None running: no-op. */
void zt_test_server_stop(struct zt_test_server *s);

/* Test certificates in `dir` (openssl, EC P-256, two days): a root CA
 * NAME.crt/NAME.key, and a leaf signed by CA with its subjectAltName `san`
 * (NULL: none) and extendedKeyUsage `eku`. */
void zt_test_cert_root(const char *dir, const char *name);
void zt_test_cert_leaf(const char *dir, const char *name, const char *ca, const char *san,
                       const char *eku);

/* ---- pain.001 and schemas (test_advance.c, test_iso20022.c) ------------------ */

#include <libxml/tree.h>

/* A written pain.001 parsed with the engine's hardened reader and checked
 * against the embedded XSD (the first of two independent validations). */
xmlDocPtr zt_test_pain_load(const char *path);
/* The text of XPath `expr` (prefix p: the pain.001.001.03 namespace);
 * malloc'd. */
char *zt_test_pain_xp(xmlDocPtr doc, const char *expr);
/* cr_expect that it is `want`. */
void zt_test_pain_expect(xmlDocPtr doc, const char *expr, const char *want);
/* The second: xmllint's verdict on `file` under the XSD at `xsd`. */
bool zt_test_xmllint_valid(const char *xsd, const char *file);

#endif
