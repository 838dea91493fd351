/* zhitong — slip: the patient's settlement slip (text, HTML, PDF). Parses,
 * calls the slip's use case (zt_slip_build, zhitong/slip.h) and renders
 * with the render modules (render/: slip_text.h, slip_html.h, slip_pdf.h). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "zhitong/error.h"
#include "zhitong/slip.h"
#include "zhitong/slip_html.h"
#include "zhitong/slip_pdf.h"
#include "zhitong/slip_text.h"

static const char slip_help[] =
	"usage: zhitong --db PATH slip --hospital H --claim-no N [--format text|html|pdf]\n"
	"                              [--width COLS] [--out FILE [--force]]\n"
	"       zhitong --db PATH slip --setl-id S [--format text|html|pdf] [--width COLS]\n"
	"                              [--out FILE [--force]]\n"
	"\n"
	"The patient's settlement slip (住院费用结算单, docs/slip.md): the bill by\n"
	"charge type, how it splits, one line per paying fund under its registered\n"
	"name with the year's total, what the hospital bears and what the patient\n"
	"pays. The identity number is masked (its first 6 and last 4 characters).\n"
	"--hospital/--claim-no take the claim's latest settlement; --setl-id a given\n"
	"one (a reversal's id gives the slip of the settlement it reverses). A\n"
	"settlement that was reversed is printed void (作废, with the reversal's id\n"
	"and time): it is not a bill any more.\n"
	"--format text (the default) for a terminal or a receipt printer, --width\n"
	"COLS columns (32 for 58 mm paper, 48 for 80 mm, the default; up to 160);\n"
	"html a self-contained A5 page for printing; pdf one A5 page with its fonts\n"
	"embedded (to a file or a printer: never to a terminal). --out FILE writes\n"
	"the slip to FILE (mode 0600: it names the patient): never over a different\n"
	"file unless --force, never through a symbolic link, whole or not at all.\n"
	"\n"
	"Exit 0 done; 1 no such settlement (not-settled); 2 bad usage or an --out\n"
	"refused; 3 storage.\n";


/* The slip in the format asked for, through the render modules. */
static int render(FILE *f, const char *fmt, int width, const struct zt_slip *sl)
{
	if (strcmp(fmt, "pdf") == 0)
		return zt_slip_render_pdf(zt_file_write, f, sl, NULL);
	if (strcmp(fmt, "html") == 0)
		return zt_slip_render_html(zt_file_write, f, sl);
	const struct zt_slip_text_opts o = {.width_cols = width};
	return zt_slip_render_text(zt_file_write, f, sl, &o);
}

int cmd_slip(const struct cli *c, int argc, char **argv)
{
	struct args a;
	int rc = args_parse(&a, argc, argv, "--hospital --claim-no --setl-id --format --width --out",
	                    "--force");
	if (rc)
		return rc;
	if (a.help) {
		fputs(slip_help, stdout);
		return EXIT_DONE;
	}
	const struct zt_slip_req req = {.hospital = args_get(&a, "--hospital"),
	                                .claim_no = args_get(&a, "--claim-no"),
	                                .setl_id = args_get(&a, "--setl-id")};
	const char *fmt = args_get(&a, "--format"), *w = args_get(&a, "--width");
	if (!fmt)
		fmt = "text";
	if (a.npos || (req.setl_id ? req.hospital || req.claim_no : !req.hospital || !req.claim_no) ||
	    (strcmp(fmt, "text") != 0 && strcmp(fmt, "html") != 0 && strcmp(fmt, "pdf") != 0))
		return cli_usage("zhitong slip --hospital H --claim-no N | --setl-id S "
		                 "[--format text|html|pdf] [--width COLS] [--out FILE [--force]]");
	int width = 0;
	if (w) {
		char *end;
		long v = strtol(w, &end, 10);
		if (*end || v < ZT_SLIP_TEXT_COLS_MIN || v > ZT_SLIP_TEXT_COLS_MAX ||
		    strcmp(fmt, "text") != 0)
			return cli_usage("--width is for --format text: %d to %d columns, not '%s'",
			                 ZT_SLIP_TEXT_COLS_MIN, ZT_SLIP_TEXT_COLS_MAX, w);
		width = (int)v;
	}
	if (strcmp(fmt, "pdf") == 0 && !args_get(&a, "--out") && isatty(1))
		return cli_usage("a PDF slip goes to a file or a printer: --out slip.pdf, or redirect "
		                 "stdout");
	struct zt_store *s;
	if ((rc = cli_open_store(c, CLI_STORE_READONLY, &s)) != 0)
		return rc;
	struct zt_slip sl;
	struct zt_slip_arena arena = {0};
	rc = zt_slip_build(s, &req, &sl, &arena);
	zt_store_close(s);
	if (rc == ZT_ENOTFOUND) {
		zt_slip_arena_free(&arena);
		fprintf(stderr, "zhitong: not-settled: %s\n", zt_error_last());
		return EXIT_REJECTED;
	}
	struct cli_out o;
	if (rc == 0 && (rc = cli_out_open(&o, &a, 0600)) != 0) {
		zt_slip_arena_free(&arena);
		return rc;
	}
	if (rc) {
		zt_slip_arena_free(&arena);
		return cli_fail(rc, NULL);
	}
	rc = render(o.f, fmt, width, &sl);
	zt_slip_arena_free(&arena);
	return cli_out_close(&o, rc ? cli_fail(rc, NULL) : EXIT_DONE);
}
