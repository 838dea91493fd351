/* zhitong — transactions and savepoints of the SQLite store (store.h G1,
 * G2, G6). A WRITE transaction takes the database's write lock at once
 * (BEGIN IMMEDIATE): writers are serialised, the second waiting up to the
 * busy timeout. A READ transaction (BEGIN) reads one snapshot. */
#define _GNU_SOURCE /* F_OFD_SETLK */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sqlite_int.h"

static const char SQL_BEGIN_WRITE[] = "BEGIN IMMEDIATE";
static const char SQL_BEGIN_READ[] = "BEGIN";
static const char SQL_COMMIT[] = "COMMIT";
static const char SQL_ROLLBACK[] = "ROLLBACK";
static const char SQL_SAVEPOINT[] = "SAVEPOINT zt_claim";
static const char SQL_RELEASE[] = "RELEASE zt_claim";
static const char SQL_ROLLBACK_TO[] = "ROLLBACK TO zt_claim";
static const char SQL_MAX_SETTLEMENT[] =
	"SELECT (SELECT COALESCE(MAX(id), 0) FROM settlement), (SELECT COALESCE(MAX(id), 0) FROM claim)";

/* Runs one of the statements above. */
static int statement(struct sq *q, const char *sql, const char *what)
{
	sqlite3_stmt *p;
	int rc = sq_stmt(q, sql, &p);
	return rc ? rc : sq_run(q, p, what);
}

int sq_begin(struct zt_store *s, enum zt_txn_kind kind)
{
	struct sq *q = sq_of(s);
	if (q->txn != SQ_NO_TXN)
		return zt_error_set(ZT_EINTERNAL, "nested transaction");
	if (kind == ZT_TXN_WRITE && q->readonly)
		return zt_error_set(ZT_EINTERNAL, "database '%s' is open for reading only", q->path);
	bool write = kind == ZT_TXN_WRITE;
	int rc = statement(q, write ? SQL_BEGIN_WRITE : SQL_BEGIN_READ, "begin");
	sq_waited(q);
	if (rc)
		return rc;
	q->txn = write ? SQ_TXN_WRITE : SQ_TXN_READ;
	zt_timestamp_utc(q->now, zt_date_now());
	if (!write)
		return 0;
	q->zdb.audit_known = false; /* another process may have written since (db.h) */
	/* settlement and claim rows are numbered here: the lock is ours (G1,
	 * G7); a claim so numbered is inserted without RETURNING, which SQLite
	 * answers through a table of its own (agg/claims.c) */
	sqlite3_stmt *p;
	if ((rc = sq_stmt(q, SQL_MAX_SETTLEMENT, &p)) == 0 &&
	    (rc = sq_row(q, p, "read settlement counter")) == 1) {
		q->zdb.next_settlement_id = sqlite3_column_int64(p, 0) + 1;
		q->zdb.next_claim_id = sqlite3_column_int64(p, 1) + 1;
		sq_done(p);
		return 0;
	}
	if (rc == 0)
		rc = zt_error_set(ZT_EINTERNAL, "MAX gave no row");
	sq_rollback(s);
	return rc;
}

int sq_commit(struct zt_store *s)
{
	struct sq *q = sq_of(s);
	if (q->txn == SQ_NO_TXN)
		return zt_error_set(ZT_EINTERNAL, "commit outside a transaction");
	if (q->in_savepoint)
		return zt_error_set(ZT_EINTERNAL, "commit inside a savepoint");
	int rc = q->txn == SQ_TXN_WRITE ? zt_db_ledger_flush(&q->zdb) : 0;
	sq_reset_all(q); /* no statement may hold the transaction open */
	if (rc == 0)
		rc = statement(q, SQL_COMMIT, "commit");
	sq_waited(q);
	if (rc) {
		sq_rollback(s);
		return rc;
	}
	q->txn = SQ_NO_TXN;
	return 0;
}

void sq_rollback(struct zt_store *s)
{
	struct sq *q = sq_of(s);
	if (q->txn == SQ_NO_TXN)
		return;
	sq_reset_all(q);
	sqlite3_stmt *p;
	if (sq_stmt(q, SQL_ROLLBACK, &p) == 0) {
		sqlite3_step(p);
		sqlite3_reset(p);
	}
	zt_db_ledger_clear(&q->zdb);
	sq_waited(q);
	q->in_savepoint = false;
	q->txn = SQ_NO_TXN;
}

int sq_savepoint(struct zt_store *s)
{
	struct sq *q = sq_of(s);
	int rc = sq_need_write(q, "savepoint");
	if (rc)
		return rc;
	if (q->in_savepoint)
		return zt_error_set(ZT_EINTERNAL, "nested savepoint");
	if ((rc = zt_db_savepoint_mark(&q->zdb)) != 0 ||
	    (rc = statement(q, SQL_SAVEPOINT, "savepoint")) != 0)
		return rc;
	q->in_savepoint = true;
	return 0;
}

int sq_release(struct zt_store *s)
{
	struct sq *q = sq_of(s);
	if (!q->in_savepoint)
		return zt_error_set(ZT_EINTERNAL, "release without a savepoint");
	int rc = statement(q, SQL_RELEASE, "release savepoint");
	if (rc == 0)
		q->in_savepoint = false;
	return rc;
}

void sq_rollback_to(struct zt_store *s)
{
	struct sq *q = sq_of(s);
	if (!q->in_savepoint)
		return;
	sq_reset_all(q);
	sqlite3_stmt *p;
	if (sq_stmt(q, SQL_ROLLBACK_TO, &p) == 0) {
		sqlite3_step(p);
		sqlite3_reset(p);
	}
	zt_db_savepoint_restore(&q->zdb);
}

const char *sq_now_op(struct zt_store *s) { return sq_now(sq_of(s)); }

/* ---- waiting for the write lock (G1) ---------------------------------------
 *
 * SQLite's own busy timeout sleeps 1, 2, 5, 10 … 100 ms between tries: a
 * desk's claim waiting behind a bulk file's chunk would try again long
 * after the chunk committed, and a bulk run that begins its next chunk at
 * once would win the lock again and again. Here a waiter tries every
 * 200 µs for its first second, then every 1 ms, until the store's busy
 * timeout; and a long run yields (sq_yield) between its chunks for 3 ms,
 * longer than a waiter's period even when the machine is busy, so
 * whoever waited takes the lock first.
 *
 * The waiting room. A writer that waits says so: while it waits it holds
 * a shared lock on the first byte of the file PATH-wait, an open file
 * description lock (F_OFD_SETLK: it conflicts between two handles of one
 * process too, and dies with the process). A long run asks, when its
 * chunk's time is up, whether anyone holds one (sq_contended): only then
 * does it end the chunk and pause, so that alone it settles in chunks of
 * its claim count, not of 10 ms each with a commit and a pause between
 * (which cost a bulk file 2.5 times its time). */

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void pause_us(long us)
{
	struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
	while (nanosleep(&ts, &ts) != 0)
		;
}

/* The waiting room's file, opened on first use; -2 when there is none (a
 * database in memory, a directory that cannot be written). */
static int wait_room(struct sq *q)
{
	if (q->wait_fd == -1) {
		char path[sizeof q->path + 8];
		int fd = -1;
		if (q->path[0] && strcmp(q->path, ":memory:") != 0 &&
		    (size_t)snprintf(path, sizeof path, "%s-wait", q->path) < sizeof path)
			fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		q->wait_fd = fd >= 0 ? fd : -2;
	}
	return q->wait_fd;
}

static void wait_lock(struct sq *q, short type)
{
	int fd = wait_room(q);
	struct flock l = {.l_type = type, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
	if (fd >= 0 && fcntl(fd, F_OFD_SETLK, &l) == 0)
		q->waiting = type != F_UNLCK;
}

void sq_waited(struct sq *q)
{
	if (q->waiting)
		wait_lock(q, F_UNLCK);
}

int sq_busy(void *ctx, int tries)
{
	struct sq *q = ctx;
	int64_t now = mono_ns();
	if (tries == 0) {
		q->busy_since = now;
		if (!q->readonly && !q->waiting)
			wait_lock(q, F_RDLCK);
	}
	int64_t waited = now - q->busy_since;
	if (waited >= (int64_t)q->busy_ms * 1000000)
		return 0; /* SQLITE_BUSY: the caller says the store is busy */
	pause_us(waited < 1000000000 ? 200 : 1000);
	return 1;
}

int sq_contended(struct zt_store *s)
{
	struct sq *q = sq_of(s);
	int fd = wait_room(q);
	struct flock l = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
	if (fd < 0 || fcntl(fd, F_OFD_GETLK, &l) != 0)
		return -1; /* cannot tell */
	return l.l_type != F_UNLCK;
}

void sq_yield(struct zt_store *s)
{
	if (sq_contended(s) != 0)
		pause_us(3000);
}
