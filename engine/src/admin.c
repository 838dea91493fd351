/* zhitong — `init` and `status` as use cases (verify.h). */
#include "zhitong/store.h"
#include "zhitong/verify.h"

int zt_init(struct zt_store *s, struct zt_init_res *res)
{
	res->from_version = res->to_version = 0;
	return s->ops->migrate(s, &res->from_version, &res->to_version);
}

int zt_status(struct zt_store *s, void (*row)(void *ctx, const char *table, int64_t rows),
              void *ctx, struct zt_status_res *res)
{
	res->version = ZT_STORE_VERSION;
	return s->ops->verify.counts(s, row, ctx);
}
