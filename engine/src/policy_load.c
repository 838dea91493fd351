/* zhitong — `rules check` and `rules load` as use cases (policy.h): what
 * may be loaded, decided here, stored through the port. */
#include <stdlib.h>
#include <string.h>

#include "zhitong/actor.h"
#include "zhitong/amend.h"
#include "zhitong/alloc.h"
#include "zhitong/error.h"
#include "zhitong/policy.h"
#include "zhitong/registry.h"
#include "zhitong/store.h"

#include <stdio.h>

static void summarise(struct zt_rules_res *res, const struct zt_policy *p)
{
	const char *codes[3 + ZT_RELIEF_MAX];
	snprintf(res->policy_id, sizeof res->policy_id, "%s", p->id);
	snprintf(res->county, sizeof res->county, "%s", p->county);
	res->effective_from = p->effective_from;
	res->effective_to = p->effective_to;
	res->mode = p->mode;
	res->version = p->version;
	res->fund_count = zt_policy_funds(p, codes);
}

/* Parses into *pol (caller frees) and summarises. */
static int parse(struct zt_policy **pol, const struct zt_rules_req *req, struct zt_rules_res *res)
{
	memset(res, 0, sizeof *res);
	if (!(*pol = zt_malloc(sizeof **pol)))
		return zt_error_set(ZT_ENOMEM, "out of memory");
	int rc = zt_policy_parse(*pol, req->xml, req->len, req->name);
	if (rc == 0)
		summarise(res, *pol);
	return rc;
}

int zt_rules_check(const struct zt_rules_req *req, struct zt_rules_res *res)
{
	struct zt_policy *pol = NULL;
	int rc = parse(&pol, req, res);
	free(pol);
	return rc;
}

/* Every fund the policy names is registered; in the caller's transaction. */
static int funds_registered(struct zt_store *s, const struct zt_policy *pol, const char *name)
{
	const char *codes[3 + ZT_RELIEF_MAX];
	int n = zt_policy_funds(pol, codes);
	for (int i = 0; i < n; i++) {
		struct zt_fund f;
		int rc = s->ops->registry.get_fund(s, codes[i], &f);
		if (rc == ZT_ENOTFOUND)
			return zt_error_set(ZT_EINVAL, "%s: fund '%s' named by the policy is not in the "
			                    "registry (load it with 'registry load' first)", name, codes[i]);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- amendments (docs/spec/rules-v2.md §4) --------------------------------- */

/* The version named `id` in `want` state (a status, or -1: active, else
 * pending), or NULL. */
static const struct zt_policy_entry *named(const struct zt_policy_set *set, const char *id,
                                           int want)
{
	const struct zt_policy_entry *pending = NULL;
	for (int i = 0; i < set->count; i++) {
		const struct zt_policy_entry *e = &set->entries[i];
		if (strcmp(e->policy.id, id) != 0)
			continue;
		if (want >= 0 ? e->status == want : e->status == ZT_POLICY_ACTIVE)
			return e;
		if (want < 0 && e->status == ZT_POLICY_PENDING)
			pending = e;
	}
	return pending;
}

/* What a load (self 0) or an approval (self the pending row) of `pol`
 * amending `old` (NULL: none; `supersede` tells which) may do given the
 * stored versions: 0 with *old_end the superseded version's new last day,
 * or the refusal. The one rule set, run at the load and again at the
 * approval. In the caller's transaction. */
static int amend_check(struct zt_store *s, const struct zt_policy_set *set,
                       const struct zt_policy *pol, int64_t self,
                       const struct zt_policy_entry *old, bool supersede, const char *name,
                       zt_date *old_end)
{
	int rc;
	*old_end = 0;
	if (old) {
		const char *how = supersede ? "supersede" : "replace";
		if (strcmp(old->policy.county, pol->county) != 0)
			return zt_error_set(ZT_EINVAL, "%s: policy '%s' is for county %s, not %s: it cannot "
			                    "%s policy '%s'", name, pol->id, pol->county,
			                    old->policy.county, how, old->policy.id);
		if (old->status == ZT_POLICY_REPLACED)
			return zt_error_set(ZT_ECONFLICT, "%s: policy '%s' was replaced already", name,
			                    old->policy.id);
		if (supersede && old->status != ZT_POLICY_ACTIVE)
			return zt_error_set(ZT_ECONFLICT, "%s: policy '%s' is pending: approve it (or "
			                    "replace it) before superseding it", name, old->policy.id);
		int64_t used = 0;
		if ((rc = s->ops->policies.used(s, old->row, supersede ? pol->effective_from : 0,
		                                &used)) != 0)
			return rc;
		rc = supersede ? zt_amend_supersede_check(old_end, "policy", old->policy.id,
		                                          old->policy.effective_from, old->ends,
		                                          pol->effective_from, used)
		               : zt_amend_replace_check("policy", old->policy.id, used);
		if (rc) {
			char why[ZT_MESSAGE_BYTES_MAX];
			snprintf(why, sizeof why, "%s", zt_error_last());
			return zt_error_set(rc, "%s: %s", name, why);
		}
	}
	/* the id names one version: only the one it replaces may share it (a
	 * superseded version stays in use: the new one needs its own) */
	for (int i = 0; i < set->count; i++) {
		const struct zt_policy_entry *e = &set->entries[i];
		if (e->row == self || e->status == ZT_POLICY_REPLACED || (e == old && !supersede) ||
		    strcmp(e->policy.id, pol->id) != 0)
			continue;
		if (old && !supersede && e->status == ZT_POLICY_PENDING && e->replaces == old->row)
			continue; /* another pending correction of the same version: approval decides */
		return zt_error_set(ZT_ECONFLICT, "%s: policy id '%s' is taken by a version already "
		                    "loaded (%s): give the new version its own id, or correct that one "
		                    "with --replaces %s", name, pol->id,
		                    e->status == ZT_POLICY_PENDING ? "pending" : "active", pol->id);
	}
	/* no other active version of the county overlaps, the amended one as
	 * it will stand; and one mode a calendar year */
	struct zt_policy_span *spans = zt_calloc((size_t)set->count + 1, sizeof *spans);
	if (!spans)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	int n = 0, overlap = -1;
	zt_date new_end = zt_amend_end(pol->effective_to), overlap_end = 0;
	for (int i = 0; i < set->count; i++) {
		const struct zt_policy_entry *e = &set->entries[i];
		const struct zt_policy *o = &e->policy;
		if (e->row == self || e->status != ZT_POLICY_ACTIVE || strcmp(o->county, pol->county))
			continue;
		if (old && e == old && !supersede)
			continue; /* replaced: gone */
		zt_date end = old && e == old ? *old_end : e->ends;
		spans[n++] = (struct zt_policy_span){o->id, o->county, o->effective_from, end, o->mode};
		if (overlap < 0 && o->effective_from <= new_end &&
		    pol->effective_from <= zt_amend_end(end)) {
			overlap = i;
			overlap_end = end;
		}
	}
	/* one mode a calendar year first (as v1 of this check said it) */
	spans[n++] = (struct zt_policy_span){pol->id, pol->county, pol->effective_from,
	                                     pol->effective_to, pol->mode};
	if ((rc = zt_policy_modes_check(spans, n)) != 0) {
		char why[ZT_MESSAGE_BYTES_MAX];
		snprintf(why, sizeof why, "%s", zt_error_last());
		rc = zt_error_set(rc, "%s: %s", name, why);
	} else if (overlap >= 0) {
		const struct zt_policy *o = &set->entries[overlap].policy;
		char a[ZT_FMT_BYTES], b[ZT_FMT_BYTES];
		rc = zt_error_set(ZT_ECONFLICT, "policy '%s' for county %s overlaps policy '%s' "
		                  "(%s to %s) already loaded: supersede it (--supersedes %s), "
		                  "correct it (--replaces %s) or change the dates", pol->id,
		                  pol->county, o->id, zt_format_date(a, o->effective_from),
		                  zt_amend_format_end(b, overlap_end), o->id, o->id);
	}
	free(spans);
	return rc;
}

/* The amended version's change, once the new one is in use. */
static int carry_out(struct zt_store *s, const char *who, const struct zt_policy_entry *old,
                     bool supersede, zt_date old_end, const char *new_id,
                     struct zt_rules_res *res)
{
	char detail[ZT_MESSAGE_BYTES_MAX / 2], d[ZT_FMT_BYTES];
	int rc;
	if (!old)
		return 0;
	if (supersede) {
		if ((rc = s->ops->policies.set_ends(s, old->row, old_end)) != 0)
			return rc;
		snprintf(res->superseded, sizeof res->superseded, "%s", old->policy.id);
		res->superseded_end = old_end;
		snprintf(detail, sizeof detail, "ends %s, superseded by %s",
		         zt_format_date(d, old_end), new_id);
		return s->ops->audit.add(s, who, "rules supersede", old->policy.id, detail);
	}
	if ((rc = s->ops->policies.mark_replaced(s, old->row)) != 0)
		return rc;
	snprintf(res->replaced, sizeof res->replaced, "%s", old->policy.id);
	snprintf(detail, sizeof detail, "replaced by %s", new_id);
	return s->ops->audit.add(s, who, "rules replace", old->policy.id, detail);
}

static int find_old(const struct zt_policy_set *set, const char *id, const char *name,
                    const struct zt_policy_entry **out)
{
	if (!(*out = named(set, id, -1)))
		return zt_error_set(ZT_ENOTFOUND, "%s: policy '%s' is not loaded (or was replaced)",
		                    name, id);
	return 0;
}

int zt_rules_load(struct zt_store *s, const struct zt_rules_req *req, struct zt_rules_res *res)
{
	struct zt_policy *pol = NULL;
	struct zt_policy_set set = {0};
	char who[ZT_ACTOR_BYTES];
	bool txn = false;
	int rc = parse(&pol, req, res);
	if (rc == 0 && req->replaces && req->supersedes)
		rc = zt_error_set(ZT_EINVAL, "--replaces and --supersedes go alone: one or the other");
	if (rc || (rc = zt_actor_normalize(who, req->actor)) ||
	    (rc = s->ops->begin(s, ZT_TXN_WRITE)))
		goto done;
	txn = true;
	const char *old_id = req->replaces ? req->replaces : req->supersedes;
	bool supersede = req->supersedes != NULL;
	const struct zt_policy_entry *old = NULL;
	zt_date old_end = 0;
	if ((rc = funds_registered(s, pol, req->name)) != 0 ||
	    (rc = zt_policy_set_load(&set, s)) != 0 ||
	    (old_id && (rc = find_old(&set, old_id, req->name, &old)) != 0))
		goto done;
	/* stored first, checked after in the same transaction (a refusal
	 * rolls it back); the identical document again (same id and digest)
	 * is the store's no-op: nothing to do, nothing to check */
	struct zt_policy_put how = {.pending = req->approval_required,
	                            .replaces = old && !supersede ? old->row : 0,
	                            .supersedes = old && supersede ? old->row : 0};
	if ((rc = s->ops->policies.put(s, pol, req->xml, req->len, who, &how, &res->row,
	                               &res->was_new)) != 0)
		goto done;
	if (!res->was_new) {
		const struct zt_policy_entry *same = zt_policy_set_row(&set, res->row);
		res->pending = same && same->status == ZT_POLICY_PENDING;
		goto commit;
	}
	if ((rc = amend_check(s, &set, pol, res->row, old, supersede, req->name, &old_end)) != 0)
		goto done;
	res->pending = req->approval_required;
	if (!res->pending && (rc = carry_out(s, who, old, supersede, old_end, pol->id, res)) != 0)
		goto done;
	/* the detail is the id alone: verify finds each policy's load by it */
	if ((rc = s->ops->audit.add(s, who, "rules load", req->name, pol->id)) != 0)
		goto done;
commit:
	txn = false;
	rc = s->ops->commit(s); /* a failed commit has rolled back */
done:
	if (txn)
		s->ops->rollback(s);
	zt_policy_set_free(&set);
	free(pol);
	return rc;
}

int zt_rules_approve(struct zt_store *s, const char *id, const char *actor,
                     struct zt_rules_res *res)
{
	struct zt_policy_set set = {0};
	char who[ZT_ACTOR_BYTES];
	bool txn = false;
	memset(res, 0, sizeof *res);
	int rc = zt_actor_normalize(who, actor);
	if (rc || (rc = s->ops->begin(s, ZT_TXN_WRITE)) != 0)
		goto done;
	txn = true;
	if ((rc = zt_policy_set_load(&set, s)) != 0)
		goto done;
	const struct zt_policy_entry *e = named(&set, id, ZT_POLICY_PENDING);
	if (!e) {
		const struct zt_policy_entry *a = named(&set, id, -1);
		rc = a ? zt_error_set(ZT_ECONFLICT, "policy '%s' is not pending: it is in use", id)
		       : zt_error_set(ZT_ENOTFOUND, "policy '%s' is not loaded", id);
		goto done;
	}
	if (strcmp(e->loaded_by, who) == 0) {
		rc = zt_error_set(ZT_EFOUREYES, "maker-checker: policy '%s' was loaded by %s: someone "
		                  "else must approve it", id, e->loaded_by);
		goto done;
	}
	const struct zt_policy_entry *old = NULL;
	bool supersede = e->supersedes != 0;
	int64_t old_row = e->supersedes ? e->supersedes : e->replaces;
	if (old_row && !(old = zt_policy_set_row(&set, old_row))) {
		rc = zt_error_set(ZT_EINTERNAL, "policy '%s' amends a policy that is not stored", id);
		goto done;
	}
	char name[ZT_MESSAGE_BYTES_MAX / 4];
	snprintf(name, sizeof name, "policy '%s'", id);
	zt_date old_end = 0;
	summarise(res, &e->policy);
	/* the checks of the load, again: the store may have moved since */
	if ((rc = amend_check(s, &set, &e->policy, e->row, old, supersede, name, &old_end)) != 0 ||
	    (rc = s->ops->policies.approve(s, e->row, who)) != 0 ||
	    (rc = carry_out(s, who, old, supersede, old_end, id, res)) != 0 ||
	    (rc = s->ops->audit.add(s, who, "rules approve", id, "")) != 0)
		goto done;
	res->row = e->row;
	res->was_new = true;
	txn = false;
	rc = s->ops->commit(s);
done:
	if (txn)
		s->ops->rollback(s);
	if (rc)
		memset(res, 0, sizeof *res);
	zt_policy_set_free(&set);
	return rc;
}

struct each_ctx {
	struct zt_store *s;
	const char *id;
	int (*cb)(void *ctx, const struct zt_stored_policy *p, int64_t used);
	void *ctx;
};

static int each_seen(void *ctx, const struct zt_stored_policy *p)
{
	struct each_ctx *x = ctx;
	if (x->id && strcmp(x->id, p->policy_id) != 0)
		return 0;
	int64_t used = 0;
	int rc = x->s->ops->policies.used(x->s, p->row, 0, &used);
	return rc ? rc : x->cb(x->ctx, p, used);
}

int zt_rules_each(struct zt_store *s, const char *id,
                  int (*cb)(void *ctx, const struct zt_stored_policy *p, int64_t used),
                  void *ctx)
{
	struct each_ctx x = {s, id, cb, ctx};
	int rc = s->ops->begin(s, ZT_TXN_READ);
	if (rc)
		return rc;
	rc = s->ops->policies.each(s, each_seen, &x);
	s->ops->rollback(s); /* a read: nothing to keep */
	return rc;
}
