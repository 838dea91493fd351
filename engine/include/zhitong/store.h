/* zhitong — the store: every byte of SQL lives behind this header.
 *
 * The engine speaks to storage only through these functions, in domain
 * terms (hospitals, settlements, transfers), never in SQL. store_sqlite.c
 * is the SQLite implementation; a PostgreSQL store for a province-wide
 * deployment implements the same functions (the handle is opaque).
 *
 * Transactions: zt_store_begin() takes the write lock at once (BEGIN
 * IMMEDIATE), so two processes writing one database are serialised, the
 * second waiting up to the busy timeout. Everything a claim moves — the
 * claim, its settlement, the funds, the accumulators, the ledger transfers
 * — is written inside the caller's transaction. */
#ifndef ZHITONG_STORE_H
#define ZHITONG_STORE_H

#include <stdint.h>

#include "actor.h"
#include "claim.h"
#include "policy.h"
#include "registry.h"
#include "split.h"

struct zt_store;

#define ZT_STORE_VERSION 8 /* PRAGMA user_version after all migrations */

enum zt_store_flags {
	ZT_STORE_READONLY = 1, /* open for reading only (verify, show) */
	ZT_STORE_CREATE = 2,   /* create the file if missing (init) */
};

int zt_store_open(struct zt_store **out, const char *path, int flags);
void zt_store_close(struct zt_store *s);
/* Applies every migration newer than the file's user_version, each in its
 * own transaction. Refuses a file from a newer zhitong. */
int zt_store_migrate(struct zt_store *s, int *from_version, int *to_version);
/* ZT_EINVAL with a clear message if the database is not initialised or
 * needs migrating. */
int zt_store_check_version(struct zt_store *s);

int zt_store_begin(struct zt_store *s);
int zt_store_commit(struct zt_store *s);
void zt_store_rollback(struct zt_store *s);

/* The timestamp every row written in this transaction carries. */
const char *zt_store_now(struct zt_store *s);

/* ---- registry ---------------------------------------------------- */
int zt_store_put_hospital(struct zt_store *s, const struct zt_hospital *h);
int zt_store_put_person(struct zt_store *s, const struct zt_person *p);
int zt_store_put_fund(struct zt_store *s, const struct zt_fund *f);
/* 0, or ZT_ENOTFOUND (no message set: not finding is an answer). */
int zt_store_get_hospital(struct zt_store *s, const char *code, struct zt_hospital *out);
int zt_store_get_person(struct zt_store *s, const char *psn_no, struct zt_person *out);
int zt_store_get_fund(struct zt_store *s, const char *code, struct zt_fund *out);

/* ---- policies ---------------------------------------------------- */
/* Stores a parsed policy with its source text. ZT_ECONFLICT if its dates
 * overlap a loaded policy of the same county (the message names it);
 * loading the identical document again is a no-op (*row_out = old row). */
int zt_store_put_policy(struct zt_store *s, const struct zt_policy *p, const char *xml,
                        size_t len, const char *actor, int64_t *row_out, int *was_new);

struct zt_policy_entry {
	int64_t row;
	struct zt_policy policy;
};
struct zt_policy_set {
	int count;
	struct zt_policy_entry *entries;
};
/* Loads every stored policy, parsed (cheap: a county has a handful). */
int zt_store_load_policies(struct zt_store *s, struct zt_policy_set *out);
void zt_policy_set_free(struct zt_policy_set *set);
/* The policy of `county` in force on `date`, or NULL. */
const struct zt_policy_entry *zt_policy_set_find(const struct zt_policy_set *set,
                                                 const char *county, zt_date date);

/* ---- claims and settlements -------------------------------------- */
/* The current (latest) claim under (hospital, claim_no). */
struct zt_claim_ref {
	int64_t claim_row;
	int seq;
	unsigned char digest[ZT_DIGEST_BYTES];
	int64_t settlement_row; /* the original settlement */
	char setl_id[32];
	bool reversed;          /* a reversal exists: the number is free again */
};
int zt_store_find_claim(struct zt_store *s, const char *hospital, const char *claim_no,
                        struct zt_claim_ref *out); /* 0 or ZT_ENOTFOUND */

/* Accumulator slot names: "basic", "crit_base", "crit_paid", "assist",
 * "relief:<fund code>". */
int zt_store_get_accum(struct zt_store *s, const char *psn_no, int year,
                       const struct zt_policy *p, struct zt_accum *out);

/* Everything one settlement writes. */
struct zt_settle_write {
	const struct zt_claim *claim;
	const unsigned char *digest;
	const char *items_text;       /* canonical items (zt_claim_items_text) */
	int seq;                      /* 1, or previous seq + 1 after a reversal */
	int64_t policy_row;
	const struct zt_policy *policy;
	const struct zt_split_ctx *ctx;
	int year;
	const struct zt_accum *accum_before;
	const struct zt_split_result *result;
	int share_count;
	const struct zt_fund_share *shares;
	const char *const *traces;    /* one XML fragment per share */
	const char *actor;
};
/* Writes claim, settlement, funds, accumulators and transfers. Returns the
 * new settlement's setl_id (≤ 31 chars) and row. */
int zt_store_write_settlement(struct zt_store *s, const struct zt_settle_write *w,
                              char setl_id_out[32], int64_t *row_out);

/* A settlement as stored, for output and for reversal. */
struct zt_stored_fund {
	char fund_code[ZT_FUND_CODE_BYTES];
	char kind[12];
	zt_fen amount;
	char slot[16];
	char *trace; /* owned */
};
struct zt_stored_settlement {
	int64_t row;
	char setl_id[32];
	char kind[8];          /* settle | reverse */
	char reverses_setl_id[32];
	char reason[ZT_MESSAGE_BYTES_MAX];
	char actor[ZT_ACTOR_BYTES];
	char settled_at[32];
	int64_t claim_row;
	int64_t policy_row;
	char policy_id[ZT_UTF8_BYTES(ZT_NAME_CHARS_MAX)];
	char fixmedins_code[ZT_UTF8_BYTES(ZT_CODE_CHARS_MAX)];
	char claim_no[ZT_UTF8_BYTES(ZT_CLAIM_NO_CHARS_MAX)];
	char psn_no[ZT_UTF8_BYTES(ZT_CODE_CHARS_MAX)];
	int year;
	char category[12];
	int hospital_level;
	bool in_county;
	zt_date adm_date, dscg_date;
	struct zt_classified cls;
	zt_fen act_pay_dedc;
	zt_bp pool_prop_bp;
	zt_fen hifp_pay, hifmi_pay, maf_pay, oth_pay;
	zt_fen fund_pay_sumamt, hosp_part_amt, psn_part_amt;
	zt_fen critical_base_added;
	int fund_count;
	struct zt_stored_fund funds[3 + ZT_RELIEF_MAX];
};
int zt_store_get_settlement(struct zt_store *s, int64_t row, struct zt_stored_settlement *out);
void zt_stored_settlement_free(struct zt_stored_settlement *st);
/* Every settlement (original and reversal) ever made under a claim number,
 * oldest first; calls `cb` for each. */
int zt_store_claim_history(struct zt_store *s, const char *hospital, const char *claim_no,
                           int (*cb)(void *ctx, const struct zt_stored_settlement *st),
                           void *ctx);

/* ---- finding claims (store_claims.c) ------------------------------ */
/* The row of the settlement or reversal `setl_id`: 0, or ZT_ENOTFOUND (no
 * message set: not finding is an answer). */
int zt_store_find_setl_id(struct zt_store *s, const char *setl_id, int64_t *row_out);
/* The row of the reversal of settlement `row`; 0 if it was never reversed. */
int zt_store_reversal_of(struct zt_store *s, int64_t row, int64_t *row_out);

struct zt_claim_filter {
	const char *psn_no;   /* NULL: every person   */
	const char *hospital; /* NULL: every hospital */
	zt_date from, to;     /* discharge dates, inclusive; 0: open-ended */
};
/* One settlement or reversal of a claim, as `claim list` shows it. The
 * strings are valid during the callback only. */
struct zt_claim_line {
	const char *setl_id, *kind /* settle | reverse */, *reverses /* "" */;
	const char *fixmedins_code, *claim_no, *psn_no;
	zt_date adm_date, dscg_date;
	zt_fen medfee_sumamt, fund_pay_sumamt, hosp_part_amt, psn_part_amt;
	const char *settled_at, *actor, *reason /* "" for a settlement */;
};
/* Every settlement and reversal of the claims that match `f`, ordered by
 * discharge date, hospital, claim number and the order they were made in
 * (a reversal after the settlement it reverses). The callback must not use
 * the store; a non-zero return stops the walk and is returned. */
int zt_store_claim_list(struct zt_store *s, const struct zt_claim_filter *f,
                        int (*cb)(void *ctx, const struct zt_claim_line *l), void *ctx);

/* Writes the reversal of settlement `orig` (docs/spec/split.md §6): a settlement of
 * kind 'reverse' with every amount negated, the accumulators taken back,
 * the opposite transfers. */
int zt_store_write_reversal(struct zt_store *s, const struct zt_stored_settlement *orig,
                            const char *reason, const char *actor,
                            const char *const *traces /* one per fund of orig */,
                            char setl_id_out[32], int64_t *row_out);

int zt_store_audit(struct zt_store *s, const char *actor, const char *action,
                   const char *subject, const char *detail);

/* ---- ledger ------------------------------------------------------ */
int zt_store_transfer(struct zt_store *s, const char *debit, const char *credit, zt_fen amount,
                      const char *kind, const char *ref, int64_t settlement_row);
int zt_store_account_balance(struct zt_store *s, const char *account, zt_fen *out);

/* ---- verify ------------------------------------------------------ */
/* Each check reports violations through `cb` (a one-line message) and
 * counts what it looked at. */
struct zt_verify_report {
	void *ctx;
	void (*violation)(void *ctx, const char *check, const char *message);
	void (*checked)(void *ctx, const char *check, int64_t count);
};
int zt_store_verify(struct zt_store *s, const struct zt_verify_report *r, int64_t *violations);

/* Row counts of every table (for `status` and the benchmark). */
int zt_store_counts(struct zt_store *s,
                    void (*cb)(void *ctx, const char *table, int64_t rows), void *ctx);

#endif
