/* zhitong — gen: synthetic worlds (tools/gen, gen.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "zhitong/error.h"
#include "zhitong/gen.h"
#include "zhitong/outfile.h"

static const char gen_help[] =
	"usage: zhitong gen --claims N --seed S --out DIR [--county CCCCCC] [--year YYYY]\n"
	"                   [--catalog [--catalog-entries N]] [--periods] [--national]\n"
	"                   [--force]\n\n"
	"Writes a synthetic but realistic world into DIR: registry.xml (hospitals of\n"
	"all four levels in and out of the county, people of every category, the\n"
	"funds), policy.xml (every feature of the format) and claims.xml (N claims of\n"
	"1-40 items, every charge type and level, price ceilings, repeat admissions\n"
	"that carry people through thresholds and caps). The same seed gives the same\n"
	"files. Load them with 'registry load', 'rules load', then 'claim submit'.\n"
	"A file already in DIR with the same bytes is left as it is (generating again\n"
	"succeeds); one with other bytes is refused unless --force; a symbolic link\n"
	"is never followed. Each file appears whole or not at all.\n\n"
	"Rules v2 and claim v2, on request (without them the files are what they\n"
	"always were, byte for byte):\n"
	"  --catalog            also catalog.xml, the insurer's catalogue of the world:\n"
	"                       entries with and without ceilings per level, codes\n"
	"                       missing from it, codes that change class or have a gap\n"
	"                       mid-year, classes that differ from what hospitals send;\n"
	"                       some hospitals send a class of their own for some codes\n"
	"  --catalog-entries N  pad the catalogue to N entries with codes no claim uses\n"
	"  --periods            registry.xml in v2: about one person in eight enters\n"
	"                       poverty, leaves it or changes category during the year\n"
	"  --national           a supplementary world: policy.xml is a supplementary\n"
	"                       policy v2; claims.xml is claim v2 with <national>, the\n"
	"                       amounts the generator's own full policy settles (half\n"
	"                       with the five bill fields, about one in fifty\n"
	"                       inconsistent, to be rejected national-mismatch)\n";

int cli_parse_u64(const char *s, uint64_t *out)
{
	if (!s || !*s)
		return -1;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || s[0] == '-')
		return -1;
	*out = v;
	return 0;
}

void cli_gen_progress(void *ctx, uint64_t done, uint64_t total)
{
	(void)ctx;
	fprintf(stderr, "\rzhitong: generated %llu of %llu claims ", (unsigned long long)done,
	        (unsigned long long)total);
	if (done == total)
		fputc('\n', stderr);
}

int cmd_gen(const struct cli *c, int argc, char **argv)
{
	(void)c;
	struct args a;
	int rc = args_parse(&a, argc, argv, "--claims --seed --out --county --year --catalog-entries",
	                    "--force --catalog --periods --national");
	if (rc)
		return rc;
	if (a.help) {
		fputs(gen_help, stdout);
		return EXIT_DONE;
	}
	struct zt_gen_opts o = {0};
	uint64_t entries = 0;
	if (cli_parse_u64(args_get(&a, "--claims"), &o.claims) ||
	    cli_parse_u64(args_get(&a, "--seed"), &o.seed) || !args_get(&a, "--out") || a.npos)
		return cli_usage("zhitong gen --claims N --seed S --out DIR");
	if (args_get(&a, "--catalog-entries") &&
	    (cli_parse_u64(args_get(&a, "--catalog-entries"), &entries) || entries > INT32_MAX))
		return cli_usage("--catalog-entries takes a whole number");
	o.county = args_get(&a, "--county");
	o.out_flags = args_flag(&a, "--force") ? ZT_OUT_FORCE : 0;
	if (args_get(&a, "--year"))
		o.year = atoi(args_get(&a, "--year"));
	o.catalog = args_flag(&a, "--catalog");
	o.catalog_entries = (int)entries;
	o.periods = args_flag(&a, "--periods");
	o.national = args_flag(&a, "--national");
	if (isatty(2))
		o.progress = cli_gen_progress;
	rc = zt_gen_world(&o, args_get(&a, "--out"));
	if (rc)
		return cli_fail(rc, NULL);
	fprintf(stderr, "zhitong: wrote %s/registry.xml, policy.xml, %sclaims.xml (%llu claims)\n",
	        args_get(&a, "--out"), o.catalog ? "catalog.xml, " : "",
	        (unsigned long long)o.claims);
	return EXIT_DONE;
}
