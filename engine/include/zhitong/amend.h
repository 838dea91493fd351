/* zhitong — amending policies and catalogues (docs/spec/rules-v2.md §4,
 * and §2 for catalogues): the date arithmetic and the checks of
 * `--replaces` and `--supersedes`, and the rule that one county has one
 * mode in a calendar year (docs/spec/claim-v2-national.md §2).
 *
 * Pure: the caller brings what the store knows (the old version's dates,
 * how many settlements used it, the county's versions) and gets a yes, or
 * a refusal with its message (zt_error_last()), to make again at approval
 * when approval is required. Nothing here reads or writes a store. */
#ifndef ZHITONG_AMEND_H
#define ZHITONG_AMEND_H

#include <stdint.h>

#include "money.h"
#include "policy.h"

/* A last day to compare with: 0 (open-ended) is the end of time. */
zt_date zt_amend_end(zt_date last);
/* A last day for people: "2017-12-31", or "open-ended" for 0. Returns out. */
char *zt_amend_format_end(char out[ZT_FMT_BYTES], zt_date last);

/* `--replaces OLD`: a correction of a version that no settlement has used.
 * `what` is "policy" or "catalogue", `old_id` its id, `used` the number of
 * settlements that used it. 0, or ZT_ECONFLICT naming how many stand in
 * the way. */
int zt_amend_replace_check(const char *what, const char *old_id, int64_t used);

/* `--supersedes OLD`: a new version from `new_from`, which must lie after
 * the old version's effective-from and not after its effective-to (0 =
 * open-ended); the old version then ends the day before, returned in
 * *old_end. `used_from` is the number of settlements discharged on or
 * after `new_from` that used the old version: any refuses it (they must be
 * reversed first). 0, ZT_EINVAL for dates that do not fit, or ZT_ECONFLICT
 * naming how many settlements stand in the way. */
int zt_amend_supersede_check(zt_date *old_end, const char *what, const char *old_id,
                             zt_date old_from, zt_date old_to, zt_date new_from,
                             int64_t used_from);

/* One version of a county's policy as the store holds it, as it would
 * stand after a load (a superseded version with its new end, a replaced
 * one left out). */
struct zt_policy_span {
	const char *id;
	const char *county;
	zt_date from, to; /* to 0 = open-ended */
	enum zt_policy_mode mode;
};

/* All the policies of one county within one calendar year have one mode
 * (zhitong does not hold the national platform's yearly totals, so a
 * switch inside a year would start them at zero): 0, or ZT_ECONFLICT
 * naming two policies of different modes that share a calendar year of
 * one county, and the year. A change at a year boundary is allowed. */
int zt_policy_modes_check(const struct zt_policy_span *spans, int count);

#endif
