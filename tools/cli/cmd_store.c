/* zhitong store copy / store compare — a county's data moved from one store
 * to another (SQLite to PostgreSQL), and the proof that nothing changed
 * (README "Moving to PostgreSQL", docs/operations.md). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "zhitong/audit_trail.h"
#include "zhitong/error.h"
#include "zhitong/store.h"
#include "zhitong/verify.h"

static const char store_help[] =
	"usage: zhitong store copy --from SOURCE --to TARGET\n"
	"       zhitong store compare --from SOURCE --to TARGET\n"
	"\n"
	"store copy moves a county's data from one store to another, typically\n"
	"from SQLite (--from sqlite:PATH) to PostgreSQL (--to postgresql://…, the\n"
	"password from the password or service file, never here). TARGET must be\n"
	"a new database migrated by 'zhitong --db TARGET init' and empty: a target\n"
	"holding any row is refused and nothing is written. SOURCE must be clean\n"
	"('verify' and 'audit verify' find nothing): a damaged store is not\n"
	"copied. Every table is copied whole, every column, the row numbers, the\n"
	"audit trail's records and hashes as they are, in one transaction of the\n"
	"target read from one snapshot of the source. Then the copy is proved:\n"
	"'verify' and 'audit verify' on both stores, and every table (every\n"
	"settlement, share, transfer, accumulator, audit record …) compared row\n"
	"by row and column by column.\n"
	"\n"
	"store compare runs the proof alone (both stores only read).\n"
	"\n"
	"Prints each table copied and compared with its rows, then the verdicts.\n"
	"Exit 0 when the proof holds; 1 when the source is not clean or the\n"
	"stores differ (each difference printed); 2 bad usage or a target that\n"
	"is not empty; 3 a storage error.\n";

static void on_violation(void *ctx, const char *check, const char *message)
{
	printf("%s VIOLATION  %s: %s\n", (const char *)ctx, check, message);
}

static void on_copied(void *ctx, const char *table, int64_t rows)
{
	(void)ctx;
	printf("copied     %-28s %12" PRId64 " rows\n", table, rows);
}

static void on_compared(void *ctx, const char *table, int64_t rows)
{
	(void)ctx;
	printf("compared   %-28s %12" PRId64 " rows\n", table, rows);
}

static void on_difference(void *ctx, const char *table, const char *message)
{
	(void)ctx;
	printf("DIFFERS    %s: %s\n", table, message);
}

static int open_one(const char *target, bool readonly, struct zt_store **out)
{
	struct zt_store_options o;
	cli_store_options(&o, readonly ? CLI_STORE_READONLY : 0);
	int rc = zt_store_open(out, target, &o);
	if (rc == 0 && (rc = (*out)->ops->check_version(*out)) != 0) {
		zt_store_close(*out);
		*out = NULL;
	}
	if (rc)
		fprintf(stderr, "zhitong: database: %s\n", zt_error_last());
	return rc ? EXIT_USAGE : 0;
}

/* verify and audit verify of one store: 0 clean, 1 not, or <0 */
static int prove_one(struct zt_store *s, const char *side)
{
	struct zt_verify_report r = {(void *)side, on_violation, NULL, NULL};
	int64_t n = 0;
	int rc = zt_verify(s, &r, &n);
	if (rc)
		return rc;
	printf("verify       %-7s %s: %" PRId64 " violation%s\n", side, n ? "FAILED" : "OK", n,
	       n == 1 ? "" : "s");
	struct zt_audit_verdict *v = malloc(sizeof *v);
	if (!v)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	rc = zt_audit_trail_verify(s, NULL, v);
	bool intact = rc == 0;
	if (rc == 0) {
		char hex[ZT_AUDIT_HASH_HEX_CHARS + 1];
		zt_audit_hash_hex(hex, v->last.hash);
		printf("audit verify %-7s intact: %" PRId64 " audit records, the last %" PRId64
		       " (sha256 %s)\n", side, v->records, v->last.seq, hex);
	} else if (rc == ZT_EINVAL && v->fault != ZT_AUDIT_INTACT) {
		printf("audit verify %-7s %s: %s\n", side, zt_audit_fault_name(v->fault), v->message);
		rc = 0;
	}
	free(v);
	if (rc)
		return rc;
	return n || !intact ? 1 : 0;
}

/* Both stores verified, their audit chains too, and every table compared. */
static int prove(struct zt_store *from, struct zt_store *to)
{
	int a = prove_one(from, "source"), b = a < 0 ? a : prove_one(to, "target");
	if (a < 0 || b < 0)
		return cli_fail(a < 0 ? a : b, NULL);
	int64_t diffs = 0;
	int rc = zt_store_compare(from, to, on_difference, on_compared, NULL, &diffs);
	if (rc)
		return cli_fail(rc, NULL);
	printf("compare      %s: %" PRId64 " difference%s\n", diffs ? "FAILED" : "OK", diffs,
	       diffs == 1 ? "" : "s");
	bool ok = a == 0 && b == 0 && diffs == 0;
	printf("%s\n", ok ? "OK: the two stores hold the same data" : "FAILED: the two stores differ "
	                                                             "or one is not clean");
	return ok ? EXIT_DONE : EXIT_REJECTED;
}

int cmd_store(const struct cli *c, int argc, char **argv)
{
	(void)c;
	struct args a;
	int rc = args_parse(&a, argc, argv, "--from --to", "");
	if (rc)
		return rc;
	if (a.help || a.npos == 0) {
		fputs(store_help, a.help ? stdout : stderr);
		return a.help ? EXIT_DONE : EXIT_USAGE;
	}
	bool copy = strcmp(a.pos[0], "copy") == 0;
	if (!copy && strcmp(a.pos[0], "compare") != 0)
		return cli_usage("unknown store command '%s' (copy, compare)", a.pos[0]);
	const char *from_t = args_get(&a, "--from"), *to_t = args_get(&a, "--to");
	if (a.npos != 1 || !from_t || !to_t)
		return cli_usage("zhitong store %s --from SOURCE --to TARGET", a.pos[0]);
	if (strcmp(from_t, to_t) == 0)
		return cli_usage("--from and --to name the same database");
	struct zt_store *from = NULL, *to = NULL;
	if ((rc = open_one(from_t, true, &from)) != 0)
		return rc;
	if ((rc = open_one(to_t, !copy, &to)) != 0) {
		zt_store_close(from);
		return rc;
	}
	if (copy) {
		/* a damaged store is not copied: its damage would be proved "the same" */
		int clean = prove_one(from, "source");
		if (clean < 0)
			rc = cli_fail(clean, NULL);
		else if (clean) {
			fprintf(stderr, "zhitong: the source is not clean (see above): nothing copied\n");
			rc = EXIT_REJECTED;
		} else if ((rc = zt_store_copy(from, to, on_copied, NULL)) != 0)
			rc = rc == ZT_ECONFLICT ? (fprintf(stderr, "zhitong: %s\n", zt_error_last()), EXIT_USAGE)
			                        : cli_fail(rc, NULL);
	}
	if (rc == 0)
		rc = prove(from, to);
	zt_store_close(from);
	zt_store_close(to);
	return rc;
}
