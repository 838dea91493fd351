/* zhitong — claim submit | quote | reverse | show, and the patient's slip. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "cli.h"
#include "zhitong/error.h"
#include "zhitong/settle.h"

static const char claim_help[] =
	"usage: zhitong --db PATH claim submit FILE.xml [--by NAME] [--today YYYY-MM-DD]\n"
	"       zhitong --db PATH claim quote FILE.xml\n"
	"       zhitong --db PATH claim reverse --hospital H --claim-no N --reason TEXT [--by NAME]\n"
	"       zhitong --db PATH claim show --hospital H --claim-no N [--format text|xml]\n"
	"\n"
	"submit  settles every claim of FILE (one <claim> or a <claims> list of any size,\n"
	"        read as a stream; '-' reads stdin) and prints one <settlements> document,\n"
	"        one child per claim in input order: a <settlement> with setl_id,\n"
	"        setlinfo and setldetail (each fund with its calculation trace), or a\n"
	"        <rejection code=...>. Sending the same claim again returns the stored\n"
	"        settlement; a different claim under the same (hospital, claim_no) is\n"
	"        duplicate-claim-no. The file is one transaction: a file that is not\n"
	"        well-formed is refused whole, nothing stored (exit 2).\n"
	"quote   the same answer without setl_id, and nothing stored.\n"
	"reverse writes the reversing settlement (docs/spec/split.md §6: every amount negated, the\n"
	"        person's yearly totals taken back, the opposite ledger transfers);\n"
	"        not-settled if the claim is unknown or already reversed.\n"
	"show    every settlement and reversal made under the claim number, with the\n"
	"        trace of each fund laid out for an auditor.\n"
	"\n"
	"Rejection codes, first applicable wins: schema-invalid, duplicate-claim-no,\n"
	"unknown-hospital, unknown-person, bad-dates, no-policy, amount-mismatch;\n"
	"not-settled for reverse. Exit 0 all settled, 1 some rejected, 2 the file\n"
	"is unusable, 3 storage error. --today sets the date after which a discharge\n"
	"is 'in the future' (default: today in the pool's time zone, [pool] timezone,\n"
	"Asia/Shanghai unless configured); a --today after that is refused (exit 2).\n";

static void progress(void *ctx, uint64_t claims, uint64_t bytes, uint64_t size)
{
	(void)ctx;
	if (size)
		fprintf(stderr, "\rzhitong: %llu claims, %llu%% of the file ", (unsigned long long)claims,
		        (unsigned long long)(bytes * 100 / size));
	else
		fprintf(stderr, "\rzhitong: %llu claims ", (unsigned long long)claims);
}

static int submit(const struct cli *c, const struct args *a, bool quote)
{
	if (a->npos != 2)
		return cli_usage("zhitong claim %s FILE.xml", quote ? "quote" : "submit");
	struct zt_settle_opts o = {.quote = quote, .actor = cli_actor(a)};
	const char *today = args_get(a, "--today");
	if (today && zt_parse_date(&o.today, today, strlen(today)) != 0)
		return cli_usage("--today: %s", zt_error_last());
	bool tty = isatty(2);
	if (tty) {
		o.progress = progress;
	}
	struct zt_store *s;
	int rc = cli_open_store(c, 0, &s);
	if (rc)
		return rc;
	struct zt_settle_stats st;
	rc = zt_settle_file(s, a->pos[1], &o, stdout, &st);
	zt_store_close(s);
	if (tty && st.claims >= 1000)
		fputc('\n', stderr);
	if (rc)
		return cli_fail(rc, rc == ZT_EINVAL ? "schema-invalid" : NULL);
	if (tty)
		fprintf(stderr, "zhitong: %llu claims: %llu %s, %llu already settled, %llu rejected\n",
		        (unsigned long long)st.claims, (unsigned long long)st.settled,
		        quote ? "quoted" : "settled", (unsigned long long)st.resent,
		        (unsigned long long)st.rejected);
	return st.rejected ? EXIT_REJECTED : EXIT_DONE;
}

static int reverse(const struct cli *c, const struct args *a)
{
	const char *h = args_get(a, "--hospital"), *n = args_get(a, "--claim-no"),
		   *reason = args_get(a, "--reason");
	if (!h || !n || !reason || !reason[0] || a->npos != 1)
		return cli_usage("zhitong claim reverse --hospital H --claim-no N --reason TEXT");
	struct zt_store *s;
	int rc = cli_open_store(c, 0, &s);
	if (rc)
		return rc;
	bool rejected;
	rc = zt_settle_reverse(s, h, n, reason, cli_actor(a), stdout, &rejected);
	zt_store_close(s);
	if (rc)
		return cli_fail(rc, NULL);
	return rejected ? EXIT_REJECTED : EXIT_DONE;
}

/* ---- show ------------------------------------------------------------------ */

static void print_amount_line(const char *name, zt_fen v)
{
	char b[ZT_FMT_BYTES];
	printf("  %-20s %16s\n", name, zt_format_amount(b, v));
}

static const char *attr(xmlNodePtr n, const char *name)
{
	xmlAttrPtr a = xmlHasProp(n, BAD_CAST name);
	return a && a->children ? (const char *)a->children->content : "";
}

/* The formula of each trace kind, with its numbers filled in. */
static void print_trace(const char *trace)
{
	xmlDocPtr doc = xmlReadMemory(trace, (int)strlen(trace), "trace", NULL,
	                              XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	xmlNodePtr n = doc ? xmlDocGetRootElement(doc) : NULL;
	if (!n) {
		printf("      (unreadable trace)\n");
		xmlFreeDoc(doc);
		return;
	}
	const char *k = (const char *)n->name;
	if (strcmp(k, "basic") == 0) {
		printf("      hospital level %s: deductible %s, ratio %s\n", attr(n, "hospital-level"),
		       attr(n, "level-deductible"), attr(n, "level-ratio"));
		if (attr(n, "adjust")[0])
			printf("      adjust for %s: deductible x %s, ratio + %s\n", attr(n, "adjust"),
			       attr(n, "deductible-factor"), attr(n, "ratio-bonus"));
		printf("      D = %s, R = %s; act_pay_dedc = min(D, inscp %s) = %s\n",
		       attr(n, "deductible"), attr(n, "ratio"), attr(n, "inscp"), attr(n, "act_pay_dedc"));
		printf("      raw = (inscp - act_pay_dedc) x R = %s\n", attr(n, "raw"));
	} else if (strcmp(k, "critical") == 0) {
		printf("      base = inscp %s - hifp_pay %s + preselfpay %s = %s\n", attr(n, "inscp"),
		       attr(n, "hifp_pay"), attr(n, "preselfpay-added"), attr(n, "base"));
		printf("      cumulative base %s -> %s; threshold %s%s%s, bonus %s, %s tiers\n",
		       attr(n, "base-before"), attr(n, "base-after"), attr(n, "threshold"),
		       attr(n, "adjust")[0] ? " (adjust for " : "", attr(n, "adjust")[0] ? ")" : "",
		       attr(n, "ratio-bonus"), attr(n, "tiers"));
		for (xmlNodePtr g = n->children; g; g = g->next)
			if (g->type == XML_ELEMENT_NODE)
				printf("      tier [%s, %s): covered [%s, %s) x %s = %s\n", attr(g, "tier-from"),
				       attr(g, "tier-to"), attr(g, "from"), attr(g, "to"), attr(g, "ratio"),
				       attr(g, "weighted"));
		printf("      raw = round(sum %s) = %s\n", attr(n, "weighted"), attr(n, "raw"));
	} else if (strcmp(k, "assistance") == 0) {
		printf("      %s: base %s (preselfpay %s), deductible %s, ratio %s\n", attr(n, "category"),
		       attr(n, "base"), attr(n, "preselfpay-added"), attr(n, "deductible"),
		       attr(n, "ratio"));
		printf("      raw = max(0, base - deductible) x ratio = %s\n", attr(n, "raw"));
	} else if (strcmp(k, "relief") == 0) {
		printf("      %s: personal cap %s: psn0 %s, target %s\n", attr(n, "name"),
		       attr(n, "cap-ratio"), attr(n, "psn0"), attr(n, "target"));
		printf("      gap %s x ratio %s = raw %s; gap left %s\n", attr(n, "gap-before"),
		       attr(n, "ratio"), attr(n, "raw"), attr(n, "gap-after"));
	} else if (strcmp(k, "reversal") == 0) {
		printf("      reverses %s (%s): %s %s -> %s\n", attr(n, "of"), attr(n, "reason"),
		       attr(n, "slot"), attr(n, "paid-before"), attr(n, "paid-after"));
	}
	if (strcmp(k, "reversal") != 0)
		printf("      pay = min(raw %s, annual cap %s - paid this year %s) = %s; paid %s -> %s\n",
		       attr(n, "raw"), attr(n, "annual-cap"), attr(n, "paid-before"), attr(n, "pay"),
		       attr(n, "paid-before"), attr(n, "paid-after"));
	xmlFreeDoc(doc);
}

static int show_text(void *ctx, const struct zt_stored_settlement *st)
{
	(void)ctx;
	char b[ZT_FMT_BYTES], d1[ZT_FMT_BYTES], d2[ZT_FMT_BYTES], when[ZT_FMT_BYTES];
	printf("%s  %s%s%s  claim %s of %s, person %s (%s, %s county), hospital level %d\n",
	       st->setl_id, strcmp(st->kind, "settle") == 0 ? "settlement" : "REVERSAL",
	       st->reverses_setl_id[0] ? " of " : "", st->reverses_setl_id, st->claim_no,
	       st->fixmedins_code, st->psn_no, st->category, st->in_county ? "in" : "out of",
	       st->hospital_level);
	printf("  admitted %s, discharged %s; policy %s; %s by %s%s%s\n",
	       zt_format_date(d1, st->adm_date), zt_format_date(d2, st->dscg_date), st->policy_id,
	       zt_timestamp_local(when, st->settled_at), st->actor, st->reason[0] ? "; reason: " : "",
	       st->reason);
	print_amount_line("medfee_sumamt", st->cls.medfee_sumamt);
	print_amount_line("fulamt_ownpay_amt", st->cls.fulamt_ownpay_amt);
	print_amount_line("overlmt_selfpay", st->cls.overlmt_selfpay);
	print_amount_line("preselfpay_amt", st->cls.preselfpay_amt);
	print_amount_line("inscp_scp_amt", st->cls.inscp_scp_amt);
	print_amount_line("act_pay_dedc", st->act_pay_dedc);
	printf("  %-20s %16s\n", "pool_prop_selfpay", zt_format_ratio(b, st->pool_prop_bp));
	print_amount_line("hifp_pay", st->hifp_pay);
	print_amount_line("hifmi_pay", st->hifmi_pay);
	print_amount_line("maf_pay", st->maf_pay);
	print_amount_line("oth_pay", st->oth_pay);
	print_amount_line("fund_pay_sumamt", st->fund_pay_sumamt);
	print_amount_line("hosp_part_amt", st->hosp_part_amt);
	print_amount_line("psn_part_amt", st->psn_part_amt);
	printf("  funds:\n");
	for (int i = 0; i < st->fund_count; i++) {
		printf("    %s %-10s %16s\n", st->funds[i].fund_code, st->funds[i].kind,
		       zt_format_amount(b, st->funds[i].amount));
		print_trace(st->funds[i].trace);
	}
	printf("\n");
	return 0;
}

struct collect {
	struct zt_stored_settlement items[64];
	int n;
};

static int collect_one(void *ctx, const struct zt_stored_settlement *st)
{
	struct collect *c = ctx;
	if (c->n >= 64)
		return 0;
	c->items[c->n] = *st;
	/* take the traces over */
	for (int i = 0; i < st->fund_count; i++)
		c->items[c->n].funds[i].trace = strdup(st->funds[i].trace);
	c->n++;
	return 0;
}

static int show(const struct cli *c, const struct args *a)
{
	const char *h = args_get(a, "--hospital"), *n = args_get(a, "--claim-no");
	const char *fmt = args_get(a, "--format");
	if (!fmt)
		fmt = "text";
	if (!h || !n || a->npos != 1 || (strcmp(fmt, "text") != 0 && strcmp(fmt, "xml") != 0))
		return cli_usage("zhitong claim show --hospital H --claim-no N [--format text|xml]");
	struct zt_store *s;
	int rc = cli_open_store(c, ZT_STORE_READONLY, &s);
	if (rc)
		return rc;
	if (strcmp(fmt, "text") == 0) {
		rc = zt_store_claim_history(s, h, n, show_text, NULL);
	} else {
		struct collect *col = calloc(1, sizeof *col);
		rc = col ? zt_store_claim_history(s, h, n, collect_one, col) : ZT_ENOMEM;
		if (rc == 0) {
			const struct zt_stored_settlement *list[64];
			for (int i = 0; i < col->n; i++)
				list[i] = &col->items[i];
			rc = zt_settle_write_stored(stdout, list, col->n);
		}
		if (col)
			for (int i = 0; i < col->n; i++)
				zt_stored_settlement_free(&col->items[i]);
		free(col);
	}
	zt_store_close(s);
	if (rc == ZT_ENOTFOUND) {
		fprintf(stderr, "zhitong: not-settled: claim '%s' of hospital '%s' has never been settled\n",
		        n, h);
		return EXIT_REJECTED;
	}
	return rc ? cli_fail(rc, NULL) : EXIT_DONE;
}

int cmd_claim(const struct cli *c, int argc, char **argv)
{
	struct args a;
	int rc = args_parse(&a, argc, argv, "--by --today --hospital --claim-no --reason --format", "");
	if (rc)
		return rc;
	if (a.help || a.npos == 0) {
		fputs(claim_help, a.help ? stdout : stderr);
		return a.help ? EXIT_DONE : EXIT_USAGE;
	}
	const char *sub = a.pos[0];
	if (strcmp(sub, "submit") == 0)
		return submit(c, &a, false);
	if (strcmp(sub, "quote") == 0)
		return submit(c, &a, true);
	if (strcmp(sub, "reverse") == 0)
		return reverse(c, &a);
	if (strcmp(sub, "show") == 0)
		return show(c, &a);
	return cli_usage("unknown claim command '%s' (submit, quote, reverse, show)", sub);
}
