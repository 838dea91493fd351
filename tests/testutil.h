/* zhitong — shared helpers for the Criterion tests. */
#ifndef ZT_TESTUTIL_H
#define ZT_TESTUTIL_H

#include <stddef.h>

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
/* DIR/name in this test's directory (static buffer rotated among 8). */
const char *tmp_path(const char *name);

#endif
