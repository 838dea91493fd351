/* zhitong — opening a store: the implementation is chosen from the
 * database argument (store.h). */
#include <stdlib.h>
#include <string.h>

#include "pg/pg_int.h"
#include "sqlite/sqlite_int.h"
#include "zhitong/error.h"
#include "zhitong/store.h"

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int zt_store_open(struct zt_store **out, const char *target, const struct zt_store_options *opts)
{
	static const struct zt_store_options defaults = {0};
	*out = NULL;
	if (!target || !target[0])
		return zt_error_set(ZT_EINVAL, "no database given");
	if (!opts)
		opts = &defaults;
	if (starts_with(target, "postgresql://") || starts_with(target, "postgres://"))
		return pg_open(out, target, opts);
	if (starts_with(target, "sqlite:")) {
		target += strlen("sqlite:");
		if (!target[0])
			return zt_error_set(ZT_EINVAL, "database 'sqlite:': the path is missing");
	}
	return sq_open(out, target, opts);
}

void zt_store_close(struct zt_store *s)
{
	if (s)
		s->ops->close(s);
}
