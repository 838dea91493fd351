/* zhitong — advances to hospitals (docs/spec/money-flow.md "Advances", 预拨付).
 *
 * The pool pays each hospital ahead so that the hospital never fronts the
 * funds' shares itself; every settled claim uses up part of the advance.
 * In the ledger (debit-positive):
 *
 *   advance   pool:bank -> hospital:H   debit hospital:H, credit pool:bank
 *   settle    fund:F -> hospital:H      debit fund:F, credit hospital:H
 *   reverse   hospital:H -> fund:F      the opposite
 *
 * so the balance of hospital:H is what it was advanced less what it has
 * earned: above 0 it holds the pool's money, below 0 it is advancing money
 * itself. A settlement that drives it below 0 is never refused (the patient
 * is at the desk); it shows in zt_advance_status().
 *
 * The flow is maker-checker: zt_advance_plan() computes and stores a plan
 * (one line per hospital of the registry), a second person approves it with
 * zt_advance_approve(), and zt_advance_issue() pays it — the ledger
 * transfers and the bank's pain.001.001.03 file, all or nothing. A single
 * advance is no exception: zt_advance_request() stores it as a plan of one
 * line (basis "request"), which another person approves and which is then
 * issued like any plan. Nothing is ever paid on a name the issuer types.
 * Every name is normalised (actor.h) before it is compared or stored.
 *
 * Configuration (config.h):
 *   [pool]        name, account (required to issue), bic, currency (CNY)
 *   [advance]     target-days (30): the target is that many days of earnings;
 *                 min-topup (0.00): smaller top-ups of a hospital that is
 *                 not below zero are left for a later plan
 *   [hospital H]  target: a fixed target instead; account (required to
 *                 pay H), bic, name (default: the registry's name) */
#ifndef ZHITONG_ADVANCE_H
#define ZHITONG_ADVANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "actor.h"
#include "config.h"
#include "limits.h"
#include "money.h"
#include "registry.h"

struct zt_store; /* store.h */

/* Plan ids, advance ids and pain.001 MsgIds are ids (limits.h:
 * ZT_ID_CHARS_MAX, e.g. PLAN-20240301-0001, ADV-20240301-000001); the old
 * name is an alias of ZT_ID_BYTES. */
#define ZT_ADVANCE_ID_BYTES ZT_ID_BYTES
#define ZT_ADVANCE_PATH_BYTES 1024
/* The earnings window of the "days" target: 1 to 366 days. */
#define ZT_TARGET_DAYS_DEFAULT 30
#define ZT_TARGET_DAYS_MAX 366

/* ---- pure rules -------------------------------------------------------- */

/* The top-up that brings `balance` up to `target`: target - balance when
 * positive, else 0 — so a hospital below zero gets target + |balance|. A
 * top-up below `min_topup` is 0 unless the hospital is below zero (it is
 * advancing money now and must be paid whatever the amount).
 * ZT_ERANGE on overflow. */
int zt_advance_topup(zt_fen *out, zt_fen target, zt_fen balance, zt_fen min_topup);

/* ---- plans ------------------------------------------------------------- */

struct zt_advance_plan_line {
	char hospital[ZT_UTF8_BYTES(ZT_CODE_CHARS_MAX)];
	bool fixed_target;    /* [hospital H] target; else days of earnings */
	bool requested;       /* a single advance asked for (zt_advance_request):
	                       * topup is the amount asked, target and
	                       * window_earned are 0 */
	zt_fen window_earned; /* net fund shares earned in the window            */
	zt_fen target;        /* ≥ 0                                              */
	zt_fen balance;       /* hospital:H when the plan was made                */
	zt_fen topup;         /* ≥ 0                                              */
};

struct zt_advance_plan {
	int64_t row;
	char plan_id[ZT_ID_BYTES];
	zt_date as_of;        /* last day of the earnings window                  */
	zt_date window_from;  /* first day: as_of - target_days + 1                */
	int target_days;
	zt_fen min_topup;
	int64_t advance_seen; /* highest advance row when made (staleness)       */
	zt_fen total;         /* sum of the top-ups                               */
	char made_by[ZT_ACTOR_BYTES];
	char made_at[32];
	char approved_by[ZT_ACTOR_BYTES]; /* "" until approved                    */
	char approved_at[32];
	char issued_msg_id[ZT_ID_BYTES]; /* "" until issued               */
	char issued_at[32];
	char pool[ZT_POOL_ID_BYTES]; /* the pool that pays it (config.h; issue 13) */
	size_t line_count;
	struct zt_advance_plan_line *lines; /* owned; in hospital code order     */
};
void zt_advance_plan_free(struct zt_advance_plan *p);

/* Computes and stores a plan (one transaction) for every hospital of the
 * registry: target = [hospital H] target, else the fund shares H
 * earned (settlements less reversals, by settlement time) on the
 * target-days days up to and including `as_of` (0: today), days of the
 * pool's time zone (docs/spec/rules-v2.md §5); balance = its
 * current balance; top-up by zt_advance_topup(). `as_of` may not be in
 * the future. *out is filled (free with zt_advance_plan_free). */
struct zt_advance_plan_req {
	const struct zt_config *cfg; /* [advance], [hospital H]; NULL: defaults */
	/* The pool whose hospitals (of its counties) the plan tops up
	 * (zt_config_pool_pick: required when several are configured). */
	const char *pool;
	zt_date as_of;               /* 0: today (pool-local)                   */
	const char *actor;           /* the maker                                */
};
int zt_advance_plan(struct zt_store *s, const struct zt_advance_plan_req *req,
                    struct zt_advance_plan *out);

/* A single advance: stores (one transaction) a plan of one line paying
 * `amount` (> 0) to `hospital` (in the registry), basis "request", with
 * the hospital's balance now; as_of is today, the window one day, no
 * minimum top-up. Like any plan it must be approved by someone other than
 * `actor` (zt_advance_approve) before zt_advance_issue pays it, and it is
 * stale once another advance has gone to the hospital. *out is filled
 * (free with zt_advance_plan_free). */
struct zt_advance_request_req {
	const char *hospital;
	zt_fen amount;
	const char *actor;
	/* The pool that pays it: the one serving the hospital's county
	 * (zt_config_pool_of_county; NULL cfg: the default pool). */
	const struct zt_config *cfg;
};
int zt_advance_request(struct zt_store *s, const struct zt_advance_request_req *req,
                       struct zt_advance_plan *out);

/* A stored plan with its approval and issue state; ZT_ENOTFOUND. */
int zt_advance_plan_get(struct zt_store *s, const char *plan_id, struct zt_advance_plan *out);

/* `advance plans`: every plan with its approval and issue state, in the
 * order made, one call of `cb` each. One read snapshot. */
int zt_advance_plans(struct zt_store *s, int (*cb)(void *ctx, const struct zt_advance_plan *p),
                     void *ctx);

/* Approves a plan. ZT_ECONFLICT if `actor` made it (maker-checker), if it
 * is already approved, or already issued. */
struct zt_advance_approve_req {
	const char *plan_id;
	const char *actor; /* the checker */
};
int zt_advance_approve(struct zt_store *s, const struct zt_advance_approve_req *req);

/* ---- issuing ------------------------------------------------------------- */

struct zt_advance {
	int64_t row;
	char advance_id[ZT_ID_BYTES]; /* transfer ref = EndToEndId        */
	char hospital[ZT_UTF8_BYTES(ZT_CODE_CHARS_MAX)];
	zt_fen amount;
	int64_t plan_row;                     /* 0: a single advance of an older
	                                       * zhitong, paid without a plan   */
	char plan_id[ZT_ID_BYTES];    /* "" for such an advance           */
	char msg_id[ZT_ID_BYTES];     /* pain.001 MsgId                   */
	char made_by[ZT_ACTOR_BYTES];         /* the plan's maker                 */
	char approved_by[ZT_ACTOR_BYTES];
	char issued_by[ZT_ACTOR_BYTES];
	char issued_at[32];
	zt_date execution_date;
	char file[ZT_ADVANCE_PATH_BYTES];
};

struct zt_advance_issue_req {
	const struct zt_config *cfg; /* the plan's [pool P], [hospital H] accounts */
	const char *plan_id;     /* an approved plan (a single advance too)      */
	const char *actor;       /* who issues                                   */
	const char *out_path;    /* NULL: advance-<msg id>.xml in the cwd        */
	zt_date execution_date;  /* ReqdExctnDt; 0: today (pool-local); not in the past */
	/* The plan was issued and its payment file is not at its recorded path
	 * because the issue crashed before publishing it: write that file again
	 * from the record (--rewrite). Only a person who knows the file never
	 * reached the bank asks for it — a file moved away after it was sent
	 * must not be sent twice. */
	bool rewrite;
};

struct zt_advance_issued {
	char msg_id[ZT_ID_BYTES];
	char path[ZT_ADVANCE_PATH_BYTES];
	zt_fen total;
	size_t count;
	struct zt_advance *advances; /* owned */
	bool rewritten; /* the plan was issued before and only its missing file
	                 * was written again (nothing booked) */
};
void zt_advance_issued_free(struct zt_advance_issued *r);

/* Issues a plan (approved, not issued before, not made stale by an advance
 * issued since to one of its hospitals) — there is no other way to pay an
 * advance. In one
 * transaction: one advance row and one transfer pool:bank -> hospital:H
 * (kind 'advance', ref = the advance id) per hospital paid, then the
 * pain.001.001.03 file for the pool's bank is written (checked against the
 * official XSD) beside its name before the commit and published under it
 * after: if the commit fails nothing is left, if the file cannot be written
 * nothing is stored, and a crash between commit and publication leaves the
 * advances without their file — issuing the plan again with req->rewrite
 * then writes that file from what was recorded (out->rewritten; nothing is
 * booked), and without it says so. Refuses
 * (before anything is written) a pool or hospital without a configured
 * account, an existing output file, and a plan issued whose file is there. */
int zt_advance_issue(struct zt_store *s, const struct zt_advance_issue_req *req,
                     struct zt_advance_issued *out);

/* `advance list`: every advance issued, in issue order. */
int zt_advance_list(struct zt_store *s, int (*cb)(void *ctx, const struct zt_advance *a),
                    void *ctx);

/* `advance list` of some pools (issue 13 §2): the advances to the
 * hospitals whose county `admit` admits (the registry's county, as
 * zt_advance_status gives it), in issue order; `admit` NULL: every
 * advance. The command line admits a pool's counties, the service the
 * caller's pools. */
int zt_advance_list_admitted(struct zt_store *s, bool (*admit)(void *ctx, const char *county),
                             void *admit_ctx,
                             int (*cb)(void *ctx, const struct zt_advance *a), void *ctx);

/* ---- status -------------------------------------------------------------- */

struct zt_advance_status {
	const char *hospital;
	const char *county;       /* the hospital's (registry): its pool, config.h */
	zt_fen advanced;          /* advance transfers to it                      */
	zt_fen earned;            /* fund shares settled to it, less reversals    */
	zt_fen balance;           /* hospital:H, from its transfers               */
	char advancing_since[32]; /* when the balance last went below 0 and has
	                           * stayed there; "" if balance ≥ 0             */
};

/* One call per hospital of the registry, in code order, from one ordered
 * pass over the ledger. */
int zt_advance_status(struct zt_store *s,
                      int (*cb)(void *ctx, const struct zt_advance_status *st), void *ctx);

#endif
