/* zhitong — `catalog check` as a use case (catalog.h). */
#include <string.h>

#include "zhitong/catalog.h"

int zt_catalog_check(const struct zt_source *src, struct zt_catalog_check_res *res)
{
	struct zt_catalog *cat = NULL;
	memset(res, 0, sizeof *res);
	int rc = zt_catalog_parse_source(&cat, src);
	if (rc)
		return rc;
	res->info = *zt_catalog_info(cat);
	res->entries = zt_catalog_count(cat);
	for (size_t i = 0; i < res->entries; i++)
		res->codes += i == 0 || strcmp(zt_catalog_entry_at(cat, i)->code,
		                               zt_catalog_entry_at(cat, i - 1)->code) != 0;
	zt_catalog_free(cat);
	return 0;
}
