/* zhitong — slip: the patient's settlement slip (text, HTML, PDF). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "zhitong/date.h"
#include "slip.h"
#include "zhitong/error.h"
#include "zhitong/settle.h"

static const char slip_help[] =
	"usage: zhitong --db PATH slip --hospital H --claim-no N [--format text|html|pdf]\n"
	"                              [--out FILE [--force]]\n"
	"       zhitong --db PATH slip --setl-id S [--format text|html|pdf] [--out FILE [--force]]\n"
	"\n"
	"The patient's settlement slip: the bill, what each fund paid, what the\n"
	"hospital bears and what the patient pays at the desk. The identity number\n"
	"is masked. --hospital/--claim-no take the claim's latest settlement;\n"
	"--setl-id a given one (a reversal's id gives the slip of the settlement it\n"
	"reverses). A settlement that was reversed is printed marked void (作废 VOID,\n"
	"with the reversal's id and reason): it is not a bill any more. HTML is a\n"
	"self-contained page for printing; PDF is one A5 page with a QR code carrying\n"
	"the settlement's id and amounts, for the desk to look it up (to a file or a\n"
	"printer: never to a terminal). --out FILE writes the slip to FILE (mode 0600:\n"
	"it names the patient): never over a different file unless --force, never\n"
	"through a symbolic link, whole or not at all.\n"
	"\n"
	"Exit 0 done; 1 no such settlement (not-settled); 2 bad usage or an --out\n"
	"refused; 3 storage.\n";

/* Text from the registry goes into HTML escaped. */
static void html_text(FILE *f, const char *s)
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

/* Which settlement: the claim's latest, or a setl_id (a reversal's gives
 * the settlement it reverses). *rev_row the reversal of it, 0 if none. */
static int find(struct zt_store *s, const struct args *a, int64_t *row, int64_t *rev_row,
                char *what, size_t cap)
{
	const char *setl_id = args_get(a, "--setl-id");
	int rc;
	if (setl_id) {
		snprintf(what, cap, "there is no settlement '%s'", setl_id);
		if ((rc = s->ops->claims.find_setl_id(s, setl_id, row)))
			return rc;
		struct zt_stored_settlement st = {0};
		if ((rc = s->ops->claims.get(s, *row, &st)))
			return rc;
		bool is_reversal = strcmp(st.kind, "reverse") == 0;
		char of[32];
		snprintf(of, sizeof of, "%s", st.reverses_setl_id);
		if (is_reversal && (rc = s->ops->claims.find_setl_id(s, of, row)))
			return rc == ZT_ENOTFOUND ? zt_error_set(ZT_EINTERNAL, "reversal '%s' reverses '%s', "
			                                         "which is not stored", setl_id, of) : rc;
	} else {
		const char *h = args_get(a, "--hospital"), *n = args_get(a, "--claim-no");
		snprintf(what, cap, "claim '%s' of hospital '%s' has never been settled", n, h);
		struct zt_claim_ref ref;
		if ((rc = s->ops->claims.find(s, h, n, &ref)))
			return rc;
		*row = ref.settlement_row;
	}
	return s->ops->claims.reversal_of(s, *row, rev_row);
}

int cmd_slip(const struct cli *c, int argc, char **argv)
{
	struct args a;
	int rc = args_parse(&a, argc, argv, "--hospital --claim-no --setl-id --format --out", "--force");
	if (rc)
		return rc;
	if (a.help) {
		fputs(slip_help, stdout);
		return EXIT_DONE;
	}
	const char *h = args_get(&a, "--hospital"), *n = args_get(&a, "--claim-no");
	const char *setl_id = args_get(&a, "--setl-id");
	const char *fmt = args_get(&a, "--format");
	if (!fmt)
		fmt = "text";
	if (a.npos || (setl_id ? h || n : !h || !n) ||
	    (strcmp(fmt, "text") != 0 && strcmp(fmt, "html") != 0 && strcmp(fmt, "pdf") != 0))
		return cli_usage("zhitong slip --hospital H --claim-no N | --setl-id S "
		                 "[--format text|html|pdf] [--out FILE [--force]]");
	if (strcmp(fmt, "pdf") == 0 && !args_get(&a, "--out") && isatty(1))
		return cli_usage("a PDF slip goes to a file or a printer: --out slip.pdf, or redirect "
		                 "stdout");
	struct zt_store *s;
	if ((rc = cli_open_store(c, CLI_STORE_READONLY, &s)) != 0)
		return rc;
	int64_t row = 0, rev_row = 0;
	char what[300];
	struct zt_stored_settlement st = {0}, rev = {0};
	struct zt_hospital hos = {0};
	struct zt_person per = {0};
	rc = find(s, &a, &row, &rev_row, what, sizeof what);
	if (rc == ZT_ENOTFOUND) {
		zt_store_close(s);
		fprintf(stderr, "zhitong: not-settled: %s\n", what);
		return EXIT_REJECTED;
	}
	if (rc == 0)
		rc = s->ops->claims.get(s, row, &st);
	if (rc == 0 && rev_row)
		rc = s->ops->claims.get(s, rev_row, &rev);
	if (rc == 0)
		rc = s->ops->registry.get_hospital(s, st.fixmedins_code, &hos);
	if (rc == 0)
		rc = s->ops->registry.get_person(s, st.psn_no, &per);
	zt_store_close(s);
	if (rc) {
		return cli_fail(rc, NULL);
	}
	struct cli_out o;
	if ((rc = cli_out_open(&o, &a, 0600))) {
		return rc;
	}
	FILE *f = o.f;
	char b[ZT_FMT_BYTES], d1[ZT_FMT_BYTES], d2[ZT_FMT_BYTES], masked[24];
	/* when it was settled, in the pool's time zone (docs/spec/rules-v2.md §5) */
	char when[ZT_FMT_BYTES], rwhen[ZT_FMT_BYTES];
	zt_timestamp_local(when, st.settled_at);
	char void_text[ZT_MESSAGE_BYTES_MAX + 100] = "";
	/* the id number is masked: the slip is handed over the counter */
	snprintf(masked, sizeof masked, "%.6s********%.4s", per.id_no,
	         strlen(per.id_no) >= 18 ? per.id_no + 14 : "");
	/* A reversed settlement is no bill any more: its slip says so first. */
	if (rev_row)
		snprintf(void_text, sizeof void_text, "作废 VOID: reversed by %s on %.10s (%s)",
		         rev.setl_id, zt_timestamp_local(rwhen, rev.settled_at), rev.reason);
	struct {
		const char *label;
		zt_fen v;
		bool always;
	} rows[] = {
		{"医疗费总额 Total bill", st.cls.medfee_sumamt, true},
		{"基本医保 Basic insurance", st.hifp_pay, false},
		{"大病保险 Critical illness", st.hifmi_pay, false},
		{"医疗救助 Medical assistance", st.maf_pay, false},
		{"扶贫救助基金 Relief funds", st.oth_pay, false},
		{"医院承担 Borne by the hospital", st.hosp_part_amt, false},
		{"个人支付 You pay", st.psn_part_amt, true},
	};
	size_t nrows = sizeof rows / sizeof *rows;
	if (strcmp(fmt, "pdf") == 0) {
		struct slip sl = {.setl_id = st.setl_id, .hospital = st.fixmedins_code,
		                  .hospital_name = hos.name, .person_name = per.name,
		                  .psn_no = st.psn_no, .id_masked = masked, .claim_no = st.claim_no,
		                  .adm = zt_format_date(d1, st.adm_date),
		                  .dscg = zt_format_date(d2, st.dscg_date), .settled_at = when,
		                  .void_text = void_text[0] ? void_text : NULL};
		for (size_t i = 0; i < nrows; i++)
			if (rows[i].always || rows[i].v != 0)
				sl.rows[sl.row_count++] = (struct slip_row){rows[i].label, rows[i].v};
		char m[ZT_FMT_BYTES], p[ZT_FMT_BYTES];
		snprintf(sl.qr_text, sizeof sl.qr_text, "zhitong:slip:1|%s|%s|%s|%s|%s|%s%s%s",
		         st.setl_id, st.fixmedins_code, st.claim_no, st.psn_no,
		         zt_format_amount(m, st.cls.medfee_sumamt), zt_format_amount(p, st.psn_part_amt),
		         rev_row ? "|void:" : "", rev_row ? rev.setl_id : "");
		rc = zt_slip_pdf(f, &sl);
		rc = rc ? cli_fail(rc, NULL) : EXIT_DONE;
	} else if (strcmp(fmt, "html") == 0) {
		fprintf(f, "<!DOCTYPE html>\n<html lang=\"zh\"><head><meta charset=\"utf-8\">"
		        "<title>住院结算单 %s</title>\n<style>body{font-family:sans-serif;max-width:36em;"
		        "margin:2em auto}td{padding:.2em .6em}td.n{text-align:right;"
		        "font-variant-numeric:tabular-nums}tr.pay td{font-weight:bold;"
		        "border-top:1px solid #000}p.void{color:#b00;font-size:1.6em;font-weight:bold;"
		        "border:3px solid #b00;padding:.2em .5em}</style></head><body>\n"
		        "<h1>住院结算单 Settlement slip</h1>\n", st.setl_id);
		if (void_text[0]) {
			fputs("<p class=\"void\">", f);
			html_text(f, void_text);
			fputs("</p>\n", f);
		}
		fputs("<p>", f);
		html_text(f, hos.name);
		fputs(" (", f);
		html_text(f, st.fixmedins_code);
		fputs(")<br>\n", f);
		html_text(f, per.name);
		fputs(" ", f);
		html_text(f, st.psn_no);
		fprintf(f, " %s<br>\n%s &ndash; %s, claim ", masked, zt_format_date(d1, st.adm_date),
		        zt_format_date(d2, st.dscg_date));
		html_text(f, st.claim_no);
		fprintf(f, ", settlement %s</p>\n<table>\n", st.setl_id);
		for (size_t i = 0; i < nrows; i++)
			if (rows[i].always || rows[i].v != 0)
				fprintf(f, "<tr%s><td>%s</td><td class=\"n\">%s</td></tr>\n",
				        i == nrows - 1 ? " class=\"pay\"" : "", rows[i].label,
				        zt_format_amount(b, rows[i].v));
		fprintf(f, "</table>\n<p>Settled %s.%s</p>\n</body></html>\n", when,
		        void_text[0] ? "" : " Keep this slip.");
		rc = EXIT_DONE;
	} else {
		fprintf(f, "住院结算单 Settlement slip   %s\n", st.setl_id);
		if (void_text[0])
			fprintf(f, "*** %s ***\n", void_text);
		fprintf(f, "%s (%s)\n%s %s  %s\n%s - %s  claim %s\n", hos.name, st.fixmedins_code,
		        per.name, st.psn_no, masked, zt_format_date(d1, st.adm_date),
		        zt_format_date(d2, st.dscg_date), st.claim_no);
		for (size_t i = 0; i < nrows; i++) {
			if (!rows[i].always && rows[i].v == 0)
				continue;
			int pad = 36 - cli_display_width(rows[i].label);
			fprintf(f, "  %s%*s %14s\n", rows[i].label, pad > 0 ? pad : 0, "",
			        zt_format_amount(b, rows[i].v));
		}
		fprintf(f, "Settled %s.%s\n", when, void_text[0] ? "" : " Keep this slip.");
		rc = EXIT_DONE;
	}
	return cli_out_close(&o, rc);
}
