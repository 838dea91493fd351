/* zhitong — `registry load` as a use case (registry.h): the registry's
 * records upserted through the store port in one transaction. */
#include <stdio.h>
#include <string.h>

#include "zhitong/actor.h"
#include "zhitong/error.h"
#include "zhitong/registry.h"
#include "zhitong/store.h"

struct load {
	struct zt_store *s;
	struct zt_registry_load_res *res;
};

static int put_hospital(void *ctx, const struct zt_hospital *h, int line)
{
	(void)line;
	struct load *l = ctx;
	l->res->hospitals++;
	return l->s->ops->registry.put_hospital(l->s, h);
}

static int put_person(void *ctx, const struct zt_person *p, int line)
{
	(void)line;
	struct load *l = ctx;
	l->res->people++;
	int rc = l->s->ops->registry.put_person(l->s, p);
	/* docs/spec/rules-v2.md §3: a load replaces the person's periods as a
	 * whole (none, from a v1 file); settlements keep the category they used */
	return rc ? rc : l->s->ops->registry.put_periods(l->s, p->psn_no, p->periods, p->period_count);
}

static int put_fund(void *ctx, const struct zt_fund *f, int line)
{
	(void)line;
	struct load *l = ctx;
	l->res->funds++;
	return l->s->ops->registry.put_fund(l->s, f);
}

int zt_registry_load(struct zt_store *s, const struct zt_registry_load_req *req,
                     struct zt_registry_load_res *res)
{
	char who[ZT_ACTOR_BYTES];
	memset(res, 0, sizeof *res);
	int rc = zt_actor_normalize(who, req->actor);
	if (rc || (rc = s->ops->begin(s, ZT_TXN_WRITE)))
		return rc;
	struct load l = {s, res};
	const struct zt_registry_visitor v = {&l, put_hospital, put_person, put_fund};
	rc = zt_registry_parse_source(req->src, &v);
	if (rc == 0) {
		char detail[160];
		snprintf(detail, sizeof detail, "%lld hospitals, %lld people, %lld funds",
		         (long long)res->hospitals, (long long)res->people, (long long)res->funds);
		rc = s->ops->audit.add(s, who, "registry load", zt_source_name(req->src), detail);
	}
	if (rc == 0)
		rc = s->ops->commit(s); /* a failed commit has rolled back */
	else
		s->ops->rollback(s);
	if (rc)
		memset(res, 0, sizeof *res);
	return rc;
}
