/* zhitong — the store's database driver: the small interface the aggregates
 * of engine/src/store/agg/ are written over, once, for every engine
 * (docs/architecture.md "The store"). Private to engine/src/store/.
 *
 * An engine (sqlite/, pg/) keeps what is its own — opening, migrating,
 * transactions and locking — and fills a struct zt_db_driver: prepared
 * statements from a cache keyed by the address of their static SQL text,
 * binding, stepping, reading columns, errors. The aggregates fill the one
 * ops table of store.h that both engines use.
 *
 * SQL is written once, in SQLite's spelling of parameters (?N). The
 * PostgreSQL driver rewrites it once when it prepares (and caches the
 * rewritten text): ?N becomes $N, and `COLLATE BINARY` (SQLite's default
 * byte order) becomes `COLLATE "C"`. Where the dialects truly differ, an
 * aggregate names both texts: zt_db_sql(db, SQLITE_TEXT, PG_TEXT). New rows
 * get their id by `RETURNING id` (zt_db_insert_id) in both engines. */
#ifndef ZHITONG_STORE_DB_H
#define ZHITONG_STORE_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zhitong/error.h"
#include "zhitong/store.h"

struct zt_db;
/* A statement of an engine; its first member. */
struct zt_db_stmt {
	const struct zt_db_driver *drv;
};

struct zt_db_driver {
	/* the statement for `sql` (static storage: its address is the key),
	 * prepared once per connection, reset, its bindings cleared; the
	 * connection owns it (zt_db_done, never finalize) */
	int (*prepare)(struct zt_db *db, const char *sql, struct zt_db_stmt **out);
	/* a statement of its own, for a cursor held open across calls */
	int (*prepare_own)(struct zt_db *db, const char *sql, struct zt_db_stmt **out);
	void (*finalize)(struct zt_db_stmt *p);
	void (*done)(struct zt_db_stmt *p); /* resets: its read snapshot ends */
	void (*bind_int64)(struct zt_db_stmt *p, int i, int64_t v);
	void (*bind_text)(struct zt_db_stmt *p, int i, const char *v); /* NULL binds NULL */
	void (*bind_blob)(struct zt_db_stmt *p, int i, const void *v, size_t len);
	/* 1 with a row (the caller reads it, zt_db_done when it stops early),
	 * 0 at the end (reset) or ZT_E* (message set) */
	int (*row)(struct zt_db *db, struct zt_db_stmt *p, const char *what);
	/* a statement whose rows are not read; zt_db_changes its count */
	int (*run)(struct zt_db *db, struct zt_db_stmt *p, const char *what);
	/* run, where a constraint refusing it is the caller's conflict
	 * (ZT_ECONFLICT) and the transaction goes on after it */
	int (*run_as)(struct zt_db *db, struct zt_db_stmt *p, const char *what, bool conflict);
	int64_t (*changes)(struct zt_db *db);
	bool (*column_null)(struct zt_db_stmt *p, int i);
	int64_t (*column_int64)(struct zt_db_stmt *p, int i);
	const char *(*column_text)(struct zt_db_stmt *p, int i); /* NULL reads "" */
	/* a blob column's bytes copied into out (cap at most): their number */
	int (*column_blob)(struct zt_db_stmt *p, int i, unsigned char *out, int cap);
	/* the size of a column's value: a blob's bytes, a text's (store copy) */
	int (*column_bytes)(struct zt_db_stmt *p, int i);
	int (*exec)(struct zt_db *db, const char *sql); /* no parameters */
	int (*error_as)(struct zt_db *db, const char *what, bool conflict);
	int (*need_write)(struct zt_db *db, const char *what);
	const char *(*now)(struct zt_db *db);
	/* PostgreSQL: writes whose results nobody reads are sent without
	 * waiting while deferred, their results read at flush (one round trip
	 * per claim); SQLite runs them at once */
	void (*defer)(struct zt_db *db, bool on);
	int (*flush)(struct zt_db *db);
	/* PostgreSQL: the n statements (cached, bound) executed now in one round
	 * trip; the next row() of each, bound the same and with nothing
	 * written meanwhile, reads what was read here. NULL: no use (SQLite). */
	int (*prefetch)(struct zt_db *db, struct zt_db_stmt *const *p, int n);
	/* After a run of deferred writes (defer on … off) whose failure may
	 * be reported late: PostgreSQL, in a write transaction that allows it,
	 * leaves them queued, to be sent with the next statement that reads
	 * or with the commit (a failure then fails the whole transaction:
	 * store.h failed_late); otherwise flush. NULL: flush. */
	int (*flush_late)(struct zt_db *db);
	/* PostgreSQL: prefetch, without sending the rows written since the
	 * last read first (zt_db rows_later): the caller knows the reads do
	 * not depend on them. NULL: prefetch. */
	int (*prefetch_past)(struct zt_db *db, struct zt_db_stmt *const *p, int n);
	/* PostgreSQL: the n statements (cached, bound) sent now without
	 * waiting, for a later prefetch(_past) bound the same (the next
	 * claims' reads while this one is settled): *sent as store.h
	 * claims.read_ahead says. NULL: never sent. */
	int (*read_ahead)(struct zt_db *db, struct zt_db_stmt *const *p, int n, int *sent);
};

/* A driver's table when it names its functions as the members (both
 * engines do): `const struct zt_db_driver x = {ZT_DB_DRIVER_OPS, ...};`,
 * the optional members after it. */
#define ZT_DB_DRIVER_OPS                                                                       \
	.prepare = prepare, .prepare_own = prepare_own, .finalize = finalize, .done = done,        \
	.bind_int64 = bind_int64, .bind_text = bind_text, .bind_blob = bind_blob, .row = row,      \
	.run = run, .run_as = run_as, .changes = changes, .column_null = column_null,              \
	.column_int64 = column_int64, .column_text = column_text, .column_blob = column_blob,      \
	.column_bytes = column_bytes, .exec = exec, .error_as = error_as, .need_write = need_write, \
	.now = now, .defer = defer, .flush = flush


/* A growing array (the rows a query read, the transaction's balances). */
struct zt_db_rows {
	void *items;
	size_t n, cap, size;
};
void *zt_db_rows_push(struct zt_db_rows *r); /* a new item at the end, or NULL (message set) */

/* Ledger balances are cached per account: within a transaction the new
 * balances collect here and are written once at commit (agg/ledger.c).
 * `base` is the stored balance, read when the transaction first touches
 * the account (the write lock is held: nobody else changes it). */
struct zt_db_delta {
	char *name;
	zt_fen base;    /* stored */
	zt_fen balance; /* after this transaction's transfers so far */
};

/* What the aggregates share of a connection; an engine's connection state
 * holds it right after its struct zt_store (zt_db_of). */
struct zt_db {
	const struct zt_db_driver *drv;
	bool pg; /* the dialect: PostgreSQL (zt_db_sql) */
	/* The next rows, numbered while the write lock is ours (G1, G7): a
	 * settlement's and a claim's id always; a transfer's where the engine
	 * numbers them (PostgreSQL), else 0 and the database does. */
	int64_t next_settlement_id, next_claim_id, next_transfer_id;
	struct zt_db_rows deltas; /* of struct zt_db_delta */
	/* The balances are kept past a commit (each delta's base becomes what
	 * was written) for this connection's next write transaction, which
	 * then reads none of them again; the engine clears them
	 * (zt_db_ledger_clear) when another writer may have committed since
	 * (PostgreSQL: pg/txn.c, the writer row's token). */
	bool keep_balances;
	/* The audit trail's last record as this connection wrote it
	 * (agg/audit.c), so that a record does not read the one before it;
	 * known while the writer lock is ours and nobody else wrote since:
	 * forgotten at rollback and at a commit whose balances are not kept
	 * (zt_db_ledger_clear) — PostgreSQL keeps both while the writer row's
	 * token is the connection's (pg/txn.c) — and put back by a savepoint. */
	bool audit_known;
	int64_t audit_seq;
	unsigned char audit_hash[32];
	/* Rows later (PostgreSQL's lazy write transaction, pg/txn.c): the
	 * engine writes a claim's rows with those of the other claims of its
	 * chunk, at the commit at the latest, and reads past them
	 * (prefetch_past). The aggregates then keep what a later read of the
	 * same transaction must see and the server does not have yet: the
	 * accumulators written (agg/claims.c: written at commit, one row a
	 * key, zt_db_accums_flush) and the claims written or reversed (a
	 * read of one of those sends the rows first). Never set on SQLite. */
	bool rows_later;
	struct zt_db_rows accums; /* of struct zt_db_accum, in the order written */
	uint64_t *claim_keys;     /* open addressing, 0 empty; cleared by the engine */
	size_t claim_key_count, claim_key_cap;
	/* the savepoint (one level): what to go back to */
	size_t sp_accum_count;
	int64_t sp_next_settlement_id, sp_next_claim_id, sp_next_transfer_id;
	bool sp_audit_known;
	int64_t sp_audit_seq;
	unsigned char sp_audit_hash[32];
	size_t sp_delta_count;
	zt_fen *sp_balances;
	size_t sp_cap;
	/* verify's checks in the engine's dialect (agg/verify.c runs them) */
	const struct zt_db_check *checks; /* ZT_VERIFY_CHECKS of them */
	int (*checks_set_up)(struct zt_db *db); /* before each run, or NULL */
};

/* A check of verify.h in an engine's dialect: a query counting what it
 * looks at, and one returning a one-line message per violating row (a
 * clean database returns nothing). Their SQL is the one part of the store
 * kept per dialect: it differs most (printf and typeof against format and
 * casts, each engine's catalogue of triggers). */
struct zt_db_check {
	const char *count_sql;
	const char *sql;
};

/* An engine's connection: its store, then the shared part. */
struct zt_db_store {
	struct zt_store base;
	struct zt_db db;
};

static inline struct zt_db *zt_db_of(struct zt_store *s) { return &((struct zt_db_store *)s)->db; }

static inline const char *zt_db_sql(const struct zt_db *db, const char *sqlite_text, const char *pg_text)
{
	return db->pg ? pg_text : sqlite_text;
}

/* ---- calls, in the engine's driver ------------------------------------------------ */

static inline int zt_db_prepare(struct zt_db *db, const char *sql, struct zt_db_stmt **out)
{
	return db->drv->prepare(db, sql, out);
}
static inline int zt_db_prepare_own(struct zt_db *db, const char *sql, struct zt_db_stmt **out)
{
	return db->drv->prepare_own(db, sql, out);
}
static inline void zt_db_finalize(struct zt_db_stmt *p)
{
	if (p)
		p->drv->finalize(p);
}
static inline void zt_db_done(struct zt_db_stmt *p)
{
	if (p)
		p->drv->done(p);
}
static inline void zt_db_bind_int64(struct zt_db_stmt *p, int i, int64_t v) { p->drv->bind_int64(p, i, v); }
static inline void zt_db_bind_int(struct zt_db_stmt *p, int i, int v) { p->drv->bind_int64(p, i, v); }
static inline void zt_db_bind_text(struct zt_db_stmt *p, int i, const char *v) { p->drv->bind_text(p, i, v); }
static inline void zt_db_bind_null(struct zt_db_stmt *p, int i) { p->drv->bind_text(p, i, NULL); }
/* "" binds NULL too */
static inline void zt_db_bind_opt(struct zt_db_stmt *p, int i, const char *v)
{
	p->drv->bind_text(p, i, v && v[0] ? v : NULL);
}
static inline void zt_db_bind_blob(struct zt_db_stmt *p, int i, const void *v, size_t len)
{
	p->drv->bind_blob(p, i, v, len);
}
static inline int zt_db_row(struct zt_db *db, struct zt_db_stmt *p, const char *what)
{
	return db->drv->row(db, p, what);
}
static inline int zt_db_run(struct zt_db *db, struct zt_db_stmt *p, const char *what)
{
	return db->drv->run(db, p, what);
}
static inline int zt_db_run_as(struct zt_db *db, struct zt_db_stmt *p, const char *what, bool conflict)
{
	return db->drv->run_as(db, p, what, conflict);
}
static inline int64_t zt_db_changes(struct zt_db *db) { return db->drv->changes(db); }
static inline bool zt_db_column_null(struct zt_db_stmt *p, int i) { return p->drv->column_null(p, i); }
static inline int64_t zt_db_column_int64(struct zt_db_stmt *p, int i) { return p->drv->column_int64(p, i); }
static inline int zt_db_column_int(struct zt_db_stmt *p, int i) { return (int)p->drv->column_int64(p, i); }
static inline const char *zt_db_column_text(struct zt_db_stmt *p, int i) { return p->drv->column_text(p, i); }
static inline int zt_db_column_blob(struct zt_db_stmt *p, int i, unsigned char *out, int cap)
{
	return p->drv->column_blob(p, i, out, cap);
}
static inline int zt_db_column_bytes(struct zt_db_stmt *p, int i) { return p->drv->column_bytes(p, i); }
static inline int zt_db_exec(struct zt_db *db, const char *sql) { return db->drv->exec(db, sql); }
/* Sets the message "database 'TARGET': WHAT: the engine's message" and
 * returns the code: ZT_EBUSY (a writer waited too long), ZT_ECONFLICT (a
 * constraint refused it and `conflict` says that is the caller's),
 * ZT_EINTERNAL (a constraint guarding an invariant: a bug), ZT_ERANGE
 * (past int64), ZT_EIO (the rest). */
static inline int zt_db_error_as(struct zt_db *db, const char *what, bool conflict)
{
	return db->drv->error_as(db, what, conflict);
}
static inline int zt_db_error(struct zt_db *db, const char *what) { return db->drv->error_as(db, what, false); }
/* ZT_EINTERNAL unless a WRITE transaction is open. */
static inline int zt_db_need_write(struct zt_db *db, const char *what) { return db->drv->need_write(db, what); }
/* The transaction's timestamp (store.h now). */
static inline const char *zt_db_now(struct zt_db *db) { return db->drv->now(db); }
static inline void zt_db_defer(struct zt_db *db, bool on) { db->drv->defer(db, on); }
static inline int zt_db_flush(struct zt_db *db) { return db->drv->flush(db); }
static inline int zt_db_flush_late(struct zt_db *db)
{
	return db->drv->flush_late ? db->drv->flush_late(db) : db->drv->flush(db);
}
static inline int zt_db_prefetch(struct zt_db *db, struct zt_db_stmt *const *p, int n)
{
	return db->drv->prefetch ? db->drv->prefetch(db, p, n) : 0;
}
static inline int zt_db_prefetch_past(struct zt_db *db, struct zt_db_stmt *const *p, int n)
{
	return db->drv->prefetch_past ? db->drv->prefetch_past(db, p, n) : zt_db_prefetch(db, p, n);
}

static inline int zt_db_read_ahead(struct zt_db *db, struct zt_db_stmt *const *p, int n,
                                   int *sent)
{
	*sent = 0;
	return db->drv->read_ahead ? db->drv->read_ahead(db, p, n, sent) : 0;
}

/* An accumulator written while rows_later (agg/claims.c). */
struct zt_db_accum {
	char psn_no[ZT_UTF8_BYTES(ZT_CODE_CHARS_MAX)];
	int year;
	char slot[ZT_SLOT_BYTES];
	zt_fen amount;
};
/* The accumulators kept (rows_later) written, the last value of each key,
 * and forgotten (agg/claims.c; the engine's commit calls it). */
int zt_db_accums_flush(struct zt_db *db);
/* Forgets them and the claims' keys (a rollback, the engine's). */
void zt_db_later_clear(struct zt_db *db);

/* ---- common helpers (agg/db.c) ------------------------------------------------------ */

/* Runs an INSERT … RETURNING id: *row_out the new row; 0 and
 * zt_db_changes() 0 when ON CONFLICT DO NOTHING inserted nothing. */
int zt_db_insert_id(struct zt_db *db, struct zt_db_stmt *p, const char *what, int64_t *row_out);
/* The same for an INSERT whose RETURNING id is PostgreSQL's alone (its SQL
 * chosen with zt_db_sql): SQLite runs it plain and reads
 * last_insert_rowid(), for a RETURNING makes SQLite fill and drop an
 * ephemeral table on every run (about 27,000 instructions a row: issue 8,
 * reconciliation's import). */
int zt_db_insert_row(struct zt_db *db, struct zt_db_stmt *p, const char *what, int64_t *row_out);
/* One count of a query whose ?1 is a row and ?2 a date (the settlements
 * that used a policy or a catalogue from a day on). */
int zt_db_count_used(struct zt_db *db, const char *sql, int64_t row, zt_date from,
                     const char *what, int64_t *out);
void zt_db_column_copy(char *dst, size_t cap, struct zt_db_stmt *p, int i);
/* A status, kind or category stored by its name: its index in `names`, or
 * `otherwise` (the schema's CHECK makes that unreachable). */
int zt_db_column_name(struct zt_db_stmt *p, int i, const char *const *names, int n, int otherwise);

/* Sums past int64. A sum of legitimate amounts can go past int64 even when
 * what it is compared with fits: it is taken in two parts, the billions and
 * the remainders of its terms (ZT_DB_SUM_HI / _LO), and compared in the
 * canonical form q × 10^9 + r with 0 <= r < 10^9 (ZT_DB_Q / ZT_DB_R of the
 * two parts). The same text in both dialects: SQLite's CAST of an integer
 * to BIGINT keeps it, PostgreSQL's takes SUM's numeric back to int8. */
#define ZT_DB_G "1000000000"
#define ZT_DB_SUM_HI(e) "CAST(COALESCE(SUM((" e ") / " ZT_DB_G "), 0) AS BIGINT)"
#define ZT_DB_SUM_LO(e) "CAST(COALESCE(SUM((" e ") % " ZT_DB_G "), 0) AS BIGINT)"
#define ZT_DB_NEG(x) "CAST((" x ") < 0 AS INTEGER)"
#define ZT_DB_Q(h, l) "((" h ") + (" l ") / " ZT_DB_G " - " ZT_DB_NEG("(" l ") % " ZT_DB_G) ")"
#define ZT_DB_R(l) "((" l ") % " ZT_DB_G " + " ZT_DB_NEG("(" l ") % " ZT_DB_G) " * " ZT_DB_G ")"
/* The sum read as ZT_DB_SUM_HI, _LO: hi × 10^9 + lo, or false past int64. */
bool zt_db_join_sum(int64_t *out, int64_t hi, int64_t lo);

/* ---- the aggregates (agg/), one ops table for every engine -------------------------- */

extern const struct zt_store_claim_ops zt_db_claim_ops;
extern const struct zt_store_ledger_ops zt_db_ledger_ops;
extern const struct zt_store_advance_ops zt_db_advance_ops;
extern const struct zt_store_batch_ops zt_db_batch_ops;
extern const struct zt_store_bank_ops zt_db_bank_ops;
extern const struct zt_store_verify_ops zt_db_verify_ops;
extern const struct zt_store_policy_ops zt_db_policy_ops;
extern const struct zt_store_user_ops zt_db_user_ops;
extern const struct zt_store_idem_ops zt_db_idem_ops;
extern const struct zt_store_registry_ops zt_db_registry_ops;
extern const struct zt_store_catalog_ops zt_db_catalog_ops;
extern const struct zt_store_audit_ops zt_db_audit_ops;
/* What every store over this driver puts in its zt_store_ops: the
 * aggregates, listed once (a new aggregate is added here, for all). */
#define ZT_DB_AGGREGATE_OPS                                                                    \
	.registry = zt_db_registry_ops, .policies = zt_db_policy_ops, .claims = zt_db_claim_ops,   \
	.ledger = zt_db_ledger_ops, .advances = zt_db_advance_ops, .batches = zt_db_batch_ops,     \
	.bank = zt_db_bank_ops, .audit = zt_db_audit_ops, .verify = zt_db_verify_ops,              \
	.catalogs = zt_db_catalog_ops, .users = zt_db_user_ops, .idempotency = zt_db_idem_ops
/* agg/audit.c: the migration step that chains the records written before
 * the chain (SQLite's 012, PostgreSQL's 004); `path` names the database in
 * messages. */
int zt_db_audit_chain_old(struct zt_db *db, const char *path);
/* agg/registry.c: the statements of registry.get_hospital and get_person,
 * bound (claims.prefetch) */
int zt_db_hospital_stmt(struct zt_db *db, const char *code, struct zt_db_stmt **out);
int zt_db_person_stmt(struct zt_db *db, const char *psn_no, struct zt_db_stmt **out);
/* agg/catalog.c: the registry's category periods (store.h registry) */
int zt_db_put_periods(struct zt_store *s, const char *psn_no, const struct zt_category_period *periods,
                      int n);
int zt_db_get_periods(struct zt_store *s, const char *psn_no,
                      struct zt_category_period out[ZT_CATEGORY_PERIODS_MAX], int *n);

/* agg/ledger.c: the transaction's balances, for the engine's txn.c */
int zt_db_ledger_flush(struct zt_db *db);    /* at commit (kept: keep_balances) */
void zt_db_ledger_clear(struct zt_db *db);   /* at rollback */
int zt_db_ledger_mark(struct zt_db *db);     /* at savepoint */
void zt_db_ledger_restore(struct zt_db *db); /* at rollback_to */
/* What a savepoint keeps in the connection, the same for every engine:
 * the ledger's pending balances and the next row numbers, marked before
 * the engine's SAVEPOINT and restored after its ROLLBACK TO (G2). */
int zt_db_savepoint_mark(struct zt_db *db);
void zt_db_savepoint_restore(struct zt_db *db);
int zt_db_ledger_post(struct zt_db *db, const struct zt_posting *t, int64_t settlement_row);

/* agg/claims.c: a claim's columns, in the order ZT_DB_CLAIM_COLUMNS names
 * them, read from a row (the texts valid until the statement moves on; the
 * digest copied into `digest`, whose bytes a damaged row may overrun: cut). */
#define ZT_DB_CLAIM_COLUMNS                                                                \
	"id, fixmedins_code, claim_no, psn_no, adm_date, dscg_date, dscg_maindiag_code, " \
	"medfee_sumamt, item_count, items, digest"
#define ZT_DB_DIGEST_CAP 64
struct zt_stored_claim zt_db_claim_of(struct zt_db_stmt *p, unsigned char digest[ZT_DB_DIGEST_CAP]);

/* agg/batch_records.c: the cursor of a batch's records (store.h batches) */
int zt_db_batch_records(struct zt_store *s, const char *id, unsigned what,
                        struct zt_batch_cursor **out);
int zt_db_batch_next(struct zt_batch_cursor *c, struct zt_batch_record *out);
void zt_db_batch_records_close(struct zt_batch_cursor *c);

/* agg/traces.c: a share's trace in its columns (ZT_DB_TRACE_COLUMNS of
 * them, in the order of ZT_DB_TRACE_COLUMN_NAMES) and its segments. */
#define ZT_DB_TRACE_COLUMNS 28
#define ZT_DB_TRACE_COLUMNS_OF(t)                                                               \
	t "trace_kind, " t "inscp, " t "hifp_pay, " t "preselfpay_added, " t "base, "           \
	t "base_before, " t "base_after, " t "level_deductible, " t "level_ratio_bp, "           \
	t "adjusted, " t "deductible_factor_bp, " t "ratio_bonus_bp, " t "deductible, "          \
	t "ratio_bp, " t "act_pay_dedc, " t "threshold, " t "own_tiers, " t "relief_name, "      \
	t "cap_ratio_bp, " t "psn0, " t "target, " t "gap_before, " t "gap_after, " t "raw, "     \
	t "annual_cap, " t "paid_before, " t "paid_after, " t "pay"
#define ZT_DB_TRACE_COLUMN_NAMES ZT_DB_TRACE_COLUMNS_OF("")
/* Binds t's columns at parameters first … first + ZT_DB_TRACE_COLUMNS - 1. */
void zt_db_trace_bind(struct zt_db_stmt *p, int first, const struct zt_fund_trace *t);
/* Reads them from columns first …; the caller fills in what the settlement
 * row holds (hospital level, category; a reversal's of, reason, slot) and
 * a critical trace's segments. 0, or ZT_EINTERNAL for an unknown kind. */
int zt_db_trace_read(struct zt_db_stmt *p, int first, struct zt_fund_trace *t);
/* Writes a critical trace's segments for share (row, seq). */
int zt_db_trace_segments_put(struct zt_db *db, int64_t row, int seq, const struct zt_fund_trace *t);
/* Appends the segment (tier_from, tier_to, from, to, ratio) of columns
 * first … to c (the caller checks there is room), and its weight. */
void zt_db_trace_segment_read(struct zt_db_stmt *p, int first, struct zt_trace_critical *c);
/* The settlement's own facts a trace shows: level, category, and for a
 * reversal the setl_id reversed, the reason and the share's slot. */
void zt_db_trace_complete(struct zt_fund_trace *t, int hospital_level, const char *category,
                          const char *of, const char *reason, const char *slot);


/* ---- agg/national.c: claim v2 and the national platform (store.h claims) ---- */
int zt_db_v2_put(struct zt_store *s, int64_t settlement_row, const struct zt_claim *c,
                 const struct zt_national_funds *funds);
int zt_db_national_live(struct zt_store *s, const char *national_setl_id, int64_t *row_out);
int zt_db_v2_each(struct zt_store *s, int (*cb)(void *ctx, int64_t claim_row, const struct zt_claim *c),
                  void *ctx);
int zt_db_national_reversed_put(struct zt_store *s, const char *national_setl_id, zt_date reversed_on,
                                const char *file, const char *actor, bool *was_new);
int zt_db_national_reversed_live(struct zt_store *s,
                                 int (*cb)(void *ctx, const struct zt_national_reversed_line *l),
                                 void *ctx);
/* The claim version and national settlement of out->claim_row (claims.get). */
int zt_db_national_fill(struct zt_db *q, struct zt_stored_settlement *out);

#endif
