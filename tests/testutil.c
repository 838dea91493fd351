/* zhitong — shared helpers for the Criterion tests (see testutil.h). */
#define _GNU_SOURCE
#include "testutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

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

int zt_test_run(char **out, char **err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int code = run_with("", out, err, fmt, ap);
	va_end(ap);
	return code;
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
