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
	struct zt_catalog_check_res res;
	FILE *f = NULL;
	int rc = cli_open_doc(&f, path);
	if (rc == 0) {
		struct zt_source src = zt_source_file(f, path);
		rc = zt_catalog_check(&src, &res);
	}
	if (f)
		fclose(f);
	if (rc)
		return cli_fail(rc, rc == ZT_EINVAL || rc == ZT_ERANGE ? "schema-invalid" : NULL);
	char d1[ZT_FMT_BYTES], d2[ZT_FMT_BYTES];
	printf("%s: catalogue '%s' for county %s, %s to %s: %zu entr%s of %zu code%s: valid\n", path,
	       res.info.id, res.info.county, zt_format_date(d1, res.info.effective_from),
	       res.info.effective_to ? zt_format_date(d2, res.info.effective_to) : "open-ended",
	       res.entries, res.entries == 1 ? "y" : "ies", res.codes, res.codes == 1 ? "" : "s");
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
