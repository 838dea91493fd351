/* zhitong — the store port: every storage operation of the engine.
 *
 * The engine reaches storage only through this table of functions, in
 * domain terms (hospitals, settlements, transfers, batches), never in SQL.
 * An implementation fills a `struct zt_store_ops` and starts its handle
 * with a `struct zt_store`; zt_store_open() chooses it from the database
 * argument: SQLite (engine/src/store/sqlite/), and PostgreSQL
 * (engine/src/store/pg/) for a province, with several processes writing at
 * once, which implements the same table. docs/architecture.md "The store port" says
 * where what goes.
 *
 * Calling style, everywhere: through the handle's table,
 *
 *     rc = s->ops->claims.find(s, hospital, claim_no, &ref);
 *
 * Implementations depend on the engine's TYPES only (the structs and enums
 * of the domain headers, the name tables they export as data); they never
 * call domain logic. Domain rules — which shares a batch takes, which
 * status moves are allowed, who may approve, what a settlement posts to the
 * ledger, what an answer does to a batch — are C in the domain modules; the
 * store stores, reads, and refuses what would break the guarantees below.
 *
 * Every operation returns 0 or a negative ZT_E* with zt_error_last() set,
 * except where ZT_ENOTFOUND is documented as an answer "(no message)".
 * Strings handed to a callback are valid during the callback only; a
 * callback may not use the store unless its operation says so, and a
 * non-zero return from it stops the walk and is returned as is.
 *
 * ---- guarantees (every implementation; tests/test_store_conformance.c) ----
 *
 * G1 Writers are serialised where they meet. A WRITE transaction
 *    (begin(s, ZT_TXN_WRITE)) that reads a person's accumulators
 *    (claims.accum_get), an account's balance (ledger.*), a batch (batches.*)
 *    or the next number of anything (settlements, batches, plans,
 *    exceptions) sees them as no other uncommitted transaction will leave
 *    them: a second writer for the same person, account or batch waits
 *    until the first has committed or rolled back — or fails with
 *    ZT_EBUSY after the busy timeout — and never interleaves. (SQLite takes
 *    the database's write lock at begin, BEGIN IMMEDIATE; a server store
 *    may lock only the rows read for writing, SELECT … FOR UPDATE, taking
 *    them in a fixed order: person, then accounts by name.) Accumulators
 *    and balances are therefore exact whatever runs at once.
 * G2 Each claim is atomic, also inside a commit shared with other claims.
 *    savepoint() opens one nested level inside a WRITE transaction;
 *    rollback_to() undoes everything written since — rows, balances,
 *    accumulators, numbers handed out — and keeps the savepoint open;
 *    release() ends it, keeping what was written. A claim whose writes
 *    fail is rolled back to its savepoint and the transaction goes on with
 *    the other claims, which commit. Nothing of a transaction is visible to
 *    others before commit(); a crash or a failed commit leaves nothing.
 * G3 A claim share (settlement row, share seq) is in at most one batch, by
 *    a key of the store (a primary key on the share), not by a check in C:
 *    two batches made at once can never take the same share; the second
 *    insert fails with ZT_ECONFLICT.
 * G4 Facts are never updated or deleted: claims, settlements and their
 *    shares and traces, transfers, the audit trail, policies, plans,
 *    advances, batch shares, events, sends and rejections, bank entries,
 *    matches, exceptions and resolutions — refused by the database itself
 *    (triggers, privileges), whoever writes. (fixmedins_code, claim_no,
 *    seq) and setl_id are unique; a settlement's conservation
 *    (fund_pay_sumamt + hosp_part_amt + psn_part_amt = medfee_sumamt) is a
 *    constraint of the store.
 * G5 Every sum of money written — an account's balance, an accumulator, a
 *    batch's total, paid and returned — is computed overflow-checked
 *    before anything is written: ZT_ERANGE, naming what would overflow,
 *    and nothing of the operation stored. Money is whole fen (int64).
 * G6 A READ transaction sees one snapshot from begin to commit; reads
 *    outside a transaction see committed data. A store opened read-only
 *    writes nothing, ever.
 * G7 setl_id is "S" and the settlement row in twelve digits; exception ids
 *    "EXC-" and the row in six; rows of claims, settlements, transfers
 *    and audit records are numbered 1, 2, 3 … without gaps (verify checks). */
#ifndef ZHITONG_STORE_H
#define ZHITONG_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "actor.h"
#include "advance.h"
#include "audit.h"
#include "batch.h"
#include "catalog.h"
#include "claim.h"
#include "ledger.h"
#include "policy.h"
#include "pools.h"
#include "reconcile.h"
#include "registry.h"
#include "split.h"
#include "token.h"
#include "trace.h"
#include "verify.h"

/* The schema version this zhitong brings a database to (SQLite: PRAGMA
 * user_version after all migrations; PostgreSQL: meta 'schema.version'). */
#define ZT_STORE_VERSION 18

struct zt_store_ops;
/* The handle: an implementation's own struct starts with this one. */
struct zt_store {
	const struct zt_store_ops *ops;
};

/* How to open: options, never environment variables (the front door reads
 * those and fills this). */
/* ops->checkpoint's modes and what one did (pages of the log). */
enum zt_checkpoint_mode { ZT_CHECKPOINT_PASSIVE, ZT_CHECKPOINT_RESTART };
struct zt_checkpoint {
	long long log_pages;    /* the log's length when it ran */
	long long copied_pages; /* of which now in the database */
	bool restarted;         /* RESTART: the next commit starts the log afresh */
};

struct zt_store_options {
	bool readonly;       /* read only: verify, show, list, reports */
	bool create;         /* create the database if missing (init)  */
	int busy_timeout_ms; /* how long a writer waits for another (G1);
	                      * 0: ZT_STORE_BUSY_TIMEOUT_MS            */
	bool checkpoint_apart; /* this connection's commits never checkpoint
	                        * (SQLite: wal_autocheckpoint = 0): its owner
	                        * runs ops->checkpoint from another thread, so
	                        * a checkpoint never stalls a commit (the
	                        * service's group commit, settle_group.c) */
	/* PostgreSQL: told one line (no password in it) when the connection is
	 * lost and when it is made again (the store reconnects by itself,
	 * docs/operations.md "A failover"); NULL: nothing is told */
	void (*log)(void *ctx, const char *line);
	void *log_ctx;
};
#define ZT_STORE_BUSY_TIMEOUT_MS 600000 /* ten minutes: a desk waits, never fails */

/* Opens the store named by `target`: "PATH" or "sqlite:PATH" (SQLite),
 * "postgresql://…" or "postgres://…" (PostgreSQL: a libpq connection URI;
 * the password from the password or service file, never in it). `opts`
 * may be NULL (read-write, not created, default timeout). */
int zt_store_open(struct zt_store **out, const char *target, const struct zt_store_options *opts);
/* Rolls back an open transaction and frees the handle; NULL is a no-op. */
void zt_store_close(struct zt_store *s);

/* Copies every table of `from` (but meta, the engine's own) into `to`, a
 * store of any engine at the same schema version holding no row at all
 * (else ZT_ECONFLICT, nothing written): every column, ids included, in one
 * WRITE transaction of `to` read from one snapshot of `from` (`zhitong
 * store copy`, engine/src/store/agg/copy.c). progress (or NULL) after each
 * table with its rows. */
int zt_store_copy(struct zt_store *from, struct zt_store *to,
                  void (*progress)(void *ctx, const char *table, int64_t rows), void *ctx);
/* Compares every table of `a` with `b`, row by row (in the same order on
 * both: by every column) and column by column: *differences is how many
 * values, rows, columns or tables differ, the first ones of each table
 * told to `differ` (or NULL); `compared` (or NULL) after each table. */
int zt_store_compare(struct zt_store *a, struct zt_store *b,
                     void (*differ)(void *ctx, const char *table, const char *message),
                     void (*compared)(void *ctx, const char *table, int64_t rows), void *ctx,
                     int64_t *differences);

enum zt_txn_kind {
	ZT_TXN_READ,  /* one snapshot (G6)                      */
	ZT_TXN_WRITE, /* serialised with other writers (G1)     */
};

/* ---- claims and settlements: the records exchanged -------------------------- */

/* The current (latest) claim under (hospital, claim_no). */
struct zt_claim_ref {
	int64_t claim_row;
	int seq;
	unsigned char digest[ZT_DIGEST_BYTES];
	int64_t settlement_row; /* the original settlement */
	char setl_id[32];
	bool reversed;          /* a reversal exists: the number is free again */
};

/* A change of one of a person's accumulators (slots: trace.h). */
struct zt_accum_change {
	char slot[ZT_SLOT_BYTES];
	zt_fen before, after; /* after >= 0; before is what accum_get read */
};

/* One transfer to write (the domain builds them: ledger.h). */
struct zt_posting {
	const char *debit, *credit;
	zt_fen amount;      /* > 0 */
	const char *kind;   /* settle reverse advance payment … */
	const char *ref;    /* setl_id, advance id, bank reference … */
};

/* One paying fund of a settlement to write. */
struct zt_share_write {
	const char *fund_code;
	enum zt_fund_kind kind;
	zt_fen amount;
	const char *slot;              /* the accumulator it moved */
	const struct zt_fund_trace *trace;
};

/* Everything one settlement writes, in one call (G2: all of it or none). */
struct zt_settle_write {
	const struct zt_claim *claim;
	const unsigned char *digest;
	const char *items_text;       /* canonical items (zt_claim_items_text) */
	int seq;                      /* 1, or previous seq + 1 after a reversal */
	int64_t policy_row;
	int year;
	zt_category category;
	int hospital_level;
	bool in_county;
	const struct zt_split_result *result;
	int share_count;
	const struct zt_share_write *shares;
	int accum_count;
	const struct zt_accum_change *accums;
	int posting_count;            /* ref and settlement row are the store's */
	const struct zt_posting *postings;
	const char *actor;
	const char *pool;             /* of the hospital's county (pools.h); NULL: default */
};

/* The national funds of a supplementary policy (<national-funds>): the
 * names under which a claim's national amounts are booked and shown. */
struct zt_national_funds {
	char basic[ZT_FUND_CODE_BYTES], critical[ZT_FUND_CODE_BYTES],
		assistance[ZT_FUND_CODE_BYTES];
};

/* A live settlement standing on a national settlement that the national
 * platform reversed (claims.national_reversed_live). */
struct zt_national_reversed_line {
	const char *national_setl_id;
	zt_date reversed_on;
	const char *setl_id, *fixmedins_code, *claim_no, *psn_no;
	zt_date dscg_date;
	zt_fen medfee_sumamt, oth_pay, hosp_part_amt;
};

/* A settlement as stored, for output and for reversal. */
struct zt_stored_fund {
	char fund_code[ZT_FUND_CODE_BYTES];
	char kind[12];
	zt_fen amount;
	char slot[ZT_SLOT_BYTES];
	struct zt_fund_trace trace;
};
struct zt_catalog_item_diff; /* below */
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
	/* docs/spec/rules-v2.md §2: the catalogue it classified with ("" for
	 * none) and how many items it classed otherwise than the hospital
	 * sent — filled by the use cases (catalogs.settlement_get), never by
	 * claims.get; the items themselves only by zt_claims_show (valid during
	 * its callback). */
	char catalog_id[ZT_UTF8_BYTES(ZT_NAME_CHARS_MAX)];
	int64_t catalog_differs;
	int catalog_item_count;
	const struct zt_catalog_item_diff *catalog_items;
	int fund_count;
	struct zt_stored_fund funds[3 + ZT_RELIEF_MAX];
	/* Claim v2 (docs/spec/claim-v2-national.md): the version its claim was
	 * read in (1 or 2), and for a claim settled on top of the national
	 * platform the national settlement it stands on ("" if none) and the
	 * national funds its policy named (hifp_pay, hifmi_pay, maf_pay are
	 * theirs; they are no share of setldetail). A reversal carries its
	 * settlement's. */
	int claim_version;
	char national_setl_id[ZT_NATIONAL_SETL_ID_CHARS_MAX + 1];
	struct zt_national_funds national_funds;
	/* the pool it was settled for (pools.h; 018), a reversal its
	 * settlement's: its fund shares are on that pool's books */
	char pool[ZT_POOL_ID_BYTES];
};

/* The reversal of settlement `orig` (docs/spec/split.md §6): a settlement
 * of kind 'reverse' with every amount negated, the accumulators taken back
 * to `accums`, the postings (the opposite transfers). */
struct zt_reversal_write {
	const struct zt_stored_settlement *orig;
	const char *reason, *actor;
	const struct zt_fund_trace *traces; /* one per fund of orig */
	int accum_count;
	const struct zt_accum_change *accums;
	int posting_count;
	const struct zt_posting *postings;
};

struct zt_claim_filter {
	const char *psn_no;   /* NULL: every person   */
	const char *hospital; /* NULL: every hospital */
	zt_date from, to;     /* discharge dates, inclusive; 0: open-ended */
};
/* One settlement or reversal of a claim, as `claim list` shows it. */
struct zt_claim_line {
	const char *setl_id, *kind /* settle | reverse */, *reverses /* "" */;
	const char *fixmedins_code, *claim_no, *psn_no;
	zt_date adm_date, dscg_date;
	zt_fen medfee_sumamt, fund_pay_sumamt, hosp_part_amt, psn_part_amt;
	const char *settled_at, *actor, *reason /* "" for a settlement */;
};

/* A claim as stored, for verify to re-derive (claim.h) and for the slip. */
struct zt_stored_claim {
	int64_t row;
	const char *fixmedins_code, *claim_no, *psn_no, *dscg_maindiag_code;
	zt_date adm_date, dscg_date;
	zt_fen medfee_sumamt;
	int64_t item_count;
	const char *items;             /* NULL if missing */
	const unsigned char *digest;
	int digest_bytes;
	/* claim v2 (docs/spec/claim-v2-national.md §1): NULL when absent */
	const char *ipt_no, *dept_name;
	bool has_deposit;
	zt_fen deposit;
};

/* A stored policy: the domain parses its source (policy.h). Its version
 * state (docs/spec/rules-v2.md §4): pending until approved when the
 * configuration asks for a second person, active, or replaced (a version
 * no settlement used, corrected: kept for the record, never used). */
enum zt_policy_status { ZT_POLICY_PENDING = 0, ZT_POLICY_ACTIVE = 1, ZT_POLICY_REPLACED = 2 };
struct zt_stored_policy {
	int64_t row;
	const char *policy_id;
	const char *xml;
	size_t len;
	const char *county;
	zt_date effective_from, effective_to; /* as loaded; to 0 = open-ended */
	zt_date ends;                   /* last day in force now (superseded: earlier); 0 = open */
	enum zt_policy_status status;
	int64_t replaces, supersedes;   /* the row it replaced or superseded, 0 if none */
	const char *digest;             /* SHA-256 of the source, hex */
	const char *loaded_at, *loaded_by;
	const char *approved_at, *approved_by; /* "" unless approved by a second person */
};
/* How a policy is stored (policies.put). */
struct zt_policy_put {
	bool pending;                   /* [rules] approval = required */
	int64_t replaces, supersedes;   /* 0: none */
};

/* A catalogue as stored (docs/spec/rules-v2.md §2): its header; the
 * entries are read apart (catalogs.entries). */
enum zt_catalog_status { ZT_CATALOG_PENDING = 0, ZT_CATALOG_ACTIVE = 1 };
struct zt_stored_catalog {
	int64_t row;
	struct zt_catalog_info info;   /* as loaded; effective_to 0 = open-ended */
	zt_date ends;                  /* last day in force now (superseded: earlier); 0 = open */
	enum zt_catalog_status status; /* pending until approved ([rules] approval) */
	int64_t supersedes;            /* the row it supersedes, 0 if none */
	char digest[65];               /* SHA-256 of the document, hex */
	int64_t entry_count;
	char loaded_at[32];
	char loaded_by[ZT_ACTOR_BYTES];
	char approved_at[32];          /* "" while pending or when loaded active */
	char approved_by[ZT_ACTOR_BYTES];
};

/* An item a catalogue classed otherwise than the hospital sent. */
struct zt_catalog_item_diff {
	int item;                      /* 1-based, in claim order */
	const char *code;
	int sent_lv, used_lv;          /* 1..3 */
	bool sent_has_ceiling, used_has_ceiling;
	zt_q4 sent_ceiling, used_ceiling;
	bool found;                    /* an entry was in force (else 03) */
};

/* The catalogue a settlement used. */
struct zt_settlement_catalog {
	int64_t catalog_row;
	char catalog_id[ZT_UTF8_BYTES(ZT_NAME_CHARS_MAX)];
	int64_t differs;
};

/* ---- the table -------------------------------------------------------------- */

struct zt_store_registry_ops {
	/* Upserts (registry load). */
	int (*put_hospital)(struct zt_store *s, const struct zt_hospital *h);
	int (*put_person)(struct zt_store *s, const struct zt_person *p);
	int (*put_fund)(struct zt_store *s, const struct zt_fund *f);
	/* 0, or ZT_ENOTFOUND (no message: not finding is an answer). */
	int (*get_hospital)(struct zt_store *s, const char *code, struct zt_hospital *out);
	/* A person with their category periods (period_count 0: none; version
	 * 0: not read from a file). */
	int (*get_person)(struct zt_store *s, const char *psn_no, struct zt_person *out);
	int (*get_fund)(struct zt_store *s, const char *code, struct zt_fund *out);
	/* The person of an ID number (the desk's lookup, docs/spec/service.md:
	 * persons): the lowest psn_no holding it; 0 or ZT_ENOTFOUND (no
	 * message). */
	int (*find_person_by_id_no)(struct zt_store *s, const char *id_no, struct zt_person *out);
	/* Every hospital, in code order (bytewise). */
	int (*each_hospital)(struct zt_store *s, int (*cb)(void *ctx, const struct zt_hospital *h),
	                     void *ctx);
	/* A person's category periods (docs/spec/rules-v2.md §3), replaced as
	 * a whole (n 0: none left); the person must be stored. */
	int (*put_periods)(struct zt_store *s, const char *psn_no,
	                   const struct zt_category_period *periods, int n);
	/* The person's periods in the order stored (*n 0: none). */
	int (*get_periods)(struct zt_store *s, const char *psn_no,
	                   struct zt_category_period out[ZT_CATEGORY_PERIODS_MAX], int *n);
	/* ---- the pools as the configuration last said (pools.h; 018) ---- */
	/* Every place stored: the counties in code order, then the accounts. */
	int (*pools_each)(struct zt_store *s, int (*cb)(void *ctx, const struct zt_pool_place *p),
	                  void *ctx);
	/* Replaces every place stored by these; in the caller's WRITE
	 * transaction. */
	int (*pools_replace)(struct zt_store *s, const struct zt_pool_place *v, size_t n);
	/* The pool whose account `account` is: 0, or ZT_ENOTFOUND (no message). */
	int (*pool_of_account)(struct zt_store *s, const char *account,
	                       char pool[ZT_POOL_ID_BYTES]);
};

struct zt_store_policy_ops {
	/* Stores a parsed policy with its source text and its version state
	 * (how NULL: active, amending nothing). The identical document (same
	 * id and digest) again, not replaced, is a no-op (*row_out = its row,
	 * *was_new false). The rules of docs/spec/rules-v2.md §4 (overlaps,
	 * replace, supersede) are the caller's (policy_load.c). */
	int (*put)(struct zt_store *s, const struct zt_policy *p, const char *xml, size_t len,
	           const char *actor, const struct zt_policy_put *how, int64_t *row_out,
	           bool *was_new);
	/* Every stored policy, in the order loaded. */
	int (*each)(struct zt_store *s, int (*cb)(void *ctx, const struct zt_stored_policy *p),
	            void *ctx);
	/* Moves a version's last day in force earlier (a supersede). */
	int (*set_ends)(struct zt_store *s, int64_t row, zt_date ends);
	/* A pending version made active, approved by `actor` now. */
	int (*approve)(struct zt_store *s, int64_t row, const char *actor);
	/* A version marked replaced (never used again). */
	int (*mark_replaced)(struct zt_store *s, int64_t row);
	/* How many settlements (not reversed) of claims discharged on or after
	 * `from` (0: any day) used version `row`. */
	int (*used)(struct zt_store *s, int64_t row, zt_date from, int64_t *out);
};

struct zt_store_claim_ops {
	/* The current claim under (hospital, claim_no): 0 or ZT_ENOTFOUND
	 * (no message). */
	int (*find)(struct zt_store *s, const char *hospital, const char *claim_no,
	            struct zt_claim_ref *out);
	/* The person's accumulator slots of `year` that were ever written. */
	int (*accum_get)(struct zt_store *s, const char *psn_no, int year,
	                 int (*cb)(void *ctx, const char *slot, zt_fen amount), void *ctx);
	/* A hint, NULL where the engine has no use for it: the calls settling
	 * a claim are coming — find (hospital, claim_no), registry.get_hospital
	 * (hospital), registry.get_person (psn_no), accum_get (psn_no, year).
	 * PostgreSQL reads them now, in one round trip, and those calls take
	 * what it read unless something was written meanwhile. 0 or ZT_E*. */
	int (*prefetch)(struct zt_store *s, const char *hospital, const char *claim_no,
	                const char *psn_no, int year);
	/* A hint, NULL where the engine has no use for it: the same reads of
	 * a claim after the one about to be settled, sent now without waiting
	 * for its prefetch to take (PostgreSQL, in a write transaction whose
	 * rows are written at commit: the server reads while the client
	 * settles). *sent 1 when they were sent, 0 when not (the claim may
	 * be written before it comes: it is read when it does), -1 when the
	 * reads sent before were dropped since the last call (something else
	 * went to the server): nothing sent, the caller starts again from the
	 * claim about to be settled. The caller sends a claim's only after
	 * those of the claims before it and none twice. */
	int (*read_ahead)(struct zt_store *s, const char *hospital, const char *claim_no,
	                  const char *psn_no, int year, int *sent);
	/* Writes claim, settlement, shares with their traces, accumulators and
	 * postings, in the caller's WRITE transaction (G2, G5). Returns the
	 * new settlement's setl_id and row. Refuses (ZT_EINTERNAL) what breaks
	 * the settlement's own arithmetic: shares that do not sum to its fund
	 * amounts, postings that do not move its medfee_sumamt, an accumulator
	 * change from a value it does not hold or below zero. */
	int (*write_settlement)(struct zt_store *s, const struct zt_settle_write *w,
	                        char setl_id_out[32], int64_t *row_out);
	int (*write_reversal)(struct zt_store *s, const struct zt_reversal_write *w,
	                      char setl_id_out[32], int64_t *row_out);
	/* A settlement with its shares and traces; ZT_ENOTFOUND (message set). */
	int (*get)(struct zt_store *s, int64_t row, struct zt_stored_settlement *out);
	/* The claim of row `claim_row` (a settlement's claim_row) to `cb`, its
	 * canonical items included (the callback may not use the store);
	 * ZT_ENOTFOUND (message set). */
	int (*get_claim)(struct zt_store *s, int64_t claim_row,
	                 int (*cb)(void *ctx, const struct zt_stored_claim *c), void *ctx);
	/* The row of setl_id: 0 or ZT_ENOTFOUND (no message). */
	int (*find_setl_id)(struct zt_store *s, const char *setl_id, int64_t *row_out);
	/* The row of the reversal of settlement `row`; 0 if never reversed. */
	int (*reversal_of)(struct zt_store *s, int64_t row, int64_t *row_out);
	/* Every settlement and reversal under a claim number, oldest first;
	 * ZT_ENOTFOUND (no message) when there is none. The callback may use
	 * the store. */
	int (*history)(struct zt_store *s, const char *hospital, const char *claim_no,
	               int (*cb)(void *ctx, const struct zt_stored_settlement *st), void *ctx);
	/* Every settlement and reversal of the claims that match `f`, ordered
	 * by discharge date, hospital, claim number and the order they were
	 * made in. */
	int (*list)(struct zt_store *s, const struct zt_claim_filter *f,
	            int (*cb)(void *ctx, const struct zt_claim_line *l), void *ctx);

	/* ---- claim v2 and the national platform (docs/spec/claim-v2-national.md) */
	/* Stores what claim v2 `c` carries beside the v1 fields, for the claim
	 * of settlement `settlement_row` (just written, same transaction);
	 * `funds` non-NULL when it was settled on top of the national platform
	 * (c has <national>): its national setl_id is then in use, and
	 * ZT_ECONFLICT (message names it) if another live settlement stands on
	 * it. Nothing for a v1 claim. */
	int (*v2_put)(struct zt_store *s, int64_t settlement_row, const struct zt_claim *c,
	              const struct zt_national_funds *funds);
	/* The live (not reversed) settlement standing on national settlement
	 * `national_setl_id`: 0 and its row, or ZT_ENOTFOUND (no message). */
	int (*national_live)(struct zt_store *s, const char *national_setl_id, int64_t *row_out);
	/* Every stored claim v2 in claim row order, as a claim holding only
	 * its version and v2 fields (for verify). */
	int (*v2_each)(struct zt_store *s,
	               int (*cb)(void *ctx, int64_t claim_row, const struct zt_claim *c), void *ctx);
	/* Records that the national platform reversed `national_setl_id` on
	 * `reversed_on`; *was_new false when it was recorded already (the
	 * first record stays). */
	int (*national_reversed_put)(struct zt_store *s, const char *national_setl_id,
	                             zt_date reversed_on, const char *file, const char *actor,
	                             bool *was_new);
	/* Every live settlement standing on a national settlement the platform
	 * reversed, by national setl_id. */
	int (*national_reversed_live)(struct zt_store *s,
	                              int (*cb)(void *ctx, const struct zt_national_reversed_line *l),
	                              void *ctx);
};

struct zt_store_ledger_ops {
	/* Writes one transfer (settlement_row 0: not a settlement's) and moves
	 * both balances, overflow-checked before anything is written (G5):
	 * ZT_ERANGE naming the account. In the caller's WRITE transaction. */
	int (*post)(struct zt_store *s, const struct zt_posting *t, int64_t settlement_row);
	/* The balance with what the open transaction moved; *exists false and 0
	 * for an account no transfer ever touched. */
	int (*balance)(struct zt_store *s, const char *account, zt_fen *out, bool *exists);
	/* Every account with its balance, in name order (bytewise). */
	int (*balances)(struct zt_store *s, int (*cb)(void *ctx, const char *account, zt_fen balance),
	                void *ctx);
	/* The sum of `account`'s transfers made before `before_at` (a stored
	 * timestamp; "": nothing is before). ZT_ERANGE beyond int64. */
	int (*balance_before)(struct zt_store *s, const char *account, const char *before_at,
	                      zt_fen *out);
	/* The transfers of `account` made at or after `since_at` ("": all), in
	 * the order written. */
	int (*transfers)(struct zt_store *s, const char *account, const char *since_at,
	                 zt_transfer_cb cb, void *ctx);
	/* Every transfer with a debit or credit account starting with `prefix`,
	 * in the order written. */
	int (*scan)(struct zt_store *s, const char *prefix, zt_transfer_cb cb, void *ctx);
	/* The transfers summed per debit, credit and the pool of their
	 * settlement ("" for a transfer of none), in no order: each pool's
	 * books (ledger.h). */
	int (*legs)(struct zt_store *s,
	            int (*cb)(void *ctx, const char *debit, const char *credit, const char *pool,
	                      zt_fen sum),
	            void *ctx);
};

struct zt_store_advance_ops {
	/* Highest row so far (0 if none) of plans / advances; in a WRITE
	 * transaction the next row is this + 1 (G1). */
	int (*plan_last_row)(struct zt_store *s, int64_t *out);
	int (*last_row)(struct zt_store *s, int64_t *out);
	/* Stores a plan with its lines (row and plan_id set by the caller). */
	int (*plan_put)(struct zt_store *s, const struct zt_advance_plan *p);
	/* A plan with its approval and issue; ZT_ENOTFOUND (message set). The
	 * lines are malloc'd: zt_advance_plan_free. */
	int (*plan_get)(struct zt_store *s, const char *plan_id, struct zt_advance_plan *out);
	/* Every plan's id, in the order made (the callback may not use the store). */
	int (*plan_ids)(struct zt_store *s, int (*cb)(void *ctx, const char *plan_id), void *ctx);
	int (*approval_put)(struct zt_store *s, int64_t plan_row, const char *actor);
	/* An advance with row > after_row to a hospital the plan pays (top-up >
	 * 0): 0 and *out, or ZT_ENOTFOUND (no message). */
	int (*newer)(struct zt_store *s, int64_t plan_row, int64_t after_row, struct zt_advance *out);
	int (*put)(struct zt_store *s, const struct zt_advance *a);
	/* By advance id (the EndToEndId); ZT_ENOTFOUND (message set). */
	int (*get)(struct zt_store *s, const char *advance_id, struct zt_advance *out);
	/* Every advance, oldest first. */
	int (*each)(struct zt_store *s, int (*cb)(void *ctx, const struct zt_advance *a), void *ctx);
};

struct zt_store_batch_ops {
	/* The next number of fund `fund_code`'s batches (G1). */
	int (*next_seq)(struct zt_store *s, const char *fund_code, int64_t *out);
	/* A new draft batch: id, fund_code, seq, through, created_by (the rest
	 * is counted by set_totals; created_at is the transaction's time). */
	int (*insert)(struct zt_store *s, const struct zt_batch *b);
	/* Appends an event as given (status_from "": the creation); at is the
	 * transaction's time. */
	int (*add_event)(struct zt_store *s, const char *id, const struct zt_batch_event *e);
	/* Every share of `fund_code` in no batch yet, discharged on or before
	 * `through` (0: any), in (settlement, share) order, with what the rule of
	 * batch.h needs to know; the callback decides (it may call add_share,
	 * nothing else). */
	int (*candidates)(struct zt_store *s, const char *fund_code, zt_date through,
	                  int (*cb)(void *ctx, const struct zt_batch_candidate *c), void *ctx);
	/* Puts a share in batch `id` (G3: ZT_ECONFLICT if it is in one). */
	int (*add_share)(struct zt_store *s, const char *id, int64_t settlement_row, int seq,
	                 bool payable);
	/* Stores what the batch's records add up to; ZT_EINTERNAL if that is
	 * not what its records add up to in the store (G5). */
	int (*set_totals)(struct zt_store *s, const char *id, const struct zt_batch_totals *t);
	/* 0, or ZT_ENOTFOUND (message set). */
	int (*get)(struct zt_store *s, const char *id, struct zt_batch *out);
	/* Every batch, of one fund or (NULL) all, in creation order. */
	int (*list)(struct zt_store *s, const char *fund_code,
	            int (*cb)(void *ctx, const struct zt_batch *b), void *ctx);
	/* Compare-and-set: moves `id` from `from` to `to` (from == to: no move)
	 * and records the event; ZT_ECONFLICT (message names the status it is
	 * in) if the batch is not in `from`. The domain decides what is allowed. */
	int (*set_status)(struct zt_store *s, const char *id, enum zt_batch_status from,
	                  enum zt_batch_status to, const struct zt_batch_event *e);
	int (*set_approved)(struct zt_store *s, const char *id, const char *actor);
	/* What an export wrote; the first export's digest and time stay. */
	int (*set_exported)(struct zt_store *s, const char *id, const char *file_path,
	                    const char *file_sha256, const char *digest, const char *key_type);
	/* Appends to the log of hand-overs (at: the transaction's time). */
	int (*add_send)(struct zt_store *s, const char *id, const struct zt_batch_send_log *l);
	/* Marks the records the payer rejected. ZT_ECONFLICT (nothing marked)
	 * if one is not in the batch or is named twice. */
	int (*reject_records)(struct zt_store *s, const char *id,
	                      const struct zt_batch_reject *rejects, size_t n);
	/* The records of batch `id` the payer rejected and the reversals in it
	 * of records the payer rejected, in file order. */
	int (*rejected_records)(struct zt_store *s, const char *id,
	                        int (*cb)(void *ctx, const struct zt_batch_rejected *r), void *ctx);
	/* The payer's answer: receipt and accepted total (the domain's). */
	int (*set_answer)(struct zt_store *s, const char *id, const char *receipt,
	                  zt_fen accepted_total);
	/* Compare-and-set of status and paid (the caller read paid_before and
	 * returned in this transaction); ZT_ECONFLICT when the batch changed. */
	int (*set_paid)(struct zt_store *s, const char *id, enum zt_batch_status from,
	                enum zt_batch_status to, zt_fen paid_before, zt_fen paid, zt_fen returned,
	                const struct zt_batch_event *e);
	/* Records money paid back to the fund (r->row and r->at filled) and the
	 * compare-and-set of status and returned, likewise. */
	int (*add_return)(struct zt_store *s, struct zt_batch_return *r, enum zt_batch_status from,
	                  enum zt_batch_status to, zt_fen returned_before, zt_fen returned,
	                  const struct zt_batch_event *e);
	int (*repay_count)(struct zt_store *s, const char *id, int64_t *out);
	/* 0, or ZT_ENOTFOUND (no message). */
	int (*return_get)(struct zt_store *s, const char *return_id, struct zt_batch_return *out);
	int (*returns)(struct zt_store *s, const char *id,
	               int (*cb)(void *ctx, const struct zt_batch_return *r), void *ctx);
	/* The records of batch `id` in file order (settlement, then share),
	 * with constant memory whatever the batch's size; the cursor holds a
	 * statement of its own and may be read on another thread than the
	 * store's (one at a time). next: 1 and *out filled (valid until the
	 * next call), 0 at the end, or a negative ZT_E*. `what`: 0 or
	 * ZT_BATCH_RECORDS_* (a bool true is ZT_BATCH_RECORDS_REJECTED). */
	int (*records)(struct zt_store *s, const char *id, unsigned what,
	               struct zt_batch_cursor **out);
	int (*next)(struct zt_batch_cursor *c, struct zt_batch_record *out);
	void (*records_close)(struct zt_batch_cursor *c);
	int (*events)(struct zt_store *s, const char *id,
	              int (*cb)(void *ctx, const struct zt_batch_event *e), void *ctx);
	int (*sends)(struct zt_store *s, const char *id,
	             int (*cb)(void *ctx, const struct zt_batch_send_log *l), void *ctx);
};

/* What batches.records reads: only the records the payer rejected; the
 * records without the reviewer's fields (psn_name, id_no, adm_date,
 * dscg_maindiag_code: ""; medfee_sumamt 0), which a payer file of version
 * 1 does not carry and which cost a read of the person and of the claim's
 * row each (issue 8). */
#define ZT_BATCH_RECORDS_REJECTED 1u
#define ZT_BATCH_RECORDS_NO_REVIEW 2u

struct zt_store_bank_ops {
	/* The log of imports (in the caller's transaction). */
	int (*import_start)(struct zt_store *s, const char *file, const char *file_sha256,
	                    int version, const char *msg_id, const char *actor, int64_t *row_out);
	int (*import_finish)(struct zt_store *s, int64_t row, int64_t reported, int64_t stored,
	                     int64_t known, int64_t not_booked);
	/* The account of the entries stored so far ("" if none). */
	int (*account)(struct zt_store *s, char out[64]);
	/* Stores e once: *was_new false and *row_out the stored row when its ref
	 * is stored already with the same direction, amount and currency;
	 * ZT_ECONFLICT (message names both) when with others. */
	int (*entry_put)(struct zt_store *s, int64_t import_row, const struct zt_recon_entry *e,
	                 int64_t *row_out, bool *was_new);
	int (*entry_get)(struct zt_store *s, int64_t row, struct zt_recon_entry *out);
	/* Entries stored before row `before_row` (INT64_MAX: all) neither matched
	 * nor in an exception, oldest first. The rows are read first: the
	 * callback may write. */
	int (*open_entries)(struct zt_store *s, int64_t before_row,
	                    int (*cb)(void *ctx, const struct zt_recon_entry *e), void *ctx);
	/* A batch as the rules see it; ZT_ENOTFOUND (no message). */
	int (*batch)(struct zt_store *s, const char *id, struct zt_recon_batch *out);
	/* Whether a bank entry confirmed the advance. */
	int (*advance_confirmed)(struct zt_store *s, const char *advance_id, bool *out);
	/* A match (entry_row 0 for a write-off without entry; advance_id and
	 * return_id NULL for batches; exception_row 0 when automatic) and its
	 * parts. */
	int (*match_put)(struct zt_store *s, int64_t entry_row, const char *advance_id,
	                 const char *return_id, int64_t exception_row, const char *actor,
	                 int64_t *row_out);
	int (*alloc_put)(struct zt_store *s, int64_t match_row, const char *batch_id, zt_fen amount,
	                 zt_fen written_off);
	/* Stores x (raised_at: now), numbering it: fills x->row and x->exc_id. */
	int (*exception_put)(struct zt_store *s, struct zt_recon_exception *x);
	/* 0, or ZT_ENOTFOUND (message set). */
	int (*exception_get)(struct zt_store *s, const char *exc_id, struct zt_recon_exception *out);
	/* Whether an exception of `kind` about batch / advance / repayment (no
	 * entry) exists, resolved or not. */
	int (*due_exists)(struct zt_store *s, enum zt_recon_kind kind, const char *batch_id,
	                  const char *advance_id, const char *return_id, bool *out);
	int (*resolution_put)(struct zt_store *s, int64_t exception_row, enum zt_recon_resolution r,
	                      const char *target, const char *note, const char *actor);
	/* Closes (as settled) the open exceptions without entry about batch_id
	 * (its own, not its repayments'), advance_id or return_id whose kind is
	 * `kind` (or any: kind < 0). */
	int (*settle_due)(struct zt_store *s, int kind, const char *batch_id, const char *advance_id,
	                  const char *return_id, const char *note, const char *actor,
	                  int64_t *closed_out);
	/* Whether any exception without entry is open. */
	int (*due_open)(struct zt_store *s, bool *out);
	/* Every exception (only the open ones if open_only), oldest first. */
	int (*exceptions)(struct zt_store *s, bool open_only,
	                  int (*cb)(void *ctx, const struct zt_recon_exception *x), void *ctx);
	/* Batches first sent to the payer on or before `sent_by`, with their
	 * status and money (the domain decides which are due); advances
	 * executed on or before `executed_by` that no entry confirmed;
	 * repayments to execute by then that no debit confirmed. Rows are read
	 * first: the callbacks may write. */
	int (*sent_batches)(struct zt_store *s, zt_date sent_by,
	                    int (*cb)(void *ctx, const struct zt_recon_batch *b), void *ctx);
	int (*due_advances)(struct zt_store *s, zt_date executed_by,
	                    int (*cb)(void *ctx, const struct zt_advance *a), void *ctx);
	int (*due_returns)(struct zt_store *s, zt_date executed_by,
	                   int (*cb)(void *ctx, const struct zt_batch_return *r), void *ctx);
	/* The report's sums per fund and pool of its batches (a fund with none:
	 * one line, pool ""; consecutive per fund; outstanding is the
	 * domain's), advances confirmed per hospital, the entries waiting
	 * (with their account), billed and paid per day and pool (ascending
	 * days). */
	int (*report_funds)(struct zt_store *s,
	                    int (*cb)(void *ctx, const struct zt_recon_fund_line *f), void *ctx);
	int (*confirmed)(struct zt_store *s, const char *hospital, zt_fen *out);
	int (*report_open)(struct zt_store *s,
	                   int (*cb)(void *ctx, const struct zt_recon_open_line *o), void *ctx);
	int (*report_days)(struct zt_store *s, int (*cb)(void *ctx, const struct zt_recon_day *d),
	                   void *ctx);
};

/* One record to append to the audit trail (docs/spec/service.md "Audit
 * trail"): what a use case knows; the store numbers, dates and chains it. */
struct zt_audit_write {
	const char *actor;         /* the user (or the command line's --by) */
	const char *operator_name; /* X-Operator, or NULL */
	const char *token_id;      /* which of the user's tokens, or NULL */
	const char *client;        /* the client's address, or NULL */
	const char *action;        /* "claim reverse", "user add" ... */
	const char *subject;       /* what it was done to ("" for nothing) */
	const unsigned char *digest; /* ZT_AUDIT_HASH_BYTES of what changed, or NULL */
	const char *detail;        /* or NULL */
};

/* Which records `audit.each` reads. */
struct zt_audit_filter {
	int64_t after_seq; /* records numbered after this one (0: from the first) */
	int64_t limit;     /* at most this many (0: all) */
	const char *from;  /* the UTC day of `at` on or after this "YYYY-MM-DD", or NULL */
	const char *to;    /* on or before this day, or NULL */
	const char *actor; /* of this user only (exactly as stored), or NULL */
};

struct zt_store_audit_ops {
	/* Appends to the audit trail (at: the transaction's time): write()
	 * with the actor, action, subject and detail only. */
	int (*add)(struct zt_store *s, const char *actor, const char *action, const char *subject,
	           const char *detail);
	/* ---- the hash chain (audit.h), issue 11 ----
	 * Appends one record, in the caller's WRITE transaction: its number is
	 * the last record's + 1, its time the transaction's, and it is chained
	 * to the last record by zt_audit_append (audit.h: the canonical form
	 * and its hash are the engine's, never the store's own). Every record,
	 * add()'s too, is chained; *seq_out (may be NULL) its number. */
	int (*write)(struct zt_store *s, const struct zt_audit_write *w, int64_t *seq_out);
	/* The records `f` selects (NULL: all), in sequence order, each with
	 * the previous hash and hash stored with it (a hash that is missing or
	 * not 64 hex digits reads as zeros: the verifier sees it altered). */
	int (*each)(struct zt_store *s, const struct zt_audit_filter *f,
	            int (*cb)(void *ctx, const struct zt_audit_record *r), void *ctx);
	/* The store's count of records ever written (meta 'audit.last-id'),
	 * kept apart from the records by a trigger: the verifier's anchor. */
	int (*written)(struct zt_store *s, int64_t *out);
};

/* ---- users and their tokens (docs/spec/service.md "Users, roles and
 * tokens"; issue 11) ---- */

/* A user as stored. Strings are valid during the callback only. */
struct zt_stored_user {
	const char *name;       /* normalised (actor.h) */
	unsigned roles;         /* ZT_USER_* of access.h: one role */
	const char *hospitals;  /* a desk's hospitals, sorted, joined by ',' ("" none) */
	const char *funds;      /* a fund administrator's funds, likewise */
	const char *pools;      /* the pools it reaches, likewise ("": every pool; 017) */
	bool enabled;
	const char *created_by, *created_at;
	bool has_token;         /* keys.current is set */
	struct zt_token_keys keys; /* only hashes: never a token's text */
	const char *token_at;   /* when the current token was issued ("" if none) */
	const char *password_hash; /* the console's password: argon2id encoded, or NULL */
	int64_t failed_logins;  /* failed console logins since the last success */
	int64_t locked_until_s; /* the console's login is locked until this Unix second (0: not) */
};

struct zt_store_user_ops {
	/* A new user (enabled, no token; created_at: the transaction's time).
	 * ZT_ECONFLICT (message names it) if the name is taken. */
	int (*put)(struct zt_store *s, const struct zt_stored_user *u);
	/* The user `name` to cb: 0, or ZT_ENOTFOUND (no message). */
	int (*get)(struct zt_store *s, const char *name,
	           int (*cb)(void *ctx, const struct zt_stored_user *u), void *ctx);
	/* Every user, in name order (bytewise). */
	int (*each)(struct zt_store *s, int (*cb)(void *ctx, const struct zt_stored_user *u),
	            void *ctx);
	/* How many users exist (enabled or not). */
	int (*count)(struct zt_store *s, int64_t *out);
	/* ZT_ENOTFOUND (message set) for an unknown name. */
	int (*set_enabled)(struct zt_store *s, const char *name, bool enabled);
	/* The user's token hashes as zt_token_roll left them, or (k NULL) none
	 * at all: revoked. token_at is the transaction's time. ZT_ENOTFOUND
	 * (message set) for an unknown name. */
	int (*set_keys)(struct zt_store *s, const char *name, const struct zt_token_keys *k);
	/* The user holding `h` as current or previous token, to cb (whether it
	 * is still valid is zt_token_match's to say): 0, or ZT_ENOTFOUND (no
	 * message). By an index on the hashes: the secret is never compared. */
	int (*by_token)(struct zt_store *s, const struct zt_token_hash *h,
	                int (*cb)(void *ctx, const struct zt_stored_user *u), void *ctx);
	/* The console's password (argon2id encoded; NULL: none), which also
	 * clears the failures and the lock (migration 013). ZT_ENOTFOUND
	 * (message set) for an unknown name. */
	int (*set_password)(struct zt_store *s, const char *name, const char *encoded);
	/* The failures since the last successful login and the lock's end. */
	int (*set_login)(struct zt_store *s, const char *name, int64_t failed_logins,
	                 int64_t locked_until_s);
};

/* ---- Idempotency-Key (docs/spec/service.md "Endpoints"; SQLite's
 * migration 013, PostgreSQL's 005) ---- */

/* What is kept under one key. */
struct zt_stored_idem {
	char body_sha[65];        /* hex SHA-256 of the first request's body */
	bool done;                /* false: the first request still runs */
	unsigned status;          /* when done */
	char content_type[96];    /* when done */
	char *answer;             /* when done: malloc'd, the caller frees it */
	size_t answer_len;
};

struct zt_store_idem_ops {
	/* Takes the key `scope` (64 hex digits) for a request of body
	 * `body_sha` at Unix second `now_s`, leased until `lease_s`: *taken
	 * true when it was free (or its row had expired: expires_s <= now_s,
	 * then replaced), else *taken false and *out what is kept. Deletes every
	 * expired row on the way. In a WRITE transaction. */
	int (*take)(struct zt_store *s, const char *scope, const char *body_sha, int64_t now_s,
	            int64_t lease_s, bool *taken, struct zt_stored_idem *out);
	/* Keeps the answer of the request that took `scope`, until `expires_s`. */
	int (*keep)(struct zt_store *s, const char *scope, unsigned status, const char *content_type,
	            const char *answer, size_t len, int64_t expires_s);
	/* Frees `scope` (a 5xx answer is not kept). */
	int (*drop)(struct zt_store *s, const char *scope);
};

struct zt_store_verify_ops {
	/* Runs check `id` of verify.h: one call of r->violation per violation,
	 * *checked what it looked at. Every implementation implements every
	 * check whose `by` is ZT_VERIFY_BY_STORE; ZT_EINVAL for the others. */
	int (*run)(struct zt_store *s, enum zt_verify_check_id id, const struct zt_verify_report *r,
	           int64_t *checked, int64_t *violations);
	/* Every claim as stored, for the checks the domain re-derives. */
	int (*claims)(struct zt_store *s, int (*cb)(void *ctx, const struct zt_stored_claim *c),
	              void *ctx);
	/* Rows per table (for `status` and the benchmark). */
	int (*counts)(struct zt_store *s, void (*cb)(void *ctx, const char *table, int64_t rows),
	              void *ctx);
};

struct zt_store_catalog_ops {
	/* Stores a catalogue's header (not its entries; c->row is ignored):
	 * the identical document again (same id, same digest) is a no-op
	 * (*row_out its row, *was_new false); another document under a stored
	 * id is ZT_ECONFLICT naming it. Dates are the domain's to check. */
	int (*put)(struct zt_store *s, const struct zt_stored_catalog *c, int64_t *row_out,
	           bool *was_new);
	/* Entry `seq` (0, 1, … in code, then from-date order) of catalogue row. */
	int (*put_entry)(struct zt_store *s, int64_t row, int64_t seq,
	                 const struct zt_catalog_entry *e);
	/* By id: 0, or ZT_ENOTFOUND (no message). */
	int (*get)(struct zt_store *s, const char *catalog_id, struct zt_stored_catalog *out);
	/* Every catalogue (county NULL) or those of one county, in load order. */
	int (*each)(struct zt_store *s, const char *county,
	            int (*cb)(void *ctx, const struct zt_stored_catalog *c), void *ctx);
	/* The entries of catalogue `row` in seq order (line 0). */
	int (*entries)(struct zt_store *s, int64_t row,
	               int (*cb)(void *ctx, const struct zt_catalog_entry *e), void *ctx);
	/* Moves a catalogue's last day in force earlier (a supersede). */
	int (*set_ends)(struct zt_store *s, int64_t row, zt_date ends);
	/* Marks a pending catalogue active, approved by `actor` now. */
	int (*approve)(struct zt_store *s, int64_t row, const char *actor);
	/* How many settlements discharged on or after `from` used catalogue
	 * `row` and stand (are not reversed). */
	int (*used)(struct zt_store *s, int64_t row, zt_date from, int64_t *out);
	/* What settlement `settlement_row` took from catalogue `catalog_row`:
	 * the count and the `n` items that differ (G4: written once, in the
	 * claim's savepoint). */
	int (*settlement_put)(struct zt_store *s, int64_t settlement_row, int64_t catalog_row,
	                      int n, const struct zt_catalog_item_diff *items);
	/* The catalogue a settlement used and, to `cb` (may be NULL), its items
	 * that differ in item order: 0, or ZT_ENOTFOUND (no message) when it
	 * used none. */
	int (*settlement_get)(struct zt_store *s, int64_t settlement_row,
	                      struct zt_settlement_catalog *out,
	                      int (*cb)(void *ctx, const struct zt_catalog_item_diff *d), void *ctx);
};

struct zt_store_ops {
	const char *name; /* "sqlite", "postgresql" */
	void (*close)(struct zt_store *s);
	/* Brings the schema to ZT_STORE_VERSION, each step in its own
	 * transaction; refuses a database of a newer zhitong. */
	int (*migrate)(struct zt_store *s, int *from_version, int *to_version);
	/* ZT_EINVAL with a message saying what to do if the database is not
	 * initialised or needs migrating. */
	int (*check_version)(struct zt_store *s);
	/* Transactions (G1, G6): one at a time per handle. */
	int (*begin)(struct zt_store *s, enum zt_txn_kind kind);
	int (*commit)(struct zt_store *s);
	void (*rollback)(struct zt_store *s);
	/* One claim inside a shared WRITE transaction (G2); one level. */
	int (*savepoint)(struct zt_store *s);
	int (*release)(struct zt_store *s);
	void (*rollback_to)(struct zt_store *s);
	/* Outside a transaction, between two of a long run of writes (a bulk
	 * file's chunks): lets a writer that waits for the lock take it first
	 * (G1). NULL: the engine's own lock queue is fair already. */
	void (*yield)(struct zt_store *s);
	/* Whether a writer waits for the lock now (1), nobody does (0), or
	 * the store cannot tell (<0): a long run ends its chunks by the clock
	 * only while someone waits. NULL: cannot tell. */
	int (*contended)(struct zt_store *s);
	/* After a call in a WRITE transaction failed: whether the failure
	 * was reported late — by a write the store sent without waiting for
	 * its result (PostgreSQL's pipeline: a claim's rows go with the next
	 * claim's reads), so the call that failed may not be the one that
	 * caused it. The transaction then only rolls back (commit refuses),
	 * and the store writes at once (each failure its own call's) until a
	 * write transaction commits: the caller settles the same claims again
	 * to learn which one failed (settle.h, settle_group.c). NULL: never. */
	bool (*failed_late)(struct zt_store *s);
	/* A debug counter: the round trips to the database server this
	 * handle made so far (README "PostgreSQL beside SQLite"). NULL: an
	 * embedded engine, none. */
	uint64_t (*round_trips)(struct zt_store *s);
	/* The UTC timestamp every row written in this transaction carries
	 * ("2024-03-01T09:30:00Z"); outside one, now. */
	const char *(*now)(struct zt_store *s);
	/* Outside a transaction: copies what the log of committed writes holds
	 * into the database. ZT_CHECKPOINT_PASSIVE waits for no reader or
	 * writer (SQLite: a passive WAL checkpoint; one already running
	 * elsewhere is not an error). ZT_CHECKPOINT_RESTART also keeps
	 * writers out, for at most a few tens of milliseconds, until every
	 * reader reads from the database itself, so that the next commit
	 * writes the log from its beginning again: the log's size is bounded
	 * (not an error if a reader or writer held on longer: out->restarted
	 * false). out (may be NULL): the log's size and what it copied, in
	 * pages. NULL op: the engine has nothing of the kind to do
	 * (PostgreSQL). */
	int (*checkpoint)(struct zt_store *s, enum zt_checkpoint_mode mode,
	                  struct zt_checkpoint *out);

	struct zt_store_registry_ops registry; /* hospitals, people, funds          */
	struct zt_store_policy_ops policies;   /* policies and their sources        */
	struct zt_store_claim_ops claims;      /* claims, settlements, accumulators */
	struct zt_store_ledger_ops ledger;     /* transfers and balances            */
	struct zt_store_advance_ops advances;  /* plans, approvals, advances        */
	struct zt_store_batch_ops batches;     /* batches, shares, answers, returns */
	struct zt_store_bank_ops bank;         /* statements, matches, exceptions   */
	struct zt_store_audit_ops audit;       /* the audit trail                   */
	struct zt_store_verify_ops verify;     /* the checks of verify.h            */
	struct zt_store_catalog_ops catalogs;  /* catalogues, what settlements took */
	struct zt_store_user_ops users;        /* users and their token hashes      */
	struct zt_store_idem_ops idempotency;  /* answers kept for Idempotency-Key  */
};

#endif
