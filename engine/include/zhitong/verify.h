/* zhitong — `zhitong verify`: the invariants of stored data, defined once.
 *
 * Each check recomputes from the facts (settlements, shares, transfers,
 * batches, bank entries) and compares with what is kept (accumulators,
 * balances, totals, statuses); each never relies on the store's own
 * guards, which whoever edited the database by hand may have switched off.
 * The list below is the contract: every store implementation runs every
 * check marked ZT_VERIFY_BY_STORE as a read of its own (store.h,
 * verify.run), the domain runs the ones it re-derives (by the engine's
 * own code: a claim's canonical form and digest), and the store
 * conformance suite tampers with data once per check and requires that the
 * check — and only it among those that could — names the damage. */
#ifndef ZHITONG_VERIFY_H
#define ZHITONG_VERIFY_H

#include <stdint.h>

struct zt_store;

enum zt_verify_check_id {
	/* the clearing core */
	ZT_VERIFY_CONSERVATION,
	ZT_VERIFY_SHARES_SUM,
	ZT_VERIFY_REVERSALS_MIRROR,
	ZT_VERIFY_LEDGER_BALANCES,
	ZT_VERIFY_ACCOUNT_TRANSFERS,
	ZT_VERIFY_WHOLE_FEN,
	ZT_VERIFY_SETTLEMENTS_POSTED,
	ZT_VERIFY_ACCUMULATORS,
	ZT_VERIFY_ONE_LIVE_SETTLEMENT,
	ZT_VERIFY_CLAIM_DIGESTS,
	ZT_VERIFY_SETTLEMENT_CLAIM,
	ZT_VERIFY_SETTLEMENT_REFS,
	ZT_VERIFY_SHARE_SLOTS,
	ZT_VERIFY_SHARE_TRACES,
	ZT_VERIFY_SETTLED_ONCE,
	ZT_VERIFY_NO_GAPS,
	ZT_VERIFY_POLICY_DIGESTS,
	ZT_VERIFY_AUDIT_GAPS,
	ZT_VERIFY_AUDIT_CHAIN,
	ZT_VERIFY_AUDITED,
	ZT_VERIFY_REFERENCES,
	ZT_VERIFY_GUARDS,
	/* advances */
	ZT_VERIFY_ADVANCE_TRANSFER,
	ZT_VERIFY_ADVANCE_TRANSFERS_OWNED,
	ZT_VERIFY_PLAN_ISSUED_ONCE,
	ZT_VERIFY_PLAN_LINES,
	ZT_VERIFY_ADVANCE_MAKER,
	/* batches */
	ZT_VERIFY_SHARE_ONE_BATCH,
	ZT_VERIFY_BATCH_SHARES_EXIST,
	ZT_VERIFY_BATCH_TOTALS,
	ZT_VERIFY_BATCH_INFO_RECORDS,
	ZT_VERIFY_BATCH_EVENTS,
	ZT_VERIFY_BATCH_BOUNDS,
	ZT_VERIFY_BATCH_RETURNS,
	ZT_VERIFY_FUND_BALANCE,
	/* reconciliation */
	ZT_VERIFY_ENTRY_MATCHED_ONCE,
	ZT_VERIFY_BATCH_PAID,
	ZT_VERIFY_BATCH_STATUS_PAID,
	ZT_VERIFY_ENTRY_BOOKED,
	ZT_VERIFY_RECON_TRANSFERS,
	ZT_VERIFY_EXCEPTIONS_RESOLVED,
	ZT_VERIFY_SUSPENSE,
	/* rules v2 (docs/spec/rules-v2.md §2–§4) */
	ZT_VERIFY_RULES_IN_FORCE,
	ZT_VERIFY_CHECKS
};

enum zt_verify_by {
	ZT_VERIFY_BY_STORE,  /* a read of the implementation (verify.run) */
	ZT_VERIFY_BY_DOMAIN, /* the engine re-derives over a store read    */
};

struct zt_verify_check {
	enum zt_verify_check_id id;
	enum zt_verify_by by;
	const char *name;   /* as `zhitong verify` prints it */
	const char *proves; /* one sentence: what a clean result means */
};
/* Every check, in the order `verify` runs them (indexed by id). */
extern const struct zt_verify_check zt_verify_checks[ZT_VERIFY_CHECKS];

/* Each check reports violations through `violation` (a one-line message)
 * and then counts what it looked at. */
struct zt_verify_report {
	void *ctx;
	void (*violation)(void *ctx, const char *check, const char *message);
	void (*checked)(void *ctx, const char *check, int64_t count);
	/* What must be done but breaks no invariant (may be NULL): a live
	 * settlement standing on a national settlement the national platform
	 * reversed (docs/national.md), until it is reversed here too. */
	void (*warning)(void *ctx, const char *message);
};

/* Runs every check in one read snapshot; *violations is how many were
 * found (warnings are not counted). 0, or a storage error. */
int zt_verify(struct zt_store *s, const struct zt_verify_report *r, int64_t *violations);

/* ---- use cases: `init`, `status` (admin.c) ---------------------------------- */

struct zt_init_res {
	int from_version, to_version; /* the schema before and after (equal: up to date) */
};
/* Brings the store's schema to the current version (each migration in its
 * own transaction); a store from a newer zhitong is refused. */
int zt_init(struct zt_store *s, struct zt_init_res *res);

struct zt_status_res {
	int version;  /* the schema version this engine speaks (ZT_STORE_VERSION) */
};
/* The row count of every table, one call of `row` each. */
int zt_status(struct zt_store *s, void (*row)(void *ctx, const char *table, int64_t rows),
              void *ctx, struct zt_status_res *res);

#endif
