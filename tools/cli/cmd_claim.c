/* zhitong — claim submit | quote | reverse | show, and the patient's slip. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


#include "cli.h"
#include "zhitong/csv.h"
#include "zhitong/error.h"
#include "zhitong/settle.h"

static const char claim_help[] =
	"usage: zhitong --db PATH claim submit FILE.xml [--by NAME] [--today YYYY-MM-DD]\n"
	"       zhitong --db PATH claim quote FILE.xml [--format xml|text] [--today YYYY-MM-DD]\n"
	"       zhitong --db PATH claim reverse --hospital H --claim-no N --reason TEXT [--by NAME]\n"
	"       zhitong --db PATH claim show --hospital H --claim-no N [--format text|xml]\n"
	"       zhitong --db PATH claim show --setl-id S [--format text|xml]\n"
	"       zhitong --db PATH claim list [--person P] [--hospital H] [--from YYYY-MM-DD]\n"
	"                                    [--to YYYY-MM-DD] [--format text|csv] [--bom]\n"
	"                                    [--out FILE [--force]]\n"
	"\n"
	"submit  settles every claim of FILE (one <claim> or a <claims> list of any size,\n"
	"        read as a stream; '-' reads stdin) and prints one <settlements> document,\n"
	"        one child per claim in input order: a <settlement> with setl_id,\n"
	"        setlinfo and setldetail (each fund with its calculation trace), or a\n"
	"        <rejection code=...>. Sending the same claim again returns the stored\n"
	"        settlement; a different claim under the same (hospital, claim_no) is\n"
	"        duplicate-claim-no. The file is one transaction: a file that is not\n"
	"        well-formed is refused whole, nothing stored (exit 2). If the answer\n"
	"        cannot be written after the commit (a closed pipe, a full disk), stderr\n"
	"        says the claims were stored and exit is 4: submit the same file again\n"
	"        to get the same answer, with the same setl_ids.\n"
	"quote   the same answer without setl_id, and nothing stored. --format text is\n"
	"        for the desk: per claim the total, each fund's amount, what the\n"
	"        hospital bears and what the patient pays; a rejection with its code\n"
	"        and message.\n"
	"reverse writes the reversing settlement (docs/spec/split.md §6: every amount negated, the\n"
	"        person's yearly totals taken back, the opposite ledger transfers);\n"
	"        not-settled if the claim is unknown or already reversed.\n"
	"show    every settlement and reversal made under the claim number, with the\n"
	"        trace of each fund laid out for an auditor; --setl-id S shows that\n"
	"        settlement (and its reversal, if it was reversed) or that reversal.\n"
	"list    the settlements and reversals of the claims discharged from --from to\n"
	"        --to (inclusive; the discharge date, dscg_date, not the day of\n"
	"        settlement), of person --person and of hospital --hospital (each filter\n"
	"        optional), ordered by discharge date, hospital, claim number, and a\n"
	"        reversal after the settlement it reverses. CSV header:\n"
	"        setl_id,kind,reverses,fixmedins_code,claim_no,psn_no,adm_date,dscg_date,\n"
	"        medfee_sumamt,fund_pay_sumamt,hosp_part_amt,psn_part_amt,settled_at,actor,\n"
	"        reason. CSV cells a spreadsheet would run as formulas (= + - @ first)\n"
	"        are written as text; numbers stay numbers; --bom adds a UTF-8 byte order\n"
	"        mark. --out FILE: never over a different file unless --force, never\n"
	"        through a symbolic link, whole or not at all.\n"
	"\n"
	"Rejection codes, first applicable wins: schema-invalid, duplicate-claim-no,\n"
	"unknown-hospital, unknown-person, bad-dates, no-policy, amount-mismatch;\n"
	"not-settled for reverse. Exit 0 all settled, 1 some rejected (show, list:\n"
	"nothing found), 2 the file is unusable, 3 storage error, 4 stored but the\n"
	"answer not delivered. --today sets the date after which a discharge is 'in\n"
	"the future' (default: today in the pool's time zone, [pool] timezone,\n"
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

/* ---- the desk's text of a quote ------------------------------------------- */

static const char *fund_label(const char *kind)
{
	if (strcmp(kind, "basic") == 0)
		return "基本医保 Basic insurance";
	if (strcmp(kind, "critical") == 0)
		return "大病保险 Critical illness";
	if (strcmp(kind, "assistance") == 0)
		return "医疗救助 Medical assistance";
	return "扶贫救助基金 Relief fund";
}

static void quote_line(FILE *f, const char *label, zt_fen v)
{
	char b[ZT_FMT_BYTES];
	int pad = 44 - cli_display_width(label);
	fprintf(f, "  %s%*s %14s\n", label, pad > 0 ? pad : 0, "", zt_format_amount(b, v));
}

static void quote_settlement(void *ctx, const struct zt_stored_settlement *st, bool stored_before)
{
	FILE *f = ctx;
	char d[ZT_FMT_BYTES], label[120];
	fprintf(f, "%s  claim %s of %s, person %s, discharged %s%s%s\n", stored_before ? "SETTLED" : "QUOTE",
	        st->claim_no, st->fixmedins_code, st->psn_no, zt_format_date(d, st->dscg_date),
	        stored_before ? ": already settled as " : "", stored_before ? st->setl_id : "");
	quote_line(f, "医疗费总额 Total bill", st->cls.medfee_sumamt);
	for (int i = 0; i < st->fund_count; i++) {
		snprintf(label, sizeof label, "%s %s", st->funds[i].fund_code,
		         fund_label(st->funds[i].kind));
		quote_line(f, label, st->funds[i].amount);
	}
	quote_line(f, "医院承担 Borne by the hospital", st->hosp_part_amt);
	quote_line(f, "个人支付 Patient pays", st->psn_part_amt);
	fputc('\n', f);
}

static void quote_rejection(void *ctx, const char *hospital, const char *claim_no,
                            const char *code, const char *message)
{
	FILE *f = ctx;
	fprintf(f, "REJECTED  claim %s of %s: %s: %s\n\n", claim_no && claim_no[0] ? claim_no : "?",
	        hospital && hospital[0] ? hospital : "?", code, message);
}

static int submit(const struct cli *c, const struct args *a, bool quote)
{
	if (a->npos != 2)
		return cli_usage("zhitong claim %s FILE.xml%s", quote ? "quote" : "submit",
		                 quote ? " [--format xml|text]" : "");
	const char *fmt = args_get(a, "--format");
	bool text = fmt && strcmp(fmt, "text") == 0;
	if (fmt && !text && strcmp(fmt, "xml") != 0)
		return cli_usage("--format must be xml or text, not '%s'", fmt);
	if (text && !quote)
		return cli_usage("claim submit answers in XML (the record of what was settled); "
		                 "'claim quote --format text' is the desk's text");
	struct zt_settle_opts o = {.quote = quote, .actor = cli_actor(a)};
	const char *today = args_get(a, "--today");
	if (today && zt_parse_date(&o.today, today, strlen(today)) != 0)
		return cli_usage("--today: %s", zt_error_last());
	bool tty = isatty(2);
	if (tty) {
		o.progress = progress;
	}
	/* The text is spooled: it is shown only once the whole file is known
	 * to be well-formed, as the XML is. */
	FILE *spool = NULL;
	if (text) {
		if (!(spool = tmpfile()))
			return cli_fail(zt_error_set(ZT_EIO, "cannot create a spool file"), NULL);
		o.on_settlement = quote_settlement;
		o.on_rejection = quote_rejection;
		o.answer_ctx = spool;
	}
	struct zt_store *s;
	int rc = cli_open_store(c, 0, &s);
	if (rc) {
		if (spool)
			fclose(spool);
		return rc;
	}
	struct zt_settle_stats st;
	rc = zt_settle_file(s, a->pos[1], &o, text ? NULL : stdout, &st);
	zt_store_close(s);
	if (tty && st.claims >= 1000)
		fputc('\n', stderr);
	if (rc == 0 && spool) {
		fprintf(spool, "%llu claim%s: %llu quoted, %llu already settled, %llu rejected; nothing "
		        "was stored\n", (unsigned long long)st.claims, st.claims == 1 ? "" : "s",
		        (unsigned long long)st.settled, (unsigned long long)st.resent,
		        (unsigned long long)st.rejected);
		char buf[8192];
		size_t n;
		rewind(spool);
		while ((n = fread(buf, 1, sizeof buf, spool)) > 0)
			fwrite(buf, 1, n, stdout);
	}
	if (spool)
		fclose(spool);
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
		zt_trace_text(stdout, &st->funds[i].trace);
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
	c->items[c->n++] = *st;
	return 0;
}

/* The settlement `setl_id` and, for a settlement that was reversed, its
 * reversal, in that order. */
static int by_setl_id(struct zt_store *s, const char *setl_id,
                      int (*cb)(void *ctx, const struct zt_stored_settlement *st), void *ctx)
{
	int64_t row, rev_row = 0;
	int rc = s->ops->claims.find_setl_id(s, setl_id, &row);
	if (rc == 0)
		rc = s->ops->claims.reversal_of(s, row, &rev_row);
	for (int i = 0; i < 2 && rc == 0; i++) {
		int64_t r = i ? rev_row : row;
		if (!r)
			break;
		struct zt_stored_settlement st;
		if ((rc = s->ops->claims.get(s, r, &st)) == 0)
			rc = cb(ctx, &st);
	}
	return rc;
}

static int show(const struct cli *c, const struct args *a)
{
	const char *h = args_get(a, "--hospital"), *n = args_get(a, "--claim-no");
	const char *setl_id = args_get(a, "--setl-id");
	const char *fmt = args_get(a, "--format");
	if (!fmt)
		fmt = "text";
	if (a->npos != 1 || (setl_id ? h || n : !h || !n) ||
	    (strcmp(fmt, "text") != 0 && strcmp(fmt, "xml") != 0))
		return cli_usage("zhitong claim show --hospital H --claim-no N | --setl-id S "
		                 "[--format text|xml]");
	struct zt_store *s;
	int rc = cli_open_store(c, CLI_STORE_READONLY, &s);
	if (rc)
		return rc;
	if (strcmp(fmt, "text") == 0) {
		rc = setl_id ? by_setl_id(s, setl_id, show_text, NULL)
		             : s->ops->claims.history(s, h, n, show_text, NULL);
	} else {
		struct collect *col = calloc(1, sizeof *col);
		rc = !col       ? ZT_ENOMEM
		     : setl_id ? by_setl_id(s, setl_id, collect_one, col)
		               : s->ops->claims.history(s, h, n, collect_one, col);
		if (rc == 0) {
			const struct zt_stored_settlement *list[64];
			for (int i = 0; i < col->n; i++)
				list[i] = &col->items[i];
			rc = zt_settle_write_stored(stdout, list, col->n);
		}
		free(col);
	}
	zt_store_close(s);
	if (rc == ZT_ENOTFOUND) {
		if (setl_id)
			fprintf(stderr, "zhitong: not-settled: there is no settlement or reversal '%s'\n",
			        setl_id);
		else
			fprintf(stderr, "zhitong: not-settled: claim '%s' of hospital '%s' has never been "
			        "settled\n", n, h);
		return EXIT_REJECTED;
	}
	return rc ? cli_fail(rc, NULL) : EXIT_DONE;
}

/* ---- list --------------------------------------------------------------- */

struct list_ctx {
	bool csv;
	struct zt_csv w;
	FILE *f;
	int64_t settlements, reversals;
};

static int list_one(void *ctx, const struct zt_claim_line *l)
{
	struct list_ctx *x = ctx;
	char d1[ZT_FMT_BYTES], d2[ZT_FMT_BYTES], m[ZT_FMT_BYTES], fu[ZT_FMT_BYTES],
		ho[ZT_FMT_BYTES], ps[ZT_FMT_BYTES];
	bool reversal = strcmp(l->kind, "reverse") == 0;
	*(reversal ? &x->reversals : &x->settlements) += 1;
	zt_format_date(d1, l->adm_date);
	zt_format_date(d2, l->dscg_date);
	zt_format_amount(m, l->medfee_sumamt);
	zt_format_amount(fu, l->fund_pay_sumamt);
	zt_format_amount(ho, l->hosp_part_amt);
	zt_format_amount(ps, l->psn_part_amt);
	if (x->csv) {
		const char *row[] = {l->setl_id, l->kind,        l->reverses, l->fixmedins_code,
		                     l->claim_no, l->psn_no,     d1,          d2,
		                     m,           fu,            ho,          ps,
		                     l->settled_at, l->actor,    l->reason};
		zt_csv_row(&x->w, row, sizeof row / sizeof *row);
		return ferror(x->f) ? zt_error_set(ZT_EIO, "cannot write the list") : 0;
	}
	fprintf(x->f, "%s  %-16s %-8s %-12s %-16s %-12s %14s %14s %12s %12s%s%s%s%s\n", d2,
	        l->setl_id, reversal ? "REVERSAL" : "settle", l->fixmedins_code, l->claim_no,
	        l->psn_no, m, fu, ho, ps, reversal ? "  of " : "", l->reverses,
	        l->reason[0] ? ": " : "", l->reason);
	return ferror(x->f) ? zt_error_set(ZT_EIO, "cannot write the list") : 0;
}

static int list(const struct cli *c, const struct args *a)
{
	const char *fmt = args_get(a, "--format"), *from = args_get(a, "--from"),
		   *to = args_get(a, "--to");
	struct list_ctx x = {0};
	struct zt_claim_filter f = {.psn_no = args_get(a, "--person"),
	                            .hospital = args_get(a, "--hospital")};
	if (fmt && strcmp(fmt, "csv") != 0 && strcmp(fmt, "text") != 0)
		return cli_usage("--format must be text or csv, not '%s'", fmt);
	x.csv = fmt && strcmp(fmt, "csv") == 0;
	if (a->npos != 1)
		return cli_usage("zhitong claim list [--person P] [--hospital H] [--from YYYY-MM-DD] "
		                 "[--to YYYY-MM-DD] [--format text|csv] [--bom] [--out FILE [--force]]");
	if ((f.psn_no && !f.psn_no[0]) || (f.hospital && !f.hospital[0]))
		return cli_usage("--person and --hospital need a value");
	if (from && zt_parse_date(&f.from, from, strlen(from)) != 0)
		return cli_usage("--from: %s", zt_error_last());
	if (to && zt_parse_date(&f.to, to, strlen(to)) != 0)
		return cli_usage("--to: %s", zt_error_last());
	if (f.from && f.to && f.from > f.to)
		return cli_usage("--from %s is after --to %s", from, to);
	int rc = cli_bom_check(a, x.csv);
	struct zt_store *s;
	if (rc || (rc = cli_open_store(c, CLI_STORE_READONLY, &s)))
		return rc;
	struct cli_out o;
	if ((rc = cli_out_open(&o, a, 0600))) {
		zt_store_close(s);
		return rc;
	}
	x.f = o.f;
	if (x.csv) {
		zt_csv_init(&x.w, o.f, args_flag(a, "--bom"));
		zt_csv_header(&x.w, "setl_id,kind,reverses,fixmedins_code,claim_no,psn_no,adm_date,"
		                    "dscg_date,medfee_sumamt,fund_pay_sumamt,hosp_part_amt,psn_part_amt,"
		                    "settled_at,actor,reason");
	} else {
		fprintf(o.f, "%-10s  %-16s %-8s %-12s %-16s %-12s %14s %14s %12s %12s\n", "discharged",
		        "setl_id", "kind", "hospital", "claim_no", "person", "medfee_sumamt",
		        "fund_pay", "hosp_part", "psn_part");
	}
	rc = s->ops->claims.list(s, &f, list_one, &x);
	zt_store_close(s);
	if (rc == 0 && !x.csv)
		fprintf(o.f, "%lld settlement%s, %lld reversal%s\n", (long long)x.settlements,
		        x.settlements == 1 ? "" : "s", (long long)x.reversals,
		        x.reversals == 1 ? "" : "s");
	return cli_out_close(&o, rc ? cli_fail(rc, NULL) : EXIT_DONE);
}

int cmd_claim(const struct cli *c, int argc, char **argv)
{
	struct args a;
	int rc = args_parse(&a, argc, argv,
	                    "--by --today --hospital --claim-no --reason --format --setl-id --person "
	                    "--from --to --out",
	                    "--force --bom");
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
	if (strcmp(sub, "list") == 0)
		return list(c, &a);
	return cli_usage("unknown claim command '%s' (submit, quote, reverse, show, list)", sub);
}
