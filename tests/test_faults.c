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
 * the clean run's answer.
 *
 * The same sweep runs over every write and sync of batch create, batch
 * export, reconcile import and advance issue (issue 15 point 2): the world
 * is built through the CLI (stress.h), the operation runs in this process
 * through the library; a failed run leaves the database exactly as it was
 * (its whole .dump) and the output's name as it was (nothing, the same
 * file, or the file a forced export replaced), a retry then gives the
 * clean run's answer, and verify is clean after each. The export is also
 * swept over its file system's publishing steps (rename, link, the sync
 * of a directory), wrapped below. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <errno.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "stress.h"
#include "testutil.h"
#include "zhitong/error.h"
#include "zhitong/outfile.h"
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

/* The group commit's sweep counts the desks' writes only: the group's
 * checkpointer (settle_group.c) writes from a thread of its own, at
 * moments no sweep can replay, and a checkpoint that fails costs no desk
 * its answer. */
static bool only_desks;
static _Thread_local bool is_desk;

static int should_fail(void)
{
	if (only_desks && !is_desk)
		return 0;
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

/* ---- the faulty file system ------------------------------------------------ */

/* The outputs' publishing steps — rename(2), renameat2(2), link(2) and the
 * fsync(2) of a directory (outfile.c) — are wrapped here: this program
 * links the engine statically, so these definitions come before the C
 * library's, and the Nth step after a reset fails with EIO. */
static long fs_seen, fs_fail_at;
static int fs_fired;

static bool fs_step_fails(void)
{
	fs_seen++;
	if (fs_fail_at && fs_seen == fs_fail_at) {
		fs_fired++;
		errno = EIO;
		return true;
	}
	return false;
}

int renameat2(int from_dir, const char *from, int to_dir, const char *to, unsigned flags)
{
	static int (*real)(int, const char *, int, const char *, unsigned);
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "renameat2");
	return fs_step_fails() ? -1 : real(from_dir, from, to_dir, to, flags);
}

int rename(const char *from, const char *to)
{
	static int (*real)(const char *, const char *);
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "rename");
	return fs_step_fails() ? -1 : real(from, to);
}

int link(const char *from, const char *to)
{
	static int (*real)(const char *, const char *);
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "link");
	return fs_step_fails() ? -1 : real(from, to);
}

int fsync(int fd)
{
	static int (*real)(int);
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "fsync");
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) && fs_step_fails())
		return -1;
	return real(fd);
}

/* ---- beyond settlement ------------------------------------------------------- */

/* What is at the output's name before the operation runs. */
enum prior {
	PRIOR_NONE,  /* nothing */
	PRIOR_SAME,  /* the file and signature the clean run writes */
	PRIOR_OTHER, /* another file and signature (the operation runs forced) */
};

/* Which fault a sweep injects: the Nth SQLite write or sync (the VFS
 * above), or the Nth publishing step of an output (the file system). */
struct fault {
	const char *what;
	long *seen, *fail_at;
	int *fired;
};
static const struct fault vfs_fault = {"write", &writes_seen, &fail_at, &faults_fired};
static const struct fault fs_fault = {"publishing step", &fs_seen, &fs_fail_at, &fs_fired};

static void sh_ok(const char *what, struct run r)
{
	cr_assert_eq(r.code, 0, "%s: %s", what, r.err ? r.err : "");
	run_free(&r);
}

/* The output and its signature as they were before the operation: kept as
 * OUT.before and OUT.sig.before (absent for PRIOR_NONE), put in place. */
static void place_prior(struct zt_stress_op *o)
{
	sh_ok("place", sh("rm -f '%s' '%s.sig' && if test -e '%s.before'; then cp '%s.before' '%s' && "
	                  "cp '%s.sig.before' '%s.sig'; fi",
	                  o->out, o->out, o->out, o->out, o->out, o->out, o->out));
}

/* Makes OUT.before for o->variant: nothing, the clean run's outputs (written
 * by a clean run on a scratch copy of the world), or other bytes. */
static void make_prior(struct zt_stress_op *o)
{
	sh_ok("clear", sh("rm -f '%s.before' '%s.sig.before'", o->out, o->out));
	if (o->variant == PRIOR_SAME) {
		zt_stress_copy(o->w->db, o->db);
		place_prior(o);
		cr_assert_eq(o->run(o), 0, "%s: the clean run failed: %s", o->name, zt_error_last());
		sh_ok("keep", sh("cp '%s' '%s.before' && cp '%s.sig' '%s.sig.before'", o->out, o->out,
		                 o->out, o->out));
	} else if (o->variant == PRIOR_OTHER) {
		sh_ok("other", sh("printf '<other/>\\n' > '%s.before' && printf 'not this signature\\n' "
		                  "> '%s.sig.before'", o->out, o->out));
	}
}

/* After a failed run: the output's name holds what it held before —
 * nothing, or the same bytes — and no temporary or kept file is left. */
static void expect_outputs_as_before(struct zt_stress_op *o, const char *what, long n)
{
	struct run r = o->variant == PRIOR_NONE
	                   ? sh("! test -e '%s' && ! test -e '%s.sig'", o->out, o->out)
	                   : sh("cmp -s '%s' '%s.before' && cmp -s '%s.sig' '%s.sig.before'", o->out,
	                        o->out, o->out, o->out);
	cr_assert_eq(r.code, 0, "%s: fault at %s %ld failed (%s) but left its output behind or "
	             "changed what was there", o->name, what, n, zt_error_last());
	run_free(&r);
	r = sh("ls -A \"$(dirname '%s')\" | grep -E '\\.(tmp|old)$'", o->out);
	cr_assert_neq(r.code, 0, "%s: fault at %s %ld: temporary files left: %s", o->name, what, n,
	              r.out);
	run_free(&r);
}

/* Fails fault n = 1 … N of the operation's clean run (N: how many the
 * clean run reaches), each in a fresh copy of the world with the output's
 * name as o->variant says. Each run succeeds, or fails cleanly: a known
 * code with a message, the database exactly as it was, the output's name
 * as it was; a retry then gives the clean run's answer. */
static void sweep(struct zt_stress_op *o, const struct fault *f)
{
	struct zt_stress_world *w = o->w;
	install_faulty_vfs();
	char *base = zt_stress_dump(w->db);
	make_prior(o);

	zt_stress_copy(w->db, o->db);
	place_prior(o);
	*f->fail_at = 0;
	*f->seen = 0;
	cr_assert_eq(o->run(o), 0, "%s: the clean run failed: %s", o->name, zt_error_last());
	long total = *f->seen;
	/* (an export over its own files publishes nothing) */
	cr_assert(total > 0 || o->variant == PRIOR_SAME, "%s: the clean run made no %s", o->name,
	          f->what);
	char *clean = zt_stress_answer(o->db);
	zt_stress_verify(o->db, o->name);

	int failures = 0;
	for (long n = 1; n <= total; n++) {
		zt_stress_copy(w->db, o->db);
		place_prior(o);
		*f->seen = 0;
		*f->fail_at = n;
		*f->fired = 0;
		int rc = o->run(o);
		*f->fail_at = 0;
		cr_assert_eq(*f->fired, 1, "%s: %s %ld of %ld was never reached", o->name, f->what, n,
		             total);
		if (rc != 0) {
			failures++;
			cr_expect(rc == ZT_EIO || rc == ZT_EBUSY || rc == ZT_EINTERNAL,
			          "%s: fault at %s %ld: unexpected code %d (%s)", o->name, f->what, n, rc,
			          zt_error_last());
			cr_expect(zt_error_last()[0] != '\0', "%s: fault at %s %ld: no message", o->name,
			          f->what, n);
			char *now = zt_stress_dump(o->db);
			cr_assert_str_eq(now, base, "%s: fault at %s %ld failed (%s) but changed the "
			                 "database", o->name, f->what, n, zt_error_last());
			free(now);
			expect_outputs_as_before(o, f->what, n);
			zt_stress_verify(o->db, o->name);
			/* the retry gives the clean run's answer */
			rc = o->run(o);
			cr_assert_eq(rc, 0, "%s: fault at %s %ld: the retry failed: %s", o->name, f->what,
			             n, zt_error_last());
		}
		char *now = zt_stress_answer(o->db);
		cr_assert_str_eq(now, clean, "%s: fault at %s %ld: a different answer", o->name,
		                 f->what, n);
		free(now);
		zt_stress_verify(o->db, o->name);
	}
	if (f == &vfs_fault || o->variant != PRIOR_SAME)
		cr_expect(failures > 0, "%s: no injected fault made a run fail", o->name);
	cr_log_info("%s: %ld %ss in the clean run; %d of the faults made the run fail cleanly",
	            o->name, total, f->what, failures);
	free(clean);
	free(base);
}

Test(faults, batch_create_survives_a_failed_write_anywhere, .timeout = 600)
{
	struct zt_stress_world w;
	struct zt_stress_op o;
	zt_stress_op_init(&o, &w, 0, "batch create", zt_stress_run_batch_create);
	sweep(&o, &vfs_fault);
}

/* A failure after the payer file and its signature were published — the
 * recording of the export in the store — takes back what this export
 * published, and only that (batch.h). */
Test(faults, batch_export_survives_a_failed_write_anywhere, .timeout = 600)
{
	struct zt_stress_world w;
	struct zt_stress_op o;
	zt_stress_op_init(&o, &w, ZT_STRESS_BATCH_APPROVED, "batch export",
	                  zt_stress_run_batch_export);
	sweep(&o, &vfs_fault);
}

Test(faults, a_failed_export_leaves_an_identical_file_already_there, .timeout = 600)
{
	struct zt_stress_world w;
	struct zt_stress_op o;
	zt_stress_op_init(&o, &w, ZT_STRESS_BATCH_APPROVED, "batch export over its own file",
	                  zt_stress_run_batch_export);
	o.variant = PRIOR_SAME;
	sweep(&o, &vfs_fault);
}

Test(faults, a_failed_forced_export_puts_back_the_files_it_replaced, .timeout = 600)
{
	struct zt_stress_world w;
	struct zt_stress_op o;
	zt_stress_op_init(&o, &w, ZT_STRESS_BATCH_APPROVED, "batch export --force",
	                  zt_stress_run_batch_export);
	o.variant = PRIOR_OTHER;
	o.out_flags = ZT_OUT_FORCE;
	sweep(&o, &vfs_fault);
}

/* Each rename, link and directory sync of the export failed in turn: the
 * signature published and then the file's rename failing, the file renamed
 * and its directory's sync failing, … */
Test(faults, batch_export_survives_a_failed_publishing_step, .timeout = 600)
{
	struct zt_stress_world w;
	struct zt_stress_op o;
	zt_stress_op_init(&o, &w, ZT_STRESS_BATCH_APPROVED, "batch export (publishing)",
	                  zt_stress_run_batch_export);
	enum prior priors[] = {PRIOR_NONE, PRIOR_SAME, PRIOR_OTHER};
	for (size_t i = 0; i < 3; i++) {
		o.variant = (int)priors[i];
		o.out_flags = priors[i] == PRIOR_OTHER ? ZT_OUT_FORCE : 0;
		sweep(&o, &fs_fault);
	}
}

Test(faults, reconcile_import_survives_a_failed_write_anywhere, .timeout = 600)
{
	struct zt_stress_world w;
	struct zt_stress_op o;
	zt_stress_op_init(&o, &w, ZT_STRESS_BATCH_ACCEPTED, "reconcile import", zt_stress_run_import);
	sweep(&o, &vfs_fault);
}

Test(faults, advance_issue_survives_a_failed_write_anywhere, .timeout = 600)
{
	struct zt_stress_world w;
	struct zt_stress_op o;
	zt_stress_op_init(&o, &w, ZT_STRESS_PLAN_APPROVED, "advance issue", zt_stress_run_advance);
	sweep(&o, &vfs_fault);
}

/* ---- the service's group commit ------------------------------------------------
 *
 * The SQLite write and sync failures swept over zt_settle_group (issue 15
 * point 2; engine/src/settle_group.c): five desks, the first leading a
 * group of its own and holding it (in its sink) until the four others are
 * queued, one after another, so that they are the second group, settled
 * in their order in one transaction. For every write and sync a clean run
 * makes, a fresh copy of the world: each desk is answered its settlement
 * (committed once) or a storage error with its message (never told
 * committed), the store holds exactly the claims of the desks answered,
 * verify is clean (ledger, accumulators, audit chain), and once the failed
 * desks send again the accumulators and every account's balance are the
 * clean run's. */

#include <pthread.h>
#include <sched.h>

#include "zhitong/settle_group.h"

#define GDESKS 5

struct gdesk {
	struct zt_settle_group *g;
	char no[32];
	char body[4096];
	struct zt_buffer_reader at;
	struct zt_source src;
	struct zt_settle_opts o;
	struct zt_settle_sink sink;
	struct zt_settle_stats st;
	int rc, settled, rejected, committed;
	char msg[256]; /* a failure's message, read on the desk's thread */
	unsigned hold; /* the first settlement waits until this many inputs are queued */
	bool leading, done;
};

static int g_settled(void *ctx, const struct zt_stored_settlement *st, bool replayed)
{
	struct gdesk *d = ctx;
	(void)st;
	(void)replayed;
	d->settled++;
	__atomic_store_n(&d->leading, true, __ATOMIC_SEQ_CST);
	while (d->hold && zt_settle_group_waiting(d->g) < d->hold)
		sched_yield();
	d->hold = 0;
	return 0;
}

static int g_rejected(void *ctx, const struct zt_rejection *r)
{
	(void)r;
	((struct gdesk *)ctx)->rejected++;
	return 0;
}

static int g_committed(void *ctx, const struct zt_settle_stats *st)
{
	(void)st;
	((struct gdesk *)ctx)->committed++;
	return 0;
}

static void g_reset(void *ctx)
{
	struct gdesk *d = ctx;
	d->settled = d->rejected = 0;
}

static void *gdesk_run(void *arg)
{
	struct gdesk *d = arg;
	is_desk = true;
	const struct zt_settle_job job = {.src = &d->src, .format = ZT_CLAIM_FORMAT_XML, .o = &d->o,
	                                  .sink = &d->sink, .reset = g_reset, .reset_ctx = d};
	d->rc = zt_settle_group_submit(d->g, &job, &d->st);
	/* the message of a failure, read on this thread (errors are per thread) */
	if (d->rc)
		snprintf(d->msg, sizeof d->msg, "%s", zt_error_last());
	__atomic_store_n(&d->done, true, __ATOMIC_SEQ_CST);
	return NULL;
}

static void gdesk_init(struct gdesk *d, int i)
{
	memset(d, 0, sizeof *d);
	snprintf(d->no, sizeof d->no, "GF-%02d", i);
	/* two desks of one person (P0000001), the others of P0000002 and P0000003 */
	static const char *const psn[] = {"P0000001", "P0000002", "P0000001", "P0000003", "P0000002"};
	char dscg[16];
	snprintf(dscg, sizeof dscg, "2017-03-%02d", 1 + i);
	zt_test_claim_xml(d->body, sizeof d->body, d->no, psn[i], dscg, "1200.00");
	d->src = zt_source_buffer(&d->at, d->body, strlen(d->body), "a desk's claim");
	d->o = (struct zt_settle_opts){.actor = "desk"};
	d->sink = (struct zt_settle_sink){.settled = g_settled, .rejected = g_rejected,
	                                  .committed = g_committed, .ctx = d};
}

/* Runs the five desks on `db` through one group: desk 0 alone, then the
 * others in one group, queued in order. */
static void run_desks(const char *db, struct gdesk *d)
{
	struct zt_settle_group *g = NULL;
	cr_assert_eq(zt_settle_group_new(&g, db, NULL, 0, 0), 0, "%s", zt_error_last());
	pthread_t t[GDESKS];
	for (int i = 0; i < GDESKS; i++) {
		gdesk_init(&d[i], i);
		d[i].g = g;
	}
	d[0].hold = GDESKS - 1;
	pthread_create(&t[0], NULL, gdesk_run, &d[0]);
	while (!__atomic_load_n(&d[0].leading, __ATOMIC_SEQ_CST) &&
	       !__atomic_load_n(&d[0].done, __ATOMIC_SEQ_CST))
		sched_yield();
	for (int i = 1; i < GDESKS; i++) {
		pthread_create(&t[i], NULL, gdesk_run, &d[i]);
		/* queued behind the leader before the next comes (unless a fault
		 * ended the leader's group already) */
		while (zt_settle_group_waiting(g) < (unsigned)i &&
		       !__atomic_load_n(&d[0].done, __ATOMIC_SEQ_CST))
			sched_yield();
	}
	for (int i = 0; i < GDESKS; i++)
		pthread_join(t[i], NULL);
	zt_settle_group_free(g);
}

static char *money_state(const char *db)
{
	char *acc = zt_test_rows(db, "SELECT psn_no, year, slot, amount FROM accum ORDER BY 1, 2, 3");
	char *bal = zt_test_rows(db, "SELECT * FROM account ORDER BY 1");
	char *out = NULL;
	cr_assert(asprintf(&out, "%s\n--\n%s", acc, bal) > 0);
	free(acc);
	free(bal);
	return out;
}

Test(faults, the_group_commit_survives_a_failed_write_anywhere, .timeout = 900)
{
	struct zt_store *s = zt_test_store("group-base.db");
	zt_test_load_sample(s);
	zt_store_close(s);
	char base[700], db[700];
	snprintf(base, sizeof base, "%s", tmp_path("group-base.db"));
	snprintf(db, sizeof db, "%s", tmp_path("group-run.db"));
	install_faulty_vfs();
	only_desks = true;
	static struct gdesk d[GDESKS];

	zt_stress_copy(base, db);
	fail_at = 0;
	writes_seen = 0;
	run_desks(db, d);
	long total = writes_seen;
	for (int i = 0; i < GDESKS; i++) {
		cr_assert_eq(d[i].rc, 0, "clean run: desk %d failed", i);
		cr_assert_eq(d[i].settled, 1, "clean run: desk %d", i);
		cr_assert_eq(d[i].committed, 1, "clean run: desk %d", i);
	}
	cr_assert_eq(zt_test_sql_int(db, "SELECT count(*) FROM settlement"), GDESKS);
	cr_assert(total > 3, "the clean run made only %ld writes", total);
	char *clean = money_state(db);
	verify_clean(db, 0);

	int failures = 0;
	for (long n = 1; n <= total; n++) {
		zt_stress_copy(base, db);
		writes_seen = 0;
		fail_at = n;
		faults_fired = 0;
		run_desks(db, d);
		fail_at = 0;
		cr_assert_eq(faults_fired, 1, "group: write %ld of %ld was never reached", n, total);
		int answered = 0;
		for (int i = 0; i < GDESKS; i++) {
			if (d[i].rc == 0) {
				answered++;
				cr_expect_eq(d[i].settled, 1, "fault at write %ld: desk %d", n, i);
				cr_expect_eq(d[i].committed, 1, "fault at write %ld: desk %d told %d times", n,
				             i, d[i].committed);
				continue;
			}
			failures++;
			cr_expect(d[i].rc == ZT_EIO || d[i].rc == ZT_EBUSY || d[i].rc == ZT_EINTERNAL,
			          "fault at write %ld: desk %d: unexpected code %d", n, i, d[i].rc);
			cr_expect(d[i].msg[0] != '\0', "fault at write %ld: desk %d: no message", n, i);
			cr_expect_eq(d[i].committed, 0, "fault at write %ld: desk %d failed but was told "
			             "committed", n, i);
		}
		/* exactly the claims of the desks answered are stored */
		cr_expect_eq(zt_test_sql_int(db, "SELECT count(*) FROM settlement"), answered,
		             "fault at write %ld: %d desks answered", n, answered);
		for (int i = 0; i < GDESKS; i++) {
			char q[200];
			snprintf(q, sizeof q, "SELECT count(*) FROM claim WHERE claim_no = '%s'",
			         d[i].no);
			cr_expect_eq(zt_test_sql_int(db, q), d[i].rc == 0,
			             "fault at write %ld: desk %d (rc %d) and its stored claim", n, i,
			             d[i].rc);
		}
		verify_clean(db, n);
		/* the failed desks send again: the clean run's money */
		cr_assert_eq(zt_store_open(&s, db, NULL), 0, "%s", zt_error_last());
		for (int i = 0; i < GDESKS; i++) {
			if (d[i].rc == 0)
				continue;
			struct zt_settle_stats st;
			cr_assert_eq(zt_test_settle_buffer(s, d[i].body, strlen(d[i].body),
			                                   ZT_CLAIM_FORMAT_XML, &d[i].o, NULL, &st),
			             0, "fault at write %ld: desk %d's retry: %s", n, i, zt_error_last());
		}
		zt_store_close(s);
		char *now = money_state(db);
		cr_expect_str_eq(now, clean, "fault at write %ld: other accumulators or balances", n);
		free(now);
		verify_clean(db, n);
	}
	cr_expect(failures > 0, "group: no injected fault made a desk fail");
	cr_log_info("group commit: %ld writes and syncs in the clean run; %d desks failed cleanly "
	            "over the sweep", total, failures);
	free(clean);
}
