/* zhitong — the claims' use cases: settle, quote, reverse, show, list.
 *
 * One function per operation a user can do on claims (docs/architecture.md
 * "Use cases"): the store and a request in, data out — structs, or a
 * callback per row. None prints, reads the environment or opens a path;
 * each opens and ends its own transaction. What people and machines read
 * is rendered from the data by the render modules
 * (render/include/zhitong/render_settlement.h, render_claims.h), which the
 * command line and the service share.
 *
 *   settle   zt_settle_source (settle.h): claims from a source, outcomes
 *            to a sink, in input order; one claim is a source of one
 *   quote    zt_claims_quote: the same, rolled back
 *   reverse  zt_claims_reverse: the reversing settlement, or not-settled
 *   show     zt_claims_show: every settlement and reversal of a claim
 *            number, or one setl_id and its reversal
 *   list     zt_claims_list: the settlements and reversals of a filter */
#ifndef ZHITONG_CLAIMS_H
#define ZHITONG_CLAIMS_H

#include <stdbool.h>

#include "settle.h"
#include "store.h"

/* zt_settle_source with o->quote set whatever `o` says: every outcome as
 * a settlement would be, nothing stored. */
int zt_claims_quote(struct zt_store *s, const struct zt_source *src, enum zt_claim_format format,
                    const struct zt_settle_opts *o, const struct zt_settle_sink *sink,
                    struct zt_settle_stats *stats);

struct zt_claims_reverse_req {
	const char *hospital, *claim_no;
	const char *reason;   /* required: one line, at most ZT_TEXT_CHARS_MAX */
	const char *actor;    /* normalised (actor.h) before it is recorded */
	/* Optional (the service, docs/spec/service.md: reversal by setl_id):
	 * the settlement the caller means to reverse. When it is already
	 * reversed, nothing is written and res->reversal is that reversal
	 * (res->replayed); when it is not the claim's live settlement (a
	 * corrected claim was settled since), res->rejected: a late retry never
	 * reverses a corrected claim. Checked in the write transaction. */
	const char *setl_id;
};

struct zt_claims_reverse_res {
	/* not-settled: the claim is unknown or already reversed; nothing
	 * was stored. `message` says which. */
	bool rejected;
	bool replayed;        /* req->setl_id was already reversed: its reversal */
	char message[ZT_MESSAGE_BYTES_MAX];
	/* the reversing settlement as stored (kind "reverse", every amount
	 * negated, reverses_setl_id the original's), when !rejected */
	struct zt_stored_settlement reversal;
};

/* Reverses the live settlement of (hospital, claim_no) per
 * docs/spec/split.md §6 — the reversing settlement, the person's yearly
 * totals taken back, the opposite ledger transfers, an audit record — in
 * one write transaction, committed before it returns. ZT_EINVAL for a
 * request that is not one (no reason, a field that is not one line or an
 * identifier), a storage error; a claim that cannot be reversed is not an
 * error: res->rejected. */
int zt_claims_reverse(struct zt_store *s, const struct zt_claims_reverse_req *req,
                      struct zt_claims_reverse_res *res);

struct zt_claims_show_req {
	/* either a claim number … */
	const char *hospital, *claim_no;
	/* … or a setl_id: that settlement and its reversal, or that reversal */
	const char *setl_id;
};

/* Every settlement and reversal under the claim number, oldest first, or
 * the settlement `setl_id` and (if it was reversed) its reversal, each to
 * `cb` with its funds and traces. ZT_ENOTFOUND with a message ("there is no
 * settlement or reversal 'S…'", "claim 'N' of hospital 'H' has never been
 * settled") when there is none. One read snapshot. */
int zt_claims_show(struct zt_store *s, const struct zt_claims_show_req *req,
                   int (*cb)(void *ctx, const struct zt_stored_settlement *st), void *ctx);

/* Every settlement and reversal of the claims that match `f` (store.h:
 * by discharge date, hospital, claim number, a reversal after what it
 * reverses), one row to `cb` each. ZT_EINVAL for --from after --to. One
 * read snapshot. */
int zt_claims_list(struct zt_store *s, const struct zt_claim_filter *f,
                   int (*cb)(void *ctx, const struct zt_claim_line *l), void *ctx);

#endif
