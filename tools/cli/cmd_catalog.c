/* zhitong — catalog check | load | approve | show | list: the insurer's
 * catalogue (docs/spec/rules-v2.md §2). Parses, calls the use case of
 * catalog.h, renders. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "zhitong/catalog.h"
#include "zhitong/config.h"
#include "zhitong/error.h"

static const char catalog_help[] =
	"usage: zhitong catalog check FILE.xml\n"
	"       zhitong --db PATH catalog load FILE.xml [--supersedes ID] [--by NAME]\n"
	"       zhitong --db PATH catalog approve ID --by NAME\n"
	"       zhitong --db PATH catalog show --county C --code CODE [--date YYYY-MM-DD]\n"
	"       zhitong --db PATH catalog list [--county C]\n"
	"\n"
	"A catalogue (urn:zhitong:catalog:1, schema/catalog.xsd) is the insurer's\n"
	"list of item codes (医保目录) for one county and a span of dates: each\n"
	"entry's class (chrgitm_lv 01 甲, 02 乙, 03 丙; the one-digit forms too),\n"
	"self-pay ratio (02 entries only) and unit-price ceiling per hospital level.\n"
	"'check' validates one against the schema and every rule of the format\n"
	"(every entry inside the catalogue's dates, the entries of one code not\n"
	"overlapping, at most one ceiling per level, the lexical rules of ratios\n"
	"and unit prices, …) and needs no database. Any rule broken refuses the\n"
	"whole file; the error names the file, the line and the field.\n"
	"\n"
	"'load' checks it the same way and stores it in one transaction. The\n"
	"catalogues of one county may not overlap in dates: --supersedes ID ends\n"
	"catalogue ID the day before the new one starts, refused (naming how many)\n"
	"while settlements discharged from that day on used it. With\n"
	"[rules] approval = required in the configuration, a loaded catalogue is\n"
	"pending — never used — until someone other than its loader runs\n"
	"'approve' (the checks are made again then).\n"
	"\n"
	"Once one is in force for a person's county on a claim's discharge date,\n"
	"the catalogue, not the hospital, decides each item's class, self-pay ratio\n"
	"and ceiling (a code it does not list is 03, fully self-paid); with\n"
	"[county C] catalog = required, a claim with none in force is rejected\n"
	"no-catalog. 'show' prints the entry of a code (on a date, or all of them).\n";

int cli_approval_required(const struct cli *c, bool *out)
{
	struct zt_config *cfg = NULL;
	int rc = zt_config_load(&cfg, c->config_path);
	if (rc == 0) {
		const char *v = zt_config_get(cfg, "rules", "approval");
		*out = v && strcmp(v, "required") == 0;
	}
	zt_config_free(cfg);
	return rc;
}

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

static void print_loaded(const char *what, const struct zt_catalog_load_res *r)
{
	char d1[ZT_FMT_BYTES], d2[ZT_FMT_BYTES];
	printf("%s: catalogue '%s' for county %s, %s to %s, %zu entries%s\n", what, r->info.id,
	       r->info.county, zt_format_date(d1, r->info.effective_from),
	       r->info.effective_to ? zt_format_date(d2, r->info.effective_to) : "open-ended",
	       r->entries, r->pending ? ": pending approval" : "");
	if (r->superseded[0])
		printf("catalogue '%s' now ends on %s\n", r->superseded,
		       zt_format_date(d1, r->superseded_end));
}

static int catalog_load(const struct cli *c, const struct args *a)
{
	bool approval = false;
	int rc = cli_approval_required(c, &approval);
	if (rc)
		return cli_fail(rc, "config");
	FILE *f = NULL;
	struct zt_store *s = NULL;
	struct zt_catalog_load_res res;
	if ((rc = cli_open_doc(&f, a->pos[1])) != 0)
		return cli_fail(rc, NULL);
	if ((rc = cli_open_store(c, 0, &s)) != 0) {
		fclose(f);
		return rc;
	}
	struct zt_source src = zt_source_file(f, a->pos[1]);
	const struct zt_catalog_load_req req = {&src, cli_actor(a), args_get(a, "--supersedes"),
	                                        approval};
	rc = zt_catalog_load(s, &req, &res);
	fclose(f);
	zt_store_close(s);
	if (rc)
		return cli_fail(rc, rc == ZT_EINVAL || rc == ZT_ERANGE ? "schema-invalid" : NULL);
	cli_stored("'zhitong catalog list' lists it", "catalogue '%s' was loaded", res.info.id);
	print_loaded(res.was_new ? "loaded" : "loaded already", &res);
	return EXIT_DONE;
}

static int catalog_approve(const struct cli *c, const struct args *a)
{
	struct zt_store *s;
	struct zt_catalog_load_res res;
	int rc = cli_open_store(c, 0, &s);
	if (rc)
		return rc;
	rc = zt_catalog_approve(s, &(struct zt_catalog_approve_req){a->pos[1], cli_actor(a)}, &res);
	zt_store_close(s);
	if (rc)
		return cli_fail(rc, NULL);
	cli_stored("'zhitong catalog list' shows it", "catalogue '%s' was approved", res.info.id);
	print_loaded("approved", &res);
	return EXIT_DONE;
}

static void print_entry(const struct zt_catalog *cat, const struct zt_catalog_entry *e)
{
	char d1[ZT_FMT_BYTES], d2[ZT_FMT_BYTES], b[ZT_FMT_BYTES];
	zt_date end = zt_catalog_entry_end(cat, e);
	printf("  %s %s: class 0%d, %s to %s", e->code, e->name, e->chrgitm_lv,
	       zt_format_date(d1, e->from), end ? zt_format_date(d2, end) : "open-ended");
	if (e->has_selfpay_prop)
		printf(", selfpay_prop %s", zt_format_ratio(b, e->selfpay_prop_bp));
	for (int l = 0; l < ZT_LEVELS; l++)
		if (e->has_ceiling[l])
			printf(", ceiling level %d %s", l + 1, zt_format_q4(b, e->ceiling[l]));
	printf("\n");
}

struct show_ctx {
	const char *code;
	int64_t last_row;
	int found;
};

static int show_one(void *ctx, const struct zt_stored_catalog *c, const struct zt_catalog *cat,
                    const struct zt_catalog_entry *e)
{
	struct show_ctx *x = ctx;
	char d1[ZT_FMT_BYTES], d2[ZT_FMT_BYTES];
	if (x->last_row != c->row) {
		printf("catalogue %s, county %s, %s to %s%s\n", c->info.id, c->info.county,
		       zt_format_date(d1, c->info.effective_from),
		       c->ends ? zt_format_date(d2, c->ends) : "open-ended",
		       c->status == ZT_CATALOG_PENDING ? " (pending approval)" : "");
		x->last_row = c->row;
	}
	if (e) {
		print_entry(cat, e);
		x->found++;
	} else {
		printf("  %s: not in this catalogue (class 03, fully self-paid)\n", x->code);
	}
	return 0;
}

static int catalog_show(const struct cli *c, const struct args *a)
{
	const char *county = args_get(a, "--county"), *code = args_get(a, "--code");
	const char *date_s = args_get(a, "--date");
	zt_date date = 0;
	if (!county || !code || a->npos != 1)
		return cli_usage("zhitong catalog show --county C --code CODE [--date YYYY-MM-DD]");
	if (date_s && zt_parse_date(&date, date_s, strlen(date_s)) != 0)
		return cli_usage("--date: %s", zt_error_last());
	struct zt_store *s;
	int rc = cli_open_store(c, CLI_STORE_READONLY, &s);
	if (rc)
		return rc;
	struct show_ctx x = {code, 0, 0};
	rc = zt_catalog_show(s, county, code, date, show_one, &x);
	zt_store_close(s);
	if (rc)
		return cli_fail(rc, NULL);
	if (x.last_row == 0)
		printf("no catalogue of county %s%s%s\n", county, date ? " is in force on " : "",
		       date ? date_s : "");
	return EXIT_DONE;
}

static int list_one(void *ctx, const struct zt_stored_catalog *c)
{
	(void)ctx;
	char d1[ZT_FMT_BYTES], d2[ZT_FMT_BYTES], d3[ZT_FMT_BYTES];
	printf("%-24s %-6s %-10s %-10s %-10s %8lld %-8s %s%s%s\n", c->info.id, c->info.county,
	       zt_format_date(d1, c->info.effective_from),
	       c->info.effective_to ? zt_format_date(d2, c->info.effective_to) : "open",
	       c->ends ? zt_format_date(d3, c->ends) : "open", (long long)c->entry_count,
	       c->status == ZT_CATALOG_ACTIVE ? "active" : "pending", c->loaded_by,
	       c->approved_by[0] ? ", approved by " : "", c->approved_by);
	return 0;
}

static int catalog_list(const struct cli *c, const struct args *a)
{
	struct zt_store *s;
	int rc = cli_open_store(c, CLI_STORE_READONLY, &s);
	if (rc)
		return rc;
	printf("%-24s %-6s %-10s %-10s %-10s %8s %-8s %s\n", "catalogue", "county", "from", "to",
	       "ends", "entries", "status", "loaded by");
	rc = s->ops->begin(s, ZT_TXN_READ);
	if (rc == 0) {
		rc = s->ops->catalogs.each(s, args_get(a, "--county"), list_one, NULL);
		s->ops->rollback(s);
	}
	zt_store_close(s);
	return rc ? cli_fail(rc, NULL) : EXIT_DONE;
}

int cmd_catalog(const struct cli *c, int argc, char **argv)
{
	struct args a;
	int rc = args_parse(&a, argc, argv, "--by --supersedes --county --code --date", "");
	if (rc)
		return rc;
	if (a.help || a.npos == 0) {
		fputs(catalog_help, a.help ? stdout : stderr);
		return a.help ? EXIT_DONE : EXIT_USAGE;
	}
	const char *sub = a.pos[0];
	if (strcmp(sub, "check") == 0 && a.npos == 2)
		return catalog_check(a.pos[1]);
	if (strcmp(sub, "load") == 0 && a.npos == 2)
		return catalog_load(c, &a);
	if (strcmp(sub, "approve") == 0 && a.npos == 2)
		return catalog_approve(c, &a);
	if (strcmp(sub, "show") == 0)
		return catalog_show(c, &a);
	if (strcmp(sub, "list") == 0 && a.npos == 1)
		return catalog_list(c, &a);
	return cli_usage("zhitong catalog check FILE.xml | load FILE.xml [--supersedes ID] | "
	                 "approve ID --by NAME | show --county C --code CODE [--date D] | list");
}
