/* zhitong — the 'reconcile' commands (docs/spec/money-flow.md "Reconciliation";
 * docs/reconciliation.md): the pool account's bank statement against the
 * batches billed and the advances paid. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "zhitong/config.h"
#include "zhitong/csv.h"
#include "zhitong/error.h"
#include "zhitong/reconcile.h"

static const char reconcile_help[] =
	"usage: zhitong --db PATH [--config PATH] reconcile import FILE [--by NAME]\n"
	"       zhitong --db PATH [--config PATH] reconcile match [--as-of YYYY-MM-DD] [--by NAME]\n"
	"       zhitong --db PATH [--config PATH] reconcile resolve EXC --as DECISION --by NAME\n"
	"                                          --note TEXT\n"
	"       zhitong --db PATH reconcile exceptions [--all] [--format text|csv] [--bom]\n"
	"                                          [--out FILE [--force]]\n"
	"       zhitong --db PATH [--config PATH] reconcile report [--as-of YYYY-MM-DD]\n"
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
	"exceptions  the open exceptions (--all: with the resolved ones).\n"
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

static const char *yuan(char b[ZT_FMT_BYTES], zt_fen v) { return zt_format_amount(b, v); }

/* ---- output helpers ---------------------------------------------------------- */

static void html_put(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
	}
}

/* What an exception is about: its batch or advance, else its bank entry. */
static const char *subject(const struct zt_recon_exception *x)
{
	return x->return_id[0] ? x->return_id
	       : x->batch_id[0] ? x->batch_id
	       : x->advance_id[0] ? x->advance_id
	                          : x->entry_ref;
}

static void print_exception_line(FILE *f, const struct zt_recon_exception *x)
{
	char y[ZT_FMT_BYTES];
	fprintf(f, "%-11s %-9s %-20s %14s  %s\n", x->exc_id, zt_recon_kind_name(x->kind), subject(x),
	        yuan(y, x->amount), x->detail);
}

/* Prints the exceptions an operation raised, by id. */
static int print_raised(struct zt_store *s, const struct zt_recon_import_result *r)
{
	int rc = 0;
	for (size_t i = 0; i < r->exception_count && rc == 0; i++) {
		struct zt_recon_exception x;
		if ((rc = s->ops->bank.exception_get(s, r->exceptions[i], &x)) == 0)
			print_exception_line(stdout, &x);
	}
	return rc;
}

/* ---- import / match / resolve ------------------------------------------------ */

static int import(const struct cli *c, const struct args *a)
{
	if (a->npos != 2)
		return cli_usage("zhitong reconcile import FILE [--by NAME]");
	struct zt_config *cfg = NULL;
	struct zt_store *s = NULL;
	struct zt_recon_import_result r = {0};
	int rc = load_config(c, &cfg);
	if (rc || (rc = cli_open_store(c, 0, &s)))
		goto done;
	if ((rc = zt_recon_import(s, cfg, a->pos[1], cli_actor(a), &r))) {
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
	if ((rc = zt_recon_match(s, cfg, as_of, cli_actor(a), &r))) {
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
	if ((rc = zt_recon_resolve(s, cfg, a->pos[1], as, cli_actor(a), note))) {
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

/* ---- exceptions ------------------------------------------------------------------ */

struct list_ctx {
	bool csv;
	struct zt_csv w;
	FILE *f;
};

static int list_one(void *ctx, const struct zt_recon_exception *x)
{
	struct list_ctx *l = ctx;
	char y[ZT_FMT_BYTES], d[ZT_FMT_BYTES];
	if (!l->csv) {
		print_exception_line(l->f, x);
		if (x->resolved)
			fprintf(l->f, "%11s %s by %s at %s%s%s: %s\n", "",
			        zt_recon_resolution_name(x->resolution), x->resolved_by,
			        zt_timestamp_local(d, x->resolved_at), x->target[0] ? ", " : "", x->target,
			        x->note);
		return 0;
	}
	const char *f[] = {x->exc_id,     zt_recon_kind_name(x->kind),
	                   x->entry_ref,  x->batch_id,
	                   x->advance_id, yuan(y, x->amount),
	                   zt_format_date(d, x->since), x->detail,
	                   x->raised_at,  x->raised_by,
	                   x->resolved ? zt_recon_resolution_name(x->resolution) : "",
	                   x->target,     x->note,
	                   x->resolved_at, x->resolved_by};
	zt_csv_row(&l->w, f, sizeof f / sizeof *f);
	return 0;
}

static int exceptions(const struct cli *c, const struct args *a)
{
	const char *fmt = args_get(a, "--format");
	struct list_ctx l = {.csv = fmt && strcmp(fmt, "csv") == 0};
	if (a->npos != 1 || (fmt && !l.csv && strcmp(fmt, "text") != 0))
		return cli_usage("zhitong reconcile exceptions [--all] [--format text|csv] [--bom] "
		                 "[--out FILE [--force]]");
	int rc = cli_bom_check(a, l.csv);
	struct zt_store *s;
	if (rc || (rc = cli_open_store(c, CLI_STORE_READONLY, &s)))
		return rc;
	struct cli_out o;
	if ((rc = cli_out_open(&o, a, 0600))) {
		zt_store_close(s);
		return rc;
	}
	l.f = o.f;
	if (l.csv) {
		zt_csv_init(&l.w, o.f, args_flag(a, "--bom"));
		zt_csv_header(&l.w, "exception,kind,entry,batch,advance,amount,since,detail,raised_at,"
		                    "raised_by,resolution,target,note,resolved_at,resolved_by");
	}
	rc = zt_recon_exceptions(s, !args_flag(a, "--all"), list_one, &l);
	zt_store_close(s);
	return cli_out_close(&o, rc ? fail(rc) : EXIT_DONE);
}

/* ---- report ------------------------------------------------------------------------ */

static int64_t age(zt_date from, zt_date as_of)
{
	if (!from)
		return -1;
	int64_t d = zt_date_days_between(from, as_of);
	return d < 0 ? 0 : d;
}

static const char *age_text(char b[32], int64_t days)
{
	if (days < 0)
		snprintf(b, 32, "-");
	else
		snprintf(b, 32, "%lld", (long long)days);
	return b;
}

static const char *overdue_subject(const struct zt_recon_overdue *o)
{
	return o->return_id[0] ? o->return_id : o->batch_id[0] ? o->batch_id : o->advance_id;
}

static void report_text(FILE *f, const struct zt_recon_report *r)
{
	char a[ZT_FMT_BYTES], b[ZT_FMT_BYTES], c[ZT_FMT_BYTES], d[ZT_FMT_BYTES], e[ZT_FMT_BYTES],
		g[32];
	fprintf(f, "Reconciliation as of %s (%s)\n\n", zt_format_date(a, r->as_of),
	        zt_zone_name(zt_date_pool_zone()));
	fprintf(f, "%-8s %14s %14s %14s %14s %14s %6s %8s  %s\n", "fund", "billed", "paid",
	        "written off", "returned", "outstanding", "open", "oldest", "name");
	for (size_t i = 0; i < r->fund_count; i++) {
		const struct zt_recon_fund_line *l = &r->funds[i];
		fprintf(f, "%-8s %14s %14s %14s %14s %14s %6lld %8s  %s\n", l->fund_code,
		        yuan(a, l->billed), yuan(b, l->paid), yuan(c, l->written_off),
		        yuan(e, l->returned), yuan(d, l->outstanding),
		        (long long)l->open_batches, age_text(g, age(l->oldest_sent, r->as_of)),
		        l->fund_name);
	}
	fprintf(f, "\n%-12s %14s %14s %14s %14s\n", "hospital", "advanced", "confirmed", "earned",
	        "balance");
	for (size_t i = 0; i < r->hospital_count; i++) {
		const struct zt_recon_hospital_line *h = &r->hospitals[i];
		if (!h->advanced && !h->earned && !h->balance)
			continue; /* nothing ever moved: the registry's other hospitals */
		fprintf(f, "%-12s %14s %14s %14s %14s\n", h->hospital, yuan(a, h->advanced),
		        yuan(b, h->confirmed), yuan(c, h->earned), yuan(d, h->balance));
	}
	fprintf(f, "\nopen exceptions: %zu\n", r->exception_count);
	for (size_t i = 0; i < r->exception_count; i++) {
		const struct zt_recon_exception *x = &r->exceptions[i];
		fprintf(f, "%-11s %-9s %-20s %14s %5s d  %s\n", x->exc_id, zt_recon_kind_name(x->kind),
		        subject(x), yuan(a, x->amount), age_text(g, age(x->since, r->as_of)), x->detail);
	}
	fprintf(f, "\nwaiting until their batch is sent: %zu\n", r->open_count);
	for (size_t i = 0; i < r->open_count; i++) {
		const struct zt_recon_open_line *o = &r->open[i];
		fprintf(f, "%-24s %-6s %14s %s  %s\n", o->ref, o->credit ? "credit" : "debit",
		        yuan(a, o->amount), zt_format_date(b, o->booking_date), o->remittance);
	}
	fprintf(f, "\noverdue, not raised yet: %zu%s\n", r->overdue_count,
	        r->overdue_count ? " ('zhitong reconcile match' raises them)" : "");
	for (size_t i = 0; i < r->overdue_count; i++) {
		const struct zt_recon_overdue *o = &r->overdue[i];
		fprintf(f, "%-11s %-9s %-20s %14s %5s d\n", "-", zt_recon_kind_name(o->kind),
		        overdue_subject(o), yuan(a, o->amount), age_text(g, age(o->since, r->as_of)));
	}
	fprintf(f, "\n%s %s, %s %s\n", "pool:bank", yuan(e, r->pool_bank), ZT_ACCOUNT_SUSPENSE,
	        yuan(a, r->suspense));
}

/* returned was added last, so that the columns before keep their places */
#define CSV_COLUMNS 17

static void report_csv(struct zt_csv *w, const struct zt_recon_report *r)
{
	char a[ZT_FMT_BYTES], b[ZT_FMT_BYTES], c[ZT_FMT_BYTES], d[ZT_FMT_BYTES], n[32], g[32],
		e[ZT_FMT_BYTES];
	zt_csv_header(w, "section,id,name,kind,billed,paid,written_off,outstanding,open_batches,"
	                 "age_days,advanced,confirmed,earned,balance,amount,detail,returned");
	for (size_t i = 0; i < r->fund_count; i++) {
		const struct zt_recon_fund_line *l = &r->funds[i];
		int64_t ag = age(l->oldest_sent, r->as_of);
		snprintf(n, sizeof n, "%lld", (long long)l->open_batches);
		const char *v[CSV_COLUMNS] = {"fund", l->fund_code, l->fund_name, NULL,
		                              yuan(a, l->billed), yuan(b, l->paid),
		                              yuan(c, l->written_off), yuan(d, l->outstanding), n,
		                              ag < 0 ? "" : age_text(g, ag)};
		v[16] = yuan(e, l->returned);
		zt_csv_row(w, v, CSV_COLUMNS);
	}
	for (size_t i = 0; i < r->hospital_count; i++) {
		const struct zt_recon_hospital_line *h = &r->hospitals[i];
		const char *v[CSV_COLUMNS] = {"hospital", h->hospital};
		v[10] = yuan(a, h->advanced);
		v[11] = yuan(b, h->confirmed);
		v[12] = yuan(c, h->earned);
		v[13] = yuan(d, h->balance);
		zt_csv_row(w, v, CSV_COLUMNS);
	}
	for (size_t i = 0; i < r->exception_count; i++) {
		const struct zt_recon_exception *x = &r->exceptions[i];
		const char *v[CSV_COLUMNS] = {"exception", x->exc_id, subject(x),
		                              zt_recon_kind_name(x->kind)};
		v[9] = age_text(g, age(x->since, r->as_of));
		v[14] = yuan(a, x->amount);
		v[15] = x->detail;
		zt_csv_row(w, v, CSV_COLUMNS);
	}
	for (size_t i = 0; i < r->open_count; i++) {
		const struct zt_recon_open_line *o = &r->open[i];
		const char *v[CSV_COLUMNS] = {"waiting", o->ref, NULL, o->credit ? "credit" : "debit"};
		v[9] = age_text(g, age(o->booking_date, r->as_of));
		v[14] = yuan(a, o->amount);
		v[15] = o->remittance;
		zt_csv_row(w, v, CSV_COLUMNS);
	}
	for (size_t i = 0; i < r->overdue_count; i++) {
		const struct zt_recon_overdue *o = &r->overdue[i];
		const char *v[CSV_COLUMNS] = {"overdue", overdue_subject(o), NULL, zt_recon_kind_name(o->kind)};
		v[9] = age_text(g, age(o->since, r->as_of));
		v[14] = yuan(a, o->amount);
		v[15] = "not raised yet: reconcile match raises it";
		zt_csv_row(w, v, CSV_COLUMNS);
	}
	for (size_t i = 0; i < r->day_count; i++) {
		const struct zt_recon_day *dd = &r->days[i];
		const char *v[CSV_COLUMNS] = {"day", zt_format_date(n, dd->day), NULL, NULL,
		                              yuan(a, dd->billed), yuan(b, dd->paid)};
		zt_csv_row(w, v, CSV_COLUMNS);
	}
}

/* ---- the HTML page and its chart -------------------------------------------------- */

#define CHART_W 720
#define CHART_H 260
#define CHART_LEFT 90
#define CHART_TOP 20
#define CHART_POINTS_MAX 120

struct point {
	zt_date day;
	zt_fen billed, paid; /* cumulative up to and including day */
};

/* Cumulative billed and paid per day, or per week when the days would be
 * too many to tell apart; ends on as_of. */
static size_t chart_points(const struct zt_recon_report *r, struct point *pts)
{
	if (r->day_count == 0)
		return 0;
	zt_date first = r->days[0].day;
	zt_date last = r->days[r->day_count - 1].day > r->as_of ? r->days[r->day_count - 1].day
	                                                        : r->as_of;
	int64_t span = zt_date_days_between(first, last) + 1;
	int64_t step = 1;
	while ((span + step - 1) / step > CHART_POINTS_MAX)
		step = step == 1 ? 7 : step * 2;
	size_t n = 0, k = 0;
	zt_fen billed = 0, paid = 0;
	for (int64_t off = 0; off < span && n < CHART_POINTS_MAX; off += step) {
		zt_date end = zt_date_add(first, (int)(off + step - 1));
		if (end > last)
			end = last;
		while (k < r->day_count && r->days[k].day <= end) {
			billed += r->days[k].billed;
			paid += r->days[k].paid;
			k++;
		}
		pts[n++] = (struct point){end, billed, paid};
	}
	return n;
}

static int64_t scale(zt_fen v, zt_fen max, int64_t px)
{
	if (max <= 0 || v <= 0)
		return 0;
	return (int64_t)((__int128)v * px / max);
}

static void polyline(FILE *f, const struct point *pts, size_t n, zt_fen max, bool paid,
                     const char *color)
{
	/* a lone point (everything on one day) sits at the right end */
	int64_t span = CHART_W - CHART_LEFT - 10;
	fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", color);
	for (size_t i = 0; i < n; i++) {
		int64_t x = CHART_LEFT + (n == 1 ? span : (int64_t)i * span / (int64_t)(n - 1));
		int64_t y = CHART_TOP + CHART_H - scale(paid ? pts[i].paid : pts[i].billed, max, CHART_H);
		fprintf(f, "%s%lld,%lld", i ? " " : "", (long long)x, (long long)y);
	}
	fputs("\"/>\n", f);
	/* markers: the points are the data; the line only joins them */
	for (size_t i = 0; i < n; i++) {
		int64_t x = CHART_LEFT + (n == 1 ? span : (int64_t)i * span / (int64_t)(n - 1));
		int64_t y = CHART_TOP + CHART_H - scale(paid ? pts[i].paid : pts[i].billed, max, CHART_H);
		fprintf(f, "<circle cx=\"%lld\" cy=\"%lld\" r=\"3\" fill=\"%s\"/>\n", (long long)x,
		        (long long)y, color);
	}
}

static void chart(FILE *f, const struct zt_recon_report *r)
{
	struct point pts[CHART_POINTS_MAX];
	size_t n = chart_points(r, pts);
	char a[ZT_FMT_BYTES], b[ZT_FMT_BYTES];
	if (n == 0) {
		fputs("<p>Nothing billed or paid yet.</p>\n", f);
		return;
	}
	zt_fen max = pts[n - 1].billed > pts[n - 1].paid ? pts[n - 1].billed : pts[n - 1].paid;
	fprintf(f,
	        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" role=\"img\" "
	        "aria-label=\"billed against paid, cumulative\">\n",
	        CHART_W + 20, CHART_TOP + CHART_H + 50);
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>\n", CHART_LEFT,
	        CHART_TOP, CHART_LEFT, CHART_TOP + CHART_H);
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>\n", CHART_LEFT,
	        CHART_TOP + CHART_H, CHART_W, CHART_TOP + CHART_H);
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" font-size=\"11\">%s</text>\n",
	        CHART_LEFT - 4, CHART_TOP + 4, yuan(a, max));
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" font-size=\"11\">0.00</text>\n",
	        CHART_LEFT - 4, CHART_TOP + CHART_H);
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\">%s</text>\n", CHART_LEFT,
	        CHART_TOP + CHART_H + 16, zt_format_date(a, pts[0].day));
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" font-size=\"11\">%s</text>\n", CHART_W,
	        CHART_TOP + CHART_H + 16, zt_format_date(b, pts[n - 1].day));
	polyline(f, pts, n, max, false, "#1f5fbf");
	polyline(f, pts, n, max, true, "#2e8b3a");
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"4\" fill=\"#1f5fbf\"/>"
	           "<text x=\"%d\" y=\"%d\" font-size=\"12\">billed %s</text>\n",
	        CHART_LEFT, CHART_TOP + CHART_H + 32, CHART_LEFT + 16, CHART_TOP + CHART_H + 37,
	        yuan(a, pts[n - 1].billed));
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"4\" fill=\"#2e8b3a\"/>"
	           "<text x=\"%d\" y=\"%d\" font-size=\"12\">paid %s</text>\n",
	        CHART_LEFT + 220, CHART_TOP + CHART_H + 32, CHART_LEFT + 236,
	        CHART_TOP + CHART_H + 37, yuan(b, pts[n - 1].paid));
	fputs("</svg>\n", f);
}

static void td(FILE *f, const char *s, bool num)
{
	fputs(num ? "<td class=\"n\">" : "<td>", f);
	html_put(f, s);
	fputs("</td>", f);
}

static void report_html(FILE *f, const struct zt_recon_report *r)
{
	char a[ZT_FMT_BYTES], b[ZT_FMT_BYTES], c[ZT_FMT_BYTES], d[ZT_FMT_BYTES], g[32];
	fputs("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	      "style-src 'unsafe-inline'\">\n<title>",
	      f);
	fprintf(f, "Reconciliation %s</title>\n", zt_format_date(a, r->as_of));
	fputs("<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;"
	      "margin-bottom:1.5em}td,th{border:1px solid #ccc;padding:3px 8px}th{background:#eee}"
	      "td.n{text-align:right;font-variant-numeric:tabular-nums}.bad{color:#b00}</style>\n"
	      "</head>\n<body>\n",
	      f);
	/* zone names are [A-Za-z0-9._+-/]: nothing to escape */
	fprintf(f, "<h1>Reconciliation as of %s (%s)</h1>\n<h2>Billed against paid</h2>\n",
	        zt_format_date(a, r->as_of), zt_zone_name(zt_date_pool_zone()));
	chart(f, r);
	fputs("<h2>Funds</h2>\n<table>\n<tr><th>fund</th><th>name</th><th>billed</th><th>paid</th>"
	      "<th>written off</th><th>returned</th><th>outstanding</th><th>open batches</th>"
	      "<th>oldest (days)</th></tr>\n",
	      f);
	for (size_t i = 0; i < r->fund_count; i++) {
		const struct zt_recon_fund_line *l = &r->funds[i];
		snprintf(g, sizeof g, "%lld", (long long)l->open_batches);
		fputs("<tr>", f);
		td(f, l->fund_code, false);
		td(f, l->fund_name, false);
		td(f, yuan(a, l->billed), true);
		td(f, yuan(b, l->paid), true);
		td(f, yuan(c, l->written_off), true);
		td(f, yuan(d, l->returned), true);
		td(f, yuan(d, l->outstanding), true);
		td(f, g, true);
		td(f, age_text(g, age(l->oldest_sent, r->as_of)), true);
		fputs("</tr>\n", f);
	}
	fputs("</table>\n<h2>Hospitals</h2>\n<table>\n<tr><th>hospital</th><th>advanced</th>"
	      "<th>confirmed by the bank</th><th>earned</th><th>balance</th></tr>\n",
	      f);
	for (size_t i = 0; i < r->hospital_count; i++) {
		const struct zt_recon_hospital_line *h = &r->hospitals[i];
		if (!h->advanced && !h->earned && !h->balance)
			continue;
		fputs(h->balance < 0 ? "<tr class=\"bad\">" : "<tr>", f);
		td(f, h->hospital, false);
		td(f, yuan(a, h->advanced), true);
		td(f, yuan(b, h->confirmed), true);
		td(f, yuan(c, h->earned), true);
		td(f, yuan(d, h->balance), true);
		fputs("</tr>\n", f);
	}
	fprintf(f, "</table>\n<h2>Open exceptions (%zu)</h2>\n", r->exception_count);
	fputs("<table>\n<tr><th>exception</th><th>kind</th><th>about</th><th>amount</th>"
	      "<th>age (days)</th><th>detail</th></tr>\n",
	      f);
	for (size_t i = 0; i < r->exception_count; i++) {
		const struct zt_recon_exception *x = &r->exceptions[i];
		fputs("<tr>", f);
		td(f, x->exc_id, false);
		td(f, zt_recon_kind_name(x->kind), false);
		td(f, subject(x), false);
		td(f, yuan(a, x->amount), true);
		td(f, age_text(g, age(x->since, r->as_of)), true);
		td(f, x->detail, false);
		fputs("</tr>\n", f);
	}
	fprintf(f, "</table>\n<h2>Waiting until their batch is sent (%zu)</h2>\n", r->open_count);
	fputs("<table>\n<tr><th>bank entry</th><th></th><th>amount</th><th>booked</th>"
	      "<th>remittance</th></tr>\n",
	      f);
	for (size_t i = 0; i < r->open_count; i++) {
		const struct zt_recon_open_line *o = &r->open[i];
		fputs("<tr>", f);
		td(f, o->ref, false);
		td(f, o->credit ? "credit" : "debit", false);
		td(f, yuan(a, o->amount), true);
		td(f, zt_format_date(b, o->booking_date), false);
		td(f, o->remittance, false);
		fputs("</tr>\n", f);
	}
	fprintf(f, "</table>\n<h2>Overdue, not raised yet (%zu)</h2>\n", r->overdue_count);
	if (r->overdue_count)
		fputs("<p>'zhitong reconcile match' raises them as exceptions.</p>\n", f);
	fputs("<table>\n<tr><th>about</th><th>kind</th><th>amount</th><th>age (days)</th></tr>\n",
	      f);
	for (size_t i = 0; i < r->overdue_count; i++) {
		const struct zt_recon_overdue *o = &r->overdue[i];
		fputs("<tr>", f);
		td(f, overdue_subject(o), false);
		td(f, zt_recon_kind_name(o->kind), false);
		td(f, yuan(a, o->amount), true);
		td(f, age_text(g, age(o->since, r->as_of)), true);
		fputs("</tr>\n", f);
	}
	fprintf(f, "</table>\n<p>pool:bank %s; suspense:bank %s</p>\n</body>\n</html>\n",
	        yuan(a, r->pool_bank), yuan(b, r->suspense));
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
		return cli_usage("zhitong reconcile report [--as-of YYYY-MM-DD] [--format text|csv|html] "
		                 "[--bom] [--out FILE [--force]]");
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
	if ((rc = zt_recon_report(s, cfg, as_of, &r))) {
		rc = fail(rc);
		goto done;
	}
	if ((rc = cli_out_open(&o, a, 0600)))
		goto done;
	if (csv) {
		struct zt_csv w;
		zt_csv_init(&w, o.f, args_flag(a, "--bom"));
		report_csv(&w, &r);
	} else if (strcmp(fmt, "html") == 0) {
		report_html(o.f, &r);
	} else {
		report_text(o.f, &r);
	}
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
	int rc = args_parse(&a, argc, argv, "--by --as --note --as-of --format --out",
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
