/* zhitong — claim submit | quote | reverse | show | list: parse, call the
 * claims' use case (zhitong/claims.h), render (render_settlement.h,
 * render_claims.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "zhitong/config.h"
#include "zhitong/claims.h"
#include "zhitong/error.h"
#include "zhitong/national.h"
#include "zhitong/render_claims.h"
#include "zhitong/render_national.h"
#include "zhitong/render_settlement.h"

static const char claim_help[] =
	"usage: zhitong --db PATH claim submit FILE.xml [--by NAME] [--today YYYY-MM-DD] [--chunk N]\n"
	"       zhitong --db PATH claim quote FILE.xml [--format xml|text] [--today YYYY-MM-DD]\n"
	"       zhitong --db PATH claim reverse --hospital H --claim-no N --reason TEXT [--by NAME]\n"
	"       zhitong --db PATH claim show --hospital H --claim-no N [--format text|xml]\n"
	"       zhitong --db PATH claim show --setl-id S [--format text|xml]\n"
	"       zhitong --db PATH claim list [--person P] [--hospital H] [--from YYYY-MM-DD]\n"
	"                                    [--to YYYY-MM-DD] [--format text|csv] [--bom]\n"
	"                                    [--out FILE [--force]]\n"
	"       zhitong --db PATH claim list --national-reversed [--format text|csv] [--bom]\n"
	"                                    [--out FILE [--force]]\n"
	"       zhitong --db PATH claim national-reversed import FILE.csv [--by NAME]\n"
	"\n"
	"submit  settles every claim of FILE (one <claim> or a <claims> list of any size,\n"
	"        read as a stream; '-' reads stdin) and prints one <settlements> document,\n"
	"        one child per claim in input order: a <settlement> with setl_id,\n"
	"        setlinfo and setldetail (each fund with its calculation trace), or a\n"
	"        <rejection code=...>. Sending the same claim again returns the stored\n"
	"        settlement; a different claim under the same (hospital, claim_no) is\n"
	"        duplicate-claim-no. The whole file is read first: a file that is not\n"
	"        well-formed is refused whole, nothing stored (exit 2). Then it is\n"
	"        settled in transactions of --chunk N claims (default 200; 0: the whole\n"
	"        file in one; stdin, which cannot be read twice, is always one), so that\n"
	"        desks' claims settle between the chunks; interrupted, whole chunks stay\n"
	"        and submitting the same file again finishes it. If the answer\n"
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
	"        --national-reversed lists instead the live settlements standing on a\n"
	"        national settlement the national platform reversed: each must be\n"
	"        reversed here too. CSV header: national_setl_id,reversed_on,setl_id,\n"
	"        fixmedins_code,claim_no,psn_no,dscg_date,medfee_sumamt,oth_pay,\n"
	"        hosp_part_amt. Exit 1 when there is any.\n"
	"national-reversed import\n"
	"        records the national platform's list of reversed settlements (CSV: a\n"
	"        header naming at least setl_id and reversed_on, YYYY-MM-DD, in any\n"
	"        order; other columns ignored; a number recorded before keeps its first\n"
	"        record). The whole file or nothing. Prints what it recorded and how\n"
	"        many live settlements stand on a reversed one (docs/national.md).\n"
	"\n"
	"Rejection codes, first applicable wins: schema-invalid, duplicate-claim-no,\n"
	"unknown-hospital, unknown-person, bad-dates, no-policy, amount-mismatch,\n"
	"national-missing, national-unexpected, national-mismatch (claim v2:\n"
	"docs/spec/claim-v2-national.md §3);\n"
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

/* Claims a transaction of `claim submit` holds: about 20 ms of work on a
 * small machine, the longest a desk waits behind a bulk file (issue 11 §4). */
#define CLAIM_CHUNK 200

/* The claims file at `path` ("-": stdin), opened for reading. */
static int open_claims(FILE **out, const char *path)
{
	int fd = strcmp(path, "-") == 0 ? dup(0) : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return zt_error_set(ZT_ENOTFOUND, "cannot open '%s': %s", path, strerror(errno));
	struct stat sb;
	if (fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		close(fd);
		return zt_error_set(ZT_ENOTFOUND, "'%s' is a directory", path);
	}
	if (!(*out = fdopen(fd, "rb"))) {
		close(fd);
		return zt_error_set(ZT_ENOMEM, "cannot open '%s': %s", path, strerror(errno));
	}
	return 0;
}

/* The file's claims to the use case, the outcomes to the renderer of the
 * format: the settlement XML, or the desk's text of a quote. */
static int settle_path(struct zt_store *s, const char *path, const struct zt_settle_opts *o,
                       bool text, uint64_t chunk, struct zt_settle_stats *st)
{
	FILE *f = NULL;
	memset(st, 0, sizeof *st);
	int rc = open_claims(&f, path);
	if (rc)
		return rc;
	struct zt_source src = zt_source_file(f, path);
	struct zt_settle_sink sink;
	struct zt_settlement_xml_sink xml;
	struct zt_quote_text_sink desk;
	if (text)
		zt_quote_text_sink(&sink, &desk, stdout);
	else
		zt_settlement_xml_sink(&sink, &xml, stdout, o->quote);
	if (o->quote)
		rc = zt_claims_quote(s, &src, ZT_CLAIM_FORMAT_XML, o, &sink, st);
	else if (chunk && src.rewind) /* issue 11 §4: desks between the chunks */
		rc = zt_settle_chunked(s, &src, ZT_CLAIM_FORMAT_XML, o, &sink, st, chunk);
	else
		rc = zt_settle_source(s, &src, ZT_CLAIM_FORMAT_XML, o, &sink, st);
	if (text)
		zt_quote_text_sink_free(&desk);
	else
		zt_settlement_xml_sink_free(&xml);
	fclose(f);
	return rc;
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
	const char *chunk_arg = args_get(a, "--chunk");
	uint64_t chunk = CLAIM_CHUNK;
	if (chunk_arg) {
		char *end;
		errno = 0;
		unsigned long long v = strtoull(chunk_arg, &end, 10);
		if (quote || !*chunk_arg || *end || errno || chunk_arg[0] == '-' || v > 100000000)
			return cli_usage("--chunk takes the claims a transaction of claim submit holds "
			                 "(0: the whole file), not '%s'", chunk_arg);
		chunk = v;
	}
	bool tty = isatty(2);
	if (tty)
		o.progress = progress;
	/* [county C] catalog = required (docs/spec/rules-v2.md §2) */
	struct zt_config *cfg = NULL;
	int rc = zt_config_load(&cfg, c->config_path);
	if (rc)
		return cli_fail(rc, "config");
	o.config = cfg;
	struct zt_store *s;
	if ((rc = cli_open_store(c, 0, &s)) != 0) {
		zt_config_free(cfg);
		return rc;
	}
	struct zt_settle_stats st;
	rc = settle_path(s, a->pos[1], &o, text, chunk, &st);
	zt_store_close(s);
	zt_config_free(cfg);
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
	const struct zt_claims_reverse_req req = {
		.hospital = args_get(a, "--hospital"), .claim_no = args_get(a, "--claim-no"),
		.reason = args_get(a, "--reason"), .actor = cli_actor(a)};
	if (!req.hospital || !req.claim_no || !req.reason || !req.reason[0] || a->npos != 1)
		return cli_usage("zhitong claim reverse --hospital H --claim-no N --reason TEXT");
	struct zt_store *s;
	int rc = cli_open_store(c, 0, &s);
	if (rc)
		return rc;
	struct zt_claims_reverse_res *res = malloc(sizeof *res);
	rc = res ? zt_claims_reverse(s, &req, res) : zt_error_set(ZT_ENOMEM, "out of memory");
	zt_store_close(s);
	if (rc) {
		free(res);
		return cli_fail(rc, NULL);
	}
	/* Stored: from here on, an answer that cannot be written is told as
	 * not delivered (cli_finish_stdout), naming what to run to see it. */
	bool rejected = res->rejected;
	char how[160];
	snprintf(how, sizeof how, "'zhitong claim show --setl-id %s' prints it (reversing again "
	         "answers not-settled)", res->reversal.setl_id);
	if (!rejected)
		cli_stored(how, "claim '%s' of hospital '%s' was reversed by %s (reversing %s)",
		           req.claim_no, req.hospital, res->reversal.setl_id,
		           res->reversal.reverses_setl_id);
	struct zt_settlement_xml *w;
	/* a claim v2's reversal is answered in v2 (docs/spec/claim-v2-national.md §1) */
	if ((rc = zt_settlement_xml_open(&w, stdout, rejected ? 1 : res->reversal.claim_version == 2 ? 2 : 1)) == 0)
		rc = rejected ? zt_settlement_xml_rejection(w, req.hospital, req.claim_no,
		                                            zt_reject_name(ZT_REJ_NOT_SETTLED),
		                                            res->message)
		              : zt_settlement_xml_settlement(w, &res->reversal, true);
	if (rc == 0)
		rc = zt_settlement_xml_finish(w);
	else
		zt_settlement_xml_free(w);
	free(res);
	if (rc && !ferror(stdout))
		return cli_fail(rc, NULL);
	return rejected ? EXIT_REJECTED : EXIT_DONE;
}

/* ---- show ------------------------------------------------------------------ */

static int show_text(void *ctx, const struct zt_stored_settlement *st)
{
	return zt_claim_show_text(ctx, st);
}

#define SHOW_MAX 64
struct collect {
	struct zt_stored_settlement items[SHOW_MAX];
	int n;
};

static int collect_one(void *ctx, const struct zt_stored_settlement *st)
{
	struct collect *c = ctx;
	if (c->n >= SHOW_MAX)
		return 0;
	c->items[c->n++] = *st;
	return 0;
}

static int show_xml(struct zt_store *s, const struct zt_claims_show_req *req)
{
	struct collect *col = calloc(1, sizeof *col);
	int rc = col ? zt_claims_show(s, req, collect_one, col)
	             : zt_error_set(ZT_ENOMEM, "out of memory");
	if (rc == 0) {
		const struct zt_stored_settlement *list[SHOW_MAX];
		for (int i = 0; i < col->n; i++)
			list[i] = &col->items[i];
		rc = zt_settlement_xml_write(stdout, col->n && col->items[0].claim_version == 2 ? 2 : 1,
		                             list, col->n);
	}
	free(col);
	return rc;
}

static int show(const struct cli *c, const struct args *a)
{
	const struct zt_claims_show_req req = {.hospital = args_get(a, "--hospital"),
	                                       .claim_no = args_get(a, "--claim-no"),
	                                       .setl_id = args_get(a, "--setl-id")};
	const char *fmt = args_get(a, "--format");
	if (!fmt)
		fmt = "text";
	if (a->npos != 1 || (req.setl_id ? req.hospital || req.claim_no : !req.hospital || !req.claim_no) ||
	    (strcmp(fmt, "text") != 0 && strcmp(fmt, "xml") != 0))
		return cli_usage("zhitong claim show --hospital H --claim-no N | --setl-id S "
		                 "[--format text|xml]");
	struct zt_store *s;
	int rc = cli_open_store(c, CLI_STORE_READONLY, &s);
	if (rc)
		return rc;
	rc = strcmp(fmt, "text") == 0 ? zt_claims_show(s, &req, show_text, stdout) : show_xml(s, &req);
	zt_store_close(s);
	if (rc == ZT_ENOTFOUND) {
		fprintf(stderr, "zhitong: not-settled: %s\n", zt_error_last());
		return EXIT_REJECTED;
	}
	return rc ? cli_fail(rc, NULL) : EXIT_DONE;
}

/* ---- list, national-reversed ------------------------------------------------- */

static int list_national_reversed(const struct cli *c, const struct args *a, bool csv)
{
	if (args_get(a, "--person") || args_get(a, "--hospital") || args_get(a, "--from") ||
	    args_get(a, "--to"))
		return cli_usage("--national-reversed lists every such settlement: no --person, "
		                 "--hospital, --from or --to");
	int rc = cli_bom_check(a, csv);
	struct zt_store *s;
	if (rc || (rc = cli_open_store(c, CLI_STORE_READONLY, &s)))
		return rc;
	struct cli_out o;
	if ((rc = cli_out_open(&o, a, 0600))) {
		zt_store_close(s);
		return rc;
	}
	struct zt_national_list_render r;
	int64_t n = 0;
	rc = zt_national_list_begin(&r, o.f, csv, args_flag(a, "--bom"));
	if (rc == 0)
		rc = zt_national_reversed_list(s, zt_national_list_row, &r, &n);
	zt_store_close(s);
	if (rc == 0)
		rc = zt_national_list_end(&r);
	return cli_out_close(&o, rc ? cli_fail(rc, NULL) : n ? EXIT_REJECTED : EXIT_DONE);
}

static int national_reversed(const struct cli *c, const struct args *a)
{
	if (a->npos != 3 || strcmp(a->pos[1], "import") != 0)
		return cli_usage("zhitong claim national-reversed import FILE.csv [--by NAME]");
	const struct zt_national_import_req req = {.path = a->pos[2], .name = a->pos[2],
	                                           .actor = cli_actor(a)};
	struct zt_store *s;
	int rc = cli_open_store(c, 0, &s);
	if (rc)
		return rc;
	struct zt_national_import_res res;
	rc = zt_national_reversed_import(s, &req, &res);
	zt_store_close(s);
	if (rc)
		return cli_fail(rc, NULL);
	fprintf(stderr, "zhitong: %s: %lld national settlements reversed on the platform, %lld "
	        "recorded now, %lld known before; %lld live settlement%s here stand%s on one "
	        "('zhitong claim list --national-reversed')\n", req.name, (long long)res.lines,
	        (long long)res.added, (long long)res.known, (long long)res.live,
	        res.live == 1 ? "" : "s", res.live == 1 ? "s" : "");
	return EXIT_DONE;
}

static int list(const struct cli *c, const struct args *a)
{
	const char *fmt = args_get(a, "--format"), *from = args_get(a, "--from"),
		   *to = args_get(a, "--to");
	struct zt_claim_filter f = {.psn_no = args_get(a, "--person"),
	                            .hospital = args_get(a, "--hospital")};
	if (fmt && strcmp(fmt, "csv") != 0 && strcmp(fmt, "text") != 0)
		return cli_usage("--format must be text or csv, not '%s'", fmt);
	bool csv = fmt && strcmp(fmt, "csv") == 0;
	if (a->npos == 1 && args_flag(a, "--national-reversed"))
		return list_national_reversed(c, a, csv);
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
	int rc = cli_bom_check(a, csv);
	struct zt_store *s;
	if (rc || (rc = cli_open_store(c, CLI_STORE_READONLY, &s)))
		return rc;
	struct cli_out o;
	if ((rc = cli_out_open(&o, a, 0600))) {
		zt_store_close(s);
		return rc;
	}
	struct zt_claim_list_render r;
	rc = zt_claim_list_begin(&r, o.f, csv, args_flag(a, "--bom"));
	if (rc == 0)
		rc = zt_claims_list(s, &f, zt_claim_list_row, &r);
	zt_store_close(s);
	if (rc == 0)
		rc = zt_claim_list_end(&r);
	return cli_out_close(&o, rc ? cli_fail(rc, NULL) : EXIT_DONE);
}

int cmd_claim(const struct cli *c, int argc, char **argv)
{
	struct args a;
	int rc = args_parse(&a, argc, argv,
	                    "--by --today --hospital --claim-no --reason --format --setl-id --person "
	                    "--from --to --out --chunk",
	                    "--force --bom --national-reversed");
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
	if (strcmp(sub, "national-reversed") == 0)
		return national_reversed(c, &a);
	return cli_usage("unknown claim command '%s' (submit, quote, reverse, show, list, "
	                 "national-reversed)", sub);
}
