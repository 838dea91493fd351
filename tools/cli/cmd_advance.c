/* zhitong — advance plan | show | approve | issue | status | list: paying the
 * hospitals ahead (docs/spec/money-flow.md "Advances"). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "zhitong/advance.h"
#include "zhitong/advance_render.h"
#include "zhitong/config.h"
#include "zhitong/csv.h"
#include "zhitong/error.h"

static const char advance_help[] =
	"usage: zhitong --db PATH [--config PATH] advance plan [--as-of YYYY-MM-DD] [--pool P]\n"
	"                                                      --by NAME [--format text|csv] [--bom]\n"
	"       zhitong --db PATH advance plan --hospital H --amount 123.45 --by NAME\n"
	"                                                      [--format text|csv] [--bom]\n"
	"       zhitong --db PATH advance show PLAN [--format text|csv] [--bom] [--out FILE [--force]]\n"
	"       zhitong --db PATH advance approve PLAN --by NAME\n"
	"       zhitong --db PATH --config PATH advance issue --plan PLAN --by NAME\n"
	"                                 [--out FILE] [--execution-date YYYY-MM-DD] [--rewrite]\n"
	"       zhitong --db PATH [--config PATH] advance status [--pool P] [--format text|csv] [--bom]\n"
	"                                    [--out FILE [--force]]\n"
	"       zhitong --db PATH [--config PATH] advance list [--pool P] [--format text|csv] [--bom]\n"
	"                                  [--out FILE [--force]]\n"
	"\n"
	"The pool pays each hospital ahead (an advance) so that it never fronts the\n"
	"funds' shares itself; each settled claim uses part of it up. The balance of\n"
	"hospital:H is what it was advanced less what it earned; below 0 the hospital\n"
	"is advancing money itself (a settlement is never refused for that).\n"
	"\n"
	"plan     stores and prints a plan: its id alone on the first line, then per\n"
	"         hospital of the registry the float target, the balance now and the\n"
	"         top-up = target - balance if positive, else 0 (a hospital below zero\n"
	"         gets target + |balance|). Target: [hospital H] target, else the\n"
	"         fund shares H earned (settlements less reversals, by settlement time)\n"
	"         over the [advance] target-days days (default 30) up to --as-of\n"
	"         (default today; days of the pool's time zone, [pool] timezone; not in\n"
	"         the future). Top-ups under [advance] min-topup are left out unless\n"
	"         the hospital is below zero. With several [pool P] in the configuration,\n"
	"         --pool P is required: the plan tops up P's hospitals (those of its\n"
	"         counties) and P's account pays it at issue.\n"
	"         With --hospital H --amount X: a single advance, a plan of one line\n"
	"         (basis request) paying X to H, approved and issued like any plan, from\n"
	"         the pool of H's county.\n"
	"         CSV header: plan_id,hospital,basis,window_earned,target,balance,topup\n"
	"show     a stored plan, with who approved and whether it was issued.\n"
	"approve  the second pair of eyes: the plan's maker cannot approve it.\n"
	"issue    pays an approved plan (once; refused if another advance has gone to\n"
	"         one of its hospitals since it was made); nothing else is ever paid (the\n"
	"         old --hospital/--amount/--approved-by form is refused). In one\n"
	"         transaction: per hospital a\n"
	"         transfer pool:bank -> hospital:H (debit hospital:H, credit pool:bank,\n"
	"         kind advance, ref = the advance id, e.g. ADV-20240301-000001), and the\n"
	"         ISO 20022 pain.001.001.03 credit-transfer file for the pool's bank\n"
	"         (checked against the official XSD), default advance-<id>.xml in the\n"
	"         current directory, where <id> (its MsgId) is the plan id;\n"
	"         EndToEndId = the advance id. An existing file is never\n"
	"         overwritten, a symbolic link never followed (no --force: a payment\n"
	"         file may be one not yet sent); the file appears whole, readable by\n"
	"         its owner only. Prints one line per advance (id, hospital, amount).\n"
	"         The file is published after the commit: a crash between the two\n"
	"         leaves the advances recorded without their file, and issuing the\n"
	"         plan again says so. --rewrite then writes that file again from the\n"
	"         record (same MsgId, amounts and times; nothing booked) — only when\n"
	"         the file never reached the bank, never for one sent and moved away.\n"
	"status   per hospital (--pool P: of P's counties): advanced, earned, balance, and\n"
	"         since when it has been\n"
	"         below zero (empty if it is not).\n"
	"         CSV header: hospital,advanced,earned,balance,advancing_since\n"
	"list     every advance issued (--pool P: to the hospitals of P's counties).\n"
	"         CSV header: advance_id,hospital,amount,plan_id,msg_id,made_by,\n"
	"         approved_by,issued_by,issued_at,execution_date,file\n"
	"\n"
	"Configuration (--config or $ZHITONG_CONFIG):\n"
	"  [pool]        name, account (required to issue), bic, currency (CNY)\n"
	"  [advance]     target-days = 30, min-topup = 0.00\n"
	"  [hospital H]  target = 500000.00, account (required to pay H), bic,\n"
	"                name (default: the registry's)\n"
	"\n"
	"Names (--by) are compared and recorded normalised: NFKC, case-folded, trimmed\n"
	"(Alice, ALICE and fullwidth ＡＬＩＣＥ are one person); a name with an invisible\n"
	"or control character is refused.\n"
	"CSV cells a spreadsheet would run as formulas (= + - @ first) are written as\n"
	"text; --bom adds a UTF-8 byte order mark (Excel on Chinese Windows). --out FILE\n"
	"writes to FILE instead of stdout: never over a different file unless --force,\n"
	"never through a symbolic link, whole or not at all.\n"
	"\n"
	"Amounts are yuan with two decimals. Exit 0 done; 2 refused (not found,\n"
	"conflict: maker-checker, already issued, stale; or bad usage); 3 storage.\n";

/* A record that does not exist is "not-found" (main's code for ZT_ENOTFOUND
 * is about unreadable input files). */
static int fail(int rc) { return cli_fail(rc, rc == ZT_ENOTFOUND ? "not-found" : NULL); }

static int format_arg(const struct args *a, bool *csv)
{
	const char *f = args_get(a, "--format");
	*csv = false;
	if (!f || strcmp(f, "text") == 0)
		return 0;
	if (strcmp(f, "csv") == 0) {
		*csv = true;
		return 0;
	}
	return cli_usage("--format must be text or csv, not '%s'", f);
}

static int load_config(const struct cli *c, struct zt_config **cfg)
{
	int rc = zt_config_load(cfg, c->config_path);
	return rc ? fail(rc) : 0;
}

static int date_arg(const struct args *a, const char *name, zt_date *out)
{
	const char *v = args_get(a, name);
	*out = 0;
	if (v && zt_parse_date(out, v, strlen(v)) != 0)
		return cli_usage("%s: %s", name, zt_error_last());
	return 0;
}

/* ---- plan, show ----------------------------------------------------------- */

static int out_start(struct zt_advance_out *o, struct cli_out *co, const struct args *a, bool csv,
                     bool file_allowed)
{
	int rc = cli_bom_check(a, csv);
	if (rc)
		return rc;
	if (!file_allowed && args_get(a, "--out"))
		return cli_usage("--out is for show, status and list (a plan is stored: its answer "
		                 "goes to stdout)");
	if ((rc = cli_out_open(co, a, 0600)))
		return rc;
	zt_advance_out_init(o, co->f, csv, args_flag(a, "--bom"));
	return 0;
}

static int plan(const struct cli *c, const struct args *a)
{
	bool csv;
	zt_date as_of;
	int rc;
	if ((rc = format_arg(a, &csv)) != 0 || (rc = date_arg(a, "--as-of", &as_of)) != 0)
		return rc;
	const char *hospital = args_get(a, "--hospital"), *amount = args_get(a, "--amount");
	bool single = hospital || amount;
	if (a->npos != 1 || (single && (!hospital || !amount || as_of)))
		return cli_usage("zhitong advance plan [--as-of YYYY-MM-DD] --by NAME [--format text|csv], "
		                 "or a single advance: --hospital H --amount 123.45 --by NAME");
	zt_fen fen = 0;
	if (amount && zt_parse_amount(&fen, amount, strlen(amount)) != 0)
		return cli_usage("--amount: %s (yuan with two decimals, e.g. 5000.00)", zt_error_last());
	struct zt_advance_out o;
	struct cli_out co;
	if ((rc = out_start(&o, &co, a, csv, false)) != 0)
		return rc;
	struct zt_config *cfg = NULL;
	if ((rc = load_config(c, &cfg)) != 0)
		return rc;
	struct zt_store *s;
	if ((rc = cli_open_store(c, 0, &s)) != 0) {
		zt_config_free(cfg);
		return rc;
	}
	struct zt_advance_plan p;
	if (single)
		rc = zt_advance_request(s, &(struct zt_advance_request_req){.hospital = hospital,
		                        .amount = fen, .actor = cli_actor(a), .cfg = cfg}, &p);
	else
		rc = zt_advance_plan(s, &(struct zt_advance_plan_req){.cfg = cfg,
		                     .pool = args_get(a, "--pool"), .as_of = as_of,
		                     .actor = cli_actor(a)}, &p);
	zt_store_close(s);
	zt_config_free(cfg);
	if (rc)
		return fail(rc);
	cli_stored("'zhitong advance show PLAN' prints it", "plan '%s' was made", p.plan_id);
	zt_advance_render_plan(&o, &p, false);
	if (!csv && p.total > 0)
		printf("approve with: zhitong advance approve %s --by NAME (not %s)\n", p.plan_id,
		       p.made_by);
	zt_advance_plan_free(&p);
	return cli_out_close(&co, EXIT_DONE);
}

static int show(const struct cli *c, const struct args *a)
{
	bool csv;
	int rc;
	if ((rc = format_arg(a, &csv)) != 0)
		return rc;
	if (a->npos != 2)
		return cli_usage("zhitong advance show PLAN [--format text|csv] [--bom] "
		                 "[--out FILE [--force]]");
	struct zt_store *s;
	if ((rc = cli_open_store(c, CLI_STORE_READONLY, &s)) != 0)
		return rc;
	struct zt_advance_plan p;
	rc = zt_advance_plan_get(s, a->pos[1], &p);
	zt_store_close(s);
	if (rc)
		return fail(rc);
	struct zt_advance_out o;
	struct cli_out co;
	if ((rc = out_start(&o, &co, a, csv, true)) == 0) {
		zt_advance_render_plan(&o, &p, true);
		rc = cli_out_close(&co, EXIT_DONE);
	}
	zt_advance_plan_free(&p);
	return rc;
}

static int approve(const struct cli *c, const struct args *a)
{
	if (a->npos != 2)
		return cli_usage("zhitong advance approve PLAN --by NAME");
	struct zt_store *s;
	int rc = cli_open_store(c, 0, &s);
	if (rc)
		return rc;
	const char *who = cli_actor(a);
	rc = zt_advance_approve(s, &(struct zt_advance_approve_req){a->pos[1], who});
	zt_store_close(s);
	if (rc)
		return fail(rc);
	cli_stored("'zhitong advance show PLAN' shows it", "plan '%s' was approved", a->pos[1]);
	printf("%s approved by %s\n", a->pos[1], who);
	return EXIT_DONE;
}

/* ---- issue ---------------------------------------------------------------- */

static int issue(const struct cli *c, const struct args *a)
{
	struct zt_advance_issue_req req = {
		.plan_id = args_get(a, "--plan"),
		.actor = cli_actor(a),
		.out_path = args_get(a, "--out"),
		.rewrite = args_flag(a, "--rewrite"),
	};
	int rc;
	if ((rc = date_arg(a, "--execution-date", &req.execution_date)) != 0)
		return rc;
	/* The old single form paid on a name the issuer typed: it is refused,
	 * never given another meaning (commands are only ever added). */
	if (args_get(a, "--approved-by") || args_get(a, "--hospital") || args_get(a, "--amount"))
		return cli_usage("advance issue pays approved plans only: a single advance is no longer "
		                 "paid on --approved-by; plan it ('zhitong advance plan --hospital H "
		                 "--amount 123.45 --by NAME'), have another person approve it ('zhitong "
		                 "advance approve PLAN --by NAME'), then 'zhitong advance issue --plan PLAN "
		                 "--by NAME'");
	if (a->npos != 1 || !req.plan_id)
		return cli_usage("zhitong advance issue --plan PLAN --by NAME [--out FILE] "
		                 "[--execution-date YYYY-MM-DD] [--rewrite]");
	if (args_flag(a, "--force") || args_flag(a, "--bom"))
		return cli_usage("advance issue takes neither --force nor --bom: a payment file is "
		                 "never written over another (it may be one not yet sent)");
	struct zt_config *cfg = NULL;
	if ((rc = load_config(c, &cfg)) != 0)
		return rc;
	struct zt_store *s;
	if ((rc = cli_open_store(c, 0, &s)) != 0) {
		zt_config_free(cfg);
		return rc;
	}
	struct zt_advance_issued out;
	req.cfg = cfg;
	rc = zt_advance_issue(s, &req, &out);
	zt_store_close(s);
	zt_config_free(cfg);
	if (rc)
		return fail(rc);
	if (out.rewritten)
		fprintf(stderr, "zhitong: plan %s was issued before and its payment file was missing: "
		        "written again from what was recorded (nothing booked)\n", req.plan_id);
	else
		cli_stored("'zhitong advance list' lists them (issuing again is refused: once is once)",
		           "%zu advance%s were issued with the payment file '%s'", out.count,
		           out.count == 1 ? "" : "s", out.path);
	char b[ZT_FMT_BYTES], d[ZT_FMT_BYTES];
	for (size_t i = 0; i < out.count; i++)
		printf("%s %s %s\n", out.advances[i].advance_id, out.advances[i].hospital,
		       zt_format_amount(b, out.advances[i].amount));
	fprintf(stderr, "zhitong: wrote %s: pain.001.001.03 MsgId %s, %zu transaction%s, CtrlSum %s, "
	        "execution date %s\n", out.path, out.msg_id, out.count, out.count == 1 ? "" : "s",
	        zt_format_amount(b, out.total),
	        zt_format_date(d, out.count ? out.advances[0].execution_date : 0));
	zt_advance_issued_free(&out);
	return EXIT_DONE;
}

/* ---- status, list -------------------------------------------------------- */

struct status_filter {
	struct zt_advance_out *o;
	const char *counties;
	bool all;
};

static int status_of_pool(void *ctx, const struct zt_advance_status *st)
{
	struct status_filter *f = ctx;
	if (!f->all && !zt_config_counties_has(f->counties, st->county))
		return 0;
	return zt_advance_render_status_row(f->o, st);
}

/* --pool P: the hospitals of P's counties only (config.h); without it,
 * every hospital. */
static int pool_filter(const struct cli *c, const struct args *a, struct zt_config **cfg,
                       struct status_filter *f)
{
	const char *pool = args_get(a, "--pool");
	int rc;
	*cfg = NULL;
	f->all = true;
	if (!pool)
		return 0;
	if ((rc = load_config(c, cfg)) != 0)
		return rc;
	if (zt_config_pool_pick(*cfg, pool, &pool) != 0) {
		rc = cli_usage("%s", zt_error_last());
		zt_config_free(*cfg);
		*cfg = NULL;
		return rc;
	}
	f->counties = zt_config_pool_counties(*cfg, pool);
	f->all = !f->counties;
	return 0;
}

static int status(const struct cli *c, const struct args *a)
{
	bool csv;
	int rc;
	if ((rc = format_arg(a, &csv)) != 0)
		return rc;
	if (a->npos != 1)
		return cli_usage("zhitong advance status [--pool P] [--format text|csv] [--bom] "
		                 "[--out FILE [--force]]");
	struct status_filter f = {.o = NULL};
	struct zt_config *cfg = NULL;
	if ((rc = pool_filter(c, a, &cfg, &f)) != 0)
		return rc;
	struct zt_store *s;
	if ((rc = cli_open_store(c, CLI_STORE_READONLY, &s)) != 0) {
		zt_config_free(cfg);
		return rc;
	}
	struct zt_advance_out o;
	struct cli_out co;
	if ((rc = out_start(&o, &co, a, csv, true)) != 0) {
		zt_store_close(s);
		zt_config_free(cfg);
		return rc;
	}
	f.o = &o;
	zt_advance_render_status_header(&o);
	rc = zt_advance_status(s, status_of_pool, &f);
	zt_store_close(s);
	zt_config_free(cfg);
	return cli_out_close(&co, rc ? fail(rc) : EXIT_DONE);
}

/* advance list --pool P: the advances to the hospitals of P's counties. */
static bool county_of_pool(void *ctx, const char *county)
{
	const struct status_filter *f = ctx;
	return zt_config_counties_has(f->counties, county);
}

static int advance_row(void *ctx, const struct zt_advance *x)
{
	return zt_advance_render_list_row(ctx, x);
}

static int list(const struct cli *c, const struct args *a)
{
	bool csv;
	int rc;
	if ((rc = format_arg(a, &csv)) != 0)
		return rc;
	if (a->npos != 1)
		return cli_usage("zhitong advance list [--pool P] [--format text|csv] [--bom] "
		                 "[--out FILE [--force]]");
	struct status_filter f = {.o = NULL};
	struct zt_config *cfg = NULL;
	if ((rc = pool_filter(c, a, &cfg, &f)) != 0)
		return rc;
	struct zt_store *s;
	if ((rc = cli_open_store(c, CLI_STORE_READONLY, &s)) != 0) {
		zt_config_free(cfg);
		return rc;
	}
	struct zt_advance_out o;
	struct cli_out co;
	if ((rc = out_start(&o, &co, a, csv, true)) != 0) {
		zt_store_close(s);
		zt_config_free(cfg);
		return rc;
	}
	f.o = &o;
	zt_advance_render_list_header(&o);
	rc = zt_advance_list_admitted(s, f.all ? NULL : county_of_pool, &f, advance_row, &o);
	zt_store_close(s);
	zt_config_free(cfg);
	return cli_out_close(&co, rc ? fail(rc) : EXIT_DONE);
}

int cmd_advance(const struct cli *c, int argc, char **argv)
{
	struct args a;
	int rc = args_parse(&a, argc, argv,
	                    "--format --as-of --by --plan --hospital --amount --approved-by --out --pool "
	                    "--execution-date",
	                    "--force --bom --rewrite");
	if (rc)
		return rc;
	if (a.help || a.npos == 0) {
		fputs(advance_help, a.help ? stdout : stderr);
		return a.help ? EXIT_DONE : EXIT_USAGE;
	}
	static const struct {
		const char *name;
		int (*fn)(const struct cli *, const struct args *);
	} subs[] = {{"plan", plan},   {"show", show},     {"approve", approve},
	            {"issue", issue}, {"status", status}, {"list", list}};
	for (size_t i = 0; i < sizeof subs / sizeof *subs; i++)
		if (strcmp(a.pos[0], subs[i].name) == 0)
			return subs[i].fn(c, &a);
	return cli_usage("unknown advance command '%s' (plan, show, approve, issue, status, list)",
	                 a.pos[0]);
}
