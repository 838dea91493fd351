/* zhitong — reconciliation's private parts, shared by its files:
 *
 *   reconcile_rules.c    the pure rules (reconcile.h "pure rules")
 *   reconcile_match.c    a session; matching one stored entry and booking
 *                        what it pays; `reconcile match` and what is overdue
 *   reconcile_import.c   `reconcile import`: a statement read and stored
 *   reconcile_resolve.c  the exceptions and their resolutions
 *   reconcile_report.c   `reconcile report`, as data
 *
 * No SQL: everything stored goes through the store's port (store.h). */
#ifndef ZHITONG_RECONCILE_INT_H
#define ZHITONG_RECONCILE_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "zhitong/ledger.h"
#include "zhitong/reconcile.h"

/* One operation's state: its store, settings, actor, day, result. */
struct session {
	struct zt_store *s;
	struct zt_recon_config cfg;
	const char *actor; /* = who */
	char who[ZT_ACTOR_BYTES]; /* normalised (actor.h) */
	zt_date today; /* the pool's day of the run (docs/spec/rules-v2.md §5) */
	struct zt_recon_import_result *res;
	size_t exc_cap;
	bool due_open; /* an overdue exception may be open: payments look for it */
	/* the pool of the last account asked about (recon_entry_pool) */
	char pool_of[64], pool[ZT_POOL_ID_BYTES];
};

/* What matching an entry did with it. */
enum outcome { MATCHED, HELD, EXCEPTION };

/* ---- reconcile_rules.c ---- */

/* B + the fund code (6) + '-' + the fund's batch number (digits). */
bool recon_batch_shaped(const char *t, size_t n);

/* Whether a batch that went to the payer still owes something (fills
 * b->due). */
int recon_owing(struct zt_recon_batch *b, bool *out);
/* What is overdue about a batch the store lists as sent before the cutoff
 * (*due false: it owes nothing), an advance or a repayment due before it:
 * the same for `reconcile match`, which raises it, and the report, which
 * lists it. */
int recon_overdue_batch(const struct zt_recon_config *cfg, const struct zt_recon_batch *sent,
                        struct zt_recon_overdue *out, bool *due);
void recon_overdue_advance(const struct zt_recon_config *cfg, const struct zt_advance *a,
                           struct zt_recon_overdue *out);
void recon_overdue_return(const struct zt_recon_config *cfg, const struct zt_batch_return *r,
                          struct zt_recon_overdue *out);

/* ---- reconcile_match.c ---- */

/* Whether an exception of o's kind is open about its subject. */
int recon_overdue_raised(struct zt_store *s, const struct zt_recon_overdue *o, bool *out);

/* Starts a session (out is zeroed; the actor normalised, the settings
 * read). */
int recon_session_start(struct session *ss, struct zt_store *s, const struct zt_config *cfg,
                        const char *actor, struct zt_recon_import_result *out);
/* In the session's transaction: whether payments must look for overdue
 * exceptions to close. */
int recon_session_due(struct session *ss);
/* The audit record of a reconciliation step (docs/spec/service.md "Audit
 * trail": imports and resolutions append one), by the session's actor, in
 * its write transaction: what exceptions it raised said in the detail. */
int recon_audit(struct session *ss, const char *action, const char *subject,
                const unsigned char *digest, const char *detail);
/* A batch for the rules: ZT_ENOTFOUND (no message) if there is none. */
int recon_read_batch(struct zt_store *s, const char *id, struct zt_recon_batch *b);
/* fund:F of pool `pool`'s books (ledger.h zt_ledger_pool_account). */
void recon_fund_account(char out[ZT_ACCOUNT_NAME_BYTES], const char *fund_code, const char *pool);
/* The pool of an entry: of its account (the configuration's, else the
 * database's, else default: pools.h); a session remembers the last. */
int recon_entry_pool(struct session *ss, const struct zt_recon_entry *e, const char **pool);
/* `base` (pool:bank, suspense:bank, refund:bank, write-off:pool) of the
 * entry's pool. */
int recon_entry_account(struct session *ss, const struct zt_recon_entry *e, const char *base,
                        char out[ZT_ACCOUNT_NAME_BYTES]);
/* Pays batches from an entry (pay[i] from the entry, written_off[i] borne
 * by the pool; pay[i] < 0: netted); `from` is pool:bank or suspense:bank
 * (of the entry's pool: the batches are of it). */
int recon_pay_batches(struct session *ss, const struct zt_recon_entry *e, const char *from,
                      int64_t exception_row, const struct zt_recon_batch *b, size_t n,
                      const zt_fen *pay, const zt_fen *written_off);
/* A debit confirming an advance or a repayment (one of the ids is set). */
int recon_confirm_payout(struct session *ss, const struct zt_recon_entry *e,
                         const char *advance_id, const char *return_id, int64_t exception_row,
                         bool in_suspense);
/* Matches one stored entry that is neither matched nor in an exception;
 * a fresh entry not matched is booked to suspense. */
int recon_match_entry(struct session *ss, const struct zt_recon_entry *e, bool in_suspense,
                      enum outcome *out);
/* bank.open_entries' callback: an entry waiting, matched again. */
int recon_retry_open(void *vctx, const struct zt_recon_entry *e);

#endif
