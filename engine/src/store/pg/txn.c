/* zhitong — transactions and savepoints of the PostgreSQL store (store.h
 * G1, G2, G6).
 *
 * G1: a WRITE transaction (READ COMMITTED) first locks the store's writer
 * row, SELECT … FOR UPDATE on meta 'writer': writers are serialised, the
 * second waiting up to the busy timeout (lock_timeout; then ZT_EBUSY), and
 * every statement after the lock sees what the previous writer committed.
 * Row locks, not SERIALIZABLE with retry: every writer meets on the same
 * gap-free numbers anyway (settlements, transfers, audit records: G7), and
 * a retry would have to re-run a whole use case (the split of every claim
 * of a file), which a store cannot do by itself. docs/architecture.md.
 * A READ transaction is REPEATABLE READ, READ ONLY: one snapshot (G6),
 * never waiting for a writer.
 *
 * Round trips: a write transaction begins in one (BEGIN, its settings and
 * the writer row sent as one text) and commits in one (the balances, the
 * writer row's new token and COMMIT in libpq's pipeline). The commit
 * leaves a token of its own in the writer row (connection, count, a random
 * number); when the next write transaction of the same connection finds
 * it there, no other writer has committed since (each one changes it, in
 * its own transaction), and the next rows and the balances this
 * connection knows are the stored ones: it reads neither again. A
 * migration changes the token too (migrate.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "pg_int.h"

/* BEGIN, the plans, and the writer row locked (G1), in one round trip.
 * SET LOCAL enable_seqscan = off: a file's claims are one transaction: the
 * tables grow under the planner's feet (no statistics see uncommitted
 * rows), and a plan made on a small table (a sequential scan to find a
 * claim) would make each claim cost as much as all before it. Point
 * lookups by key, always. */
static const char SQL_BEGIN_WRITE[] = "BEGIN ISOLATION LEVEL READ COMMITTED;"
                                      " SET LOCAL enable_seqscan = off;"
                                      " SELECT value FROM meta WHERE key = 'writer' FOR UPDATE";
static const char SQL_WRITER_TOKEN[] = "UPDATE meta SET value = ?1 WHERE key = 'writer'";
static const char SQL_BEGIN_READ[] = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
static const char SQL_COMMIT[] = "COMMIT";
static const char SQL_ROLLBACK[] = "ROLLBACK";
static const char SQL_SAVEPOINT[] = "SAVEPOINT zt_claim";
static const char SQL_RELEASE[] = "RELEASE SAVEPOINT zt_claim";
static const char SQL_ROLLBACK_TO[] = "ROLLBACK TO SAVEPOINT zt_claim";
static const char SQL_MAX_ROWS[] =
	"SELECT (SELECT COALESCE(MAX(id), 0) FROM settlement), (SELECT COALESCE(MAX(id), 0) FROM claim),"
	" (SELECT COALESCE(MAX(id), 0) FROM transfer)";

static int statement(struct pg *q, const char *sql, const char *what)
{
	struct pg_stmt *p;
	int rc = pg_stmt(q, sql, &p);
	return rc ? rc : pg_run(q, p, what);
}

/* Begins a write transaction and locks the writer row: whether the row
 * still holds this connection's token (*ours). */
static int begin_write(struct pg *q, bool *ours)
{
	*ours = false;
	PGresult *r = pg_query(q, SQL_BEGIN_WRITE);
	q->txn = PG_TXN_WRITE; /* whatever failed, a ROLLBACK ends it */
	if (!r)
		return pg_error(q, "wait for the other writers");
	if (PQntuples(r) != 1) {
		PQclear(r);
		return zt_error_set(ZT_EINTERNAL, "database '%s': meta has no writer row", q->path);
	}
	*ours = q->token[0] && strcmp(PQgetvalue(r, 0, 0), q->token) == 0;
	PQclear(r);
	return 0;
}

int pg_begin(struct zt_store *s, enum zt_txn_kind kind)
{
	struct pg *q = pg_of(s);
	if (q->txn != PG_NO_TXN)
		return zt_error_set(ZT_EINTERNAL, "nested transaction");
	if (kind == ZT_TXN_WRITE && q->readonly)
		return zt_error_set(ZT_EINTERNAL, "database '%s' is open for reading only", q->path);
	bool write = kind == ZT_TXN_WRITE, ours = false;
	int rc;
	for (int attempt = 0;; attempt++) {
		/* a connection lost since the last transaction: made again (open.c) */
		if ((rc = pg_ready(q)) != 0)
			return rc;
		q->late = false;
		q->lazy = false;
		rc = write ? begin_write(q, &ours) : statement(q, SQL_BEGIN_READ, "begin");
		if (rc == 0)
			break;
		pg_rollback(s);
		/* lost while idle (a server restarted, a backend ended): found
		 * by BEGIN, before anything was done; once more, on a new one */
		if (rc != ZT_EUNAVAILABLE || attempt > 0)
			return rc;
	}
	q->txn = write ? PG_TXN_WRITE : PG_TXN_READ;
	zt_timestamp_utc(q->now, zt_date_now());
	if (!write)
		return 0;
	q->lazy = !q->careful;
	q->zdb.rows_later = q->lazy; /* db.h: the rows of a chunk together */
	if (ours)
		return 0; /* nobody wrote since our commit: what we know holds */
	zt_db_ledger_clear(&q->zdb);
	/* settlements, claims and transfers are numbered here: the writer row
	 * is ours (G1, G7) */
	struct pg_stmt *p;
	if ((rc = pg_stmt(q, SQL_MAX_ROWS, &p)) == 0 && (rc = pg_row(q, p, "read counters")) == 1) {
		q->zdb.next_settlement_id = pg_col_int64(p, 0) + 1;
		q->zdb.next_claim_id = pg_col_int64(p, 1) + 1;
		q->zdb.next_transfer_id = pg_col_int64(p, 2) + 1;
		pg_done(p);
		return 0;
	}
	if (rc == 0)
		rc = zt_error_set(ZT_EINTERNAL, "read counters: no row");
	pg_rollback(s);
	return rc;
}

/* A token no other commit leaves: the server process of this connection,
 * its commits so far, and a random number. */
static void new_token(struct pg *q, char *out, size_t cap)
{
	uint64_t r;
	if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		r = ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) ^ (uintptr_t)q;
	}
	snprintf(out, cap, "writer %d.%llu.%016llx", PQbackendPID(q->conn),
	         (unsigned long long)++q->commits, (unsigned long long)r);
}

/* The balances, the writer row's new token and COMMIT, in one round trip:
 * a failure of any aborts those after it, and the caller rolls back. */
static int commit_write(struct pg *q, char *token, size_t cap)
{
	q->zdb.keep_balances = true;
	q->defer = true;
	int rc = zt_db_accums_flush(&q->zdb);
	if (rc == 0)
		rc = zt_db_ledger_flush(&q->zdb);
	struct pg_stmt *p;
	new_token(q, token, cap);
	if (rc == 0 && (rc = pg_stmt(q, SQL_WRITER_TOKEN, &p)) == 0) {
		pg_bind_text(p, 1, token);
		rc = pg_run(q, p, "commit");
	}
	if (rc == 0)
		rc = statement(q, SQL_COMMIT, "commit");
	q->defer = false;
	int frc = pg_flush(q);
	return rc ? rc : frc;
}

int pg_commit(struct zt_store *s)
{
	struct pg *q = pg_of(s);
	if (q->txn == PG_NO_TXN)
		return zt_error_set(ZT_EINTERNAL, "commit outside a transaction");
	if (q->in_savepoint)
		return zt_error_set(ZT_EINTERNAL, "commit inside a savepoint");
	bool write = q->txn == PG_TXN_WRITE;
	char token[sizeof q->token];
	pg_reset_all(q);
	pg_ahead_drain(q); /* the rows sent with them (util.c pg_read_ahead): failed late? */
	if (q->lost) { /* lost before the commit was sent: nothing of it stays */
		pg_rollback(s);
		return zt_error_set(ZT_EUNAVAILABLE,
		                    "database '%s': the connection was lost before the commit: nothing "
		                    "was committed", q->path);
	}
	if (q->late) { /* a write of it failed, reported in another call: never committed */
		int code = q->late_rc;
		zt_error_set(code, "%s", q->late_msg);
		pg_rollback(s);
		return code;
	}
	int rc = write ? commit_write(q, token, sizeof token) : statement(q, SQL_COMMIT, "commit");
	if (rc == ZT_EUNAVAILABLE && write) {
		/* COMMIT was sent, its answer never came: it may have been
		 * committed or not. The caller must not call it either: the same
		 * claim or Idempotency-Key sent again tells (store.h) */
		char why[400];
		snprintf(why, sizeof why, "%s", zt_error_last());
		pg_rollback(s);
		return zt_error_set(ZT_EUNAVAILABLE,
		                    "%s (during COMMIT: whether the transaction was committed is unknown)",
		                    why);
	}
	if (rc) {
		pg_rollback(s);
		return rc;
	}
	q->txn = PG_NO_TXN;
	q->lazy = q->zdb.rows_later = false;
	if (write) {
		memcpy(q->token, token, sizeof q->token);
		q->careful = false; /* committed: writes go unread again */
	}
	return 0;
}

void pg_rollback(struct zt_store *s)
{
	struct pg *q = pg_of(s);
	if (q->txn == PG_NO_TXN)
		return;
	pg_reset_all(q);
	pg_drop_rows(q); /* never sent: nothing to roll back */
	zt_db_later_clear(&q->zdb);
	q->sp_lazy = q->zdb.rows_later = false;
	q->lazy = false; /* what failed is rolled back with the rest: not late */
	if (!q->lost) { /* a lost connection's transaction ended with it */
		pg_flush(q);
		q->round_trips++;
		PQclear(PQexec(q->conn, SQL_ROLLBACK));
	}
	zt_db_ledger_clear(&q->zdb);
	q->token[0] = '\0'; /* what it knew may be what was rolled back */
	q->in_savepoint = false;
	q->txn = PG_NO_TXN;
}

/* SAVEPOINT and RELEASE: in a lazy transaction queued with the claim's
 * writes (their failure, a late one, fails the transaction) */
static int lazy_statement(struct pg *q, const char *sql, const char *what)
{
	bool d = q->defer;
	q->defer = d || q->lazy;
	int rc = statement(q, sql, what);
	q->defer = d;
	return rc;
}

int pg_savepoint(struct zt_store *s)
{
	struct pg *q = pg_of(s);
	int rc = pg_need_write(q, "savepoint");
	if (rc)
		return rc;
	if (q->in_savepoint)
		return zt_error_set(ZT_EINTERNAL, "nested savepoint");
	if (q->lazy) {
		/* a long chunk (claim submit --chunk 0: the whole file) sends
		 * what it holds between two claims, without waiting */
		size_t bytes = 0;
		for (int i = 0; i < q->nqueued; i++)
			bytes += q->queued[i]->blen;
		if (bytes > PG_ROWS_BYTES_MAX || q->zdb.accums.n > PG_ACCUMS_KEPT_MAX) {
			q->defer = true;
			rc = zt_db_accums_flush(&q->zdb);
			q->defer = false;
			if (rc || (rc = pg_send_rows(q)) != 0)
				return rc;
		}
	}
	if ((rc = zt_db_savepoint_mark(&q->zdb)) != 0)
		return rc;
	if (q->lazy) { /* sent when something of the claim is (util.c pg_send_rows) */
		q->sp_epoch++;
		q->sp_lazy = q->in_savepoint = true;
		return 0;
	}
	if ((rc = lazy_statement(q, SQL_SAVEPOINT, "savepoint")) != 0)
		return rc;
	q->in_savepoint = true;
	return 0;
}

int pg_release(struct zt_store *s)
{
	struct pg *q = pg_of(s);
	if (!q->in_savepoint)
		return zt_error_set(ZT_EINTERNAL, "release without a savepoint");
	if (q->sp_lazy) { /* never sent: nothing to release */
		q->sp_lazy = q->in_savepoint = false;
		return 0;
	}
	int rc = lazy_statement(q, SQL_RELEASE, "release savepoint");
	if (rc == 0)
		q->in_savepoint = false;
	return rc;
}

void pg_rollback_to(struct zt_store *s)
{
	struct pg *q = pg_of(s);
	if (!q->in_savepoint)
		return;
	pg_reset_all(q);
	if (q->sp_lazy) { /* nothing of the claim sent: its rows dropped (and
	                    * the savepoint still unsent: RELEASE sends nothing) */
		pg_drop_rows_since_savepoint(q);
		zt_db_savepoint_restore(&q->zdb);
		return;
	}
	/* the rows queued are the claim's own (its SAVEPOINT sent those
	 * before): dropped, never sent */
	pg_drop_rows(q);
	if (!q->lost) {
		pg_flush(q); /* a failure of a claim before this one: late (the commit refuses) */
		q->round_trips++;
		PQclear(PQexec(q->conn, SQL_ROLLBACK_TO));
	}
	zt_db_savepoint_restore(&q->zdb);
}

const char *pg_now_op(struct zt_store *s) { return pg_now(pg_of(s)); }

/* store.h contended: whether a writer waits for the writer row this
 * connection's transaction holds (one round trip; asked only when a
 * chunk's time is up). Alone, a bulk file settles in chunks of its claim
 * count, not of 10 ms, each with a commit (an fsync) and a begin. */
static const char SQL_CONTENDED[] =
	"SELECT EXISTS (SELECT 1 FROM pg_locks WHERE NOT granted"
	" AND pg_backend_pid() = ANY (pg_blocking_pids(pid)))";
/* outside a write transaction: whether anyone waits for a lock at all */
static const char SQL_WAITING[] = "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE NOT granted)";

int pg_contended(struct zt_store *s)
{
	struct pg *q = pg_of(s);
	struct pg_stmt *p;
	if (pg_stmt(q, q->txn == PG_TXN_WRITE ? SQL_CONTENDED : SQL_WAITING, &p) != 0)
		return -1;
	/* the locks are no rows of the chunk's: asked past them */
	if (pg_prefetch_past(q, &p, 1) != 0)
		return -1;
	int r = pg_row(q, p, "ask for waiting writers");
	int out = r == 1 ? (int)pg_col_int64(p, 0) : -1;
	pg_done(p);
	return out;
}

bool pg_failed_late(struct zt_store *s) { return pg_of(s)->late; }

uint64_t pg_round_trips(struct zt_store *s) { return pg_of(s)->round_trips; }
