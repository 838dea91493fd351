/* zhitong — the SQLite store, private to the files of engine/src/store/sqlite/: the
 * only files of the engine that include sqlite3.h.
 *
 * The engine's own parts (open.c, migrate.c, txn.c), the driver of db.h
 * (driver.c) under the aggregates written once in ../agg/, verify's checks
 * in SQLite's dialect (verify.c), over one set of helpers (util.c): every statement is prepared once per connection from a
 * cache keyed by its static SQL text (sq_stmt), bound with the sq_bind_*
 * helpers, read with sq_col_*, and every failure goes through sq_error,
 * which maps SQLite's result to a ZT_E* code and sets the message. */
#ifndef ZHITONG_STORE_SQLITE_INT_H
#define ZHITONG_STORE_SQLITE_INT_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "../db.h"
#include "zhitong/error.h"
#include "zhitong/store.h"

enum sq_txn { SQ_NO_TXN, SQ_TXN_READ, SQ_TXN_WRITE };

#define SQ_CACHE_SLOTS 512 /* a power of two, well above the statements */

/* A cached statement as the driver hands it out (driver.c). */
struct sq_dstmt {
	struct zt_db_stmt base;
	sqlite3_stmt *p;
};

struct sq {
	struct zt_store base;
	struct zt_db zdb; /* what the aggregates share (db.h): right after base */
	sqlite3 *db;
	char path[1024];
	bool readonly;
	enum sq_txn txn;
	char now[32];
	bool in_savepoint; /* the savepoint (one level) */
	int busy_ms;       /* how long a writer waits for the lock (G1) */
	int64_t busy_since; /* CLOCK_MONOTONIC ns of the wait's first try */
	int wait_fd;        /* PATH-wait, the waiting room (txn.c): -1 not yet
	                     * opened, -2 not available */
	bool waiting;       /* this handle's lock on it is held */
	/* prepared statements, keyed by the address of their static SQL text */
	struct {
		const char *sql;
		sqlite3_stmt *stmt;
		struct sq_dstmt d; /* the same, for the driver */
	} cache[SQ_CACHE_SLOTS];
	int cache_count;
};

static inline struct sq *sq_of(struct zt_store *s) { return (struct sq *)s; }
static inline struct sq *sq_of_db(struct zt_db *db) { return sq_of(&((struct zt_db_store *)((char *)db - offsetof(struct zt_db_store, db)))->base); }

/* driver.c: the driver of db.h over SQLite */
extern const struct zt_db_driver sq_driver;
/* The slot of `sql` in the statement cache, prepared if it was not (util.c). */
/* SQLite's memory set up once, before its first use (mem.c) */
void sq_configure(void);
int sq_slot(struct sq *q, const char *sql, size_t *slot);

/* ---- util.c: statements, binding, reading, errors ------------------------- */

/* The statement for `sql` (a string with static storage: its address is
 * the key), prepared once per connection, reset and with its bindings
 * cleared. The store owns it: sq_done() when finished, never finalize. */
int sq_stmt(struct sq *q, const char *sql, sqlite3_stmt **out);
/* A statement of its own, for a cursor held open across calls (finalize). */
int sq_stmt_own(struct sq *q, const char *sql, sqlite3_stmt **out);
/* Resets a cached statement (its read snapshot ends); NULL is a no-op. */
void sq_done(sqlite3_stmt *p);
/* Resets every cached statement (before a commit or rollback). */
void sq_reset_all(struct sq *q);
/* Sets the message "database 'PATH': WHAT: sqlite's message" and returns
 * the code: ZT_EBUSY (locked beyond the busy timeout), ZT_ECONFLICT (a
 * constraint of the schema refused it and `conflict` says that is a
 * conflict of the caller's), ZT_EINTERNAL (a constraint guarding an
 * invariant: a bug), ZT_ERANGE (SUM() past int64), ZT_EIO (the rest). */
int sq_error(struct sq *q, const char *what);
int sq_error_as(struct sq *q, const char *what, bool conflict);
/* Steps a statement that returns no rows, then resets it. */
int sq_run(struct sq *q, sqlite3_stmt *p, const char *what);
/* Steps: 1 with a row (the caller resets), 0 at the end or ZT_E* (reset). */
int sq_row(struct sq *q, sqlite3_stmt *p, const char *what);
/* Runs SQL text without parameters (pragmas, migrations). */
int sq_exec(struct sq *q, const char *sql);
/* ZT_EINTERNAL unless a WRITE transaction is open. */
int sq_need_write(struct sq *q, const char *what);
/* The transaction's timestamp (store.h now). */
const char *sq_now(struct sq *q);

void sq_bind_text(sqlite3_stmt *p, int i, const char *v);  /* NULL binds NULL */
void sq_bind_opt(sqlite3_stmt *p, int i, const char *v);   /* "" binds NULL too */
const char *sq_col_text(sqlite3_stmt *p, int i);           /* NULL reads "" */
void sq_col_copy(char *dst, size_t cap, sqlite3_stmt *p, int i);
/* A status, kind or category stored by its name: its index in `names`,
 * or `otherwise` (the schema's CHECK makes that unreachable). */
int sq_col_name(sqlite3_stmt *p, int i, const char *const *names, int n, int otherwise);

/* ---- sums past int64 (verify, batch totals) -------------------------------- */

/* SQLite's SUM() of integers fails past int64, and `+` turns to floating
 * point, yet sums of legitimate amounts (every debit of an account over the
 * years) can go past int64 even when what they are compared with fits. A
 * sum is taken in two parts, the billions and the remainders of its terms
 * (SQ_SUM_HI / _LO: no overflow below nine billion terms), and compared in
 * the canonical form q × 10^9 + r with 0 <= r < 10^9 (SQ_Q / SQ_R of the
 * two parts; of a single value x: SQ_Q(x / 10^9, x % 10^9)). */
#define SQ_G "1000000000"
#define SQ_SUM_HI(e) "COALESCE(SUM((" e ") / " SQ_G "), 0)"
#define SQ_SUM_LO(e) "COALESCE(SUM((" e ") % " SQ_G "), 0)"
#define SQ_Q(h, l) "((" h ") + (" l ") / " SQ_G " - ((" l ") % " SQ_G " < 0))"
#define SQ_R(l) "((" l ") % " SQ_G " + ((" l ") % " SQ_G " < 0) * " SQ_G ")"

/* ---- the parts, each in its file -------------------------------------------- */

/* verify.c: the checks in SQLite's dialect */
extern const struct zt_db_check sq_checks[ZT_VERIFY_CHECKS];
int sq_checks_set_up(struct zt_db *db);


/* open.c */
int sq_open(struct zt_store **out, const char *path, const struct zt_store_options *o);
/* migrate.c */
int sq_migrate(struct zt_store *s, int *from_version, int *to_version);
int sq_check_version(struct zt_store *s);
/* txn.c */
int sq_begin(struct zt_store *s, enum zt_txn_kind kind);
int sq_commit(struct zt_store *s);
void sq_rollback(struct zt_store *s);
int sq_savepoint(struct zt_store *s);
int sq_release(struct zt_store *s);
void sq_rollback_to(struct zt_store *s);
void sq_yield(struct zt_store *s);
int sq_contended(struct zt_store *s);
/* Leaves the waiting room (once the lock is had, or the wait given up). */
void sq_waited(struct sq *q);
int sq_checkpoint(struct zt_store *s, enum zt_checkpoint_mode mode, struct zt_checkpoint *out);
int sq_busy(void *ctx, int tries);
const char *sq_now_op(struct zt_store *s);

#endif
