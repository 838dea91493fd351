/* zhitong — bank reconciliation (docs/spec/money-flow.md "Reconciliation"; the user's
 * guide is docs/reconciliation.md).
 *
 * The pool account's camt.053 statements are imported entry by entry, each
 * stored once however often its file is imported, and matched:
 *
 *   a credit naming batch ids    pays them: to the fen of what they still
 *                                owe (several batches: exactly their sum;
 *                                one batch: anything up to what it owes is
 *                                an instalment). Among several, a batch the
 *                                pool owes money back (batch.h) counts
 *                                negative: the payer netted it, and it is
 *                                booked as returned (kind netted)
 *   a debit whose EndToEndId is  confirms that advance (same amount)
 *   an advance id
 *   a debit whose EndToEndId is  confirms that repayment to a fund (same
 *   a repayment id               amount; `batch repay`, batch.h)
 *
 * and everything else becomes a typed exception (amount, unknown,
 * duplicate, ambiguous, date, missing, reversal) that a person resolves:
 * nothing is guessed, nothing is matched twice.
 *
 * In the ledger (debit-positive, see ledger.h):
 *
 *   payment    pool:bank -> fund:F      debit pool:bank, credit fund:F: the
 *                                       fund's debt shrinks, the bank grows
 *   suspense   an entry not matched at once: a credit is debit pool:bank,
 *              credit suspense:bank; a debit the opposite. The bank side is
 *              always booked; suspense:bank holds what is not explained.
 *   payment    suspense:bank -> fund:F  (a later match or a decision)
 *   confirm    suspense:bank -> pool:bank (a debit confirming an advance by
 *              decision: the advance transfer already booked the outflow)
 *   refund     suspense:bank <-> refund:bank   money owed back to (credit)
 *              or sent back to (debit) its sender; nets to 0 once both sides
 *              are on a statement
 *   write-off  suspense:bank <-> write-off:pool, or write-off:pool -> fund:F
 *              for what a batch will never pay (the pool bears it)
 *   netted     fund:F -> pool:bank or suspense:bank: debit fund:F, what the
 *              payer netted of a batch owed back to it, out of its credit
 *
 * Every transfer's ref is the bank entry's ref (or the exception id of a
 * write-off that has no entry). A confirmed advance or repayment moves no
 * money (each was booked when it was issued).
 *
 * The pure rules (reconcile_rules.c) touch nothing; the use cases open
 * their own transactions; the store's bank operations (store.h) store and
 * read, in the caller's transaction. The reports are rendered by
 * render/ (zhitong/recon_render.h). */
#ifndef ZHITONG_RECONCILE_H
#define ZHITONG_RECONCILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "advance.h"
#include "batch.h"
#include "access.h"
#include "config.h"
#include "iso20022.h"
#include "money.h"
#include "source.h"

struct zt_store; /* store.h */

/* "EXC-000001": an id (ZT_ID_BYTES; the old name is an alias). */
#define ZT_RECON_EXC_ID_BYTES ZT_ID_BYTES
/* An entry's ref: the bank's (≤ 63 bytes with "#k") or "sha256:" + 64 hex. */
#define ZT_RECON_REF_BYTES 72
/* Batches one credit may name and pay together. More is `ambiguous`. */
#define ZT_RECON_BATCHES_MAX 16
#define ZT_RECON_DETAIL_BYTES 256
/* a --note: one line of text (ZT_TEXT_BYTES; the old name is an alias) */
#define ZT_RECON_NOTE_BYTES ZT_TEXT_BYTES
/* match:ID[,ID…] */
#define ZT_RECON_TARGET_BYTES (ZT_RECON_BATCHES_MAX * ZT_ID_BYTES)

#define ZT_ACCOUNT_SUSPENSE "suspense:bank"
#define ZT_ACCOUNT_REFUND "refund:bank"
#define ZT_ACCOUNT_WRITE_OFF "write-off:pool"

/* ---- configuration ------------------------------------------------------ */

/* [reconcile] and [pool] (see docs/reconciliation.md). */
struct zt_recon_config {
	int date_tolerance_days;  /* date-tolerance-days, default 3                */
	int expected_within_days; /* expected-within-days, default 30              */
	zt_fen amount_tolerance;  /* amount-tolerance, default 0.00                */
	int future_days;          /* future-days, default 3: an entry booked after
	                           * the import day plus this is a `date` exception */
	char pool_account[64];    /* [pool] account; "" = the first statement's    */
	char currency[4];         /* [pool] currency, default CNY                  */
	/* Several pools (issue 13 §2): a statement is of the pool whose account
	 * it names (pool_account and currency are then that pool's, set by the
	 * import), and pays only that pool's batches. */
	const struct zt_config *pools; /* the configuration; NULL: one pool */
};
#define ZT_RECON_DATE_TOLERANCE_DEFAULT 3
#define ZT_RECON_EXPECTED_WITHIN_DEFAULT 30
#define ZT_RECON_FUTURE_DAYS_DEFAULT 3

/* Reads the settings (cfg may be NULL: every default). ZT_EINVAL with the
 * file and line for a malformed value. */
int zt_recon_config_load(struct zt_recon_config *out, const struct zt_config *cfg);
/* Several pools: the pool whose account `account` is (*pool), its account
 * and currency made the settings'; ZT_EINVAL for an account of no pool.
 * One pool: *pool NULL, nothing changed. */
int zt_recon_pool_of(struct zt_recon_config *cfg, const char *account, const char **pool);

/* ---- the words ----------------------------------------------------------- */

enum zt_recon_kind {
	ZT_RECON_AMOUNT,    /* short or over: not what is owed (detail says which) */
	ZT_RECON_UNKNOWN,   /* names no batch or advance that could take it        */
	ZT_RECON_DUPLICATE, /* a second payment for a paid batch / confirmed advance */
	ZT_RECON_AMBIGUOUS, /* several batches, and the amount does not say how     */
	ZT_RECON_DATE,      /* booked before the bill or the instruction existed, or
	                     * after the import day plus future-days               */
	ZT_RECON_MISSING,   /* due, and nothing arrived within expected-within-days */
	ZT_RECON_REVERSAL,  /* the bank reversed an entry                           */
};
#define ZT_RECON_KINDS 7
/* "amount" "unknown" … "reversal", indexed by kind (data: the store's too). */
extern const char *const zt_recon_kind_names[ZT_RECON_KINDS];
const char *zt_recon_kind_name(enum zt_recon_kind k);
int zt_recon_kind_parse(enum zt_recon_kind *out, const char *name);

enum zt_recon_resolution {
	ZT_RECON_ACCEPT,    /* take the engine's one candidate (as match:<it>); an
	                     * over-payment pays what is owed, the rest is refunded */
	ZT_RECON_MATCH,     /* match:ID[,ID…]: the entry pays these batches, or
	                     * confirms this advance                                */
	ZT_RECON_REFUND,    /* the money goes (credit) or went (debit) back          */
	ZT_RECON_WRITE_OFF, /* the pool keeps or bears it; for a batch: what it
	                     * still owes is given up                               */
	ZT_RECON_IGNORE,    /* noted; nothing to book (no money is in suspense)      */
	ZT_RECON_SETTLED,   /* closed by itself: what was due arrived               */
};
#define ZT_RECON_RESOLUTIONS 6
/* "accept" "match" "refund" "write-off" "ignore" "settled", indexed by
 * resolution (data: the store's too). */
extern const char *const zt_recon_resolution_names[ZT_RECON_RESOLUTIONS];
const char *zt_recon_resolution_name(enum zt_recon_resolution r);
/* Parses `--as`: "accept", "refund", "write-off", "ignore" or
 * "match:ID[,ID…]" (target_out gets the ids, "" otherwise). "settled" is
 * the engine's, never a person's. ZT_EINVAL. */
int zt_recon_resolution_parse(enum zt_recon_resolution *out,
                              char target_out[ZT_RECON_TARGET_BYTES], const char *as);

/* ---- pure rules (reconcile_rules.c) ------------------------------------------- */

/* Appends to ids[*n] (up to max) every batch id in `text` not already
 * there: a token of [A-Za-z0-9_-] delimited by anything else (or the ends)
 * that has the shape of a batch id, B + six characters + '-' + digits, so
 * "B390100-000001" is found in "付B390100-000001," but not in
 * "B390100-0000011" or "XB390100-000001". Returns the number of such tokens
 * that did not fit (0 normally). */
size_t zt_recon_batch_tokens(const char *text, char ids[][ZT_ID_BYTES], size_t *n,
                             size_t max);

/* A batch as the rules see it. */
struct zt_recon_batch {
	char id[ZT_ID_BYTES];
	char fund_code[ZT_FUND_CODE_BYTES];
	enum zt_batch_status status;
	zt_fen total;     /* billed                                                                */
	zt_fen accepted_total; /* the payer's answer; 0 until answered                            */
	zt_fen due;       /* what the payer owes: the accepted total once answered, else the total
	                   * (a sent batch can be paid before its answer arrives, batch.h); the
	                   * domain's (zt_recon_batch_due), not the store's                         */
	zt_fen paid;      /* matched so far, write-offs included                                   */
	zt_fen returned;  /* paid back to the fund (repaid or netted)                              */
	bool answered;    /* the payer's answer is recorded                                        */
	zt_date exported; /* day of the first export (pool-local), 0 if never                     */
	zt_date sent;     /* day it first went to the payer (pool-local), 0 if never; filled by the
	                   * overdue listing only (bank.batch leaves it 0)                       */
	char pool[ZT_POOL_ID_BYTES]; /* the pool it bills for: paid into its account (issue 13) */
};

enum zt_recon_verdict {
	ZT_RECON_PAY,       /* pay[] / confirm the advance                 */
	ZT_RECON_HOLD,      /* a named batch is exported, not yet sent: wait */
	ZT_RECON_EXCEPTION, /* kind, candidate, detail                     */
};

struct zt_recon_decision {
	enum zt_recon_verdict verdict;
	enum zt_recon_kind kind;
	int candidate;      /* index of the one batch it is about, -1 if none */
	zt_fen pay[ZT_RECON_BATCHES_MAX];         /* PAY: from the entry, per batch; < 0: a
	                                           * batch owed back, netted by the payer   */
	zt_fen written_off[ZT_RECON_BATCHES_MAX]; /* PAY: shortfall within amount-tolerance */
	char detail[ZT_RECON_DETAIL_BYTES];
};

/* The rule for a booked credit (not a reversal) of `amount` > 0 booked on
 * `booked` that names the n ≥ 1 batches b[] (all exist). What a batch
 * still owes is zt_batch_owes (due - paid + returned): one batch must owe
 * something; several are paid when the credit is exactly what they owe
 * together, a batch owed back (answered by the payer) counting negative. */
int zt_recon_decide_credit(const struct zt_recon_config *cfg, zt_fen amount, zt_date booked,
                           const struct zt_recon_batch *b, size_t n,
                           struct zt_recon_decision *out);

/* The rule for a booked debit (not a reversal) whose EndToEndId is the
 * advance `a` (NULL: none), `confirmed` if a bank entry confirmed it
 * already. PAY means: confirm. */
int zt_recon_decide_debit(const struct zt_recon_config *cfg, zt_fen amount, zt_date booked,
                          const char *end_to_end_id, const struct zt_advance *a, bool confirmed,
                          struct zt_recon_decision *out);
/* The same for a debit whose EndToEndId is the repayment `r` (batch.h). */
int zt_recon_decide_repayment(const struct zt_recon_config *cfg, zt_fen amount, zt_date booked,
                              const struct zt_batch_return *r, struct zt_recon_decision *out);

/* ---- stored things --------------------------------------------------------- */

/* A stored bank entry. */
struct zt_recon_entry {
	int64_t row;
	char ref[ZT_RECON_REF_BYTES];
	char stmt_id[64];
	char account[64];
	char digest[65];
	bool credit;
	zt_fen amount;
	char currency[4];
	zt_date booking_date;
	zt_date value_date;
	bool reversal;
	char end_to_end_id[36];
	char remittance[512];
	char tx_ref[64];
};

struct zt_recon_exception {
	int64_t row;
	char exc_id[ZT_ID_BYTES];
	enum zt_recon_kind kind;
	int64_t entry_row;                      /* 0: about a batch or an advance */
	char entry_ref[ZT_RECON_REF_BYTES];     /* "" when entry_row is 0         */
	bool credit;                            /* the entry's direction          */
	zt_date booking_date;                   /* the entry's                    */
	char batch_id[ZT_ID_BYTES];       /* subject or candidate, or ""    */
	char advance_id[ZT_ID_BYTES];   /* subject or candidate, or ""    */
	char return_id[ZT_ID_BYTES]; /* a repayment: subject or candidate, or "" */
	zt_fen amount;                          /* fen in question                */
	zt_date since;                          /* the day its age counts from    */
	char detail[ZT_RECON_DETAIL_BYTES];
	char raised_at[32];
	char raised_by[ZT_ACTOR_BYTES];
	bool resolved;
	enum zt_recon_resolution resolution;
	char target[ZT_RECON_TARGET_BYTES];
	char note[ZT_TEXT_BYTES];
	char resolved_at[32];
	char resolved_by[ZT_ACTOR_BYTES];
	/* Several pools (issue 13 §2): the entry's account ("" without an
	 * entry), and the pool of the batch or advance it is about ("" if
	 * none). zt_recon_exception_pool says whose it is. */
	char account[64];
	char subject_pool[ZT_POOL_ID_BYTES];
};

/* The pool an exception is of: its entry's account's pool, else the pool
 * of the batch or advance it is about; NULL if neither is known (cfg may
 * be NULL: the default pool). */
const char *zt_recon_exception_pool(const struct zt_config *cfg,
                                    const struct zt_recon_exception *x);

/* Fills b->due from what the store read (the rule of zt_batch_due). */
void zt_recon_batch_due(struct zt_recon_batch *b);

/* ---- report ---------------------------------------------------------------- */

struct zt_recon_fund_line {
	char fund_code[ZT_FUND_CODE_BYTES];
	char fund_name[ZT_UTF8_BYTES(ZT_NAME_CHARS_MAX)];
	zt_fen billed;       /* batches sent or later: what the payer owes (accepted total;
	                      * negative for a batch whose reversals outweigh its claims)   */
	zt_fen paid;         /* matched bank money                                          */
	zt_fen written_off;  /* given up by the pool (tolerance, write-off)                 */
	zt_fen returned;     /* paid back to the fund (repaid by the pool, or netted)       */
	zt_fen outstanding;  /* billed - paid - written_off + returned: < 0 is owed back     */
	int64_t open_batches;/* billed batches not settled (owing, or owed back)            */
	zt_date oldest_sent; /* day the oldest of them went to the payer, 0 if none         */
	zt_fen ledger;       /* fund:F of the pools covered (fund:F@P): everything it owes,
	                      * billed or not yet batched                                  */
	char pool[ZT_POOL_ID_BYTES]; /* the store's lines: one per fund and pool of its
	                              * batches ("" for a fund with none); the report's
	                              * lines: summed over the pools it covers            */
};

struct zt_recon_hospital_line {
	char hospital[ZT_UTF8_BYTES(ZT_CODE_CHARS_MAX)];
	char name[ZT_UTF8_BYTES(ZT_NAME_CHARS_MAX)]; /* the registry's; "" if it has none */
	zt_fen advanced;   /* advance transfers to it                      */
	zt_fen confirmed;  /* of which the bank's statement confirmed      */
	zt_fen earned;     /* fund shares settled to it, less reversals    */
	zt_fen balance;    /* hospital:H                                    */
};

/* What is still unmatched without an exception: waiting until its batch is sent. */
struct zt_recon_open_line {
	char ref[ZT_RECON_REF_BYTES];
	bool credit;
	zt_fen amount;
	zt_date booking_date;
	char remittance[512];
	char account[64];  /* the statement's: its pool (config.h) */
};

/* Billed (by the day a batch went to the payer) and paid (by booking day)
 * on one day. */
struct zt_recon_day {
	zt_date day;
	zt_fen billed;
	zt_fen paid;
	char pool[ZT_POOL_ID_BYTES]; /* the store's rows: per day and pool of the batches;
	                              * the report's: summed over the pools it covers */
};

/* Overdue on the report's day and not raised yet: what `reconcile match`
 * would raise (the report itself never writes). */
struct zt_recon_overdue {
	enum zt_recon_kind kind;            /* missing, or amount (short)   */
	char batch_id[ZT_ID_BYTES];   /* "" for an advance            */
	char advance_id[ZT_ID_BYTES]; /* "" for a batch              */
	char return_id[ZT_ID_BYTES]; /* a repayment of batch_id, or "" */
	zt_fen amount;                      /* what is still owed           */
	zt_date since;                      /* the day it became overdue    */
};

struct zt_recon_report {
	zt_date as_of;
	struct zt_recon_config cfg;
	size_t fund_count, hospital_count, exception_count, open_count, day_count;
	struct zt_recon_fund_line *funds;           /* every fund of the registry */
	struct zt_recon_hospital_line *hospitals;   /* every hospital             */
	struct zt_recon_exception *exceptions;      /* the open ones, oldest first */
	struct zt_recon_open_line *open;            /* entries waiting            */
	struct zt_recon_day *days;                  /* ascending, days with either */
	zt_fen suspense;                            /* balance of suspense:bank    */
	zt_fen pool_bank;                           /* balance of pool:bank        */
	size_t overdue_count;
	struct zt_recon_overdue *overdue;           /* not raised yet              */
	/* The pools it covers, joined by ", " ("" every pool: the request named
	 * none). The ledger's balances (pool_bank, suspense, a fund's ledger)
	 * are those of the pools it covers, each pool its own books (ledger.h:
	 * pool:bank@P, fund:F@P): the pools named, else every pool's. */
	char pools[256];
};
void zt_recon_report_free(struct zt_recon_report *r);

/* ---- use cases (reconcile_import.c, reconcile_match.c, reconcile_resolve.c,
 * reconcile_report.c) ------------------------------------------------------
 *
 * One function per operation, zt_recon_<verb>(store, request, result)
 * (docs/architecture.md "Use cases"): the request in memory (a statement as
 * a source, never a path), the result as data; each opens and ends its own
 * transaction, never prints. `cfg` (config.h) gives [pool] and [reconcile]
 * (NULL: every default); `actor` is normalised (actor.h) before it is
 * stored. */

/* What an import or a match did. */
struct zt_recon_import_result {
	char msg_id[64];
	int version;                /* 2 or 8                                    */
	int64_t reported;           /* transactions in the file                  */
	int64_t stored;             /* new entries                               */
	int64_t known;              /* stored before: not stored again           */
	int64_t not_booked;         /* PDNG INFO FUTR: left for a later statement */
	int64_t matched;            /* new entries matched                       */
	int64_t held;               /* new entries waiting for their batch to be sent */
	int64_t rematched;          /* earlier waiting entries matched now       */
	size_t exception_count;     /* exceptions raised                         */
	char (*exceptions)[ZT_ID_BYTES]; /* their ids, in order (owned);
	                                  * zt_recon_exception_get reads each */
};
void zt_recon_import_result_free(struct zt_recon_import_result *r);

struct zt_recon_import_req {
	const struct zt_config *cfg;
	/* The camt.053 statement: bytes (zt_source_buffer) or an open file
	 * (zt_source_file); its name names it in messages and in the log of
	 * imports. A source that cannot rewind is read once into a temporary
	 * file (its digest is stored before its first entry). */
	const struct zt_source *statement;
	const char *actor;
	/* The pools the importer reaches (access.h; NULL or none named: every
	 * pool): with several pools, a statement of another pool's account is
	 * ZT_ENOTFOUND, as if that account did not exist, and stores nothing. */
	const struct zt_scope *scope;
};

/* `reconcile import`: reads the camt.053 statement (validated against the
 * official XSD while it is read), stores each booked entry once, matches
 * the new ones and then retries the entries that were waiting, in one
 * transaction: all or nothing. Refuses (ZT_EINVAL, nothing stored) a
 * statement of another account than [pool] account (or, without it, than
 * the statements imported before) or in another currency; ZT_ECONFLICT
 * when a bank reference stored before comes back with another amount or
 * direction. */
int zt_recon_import(struct zt_store *s, const struct zt_recon_import_req *req,
                    struct zt_recon_import_result *out);

struct zt_recon_match_req {
	const struct zt_config *cfg;
	zt_date as_of; /* 0: today (pool-local); a later day is refused */
	const char *actor;
};

/* `reconcile match`: retries the waiting entries and raises what is
 * overdue on `as_of`: `missing` for a batch sent (or an advance
 * executed) more than expected-within-days before with nothing matched,
 * `amount` (short) for a batch paid in part. Uses the import result
 * (stored … not_booked stay 0). */
int zt_recon_match(struct zt_store *s, const struct zt_recon_match_req *req,
                   struct zt_recon_import_result *out);

struct zt_recon_resolve_req {
	const struct zt_config *cfg;
	const char *exc_id; /* EXC-NNNNNN                                         */
	const char *as;     /* accept, match:ID[,ID…], refund, write-off, ignore   */
	const char *actor;
	const char *note;   /* required: why (one line)                           */
};

/* `reconcile resolve`: records a person's decision on an open exception
 * and books it (see enum zt_recon_resolution; docs/reconciliation.md has
 * the table of what each does to each kind). ZT_ENOTFOUND; ZT_ECONFLICT
 * when resolved already or when the decision does not fit (e.g. ignore
 * while money is in suspense, a match whose amount is not what the
 * batches owe). *out (may be NULL) is the exception as resolved. */
int zt_recon_resolve(struct zt_store *s, const struct zt_recon_resolve_req *req,
                     struct zt_recon_exception *out);

struct zt_recon_exceptions_req {
	bool open_only; /* false: the resolved ones too */
};
typedef int (*zt_recon_exception_cb)(void *ctx, const struct zt_recon_exception *x);

/* One exception as stored, by id (EXC-NNNNNN). ZT_ENOTFOUND. */
int zt_recon_exception_get(struct zt_store *s, const char *exc_id, struct zt_recon_exception *out);

/* `reconcile exceptions`: one call per exception, in id order; a non-zero
 * return stops the walk and is returned. */
int zt_recon_exceptions(struct zt_store *s, const struct zt_recon_exceptions_req *req,
                        zt_recon_exception_cb cb, void *ctx);

struct zt_recon_report_req {
	const struct zt_config *cfg;
	zt_date as_of; /* 0: today (pool-local); a later day is refused (ZT_EINVAL) */
	/* The pools it covers (issue 13 §2; ids of cfg's pools), none: every
	 * pool. A batch is of its pool, a hospital of its county's, an entry of
	 * its account's, an exception zt_recon_exception_pool's, an advance of
	 * its hospital's, a repayment of its batch's. */
	const char *const *pools;
	size_t pool_count;
};

/* `reconcile report`: collects, reading only — a report never writes; it
 * runs on a database opened read-only. What is overdue on as_of but not
 * raised yet as an exception is listed in `overdue`: raising it is
 * zt_recon_match's work. Free *out with zt_recon_report_free. */
int zt_recon_report(struct zt_store *s, const struct zt_recon_report_req *req,
                    struct zt_recon_report *out);

#endif
