/* zhitong — settling on top of the national platform, the parts of
 * settle.c's dispatch (settle_national.c): private to the engine. */
#ifndef ZHITONG_NATIONAL_INT_H
#define ZHITONG_NATIONAL_INT_H

#include "zhitong/national.h"
#include "zhitong/store.h"

/* The national funds a supplementary policy names (<national-funds>). */
void zt_policy_national_funds(struct zt_national_funds *out, const struct zt_policy *p);

/* docs/spec/claim-v2-national.md §3 for a claim under a supplementary
 * policy, after the checks of interfaces.md: national-missing, then
 * national-mismatch (the amounts; then the national setl_id standing under
 * another claim's live settlement, asked of the store). *why ZT_REJ_NONE
 * when the claim may be split, else the code with `msg`
 * (ZT_MESSAGE_BYTES_MAX); returns 0 or a storage error. Nothing for a full
 * policy (settle.c answers national-unexpected itself). */
int zt_settle_national_check(struct zt_store *s, const struct zt_policy *pol,
                             const struct zt_claim *c, char *msg, zt_reject *why);

/* The split of the policy's mode: zt_split, or zt_split_supplementary on
 * the claim's <national>. */
int zt_settle_split(struct zt_split_result *out, const struct zt_policy *p,
                    const struct zt_split_ctx *ctx, const struct zt_classified *cls,
                    const struct zt_claim *c, const struct zt_accum *before);

/* After the settlement of row `row` was written (same savepoint): stores
 * what claim v2 `c` carries (claims.v2_put; its national setl_id now in
 * use when `p` is supplementary) and completes the answer `st` with the
 * claim's version and national settlement. Nothing stored for a v1 claim. */
int zt_settle_v2_record(struct zt_store *s, int64_t row, const struct zt_claim *c,
                        const struct zt_policy *p, struct zt_stored_settlement *st);

#endif
