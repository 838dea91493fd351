/* zhitong — the pools' counties and accounts recorded in the database
 * (pools.h), so that a claim settled without a configuration still finds
 * its pool, and a bank account its pool's books. */
#include "zhitong/pools.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zhitong/alloc.h"
#include "zhitong/error.h"
#include "zhitong/store.h"
#include "zhitong/text.h"

struct places {
	struct zt_pool_place *v;
	size_t n, cap;
};

static int add(struct places *p, bool account, const char *key, size_t len, const char *pool)
{
	if (len == 0 || len >= sizeof p->v->key)
		return 0; /* the configuration's checks refused what does not fit */
	/* a place once: the first pool that names it, as zt_config_pool_of_account */
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].account == account && strlen(p->v[i].key) == len &&
		    memcmp(p->v[i].key, key, len) == 0)
			return 0;
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		void *v = zt_realloc(p->v, cap * sizeof *p->v);
		if (!v)
			return zt_error_set(ZT_ENOMEM, "out of memory");
		p->v = v;
		p->cap = cap;
	}
	struct zt_pool_place *x = &p->v[p->n++];
	memset(x, 0, sizeof *x);
	x->account = account;
	memcpy(x->key, key, len);
	zt_text_put(x->pool, sizeof x->pool, pool);
	return 0;
}

/* counties first, then accounts, each in key order (as pools_each) */
static int cmp(const void *a, const void *b)
{
	const struct zt_pool_place *x = a, *y = b;
	if (x->account != y->account)
		return x->account ? 1 : -1;
	return strcmp(x->key, y->key);
}

static int wanted(const struct zt_config *cfg, struct places *p)
{
	size_t n = zt_config_pool_count(cfg);
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const char *id = zt_config_pool_id(cfg, i);
		const char *counties = zt_config_pool_counties(cfg, id);
		const char *account = zt_config_pool_get(cfg, id, "account");
		for (const char *c = counties; c && *c && rc == 0;) {
			c += strspn(c, " \t,");
			size_t k = strcspn(c, " \t,");
			rc = add(p, false, c, k, id);
			c += k;
		}
		if (rc == 0 && account && account[0])
			rc = add(p, true, account, strlen(account), id);
	}
	if (rc == 0 && p->n > 1)
		qsort(p->v, p->n, sizeof *p->v, cmp);
	return rc;
}

static int stored_row(void *ctx, const struct zt_pool_place *x)
{
	struct places *p = ctx;
	return add(p, x->account, x->key, strlen(x->key), x->pool);
}

static bool same(const struct places *a, const struct places *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (cmp(&a->v[i], &b->v[i]) != 0 || strcmp(a->v[i].pool, b->v[i].pool) != 0)
			return false;
	return true;
}

int zt_pools_record(struct zt_store *s, const struct zt_config *cfg, bool *changed)
{
	struct places want = {0}, have = {0};
	if (changed)
		*changed = false;
	int rc = wanted(cfg, &want);
	/* a quick look first, outside a write transaction: mostly unchanged */
	if (rc == 0)
		rc = s->ops->registry.pools_each(s, stored_row, &have);
	if (rc == 0 && !same(&want, &have)) {
		if ((rc = s->ops->begin(s, ZT_TXN_WRITE)) == 0) {
			have.n = 0;
			if ((rc = s->ops->registry.pools_each(s, stored_row, &have)) == 0 &&
			    !same(&want, &have) &&
			    (rc = s->ops->registry.pools_replace(s, want.v, want.n)) == 0 && changed)
				*changed = true;
			if (rc == 0)
				rc = s->ops->commit(s);
			else
				s->ops->rollback(s);
		}
	}
	free(want.v);
	free(have.v);
	return rc;
}

int zt_pools_of_account(struct zt_store *s, const struct zt_config *cfg, const char *account,
                        char pool[ZT_POOL_ID_BYTES])
{
	const char *id = cfg ? zt_config_pool_of_account(cfg, account) : NULL;
	if (id) {
		zt_text_put(pool, ZT_POOL_ID_BYTES, id);
		return 0;
	}
	int rc = s->ops->registry.pool_of_account(s, account, pool);
	if (rc == ZT_ENOTFOUND) {
		zt_error_clear();
		zt_text_put(pool, ZT_POOL_ID_BYTES, ZT_POOL_DEFAULT);
		return 0;
	}
	return rc;
}

int zt_pools_each(struct zt_store *s, int (*cb)(void *ctx, const struct zt_pool_place *p),
                  void *ctx)
{
	return s->ops->registry.pools_each(s, cb, ctx);
}
