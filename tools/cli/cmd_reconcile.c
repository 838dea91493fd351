/* zhitong — the 'reconcile' commands (docs/spec/money-flow.md "Reconciliation";
 * docs/reconciliation.md): the pool account's bank statement against the
 * batches billed and the advances paid. Parses, calls the use case of
 * reconcile.h, renders with render/ (recon_render.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "zhitong/config.h"
#include "zhitong/error.h"
#include "zhitong/recon_render.h"
#include "zhitong/reconcile.h"

static const char reconcile_help[] =
	"usage: zhitong --db PATH [--config PATH] reconcile import FILE [--by NAME]\n"
	"       zhitong --db PATH [--config PATH] reconcile match [--as-of YYYY-MM-DD] [--by NAME]\n"
	"       zhitong --db PATH [--config PATH] reconcile resolve EXC --as DECISION --by NAME\n"
	"                                          --note TEXT\n"
	"       zhitong --db PATH [--config PATH] reconcile exceptions [--pool P] [--all]\n"
	"                                          [--format text|csv] [--bom]\n"
	"                                          [--out FILE [--force]]\n"
	"       zhitong --db PATH [--config PATH] reconcile report [--pool P]\n"
	"                                          [--as-of YYYY-MM-DD]\n"
	"                                          [--format text|csv|html] [--bom]\n"
	"                                          [--out FILE [--force]]\n"
	"\n"
	"import      reads the pool account's ISO 20022 camt.053 statement (001.02 or\n"
	"            001.08, checked against the official XSD first: a refused file stores\n"
	"            nothing) and stores each booked entry once, however often the file is\n"
	"            imported: its bank reference (AcctSvcrRef, else NtryRef), or a digest of\n"
	"            the entry when the bank gives none. Pending entries (PDNG, INFO, FUTR)\n"
	"            are left for the statement that books them. New entries are matched:\n"
	"              a credit naming batch ids (exact tokens, in EndToEndId, remittance\n"
	"              or references) pays them: one batch, up to what it owes (less is an\n"
	"              instalment: part-paid); several, exactly what they owe together;\n"
	"              a debit whose EndToEndId is an advance id confirms that advance.\n"
	"            A batch sent but not yet answered by the payer owes its whole total.\n"
	"            Anything else is an exception; so is an entry booked after the\n"
	"            import day (today, pool-local) plus [reconcile] future-days ('date').\n"
	"            A credit for a batch exported but not yet sent waits (every import\n"
	"            and match retries it).\n"
	"match       retries the waiting entries and raises what is overdue on --as-of\n"
	"            (default today; a day after today is refused): 'missing' for a\n"
	"            batch sent (or an advance executed)\n"
	"            more than [reconcile] expected-within-days before with nothing paid,\n"
	"            'amount' (short) for a batch paid in part.\n"
	"resolve     records a person's decision on an open exception, once, and books it:\n"
	"              accept          the engine's candidate: the entry pays it (an over-\n"
	"                              payment pays what is owed, the rest is to be refunded)\n"
	"                              or confirms the advance\n"
	"              match:ID[,ID]   the entry pays these batches (one: up to what it owes;\n"
	"                              several: exactly their sum) or confirms advance ID\n"
	"              refund          the money goes back (credit) or went back (debit)\n"
	"              write-off       the pool keeps / bears the entry; for a batch that is\n"
	"                              short or missing: what it still owes is given up\n"
	"              ignore          noted, nothing booked (only when no money is held)\n"
	"exceptions  the open exceptions (--all: with the resolved ones); --pool P: P's\n"
	"            only (of the pool of its entry's account, else of its batch or\n"
	"            advance).\n"
	"            CSV header: exception,kind,entry,batch,advance,amount,since,detail,\n"
	"            raised_at,raised_by,resolution,target,note,resolved_at,resolved_by\n"
	"report      per fund billed, paid, written off, returned (paid back to the fund),\n"
	"            outstanding (billed - paid - written off + returned; below 0: owed back)\n"
	"            and the age of the oldest unsettled batch; per hospital advanced,\n"
	"            confirmed by the bank, earned and balance; the open exceptions with\n"
	"            their age; the entries waiting; and what is overdue on --as-of but not\n"
	"            raised yet (run 'match' to raise it). A report only reads: it opens\n"
	"            the database read-only and changes nothing. A future --as-of is\n"
	"            refused. CSV: one table with a 'section' column (fund, hospital,\n"
	"            exception, waiting, overdue, day);\n"
	"            header: section,id,name,kind,billed,paid,written_off,outstanding,\n"
	"            open_batches,age_days,advanced,confirmed,earned,balance,amount,detail,\n"
	"            returned\n"
	"            HTML: one self-contained page with a chart of billed against paid.\n"
	"            --pool P: P's batches, hospitals (of its counties), exceptions,\n"
	"            entries (of its account) and overdue only; the balances of\n"
	"            pool:bank, suspense:bank and fund:F are the database's, over\n"
	"            every pool. Without --pool: every pool.\n"
	"            --out FILE writes the report (or the exceptions) to FILE: never over a\n"
	"            different file unless --force, never through a symbolic link, whole\n"
	"            or not at all. CSV cells a spreadsheet would run as formulas (= + - @\n"
	"            first) are written as text; --bom adds a UTF-8 byte order mark.\n"
	"\n"
	"Exception kinds: amount (short or over), unknown, duplicate, ambiguous, date,\n"
	"missing, reversal. Each has an id EXC-NNNNNN.\n"
	"\n"
	"Configuration (--config PATH or $ZHITONG_CONFIG):\n"
	"  [pool]\n"
	"  account = 6222020200112233445  # statements of another account are refused\n"
	"  currency = CNY\n"
	"  [reconcile]\n"
	"  date-tolerance-days = 3        # money booked more days than this before its\n"
	"                                 # batch was exported (advance issued): 'date'\n"
	"  expected-within-days = 30      # then a batch sent / advance executed is overdue\n"
	"  amount-tolerance = 0.00        # a credit short of what one batch owes by at\n"
	"                                 # most this pays it; the pool bears the rest\n"
	"  future-days = 3                # an entry booked more days than this after the\n"
	"                                 # import day: 'date'\n"
	"\n"
	"Days (today, --as-of, ages) are days of the pool's time zone ([pool] timezone,\n"
	"default Asia/Shanghai).\n"
	"\n"
	"Amounts are yuan with two decimals. Exit 0 done; 1 the import or match raised\n"
	"exceptions (stdout lists them); 2 bad usage, a refused file, an unknown or\n"
	"already resolved exception, a decision that does not fit; 3 storage.\n";

static int fail(int rc) { return cli_fail(rc, rc == ZT_ENOTFOUND ? "not-found" : NULL); }

static int load_config(const struct cli *c, struct zt_config **cfg)
{
	int rc = zt_config_load(cfg, c->config_path);
	return rc ? cli_fail(rc, "config") : 0;
}

static int date_arg(const struct args *a, const char *name, zt_date *out)
{
	const char *v = args_get(a, name);
	*out = 0;
	if (v && zt_parse_date(out, v, strlen(v)) != 0)
		return cli_usage("%s: %s", name, zt_error_last());
	return 0;
}

/* Prints the exceptions an operation raised. */
static int print_raised(struct zt_store *s, const struct zt_recon_import_result *r)
{
	int rc = 0;
	for (size_t i = 0; i < r->exception_count && rc == 0; i++) {
		struct zt_recon_exception x;
		if ((rc = zt_recon_exception_get(s, r->exceptions[i], &x)) == 0)
			zt_recon_render_exception_line(stdout, &x);
	}
	return rc;
}

/* The statement a user names, opened for the use case (which reads it as
 * a source: its digest, then its entries). */
static int open_statement(FILE **out, const char *path)
{
	struct stat sb;
	FILE *f = fopen(path, "rb");
	if (!f || fstat(fileno(f), &sb) != 0 || S_ISDIR(sb.st_mode)) {
		if (f)
			fclose(f);
		return zt_error_set(ZT_EIO, "cannot read '%s'", path);
	}
	*out = f;
	return 0;
}

/* ---- import / match / resolve ------------------------------------------------ */

static int import(const struct cli *c, const struct args *a)
{
	if (a->npos != 2)
		return cli_usage("zhitong reconcile import FILE [--by NAME]");
	struct zt_config *cfg = NULL;
	struct zt_store *s = NULL;
	struct zt_recon_import_result r = {0};
	FILE *f = NULL;
	int rc = load_config(c, &cfg);
	if (rc || (rc = cli_open_store(c, 0, &s)))
		goto done;
	if ((rc = open_statement(&f, a->pos[1]))) {
		rc = fail(rc);
		goto done;
	}
	struct zt_source statement = zt_source_file(f, a->pos[1]);
	struct zt_recon_import_req req = {.cfg = cfg, .statement = &statement,
	                                  .actor = cli_actor(a)};
	if ((rc = zt_recon_import(s, &req, &r))) {
		rc = fail(rc);
		goto done;
	}
	cli_stored("importing it again stores nothing twice and 'zhitong reconcile exceptions' "
	           "lists what is open", "the statement '%s' was imported and matched", a->pos[1]);
	if (r.reported == 0)
		printf("%s: no transactions\n", a->pos[1]);
	else
		printf("%s: camt.053.001.%02d %s, %lld transactions: %lld stored, %lld stored before, "
		       "%lld not booked\n",
		       a->pos[1], r.version, r.msg_id, (long long)r.reported, (long long)r.stored,
		       (long long)r.known, (long long)r.not_booked);
	printf("matched %lld, waiting %lld, exceptions %zu; %lld earlier entries matched now\n",
	       (long long)r.matched, (long long)r.held, r.exception_count, (long long)r.rematched);
	if ((rc = print_raised(s, &r))) {
		rc = fail(rc);
		goto done;
	}
	rc = r.exception_count ? EXIT_REJECTED : EXIT_DONE;
done:
	if (f)
		fclose(f);
	zt_recon_import_result_free(&r);
	zt_store_close(s);
	zt_config_free(cfg);
	return rc;
}

static int match(const struct cli *c, const struct args *a)
{
	zt_date as_of;
	int rc = date_arg(a, "--as-of", &as_of);
	if (rc)
		return rc;
	if (a->npos != 1)
		return cli_usage("zhitong reconcile match [--as-of YYYY-MM-DD] [--by NAME]");
	struct zt_config *cfg = NULL;
	struct zt_store *s = NULL;
	struct zt_recon_import_result r = {0};
	if ((rc = load_config(c, &cfg)) || (rc = cli_open_store(c, 0, &s)))
		goto done;
	struct zt_recon_match_req req = {cfg, as_of, cli_actor(a)};
	if ((rc = zt_recon_match(s, &req, &r))) {
		rc = fail(rc);
		goto done;
	}
	cli_stored("'zhitong reconcile exceptions' lists what is open",
	           "the waiting entries were matched and what is overdue was raised");
	printf("matched %lld waiting entries; exceptions %zu\n", (long long)r.rematched,
	       r.exception_count);
	if ((rc = print_raised(s, &r))) {
		rc = fail(rc);
		goto done;
	}
	rc = r.exception_count ? EXIT_REJECTED : EXIT_DONE;
done:
	zt_recon_import_result_free(&r);
	zt_store_close(s);
	zt_config_free(cfg);
	return rc;
}

static int resolve(const struct cli *c, const struct args *a)
{
	const char *as = args_get(a, "--as"), *note = args_get(a, "--note");
	if (a->npos != 2 || !as || !note)
		return cli_usage("zhitong reconcile resolve EXC --as accept|match:ID[,ID]|refund|"
		                 "write-off|ignore --by NAME --note TEXT");
	if (!args_get(a, "--by"))
		return cli_usage("reconcile resolve: --by NAME: the person deciding is recorded");
	struct zt_config *cfg = NULL;
	struct zt_store *s = NULL;
	int rc;
	if ((rc = load_config(c, &cfg)) || (rc = cli_open_store(c, 0, &s)))
		goto done;
	struct zt_recon_resolve_req req = {cfg, a->pos[1], as, cli_actor(a), note};
	if ((rc = zt_recon_resolve(s, &req, NULL))) {
		rc = fail(rc);
		goto done;
	}
	cli_stored("'zhitong reconcile exceptions --all' shows it", "%s was resolved as %s",
	           a->pos[1], as);
	printf("%s resolved as %s by %s\n", a->pos[1], as, cli_actor(a));
	rc = EXIT_DONE;
done:
	zt_store_close(s);
	zt_config_free(cfg);
	return rc;
}

/* --pool P (issue 13 §2): the configuration and P's id; without it, every
 * pool (*cfg and *pool NULL). */
static int pool_arg(const struct cli *c, const struct args *a, struct zt_config **cfg,
                    const char **pool)
{
	const char *want = args_get(a, "--pool");
	*cfg = NULL;
	*pool = NULL;
	if (!want)
		return 0;
	int rc = load_config(c, cfg);
	if (rc)
		return rc;
	if (zt_config_pool_pick(*cfg, want, pool) != 0) {
		rc = cli_usage("--pool: %s", zt_error_last());
		zt_config_free(*cfg);
		*cfg = NULL;
	}
	return rc;
}

struct exc_filter {
	struct zt_recon_exceptions_out l;
	struct zt_config *cfg;
	const char *pool; /* NULL: every pool */
};

static int exception_of_pool(void *ctx, const struct zt_recon_exception *x)
{
	struct exc_filter *f = ctx;
	if (f->pool) {
		const char *p = zt_recon_exception_pool(f->cfg, x);
		if (!p || strcmp(p, f->pool) != 0)
			return 0;
	}
	return zt_recon_render_exception_row(&f->l, x);
}

static int exceptions(const struct cli *c, const struct args *a)
{
	const char *fmt = args_get(a, "--format");
	bool csv = fmt && strcmp(fmt, "csv") == 0;
	if (a->npos != 1 || (fmt && !csv && strcmp(fmt, "text") != 0))
		return cli_usage("zhitong reconcile exceptions [--pool P] [--all] [--format text|csv] "
		                 "[--bom] [--out FILE [--force]]");
	int rc = cli_bom_check(a, csv);
	if (rc)
		return rc;
	struct exc_filter fl = {.pool = NULL};
	if ((rc = pool_arg(c, a, &fl.cfg, &fl.pool)))
		return rc;
	struct zt_store *s;
	if ((rc = cli_open_store(c, CLI_STORE_READONLY, &s))) {
		zt_config_free(fl.cfg);
		return rc;
	}
	struct cli_out o;
	if ((rc = cli_out_open(&o, a, 0600))) {
		zt_store_close(s);
		zt_config_free(fl.cfg);
		return rc;
	}
	zt_recon_exceptions_out_init(&fl.l, o.f, csv, args_flag(a, "--bom"));
	struct zt_recon_exceptions_req req = {.open_only = !args_flag(a, "--all")};
	rc = zt_recon_exceptions(s, &req, exception_of_pool, &fl);
	zt_store_close(s);
	zt_config_free(fl.cfg);
	return cli_out_close(&o, rc ? fail(rc) : EXIT_DONE);
}


static int report(const struct cli *c, const struct args *a)
{
	const char *fmt = args_get(a, "--format");
	zt_date as_of;
	int rc = date_arg(a, "--as-of", &as_of);
	if (rc)
		return rc;
	if (!fmt)
		fmt = "text";
	if (a->npos != 1 ||
	    (strcmp(fmt, "text") != 0 && strcmp(fmt, "csv") != 0 && strcmp(fmt, "html") != 0))
		return cli_usage("zhitong reconcile report [--pool P] [--as-of YYYY-MM-DD] "
		                 "[--format text|csv|html] [--bom] [--out FILE [--force]]");
	bool csv = strcmp(fmt, "csv") == 0;
	if ((rc = cli_bom_check(a, csv)))
		return rc;
	struct zt_config *cfg = NULL;
	struct zt_store *s = NULL;
	struct zt_recon_report r = {0};
	struct cli_out o = {stdout, NULL};
	/* A report only reads: the database is opened read-only, so it cannot
	 * change a thing (raising what is overdue is `reconcile match`'s). */
	if ((rc = load_config(c, &cfg)) || (rc = cli_open_store(c, CLI_STORE_READONLY, &s)))
		goto done;
	const char *pool = args_get(a, "--pool");
	struct zt_recon_report_req req = {.cfg = cfg, .as_of = as_of, .pools = &pool,
	                                  .pool_count = pool ? 1 : 0};
	if ((rc = zt_recon_report(s, &req, &r))) {
		if (rc == ZT_EINVAL && pool && !zt_config_pool_section(cfg, pool)) {
			rc = cli_usage("--pool: %s", zt_error_last());
			goto done;
		}
		rc = fail(rc);
		goto done;
	}
	if ((rc = cli_out_open(&o, a, 0600)))
		goto done;
	if (csv)
		zt_recon_render_report_csv(o.f, args_flag(a, "--bom"), &r);
	else if (strcmp(fmt, "html") == 0)
		zt_recon_render_report_html(o.f, &r);
	else
		zt_recon_render_report_text(o.f, &r);
	rc = cli_out_close(&o, EXIT_DONE);
done:
	if (o.file)
		cli_out_close(&o, EXIT_INTERNAL);
	zt_recon_report_free(&r);
	zt_store_close(s);
	zt_config_free(cfg);
	return rc;
}

int cmd_reconcile(const struct cli *c, int argc, char **argv)
{
	struct args a;
	int rc = args_parse(&a, argc, argv, "--by --as --note --as-of --format --out --pool",
	                    "--all --force --bom");
	if (rc)
		return rc;
	if (a.help || a.npos == 0) {
		fputs(reconcile_help, a.help ? stdout : stderr);
		return a.help ? EXIT_DONE : EXIT_USAGE;
	}
	static const struct {
		const char *name;
		int (*fn)(const struct cli *, const struct args *);
	} subs[] = {{"import", import},   {"match", match},         {"resolve", resolve},
	            {"report", report},   {"exceptions", exceptions}};
	for (size_t i = 0; i < sizeof subs / sizeof *subs; i++)
		if (strcmp(a.pos[0], subs[i].name) == 0)
			return subs[i].fn(c, &a);
	return cli_usage("unknown reconcile command '%s' (import, match, resolve, exceptions, "
	                 "report)",
	                 a.pos[0]);
}
