/* zhitong — amending policies and catalogues (see amend.h;
 * docs/spec/rules-v2.md §4, docs/spec/claim-v2-national.md §2). */
#include "zhitong/amend.h"

#include <stdio.h>
#include <string.h>

#include "zhitong/error.h"

zt_date zt_amend_end(zt_date last) { return last ? last : 99991231; }

char *zt_amend_format_end(char out[ZT_FMT_BYTES], zt_date last)
{
	if (last)
		return zt_format_date(out, last);
	snprintf(out, ZT_FMT_BYTES, "open-ended");
	return out;
}

int zt_amend_replace_check(const char *what, const char *old_id, int64_t used)
{
	if (used <= 0)
		return 0;
	return zt_error_set(ZT_ECONFLICT,
	                    "%s '%s' cannot be replaced: %lld settlement%s used it (a replacement "
	                    "corrects a version nothing used; supersede it from a later date, or "
	                    "reverse them first)",
	                    what, old_id, (long long)used, used == 1 ? "" : "s");
}

int zt_amend_supersede_check(zt_date *old_end, const char *what, const char *old_id,
                             zt_date old_from, zt_date old_to, zt_date new_from,
                             int64_t used_from)
{
	char a[ZT_FMT_BYTES], b[ZT_FMT_BYTES];
	if (!zt_date_valid(old_from) || !zt_date_valid(new_from) ||
	    (old_to && !zt_date_valid(old_to)))
		return zt_error_set(ZT_EINVAL, "%s '%s': a date is not a calendar date", what, old_id);
	if (new_from <= old_from)
		return zt_error_set(ZT_EINVAL,
		                    "the new version's effective-from %s must lie after the "
		                    "effective-from of %s '%s' (%s)",
		                    zt_format_date(a, new_from), what, old_id, zt_format_date(b, old_from));
	if (old_to && new_from > old_to)
		return zt_error_set(ZT_EINVAL,
		                    "the new version's effective-from %s lies after the effective-to "
		                    "of %s '%s' (%s): nothing is left to supersede",
		                    zt_format_date(a, new_from), what, old_id, zt_format_date(b, old_to));
	if (used_from > 0)
		return zt_error_set(ZT_ECONFLICT,
		                    "%s '%s' cannot be superseded from %s: %lld settlement%s "
		                    "discharged on or after that day used it (reverse %s first)",
		                    what, old_id, zt_format_date(a, new_from), (long long)used_from,
		                    used_from == 1 ? "" : "s", used_from == 1 ? "it" : "them");
	*old_end = zt_date_add(new_from, -1);
	return 0;
}

static int year_of(zt_date d) { return (int)(d / 10000); }

int zt_policy_modes_check(const struct zt_policy_span *spans, int count)
{
	for (int i = 0; i < count; i++)
		for (int j = i + 1; j < count; j++) {
			const struct zt_policy_span *p = &spans[i], *q = &spans[j];
			if (p->mode == q->mode || strcmp(p->county, q->county) != 0)
				continue;
			/* The calendar years each touches, open-ended to the end of time. */
			int p_last = p->to ? year_of(p->to) : 9999, q_last = q->to ? year_of(q->to) : 9999;
			int first = year_of(p->from) > year_of(q->from) ? year_of(p->from) : year_of(q->from);
			int last = p_last < q_last ? p_last : q_last;
			if (first > last)
				continue;
			return zt_error_set(ZT_ECONFLICT,
			                    "county %s would have a %s policy ('%s') and a %s one ('%s') in "
			                    "%d: all the policies of a county in one calendar year have one "
			                    "mode (change it at a year boundary)",
			                    p->county, zt_policy_mode_name(p->mode), p->id,
			                    zt_policy_mode_name(q->mode), q->id, first);
		}
	return 0;
}
