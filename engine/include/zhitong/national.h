/* zhitong — settling on top of the national platform: what the engine adds
 * around the pure supplementary split (split.h zt_split_supplementary) —
 * the ledger legs of the national amounts and the national platform's list
 * of reversed settlements (docs/spec/claim-v2-national.md, docs/national.md).
 * Settling itself goes through zt_settle_source (settle.h) like every
 * claim. */
#ifndef ZHITONG_NATIONAL_H
#define ZHITONG_NATIONAL_H

#include <stdbool.h>
#include <stdint.h>

#include "money.h"

struct zt_store;
struct zt_posting;
struct zt_national_funds;
struct zt_national_reversed_line;

/* ---- the ledger (docs/spec/claim-v2-national.md §5, docs/national.md) ---- */

/* The national amounts of a settlement are money the hospital received
 * from the national funds directly: each one is booked
 * national-platform:<fund> → claims:<hospital> (a reversal: the opposite),
 * so that the settlement's transfers move its whole bill, but never
 * through hospital:<H> (the advance), fund:<code> (what a fund owes the
 * pool: batches, reconciliation) or the bank. */
#define ZT_ACCOUNT_NATIONAL_PREFIX "national-platform:"
struct zt_national_accounts {
	char claims[80];
	char funds[3][40];
};
/* The legs of hifp_pay, hifmi_pay, maf_pay (those > 0, or < 0 negated for
 * a reversal's stored amounts: give the settlement's own, positive
 * amounts) of hospital `hospital` under the national funds `f`, sign +1
 * (settle) or -1 (reverse). Returns the number written (≤ 3). */
int zt_ledger_national_postings(struct zt_posting *out, struct zt_national_accounts *names,
                                int sign, const char *hospital, const struct zt_national_funds *f,
                                zt_fen hifp_pay, zt_fen hifmi_pay, zt_fen maf_pay);

/* ---- the national platform's reversals (`claim national-reversed`) -------- */

/* `claim national-reversed import FILE.csv`: the national platform's list
 * of settlements it reversed (docs/national.md "The reversed list"): a
 * header line naming the columns, in any order, `setl_id` and
 * `reversed_on` (YYYY-MM-DD) required, any other column ignored; one
 * settlement a line. The whole file in one transaction: a line that is not
 * one refuses the file (ZT_EINVAL, "FILE:LINE: …"), nothing stored. A
 * number already recorded keeps its first record. */
struct zt_national_import_req {
	const char *path;    /* the file ("-": stdin is not accepted) */
	const char *name;    /* what messages and the record call it (the path) */
	const char *actor;   /* normalised here (actor.h) */
};
struct zt_national_import_res {
	int64_t lines;       /* settlements in the file */
	int64_t added;       /* recorded now */
	int64_t known;       /* recorded before (or twice in the file) */
	int64_t live;        /* live settlements standing on a reversed one, after the import */
};
int zt_national_reversed_import(struct zt_store *s, const struct zt_national_import_req *req,
                                struct zt_national_import_res *res);

/* `claim list --national-reversed`: every live settlement standing on a
 * national settlement the platform reversed — each must be reversed here
 * too (`claim reverse`); `verify` warns about each until it is. In one
 * read snapshot; `row` once per settlement. */
int zt_national_reversed_list(struct zt_store *s,
                              int (*row)(void *ctx, const struct zt_national_reversed_line *l),
                              void *ctx, int64_t *count);

#endif
