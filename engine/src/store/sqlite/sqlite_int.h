/* zhitong — the SQLite store, private to the files of engine/src/store/sqlite/: the
 * only files of the engine that include sqlite3.h or hold SQL.
 *
 * One file per aggregate (registry.c, policies.c, claims.c, ledger.c,
 * advances.c, batches.c, bank.c, audit.c, verify.c) over one set of
 * helpers (util.c): every statement is prepared once per connection from a
 * cache keyed by its static SQL text (sq_stmt), bound with the sq_bind_*
 * helpers, read with sq_col_*, and every failure goes through sq_error,
 * which maps SQLite's result to a ZT_E* code and sets the message. */
#ifndef ZHITONG_STORE_SQLITE_INT_H
#define ZHITONG_STORE_SQLITE_INT_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "zhitong/error.h"
#include "zhitong/store.h"

/* Ledger balances are cached per account: within a transaction the new
 * balances collect here and are written once at commit (a settlement
 * touches the same few accounts again and again). `base` is the stored
 * balance, read when the transaction first touches the account (the write
 * lock is held: nobody else changes it). */
struct sq_delta {
	char *name;
	zt_fen base;    /* stored */
	zt_fen balance; /* after this transaction's transfers so far */
};

enum sq_txn { SQ_NO_TXN, SQ_TXN_READ, SQ_TXN_WRITE };

/* A growing array (the rows a query read, the transaction's balances). */
struct sq_rows {
	void *items;
	size_t n, cap, size;
};

#define SQ_CACHE_SLOTS 512 /* a power of two, well above the statements */

struct sq {
	struct zt_store base;
	sqlite3 *db;
	char path[1024];
	bool readonly;
	enum sq_txn txn;
	char now[32];
	int64_t next_settlement_id;
	struct sq_rows deltas; /* of struct sq_delta */
	/* the savepoint (one level): what to go back to */
	bool in_savepoint;
	int64_t sp_next_settlement_id;
	size_t sp_delta_count;
	zt_fen *sp_balances;
	size_t sp_cap;
	/* prepared statements, keyed by the address of their static SQL text */
	struct {
		const char *sql;
		sqlite3_stmt *stmt;
	} cache[SQ_CACHE_SLOTS];
	int cache_count;
};

static inline struct sq *sq_of(struct zt_store *s) { return (struct sq *)s; }

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

void *sq_rows_push(struct sq_rows *r); /* a new item at the end, or NULL (message set) */

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
/* The sum read as SQ_SUM_HI, SQ_SUM_LO: hi × 10^9 + lo, or false when it
 * does not fit in int64. */
bool sq_join_sum(int64_t *out, int64_t hi, int64_t lo);

/* ---- the parts, each in its file -------------------------------------------- */

extern const struct zt_store_registry_ops sq_registry_ops;
extern const struct zt_store_policy_ops sq_policy_ops;
extern const struct zt_store_claim_ops sq_claim_ops;
extern const struct zt_store_ledger_ops sq_ledger_ops;
extern const struct zt_store_advance_ops sq_advance_ops;
extern const struct zt_store_batch_ops sq_batch_ops;
extern const struct zt_store_bank_ops sq_bank_ops;
extern const struct zt_store_audit_ops sq_audit_ops;
extern const struct zt_store_verify_ops sq_verify_ops;
extern const struct zt_store_user_ops sq_user_ops;
/* Migration 010's step: chains the audit records written before it (audit.c). */
int sq_audit_chain_old(struct sq *q);

/* claims.c: a claim's columns, in the order SQ_CLAIM_COLUMNS names them,
 * read from a row (the texts valid until the statement moves on). */
#define SQ_CLAIM_COLUMNS                                                                  \
	"id, fixmedins_code, claim_no, psn_no, adm_date, dscg_date, dscg_maindiag_code, " \
	"medfee_sumamt, item_count, items, digest"
struct zt_stored_claim sq_claim_of(sqlite3_stmt *p);

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
const char *sq_now_op(struct zt_store *s);

/* ledger.c: the transaction's balances */
int sq_ledger_flush(struct sq *q);          /* at commit */
void sq_ledger_clear(struct sq *q);         /* at rollback */
int sq_ledger_mark(struct sq *q);           /* at savepoint */
void sq_ledger_restore(struct sq *q);       /* at rollback_to */
int sq_ledger_post(struct sq *q, const struct zt_posting *t, int64_t settlement_row);

/* batch_records.c: the cursor of a batch's records (store.h batches) */
int sq_batch_records(struct zt_store *s, const char *id, bool only_rejected,
                     struct zt_batch_cursor **out);
int sq_batch_next(struct zt_batch_cursor *c, struct zt_batch_record *out);
void sq_batch_records_close(struct zt_batch_cursor *c);

/* traces.c: a share's trace in its columns (SQ_TRACE_COLUMNS of them, in
 * the order of SQ_TRACE_COLUMN_NAMES) and its segments. */
#define SQ_TRACE_COLUMNS 28
#define SQ_TRACE_COLUMNS_OF(t)                                                                  \
	t "trace_kind, " t "inscp, " t "hifp_pay, " t "preselfpay_added, " t "base, "           \
	t "base_before, " t "base_after, " t "level_deductible, " t "level_ratio_bp, "           \
	t "adjusted, " t "deductible_factor_bp, " t "ratio_bonus_bp, " t "deductible, "          \
	t "ratio_bp, " t "act_pay_dedc, " t "threshold, " t "own_tiers, " t "relief_name, "      \
	t "cap_ratio_bp, " t "psn0, " t "target, " t "gap_before, " t "gap_after, " t "raw, "     \
	t "annual_cap, " t "paid_before, " t "paid_after, " t "pay"
#define SQ_TRACE_COLUMN_NAMES SQ_TRACE_COLUMNS_OF("")
/* Binds t's columns at parameters first … first + SQ_TRACE_COLUMNS - 1. */
void sq_trace_bind(sqlite3_stmt *p, int first, const struct zt_fund_trace *t);
/* Reads them from columns first …; the caller fills in what the settlement
 * row holds (hospital level, category; a reversal's of, reason, slot) and
 * a critical trace's segments. 0, or ZT_EINTERNAL for an unknown kind. */
int sq_trace_read(sqlite3_stmt *p, int first, struct zt_fund_trace *t);
/* Writes a critical trace's segments for share (row, seq). */
int sq_trace_segments_put(struct sq *q, int64_t row, int seq, const struct zt_fund_trace *t);
/* Appends the segment (tier_from, tier_to, from, to, ratio) of columns
 * first … to c (the caller checks there is room), and its weight. */
void sq_trace_segment_read(sqlite3_stmt *p, int first, struct zt_trace_critical *c);
/* The settlement's own facts a trace shows: level, category, and for a
 * reversal the setl_id reversed, the reason and the share's slot. */
void sq_trace_complete(struct zt_fund_trace *t, int hospital_level, const char *category,
                       const char *of, const char *reason, const char *slot);

#endif
