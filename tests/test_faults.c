/* zhitong — fault injection: a storage failure at any write leaves the
 * database as it was, and retrying gives the clean run's answer.
 *
 * A VFS shim (after SQLite's test_vfs.c) wraps the default VFS and makes
 * the Nth xWrite or xSync of any file fail with SQLITE_IOERR. For every N
 * up to the number of writes a clean run makes, a fresh copy of a loaded
 * database settles a claim file through the library; the run must either
 * succeed or fail cleanly (a negative code, nothing on the output), and
 * afterwards the database must hold either all of the file's settlements
 * or none, pass every verify check, and settle the file again to exactly
 * the clean run's answer. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "zhitong/error.h"
#include "zhitong/settle.h"
#include "zhitong/store.h"

/* ---- the faulty VFS ------------------------------------------------------ */

static sqlite3_vfs *base_vfs;
static sqlite3_vfs faulty_vfs;
static long writes_seen;  /* xWrite + xSync calls since arming */
static long fail_at;      /* 0 = never */
static int faults_fired;

struct faulty_file {
	sqlite3_file base;      /* must be first */
	sqlite3_file *real;     /* the wrapped file, allocated right after */
};

static int should_fail(void)
{
	writes_seen++;
	if (fail_at && writes_seen == fail_at) {
		faults_fired++;
		return 1;
	}
	return 0;
}

static int f_close(sqlite3_file *f)
{
	struct faulty_file *ff = (struct faulty_file *)f;
	return ff->real->pMethods ? ff->real->pMethods->xClose(ff->real) : SQLITE_OK;
}
static int f_read(sqlite3_file *f, void *b, int n, sqlite3_int64 o)
{
	struct faulty_file *ff = (struct faulty_file *)f;
	return ff->real->pMethods->xRead(ff->real, b, n, o);
}
static int f_write(sqlite3_file *f, const void *b, int n, sqlite3_int64 o)
{
	struct faulty_file *ff = (struct faulty_file *)f;
	if (should_fail())
		return SQLITE_IOERR_WRITE;
	return ff->real->pMethods->xWrite(ff->real, b, n, o);
}
static int f_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	struct faulty_file *ff = (struct faulty_file *)f;
	return ff->real->pMethods->xTruncate(ff->real, size);
}
static int f_sync(sqlite3_file *f, int flags)
{
	struct faulty_file *ff = (struct faulty_file *)f;
	if (should_fail())
		return SQLITE_IOERR_FSYNC;
	return ff->real->pMethods->xSync(ff->real, flags);
}
static int f_size(sqlite3_file *f, sqlite3_int64 *out)
{
	struct faulty_file *ff = (struct faulty_file *)f;
	return ff->real->pMethods->xFileSize(ff->real, out);
}
static int f_lock(sqlite3_file *f, int l)
{
	struct faulty_file *ff = (struct faulty_file *)f;
	return ff->real->pMethods->xLock(ff->real, l);
}
static int f_unlock(sqlite3_file *f, int l)
{
	struct faulty_file *ff = (struct faulty_file *)f;
	return ff->real->pMethods->xUnlock(ff->real, l);
}
static int f_check_lock(sqlite3_file *f, int *out)
{
	struct faulty_file *ff = (struct faulty_file *)f;
	return ff->real->pMethods->xCheckReservedLock(ff->real, out);
}
static int f_control(sqlite3_file *f, int op, void *arg)
{
	struct faulty_file *ff = (struct faulty_file *)f;
	return ff->real->pMethods->xFileControl(ff->real, op, arg);
}
static int f_sector(sqlite3_file *f)
{
	struct faulty_file *ff = (struct faulty_file *)f;
	return ff->real->pMethods->xSectorSize(ff->real);
}
static int f_dev(sqlite3_file *f)
{
	struct faulty_file *ff = (struct faulty_file *)f;
	return ff->real->pMethods->xDeviceCharacteristics(ff->real);
}
static int f_shm_map(sqlite3_file *f, int pg, int sz, int extend, void volatile **pp)
{
	struct faulty_file *ff = (struct faulty_file *)f;
	return ff->real->pMethods->xShmMap(ff->real, pg, sz, extend, pp);
}
static int f_shm_lock(sqlite3_file *f, int off, int n, int flags)
{
	struct faulty_file *ff = (struct faulty_file *)f;
	return ff->real->pMethods->xShmLock(ff->real, off, n, flags);
}
static void f_shm_barrier(sqlite3_file *f)
{
	struct faulty_file *ff = (struct faulty_file *)f;
	ff->real->pMethods->xShmBarrier(ff->real);
}
static int f_shm_unmap(sqlite3_file *f, int del)
{
	struct faulty_file *ff = (struct faulty_file *)f;
	return ff->real->pMethods->xShmUnmap(ff->real, del);
}

static const sqlite3_io_methods faulty_io = {
	2, f_close, f_read, f_write, f_truncate, f_sync, f_size, f_lock, f_unlock,
	f_check_lock, f_control, f_sector, f_dev, f_shm_map, f_shm_lock, f_shm_barrier,
	f_shm_unmap, NULL, NULL,
};

static int v_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out_flags)
{
	(void)vfs;
	struct faulty_file *ff = (struct faulty_file *)f;
	ff->real = (sqlite3_file *)(ff + 1);
	memset(ff->real, 0, (size_t)base_vfs->szOsFile);
	int rc = base_vfs->xOpen(base_vfs, name, ff->real, flags, out_flags);
	f->pMethods = rc == SQLITE_OK ? &faulty_io : NULL;
	return rc;
}

static void install_faulty_vfs(void)
{
	if (base_vfs)
		return;
	base_vfs = sqlite3_vfs_find(NULL);
	faulty_vfs = *base_vfs;
	faulty_vfs.zName = "zt-faulty";
	faulty_vfs.szOsFile = (int)sizeof(struct faulty_file) + base_vfs->szOsFile;
	faulty_vfs.xOpen = v_open;
	cr_assert_eq(sqlite3_vfs_register(&faulty_vfs, 1), SQLITE_OK);
}

/* ---- the scenario -------------------------------------------------------- */

static char base_db[600], claims[600];

/* A database with the vector world's registry and policy loaded. */
static void setup_world(void)
{
	const char *dir = zt_test_tmpdir();
	snprintf(base_db, sizeof base_db, "%s/base.db", dir);
	snprintf(claims, sizeof claims, "%s", zt_test_case("vectors/world-1002/claims.xml"));
	char *err = NULL;
	cr_assert_eq(zt_test_run(NULL, &err, "--db %s init", base_db), 0, "%s", err);
	free(err);
	cr_assert_eq(zt_test_run(NULL, &err, "--db %s registry load %s", base_db,
	                         zt_test_case("vectors/world-1002/registry.xml")), 0, "%s", err);
	free(err);
	cr_assert_eq(zt_test_run(NULL, &err, "--db %s rules load %s", base_db,
	                         zt_test_case("vectors/world-1002/policy.xml")), 0, "%s", err);
	free(err);
}

static void copy_db(const char *to)
{
	char cmd[1400];
	snprintf(cmd, sizeof cmd, "rm -f '%s' '%s-wal' '%s-shm' && cp '%s' '%s'", to, to, to, base_db, to);
	cr_assert_eq(system(cmd), 0);
}

/* Settles the claim file into `db` through the library; returns the rc and
 * the answer (malloc'd, "" on failure). */
static int settle(const char *db, char **answer)
{
	struct zt_store *s = NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	int rc = zt_store_open(&s, db, NULL);
	if (rc == 0) {
		struct zt_settle_stats st;
		struct zt_settle_opts o = {.actor = "fault-test"}; /* today: the vectors end in 2018 */
		rc = zt_test_settle_file(s, claims, &o, out, &st);
	}
	zt_store_close(s);
	fclose(out);
	*answer = buf;
	return rc;
}

static long count_rows(const char *db, const char *table)
{
	char *out = NULL;
	char cmd[700];
	snprintf(cmd, sizeof cmd, "sqlite3 '%s' 'SELECT count(*) FROM %s'", db, table);
	FILE *p = popen(cmd, "r");
	cr_assert(p != NULL);
	long n = -1;
	cr_assert_eq(fscanf(p, "%ld", &n), 1, "cannot count %s", table);
	pclose(p);
	free(out);
	return n;
}

static void verify_clean(const char *db, long n)
{
	char *out = NULL, *err = NULL;
	int code = zt_test_run(&out, &err, "--db %s verify", db);
	cr_assert_eq(code, 0, "fault at write %ld: verify failed:\n%s%s", n, out, err);
	free(out);
	free(err);
}

Test(faults, a_failed_write_at_any_point_leaves_the_database_consistent, .timeout = 300)
{
	setup_world();
	install_faulty_vfs();
	const char *dir = zt_test_tmpdir();
	char db[700];
	snprintf(db, sizeof db, "%s/run.db", dir);

	/* The clean run: its answer, and how many writes it makes. */
	copy_db(db);
	fail_at = 0;
	writes_seen = 0;
	char *clean = NULL;
	cr_assert_eq(settle(db, &clean), 0, "clean run failed: %s", zt_error_last());
	long total = writes_seen;
	long claims_after = count_rows(db, "claim");
	cr_assert_eq(claims_after, 40);
	cr_assert(total > 3, "the clean run made only %ld writes", total);

	int failures = 0;
	for (long n = 1; n <= total; n++) {
		copy_db(db);
		writes_seen = 0;
		fail_at = n;
		faults_fired = 0;
		char *answer = NULL;
		int rc = settle(db, &answer);
		fail_at = 0;
		cr_assert_eq(faults_fired, 1, "write %ld of %ld was never reached", n, total);
		if (rc != 0) {
			failures++;
			cr_expect(rc == ZT_EIO || rc == ZT_EBUSY || rc == ZT_EINTERNAL,
			          "fault at write %ld: unexpected code %d (%s)", n, rc, zt_error_last());
			cr_expect_str_empty(answer, "fault at write %ld: an answer was printed", n);
		} else {
			/* SQLite may absorb a failed write (e.g. to a journal it then
			 * rewrites); then the answer must be the clean one. */
			cr_expect_str_eq(answer, clean, "fault at write %ld: a different answer", n);
		}
		free(answer);
		long nclaims = count_rows(db, "claim");
		cr_expect(nclaims == 0 || nclaims == 40,
		          "fault at write %ld: %ld claims stored: a half-stored file", n, nclaims);
		verify_clean(db, n);
		/* Retrying gives the same answer as the clean run. */
		char *again = NULL;
		cr_assert_eq(settle(db, &again), 0, "fault at write %ld: retry failed: %s", n,
		             zt_error_last());
		cr_expect_str_eq(again, clean, "fault at write %ld: the retry answered differently", n);
		free(again);
		verify_clean(db, n);
	}
	cr_expect(failures > 0, "no injected fault made a run fail: the shim is not in the path");
	cr_log_info("%ld writes in the clean run; %d of the faults made the run fail cleanly", total,
	            failures);
	free(clean);
}
