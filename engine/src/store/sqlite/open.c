/* zhitong — opening and closing the SQLite store, and its table of
 * operations (store.h). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sqlite_int.h"

static void sq_close(struct zt_store *s);

/* The table, put together once from the parts each file of the store
 * defines (C initialisers cannot copy another object's value). */
static struct zt_store_ops sqlite_ops;
static pthread_once_t sqlite_ops_once = PTHREAD_ONCE_INIT;

static void fill_ops(void)
{
	sqlite_ops = (struct zt_store_ops){
		.name = "sqlite",
		.close = sq_close,
		.migrate = sq_migrate,
		.check_version = sq_check_version,
		.begin = sq_begin,
		.commit = sq_commit,
		.rollback = sq_rollback,
		.savepoint = sq_savepoint,
		.release = sq_release,
		.rollback_to = sq_rollback_to,
		.yield = sq_yield,
		.contended = sq_contended,
		.checkpoint = sq_checkpoint,
		.now = sq_now_op,
		ZT_DB_AGGREGATE_OPS,
	};
}

/* SQL zt_local_day(ts): the pool-local day (yyyymmdd) of a stored UTC
 * timestamp, NULL for NULL or anything else (docs/spec/rules-v2.md §5). */
static void sql_local_day(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	const unsigned char *ts = sqlite3_value_text(argv[0]);
	zt_date d = ts ? zt_timestamp_local_date((const char *)ts) : 0;
	if (d)
		sqlite3_result_int(ctx, d);
	else
		sqlite3_result_null(ctx);
}

/* A new database holds names and identity numbers: it is created for its
 * owner only, and SQLite gives its -wal and -shm files the database file's
 * mode. O_EXCL | O_NOFOLLOW: never through a symbolic link, never over
 * something that appeared meanwhile (SQLite then opens what is there). */
static int create_private(const char *path)
{
	struct stat st;
	if (lstat(path, &st) == 0) {
		/* A link to nothing would have SQLite create its target, with
		 * the umask's mode: a new database is never made through a link. */
		if (S_ISLNK(st.st_mode) && stat(path, &st) != 0)
			return zt_error_set(ZT_EINVAL, "cannot create database '%s': it is a symbolic "
			                    "link to nothing (a new database is created at a path of "
			                    "its own, never through a link)", path);
		return 0; /* there already: SQLite decides whether it is a database */
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && errno != EEXIST)
		return zt_error_set(ZT_EIO, "cannot create database '%s': %s", path, strerror(errno));
	if (fd >= 0 && (fchmod(fd, 0600) != 0 || close(fd) != 0))
		return zt_error_set(ZT_EIO, "cannot create database '%s': %s", path, strerror(errno));
	return 0;
}

/* Whether a read-only open failed because the -wal / -shm files could not
 * be made: the database's directory is not writable for this user and
 * they are not there (a copy of a database, a read-only mount, or one
 * last written by an older zhitong, which did not keep them). */
static bool wal_files_missing(const char *path)
{
	char p[1100];
	snprintf(p, sizeof p, "%s-wal", path);
	return access(p, F_OK) != 0;
}

static int open_connection(struct sq *q, int oflags, bool immutable)
{
	char uri[2200];
	const char *name = q->path;
	if (immutable) {
		/* file: URI with the path percent-encoded where it must be. */
		size_t n = (size_t)snprintf(uri, sizeof uri, "file:");
		for (const unsigned char *c = (const unsigned char *)q->path; *c && n + 4 < sizeof uri;
		     c++) {
			if (*c == '%' || *c == '?' || *c == '#')
				n += (size_t)snprintf(uri + n, sizeof uri - n, "%%%02X", *c);
			else
				uri[n++] = (char)*c;
		}
		snprintf(uri + n, sizeof uri - n, "?immutable=1");
		name = uri;
		oflags |= SQLITE_OPEN_URI;
	}
	if (sqlite3_open_v2(name, &q->db, oflags, NULL) != SQLITE_OK)
		return zt_error_set(ZT_EIO, "cannot open database '%s': %s", q->path,
		                    q->db ? sqlite3_errmsg(q->db) : "out of memory");
	return 0;
}

/* WAL: readers never block the writer; synchronous=FULL: a committed
 * settlement survives power loss. The -wal and -shm files stay when the
 * last writer closes (persistent WAL), so a reader who may not create files
 * in the directory — an auditor's account, a read-only copy — can still
 * open the database. journal_size_limit: with a persistent WAL, the last
 * writer's close truncates it to nothing (and a checkpoint to 64 MiB)
 * instead of leaving it at its largest. */
static int set_up_writer(struct sq *q)
{
	int persist = 1, rc;
	sqlite3_file_control(q->db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
	if ((rc = sq_exec(q, "PRAGMA journal_mode = WAL")) != 0 ||
	    (rc = sq_exec(q, "PRAGMA synchronous = FULL")) != 0)
		return rc;
	return sq_exec(q, "PRAGMA journal_size_limit = 67108864");
}

/* A read-only open reads nothing until the first statement: try one now,
 * so that a database whose directory this user cannot write (and that has
 * no -wal/-shm beside it to share) is opened as an immutable snapshot
 * instead. No writer can be at work on it: a writer would have made the
 * -wal file. */
static int set_up_reader(struct sq *q, int oflags)
{
	sqlite3_stmt *p = NULL;
	int step = sqlite3_prepare_v2(q->db, "PRAGMA user_version", -1, &p, NULL);
	if (step == SQLITE_OK)
		step = sqlite3_step(p);
	sqlite3_finalize(p);
	if (step == SQLITE_ROW || !wal_files_missing(q->path))
		return 0;
	sqlite3_close(q->db);
	q->db = NULL;
	return open_connection(q, oflags, true);
}

/* temp_store: statement journals and ephemeral tables (an UPDATE under
 * foreign keys opens one per statement) stay in memory. */
static int set_up_connection(struct sq *q)
{
	int rc;
	if ((rc = sq_exec(q, "PRAGMA foreign_keys = ON")) != 0 ||
	    (rc = sq_exec(q, "PRAGMA cache_size = -16384")) != 0 ||
	    (rc = sq_exec(q, "PRAGMA temp_store = MEMORY")) != 0)
		return rc;
	if (sqlite3_create_function_v2(q->db, "zt_local_day", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
	                               NULL, sql_local_day, NULL, NULL, NULL) != SQLITE_OK)
		return sq_error(q, "register zt_local_day");
	return 0;
}

int sq_open(struct zt_store **out, const char *path, const struct zt_store_options *o)
{
	*out = NULL;
	struct sq *q = calloc(1, sizeof *q);
	if (!q)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	pthread_once(&sqlite_ops_once, fill_ops);
	sq_configure();
	q->base.ops = &sqlite_ops;
	q->wait_fd = -1;
	q->zdb.drv = &sq_driver;
	q->zdb.checks = sq_checks;
	q->zdb.checks_set_up = sq_checks_set_up;
	q->zdb.deltas.size = sizeof(struct zt_db_delta);
	if ((size_t)snprintf(q->path, sizeof q->path, "%s", path) >= sizeof q->path) {
		free(q);
		return zt_error_set(ZT_EINVAL, "database path '%.60s…' is too long", path);
	}
	q->readonly = o->readonly;
	int oflags = q->readonly ? SQLITE_OPEN_READONLY
	                         : SQLITE_OPEN_READWRITE | (o->create ? SQLITE_OPEN_CREATE : 0);
	oflags |= SQLITE_OPEN_NOMUTEX; /* a store handle belongs to one thread */
	int rc;
	if (!q->readonly && o->create && (rc = create_private(path)) != 0)
		goto fail;
	if ((rc = open_connection(q, oflags, false)) != 0)
		goto fail;
	sqlite3_extended_result_codes(q->db, 0);
	/* Writers wait for each other rather than fail: a desk's claim is
	 * never refused because another desk is settling (G1). */
	q->busy_ms = o->busy_timeout_ms > 0 ? o->busy_timeout_ms : ZT_STORE_BUSY_TIMEOUT_MS;
	sqlite3_busy_handler(q->db, sq_busy, q);
	rc = q->readonly ? set_up_reader(q, oflags) : set_up_writer(q);
	if (rc == 0 && !q->readonly && o->checkpoint_apart)
		rc = sq_exec(q, "PRAGMA wal_autocheckpoint = 0");
	if (rc == 0)
		rc = set_up_connection(q);
	if (rc)
		goto fail;
	*out = &q->base;
	return 0;
fail:
	sq_close(&q->base);
	return rc;
}

/* store.h checkpoint: PASSIVE never waits (no busy handler), so a
 * checkpoint running on another connection, or a reader holding the oldest
 * frames, leaves the rest for the next one. RESTART holds the writer lock
 * while it copies what is left and waits for the readers: its busy handler
 * gives up after RESTART_WAIT_MS (a long report reading is not waited
 * for: the log is restarted at a later round). */
#define RESTART_WAIT_MS 40
int sq_checkpoint(struct zt_store *s, enum zt_checkpoint_mode mode, struct zt_checkpoint *out)
{
	struct sq *q = sq_of(s);
	int log = 0, done = 0, rc;
	if (mode == ZT_CHECKPOINT_RESTART) {
		int busy_ms = q->busy_ms;
		q->busy_ms = RESTART_WAIT_MS;
		rc = sqlite3_wal_checkpoint_v2(q->db, "main", SQLITE_CHECKPOINT_RESTART, &log, &done);
		q->busy_ms = busy_ms;
		sq_waited(q); /* no longer waiting (its busy handler said so) */
	} else {
		rc = sqlite3_wal_checkpoint_v2(q->db, "main", SQLITE_CHECKPOINT_PASSIVE, &log, &done);
	}
	if (out)
		*out = (struct zt_checkpoint){.log_pages = log < 0 ? 0 : log,
		                              .copied_pages = done < 0 ? 0 : done,
		                              .restarted = mode == ZT_CHECKPOINT_RESTART &&
		                                           rc == SQLITE_OK};
	if (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		return 0;
	return sq_error(q, "checkpoint the write-ahead log");
}

static void sq_close(struct zt_store *s)
{
	struct sq *q = sq_of(s);
	if (q->txn != SQ_NO_TXN)
		sq_rollback(s);
	for (size_t i = 0; i < SQ_CACHE_SLOTS; i++)
		sqlite3_finalize(q->cache[i].stmt);
	sqlite3_close(q->db);
	if (q->wait_fd >= 0)
		close(q->wait_fd);
	zt_db_ledger_clear(&q->zdb);
	free(q->zdb.deltas.items);
	free(q->zdb.sp_balances);
	free(q);
}
