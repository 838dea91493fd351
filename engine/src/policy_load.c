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

/* docs/spec/claim-v2-national.md §2: all the policies of one county within
 * one calendar year have one mode (amend.h zt_policy_modes_check, the one
 * rule), the stored ones and `pol` together. In the caller's transaction. */
static int one_mode_a_year(struct zt_store *s, const struct zt_policy *pol, const char *name)
{
	struct zt_policy_set set;
	int rc = zt_policy_set_load(&set, s);
	struct zt_policy_span *spans = rc ? NULL : zt_calloc((size_t)set.count + 1, sizeof *spans);
	if (rc == 0 && !spans)
		rc = zt_error_set(ZT_ENOMEM, "out of memory");
	int n = 0;
	for (int i = 0; rc == 0 && i < set.count; i++) {
		const struct zt_policy *o = &set.entries[i].policy;
		if (strcmp(o->county, pol->county) == 0)
			spans[n++] = (struct zt_policy_span){o->id, o->county, o->effective_from,
			                                     o->effective_to, o->mode};
	}
	if (rc == 0) {
		spans[n++] = (struct zt_policy_span){pol->id, pol->county, pol->effective_from,
		                                     pol->effective_to, pol->mode};
		if ((rc = zt_policy_modes_check(spans, n)) != 0) {
			char why[ZT_MESSAGE_BYTES_MAX];
			snprintf(why, sizeof why, "%s", zt_error_last());
			rc = zt_error_set(rc, "%s: %s", name, why);
		}
	}
	free(spans);
	zt_policy_set_free(&set);
	return rc;
}

int zt_rules_load(struct zt_store *s, const struct zt_rules_req *req, struct zt_rules_res *res)
{
	struct zt_policy *pol = NULL;
	char who[ZT_ACTOR_BYTES];
	int rc = parse(&pol, req, res);
	if (rc || (rc = zt_actor_normalize(who, req->actor)) ||
	    (rc = s->ops->begin(s, ZT_TXN_WRITE)))
		goto done;
	if ((rc = funds_registered(s, pol, req->name)) == 0 &&
	    (rc = one_mode_a_year(s, pol, req->name)) == 0)
		rc = s->ops->policies.put(s, pol, req->xml, req->len, who, &res->row, &res->was_new);
	if (rc == 0 && res->was_new)
		rc = s->ops->audit.add(s, who, "rules load", req->name, pol->id);
	if (rc == 0)
		rc = s->ops->commit(s); /* a failed commit has rolled back */
	else
		s->ops->rollback(s);
done:
	free(pol);
	return rc;
}
