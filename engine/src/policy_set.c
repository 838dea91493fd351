/* zhitong — the loaded policies (policy.h): read from the store, parsed
 * here (the store keeps their source text only). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zhitong/alloc.h"
#include "zhitong/error.h"
#include "zhitong/policy.h"
#include "zhitong/store.h"

static int add_policy(void *ctx, const struct zt_stored_policy *sp)
{
	struct zt_policy_set *set = ctx;
	/* a county has a handful: one at a time */
	struct zt_policy_entry *n = zt_realloc(set->entries, ((size_t)set->count + 1) * sizeof *n);
	if (!n)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	set->entries = n;
	struct zt_policy_entry *e = &set->entries[set->count];
	char name[64];
	snprintf(name, sizeof name, "stored policy #%lld", (long long)sp->row);
	e->row = sp->row;
	e->status = (int)sp->status;
	e->ends = sp->ends;
	e->replaces = sp->replaces;
	e->supersedes = sp->supersedes;
	snprintf(e->loaded_by, sizeof e->loaded_by, "%s", sp->loaded_by);
	int rc = zt_policy_parse(&e->policy, sp->xml, sp->len, name);
	if (rc == 0)
		set->count++;
	return rc;
}

int zt_policy_set_load(struct zt_policy_set *out, struct zt_store *s)
{
	memset(out, 0, sizeof *out);
	int rc = s->ops->policies.each(s, add_policy, out);
	if (rc)
		zt_policy_set_free(out);
	return rc;
}

void zt_policy_set_free(struct zt_policy_set *set)
{
	free(set->entries);
	memset(set, 0, sizeof *set);
}

const struct zt_policy_entry *zt_policy_set_find(const struct zt_policy_set *set,
                                                 const char *county, zt_date date)
{
	/* docs/spec/rules-v2.md §4: pending and replaced versions are never
	 * used; a superseded one ends the day before its successor starts */
	for (int i = 0; i < set->count; i++) {
		const struct zt_policy_entry *e = &set->entries[i];
		const struct zt_policy *p = &e->policy;
		if (e->status == ZT_POLICY_ACTIVE && strcmp(p->county, county) == 0 &&
		    p->effective_from <= date && (e->ends == 0 || date <= e->ends))
			return e;
	}
	return NULL;
}

const struct zt_policy_entry *zt_policy_set_row(const struct zt_policy_set *set, int64_t row)
{
	for (int i = 0; i < set->count; i++)
		if (set->entries[i].row == row)
			return &set->entries[i];
	return NULL;
}
