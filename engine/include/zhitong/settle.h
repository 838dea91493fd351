/* zhitong — settling claims: read, check, split, store; outcomes as data.
 *
 * The use case of `claim submit` and `claim quote` (and of the service's
 * claims): the stateful shell around the pure split. It reads claims from
 * a source (source.h) in either format (claim_stream.h), checks each in
 * the order of the rejection codes, reads the person's accumulators, calls
 * zt_classify and zt_split, writes everything in one write transaction —
 * each claim in its own savepoint (store.h G2) — and hands each outcome, in
 * input order, to a sink: a settlement (fresh, or the stored one of an
 * identical resend, with every fund's trace as data) or a rejection. One
 * claim is a source of one claim: there is no other path.
 *
 * The use case writes no bytes for people: a front door renders the
 * outcomes (the settlement XML of render/include/zhitong/render_settlement.h,
 * the desk's text, JSON later). Outcomes arrive while the input is read,
 * before it is known to be whole: a sink spools what it renders and delivers
 * it only when `committed` is called, after the commit (a quote: after the
 * rollback). An input that is not well-formed half-way is refused whole with
 * nothing stored and `committed` never called (docs/spec/interfaces.md); a
 * crash at any instant leaves the database as before the input, so a retry
 * gives the same answer. */
#ifndef ZHITONG_SETTLE_H
#define ZHITONG_SETTLE_H

#include <stdbool.h>
#include <stdint.h>

#include "claim_stream.h"
#include "source.h"
#include "split.h"
#include "store.h"

struct zt_config; /* config.h */

struct zt_settle_stats {
	uint64_t claims;      /* claims read */
	uint64_t settled;     /* newly settled (or, in a quote, would be) */
	uint64_t resent;      /* identical resend: the stored settlement returned */
	uint64_t rejected;
	uint64_t rejected_by[ZT_REJ_LAST + 1];
	zt_fen medfee_total, fund_total, hosp_total, psn_total;
	zt_fen hifp_total, hifmi_total, maf_total, oth_total;
	bool totals_overflow; /* the totals passed int64: they stop at the claims before */
};

struct zt_settle_opts {
	bool quote;           /* answer, then roll everything back */
	const char *actor;    /* recorded with each settlement (normalised: actor.h) */
	zt_date today;        /* discharge dates after this are bad-dates (0 = today, in the
	                       * pool's time zone); after today: ZT_EINVAL */
	/* Called now and then with the bytes consumed and the input's size
	 * (0 if unknown, e.g. a pipe). */
	void (*progress)(void *ctx, uint64_t claims, uint64_t bytes, uint64_t size);
	void *progress_ctx;
	/* The configuration ([county C] catalog = required: docs/spec/rules-v2.md
	 * §2); NULL: none. */
	const struct zt_config *config;
	/* A front door's gate (the service: a desk's hospitals,
	 * docs/spec/service.md "Users, roles and tokens"), asked for each claim
	 * whose hospital could be read, before anything else: false rejects
	 * the claim in its place with code_name "hospital-not-permitted"
	 * (code ZT_REJ_NONE: not one of the engine's rejection codes) and
	 * nothing of it is stored. NULL: every claim passes. */
	bool (*admit)(void *ctx, const char *hospital);
	void *admit_ctx;
};
#define ZT_SETTLE_NOT_PERMITTED "hospital-not-permitted"

/* A claim rejected (its code's name: zt_reject_name). `hospital` and
 * `claim_no` are "" when the claim could not be read that far. */
struct zt_rejection {
	const char *hospital;
	const char *claim_no;
	zt_reject code;
	const char *code_name;
	const char *message;
};

/* Where the outcomes go. Every callback may be NULL; the data handed over
 * is valid during the call only. A non-zero return (a negative ZT_E* with
 * its message set) stops the use case: before the commit, everything is
 * rolled back and that code returned. */
struct zt_settle_sink {
	/* Once, before the first outcome: the version of the answer, 1 for a
	 * claim v1 input, 2 for v2 or JSON (for now the v1 content: a claim v2
	 * carrying <national> is rejected national-unexpected,
	 * docs/spec/claim-v2-national.md §3); 0 for an input refused before its
	 * root (then nothing else follows). */
	int (*begin)(void *ctx, int version);
	/* A settlement, as stored (with setl_id and each fund's trace):
	 * `replayed` when the same claim was settled before and this is the
	 * stored settlement, changed nothing. In a quote, a fresh settlement's
	 * setl_id is one the rollback gives back: not to be shown. */
	int (*settled)(void *ctx, const struct zt_stored_settlement *st, bool replayed);
	int (*rejected)(void *ctx, const struct zt_rejection *r);
	/* After the commit (a quote: the rollback): the answer is final,
	 * deliver it. A failure here — the answer could not be written — makes
	 * the use case return ZT_ENOTDELIVERED (a quote: ZT_EIO), its message
	 * saying what was stored and how to get the answer again, with the
	 * sink's message as the reason. */
	int (*committed)(void *ctx, const struct zt_settle_stats *stats);
	void *ctx;
};

/* Settles (or, with o->quote, quotes) every claim of `src` and hands each
 * outcome to `sink` (NULL: none). Returns 0 when the input was processed
 * (look at stats->rejected for exit status 1), ZT_EMALFORMED / ZT_EINVAL /
 * ZT_ERANGE / ZT_ENOTFOUND when it is refused whole (nothing stored,
 * `committed` not called), a storage error, a sink's error, or
 * ZT_ENOTDELIVERED when the settlements were committed but the sink could
 * not deliver them (a closed pipe, a full disk): submitting the same input
 * again returns the stored settlements, the same setl_ids. */
int zt_settle_source(struct zt_store *s, const struct zt_source *src, enum zt_claim_format format,
                     const struct zt_settle_opts *o, const struct zt_settle_sink *sink,
                     struct zt_settle_stats *stats);

/* ---- an input settled in steps ------------------------------------------------
 *
 * For a front door that commits in chunks (a bulk file: zt_settle_chunked)
 * or shares one commit among many inputs (the service's group commit:
 * settle_group.h). A run reads its input once, claim after claim; each step
 * settles up to `max` claims (0: the rest) inside the CALLER's write
 * transaction on `s` — each claim in its own savepoint (store.h G2) — and
 * sets *done at the end of the input. The caller commits (or rolls back)
 * and then calls zt_settle_run_committed, which hands the answer to the
 * sink's `committed`. A step that fails (a storage error, a sink's error,
 * the input refused whole at its end) leaves the caller to roll back what
 * the step wrote. zt_settle_run_rewind starts the run again from the
 * input's first byte (the source must rewind): for a caller that rolled
 * back a transaction the run shared with others. */
struct zt_settle_run;
int zt_settle_run_open(struct zt_settle_run **out, const struct zt_source *src,
                       enum zt_claim_format format, const struct zt_settle_opts *o,
                       const struct zt_settle_sink *sink, struct zt_settle_stats *stats);
int zt_settle_run_step(struct zt_settle_run *r, struct zt_store *s, uint64_t max, bool *done);
int zt_settle_run_committed(struct zt_settle_run *r);
int zt_settle_run_rewind(struct zt_settle_run *r);
/* After a step or its commit failed late (store.h failed_late) and the
 * caller rolled back: the same chunk settled again — the input read
 * again, the `skip` claims of the chunks committed before passed over,
 * the stats back to `at` — in a transaction of its own on `s`, which the
 * store now writes at once, and rolled back whatever happens: the failure
 * is then the claim's own (its message). Returns that failure, or `rc`
 * with the message it had when the chunk did not fail again. */
int zt_settle_run_again(struct zt_settle_run *r, struct zt_store *s, uint64_t skip,
                        const struct zt_settle_stats *at, uint64_t max, int rc);
/* The policies and catalogues parsed, kept from one transaction to the
 * next while the store's do not change (checked at each step): a run's
 * own by default; zt_settle_run_share_rules gives runs that step one after
 * another (a group commit's) one set to share (NULL: the run's own). */
struct zt_settle_rules;
int zt_settle_rules_new(struct zt_settle_rules **out);
void zt_settle_rules_free(struct zt_settle_rules *rules);
/* A new transaction began: the next step checks the store's rules again. */
void zt_settle_rules_recheck(struct zt_settle_rules *rules);
void zt_settle_run_share_rules(struct zt_settle_run *r, struct zt_settle_rules *rules);
void zt_settle_run_close(struct zt_settle_run *r);
/* A step also ends once it has run `ns` nanoseconds (after at least one
 * claim; 0: only `max` ends it): a bulk input's chunk is bounded in time,
 * whatever a claim costs on the machine, so a desk waits behind it at
 * most that long (issue 11 §4). */
void zt_settle_run_step_time(struct zt_settle_run *r, int64_t ns);
/* With a store that can tell whether a writer waits for its lock (store.h
 * contended), the step's time ends it only while one does: alone, a bulk
 * run's chunks are of their claim count. */
void zt_settle_run_step_contended(struct zt_settle_run *r, struct zt_store *s);
/* A chunk's time: 10 ms. */
#define ZT_SETTLE_CHUNK_NS INT64_C(10000000)

/* Reads the whole input (it must rewind) and says whether it is
 * well-formed: 0 and the claims counted, or the error that would refuse
 * it whole; then rewinds it. Nothing is settled, the store is not read. */
int zt_settle_check(const struct zt_source *src, enum zt_claim_format format, uint64_t *claims);

/* zt_settle_source for a bulk file: the whole input checked well-formed
 * first (a malformed file stores nothing), then settled in transactions
 * of at most `chunk` claims and ZT_SETTLE_CHUNK_NS, yielding the write lock between them so that desks'
 * claims run between the chunks (issue 11 §4). Not for a quote. A failure
 * after some chunks committed says so in its message: those settlements
 * stay, and submitting the same file again answers them as resends and
 * settles the rest. */
int zt_settle_chunked(struct zt_store *s, const struct zt_source *src, enum zt_claim_format format,
                      const struct zt_settle_opts *o, const struct zt_settle_sink *sink,
                      struct zt_settle_stats *stats, uint64_t chunk);

/* Writes the reversal of stored settlement `orig` (docs/spec/split.md §6) in
 * the caller's write transaction: a settlement of kind 'reverse' with its
 * shares and their traces, the accumulators taken back (ZT_EINTERNAL if one
 * would go below zero), the opposite postings. No audit record: the
 * caller's. */
int zt_settle_reversal_write(struct zt_store *s, const struct zt_stored_settlement *orig,
                             const char *reason, const char *actor, char setl_id_out[32],
                             int64_t *row_out);

/* The audit record of a settlement or a reversal as stored (docs/spec/
 * service.md "Audit trail": every change of state appends one record), in
 * the caller's write transaction, beside the rows it records: `action`
 * ("claim settle", "claim reverse"), the subject "claim HOSPITAL/CLAIM_NO",
 * `detail`, and as its digest the SHA-256 of the settlement's canonical
 * line (zt_settlement_audit_line): its setl_id, claim, person, amounts and
 * each fund's share, so the chain pins what was paid, not only that
 * something was. */
int zt_settlement_audit(struct zt_store *s, const char *actor, const char *action,
                        const struct zt_stored_settlement *st, const char *detail);
/* That canonical line (one line, tab-separated, fen as integers):
 * "zhitong-settlement-1 SETL_ID KIND REVERSES HOSPITAL CLAIM_NO PSN_NO
 * MEDFEE FUND_PAY HOSP_PART PSN_PART (FUND:KIND:AMOUNT)..."; its length, or
 * ZT_ERANGE if it does not fit in `cap`. */
int zt_settlement_audit_line(char *out, size_t cap, const struct zt_stored_settlement *st);

#endif
