/* zhitong — slip: the patient's settlement slip (text, HTML, PDF). Parses,
 * calls the slip's use case (zt_slip_build, zhitong/slip.h) and renders
 * with the render modules (render/: slip_text.h, slip_html.h, slip_pdf.h). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli.h"
#include "zhitong/config.h"
#include "zhitong/error.h"
#include "zhitong/slip.h"
#include "zhitong/slip_html.h"
#include "zhitong/slip_pdf.h"
#include "zhitong/slip_text.h"
#include "zhitong/slip_verify.h"

static const char slip_help[] =
	"usage: zhitong --db PATH slip --hospital H --claim-no N [--format text|html|pdf]\n"
	"                              [--width COLS] [--encoding utf-8|gb18030]\n"
	"                              [--out FILE [--force]]\n"
	"       zhitong --db PATH slip --setl-id S [--format text|html|pdf] [--width COLS]\n"
	"                              [--encoding utf-8|gb18030] [--out FILE [--force]]\n"
	"       zhitong --db PATH [--config PATH] slip verify CODE [--setl-id S]\n"
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
	"COLS columns (32 for 58 mm paper, 48 for 80 mm, the default; up to 160),\n"
	"--encoding utf-8 (the default) or gb18030 (thermal printers that take\n"
	"GB18030: every character converted, names from CJK Extension B included);\n"
	"html a self-contained A5 page for printing; pdf one A5 page with its fonts\n"
	"embedded (to a file or a printer: never to a terminal). --out FILE writes\n"
	"the slip to FILE (mode 0600: it names the patient): never over a different\n"
	"file unless --force, never through a symbolic link, whole or not at all.\n"
	"With a slip key in the configuration ([slip] key = FILE, key-id = K1;\n"
	"retired keys as [slip-key ID] key = FILE) every slip carries its\n"
	"verification code (验证码), printed and in the QR code.\n"
	"\n"
	"slip verify CODE checks a code as typed from a slip or read from its QR\n"
	"code: it finds the settlement (among all of them, or the one --setl-id\n"
	"names), recomputes the code from what is stored under the key of the\n"
	"code's key id, and says in Chinese whether the slip is genuine (真实) or\n"
	"not (不真实), with the amounts and whether the settlement has been\n"
	"reversed since (已作废).\n"
	"\n"
	"Exit 0 done (verify: genuine); 1 no such settlement (not-settled), or\n"
	"verify: not genuine or not a code; 2 bad usage, an --out refused or a\n"
	"configuration or key that cannot be used; 3 storage.\n";


static int print_slip(const struct cli *c, const struct args *args, struct zt_slip_keys *keys);

/* The slip in the format asked for, through the render modules. */
static int render(FILE *f, const char *fmt, int width, enum zt_text_encoding enc,
                  const struct zt_slip *sl)
{
	if (strcmp(fmt, "pdf") == 0)
		return zt_slip_render_pdf(zt_file_write, f, sl, NULL);
	if (strcmp(fmt, "html") == 0)
		return zt_slip_render_html(zt_file_write, f, sl);
	const struct zt_slip_text_opts o = {.width_cols = width, .encoding = enc};
	return zt_slip_render_text(zt_file_write, f, sl, &o);
}

/* The pool's slip keys from the configuration; keys->count 0 without any.
 * Returns 0 or an exit status (the error printed). */
static int load_keys(const struct cli *c, struct zt_slip_keys *keys)
{
	struct zt_config *cfg = NULL;
	int rc = zt_config_load(&cfg, c->config_path);
	if (rc == 0)
		rc = zt_slip_keys_load(keys, cfg);
	zt_config_free(cfg);
	if (rc)
		fprintf(stderr, "zhitong: config: %s\n", zt_error_last());
	return rc ? EXIT_USAGE : 0;
}

/* slip verify CODE [--setl-id S]: the use case's verdict, rendered. */
static int verify(const struct cli *c, const struct args *a, struct zt_slip_keys *keys)
{
	if (a->npos != 2 || args_get(a, "--hospital") || args_get(a, "--claim-no") ||
	    args_get(a, "--format") || args_get(a, "--width") || args_get(a, "--encoding") ||
	    args_get(a, "--out"))
		return cli_usage("zhitong slip verify CODE [--setl-id S]");
	int rc = load_keys(c, keys);
	if (rc)
		return rc;
	if (keys->count == 0)
		return cli_usage("no slip key is configured: slip verify needs [slip] key = FILE in "
		                 "the configuration (--config)");
	struct zt_store *s;
	if ((rc = cli_open_store(c, CLI_STORE_READONLY, &s)) != 0)
		return rc;
	const struct zt_slip_verify_req req = {.code = a->pos[1],
	                                       .setl_id = args_get(a, "--setl-id"), .keys = keys};
	struct zt_slip_verify_res res;
	rc = zt_slip_verify(s, &req, &res);
	zt_store_close(s);
	if (rc) {
		zt_slip_verify_res_free(&res);
		return cli_fail(rc, NULL);
	}
	rc = zt_slip_verify_render_text(zt_file_write, stdout, &res);
	bool genuine = res.verdict == ZT_SLIP_GENUINE;
	zt_slip_verify_res_free(&res);
	if (rc)
		return cli_fail(rc, NULL);
	return genuine ? EXIT_DONE : EXIT_REJECTED;
}

int cmd_slip(const struct cli *c, int argc, char **argv)
{
	struct args a;
	int rc = args_parse(&a, argc, argv, "--hospital --claim-no --setl-id --format --width --encoding --out",
	                    "--force");
	if (rc)
		return rc;
	if (a.help) {
		fputs(slip_help, stdout);
		return EXIT_DONE;
	}
	struct zt_slip_keys *keys = calloc(1, sizeof *keys);
	if (!keys)
		return cli_fail(zt_error_set(ZT_ENOMEM, "out of memory"), NULL);
	if (a.npos >= 1 && strcmp(a.pos[0], "verify") == 0)
		rc = verify(c, &a, keys);
	else
		rc = print_slip(c, &a, keys);
	zt_slip_keys_wipe(keys);
	free(keys);
	return rc;
}

/* slip --hospital H --claim-no N | --setl-id S: the slip, rendered. */
static int print_slip(const struct cli *c, const struct args *args, struct zt_slip_keys *keys)
{
	struct args a = *args;
	int rc = load_keys(c, keys);
	if (rc)
		return rc;
	const struct zt_slip_key *k = keys->signing >= 0 ? &keys->key[keys->signing] : NULL;
	const struct zt_slip_req req = {.hospital = args_get(&a, "--hospital"),
	                                .claim_no = args_get(&a, "--claim-no"),
	                                .setl_id = args_get(&a, "--setl-id"),
	                                .key = k ? k->bytes : NULL,
	                                .key_len = k ? k->len : 0,
	                                .key_id = k ? k->id : NULL,
	                                .qr_prefix = keys->verify_url[0] ? keys->verify_url : NULL};
	const char *fmt = args_get(&a, "--format"), *w = args_get(&a, "--width");
	if (!fmt)
		fmt = "text";
	if (a.npos || (req.setl_id ? req.hospital || req.claim_no : !req.hospital || !req.claim_no) ||
	    (strcmp(fmt, "text") != 0 && strcmp(fmt, "html") != 0 && strcmp(fmt, "pdf") != 0))
		return cli_usage("zhitong slip --hospital H --claim-no N | --setl-id S "
		                 "[--format text|html|pdf] [--width COLS] [--encoding utf-8|gb18030] "
		                 "[--out FILE [--force]]");
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
	enum zt_text_encoding enc = ZT_TEXT_UTF8;
	const char *e = args_get(&a, "--encoding");
	if (e) {
		if (strcmp(fmt, "text") != 0)
			return cli_usage("--encoding is for --format text (HTML and PDF are UTF-8)");
		if (strcasecmp(e, "gb18030") == 0)
			enc = ZT_TEXT_GB18030;
		else if (strcasecmp(e, "utf-8") != 0 && strcasecmp(e, "utf8") != 0)
			return cli_usage("--encoding is utf-8 or gb18030, not '%.40s'", e);
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
	rc = render(o.f, fmt, width, enc, &sl);
	zt_slip_arena_free(&arena);
	return cli_out_close(&o, rc ? cli_fail(rc, NULL) : EXIT_DONE);
}
