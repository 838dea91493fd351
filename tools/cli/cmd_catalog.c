/* zhitong — catalog: the insurer's catalogue (docs/spec/rules-v2.md §2).
 *
 * Only `check` for now (no database): `load`, `show` and `approve` come
 * with the catalogue's place in the store. */
#include <string.h>

#include "cli.h"
#include "zhitong/catalog.h"
#include "zhitong/error.h"

static const char catalog_help[] =
	"usage: zhitong catalog check FILE.xml\n"
	"\n"
	"A catalogue (urn:zhitong:catalog:1, schema/catalog.xsd) is the insurer's\n"
	"list of item codes (医保目录) for one county and a span of dates: each\n"
	"entry's class (chrgitm_lv 01 甲, 02 乙, 03 丙; the one-digit forms too),\n"
	"self-pay ratio (02 entries only) and unit-price ceiling per hospital level.\n"
	"'check' validates one against the schema and every rule of the format\n"
	"(every entry inside the catalogue's dates, the entries of one code not\n"
	"overlapping, at most one ceiling per level, the lexical rules of ratios\n"
	"and unit prices, …) and needs no database. Any rule broken refuses the\n"
	"whole file; the error names the file, the line and the field.\n";

static int catalog_check(const char *path)
{
	struct zt_catalog *cat = NULL;
	int rc = zt_catalog_parse_file(&cat, path);
	if (rc)
		return cli_fail(rc, rc == ZT_EINVAL || rc == ZT_ERANGE ? "schema-invalid" : NULL);
	const struct zt_catalog_info *info = zt_catalog_info(cat);
	size_t n = zt_catalog_count(cat), codes = 0;
	for (size_t i = 0; i < n; i++)
		codes += i == 0 || strcmp(zt_catalog_entry_at(cat, i)->code,
		                          zt_catalog_entry_at(cat, i - 1)->code) != 0;
	char f[ZT_FMT_BYTES], t[ZT_FMT_BYTES];
	printf("%s: catalogue '%s' for county %s, %s to %s: %zu entr%s of %zu code%s: valid\n", path,
	       info->id, info->county, zt_format_date(f, info->effective_from),
	       info->effective_to ? zt_format_date(t, info->effective_to) : "open-ended", n,
	       n == 1 ? "y" : "ies", codes, codes == 1 ? "" : "s");
	zt_catalog_free(cat);
	return EXIT_DONE;
}

int cmd_catalog(const struct cli *c, int argc, char **argv)
{
	(void)c;
	struct args a;
	int rc = args_parse(&a, argc, argv, "", "");
	if (rc)
		return rc;
	if (a.help || a.npos == 0) {
		fputs(catalog_help, a.help ? stdout : stderr);
		return a.help ? EXIT_DONE : EXIT_USAGE;
	}
	if (a.npos != 2 || strcmp(a.pos[0], "check") != 0)
		return cli_usage("zhitong catalog check FILE.xml");
	return catalog_check(a.pos[1]);
}
