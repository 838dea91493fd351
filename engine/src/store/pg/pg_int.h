/* zhitong — the PostgreSQL store, private to the files of engine/src/store/pg/: the
 * only files of the engine that include libpq-fe.h or hold PostgreSQL's SQL.
 *
 * The same shape as the SQLite store (sqlite_int.h): the engine's own parts,
 * the driver of db.h (driver.c) under the aggregates of ../agg/, verify's
 * checks in PostgreSQL's dialect, over one set of helpers (util.c). Every statement is a static SQL string (?N
 * rewritten to $N once, db.h), prepared once per connection (PQprepare, under a name of its
 * own) from a cache keyed by the address of its text (pg_stmt), bound with
 * the pg_bind_* helpers (text format; a digest as bytea in binary), executed
 * with PQexecPrepared and read with pg_col_*; every failure goes through
 * pg_error, which maps the SQLSTATE to a ZT_E* code and sets the message.
 * Integers are int8 on the wire and in every column; money is never a
 * floating-point value, and sums are read in two parts (PG_SUM_*) or as
 * numeric, never as a binary fraction. docs/architecture.md "The PostgreSQL store". */
#ifndef ZHITONG_STORE_PG_INT_H
#define ZHITONG_STORE_PG_INT_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "../db.h"
#include "zhitong/error.h"
#include "zhitong/store.h"

enum pg_txn { PG_NO_TXN, PG_TXN_READ, PG_TXN_WRITE };

#define PG_CACHE_SLOTS 512
/* What a lazy transaction holds before it sends it between two claims:
 * rows queued (bytes of JSON), accumulators kept (txn.c pg_savepoint) */
#define PG_ROWS_BYTES_MAX (4u << 20)
#define PG_ACCUMS_KEPT_MAX 1024
#define PG_AHEAD_MAX 16 /* claims whose reads are sent ahead (pg_read_ahead) */
/* The rows queued that go with the next reads sent ahead (bytes of JSON):
 * the server writes them while the client settles the claims after */
#define PG_ROWS_AHEAD_BYTES (128u << 10)
#define PG_PARAMS_MAX 48 /* the most parameters of a statement (a share: 2 + 28 trace + …) */

struct pg;

/* A statement: its parameters as the next execution sends them and the
 * result being read. A cached one belongs to the connection. */
struct pg_stmt {
	struct zt_db_stmt base; /* the driver's (driver.c) */
	struct pg *q;
	char *text; /* the SQL as sent: ?N rewritten to $N (owned), or sql */
	const char *sql;
	char name[16]; /* "" for a statement of its own (unnamed, PQexecParams) */
	uint64_t gen;  /* the connection (pg.gen) it was prepared on */
	int nparams;   /* the highest $N of its text */
	const char *values[PG_PARAMS_MAX];
	int lengths[PG_PARAMS_MAX], formats[PG_PARAMS_MAX];
	char num[PG_PARAMS_MAX][24];
	PGresult *res;
	int row, rows;
	/* A result read ahead (pg_prefetch), for the next pg_row bound the
	 * same (pre_key: its bindings) while q->writes is still pre_writes. */
	bool reads; /* its text is a SELECT: it writes nothing */
	PGresult *pre;
	char *pre_key;
	size_t pre_len;
	uint64_t pre_writes;
	/* Rows queued (util.c "rows written together"): an INSERT … VALUES of
	 * parameters only is batchable — its rows, run deferred in a lazy
	 * transaction, wait here as JSON objects keyed by column and go to
	 * the server as one INSERT … SELECT FROM json_populate_recordset
	 * (bsql) when anything else is sent. */
	char *bsql;                   /* NULL: not batchable */
	char *bkey[PG_PARAMS_MAX];    /* per parameter: "\"column\":" (NULL: unused) */
	char *bjson;                  /* "[{…},{…}" */
	size_t blen, bcap;
	int brows;
	char bwhat[64];
	/* where the claim's savepoint began in the queue, while it is not sent
	 * (pg sp_lazy): the rows before are the claims' before */
	uint64_t bepoch;
	int bmark_rows;
	size_t bmark_len;
};

struct pg {
	struct zt_store base;
	struct zt_db zdb; /* what the aggregates share (db.h): right after base */
	PGconn *conn;
	char path[512]; /* the target as messages show it: never a password */
	/* A lost connection (pg_error_as: CONNECTION_BAD, SQLSTATE class 08,
	 * 57P01..57P03) fails its call with ZT_EUNAVAILABLE and is made again
	 * (pg_ready) from the same target before the next transaction or
	 * statement outside one: every statement prepared again (gen), what
	 * the connection knew forgotten (the writer token, the balances, the
	 * audit head). A failed attempt waits, doubling up to
	 * PG_BACKOFF_MAX_MS, before the next (the calls meanwhile fail at
	 * once). open.c. */
	char *target;     /* as given (libpq reads the password from its files) */
	uint64_t gen;     /* connections made: 1 at open */
	bool lost;
	int backoff_ms;
	int64_t retry_at_ms; /* CLOCK_MONOTONIC: no attempt before */
	int64_t lost_at_ms;
	void (*log)(void *ctx, const char *line);
	void *log_ctx;
	bool readonly;
	int busy_timeout_ms;
	enum pg_txn txn;
	char now[32];
	/* zdb.next_*: the next rows, numbered here while the writer row is
	 * ours (G1, G7): the hot inserts carry their id, no trigger looks it up */
	bool in_savepoint;
	/* A claim's savepoint in a lazy transaction is sent only when
	 * something of the claim goes to the server before its RELEASE (its
	 * rows usually wait for the commit): until then sp_lazy, and a
	 * ROLLBACK TO drops the rows queued since (pg_stmt bmark_*). */
	bool sp_lazy;
	uint64_t sp_epoch;
	/* The writer row's value this connection's last write transaction left
	 * (txn.c): while the row still holds it, no other writer committed
	 * since, and the next rows (zdb.next_*) and the balances (zdb.deltas)
	 * this connection knows are still the stored ones. "" when unknown. */
	char token[64];
	uint64_t commits;
	int64_t changes; /* rows the last pg_run touched */
	/* Writes whose results nobody reads (a settlement's rows) are sent in
	 * libpq's pipeline mode while `defer` is set, and their results read
	 * at pg_flush: one round trip per claim instead of one per row. */
	bool defer;
	int pending;
	uint64_t writes; /* statements run that are no SELECT (pg_prefetch) */
	char (*whats)[64]; /* what each pending statement does (messages) */
	int whats_cap;
	/* the statements with rows queued, in the order of their first row
	 * (a table's rows go after those of the tables they refer to) */
	struct pg_stmt **queued;
	int nqueued, queued_cap;
	uint64_t batches, batch_rows; /* sent so far (a debug count) */
	/* Late failures (txn.c). In a write transaction that is `lazy`, the
	 * writes nobody reads (a claim's rows, its audit record, SAVEPOINT and
	 * RELEASE) stay queued after their call returns and go with the next
	 * statement that reads (the next claim's reads: one round trip a
	 * claim) or with the commit. A failure among them surfaces there, in
	 * another call: `late` is set, the transaction can only roll back
	 * (commit refuses it), and the connection is `careful` — every write
	 * read at once, as in SQLite — until a write transaction commits, so
	 * that the chunk settled again names the claim that failed. */
	bool lazy, careful, late;
	int late_rc;
	char late_msg[512];
	/* Reads sent ahead (pg_read_ahead): the reads of the next claims,
	 * each group its statements, their bindings and a sync, in the
	 * pipeline while the client settles the claim before them; the
	 * prefetch of a claim bound the same takes its group's results, any
	 * other call first reads and drops them all (pg_ahead_drain). Only
	 * with nothing else in the pipeline. */
	struct pg_ahead {
		struct pg_stmt *p[4];
		char *key[4];
		size_t len[4];
		int n;
		/* its results read already (pg_ahead_receive), the sync too */
		PGresult *res[4];
		bool received;
		/* the rows of the claims settled before, sent ahead of the reads
		 * (pg_read_ahead): their results come first, a failure a late
		 * one (txn.c); what each does, for its message */
		int writes;
		char (*whats)[64];
	} ahead[PG_AHEAD_MAX];
	int ahead_head, ahead_n;
	bool ahead_dropped; /* since the last pg_read_ahead (it says -1) */
	/* the round trips this connection made (a debug counter: store op
	 * round_trips; README "PostgreSQL beside SQLite") */
	uint64_t round_trips;
	/* the last failure */
	char sqlstate[6];
	char errmsg[400];
	struct {
		const char *sql;
		struct pg_stmt *stmt;
	} cache[PG_CACHE_SLOTS];
	int cache_count;
};

static inline struct pg *pg_of(struct zt_store *s) { return (struct pg *)s; }
static inline struct pg *pg_of_db(struct zt_db *db) { return pg_of(&((struct zt_db_store *)((char *)db - offsetof(struct zt_db_store, db)))->base); }

#define PG_BACKOFF_MIN_MS 100
#define PG_BACKOFF_MAX_MS 2000

/* driver.c: the driver of db.h over libpq */
extern const struct zt_db_driver pg_driver;

/* ---- util.c ------------------------------------------------------------------- */

int pg_stmt(struct pg *q, const char *sql, struct pg_stmt **out);
int pg_stmt_own(struct pg *q, const char *sql, struct pg_stmt **out);
void pg_finalize(struct pg_stmt *p); /* a statement of its own */
void pg_done(struct pg_stmt *p);     /* frees its result; NULL is a no-op */
void pg_reset_all(struct pg *q);
int pg_error(struct pg *q, const char *what);
int pg_error_as(struct pg *q, const char *what, bool conflict);
/* Executes a statement that returns no rows (or whose rows are not read);
 * q->changes is the number of rows it touched. */
int pg_run(struct pg *q, struct pg_stmt *p, const char *what);
/* pg_run where a constraint refusing it is an answer (ZT_ECONFLICT): inside
 * a savepoint of its own, so that the transaction goes on after it. */
int pg_run_as(struct pg *q, struct pg_stmt *p, const char *what, bool conflict);
/* The next row: 1 (the caller reads it, pg_done when it stops early), 0 at
 * the end or ZT_E* (the result freed). Executes on the first call. */
int pg_row(struct pg *q, struct pg_stmt *p, const char *what);
/* SQL text without parameters, one or several statements (migrations, SET). */
int pg_exec(struct pg *q, const char *sql);
/* The same, where the last statement returns rows: its result (the caller
 * clears it), or NULL with the failure kept for pg_error. */
PGresult *pg_query(struct pg *q, const char *sql);
/* Keeps r's failure (NULL: the connection's) for pg_error. */
void pg_keep_error(struct pg *q, const PGresult *r);
/* Reads the results of the writes sent in pipeline mode: 0, or the first
 * failure (its statement named). Every synchronous call flushes first. */
int pg_flush(struct pg *q);
/* The rows queued (pg_stmt bsql) sent now, one statement a table, in
 * pipeline mode without waiting: 0 or a failure to send. */
int pg_send_rows(struct pg *q);
/* The rows queued, dropped (a rollback). */
void pg_drop_rows(struct pg *q);
/* The rows queued since the lazy savepoint, dropped (ROLLBACK TO). */
void pg_drop_rows_since_savepoint(struct pg *q);
/* pg_prefetch without sending the rows queued first (db.h prefetch_past). */
int pg_prefetch_past(struct pg *q, struct pg_stmt *const *ps, int n);
/* The n statements (cached, bound: a claim's reads) sent now without
 * waiting, for a later pg_prefetch(_past) bound the same: *sent 1, or 0
 * when they cannot be (the window full, the pipeline holding writes), or
 * -1 when the groups sent before were dropped since the last call. */
int pg_read_ahead(struct pg *q, struct pg_stmt *const *ps, int n, int *sent);
/* The reads sent ahead, their results read and dropped (before anything
 * else is sent or the connection is given up). */
void pg_ahead_drain(struct pg *q);
/* The reads sent ahead, their results read and kept for their prefetch
 * (before a read of another statement, which sees the same rows): the
 * pipeline empty, nothing dropped. */
void pg_ahead_receive(struct pg *q);
/* Executes the n statements (cached, bound) in one round trip and keeps
 * their results for their next pg_row (db.h prefetch). */
int pg_prefetch(struct pg *q, struct pg_stmt *const *ps, int n);
/* Runs an INSERT … RETURNING id: *row_out the new row (0 and q->changes 0
 * when ON CONFLICT DO NOTHING inserted nothing). */
int pg_insert_id(struct pg *q, struct pg_stmt *p, const char *what, int64_t *row_out);
int pg_need_write(struct pg *q, const char *what);
const char *pg_now(struct pg *q);
static inline int64_t pg_changes(struct pg *q) { return q->changes; }

void pg_bind_text(struct pg_stmt *p, int i, const char *v); /* NULL binds NULL */
void pg_bind_opt(struct pg_stmt *p, int i, const char *v);  /* "" binds NULL too */
void pg_bind_textn(struct pg_stmt *p, int i, const char *v, size_t len);
void pg_bind_blob(struct pg_stmt *p, int i, const void *v, size_t len);
void pg_bind_int64(struct pg_stmt *p, int i, int64_t v);
void pg_bind_int(struct pg_stmt *p, int i, int v);
void pg_bind_null(struct pg_stmt *p, int i);
bool pg_col_null(struct pg_stmt *p, int i);
const char *pg_col_text(struct pg_stmt *p, int i); /* NULL reads "" */
int pg_col_bytes(struct pg_stmt *p, int i);
int64_t pg_col_int64(struct pg_stmt *p, int i); /* also t / f */
int pg_col_int(struct pg_stmt *p, int i);
/* A bytea column (hex text) into out: the number of bytes. */
int pg_col_blob(struct pg_stmt *p, int i, unsigned char *out, int cap);
void pg_col_copy(char *dst, size_t cap, struct pg_stmt *p, int i);
int pg_col_name(struct pg_stmt *p, int i, const char *const *names, int n, int otherwise);

/* Sums past int64, in two parts as in the SQLite store (sqlite_int.h);
 * PostgreSQL's SUM of int8 is numeric, cast back to int8 per part. */
#define PG_G "1000000000"
#define PG_SUM_HI(e) "COALESCE(SUM((" e ") / " PG_G "), 0)::int8"
#define PG_SUM_LO(e) "COALESCE(SUM((" e ") % " PG_G "), 0)::int8"
#define PG_Q(h, l) "((" h ") + (" l ") / " PG_G " - ((" l ") % " PG_G " < 0)::int)"
#define PG_R(l) "((" l ") % " PG_G " + ((" l ") % " PG_G " < 0)::int * " PG_G ")"

/* ---- the parts ------------------------------------------------------------------ */

extern const struct zt_db_check pg_checks[ZT_VERIFY_CHECKS]; /* verify.c */


int pg_open(struct zt_store **out, const char *target, const struct zt_store_options *o);
/* The connection usable, made again if it was lost (open.c): 0, or
 * ZT_EUNAVAILABLE (message set) while it cannot be made. */
int pg_ready(struct pg *q);
/* The connection is lost (told once, through the store's log). */
void pg_lost(struct pg *q);
/* Whether the last failure lost the connection. */
bool pg_is_lost(struct pg *q);
int pg_migrate(struct zt_store *s, int *from_version, int *to_version);
int pg_check_version(struct zt_store *s);
int pg_begin(struct zt_store *s, enum zt_txn_kind kind);
int pg_commit(struct zt_store *s);
void pg_rollback(struct zt_store *s);
int pg_contended(struct zt_store *s);
bool pg_failed_late(struct zt_store *s);
uint64_t pg_round_trips(struct zt_store *s);
int pg_savepoint(struct zt_store *s);
int pg_release(struct zt_store *s);
void pg_rollback_to(struct zt_store *s);
const char *pg_now_op(struct zt_store *s);

#endif
